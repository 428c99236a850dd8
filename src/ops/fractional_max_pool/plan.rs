//! Validation of fractional max pooling in PyTorch's check order, and its pseudo-random
//! windows: one source of truth for the GPU path and the CPU reference.

use super::FractionalMaxPool;
use crate::error::{Error, Result};
use crate::geometry::{join_x, lift, Planes, PoolPlan, Window3};
use crate::tensor::element_count;

/// A validated fractional max pooling: shapes, the window size, and every window's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionalPlan {
    /// Planes, shapes, and the window lifted to `(D, H, W)` (a 2d op has one window along D,
    /// of size 1). Stride, padding and dilation are unused (1, 0, 1).
    pub pool: PoolPlan,
    /// Window starts, per plane: `output[0]` starts along D, then `output[1]` along H, then
    /// `output[2]` along W. Each window `[start, start + kernel)` lies inside the input. Empty
    /// when the output is.
    pub starts: Vec<u64>,
}

impl FractionalPlan {
    /// The starts of plane `plane` (`< pool.planes`) along D, H and W; empty when the output
    /// is (no window exists then, so none is computed).
    pub fn plane_starts(&self, plane: usize) -> [&[u64]; 3] {
        if self.starts.is_empty() {
            return [&[]; 3];
        }
        let [od, oh, ow] = self.pool.window.output.map(|o| o as usize);
        let row = &self.starts[plane * (od + oh + ow)..][..od + oh + ow];
        let (d, rest) = row.split_at(od);
        let (h, w) = rest.split_at(oh);
        [d, h, w]
    }

    /// The stride along D, H and W when every plane's windows lie on one grid from 0 (window
    /// `i` of a dim starts at `i * stride`), as an integer `(len - kernel) / (out - 1)` gives
    /// (`output_ratio` 0.5 with kernel 2 on even sizes, say), unless a sample close to 1 rounds
    /// a start off it. The pooling is then a max pool of that stride without padding, window for
    /// window. `None` when the windows are irregular, or there are none.
    pub fn regular_strides(&self) -> Option<[u64; 3]> {
        if self.starts.is_empty() {
            return None;
        }
        let first = self.plane_starts(0);
        let strides = first.map(|starts| starts.get(1).copied().unwrap_or(1));
        let on_grid = first.iter().zip(strides).all(|(starts, stride)| {
            stride > 0
                && (0..)
                    .zip(starts.iter())
                    .all(|(i, &start)| start == i * stride)
        });
        let same_everywhere = (1..self.pool.planes).all(|plane| self.plane_starts(plane) == first);
        (on_grid && same_everywhere).then_some(strides)
    }
}

/// PyTorch's `generate_intervals`: the window starts along one dim of length `len` for
/// `out` windows of `kernel`, placed by `sample`. Every operation is f32, rounded as written,
/// and every f32 -> int conversion truncates toward zero, so the starts are PyTorch CPU's bit
/// for bit. (Rust's conversions saturate and map NaN to 0 where C++'s are undefined.)
///
/// The caller guarantees `out <= len` (the window-fit check), so the maths stays in i64.
fn interval_starts(sample: f32, len: i64, kernel: i64, out: i64) -> impl Iterator<Item = i64> {
    let span = len - kernel;
    let alpha = if out > 1 {
        span as f32 / (out - 1) as f32
    } else {
        0.0
    };
    let offset = (sample * alpha) as i64;
    (0..out).map(move |i| {
        if i == out - 1 {
            // The last window is pinned to the end.
            span
        } else {
            // Saturating: a non-finite or huge sample must give a refusable start, not a panic.
            ((((i as f32) + sample) * alpha) as i64).saturating_sub(offset)
        }
    })
}

/// How the output size is given.
enum Target<const R: usize> {
    Size([i64; R]),
    Ratio([f64; R]),
}

