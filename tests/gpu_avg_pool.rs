//! AvgPool1d/2d/3d on the GPU against the CPU reference: a seeded random grid over every
//! argument (NaN where the reference has NaN, infinities exact, the rest within a few ulp;
//! refusals identical), the spec's hand-worked cases, N=0, unbatched inputs, and the
//! encoder-level API with a max pool and an avg pool recorded into one encoder.

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_avg_close, assert_bits_eq, fill, Fill, Rng, FILLS};
use wgpool::geometry::pooled_len;
use wgpool::{Array, AvgPool, AvgPool1d, AvgPool2d, AvgPool3d, Context, Error, MaxPool2d, Tensor};

/// Runs `options` on the CPU reference and (when there is a GPU) on the GPU. Refusals must be
/// the same error everywhere (variant and message); results must agree (NaN positions exactly,
/// infinities exactly, other values within a few ulp). Returns the CPU result, `None` when
/// refused.
fn check_avg<const R: usize>(
    ctx: Option<&Context>,
    options: &AvgPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<Array<f32>> {
    let cpu = wgpool::cpu::avg_pool(options, data, shape);
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
                assert_avg_close(&gpu.download(ctx).unwrap(), &values.data, what);
            }
            Some(values)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// Random options: kernel 1..=4 per dim, stride None or 1..=5 (past the kernel too), padding
/// 0..=k/2, ceil and count_include_pad either way, divisor_override None or one of 1, 7, 42,
/// k, -1, -2, -7 (2d/3d). One case in six breaks one argument: kernel 0 or -1, stride 0 or -2,
/// padding -1 or k/2+1, divisor_override 0, or any override in 1d.
fn random_options<const R: usize>(rng: &mut Rng) -> AvgPool<R> {
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let mut options = AvgPool::<R>::new(kernel);
    if rng.percent(60) {
        options.stride = Some(std::array::from_fn(|_| rng.range(1, 5)));
    }
    options.padding = std::array::from_fn(|a| rng.range(0, kernel[a] / 2));
    options.ceil_mode = rng.coin();
    options.count_include_pad = rng.coin();
    if R > 1 && rng.percent(35) {
        let volume = kernel.iter().product();
        options.divisor_override = Some(rng.pick(&[1, 7, 42, volume, -1, -2, -7]));
    }
    if rng.percent(16) {
        let a = rng.below(R as u64) as usize;
        match rng.below(4) {
            0 => options.kernel_size[a] = rng.pick(&[0, -1]),
            1 => {
                let mut stride = options.stride.unwrap_or(kernel);
                stride[a] = rng.pick(&[0, -2]);
                options.stride = Some(stride);
            }
            2 => options.padding[a] = rng.pick(&[-1, kernel[a] / 2 + 1]),
            _ => options.divisor_override = Some(if R == 1 { rng.pick(&[0, 2, -3]) } else { 0 }),
        }
    }
    options
}

/// A random shape for `options`: batched (N in 0..=3) or not, C in 1..=3, spatial sizes mostly
/// near the kernel (so that windows hang into the padding, ceil windows past it, and avg_pool3d
/// sometimes gets an input smaller than its kernel), sometimes up to `max_len`; rarely C=0, a
/// zero spatial dim or a wrong rank.
fn random_shape<const R: usize>(rng: &mut Rng, options: &AvgPool<R>, max_len: i64) -> Vec<usize> {
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
            let (k, p) = (options.kernel_size[a], options.padding[a]);
            // The smallest size with a window: k - 2p; avg_pool3d also needs k.
            let fits = if R == 3 { k } else { k - 2 * p }.max(1);
            let extra = match rng.below(100) {
                0..=5 => -1,
                6..=45 => 0,
                _ => rng.range(1, 4),
            };
            (fits + extra).max(1)
        } else {
            rng.range(1, max_len)
        };
        shape.push(len as usize);
    }
    shape
}

