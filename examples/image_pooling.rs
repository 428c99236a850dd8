//! Pools a picture on the GPU and writes the results side by side as one PNG contact sheet:
//! the original, max pooling, average pooling, adaptive average pooling, LP pooling, and a
//! max-pool → unpool round trip (only each window's maximum survives).
//!
//! `cargo run --release --example image_pooling [input.png] [sheet.png]`: without an input it
//! draws a picture of its own; the sheet goes to `target/image_pooling.png` unless named.

use image::{Rgb, RgbImage};
use wgpool::{
    AdaptiveAvgPool2d, AvgPool2d, Backend, Context, LpPool2d, MaxPool2d, MaxUnpool2d, Tensor,
};

const SIDE: u32 = 256;

/// A picture with edges, gradients and fine detail, so each pooling looks different.
fn drawn_picture() -> RgbImage {
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let (fx, fy) = (x as f32 / SIDE as f32, y as f32 / SIDE as f32);
        let ring = (((fx - 0.5).powi(2) + (fy - 0.5).powi(2)).sqrt() * 24.0).sin() > 0.0;
        let checker = (x / 16 + y / 16) % 2 == 0;
        let r = if ring { 230 } else { (fx * 255.0) as u8 };
        let g = if checker { 200 } else { (fy * 180.0) as u8 };
        let b = if (x * 7 + y * 3) % 23 == 0 { 255 } else { 60 };
        Rgb([r, g, b])
    })
}

/// The picture as a `(3, H, W)` tensor of values in [0, 1].
fn to_planes(picture: &RgbImage) -> (Vec<f32>, [usize; 3]) {
    let (w, h) = picture.dimensions();
    let mut data = vec![0.0; 3 * (w * h) as usize];
    for (x, y, pixel) in picture.enumerate_pixels() {
        for c in 0..3 {
            data[c * (w * h) as usize + (y * w + x) as usize] = pixel[c] as f32 / 255.0;
        }
    }
    (data, [3, h as usize, w as usize])
}

/// A `(3, h, w)` tensor drawn as a `side`×`side` tile (nearest-neighbour scaling).
fn tile(data: &[f32], shape: &[usize], side: u32) -> RgbImage {
    let (h, w) = (shape[1], shape[2]);
    RgbImage::from_fn(side, side, |x, y| {
        let (sx, sy) = (
            x as usize * w / side as usize,
            y as usize * h / side as usize,
        );
        let value = |c: usize| (data[c * h * w + sy * w + sx].clamp(0.0, 1.0) * 255.0) as u8;
        Rgb([value(0), value(1), value(2)])
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let picture = match args.next() {
        Some(path) => image::open(&path)?.to_rgb8(),
        None => drawn_picture(),
    };
    let sheet_path = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/image_pooling.png").into());

    let ctx = Context::new(Backend::Any)?;
    let (data, shape) = to_planes(&picture);
    let x = Tensor::upload(&ctx, &data, &shape)?;

    // Every op recorded into one encoder, one submit.
    let mut encoder = ctx.encoder();
    let max = MaxPool2d::new(8).encode(&ctx, &mut encoder, &x)?;
    let avg = AvgPool2d::new(8).encode(&ctx, &mut encoder, &x)?;
    // Any picture size to 24x24 windows that overlap where the size does not divide.
    let adaptive = AdaptiveAvgPool2d::new(24).encode(&ctx, &mut encoder, &x)?;
    // The L2 norm of each 8x8 window; divided by 8 below to land back in [0, 1].
    let lp = LpPool2d::new(2.0, 8).encode(&ctx, &mut encoder, &x)?;
    let (pooled, indices) = MaxPool2d::new(2).encode_with_indices(&ctx, &mut encoder, &x)?;
    let (unpooled, status) =
        MaxUnpool2d::new(2).encode(&ctx, &mut encoder, &pooled, &indices, None)?;
    ctx.submit(encoder)?;
    status.check(&ctx)?;

    let tiles = [
        ("original", x, 1.0),
        ("max_pool2d k8", max, 1.0),
        ("avg_pool2d k8", avg, 1.0),
        ("adaptive_avg_pool2d to 24x24", adaptive, 1.0),
        ("lp_pool2d p=2 k8, divided by 8", lp, 1.0 / 8.0),
        ("max_pool2d k2 -> max_unpool2d", unpooled, 1.0),
    ];
    let gap = 8;
    let width = (SIDE + gap) * tiles.len() as u32 - gap;
    let mut sheet = RgbImage::from_pixel(width, SIDE, Rgb([255, 255, 255]));
    for (i, (name, tensor, scale)) in tiles.iter().enumerate() {
        let values: Vec<f32> = tensor.download(&ctx)?.iter().map(|v| v * scale).collect();
        let drawn = tile(&values, tensor.shape(), SIDE);
        image::imageops::replace(&mut sheet, &drawn, (i as u32 * (SIDE + gap)) as i64, 0);
        println!("tile {}: {name} {:?}", i + 1, tensor.shape());
    }
    sheet.save(&sheet_path)?;
    println!("wrote {sheet_path}");
    Ok(())
}
