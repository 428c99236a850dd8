// lp_pool1d/2d/3d for kernel widths compiled in and rows of four outputs or more: one invocation
// per four neighbouring outputs of a row, which share the output coordinates and the window's
// rows. Before it come the input's loader (row_cells.wgsl or row_vectors.wgsl, `row_taps`) and
// lp_math.wgsl. CPU twin: src/cpu/lp_pool.rs.

@group(0) @binding(2) var<storage, read_write> output: array<Element>;

// The starts along W of the four lanes of group c (LP pooling has no padding).
fn lane_starts(c: vec4<u32>) -> vec4<i32> {
    return vec4<i32>((vec4<u32>(4u * c.w) + vec4<u32>(0u, 1u, 2u, 3u)) * params.s_w);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lp_pool_rows(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    let sd = span(c.y, params.k_d, params.s_d, params.in_d);
    let sh = span(c.z, params.k_h, params.s_h, params.in_h);
    let starts = lane_starts(c);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // Each lane sums lp_pool's cells in lp_pool's order.
    let td = tap_range(sd.start, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(sh.start, KERNEL_H, params.k_h, 1u, params.in_h);
    var sums = vec4<f32>(0.0);
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
            let taps = row_taps(base + u32(plane_offset(d, h, 0)), starts);
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let inside = lanes_in_range(starts + vec4<i32>(i32(kw)));
                let x = taps[kw];
                let p = params.norm_type;
                let powers = vec4<f32>(
                    torch_pow(x.x, p, POWER_SPEC),
                    torch_pow(x.y, p, POWER_SPEC),
                    torch_pow(x.z, p, POWER_SPEC),
                    torch_pow(x.w, p, POWER_SPEC),
                );
                // Cells outside the input add +0.0, which changes no sum that starts at +0.0.
                sums += select(vec4<f32>(0.0), powers, inside);
            }
        }
    }
    let volume = f32(params.k_d) * f32(params.k_h) * f32(params.k_w);
    let first = vec4<u32>(starts);
    let cells_w = min(first + vec4<u32>(params.k_w), vec4<u32>(params.in_w)) - first;
    for (var lane = 0u; lane < group.count; lane++) {
        let average = sums[lane] / f32(sd.cells * sh.cells * cells_w[lane]);
        let cleaned = select(average, 0.0, magnitude_bits(average) == 0u);
        output[group.first + lane] =
            to_element(torch_pow(cleaned * volume, root_exponent(params.norm_type), ROOT_SPEC));
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lp_pool_inf_norm_rows(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    let d0 = i32(c.y * params.s_d);
    let h0 = i32(c.z * params.s_h);
    let base = c.x * params.in_d * params.in_h * params.in_w;
    let negate = select(0u, SIGN_BIT, (params.flags & LP_MIN_NORM) != 0u);
    let starts = lane_starts(c);

    var best = vec4<f32>(bitcast<f32>(NEG_INF_BITS));
    let td = tap_range(d0, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(h0, KERNEL_H, params.k_h, 1u, params.in_h);
    for (var kd = td.begin; kd < td.end; kd++) {
        let d = d0 + i32(kd);
        if (!in_range(d, params.in_d)) {
            continue;
        }
        for (var kh = th.begin; kh < th.end; kh++) {
            let h = h0 + i32(kh);
            if (!in_range(h, params.in_h)) {
                continue;
            }
            let taps = row_taps(base + u32(plane_offset(d, h, 0)), starts);
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let inside = lanes_in_range(starts + vec4<i32>(i32(kw)));
                let x = taps[kw];
                let v = bitcast<vec4<f32>>((bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu))
                    | vec4<u32>(negate));
                // Per lane, the max rule: NaN wins (the last NaN), otherwise strictly greater.
                let take = inside & (lanes_nan(v) | (!lanes_nan(best) & (v > best)));
                best = select(best, v, take);
            }
        }
    }
    for (var lane = 0u; lane < group.count; lane++) {
        output[group.first + lane] = to_element(bitcast<f32>(bitcast<u32>(best[lane]) ^ negate));
    }
}
