// The row kernels' input, read cell by cell: four scattered loads per tap, for rows of any
// length. Placed before row_pool.wgsl or lp_rows.wgsl; row_vectors.wgsl is its twin for rows
// whose length is a multiple of four.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;

// The cells under the KERNEL_W taps of the four windows of a group, whose starts along W are
// `w0`, in the input row starting at `row`: taps[kw] holds tap kw of each window. Taps outside
// the input read the row's first cell instead (the callers discard them).
fn row_taps(row: u32, w0: vec4<i32>) -> array<vec4<f32>, ROW_TAPS> {
    var taps: array<vec4<f32>, ROW_TAPS>;
    for (var kw = 0u; kw < KERNEL_W; kw++) {
        let w = w0 + vec4<i32>(i32(kw * params.dil_w));
        let at = vec4<u32>(select(vec4<i32>(0), w, lanes_in_range(w))) + vec4<u32>(row);
        taps[kw] = vec4<f32>(vec4<Element>(input[at.x], input[at.y], input[at.z], input[at.w]));
    }
    return taps;
}
