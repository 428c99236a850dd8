//! LPPool1d/2d/3d on the GPU against the CPU reference: a seeded random grid over every argument
//! and the norms {1, 2, 3, 1.5, 0.5, -1, ±inf, ...} on mixed-sign data (NaN and infinities
//! exactly where the reference has them, the rest within the conformance tolerance, ±inf norms
//! bit for bit), the spec's worked examples by hand, C `pow` edge cases through whole pooling
//! calls, N=0, unbatched inputs, the encoder-level API, and the refusals (no device needed).

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_bits_eq, fill, Fill, Rng, FILLS};
use wgpool::call::{Call, Inputs, Kwargs};
use wgpool::geometry::pooled_len;
use wgpool::{Array, Context, Error, LpPool, LpPool1d, LpPool2d, LpPool3d, Tensor};

/// The conformance tolerance of the LP cases (`numpy.allclose` style).
const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-5;

/// GPU (or expected) values against the reference: NaN exactly where it has NaN, infinities
/// exactly (sign included), everything else within [`RTOL`] and [`ATOL`].
fn assert_lp_close(got: &[f32], expected: &[f32], what: &dyn Display) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths differ");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() {
            g.is_nan()
        } else if e.is_infinite() {
            g == e
        } else {
            !g.is_nan() && (f64::from(g) - f64::from(e)).abs() <= ATOL + RTOL * f64::from(e).abs()
        };
        assert!(ok, "{what}: element {i}: got {g:e}, reference {e:e}");
    }
}

