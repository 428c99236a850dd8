//! What AdaptiveAvgPool and AdaptiveMaxPool share: the `output_size` argument, the validation
//! (PyTorch's rules, in each op's own check order), the window bounds, and the GPU parameters.

use crate::call::{refuse, Kwargs};
use crate::context::Context;
use crate::dtype::{Dtype, Float};
use crate::error::{Error, Result};
use crate::geometry::{lift, Planes, Window3};
use crate::ops::formats::{call_format, on_contiguous, on_f32, Operands};
use crate::ops::sliding::{bindings, kernel_constants, vector_channels, WindowKernels};
use crate::pipelines::{
    DivMagic, Kernel, WindowParams, FLAG_SUCCESSIVE_DIVISION, MAX_SPECIALISED_KERNEL,
};
use crate::tensor::{Element, Tensor};

/// Anything that can stand for the `output_size` of an `R`-d adaptive op: one size for every
/// dim, or an array of `R` sizes where `None` keeps that input dim (2d and 3d only, as in
/// PyTorch).
pub trait IntoOutputSize<const R: usize> {
    /// The per-dimension sizes, `D, H, W` order (the last `R` of them).
    fn into_output_size(self) -> [Option<i64>; R];
}

/// `usize` sizes past `i64::MAX` saturate (and are then refused as too large).
fn saturate(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

macro_rules! into_output_size_for {
    ($($t:ty => $to_i64:expr),*) => {$(
        impl<const R: usize> IntoOutputSize<R> for $t {
            fn into_output_size(self) -> [Option<i64>; R] {
                [Some($to_i64(self)); R]
            }
        }
        impl<const R: usize> IntoOutputSize<R> for [$t; R] {
            fn into_output_size(self) -> [Option<i64>; R] {
                self.map(|v| Some($to_i64(v)))
            }
        }
        impl<const R: usize> IntoOutputSize<R> for [Option<$t>; R] {
            fn into_output_size(self) -> [Option<i64>; R] {
                self.map(|v| v.map($to_i64))
            }
        }
    )*};
}
into_output_size_for!(i32 => i64::from, i64 => std::convert::identity, u32 => i64::from,
    usize => saturate);

/// Turns a runtime `output_size` list (the CLI's `4,none`) into `R` entries: `R` entries are
/// taken as they are, one integer is broadcast (PyTorch's plain int), anything else is refused.
pub fn output_size_from_slice<const R: usize>(
    op: &'static str,
    values: &[Option<i64>],
) -> Result<[Option<i64>; R]> {
    match values {
        [Some(one)] => Ok([Some(*one); R]),
        _ if values.len() == R => Ok(std::array::from_fn(|a| values[a])),
        _ => Err(Error::argument(
            op,
            "output_size",
            if R == 1 {
                format!("should contain one int (got {})", values.len())
            } else {
                format!(
                    "must be an int or a tuple of {R} entries (ints or None), but got {values:?}"
                )
            },
        )),
    }
}

/// Kwargs the adaptive ops do not take (`return_indices` is decided per op).
pub(crate) fn refuse_non_adaptive(op: &'static str, kwargs: &Kwargs) -> Result<()> {
    refuse(
        op,
        &[
            ("kernel_size", kwargs.kernel_size.is_some()),
            ("stride", kwargs.stride.is_some()),
            ("padding", kwargs.padding.is_some()),
            ("dilation", kwargs.dilation.is_some()),
            ("ceil_mode", kwargs.ceil_mode.is_some()),
            ("count_include_pad", kwargs.count_include_pad.is_some()),
            ("divisor_override", kwargs.divisor_override.is_some()),
            ("output_ratio", kwargs.output_ratio.is_some()),
            ("norm_type", kwargs.norm_type.is_some()),
        ],
    )
}

/// The required `output_size` kwarg as `R` entries.
pub(crate) fn output_size_kwarg<const R: usize>(
    op: &'static str,
    kwargs: &Kwargs,
) -> Result<[Option<i64>; R]> {
    match &kwargs.output_size {
        Some(list) => output_size_from_slice(op, list),
        None => Err(Error::argument(op, "output_size", "is required".into())),
    }
}

/// Which adaptive op a plan is for: their checks differ in which dims must be non-zero and in
/// the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Adaptive average pooling.
    Avg,
    /// Adaptive max pooling.
    Max,
}