impl<const R: usize> FractionalMaxPool<R> {
    /// Validates the options (and the samples) against an input shape, in PyTorch's check
    /// order, and computes the output shape and every window. Both the GPU path and the CPU
    /// reference start here.
    ///
    /// Samples outside `[0, 1)` are not refused as such (PyTorch does not check them); a
    /// window they would push outside the input is.
    pub fn plan(&self, input_shape: &[usize]) -> Result<FractionalPlan> {
        const { assert!(R == 2 || R == 3, "fractional max pooling is 2d or 3d") };
        let op = Self::NAME;
        let target = self.target()?;
        if self.kernel_size.iter().any(|&k| k <= 0) {
            return Err(Error::argument(
                op,
                "kernel_size",
                format!(
                    "kernel size should be greater than zero, but got {}",
                    join_x(self.kernel_size)
                ),
            ));
        }
        let planes = Planes::split(op, input_shape, R)?;
        element_count(input_shape)?;
        let out = output_sizes(op, &target, &planes.spatial)?;
        planes.require_non_empty(op, input_shape)?;
        let rows = planes.batch.unwrap_or(1);
        if let Some(samples) = &self.random_samples {
            check_samples(op, samples, rows, planes.channels, R)?;
        }
        self.check_fit(&planes.spatial, &out)?;
        if let Some(&o) = out.iter().find(|&&o| o < 0) {
            return Err(Error::argument(
                op,
                target.argument(),
                format!(
                    "Trying to create tensor with negative dimension {o}: the output size is {}",
                    join_x(out)
                ),
            ));
        }

        // Every size is now valid: k >= 1, 0 <= O, and O + k - 1 <= L.
        let spatial: [u64; R] = std::array::from_fn(|a| planes.spatial[a] as u64);
        let out_sizes: Vec<usize> = out.iter().map(|&o| o as usize).collect();
        let pool = PoolPlan {
            planes: planes.count(),
            input_shape: input_shape.to_vec(),
            output_shape: planes.output_shape(&out_sizes),
            window: Window3 {
                input: lift(spatial, 1),
                output: lift(out.map(|o| o as u64), 1),
                kernel: lift(self.kernel_size.map(|k| k as u64), 1),
                stride: [1; 3],
                padding: [0; 3],
                dilation: [1; 3],
            },
        };
        let starts = if pool.output_len() == 0 {
            Vec::new()
        } else {
            self.starts(&pool, rows, planes.channels)?
        };
        Ok(FractionalPlan { pool, starts })
    }

    /// Exactly one of output_size and output_ratio; ratios finite (PyTorch's `int()` of the
    /// scaled size refuses NaN and infinities).
    fn target(&self) -> Result<Target<R>> {
        let op = Self::NAME;
        match (self.output_size, self.output_ratio) {
            (Some(size), None) => Ok(Target::Size(size)),
            (None, Some(ratio)) => match ratio.iter().find(|r| !r.is_finite()) {
                Some(r) => Err(Error::argument(
                    op,
                    "output_ratio",
                    format!("must be finite, but got {r} (in {ratio:?})"),
                )),
                None => Ok(Target::Ratio(ratio)),
            },
            (None, None) => Err(Error::argument(
                op,
                "output_size",
                "requires specifying either an output_size or an output_ratio".into(),
            )),
            (Some(size), Some(ratio)) => Err(Error::argument(
                op,
                "output_ratio",
                format!(
                    "only one of output_size and output_ratio may be given, but got \
                     output_size {size:?} and output_ratio {ratio:?}"
                ),
            )),
        }
    }

