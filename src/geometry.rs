//! PyTorch's shape rules for sliding-window pooling, shared by the GPU path and the CPU reference.
//!
//! Every op works in 3-d inside: a 1d or 2d op is lifted to `(D, H, W)` with size-1 leading dims
//! and kernel 1 there, which changes neither values nor plane-flat indices.

use crate::error::{Error, Result};

/// A pooling input split into planes: `(N, C, *spatial)` or unbatched `(C, *spatial)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planes {
    /// `N`, or `None` for an unbatched input.
    pub batch: Option<usize>,
    /// `C`.
    pub channels: usize,
    /// The spatial sizes, `R` of them.
    pub spatial: Vec<usize>,
}

impl Planes {
    /// Splits `shape` for an op with `rank` spatial dims; refuses other ranks with `expected`
    /// naming the accepted ones (PyTorch's wording: "3D or 4D (batch mode) tensor").
    pub fn split(op: &'static str, shape: &[usize], rank: usize) -> Result<Planes> {
        let batched = shape.len() == rank + 2;
        if !batched && shape.len() != rank + 1 {
            return Err(Error::shape(
                op,
                format!(
                    "expected a {}D (C, {}) or {}D (N, C, {}) input, but got shape {shape:?}",
                    rank + 1,
                    spatial_names(rank),
                    rank + 2,
                    spatial_names(rank),
                ),
            ));
        }
        let (batch, rest) = if batched {
            (Some(shape[0]), &shape[1..])
        } else {
            (None, shape)
        };
        Ok(Planes {
            batch,
            channels: rest[0],
            spatial: rest[1..].to_vec(),
        })
    }

    /// Number of independent `(n, c)` planes.
    pub fn count(&self) -> usize {
        self.batch.unwrap_or(1).saturating_mul(self.channels)
    }

    /// Refuses a zero channel or spatial size (`N = 0` is fine: the output is empty).
    pub fn require_non_empty(&self, op: &'static str, shape: &[usize]) -> Result<()> {
        if self.channels == 0 || self.spatial.contains(&0) {
            return Err(Error::shape(
                op,
                format!(
                    "expected non-zero sizes for the non-batch dimensions, but got shape {shape:?}"
                ),
            ));
        }
        Ok(())
    }

    /// The full output shape for spatial output sizes `out`, batched iff the input was.
    pub fn output_shape(&self, out: &[usize]) -> Vec<usize> {
        self.batch
            .into_iter()
            .chain([self.channels])
            .chain(out.iter().copied())
            .collect()
    }
}

fn spatial_names(rank: usize) -> &'static str {
    ["L", "H, W", "D, H, W"][rank - 1]
}

/// Lifts `R` per-dim values to 3, filling the leading dims with `fill`.
pub fn lift<const R: usize>(values: [u64; R], fill: u64) -> [u64; 3] {
    let mut out = [fill; 3];
    out[3 - R..].copy_from_slice(&values);
    out
}

/// A validated window: every field in `(D, H, W)` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window3 {
    /// Input spatial sizes.
    pub input: [u64; 3],
    /// Output spatial sizes.
    pub output: [u64; 3],
    /// Kernel sizes.
    pub kernel: [u64; 3],
    /// Strides.
    pub stride: [u64; 3],
    /// Implicit padding on both sides.
    pub padding: [u64; 3],
    /// Spacing between kernel taps (1 for ops without dilation).
    pub dilation: [u64; 3],
}

impl Window3 {
    /// Elements in one input plane.
    pub fn input_plane(&self) -> u64 {
        self.input.iter().product()
    }

    /// Elements in one output plane.
    pub fn output_plane(&self) -> u64 {
        self.output.iter().product()
    }
}

/// A validated sliding-window pooling: the planes, the window and the shapes in and out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolPlan {
    /// Number of `(n, c)` planes.
    pub planes: usize,
    /// The input shape as given.
    pub input_shape: Vec<usize>,
    /// The output shape (and the indices' shape), batched iff the input was.
    pub output_shape: Vec<usize>,
    /// The window, lifted to 3-d.
    pub window: Window3,
}

