//! MaxPool1d/2d/3d on the GPU against the CPU reference: a seeded random grid over every
//! argument (values bit-exact, indices exact, refusals identical), the spec's hand-worked
//! cases, N=0, unbatched inputs, the encoder-level API, and an output big enough to need the
//! folded 2-d dispatch.

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_bits_eq, fill, Fill, Rng, FILLS};
use wgpool::geometry::pooled_len;
use wgpool::{Array, Context, Error, MaxPool, MaxPool1d, MaxPool2d, MaxPool3d, Tensor};

/// The first position where `got` and `expected` differ, with both values.
fn assert_indices_eq(got: &[i64], expected: &[i64], what: &dyn Display) {
    assert_eq!(got.len(), expected.len(), "{what}: index counts differ");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
        panic!("{what}: index {i}: GPU {}, CPU {}", got[i], expected[i]);
    }
}

/// Runs `options` on the CPU reference and (when there is a GPU) on the GPU, both with and
/// without indices. Refusals must be the same error everywhere (variant and message); results
/// must agree bit for bit. Returns the CPU result, `None` when refused.
fn check_max<const R: usize>(
    ctx: Option<&Context>,
    options: &MaxPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<(Array<f32>, Array<i64>)> {
    let cpu = wgpool::cpu::max_pool(options, data, shape);
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
                let gpu = options
                    .forward_with_indices(ctx, input)
                    .expect_err("GPU forward_with_indices accepted what the CPU refused");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: with indices vs CPU");
            }
            None
        }
        Ok((values, indices)) => {
            let plan = plan.unwrap_or_else(|e| panic!("{what}: plan refused: {e}"));
            assert_eq!(plan.output_shape, values.shape, "{what}: plan vs CPU shape");
            assert_eq!(values.shape, indices.shape, "{what}");
            assert_eq!(values.data.len(), plan.output_len(), "{what}");
            assert_eq!(indices.data.len(), plan.output_len(), "{what}");
            if let (Some(ctx), Some(input)) = (ctx, &input) {
                let (gv, gi) = options
                    .forward_with_indices(ctx, input)
                    .unwrap_or_else(|e| panic!("{what}: forward_with_indices: {e}"));
                assert_eq!(gv.shape(), values.shape.as_slice(), "{what}");
                assert_eq!(gi.shape(), values.shape.as_slice(), "{what}");
                let got = gv.download(ctx).unwrap();
                assert_bits_eq(&got, &values.data, &format_args!("{what}: values"));
                let got = gi.download(ctx).unwrap();
                assert_indices_eq(&got, &indices.data, &format_args!("{what}: indices"));

                let only = options
                    .forward(ctx, input)
                    .unwrap_or_else(|e| panic!("{what}: forward: {e}"));
                assert_eq!(only.shape(), values.shape.as_slice(), "{what}");
                let got = only.download(ctx).unwrap();
                assert_bits_eq(&got, &values.data, &format_args!("{what}: forward values"));
            }
            Some((values, indices))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// Random options: kernel 1..=4 per dim, stride None or 1..=5 (past the kernel too), padding
/// 0..=k/2, dilation 1..=3, ceil either way. One case in six breaks one argument of one dim
/// (kernel 0 or -1, stride 0 or -2, padding -1 or k/2+1, dilation 0).
fn random_options<const R: usize>(rng: &mut Rng) -> MaxPool<R> {
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let mut options = MaxPool::<R>::new(kernel);
    if rng.percent(60) {
        options.stride = Some(std::array::from_fn(|_| rng.range(1, 5)));
    }
    options.padding = std::array::from_fn(|a| rng.range(0, kernel[a] / 2));
    options.dilation = std::array::from_fn(|_| rng.range(1, 3));
    options.ceil_mode = rng.coin();
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
            _ => options.dilation[a] = 0,
        }
    }
    options
}

