//! The smallest end-to-end use of wgpool: pick an adapter, upload a 4×4 image, max-pool it
//! with a 2×2 window, read the result back and print it.
//!
//! Run with `cargo run --release --example quickstart`.

use wgpool::{Backend, Context, MaxPool2d, Tensor};

fn main() -> wgpool::Result<()> {
    let ctx = Context::new(Backend::Any)?;
    let data: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let input = Tensor::upload(&ctx, &data, &[1, 1, 4, 4])?;

    let (values, indices) = MaxPool2d::new(2).forward_with_indices(&ctx, &input)?;

    println!("adapter: {:?}", ctx.adapter_info().map(|info| &info.name));
    println!("values  {:?} {:?}", values.shape(), values.download(&ctx)?);
    println!(
        "indices {:?} {:?}",
        indices.shape(),
        indices.download(&ctx)?
    );
    Ok(())
}