impl PoolPlan {
    /// Elements in the whole output.
    pub fn output_len(&self) -> usize {
        self.output_shape.iter().product()
    }
}

/// Refuses values PyTorch cannot convert to a C `int` ("value cannot be converted to type int
/// without overflow").
pub fn require_i32<const R: usize>(
    op: &'static str,
    argument: &'static str,
    values: &[i64; R],
) -> Result<()> {
    match values.iter().find(|v| i32::try_from(**v).is_err()) {
        Some(v) => Err(Error::argument(
            op,
            argument,
            format!("value {v} cannot be converted to a 32-bit int without overflow"),
        )),
        None => Ok(()),
    }
}

/// PyTorch's `pooling_output_shape`: the number of windows along one dim, with the ceil-mode rule
/// that a window must start inside the input or the left padding. May be `< 1`; the caller
/// refuses that with the whole shape in the message.
pub fn pooled_len(len: u64, kernel: i64, stride: i64, pad: i64, dilation: i64, ceil: bool) -> i64 {
    let (len, k, s, p, d) = (
        len as i128,
        kernel as i128,
        stride as i128,
        pad as i128,
        dilation as i128,
    );
    let eff = d * (k - 1) + 1;
    let numerator = len + 2 * p - eff + if ceil { s - 1 } else { 0 };
    let mut out = numerator.div_euclid(s) + 1;
    if ceil && (out - 1) * s >= len + p {
        out -= 1;
    }
    out.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Formats sizes PyTorch's way: `1x3x3`.
pub fn join_x<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    values
        .into_iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_len_matches_the_ceil_table_of_the_spec() {
        // (L, k, s, p, d) -> (floor, ceil), from PYTORCH_POOLING.md §1.3.
        let table = [
            ((5, 2, 2, 0, 1), (2, 3)),
            ((3, 2, 2, 1, 1), (2, 2)),
            ((6, 3, 2, 1, 1), (3, 4)),
            ((7, 3, 3, 1, 2), (2, 3)),
            ((6, 1, 2, 0, 1), (3, 3)),
            ((7, 1, 2, 0, 1), (4, 4)),
            ((2, 2, 2, 1, 2), (1, 2)),
        ];
        for ((l, k, s, p, d), (floor, ceil)) in table {
            assert_eq!(
                pooled_len(l, k, s, p, d, false),
                floor,
                "{l} {k} {s} {p} {d}"
            );
            assert_eq!(
                pooled_len(l, k, s, p, d, true),
                ceil,
                "{l} {k} {s} {p} {d} ceil"
            );
        }
    }

    #[test]
    fn pooled_len_survives_huge_lengths_and_floors_toward_minus_infinity() {
        assert_eq!(pooled_len((1 << 24) + 1, 1, 1, 0, 1, false), (1 << 24) + 1);
        assert_eq!(pooled_len(3, 4, 1, 0, 1, false), 0);
        assert_eq!(pooled_len(1, 5, 2, 0, 1, false), -1);
    }

    #[test]
    fn planes_split_batched_and_unbatched() {
        let p = Planes::split("op", &[2, 3, 4, 5], 2).unwrap();
        assert_eq!(
            (p.batch, p.channels, p.spatial.clone()),
            (Some(2), 3, vec![4, 5])
        );
        assert_eq!(p.output_shape(&[1, 2]), vec![2, 3, 1, 2]);
        let u = Planes::split("op", &[3, 4, 5], 2).unwrap();
        assert_eq!((u.batch, u.count()), (None, 3));
        assert_eq!(u.output_shape(&[1, 2]), vec![3, 1, 2]);
        assert!(Planes::split("op", &[4, 5], 2).is_err());
        assert!(Planes::split("op", &[1, 2, 3, 4, 5], 2).is_err());
    }
}
