//! CPU twin of `shaders/adaptive_pool.wgsl`. The windows come from the spec's formulas in wide
//! integers (`adaptive_window`), an independent check of the shader's 32-bit rewrite of them.
//! The shader visits long windows over several dispatches in the same cell order, so one loop
//! per window here computes the same values.

use super::Array;
use crate::error::{Error, Result};
use crate::ops::adaptive::{adaptive_window, AdaptivePlan};
use crate::ops::adaptive_avg_pool::AdaptiveAvgPool;
use crate::ops::adaptive_max_pool::AdaptiveMaxPool;

/// Refuses host data whose length is not the shape's element count, and outputs past what the
/// GPU kernels address (2^31 - 1 elements): a huge `output_size` is an error, not an attempt to
/// allocate terabytes.
fn check(op: &'static str, plan: &AdaptivePlan, input: &[f32]) -> Result<()> {
    let shape = &plan.input_shape;
    let expected = if shape.contains(&0) {
        Some(0)
    } else {
        shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
    };
    if expected != Some(input.len()) {
        let holds = expected.map_or("more than usize::MAX".into(), |n| n.to_string());
        return Err(Error::TensorMismatch(format!(
            "{op}: shape {shape:?} holds {holds} elements, but {} were given",
            input.len()
        )));
    }
    let (needed, limit) = (plan.output_len() as u64, i32::MAX as u64);
    if needed > limit {
        return Err(Error::TooLarge {
            what: format!("{op}: the output ({needed} elements)"),
            needed,
            limit,
        });
    }
    Ok(())
}

/// Calls `visit(plane, d, h, w)` for every output element in row-major order, with the
/// windows `(start, end)` along D, H and W.
fn for_each_window<'a>(
    plan: &AdaptivePlan,
    input: &'a [f32],
    mut visit: impl FnMut(&'a [f32], (u64, u64), (u64, u64), (u64, u64)),
) {
    if plan.output_len() == 0 {
        // Also skips the loops over a huge size next to a size of 0.
        return;
    }
    let (inp, out) = (plan.input, plan.output);
    for plane in input
        .chunks_exact(plan.input_plane() as usize)
        .take(plan.planes)
    {
        for od in 0..out[0] {
            let d = adaptive_window(od, inp[0], out[0]);
            for oh in 0..out[1] {
                let h = adaptive_window(oh, inp[1], out[1]);
                for ow in 0..out[2] {
                    visit(plane, d, h, adaptive_window(ow, inp[2], out[2]));
                }
            }
        }
    }
}

/// `torch.nn.functional.adaptive_avg_pool{1,2,3}d` on the CPU, for `input` of `shape`.
pub fn adaptive_avg_pool<const R: usize>(
    options: &AdaptiveAvgPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<Array<f32>> {
    let plan = options.plan(shape)?;
    check(AdaptiveAvgPool::<R>::NAME, &plan, input)?;
    let [_, in_h, in_w] = plan.input.map(|n| n as usize);
    let mut out = Vec::with_capacity(plan.output_len());
    for_each_window(&plan, input, |plane, (d0, d1), (h0, h1), (w0, w1)| {
        let [d0, d1, h0, h1, w0, w1] = [d0, d1, h0, h1, w0, w1].map(|n| n as usize);
        // Sequential row-major f32 sum, then successive divisions: PyTorch's CPU order.
        let mut sum = 0.0f32;
        for d in d0..d1 {
            for h in h0..h1 {
                let row = (d * in_h + h) * in_w;
                for w in w0..w1 {
                    sum += plane[row + w];
                }
            }
        }
        out.push(sum / (d1 - d0) as f32 / (h1 - h0) as f32 / (w1 - w0) as f32);
    });
    Ok(Array {
        shape: plan.output_shape,
        data: out,
    })
}

/// `torch.nn.functional.adaptive_max_pool{1,2,3}d(..., return_indices=True)` on the CPU: values
/// and plane-flat int64 indices, for `input` of `shape`.
pub fn adaptive_max_pool<const R: usize>(
    options: &AdaptiveMaxPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<(Array<f32>, Array<i64>)> {
    let plan = options.plan(shape)?;
    check(AdaptiveMaxPool::<R>::NAME, &plan, input)?;
    let [_, in_h, in_w] = plan.input.map(|n| n as usize);
    let mut values = Vec::with_capacity(plan.output_len());
    let mut indices = Vec::with_capacity(plan.output_len());
    for_each_window(&plan, input, |plane, (d0, d1), (h0, h1), (w0, w1)| {
        let [d0, d1, h0, h1, w0, w1] = [d0, d1, h0, h1, w0, w1].map(|n| n as usize);
        // Windows are never empty; an all -inf window keeps -inf and the index of its first cell.
        let mut best = f32::NEG_INFINITY;
        let mut best_index = (d0 * in_h + h0) * in_w + w0;
        for d in d0..d1 {
            for h in h0..h1 {
                let row = (d * in_h + h) * in_w;
                for (at, &v) in (row + w0..).zip(&plane[row + w0..row + w1]) {
                    // NaN wins (the last NaN), else strictly greater: the first tie wins.
                    if v.is_nan() || (!best.is_nan() && v > best) {
                        best = v;
                        best_index = at;
                    }
                }
            }
        }
        values.push(best);
        indices.push(best_index as i64);
    });
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