/// A validated adaptive pooling: the planes and the shapes in and out, spatial sizes lifted to
/// `(D, H, W)` with size-1 leading dims (which changes neither windows nor plane-flat indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdaptivePlan {
    /// Number of `(n, c)` planes.
    pub planes: usize,
    /// The input shape as given.
    pub input_shape: Vec<usize>,
    /// The output shape (and the indices' shape), batched iff the input was.
    pub output_shape: Vec<usize>,
    /// Input spatial sizes, D H W.
    pub input: [u64; 3],
    /// Output spatial sizes, D H W (`None` entries resolved); a size may be 0.
    pub output: [u64; 3],
}

impl AdaptivePlan {
    /// Elements in one input plane.
    pub fn input_plane(&self) -> u64 {
        self.input.iter().product()
    }

    /// Elements in one output plane.
    pub fn output_plane(&self) -> u64 {
        self.output.iter().product()
    }

    /// Elements in the whole output.
    pub fn output_len(&self) -> usize {
        // The plan refused every non-empty output whose size overflows; an empty one may have
        // huge sizes beside its 0.
        if self.output_shape.contains(&0) {
            0
        } else {
            self.output_shape.iter().product()
        }
    }
}

/// The window of output `o` along a dim of `len` inputs pooled to `out` outputs:
/// `[floor(o*len/out), ceil((o+1)*len/out))`, in integer maths (never empty, and overlapping
/// its neighbours when `out` does not divide `len`).
pub fn adaptive_window(o: u64, len: u64, out: u64) -> (u64, u64) {
    let (o, len, out) = (u128::from(o), u128::from(len), u128::from(out));
    let start = o * len / out;
    let end = ((o + 1) * len - 1) / out + 1;
    (start as u64, end as u64)
}