/// What the grid reached, so that a grid that silently stops covering something fails.
#[derive(Debug, Default)]
struct Coverage {
    refused: usize,
    valid: usize,
    unbatched: usize,
    empty_batch: usize,
    stride_none: usize,
    stride_past_kernel: usize,
    padded_include: usize,
    padded_exclude: usize,
    ceil_extra_window: usize,
    ceil_past_padding: usize,
    override_positive: usize,
    override_negative: usize,
    nan_output: usize,
    inf_output: usize,
}

impl Coverage {
    fn note<const R: usize>(&mut self, options: &AvgPool<R>, shape: &[usize], values: &Array<f32>) {
        self.valid += 1;
        let batched = shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && shape[0] == 0);
        self.stride_none += usize::from(options.stride.is_none());
        let stride = options.stride.unwrap_or(options.kernel_size);
        let spatial = &shape[shape.len() - R..];
        let (mut past_kernel, mut padded, mut extra, mut past) = (false, false, false, false);
        for a in 0..R {
            let (k, s, p) = (options.kernel_size[a], stride[a], options.padding[a]);
            let len = spatial[a] as u64;
            past_kernel |= s > k;
            padded |= p > 0;
            let floor = pooled_len(len, k, s, p, 1, false);
            let ceil = pooled_len(len, k, s, p, 1, true);
            if options.ceil_mode && ceil > floor {
                extra = true;
                past |= p > 0 && (ceil - 1) * s - p + k > len as i64 + p;
            }
        }
        let counted = options.divisor_override.is_none();
        self.stride_past_kernel += usize::from(past_kernel);
        self.padded_include += usize::from(padded && counted && options.count_include_pad);
        self.padded_exclude += usize::from(padded && counted && !options.count_include_pad);
        self.ceil_extra_window += usize::from(extra);
        self.ceil_past_padding += usize::from(past && counted && options.count_include_pad);
        self.override_positive += usize::from(options.divisor_override.is_some_and(|d| d > 0));
        self.override_negative += usize::from(options.divisor_override.is_some_and(|d| d < 0));
        self.nan_output += usize::from(values.data.iter().any(|v| v.is_nan()));
        self.inf_output += usize::from(values.data.iter().any(|v| v.is_infinite()));
    }

    fn assert_complete(&self, rank: usize, cases: usize) {
        let fields = [
            ("refused", self.refused),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("stride_none", self.stride_none),
            ("stride_past_kernel", self.stride_past_kernel),
            ("padded_include", self.padded_include),
            ("padded_exclude", self.padded_exclude),
            ("ceil_extra_window", self.ceil_extra_window),
            ("ceil_past_padding", self.ceil_past_padding),
            ("override_positive", self.override_positive),
            ("override_negative", self.override_negative),
            ("nan_output", self.nan_output),
            ("inf_output", self.inf_output),
        ];
        let missing: Vec<_> = fields
            .iter()
            .filter(|(name, n)| *n == 0 && !(rank == 1 && name.starts_with("override")))
            .collect();
        assert!(
            missing.is_empty(),
            "rank {rank}: the random grid never reached {missing:?} (seed {:#x}): {self:?}",
            random::seed()
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
    let mut rng = Rng::new(seed, 200 + R as u64);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let options = random_options::<R>(&mut rng);
        let shape = random_shape(&mut rng, &options, max_len);
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, shape.iter().product());
        let what = format!("seed {seed:#x} case {case}: {options:?} on {shape:?} ({kind:?})");
        match check_avg(Some(ctx), &options, &shape, &data, &what) {
            Some(values) => coverage.note(&options, &shape, &values),
            None => coverage.refused += 1,
        }
    }
    coverage.assert_complete(R, cases);
}

#[test]
fn random_grid_avg_pool1d() {
    random_grid::<1>(1200, 12);
}

#[test]
fn random_grid_avg_pool2d() {
    random_grid::<2>(900, 8);
}

