//! Channels-last tensors on the GPU. Max and average pooling of batched inputs whose channels
//! come in fours run the vec4 kernels; other channel counts, unbatched inputs and the other ops
//! run on contiguous copies. Both against the CPU reference on the contiguous tensor, with
//! the outputs in channels-last order. Plus the conversions, and refusals of mixed formats.
//! (tests/conformance.rs runs every PyTorch case in channels-last too.)

mod common;
#[path = "common/random.rs"]
mod random;

use common::{download_contiguous, upload_last};
use random::{assert_avg_close, assert_bits_eq, fill, Rng, FILLS};
use wgpool::call::{Call, GpuInputs, Inputs, Kwargs, Values};
use wgpool::{
    AdaptiveAvgPool2d, Array, AvgPool, Context, Dtype, Element, Error, MaxPool, MaxPool2d,
    MemoryFormat, Tensor,
};

const LAST: MemoryFormat = MemoryFormat::ChannelsLast;

/// A random input shape with `R` spatial dims: batched or not (when the rank allows
/// channels-last), channels in fours (the vec4 kernels) or not (contiguous copies).
fn random_shape<const R: usize>(rng: &mut Rng) -> Vec<usize> {
    let mut shape = Vec::new();
    if R == 1 || rng.percent(80) {
        shape.push(rng.range(1, 3) as usize);
    }
    shape.push(rng.pick(&[4, 8, 12, 3, 5]));
    shape.extend((0..R).map(|_| rng.range(1, 9) as usize));
    shape
}

/// Random window arguments that PyTorch mostly accepts.
struct Window<const R: usize> {
    kernel: [i64; R],
    stride: [i64; R],
    padding: [i64; R],
    dilation: [i64; R],
    ceil_mode: bool,
}

fn random_window<const R: usize>(rng: &mut Rng) -> Window<R> {
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let stride = std::array::from_fn(|_| rng.range(1, 3));
    let padding = std::array::from_fn(|a| rng.range(0, kernel[a] / 2));
    let dilation = std::array::from_fn(|_| rng.range(1, 2));
    Window {
        kernel,
        stride,
        padding,
        dilation,
        ceil_mode: rng.coin(),
    }
}

fn max_pool_cases<const R: usize>(ctx: &Context, rng: &mut Rng, cases: usize) {
    for case in 0..cases {
        let shape = random_shape::<R>(rng);
        let w = random_window::<R>(rng);
        let options = MaxPool {
            kernel_size: w.kernel,
            stride: Some(w.stride),
            padding: w.padding,
            dilation: w.dilation,
            ceil_mode: w.ceil_mode,
        };
        let kind = rng.pick(&FILLS);
        let data = fill(rng, kind, shape.iter().product());
        let what = format!("max_pool{R}d case {case}: {shape:?} {options:?} {kind:?}");
        let input = upload_last(ctx, &data, &shape);
        let Ok((values, indices)) = wgpool::cpu::max_pool(&options, &data, &shape) else {
            let refused = options.forward(ctx, &input);
            assert!(refused.is_err(), "{what}: the GPU accepted a refused call");
            continue;
        };
        let (gpu_values, gpu_indices) = options
            .forward_with_indices(ctx, &input)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = download_contiguous(ctx, &gpu_values);
        assert_bits_eq(&got, &values.data, &format_args!("{what}: values"));
        assert_eq!(
            download_contiguous(ctx, &gpu_indices),
            indices.data,
            "{what}: indices"
        );
        let only = options.forward(ctx, &input).unwrap();
        let got = download_contiguous(ctx, &only);
        assert_bits_eq(&got, &values.data, &format_args!("{what}: values only"));
    }
}

fn avg_pool_cases<const R: usize>(ctx: &Context, rng: &mut Rng, cases: usize) {
    for case in 0..cases {
        let shape = random_shape::<R>(rng);
        let w = random_window::<R>(rng);
        let options = AvgPool {
            kernel_size: w.kernel,
            stride: Some(w.stride),
            padding: w.padding,
            ceil_mode: w.ceil_mode,
            count_include_pad: rng.coin(),
            divisor_override: (R > 1 && rng.percent(25)).then(|| rng.range(-3, 5)),
        };
        let kind = rng.pick(&FILLS);
        let data = fill(rng, kind, shape.iter().product());
        let what = format!("avg_pool{R}d case {case}: {shape:?} {options:?} {kind:?}");
        let input = upload_last(ctx, &data, &shape);
        let Ok(expected) = wgpool::cpu::avg_pool(&options, &data, &shape) else {
            let refused = options.forward(ctx, &input);
            assert!(refused.is_err(), "{what}: the GPU accepted a refused call");
            continue;
        };
        let output = options
            .forward(ctx, &input)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = download_contiguous(ctx, &output);
        assert_avg_close(&got, &expected.data, &format_args!("{what}"));
    }
}

#[test]
fn max_pool_matches_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 41);
    max_pool_cases::<1>(ctx, &mut rng, 60);
    max_pool_cases::<2>(ctx, &mut rng, 120);
    max_pool_cases::<3>(ctx, &mut rng, 60);
}

