// fractional_max_pool2d/3d, one invocation per output element (fractional_rows.wgsl has the
// kernels for four neighbouring outputs of a row). CPU twin: src/cpu/fractional_max_pool.rs.
//
// The pseudo-random windows are computed on the host (src/ops/fractional_max_pool/plan.rs),
// which also checks that every window lies inside the input; this shader only takes the max.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
// Window starts, per plane: out_d starts along D, then out_h along H, then out_w along W.
@group(0) @binding(2) var<storage, read> starts: array<u32>;
@group(0) @binding(3) var<storage, read_write> output: array<Element>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(4) var<storage, read_write> indices: array<vec2<u32>>;

struct MaxResult {
    value: f32,
    index: i32,
}

fn window_max(i: u32) -> MaxResult {
    let c = output_coord(i);
    let row = c.x * (params.out_d + params.out_h + params.out_w);
    let d0 = i32(starts[row + c.y]);
    let h0 = i32(starts[row + params.out_d + c.z]);
    let w0 = i32(starts[row + params.out_d + params.out_h + c.w]);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // Window sizes: the pipeline's KERNEL_* constants when specialised (unrolled loops).
    let kd = select(params.k_d, KERNEL_D, KERNEL_D != 0u);
    let kh = select(params.k_h, KERNEL_H, KERNEL_H != 0u);
    let kw = select(params.k_w, KERNEL_W, KERNEL_W != 0u);

    var best = bitcast<f32>(NEG_INF_BITS);
    var best_index = plane_offset(d0, h0, w0);
    for (var td = 0u; td < kd; td++) {
        for (var th = 0u; th < kh; th++) {
            for (var tw = 0u; tw < kw; tw++) {
                let at = plane_offset(d0 + i32(td), h0 + i32(th), w0 + i32(tw));
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
fn fractional_max_pool(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    output[i] = to_element(window_max(i).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                    @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let best = window_max(i);
    output[i] = to_element(best.value);
    // Windows lie inside the plane, so the index is never negative: the high word is 0.
    indices[i] = vec2<u32>(u32(best.index), 0u);
}
