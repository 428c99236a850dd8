//! PyTorch's `Tensor.pow(y)` for a scalar `y`, which LP pooling applies twice: `x^p` before
//! pooling and `^(1/p)` after it.
//!
//! ATen does not call C's `pow` for every exponent. `pow_Tensor_Scalar_out` copies for `y == 1`,
//! and `pow_tensor_scalar_kernel` runs `sqrt` for 0.5, `1/sqrt` for -0.5, `1/x` for -1, `x*x`
//! for 2, `x*x*x` for 3 and `1/(x*x)` for -2; every other `y` gets C's `pow` in double precision.
//! The special kernels differ from `pow` in more than rounding: `sqrt(-0) = -0` where
//! `pow(-0, 0.5) = +0`, `sqrt(-inf) = NaN` where `pow(-inf, 0.5) = +inf`, `1/sqrt(-0) = -inf`
//! where `pow(-0, -0.5) = +inf`. [`Power`] picks the kernel once on the host; the CPU reference
//! applies it here and the shader (`torch_pow` in `shaders/lp_pool.wgsl`) reads it from one byte
//! of the uniform's flags.

/// [`Power::flags`] bit: the exponent is an integer, or infinite (C's `pow` treats infinities as
/// even integers). Only meaningful for the generic kernel, like the bits below.
pub(crate) const POW_INTEGER: u32 = 8;
/// [`Power::flags`] bit: the exponent is an odd integer, so `pow` keeps the sign of a negative `x`.
pub(crate) const POW_ODD: u32 = 16;
/// [`Power::flags`] bit: the exponent is negative.
pub(crate) const POW_NEGATIVE: u32 = 32;
/// [`Power::flags`] bit: the exponent is NaN.
pub(crate) const POW_NAN: u32 = 64;

/// The kernel ATen runs for an exponent; the discriminant is its code in the low three bits of
/// the flags byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PowKernel {
    /// C's `pow(x, y)`, computed in double precision and rounded to f32.
    Generic = 0,
    /// `y == 1`: the input, unchanged.
    Identity = 1,
    /// `y == 2`: `x * x`.
    Square = 2,
    /// `y == 3`: `x * x * x`.
    Cube = 3,
    /// `y == -2`: `1 / (x * x)`.
    InverseSquare = 4,
    /// `y == 0.5`: IEEE `sqrt`.
    Sqrt = 5,
    /// `y == -0.5`: `1 / sqrt(x)`.
    Rsqrt = 6,
    /// `y == -1`: `1 / x`.
    Reciprocal = 7,
}

/// The exponents ATen gives a kernel of their own (`pow_Tensor_Scalar_out` checks 1 first, then
/// `pow_tensor_scalar_kernel` 0.5, -0.5, -1, 2, 3 and -2; the values are distinct, so the order
/// of this table does not matter).
const SPECIAL_KERNELS: [(f64, PowKernel); 7] = [
    (1.0, PowKernel::Identity),
    (0.5, PowKernel::Sqrt),
    (-0.5, PowKernel::Rsqrt),
    (-1.0, PowKernel::Reciprocal),
    (2.0, PowKernel::Square),
    (3.0, PowKernel::Cube),
    (-2.0, PowKernel::InverseSquare),
];

/// `Tensor.pow(exponent)` for one non-zero scalar exponent (LP pooling refuses `p == 0`, and
/// `1/p` is never 0 for a finite `p`), as PyTorch computes it on f32 tensors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Power {
    exponent: f64,
    kernel: PowKernel,
}

impl Power {
    /// The kernel ATen picks for `exponent`.
    pub(crate) fn new(exponent: f64) -> Self {
        let kernel = SPECIAL_KERNELS
            .iter()
            .find(|(special, _)| *special == exponent)
            .map_or(PowKernel::Generic, |&(_, kernel)| kernel);
        Power { exponent, kernel }
    }

    /// `x` to this power, bit for bit what PyTorch's scalar path computes.
    pub(crate) fn apply(self, x: f32) -> f32 {
        match self.kernel {
            PowKernel::Generic => f64::from(x).powf(self.exponent) as f32,
            PowKernel::Identity => x,
            PowKernel::Square => x * x,
            PowKernel::Cube => x * x * x,
            PowKernel::InverseSquare => 1.0 / (x * x),
            PowKernel::Sqrt => x.sqrt(),
            PowKernel::Rsqrt => 1.0 / x.sqrt(),
            PowKernel::Reciprocal => 1.0 / x,
        }
    }

