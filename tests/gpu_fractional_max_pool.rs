//! FractionalMaxPool2d/3d on the GPU against the CPU reference: a seeded random grid (values
//! bit-exact, indices exact, refusals identical), the spec's hand-worked windows and special
//! cases (samples 0, 0.5, 0.999; O=1; k=1; O=L-k+1; ratio truncation; NaN and -inf windows;
//! overlapping windows), N=0, extra sample rows, drawn samples, and the encoder-level API.

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_bits_eq, fill, Fill, Rng, FILLS};
use wgpool::call::{Call, Device, Inputs, Kwargs};
use wgpool::{
    functional, Array, Context, Error, FractionalMaxPool, FractionalMaxPool2d, FractionalMaxPool3d,
    MaxPool2d, Tensor,
};

/// Runs `options` on the CPU reference and (when there is a GPU) on the GPU, with and without
/// indices. Refusals must be the same error everywhere; results must agree bit for bit, and
/// every index must point at its value inside its window. Returns the CPU result, `None` when
/// refused.
fn check<const R: usize>(
    ctx: Option<&Context>,
    options: &FractionalMaxPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<(Array<f32>, Array<i64>)> {
    let cpu = wgpool::cpu::fractional_max_pool(options, data, shape);
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
                    .expect_err("GPU forward accepted");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: forward vs CPU");
                let gpu = options
                    .forward_with_indices(ctx, input)
                    .expect_err("GPU forward_with_indices accepted");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: with indices vs CPU");
            }
            None
        }
        Ok((values, indices)) => {
            let plan = plan.unwrap_or_else(|e| panic!("{what}: plan refused: {e}"));
            assert_eq!(plan.pool.output_shape, values.shape, "{what}");
            assert_eq!(values.shape, indices.shape, "{what}");
            assert_windows_hold_the_maxima(&plan, data, &values.data, &indices.data, what);
            if let (Some(ctx), Some(input)) = (ctx, &input) {
                let (gv, gi) = options
                    .forward_with_indices(ctx, input)
                    .unwrap_or_else(|e| panic!("{what}: forward_with_indices: {e}"));
                assert_eq!(gv.shape(), values.shape.as_slice(), "{what}");
                assert_eq!(gi.shape(), values.shape.as_slice(), "{what}");
                let got = gv.download(ctx).unwrap();
                assert_bits_eq(&got, &values.data, &format_args!("{what}: values"));
                assert_eq!(gi.download(ctx).unwrap(), indices.data, "{what}: indices");
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

/// An independent look at the CPU result: every window lies inside the input, every index lies
/// inside its window and holds the reported value (bit for bit), and no element of the window
/// beats it under the max rule (NaN first, then strictly greater).
fn assert_windows_hold_the_maxima(
    plan: &wgpool::ops::fractional_max_pool::FractionalPlan,
    data: &[f32],
    values: &[f32],
    indices: &[i64],
    what: &dyn Display,
) {
    let w = plan.pool.window;
    let [id, ih, iw] = w.input.map(|v| v as usize);
    let in_plane = id * ih * iw;
    let mut out = 0;
    for p in 0..plan.pool.planes {
        let [ds, hs, ws] = plan.plane_starts(p);
        for &d0 in ds {
            for &h0 in hs {
                for &w0 in ws {
                    let (d0, h0, w0) = (d0 as usize, h0 as usize, w0 as usize);
                    let [kd, kh, kw] = w.kernel.map(|k| k as usize);
                    assert!(
                        d0 + kd <= id && h0 + kh <= ih && w0 + kw <= iw,
                        "{what}: window out of the input"
                    );
                    let at = indices[out] as usize;
                    let (d, h, x) = (at / (ih * iw), at / iw % ih, at % iw);
                    assert!(
                        (d0..d0 + kd).contains(&d)
                            && (h0..h0 + kh).contains(&h)
                            && (w0..w0 + kw).contains(&x),
                        "{what}: output {out}: index {at} outside its window"
                    );
                    let best = data[p * in_plane + at];
                    assert_eq!(
                        best.to_bits(),
                        values[out].to_bits(),
                        "{what}: output {out}"
                    );
                    for d in d0..d0 + kd {
                        for h in h0..h0 + kh {
                            for x in w0..w0 + kw {
                                let v = data[p * in_plane + (d * ih + h) * iw + x];
                                assert!(
                                    best.is_nan() || !(v.is_nan() || v > best),
                                    "{what}: output {out}: {v} beats {best}"
                                );
                            }
                        }
                    }
                    out += 1;
                }
            }
        }
    }
    assert_eq!(out, values.len(), "{what}: output count");
}

/// Pools on the CPU (and the GPU, which must agree) and returns values and indices.
fn pool<const R: usize>(
    options: &FractionalMaxPool<R>,
    data: &[f32],
    shape: &[usize],
) -> (Vec<f32>, Vec<i64>) {
    let what = format!("{options:?} on {shape:?}");
    let (values, indices) = check(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what}: refused"));
    (values.data, indices.data)
}

fn samples(shape: [usize; 3], data: &[f32]) -> Array<f32> {
    Array {
        shape: shape.to_vec(),
        data: data.to_vec(),
    }
}

fn arange(len: usize) -> Vec<f32> {
    (0..len).map(|v| v as f32).collect()
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// Random options and shape: kernel 1..=4, input sizes k..=k+6, output sizes that fit (2d up to
/// L-k+1, 3d up to L-k) given as sizes or as ratios, samples given (special values 0, 0.5,
/// 0.999 among random ones, sometimes extra rows) or drawn from a random seed. One case in
/// eight breaks something (a kernel too large, a zero or negative kernel, a sample shape).
fn random_case<const R: usize>(rng: &mut Rng) -> (FractionalMaxPool<R>, Vec<usize>) {
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let strict = i64::from(R == 3);
    let spatial: [i64; R] = std::array::from_fn(|a| kernel[a] + strict + rng.range(0, 6));
    let batch = rng.percent(70).then(|| rng.pick(&[0, 1, 1, 2, 3]));
    let channels = rng.range(1, 3) as usize;
    let mut options = FractionalMaxPool::<R>::new(kernel).seed(rng.next_u64());
    if rng.percent(30) {
        // Ratios, the output size truncated from L * ratio.
        options = options.output_ratio(std::array::from_fn(|_| rng.unit() as f64));
    } else {
        let out: [i64; R] = std::array::from_fn(|a| {
            let most = spatial[a] - kernel[a] + 1 - strict;
            if rng.percent(8) {
                0
            } else if rng.percent(25) {
                most
            } else {
                rng.range(1, most)
            }
        });
        options = options.output_size(out);
    }
    let mut shape: Vec<usize> = batch.into_iter().collect();
    shape.push(channels);
    shape.extend(spatial.iter().map(|&l| l as usize));
    if rng.coin() {
        let rows = batch.unwrap_or(1)
            + if rng.percent(20) {
                rng.range(1, 2) as usize
            } else {
                0
            };
        let len = rows * channels * R;
        let data = (0..len)
            .map(|_| match rng.below(5) {
                0 => 0.0,
                1 => 0.5,
                2 => 0.999,
                3 => 0.999_999_94, // the largest f32 below 1
                _ => rng.unit(),
            })
            .collect::<Vec<_>>();
        options = options.random_samples(samples([rows, channels, R], &data));
    }
    if rng.percent(12) {
        match rng.below(3) {
            0 => {
                let a = rng.below(R as u64) as usize;
                options.kernel_size[a] = spatial[a] + rng.range(0, 2);
            }
            1 => options.kernel_size[rng.below(R as u64) as usize] = rng.pick(&[0, -1]),
            _ => {
                let rows = batch.unwrap_or(1);
                let wrong = rng.pick(&[[rows, channels + 1, R], [rows, channels, R - 1]]);
                let len = wrong.iter().product();
                options = options.random_samples(samples(wrong, &vec![0.5; len]));
            }
        }
    }
    (options, shape)
}

/// What the grid reached, so that a grid that silently stops covering something fails.
#[derive(Debug, Default)]
struct Coverage {
    refused: usize,
    valid: usize,
    unbatched: usize,
    empty_batch: usize,
    empty_output: usize,
    drawn: usize,
    extra_rows: usize,
    ratio: usize,
    overlapping: usize,
    one_window: usize,
    nan_output: usize,
    neg_inf_output: usize,
}

impl Coverage {
    fn note<const R: usize>(
        &mut self,
        options: &FractionalMaxPool<R>,
        shape: &[usize],
        values: &[f32],
    ) {
        self.valid += 1;
        let batched = shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && shape[0] == 0);
        let plan = options.plan(shape).unwrap();
        let out = plan.pool.window.output;
        self.empty_output += usize::from(out.contains(&0));
        self.drawn += usize::from(options.random_samples.is_none());
        self.extra_rows += usize::from(
            options
                .random_samples
                .as_ref()
                .is_some_and(|s| s.shape[0] > if batched { shape[0] } else { 1 }),
        );
        self.ratio += usize::from(options.output_ratio.is_some());
        self.one_window += usize::from(out[3 - R..].contains(&1));
        let overlaps = (0..plan.pool.planes).any(|p| {
            plan.plane_starts(p)
                .iter()
                .zip(plan.pool.window.kernel)
                .any(|(starts, k)| starts.windows(2).any(|pair| pair[1] - pair[0] < k))
        });
        self.overlapping += usize::from(overlaps);
        self.nan_output += usize::from(values.iter().any(|v| v.is_nan()));
        self.neg_inf_output += usize::from(values.contains(&f32::NEG_INFINITY));
    }

    fn assert_complete(&self, rank: usize, cases: usize) {
        let fields = [
            ("refused", self.refused),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("empty_output", self.empty_output),
            ("drawn", self.drawn),
            ("extra_rows", self.extra_rows),
            ("ratio", self.ratio),
            ("overlapping", self.overlapping),
            ("one_window", self.one_window),
            ("nan_output", self.nan_output),
            ("neg_inf_output", self.neg_inf_output),
        ];
        let missing: Vec<_> = fields.iter().filter(|(_, n)| *n == 0).collect();
        assert!(
            missing.is_empty(),
            "rank {rank}: the random grid never reached {missing:?} (seed {:#x}): {self:?}",
            random::seed()
        );
        assert!(
            self.valid * 2 >= cases,
            "rank {rank}: too few valid cases: {self:?}"
        );
    }
}

fn random_grid<const R: usize>(cases: usize) {
    let Some(ctx) = common::gpu() else { return };
    let seed = random::seed();
    let mut rng = Rng::new(seed, 800 + R as u64);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let (options, shape) = random_case::<R>(&mut rng);
        let len = shape.iter().product();
        // Whole windows of -inf are rare in the fills once windows grow (3d): some inputs are
        // nothing else, so that every seed reaches them.
        let (kind, data) = match rng.percent(8) {
            true => ("all -inf".to_string(), vec![f32::NEG_INFINITY; len]),
            false => {
                let kind = rng.pick(&FILLS);
                (format!("{kind:?}"), fill(&mut rng, kind, len))
            }
        };
        let what = format!("seed {seed:#x} case {case}: {options:?} on {shape:?} ({kind})");
        match check(Some(ctx), &options, &shape, &data, &what) {
            Some((values, _)) => coverage.note(&options, &shape, &values.data),
            None => coverage.refused += 1,
        }
    }
    coverage.assert_complete(R, cases);
}

/// Output rows of four or more with kernel widths up to 8 run four outputs of a row per
/// invocation (the `_rows` kernels), whole groups of four and short last groups alike.
fn row_kernel_cases<const R: usize>(ctx: &Context, rng: &mut Rng, cases: usize) -> [usize; 2] {
    let mut checked = [0, 0];
    for case in 0..cases {
        let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 8));
        // Rows of outputs in fours (whole groups) every other case, else a short last group.
        let widths: &[i64] = match case % 2 {
            0 => &[4, 8, 12],
            _ => &[5, 6, 7, 9, 10, 11, 13],
        };
        let out: [i64; R] = std::array::from_fn(|a| match a + 1 == R {
            true => rng.pick(widths),
            false => rng.range(1, 4),
        });
        let shape: Vec<usize> = [rng.range(1, 2), rng.range(1, 3)]
            .into_iter()
            .chain((0..R).map(|a| out[a] + kernel[a] - 1 + rng.range(0, 5)))
            .map(|v| v as usize)
            .collect();
        let options = FractionalMaxPool::<R>::new(kernel)
            .output_size(out)
            .seed(rng.next_u64());
        let kind = rng.pick(&FILLS);
        let data = fill(rng, kind, shape.iter().product());
        let what = format!("case {case}: {options:?} on {shape:?} ({kind:?})");
        if check(Some(ctx), &options, &shape, &data, &what).is_some() {
            checked[usize::from(out[R - 1] % 4 == 0)] += 1;
        }
    }
    checked
}