/// Runs `options` on the CPU reference and (with a GPU) on the GPU. Refusals must be the same
/// error everywhere; results must agree: bit for bit for the ±inf norms (max pooling of |x|),
/// within the tolerance otherwise. Returns the CPU result, `None` when refused.
fn check_lp<const R: usize>(
    ctx: Option<&Context>,
    options: &LpPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<Array<f32>> {
    let cpu = wgpool::cpu::lp_pool(options, data, shape);
    let plan = options.plan(shape);
    let input = ctx.map(|ctx| {
        Tensor::upload(ctx, data, shape).unwrap_or_else(|e| panic!("{what}: upload: {e}"))
    });
    match cpu {
        Err(refusal) => {
            let refusal = format!("{refusal:?}");
            let plan = plan.expect_err("plan accepted what the CPU reference refused");
            assert_eq!(format!("{plan:?}"), refusal, "{what}: plan vs CPU");
            if let (Some(ctx), Some(input)) = (ctx, &input) {
                let gpu = options
                    .forward(ctx, input)
                    .expect_err("GPU forward accepted what the CPU reference refused");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: forward vs CPU");
            }
            None
        }
        Ok(values) => {
            let plan = plan.unwrap_or_else(|e| panic!("{what}: plan refused: {e}"));
            assert_eq!(plan.output_shape, values.shape, "{what}: plan vs CPU shape");
            assert_eq!(values.data.len(), plan.output_len(), "{what}");
            if let (Some(ctx), Some(input)) = (ctx, &input) {
                let gpu = options
                    .forward(ctx, input)
                    .unwrap_or_else(|e| panic!("{what}: forward: {e}"));
                assert_eq!(gpu.shape(), values.shape.as_slice(), "{what}");
                let got = gpu.download(ctx).unwrap();
                if options.norm_type.is_infinite() {
                    assert_bits_eq(&got, &values.data, what);
                } else {
                    assert_lp_close(&got, &values.data, what);
                }
            }
            Some(values)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// Norms whose terms the GPU computes exactly (x, x*x, x*x*x) or correctly rounded (1/x, sqrt),
/// or whose terms all have one sign (even or non-integer p): safe on mixed-sign data, where
/// cancellation in the window sum would magnify a last-ulp difference between two `pow`s.
const MIXED_SIGN_NORMS: [f64; 15] = [
    1.0,
    2.0,
    3.0,
    1.5,
    0.5,
    -1.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -2.0,
    -0.5,
    4.0,
    2.5,
    -1.5,
    0.25,
    1.0 / 3.0,
];

/// Odd integers that take C's `pow`: their terms keep the sign of x, so they run on one-signed
/// data only.
const ONE_SIGNED_NORMS: [f64; 3] = [5.0, -3.0, 7.0];

/// Random options: a norm from the lists above, kernel 1..=4 per dim, stride None or 1..=5,
/// ceil either way. One case in six breaks one argument: norm_type ±0, kernel 0 or -1, stride
/// 0 or -2.
fn random_options<const R: usize>(rng: &mut Rng) -> LpPool<R> {
    let norm_type = if rng.percent(15) {
        rng.pick(&ONE_SIGNED_NORMS)
    } else {
        rng.pick(&MIXED_SIGN_NORMS)
    };
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let mut options = LpPool::<R>::new(norm_type, kernel).ceil_mode(rng.coin());
    if rng.percent(60) {
        options.stride = Some(std::array::from_fn(|_| rng.range(1, 5)));
    }
    if rng.percent(16) {
        let a = rng.below(R as u64) as usize;
        match rng.below(3) {
            0 => options.norm_type = rng.pick(&[0.0, -0.0]),
            1 => options.kernel_size[a] = rng.pick(&[0, -1]),
            _ => {
                let mut stride = options.stride.unwrap_or(kernel);
                stride[a] = rng.pick(&[0, -2]);
                options.stride = Some(stride);
            }
        }
    }
    options
}

/// A random shape: batched (N in 0..=3) or not, C in 1..=3, spatial sizes mostly near the
/// kernel (one less, so that ceil windows bigger than the input occur and lp_pool3d with a
/// finite norm refuses), sometimes up to `max_len`; rarely C=0, a zero dim or a wrong rank.
fn random_shape<const R: usize>(rng: &mut Rng, options: &LpPool<R>, max_len: i64) -> Vec<usize> {
    let mut shape = Vec::new();
    if rng.percent(70) {
        shape.push(rng.pick(&[0, 1, 1, 2, 3]));
    }
    shape.push(if rng.percent(3) {
        0
    } else {
        rng.range(1, 3) as usize
    });
    let rank = if rng.percent(2) { R + 2 } else { R };
    for a in 0..rank {
        let len = if rng.percent(2) {
            0
        } else if a < R && rng.percent(75) {
            let extra = match rng.below(100) {
                0..=9 => -1,
                10..=45 => 0,
                _ => rng.range(1, 4),
            };
            (options.kernel_size[a].max(1) + extra).max(1)
        } else {
            rng.range(1, max_len)
        };
        shape.push(len as usize);
    }
    shape
}

/// The input for `options` and its description: any fill, except one-signed data (all
/// negative, or all negated to positive) for the odd integer norms that take C's `pow`.
fn random_data<const R: usize>(
    rng: &mut Rng,
    options: &LpPool<R>,
    len: usize,
) -> (String, Vec<f32>) {
    if ONE_SIGNED_NORMS.contains(&options.norm_type) {
        let data = fill(rng, Fill::AllNegative, len);
        if rng.coin() {
            return ("AllPositive".into(), data.iter().map(|v| -v).collect());
        }
        return ("AllNegative".into(), data);
    }
    let kind = rng.pick(&FILLS);
    (format!("{kind:?}"), fill(rng, kind, len))
}

/// What the grid reached, so that a grid that silently stops covering something fails.
#[derive(Debug, Default)]
struct Coverage {
    refused: usize,
    valid: usize,
    unbatched: usize,
    empty_batch: usize,
    stride_none: usize,
    non_square: usize,
    ceil_partial_window: usize,
    kernel_past_input: usize,
    nan_output: usize,
    inf_output: usize,
    negative_output: usize,
    norms: Vec<u64>,
}

impl Coverage {
    fn note<const R: usize>(&mut self, options: &LpPool<R>, shape: &[usize], values: &Array<f32>) {
        self.valid += 1;
        let batched = shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && shape[0] == 0);
        self.stride_none += usize::from(options.stride.is_none());
        let k = options.kernel_size;
        self.non_square += usize::from(k.iter().any(|&v| v != k[0]));
        let stride = options.stride.unwrap_or(k);
        let spatial = &shape[shape.len() - R..];
        let (mut partial, mut past) = (false, false);
        for a in 0..R {
            let len = spatial[a] as u64;
            past |= k[a] as u64 > len;
            let floor = pooled_len(len, k[a], stride[a], 0, 1, false);
            partial |= options.ceil_mode && pooled_len(len, k[a], stride[a], 0, 1, true) > floor;
        }
        self.ceil_partial_window += usize::from(partial);
        self.kernel_past_input += usize::from(past);
        self.nan_output += usize::from(values.data.iter().any(|v| v.is_nan()));
        self.inf_output += usize::from(values.data.iter().any(|v| v.is_infinite()));
        self.negative_output += usize::from(values.data.iter().any(|v| *v < 0.0));
        let bits = options.norm_type.to_bits();
        if !values.data.is_empty() && !self.norms.contains(&bits) {
            self.norms.push(bits);
        }
    }

    fn assert_complete(&self, rank: usize, cases: usize) {
        let fields = [
            ("refused", self.refused),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("stride_none", self.stride_none),
            ("non_square", self.non_square),
            ("ceil_partial_window", self.ceil_partial_window),
            ("kernel_past_input", self.kernel_past_input),
            ("nan_output", self.nan_output),
            ("inf_output", self.inf_output),
            ("negative_output", self.negative_output),
        ];
        let missing: Vec<_> = fields
            .iter()
            .filter(|(name, n)| *n == 0 && !(rank == 1 && *name == "non_square"))
            .collect();
        assert!(
            missing.is_empty(),
            "rank {rank}: the random grid never reached {missing:?} (seed {:#x}): {self:?}",
            random::seed()
        );
        let unseen: Vec<f64> = MIXED_SIGN_NORMS
            .iter()
            .chain(&ONE_SIGNED_NORMS)
            .filter(|p| !self.norms.contains(&p.to_bits()))
            .copied()
            .collect();
        assert!(
            unseen.is_empty(),
            "rank {rank}: norms never run: {unseen:?}"
        );
        assert!(
            self.valid * 3 >= cases,
            "rank {rank}: too few valid cases: {self:?}"
        );
    }
}

fn random_grid<const R: usize>(cases: usize, max_len: i64) {
    let Some(ctx) = common::gpu() else { return };
    let seed = random::seed();
    let mut rng = Rng::new(seed, 400 + R as u64);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let options = random_options::<R>(&mut rng);
        let shape = random_shape(&mut rng, &options, max_len);
        let (kind, data) = random_data(&mut rng, &options, shape.iter().product());
        let what = format!("seed {seed:#x} case {case}: {options:?} on {shape:?} ({kind})");
        match check_lp(Some(ctx), &options, &shape, &data, &what) {
            Some(values) => coverage.note(&options, &shape, &values),
            None => coverage.refused += 1,
        }
    }
    coverage.assert_complete(R, cases);
}

/// Rows of four outputs or more with kernel widths up to 8 run four outputs of a row per
/// invocation (the `_rows` kernels), whole groups and short last groups alike, on input rows in
/// fours, of other even lengths and of odd lengths (read in vec4s, vec2s and cell by cell).
#[test]
fn row_kernels_agree_with_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 409);
    // [row loads][output rows in fours]
    let mut rows = [[0, 0]; common::ROW_LOADS];
    for case in 0..240 {
        let loads = case % common::ROW_LOADS;
        let options = random_options::<2>(&mut rng);
        let (k, s) = (
            options.kernel_size[1],
            options.stride.unwrap_or(options.kernel_size)[1],
        );
        let widths: Vec<usize> = (1..=40)
            .filter(|&w| common::row_loads_of(w) == loads)
            .filter(|&w| k > 0 && s > 0 && pooled_len(w as u64, k, s, 0, 1, options.ceil_mode) >= 4)
            .collect();
        if widths.is_empty() {
            continue;
        }
        let width = rng.pick(&widths);
        let shape = vec![
            rng.range(1, 2) as usize,
            rng.range(1, 3) as usize,
            rng.range(1, 9) as usize,
            width,
        ];
        let (kind, data) = random_data(&mut rng, &options, shape.iter().product());
        let what = format!("case {case}: {options:?} on {shape:?} ({kind})");
        if let Some(values) = check_lp(Some(ctx), &options, &shape, &data, &what) {
            rows[loads][usize::from(values.shape[3] % 4 == 0)] += 1;
        }
    }
    assert!(
        rows.iter().flatten().all(|&n| n >= 8),
        "row cases ([row loads][output rows in fours]): {rows:?}"
    );
}

