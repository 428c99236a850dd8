// adaptive_avg_pool1d/2d/3d and adaptive_max_pool1d/2d/3d: one invocation per output element.
// CPU twin: src/cpu/adaptive_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(3) var<storage, read_write> indices: array<vec2<u32>>;

// floor(a * b / d) for a < d and b, d < 2^31, exact although a * b may pass 2^32. (m, l) is the
// host's `DivMagic` for d.
fn scaled_floor(a: u32, b: u32, d: u32, m: u32, l: u32) -> u32 {
    let lo = a * b;
    // Both factors short enough that the product is below 2^31: the common case, one multiply.
    if (countLeadingZeros(a) + countLeadingZeros(b) >= 33u) {
        return divide(lo, m, l);
    }
    let hi = mul_hi(a, b);
    if (hi == 0u) {
        return lo / d;
    }
    // Restoring division of the 64-bit hi:lo. The quotient is below b < 2^31, so hi < d, and
    // the remainder stays below d < 2^31: shifting it left cannot overflow.
    var rem = hi;
    var q = 0u;
    for (var bit = 32u; bit > 0u; bit--) {
        rem = (rem << 1u) | ((lo >> (bit - 1u)) & 1u);
        q = q << 1u;
        if (rem >= d) {
            rem -= d;
            q |= 1u;
        }
    }
    return q;
}

// The window of output o along a dim of `len` inputs pooled to `out` outputs:
// [floor(o*len/out), ceil((o+1)*len/out)). The end is written as len - floor((out-1-o)*len/out),
// the same value, so both bounds take the one exact helper.
struct Span {
    start: u32,
    end: u32,
}

fn adaptive_span(o: u32, len: u32, out: u32, m: u32, l: u32) -> Span {
    return Span(scaled_floor(o, len, out, m, l), len - scaled_floor(out - 1u - o, len, out, m, l));
}

// The windows of output element i along D, H and W, and the offset of its input plane.
struct Window {
    d: Span,
    h: Span,
    w: Span,
    base: u32,
}

fn window(i: u32) -> Window {
    let c = output_coord(i);
    return Window(
        adaptive_span(c.y, params.in_d, params.out_d, params.div_d_m, params.div_d_l),
        adaptive_span(c.z, params.in_h, params.out_h, params.div_h_m, params.div_h_l),
        adaptive_span(c.w, params.in_w, params.out_w, params.div_w_m, params.div_w_l),
        c.x * params.in_d * params.in_h * params.in_w,
    );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let win = window(i);
    // Sequential row-major f32 sum, then successive divisions by the extents: bit-for-bit
    // PyTorch's CPU order (1d and 2d divide by extra 1s, which is exact).
    var sum = 0.0;
    for (var d = win.d.start; d < win.d.end; d++) {
        for (var h = win.h.start; h < win.h.end; h++) {
            let row = win.base + (d * params.in_h + h) * params.in_w;
            for (var w = win.w.start; w < win.w.end; w++) {
                sum += input[row + w];
            }
        }
    }
    output[i] = sum / f32(win.d.end - win.d.start) / f32(win.h.end - win.h.start)
        / f32(win.w.end - win.w.start);
}

struct MaxResult {
    value: f32,
    index: u32,
}

fn window_max(i: u32) -> MaxResult {
    let win = window(i);
    // Windows are never empty; an all -inf window keeps -inf and the index of its first cell.
    var best = bitcast<f32>(NEG_INF_BITS);
    var best_index = (win.d.start * params.in_h + win.h.start) * params.in_w + win.w.start;
    for (var d = win.d.start; d < win.d.end; d++) {
        for (var h = win.h.start; h < win.h.end; h++) {
            let row = (d * params.in_h + h) * params.in_w;
            for (var w = win.w.start; w < win.w.end; w++) {
                let v = input[win.base + row + w];
                // NaN wins (the last NaN), otherwise strictly greater: the first tie wins.
                let take = is_nan(v) || (!is_nan(best) && v > best);
                best = select(best, v, take);
                best_index = select(best_index, row + w, take);
            }
        }
    }
    return MaxResult(best, best_index);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    output[i] = window_max(i).value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                  @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let best = window_max(i);
    output[i] = best.value;
    // Plane offsets are below 2^31 (the host checks), so the high word is 0.
    indices[i] = vec2<u32>(best.index, 0u);
}
