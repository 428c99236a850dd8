//! CPU twin of `shaders/fractional_max_pool.wgsl`.

use super::{check_len, plane_offset, Array};
use crate::error::Result;
use crate::ops::fractional_max_pool::FractionalMaxPool;

/// `torch.nn.functional.fractional_max_pool{2,3}d(..., return_indices=True)` on the CPU: values
/// and plane-flat int64 indices, for `input` of `shape`, with the same windows as the GPU (both
/// take them from [`FractionalMaxPool::plan`]).
pub fn fractional_max_pool<const R: usize>(
    options: &FractionalMaxPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<(Array<f32>, Array<i64>)> {
    let plan = options.plan(shape)?;
    check_len(FractionalMaxPool::<R>::NAME, &plan.pool, input)?;
    let w = plan.pool.window;
    let in_plane = w.input_plane() as usize;
    let [kd, kh, kw] = w.kernel.map(|k| k as i64);
    let mut values = Vec::with_capacity(plan.pool.output_len());
    let mut indices = Vec::with_capacity(plan.pool.output_len());
    if plan.pool.output_len() > 0 {
        for (p, plane) in input
            .chunks_exact(in_plane)
            .take(plan.pool.planes)
            .enumerate()
        {
            let [d_starts, h_starts, w_starts] = plan.plane_starts(p);
            for &d0 in d_starts {
                for &h0 in h_starts {
                    for &w0 in w_starts {
                        let (d0, h0, w0) = (d0 as i64, h0 as i64, w0 as i64);
                        let mut best = f32::NEG_INFINITY;
                        let mut best_index = plane_offset(w.input, d0, h0, w0);
                        for d in d0..d0 + kd {
                            for h in h0..h0 + kh {
                                for x in w0..w0 + kw {
                                    let at = plane_offset(w.input, d, h, x);
                                    let v = plane[at as usize];
                                    // NaN wins (the last NaN), else strictly greater: first
                                    // tie wins.
                                    if v.is_nan() || (!best.is_nan() && v > best) {
                                        best = v;
                                        best_index = at;
                                    }
                                }
                            }
                        }
                        values.push(best);
                        indices.push(best_index);
                    }
                }
            }
        }
    }
    Ok((
        Array {
            shape: plan.pool.output_shape.clone(),
            data: values,
        },
        Array {
            shape: plan.pool.output_shape,
            data: indices,
        },
    ))
}
