// max_unpool1d/2d/3d as one gather, for indices that each lie inside their own pooling window,
// as max pooling's do: max_unpool_check.wgsl has found that they do (else the GPU runs the
// board passes instead). One invocation per four neighbouring outputs in each of ROWS rows
// looks for their cells' indices among the few windows covering them: no board, no clear, no
// atomics, and the output is written once. CPU twin: src/cpu/max_unpool.rs.
//
// Params, as for the row kernels: `total` counts invocations, in_*, out_* and p_* are the
// sizes and the padding lifted to (D, H, W), out_w and div_w count groups of four, row_width is
// the output row's length, and div_h divides by the output's rows in ROWS (the last may hold
// one); KERNEL_*, STRIDE_* and ROWS are compiled in.

@group(0) @binding(0) var<uniform> params: Params;
// int64 indices as (low, high) words.
@group(0) @binding(1) var<storage, read> indices: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> input: array<Element>;
// Rows in fours: one vec4 per group.
@group(0) @binding(3) var<storage, read_write> output_rows: array<vec4<Element>>;
@group(0) @binding(3) var<storage, read_write> output: array<Element>;

// The stride per dim, compiled in like the kernel (KERNEL_* in common.wgsl): the divisions by
// it become multiplications, and the loops over the windows that may cover an output have
// constant trip counts.
override STRIDE_D: u32 = 1u;
override STRIDE_H: u32 = 1u;
override STRIDE_W: u32 = 1u;
// Output rows per invocation: 2 where the output has two rows or more, 1 else. A pair of rows
// shares the windows that cover both (the stem's: 2 window rows for two output rows, where one
// output row needs 1 or 2), and lavapipe gathers each candidate's loads lane by lane.
override ROWS: u32 = 1u;
// The most windows covering one cell along D, any of ROWS neighbouring cells along H, and any
// of four neighbouring cells along W.
override WINDOWS_D: u32 = (KERNEL_D + STRIDE_D - 1u) / STRIDE_D;
override WINDOWS_H: u32 = (KERNEL_H + ROWS - 1u + STRIDE_H - 1u) / STRIDE_H;
override WINDOWS_W: u32 = (KERNEL_W + 3u + STRIDE_W - 1u) / STRIDE_W;

// The windows [first, last] along one dim that cover some cell of [lo, hi] (none: first >
// last); window i covers the cells i * s - p to i * s - p + k - 1.
fn windows_over(lo: u32, hi: u32, k: u32, s: u32, p: u32, len: u32) -> vec2<u32> {
    let reach = i32(lo + p) - i32(k) + 1;
    let first = select(0u, (u32(reach) + s - 1u) / s, reach > 0);
    return vec2<u32>(first, min((hi + p) / s, len - 1u));
}

// Where an invocation works: (plane, d, the first of its rows, its group of four along W).
fn invocation_coord(g: u32) -> vec4<u32> {
    let rest_h = divide_index(g, div_w());
    let rest_d = divide_index(rest_h, div_h());
    let plane = divide_index(rest_d, div_d());
    return vec4<u32>(plane, rest_d - plane * params.out_d,
                     ROWS * (rest_h - rest_d * div_h().d), g - rest_h * params.out_w);
}

// The four outputs of group c.w in row c.z and, with ROWS = 2, in the row below.
struct RowPair {
    first: vec4<f32>,
    second: vec4<f32>,
}

// The outputs at c: each the value of the last window, in row-major order, whose index names
// the output's cell (PyTorch's serial loop: the largest input position wins), or zero. A window
// can only name cells it covers, so no other window need be looked at. Every candidate is
// loaded (clamped into the input) and those past `last` are masked: no branches.
fn gather_windows(c: vec4<u32>) -> RowPair {
    let w0 = 4u * c.w;
    let lanes = min(4u, params.row_width - w0);
    let d = windows_over(c.y, c.y, KERNEL_D, STRIDE_D, params.p_d, params.in_d);
    let h = windows_over(c.z, min(c.z + ROWS - 1u, params.out_h - 1u), KERNEL_H, STRIDE_H,
                         params.p_h, params.in_h);
    let w = windows_over(w0, w0 + lanes - 1u, KERNEL_W, STRIDE_W, params.p_w, params.in_w);
    // The lanes' cells as the indices name them: plane-flat.
    let cells = vec4<u32>((c.y * params.out_h + c.z) * params.row_width + w0)
        + vec4<u32>(0u, 1u, 2u, 3u);
    let cells_below = cells + params.row_width;
    let plane = c.x * params.in_d * params.in_h * params.in_w;
    var value = RowPair(vec4<f32>(0.0), vec4<f32>(0.0));
    for (var td = 0u; td < WINDOWS_D; td++) {
        let a = d.x + td;
        for (var th = 0u; th < WINDOWS_H; th++) {
            let b = h.x + th;
            let live_row = a <= d.y && b <= h.y;
            let row = plane + (min(a, d.y) * params.in_h + min(b, h.y)) * params.in_w;
            for (var tw = 0u; tw < WINDOWS_W; tw++) {
                let i = w.x + tw;
                let e = row + min(i, w.y);
                // The low word alone: every index is inside its window, so valid.
                let index = vec4<u32>(indices[e].x);
                let live = vec4<bool>(live_row && i <= w.y);
                let candidate = vec4<f32>(f32(input[e]));
                value.first = select(value.first, candidate, (index == cells) & live);
                if (ROWS == 2u) {
                    value.second = select(value.second, candidate, (index == cells_below) & live);
                }
            }
        }
    }
    return value;
}

// Whether the invocation at c has a second row to write.
fn has_row_below(c: vec4<u32>) -> bool {
    return ROWS == 2u && c.z + 1u < params.out_h;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_windows(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(num_workgroups) workgroups: vec3<u32>) {
    let g = invocation_index(gid, workgroups);
    if (g >= params.total) {
        return;
    }
    let c = invocation_coord(g);
    // Rows in fours: every group starts on a vec4.
    let first = group_of(c).first / 4u;
    let values = gather_windows(c);
    output_rows[first] = to_element4(values.first);
    if (has_row_below(c)) {
        output_rows[first + params.out_w] = to_element4(values.second);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_windows_tail(@builtin(global_invocation_id) gid: vec3<u32>,
                           @builtin(num_workgroups) workgroups: vec3<u32>) {
    let g = invocation_index(gid, workgroups);
    if (g >= params.total) {
        return;
    }
    let c = invocation_coord(g);
    let group = group_of(c);
    let values = gather_windows(c);
    for (var lane = 0u; lane < group.count; lane++) {
        output[group.first + lane] = to_element(values.first[lane]);
    }
    if (has_row_below(c)) {
        for (var lane = 0u; lane < group.count; lane++) {
            output[group.first + params.row_width + lane] = to_element(values.second[lane]);
        }
    }
}
