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

fn extent(s: Span) -> u32 {
    return s.end - s.start;
}

// The most window cells one invocation visits in one dispatch. Lavapipe ends every loop of an
// invocation once all its loops together have run 65,535 iterations, so longer windows are
// visited over several dispatches ("passes"), each carrying on from the partial result the
// previous one stored: the cells are visited in the same order, so the result is the same.
// `scaled_floor`'s loops add at most 6 * 32 iterations. Mirrors `CELLS_PER_PASS` in
// src/ops/adaptive.rs.
const CELLS_PER_PASS: u32 = 64512u;

// Output element i's share of the current pass: the cells [first, first + count) of its window
// in row-major order. A count of 0 means an earlier pass finished the window.
struct Share {
    win: Window,
    first: u32,
    count: u32,
    finishes: bool,
}

fn share_of(i: u32) -> Share {
    let win = window(i);
    let cells = extent(win.d) * extent(win.h) * extent(win.w);
    // Adaptive pooling has no kernel: the host passes the pass's first cell in k_d.
    let first = min(params.k_d, cells);
    let count = min(cells - first, CELLS_PER_PASS);
    return Share(win, first, count, first + count == cells);
}

// A position inside a window; `row` is the plane offset of (d, h, 0).
struct Cursor {
    d: u32,
    h: u32,
    w: u32,
    row: u32,
}

fn cursor(d: u32, h: u32, w: u32) -> Cursor {
    return Cursor(d, h, w, (d * params.in_h + h) * params.in_w);
}

// Cell `cell` of the window, counted row-major.
fn cursor_at(win: Window, cell: u32) -> Cursor {
    if (cell == 0u) {
        return cursor(win.d.start, win.h.start, win.w.start);
    }
    let rows = cell / extent(win.w);
    return cursor(
        win.d.start + rows / extent(win.h),
        win.h.start + rows % extent(win.h),
        win.w.start + cell % extent(win.w),
    );
}

// The next cell in row-major order.
fn next(win: Window, c: Cursor) -> Cursor {
    if (c.w + 1u < win.w.end) {
        return Cursor(c.d, c.h, c.w + 1u, c.row);
    }
    if (c.h + 1u < win.h.end) {
        return cursor(c.d, c.h + 1u, win.w.start);
    }
    return cursor(c.d + 1u, win.h.start, win.w.start);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let share = share_of(i);
    if (share.count == 0u) {
        return;
    }
    // Sequential row-major f32 sum, then successive divisions by the extents: bit-for-bit
    // PyTorch's CPU order (1d and 2d divide by extra 1s, which is exact). Between passes the
    // output holds the partial sum.
    var sum = 0.0;
    if (share.first > 0u) {
        sum = output[i];
    }
    var c = cursor_at(share.win, share.first);
    for (var k = 0u; k < share.count; k++) {
        sum += input[share.win.base + c.row + c.w];
        c = next(share.win, c);
    }
    if (share.finishes) {
        sum = sum / f32(extent(share.win.d)) / f32(extent(share.win.h)) / f32(extent(share.win.w));
    }
    output[i] = sum;
}

struct MaxResult {
    value: f32,
    index: u32,
}

// The maximum so far and its plane offset, updated with this pass's cells.
fn window_max(share: Share, best_so_far: f32, index_so_far: u32) -> MaxResult {
    var best = best_so_far;
    var best_index = index_so_far;
    var c = cursor_at(share.win, share.first);
    for (var k = 0u; k < share.count; k++) {
        let at = c.row + c.w;
        let v = input[share.win.base + at];
        // NaN wins (the last NaN), otherwise strictly greater: the first tie wins.
        let take = is_nan(v) || (!is_nan(best) && v > best);
        best = select(best, v, take);
        best_index = select(best_index, at, take);
        c = next(share.win, c);
    }
    return MaxResult(best, best_index);
}

// -inf and the window's first cell, or what the previous pass stored in `output`.
fn carried_best(i: u32, share: Share) -> f32 {
    if (share.first > 0u) {
        return output[i];
    }
    // Windows are never empty; an all -inf window keeps -inf and the index of its first cell.
    return bitcast<f32>(NEG_INF_BITS);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let share = share_of(i);
    if (share.count == 0u) {
        return;
    }
    output[i] = window_max(share, carried_best(i, share), 0u).value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                  @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let share = share_of(i);
    if (share.count == 0u) {
        return;
    }
    let start = cursor_at(share.win, 0u);
    var index_so_far = start.row + start.w;
    if (share.first > 0u) {
        index_so_far = indices[i].x;
    }
    let best = window_max(share, carried_best(i, share), index_so_far);
    output[i] = best.value;
    // Plane offsets are below 2^31 (the host checks), so the high word is 0.
    indices[i] = vec2<u32>(best.index, 0u);
}