/// Validates `output_size` against `shape` for the op `op` of `family` and computes the output
/// shape. The checks and their order are PyTorch's (PYTORCH_POOLING.md §5, §6):
///
/// * 1d takes no `None`; 2d/3d with a `None` need an input of at least `R + 1` dims.
/// * Avg refuses negative sizes first (1d after its rank check); max refuses them last, where
///   PyTorch's allocation fails.
/// * Avg 1d/2d need non-zero spatial dims only (`C = 0` is fine); avg 3d and every max need
///   non-zero dims after the first, so a batched `C = 0` is refused and an unbatched one is not.
///   Avg 3d runs that check before its rank check.
/// * Finally the output must fit PyTorch's int64 storage size (`2^62 - 1` is refused, not
///   allocated).
pub(crate) fn plan<const R: usize>(
    op: &'static str,
    family: Family,
    output_size: &[Option<i64>; R],
    shape: &[usize],
) -> Result<AdaptivePlan> {
    if R == 1 && output_size[0].is_none() {
        return Err(Error::argument(
            op,
            "output_size",
            "1d takes an int, not None".into(),
        ));
    }
    if output_size.contains(&None) && shape.len() <= R {
        return Err(Error::shape(
            op,
            format!(
                "an output_size with None needs an input of at least {} dimensions, but got \
                 shape {shape:?}",
                R + 1
            ),
        ));
    }
    let non_negative = || match output_size.iter().flatten().find(|o| **o < 0) {
        Some(_) => Err(Error::argument(
            op,
            "output_size",
            format!(
                "elements of output_size must be greater than or equal to 0, but got {}",
                sizes(output_size)
            ),
        )),
        None => Ok(()),
    };
    let rank = || Planes::split(op, shape, R);
    // Spatial dims only, or every dim after the first (the channels of a batched input).
    let non_zero = |first: usize| match shape.iter().enumerate().skip(first).find(|(_, n)| **n == 0)
    {
        Some((dim, _)) => Err(Error::shape(
            op,
            format!(
                "expected non-zero sizes for the non-batch dimensions, but the input has shape \
                 {shape:?} with dimension {dim} being empty"
            ),
        )),
        None => Ok(()),
    };
    let spatial = shape.len().saturating_sub(R);
    let planes = match (family, R) {
        (Family::Avg, 1) => {
            let planes = rank()?;
            non_negative()?;
            non_zero(spatial)?;
            planes
        }
        (Family::Avg, 2) => {
            non_negative()?;
            let planes = rank()?;
            non_zero(spatial)?;
            planes
        }
        (Family::Avg, _) => {
            non_negative()?;
            non_zero(1)?;
            rank()?
        }
        (Family::Max, _) => {
            let planes = rank()?;
            non_zero(1)?;
            non_negative()?;
            planes
        }
    };

    // Every entry is now a size >= 0 (None keeps the input's).
    let out: [u64; R] = std::array::from_fn(|a| match output_size[a] {
        Some(o) => o as u64,
        None => planes.spatial[a] as u64,
    });
    let out_usize: Vec<usize> = out.iter().map(|o| *o as usize).collect();
    let output_shape = planes.output_shape(&out_usize);
    // PyTorch's storage-size rule: the sizes' product times the element size (max also
    // allocates int64 indices) must not overflow int64.
    let element_bytes: u64 = match family {
        Family::Avg => 4,
        Family::Max => 8,
    };
    let bytes = out
        .iter()
        .try_fold(planes.count() as u64, |n, &o| n.checked_mul(o))
        .and_then(|n| n.checked_mul(element_bytes))
        .filter(|b| *b <= i64::MAX as u64);
    if bytes.is_none() {
        return Err(Error::argument(
            op,
            "output_size",
            format!("the output of shape {output_shape:?} overflows PyTorch's int64 storage size"),
        ));
    }
    let spatial_in: [u64; R] = std::array::from_fn(|a| planes.spatial[a] as u64);
    Ok(AdaptivePlan {
        planes: planes.count(),
        input_shape: shape.to_vec(),
        output_shape,
        input: lift(spatial_in, 1),
        output: lift(out, 1),
    })
}

/// `output_size` as PyTorch prints it: `{2, None}`.
fn sizes<const R: usize>(output_size: &[Option<i64>; R]) -> String {
    let entries: Vec<String> = output_size
        .iter()
        .map(|o| o.map_or("None".into(), |v| v.to_string()))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// The most window cells one invocation visits per dispatch; mirrors `CELLS_PER_PASS` in
/// `shaders/adaptive_pool.wgsl`. Lavapipe ends every loop of an invocation once all its loops
/// together have run 65,535 iterations, so longer windows take several dispatches ("passes"),
/// each carrying on from the partial sum or maximum the previous one stored. The cells are
/// visited in the same order either way, so the result does not depend on the split.
pub const CELLS_PER_PASS: u64 = 64512;

/// The most cells any window of `plan` has, or a bound just above: a window spans at most
/// `ceil(L/O) + 1` (and at most `L`) cells along each dim. Exact for global pooling.
pub fn largest_window(plan: &AdaptivePlan) -> u64 {
    (0..3)
        .map(|a| {
            let (len, out) = (plan.input[a], plan.output[a].max(1));
            (len.div_ceil(out) + 1).min(len)
        })
        .product()
}

/// The passes `plan` needs when one pass covers `cells_per_pass` cells of every window.
pub fn passes(plan: &AdaptivePlan, cells_per_pass: u64) -> u64 {
    largest_window(plan).div_ceil(cells_per_pass).max(1)
}

/// How the GPU visits the windows of an adaptive pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// One invocation per output element scans its window in row-major order.
    PerOutput,
    /// Every input size is a multiple of its output size, by at most 8: the windows tile the
    /// input like a max or average pool with kernel = stride = `kernel`, whose kernels (with the
    /// window loops unrolled, and average pooling's successive divisions) run instead.
    Tiles {
        /// The tile per dim, D H W.
        kernel: [u32; 3],
    },
    /// `threads` invocations per output element each take every `threads`-th cell, and a tree
    /// in workgroup memory combines them: global and near-global pooling, whose few outputs
    /// would otherwise leave a GPU idle while a handful of invocations loop.
    Reduce {
        /// Invocations per output element, a power of two dividing the workgroup size (1 for
        /// the rare plans with too many outputs for more).
        threads: u32,
    },
}

