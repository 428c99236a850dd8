// The row kernels' input, read several cells at a time: ROW_VECTOR cells (a `RowVector`) per
// load, set by the file placed before this one (row_vector4.wgsl for input rows whose length is
// a multiple of four, row_vector2.wgsl for other even lengths), so every row starts on a vector.
// The vectors holding the four windows of a group are loaded whole and each tap picked from
// them at a position the compiler knows. Against four scattered loads per tap (row_cells.wgsl,
// its twin), lavapipe ran the stem's 3x3 max pool in 7.2-9.0 ms instead of 9.5-15.9 with vec4s,
// and the 2x2 pools on 14x14 rows in 0.73 ms instead of 0.84-0.86 with vec2s (alternating runs).
// Placed before row_pool.wgsl or lp_rows.wgsl.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<RowVector>;

// Set by the host (`row_loads` in src/ops/sliding.rs): the stride and dilation along W, and
// how far the first window of a group starts past a vector boundary,
// (ROW_VECTOR - padding % ROW_VECTOR) % ROW_VECTOR.
override STRIDE_W: u32 = 1u;
override DILATION_W: u32 = 1u;
override LEAD_W: u32 = 0u;

// The most cells a group's windows span, counted from the vector boundary before the first:
// ROW_VECTOR_CELLS in src/pipelines.rs (the host takes these kernels only where they fit).
const ROW_CELLS: u32 = 16u;

// row_taps of row_cells.wgsl, from whole vectors.
fn row_taps(row: u32, w0: vec4<i32>) -> array<vec4<f32>, ROW_TAPS> {
    // Cell `LEAD_W` of the span is the first window's first tap; the span starts on a vector,
    // as does `row`. (max(KERNEL_W, 1) - 1: the unset default 0 must not wrap.)
    let first = w0.x - i32(LEAD_W);
    let last_cell = LEAD_W + 3u * STRIDE_W + (max(KERNEL_W, 1u) - 1u) * DILATION_W;
    let last_in_row = i32(params.in_w) - i32(ROW_VECTOR);
    var cells: array<f32, ROW_CELLS>;
    for (var v = 0u; v <= last_cell / ROW_VECTOR; v++) {
        // A vector left or right of the row holds only taps outside the input, which the
        // callers discard: any vector of the row stands in for it.
        let at = clamp(first + i32(ROW_VECTOR * v), 0, last_in_row);
        let loaded = input[(row + u32(at)) / ROW_VECTOR];
        for (var cell = 0u; cell < ROW_VECTOR; cell++) {
            cells[ROW_VECTOR * v + cell] = f32(loaded[cell]);
        }
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
