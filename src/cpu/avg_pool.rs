//! CPU twin of `shaders/avg_pool.wgsl`.

use super::{check_len, plane_offset, Array};
use crate::error::Result;
use crate::ops::avg_pool::AvgPool;

/// One window along one dim: the box clipped to the input, and the size counted when padding
/// is included (clipped to the padded extent, so ceil-mode overhang is not counted).
fn span(o: u64, k: u64, s: u64, p: u64, len: u64) -> (i64, i64, i64) {
    let (k, s, p, len) = (k as i64, s as i64, p as i64, len as i64);
    let start = o as i64 * s - p;
    let end = (start + k).min(len + p);
    (start.max(0), end.min(len), end - start)
}

/// `torch.nn.functional.avg_pool{1,2,3}d` on the CPU, for `input` of `shape`.
pub fn avg_pool<const R: usize>(
    options: &AvgPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<Array<f32>> {
    let plan = options.plan(shape)?;
    check_len(AvgPool::<R>::NAME, &plan, input)?;
    let w = plan.window;
    let in_plane = w.input_plane() as usize;
    let mut out = Vec::with_capacity(plan.output_len());
    for plane in input.chunks_exact(in_plane).take(plan.planes) {
        for od in 0..w.output[0] {
            let (d0, d1, pool_d) = span(od, w.kernel[0], w.stride[0], w.padding[0], w.input[0]);
            for oh in 0..w.output[1] {
                let (h0, h1, pool_h) = span(oh, w.kernel[1], w.stride[1], w.padding[1], w.input[1]);
                for ow in 0..w.output[2] {
                    let (w0, w1, pool_w) =
                        span(ow, w.kernel[2], w.stride[2], w.padding[2], w.input[2]);
                    // Sequential row-major f32 sum, then one division: PyTorch's CPU order.
                    let mut sum = 0.0f32;
                    for d in d0..d1 {
                        for h in h0..h1 {
                            for x in w0..w1 {
                                sum += plane[plane_offset(w.input, d, h, x) as usize];
                            }
                        }
                    }
                    let divisor = match options.divisor_override {
                        Some(divisor) => divisor as f32,
                        None if options.count_include_pad => (pool_d * pool_h * pool_w) as f32,
                        None => ((d1 - d0) * (h1 - h0) * (w1 - w0)) as f32,
                    };
                    out.push(sum / divisor);
                }
            }
        }
    }
    Ok(Array {
        shape: plan.output_shape,
        data: out,
    })
}
