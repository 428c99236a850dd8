//! MaxUnpool's shape rules, shared by the GPU path and the CPU reference, in PyTorch's check
//! order so that the first error means what it means in PyTorch.

use super::MaxUnpool;
use crate::error::{Error, Result};
use crate::geometry::{join_x, lift, Planes};

/// A validated max_unpool call: the planes and the spatial sizes in and out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpoolPlan {
    /// Number of `(n, c)` planes.
    pub planes: usize,
    /// The input shape (and the indices' shape) as given.
    pub input_shape: Vec<usize>,
    /// The output shape, batched iff the input was.
    pub output_shape: Vec<usize>,
    /// Number of spatial dims (1, 2 or 3).
    pub rank: usize,
    /// Input spatial sizes, lifted to `(D, H, W)` with leading 1s.
    pub input: [u64; 3],
    /// Output spatial sizes, lifted to `(D, H, W)` with leading 1s.
    pub output: [u64; 3],
}

impl UnpoolPlan {
    /// Elements in one input plane.
    pub fn input_plane(&self) -> u64 {
        self.input.iter().product()
    }

    /// Elements in one output plane: every valid index is below it.
    pub fn output_plane(&self) -> u64 {
        self.output.iter().product()
    }

    /// Elements in the whole input (and indices).
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Elements in the whole output.
    pub fn output_len(&self) -> usize {
        self.output_shape.iter().product()
    }

    /// PyTorch's error for `index`, found at flat `position` of the indices: "Found an invalid
    /// max index: 16 (output volumes are of size 4x4)".
    pub fn invalid_index(&self, op: &'static str, index: i64, position: u64) -> Error {
        let spatial = &self.output[3 - self.rank..];
        // PyTorch runs 1d as 2d with a trailing size-1 dim, and says so.
        let output_volume = if self.rank == 1 {
            format!("{}x1", spatial[0])
        } else {
            join_x(spatial)
        };
        Error::InvalidIndex {
            op,
            index,
            position,
            output_volume,
        }
    }
}