#[test]
fn random_grid_lp_pool1d() {
    random_grid::<1>(1500, 12);
}

#[test]
fn random_grid_lp_pool2d() {
    random_grid::<2>(1200, 8);
}

#[test]
fn random_grid_lp_pool3d() {
    random_grid::<3>(900, 6);
}

// ---------------------------------------------------------------------------------------------
// Hand-worked cases from PYTORCH_POOLING.md §4, on the CPU reference and the GPU.

/// Pools on the CPU (and the GPU, which must agree) and returns the CPU values.
fn pool<const R: usize>(options: &LpPool<R>, data: &[f32], shape: &[usize]) -> Vec<f32> {
    let what = format!("{options:?} on {shape:?} {data:?}");
    check_lp(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what}: refused"))
        .data
}

#[track_caller]
fn assert_values(got: &[f32], expected: &[f32]) {
    assert_lp_close(got, expected, &format_args!("{got:?} vs {expected:?}"));
}

#[test]
fn spec_no_abs_p1_sums_and_odd_roots_of_negative_sums_are_nan() {
    // p=1 is a plain sum: [1, -2] -> -1.
    assert_values(
        &pool(&LpPool1d::new(1.0, 2), &[1.0, -2.0], &[1, 2]),
        &[-1.0],
    );
    // p=3: (1 - 8)^(1/3) is NaN, with C's pow.
    assert!(pool(&LpPool1d::new(3.0, 2), &[1.0, -2.0], &[1, 2])[0].is_nan());
    // p=3 with a positive sum: (1 + 8 + 27 - 8)^(1/3), and a cube of an exact root.
    assert_values(
        &pool(&LpPool1d::new(3.0, 2), &[1.0, 2.0, 3.0, -2.0], &[1, 4]),
        &[9f32.cbrt(), 19f32.cbrt()],
    );
    // p=1.5: (-2)^1.5 is NaN, a non-negative window is not.
    let values = pool(&LpPool1d::new(1.5, 2), &[4.0, -2.0, 4.0, 0.0], &[1, 4]);
    assert!(values[0].is_nan());
    assert_values(&values[1..], &[8.0f32.powf(1.0 / 1.5)]);
}

