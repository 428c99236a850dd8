//! AvgPool1d/2d/3d: options, validation and GPU recording. CPU twin: `cpu::avg_pool`.

use crate::context::Context;
use crate::dims::IntoDims;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::geometry::PoolPlan;
use crate::ops::formats::Operands;
use crate::ops::sliding::{gpu_params, record_window, SlidingArgs, WindowKernels};
use crate::ops::{check_output, output_like};
use crate::pipelines::{FLAG_COUNT_INCLUDE_PAD, FLAG_DIVISOR_OVERRIDE};
use crate::tensor::Tensor;

/// `torch.nn.AvgPoolNd` for `R` spatial dims: use [`AvgPool1d`], [`AvgPool2d`] or [`AvgPool3d`].
///
/// Each output is the row-major f32 sum of its window divided once by the divisor: the window's
/// size including padding (but never cells past the padded end, which ceil mode can reach) when
/// `count_include_pad`, else the number of input cells, or `divisor_override` when set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool<const R: usize> {
    /// Window size per dim.
    pub kernel_size: [i64; R],
    /// Step per dim; `None` means `kernel_size` (PyTorch's default).
    pub stride: Option<[i64; R]>,
    /// Implicit zero padding on both sides, at most half the kernel.
    pub padding: [i64; R],
    /// Count a last window that starts inside the input or left padding but runs past the end.
    pub ceil_mode: bool,
    /// Count padding cells in the divisor (PyTorch's default: true).
    pub count_include_pad: bool,
    /// Divide every window by this instead (2d and 3d only; non-zero, may be negative).
    pub divisor_override: Option<i64>,
}

/// `torch.nn.AvgPool1d`: input `(N, C, L)` or `(C, L)`; it has no `divisor_override`.
pub type AvgPool1d = AvgPool<1>;
/// `torch.nn.AvgPool2d`: input `(N, C, H, W)` or `(C, H, W)`.
pub type AvgPool2d = AvgPool<2>;
/// `torch.nn.AvgPool3d`: input `(N, C, D, H, W)` or `(C, D, H, W)`; every input dim must be at
/// least the kernel's.
pub type AvgPool3d = AvgPool<3>;

impl<const R: usize> AvgPool<R> {
    /// PyTorch's defaults: stride = kernel, padding 0, floor mode, padding counted, no override.
    pub fn new(kernel_size: impl IntoDims<R>) -> Self {
        AvgPool {
            kernel_size: kernel_size.into_dims(),
            stride: None,
            padding: [0; R],
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
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

    /// Sets `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Sets `count_include_pad`.
    pub fn count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }

    /// Sets `divisor_override` (refused by 1d, as in PyTorch).
    pub fn divisor_override(mut self, divisor: i64) -> Self {
        self.divisor_override = Some(divisor);
        self
    }

    /// The `torch.nn.functional` name: `avg_pool1d`, `avg_pool2d` or `avg_pool3d`.
    pub const NAME: &'static str = ["avg_pool1d", "avg_pool2d", "avg_pool3d"][R - 1];

    /// Validates the options against an input shape (PyTorch's rules and check order) and
    /// computes the output shape. Both the GPU path and the CPU reference start here.
    pub fn plan(&self, input_shape: &[usize]) -> Result<PoolPlan> {
        match self.divisor_override {
            Some(_) if R == 1 => {
                return Err(Error::argument(
                    Self::NAME,
                    "divisor_override",
                    "avg_pool1d takes no divisor_override".into(),
                ))
            }
            Some(0) => {
                return Err(Error::argument(
                    Self::NAME,
                    "divisor_override",
                    "divisor must be not zero".into(),
                ))
            }
            _ => {}
        }
        SlidingArgs {
            kernel_size: self.kernel_size,
            stride: self.stride,
            padding: self.padding,
            dilation: [1; R],
            ceil_mode: self.ceil_mode,
            input_at_least_kernel: R == 3,
        }
        .plan(Self::NAME, input_shape)
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output`. Nothing is submitted or read back.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        output: &Tensor<T>,
    ) -> Result<()> {
        let plan = self.plan(input.shape())?;
        check_output(Self::NAME, &plan, output)?;
        let mut flags = 0;
        if self.count_include_pad {
            flags |= FLAG_COUNT_INCLUDE_PAD;
        }
        if self.divisor_override.is_some() {
            flags |= FLAG_DIVISOR_OVERRIDE;
        }
        // PyTorch divides the f32 sum by the int64 divisor converted to f32.
        let divisor = self.divisor_override.unwrap_or(1) as f32;
        // The shader multiplies the per-dim window sizes of the count_include_pad divisor in
        // i32. A 2d kernel far bigger than its input (valid with padding) can pass i32::MAX,
        // which would wrap: refuse rather than divide by a wrapped product.
        if self.count_include_pad && self.divisor_override.is_none() {
            let w = &plan.window;
            let largest = (0..3)
                .map(|a| w.kernel[a].min(w.input[a] + 2 * w.padding[a]))
                .try_fold(1u64, |n, size| n.checked_mul(size))
                .unwrap_or(u64::MAX);
            let limit = i32::MAX as u64;
            if largest > limit {
                return Err(Error::TooLarge {
                    what: format!("{}: the count_include_pad divisor", Self::NAME),
                    needed: largest,
                    limit,
                });
            }
        }
        let params = gpu_params(ctx, Self::NAME, &plan, flags, divisor)?;
        let kernels = WindowKernels::avg();
        let output = Operands::new(output, None);
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
        self.encode_into(ctx, encoder, input, &output)?;
        Ok(output)
    }

    /// Pools `input` on the GPU and submits the work (no read-back: chain more ops, or
    /// [`Tensor::download`] the result).
    pub fn forward<T: Float>(&self, ctx: &Context, input: &Tensor<T>) -> Result<Tensor<T>> {
        let mut encoder = ctx.encoder();
        let output = self.encode(ctx, &mut encoder, input)?;
        ctx.submit(encoder)?;
        Ok(output)
    }
}
