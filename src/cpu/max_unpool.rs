//! CPU twin of `shaders/max_unpool.wgsl`: PyTorch's serial loop, whose last write wins, which is
//! what the shader's two passes (largest claimant wins) reproduce.

use super::Array;
use crate::error::{Error, Result};
use crate::ops::max_unpool::MaxUnpool;

/// `torch.nn.functional.max_unpool{1,2,3}d` on the CPU: `input` of `input_shape` unpooled to
/// `indices` of `indices_shape` (which must be the same), for an `output_size` of `R` or `R + 2`
/// entries or PyTorch's default. An index outside its output plane is
/// [`Error::InvalidIndex`], naming the last such index in row-major order, as the GPU does.
/// An output of more than `i32::MAX` elements is [`Error::TooLarge`], as in one GPU call.
pub fn max_unpool<const R: usize>(
    options: &MaxUnpool<R>,
    input: &[f32],
    input_shape: &[usize],
    indices: &[i64],
    indices_shape: &[usize],
    output_size: Option<&[i64]>,
) -> Result<Array<f32>> {
    let op = MaxUnpool::<R>::NAME;
    let plan = options.plan(input_shape, indices_shape, output_size)?;
    for (what, len) in [("input", input.len()), ("indices", indices.len())] {
        if len != plan.input_len() {
            return Err(Error::TensorMismatch(format!(
                "{op}: the {what} shape {input_shape:?} holds {} elements, but {len} were given",
                plan.input_len()
            )));
        }
    }
    // A fixed bound, the GPU's per-call one, rather than a failed allocation: where the OS
    // overcommits memory, reserving terabytes succeeds and zero-filling them summons the
    // OOM killer.
    let (needed, limit) = (plan.output_len() as u64, i32::MAX as u64);
    if needed > limit {
        return Err(Error::TooLarge {
            what: format!("{op}: the output of shape {:?}", plan.output_shape),
            needed,
            limit,
        });
    }
    let mut out = vec![0.0f32; plan.output_len()];
    // PyTorch skips the kernel for an empty output, so then no index is checked either.
    if out.is_empty() {
        return Ok(Array {
            shape: plan.output_shape,
            data: out,
        });
    }

    let (in_plane, out_plane) = (plan.input_plane() as usize, plan.output_plane() as usize);
    let mut invalid = None;
    let planes = input
        .chunks_exact(in_plane)
        .zip(indices.chunks_exact(in_plane))
        .zip(out.chunks_exact_mut(out_plane));
    for (plane, ((values, targets), out)) in planes.enumerate() {
        for (e, (&value, &j)) in values.iter().zip(targets).enumerate() {
            match usize::try_from(j).ok().filter(|&j| j < out_plane) {
                // A later duplicate overwrites: the last in row-major order wins.
                Some(j) => out[j] = value,
                // Nothing is written; the last invalid index is the one reported.
                None => invalid = Some((j, (plane * in_plane + e) as u64)),
            }
        }
    }
    match invalid {
        Some((index, position)) => Err(plan.invalid_index(op, index, position)),
        None => Ok(Array {
            shape: plan.output_shape,
            data: out,
        }),
    }
}
