//! MaxPool1d/2d/3d: options, validation and GPU recording. CPU twin: `cpu::max_pool`.

use crate::context::Context;
use crate::dims::IntoDims;
use crate::dtype::Float;
use crate::error::Result;
use crate::geometry::PoolPlan;
use crate::ops::formats::Operands;
use crate::ops::sliding::{gpu_params, record_window, SlidingArgs, WindowKernels};
use crate::ops::{check_output, output_like};
use crate::tensor::Tensor;

/// `torch.nn.MaxPoolNd` for `R` spatial dims: use [`MaxPool1d`], [`MaxPool2d`] or [`MaxPool3d`].
///
/// Padding is implicit `-inf` (it never wins). NaN wins over numbers (the last NaN of a window),
/// the first of equal maxima wins, and indices are flat offsets inside each `(n, c)` plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool<const R: usize> {
    /// Window size per dim.
    pub kernel_size: [i64; R],
    /// Step per dim; `None` means `kernel_size` (PyTorch's default).
    pub stride: Option<[i64; R]>,
    /// Implicit `-inf` padding on both sides, at most half the kernel.
    pub padding: [i64; R],
    /// Spacing between window taps.
    pub dilation: [i64; R],
    /// Count a last window that starts inside the input or left padding but runs past the end.
    pub ceil_mode: bool,
}

/// `torch.nn.MaxPool1d`: input `(N, C, L)` or `(C, L)`.
pub type MaxPool1d = MaxPool<1>;
/// `torch.nn.MaxPool2d`: input `(N, C, H, W)` or `(C, H, W)`.
pub type MaxPool2d = MaxPool<2>;
/// `torch.nn.MaxPool3d`: input `(N, C, D, H, W)` or `(C, D, H, W)`.
pub type MaxPool3d = MaxPool<3>;

impl<const R: usize> MaxPool<R> {
    /// PyTorch's defaults: stride = kernel, padding 0, dilation 1, floor mode.
    pub fn new(kernel_size: impl IntoDims<R>) -> Self {
        MaxPool {
            kernel_size: kernel_size.into_dims(),
            stride: None,
            padding: [0; R],
            dilation: [1; R],
            ceil_mode: false,
        }
    }

    /// Sets `stride`.
    pub fn stride(mut self, stride: impl IntoDims<R>) -> Self {
        self.stride = Some(stride.into_dims());
        self
    }

    /// Sets `padding`.
    pub fn padding(mut self, padding: impl IntoDims<R>) -> Self {
        self.padding = padding.into_dims();
        self
    }

    /// Sets `dilation`.
    pub fn dilation(mut self, dilation: impl IntoDims<R>) -> Self {
        self.dilation = dilation.into_dims();
        self
    }

    /// Sets `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The `torch.nn.functional` name: `max_pool1d`, `max_pool2d` or `max_pool3d`.
    pub const NAME: &'static str = ["max_pool1d", "max_pool2d", "max_pool3d"][R - 1];

    /// Validates the options against an input shape (PyTorch's rules and check order) and
    /// computes the output shape. Both the GPU path and the CPU reference start here.
    pub fn plan(&self, input_shape: &[usize]) -> Result<PoolPlan> {
        SlidingArgs {
            kernel_size: self.kernel_size,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            ceil_mode: self.ceil_mode,
            input_at_least_kernel: false,
        }
        .plan(Self::NAME, input_shape)
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output` (and `indices`, as int64, when given). Nothing is submitted or read back.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        output: &Tensor<T>,
        indices: Option<&Tensor<i64>>,
    ) -> Result<()> {
        let plan = self.plan(input.shape())?;
        check_output(Self::NAME, &plan, output)?;
        if let Some(indices) = indices {
            check_output(Self::NAME, &plan, indices)?;
        }
        let params = gpu_params(ctx, Self::NAME, &plan, 0, 0.0)?;
        let kernels = WindowKernels::max(indices.is_some());
        let output = Operands::new(output, indices);
        record_window::<R, T>(
            ctx,
            encoder,
            Self::NAME,
            kernels,
            &plan,
            params,
            input,
            output,
        )
    }

    /// Records the pooling into `encoder`, allocating the output.
    pub fn encode<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
    ) -> Result<Tensor<T>> {
        let output = output_like(ctx, input, &self.plan(input.shape())?.output_shape)?;
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
        let shape = self.plan(input.shape())?.output_shape;
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

    /// [`MaxPool::forward`] with `return_indices=True`: values and plane-flat int64 indices.
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