#[test]
fn avg_pool_matches_the_cpu_reference() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 42);
    avg_pool_cases::<1>(ctx, &mut rng, 60);
    avg_pool_cases::<2>(ctx, &mut rng, 120);
    avg_pool_cases::<3>(ctx, &mut rng, 60);
}

#[test]
fn vec4_kernels_cover_windows_larger_than_the_specialised_ones() {
    // Kernels over 8 run the generic window loops (not unrolled); 64 channels, 16 vec4 groups.
    let Some(ctx) = common::gpu() else { return };
    let shape = [2, 64, 20, 21];
    let mut rng = Rng::new(random::seed(), 43);
    let data = fill(&mut rng, random::Fill::Special, shape.iter().product());
    let input = upload_last(ctx, &data, &shape);
    let options = MaxPool2d::new([10, 9]).stride([3, 2]).padding([4, 2]);
    let (values, indices) = wgpool::cpu::max_pool(&options, &data, &shape).unwrap();
    let (got, got_indices) = options.forward_with_indices(ctx, &input).unwrap();
    assert_bits_eq(&download_contiguous(ctx, &got), &values.data, &"values");
    assert_eq!(download_contiguous(ctx, &got_indices), indices.data);
}

#[test]
fn conversions_round_trip_both_element_types() {
    let Some(ctx) = common::gpu() else { return };
    let shape = [3, 5, 4, 7];
    let len: usize = shape.iter().product();
    let values: Vec<f32> = (0..len).map(|i| i as f32 - 100.5).collect();
    // Both words of each int64 differ, and some are negative.
    let indices: Vec<i64> = (0..len as i64).map(|i| (i - 200) * 0x1_0000_0001).collect();
    fn round_trip<T: Element + PartialEq>(ctx: &Context, data: &[T], shape: &[usize]) {
        let contiguous = Tensor::upload(ctx, data, shape).unwrap();
        let last = contiguous.to_memory_format(ctx, LAST).unwrap();
        assert_eq!(last.memory_format(), LAST);
        assert_eq!(last.shape(), shape);
        let expected = LAST.from_contiguous(data, shape).unwrap();
        assert!(last.download(ctx).unwrap() == expected, "{}", T::NAME);
        let back = last
            .to_memory_format(ctx, MemoryFormat::Contiguous)
            .unwrap();
        assert!(back.download(ctx).unwrap() == data, "{} back", T::NAME);
    }
    round_trip(ctx, &values, &shape);
    round_trip(ctx, &indices, &shape);
    round_trip(ctx, &values[..66], &[2, 3, 11]);
    round_trip(ctx, &indices[..60], &[1, 2, 2, 3, 5]);
}

#[test]
fn rank_two_tensors_cannot_be_channels_last() {
    let Some(ctx) = common::gpu() else { return };
    let result = Tensor::<f32>::empty_with_format(ctx, &[4, 5], LAST);
    assert!(
        matches!(result, Err(Error::TensorMismatch(_))),
        "{result:?}"
    );
}

#[test]
fn outputs_in_another_format_than_the_input_are_refused() {
    let Some(ctx) = common::gpu() else { return };
    let shape = [1, 4, 4, 4];
    let data: Vec<f32> = (0..64).map(|v| v as f32).collect();
    let last = upload_last(ctx, &data, &shape);
    let contiguous = Tensor::upload(ctx, &data, &shape).unwrap();
    let out_shape = [1, 4, 2, 2];
    let out_last = Tensor::empty_with_format(ctx, &out_shape, LAST).unwrap();
    let out_contiguous = Tensor::empty(ctx, &out_shape).unwrap();
    let indices_contiguous = Tensor::<i64>::empty(ctx, &out_shape).unwrap();
    let max = MaxPool2d::new(2);
    let refused = |result: wgpool::Result<()>, what: &str| {
        assert!(
            matches!(&result, Err(Error::TensorMismatch(m)) if m.contains("channels_last")),
            "{what}: {result:?}"
        );
    };
    let mut encoder = ctx.encoder();
    refused(
        max.encode_into(ctx, &mut encoder, &last, &out_contiguous, None),
        "channels-last input, contiguous output",
    );
    refused(
        max.encode_into(ctx, &mut encoder, &contiguous, &out_last, None),
        "contiguous input, channels-last output",
    );
    refused(
        max.encode_into(
            ctx,
            &mut encoder,
            &last,
            &out_last,
            Some(&indices_contiguous),
        ),
        "contiguous indices",
    );
    refused(
        AdaptiveAvgPool2d::new(2).encode_into(ctx, &mut encoder, &last, &out_contiguous),
        "an op on contiguous copies",
    );
    // max_unpool reads an indices tensor, which must follow the input too.
    let unpool = wgpool::MaxUnpool2d::new(2);
    let pooled_last: Tensor = Tensor::empty_with_format(ctx, &out_shape, LAST).unwrap();
    let out = Tensor::empty_with_format(ctx, &shape, LAST).unwrap();
    let status = unpool.encode_into(
        ctx,
        &mut encoder,
        &pooled_last,
        &indices_contiguous,
        None,
        &out,
    );
    refused(status.map(|_| ()), "max_unpool with contiguous indices");
}