#[test]
fn random_grid_avg_pool3d() {
    random_grid::<3>(600, 7);
}

// ---------------------------------------------------------------------------------------------
// Hand-worked cases from PYTORCH_POOLING.md, on the CPU reference and the GPU.

/// Pools on the CPU (and the GPU, which must agree) and returns the CPU values.
fn pool<const R: usize>(options: &AvgPool<R>, data: &[f32], shape: &[usize]) -> Vec<f32> {
    let what = format!("{options:?} on {shape:?} {data:?}");
    check_avg(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what}: refused"))
        .data
}

/// The CPU reference is exact (one f32 division of an exact sum), so it must equal the
/// expected quotients bit for bit; `pool` has already held the GPU to a few ulp of it.
fn assert_exact(got: &[f32], expected: &[f32]) {
    assert_bits_eq(got, expected, &format_args!("{got:?} vs {expected:?}"));
}

#[test]
fn spec_ceil_window_past_the_padding_counts_only_the_padded_extent() {
    let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let options = AvgPool1d::new(3).stride(2).padding(1).ceil_mode(true);
    assert_exact(&pool(&options, &data, &[1, 6]), &[1.0, 3.0, 5.0, 3.0]);
    // Without counting the padding: the first window holds 1 and 2 only.
    let options = options.count_include_pad(false);
    assert_exact(&pool(&options, &data, &[1, 6]), &[1.5, 3.0, 5.0, 6.0]);
}

#[test]
fn spec_ones_2x2_with_padding_and_ceil() {
    let options = AvgPool2d::new(3).stride(2).padding(1).ceil_mode(true);
    let expected = [4.0 / 9.0, 2.0 / 6.0, 2.0 / 6.0, 1.0 / 4.0];
    assert_exact(&pool(&options, &[1.0; 4], &[1, 1, 2, 2]), &expected);
    assert_exact(&pool(&options, &[1.0; 4], &[1, 2, 2]), &expected);
    // Every window holds only ones when the padding is not counted.
    let options = options.count_include_pad(false);
    assert_exact(&pool(&options, &[1.0; 4], &[1, 2, 2]), &[1.0; 4]);
}

#[test]
fn spec_count_include_pad_has_no_effect_without_padding() {
    for include in [true, false] {
        let options = AvgPool1d::new(2)
            .stride(2)
            .ceil_mode(true)
            .count_include_pad(include);
        let data = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_exact(&pool(&options, &data, &[1, 5]), &[1.5, 3.5, 5.0]);
    }
}

#[test]
fn spec_2d_kernel_bigger_than_a_1x1_input() {
    let options = AvgPool2d::new(3).padding(1);
    assert_exact(&pool(&options, &[7.0], &[1, 1, 1]), &[7.0 / 9.0]);
    assert_exact(
        &pool(&options.count_include_pad(false), &[7.0], &[1, 1, 1]),
        &[7.0],
    );
    // avg_pool3d refuses the same input (smaller than the kernel), even with padding.
    let refused = AvgPool3d::new(3)
        .padding(1)
        .plan(&[1, 1, 1, 1])
        .unwrap_err();
    assert!(matches!(
        refused,
        Error::InvalidShape {
            op: "avg_pool3d",
            ..
        }
    ));
}