/// The largest tile (per dim) run by the sliding-window kernels: the largest they unroll.
pub const MAX_TILE: u64 = MAX_SPECIALISED_KERNEL;

/// The smallest window worth a reduction.
pub const REDUCE_MIN_CELLS: u64 = 32;

/// Each reducing invocation gets at least this many cells of its window.
pub const REDUCE_CELLS_PER_THREAD: u64 = 4;

/// The tile per dim (D H W) when every input size is a multiple of its output size, by at most
/// [`MAX_TILE`].
fn exact_tiles(plan: &AdaptivePlan) -> Option<[u32; 3]> {
    (0..3)
        .all(|a| {
            let (len, out) = (plan.input[a], plan.output[a]);
            out > 0 && len % out == 0 && len / out <= MAX_TILE
        })
        .then(|| std::array::from_fn(|a| (plan.input[a] / plan.output[a]) as u32))
}

/// The strategy for `plan` with workgroups of `workgroup_size` invocations, on a context that
/// reduces large windows in `parallel` or not ([`Context::parallel_reduction`]).
///
/// Max pooling reduces every window of [`REDUCE_MIN_CELLS`] or more: `better` in the shader
/// keeps exactly what the sequential scan keeps, ties and NaNs included. Average pooling
/// reduces only an all-ones output size, where PyTorch itself sums with `mean()` rather than in
/// row-major order; elsewhere it keeps PyTorch's sequential sum, bit for bit. Windows not
/// reduced that tile the input exactly run as [`Strategy::Tiles`].
pub fn strategy(
    plan: &AdaptivePlan,
    family: Family,
    workgroup_size: u32,
    parallel: bool,
) -> Strategy {
    let mean = plan.output.iter().all(|&o| o == 1);
    let cells = largest_window(plan);
    let reduce = parallel && (family == Family::Max || mean) && cells >= REDUCE_MIN_CELLS;
    if !reduce {
        return match exact_tiles(plan) {
            Some(kernel) => Strategy::Tiles { kernel },
            None => Strategy::PerOutput,
        };
    }
    let wanted = 1u64 << (cells / REDUCE_CELLS_PER_THREAD).ilog2();
    let fits = 1u64 << workgroup_size.max(1).trailing_zeros();
    let mut threads = wanted.min(fits);
    // The dispatch counts invocations in a u32 (outputs alone stay below 2^31).
    while plan.output_len() as u64 * threads > u64::from(u32::MAX) {
        threads /= 2;
    }
    Strategy::Reduce {
        threads: threads as u32,
    }
}

/// The kernels of one adaptive op, per strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AdaptiveKernel {
    Avg,
    Max,
    MaxWithIndices,
}

impl AdaptiveKernel {
    fn family(self) -> Family {
        match self {
            AdaptiveKernel::Avg => Family::Avg,
            AdaptiveKernel::Max | AdaptiveKernel::MaxWithIndices => Family::Max,
        }
    }

