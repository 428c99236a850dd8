//! Channels-last (NHWC) activations, as engines that keep them so hold them: the engine's own
//! buffer wrapped as a channels-last tensor, max_pool2d (with indices) → avg_pool2d → global
//! adaptive average, recorded into one encoder with no layout conversion, and checked against
//! the CPU reference run on the same values in PyTorch's (N, C, H, W) order.
//!
//! `cargo run --release --example channels_last`

use wgpool::{
    cpu, AdaptiveAvgPool2d, AvgPool2d, Backend, Context, MaxPool2d, MemoryFormat, Tensor,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new(Backend::Any)?;
    let adapter = ctx.adapter_info().map_or("?", |info| info.name.as_str());
    println!("adapter: {adapter}");
    let last = MemoryFormat::ChannelsLast;

    // N, C, H, W in PyTorch's order; the values, row-major in that order, for the reference.
    // 28 → 14 → 7 → 1: every step, the 7x7 head included, has a channels-last kernel.
    let shape = [2, 64, 28, 28];
    let nchw: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|i| ((i * 7919) % 2003) as f32 / 1001.0 - 1.0)
        .collect();

    // The engine's buffer holds them in N, H, W, C order.
    let nhwc = last.from_contiguous(&nchw, &shape)?;
    let buffer = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("engine.activations"),
        size: (nhwc.len() * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue()
        .write_buffer(&buffer, 0, bytemuck::cast_slice(&nhwc));
    let x: Tensor = Tensor::from_buffer_with_format(buffer, &shape, last)?;

    let stem = MaxPool2d::new(3).stride(2).padding(1);
    let smooth = AvgPool2d::new(2);
    let head = AdaptiveAvgPool2d::new(1);
    let mut encoder = ctx.encoder();
    let (y, indices) = stem.encode_with_indices(&ctx, &mut encoder, &x)?;
    let z = smooth.encode(&ctx, &mut encoder, &y)?;
    let pooled = head.encode(&ctx, &mut encoder, &z)?;
    ctx.submit(encoder)?;
    assert_eq!(
        pooled.memory_format(),
        last,
        "outputs follow the input's format"
    );

    // Downloads come in memory order; back to (N, C, H, W) for the comparison.
    let got_indices = last.to_contiguous(&indices.download(&ctx)?, indices.shape())?;
    let got = last.to_contiguous(&pooled.download(&ctx)?, pooled.shape())?;

    let (want_y, want_indices) = cpu::max_pool(&stem, &nchw, &shape)?;
    let want_z = cpu::avg_pool(&smooth, &want_y.data, &want_y.shape)?;
    let want = cpu::adaptive_avg_pool(&head, &want_z.data, &want_z.shape)?;
    if got_indices != want_indices.data {
        return Err("max_pool2d indices differ from the CPU reference".into());
    }
    let worst = got
        .iter()
        .zip(&want.data)
        .map(|(g, w)| (g - w).abs() / w.abs().max(1.0))
        .fold(0.0f32, f32::max);
    println!(
        "output {:?} (channels-last), indices exact, largest relative difference from the CPU \
         reference: {worst:e}",
        pooled.shape()
    );
    if worst > 1e-5 {
        return Err(format!("GPU and CPU differ by {worst}").into());
    }
    Ok(())
}
