//! float16 values on the GPU (f16 storage, f32 arithmetic, one rounding on store) against the
//! CPU reference run the same way (input rounded to f16, computed in f32, rounded once): every
//! PyTorch conformance case, random grids over the specialised kernels (rows, channels-last
//! vec4, tiles, parallel reductions), overflow to infinity, the f32 detour of adaptive averages
//! that span several passes, f16 transposes, and the refusals. On a device without
//! `shader-f16` (GL) every f16 call must be refused instead.

mod common;
#[path = "common/random.rs"]
mod random;

use random::{fill, Rng, FILLS};
use wgpool::call::{Call, Device, GpuInputs, Inputs, Kwargs, Outputs, Values};
use wgpool::{
    f16, AdaptiveAvgPool2d, Array, Context, Dtype, Error, MaxPool2d, MemoryFormat, Tensor,
};

const F16: Dtype = Dtype::F16;

/// The test context when it computes on f16. Without `shader-f16` (wgpu's GL backend), checks
/// that an f16 call is refused before anything runs, and returns `None`.
fn f16_gpu(ctx: Option<&'static Context>) -> Option<&'static Context> {
    let ctx = ctx?;
    if ctx.device().features().contains(wgpu::Features::SHADER_F16) {
        return Some(ctx);
    }
    assert_refused(ctx);
    None
}

/// An f16 max pooling on `ctx` (which lacks shader-f16) fails with `MissingFeature`.
fn assert_refused(ctx: &Context) {
    let input = Tensor::upload(ctx, &[f16::ONE; 16], &[1, 1, 4, 4]).unwrap();
    let result = MaxPool2d::new(2).forward(ctx, &input);
    assert!(
        matches!(result, Err(Error::MissingFeature { .. })),
        "f16 without shader-f16: {result:?}"
    );
    let call = Call::new("max_pool2d", &kernel(2)).unwrap().with_dtype(F16);
    let inputs = Inputs::new(Array {
        shape: vec![1, 1, 4, 4],
        data: vec![1.0; 16],
    });
    let result = call.run(&inputs, Device::Gpu(ctx));
    assert!(
        matches!(result, Err(Error::MissingFeature { .. })),
        "Call with f16 without shader-f16: {result:?}"
    );
}

fn kernel(k: i64) -> Kwargs {
    Kwargs {
        kernel_size: Some(vec![k]),
        ..Default::default()
    }
}

/// Distance between two f16 values (given widened to f32) in f16 units in the last place.
fn f16_ulps(a: f32, b: f32) -> u32 {
    fn key(x: f32) -> i32 {
        let bits = f16::from_f32(x).to_bits() as i16;
        if bits < 0 {
            i32::from(i16::MIN) - i32::from(bits)
        } else {
            i32::from(bits)
        }
    }
    key(a).abs_diff(key(b))
}

/// Whether `op` returns one of its inputs (exact in f16) rather than computing a new value.
fn selects_inputs(op: &str) -> bool {
    op.starts_with("max_") || op.starts_with("adaptive_max") || op.starts_with("fractional")
}

/// Compares f16 results: inputs (max-like ops) bit for bit; computed values (averages, LP
/// norms) within one f16 ulp, as the GPU's f32 sum may differ from the reference's in its last
/// f32 bit and so round the other way; NaN with NaN, infinities exactly; indices exactly.
/// NaN payloads are not compared: WGSL's f16/f32 conversions need not keep them (lavapipe
/// returns the canonical NaN).
fn assert_f16_close(op: &str, got: &Outputs, want: &Outputs, what: &dyn std::fmt::Display) {
    assert_eq!(got.values.shape, want.values.shape, "{what}: value shape");
    for (i, (&g, &w)) in got.values.data.iter().zip(&want.values.data).enumerate() {
        assert!(
            g.is_nan() || g == F16.round(g),
            "{what}: element {i} = {g} is no f16"
        );
        let ok = if w.is_nan() {
            g.is_nan()
        } else if selects_inputs(op) {
            g.to_bits() == w.to_bits()
        } else if w.is_infinite() {
            g == w
        } else {
            !g.is_nan() && f16_ulps(g, w) <= 1
        };
        assert!(
            ok,
            "{what}: element {i}: GPU {g:e} ({:#010x}), CPU {w:e} ({:#010x})",
            g.to_bits(),
            w.to_bits()
        );
    }
    assert_eq!(got.indices, want.indices, "{what}: indices");
}

/// Runs `op` in f16 on the CPU and on `ctx` in `format`; both must agree (or refuse alike).
fn check(ctx: &Context, op: &str, kwargs: &Kwargs, inputs: &Inputs, format: MemoryFormat) {
    let what = format!(
        "{op} {:?} {kwargs:?} ({})",
        inputs.input.shape,
        format.name()
    );
    let call = Call::new(op, kwargs)
        .unwrap()
        .with_dtype(F16)
        .with_memory_format(format);
    let want = call.run(inputs, Device::Cpu);
    let got = call.run(inputs, Device::Gpu(ctx));
    match (got, want) {
        (Ok(got), Ok(want)) => assert_f16_close(op, &got, &want, &what),
        (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string(), "{what}"),
        (got, want) => panic!("{what}: GPU {got:?}, CPU {want:?}"),
    }
}

/// The memory formats an input of `shape` can be pooled in.
fn formats(shape: &[usize]) -> Vec<MemoryFormat> {
    let mut formats = vec![MemoryFormat::Contiguous];
    if MemoryFormat::ChannelsLast.check(shape).is_ok() {
        formats.push(MemoryFormat::ChannelsLast);
    }
    formats
}

#[test]
fn every_conformance_case_matches_the_cpu_reference_in_float16() {
    let Some(ctx) = f16_gpu(common::gpu()) else {
        return;
    };
    let cases = common::conformance::cases();
    for case in &cases {
        if Call::new(&case.op, &case.kwargs).is_err() {
            continue; // refused arguments: the same for every dtype (tests/conformance.rs)
        }
        for format in formats(&case.inputs.input.shape) {
            check(ctx, &case.op, &case.kwargs, &case.inputs, format);
        }
    }
}

/// One random call of `op` on a shape with `rank` spatial dims: windows that the row kernels
/// (kernel width up to 8, rows of four outputs or more) and the channels-last kernels (C in
/// fours) take, and ones they don't.
fn random_call(rng: &mut Rng, op: &str, rank: usize) -> (Kwargs, Vec<usize>) {
    let mut shape = vec![rng.range(1, 2) as usize, rng.pick(&[4, 8, 3])];
    shape.extend((0..rank).map(|_| rng.range(4, 19) as usize));
    let k = rng.range(1, 4);
    let s = rng.range(1, 3);
    let kwargs = match op {
        "max_pool" | "avg_pool" => Kwargs {
            kernel_size: Some(vec![k]),
            stride: Some(vec![s]),
            padding: Some(vec![rng.range(0, k / 2)]),
            ceil_mode: Some(rng.coin()),
            return_indices: op == "max_pool" && rng.coin(),
            count_include_pad: (op == "avg_pool").then(|| rng.coin()),
            ..Default::default()
        },
        "lp_pool" => Kwargs {
            kernel_size: Some(vec![k]),
            stride: Some(vec![s]),
            norm_type: Some(rng.pick(&[1.0, 2.0, 3.0, f64::INFINITY])),
            ceil_mode: Some(rng.coin()),
            ..Default::default()
        },
        "adaptive_avg_pool" | "adaptive_max_pool" => {
            // Exact tiles (a divisor of each size) or uneven windows.
            let out = rng.pick(&[1, 2, 3, 4, 5]);
            Kwargs {
                output_size: Some(vec![Some(out)]),
                return_indices: op == "adaptive_max_pool" && rng.coin(),
                ..Default::default()
            }
        }
        "fractional_max_pool" => Kwargs {
            kernel_size: Some(vec![rng.range(1, 3)]),
            output_ratio: Some(vec![rng.pick(&[0.5, 0.7])]),
            return_indices: rng.coin(),
            ..Default::default()
        },
        other => unreachable!("{other}"),
    };
    (kwargs, shape)
}

#[test]
fn random_windows_on_every_kernel_match_the_cpu_reference_in_float16() {
    let contexts = [common::gpu(), common::gpu_parallel()];
    let Some(ctx) = f16_gpu(contexts[0]) else {
        return;
    };
    let seed = random::seed();
    let mut rng = Rng::new(seed, 16);
    for (ctx, reduction) in [(ctx, "auto"), (contexts[1].unwrap(), "parallel")] {
        let ops = [
            "max_pool",
            "avg_pool",
            "lp_pool",
            "adaptive_avg_pool",
            "adaptive_max_pool",
            "fractional_max_pool",
        ];
        for op in ops {
            let ranks = if op == "fractional_max_pool" {
                2..=3
            } else {
                1..=3
            };
            for rank in ranks {
                for round in 0..6 {
                    let (kwargs, shape) = random_call(&mut rng, op, rank);
                    let name = format!("{op}{rank}d");
                    let len = shape.iter().product();
                    let fill_kind = FILLS[round % FILLS.len()];
                    let input = Array {
                        shape: shape.clone(),
                        data: fill(&mut rng, fill_kind, len),
                    };
                    let mut inputs = Inputs::new(input);
                    if op == "fractional_max_pool" {
                        // Given samples: both sides must pool the same windows.
                        let shape = vec![shape[0], shape[1], rank];
                        let len = shape.iter().product();
                        let data = (0..len).map(|_| rng.unit()).collect();
                        inputs.random_samples = Some(Array { shape, data });
                    }
                    eprintln!("{name} {fill_kind:?} {reduction} seed {seed:#x}");
                    for format in formats(&shape) {
                        check(ctx, &name, &kwargs, &inputs, format);
                    }
                }
            }
        }
    }
}

#[test]
fn sums_past_float16_range_round_to_infinity_and_ties_to_even() {
    let Some(ctx) = f16_gpu(common::gpu()) else {
        return;
    };
    // Triples of f16 values summed with divisor_override = 1. f16's largest finite is 65504
    // and its neighbours there are 32 apart: sums up to 65519 round down to it, 65520 (halfway
    // to 65536) rounds to even, i.e. to infinity.
    let triples: [([f32; 3], f32); 6] = [
        ([32752.0, 32752.0, 0.0], 65504.0),
        ([32752.0, 32752.0, 8.0], 65504.0),
        ([32752.0, 32752.0, 15.0], 65504.0),
        ([32752.0, 32752.0, 16.0], f32::INFINITY),
        ([60000.0, 60000.0, 0.0], f32::INFINITY),
        ([-60000.0, -60000.0, 0.0], f32::NEG_INFINITY),
    ];
    let data: Vec<f32> = triples.iter().flat_map(|(cells, _)| *cells).collect();
    assert!(
        data.iter().all(|&x| F16.round(x) == x),
        "the cells are f16 values"
    );
    let inputs = Inputs::new(Array {
        shape: vec![1, 1, triples.len(), 3],
        data,
    });
    let kwargs = Kwargs {
        kernel_size: Some(vec![1, 3]),
        divisor_override: Some(1),
        ..Default::default()
    };
    let call = Call::new("avg_pool2d", &kwargs).unwrap().with_dtype(F16);
    let want: Vec<f32> = triples.iter().map(|&(_, sum)| sum).collect();
    for device in [Device::Cpu, Device::Gpu(ctx)] {
        let got = call.run(&inputs, device).unwrap().values.data;
        assert_eq!(got, want, "{device:?}");
    }
}

#[test]
fn adaptive_averages_over_several_passes_sum_in_f32() {
    let Some(ctx) = f16_gpu(common::gpu()) else {
        return;
    };
    // 300 x 300 = 90,000 cells: more than one pass of one invocation (CELLS_PER_PASS), so
    // per-output averaging carries a partial sum between passes. Carried in f16 it would pass
    // 65504 and become infinity; the mean is about 1.5.
    let mut rng = Rng::new(random::seed(), 17);
    let shape = vec![1, 4, 300, 300];
    let data: Vec<f32> = (0..4 * 90_000).map(|_| 1.0 + rng.unit()).collect();
    let inputs = Inputs::new(Array {
        shape: shape.clone(),
        data,
    });
    let kwargs = Kwargs {
        output_size: Some(vec![Some(1)]),
        ..Default::default()
    };
    for (ctx, reduction) in [(ctx, "auto"), (common::gpu_parallel().unwrap(), "parallel")] {
        eprintln!("global 300x300, {reduction}");
        for format in formats(&shape) {
            check(ctx, "adaptive_avg_pool2d", &kwargs, &inputs, format);
        }
    }
    // And through the typed API on a caller's tensors.
    let input = Tensor::upload(
        ctx,
        &inputs
            .input
            .data
            .iter()
            .map(|&x| f16::from_f32(x))
            .collect::<Vec<_>>(),
        &shape,
    )
    .unwrap();
    let pooled = AdaptiveAvgPool2d::new(1).forward(ctx, &input).unwrap();
    for mean in pooled.download(ctx).unwrap() {
        assert!((1.4..1.6).contains(&mean.to_f32()), "mean {mean}");
    }
}

#[test]
fn float16_tensors_convert_between_memory_formats_bit_for_bit() {
    let Some(ctx) = f16_gpu(common::gpu()) else {
        return;
    };
    // Odd element counts leave half a word at the end of the buffer; NaN payloads and signed
    // zeros must survive (the transposes move bits, not values).
    for shape in [vec![1, 3, 5, 7], vec![2, 5, 3, 1, 3], vec![3, 4, 1]] {
        let len: usize = shape.iter().product();
        let data: Vec<f16> = (0..len)
            .map(|i| match i % 7 {
                0 => f16::from_bits(0x7e01 + i as u16),
                1 => f16::NEG_ZERO,
                _ => f16::from_f32(i as f32 * 0.25 - 3.0),
            })
            .collect();
        let input = Tensor::upload(ctx, &data, &shape).unwrap();
        let last = input
            .to_memory_format(ctx, MemoryFormat::ChannelsLast)
            .unwrap();
        let want = MemoryFormat::ChannelsLast
            .from_contiguous(&data, &shape)
            .unwrap();
        let bits = |v: &[f16]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&last.download(ctx).unwrap()), bits(&want), "{shape:?}");
        let back = last
            .to_memory_format(ctx, MemoryFormat::Contiguous)
            .unwrap();
        assert_eq!(bits(&back.download(ctx).unwrap()), bits(&data), "{shape:?}");
    }
}