#[test]
fn spec_divisor_override_applies_to_every_window() {
    let options = AvgPool2d::new(2).divisor_override(-2);
    assert_exact(&pool(&options, &[1.0; 16], &[1, 4, 4]), &[-2.0; 4]);
    // Partial ceil windows keep the override: sums 4, 2, 2, 1 over -2.
    let options = options.ceil_mode(true);
    assert_exact(
        &pool(&options, &[1.0; 9], &[1, 3, 3]),
        &[-2.0, -1.0, -1.0, -0.5],
    );
    // Overrides 1, 7, k and 42 on arange, 3d.
    let data: Vec<f32> = (0..8).map(|v| v as f32).collect();
    for divisor in [1, 7, 8, 42] {
        let options = AvgPool3d::new(2).divisor_override(divisor);
        assert_exact(
            &pool(&options, &data, &[1, 2, 2, 2]),
            &[28.0 / divisor as f32],
        );
    }
    // stride=[] (None) with an override, and padding with count_include_pad=false ignored.
    let options = AvgPool2d::new([1, 2])
        .padding([0, 1])
        .divisor_override(3)
        .count_include_pad(false);
    assert_exact(&pool(&options, &[3.0, 6.0], &[1, 1, 2]), &[1.0, 2.0]);
}

#[test]
fn spec_infinities_follow_plain_arithmetic() {
    let (inf, ninf) = (f32::INFINITY, f32::NEG_INFINITY);
    let values = pool(
        &AvgPool1d::new(2),
        &[inf, ninf, inf, 1.0, ninf, -0.0],
        &[1, 6],
    );
    assert!(values[0].is_nan(), "avg(inf, -inf) = {}", values[0]);
    assert_eq!(values[1..], [inf, ninf]);
    let values = pool(&AvgPool1d::new(2), &[f32::NAN, 1.0, -0.0, -0.0], &[1, 4]);
    assert!(values[0].is_nan());
    // The sum starts at +0: two -0 average to +0 (PyTorch's CPU order).
    assert_eq!(values[1].to_bits(), 0);
}

#[test]
fn spec_output_shapes() {
    let data = vec![1.0; 5 * 6 * 7];
    let options = AvgPool3d::new(1).stride(2).ceil_mode(true);
    assert_eq!(
        options.plan(&[1, 1, 5, 6, 7]).unwrap().output_shape,
        [1, 1, 3, 3, 4]
    );
    assert_exact(&pool(&options, &data, &[1, 1, 5, 6, 7]), &[1.0; 36]);
    for ceil in [false, true] {
        let options = AvgPool3d::new(2).stride(2).padding(1).ceil_mode(ceil);
        assert_eq!(
            options.plan(&[1, 1, 3, 4, 5]).unwrap().output_shape,
            [1, 1, 2, 3, 3]
        );
        pool(&options, &data[..60], &[1, 1, 3, 4, 5]);
    }
}