#[test]
fn calls_allocate_outputs_in_the_input_format() {
    let Some(ctx) = common::gpu() else { return };
    let input = Array {
        shape: vec![2, 8, 6, 6],
        data: (0..576).map(|v| ((v * 37) % 101) as f32).collect(),
    };
    let inputs = Inputs::new(input.clone());
    for op in ["max_pool2d", "adaptive_max_pool2d"] {
        let kwargs = Kwargs {
            kernel_size: (op == "max_pool2d").then(|| vec![2]),
            output_size: (op != "max_pool2d").then(|| vec![Some(3)]),
            return_indices: true,
            ..Default::default()
        };
        let call = Call::new(op, &kwargs).unwrap();
        let gpu = GpuInputs::upload_with_format(ctx, &inputs, Dtype::F32, LAST).unwrap();
        let mut encoder = ctx.encoder();
        let outputs = call.encode(ctx, &mut encoder, &gpu).unwrap();
        ctx.submit(encoder).unwrap();
        let expected = call.run(&inputs, wgpool::call::Device::Cpu).unwrap();
        let Values::F32(values) = &outputs.values else {
            panic!(
                "{op}: float32 inputs gave {} values",
                outputs.values.dtype()
            );
        };
        let got = download_contiguous(ctx, values);
        assert_bits_eq(&got, &expected.values.data, &op);
        let indices = outputs.indices.as_ref().unwrap();
        assert_eq!(
            download_contiguous(ctx, indices),
            expected.indices.unwrap().data,
            "{op}"
        );
    }
}

/// Adaptive pooling whose windows tile the input exactly runs the channels-last kernels when the
/// channels come in fours, even where a contiguous input would be reduced in parallel; other
/// sizes and channel counts run on contiguous copies.
fn adaptive_cases(ctx: &Context, rng: &mut Rng) {
    // Exact on CPU adapters; three divisions (one per extent) may each round differently on
    // hardware.
    let tile_ulps = match ctx.adapter_info().map(|info| info.device_type) {
        Some(wgpu::DeviceType::Cpu) => 0,
        _ => 8,
    };
    // (input spatial, output size): exact tiles of 1x1 to 7x7, a global 7x7, and uneven windows.
    let sizes: [([usize; 2], [i64; 2]); 5] = [
        ([14, 14], [7, 7]),
        ([7, 7], [1, 1]),
        ([21, 12], [3, 4]),
        ([9, 10], [9, 5]),
        ([10, 13], [4, 5]),
    ];
    for (spatial, out) in sizes {
        for channels in [8, 6] {
            let shape = [2, channels, spatial[0], spatial[1]];
            let kind = rng.pick(&FILLS);
            let data = fill(rng, kind, shape.iter().product());
            let input = upload_last(ctx, &data, &shape);
            let what = format!("{shape:?} to {out:?} ({kind:?})");
            // A global average of a contiguous copy may be reduced in parallel, which sums in
            // another order (as PyTorch's mean() does): rtol about 1e-5.
            let reduced = ctx.parallel_reduction() && out == [1, 1] && channels % 4 != 0;
            let max_ulps = if reduced { 128 } else { tile_ulps };

            let avg = AdaptiveAvgPool2d::new(out);
            let want = wgpool::cpu::adaptive_avg_pool(&avg, &data, &shape).unwrap();
            let got = download_contiguous(ctx, &avg.forward(ctx, &input).unwrap());
            for (i, (&g, &e)) in got.iter().zip(&want.data).enumerate() {
                let close = (g.is_nan() && e.is_nan())
                    || g.to_bits() == e.to_bits()
                    || (g.is_finite() && e.is_finite() && random::ulps(g, e) <= max_ulps);
                assert!(close, "{what}: avg element {i}: GPU {g:e}, CPU {e:e}");
            }

            let max = wgpool::AdaptiveMaxPool2d::new(out);
            let (values, indices) = wgpool::cpu::adaptive_max_pool(&max, &data, &shape).unwrap();
            let (got, got_indices) = max.forward_with_indices(ctx, &input).unwrap();
            let got = download_contiguous(ctx, &got);
            assert_bits_eq(&got, &values.data, &format_args!("{what}: max"));
            assert_eq!(
                download_contiguous(ctx, &got_indices),
                indices.data,
                "{what}: indices"
            );
        }
    }
}

#[test]
fn adaptive_pooling_matches_the_cpu_reference() {
    let mut rng = Rng::new(random::seed(), 44);
    let Some(ctx) = common::gpu() else { return };
    adaptive_cases(ctx, &mut rng);
    // A context that reduces large windows in parallel, as GPUs do by default.
    let Some(parallel) = common::gpu_parallel() else {
        return;
    };
    adaptive_cases(parallel, &mut rng);
}