#[test]
fn row_kernels_agree_with_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 810);
    for checked in [
        row_kernel_cases::<2>(ctx, &mut rng, 80),
        row_kernel_cases::<3>(ctx, &mut rng, 40),
    ] {
        assert!(
            checked.iter().all(|&n| n > 5),
            "valid (short last group, whole): {checked:?}"
        );
    }
}

/// Windows on a grid (integer alphas) run on max pooling's kernels: random strides, kernels and
/// output sizes, contiguous (rows in fours, other even and odd lengths) and channels-last
/// (channels in fours take the vec4 kernels, others a contiguous copy), values and indices
/// against the CPU reference.
fn grid_cases<const R: usize>(ctx: &Context, rng: &mut Rng, cases: usize) {
    for case in 0..cases {
        let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
        // 3d wants out + k - 1 < L = (out - 1) * stride + k: strides of 2 or more, and more
        // than one window; 2d takes a single window where L = k.
        let least = if R == 3 { 2 } else { 1 };
        let stride: [i64; R] = std::array::from_fn(|_| rng.range(least, 3));
        let out: [i64; R] = std::array::from_fn(|a| match a + 1 == R {
            true => rng.range(2, 12),
            false => rng.range(least, 4),
        });
        let mut shape = vec![rng.range(1, 2) as usize, rng.pick(&[4, 8, 3])];
        shape.extend((0..R).map(|a| ((out[a] - 1) * stride[a] + kernel[a]) as usize));
        let rows = shape[0];
        let channels = shape[1];
        // Samples below 0.999 keep (i + u) * alpha from rounding up (that takes u within half an
        // f32 step of 1).
        let sample_data: Vec<f32> = (0..rows * channels * R)
            .map(|_| rng.unit() * 0.999)
            .collect();
        let options = FractionalMaxPool::<R>::new(kernel)
            .output_size(out)
            .random_samples(samples([rows, channels, R], &sample_data));
        // A single window has no stride to speak of: 1.
        let lifted: Vec<u64> = std::iter::repeat_n(1, 3 - R)
            .chain((0..R).map(|a| if out[a] == 1 { 1 } else { stride[a] as u64 }))
            .collect();
        let plan = options.plan(&shape).unwrap();
        assert_eq!(
            plan.regular_strides().map(Vec::from),
            Some(lifted),
            "{options:?}"
        );

        let kind = rng.pick(&FILLS);
        let data = fill(rng, kind, shape.iter().product());
        let what = format!("case {case}: {options:?} on {shape:?} ({kind:?})");
        let (values, indices) = check(Some(ctx), &options, &shape, &data, &what).unwrap();

        let input = common::upload_last(ctx, &data, &shape);
        let (gv, gi) = options.forward_with_indices(ctx, &input).unwrap();
        let got = common::download_contiguous(ctx, &gv);
        assert_bits_eq(
            &got,
            &values.data,
            &format_args!("{what}: channels-last values"),
        );
        let got = common::download_contiguous(ctx, &gi);
        assert_eq!(got, indices.data, "{what}: channels-last indices");
    }
}

