// max_pool1d/2d/3d: one invocation per output element. CPU twin: src/cpu/max_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(3) var<storage, read_write> indices: array<vec2<u32>>;

// In-bounds taps of one window along one dim: first tap and exclusive end.
struct Taps {
    first: i32,
    end: i32,
}

fn taps(o: u32, k: u32, s: u32, p: u32, dil: u32, len: u32) -> Taps {
    var first = i32(o * s) - i32(p);
    let end = min(first + i32((k - 1u) * dil) + 1, i32(len));
    if (first < 0) {
        // First in-bounds tap, not max(first, 0): taps sit on the dilation grid.
        let step = i32(dil);
        first += ((-first + step - 1) / step) * step;
    }
    return Taps(first, end);
}

struct MaxResult {
    value: f32,
    index: i32,
}

fn window_max(i: u32) -> MaxResult {
    let c = output_coord(i);
    let td = taps(c.y, params.k_d, params.s_d, params.p_d, params.dil_d, params.in_d);
    let th = taps(c.z, params.k_h, params.s_h, params.p_h, params.dil_h, params.in_h);
    let tw = taps(c.w, params.k_w, params.s_w, params.p_w, params.dil_w, params.in_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // An empty window (dilation with padding) keeps -inf and the index of its first tap,
    // which may lie outside the plane: PyTorch does the same.
    var best = bitcast<f32>(NEG_INF_BITS);
    var best_index = plane_offset(td.first, th.first, tw.first);
    for (var d = td.first; d < td.end; d += i32(params.dil_d)) {
        for (var h = th.first; h < th.end; h += i32(params.dil_h)) {
            for (var w = tw.first; w < tw.end; w += i32(params.dil_w)) {
                let at = plane_offset(d, h, w);
                let v = input[base + u32(at)];
                // NaN wins (the last NaN), otherwise strictly greater: the first tie wins.
                if (is_nan(v) || (!is_nan(best) && v > best)) {
                    best = v;
                    best_index = at;
                }
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
    output[i] = window_max(i).value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let best = window_max(i);
    output[i] = best.value;
    indices[i] = vec2<u32>(u32(best.index), select(0u, 0xffffffffu, best.index < 0));
}
