// fractional_max_pool2d/3d for kernel widths compiled in and rows of four outputs or more: one
// invocation per four neighbouring outputs of a row, which share the output coordinates and the
// window's rows. The host counts out_w in groups of four (the last group of a row may hold
// fewer). Followed by fractional_rows_whole.wgsl or fractional_rows_tail.wgsl, which store the
// results; fractional_max_pool.wgsl is the one-output twin, whose comments hold for these.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
// Window starts, per plane: out_d starts along D, then out_h along H, then out_w along W.
@group(0) @binding(2) var<storage, read> starts: array<u32>;

// The maxima of the four windows of row group c.
fn window_max_row(c: vec4<u32>, group: Group) -> MaxLanes {
    let row = c.x * (params.out_d + params.out_h + params.row_width);
    let d0 = i32(starts[row + c.y]);
    let h0 = i32(starts[row + params.out_d + c.z]);
    // Lanes past the row's end repeat its last window; their results are not stored.
    let first_w = row + params.out_d + params.out_h + 4u * c.w;
    let last = group.count - 1u;
    let w0 = vec4<i32>(vec4<u32>(
        starts[first_w],
        starts[first_w + min(1u, last)],
        starts[first_w + min(2u, last)],
        starts[first_w + min(3u, last)],
    ));
    let base = c.x * params.in_d * params.in_h * params.in_w;
    let kd = select(params.k_d, KERNEL_D, KERNEL_D != 0u);
    let kh = select(params.k_h, KERNEL_H, KERNEL_H != 0u);

    var best = vec4<f32>(bitcast<f32>(NEG_INF_BITS));
    var best_index = vec4<i32>(plane_offset(d0, h0, 0)) + w0;
    for (var td = 0u; td < kd; td++) {
        for (var th = 0u; th < kh; th++) {
            let row_start = plane_offset(d0 + i32(td), h0 + i32(th), 0);
            let cells = vec4<u32>(w0 + vec4<i32>(row_start)) + vec4<u32>(base);
            for (var tw = 0u; tw < KERNEL_W; tw++) {
                let at = cells + vec4<u32>(tw);
                let taps = vec4<Element>(input[at.x], input[at.y], input[at.z], input[at.w]);
                let v = vec4<f32>(taps);
                // Per lane: NaN wins (the last NaN), otherwise strictly greater.
                let take = lanes_nan(v) | (!lanes_nan(best) & (v > best));
                best = select(best, v, take);
                best_index = select(best_index, w0 + vec4<i32>(row_start + i32(tw)), take);
            }
        }
    }
    return MaxLanes(best, best_index);
}