#[test]
fn windows_on_a_grid_agree_with_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 811);
    grid_cases::<2>(ctx, &mut rng, 60);
    grid_cases::<3>(ctx, &mut rng, 30);
}

/// A sample within half an f32 step of 1 rounds one start of an integer alpha off the grid:
/// that plane, and so the call, takes the fractional kernels.
#[test]
fn a_start_rounded_off_the_grid_takes_the_fractional_kernels() {
    let below_one = f32::from_bits(0x3f7f_ffff);
    let options = FractionalMaxPool2d::new(2)
        .output_size(3)
        .random_samples(samples([1, 2, 2], &[0.5, 0.5, 0.5, below_one]));
    let shape = [1, 2, 6, 6];
    assert_eq!(options.plan(&shape).unwrap().regular_strides(), None);
    let mut rng = Rng::new(random::seed(), 812);
    for kind in FILLS {
        let data = fill(&mut rng, kind, 2 * 36);
        pool(&options, &data, &shape);
    }
}

#[test]
fn random_grid_fractional_max_pool2d() {
    random_grid::<2>(300);
}

#[test]
fn random_grid_fractional_max_pool3d() {
    random_grid::<3>(200);
}

// ---------------------------------------------------------------------------------------------
// Hand-worked windows (PYTORCH_POOLING.md §8), on the CPU reference and the GPU.

