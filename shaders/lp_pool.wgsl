// lp_pool1d/2d/3d: one invocation per output element, or (the `_rows` entry points, for kernel
// widths compiled in and rows of four outputs or more) per four neighbouring outputs of a row,
// which share the output coordinates and the window's rows. CPU twin: src/cpu/lp_pool.rs.
//
// PyTorch's composite, step by step: y = pow(Kprod * avg_pool(pow(x, p)), 1/p) with no padding,
// the average dividing by the window clipped to the input; p = +inf is max_pool(|x|) and
// p = -inf is -max_pool(-|x|).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<Element>;
@group(0) @binding(2) var<storage, read_write> output: array<Element>;

// The two exponent bytes (the host's `Power::flags`): the power taken before pooling (p) and
// the root taken after it (1/p). Pipeline constants, so that the compiler keeps only the pow
// kernel in use: a runtime switch in the window loop cost lavapipe three times the time.
override POWER_SPEC: u32 = 0u;
override ROOT_SPEC: u32 = 0u;
// lp_pool_inf_norm: p = -inf (the minimum of |x|) rather than +inf (the maximum).
const LP_MIN_NORM: u32 = 16777216u; // 1 << 24

// One exponent byte: the kernel ATen runs for it in the low bits ...
const POW_KERNEL_MASK: u32 = 7u;
const POW_IDENTITY: u32 = 1u;
const POW_SQUARE: u32 = 2u;
const POW_CUBE: u32 = 3u;
const POW_INVERSE_SQUARE: u32 = 4u;
const POW_SQRT: u32 = 5u;
const POW_RSQRT: u32 = 6u;
const POW_RECIPROCAL: u32 = 7u;
// ... and, for C's pow (kernel 0), what the exact exponent is: the shader has it only in f32.
const POW_INTEGER: u32 = 8u;
const POW_ODD: u32 = 16u;
const POW_NEGATIVE: u32 = 32u;
const POW_NAN: u32 = 64u;

const SIGN_BIT: u32 = 0x80000000u;
const INF_BITS: u32 = 0x7f800000u;
const ONE_BITS: u32 = 0x3f800000u;
const NAN_BITS: u32 = 0x7fc00000u;

fn magnitude_bits(x: f32) -> u32 {
    return bitcast<u32>(x) & 0x7fffffffu;
}

// 1/x with IEEE's zeros and infinities spelled out: WGSL leaves division by zero undefined.
fn reciprocal(x: f32) -> f32 {
    let sign = bitcast<u32>(x) & SIGN_BIT;
    let magnitude = magnitude_bits(x);
    if (magnitude == 0u) {
        return bitcast<f32>(sign | INF_BITS);
    }
    if (magnitude == INF_BITS) {
        return bitcast<f32>(sign);
    }
    if (is_nan(x)) {
        return x;
    }
    return 1.0 / x;
}

// IEEE sqrt: sqrt(-0) = -0, negative numbers (-inf too) give NaN. WGSL's sqrt is undefined there.
fn ieee_sqrt(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    if (is_nan(x) || magnitude_bits(x) == 0u || bits == INF_BITS) {
        return x;
    }
    if ((bits & SIGN_BIT) != 0u) {
        return bitcast<f32>(NAN_BITS);
    }
    return sqrt(x);
}