/// `(6, 6)`, `(6,)`: sizes as PyTorch prints the tuple in its output_size message.
fn python_tuple(values: &[i64]) -> String {
    match values {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            values
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl<const R: usize> MaxUnpool<R> {
    /// Validates a call `(input, indices, output_size)` by shapes, in PyTorch's order, and
    /// computes the output shape. `output_size` has `R` entries or `R + 2` (the leading N and C
    /// are ignored, as PyTorch does); `None` means the default per dim,
    /// `(in - 1) * stride + kernel_size - 2 * padding`. Both the GPU path and the CPU reference
    /// start here. Whether each index lies inside its output plane depends on the data, and is
    /// checked while unpooling.
    ///
    /// The order: rank; output_size's length, then its window (PyTorch checks both in Python,
    /// before its kernel sees anything); the indices' shape; non-zero channel and spatial
    /// sizes; 3d strides above zero (only 3d passes its stride on to PyTorch's kernel, so 1d
    /// and 2d take any stride that gives a size); output sizes not negative.
    pub fn plan(
        &self,
        input_shape: &[usize],
        indices_shape: &[usize],
        output_size: Option<&[i64]>,
    ) -> Result<UnpoolPlan> {
        let op = Self::NAME;
        if input_shape.len() != R + 1 && input_shape.len() != R + 2 {
            return Err(Error::shape(
                op,
                format!(
                    "Input to {op} should be a {}d or {}d Tensor, but got a tensor with {} \
                     dimensions (shape {input_shape:?})",
                    R + 1,
                    R + 2,
                    input_shape.len()
                ),
            ));
        }
        let explicit = match output_size {
            None => None,
            Some(sizes) if sizes.len() == R || sizes.len() == R + 2 => {
                Some(&sizes[sizes.len() - R..])
            }
            Some(sizes) => {
                return Err(Error::argument(
                    op,
                    "output_size",
                    format!(
                        "output_size should be a sequence containing {R} or {} elements, but it \
                         has a length of '{}'",
                        R + 2,
                        sizes.len()
                    ),
                ))
            }
        };

        let spatial_in = &input_shape[input_shape.len() - R..];
        let stride = self.stride.unwrap_or(self.kernel_size);
        let mut out = [0i128; R];
        for a in 0..R {
            let (k, s, p) = (
                i128::from(self.kernel_size[a]),
                i128::from(stride[a]),
                i128::from(self.padding[a]),
            );
            // (in - 1) * s + k - 2p, in i128: |in - 1| < 2^64 and |s| <= 2^63, so only the last
            // two terms can overflow, and only for absurd arguments.
            let default = (spatial_in[a] as i128 - 1)
                .checked_mul(s)
                .and_then(|v| v.checked_add(k))
                .and_then(|v| v.checked_sub(2 * p))
                .ok_or_else(|| {
                    Error::argument(
                        op,
                        "kernel_size",
                        format!(
                            "the default output size (in - 1) * stride + kernel_size - 2 * \
                             padding overflows for dim {a}"
                        ),
                    )
                })?;
            out[a] = default;
            if let Some(sizes) = explicit {
                let (min, max) = (default - s, default + s);
                let size = i128::from(sizes[a]);
                if !(min < size && size < max) {
                    return Err(Error::argument(
                        op,
                        "output_size",
                        format!(
                            "invalid output_size \"{}\" (dim {a} must be between {min} and \
                             {max})",
                            python_tuple(sizes)
                        ),
                    ));
                }
                out[a] = size;
            }
        }

        if indices_shape != input_shape {
            return Err(Error::shape(
                op,
                format!(
                    "Expected shape of indices to be same as that of the input tensor \
                     ({input_shape:?}) but got indices tensor with shape: {indices_shape:?}"
                ),
            ));
        }
        let planes = Planes::split(op, input_shape, R)?;
        planes.require_non_empty(op, input_shape)?;
        if R == 3 && stride.iter().any(|&s| s <= 0) {
            return Err(Error::argument(
                op,
                "stride",
                format!("strides should be greater than zero, but got stride: {stride:?}"),
            ));
        }

        let shape_text = || {
            let lead = planes.batch.into_iter().chain([planes.channels]);
            let lead: Vec<String> = lead.map(|v| v.to_string()).collect();
            let rest: Vec<String> = out.iter().map(i128::to_string).collect();
            format!("[{}]", [lead, rest].concat().join(", "))
        };
        if let Some(a) = (0..R).find(|&a| out[a] < 0) {
            let message = format!(
                "Trying to create tensor with negative dimension {}: {}",
                out[a],
                shape_text()
            );
            return Err(match explicit {
                Some(_) => Error::argument(op, "output_size", message),
                // Nothing the caller passed is negative by itself: the sizes combine badly.
                None => Error::shape(
                    op,
                    format!(
                        "{message} (the default output size is (in - 1) * stride + kernel_size \
                         - 2 * padding)"
                    ),
                ),
            });
        }
        let too_large = || Error::TooLarge {
            what: format!("{op}: an output of shape {}", shape_text()),
            needed: u64::MAX,
            limit: i64::MAX as u64,
        };
        let spatial_out: Vec<usize> = out
            .iter()
            .map(|&v| i64::try_from(v).ok().and_then(|v| usize::try_from(v).ok()))
            .collect::<Option<_>>()
            .ok_or_else(too_large)?;
        let output_shape = planes.output_shape(&spatial_out);
        output_shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| i64::try_from(n).is_ok())
            .ok_or_else(too_large)?;

        Ok(UnpoolPlan {
            planes: planes.count(),
            input_shape: input_shape.to_vec(),
            output_shape,
            rank: R,
            input: lift(
                std::array::from_fn::<u64, R, _>(|a| spatial_in[a] as u64),
                1,
            ),
            output: lift(std::array::from_fn::<u64, R, _>(|a| out[a] as u64), 1),
        })
    }
}
