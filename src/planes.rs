//! Splitting a call's GPU work along its `(n, c)` planes, so that inputs and outputs larger than
//! one storage binding (or one buffer) are processed in pieces that fit. Planes are independent
//! in every pooling op, and indices are plane-local, so the pieces concatenate exactly.

use std::ops::Range;

use crate::array::Array;
use crate::call::Inputs;
use crate::context::Context;
use crate::error::{Error, Result};

/// The sizes that decide the split: elements per plane in and out, and element bytes.
pub(crate) struct PlaneSizes {
    /// Number of planes.
    pub planes: usize,
    /// Bytes one plane takes in the largest binding of the call.
    pub plane_bytes: u64,
}

impl PlaneSizes {
    /// The sizes for `inputs` of an op with `rank` spatial dims and `output_shape`.
    pub fn new(inputs: &Inputs, rank: usize, output_shape: &[usize], indices: bool) -> Self {
        let shape = &inputs.input.shape;
        let spatial = |s: &[usize]| s[s.len().saturating_sub(rank)..].iter().product::<usize>();
        let planes = shape[..shape.len().saturating_sub(rank)].iter().product();
        let (in_plane, out_plane) = (spatial(shape) as u64, spatial(output_shape) as u64);
        let widest = [
            in_plane * 4,
            if inputs.indices.is_some() {
                in_plane * 8
            } else {
                0
            },
            out_plane * 4,
            if indices { out_plane * 8 } else { 0 },
        ];
        PlaneSizes {
            planes,
            plane_bytes: widest.into_iter().max().unwrap_or(0),
        }
    }

    /// Ranges of planes whose bindings fit `ctx`'s limits; one range when everything fits.
    pub fn chunks(&self, ctx: &Context) -> Result<Vec<Range<usize>>> {
        let limits = ctx.device().limits();
        let limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if self.plane_bytes > limit {
            return Err(Error::TooLarge {
                what: "one (n, c) plane of a tensor".into(),
                needed: self.plane_bytes,
                limit,
            });
        }
        let per_chunk = (limit / self.plane_bytes.max(1)).max(1) as usize;
        Ok((0..self.planes.max(1))
            .step_by(per_chunk)
            .map(|start| start..(start + per_chunk).min(self.planes))
            .collect())
    }
}

/// The planes `range` of `inputs` (with `samples` for its random samples), as an unbatched
/// call with `range.len()` channels.
pub(crate) fn slice(
    inputs: &Inputs,
    samples: Option<&Array<f32>>,
    rank: usize,
    range: &Range<usize>,
) -> Inputs {
    let plane_slice = |array: &Array<f32>| {
        let spatial = &array.shape[array.shape.len() - rank..];
        let plane: usize = spatial.iter().product();
        Array {
            shape: std::iter::once(range.len())
                .chain(spatial.iter().copied())
                .collect(),
            data: array.data[range.start * plane..range.end * plane].to_vec(),
        }
    };
    Inputs {
        input: plane_slice(&inputs.input),
        indices: inputs.indices.as_ref().map(|indices| {
            let spatial = &indices.shape[indices.shape.len() - rank..];
            let plane: usize = spatial.iter().product();
            Array {
                shape: std::iter::once(range.len())
                    .chain(spatial.iter().copied())
                    .collect(),
                data: indices.data[range.start * plane..range.end * plane].to_vec(),
            }
        }),
        // (N, C, r) samples: one row of r per plane, in plane order.
        random_samples: samples.map(|samples| {
            let r = samples.shape.last().copied().unwrap_or(0);
            Array {
                shape: vec![1, range.len(), r],
                data: samples.data[range.start * r..range.end * r].to_vec(),
            }
        }),
    }
}