#[test]
fn spec_partial_ceil_windows_are_rescaled_by_kprod_over_k_eff() {
    let options = LpPool2d::new(2.0, 2).stride(2).ceil_mode(true);
    assert_values(&pool(&options, &[1.0; 9], &[1, 3, 3]), &[2.0; 4]);
    let options = LpPool1d::new(2.0, 2).ceil_mode(true);
    let data = [1.0, -2.0, 3.0, 4.0, -5.0];
    assert_values(
        &pool(&options, &data, &[1, 5]),
        &[5f32.sqrt(), 5.0, 50f32.sqrt()],
    );
    // p=1: the lone last window [4] counts twice.
    let options = LpPool1d::new(1.0, 2).stride(2).ceil_mode(true);
    assert_values(&pool(&options, &[1.0, 2.0, 4.0], &[1, 3]), &[3.0, 8.0]);
    // 3d, ceil on one dim only: the last H window holds 2 of 3 rows, Kprod = 1*3*1.
    let options = LpPool3d::new(1.0, [1, 3, 1])
        .stride([1, 2, 1])
        .ceil_mode(true);
    let data: Vec<f32> = (1..=4).map(|v| v as f32).collect();
    assert_values(
        &pool(&options, &data, &[1, 1, 4, 1]),
        &[6.0, (3.0 + 4.0) / 2.0 * 3.0],
    );
}

#[test]
fn spec_negative_norms() {
    // [1, -2], p=-1: (2 * (1 - 0.5) / 2)^-1 = 2.
    assert_values(
        &pool(&LpPool1d::new(-1.0, 2), &[1.0, -2.0], &[1, 2]),
        &[2.0],
    );
    // A zero input gives x^p = inf for p < 0, hence 0.
    for p in [-1.0, -2.0, -0.5, -1.5, -3.0, -0.25] {
        for options in [
            LpPool2d::new(p, 2),
            LpPool2d::new(p, [1, 3]).ceil_mode(true),
        ] {
            let values = pool(&options, &[0.0; 8], &[1, 2, 4]);
            assert!(values.iter().all(|v| *v == 0.0), "p={p}: {values:?}");
        }
    }
    // p=-2 on [3, 4]: (2 / 2 * (1/9 + 1/16))^(-1/2) = 12/5.
    assert_values(&pool(&LpPool1d::new(-2.0, 2), &[3.0, 4.0], &[1, 2]), &[2.4]);
}

#[test]
fn spec_infinite_norms_are_max_and_min_of_abs() {
    let data = [-3.0, 2.0, 0.5, -0.25, -0.0, 7.0];
    let max = pool(&LpPool1d::new(f64::INFINITY, 2), &data, &[1, 6]);
    assert_bits_eq(&max, &[3.0, 0.5, 7.0], &"p=inf");
    let min = pool(&LpPool1d::new(f64::NEG_INFINITY, 2), &data, &[1, 6]);
    assert_bits_eq(&min, &[2.0, 0.25, 0.0], &"p=-inf");
    // NaN wins either way (the last NaN, sign cleared by abs); infinities are magnitudes.
    let nan = f32::from_bits(0xffc0_0042);
    let data = [
        1.0,
        nan,
        -f32::INFINITY,
        5.0,
        f32::NEG_INFINITY,
        f32::INFINITY,
    ];
    let max = pool(&LpPool1d::new(f64::INFINITY, 3), &data, &[1, 6]);
    assert_bits_eq(
        &max,
        &[f32::from_bits(0x7fc0_0042), f32::INFINITY],
        &"p=inf",
    );
    let min = pool(&LpPool1d::new(f64::NEG_INFINITY, 3), &data, &[1, 6]);
    assert_bits_eq(&min, &[f32::from_bits(0x7fc0_0042), 5.0], &"p=-inf");
    // A partial ceil window is not rescaled.
    let options = LpPool2d::new(f64::INFINITY, 2).ceil_mode(true);
    assert_bits_eq(
        &pool(&options, &[1.0, -2.0, -9.0, 4.0, 5.0, 6.0], &[1, 2, 3]),
        &[5.0, 9.0],
        &"p=inf ceil",
    );
}

#[test]
fn stride_none_equals_the_kernel_as_stride() {
    let mut rng = Rng::new(random::seed(), 41);
    let data = fill(&mut rng, Fill::Special, 2 * 3 * 7 * 8);
    for p in [2.0, -1.0, 1.5, f64::NEG_INFINITY] {
        let implicit = LpPool2d::new(p, [2, 3]).ceil_mode(true);
        let explicit = implicit.stride([2, 3]);
        let a = pool(&implicit, &data, &[2, 3, 7, 8]);
        let b = pool(&explicit, &data, &[2, 3, 7, 8]);
        assert_bits_eq(&a, &b, &format_args!("p={p}"));
    }
}

