// lp_pool1d/2d/3d, one invocation per output element (lp_rows.wgsl holds the row kernels).
// lp_math.wgsl comes before it. CPU twin: src/cpu/lp_pool.rs.
//
// PyTorch's composite, step by step: y = pow(Kprod * avg_pool(pow(x, p)), 1/p) with no padding,
// the average dividing by the window clipped to the input; p = +inf is max_pool(|x|) and
// p = -inf is -max_pool(-|x|).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
@group(0) @binding(2) var<storage, read_write> output: array<Element>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lp_pool(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let c = output_coord(i);
    let sd = span(c.y, params.k_d, params.s_d, params.in_d);
    let sh = span(c.z, params.k_h, params.s_h, params.in_h);
    let sw = span(c.w, params.k_w, params.s_w, params.in_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // x^p summed in f32, row-major, then one division by the clipped window size: avg_pool
    // with padding 0, in PyTorch's CPU order.
    let td = tap_range(sd.start, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(sh.start, KERNEL_H, params.k_h, 1u, params.in_h);
    let tw = tap_range(sw.start, KERNEL_W, params.k_w, 1u, params.in_w);
    var sum = 0.0;
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
                    let x = f32(input[base + u32(plane_offset(d, h, w))]);
                    sum += torch_pow(x, params.norm_type, POWER_SPEC);
                }
            }
        }
    }
    let average = sum / f32(sd.cells * sh.cells * sw.cells);
    // sign(a) * relu(|a|) is the identity except that it turns -0 into +0.
    let cleaned = select(average, 0.0, magnitude_bits(average) == 0u);
    // Kprod, the full kernel volume: partial ceil windows are rescaled by Kprod / k_eff.
    let volume = f32(params.k_d) * f32(params.k_h) * f32(params.k_w);
    let root = torch_pow(cleaned * volume, root_exponent(params.norm_type), ROOT_SPEC);
    output[i] = to_element(root);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lp_pool_inf_norm(@builtin(global_invocation_id) gid: vec3<u32>,
                    @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let c = output_coord(i);
    let d0 = i32(c.y * params.s_d);
    let h0 = i32(c.z * params.s_h);
    let w0 = i32(c.w * params.s_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;
    // p = -inf pools -|x| and negates the maximum: both are sign-bit operations, so the result
    // is bit for bit PyTorch's (NaN payloads included).
    let negate = select(0u, SIGN_BIT, (params.flags & LP_MIN_NORM) != 0u);

    var best = bitcast<f32>(NEG_INF_BITS);
    let td = tap_range(d0, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(h0, KERNEL_H, params.k_h, 1u, params.in_h);
    let tw = tap_range(w0, KERNEL_W, params.k_w, 1u, params.in_w);
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
            for (var kw = tw.begin; kw < tw.end; kw++) {
                let w = w0 + i32(kw);
                if (!in_range(w, params.in_w)) {
                    continue;
                }
                let x = f32(input[base + u32(plane_offset(d, h, w))]);
                let v = bitcast<f32>(magnitude_bits(x) | negate);
                // The max rule: NaN wins (the last NaN), otherwise strictly greater.
                if (is_nan(v) || (!is_nan(best) && v > best)) {
                    best = v;
                }
            }
        }
    }
    output[i] = to_element(bitcast<f32>(bitcast<u32>(best) ^ negate));
}
