//! One context shared by many threads, and a long loop that must not grow memory.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use approx::relative_eq;

use wgpool::call::{Call, Device, Inputs, Kwargs};
use wgpool::{Array, Context, Tensor};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn context_and_tensors_are_send_and_sync() {
    assert_send_sync::<Context>();
    assert_send_sync::<Tensor>();
    assert_send_sync::<Tensor<i64>>();
    assert_send_sync::<Call>();
}

/// A small op mix: (op, kwargs, input shape).
fn mix() -> Vec<(&'static str, Kwargs, Vec<usize>)> {
    let k = |v: &[i64]| Some(v.to_vec());
    vec![
        (
            "max_pool2d",
            Kwargs {
                kernel_size: k(&[3]),
                stride: k(&[2]),
                padding: k(&[1]),
                return_indices: true,
                ..Default::default()
            },
            vec![2, 3, 17, 13],
        ),
        (
            "avg_pool2d",
            Kwargs {
                kernel_size: k(&[2, 3]),
                ceil_mode: Some(true),
                count_include_pad: Some(false),
                ..Default::default()
            },
            vec![3, 9, 10],
        ),
        (
            "max_pool1d",
            Kwargs {
                kernel_size: k(&[4]),
                dilation: k(&[2]),
                ..Default::default()
            },
            vec![2, 4, 40],
        ),
        (
            "avg_pool3d",
            Kwargs {
                kernel_size: k(&[2]),
                padding: k(&[1]),
                ..Default::default()
            },
            vec![1, 2, 5, 6, 7],
        ),
        // Two sizes, so that threads share (and grow) the context's scratch board.
        (
            "max_unpool2d",
            Kwargs {
                kernel_size: k(&[2]),
                ..Default::default()
            },
            vec![2, 3, 8, 8],
        ),
        (
            "max_unpool2d",
            Kwargs {
                kernel_size: k(&[3]),
                ..Default::default()
            },
            vec![1, 2, 16, 16],
        ),
    ]
}

/// The inputs of `op`: values, plus (for unpooling) indices with many duplicates.
fn inputs(op: &str, kwargs: &Kwargs, shape: &[usize], seed: usize) -> Inputs {
    let mut inputs = Inputs::new(input(shape, seed));
    if op == "max_unpool2d" {
        let k = kwargs.kernel_size.as_ref().unwrap()[0] as usize;
        let out_plane = shape[2] * k * shape[3] * k;
        let len: usize = shape.iter().product();
        inputs.indices = Some(Array {
            shape: shape.to_vec(),
            data: (0..len)
                .map(|i| ((i * 7919 + seed * 31) % (out_plane / 4)) as i64)
                .collect(),
        });
    }
    inputs
}

fn input(shape: &[usize], seed: usize) -> Array<f32> {
    let len = shape.iter().product();
    Array {
        shape: shape.to_vec(),
        data: (0..len)
            .map(|i| ((i * 2654435761 + seed * 40503) % 1000) as f32 / 37.0 - 13.0)
            .collect(),
    }
}

#[test]
fn many_threads_share_one_context_and_every_result_is_right() {
    let Some(ctx) = common::gpu() else { return };
    let mix = mix();
    let checked = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (mix, checked) = (&mix, &checked);
            scope.spawn(move || {
                for round in 0..12 {
                    let (op, kwargs, shape) = &mix[(thread + round) % mix.len()];
                    let inputs = inputs(op, kwargs, shape, thread * 100 + round);
                    let call = Call::new(op, kwargs).unwrap();
                    let gpu = call.run(&inputs, Device::Gpu(ctx)).unwrap();
                    let cpu = call.run(&inputs, Device::Cpu).unwrap();
                    assert_eq!(gpu.values.shape, cpu.values.shape, "{op}");
                    for (g, c) in gpu.values.data.iter().zip(&cpu.values.data) {
                        assert!(
                            relative_eq!(g, c, epsilon = 1e-6, max_relative = 1e-5),
                            "{op}: {g} vs {c}"
                        );
                    }
                    assert_eq!(gpu.indices, cpu.indices, "{op}");
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(checked.load(Ordering::Relaxed), 8 * 12);
}

/// Resident memory in bytes (lavapipe's "GPU memory" is host memory, so it shows here too).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn a_long_loop_of_mixed_ops_does_not_grow_memory() {
    let Some(ctx) = common::gpu() else { return };
    let calls: Vec<(Call, Inputs)> = mix()
        .into_iter()
        .map(|(op, kwargs, shape)| {
            (
                Call::new(op, &kwargs).unwrap(),
                inputs(op, &kwargs, &shape, 1),
            )
        })
        .collect();
    let run_all = |rounds: usize| {
        for _ in 0..rounds {
            for (call, inputs) in &calls {
                call.run(inputs, Device::Gpu(ctx)).unwrap();
            }
        }
    };
    run_all(50); // warm up: pipelines, allocator pools
    let Some(before) = resident_bytes() else {
        return;
    };
    run_all(300);
    let after = resident_bytes().unwrap();
    let growth = after.saturating_sub(before);
    // A leak of the ~4 buffers each op allocates would be well over this (lavapipe
    // allocations are whole pages); the steady state measured 0 bytes.
    assert!(
        growth < 2 << 20,
        "1200 ops grew resident memory by {} KiB ({before} -> {after})",
        growth >> 10
    );
}
