//! Tensors larger than one storage binding: the convenience level splits the work along (n, c)
//! planes; the result must equal the CPU reference as if nothing were split.

mod common;

use approx::relative_eq;
use wgpool::call::{Call, Device, Inputs, Kwargs, Outputs};
use wgpool::{cpu, Array, MaxPool2d};

/// A `(2, C, 1024, 1024)` input with C chosen to pass the binding limit by about a quarter.
fn big_input(limit: u64) -> Array<f32> {
    let plane = 1024 * 1024;
    let channels = (limit as usize * 5 / 4 / 4 / plane).div_ceil(2);
    let len = 2 * channels * plane;
    Array {
        shape: vec![2, channels, 1024, 1024],
        data: (0..len)
            .map(|i| ((i as u64 * 2654435761) % 4093) as f32 - 2046.0)
            .collect(),
    }
}

fn assert_same(op: &str, gpu: &Outputs, cpu: &Outputs) {
    assert_eq!(gpu.values.shape, cpu.values.shape, "{op}");
    let bad = gpu
        .values
        .data
        .iter()
        .zip(&cpu.values.data)
        .position(|(g, c)| !relative_eq!(g, c, epsilon = 1e-6, max_relative = 1e-6));
    assert_eq!(bad, None, "{op}: first difference at this element");
    assert_eq!(gpu.indices, cpu.indices, "{op}: indices");
}

fn check(op: &str, kwargs: Kwargs, inputs: &Inputs) {
    let ctx = common::gpu().expect("checked by the caller");
    let call = Call::new(op, &kwargs).unwrap();
    let gpu = call.run(inputs, Device::Gpu(ctx)).unwrap();
    let cpu = call.run(inputs, Device::Cpu).unwrap();
    assert_same(op, &gpu, &cpu);
}

#[test]
fn inputs_over_the_binding_limit_are_split_along_planes() {
    let Some(ctx) = common::gpu() else { return };
    let limit = ctx.device().limits().max_storage_buffer_binding_size;
    let input = big_input(limit);
    assert!(
        (input.data.len() * 4) as u64 > limit,
        "the input must not fit one binding"
    );
    let inputs = Inputs::new(input);
    let window = |k: i64, s: i64, p: i64| Kwargs {
        kernel_size: Some(vec![k]),
        stride: Some(vec![s]),
        padding: Some(vec![p]),
        ..Default::default()
    };
    check(
        "max_pool2d",
        Kwargs {
            return_indices: true,
            ..window(3, 2, 1)
        },
        &inputs,
    );
    check("avg_pool2d", window(2, 2, 0), &inputs);
    check(
        "adaptive_avg_pool2d",
        Kwargs {
            output_size: Some(vec![Some(7)]),
            ..Default::default()
        },
        &inputs,
    );
    // Drawn random samples: the pieces must use the samples of the whole call.
    check(
        "fractional_max_pool2d",
        Kwargs {
            kernel_size: Some(vec![2]),
            output_ratio: Some(vec![0.5]),
            return_indices: true,
            ..Default::default()
        },
        &inputs,
    );

    // Unpool the max pool of the big input back to its size.
    let pooled = Call::new(
        "max_pool2d",
        &Kwargs {
            return_indices: true,
            ..window(2, 2, 0)
        },
    )
    .unwrap()
    .run(&inputs, Device::Cpu)
    .unwrap();
    let unpool_inputs = Inputs {
        input: pooled.values,
        indices: pooled.indices,
        random_samples: None,
    };
    check("max_unpool2d", window(2, 2, 0), &unpool_inputs);
}

#[test]
fn a_plane_too_large_for_one_binding_is_refused_not_truncated() {
    let Some(ctx) = common::gpu() else { return };
    let limit = ctx.device().limits().max_storage_buffer_binding_size as usize;
    let side = ((limit / 4) as f64).sqrt() as usize + 1; // one plane just over the limit
    let shape = [1, 1, side, side];
    let call = Call::new(
        "max_pool2d",
        &Kwargs {
            kernel_size: Some(vec![side as i64]),
            ..Default::default()
        },
    )
    .unwrap();
    let inputs = Inputs::new(Array {
        shape: shape.to_vec(),
        data: vec![1.0; side * side],
    });
    match call.run(&inputs, Device::Gpu(ctx)) {
        Err(wgpool::Error::TooLarge { needed, limit, .. }) => assert!(needed > limit),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // The CPU reference has no such limit.
    let (values, _) =
        cpu::max_pool(&MaxPool2d::new(side as i64), &inputs.input.data, &shape).unwrap();
    assert_eq!(values.data, vec![1.0]);
}