/// L=10, k=2, O=4: alpha = f32(8)/f32(3). Sample 0 gives starts 0, 2, 5, 8; samples 0.5 and
/// 0.999 give 0, 3, 5, 8 (checked against numpy float32). On an arange row the max of each
/// window is its right end.
#[test]
fn spec_intervals_for_samples_0_half_and_0_999() {
    let row = arange(10);
    for (u, starts) in [
        (0.0, [0, 2, 5, 8]),
        (0.5, [0, 3, 5, 8]),
        (0.999, [0, 3, 5, 8]),
    ] {
        // 2d on (1, 1, 1, 10): sample[0] places W, sample[1] places H (one window there).
        let options = FractionalMaxPool2d::new([1, 2])
            .output_size([1, 4])
            .random_samples(samples([1, 1, 2], &[u, 0.25]));
        let plan = options.plan(&[1, 1, 1, 10]).unwrap();
        assert_eq!(plan.plane_starts(0)[2], starts.map(|s| s as u64), "u={u}");
        let (values, indices) = pool(&options, &row, &[1, 1, 1, 10]);
        let ends = starts.map(|s| s + 1);
        assert_eq!(indices, ends, "u={u}");
        assert_eq!(values, ends.map(|e| e as f32), "u={u}");
    }
}

/// 2d: sample[0] -> W and sample[1] -> H; 3d: sample[0] -> T, [1] -> H, [2] -> W. On an arange
/// volume each window's max is its far corner.
#[test]
fn spec_samples_map_to_dims_in_pytorch_order() {
    let (zero, half) = ([0u64, 2, 5, 8], [0u64, 3, 5, 8]);
    let options = FractionalMaxPool2d::new(2)
        .output_size(4)
        .random_samples(samples([1, 1, 2], &[0.0, 0.5]));
    let plan = options.plan(&[1, 10, 10]).unwrap();
    assert_eq!(plan.plane_starts(0)[1], half, "H from sample[1]");
    assert_eq!(plan.plane_starts(0)[2], zero, "W from sample[0]");
    let (_, indices) = pool(&options, &arange(100), &[1, 10, 10]);
    let expected: Vec<i64> = half
        .iter()
        .flat_map(|&h| zero.iter().map(move |&w| ((h + 1) * 10 + w + 1) as i64))
        .collect();
    assert_eq!(indices, expected);

    let options = FractionalMaxPool3d::new(2)
        .output_size(4)
        .random_samples(samples([1, 1, 3], &[0.0, 0.5, 0.999]));
    let plan = options.plan(&[1, 1, 10, 10, 10]).unwrap();
    assert_eq!(plan.plane_starts(0), [&zero[..], &half[..], &half[..]]);
    let (values, indices) = pool(&options, &arange(1000), &[1, 1, 10, 10, 10]);
    let mut expected = Vec::new();
    for t in zero {
        for h in half {
            for w in half {
                expected.push(((t + 1) * 100 + (h + 1) * 10 + w + 1) as i64);
            }
        }
    }
    assert_eq!(indices, expected);
    assert_eq!(
        values,
        expected.iter().map(|&i| i as f32).collect::<Vec<_>>()
    );
}