/// A random shape for `options`: batched (N in 0..=3) or not, C in 1..=3, and spatial sizes
/// mostly near the smallest that fits a window (so that windows hang into the padding and ceil
/// windows past it), sometimes up to `max_len`; rarely C=0, a zero spatial dim, a wrong rank,
/// or a size one below the smallest valid.
fn random_shape<const R: usize>(rng: &mut Rng, options: &MaxPool<R>, max_len: i64) -> Vec<usize> {
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
            let (k, p, d) = (
                options.kernel_size[a],
                options.padding[a],
                options.dilation[a],
            );
            let fits = (d * (k - 1) + 1 - 2 * p).max(1);
            let extra = match rng.below(100) {
                0..=3 => -1,
                4..=43 => 0,
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
    padded: usize,
    dilated: usize,
    ceil_extra_window: usize,
    ceil_past_padding: usize,
    empty_window: usize,
    nan_output: usize,
    neg_inf_output: usize,
    signed_zero_output: usize,
}

impl Coverage {
    fn note<const R: usize>(
        &mut self,
        options: &MaxPool<R>,
        shape: &[usize],
        result: &(Array<f32>, Array<i64>),
    ) {
        self.valid += 1;
        let batched = shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && shape[0] == 0);
        self.stride_none += usize::from(options.stride.is_none());
        let stride = options.stride.unwrap_or(options.kernel_size);
        let spatial = &shape[shape.len() - R..];
        let mut past_kernel = false;
        let (mut padded, mut dilated, mut extra, mut past) = (false, false, false, false);
        for a in 0..R {
            let (k, s, p, d) = (
                options.kernel_size[a],
                stride[a],
                options.padding[a],
                options.dilation[a],
            );
            let len = spatial[a] as u64;
            past_kernel |= s > k;
            padded |= p > 0;
            dilated |= d > 1;
            let floor = pooled_len(len, k, s, p, d, false);
            let ceil = pooled_len(len, k, s, p, d, true);
            if options.ceil_mode && ceil > floor {
                extra = true;
                let last_end = (ceil - 1) * s - p + d * (k - 1) + 1;
                past |= p > 0 && last_end > len as i64 + p;
            }
        }
        self.stride_past_kernel += usize::from(past_kernel);
        self.padded += usize::from(padded);
        self.dilated += usize::from(dilated);
        self.ceil_extra_window += usize::from(extra);
        self.ceil_past_padding += usize::from(past);
        let plane: usize = spatial.iter().product();
        let (values, indices) = result;
        self.empty_window += usize::from(indices.data.iter().any(|&i| i as usize >= plane));
        self.nan_output += usize::from(values.data.iter().any(|v| v.is_nan()));
        self.neg_inf_output += usize::from(values.data.contains(&f32::NEG_INFINITY));
        self.signed_zero_output += usize::from(
            values.data.iter().any(|v| v.to_bits() == 0x8000_0000)
                && values.data.iter().any(|v| v.to_bits() == 0),
        );
    }

    fn assert_complete(&self, rank: usize, cases: usize) {
        let fields = [
            ("refused", self.refused),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("stride_none", self.stride_none),
            ("stride_past_kernel", self.stride_past_kernel),
            ("padded", self.padded),
            ("dilated", self.dilated),
            ("ceil_extra_window", self.ceil_extra_window),
            ("ceil_past_padding", self.ceil_past_padding),
            ("empty_window", self.empty_window),
            ("nan_output", self.nan_output),
            ("neg_inf_output", self.neg_inf_output),
            ("signed_zero_output", self.signed_zero_output),
        ];
        // Empty windows need d > 1, p > 0 and a tiny input: too rare in 1d to demand of every
        // seed (the hand-worked cases pin them).
        let missing: Vec<_> = fields
            .iter()
            .filter(|(name, n)| *n == 0 && !(rank == 1 && *name == "empty_window"))
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
    let mut rng = Rng::new(seed, 100 + R as u64);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let options = random_options::<R>(&mut rng);
        let shape = random_shape(&mut rng, &options, max_len);
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, shape.iter().product());
        let what = format!("seed {seed:#x} case {case}: {options:?} on {shape:?} ({kind:?})");
        match check_max(Some(ctx), &options, &shape, &data, &what) {
            Some(result) => coverage.note(&options, &shape, &result),
            None => coverage.refused += 1,
        }
    }
    coverage.assert_complete(R, cases);
}

