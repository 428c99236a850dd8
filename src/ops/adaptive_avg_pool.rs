//! AdaptiveAvgPool1d/2d/3d: options, validation and GPU recording. CPU twin:
//! `cpu::adaptive_avg_pool`.

use crate::call::{
    input_only, refuse, with_values, GpuInputs, Inputs, Kwargs, Layer, Outputs, Values,
};
use crate::context::Context;
use crate::cpu;
use crate::dtype::Float;
use crate::error::Result;
use crate::ops::adaptive::{
    check_output, gpu_params, output_size_kwarg, plan, record_adaptive, refuse_non_adaptive,
    AdaptiveKernel, AdaptivePlan, Family, IntoOutputSize,
};
use crate::ops::formats::{call_format, Operands};
use crate::ops::max_unpool::UnpoolStatus;
use crate::ops::output_like;
use crate::tensor::Tensor;

/// `torch.nn.AdaptiveAvgPoolNd` for `R` spatial dims: use [`AdaptiveAvgPool1d`],
/// [`AdaptiveAvgPool2d`] or [`AdaptiveAvgPool3d`].
///
/// Output `o` along a dim of `L` inputs averages the window `[floor(o*L/O), ceil((o+1)*L/O))`:
/// a row-major f32 sum divided successively by the window's depth, height and width, as
/// PyTorch's CPU kernel does. Outputs may be larger than the input (windows then overlap), and
/// a size of 0 gives an empty output.
///
/// PyTorch computes an all-ones `output_size` with `mean()` instead, whose summation order can
/// move the last bit; that path also skips PyTorch's shape checks, which wgpool applies anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveAvgPool<const R: usize> {
    /// Output size per dim; `None` keeps that input dim (2d and 3d only).
    pub output_size: [Option<i64>; R],
}

/// `torch.nn.AdaptiveAvgPool1d`: input `(N, C, L)` or `(C, L)`.
pub type AdaptiveAvgPool1d = AdaptiveAvgPool<1>;
/// `torch.nn.AdaptiveAvgPool2d`: input `(N, C, H, W)` or `(C, H, W)`; `C = 0` is accepted.
pub type AdaptiveAvgPool2d = AdaptiveAvgPool<2>;
/// `torch.nn.AdaptiveAvgPool3d`: input `(N, C, D, H, W)` or `(C, D, H, W)`; a batched input needs
/// `C > 0`.
pub type AdaptiveAvgPool3d = AdaptiveAvgPool<3>;

impl<const R: usize> AdaptiveAvgPool<R> {
    /// Pools to `output_size`: an int for every dim, or an array (of `Option`s, `None` keeping
    /// that input dim).
    pub fn new(output_size: impl IntoOutputSize<R>) -> Self {
        AdaptiveAvgPool {
            output_size: output_size.into_output_size(),
        }
    }

    /// The `torch.nn.functional` name: `adaptive_avg_pool1d`, `adaptive_avg_pool2d` or
    /// `adaptive_avg_pool3d`.
    pub const NAME: &'static str = [
        "adaptive_avg_pool1d",
        "adaptive_avg_pool2d",
        "adaptive_avg_pool3d",
    ][R - 1];

    /// Validates the options against an input shape (PyTorch's rules and check order) and
    /// computes the output shape. Both the GPU path and the CPU reference start here.
    pub fn plan(&self, input_shape: &[usize]) -> Result<AdaptivePlan> {
        plan(Self::NAME, Family::Avg, &self.output_size, input_shape)
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output`. Nothing is submitted or read back; an empty output records nothing.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        output: &Tensor<T>,
    ) -> Result<()> {
        let plan = self.plan(input.shape())?;
        check_output(Self::NAME, &plan, output)?;
        let output = Operands::new(output, None);
        if plan.output_len() == 0 {
            return call_format(ctx, Self::NAME, Operands::new(input, None), output).map(|_| ());
        }
        record_adaptive(
            ctx,
            encoder,
            AdaptiveKernel::Avg,
            Self::NAME,
            &plan,
            R,
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
        let plan = self.plan(input.shape())?;
        if plan.output_len() > 0 {
            // Refuse what the shader cannot address before allocating for it.
            gpu_params(Self::NAME, &plan)?;
        }
        let output = output_like(ctx, input, &plan.output_shape)?;
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

/// Builds the op from PyTorch's keyword arguments (for [`Call::new`](crate::call::Call::new)).
pub(crate) fn from_kwargs<const R: usize>(kwargs: &Kwargs) -> Result<AdaptiveAvgPool<R>> {
    let op = AdaptiveAvgPool::<R>::NAME;
    refuse_non_adaptive(op, kwargs)?;
    refuse(op, &[("return_indices", kwargs.return_indices)])?;
    Ok(AdaptiveAvgPool {
        output_size: output_size_kwarg(op, kwargs)?,
    })
}

impl<const R: usize> Layer for AdaptiveAvgPool<R> {
    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        input_only(Self::NAME, inputs)?;
        Ok(self.plan(&inputs.input.shape)?.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, _indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        Ok(Outputs {
            values: cpu::adaptive_avg_pool(self, &input.data, &input.shape)?,
            indices: None,
        })
    }

    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        Ok(self.plan(inputs.input.shape())?.output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        _indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        with_values!(&inputs.input, values, |input, values| {
            AdaptiveAvgPool::encode_into(self, ctx, encoder, input, values)
        })?;
        Ok(None)
    }
}