#[test]
fn spec_one_window_is_pinned_to_the_end() {
    // O=1: the window is [L-k, L) whatever the sample.
    for u in [0.0, 0.5, 0.999] {
        let options = FractionalMaxPool2d::new([2, 3])
            .output_size(1)
            .random_samples(samples([1, 1, 2], &[u, u]));
        let data: Vec<f32> = (0..5 * 6).map(|v| -(v as f32)).collect();
        // Descending values: the max is the window's first element, (5-2, 6-3) = (3, 3).
        let (values, indices) = pool(&options, &data, &[1, 5, 6]);
        assert_eq!((values, indices), (vec![-21.0], vec![21]), "u={u}");
    }
}

#[test]
fn spec_kernel_one_and_the_largest_output_slide_by_one() {
    let mut rng = Rng::new(random::seed(), 801);
    let data = fill(&mut rng, Fill::Special, 2 * 3 * 6 * 7);
    // k=1, O=L (2d accepts O = L-k+1): every element once, the identity.
    let options = FractionalMaxPool2d::new(1).output_size([6, 7]).seed(3);
    let (values, indices) = pool(&options, &data, &[2, 3, 6, 7]);
    assert_bits_eq(&values, &data, &"k=1 identity");
    assert_eq!(
        indices,
        (0..2 * 3).flat_map(|_| 0..42).collect::<Vec<i64>>()
    );
    // O = L-k+1 makes alpha 1: the windows slide by one, as max_pool2d(k, stride=1) does.
    for k in [2, 3] {
        let options = FractionalMaxPool2d::new(k)
            .output_size([7 - k, 8 - k])
            .seed(k as u64);
        let shape = [2, 3, 6, 7];
        let (values, indices) = pool(&options, &data, &shape);
        let (want, want_indices) =
            wgpool::cpu::max_pool(&MaxPool2d::new(k).stride(1), &data, &shape).unwrap();
        assert_bits_eq(&values, &want.data, &format_args!("k={k} vs max_pool2d"));
        assert_eq!(indices, want_indices.data, "k={k}");
    }
    // 3d: k=1 with the strict fit, O = L-1: starts 0..L-2, then the last pinned at L-1.
    let options = FractionalMaxPool3d::new(1)
        .output_size([2, 3, 4])
        .random_samples(samples([1, 1, 3], &[0.999, 0.0, 0.5]));
    let plan = options.plan(&[1, 3, 4, 5]).unwrap();
    assert_eq!(
        plan.plane_starts(0),
        [&[0u64, 2][..], &[0, 1, 3][..], &[0, 2, 3, 4][..]]
    );
    pool(&options, &arange(60), &[1, 3, 4, 5]);
}

/// `test_fractional_max_pool_nan_inf`: k=2, O=1 on 3x3 (and 3x3x3), all NaN or all -inf. The
/// window is the last 2x2: NaN reports the last NaN, -inf the window start.
#[test]
fn spec_nan_and_neg_inf_windows() {
    let nan = f32::from_bits(0x7fc0_1234);
    let options = FractionalMaxPool2d::new(2).output_size(1);
    let (values, indices) = pool(&options, &[nan; 9], &[1, 1, 3, 3]);
    assert_eq!((values[0].to_bits(), indices), (nan.to_bits(), vec![8]));
    let (values, indices) = pool(&options, &[f32::NEG_INFINITY; 9], &[1, 1, 3, 3]);
    assert_eq!((values, indices), (vec![f32::NEG_INFINITY], vec![4]));
    // The last of several NaN payloads wins, and a larger number after a NaN does not.
    let mut data = [1.0f32; 9];
    data[4] = f32::from_bits(0x7fc0_0001);
    data[7] = f32::from_bits(0xffc0_0002);
    data[8] = f32::INFINITY;
    let (values, indices) = pool(&options, &data, &[1, 3, 3]);
    assert_eq!((values[0].to_bits(), indices), (0xffc0_0002, vec![7]));

    let options = FractionalMaxPool3d::new(2).output_size(1);
    let (values, indices) = pool(&options, &[nan; 27], &[1, 1, 3, 3, 3]);
    assert_eq!((values[0].to_bits(), indices), (nan.to_bits(), vec![26]));
    let (values, indices) = pool(&options, &[f32::NEG_INFINITY; 27], &[1, 3, 3, 3]);
    assert_eq!((values, indices), (vec![f32::NEG_INFINITY], vec![13]));
    // Ties (+0 and -0 compare equal): the first in scan order wins.
    let (values, indices) = pool(
        &FractionalMaxPool2d::new(2).output_size(1),
        &[9.0, 9.0, 9.0, 9.0, -0.0, 0.0, 9.0, 0.0, -0.0],
        &[1, 3, 3],
    );
    assert_eq!((values[0].to_bits(), indices), (0x8000_0000, vec![4]));
}