#[test]
fn random_grid_max_pool1d() {
    random_grid::<1>(1200, 12);
}

#[test]
fn random_grid_max_pool2d() {
    random_grid::<2>(900, 8);
}

#[test]
fn random_grid_max_pool3d() {
    random_grid::<3>(600, 7);
}

/// Whole windows of NaN, infinities and signed zeros, with dilation and padding everywhere.
#[test]
fn special_values_grid() {
    let Some(ctx) = common::gpu() else { return };
    let seed = random::seed();
    let mut rng = Rng::new(seed, 7);
    let (mut valid, mut case) = (0, 0);
    while valid < 120 {
        case += 1;
        assert!(case < 1000, "too few valid special cases");
        let k = [rng.range(1, 4), rng.range(1, 4)];
        let options = MaxPool2d::new(k)
            .stride([rng.range(1, 3), rng.range(1, 3)])
            .padding([rng.range(0, k[0] / 2), rng.range(0, k[1] / 2)])
            .dilation([rng.range(1, 3), rng.range(1, 3)])
            .ceil_mode(rng.coin());
        let shape = [2, rng.range(1, 7) as usize, rng.range(1, 7) as usize];
        if options.plan(&shape).is_err() {
            continue;
        }
        let kind = rng.pick(&[Fill::Special, Fill::OnlySpecial]);
        let data = fill(&mut rng, kind, shape.iter().product());
        let what = format!("seed {seed:#x} special case {case}: {options:?} on {shape:?}");
        check_max(Some(ctx), &options, &shape, &data, &what).expect("planned as valid");
        valid += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-worked cases from PYTORCH_POOLING.md, on the CPU reference and the GPU.

/// Pools on the CPU (and the GPU, which must agree) and returns values and indices.
fn pool<const R: usize>(
    options: &MaxPool<R>,
    data: &[f32],
    shape: &[usize],
) -> (Vec<f32>, Vec<i64>) {
    let what = format!("{options:?} on {shape:?} {data:?}");
    let (values, indices) = check_max(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what}: refused"));
    (values.data, indices.data)
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn spec_arange_4x4_with_kernel_2() {
    let data: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let (values, indices) = pool(&MaxPool2d::new(2), &data, &[1, 1, 4, 4]);
    assert_eq!(values, [6.0, 8.0, 14.0, 16.0]);
    assert_eq!(indices, [5, 7, 13, 15]);
    // Unbatched, and as a module with stride given explicitly: the same.
    let (values, indices) = pool(&MaxPool2d::new(2).stride(2), &data, &[1, 4, 4]);
    assert_eq!(values, [6.0, 8.0, 14.0, 16.0]);
    assert_eq!(indices, [5, 7, 13, 15]);
}

#[test]
fn spec_last_nan_wins() {
    let (first_nan, second_nan) = (f32::from_bits(0x7fc0_0001), f32::from_bits(0xffc0_0002));
    let data = [1.0, first_nan, 5.0, second_nan, 2.0];
    let (values, indices) = pool(&MaxPool1d::new(5), &data, &[1, 5]);
    assert_eq!(bits(&values), [second_nan.to_bits()]);
    assert_eq!(indices, [3]);
    // A NaN is not replaced by a larger number after it, and all-NaN keeps the last.
    let (values, indices) = pool(
        &MaxPool1d::new(3),
        &[first_nan, 9.0, f32::INFINITY],
        &[1, 3],
    );
    assert_eq!(
        (bits(&values), indices),
        (vec![first_nan.to_bits()], vec![0])
    );
    let (values, indices) = pool(&MaxPool1d::new(2), &[first_nan, second_nan], &[1, 2]);
    assert_eq!(
        (bits(&values), indices),
        (vec![second_nan.to_bits()], vec![1])
    );
}

#[test]
fn spec_all_neg_inf_windows_take_the_first_in_bounds_tap() {
    let ninf = f32::NEG_INFINITY;
    // 1d, padded: windows start at -1, 0, 1, 2 -> first in-bounds taps 0, 0, 1, 2.
    let options = MaxPool1d::new(3).stride(1).padding(1);
    let (values, indices) = pool(&options, &[ninf; 4], &[1, 4]);
    assert_eq!(values, [ninf; 4]);
    assert_eq!(indices, [0, 0, 1, 2]);
    // 1d with dilation: the window starting at -1 has taps -1, 1 -> index 1, not 0.
    let options = MaxPool1d::new(2).dilation(2).padding(1);
    let (values, indices) = pool(&options, &[ninf; 5], &[1, 5]);
    assert_eq!(values, [ninf; 3]);
    assert_eq!(indices, [1, 1, 3]);
    // 2d: 3x3 of -inf, k=2, s=2, p=1 -> window starts (-1|1, -1|1), indices 0, 1, 3, 4.
    let (values, indices) = pool(&MaxPool2d::new(2).padding(1), &[ninf; 9], &[1, 1, 3, 3]);
    assert_eq!(values, [ninf; 4]);
    assert_eq!(indices, [0, 1, 3, 4]);
    // Padding (-inf) never beats a real -inf, and +inf ties keep the first.
    let (values, indices) = pool(
        &MaxPool1d::new(2),
        &[ninf, 5.0, f32::INFINITY, f32::INFINITY],
        &[1, 4],
    );
    assert_eq!((values, indices), (vec![5.0, f32::INFINITY], vec![1, 2]));
}

#[test]
fn spec_signed_zeros_keep_the_first() {
    let (values, indices) = pool(&MaxPool1d::new(2), &[-0.0, 0.0], &[1, 2]);
    assert_eq!((bits(&values), indices), (vec![0x8000_0000], vec![0]));
    let (values, indices) = pool(&MaxPool1d::new(2), &[0.0, -0.0], &[1, 2]);
    assert_eq!((bits(&values), indices), (vec![0], vec![0]));
}

#[test]
fn spec_empty_window_is_neg_inf_with_an_index_outside_the_plane() {
    // L=1, k=2, d=2, p=1: taps -1 and 1, neither inside.
    let options = MaxPool1d::new(2).dilation(2).padding(1);
    let (values, indices) = pool(&options, &[42.0], &[1, 1]);
    assert_eq!(values, [f32::NEG_INFINITY]);
    assert_eq!(indices, [1]);
    // 2d: empty along H only, the index is flat(start_h, start_w) = 1*W + 0.
    let options = MaxPool2d::new([2, 1]).dilation([2, 1]).padding([1, 0]);
    let (values, indices) = pool(&options, &[7.0, 8.0], &[1, 1, 2]);
    assert_eq!(values, [f32::NEG_INFINITY, f32::NEG_INFINITY]);
    assert_eq!(indices, [2, 3]);
}

#[test]
fn spec_integer_valued_example_with_dilation_padding_and_ceil() {
    let options = MaxPool2d::new(2)
        .stride(2)
        .padding(1)
        .dilation(2)
        .ceil_mode(true);
    let (values, indices) = pool(&options, &[-1.0, -2.0, -3.0, -4.0], &[1, 1, 2, 2]);
    assert_eq!(values, [-4.0; 4]);
    assert_eq!(indices, [3; 4]);
}

#[test]
fn spec_output_shapes() {
    let data = vec![1.0; 5 * 6 * 7];
    let (values, _) = pool(
        &MaxPool3d::new(1).stride(2).ceil_mode(true),
        &data,
        &[1, 1, 5, 6, 7],
    );
    assert_eq!(values.len(), 3 * 3 * 4);
    assert_eq!(
        MaxPool3d::new(1)
            .stride(2)
            .ceil_mode(true)
            .plan(&[1, 1, 5, 6, 7])
            .unwrap()
            .output_shape,
        [1, 1, 3, 3, 4]
    );
    for ceil in [false, true] {
        let options = MaxPool3d::new(2).stride(2).padding(1).ceil_mode(ceil);
        assert_eq!(
            options.plan(&[1, 1, 3, 4, 5]).unwrap().output_shape,
            [1, 1, 2, 3, 3]
        );
        pool(&options, &data[..60], &[1, 1, 3, 4, 5]);
    }
    // The ceil drop: L=3, k=2, s=2, p=1 keeps 2 windows (a third would start in the padding).
    let options = MaxPool1d::new(2).padding(1).ceil_mode(true);
    let (values, indices) = pool(&options, &[1.0, 3.0, 2.0], &[1, 3]);
    assert_eq!((values, indices), (vec![1.0, 3.0], vec![0, 1]));
    // k=1, s=2, ceil: L=6 and 7 give 3 and 4 windows.
    let options = MaxPool1d::new(1).stride(2).ceil_mode(true);
    assert_eq!(pool(&options, &[0.0; 6], &[1, 6]).1, [0, 2, 4]);
    assert_eq!(pool(&options, &[0.0; 7], &[1, 7]).1, [0, 2, 4, 6]);
}

#[test]
fn spec_non_square_3d_windows() {
    let data: Vec<f32> = (0..2 * 5 * 6 * 7).map(|i| ((i * 37) % 11) as f32).collect();
    let options = MaxPool3d::new([3, 2, 3])
        .stride([2, 1, 2])
        .padding([1, 0, 1])
        .dilation([1, 2, 1]);
    let (values, indices) = pool(&options, &data, &[2, 5, 6, 7]);
    assert_eq!(
        options.plan(&[2, 5, 6, 7]).unwrap().output_shape,
        [2, 3, 4, 4]
    );
    // Every index is a plane-flat position holding the reported value.
    for (i, (&v, &at)) in values.iter().zip(&indices).enumerate() {
        let plane = i / (3 * 4 * 4);
        assert_eq!(data[plane * 210 + at as usize], v, "output {i}");
    }
}

/// A kernel of 2^31-1 on a 1x1 input with maximal padding is valid for PyTorch and must neither
/// overflow nor read out of bounds.
#[test]
fn spec_largest_kernel_on_a_tiny_input() {
    let k = i32::MAX as i64;
    let options = MaxPool2d::new(k).padding(k / 2);
    let (values, indices) = pool(&options, &[3.5, -1.0], &[2, 1, 1]);
    assert_eq!((values, indices), (vec![3.5, -1.0], vec![0, 0]));
    let options = MaxPool1d::new(k).padding(k / 2).stride(k).ceil_mode(true);
    let (values, indices) = pool(&options, &[3.5], &[1, 1]);
    assert_eq!((values, indices), (vec![3.5], vec![0]));
}

// ---------------------------------------------------------------------------------------------
// Batches, encoders, and a big dispatch.

#[test]
fn empty_batch_gives_an_empty_output() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, options: MaxPool<R>, shape: &[usize], out: &[usize]) {
        let input: Tensor = Tensor::upload(ctx, &[], shape).unwrap();
        let (values, indices) = options.forward_with_indices(ctx, &input).unwrap();
        assert_eq!((values.shape(), indices.shape()), (out, out));
        assert!(values.download(ctx).unwrap().is_empty());
        assert!(indices.download(ctx).unwrap().is_empty());
        let values = options.forward(ctx, &input).unwrap();
        assert_eq!(values.shape(), out);
        assert!(values.is_empty() && values.download(ctx).unwrap().is_empty());
        let (cpu, _) = wgpool::cpu::max_pool(&options, &[], shape).unwrap();
        assert_eq!((cpu.shape.as_slice(), cpu.data.len()), (out, 0));
    }
    check(ctx, MaxPool1d::new(2), &[0, 3, 9], &[0, 3, 4]);
    check(
        ctx,
        MaxPool2d::new(3).stride(1).padding(1),
        &[0, 2, 5, 4],
        &[0, 2, 5, 4],
    );
    check(
        ctx,
        MaxPool3d::new(2).ceil_mode(true),
        &[0, 1, 3, 3, 3],
        &[0, 1, 2, 2, 2],
    );
}

/// Unbatched `(C, ...)` equals batched `(1, C, ...)`, values and indices, on the GPU.
#[test]
fn unbatched_equals_batch_of_one() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, rng: &mut Rng, case: usize) {
        let options = loop {
            let options = random_options::<R>(rng);
            if options.plan(&[1, 2, 7, 7, 7][..R + 2]).is_ok() {
                break options;
            }
        };
        let shape: Vec<usize> = [1, 2, 7, 7, 7][..R + 2].to_vec();
        let data = fill(rng, Fill::SmallInts, shape.iter().product());
        let batched = Tensor::upload(ctx, &data, &shape).unwrap();
        let unbatched = Tensor::upload(ctx, &data, &shape[1..]).unwrap();
        let (bv, bi) = options.forward_with_indices(ctx, &batched).unwrap();
        let (uv, ui) = options.forward_with_indices(ctx, &unbatched).unwrap();
        assert_eq!(bv.shape()[0], 1, "case {case}");
        assert_eq!(&bv.shape()[1..], uv.shape(), "case {case}");
        assert_eq!(&bi.shape()[1..], ui.shape(), "case {case}");
        let what = format!("case {case}: {options:?}");
        assert_bits_eq(
            &uv.download(ctx).unwrap(),
            &bv.download(ctx).unwrap(),
            &what,
        );
        assert_eq!(
            ui.download(ctx).unwrap(),
            bi.download(ctx).unwrap(),
            "{what}"
        );
    }
    let mut rng = Rng::new(random::seed(), 11);
    for case in 0..10 {
        check::<1>(ctx, &mut rng, case);
        check::<2>(ctx, &mut rng, case);
        check::<3>(ctx, &mut rng, case);
    }
}