#[test]
fn non_square_kernels() {
    // Rows of 0..6 in a 2x3 plane: k=(1,3) sums each row, k=(2,1) each column (p=1).
    let data: Vec<f32> = (0..6).map(|v| v as f32).collect();
    assert_values(
        &pool(&LpPool2d::new(1.0, [1, 3]), &data, &[1, 2, 3]),
        &[3.0, 12.0],
    );
    assert_values(
        &pool(&LpPool2d::new(1.0, [2, 1]), &data, &[1, 2, 3]),
        &[3.0, 5.0, 7.0],
    );
    // p=2 over a (2, 1) window of [3; 4]: 5; 3d (1, 2, 1).
    assert_values(
        &pool(&LpPool2d::new(2.0, [2, 1]), &[3.0, 4.0], &[1, 2, 1]),
        &[5.0],
    );
    assert_values(
        &pool(
            &LpPool3d::new(2.0, [1, 2, 1]),
            &[3.0, 4.0, 6.0, 8.0],
            &[1, 2, 2, 1],
        ),
        &[5.0, 10.0],
    );
}

/// `x^NaN` is NaN except `1^NaN = 1`, and `Kprod^NaN` is NaN unless Kprod is 1.
#[test]
fn nan_norm_type_follows_the_composite() {
    let values = pool(&LpPool1d::new(f64::NAN, 1), &[1.0, 2.0, -1.0, 0.0], &[1, 4]);
    assert_eq!(values[0], 1.0);
    assert!(values[1..].iter().all(|v| v.is_nan()), "{values:?}");
    let values = pool(&LpPool1d::new(f64::NAN, 2), &[1.0; 4], &[1, 4]);
    assert!(values.iter().all(|v| v.is_nan()), "{values:?}");
}

/// C `pow` and ATen's special kernels at the edges (±0, ±inf, NaN, ±1, negative bases, results
/// past the f32 range) through whole pooling calls: single-tap windows show `pow` then root,
/// pairs show sums of infinities, and exponents past the f32 range (or subnormal) exercise the
/// host's classification of the exact exponent. No power lands in the subnormal range: WGSL
/// lets a GPU flush subnormals to zero, so there the GPU may legitimately differ.
#[test]
fn pow_edge_cases_through_the_pipeline() {
    let inf = f32::INFINITY;
    let data = [
        0.0,
        -0.0,
        inf,
        -inf,
        f32::NAN,
        1.0,
        -1.0,
        2.0,
        -2.0,
        0.5,
        -0.5,
        -8.0,
        8.0,
        1e-35,
        -1e-35,
        1e35,
        -1e35,
        3.0e37,
        1.5,
        -0.75,
    ];
    let norms = [
        1.0,
        2.0,
        3.0,
        0.5,
        -0.5,
        -1.0,
        -2.0,
        1.5,
        -1.5,
        2.5,
        4.0,
        5.0,
        -3.0,
        -4.0,
        0.25,
        1.0 / 3.0,
        0.2,
        1e-40,
        -1e-40,
        5e-324,
        1e39,
        1e300,
        -1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut nan = 0;
    let mut infinite = 0;
    for p in norms {
        for options in [
            LpPool1d::new(p, 1),
            LpPool1d::new(p, 2).stride(1),
            LpPool1d::new(p, 3).stride(2).ceil_mode(true),
        ] {
            let values = pool(&options, &data, &[1, data.len()]);
            nan += values.iter().filter(|v| v.is_nan()).count();
            infinite += values.iter().filter(|v| v.is_infinite()).count();
        }
    }
    assert!(nan > 100 && infinite > 100, "{nan} NaN, {infinite} inf");
}

/// `sign(a) * relu(|a|)` in PyTorch's composite turns a -0 average into +0 before the root. A
/// -0 average needs a subnormal sum (here -2^-149, halved), so this runs on the CPU reference
/// only: WGSL lets a GPU flush subnormals.
#[test]
fn cpu_reference_turns_a_negative_zero_average_into_positive_zero() {
    // 2^-126 - (2^-126 + 2^-149) = -2^-149, as x (p=1) or as 1/x (p=-1).
    let sums = [
        (1.0, [f32::MIN_POSITIVE, -f32::from_bits(0x0080_0001)]),
        (
            -1.0,
            [f32::from_bits(0x7e80_0000), -f32::from_bits(0x7e7f_fffe)],
        ),
    ];
    for (p, data) in sums {
        let values = wgpool::cpu::lp_pool(&LpPool1d::new(p, 2), &data, &[1, 2]).unwrap();
        // p=1: 2 * (+0) = +0, not -0; p=-1: 1/(+0) = +inf, not -inf.
        let expected = if p > 0.0 { 0.0 } else { f32::INFINITY };
        assert_bits_eq(&values.data, &[expected], &format_args!("p={p}"));
    }
}

/// Kernels above the size compiled into specialised pipelines, on both sides, mixed per dim.
#[test]
fn large_kernels_take_the_generic_loops() {
    let mut rng = Rng::new(random::seed(), 42);
    let shape = [2, 2, 11, 23];
    let data = fill(&mut rng, Fill::Normal, shape.iter().product());
    for p in [2.0, 1.0, 0.5, f64::INFINITY] {
        for kernel in [[9, 3], [3, 13], [11, 23]] {
            let options = LpPool2d::new(p, kernel).stride([2, 5]).ceil_mode(true);
            pool(&options, &data, &shape);
        }
    }
}

/// Kernels of i32::MAX are valid in ceil mode when the stride keeps one window: k_eff is the
/// input, Kprod is huge (2^62 in 2d, converted to f32 once), and the GPU visits only the taps
/// inside the input.
#[test]
fn huge_kernels_in_ceil_mode() {
    let k = i32::MAX as i64;
    let data = [3.0, -4.0, 0.5, 2.0, -1.0];
    for p in [2.0, 1.0, -1.0, 0.5, f64::INFINITY, f64::NEG_INFINITY] {
        let options = LpPool1d::new(p, k).stride(k).ceil_mode(true);
        let values = pool(&options, &data, &[1, 5]);
        let options = LpPool2d::new(p, k).stride(k).ceil_mode(true);
        assert_eq!(pool(&options, &data[..1], &[1, 1, 1]).len(), 1);
        if p == 1.0 {
            // (0.5 / 5 * (2^31 - 1))^1.
            assert_values(&values, &[0.1 * k as f32]);
        }
    }
    let options = LpPool3d::new(f64::INFINITY, k).stride(k).ceil_mode(true);
    assert_bits_eq(&pool(&options, &[-2.5], &[1, 1, 1, 1]), &[2.5], &"3d");
}

// ---------------------------------------------------------------------------------------------
// Batches and encoders.

#[test]
fn empty_batch_gives_an_empty_output() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, options: LpPool<R>, shape: &[usize], out: &[usize]) {
        let input: Tensor = Tensor::upload(ctx, &[], shape).unwrap();
        let values = options.forward(ctx, &input).unwrap();
        assert_eq!(values.shape(), out);
        assert!(values.is_empty() && values.download(ctx).unwrap().is_empty());
        let cpu = wgpool::cpu::lp_pool(&options, &[], shape).unwrap();
        assert_eq!((cpu.shape.as_slice(), cpu.data.len()), (out, 0));
    }
    check(ctx, LpPool1d::new(2.0, 2), &[0, 3, 9], &[0, 3, 4]);
    check(
        ctx,
        LpPool2d::new(f64::INFINITY, 3).stride(1),
        &[0, 2, 5, 4],
        &[0, 2, 3, 2],
    );
    check(
        ctx,
        LpPool3d::new(-1.5, 2).ceil_mode(true),
        &[0, 1, 3, 3, 3],
        &[0, 1, 2, 2, 2],
    );
}