#[test]
fn spec_overlapping_windows_share_their_maximum() {
    // L=8, k=3, O=5: alpha = 1.25, so neighbouring windows overlap; a single peak is the max
    // (and the index) of every window that covers it: windows [1, 4) and [3, 6).
    let options = FractionalMaxPool2d::new([1, 3])
        .output_size([1, 5])
        .random_samples(samples([1, 1, 2], &[0.5, 0.0]));
    let plan = options.plan(&[1, 1, 8]).unwrap();
    let starts = plan.plane_starts(0)[2].to_vec();
    assert_eq!(starts, [0, 1, 3, 4, 5]);
    let mut data = vec![0.0f32; 8];
    data[3] = 5.0;
    let (values, indices) = pool(&options, &data, &[1, 1, 8]);
    assert_eq!(values, [0.0, 5.0, 5.0, 0.0, 0.0]);
    assert_eq!(indices, [0, 3, 3, 4, 5]);
}

#[test]
fn spec_output_ratio_truncates() {
    let plan = |ratio: [f64; 2], shape: &[usize]| {
        FractionalMaxPool2d::new(1)
            .output_ratio(ratio)
            .plan(shape)
            .unwrap()
            .pool
            .output_shape
    };
    assert_eq!(plan([0.5, 0.3], &[1, 7, 15]), [1, 3, 4]);
    // f64 products truncate as Python's int() does: 100 * 0.29 = 28.999999999999996.
    assert_eq!(plan([0.29, 0.7], &[1, 100, 10]), [1, 28, 7]);
    // A ratio that truncates to 0 gives an empty output, not an error.
    assert_eq!(plan([0.1, 0.5], &[2, 3, 7, 8]), [2, 3, 0, 4]);
    let options = FractionalMaxPool3d::new(2).output_ratio(0.1).seed(1);
    let (values, indices) = pool(&options, &arange(2 * 5 * 6 * 7), &[2, 5, 6, 7]);
    assert!(values.is_empty() && indices.is_empty());
    assert_eq!(
        options.plan(&[2, 5, 6, 7]).unwrap().pool.output_shape,
        [2, 0, 0, 0]
    );
    // A tiny negative ratio truncates to -0 = 0: accepted, like PyTorch's int(-0.4).
    assert_eq!(plan([-0.05, 0.5], &[1, 8, 8]), [1, 0, 4]);
}

// ---------------------------------------------------------------------------------------------
// Batches, samples, seeds.

#[test]
fn empty_batch_with_zero_sample_rows() {
    for samples_given in [false, true] {
        let mut options = FractionalMaxPool2d::new(2).output_size([3, 2]);
        if samples_given {
            options = options.random_samples(samples([0, 4, 2], &[]));
        }
        let (values, indices) = pool(&options, &[], &[0, 4, 5, 5]);
        assert!(values.is_empty() && indices.is_empty());
        assert_eq!(
            options.plan(&[0, 4, 5, 5]).unwrap().pool.output_shape,
            [0, 4, 3, 2]
        );
    }
    let options = FractionalMaxPool3d::new(1)
        .output_size(2)
        .random_samples(samples([0, 1, 3], &[]));
    assert_eq!(
        options.plan(&[0, 1, 3, 3, 3]).unwrap().pool.output_shape,
        [0, 1, 2, 2, 2]
    );
    pool(&options, &[], &[0, 1, 3, 3, 3]);
}

#[test]
fn extra_sample_rows_are_ignored() {
    let mut rng = Rng::new(random::seed(), 802);
    let shape = [2, 3, 9, 8];
    let data = fill(&mut rng, Fill::Normal, shape.iter().product());
    let rows: Vec<f32> = (0..5 * 3 * 2).map(|_| rng.unit()).collect();
    let exact = FractionalMaxPool2d::new(2)
        .output_size([5, 4])
        .random_samples(samples([2, 3, 2], &rows[..12]));
    let extra = exact.clone().random_samples(samples([5, 3, 2], &rows));
    let a = pool(&exact, &data, &shape);
    let b = pool(&extra, &data, &shape);
    assert_eq!(a, b);
    // Unbatched: one row is needed, more are ignored.
    let one = exact.clone().random_samples(samples([1, 3, 2], &rows[..6]));
    let three = exact.random_samples(samples([3, 3, 2], &rows[..18]));
    assert_eq!(
        pool(&one, &data[..216], &shape[1..]),
        pool(&three, &data[..216], &shape[1..])
    );
}

