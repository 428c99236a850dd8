//! FractionalMaxPool2d/3d: options and GPU recording. Validation and the pseudo-random windows
//! are in `plan`; CPU twin: `cpu::fractional_max_pool`.

mod layer;
mod plan;

pub(crate) use layer::from_kwargs;
pub use plan::FractionalPlan;

use crate::array::Array;
use crate::context::Context;
use crate::dims::IntoDims;
use crate::dtype::Float;
use crate::error::Result;
use crate::geometry::{PoolPlan, Window3};
use crate::ops::formats::{call_format, on_contiguous, Operands};
use crate::ops::sliding::{gpu_params, kernel_constants, record_window, takes_rows, WindowKernels};
use crate::ops::{check_output, output_like};
use crate::pipelines::Kernel;
use crate::random::SplitMix64;
use crate::tensor::Tensor;

/// The seed wgpool draws samples from when neither samples nor a seed are given.
pub const DEFAULT_SEED: u64 = 0;

/// `torch.nn.FractionalMaxPoolNd` for `R = 2` or `3` spatial dims: use [`FractionalMaxPool2d`]
/// or [`FractionalMaxPool3d`].
///
/// Each `(n, c)` plane gets pseudo-random, possibly overlapping windows of `kernel_size`, placed
/// by one sample `u` in `[0, 1)` per spatial dim, exactly as PyTorch places them (f32 maths,
/// bit for bit). The samples are PyTorch's `_random_samples`, shape `(N, C, R)` (`N = 1` for an
/// unbatched input): given with [`FractionalMaxPool::random_samples`], or else drawn from a
/// [`SplitMix64`] seeded with [`FractionalMaxPool::seed`] ([`DEFAULT_SEED`] unless set), so the
/// same options always give the same windows. The max follows max pooling's rule: NaN wins
/// (the last NaN of a window), the first of equal maxima wins, and indices are flat offsets
/// inside each plane.
#[derive(Clone, Debug, PartialEq)]
pub struct FractionalMaxPool<const R: usize> {
    /// Window size per dim.
    pub kernel_size: [i64; R],
    /// The output's spatial size. Exactly one of this and `output_ratio` must be set.
    pub output_size: Option<[i64; R]>,
    /// The output's spatial size as a fraction of the input's: `trunc(L * ratio)` per dim (a
    /// ratio that truncates to 0 gives an empty output, as in PyTorch).
    pub output_ratio: Option<[f64; R]>,
    /// PyTorch's `_random_samples`: float32 `(N', C, R)` with `N' >= N` (extra rows are
    /// ignored). Sample `[0]` places the W windows and `[1]` the H windows in 2d; `[0]`, `[1]`,
    /// `[2]` place T (D), H and W in 3d.
    pub random_samples: Option<Array<f32>>,
    /// Seed of the samples drawn when `random_samples` is `None`.
    pub seed: u64,
}

/// `torch.nn.FractionalMaxPool2d`: input `(N, C, H, W)` or `(C, H, W)`.
pub type FractionalMaxPool2d = FractionalMaxPool<2>;
/// `torch.nn.FractionalMaxPool3d`: input `(N, C, T, H, W)` or `(C, T, H, W)`.
pub type FractionalMaxPool3d = FractionalMaxPool<3>;

/// Anything that can stand for a per-dimension `output_ratio`: one number (broadcast to every
/// dimension) or an array of `R` numbers.
pub trait IntoRatios<const R: usize> {
    /// The per-dimension ratios, `D, H, W` order (the last `R` of them).
    fn into_ratios(self) -> [f64; R];
}

impl<const R: usize> IntoRatios<R> for f64 {
    fn into_ratios(self) -> [f64; R] {
        [self; R]
    }
}

impl<const R: usize> IntoRatios<R> for [f64; R] {
    fn into_ratios(self) -> [f64; R] {
        self
    }
}