/// Unbatched `(C, ...)` equals batched `(1, C, ...)` on the GPU, bit for bit.
#[test]
fn unbatched_equals_batch_of_one() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, rng: &mut Rng, case: usize) {
        let shape: Vec<usize> = [1, 2, 6, 7, 5][..R + 2].to_vec();
        let options = loop {
            let options = random_options::<R>(rng);
            if options.plan(&shape).is_ok() {
                break options;
            }
        };
        let data = fill(rng, Fill::Special, shape.iter().product());
        let batched = Tensor::upload(ctx, &data, &shape).unwrap();
        let unbatched = Tensor::upload(ctx, &data, &shape[1..]).unwrap();
        let b = options.forward(ctx, &batched).unwrap();
        let u = options.forward(ctx, &unbatched).unwrap();
        assert_eq!(b.shape()[0], 1, "case {case}");
        assert_eq!(&b.shape()[1..], u.shape(), "case {case}");
        let what = format!("case {case}: {options:?}");
        assert_bits_eq(&u.download(ctx).unwrap(), &b.download(ctx).unwrap(), &what);
    }
    let mut rng = Rng::new(random::seed(), 43);
    for case in 0..8 {
        check::<1>(ctx, &mut rng, case);
        check::<2>(ctx, &mut rng, case);
        check::<3>(ctx, &mut rng, case);
    }
}

/// Two LP pools chained in one encoder with `encode_into` and caller tensors, one submit; and
/// wrong-shaped outputs refused.
#[test]
fn encode_into_caller_tensors() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 44);
    let shape = [3, 4, 5, 6];
    let data = fill(&mut rng, Fill::Normal, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let first = LpPool3d::new(2.0, [2, 3, 2])
        .stride([1, 2, 2])
        .ceil_mode(true);
    let second = LpPool3d::new(f64::NEG_INFINITY, 2);
    let cpu1 = wgpool::cpu::lp_pool(&first, &data, &shape).unwrap();
    let cpu2 = wgpool::cpu::lp_pool(&second, &cpu1.data, &cpu1.shape).unwrap();

    let out1 = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let out2 = Tensor::empty(ctx, &cpu2.shape).unwrap();
    let mut encoder = ctx.encoder();
    first.encode_into(ctx, &mut encoder, &input, &out1).unwrap();
    second.encode_into(ctx, &mut encoder, &out1, &out2).unwrap();
    ctx.submit(encoder).unwrap();
    let got1 = out1.download(ctx).unwrap();
    assert_lp_close(&got1, &cpu1.data, &"first");
    // The second op pools the GPU's first output: compare with the CPU pooling of exactly that.
    let cpu2_of_gpu = wgpool::cpu::lp_pool(&second, &got1, &cpu1.shape).unwrap();
    assert_bits_eq(&out2.download(ctx).unwrap(), &cpu2_of_gpu.data, &"second");
    assert_eq!(cpu2.shape, cpu2_of_gpu.shape);

    let flat = Tensor::empty(ctx, &[cpu1.data.len()]).unwrap();
    let small = Tensor::empty(ctx, &[4, 4, 3, 3]).unwrap();
    let mut encoder = ctx.encoder();
    for output in [&flat, &small] {
        match first.encode_into(ctx, &mut encoder, &input, output) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("lp_pool3d"), "{message}");
                assert!(message.contains(&format!("{:?}", cpu1.shape)), "{message}");
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    ctx.submit(encoder).unwrap();
}