#[test]
fn typed_ops_keep_float16_nan_and_subnormals() {
    let Some(ctx) = f16_gpu(common::gpu()) else {
        return;
    };
    let nan = f16::from_bits(0x7e2a);
    let data: Vec<f16> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        .iter()
        .map(|&x| f16::from_f32(x))
        .chain([
            nan,
            f16::ONE,
            f16::NEG_INFINITY,
            f16::MIN_POSITIVE_SUBNORMAL,
        ])
        .chain([f16::ZERO; 4])
        .collect();
    let input = Tensor::upload(ctx, &data, &[1, 1, 4, 4]).unwrap();
    let (values, indices) = MaxPool2d::new(2).forward_with_indices(ctx, &input).unwrap();
    let values = values.download(ctx).unwrap();
    assert!(values[2].is_nan(), "{values:?}");
    let bits = |x: f16| x.to_bits();
    let want = [6.0f32, 8.0].map(|x| f16::from_f32(x).to_bits());
    let subnormal = f16::MIN_POSITIVE_SUBNORMAL.to_bits();
    assert_eq!(
        [values[0], values[1], values[3]].map(bits),
        [want[0], want[1], subnormal]
    );
    assert_eq!(indices.download(ctx).unwrap(), [5, 7, 8, 11]);
}

