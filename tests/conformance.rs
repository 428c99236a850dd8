//! Tier 2 (and 3): every PyTorch-recorded case in ../shared/conformance for the ops wgpool
//! implements, on the CPU reference and on the GPU: values within the case's tolerance, NaN
//! where PyTorch has NaN, indices exact, and refusals refused.

mod common;

use common::conformance::{cases, mismatch};
use wgpool::call::{Call, Device};

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
fn cpu_reference_matches_pytorch() {
    run_all(Device::Cpu);
}

#[test]
fn gpu_matches_pytorch() {
    if let Some(ctx) = common::gpu() {
        run_all(Device::Gpu(ctx));
    }
}
