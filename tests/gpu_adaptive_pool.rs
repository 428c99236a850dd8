//! AdaptiveAvgPool1d/2d/3d and AdaptiveMaxPool1d/2d/3d on the GPU against the CPU reference: a
//! seeded random grid (output sizes of 1, 0, None, below, equal to and above the input, coprime
//! with it; N=0, C=0, unbatched; NaN/±inf, ties, all-negative inputs; refusals identical), the
//! spec's hand-worked cases, sizes whose window maths passes 32 bits, and the encoder-level API.

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_bits_eq, fill, ulps, Fill, Rng, FILLS};
use wgpool::ops::adaptive::{strategy, Family, Strategy, CELLS_PER_PASS};
use wgpool::{
    AdaptiveAvgPool, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool,
    AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AdaptivePlan, Array, Context, Error,
    Tensor,
};

/// Most ulps a GPU average may differ from the CPU reference. CPU adapters (lavapipe, llvmpipe)
/// divide correctly rounded, so there the sum order and the successive divisions must match bit
/// for bit; WGSL allows 2.5 ulp per f32 division elsewhere, and there are three.
fn avg_tolerance(ctx: &Context) -> u64 {
    match ctx.adapter_info().map(|info| info.device_type) {
        Some(wgpu::DeviceType::Cpu) => 0,
        _ => 8,
    }
}

/// NaN where the reference has NaN, infinities exactly, the rest within `max_ulps`.
fn assert_avg_close(got: &[f32], expected: &[f32], max_ulps: u64, what: &dyn Display) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths differ");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() {
            g.is_nan()
        } else if e.is_infinite() {
            g.to_bits() == e.to_bits()
        } else {
            !g.is_nan() && ulps(g, e) <= max_ulps
        };
        assert!(
            ok,
            "{what}: element {i}: GPU {g:e} ({:#010x}), CPU {e:e} ({:#010x})",
            g.to_bits(),
            e.to_bits()
        );
    }
}

/// The first position where `got` and `expected` differ, with both values.
fn assert_indices_eq(got: &[i64], expected: &[i64], what: &dyn Display) {
    assert_eq!(got.len(), expected.len(), "{what}: index counts differ");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
        panic!("{what}: index {i}: GPU {}, CPU {}", got[i], expected[i]);
    }
}

/// `ctx` and, beside it, the same adapter with [`Reduction::Parallel`](wgpool::Reduction): every
/// check runs on both, so the parallel reductions are tested on CPU adapters too.
fn contexts(ctx: Option<&Context>) -> Vec<&Context> {
    ctx.into_iter()
        .chain(ctx.and(common::gpu_parallel()))
        .collect()
}

/// Whether `ctx` reduces `plan`'s windows in parallel, not one invocation per output.
fn reduces(ctx: &Context, plan: &AdaptivePlan, family: Family) -> Option<u32> {
    match strategy(plan, family, ctx.workgroup_size(), ctx.parallel_reduction()) {
        Strategy::Reduce { threads } => Some(threads),
        Strategy::PerOutput | Strategy::Tiles { .. } => None,
    }
}

/// A global average reduced by `threads` invocations against the f64 mean of each plane: NaN
/// and infinities as the mean has them, finite values within the rounding error of `threads`
/// sequential partial sums, a tree over them and three divisions (PyTorch's `mean()` is not
/// row-major either, so the sequential CPU reference is no exact yardstick here).
fn assert_mean_close(got: &[f32], data: &[f32], threads: u32, what: &dyn Display) {
    let plane = data.len() / got.len().max(1);
    for (p, &g) in got.iter().enumerate() {
        let cells = &data[p * plane..(p + 1) * plane];
        let mean = cells.iter().map(|&x| f64::from(x)).sum::<f64>() / plane as f64;
        let mean_abs = cells.iter().map(|&x| f64::from(x).abs()).sum::<f64>() / plane as f64;
        let rounding = plane.div_ceil(threads as usize) as f64 + f64::from(threads.ilog2()) + 1.0;
        let bound = f64::from(f32::EPSILON) * (rounding * mean_abs + 8.0 * mean.abs());
        let ok = if mean.is_nan() {
            g.is_nan()
        } else if mean.is_infinite() {
            f64::from(g) == mean
        } else {
            (f64::from(g) - mean).abs() <= bound
        };
        assert!(
            ok,
            "{what}: plane {p}: GPU {g:e}, f64 mean {mean:e} (bound {bound:e})"
        );
    }
}