/// `encode_into` with caller-allocated outputs, two ops recorded into one encoder and
/// submitted once; wrong-shaped outputs are refused before anything is recorded.
#[test]
fn encode_into_caller_tensors() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 12);
    let shape = [2, 3, 9, 8];
    let data = fill(&mut rng, Fill::Special, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let first = MaxPool2d::new([3, 2])
        .stride([2, 1])
        .padding(1)
        .ceil_mode(true);
    let second = MaxPool2d::new(2).dilation(2).padding(1);
    let (cpu1, cpu1_idx) = wgpool::cpu::max_pool(&first, &data, &shape).unwrap();
    let (cpu2, cpu2_idx) = wgpool::cpu::max_pool(&second, &cpu1.data, &cpu1.shape).unwrap();

    let out1 = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let idx1 = Tensor::<i64>::empty(ctx, &cpu1.shape).unwrap();
    let out2 = Tensor::empty(ctx, &cpu2.shape).unwrap();
    let idx2 = Tensor::<i64>::empty(ctx, &cpu2.shape).unwrap();
    let mut encoder = ctx.encoder();
    first
        .encode_into(ctx, &mut encoder, &input, &out1, Some(&idx1))
        .unwrap();
    second
        .encode_into(ctx, &mut encoder, &out1, &out2, Some(&idx2))
        .unwrap();
    ctx.submit(encoder).unwrap();
    assert_bits_eq(
        &out2.download(ctx).unwrap(),
        &cpu2.data,
        &"second op values",
    );
    assert_eq!(idx2.download(ctx).unwrap(), cpu2_idx.data);
    assert_bits_eq(&out1.download(ctx).unwrap(), &cpu1.data, &"first op values");
    assert_eq!(idx1.download(ctx).unwrap(), cpu1_idx.data);

    // The values-only kernel through encode_into, and encode / encode_with_indices.
    let out = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let mut encoder = ctx.encoder();
    first
        .encode_into(ctx, &mut encoder, &input, &out, None)
        .unwrap();
    let (values, indices) = second.encode_with_indices(ctx, &mut encoder, &out).unwrap();
    let only = second.encode(ctx, &mut encoder, &out).unwrap();
    ctx.submit(encoder).unwrap();
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &cpu2.data,
        &"encode_with_indices",
    );
    assert_eq!(indices.download(ctx).unwrap(), cpu2_idx.data);
    assert_bits_eq(&only.download(ctx).unwrap(), &cpu2.data, &"encode");

    // Wrong shapes: the same element count in another shape, and a wrong size.
    let flat = Tensor::empty(ctx, &[cpu1.data.len()]).unwrap();
    let flat_idx = Tensor::<i64>::empty(ctx, &[cpu1.data.len()]).unwrap();
    let small = Tensor::empty(ctx, &[2, 3, 5, 8]).unwrap();
    let mut encoder = ctx.encoder();
    for (output, indices) in [
        (&flat, Some(&idx1)),
        (&small, None),
        (&out1, Some(&flat_idx)),
    ] {
        match first.encode_into(ctx, &mut encoder, &input, output, indices) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("max_pool2d"), "{message}");
                assert!(message.contains(&format!("{:?}", cpu1.shape)), "{message}");
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    // Argument errors come before the output check, as plain plan errors.
    let bad = MaxPool2d::new(2).padding(2);
    assert!(matches!(
        bad.encode_into(ctx, &mut encoder, &input, &out1, None),
        Err(Error::InvalidArgument {
            argument: "padding",
            ..
        })
    ));
    ctx.submit(encoder).unwrap();
}

