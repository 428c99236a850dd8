// max_pool1d/2d/3d (and adaptive max pooling over exact tiles) where row_pool.wgsl does not
// apply (kernel widths over 8, output rows under 4): one invocation per output element. CPU
// twin: src/cpu/max_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
@group(0) @binding(2) var<storage, read_write> output: array<Element>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(3) var<storage, read_write> indices: array<vec2<u32>>;

struct MaxResult {
    value: f32,
    index: i32,
}

fn window_max(i: u32) -> MaxResult {
    let c = output_coord(i);
    let d0 = i32(c.y * params.s_d) - i32(params.p_d);
    let h0 = i32(c.z * params.s_h) - i32(params.p_h);
    let w0 = i32(c.w * params.s_w) - i32(params.p_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // An empty window (dilation with padding) keeps -inf and the index of its first tap,
    // which may lie outside the plane: PyTorch does the same.
    var best = bitcast<f32>(NEG_INF_BITS);
    var best_index = plane_offset(
        first_tap(d0, params.dil_d),
        first_tap(h0, params.dil_h),
        first_tap(w0, params.dil_w),
    );
    let td = tap_range(d0, KERNEL_D, params.k_d, params.dil_d, params.in_d);
    let th = tap_range(h0, KERNEL_H, params.k_h, params.dil_h, params.in_h);
    let tw = tap_range(w0, KERNEL_W, params.k_w, params.dil_w, params.in_w);
    for (var kd = td.begin; kd < td.end; kd++) {
        let d = d0 + i32(kd * params.dil_d);
        if (!in_range(d, params.in_d)) {
            continue;
        }
        for (var kh = th.begin; kh < th.end; kh++) {
            let h = h0 + i32(kh * params.dil_h);
            if (!in_range(h, params.in_h)) {
                continue;
            }
            for (var kw = tw.begin; kw < tw.end; kw++) {
                let w = w0 + i32(kw * params.dil_w);
                if (!in_range(w, params.in_w)) {
                    continue;
                }
                let at = plane_offset(d, h, w);
                let v = f32(input[base + u32(at)]);
                // NaN wins (the last NaN), otherwise strictly greater: the first tie wins.
                let take = is_nan(v) || (!is_nan(best) && v > best);
                best = select(best, v, take);
                best_index = select(best_index, at, take);
            }
        }
    }
    return MaxResult(best, best_index);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>,
            @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    output[i] = to_element(window_max(i).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let best = window_max(i);
    output[i] = to_element(best.value);
    indices[i] = vec2<u32>(u32(best.index), select(0u, 0xffffffffu, best.index < 0));
}