    /// The window-fit rule: 2d `O + k - 1 <= L`, H then W; 3d strictly `<`, in T, W, H order.
    /// The message names the kernel, as PyTorch's does.
    fn check_fit(&self, spatial: &[usize], out: &[i64; R]) -> Result<()> {
        let (order, names, strict): (&[usize], &[&str], bool) = if R == 3 {
            (&[0, 2, 1], &["time", "height", "width"], true)
        } else {
            (&[0, 1], &["height", "width"], false)
        };
        for &a in order {
            let (o, k, len) = (
                i128::from(out[a]),
                i128::from(self.kernel_size[a]),
                spatial[a] as i128,
            );
            let reach = o + k - 1;
            if reach > len || (strict && reach == len) {
                let name = names[a];
                return Err(Error::argument(
                    Self::NAME,
                    "kernel_size",
                    format!(
                        "pool {name} {k} too large relative to input {name} {len} (output \
                         {name} {o} + kernel {k} - 1 must be {} {len})",
                        if strict { "<" } else { "<=" }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The windows of every plane, from the given samples or drawn ones, each checked to lie
    /// inside the input.
    fn starts(&self, pool: &PoolPlan, rows: usize, channels: usize) -> Result<Vec<u64>> {
        let drawn;
        let samples = match &self.random_samples {
            Some(samples) => &samples.data,
            None => {
                drawn = self.drawn_samples(rows, channels);
                &drawn.data
            }
        };
        let w = &pool.window;
        let row_len = w.output.iter().sum::<u64>() as usize;
        let mut starts = Vec::with_capacity(pool.planes.saturating_mul(row_len));
        // Plane p = n * C + c reads row (n, c) of the samples: extra rows are never reached.
        for (plane, sample_row) in samples.chunks_exact(R).take(pool.planes).enumerate() {
            for a in 0..3 {
                let (len, k, o) = (w.input[a] as i64, w.kernel[a] as i64, w.output[a] as i64);
                // The lifted D of a 2d op: one window [0, 1), whatever the sample.
                let sample = match (R, a) {
                    (2, 0) => 0.0,
                    (2, _) => sample_row[2 - a], // 2d: sample[0] -> W, sample[1] -> H
                    _ => sample_row[a],          // 3d: T, H, W
                };
                push_starts(sample, len, k, o, &mut starts).map_err(|(window, start)| {
                    Error::argument(
                        Self::NAME,
                        "random_samples",
                        format!(
                            "sample {sample:e} of plane {plane} puts window {window} along {} \
                             at [{start}, {}), outside the input of size {len}; samples belong \
                             in [0, 1)",
                            ["T", "H", "W"][a],
                            start.saturating_add(k)
                        ),
                    )
                })?;
            }
        }
        Ok(starts)
    }
}

/// Appends the starts along one dim to `starts`, or names the first window (its number and
/// start) that would leave the input (PyTorch asserts there; only huge samples get there).
fn push_starts(
    sample: f32,
    len: i64,
    kernel: i64,
    out: i64,
    starts: &mut Vec<u64>,
) -> Result<(), (usize, i64)> {
    for (window, start) in interval_starts(sample, len, kernel, out).enumerate() {
        if !(0..=len - kernel).contains(&start) {
            return Err((window, start));
        }
        starts.push(start as u64);
    }
    Ok(())
}

/// PyTorch's checks of `_random_samples`: 3 dims, at least one row per batch entry, one per
/// channel, one sample per spatial dim; and data that matches the shape.
fn check_samples(
    op: &'static str,
    samples: &crate::array::Array<f32>,
    rows: usize,
    channels: usize,
    rank: usize,
) -> Result<()> {
    let shape = &samples.shape;
    let rule = if shape.len() != 3 {
        Some(format!(
            "expected 3 dims (N, C, {rank}), but got shape {shape:?}"
        ))
    } else if shape[0] < rows {
        Some(format!(
            "expected at least {rows} rows (the batch size), but got shape {shape:?}"
        ))
    } else if shape[1] != channels {
        Some(format!(
            "expected {channels} channels (the input's), but got shape {shape:?}"
        ))
    } else if shape[2] != rank {
        Some(format!(
            "expected {rank} samples per plane (one per spatial dim), but got shape {shape:?}"
        ))
    } else if element_count(shape).ok() != Some(samples.data.len()) {
        Some(format!(
            "shape {shape:?} does not match the {} values given",
            samples.data.len()
        ))
    } else {
        None
    };
    match rule {
        Some(message) => Err(Error::argument(op, "random_samples", message)),
        None => Ok(()),
    }
}

/// The output's spatial sizes: as given, or `trunc(L * ratio)` in f64 as PyTorch's
/// `int(input.size(d) * ratio)` computes them.
fn output_sizes<const R: usize>(
    op: &'static str,
    target: &Target<R>,
    spatial: &[usize],
) -> Result<[i64; R]> {
    let ratio = match target {
        Target::Size(size) => return Ok(*size),
        Target::Ratio(ratio) => ratio,
    };
    let mut out = [0; R];
    for a in 0..R {
        let scaled = (spatial[a] as f64 * ratio[a]).trunc();
        // i64::MIN and MAX as f64 are -2^63 and 2^63: the range a size can take.
        if !(scaled >= i64::MIN as f64 && scaled < i64::MAX as f64) {
            return Err(Error::argument(
                op,
                "output_ratio",
                format!(
                    "input size {} times ratio {} is {scaled:e}, which overflows a 64-bit size",
                    spatial[a], ratio[a]
                ),
            ));
        }
        out[a] = scaled as i64;
    }
    Ok(out)
}

impl<const R: usize> Target<R> {
    /// The argument an output size came from.
    fn argument(&self) -> &'static str {
        match self {
            Target::Size(_) => "output_size",
            Target::Ratio(_) => "output_ratio",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interval_starts;
    use crate::array::Array;
    use crate::ops::fractional_max_pool::{FractionalMaxPool2d, FractionalMaxPool3d};

    fn starts(sample: f32, len: i64, kernel: i64, out: i64) -> Vec<i64> {
        interval_starts(sample, len, kernel, out).collect()
    }

    #[test]
    fn intervals_follow_pytorch_f32_maths() {
        // alpha = 8/3 in f32; checked against numpy float32.
        assert_eq!(starts(0.0, 10, 2, 4), [0, 2, 5, 8]);
        assert_eq!(starts(0.5, 10, 2, 4), [0, 3, 5, 8]);
        assert_eq!(starts(0.999, 10, 2, 4), [0, 3, 5, 8]);
        // One window: pinned to the end; none: nothing.
        assert_eq!(starts(0.7, 9, 3, 1), [6]);
        assert_eq!(starts(0.7, 9, 3, 0), Vec::<i64>::new());
        // O = L - k + 1: alpha = 1, every start is i.
        assert_eq!(starts(0.999, 7, 2, 6), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn non_finite_samples_give_zero_offsets_not_a_panic() {
        for sample in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(starts(sample, 10, 2, 4), [0, 0, 0, 8], "{sample}");
        }
    }

    #[test]
    fn huge_samples_can_push_a_window_out() {
        // (1 + u) rounds up in f32, so window 1 starts at 4 > L - k = 3: the plan refuses it.
        assert_eq!(starts(16_777_222.0, 4, 1, 3), [0, 4, 3]);
    }

    fn samples(rows: usize, channels: usize, data: &[f32]) -> Array<f32> {
        Array {
            shape: vec![rows, channels, data.len() / (rows * channels)],
            data: data.to_vec(),
        }
    }

    #[test]
    fn integer_alphas_put_the_windows_on_a_grid() {
        // Ratio 0.5 with kernel 2 on even sizes: alpha = (L - 2) / (L / 2 - 1) = 2.
        let options = FractionalMaxPool2d::new(2)
            .output_ratio(0.5)
            .random_samples(samples(2, 1, &[0.0, 0.3, 0.5, 0.998]));
        let plan = options.plan(&[2, 1, 12, 8]).unwrap();
        assert_eq!(plan.regular_strides(), Some([1, 2, 2]));
        // Any stride: alphas 3 / 1, 9 / 3 and 6 / 2.
        let options = FractionalMaxPool3d::new([2, 3, 1])
            .output_size([2, 4, 3])
            .seed(7);
        let plan = options.plan(&[1, 5, 12, 7]).unwrap();
        assert_eq!(plan.regular_strides(), Some([3, 3, 3]));
        // A dim of one window whose input is the kernel (which only 2d accepts).
        let options = FractionalMaxPool2d::new([3, 1]).output_size([1, 3]).seed(7);
        let plan = options.plan(&[2, 3, 7]).unwrap();
        assert_eq!(plan.regular_strides(), Some([1, 1, 3]));
    }

    #[test]
    fn other_windows_are_not_on_a_grid() {
        // alpha = 109 / 55: strides of 1 and 2 mixed.
        let options = FractionalMaxPool2d::new(3).output_ratio(0.5).seed(1);
        assert_eq!(
            options.plan(&[1, 2, 112, 112]).unwrap().regular_strides(),
            None
        );
        // One window pinned to the end of a longer dim starts at L - k, not 0.
        let options = FractionalMaxPool2d::new(2).output_size([1, 3]).seed(1);
        assert_eq!(options.plan(&[1, 1, 5, 6]).unwrap().regular_strides(), None);
        // alpha = 2, but (1 + u) rounds up to 2 in f32 for the largest sample below 1, which
        // moves window 1 along H (the second sample) of one plane to 3: off the grid...
        let below_one = f32::from_bits(0x3f7f_ffff);
        let options = FractionalMaxPool2d::new(2)
            .output_size(3)
            .random_samples(samples(1, 2, &[0.5, 0.5, 0.5, below_one]));
        let plan = options.plan(&[1, 2, 6, 6]).unwrap();
        assert_eq!(plan.plane_starts(1)[1], [0, 3, 4]);
        assert_eq!(plan.regular_strides(), None);
        // ... and so is a plane that differs from the first, whichever is regular.
        let options = FractionalMaxPool2d::new(2)
            .output_size(3)
            .random_samples(samples(1, 2, &[0.5, below_one, 0.5, 0.5]));
        assert_eq!(options.plan(&[1, 2, 6, 6]).unwrap().regular_strides(), None);
        // No output, no windows.
        let options = FractionalMaxPool2d::new(2).output_size(2).seed(1);
        assert_eq!(options.plan(&[0, 3, 6, 6]).unwrap().regular_strides(), None);
    }
}