/// More outputs than 65,535 workgroups of `workgroup_size()` threads: the dispatch folds into
/// 2-d and the shader must recover every linear index exactly once.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let one_dim =
        limits.max_compute_workgroups_per_dimension as usize * ctx.workgroup_size() as usize;
    // (2, 3, L), k=2, s=1: 6 * (L-1) outputs, just past the limit.
    let planes = 6;
    let out_len = one_dim / planes + 8;
    let total = planes * out_len;
    assert!(
        total > one_dim && total > 65_535 * 256,
        "{total} outputs do not need folding"
    );
    let shape = [2, 3, out_len + 1];
    let mut rng = Rng::new(random::seed(), 13);
    let mut data: Vec<f32> = (0..planes * (out_len + 1))
        .map(|_| (rng.next_u64() % 1000) as f32 - 500.0)
        .collect();
    for _ in 0..64 {
        let at = rng.below(data.len() as u64) as usize;
        data[at] = rng.pick(&[f32::NAN, f32::NEG_INFINITY, f32::INFINITY, -0.0]);
    }
    let options = MaxPool1d::new(2).stride(1);
    let (cpu, cpu_idx) = wgpool::cpu::max_pool(&options, &data, &shape).unwrap();
    assert_eq!(cpu.data.len(), total);
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    // The int64 indices need 8 bytes per output in one binding; skip them where that is over
    // the adapter's limit (not on lavapipe, whose 128 MiB holds 2^24 of them).
    if (total * 8) as u64 <= limits.max_storage_buffer_binding_size {
        let (values, indices) = options.forward_with_indices(ctx, &input).unwrap();
        assert_bits_eq(
            &values.download(ctx).unwrap(),
            &cpu.data,
            &"large, with indices",
        );
        assert_indices_eq(
            &indices.download(ctx).unwrap(),
            &cpu_idx.data,
            &"large indices",
        );
    } else {
        eprintln!("note: int64 indices of {total} outputs exceed the binding limit; values only");
    }
    let values = options.forward(ctx, &input).unwrap();
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &cpu.data,
        &"large, values only",
    );
}

