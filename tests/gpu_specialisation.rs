//! Pipelines specialised for the kernel size (unrolled loops, kernels up to 8 per dim) and the
//! generic ones (larger kernels) must agree with the CPU reference alike: kernels on both sides
//! of the threshold, mixed per dim, with padding, dilation and ceil mode. Plus the row kernels
//! (four outputs of a row per invocation), taken when output rows come in fours.

mod common;
#[path = "common/random.rs"]
mod random;

use random::{assert_avg_close, assert_bits_eq, fill, Rng, FILLS};
use wgpool::{cpu, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d, Tensor};

/// Kernel sizes around the specialisation threshold.
const KERNELS: [i64; 6] = [1, 3, 7, 8, 9, 13];

#[test]
fn max_pool_agrees_on_both_sides_of_the_specialisation_threshold() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 71);
    let mut checked = 0;
    for case in 0..60 {
        let (kh, kw) = (rng.pick(&KERNELS), rng.pick(&KERNELS));
        let options = MaxPool2d::new([kh, kw])
            .stride([rng.range(1, 4), rng.range(1, 4)])
            .padding([rng.range(0, kh / 2), rng.range(0, kw / 2)])
            .dilation([rng.range(1, 2), rng.range(1, 2)])
            .ceil_mode(rng.coin());
        let shape = [2, 3, rng.range(14, 30) as usize, rng.range(14, 30) as usize];
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, shape.iter().product());
        let Ok((want, want_indices)) = cpu::max_pool(&options, &data, &shape) else {
            continue;
        };
        let x = Tensor::upload(ctx, &data, &shape).unwrap();
        let (values, indices) = options.forward_with_indices(ctx, &x).unwrap();
        let what = format!("case {case}: {options:?} on {shape:?}");
        assert_bits_eq(&values.download(ctx).unwrap(), &want.data, &what);
        assert_eq!(indices.download(ctx).unwrap(), want_indices.data, "{what}");
        let plain = options.forward(ctx, &x).unwrap().download(ctx).unwrap();
        assert_bits_eq(&plain, &want.data, &what);
        checked += 1;
    }
    assert!(checked > 30, "only {checked} cases were valid");
}

#[test]
fn max_pool_1d_and_3d_generic_kernels() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 72);
    let data = fill(&mut rng, FILLS[3], 2 * 3 * 12 * 11 * 40);
    let x = Tensor::upload(ctx, &data, &[2, 3, 12 * 11 * 40]).unwrap();
    let one = MaxPool1d::new(17)
        .stride(5)
        .padding(8)
        .dilation(2)
        .ceil_mode(true);
    let (want, want_indices) = cpu::max_pool(&one, &data, x.shape()).unwrap();
    let (got, indices) = one.forward_with_indices(ctx, &x).unwrap();
    assert_bits_eq(&got.download(ctx).unwrap(), &want.data, &"max_pool1d k17");
    assert_eq!(indices.download(ctx).unwrap(), want_indices.data);

    let shape = [2, 3, 12, 11, 40];
    let x = Tensor::upload(ctx, &data, &shape).unwrap();
    let three = MaxPool3d::new([3, 9, 11])
        .stride([1, 2, 3])
        .padding([1, 4, 5]);
    let (want, want_indices) = cpu::max_pool(&three, &data, &shape).unwrap();
    let (got, indices) = three.forward_with_indices(ctx, &x).unwrap();
    assert_bits_eq(
        &got.download(ctx).unwrap(),
        &want.data,
        &"max_pool3d k(3,9,11)",
    );
    assert_eq!(indices.download(ctx).unwrap(), want_indices.data);
}

#[test]
fn avg_pool_agrees_on_both_sides_of_the_specialisation_threshold() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 73);
    let mut checked = 0;
    for case in 0..60 {
        let (kh, kw) = (rng.pick(&KERNELS), rng.pick(&KERNELS));
        let mut options = AvgPool2d::new([kh, kw])
            .stride([rng.range(1, 4), rng.range(1, 4)])
            .padding([rng.range(0, kh / 2), rng.range(0, kw / 2)])
            .ceil_mode(rng.coin())
            .count_include_pad(rng.coin());
        if rng.percent(20) {
            options = options.divisor_override(rng.range(-5, 9).max(1));
        }
        let shape = [2, 3, rng.range(14, 30) as usize, rng.range(14, 30) as usize];
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, shape.iter().product());
        let Ok(want) = cpu::avg_pool(&options, &data, &shape) else {
            continue;
        };
        let x = Tensor::upload(ctx, &data, &shape).unwrap();
        let got = options.forward(ctx, &x).unwrap().download(ctx).unwrap();
        assert_avg_close(
            &got,
            &want.data,
            &format!("case {case}: {options:?} on {shape:?}"),
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} cases were valid");
}

