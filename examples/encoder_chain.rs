//! An inference-style chain on the caller's own wgpu device: max_pool2d → avg_pool2d →
//! adaptive_avg_pool2d to 1×1, recorded into the caller's own `CommandEncoder`, one submit and
//! one read-back, checked against the CPU reference.
//!
//! `cargo run --release --example encoder_chain`

use wgpool::{cpu, AdaptiveAvgPool2d, AvgPool2d, Context, MaxPool2d, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The engine's own device and queue, opened without wgpool.
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter =
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))?;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("engine"),
        required_limits: adapter.limits(),
        ..Default::default()
    }))?;
    println!("adapter: {}", adapter.get_info().name);
    let ctx = Context::from_device(device.clone(), queue.clone());

    // A batch of feature maps, as an engine would hold them.
    let shape = [4, 32, 56, 56];
    let data: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|i| ((i * 7919) % 2003) as f32 / 1001.0 - 1.0)
        .collect();
    let x = Tensor::upload(&ctx, &data, &shape)?;

    let stem = MaxPool2d::new(3).stride(2).padding(1);
    let smooth = AvgPool2d::new(2).count_include_pad(false);
    let head = AdaptiveAvgPool2d::new(1);

    // The caller's encoder: three dispatches, no read-back in between.
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("engine.frame"),
    });
    let y = stem.encode(&ctx, &mut encoder, &x)?;
    let z = smooth.encode(&ctx, &mut encoder, &y)?;
    let pooled = head.encode(&ctx, &mut encoder, &z)?;
    queue.submit([encoder.finish()]);
    let got = pooled.download(&ctx)?;

    // The same chain on the CPU reference.
    let (y, _) = cpu::max_pool(&stem, &data, &shape)?;
    let z = cpu::avg_pool(&smooth, &y.data, &y.shape)?;
    let want = cpu::adaptive_avg_pool(&head, &z.data, &z.shape)?;

    let worst = got
        .iter()
        .zip(&want.data)
        .map(|(g, w)| (g - w).abs() / w.abs().max(1.0))
        .fold(0.0f32, f32::max);
    println!(
        "output {:?}, largest relative difference from the CPU reference: {worst:e}",
        pooled.shape()
    );
    if worst > 1e-5 {
        return Err(format!("GPU and CPU differ by {worst}").into());
    }
    println!("first outputs: {:?}", &got[..4]);
    Ok(())
}