#[test]
fn mixed_dtypes_and_devices_without_shader_f16_are_refused() {
    let Some(ctx) = common::gpu() else { return };
    // An output of the other type, through Call::encode_into.
    let inputs = Inputs::new(Array {
        shape: vec![1, 1, 4, 4],
        data: vec![1.0; 16],
    });
    let call = Call::new("max_pool2d", &kernel(2)).unwrap();
    let gpu = GpuInputs::upload(ctx, &inputs).unwrap();
    let values = Values::F16(Tensor::empty(ctx, &[1, 1, 2, 2]).unwrap());
    let result = call.encode_into(ctx, &mut ctx.encoder(), &gpu, &values, None);
    assert!(
        matches!(result, Err(Error::TensorMismatch(_))),
        "f16 output of an f32 input: {result:?}"
    );

    // A device opened on the same adapter without shader-f16, as an engine might open it.
    let info = ctx
        .adapter_info()
        .expect("wgpool opened the test context")
        .clone();
    let adapter = wgpool::adapters(wgpool::Backend::Any)
        .into_iter()
        .find(|a| a.get_info() == info)
        .expect("the test context's adapter");
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .expect("a device without features");
    assert!(!device.features().contains(wgpu::Features::SHADER_F16));
    assert_refused(&Context::from_device(device, queue));
}