#[test]
fn avg_pool_3d_generic_kernel() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 74);
    let shape = [1, 2, 10, 12, 30];
    let data = fill(&mut rng, FILLS[0], shape.iter().product());
    let x = Tensor::upload(ctx, &data, &shape).unwrap();
    let options = AvgPool3d::new([2, 9, 12])
        .stride([2, 3, 5])
        .padding([1, 4, 6])
        .ceil_mode(true);
    let want = cpu::avg_pool(&options, &data, &shape).unwrap();
    let got = options.forward(ctx, &x).unwrap().download(ctx).unwrap();
    assert_avg_close(&got, &want.data, &"avg_pool3d k(2,9,12)");
}

/// Random max and avg pools with `R` spatial dims and kernel widths up to 8: the row kernels
/// (four outputs of a row per invocation), half of them on output rows in fours (vec4 stores),
/// half on other lengths (a short last group); and across both, a third each on input rows
/// in fours, of other even lengths and of odd lengths (read in vec4s, vec2s and cell by cell:
/// see [`common::row_loads_of`]; strides up to 5 and dilation 2 sometimes make the windows'
/// span too long for vectors). Returns how many of each were valid, as
/// `[row loads][output rows in fours]`.
fn row_kernel_cases<const R: usize>(
    ctx: &wgpool::Context,
    rng: &mut Rng,
    cases: usize,
) -> [[usize; 2]; common::ROW_LOADS] {
    let mut checked = [[0, 0]; common::ROW_LOADS];
    for case in 0..cases {
        let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 8));
        let stride: [i64; R] = std::array::from_fn(|a| match a == R - 1 {
            true => rng.range(1, 5),
            false => rng.range(1, 3),
        });
        let padding: [i64; R] = std::array::from_fn(|a| rng.range(0, kernel[a] / 2));
        let dilation: [i64; R] = std::array::from_fn(|_| rng.range(1, 2));
        let ceil_mode = rng.coin();
        let last = R - 1;
        // A width whose output row is a multiple of four, or one that is not (at least four:
        // shorter rows take the one-output kernels); an input width of each kind of loads.
        let in_fours = case % 2 == 0;
        let loads = case / 2 % common::ROW_LOADS;
        let widths: Vec<usize> = (1..=64)
            .filter(|&w| common::row_loads_of(w) == loads)
            .filter(|&w| {
                let out = wgpool::geometry::pooled_len(
                    w as u64,
                    kernel[last],
                    stride[last],
                    padding[last],
                    dilation[last],
                    ceil_mode,
                );
                out >= 4 && (out % 4 == 0) == in_fours
            })
            .collect();
        if widths.is_empty() {
            continue;
        }
        let mut shape = vec![rng.range(1, 2) as usize, rng.range(1, 3) as usize];
        shape.extend((0..last).map(|_| rng.range(1, 9) as usize));
        shape.push(rng.pick(&widths));
        let kind = rng.pick(&FILLS);
        let data = fill(rng, kind, shape.iter().product());
        let x = Tensor::upload(ctx, &data, &shape).unwrap();

        let max = wgpool::MaxPool {
            kernel_size: kernel,
            stride: Some(stride),
            padding,
            dilation,
            ceil_mode,
        };
        let what = format!("case {case}: {max:?} on {shape:?} ({kind:?})");
        if let Ok((want, want_indices)) = cpu::max_pool(&max, &data, &shape) {
            let (values, indices) = max.forward_with_indices(ctx, &x).unwrap();
            assert_bits_eq(&values.download(ctx).unwrap(), &want.data, &what);
            assert_eq!(indices.download(ctx).unwrap(), want_indices.data, "{what}");
            let plain = max.forward(ctx, &x).unwrap().download(ctx).unwrap();
            assert_bits_eq(&plain, &want.data, &what);
            checked[loads][usize::from(in_fours)] += 1;
        }
        let avg = wgpool::AvgPool {
            kernel_size: kernel,
            stride: Some(stride),
            padding,
            ceil_mode,
            count_include_pad: rng.coin(),
            divisor_override: (R > 1 && rng.percent(20)).then(|| rng.range(-3, 7)),
        };
        let what = format!("case {case}: {avg:?} on {shape:?} ({kind:?})");
        if let Ok(want) = cpu::avg_pool(&avg, &data, &shape) {
            let got = avg.forward(ctx, &x).unwrap().download(ctx).unwrap();
            assert_avg_close(&got, &want.data, &what);
            checked[loads][usize::from(in_fours)] += 1;
        }
    }
    checked
}

#[test]
fn row_kernels_agree_with_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 73);
    for checked in [
        row_kernel_cases::<1>(ctx, &mut rng, 90),
        row_kernel_cases::<2>(ctx, &mut rng, 180),
        row_kernel_cases::<3>(ctx, &mut rng, 120),
    ] {
        assert!(
            checked.iter().flatten().all(|&n| n >= 4),
            "valid cases: {checked:?}"
        );
    }
}
