// LP pooling's arithmetic, shared by its one-output kernels (lp_pool.wgsl) and its row kernels
// (lp_rows.wgsl): PyTorch's pow kernels, picked per exponent by pipeline constants, and the
// window spans (no padding).

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
