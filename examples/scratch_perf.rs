use wgpool::timing::Stopwatch;
use wgpool::*;
fn main() -> Result<()> {
    let ctx = Context::new(Backend::Vulkan)?;
    let shape = [8usize, 64, 112, 112];
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32).collect();
    let x = Tensor::upload(&ctx, &data, &shape)?;
    let y: Tensor = Tensor::empty(&ctx, &shape)?;
    let sw = Stopwatch::new(&ctx)?;
    println!("timing {:?}", sw.timing());
    let copy = sw.median_ms(9, &mut |e| wgpool::ops::copy::encode_copy(&ctx, e, &x, &y))?;
    let mp = MaxPool2d::new(3).stride(2).padding(1);
    let m = sw.median_ms(9, &mut |e| mp.encode(&ctx, e, &x).map(|_| ()))?;
    println!(
        "copy {copy:.2} ms {:.2} GB/s; max k3s2p1 {m:.2} ms {:.2} GB/s",
        (2 * n * 4) as f64 / copy / 1e6,
        ((n + n / 4) * 4) as f64 / m / 1e6
    );
    Ok(())
}