impl<const R: usize> FractionalMaxPool<R> {
    /// The `torch.nn.functional` name: `fractional_max_pool2d` or `fractional_max_pool3d`.
    pub const NAME: &'static str = if R == 2 {
        "fractional_max_pool2d"
    } else {
        "fractional_max_pool3d"
    };

    /// A pool of `kernel_size` with no output size yet: set one of
    /// [`output_size`](Self::output_size) and [`output_ratio`](Self::output_ratio). Samples are
    /// drawn from [`DEFAULT_SEED`] unless given.
    pub fn new(kernel_size: impl IntoDims<R>) -> Self {
        // Only 2d and 3d exist in PyTorch: any other R fails to compile.
        const { assert!(R == 2 || R == 3, "fractional max pooling is 2d or 3d") };
        FractionalMaxPool {
            kernel_size: kernel_size.into_dims(),
            output_size: None,
            output_ratio: None,
            random_samples: None,
            seed: DEFAULT_SEED,
        }
    }

    /// Sets `output_size`.
    pub fn output_size(mut self, output_size: impl IntoDims<R>) -> Self {
        self.output_size = Some(output_size.into_dims());
        self
    }

    /// Sets `output_ratio`.
    pub fn output_ratio(mut self, output_ratio: impl IntoRatios<R>) -> Self {
        self.output_ratio = Some(output_ratio.into_ratios());
        self
    }

    /// Sets PyTorch's `_random_samples`, float32 `(N, C, R)`.
    pub fn random_samples(mut self, samples: Array<f32>) -> Self {
        self.random_samples = Some(samples);
        self
    }

    /// Sets the seed of the drawn samples (used when no samples are given).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The samples drawn when none are given, for an input with `batch` rows (1 when
    /// unbatched) and `channels` channels: shape `(batch, channels, R)`, row-major, each value
    /// the next [`SplitMix64::next_f32`] of a generator seeded with `self.seed`.
    pub fn drawn_samples(&self, batch: usize, channels: usize) -> Array<f32> {
        let mut rng = SplitMix64::new(self.seed);
        let len = batch.saturating_mul(channels).saturating_mul(R);
        Array {
            shape: vec![batch, channels, R],
            data: (0..len).map(|_| rng.next_f32()).collect(),
        }
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output` (and `indices`, as int64, when given). Window starts off a grid (see
    /// [`FractionalPlan::regular_strides`]) are uploaded with `queue.write_buffer`, which lands
    /// before the encoder's submission; nothing is submitted.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        output: &Tensor<T>,
        indices: Option<&Tensor<i64>>,
    ) -> Result<()> {
        let plan = self.plan(input.shape())?;
        check_output(Self::NAME, &plan.pool, output)?;
        if let Some(indices) = indices {
            check_output(Self::NAME, &plan.pool, indices)?;
        }
        let output = Operands::new(output, indices);
        if plan.pool.output_len() == 0 {
            return call_format(ctx, Self::NAME, Operands::new(input, None), output).map(|_| ());
        }
        if let Some(stride) = plan.regular_strides() {
            // Windows on a grid: max pooling's kernels, which read rows in vectors and have
            // channels-last twins, give the same maxima and indices.
            let pool = PoolPlan {
                window: Window3 {
                    stride,
                    ..plan.pool.window
                },
                ..plan.pool
            };
            let params = gpu_params(ctx, Self::NAME, &pool, 0, 0.0)?;
            let kernels = WindowKernels::max(output.indices.is_some());
            return record_window::<R, T>(
                ctx,
                encoder,
                Self::NAME,
                kernels,
                &pool,
                params,
                input,
                output,
            );
        }
        let params = gpu_params(ctx, Self::NAME, &plan.pool, 0, 0.0)?;
        let constants = kernel_constants(&plan.pool.window);
        // [one output per invocation, four of a row per invocation in rows in fours, in
        // other rows]
        let kernels = match indices {
            None => [
                Kernel::FractionalMaxPool,
                Kernel::FractionalMaxPoolRows,
                Kernel::FractionalMaxPoolRowsTail,
            ],
            Some(_) => [
                Kernel::FractionalMaxPoolWithIndices,
                Kernel::FractionalMaxPoolRowsWithIndices,
                Kernel::FractionalMaxPoolRowsTailWithIndices,
            ],
        };
        let window = &plan.pool.window;
        let (kernel, params) = match (takes_rows(window), window.output[2] % 4 == 0) {
            (true, true) => (kernels[1], params.rows()),
            (true, false) => (kernels[2], params.rows()),
            (false, _) => (kernels[0], params),
        };
        on_contiguous(
            ctx,
            encoder,
            Self::NAME,
            input,
            output,
            |encoder, input, output| {
                let starts = upload_starts(ctx, &plan)?;
                let buffers: Vec<&wgpu::Buffer> = [input.buffer(), &starts, output.values.buffer()]
                    .into_iter()
                    .chain(output.indices.map(Tensor::buffer))
                    .collect();
                ctx.record_specialized(
                    encoder,
                    kernel,
                    T::DTYPE,
                    &constants,
                    bytemuck::bytes_of(&params),
                    &buffers,
                    params.total,
                )
            },
        )
    }

    /// Records the pooling into `encoder`, allocating the output.
    pub fn encode<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
    ) -> Result<Tensor<T>> {
        let output = output_like(ctx, input, &self.plan(input.shape())?.pool.output_shape)?;
        self.encode_into(ctx, encoder, input, &output, None)?;
        Ok(output)
    }

    /// Records the pooling into `encoder`, allocating the output and the int64 indices.
    pub fn encode_with_indices<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
    ) -> Result<(Tensor<T>, Tensor<i64>)> {
        let shape = self.plan(input.shape())?.pool.output_shape;
        let output = output_like(ctx, input, &shape)?;
        let indices = output_like(ctx, input, &shape)?;
        self.encode_into(ctx, encoder, input, &output, Some(&indices))?;
        Ok((output, indices))
    }

    /// Pools `input` on the GPU and submits the work (no read-back: chain more ops, or
    /// [`Tensor::download`] the result).
    pub fn forward<T: Float>(&self, ctx: &Context, input: &Tensor<T>) -> Result<Tensor<T>> {
        let mut encoder = ctx.encoder();
        let output = self.encode(ctx, &mut encoder, input)?;
        ctx.submit(encoder)?;
        Ok(output)
    }

    /// [`FractionalMaxPool::forward`] with `return_indices=True`: values and plane-flat int64
    /// indices.
    pub fn forward_with_indices<T: Float>(
        &self,
        ctx: &Context,
        input: &Tensor<T>,
    ) -> Result<(Tensor<T>, Tensor<i64>)> {
        let mut encoder = ctx.encoder();
        let outputs = self.encode_with_indices(ctx, &mut encoder, input)?;
        ctx.submit(encoder)?;
        Ok(outputs)
    }
}

/// The plan's window starts in a new storage buffer, as the shader reads them. `gpu_params`
/// has checked that every plane holds fewer than 2^31 elements, so every start fits a u32.
fn upload_starts(ctx: &Context, plan: &FractionalPlan) -> Result<wgpu::Buffer> {
    let words: Vec<u32> = plan.starts.iter().map(|&s| s as u32).collect();
    let buffer = ctx.create_buffer(
        "wgpool.fractional_max_pool.starts",
        (words.len() as u64 * 4).max(4),
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
    )?;
    ctx.scoped(|| {
        ctx.queue()
            .write_buffer(&buffer, 0, bytemuck::cast_slice(&words))
    })?;
    Ok(buffer)
}