    /// The sliding-window kernels that run exact tiles.
    fn tile_kernels(self) -> WindowKernels {
        match self {
            AdaptiveKernel::Avg => WindowKernels::avg(),
            AdaptiveKernel::Max => WindowKernels::max(false),
            AdaptiveKernel::MaxWithIndices => WindowKernels::max(true),
        }
    }

    /// The adaptive kernel: one invocation per output, or a parallel reduction per window.
    fn kernel(self, reduce: bool) -> Kernel {
        match (self, reduce) {
            (AdaptiveKernel::Avg, false) => Kernel::AdaptiveAvgPool,
            (AdaptiveKernel::Max, false) => Kernel::AdaptiveMaxPool,
            (AdaptiveKernel::MaxWithIndices, false) => Kernel::AdaptiveMaxPoolWithIndices,
            (AdaptiveKernel::Avg, true) => Kernel::AdaptiveAvgPoolReduce,
            (AdaptiveKernel::Max, true) => Kernel::AdaptiveMaxPoolReduce,
            (AdaptiveKernel::MaxWithIndices, true) => Kernel::AdaptiveMaxPoolReduceWithIndices,
        }
    }
}

/// The uniform block for a non-empty output of `plan`, refusing work past what the shader's
/// 32-bit maths can address: every plane offset and output index must stay below 2^31 (the
/// window maths is exact for every size below that).
pub(crate) fn gpu_params(op: &'static str, plan: &AdaptivePlan) -> Result<WindowParams> {
    let limit = i32::MAX as u64;
    let checks = [
        ("one input plane", plan.input_plane()),
        (
            "the input",
            plan.input_plane().saturating_mul(plan.planes as u64),
        ),
        ("one output plane", plan.output_plane()),
        ("the output", plan.output_len() as u64),
    ];
    for (what, needed) in checks {
        if needed > limit {
            return Err(Error::TooLarge {
                what: format!("{op}: {what} ({needed} elements)"),
                needed,
                limit,
            });
        }
    }
    let narrow = |v: [u64; 3]| v.map(|x| x as u32);
    Ok(WindowParams {
        total: plan.output_len() as u32,
        input: narrow(plan.input),
        output: narrow(plan.output),
        div_w: DivMagic::new(plan.output[2] as u32),
        div_h: DivMagic::new(plan.output[1] as u32),
        div_d: DivMagic::new(plan.output[0] as u32),
        ..Default::default()
    })
}

