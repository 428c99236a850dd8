// max_pool and avg_pool (and adaptive pooling over exact tiles) on channels-last tensors
// (N, *spatial, C) with C a multiple of 4: one invocation per output position and group of four
// channels, reading vec4s along the channels (neighbouring invocations read neighbouring 16
// bytes). The window walks are max_pool.wgsl's and avg_pool.wgsl's with four lanes in place of
// one: WGSL has no generics. CPU twins: src/cpu/max_pool.rs, src/cpu/avg_pool.rs and
// src/cpu/adaptive_pool.rs, on the contiguous tensor.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<vec4<Element>>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4<Element>>;
// Four int64 indices per output vec4, as (low, high) word pairs, two per vec4<u32>.
@group(0) @binding(3) var<storage, read_write> indices: array<vec4<u32>>;

fn div_c() -> Divisor {
    return Divisor(params.div_c_m, params.div_c_l, params.div_c_d, params.div_c_r);
}

// Output vec4 j: its group of channels and its output position (n, d, h, w).
struct Lanes {
    group: u32,
    position: vec4<u32>,
}

fn lanes_of(j: u32) -> Lanes {
    let position = divide_index(j, div_c());
    return Lanes(j - position * params.channel_groups, output_coord(position));
}

// The four channels of `group` at plane offset `at` of batch n.
fn input_lanes(n: u32, at: i32, group: u32) -> vec4<f32> {
    let cell = n * params.in_d * params.in_h * params.in_w + u32(at);
    return vec4<f32>(input[cell * params.channel_groups + group]);
}

fn window_max_lanes(j: u32) -> MaxLanes {
    let lanes = lanes_of(j);
    let c = lanes.position;
    let d0 = i32(c.y * params.s_d) - i32(params.p_d);
    let h0 = i32(c.z * params.s_h) - i32(params.p_h);
    let w0 = i32(c.w * params.s_w) - i32(params.p_w);

    var best = vec4<f32>(bitcast<f32>(NEG_INF_BITS));
    var best_index = vec4<i32>(plane_offset(
        first_tap(d0, params.dil_d),
        first_tap(h0, params.dil_h),
        first_tap(w0, params.dil_w),
    ));
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
                let v = input_lanes(c.x, at, lanes.group);
                // Per lane: NaN wins (the last NaN), otherwise strictly greater.
                let take = lanes_nan(v) | (!lanes_nan(best) & (v > best));
                best = select(best, v, take);
                best_index = select(best_index, vec4<i32>(at), take);
            }
        }
    }
    return MaxLanes(best, best_index);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool_channels_last(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    output[j] = to_element4(window_max_lanes(j).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool_channels_last_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                       @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let best = window_max_lanes(j);
    output[j] = to_element4(best.value);
    let words = int64_lanes(best.index);
    indices[2u * j] = words[0];
    indices[2u * j + 1u] = words[1];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool_channels_last(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let lanes = lanes_of(j);
    let c = lanes.position;
    let sd = window_span(c.y, params.k_d, params.s_d, params.p_d, params.in_d);
    let sh = window_span(c.z, params.k_h, params.s_h, params.p_h, params.in_h);
    let sw = window_span(c.w, params.k_w, params.s_w, params.p_w, params.in_w);

    // Each lane sums in avg_pool's order, so the results are bit-for-bit the contiguous ones.
    let td = tap_range(sd.start, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(sh.start, KERNEL_H, params.k_h, 1u, params.in_h);
    let tw = tap_range(sw.start, KERNEL_W, params.k_w, 1u, params.in_w);
    var sum = vec4<f32>(0.0);
    for (var kd = td.begin; kd < td.end; kd++) {
        let d = sd.start + i32(kd);
        if (!in_range(d, params.in_d)) {
            continue;
        }
        for (var kh = th.begin; kh < th.end; kh++) {
            let h = sh.start + i32(kh);
            if (!in_range(h, params.in_h)) {
                continue;
            }
            for (var kw = tw.begin; kw < tw.end; kw++) {
                let w = sw.start + i32(kw);
                if (in_range(w, params.in_w)) {
                    sum += input_lanes(c.x, plane_offset(d, h, w), lanes.group);
                }
            }
        }
    }
    if ((params.flags & FLAG_SUCCESSIVE_DIVISION) != 0u) {
        // Adaptive pooling over exact tiles: the depth, then the height, then the width.
        output[j] = to_element4(sum / f32(sd.cells) / f32(sh.cells) / f32(sw.cells));
        return;
    }
    output[j] = to_element4(sum / avg_divisor(sd, sh, sw));
}