#[test]
fn drawn_samples_follow_the_seed_and_always_fit() {
    let shape = [3, 4, 11, 9];
    let base = FractionalMaxPool2d::new([3, 2]).output_size([6, 5]);
    let starts = |seed: u64| base.clone().seed(seed).plan(&shape).unwrap().starts;
    assert_eq!(starts(7), starts(7), "same seed, same windows");
    assert_ne!(starts(7), starts(8), "another seed, other windows");
    // Drawn samples are exactly `drawn_samples`, given explicitly.
    let seeded = base.clone().seed(7);
    let given = base.clone().random_samples(seeded.drawn_samples(3, 4));
    assert_eq!(seeded.plan(&shape).unwrap(), given.plan(&shape).unwrap());
    // The default seed is DEFAULT_SEED.
    assert_eq!(
        base.plan(&shape).unwrap(),
        base.clone()
            .seed(wgpool::ops::fractional_max_pool::DEFAULT_SEED)
            .plan(&shape)
            .unwrap()
    );
    // Every seed draws samples in [0, 1), whose windows always fit (the plan checks them).
    for seed in 0..200 {
        let drawn = base.clone().seed(seed).drawn_samples(3, 4);
        assert_eq!(drawn.shape, [3, 4, 2]);
        assert!(
            drawn.data.iter().all(|u| (0.0..1.0).contains(u)),
            "seed {seed}"
        );
        let options = FractionalMaxPool3d::new([2, 3, 1])
            .output_size([3, 2, 5])
            .seed(seed);
        assert!(options.plan(&[2, 5, 6, 6]).is_ok(), "seed {seed}");
    }
    // On the GPU too, and unbatched draws one row.
    let mut rng = Rng::new(random::seed(), 803);
    let data = fill(&mut rng, Fill::SmallInts, shape.iter().product());
    let first = pool(&base.clone().seed(99), &data, &shape);
    assert_eq!(first, pool(&base.clone().seed(99), &data, &shape));
    assert_eq!(base.drawn_samples(1, 4).shape, [1, 4, 2]);
}

#[test]
fn out_of_range_samples_are_refused_only_when_a_window_leaves() {
    // A huge sample: (1 + u) rounds up in f32, pushing window 1 to start 4 > L-k = 3.
    let options = FractionalMaxPool2d::new(1)
        .output_size([1, 3])
        .random_samples(samples([1, 1, 2], &[16_777_222.0, 0.0]));
    let error = options.plan(&[1, 1, 4]).unwrap_err();
    match &error {
        Error::InvalidArgument {
            argument, message, ..
        } => {
            assert_eq!(*argument, "random_samples");
            assert!(
                message.contains("window 1") && message.contains("[4, 5)"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    check(
        common::gpu(),
        &options,
        &[1, 1, 4],
        &[0.0; 4],
        &"huge sample",
    );
    // NaN, infinities, 1.0 and negative samples keep every window inside: accepted, with the
    // windows PyTorch computes (non-finite samples put every window but the last at 0).
    for u in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0, -0.5, 7.25] {
        let options = FractionalMaxPool2d::new(2)
            .output_size(4)
            .random_samples(samples([1, 1, 2], &[u, u]));
        let plan = options.plan(&[1, 10, 10]).unwrap();
        if !u.is_finite() {
            assert_eq!(plan.plane_starts(0)[2], [0, 0, 0, 8], "u={u}");
        }
        pool(&options, &arange(100), &[1, 10, 10]);
    }
}

// ---------------------------------------------------------------------------------------------
// Unbatched inputs, encoders, the functional form and calls by name.

#[test]
fn unbatched_equals_batch_of_one() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 804);
    let data = fill(&mut rng, Fill::Special, 2 * 7 * 7 * 7);
    let samples3 = samples([1, 2, 3], &[0.1, 0.6, 0.9, 0.0, 0.5, 0.999]);
    let options = FractionalMaxPool3d::new([2, 3, 1])
        .output_size([4, 3, 5])
        .random_samples(samples3);
    let batched = Tensor::upload(ctx, &data, &[1, 2, 7, 7, 7]).unwrap();
    let unbatched = Tensor::upload(ctx, &data, &[2, 7, 7, 7]).unwrap();
    let (bv, bi) = options.forward_with_indices(ctx, &batched).unwrap();
    let (uv, ui) = options.forward_with_indices(ctx, &unbatched).unwrap();
    assert_eq!(
        (bv.shape(), uv.shape()),
        (&[1, 2, 4, 3, 5][..], &[2, 4, 3, 5][..])
    );
    assert_bits_eq(
        &uv.download(ctx).unwrap(),
        &bv.download(ctx).unwrap(),
        &"values",
    );
    assert_eq!(ui.download(ctx).unwrap(), bi.download(ctx).unwrap());
}

/// `encode_into` with caller-allocated outputs, two ops chained in one encoder (the starts
/// uploads land before the submission); wrong-shaped outputs refused.
#[test]
fn encode_into_caller_tensors() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 805);
    let shape = [2, 3, 13, 12];
    let data = fill(&mut rng, Fill::Special, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let first = FractionalMaxPool2d::new(3).output_ratio(0.7).seed(1);
    let second = FractionalMaxPool2d::new(2).output_size([3, 4]).seed(2);
    let (cpu1, cpu1_idx) = wgpool::cpu::fractional_max_pool(&first, &data, &shape).unwrap();
    let (cpu2, cpu2_idx) =
        wgpool::cpu::fractional_max_pool(&second, &cpu1.data, &cpu1.shape).unwrap();
    let out1 = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let idx1 = Tensor::<i64>::empty(ctx, &cpu1.shape).unwrap();
    let out2 = Tensor::empty(ctx, &cpu2.shape).unwrap();
    let mut encoder = ctx.encoder();
    first
        .encode_into(ctx, &mut encoder, &input, &out1, Some(&idx1))
        .unwrap();
    second
        .encode_into(ctx, &mut encoder, &out1, &out2, None)
        .unwrap();
    let (values, indices) = second
        .encode_with_indices(ctx, &mut encoder, &out1)
        .unwrap();
    let only = second.encode(ctx, &mut encoder, &out1).unwrap();
    ctx.submit(encoder).unwrap();
    assert_bits_eq(&out1.download(ctx).unwrap(), &cpu1.data, &"first");
    assert_eq!(idx1.download(ctx).unwrap(), cpu1_idx.data);
    assert_bits_eq(&out2.download(ctx).unwrap(), &cpu2.data, &"second");
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &cpu2.data,
        &"encode_with_indices",
    );
    assert_eq!(indices.download(ctx).unwrap(), cpu2_idx.data);
    assert_bits_eq(&only.download(ctx).unwrap(), &cpu2.data, &"encode");

    let flat = Tensor::empty(ctx, &[cpu1.data.len()]).unwrap();
    let flat_idx = Tensor::<i64>::empty(ctx, &[cpu1.data.len()]).unwrap();
    let mut encoder = ctx.encoder();
    for (output, indices) in [(&flat, None), (&out1, Some(&flat_idx))] {
        match first.encode_into(ctx, &mut encoder, &input, output, indices) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("fractional_max_pool2d"), "{message}");
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    ctx.submit(encoder).unwrap();
}