/// Runs `options` on the CPU reference and (when there is a GPU) on the GPU [`contexts`].
/// Refusals must be the same error everywhere; per-output results must agree within
/// [`avg_tolerance`], parallel ones as [`assert_mean_close`] says. Returns the CPU result, `None`
/// when refused.
fn check_avg<const R: usize>(
    ctx: Option<&Context>,
    options: &AdaptiveAvgPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<Array<f32>> {
    let cpu = wgpool::cpu::adaptive_avg_pool(options, data, shape);
    let plan = options.plan(shape);
    for ctx in contexts(ctx) {
        let input =
            Tensor::upload(ctx, data, shape).unwrap_or_else(|e| panic!("{what}: upload: {e}"));
        match (&cpu, &plan) {
            (Err(refusal), _) => {
                let gpu = options
                    .forward(ctx, &input)
                    .expect_err("GPU forward accepted what the CPU reference refused");
                assert_eq!(
                    format!("{gpu:?}"),
                    format!("{refusal:?}"),
                    "{what}: forward vs CPU"
                );
            }
            (Ok(values), Ok(plan)) => {
                let gpu = options
                    .forward(ctx, &input)
                    .unwrap_or_else(|e| panic!("{what}: forward: {e}"));
                assert_eq!(gpu.shape(), values.shape.as_slice(), "{what}");
                let got = gpu.download(ctx).unwrap();
                match reduces(ctx, plan, Family::Avg) {
                    None => assert_avg_close(&got, &values.data, avg_tolerance(ctx), what),
                    Some(threads) => assert_mean_close(&got, data, threads, what),
                }
            }
            (Ok(_), Err(e)) => panic!("{what}: plan refused: {e}"),
        }
    }
    match cpu {
        Err(refusal) => {
            let plan = plan.expect_err("plan accepted what the CPU reference refused");
            assert_eq!(
                format!("{plan:?}"),
                format!("{refusal:?}"),
                "{what}: plan vs CPU"
            );
            None
        }
        Ok(values) => {
            let plan = plan.unwrap_or_else(|e| panic!("{what}: plan refused: {e}"));
            assert_eq!(plan.output_shape, values.shape, "{what}: plan vs CPU shape");
            assert_eq!(values.data.len(), plan.output_len(), "{what}");
            Some(values)
        }
    }
}

/// [`check_avg`] for max pooling, with and without indices: values bit for bit, indices exact,
/// whichever way the GPU visits the windows.
fn check_max<const R: usize>(
    ctx: Option<&Context>,
    options: &AdaptiveMaxPool<R>,
    shape: &[usize],
    data: &[f32],
    what: &dyn Display,
) -> Option<(Array<f32>, Array<i64>)> {
    let cpu = wgpool::cpu::adaptive_max_pool(options, data, shape);
    let plan = options.plan(shape);
    for ctx in contexts(ctx) {
        let input =
            Tensor::upload(ctx, data, shape).unwrap_or_else(|e| panic!("{what}: upload: {e}"));
        let what = match plan
            .as_ref()
            .ok()
            .and_then(|p| reduces(ctx, p, Family::Max))
        {
            Some(threads) => format!("{what} (reduced by {threads})"),
            None => format!("{what}"),
        };
        match &cpu {
            Err(refusal) => {
                let refusal = format!("{refusal:?}");
                let gpu = options
                    .forward(ctx, &input)
                    .expect_err("GPU forward accepted what the CPU reference refused");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: forward vs CPU");
                let gpu = options
                    .forward_with_indices(ctx, &input)
                    .expect_err("GPU forward_with_indices accepted what the CPU refused");
                assert_eq!(format!("{gpu:?}"), refusal, "{what}: with indices vs CPU");
            }
            Ok((values, indices)) => {
                let (gv, gi) = options
                    .forward_with_indices(ctx, &input)
                    .unwrap_or_else(|e| panic!("{what}: forward_with_indices: {e}"));
                assert_eq!(gv.shape(), values.shape.as_slice(), "{what}");
                assert_eq!(gi.shape(), values.shape.as_slice(), "{what}");
                let got = gv.download(ctx).unwrap();
                assert_bits_eq(&got, &values.data, &format_args!("{what}: values"));
                let got = gi.download(ctx).unwrap();
                assert_indices_eq(&got, &indices.data, &format_args!("{what}: indices"));

                let only = options
                    .forward(ctx, &input)
                    .unwrap_or_else(|e| panic!("{what}: forward: {e}"));
                assert_eq!(only.shape(), values.shape.as_slice(), "{what}");
                let got = only.download(ctx).unwrap();
                assert_bits_eq(&got, &values.data, &format_args!("{what}: forward values"));
            }
        }
    }
    match cpu {
        Err(refusal) => {
            let plan = plan.expect_err("plan accepted what the CPU reference refused");
            assert_eq!(
                format!("{plan:?}"),
                format!("{refusal:?}"),
                "{what}: plan vs CPU"
            );
            None
        }
        Ok((values, indices)) => {
            let plan = plan.unwrap_or_else(|e| panic!("{what}: plan refused: {e}"));
            assert_eq!(plan.output_shape, values.shape, "{what}: plan vs CPU shape");
            assert_eq!(values.shape, indices.shape, "{what}");
            assert_eq!(values.data.len(), plan.output_len(), "{what}");
            assert_eq!(indices.data.len(), plan.output_len(), "{what}");
            Some((values, indices))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// A random shape: batched (N in 0..=3) or not, C in 1..=3, spatial sizes in 1..=`max_len`;
/// rarely C=0, a zero spatial dim, or a wrong rank.
fn random_shape<const R: usize>(rng: &mut Rng, max_len: i64) -> Vec<usize> {
    let mut shape = Vec::new();
    if rng.percent(70) {
        shape.push(rng.pick(&[0, 1, 1, 2, 3]));
    }
    shape.push(if rng.percent(6) {
        0
    } else {
        rng.range(1, 3) as usize
    });
    let rank = if rng.percent(2) { R + 2 } else { R };
    for _ in 0..rank {
        shape.push(if rng.percent(2) {
            0
        } else {
            rng.range(1, max_len) as usize
        });
    }
    shape
}

/// A random output size for spatial sizes `spatial`, per dim: 1, the input size, just below or
/// above it, a half, more than double, any size up to 2L+3, None (2d/3d), and rarely 0 or
/// negative.
fn random_output_size<const R: usize>(rng: &mut Rng, spatial: &[usize]) -> [Option<i64>; R] {
    std::array::from_fn(|a| {
        let len = spatial.get(a).map_or(4, |&n| n as i64);
        match rng.below(100) {
            0..=11 => Some(1),
            12..=21 => Some(len),
            22..=31 => Some((len - 1).max(1)),
            32..=41 => Some(len + 1),
            42..=51 => Some((len / 2).max(1)),
            52..=59 => Some(2 * len + 1),
            60..=61 => Some(0),
            62..=63 => Some(-1),
            64..=75 if R > 1 => None,
            // Refused: 1d takes no None.
            64..=65 => None,
            _ => Some(rng.range(1, 2 * len + 3)),
        }
    })
}

/// What the grid reached, so that a grid that silently stops covering something fails.
#[derive(Debug, Default)]
struct Coverage {
    refused: usize,
    valid: usize,
    unbatched: usize,
    empty_batch: usize,
    zero_channels_accepted: usize,
    none_entry: usize,
    global: usize,
    upsampled: usize,
    overlapping: usize,
    empty_output: usize,
    nan_output: usize,
    neg_inf_output: usize,
}

impl Coverage {
    fn note<const R: usize>(
        &mut self,
        output_size: &[Option<i64>; R],
        shape: &[usize],
        output_shape: &[usize],
        max_values: &[f32],
    ) {
        self.valid += 1;
        let batched = shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && shape[0] == 0);
        self.zero_channels_accepted += usize::from(shape[shape.len() - R - 1] == 0);
        self.none_entry += usize::from(output_size.contains(&None));
        let spatial = &shape[shape.len() - R..];
        let out = &output_shape[output_shape.len() - R..];
        self.global += usize::from(out.iter().all(|&o| o == 1));
        self.upsampled += usize::from((0..R).any(|a| out[a] > spatial[a]));
        self.overlapping += usize::from(
            (0..R).any(|a| out[a] > 1 && out[a] < spatial[a] && spatial[a] % out[a] != 0),
        );
        self.empty_output += usize::from(out.contains(&0));
        self.nan_output += usize::from(max_values.iter().any(|v| v.is_nan()));
        self.neg_inf_output += usize::from(max_values.contains(&f32::NEG_INFINITY));
    }

    fn assert_reached_everything<const R: usize>(&self) {
        let counts = [
            ("refused", self.refused),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("zero_channels_accepted", self.zero_channels_accepted),
            ("none_entry", self.none_entry + usize::from(R == 1)),
            ("global", self.global),
            ("upsampled", self.upsampled),
            ("overlapping", self.overlapping),
            ("empty_output", self.empty_output),
            ("nan_output", self.nan_output),
            ("neg_inf_output", self.neg_inf_output),
        ];
        for (what, count) in counts {
            assert!(count > 0, "the grid never reached {what}: {self:?}");
        }
    }
}

/// `cases` random calls of both ops at rank `R` on one input each.
fn random_grid<const R: usize>(ctx: Option<&Context>, stream: u64, cases: usize, max_len: i64) {
    let seed = random::seed();
    let mut rng = Rng::new(seed, stream);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let shape = random_shape::<R>(&mut rng, max_len);
        let spatial = &shape[shape.len().saturating_sub(R)..];
        // Global pooling (size 1 everywhere) is rare among random sizes in 3d: some cases ask
        // for it, so that every seed reaches it.
        let output_size = match rng.percent(5) {
            true => [Some(1); R],
            false => random_output_size::<R>(&mut rng, spatial),
        };
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, shape.iter().product());
        let what = format!(
            "seed {seed:#x} stream {stream} case {case}: output_size {output_size:?} on \
             {shape:?}, {kind:?}"
        );
        let avg = check_avg(
            ctx,
            &AdaptiveAvgPool::new(output_size),
            &shape,
            &data,
            &what,
        );
        let max = check_max(
            ctx,
            &AdaptiveMaxPool::new(output_size),
            &shape,
            &data,
            &what,
        );
        match (avg, max) {
            (_, Some((values, _))) => {
                coverage.note(&output_size, &shape, &values.shape, &values.data)
            }
            (Some(values), None) => coverage.note(&output_size, &shape, &values.shape, &[]),
            (None, None) => coverage.refused += 1,
        }
    }
    coverage.assert_reached_everything::<R>();
}

#[test]
fn random_grid_1d() {
    let ctx = common::gpu();
    random_grid::<1>(ctx, 1, 250, 40);
}

#[test]
fn random_grid_2d() {
    let ctx = common::gpu();
    random_grid::<2>(ctx, 2, 250, 14);
}

#[test]
fn random_grid_3d() {
    let ctx = common::gpu();
    random_grid::<3>(ctx, 3, 250, 7);
}

// ---------------------------------------------------------------------------------------------
// The spec's worked examples, on the CPU reference and the GPU.

/// Average pooling on the CPU, checked against the GPU when there is one.
fn avg<const R: usize>(options: &AdaptiveAvgPool<R>, data: &[f32], shape: &[usize]) -> Vec<f32> {
    let what = format!("{options:?} on {shape:?}");
    check_avg(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what} refused"))
        .data
}

/// Max pooling on the CPU, checked against the GPU when there is one.
fn max<const R: usize>(
    options: &AdaptiveMaxPool<R>,
    data: &[f32],
    shape: &[usize],
) -> (Vec<f32>, Vec<i64>) {
    let what = format!("{options:?} on {shape:?}");
    let (values, indices) = check_max(common::gpu(), options, shape, data, &what)
        .unwrap_or_else(|| panic!("{what} refused"));
    (values.data, indices.data)
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn arange(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

#[test]
fn spec_overlapping_windows_of_ten_into_three() {
    // L=10, O=3: windows [0,4) [3,7) [6,10).
    assert_eq!(
        avg(&AdaptiveAvgPool1d::new(3), &arange(10), &[1, 10]),
        [1.5, 4.5, 7.5]
    );
    let (values, indices) = max(&AdaptiveMaxPool1d::new(3), &arange(10), &[1, 10]);
    assert_eq!((values, indices), (vec![3.0, 6.0, 9.0], vec![3, 6, 9]));
    // Decreasing values: the maximum is each window's first cell.
    let down: Vec<f32> = (0..10).map(|i| -(i as f32)).collect();
    let (_, indices) = max(&AdaptiveMaxPool1d::new(3), &down, &[1, 10]);
    assert_eq!(indices, [0, 3, 6]);
}

#[test]
fn spec_upsampling_three_into_five() {
    // L=3, O=5: windows [0,1) [0,2) [1,2) [1,3) [2,3).
    let data = [1.0, 2.0, 3.0];
    assert_eq!(
        avg(&AdaptiveAvgPool1d::new(5), &data, &[1, 3]),
        [1.0, 1.5, 2.0, 2.5, 3.0]
    );
    let (values, indices) = max(&AdaptiveMaxPool1d::new(5), &data, &[1, 3]);
    assert_eq!(values, [1.0, 2.0, 2.0, 3.0, 3.0]);
    assert_eq!(indices, [0, 1, 1, 2, 2]);
    // One element that is the maximum of two overlapping windows.
    let (values, indices) = max(&AdaptiveMaxPool1d::new(2), &[1.0, 9.0, 2.0], &[1, 3]);
    assert_eq!((values, indices), (vec![9.0, 9.0], vec![1, 1]));
    // (2, 3, 4, 10) -> (8, 5): every output shape and a window of each kind.
    let data = arange(2 * 3 * 4 * 10);
    let (values, indices) = max(&AdaptiveMaxPool2d::new([8, 5]), &data, &[2, 3, 4, 10]);
    assert_eq!(values.len(), 2 * 3 * 8 * 5);
    // Plane 0, row 0 of 8 reads input row 0; its 5 windows along W of 10 are pairs.
    assert_eq!(&indices[..5], [1, 3, 5, 7, 9]);
    // The last plane's last output is its last element.
    assert_eq!((values[239], indices[239]), (239.0, 39));
}

#[test]
fn spec_nan_and_neg_inf_windows() {
    let (first_nan, second_nan) = (f32::from_bits(0x7fc0_0001), f32::from_bits(0xffc0_0002));
    // [nan, 5, nan], O=1: the last NaN, index 2.
    let (values, indices) = max(
        &AdaptiveMaxPool1d::new(1),
        &[first_nan, 5.0, second_nan],
        &[1, 3],
    );
    assert_eq!(
        (bits(&values), indices),
        (vec![second_nan.to_bits()], vec![2])
    );
    // A NaN is not replaced by a larger number after it.
    let (values, indices) = max(
        &AdaptiveMaxPool1d::new(1),
        &[1.0, first_nan, f32::INFINITY],
        &[1, 3],
    );
    assert_eq!(
        (bits(&values), indices),
        (vec![first_nan.to_bits()], vec![1])
    );
    // All -inf: -inf with the index of each window's first cell (windows [0,2) [1,3)).
    let ninf = f32::NEG_INFINITY;
    let (values, indices) = max(&AdaptiveMaxPool1d::new(2), &[ninf; 3], &[1, 3]);
    assert_eq!((values, indices), (vec![ninf; 2], vec![0, 1]));
    // 2d all -inf: the first cell is flat(start_h, start_w).
    let (values, indices) = max(&AdaptiveMaxPool2d::new(2), &[ninf; 9], &[1, 3, 3]);
    assert_eq!((values, indices), (vec![ninf; 4], vec![0, 1, 3, 4]));
    // Averages follow plain arithmetic: inf + -inf is NaN, NaN spreads, inf stays.
    let got = avg(
        &AdaptiveAvgPool1d::new(3),
        &[f32::INFINITY, ninf, 1.0, first_nan, 2.0, f32::INFINITY],
        &[1, 6],
    );
    assert!(got[0].is_nan() && got[1].is_nan(), "{got:?}");
    assert_eq!(got[2], f32::INFINITY);
}

#[test]
fn spec_ties_keep_the_first() {
    let (values, indices) = max(&AdaptiveMaxPool1d::new(2), &[2.0; 5], &[1, 5]);
    assert_eq!((values, indices), (vec![2.0; 2], vec![0, 2]));
    let (values, indices) = max(&AdaptiveMaxPool1d::new(1), &[-0.0, 0.0], &[1, 2]);
    assert_eq!((bits(&values), indices), (vec![0x8000_0000], vec![0]));
    let (values, indices) = max(&AdaptiveMaxPool1d::new(1), &[0.0, -0.0], &[1, 2]);
    assert_eq!((bits(&values), indices), (vec![0], vec![0]));
}

#[test]
fn spec_two_by_two_of_a_four_by_four_plane() {
    let data: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let (values, indices) = max(&AdaptiveMaxPool2d::new(2), &data, &[1, 1, 4, 4]);
    assert_eq!(values, [6.0, 8.0, 14.0, 16.0]);
    assert_eq!(indices, [5, 7, 13, 15]);
    assert_eq!(
        avg(&AdaptiveAvgPool2d::new(2), &data, &[1, 4, 4]),
        [3.5, 5.5, 11.5, 13.5]
    );
    // 3d indices are t*H*W + h*W + w within the plane.
    let (values, indices) = max(
        &AdaptiveMaxPool3d::new([1, 1, 2]),
        &arange(24),
        &[1, 2, 3, 4],
    );
    assert_eq!((values, indices), (vec![21.0, 23.0], vec![21, 23]));
}

#[test]
fn spec_none_keeps_the_input_size() {
    // (2, None) on (4, 4, 4) -> (4, 2, 4): rows pooled in pairs, columns kept.
    let data = arange(64);
    let options = AdaptiveAvgPool2d::new([Some(2), None]);
    assert_eq!(options.plan(&[4, 4, 4]).unwrap().output_shape, [4, 2, 4]);
    let got = avg(&options, &data, &[4, 4, 4]);
    assert_eq!(&got[..8], [2.0, 3.0, 4.0, 5.0, 10.0, 11.0, 12.0, 13.0]);
    let (values, indices) = max(&AdaptiveMaxPool2d::new([Some(2), None]), &data, &[4, 4, 4]);
    assert_eq!(&values[..4], [4.0, 5.0, 6.0, 7.0]);
    assert_eq!(&indices[..8], [4, 5, 6, 7, 12, 13, 14, 15]);
    let options = AdaptiveMaxPool3d::new([None, Some(1), None]);
    assert_eq!(
        options.plan(&[2, 3, 4, 5]).unwrap().output_shape,
        [2, 3, 1, 5]
    );
    let (_, indices) = max(&options, &arange(120), &[2, 3, 4, 5]);
    assert_eq!(&indices[..6], [15, 16, 17, 18, 19, 35]);
}

/// PyTorch's CPU kernel divides the window sum by each extent in turn (`sum / kh / kw`), which
/// differs in the last bit from one division by the window's size.
#[test]
fn spec_successive_divisions_bit_exact() {
    // 2d, two 3x3 windows summing to 5 and 7: 5/3/3 is 0x3f0e38e3, 5/9 would be 0x3f0e38e4.
    let mut data = vec![0.0; 18];
    for (row, sums) in [(0, [2.0, 3.0]), (1, [2.0, 3.0]), (2, [1.0, 1.0])] {
        data[row * 6] = sums[0];
        data[row * 6 + 3] = sums[1];
    }
    let got = avg(&AdaptiveAvgPool2d::new([1, 2]), &data, &[1, 3, 6]);
    assert_eq!(bits(&got), [0x3f0e_38e3, 0x3f47_1c71]);
    // 3d, one 3x3x3 window summing to 13: 13/3/3/3 is 0x3ef684bf, 13/27 would be 0x3ef684be.
    let mut data = vec![0.0; 3 * 3 * 6];
    data[0] = 13.0;
    data[3] = 15.0;
    let got = avg(&AdaptiveAvgPool3d::new([1, 1, 2]), &data, &[1, 3, 3, 6]);
    assert_eq!(bits(&got), [0x3ef6_84bf, 0x3f0e_38e3]);
}

/// O=1 everywhere is global pooling: one window over the whole plane.
#[test]
fn global_pooling() {
    let data: Vec<f32> = (0..2 * 3 * 5 * 7).map(|i| ((i * 37) % 11) as f32).collect();
    let (values, indices) = max(&AdaptiveMaxPool2d::new(1), &data, &[2, 3, 5, 7]);
    for plane in 0..6 {
        let cells = &data[plane * 35..(plane + 1) * 35];
        let best = cells.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let first = cells.iter().position(|&v| v == best).unwrap();
        assert_eq!((values[plane], indices[plane]), (best, first as i64));
    }
    let got = avg(&AdaptiveAvgPool3d::new(1), &arange(2 * 60), &[2, 3, 4, 5]);
    assert_eq!(got, [29.5, 89.5]);
}

// ---------------------------------------------------------------------------------------------
// Sizes whose window maths needs care.

/// PyTorch's `test_adaptive_pool_odd_size` sizes (5873 -> 3527, 3693 -> 2219), and sizes where
/// `o * L` passes 2^31 and 2^32, which the shader's 32-bit window maths must get exact.
/// Increasing values make each max index the window's last cell, decreasing ones its first, so
/// both bounds of every window are checked.
#[test]
fn large_odd_and_wide_sizes() {
    let ctx = common::gpu();
    let mut rng = Rng::new(random::seed(), 20);
    for (len, out) in [
        (5873, 3527),
        (3693, 2219),
        (50_000, 60_000),
        (100_003, 70_001),
        (70_001, 100_003),
    ] {
        let what = format!("L={len} O={out}");
        let up = arange(len);
        let down: Vec<f32> = up.iter().map(|v| -v).collect();
        let noise = fill(&mut rng, Fill::Normal, len);
        for data in [&up, &down] {
            let (_, indices) =
                check_max(ctx, &AdaptiveMaxPool1d::new(out), &[1, len], data, &what).unwrap();
            let first = data[0] > data[1];
            for (o, &index) in indices.data.iter().enumerate() {
                let (o, len, out) = (o as u128, len as u128, out as u128);
                let expected = if first {
                    o * len / out
                } else {
                    ((o + 1) * len).div_ceil(out) - 1
                };
                assert_eq!(index as u128, expected, "{what}: output {o}");
            }
        }
        check_avg(ctx, &AdaptiveAvgPool1d::new(out), &[1, len], &noise, &what).unwrap();
    }
    // 2d with odd sizes along both dims.
    let shape = [1, 2, 97, 587];
    let data = fill(&mut rng, Fill::Special, shape.iter().product());
    let what = "2d odd sizes";
    check_max(
        ctx,
        &AdaptiveMaxPool2d::new([61, 353]),
        &shape,
        &data,
        &what,
    )
    .unwrap();
    check_avg(
        ctx,
        &AdaptiveAvgPool2d::new([61, 353]),
        &shape,
        &data,
        &what,
    )
    .unwrap();
}

/// Windows longer than `CELLS_PER_PASS` are visited over several dispatches; the sum, the
/// maximum and its index carry over, splitting rows, planes and runs of ties, NaNs and -inf.
#[test]
fn long_windows_take_several_passes() {
    let ctx = common::gpu();
    let k = CELLS_PER_PASS as usize;
    let mut rng = Rng::new(random::seed(), 24);
    // Global pooling of windows just below, at and past one pass, and over three passes.
    for len in [k - 1, k, k + 1, 2 * k + 3] {
        let what = format!("global 1d over {len}");
        let noise = fill(&mut rng, Fill::Normal, 2 * len);
        check_avg(ctx, &AdaptiveAvgPool1d::new(1), &[2, len], &noise, &what).unwrap();
        let special = fill(&mut rng, Fill::Special, 2 * len);
        check_max(ctx, &AdaptiveMaxPool1d::new(1), &[2, len], &special, &what).unwrap();
    }
    // Ties: the first, in the first pass, wins over an equal value in the second.
    let len = k + 10;
    let mut data = vec![1.0; len];
    data[5] = 9.0;
    data[k + 5] = 9.0;
    assert_eq!(
        max(&AdaptiveMaxPool1d::new(1), &data, &[1, len]),
        (vec![9.0], vec![5])
    );
    // A larger value in the second pass replaces the first pass's maximum.
    data[k + 7] = 10.0;
    assert_eq!(
        max(&AdaptiveMaxPool1d::new(1), &data, &[1, len]),
        (vec![10.0], vec![k as i64 + 7])
    );
    // A NaN from the first pass stays against numbers, and the last NaN wins across passes.
    let (first_nan, second_nan) = (f32::from_bits(0x7fc0_0011), f32::from_bits(0xffc0_0022));
    data[3] = first_nan;
    let (values, indices) = max(&AdaptiveMaxPool1d::new(1), &data, &[1, len]);
    assert_eq!(
        (bits(&values), indices),
        (vec![first_nan.to_bits()], vec![3])
    );
    data[k + 2] = second_nan;
    let (values, indices) = max(&AdaptiveMaxPool1d::new(1), &data, &[1, len]);
    assert_eq!(
        (bits(&values), indices),
        (vec![second_nan.to_bits()], vec![k as i64 + 2])
    );
    // All -inf over two passes keeps the window's first cell; windows [0, 2k/3+...) overlap.
    let ninf = vec![f32::NEG_INFINITY; 2 * k];
    let (values, indices) = max(&AdaptiveMaxPool1d::new(3), &ninf, &[1, 2 * k]);
    assert_eq!(values, [f32::NEG_INFINITY; 3]);
    assert_eq!(indices, [0, 2 * k as i64 / 3, 4 * k as i64 / 3]);
    // An exact sum over passes: 0.5 * 2^20.
    let n = 1 << 20;
    assert_eq!(
        avg(&AdaptiveAvgPool1d::new(1), &vec![0.5; n], &[1, 1, n]),
        [0.5]
    );
    // Pass boundaries in the middle of a row (2d) and of a plane (3d), with windows of
    // several sizes side by side, some of them finished before the last pass.
    for (shape, output) in [([1, 300, 301], [1, 1]), ([2, 250, 523], [1, 2])] {
        let what = format!("2d {shape:?} -> {output:?}");
        let data = fill(&mut rng, Fill::Special, shape.iter().product());
        check_avg(ctx, &AdaptiveAvgPool2d::new(output), &shape, &data, &what).unwrap();
        check_max(ctx, &AdaptiveMaxPool2d::new(output), &shape, &data, &what).unwrap();
        let data = fill(&mut rng, Fill::Normal, shape.iter().product());
        check_avg(ctx, &AdaptiveAvgPool2d::new(output), &shape, &data, &what).unwrap();
    }
    let shape = [1, 41, 41, 43];
    let data = fill(&mut rng, Fill::SmallInts, shape.iter().product());
    let what = "3d global over 72,283 cells";
    check_max(
        ctx,
        &AdaptiveMaxPool3d::new([1, 1, 2]),
        &shape,
        &data,
        &what,
    )
    .unwrap();
    check_avg(
        ctx,
        &AdaptiveAvgPool3d::new([1, 1, 2]),
        &shape,
        &data,
        &what,
    )
    .unwrap();
    check_avg(ctx, &AdaptiveAvgPool3d::new(1), &shape, &data, &what).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The parallel reductions (run on CPU adapters through `common::gpu_parallel`).

/// Global windows of 32 to 1,100 cells take every reduction width from 8 to 256 invocations;
/// windows of whole rows (and whole planes) take the contiguous path, sub-boxes the general one.
#[test]
fn parallel_reductions_at_every_width_and_window_layout() {
    let Some(parallel) = common::gpu_parallel() else {
        return;
    };
    let ctx = common::gpu();
    let mut rng = Rng::new(random::seed(), 30);
    let mut widths = std::collections::BTreeSet::new();
    for len in [32, 63, 64, 127, 128, 255, 256, 511, 512, 1023, 1024, 1100] {
        let options = AdaptiveMaxPool1d::new(1);
        let plan = options.plan(&[2, len]).unwrap();
        widths.extend(reduces(parallel, &plan, Family::Max));
        for f in FILLS {
            let what = format!("global 1d over {len}, {f:?}");
            let data = fill(&mut rng, f, 2 * len);
            check_max(ctx, &options, &[2, len], &data, &what).unwrap();
            check_avg(ctx, &AdaptiveAvgPool1d::new(1), &[2, len], &data, &what).unwrap();
        }
    }
    let expected: Vec<u32> = [8, 16, 32, 64, 128, 256]
        .into_iter()
        .filter(|&w| w <= parallel.workgroup_size())
        .collect();
    assert_eq!(widths.into_iter().collect::<Vec<_>>(), expected);

    // 2d: whole rows (contiguous), sub-boxes; 3d: whole planes (contiguous), whole rows of part
    // of a plane, and boxes narrower than a row.
    let layouts2: [([usize; 4], [i64; 2]); 3] = [
        ([2, 3, 64, 40], [2, 1]),
        ([2, 3, 40, 50], [2, 3]),
        ([1, 2, 33, 35], [1, 2]),
    ];
    for (shape, output) in layouts2 {
        for f in FILLS {
            let what = format!("2d {shape:?} -> {output:?}, {f:?}");
            let data = fill(&mut rng, f, shape.iter().product());
            let options = AdaptiveMaxPool2d::new(output);
            let plan = options.plan(&shape).unwrap();
            assert!(reduces(parallel, &plan, Family::Max).is_some(), "{what}");
            check_max(ctx, &options, &shape, &data, &what).unwrap();
        }
    }
    let layouts3: [([usize; 5], [i64; 3]); 3] = [
        ([1, 2, 6, 5, 40], [2, 1, 1]),
        ([1, 2, 6, 9, 40], [1, 2, 1]),
        ([2, 1, 5, 6, 30], [1, 1, 3]),
    ];
    for (shape, output) in layouts3 {
        for f in FILLS {
            let what = format!("3d {shape:?} -> {output:?}, {f:?}");
            let data = fill(&mut rng, f, shape.iter().product());
            let options = AdaptiveMaxPool3d::new(output);
            let plan = options.plan(&shape).unwrap();
            assert!(reduces(parallel, &plan, Family::Max).is_some(), "{what}");
            check_max(ctx, &options, &shape, &data, &what).unwrap();
        }
    }
    // Average pooling reduces only to all-ones sizes, and keeps the row-major sum elsewhere.
    let plan = AdaptiveAvgPool2d::new([2, 3])
        .plan(&[2, 3, 40, 50])
        .unwrap();
    assert_eq!(reduces(parallel, &plan, Family::Avg), None);
    let plan = AdaptiveAvgPool3d::new(1).plan(&[2, 3, 4, 5, 6]).unwrap();
    assert_eq!(reduces(parallel, &plan, Family::Avg), Some(16));
    let what = "3d global";
    let data = fill(&mut rng, Fill::Normal, 720);
    check_avg(
        ctx,
        &AdaptiveAvgPool3d::new(1),
        &[2, 3, 4, 5, 6],
        &data,
        &what,
    )
    .unwrap();
}

/// Output sizes dividing the input by at most 8 run through the max and average pool kernels
/// (kernel = stride = the tile), unless reduced: same windows, same order, same bits.
#[test]
fn exact_tiles_run_as_sliding_windows() {
    let Some(ctx) = common::gpu() else {
        return;
    };
    let mut rng = Rng::new(random::seed(), 32);
    let tiled = |plan: &AdaptivePlan, family| {
        matches!(
            strategy(plan, family, ctx.workgroup_size(), false),
            Strategy::Tiles { .. }
        )
    };
    // Tiles of 3 and 7 make dividing by each extent in turn differ from dividing by their
    // product; rows of 4, 5 and 9 outputs take the row kernels, rows of 1 the others.
    let cases: [(Vec<usize>, Vec<i64>); 7] = [
        (vec![2, 3, 40], vec![5]),
        (vec![3, 14, 14], vec![7, 7]),
        (vec![2, 3, 18, 15], vec![6, 5]),
        (vec![2, 2, 21, 28], vec![3, 4]),
        (vec![2, 2, 24, 9], vec![3, 9]),
        (vec![1, 2, 4, 6, 8], vec![2, 3, 1]),
        (vec![2, 8, 8, 7], vec![1, 1, 1]),
    ];
    for (shape, output) in cases {
        for f in FILLS {
            let what = format!("{shape:?} -> {output:?}, {f:?}");
            let data = fill(&mut rng, f, shape.iter().product());
            match output.len() {
                1 => {
                    let (avg, max) = (
                        AdaptiveAvgPool1d::new(output[0]),
                        AdaptiveMaxPool1d::new(output[0]),
                    );
                    assert!(tiled(&avg.plan(&shape).unwrap(), Family::Avg), "{what}");
                    check_avg(Some(ctx), &avg, &shape, &data, &what).unwrap();
                    check_max(Some(ctx), &max, &shape, &data, &what).unwrap();
                }
                2 => {
                    let size = [output[0], output[1]];
                    let (avg, max) = (AdaptiveAvgPool2d::new(size), AdaptiveMaxPool2d::new(size));
                    assert!(tiled(&max.plan(&shape).unwrap(), Family::Max), "{what}");
                    check_avg(Some(ctx), &avg, &shape, &data, &what).unwrap();
                    check_max(Some(ctx), &max, &shape, &data, &what).unwrap();
                }
                _ => {
                    let size = [output[0], output[1], output[2]];
                    let (avg, max) = (AdaptiveAvgPool3d::new(size), AdaptiveMaxPool3d::new(size));
                    assert!(tiled(&avg.plan(&shape).unwrap(), Family::Avg), "{what}");
                    check_avg(Some(ctx), &avg, &shape, &data, &what).unwrap();
                    check_max(Some(ctx), &max, &shape, &data, &what).unwrap();
                }
            }
        }
    }
}

/// Windows longer than one reduction pass (256 invocations x CELLS_PER_PASS cells each, on
/// lavapipe's loop cap) carry the partial sum, or the maximum and its index, to the next pass.
#[test]
fn parallel_reductions_longer_than_one_pass() {
    let Some(parallel) = common::gpu_parallel() else {
        return;
    };
    let threads = parallel.workgroup_size().min(256) as usize;
    let pass = threads * CELLS_PER_PASS as usize;
    let len = pass + 1000;
    let plan = AdaptiveMaxPool1d::new(1).plan(&[1, len]).unwrap();
    assert_eq!(reduces(parallel, &plan, Family::Max), Some(threads as u32));
    let run = |data: &[f32]| -> (u32, i64) {
        let what = format!("global max over {len}");
        let (values, indices) = check_max(
            Some(parallel),
            &AdaptiveMaxPool1d::new(1),
            &[1, len],
            data,
            &what,
        )
        .unwrap();
        (values.data[0].to_bits(), indices.data[0])
    };
    // Each run takes lavapipe a few tenths of a second: three cover the carried state.
    let mut data = vec![1.0f32; len];
    data[5] = 9.0;
    data[pass + 5] = 9.0;
    // A tie: the first pass's cell wins.
    assert_eq!(run(&data), (9.0f32.to_bits(), 5));
    // A greater value in the second pass wins.
    data[pass + 7] = 10.0;
    assert_eq!(run(&data), (10.0f32.to_bits(), pass as i64 + 7));
    // Among NaNs, the later wins across passes.
    let (first_nan, second_nan) = (f32::from_bits(0x7fc0_0011), f32::from_bits(0xffc0_0022));
    data[3] = first_nan;
    data[pass + 2] = second_nan;
    assert_eq!(run(&data), (second_nan.to_bits(), pass as i64 + 2));
    // The sum carries over to the mean.
    let what = format!("global mean over {len}");
    let mut rng = Rng::new(random::seed(), 31);
    let noise = fill(&mut rng, Fill::Normal, len);
    check_avg(
        Some(parallel),
        &AdaptiveAvgPool1d::new(1),
        &[1, len],
        &noise,
        &what,
    );
}

// ---------------------------------------------------------------------------------------------
// Empty outputs, batches, encoders, and a big dispatch.

#[test]
fn empty_outputs_record_nothing() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(
        ctx: &Context,
        output_size: [Option<i64>; R],
        shape: &[usize],
        out: &[usize],
    ) {
        let input = Tensor::upload(ctx, &vec![1.0; shape.iter().product()], shape).unwrap();
        let values = AdaptiveAvgPool::new(output_size)
            .forward(ctx, &input)
            .unwrap();
        assert_eq!(values.shape(), out);
        assert!(values.download(ctx).unwrap().is_empty());
        let options = AdaptiveMaxPool::new(output_size);
        match options.forward_with_indices(ctx, &input) {
            Ok((values, indices)) => {
                assert_eq!((values.shape(), indices.shape()), (out, out));
                assert!(values.download(ctx).unwrap().is_empty());
                assert!(indices.download(ctx).unwrap().is_empty());
            }
            // Max refuses a batched C=0; it must be the CPU's refusal.
            Err(e) => {
                let cpu = wgpool::cpu::adaptive_max_pool(&options, &[], shape).unwrap_err();
                assert_eq!(format!("{e:?}"), format!("{cpu:?}"));
            }
        }
        let cpu = wgpool::cpu::adaptive_avg_pool(
            &AdaptiveAvgPool::new(output_size),
            &vec![1.0; shape.iter().product()],
            shape,
        )
        .unwrap();
        assert_eq!((cpu.shape.as_slice(), cpu.data.len()), (out, 0));
    }
    check(ctx, [Some(3)], &[0, 2, 9], &[0, 2, 3]);
    check(ctx, [Some(0), Some(2)], &[1, 1, 4, 4], &[1, 1, 0, 2]);
    check(ctx, [Some(2), Some(0), None], &[3, 2, 2, 2], &[3, 2, 0, 2]);
    check(ctx, [Some(4), None], &[2, 0, 3, 5], &[2, 0, 4, 5]);
    check(ctx, [Some(4), Some(2)], &[0, 3, 5], &[0, 4, 2]);
    // Nothing is dispatched, so sizes past 32 bits next to an empty dim are fine.
    let huge = 1i64 << 40;
    check(ctx, [Some(huge)], &[0, 1, 2], &[0, 1, huge as usize]);
    check(
        ctx,
        [Some(huge), Some(0)],
        &[1, 1, 2, 2],
        &[1, 1, huge as usize, 0],
    );
}

/// An output too large for the 32-bit kernels (or the host) is an error on every path, not a
/// crash or a giant allocation.
#[test]
fn huge_outputs_are_errors() {
    let big = 1i64 << 40;
    let avg = AdaptiveAvgPool1d::new(big);
    let max = AdaptiveMaxPool1d::new(big);
    assert!(matches!(
        wgpool::cpu::adaptive_avg_pool(&avg, &[1.0, 2.0], &[1, 2]),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        wgpool::cpu::adaptive_max_pool(&max, &[1.0, 2.0], &[1, 2]),
        Err(Error::TooLarge { .. })
    ));
    let Some(ctx) = common::gpu() else { return };
    let input = Tensor::upload(ctx, &[1.0, 2.0], &[1, 2]).unwrap();
    match avg.forward(ctx, &input) {
        Err(Error::TooLarge { what, .. }) => {
            assert!(what.contains("adaptive_avg_pool1d"), "{what}")
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    match max.forward_with_indices(ctx, &input) {
        Err(Error::TooLarge { what, .. }) => {
            assert!(what.contains("adaptive_max_pool1d"), "{what}")
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let square = AdaptiveAvgPool2d::new(1 << 16);
    let input = Tensor::upload(ctx, &[1.0], &[1, 1, 1]).unwrap();
    assert!(matches!(
        square.forward(ctx, &input),
        Err(Error::TooLarge { .. })
    ));
}

/// Unbatched `(C, ...)` equals batched `(1, C, ...)`, values and indices, on the GPU.
#[test]
fn unbatched_equals_batch_of_one() {
    let Some(ctx) = common::gpu() else { return };
    fn check<const R: usize>(ctx: &Context, rng: &mut Rng, case: usize) {
        let shape: Vec<usize> = [1, 2, 5, 6, 7][..R + 2].to_vec();
        let output_size = loop {
            let output_size = random_output_size::<R>(rng, &shape[2..]);
            // Sizes PyTorch accepts: positive, or None in 2d and 3d (1d refuses it).
            let accepted = output_size.iter().all(|o| match o {
                Some(o) => *o > 0,
                None => R > 1,
            });
            if accepted {
                break output_size;
            }
        };
        let data = fill(rng, Fill::SmallInts, shape.iter().product());
        let batched = Tensor::upload(ctx, &data, &shape).unwrap();
        let unbatched = Tensor::upload(ctx, &data, &shape[1..]).unwrap();
        let what = format!("case {case}: {output_size:?}");
        let max = AdaptiveMaxPool::new(output_size);
        let (bv, bi) = max.forward_with_indices(ctx, &batched).unwrap();
        let (uv, ui) = max.forward_with_indices(ctx, &unbatched).unwrap();
        assert_eq!(&bv.shape()[1..], uv.shape(), "{what}");
        assert_eq!(&bi.shape()[1..], ui.shape(), "{what}");
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
        let avg = AdaptiveAvgPool::new(output_size);
        let b = avg.forward(ctx, &batched).unwrap();
        let u = avg.forward(ctx, &unbatched).unwrap();
        assert_eq!(&b.shape()[1..], u.shape(), "{what}");
        assert_bits_eq(&u.download(ctx).unwrap(), &b.download(ctx).unwrap(), &what);
    }
    let mut rng = Rng::new(random::seed(), 21);
    for case in 0..6 {
        check::<1>(ctx, &mut rng, case);
        check::<2>(ctx, &mut rng, case);
        check::<3>(ctx, &mut rng, case);
    }
}

/// `encode_into` with caller-allocated outputs, an adaptive max pool feeding an adaptive avg
/// pool in one encoder, submitted once; wrong-shaped outputs are refused before recording.
#[test]
fn encode_into_caller_tensors() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 22);
    let shape = [2, 3, 9, 8];
    let data = fill(&mut rng, Fill::Special, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let first = AdaptiveMaxPool2d::new([5, 11]);
    let second = AdaptiveAvgPool2d::new([Some(2), None]);
    let (cpu1, cpu1_idx) = wgpool::cpu::adaptive_max_pool(&first, &data, &shape).unwrap();
    let cpu2 = wgpool::cpu::adaptive_avg_pool(&second, &cpu1.data, &cpu1.shape).unwrap();
    assert_eq!(cpu2.shape, [2, 3, 2, 11]);

    let out1 = Tensor::empty(ctx, &cpu1.shape).unwrap();
    let idx1 = Tensor::<i64>::empty(ctx, &cpu1.shape).unwrap();
    let out2 = Tensor::empty(ctx, &cpu2.shape).unwrap();
    let mut encoder = ctx.encoder();
    first
        .encode_into(ctx, &mut encoder, &input, &out1, Some(&idx1))
        .unwrap();
    second.encode_into(ctx, &mut encoder, &out1, &out2).unwrap();
    let only = first.encode(ctx, &mut encoder, &input).unwrap();
    let (values, indices) = first
        .encode_with_indices(ctx, &mut encoder, &input)
        .unwrap();
    let pooled = second.encode(ctx, &mut encoder, &values).unwrap();
    ctx.submit(encoder).unwrap();
    let tolerance = avg_tolerance(ctx);
    assert_avg_close(
        &out2.download(ctx).unwrap(),
        &cpu2.data,
        tolerance,
        &"chained",
    );
    assert_bits_eq(&out1.download(ctx).unwrap(), &cpu1.data, &"first op values");
    assert_eq!(idx1.download(ctx).unwrap(), cpu1_idx.data);
    assert_bits_eq(&only.download(ctx).unwrap(), &cpu1.data, &"encode");
    assert_bits_eq(
        &values.download(ctx).unwrap(),
        &cpu1.data,
        &"encode_with_indices",
    );
    assert_eq!(indices.download(ctx).unwrap(), cpu1_idx.data);
    assert_avg_close(
        &pooled.download(ctx).unwrap(),
        &cpu2.data,
        tolerance,
        &"encode",
    );

    // Wrong shapes: the same element count in another shape, and a wrong size.
    let flat = Tensor::empty(ctx, &[cpu1.data.len()]).unwrap();
    let flat_idx = Tensor::<i64>::empty(ctx, &[cpu1.data.len()]).unwrap();
    let mut encoder = ctx.encoder();
    for (output, indices) in [
        (&flat, Some(&idx1)),
        (&out2, None),
        (&out1, Some(&flat_idx)),
    ] {
        match first.encode_into(ctx, &mut encoder, &input, output, indices) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("adaptive_max_pool2d"), "{message}");
                assert!(message.contains(&format!("{:?}", cpu1.shape)), "{message}");
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    match second.encode_into(ctx, &mut encoder, &out1, &flat) {
        Err(Error::TensorMismatch(message)) => {
            assert!(message.contains("adaptive_avg_pool2d"), "{message}")
        }
        other => panic!("expected TensorMismatch, got {other:?}"),
    }
    // Argument errors come before the output check, as plain plan errors.
    let bad = AdaptiveAvgPool2d::new([-1, 2]);
    assert!(matches!(
        bad.encode_into(ctx, &mut encoder, &input, &out2),
        Err(Error::InvalidArgument {
            argument: "output_size",
            ..
        })
    ));
    ctx.submit(encoder).unwrap();
}

/// More outputs than 65,535 workgroups of `workgroup_size()` threads (upsampling makes them
/// cheap): the dispatch folds into 2-d and every linear index must be computed exactly once.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let one_dim =
        limits.max_compute_workgroups_per_dimension as usize * ctx.workgroup_size() as usize;
    let out_len = one_dim / 2 + 8;
    let shape = [2, 1, 1000];
    let mut rng = Rng::new(random::seed(), 23);
    let data = fill(&mut rng, Fill::Special, 2000);
    let what = format!("{out_len} outputs per plane");
    check_avg(
        Some(ctx),
        &AdaptiveAvgPool1d::new(out_len),
        &shape,
        &data,
        &what,
    )
    .unwrap();
    let options = AdaptiveMaxPool1d::new(out_len);
    let (cpu, _) = wgpool::cpu::adaptive_max_pool(&options, &data, &shape).unwrap();
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let values = options.forward(ctx, &input).unwrap();
    assert_bits_eq(&values.download(ctx).unwrap(), &cpu.data, &what);
}
