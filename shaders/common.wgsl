// Shared by every wgpool shader: prepended to each op's file before compilation.

// Threads per workgroup; the host sets it from the adapter's limits.
override WORKGROUP_SIZE: u32 = 256u;

// One sliding-window pooling call, all dims lifted to (D, H, W). Mirrors `WindowParams` in
// src/pipelines.rs; a naga test checks that the two layouts agree.
struct Params {
    total: u32,          // output elements covered by this dispatch
    in_d: u32, in_h: u32, in_w: u32,
    out_d: u32, out_h: u32, out_w: u32,
    k_d: u32, k_h: u32, k_w: u32,
    s_d: u32, s_h: u32, s_w: u32,
    p_d: u32, p_h: u32, p_w: u32,
    dil_d: u32, dil_h: u32, dil_w: u32,
    flags: u32,          // FLAG_* bits
    divisor: f32,        // avg pooling's divisor_override, when FLAG_DIVISOR_OVERRIDE is set
    norm_type: f32,      // LP pooling's p
    // Dividing by out_w, out_h and out_d (see `Divisor`).
    div_w_m: u32, div_w_l: u32, div_w_d: u32, div_w_r: f32,
    div_h_m: u32, div_h_l: u32, div_h_d: u32, div_h_r: f32,
    div_d_m: u32, div_d_l: u32, div_d_d: u32, div_d_r: f32,
    // Channels-last kernels: groups of four channels per position, and dividing by them.
    channel_groups: u32,
    div_c_m: u32, div_c_l: u32, div_c_d: u32, div_c_r: f32,
    // Row kernels: the output row's length (out_w then counts groups of four).
    row_width: u32,
}

const FLAG_COUNT_INCLUDE_PAD: u32 = 1u;
const FLAG_DIVISOR_OVERRIDE: u32 = 2u;
// Adaptive average pooling over exact tiles: divide by each window extent in turn.
const FLAG_SUCCESSIVE_DIVISION: u32 = 4u;

// -inf by its bits: a "large negative" stand-in gives wrong maxima on all -inf windows.
const NEG_INF_BITS: u32 = 0xff800000u;

// NaN by its bits: WGSL lets compilers assume finite maths, so `x != x` may fold to false.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// The linear invocation index over a grid folded into 2-d to stay within the
// workgroups-per-dimension limit.
fn invocation_index(gid: vec3<u32>, workgroups: vec3<u32>) -> u32 {
    return gid.x + gid.y * workgroups.x * WORKGROUP_SIZE;
}

// High 32 bits of the 64-bit product a * b.
fn mul_hi(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let middle = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
    return a_hi * b_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (middle >> 16u);
}

// A divisor d >= 1 from the host's `DivMagic::new(d)`: the magic pair (m, l) for
// mul_hi(2n, m) >> l, and the f32 reciprocal r = 1/d rounded to nearest. Runtime divisors
// compile to slow division loops on many GPUs and on lavapipe.
struct Divisor {
    m: u32,
    l: u32,
    d: u32,
    r: f32,
}

// floor(n / d) for n < 2^31.
fn divide(n: u32, by: Divisor) -> u32 {
    return mul_hi(n << 1u, by.m) >> by.l;
}

// Set by the host when every invocation index of the dispatch is below 2^24, where an f32
// holds it exactly: a pipeline constant, so that the other route is compiled out.
override SMALL_INDICES: u32 = 0u;

// `divide` for n below the dispatch's invocation count. With SMALL_INDICES, the correctly
// rounded n * r is within 2/d of n / d (exact for d = 1), so truncation is off by at most one
// either way and one step fixes it: a few instructions where the 64-bit product, which WGSL
// lacks, takes a dozen (lavapipe: the stem's 2x2 max pool 11.7 -> 8.4 ms).
fn divide_index(n: u32, by: Divisor) -> u32 {
    if (SMALL_INDICES != 0u) {
        let q = u32(f32(n) * by.r);
        let rest = i32(n) - i32(q * by.d);
        return q + select(0u, 1u, rest >= i32(by.d)) - select(0u, 1u, rest < 0);
    }
    return divide(n, by);
}

fn div_w() -> Divisor {
    return Divisor(params.div_w_m, params.div_w_l, params.div_w_d, params.div_w_r);
}

fn div_h() -> Divisor {
    return Divisor(params.div_h_m, params.div_h_l, params.div_h_d, params.div_h_r);
}

fn div_d() -> Divisor {
    return Divisor(params.div_d_m, params.div_d_l, params.div_d_d, params.div_d_r);
}

// Output coordinate (plane, d, h, w) of output element `i`.
fn output_coord(i: u32) -> vec4<u32> {
    let rest_h = divide_index(i, div_w());
    let w = i - rest_h * params.out_w;
    let rest_d = divide_index(rest_h, div_h());
    let h = rest_h - rest_d * params.out_h;
    let plane = divide_index(rest_d, div_d());
    return vec4<u32>(plane, rest_d - plane * params.out_d, h, w);
}