#[test]
fn functional_form_and_calls_by_name_agree() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 806);
    let shape = vec![2, 2, 8, 9, 7];
    let data = fill(&mut rng, Fill::SmallInts, shape.iter().product());
    let sample_data: Vec<f32> = (0..12).map(|_| rng.unit()).collect();
    let options = FractionalMaxPool3d::new([2, 3, 2])
        .output_ratio([0.5, 0.6, 0.7])
        .random_samples(samples([2, 2, 3], &sample_data));
    let (want, want_idx) = wgpool::cpu::fractional_max_pool(&options, &data, &shape).unwrap();
    let x = Tensor::upload(ctx, &data, &shape).unwrap();
    let (values, indices) =
        functional::fractional_max_pool3d_with_indices(ctx, &x, &options).unwrap();
    assert_bits_eq(&values.download(ctx).unwrap(), &want.data, &"functional");
    assert_eq!(indices.download(ctx).unwrap(), want_idx.data);
    let values = functional::fractional_max_pool3d(ctx, &x, &options).unwrap();
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &want.data,
        &"functional values",
    );

    // By name, with the samples as an input, on both devices.
    let kwargs = Kwargs {
        kernel_size: Some(vec![2, 3, 2]),
        output_ratio: Some(vec![0.5, 0.6, 0.7]),
        return_indices: true,
        ..Kwargs::default()
    };
    let inputs = Inputs {
        random_samples: Some(samples([2, 2, 3], &sample_data)),
        ..Inputs::new(Array { shape, data })
    };
    let call = Call::new("fractional_max_pool3d", &kwargs).unwrap();
    for device in [Device::Cpu, Device::Gpu(ctx)] {
        let outputs = call.run(&inputs, device).unwrap();
        assert_bits_eq(
            &outputs.values.data,
            &want.data,
            &format_args!("{device:?}"),
        );
        assert_eq!(outputs.indices.unwrap().data, want_idx.data);
    }
}

/// More outputs than 65,535 workgroups of `workgroup_size()` threads: the dispatch folds into
/// 2-d, and the starts buffer holds millions of entries.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let one_dim =
        limits.max_compute_workgroups_per_dimension as usize * ctx.workgroup_size() as usize;
    // (1, 6, 1, L), k=(1, 2), O=(1, L-1): 6 * (L-1) outputs, just past the limit.
    let planes = 6;
    let out_len = one_dim / planes + 8;
    let shape = [1, planes, 1, out_len + 1];
    let mut rng = Rng::new(random::seed(), 807);
    let data = fill(&mut rng, Fill::Special, planes * (out_len + 1));
    let options = FractionalMaxPool2d::new([1, 2])
        .output_size([1, out_len as i64])
        .seed(5);
    let (cpu, cpu_idx) = wgpool::cpu::fractional_max_pool(&options, &data, &shape).unwrap();
    let total = cpu.data.len();
    assert!(
        total > one_dim && total > 65_535 * 256,
        "{total} outputs need no folding"
    );
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let values = options.forward(ctx, &input).unwrap();
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &cpu.data,
        &"large, values only",
    );
    // The int64 indices need 8 bytes per output in one binding: only where the adapter allows.
    if (total * 8) as u64 <= limits.max_storage_buffer_binding_size {
        let (_, indices) = options.forward_with_indices(ctx, &input).unwrap();
        assert_eq!(
            indices.download(ctx).unwrap(),
            cpu_idx.data,
            "large indices"
        );
    }
}