/// More outputs than one dimension of workgroups holds: the dispatch folds into 2-d.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let per_dim = limits.max_compute_workgroups_per_dimension as usize;
    let one_dim = per_dim * ctx.workgroup_size() as usize;
    let planes = 4;
    let len = (one_dim + 4 * per_dim) / planes + 1;
    let total = planes * len;
    if (total * 4) as u64 > limits.max_storage_buffer_binding_size {
        eprintln!("note: {total} f32 outputs exceed this adapter's binding limit; skipped");
        return;
    }
    let mut rng = Rng::new(random::seed(), 45);
    let mut data: Vec<f32> = (0..total)
        .map(|_| (rng.next_u64() % 1000) as f32 - 500.0)
        .collect();
    for _ in 0..64 {
        let at = rng.below(data.len() as u64) as usize;
        data[at] = rng.pick(&[f32::NAN, f32::NEG_INFINITY, f32::INFINITY, -0.0]);
    }
    let shape = [2, 2, len];
    let options = LpPool1d::new(2.0, 1);
    let cpu = wgpool::cpu::lp_pool(&options, &data, &shape).unwrap();
    assert_eq!(cpu.data.len(), total);
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let output = options.forward(ctx, &input).unwrap();
    assert_lp_close(&output.download(ctx).unwrap(), &cpu.data, &"large lp");
}

// ---------------------------------------------------------------------------------------------
// Refusals, without a device.

