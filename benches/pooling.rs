//! criterion benches of the `wgpool bench` suite (`wgpool::suite`): each op on the GPU (record,
//! submit and wait, pipelines warm) and on the CPU reference. `cargo bench`; the CLI's
//! `wgpool bench` adds GPU timestamps and the copy-kernel yardstick.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use wgpool::call::{Call, Device, GpuInputs};
use wgpool::suite::suite;
use wgpool::{Backend, Context};

fn name(case: &wgpool::suite::Case) -> String {
    format!("{} {:?} {}", case.op, case.shape, case.args)
}

fn gpu(c: &mut Criterion) {
    let ctx = match Context::new(Backend::Any) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("no GPU benches: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("gpu");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    // float16 rows need shader-f16, which not every device has.
    let supported = suite()
        .into_iter()
        .filter(|case| ctx.require_dtype(case.op, case.dtype).is_ok());
    for case in supported {
        let call = Call::new(case.op, &case.kwargs).expect("suite calls are valid");
        let host = case.inputs().expect("suite inputs");
        let (dtype, format) = (case.dtype, case.memory_format);
        let inputs = GpuInputs::upload_with_format(&ctx, &host, dtype, format).unwrap();
        group.bench_function(name(&case), |b| {
            b.iter(|| {
                let mut encoder = ctx.encoder();
                call.encode(&ctx, &mut encoder, &inputs).unwrap();
                ctx.submit(encoder).unwrap();
                ctx.device()
                    .poll(wgpu::PollType::wait_indefinitely())
                    .unwrap();
            })
        });
    }
    group.finish();
}

fn cpu_reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpu");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    for case in suite() {
        let call = Call::new(case.op, &case.kwargs)
            .expect("suite calls are valid")
            .with_dtype(case.dtype);
        let inputs = case.inputs().expect("suite inputs");
        group.bench_function(name(&case), |b| {
            b.iter(|| call.run(&inputs, Device::Cpu).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, gpu, cpu_reference);
criterion_main!(benches);