/// Records `kernel` over the non-empty output of `plan` into `encoder` with the plan's
/// [`strategy`], one dispatch per pass, on contiguous tensors. Adaptive pooling has no kernel
/// size, so each pass's first window cell travels in `WindowParams::kernel[0]` (`k_d` in WGSL).
fn record_passes<T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    kernel: AdaptiveKernel,
    op: &'static str,
    plan: &AdaptivePlan,
    input: &Tensor<T>,
    output: Operands<T>,
) -> Result<()> {
    let params = gpu_params(op, plan)?;
    let strategy = strategy(
        plan,
        kernel.family(),
        ctx.workgroup_size(),
        ctx.parallel_reduction(),
    );
    let threads = match strategy {
        Strategy::Tiles { kernel: tile } => {
            return record_tiles(ctx, encoder, kernel, plan, tile, input, output);
        }
        Strategy::PerOutput => 1,
        Strategy::Reduce { threads } => threads,
    };
    let constants: &[(&'static str, u32)] = match strategy {
        Strategy::Reduce { .. } => &[("REDUCE_THREADS", threads)],
        _ => &[],
    };
    let cells_per_pass = u64::from(threads) * CELLS_PER_PASS;
    let passes = passes(plan, cells_per_pass);
    if passes > 1 && kernel == AdaptiveKernel::Avg && T::DTYPE != Dtype::F32 {
        // Partial sums carried in an f16 output would be rounded once per pass: sum in f32.
        return on_f32(
            ctx,
            encoder,
            input,
            output.values,
            |encoder, input, output| {
                let output = Operands::new(output, None);
                record_passes(ctx, encoder, kernel, op, plan, input, output)
            },
        );
    }
    let buffers = bindings(input, output);
    for pass in 0..passes {
        // Below 2^31: every pass starts inside the largest window.
        let first = (pass * cells_per_pass) as u32;
        let params = WindowParams {
            kernel: [first, 0, 0],
            ..params
        };
        ctx.record_specialized(
            encoder,
            kernel.kernel(matches!(strategy, Strategy::Reduce { .. })),
            T::DTYPE,
            constants,
            bytemuck::bytes_of(&params),
            &buffers,
            // `strategy` keeps this product within u32.
            params.total * threads,
        )?;
    }
    Ok(())
}

/// Records adaptive pooling of `input` (with `rank` spatial dims) into `output`. Exact tiles of
/// channels-last tensors whose channels come in fours run the channels-last max/avg kernels,
/// even where a contiguous tensor would be reduced in parallel (that would cost two conversion
/// passes); everything else runs on contiguous tensors (copies of channels-last ones) by
/// [`record_passes`]. The plan's output is not empty.
#[allow(clippy::too_many_arguments)] // one call's worth of already-validated parts
pub(crate) fn record_adaptive<T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    kernel: AdaptiveKernel,
    op: &'static str,
    plan: &AdaptivePlan,
    rank: usize,
    input: &Tensor<T>,
    output: Operands<T>,
) -> Result<()> {
    gpu_params(op, plan)?;
    if let (Some(tile), Some(channels)) = (exact_tiles(plan), vector_channels(input, rank)) {
        call_format(ctx, op, Operands::new(input, None), output)?;
        let (window, params) = tile_params(kernel, plan, tile);
        let params = params.channels_last(channels);
        return ctx.record_specialized(
            encoder,
            kernel.tile_kernels().channels_last,
            T::DTYPE,
            &kernel_constants(&window),
            bytemuck::bytes_of(&params),
            &bindings(input, output),
            params.total,
        );
    }
    on_contiguous(ctx, encoder, op, input, output, |encoder, input, output| {
        record_passes(ctx, encoder, kernel, op, plan, input, output)
    })
}

/// The sliding window (kernel = stride = `tile`, no padding) that visits the exact tiles of
/// `plan`: the same windows in the same order, so the same results, with the window loops
/// unrolled. Averages divide by each extent in turn, as adaptive pooling does.
fn tile_params(
    kernel: AdaptiveKernel,
    plan: &AdaptivePlan,
    tile: [u32; 3],
) -> (Window3, WindowParams) {
    let window = Window3 {
        input: plan.input,
        output: plan.output,
        kernel: tile.map(u64::from),
        stride: tile.map(u64::from),
        padding: [0; 3],
        dilation: [1; 3],
    };
    let flags = match kernel {
        AdaptiveKernel::Avg => FLAG_SUCCESSIVE_DIVISION,
        AdaptiveKernel::Max | AdaptiveKernel::MaxWithIndices => 0,
    };
    let params = WindowParams {
        flags,
        ..WindowParams::new(&window, plan.output_len() as u32)
    };
    (window, params)
}

/// Records `plan`, whose windows are the tiles `tile`, as the max or average pool with kernel =
/// stride = `tile` on contiguous tensors. The plan's sizes were checked by `gpu_params`.
fn record_tiles<T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    kernel: AdaptiveKernel,
    plan: &AdaptivePlan,
    tile: [u32; 3],
    input: &Tensor<T>,
    output: Operands<T>,
) -> Result<()> {
    let (window, params) = tile_params(kernel, plan, tile);
    let (kernel, params, constants) = kernel.tile_kernels().contiguous(&window, params);
    ctx.record_specialized(
        encoder,
        kernel,
        T::DTYPE,
        &constants,
        bytemuck::bytes_of(&params),
        &bindings(input, output),
        params.total,
    )
}