// Kernel size per dim when the pipeline is specialised for it (0: read it from params).
// Constant trip counts let the compiler unroll the window loops.
override KERNEL_D: u32 = 0u;
override KERNEL_H: u32 = 0u;
override KERNEL_W: u32 = 0u;

// The most taps along W a row kernel's window has: MAX_SPECIALISED_KERNEL in
// src/pipelines.rs (row kernels need KERNEL_W).
const ROW_TAPS: u32 = 8u;

// The taps [begin, end) of a window along one dim, as tap numbers t for positions
// start + t * dil. Specialised: all `specialised` taps (the caller skips positions outside the
// input). Otherwise the kernel may be huge, so only the taps inside [0, len) are visited.
struct TapRange {
    begin: u32,
    end: u32,
}

fn tap_range(start: i32, specialised: u32, k: u32, dil: u32, len: u32) -> TapRange {
    if (specialised != 0u) {
        return TapRange(0u, specialised);
    }
    if (start >= i32(len)) {
        return TapRange(0u, 0u);
    }
    let begin = select(0u, (u32(-start) - 1u) / dil + 1u, start < 0);
    // Positions start .. len-1 hold `room` cells; the host keeps every position inside i32.
    let room = select(len - u32(start), len + u32(-start), start < 0);
    let end = min(k, (room - 1u) / dil + 1u);
    return TapRange(begin, max(begin, end));
}

fn in_range(x: i32, len: u32) -> bool {
    return x >= 0 && x < i32(len);
}

// Row-major offset of (d, h, w) inside one input plane (PyTorch's index encoding).
fn plane_offset(d: i32, h: i32, w: i32) -> i32 {
    return (d * i32(params.in_h) + h) * i32(params.in_w) + w;
}

// The first tap on the dilation grid that is not left of the input; it is past the end for an
// empty window.
fn first_tap(start: i32, dil: u32) -> i32 {
    if (start >= 0) {
        return start;
    }
    return start + i32(((u32(-start) - 1u) / dil + 1u) * dil);
}

// One window along one dim: its start, the number of input cells it covers, and the size
// PyTorch counts when padding is included (clipped to the padded extent, so ceil-mode
// overhang is not counted).
struct WindowSpan {
    start: i32,
    cells: i32,
    padded_size: i32,
}

fn window_span(o: u32, k: u32, s: u32, p: u32, len: u32) -> WindowSpan {
    let start = i32(o * s) - i32(p);
    let end = min(start + i32(k), i32(len + p));
    return WindowSpan(start, min(end, i32(len)) - max(start, 0), end - start);
}

// Average pooling's divisor for a window: divisor_override, or the window's size with or
// without its padding cells (FLAG_* bits).
fn avg_divisor(sd: WindowSpan, sh: WindowSpan, sw: WindowSpan) -> f32 {
    if ((params.flags & FLAG_DIVISOR_OVERRIDE) != 0u) {
        return params.divisor;
    }
    if ((params.flags & FLAG_COUNT_INCLUDE_PAD) != 0u) {
        return f32(sd.padded_size * sh.padded_size * sw.padded_size);
    }
    return f32(sd.cells * sh.cells * sw.cells);
}

// Four outputs per invocation (channels-last and row kernels): `is_nan` per lane.
fn lanes_nan(x: vec4<f32>) -> vec4<bool> {
    return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// Four columns `w` inside [0, in_w): the lanes of a row kernel that read the input.
fn lanes_in_range(w: vec4<i32>) -> vec4<bool> {
    return (w >= vec4<i32>(0)) & (w < vec4<i32>(i32(params.in_w)));
}

// The maxima of four windows and their plane-flat indices.
struct MaxLanes {
    value: vec4<f32>,
    index: vec4<i32>,
}

// Four indices as int64 (low, high) word pairs, two per vec4<u32>.
fn int64_lanes(index: vec4<i32>) -> array<vec4<u32>, 2> {
    let low = bitcast<vec4<u32>>(index);
    let high = select(vec4<u32>(0u), vec4<u32>(0xffffffffu), index < vec4<i32>(0));
    return array<vec4<u32>, 2>(
        vec4<u32>(low.x, high.x, low.y, high.y),
        vec4<u32>(low.z, high.z, low.w, high.w),
    );
}

// Row kernels, whose out_w counts groups of four outputs of a row: the outputs of group c, as
// the flat index of the first and how many of the four lanes are outputs (fewer in the last
// group of a row whose length is not a multiple of 4).
struct Group {
    first: u32,
    count: u32,
}

fn group_of(c: vec4<u32>) -> Group {
    let row = (c.x * params.out_d + c.y) * params.out_h + c.z;
    let w = 4u * c.w;
    return Group(row * params.row_width + w, min(4u, params.row_width - w));
}
