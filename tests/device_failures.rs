//! A device that fails, or work past its limits, surfaces as an error value, never a panic.

mod common;

use wgpool::{Backend, Context, Error, MaxPool2d, Tensor};

/// A context of this test's own (one test destroys its device).
fn own_context() -> Option<Context> {
    common::gpu()?; // skips loudly, or fails in CI, when there is no adapter
    let backend: Backend = std::env::var("WGPOOL_TEST_BACKEND")
        .map(|b| b.parse().unwrap())
        .unwrap_or_default();
    Some(Context::new(backend).unwrap())
}

#[test]
fn operations_on_a_lost_device_return_errors() {
    let Some(ctx) = own_context() else { return };
    let x = Tensor::upload(&ctx, &[1.0f32; 16], &[1, 1, 4, 4]).unwrap();
    ctx.device().destroy();
    for attempt in 0..2 {
        let result = MaxPool2d::new(2)
            .forward(&ctx, &x)
            .and_then(|y| y.download(&ctx));
        match result {
            Err(Error::Gpu(message)) => {
                assert!(message.contains("lost"), "attempt {attempt}: {message}")
            }
            other => panic!("attempt {attempt}: expected a device-lost error, got {other:?}"),
        }
    }
    assert!(matches!(
        Tensor::<f32>::empty(&ctx, &[4]),
        Err(Error::Gpu(_))
    ));
}

#[test]
fn allocations_past_the_device_limits_are_typed_errors() {
    let Some(ctx) = own_context() else { return };
    let limit = ctx.device().limits().max_buffer_size;
    let too_many = (limit / 4 + 1) as usize;
    match Tensor::<f32>::empty(&ctx, &[too_many]) {
        Err(Error::TooLarge {
            needed, limit: l, ..
        }) => assert!(needed > l && l == limit),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Element counts that overflow usize are refused before any size arithmetic wraps.
    assert!(matches!(
        Tensor::<f32>::empty(&ctx, &[usize::MAX, 2]),
        Err(Error::TensorMismatch(_))
    ));
    assert!(matches!(
        Tensor::<i64>::empty(&ctx, &[usize::MAX / 4]),
        Err(Error::TooLarge { .. })
    ));
    // The context still works afterwards.
    let x = Tensor::upload(&ctx, &[3.0f32, 1.0, 2.0, 5.0], &[1, 1, 2, 2]).unwrap();
    let y = MaxPool2d::new(2).forward(&ctx, &x).unwrap();
    assert_eq!(y.download(&ctx).unwrap(), vec![5.0]);
}

#[test]
fn windows_past_the_driver_loop_cap_are_refused_not_wrong() {
    let Some(ctx) = own_context() else { return };
    let len = 70_000;
    let data: Vec<f32> = (0..len).map(|i| (i % 7) as f32).collect();
    let x = Tensor::upload(&ctx, &data, &[1, 1, len]).unwrap();
    let options = wgpool::AvgPool1d::new(65_536);
    let want = wgpool::cpu::avg_pool(&options, &data, &[1, 1, len]).unwrap();
    match (ctx.max_loop_iterations(), options.forward(&ctx, &x)) {
        (Some(limit), Err(Error::TooLarge { needed, .. })) => assert!(needed > limit),
        (None, Ok(y)) => assert_eq!(y.download(&ctx).unwrap(), want.data),
        (limit, other) => panic!("loop cap {limit:?}, got {other:?}"),
    }
}
