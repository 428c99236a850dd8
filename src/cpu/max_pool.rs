//! CPU twin of `shaders/max_pool.wgsl`.

use super::{check_len, plane_offset, Array};
use crate::error::Result;
use crate::ops::max_pool::MaxPool;

/// In-bounds taps of one window along one dim: first tap and exclusive end.
fn taps(o: u64, k: u64, s: u64, p: u64, dil: u64, len: u64) -> (i64, i64) {
    let (k, s, p, dil, len) = (k as i64, s as i64, p as i64, dil as i64, len as i64);
    let mut first = o as i64 * s - p;
    let end = (first + (k - 1) * dil + 1).min(len);
    if first < 0 {
        // First in-bounds tap, not max(first, 0): taps sit on the dilation grid.
        first += (-first + dil - 1) / dil * dil;
    }
    (first, end)
}

/// `torch.nn.functional.max_pool{1,2,3}d(..., return_indices=True)` on the CPU: values and
/// plane-flat int64 indices, for `input` of `shape`.
pub fn max_pool<const R: usize>(
    options: &MaxPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<(Array<f32>, Array<i64>)> {
    let plan = options.plan(shape)?;
    check_len(MaxPool::<R>::NAME, &plan, input)?;
    let w = plan.window;
    let in_plane = w.input_plane() as usize;
    let mut values = Vec::with_capacity(plan.output_len());
    let mut indices = Vec::with_capacity(plan.output_len());
    for plane in input.chunks_exact(in_plane).take(plan.planes) {
        for od in 0..w.output[0] {
            let (d0, d1) = taps(
                od,
                w.kernel[0],
                w.stride[0],
                w.padding[0],
                w.dilation[0],
                w.input[0],
            );
            for oh in 0..w.output[1] {
                let (h0, h1) = taps(
                    oh,
                    w.kernel[1],
                    w.stride[1],
                    w.padding[1],
                    w.dilation[1],
                    w.input[1],
                );
                for ow in 0..w.output[2] {
                    let (w0, w1) = taps(
                        ow,
                        w.kernel[2],
                        w.stride[2],
                        w.padding[2],
                        w.dilation[2],
                        w.input[2],
                    );
                    // An empty window keeps -inf and the index of its first tap, which may lie
                    // outside the plane: PyTorch does the same.
                    let mut best = f32::NEG_INFINITY;
                    let mut best_index = plane_offset(w.input, d0, h0, w0);
                    for d in (d0..d1).step_by(w.dilation[0] as usize) {
                        for h in (h0..h1).step_by(w.dilation[1] as usize) {
                            for x in (w0..w1).step_by(w.dilation[2] as usize) {
                                let at = plane_offset(w.input, d, h, x);
                                let v = plane[at as usize];
                                // NaN wins (the last NaN), else strictly greater: first tie wins.
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
    Ok((
        Array {
            shape: plan.output_shape.clone(),
            data: values,
        },
        Array {
            shape: plan.output_shape,
            data: indices,
        },
    ))
}