/// Refuses a caller's output tensor whose shape is not the one the op produces.
pub(crate) fn check_output<T: Element>(
    op: &'static str,
    plan: &AdaptivePlan,
    output: &Tensor<T>,
) -> Result<()> {
    if output.shape() != plan.output_shape.as_slice() {
        return Err(Error::TensorMismatch(format!(
            "{op}: the {} output tensor has shape {:?}, but the op produces {:?}",
            T::NAME,
            output.shape(),
            plan.output_shape
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_match_the_spec_examples() {
        let windows = |len, out| -> Vec<(u64, u64)> {
            (0..out).map(|o| adaptive_window(o, len, out)).collect()
        };
        assert_eq!(windows(10, 3), [(0, 4), (3, 7), (6, 10)]);
        assert_eq!(windows(3, 5), [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]);
        assert_eq!(windows(7, 1), [(0, 7)]);
        assert_eq!(windows(4, 4), [(0, 1), (1, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn windows_cover_the_input_without_gaps_for_huge_sizes() {
        let len = i32::MAX as u64;
        for out in [1, 3, 65_537, len - 1, len, 3 * len] {
            for o in [0, 1, out / 2, out.saturating_sub(2), out - 1]
                .into_iter()
                .filter(|o| *o < out)
            {
                let (start, end) = adaptive_window(o, len, out);
                assert!(start < end && end <= len, "{o} of {out}: {start}..{end}");
                if o + 1 < out {
                    assert!(adaptive_window(o + 1, len, out).0 <= end, "gap after {o}");
                }
            }
            assert_eq!(adaptive_window(out - 1, len, out).1, len);
        }
    }

    fn passes_per_output(plan: &AdaptivePlan) -> u64 {
        passes(plan, CELLS_PER_PASS)
    }

    #[test]
    fn passes_cover_the_largest_window() {
        for len in 1..=40u64 {
            for out in 1..=45u64 {
                let largest = (0..out)
                    .map(|o| {
                        let (start, end) = adaptive_window(o, len, out);
                        end - start
                    })
                    .max()
                    .unwrap();
                let bound = (len.div_ceil(out) + 1).min(len);
                assert!(largest <= bound, "L={len} O={out}: {largest} > {bound}");
            }
        }
        let plan = |input: [u64; 3], output: [u64; 3]| AdaptivePlan {
            planes: 1,
            input_shape: Vec::new(),
            output_shape: Vec::new(),
            input,
            output,
        };
        assert_eq!(passes_per_output(&plan([1, 1, 1], [1, 1, 1])), 1);
        assert_eq!(
            passes_per_output(&plan([1, 1, CELLS_PER_PASS], [1, 1, 1])),
            1
        );
        assert_eq!(
            passes_per_output(&plan([1, 1, CELLS_PER_PASS + 1], [1, 1, 1])),
            2
        );
        assert_eq!(passes_per_output(&plan([1, 1024, 1024], [1, 1, 1])), 17);
        // The bound is conservative: windows of 2 x 21,505 cells, bounded by 3 x 21,506.
        assert_eq!(passes_per_output(&plan([1, 3, 43_010], [1, 2, 2])), 2);
    }

    #[test]
    fn strategy_reduces_large_windows_in_parallel_and_runs_exact_tiles_as_sliding_windows() {
        let plan = |planes: usize, input: [u64; 3], output: [u64; 3]| AdaptivePlan {
            planes,
            input_shape: Vec::new(),
            output_shape: vec![planes, output.iter().product::<u64>() as usize],
            input,
            output,
        };
        let reduce = |threads| Strategy::Reduce { threads };
        let global = plan(4, [1, 112, 112], [1, 1, 1]);
        assert_eq!(strategy(&global, Family::Avg, 256, true), reduce(256));
        assert_eq!(strategy(&global, Family::Max, 256, true), reduce(256));
        assert_eq!(strategy(&global, Family::Max, 64, true), reduce(64));
        // Only the largest power of two dividing an odd-sized workgroup.
        assert_eq!(strategy(&global, Family::Max, 96, true), reduce(32));
        assert_eq!(strategy(&global, Family::Max, 255, true), reduce(1));
        assert_eq!(
            strategy(&global, Family::Max, 256, false),
            Strategy::PerOutput
        );
        // At least REDUCE_CELLS_PER_THREAD cells per invocation; small windows stay per output.
        let seven = plan(4, [1, 7, 7], [1, 1, 1]);
        assert_eq!(strategy(&seven, Family::Avg, 256, true), reduce(8));
        let small = plan(4, [1, 3, 10], [1, 1, 3]);
        assert_eq!(
            strategy(&small, Family::Max, 256, true),
            Strategy::PerOutput
        );
        // Exact tiles of up to 8 per dim run as sliding windows unless reduced.
        let tiles = |kernel| Strategy::Tiles { kernel };
        assert_eq!(strategy(&seven, Family::Avg, 256, false), tiles([1, 7, 7]));
        let halves = plan(4, [4, 14, 14], [2, 7, 7]);
        assert_eq!(strategy(&halves, Family::Avg, 256, true), tiles([2, 2, 2]));
        assert_eq!(strategy(&halves, Family::Max, 256, false), tiles([2, 2, 2]));
        let wide = plan(4, [1, 1, 90], [1, 1, 10]);
        assert_eq!(strategy(&wide, Family::Avg, 256, true), Strategy::PerOutput);
        let empty = plan(4, [1, 1, 8], [1, 1, 0]);
        assert_eq!(
            strategy(&empty, Family::Avg, 256, false),
            Strategy::PerOutput
        );
        // Average pooling keeps PyTorch's row-major sum unless every output size is 1.
        let near = plan(4, [1, 112, 112], [1, 2, 2]);
        assert_eq!(strategy(&near, Family::Avg, 256, true), Strategy::PerOutput);
        assert_eq!(strategy(&near, Family::Max, 256, true), reduce(256));
        // Invocations are counted in a u32: more outputs, fewer invocations each.
        let many = plan(1 << 25, [1, 32, 32], [1, 1, 1]);
        assert_eq!(strategy(&many, Family::Max, 256, true), reduce(64));
        let more = plan(1 << 28, [1, 32, 32], [1, 1, 1]);
        assert_eq!(strategy(&more, Family::Max, 256, true), reduce(8));
    }

    #[test]
    fn cells_per_pass_matches_the_shader() {
        let source = Kernel::AdaptiveAvgPool.source(Dtype::F32);
        let module = naga::front::wgsl::parse_str(&source).unwrap();
        let constant = module
            .constants
            .iter()
            .find(|(_, c)| c.name.as_deref() == Some("CELLS_PER_PASS"))
            .expect("CELLS_PER_PASS in adaptive_pool.wgsl")
            .1;
        assert!(matches!(
            module.global_expressions[constant.init],
            naga::Expression::Literal(naga::Literal::U32(v)) if u64::from(v) == CELLS_PER_PASS
        ));
    }

    #[test]
    fn runtime_lists_broadcast_one_int_and_take_r_entries() {
        let op = "adaptive_avg_pool2d";
        assert_eq!(
            output_size_from_slice::<2>(op, &[Some(3)]).unwrap(),
            [Some(3); 2]
        );
        assert_eq!(
            output_size_from_slice::<2>(op, &[Some(3), None]).unwrap(),
            [Some(3), None]
        );
        assert!(output_size_from_slice::<2>(op, &[None]).is_err());
        assert!(output_size_from_slice::<2>(op, &[]).is_err());
        assert!(output_size_from_slice::<3>(op, &[Some(1), Some(2)]).is_err());
        assert!(output_size_from_slice::<1>(op, &[Some(1), Some(2)]).is_err());
    }
}
