// avg_pool1d/2d/3d, and adaptive_avg_pool*d whose windows tile the input exactly, where
// row_pool.wgsl does not apply (kernel widths over 8, output rows under 4): one invocation per
// output element. CPU twins: src/cpu/avg_pool.rs, src/cpu/adaptive_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
@group(0) @binding(2) var<storage, read_write> output: array<Element>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>,
            @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let c = output_coord(i);
    let sd = window_span(c.y, params.k_d, params.s_d, params.p_d, params.in_d);
    let sh = window_span(c.z, params.k_h, params.s_h, params.p_h, params.in_h);
    let sw = window_span(c.w, params.k_w, params.s_w, params.p_w, params.in_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // Sequential row-major f32 sum over the input cells, then one division: bit-for-bit
    // PyTorch's CPU order.
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
                    sum += f32(input[base + u32(plane_offset(d, h, w))]);
                }
            }
        }
    }
    if ((params.flags & FLAG_SUCCESSIVE_DIVISION) != 0u) {
        // Adaptive pooling's order: the depth, then the height, then the width.
        output[i] = to_element(sum / f32(sd.cells) / f32(sh.cells) / f32(sw.cells));
        return;
    }
    output[i] = to_element(sum / avg_divisor(sd, sh, sw));
}