/// Output coordinates come from dividing the output index by the output sizes, in f32 for
/// dispatches below 2^24 invocations. There `trunc(n * (1/d))` falls one short for some exact
/// multiples (n = d = 41 is the first), which the shader corrects: a kernel-1 max pool, which
/// copies its input, over every row length and row count up to 128 shows any slip.
#[test]
fn output_coordinates_are_exact_for_every_size_up_to_128() {
    let Some(ctx) = common::gpu() else { return };
    let identity = MaxPool2d::new(1);
    for (h, w) in (1..=128).map(|w| (3, w)).chain((1..=128).map(|h| (h, 2))) {
        let shape = [2, 2, h, w];
        let data: Vec<f32> = (0..shape.iter().product::<usize>())
            .map(|v| v as f32)
            .collect();
        let input = Tensor::upload(ctx, &data, &shape).unwrap();
        let (values, indices) = identity.forward_with_indices(ctx, &input).unwrap();
        let what = format_args!("{shape:?}");
        assert_bits_eq(&values.download(ctx).unwrap(), &data, &what);
        let plane = (h * w) as i64;
        let expected: Vec<i64> = (0..data.len() as i64).map(|v| v % plane).collect();
        assert_indices_eq(&indices.download(ctx).unwrap(), &expected, &what);
    }
}