/// A 2d kernel far bigger than a 1x1 input, with maximal padding, is valid for PyTorch: the
/// count_include_pad divisor is then the product of two huge window sizes. Up to i32::MAX
/// the GPU must match the CPU exactly; past it, it must match or refuse (`TooLarge`), never
/// divide by a wrapped product.
#[test]
fn huge_kernels_on_a_tiny_input() {
    // 46339^2 = 2_147_302_921 <= i32::MAX.
    let options = AvgPool2d::new(46_339).padding(23_169);
    assert_exact(
        &pool(&options, &[3.0, -1.5], &[2, 1, 1]),
        &[3.0 / 2_147_302_921.0, -1.5 / 2_147_302_921.0],
    );
    let Some(ctx) = common::gpu() else { return };
    let input = Tensor::upload(ctx, &[3.0, -1.5], &[2, 1, 1]).unwrap();
    for k in [46_341, 65_537, i32::MAX as i64] {
        let options = AvgPool2d::new(k).padding(k / 2);
        let cpu = wgpool::cpu::avg_pool(&options, &[3.0, -1.5], &[2, 1, 1]).unwrap();
        let divisor = (k * k) as f32;
        assert_exact(&cpu.data, &[3.0 / divisor, -1.5 / divisor]);
        match options.forward(ctx, &input) {
            Ok(gpu) => assert_avg_close(
                &gpu.download(ctx).unwrap(),
                &cpu.data,
                &format_args!("k={k}"),
            ),
            Err(Error::TooLarge { what, .. }) => assert!(what.contains("avg_pool2d"), "{what}"),
            Err(e) => panic!("k={k}: {e}"),
        }
        // Without counting padding, or with an override, the divisor is small: always exact.
        for options in [
            options.count_include_pad(false),
            options.divisor_override(-3),
        ] {
            let cpu = wgpool::cpu::avg_pool(&options, &[3.0, -1.5], &[2, 1, 1]).unwrap();
            let gpu = options.forward(ctx, &input).unwrap().download(ctx).unwrap();
            assert_avg_close(&gpu, &cpu.data, &format_args!("{options:?}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Batches and encoders.

#[test]
fn empty_batch_gives_an_empty_output() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, options: AvgPool<R>, shape: &[usize], out: &[usize]) {
        let input: Tensor = Tensor::upload(ctx, &[], shape).unwrap();
        let values = options.forward(ctx, &input).unwrap();
        assert_eq!(values.shape(), out);
        assert!(values.is_empty() && values.download(ctx).unwrap().is_empty());
        let cpu = wgpool::cpu::avg_pool(&options, &[], shape).unwrap();
        assert_eq!((cpu.shape.as_slice(), cpu.data.len()), (out, 0));
    }
    check(ctx, AvgPool1d::new(2), &[0, 3, 9], &[0, 3, 4]);
    check(
        ctx,
        AvgPool2d::new(3).stride(1).padding(1).divisor_override(-2),
        &[0, 2, 5, 4],
        &[0, 2, 5, 4],
    );
    check(
        ctx,
        AvgPool3d::new(2).ceil_mode(true),
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
        let data = fill(rng, Fill::Normal, shape.iter().product());
        let batched = Tensor::upload(ctx, &data, &shape).unwrap();
        let unbatched = Tensor::upload(ctx, &data, &shape[1..]).unwrap();
        let b = options.forward(ctx, &batched).unwrap();
        let u = options.forward(ctx, &unbatched).unwrap();
        assert_eq!(b.shape()[0], 1, "case {case}");
        assert_eq!(&b.shape()[1..], u.shape(), "case {case}");
        let what = format!("case {case}: {options:?}");
        assert_bits_eq(&u.download(ctx).unwrap(), &b.download(ctx).unwrap(), &what);
    }
    let mut rng = Rng::new(random::seed(), 21);
    for case in 0..10 {
        check::<1>(ctx, &mut rng, case);
        check::<2>(ctx, &mut rng, case);
        check::<3>(ctx, &mut rng, case);
    }
}

/// max_pool2d then avg_pool2d on its output, recorded into one encoder, submitted once and
/// downloaded once, against the CPU references chained.
#[test]
fn max_then_avg_in_one_encoder() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 22);
    let shape = [2, 3, 11, 9];
    let data = fill(&mut rng, Fill::Normal, shape.iter().product());
    let max = MaxPool2d::new([3, 2])
        .stride([2, 1])
        .padding(1)
        .dilation([1, 2])
        .ceil_mode(true);
    let avg = AvgPool2d::new(3)
        .stride(2)
        .padding(1)
        .ceil_mode(true)
        .count_include_pad(false);
    let (pooled, _) = wgpool::cpu::max_pool(&max, &data, &shape).unwrap();
    let expected = wgpool::cpu::avg_pool(&avg, &pooled.data, &pooled.shape).unwrap();

    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let mut encoder = ctx.encoder();
    let middle = max.encode(ctx, &mut encoder, &input).unwrap();
    let output = avg.encode(ctx, &mut encoder, &middle).unwrap();
    ctx.submit(encoder).unwrap();
    assert_eq!(middle.shape(), pooled.shape.as_slice());
    assert_eq!(output.shape(), expected.shape.as_slice());
    assert_avg_close(
        &output.download(ctx).unwrap(),
        &expected.data,
        &"max then avg",
    );
}

/// `encode_into` with caller-allocated outputs, and wrong-shaped outputs refused.
#[test]
fn encode_into_caller_tensors() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 23);
    let shape = [3, 4, 5, 6];
    let data = fill(&mut rng, Fill::Special, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let first = AvgPool3d::new([2, 3, 2])
        .stride([1, 2, 2])
        .padding([1, 1, 0])
        .ceil_mode(true);
    let second = AvgPool3d::new(2).divisor_override(-7);
    let cpu1 = wgpool::cpu::avg_pool(&first, &data, &shape).unwrap();
    let cpu2 = wgpool::cpu::avg_pool(&second, &cpu1.data, &cpu1.shape).unwrap();

    let out1 = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let out2 = Tensor::empty(ctx, &cpu2.shape).unwrap();
    let mut encoder = ctx.encoder();
    first.encode_into(ctx, &mut encoder, &input, &out1).unwrap();
    second.encode_into(ctx, &mut encoder, &out1, &out2).unwrap();
    ctx.submit(encoder).unwrap();
    assert_avg_close(&out1.download(ctx).unwrap(), &cpu1.data, &"first");
    // The second op pools the GPU's first output, which may differ by an ulp: compare it with
    // the CPU pooling of exactly that.
    let got1 = out1.download(ctx).unwrap();
    let cpu2_of_gpu = wgpool::cpu::avg_pool(&second, &got1, &cpu1.shape).unwrap();
    assert_avg_close(&out2.download(ctx).unwrap(), &cpu2_of_gpu.data, &"second");
    assert_eq!(cpu2.shape, cpu2_of_gpu.shape);

    // The same element count in another shape, and a wrong size.
    let flat = Tensor::empty(ctx, &[cpu1.data.len()]).unwrap();
    let small = Tensor::empty(ctx, &[4, 4, 3, 3]).unwrap();
    let mut encoder = ctx.encoder();
    for output in [&flat, &small] {
        match first.encode_into(ctx, &mut encoder, &input, output) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("avg_pool3d"), "{message}");
                assert!(message.contains(&format!("{:?}", cpu1.shape)), "{message}");
                assert!(
                    message.contains(&format!("{:?}", output.shape())),
                    "{message}"
                );
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    ctx.submit(encoder).unwrap();
}