fn refuses<const R: usize>(options: LpPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let data = vec![0.0; shape.iter().product()];
    let cpu = wgpool::cpu::lp_pool(&options, &data, shape)
        .expect_err(&format!("cpu::lp_pool {options:?} accepted {shape:?}"));
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

#[track_caller]
fn assert_argument(error: &Error, op: &str, argument: &str, needles: &[&str]) {
    match error {
        Error::InvalidArgument {
            op: o,
            argument: a,
            message,
        } => {
            assert_eq!((*o, *a), (op, argument), "{error:?}");
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
        }
        other => panic!("expected InvalidArgument({op}, {argument}), got {other:?}"),
    }
}

#[track_caller]
fn assert_shape(error: &Error, op: &str, needles: &[&str]) {
    match error {
        Error::InvalidShape { op: o, message } => {
            assert_eq!(*o, op, "{error:?}");
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
        }
        other => panic!("expected InvalidShape({op}), got {other:?}"),
    }
}

#[test]
fn zero_norm_type_is_refused_first() {
    for p in [0.0, -0.0] {
        let error = refuses(LpPool2d::new(p, 2), &[1, 4, 4]);
        assert_argument(&error, "lp_pool2d", "norm_type", &["non-zero", "got"]);
        // Before any check of the kernel or the shape.
        let error = refuses(LpPool3d::new(p, 0), &[7]);
        assert_argument(&error, "lp_pool3d", "norm_type", &["non-zero"]);
    }
    let error = refuses(LpPool1d::new(0.0, 2), &[1, 4]);
    assert!(error.to_string().contains("but got 0"), "{error}");
}

#[test]
fn window_checks_are_inherited_from_avg_and_max_pooling() {
    for p in [2.0, f64::INFINITY, -0.5] {
        // k=0 without a stride: the stride (= kernel) check runs first.
        let error = refuses(LpPool2d::new(p, [2, 0]), &[1, 4, 4]);
        assert_argument(&error, "lp_pool2d", "stride", &["should not be zero"]);
        let error = refuses(LpPool2d::new(p, [2, 0]).stride(1), &[1, 4, 4]);
        assert_argument(&error, "lp_pool2d", "kernel_size", &["greater than zero"]);
        let error = refuses(LpPool1d::new(p, 2).stride(-1), &[1, 4]);
        assert_argument(&error, "lp_pool1d", "stride", &["greater than zero"]);
        // No window fits: the spec's 3x3 input with k=5.
        let error = refuses(LpPool2d::new(p, 5), &[1, 3, 3]);
        assert_shape(&error, "lp_pool2d", &["1x3x3", "too small"]);
        // Ranks and zero sizes.
        assert_shape(
            &refuses(LpPool2d::new(p, 2), &[4, 4]),
            "lp_pool2d",
            &["[4, 4]"],
        );
        assert_shape(
            &refuses(LpPool1d::new(p, 1), &[2, 0, 3]),
            "lp_pool1d",
            &["non-zero"],
        );
        // Values PyTorch cannot take as a C int, and hostile ones: no panic.
        let error = refuses(LpPool1d::new(p, i64::MAX), &[1, 4]);
        assert_argument(&error, "lp_pool1d", "kernel_size", &["32-bit"]);
        let error = refuses(LpPool3d::new(p, 2).stride([1, 1, i64::MIN]), &[1, 4, 4, 4]);
        assert_argument(&error, "lp_pool3d", "stride", &["32-bit"]);
    }
}

#[test]
fn lp_pool3d_refuses_inputs_smaller_than_the_kernel_only_for_finite_norms() {
    let shape = [1, 1, 1, 3, 3];
    for p in [2.0, -1.0, 1.5, f64::NAN] {
        let options = LpPool3d::new(p, 2).ceil_mode(true);
        let error = refuses(options, &shape);
        assert_shape(
            &error,
            "lp_pool3d",
            &["smaller than kernel size", "1x3x3", "2x2x2"],
        );
    }
    // The ±inf norms run max_pool3d, which has no such check: ceil mode gives one window.
    let data: Vec<f32> = (0..9).map(|v| v as f32 - 4.0).collect();
    for (p, expected) in [
        (f64::INFINITY, [4.0, 2.0, 3.0, 4.0]),
        (f64::NEG_INFINITY, [0.0, 1.0, 2.0, 4.0]),
    ] {
        let options = LpPool3d::new(p, 2).ceil_mode(true);
        assert_eq!(options.plan(&shape).unwrap().output_shape, [1, 1, 1, 2, 2]);
        assert_bits_eq(
            &pool(&options, &data, &shape),
            &expected,
            &format_args!("p={p}"),
        );
    }
    // The 2d op accepts a kernel bigger than the input in ceil mode, any norm.
    let options = LpPool2d::new(2.0, [3, 1]).stride([4, 1]).ceil_mode(true);
    assert_values(
        &pool(&options, &[3.0, 4.0], &[1, 2, 1]),
        &[5.0 * 1.5f32.sqrt()],
    );
}

/// Kwargs from the CLI and the conformance runner: what lp_pool takes and what it refuses.
#[test]
fn calls_by_name_take_only_lp_arguments() {
    let kwargs = Kwargs {
        norm_type: Some(2.0),
        kernel_size: Some(vec![2]),
        ..Kwargs::default()
    };
    let input = Array {
        shape: vec![1, 1, 4, 4],
        data: (0..16).map(|v| v as f32).collect(),
    };
    let call = Call::new("lp_pool2d", &kwargs).unwrap();
    assert_eq!(
        call.output_shape(&Inputs::new(input.clone())).unwrap(),
        [1, 1, 2, 2]
    );

    let refused: [(&str, Kwargs); 7] = [
        (
            "padding",
            Kwargs {
                padding: Some(vec![1]),
                ..kwargs.clone()
            },
        ),
        (
            "dilation",
            Kwargs {
                dilation: Some(vec![1]),
                ..kwargs.clone()
            },
        ),
        (
            "return_indices",
            Kwargs {
                return_indices: true,
                ..kwargs.clone()
            },
        ),
        (
            "count_include_pad",
            Kwargs {
                count_include_pad: Some(true),
                ..kwargs.clone()
            },
        ),
        (
            "divisor_override",
            Kwargs {
                divisor_override: Some(2),
                ..kwargs.clone()
            },
        ),
        (
            "output_size",
            Kwargs {
                output_size: Some(vec![Some(2)]),
                ..kwargs.clone()
            },
        ),
        (
            "output_ratio",
            Kwargs {
                output_ratio: Some(vec![0.5]),
                ..kwargs.clone()
            },
        ),
    ];
    for (argument, kwargs) in refused {
        let error = Call::new("lp_pool2d", &kwargs).unwrap_err();
        assert_argument(&error, "lp_pool2d", argument, &["takes no"]);
    }
    let missing = Kwargs {
        norm_type: None,
        ..kwargs.clone()
    };
    let error = Call::new("lp_pool1d", &missing).unwrap_err();
    assert_argument(&error, "lp_pool1d", "norm_type", &["required"]);
    // lp_pool1d's kernel is one int.
    let pair = Kwargs {
        kernel_size: Some(vec![2, 2]),
        ..kwargs.clone()
    };
    let error = Call::new("lp_pool1d", &pair).unwrap_err();
    assert_argument(&error, "lp_pool1d", "kernel_size", &["single int"]);
    // No second input.
    let mut inputs = Inputs::new(input);
    inputs.indices = Some(Array {
        shape: vec![1],
        data: vec![0],
    });
    let error = call.output_shape(&inputs).unwrap_err();
    assert_argument(&error, "lp_pool2d", "indices", &["takes no"]);
}
