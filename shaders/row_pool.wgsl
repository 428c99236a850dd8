// max_pool and avg_pool on contiguous tensors whose kernel width is compiled in (KERNEL_W), and
// adaptive pooling whose windows tile the input exactly: one invocation per four neighbouring
// outputs of a row. They share the output coordinates, the window's rows and their bounds
// checks. The host counts out_w in groups of four (the last group of a row may hold fewer), so
// output_coord gives the group (its first output's w is 4 * c.w).
// This file holds the window walks. Before it comes the input's loader, row_cells.wgsl or
// row_vectors.wgsl (`row_taps`); after it the entry points and output bindings, rows_whole.wgsl
// (rows in fours: vec4 stores) or rows_tail.wgsl (lane-by-lane stores). CPU twins: src/cpu/max_pool.rs, src/cpu/avg_pool.rs and
// src/cpu/adaptive_pool.rs.

// The window starts along W of the four outputs of group `c.w`.
fn lane_starts(c: vec4<u32>) -> vec4<i32> {
    let first = i32(4u * c.w * params.s_w) - i32(params.p_w);
    return vec4<i32>(first) + vec4<i32>(0, 1, 2, 3) * i32(params.s_w);
}

fn first_tap_lanes(start: vec4<i32>, dil: u32) -> vec4<i32> {
    let skip = (vec4<u32>(-start) - vec4<u32>(1u)) / vec4<u32>(dil) + vec4<u32>(1u);
    return select(start, start + vec4<i32>(skip * dil), start < vec4<i32>(0));
}

fn window_max_row(c: vec4<u32>) -> MaxLanes {
    let d0 = i32(c.y * params.s_d) - i32(params.p_d);
    let h0 = i32(c.z * params.s_h) - i32(params.p_h);
    let w0 = lane_starts(c);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    var best = vec4<f32>(bitcast<f32>(NEG_INF_BITS));
    var best_index = vec4<i32>(plane_offset(
        first_tap(d0, params.dil_d),
        first_tap(h0, params.dil_h),
        0,
    )) + first_tap_lanes(w0, params.dil_w);
    let td = tap_range(d0, KERNEL_D, params.k_d, params.dil_d, params.in_d);
    let th = tap_range(h0, KERNEL_H, params.k_h, params.dil_h, params.in_h);
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
            let row_start = plane_offset(d, h, 0);
            let taps = row_taps(base + u32(row_start), w0);
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let w = w0 + vec4<i32>(i32(kw * params.dil_w));
                let inside = lanes_in_range(w);
                let v = taps[kw];
                // Per lane: NaN wins (the last NaN), otherwise strictly greater.
                let take = inside & (lanes_nan(v) | (!lanes_nan(best) & (v > best)));
                best = select(best, v, take);
                best_index = select(best_index, vec4<i32>(row_start) + w, take);
            }
        }
    }
    return MaxLanes(best, best_index);
}

fn window_avg_row(c: vec4<u32>) -> vec4<f32> {
    let sd = window_span(c.y, params.k_d, params.s_d, params.p_d, params.in_d);
    let sh = window_span(c.z, params.k_h, params.s_h, params.p_h, params.in_h);
    // window_span along W, per lane.
    let w0 = lane_starts(c);
    let w_end = min(w0 + vec4<i32>(i32(params.k_w)), vec4<i32>(i32(params.in_w + params.p_w)));
    let cells_w = min(w_end, vec4<i32>(i32(params.in_w))) - max(w0, vec4<i32>(0));
    let padded_w = w_end - w0;
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // Each lane sums avg_pool's cells in avg_pool's order. Cells outside the input add +0.0,
    // which changes no sum: one that starts at +0.0 never becomes -0.0.
    let td = tap_range(sd.start, KERNEL_D, params.k_d, 1u, params.in_d);
    let th = tap_range(sh.start, KERNEL_H, params.k_h, 1u, params.in_h);
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
            let taps = row_taps(base + u32(plane_offset(d, h, 0)), w0);
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let inside = lanes_in_range(w0 + vec4<i32>(i32(kw)));
                sum += select(vec4<f32>(0.0), taps[kw], inside);
            }
        }
    }
    if ((params.flags & FLAG_SUCCESSIVE_DIVISION) != 0u) {
        // Adaptive pooling over exact tiles: the depth, then the height, then the width.
        return sum / f32(sd.cells) / f32(sh.cells) / vec4<f32>(cells_w);
    }
    var divisor: vec4<f32>;
    if ((params.flags & FLAG_DIVISOR_OVERRIDE) != 0u) {
        divisor = vec4<f32>(params.divisor);
    } else if ((params.flags & FLAG_COUNT_INCLUDE_PAD) != 0u) {
        divisor = vec4<f32>(vec4<i32>(sd.padded_size * sh.padded_size) * padded_w);
    } else {
        divisor = vec4<f32>(vec4<i32>(sd.cells * sh.cells) * cells_w);
    }
    return sum / divisor;
}