/// More outputs than 65,535 workgroups of `workgroup_size()` threads, by more than a whole row
/// of workgroups: the dispatch folds into 2-d, and a linear index that got the row stride
/// wrong (e.g. without the workgroup size) would leave outputs unwritten.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let per_dim = limits.max_compute_workgroups_per_dimension as usize;
    let one_dim = per_dim * ctx.workgroup_size() as usize;
    // (2, 2, L), k=3, s=1, p=1: L outputs per plane.
    let planes = 4;
    let len = (one_dim + 4 * per_dim) / planes + 1;
    let total = planes * len;
    assert!(
        total > one_dim + per_dim && total > 65_535 * 256,
        "{total} outputs"
    );
    if (total * 4) as u64 > limits.max_storage_buffer_binding_size {
        eprintln!("note: {total} f32 outputs exceed this adapter's binding limit; skipped");
        return;
    }
    let shape = [2, 2, len];
    let mut rng = Rng::new(random::seed(), 24);
    let mut data: Vec<f32> = (0..total)
        .map(|_| (rng.next_u64() % 1000) as f32 - 500.0)
        .collect();
    for _ in 0..64 {
        let at = rng.below(data.len() as u64) as usize;
        data[at] = rng.pick(&[f32::NAN, f32::NEG_INFINITY, f32::INFINITY, -0.0]);
    }
    let options = AvgPool1d::new(3)
        .stride(1)
        .padding(1)
        .count_include_pad(false);
    let cpu = wgpool::cpu::avg_pool(&options, &data, &shape).unwrap();
    assert_eq!(cpu.data.len(), total);
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let output = options.forward(ctx, &input).unwrap();
    assert_avg_close(&output.download(ctx).unwrap(), &cpu.data, &"large avg");
}