    /// The byte the shader reads: the kernel code, and for the generic kernel what C's `pow`
    /// needs to know about the exact (f64) exponent, which the shader only has rounded to f32.
    pub(crate) fn flags(self) -> u32 {
        let y = self.exponent;
        let integer = y.is_infinite() || y.fract() == 0.0;
        // Every f64 of magnitude 2^53 or more is even.
        let odd = y.is_finite() && y.rem_euclid(2.0) == 1.0;
        let mut flags = self.kernel as u32;
        for (bit, set) in [
            (POW_INTEGER, integer),
            (POW_ODD, odd),
            (POW_NEGATIVE, y < 0.0),
            (POW_NAN, y.is_nan()),
        ] {
            if set {
                flags |= bit;
            }
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::lp_pool::FLAG_MIN_NORM;
    use crate::pipelines::Kernel;

    /// The low bits of a flags byte, where the kernel code lives.
    const POW_KERNEL_MASK: u32 = 7;

    const INF: f32 = f32::INFINITY;

    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[track_caller]
    fn check(y: f64, cases: &[(f32, f32)]) {
        for &(x, want) in cases {
            let got = Power::new(y).apply(x);
            assert!(
                same(got, want),
                "pow({x:?}, {y}) = {got:?}, expected {want:?}"
            );
        }
    }

    #[test]
    fn generic_exponents_follow_c_pow() {
        // x < 0: integer y keeps the sign iff y is odd; a non-integer y gives NaN.
        check(5.0, &[(-2.0, -32.0), (2.0, 32.0), (-0.0, -0.0), (0.0, 0.0)]);
        check(4.0, &[(-2.0, 16.0), (-0.0, 0.0), (-INF, INF)]);
        check(
            -3.0,
            &[(-2.0, -0.125), (-0.0, -INF), (0.0, INF), (-INF, -0.0)],
        );
        check(-4.0, &[(-0.0, INF), (-INF, 0.0), (-2.0, 0.0625)]);
        check(
            1.5,
            &[(-2.0, f32::NAN), (-0.0, 0.0), (4.0, 8.0), (-INF, INF)],
        );
        check(
            -1.5,
            &[(-2.0, f32::NAN), (-0.0, INF), (0.0, INF), (INF, 0.0)],
        );
        // |x| == 1, NaN and infinite exponents.
        check(f64::NAN, &[(1.0, 1.0), (-1.0, f32::NAN), (2.0, f32::NAN)]);
        check(
            1.0 / 3.0,
            &[(-8.0, f32::NAN), (8.0, 2.0), (f32::NAN, f32::NAN)],
        );
        check(f64::INFINITY, &[(-1.0, 1.0), (0.5, 0.0), (-2.0, INF)]);
        check(f64::NEG_INFINITY, &[(-1.0, 1.0), (0.5, INF), (-2.0, 0.0)]);
        // A subnormal exponent: positive, not an integer.
        check(
            1e-310,
            &[(-2.0, f32::NAN), (0.0, 0.0), (7.0, 1.0), (INF, INF)],
        );
    }

    #[test]
    fn pytorch_special_kernels_differ_from_c_pow_at_the_edges() {
        check(
            0.5,
            &[(-0.0, -0.0), (-INF, f32::NAN), (-4.0, f32::NAN), (9.0, 3.0)],
        );
        check(
            -0.5,
            &[(-0.0, -INF), (0.0, INF), (-INF, f32::NAN), (4.0, 0.5)],
        );
        check(-1.0, &[(-0.0, -INF), (-INF, -0.0), (-4.0, -0.25)]);
        check(2.0, &[(-3.0, 9.0), (-INF, INF), (-0.0, 0.0)]);
        check(3.0, &[(-2.0, -8.0), (-0.0, -0.0), (-INF, -INF)]);
        check(-2.0, &[(-0.0, INF), (-2.0, 0.25), (INF, 0.0)]);
        let nan = f32::from_bits(0xffc0_1234);
        assert_eq!(Power::new(1.0).apply(nan).to_bits(), nan.to_bits());
    }

    #[test]
    fn flags_describe_the_exact_exponent() {
        let kernel = |y: f64| Power::new(y).flags() & POW_KERNEL_MASK;
        assert_eq!(
            [1.0, 2.0, 3.0, -2.0, 0.5, -0.5, -1.0].map(kernel),
            [1, 2, 3, 4, 5, 6, 7]
        );
        // 1/p for p = 1/3 is exactly 3: the root is a cube.
        assert_eq!(kernel(1.0 / (1.0 / 3.0)), 3);
        assert_eq!(Power::new(1.5).flags(), 0);
        assert_eq!(Power::new(5.0).flags(), POW_INTEGER | POW_ODD);
        assert_eq!(
            Power::new(-3.0).flags(),
            POW_INTEGER | POW_ODD | POW_NEGATIVE
        );
        assert_eq!(Power::new(4.0).flags(), POW_INTEGER);
        assert_eq!(Power::new(1e300).flags(), POW_INTEGER);
        assert_eq!(
            Power::new(-f64::INFINITY).flags(),
            POW_INTEGER | POW_NEGATIVE
        );
        assert_eq!(Power::new(f64::NAN).flags(), POW_NAN);
        assert_eq!(Power::new(-1e-310).flags(), POW_NEGATIVE);
    }

    /// The WGSL constants of `torch_pow` equal the Rust ones.
    #[test]
    fn shader_constants_match() {
        let source = Kernel::LpPool.source(crate::dtype::Dtype::F32);
        let module = naga::front::wgsl::parse_str(&source).expect("lp_pool.wgsl parses");
        for (name, value) in [
            ("POW_KERNEL_MASK", POW_KERNEL_MASK),
            ("POW_INTEGER", POW_INTEGER),
            ("POW_ODD", POW_ODD),
            ("POW_NEGATIVE", POW_NEGATIVE),
            ("POW_NAN", POW_NAN),
            ("POW_IDENTITY", PowKernel::Identity as u32),
            ("POW_SQUARE", PowKernel::Square as u32),
            ("POW_CUBE", PowKernel::Cube as u32),
            ("POW_INVERSE_SQUARE", PowKernel::InverseSquare as u32),
            ("POW_SQRT", PowKernel::Sqrt as u32),
            ("POW_RSQRT", PowKernel::Rsqrt as u32),
            ("POW_RECIPROCAL", PowKernel::Reciprocal as u32),
            ("LP_MIN_NORM", FLAG_MIN_NORM),
        ] {
            let constant = module
                .constants
                .iter()
                .map(|(_, c)| c)
                .find(|c| c.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("lp_pool.wgsl has no const {name}"));
            let init = &module.global_expressions[constant.init];
            assert!(
                matches!(init, naga::Expression::Literal(naga::Literal::U32(v)) if *v == value),
                "WGSL const {name} = {init:?}, Rust has {value}u"
            );
        }
    }
}
