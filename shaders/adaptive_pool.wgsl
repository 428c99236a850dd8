// adaptive_avg_pool1d/2d/3d and adaptive_max_pool1d/2d/3d: one invocation per output element,
// or, for large windows, REDUCE_THREADS invocations per output element and a tree reduction in
// workgroup memory. CPU twin: src/cpu/adaptive_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
@group(0) @binding(2) var<storage, read_write> output: array<Element>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(3) var<storage, read_write> indices: array<vec2<u32>>;

// floor(a * b / d) for a < d and b, d < 2^31, exact although a * b may pass 2^32.
fn scaled_floor(a: u32, b: u32, by: Divisor) -> u32 {
    let d = by.d;
    let lo = a * b;
    // Both factors short enough that the product is below 2^31: the common case, one multiply.
    if (countLeadingZeros(a) + countLeadingZeros(b) >= 33u) {
        return divide(lo, by);
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

fn adaptive_span(o: u32, len: u32, out: u32, by: Divisor) -> Span {
    return Span(scaled_floor(o, len, by), len - scaled_floor(out - 1u - o, len, by));
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
        adaptive_span(c.y, params.in_d, params.out_d, div_d()),
        adaptive_span(c.z, params.in_h, params.out_h, div_h()),
        adaptive_span(c.w, params.in_w, params.out_w, div_w()),
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

fn share_of(i: u32, cells_per_pass: u32) -> Share {
    let win = window(i);
    let cells = extent(win.d) * extent(win.h) * extent(win.w);
    // Adaptive pooling has no kernel: the host passes the pass's first cell in k_d.
    let first = min(params.k_d, cells);
    let count = min(cells - first, cells_per_pass);
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
    let share = share_of(i, CELLS_PER_PASS);
    if (share.count == 0u) {
        return;
    }
    // Sequential row-major f32 sum, then successive divisions by the extents: bit-for-bit
    // PyTorch's CPU order (1d and 2d divide by extra 1s, which is exact). Between passes the
    // output holds the partial sum.
    var sum = 0.0;
    if (share.first > 0u) {
        sum = f32(output[i]);
    }
    var c = cursor_at(share.win, share.first);
    for (var k = 0u; k < share.count; k++) {
        sum += f32(input[share.win.base + c.row + c.w]);
        c = next(share.win, c);
    }
    output[i] = to_element(finish_mean(share, sum));
}

// The mean once the whole window is summed; the partial sum before that.
fn finish_mean(share: Share, sum: f32) -> f32 {
    if (share.finishes) {
        return sum / f32(extent(share.win.d)) / f32(extent(share.win.h)) / f32(extent(share.win.w));
    }
    return sum;
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
        let v = f32(input[share.win.base + at]);
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
        return f32(output[i]);
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
    let share = share_of(i, CELLS_PER_PASS);
    if (share.count == 0u) {
        return;
    }
    output[i] = to_element(window_max(share, carried_best(i, share), 0u).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                  @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let share = share_of(i, CELLS_PER_PASS);
    if (share.count == 0u) {
        return;
    }
    let start = cursor_at(share.win, 0u);
    var index_so_far = start.row + start.w;
    if (share.first > 0u) {
        index_so_far = indices[i].x;
    }
    let best = window_max(share, carried_best(i, share), index_so_far);
    output[i] = to_element(best.value);
    // Plane offsets are below 2^31 (the host checks), so the high word is 0.
    indices[i] = vec2<u32>(best.index, 0u);
}

// ---------------------------------------------------------------------------------------------
// Parallel reduction: REDUCE_THREADS invocations share one output element's window, each
// summing (or maximising) every REDUCE_THREADS-th cell, then a tree in workgroup memory
// combines their partial results. The host takes this path for large windows on GPUs: for max
// pooling, which it gives exactly the sequential result (see `better`), and for avg pooling to
// all-ones sizes, where PyTorch's own `mean()` does not sum sequentially either.

// Invocations per output element: a power of two dividing WORKGROUP_SIZE, set by the host
// from the window size.
override REDUCE_THREADS: u32 = 64u;

// The host caps WORKGROUP_SIZE at this (src/context.rs).
const MAX_WORKGROUP_SIZE: u32 = 256u;

var<workgroup> partial_value: array<f32, MAX_WORKGROUP_SIZE>;
var<workgroup> partial_index: array<u32, MAX_WORKGROUP_SIZE>;

// One invocation's part in a reduction: its output element, its lane among that element's
// REDUCE_THREADS invocations, and its slot in the partial arrays.
struct Lane {
    output: u32,
    lane: u32,
    slot: u32,
}

fn lane_of(workgroup: vec3<u32>, workgroups: vec3<u32>, local: u32) -> Lane {
    let group = workgroup.x + workgroup.y * workgroups.x;
    return Lane(
        group * (WORKGROUP_SIZE / REDUCE_THREADS) + local / REDUCE_THREADS,
        local % REDUCE_THREADS,
        local,
    );
}

// The lane's output element's share of this pass. Invocations past the end take no cells but
// stay for the barriers. Each lane visits at most CELLS_PER_PASS cells per pass.
fn reduce_share(me: Lane) -> Share {
    if (me.output >= params.total) {
        return Share(Window(Span(0u, 0u), Span(0u, 0u), Span(0u, 0u), 0u), 0u, 0u, false);
    }
    return share_of(me.output, REDUCE_THREADS * CELLS_PER_PASS);
}

// Plane offset of cell `cell` of the window. A window of whole rows (and whole planes, in 3d)
// is one contiguous run, the common global-pooling case, and needs no division.
fn cell_offset(win: Window, cell: u32) -> u32 {
    let whole_rows = extent(win.w) == params.in_w;
    if (whole_rows && (extent(win.d) == 1u || extent(win.h) == params.in_h)) {
        return cursor(win.d.start, win.h.start, 0u).row + cell;
    }
    let c = cursor_at(win, cell);
    return c.row + c.w;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool_reduce(@builtin(workgroup_id) workgroup: vec3<u32>,
                            @builtin(num_workgroups) workgroups: vec3<u32>,
                            @builtin(local_invocation_index) local: u32) {
    let me = lane_of(workgroup, workgroups, local);
    let share = reduce_share(me);
    // Four cells a step into four sums: four loads in flight per invocation, not one.
    let end = share.first + share.count;
    var sums = vec4<f32>(0.0);
    var cell = share.first + me.lane;
    for (; cell + 3u * REDUCE_THREADS < end; cell += 4u * REDUCE_THREADS) {
        sums += vec4<f32>(
            f32(input[share.win.base + cell_offset(share.win, cell)]),
            f32(input[share.win.base + cell_offset(share.win, cell + REDUCE_THREADS)]),
            f32(input[share.win.base + cell_offset(share.win, cell + 2u * REDUCE_THREADS)]),
            f32(input[share.win.base + cell_offset(share.win, cell + 3u * REDUCE_THREADS)]),
        );
    }
    for (; cell < end; cell += REDUCE_THREADS) {
        sums.x += f32(input[share.win.base + cell_offset(share.win, cell)]);
    }
    partial_value[me.slot] = (sums.x + sums.y) + (sums.z + sums.w);
    for (var half = REDUCE_THREADS / 2u; half > 0u; half = half >> 1u) {
        workgroupBarrier();
        if (me.lane < half) {
            partial_value[me.slot] += partial_value[me.slot + half];
        }
    }
    if (me.lane != 0u || share.count == 0u) {
        return;
    }
    var total = partial_value[me.slot];
    if (share.first > 0u) {
        total = f32(output[me.output]) + total;
    }
    output[me.output] = to_element(finish_mean(share, total));
}

// A candidate maximum: a value and its plane offset.
struct Best {
    value: f32,
    index: u32,
}

// The winner of two candidates, in whichever order they were found: a NaN (the later cell
// among NaNs), else the greater value, else the earlier cell. Plane offsets grow with the
// row-major scan order inside a window, so this is exactly what the sequential scan keeps.
fn better(a: Best, b: Best) -> Best {
    let a_nan = is_nan(a.value);
    let b_nan = is_nan(b.value);
    var take_b: bool;
    if (a_nan || b_nan) {
        take_b = b_nan && (!a_nan || b.index > a.index);
    } else {
        take_b = b.value > a.value || (b.value == a.value && b.index < a.index);
    }
    if (take_b) {
        return b;
    }
    return a;
}

// This pass's maximum of the lane's output element, complete in the lane-0 invocation.
fn reduce_max(me: Lane, share: Share) -> Best {
    // No cell yet: loses to every cell, -inf included (its index is past every plane offset).
    var best = Best(bitcast<f32>(NEG_INF_BITS), 0xffffffffu);
    for (var cell = share.first + me.lane; cell < share.first + share.count;
         cell += REDUCE_THREADS) {
        let at = cell_offset(share.win, cell);
        best = better(best, Best(f32(input[share.win.base + at]), at));
    }
    partial_value[me.slot] = best.value;
    partial_index[me.slot] = best.index;
    for (var half = REDUCE_THREADS / 2u; half > 0u; half = half >> 1u) {
        workgroupBarrier();
        if (me.lane < half) {
            let merged = better(
                Best(partial_value[me.slot], partial_index[me.slot]),
                Best(partial_value[me.slot + half], partial_index[me.slot + half]),
            );
            partial_value[me.slot] = merged.value;
            partial_index[me.slot] = merged.index;
        }
    }
    return Best(partial_value[me.slot], partial_index[me.slot]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool_reduce(@builtin(workgroup_id) workgroup: vec3<u32>,
                            @builtin(num_workgroups) workgroups: vec3<u32>,
                            @builtin(local_invocation_index) local: u32) {
    let me = lane_of(workgroup, workgroups, local);
    let share = reduce_share(me);
    let best = reduce_max(me, share);
    if (me.lane != 0u || share.count == 0u) {
        return;
    }
    var value = best.value;
    if (share.first > 0u) {
        // Earlier passes' cells all come first: index 0 stands for them (this pass's cells are
        // at offsets of at least `first` > 0).
        value = better(Best(f32(output[me.output]), 0u), best).value;
    }
    output[me.output] = to_element(value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool_reduce_with_indices(@builtin(workgroup_id) workgroup: vec3<u32>,
                                         @builtin(num_workgroups) workgroups: vec3<u32>,
                                         @builtin(local_invocation_index) local: u32) {
    let me = lane_of(workgroup, workgroups, local);
    let share = reduce_share(me);
    var best = reduce_max(me, share);
    if (me.lane != 0u || share.count == 0u) {
        return;
    }
    if (share.first > 0u) {
        best = better(Best(f32(output[me.output]), indices[me.output].x), best);
    }
    output[me.output] = to_element(best.value);
    // Plane offsets are below 2^31 (the host checks), so the high word is 0.
    indices[me.output] = vec2<u32>(best.index, 0u);
}
