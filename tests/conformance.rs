//! Tier 2 (and 3): every PyTorch-recorded case in ../shared/conformance for the ops wgpool
//! implements, on the CPU reference and on the GPU: values within the case's tolerance, NaN
//! where PyTorch has NaN, indices exact, and refusals refused.

mod common;

use common::conformance::{cases, mismatch, Case};
use wgpool::call::{Call, Device, GpuInputs, Outputs, Values};
use wgpool::{Array, Context, Error, MemoryFormat, Result, Tensor};

fn run_all(device: Device) {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got =
                Call::new(&case.op, &case.kwargs).and_then(|call| call.run(&case.inputs, device));
            mismatch(case, &got).map(|why| format!("{} {}: {why}", case.name, case.op))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn gpu_channels_last_matches_pytorch() {
    // Every case whose tensors can be channels-last (rank 3 or more): max and average pooling
    // of channels in fours on the vec4 kernels, everything else on contiguous copies.
    let Some(ctx) = common::gpu() else { return };
    let cases = cases();
    let eligible: Vec<&Case> = cases
        .iter()
        .filter(|case| case.inputs.input.shape.len() >= 3)
        .collect();
    assert!(eligible.len() * 2 > cases.len(), "most cases are batched");
    let failures: Vec<String> = eligible
        .iter()
        .filter_map(|case| {
            let got = Call::new(&case.op, &case.kwargs).and_then(|call| {
                call.with_memory_format(MemoryFormat::ChannelsLast)
                    .run(&case.inputs, Device::Gpu(ctx))
            });
            mismatch(case, &got).map(|why| format!("{} {}: {why}", case.name, case.op))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        eligible.len(),
        failures.join("\n")
    );
}

#[test]
fn cpu_reference_matches_pytorch() {
    run_all(Device::Cpu);
}

#[test]
fn gpu_matches_pytorch() {
    if let Some(ctx) = common::gpu() {
        run_all(Device::Gpu(ctx));
    }
}

/// A case through [`Call::encode_into`], into outputs the caller allocated and filled with
/// garbage (NaN values, -7 indices): every element must be written.
fn run_into_filled_outputs(ctx: &Context, case: &Case) -> Result<Outputs> {
    let call = Call::new(&case.op, &case.kwargs)?;
    let shape = call.output_shape(&case.inputs)?;
    let len = shape.iter().product();
    let gpu = GpuInputs::upload(ctx, &case.inputs)?;
    let filled = |value| match len {
        0 => Tensor::empty(ctx, &shape),
        _ => Tensor::upload(ctx, &vec![value; len], &shape),
    };
    let values = Values::F32(filled(f32::NAN)?);
    let indices = match call.return_indices {
        true => Some(match len {
            0 => Tensor::empty(ctx, &shape)?,
            _ => Tensor::upload(ctx, &vec![-7i64; len], &shape)?,
        }),
        false => None,
    };
    let mut encoder = ctx.encoder();
    let status = call.encode_into(ctx, &mut encoder, &gpu, &values, indices.as_ref())?;
    ctx.submit(encoder)?;
    if let Some(status) = status {
        status.check(ctx)?;
    }
    Ok(Outputs {
        values: values.download(ctx)?,
        indices: match indices {
            Some(indices) => Some(Array {
                shape,
                data: indices.download(ctx)?,
            }),
            None => None,
        },
    })
}

#[test]
fn gpu_encode_into_caller_outputs_matches_pytorch() {
    let Some(ctx) = common::gpu() else { return };
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = run_into_filled_outputs(ctx, case);
            mismatch(case, &got).map(|why| format!("{} {}: {why}", case.name, case.op))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn encode_into_refuses_indices_that_were_not_asked_for_and_missing_ones() {
    let Some(ctx) = common::gpu() else { return };
    let input = Array {
        shape: vec![1, 1, 4, 4],
        data: (0..16).map(|v| v as f32).collect(),
    };
    let gpu = GpuInputs::upload(ctx, &wgpool::call::Inputs::new(input)).unwrap();
    let values = Values::F32(Tensor::empty(ctx, &[1, 1, 2, 2]).unwrap());
    let indices = Tensor::<i64>::empty(ctx, &[1, 1, 2, 2]).unwrap();
    for (return_indices, given) in [(false, Some(&indices)), (true, None)] {
        let kwargs = wgpool::call::Kwargs {
            kernel_size: Some(vec![2]),
            return_indices,
            ..Default::default()
        };
        let call = Call::new("max_pool2d", &kwargs).unwrap();
        let mut encoder = ctx.encoder();
        let result = call.encode_into(ctx, &mut encoder, &gpu, &values, given);
        assert!(
            matches!(result, Err(Error::TensorMismatch(_))),
            "return_indices {return_indices}: {result:?}"
        );
    }
}
