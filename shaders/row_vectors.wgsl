// The row kernels' input, read four cells at a time, for input rows whose length is a multiple
// of four (so every row starts on a vec4): the vec4s holding the four windows of a group are
// loaded whole and each tap picked from them at a position the compiler knows. Against four
// scattered loads per tap (row_cells.wgsl, its twin), lavapipe ran the stem's 3x3 max pool in
// 7.2-9.0 ms instead of 9.5-15.9 (alternating runs). Placed before row_pool.wgsl or
// lp_rows.wgsl.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<vec4<Element>>;

// Set by the host (`row_loads` in src/ops/sliding.rs): the stride and dilation along W, and
// how far the first window of a group starts past a vec4 boundary, (4 - padding % 4) % 4.
override STRIDE_W: u32 = 1u;
override DILATION_W: u32 = 1u;
override LEAD_W: u32 = 0u;

// The most cells (four vec4s) a group's windows span, counted from the vec4 boundary before
// the first: ROW_VECTOR_CELLS in src/pipelines.rs (the host takes these kernels only where
// they fit).
const ROW_CELLS: u32 = 16u;

// row_taps of row_cells.wgsl, from whole vec4s.
fn row_taps(row: u32, w0: vec4<i32>) -> array<vec4<f32>, ROW_TAPS> {
    // Cell `LEAD_W` of the span is the first window's first tap; the span starts on a vec4,
    // as does `row`. (max(KERNEL_W, 1) - 1: the unset default 0 must not wrap.)
    let first = w0.x - i32(LEAD_W);
    let last_cell = LEAD_W + 3u * STRIDE_W + (max(KERNEL_W, 1u) - 1u) * DILATION_W;
    let last_in_row = i32(params.in_w) - 4;
    var cells: array<f32, ROW_CELLS>;
    for (var v = 0u; v <= last_cell / 4u; v++) {
        // A vec4 left or right of the row holds only taps outside the input, which the callers
        // discard: any vec4 of the row stands in for it.
        let at = clamp(first + 4 * i32(v), 0, last_in_row);
        let four = vec4<f32>(input[(row + u32(at)) / 4u]);
        cells[4u * v] = four.x;
        cells[4u * v + 1u] = four.y;
        cells[4u * v + 2u] = four.z;
        cells[4u * v + 3u] = four.w;
    }
    var taps: array<vec4<f32>, ROW_TAPS>;
    for (var kw = 0u; kw < KERNEL_W; kw++) {
        let cell = LEAD_W + kw * DILATION_W;
        taps[kw] = vec4<f32>(
            cells[cell],
            cells[cell + STRIDE_W],
            cells[cell + 2u * STRIDE_W],
            cells[cell + 3u * STRIDE_W],
        );
    }
    return taps;
}