// C's pow(x, y) for y != 0. `spec` says what the exact exponent is (integer, odd, negative,
// NaN); `y` is it rounded to f32 and only scales the logarithm of a finite |x| other than 0 and
// 1. WGSL's pow is undefined for x < 0 and for x = 0 with y <= 0, so the cases are spelled out.
fn c_pow(x: f32, y: f32, spec: u32) -> f32 {
    if (x == 1.0) {
        return 1.0; // even for a NaN y
    }
    if ((spec & POW_NAN) != 0u || is_nan(x)) {
        return bitcast<f32>(NAN_BITS);
    }
    let magnitude = magnitude_bits(x);
    let negative_x = (bitcast<u32>(x) & SIGN_BIT) != 0u;
    let finite_nonzero = magnitude != 0u && magnitude < INF_BITS;
    if (negative_x && finite_nonzero && (spec & POW_INTEGER) == 0u) {
        return bitcast<f32>(NAN_BITS);
    }
    // A negative x (-0 and -inf included) keeps its sign under an odd exponent.
    let sign = select(0u, SIGN_BIT, negative_x && (spec & POW_ODD) != 0u);
    let negative_y = (spec & POW_NEGATIVE) != 0u;
    var result: u32;
    if (magnitude == 0u) {
        result = select(0u, INF_BITS, negative_y);
    } else if (magnitude == INF_BITS) {
        result = select(INF_BITS, 0u, negative_y);
    } else if (magnitude == ONE_BITS) {
        result = ONE_BITS; // x = -1: pow(-1, +-inf) = 1, an integer y gives +-1 by the sign
    } else if (magnitude_bits(y) == INF_BITS) {
        // An exponent past the f32 range: |x| > 1 grows without bound, |x| < 1 vanishes.
        result = select(0u, INF_BITS, (magnitude > ONE_BITS) != negative_y);
    } else {
        let t = y * log2(abs(x));
        if (t >= 128.0) {
            result = INF_BITS;
        } else if (t < -150.0) {
            result = 0u;
        } else if (abs(t) < 2.9802322e-8) {
            // |t| < 2^-25: exp2(t) rounds to exactly 1, which an approximate exp2 may miss; a
            // root with a huge exponent (tiny p) would blow that last ulp up to 0 or inf.
            result = ONE_BITS;
        } else {
            result = bitcast<u32>(exp2(t));
        }
    }
    return bitcast<f32>(result | sign);
}

// PyTorch's Tensor.pow(y) for a scalar y: the kernel ATen picks for y (the low bits of `spec`),
// C's pow for the rest.
fn torch_pow(x: f32, y: f32, spec: u32) -> f32 {
    switch (spec & POW_KERNEL_MASK) {
        case POW_IDENTITY: {
            return x;
        }
        case POW_SQUARE: {
            return x * x;
        }
        case POW_CUBE: {
            return x * x * x;
        }
        case POW_INVERSE_SQUARE: {
            return reciprocal(x * x);
        }
        case POW_SQRT: {
            return ieee_sqrt(x);
        }
        case POW_RSQRT: {
            return reciprocal(ieee_sqrt(x));
        }
        case POW_RECIPROCAL: {
            return reciprocal(x);
        }
        default: {
            return c_pow(x, y, spec);
        }
    }
}

// 1/p from the f32 p, for c_pow's logarithm scaling only (the host classified the exact 1/p).
// Past the f32 range either way, |x|^y is 0, 1 or inf for every f32 x, as for y = +-inf or +-0.
fn root_exponent(p: f32) -> f32 {
    let sign = bitcast<u32>(p) & SIGN_BIT;
    let magnitude = magnitude_bits(p);
    if (magnitude < 0x00800000u) {
        return bitcast<f32>(sign | INF_BITS); // zero or subnormal p
    }
    if (magnitude >= INF_BITS) {
        return bitcast<f32>(sign); // infinite p; a NaN p is flagged and never reaches the logarithm
    }
    return 1.0 / p;
}

// One window along one dim: its first position and its size clipped to the input. Windows
// start inside the input (the ceil-mode rule) and the host keeps start + k within u32.
struct Span {
    start: i32,
    cells: u32,
}

fn span(o: u32, k: u32, s: u32, len: u32) -> Span {
    let start = o * s;
    return Span(i32(start), min(start + k, len) - start);
}

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

// The starts along W of the four lanes of group c (a row kernel's).
fn lane_starts(c: vec4<u32>) -> vec4<u32> {
    return (vec4<u32>(4u * c.w) + vec4<u32>(0u, 1u, 2u, 3u)) * params.s_w;
}

// The four cells at columns `w` of the input row starting at `row`; columns outside the input
// read its first cell instead (the callers discard them).
fn row_cells(row: u32, w: vec4<u32>, inside: vec4<bool>) -> vec4<f32> {
    let at = select(vec4<u32>(0u), w, inside) + vec4<u32>(row);
    return vec4<f32>(vec4<Element>(input[at.x], input[at.y], input[at.z], input[at.w]));
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
            let row = base + u32(plane_offset(d, h, 0));
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let w = starts + vec4<u32>(kw);
                let inside = w < vec4<u32>(params.in_w);
                let x = row_cells(row, w, inside);
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
    let cells_w = min(starts + vec4<u32>(params.k_w), vec4<u32>(params.in_w)) - starts;
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
            let row = base + u32(plane_offset(d, h, 0));
            for (var kw = 0u; kw < KERNEL_W; kw++) {
                let w = starts + vec4<u32>(kw);
                let inside = w < vec4<u32>(params.in_w);
                let x = row_cells(row, w, inside);
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
