//! CPU twin of `shaders/lp_pool.wgsl`.

use super::{check_len, plane_offset, Array};
use crate::error::Result;
use crate::ops::lp_pool::{LpPool, Norm};

/// One window along one dim: its first position and exclusive end, clipped to the input (no
/// padding; a ceil-mode window starts inside the input and may run past its end).
fn window(o: u64, k: u64, s: u64, len: u64) -> (i64, i64) {
    let start = o * s;
    (start as i64, (start + k).min(len) as i64)
}

/// `torch.nn.functional.lp_pool{1,2,3}d` on the CPU, for `input` of `shape`: PyTorch's composite
/// step by step (see [`LpPool`]).
pub fn lp_pool<const R: usize>(
    options: &LpPool<R>,
    input: &[f32],
    shape: &[usize],
) -> Result<Array<f32>> {
    let plan = options.plan(shape)?;
    check_len(LpPool::<R>::NAME, &plan, input)?;
    let w = plan.window;
    let norm = options.norm();
    // PyTorch multiplies by the exact integer product, converted to f32 once.
    let volume = w.kernel.iter().map(|&k| u128::from(k)).product::<u128>() as f32;
    let in_plane = w.input_plane() as usize;
    let mut out = Vec::with_capacity(plan.output_len());
    for plane in input.chunks_exact(in_plane).take(plan.planes) {
        for od in 0..w.output[0] {
            let (d0, d1) = window(od, w.kernel[0], w.stride[0], w.input[0]);
            for oh in 0..w.output[1] {
                let (h0, h1) = window(oh, w.kernel[1], w.stride[1], w.input[1]);
                for ow in 0..w.output[2] {
                    let (w0, w1) = window(ow, w.kernel[2], w.stride[2], w.input[2]);
                    let taps = (d0..d1)
                        .flat_map(|d| (h0..h1).flat_map(move |h| (w0..w1).map(move |x| (d, h, x))));
                    let values =
                        taps.map(|(d, h, x)| plane[plane_offset(w.input, d, h, x) as usize]);
                    out.push(match norm {
                        Norm::Max => max_rule(values.map(f32::abs)),
                        // -max_pool(-|x|): sign flips, so NaN payloads survive as in PyTorch.
                        Norm::Min => -max_rule(values.map(|v| -v.abs())),
                        Norm::Power { power, root } => {
                            // avg_pool of x^p: a row-major f32 sum, one division by k_eff.
                            let sum = values.fold(0.0f32, |sum, v| sum + power.apply(v));
                            let cells = (d1 - d0) * (h1 - h0) * (w1 - w0);
                            let average = sum / cells as f32;
                            // sign(a) * relu(|a|) is the identity except that -0 becomes +0.
                            let cleaned = if average == 0.0 { 0.0 } else { average };
                            root.apply(cleaned * volume)
                        }
                    });
                }
            }
        }
    }
    Ok(Array {
        shape: plan.output_shape,
        data: out,
    })
}

/// Max pooling's rule over a non-empty window: NaN wins (the last NaN), otherwise strictly
/// greater (the first of equal maxima).
fn max_rule(values: impl Iterator<Item = f32>) -> f32 {
    values.fold(f32::NEG_INFINITY, |best, v| {
        if v.is_nan() || (!best.is_nan() && v > best) {
            v
        } else {
            best
        }
    })
}
