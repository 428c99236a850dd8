// fractional_max_pool2d/3d: one invocation per output element, or (the `_rows` entry points,
// for kernel widths compiled in and rows of four outputs or more) per four neighbouring outputs
// of a row, which share the output coordinates and the window's rows. CPU twin:
// src/cpu/fractional_max_pool.rs.
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

// The maxima of the four windows of row group c (the host counts out_w in groups of four).
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows(@builtin(global_invocation_id) gid: vec3<u32>,
                            @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    let best = window_max_row(c, group);
    for (var lane = 0u; lane < group.count; lane++) {
        output[group.first + lane] = to_element(best.value[lane]);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    let best = window_max_row(c, group);
    for (var lane = 0u; lane < group.count; lane++) {
        output[group.first + lane] = to_element(best.value[lane]);
        indices[group.first + lane] = vec2<u32>(u32(best.index[lane]), 0u);
    }
}
