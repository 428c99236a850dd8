//! AdaptiveMaxPool1d/2d/3d: options, validation and GPU recording. CPU twin:
//! `cpu::adaptive_max_pool`.

use crate::call::{input_only, with_values, GpuInputs, Inputs, Kwargs, Layer, Outputs, Values};
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

/// `torch.nn.AdaptiveMaxPoolNd` for `R` spatial dims: use [`AdaptiveMaxPool1d`],
/// [`AdaptiveMaxPool2d`] or [`AdaptiveMaxPool3d`].
///
/// Output `o` along a dim of `L` inputs is the maximum of the window
/// `[floor(o*L/O), ceil((o+1)*L/O))`. NaN wins over numbers (the last NaN of a window), the
/// first of equal maxima wins, and indices are flat offsets inside each `(n, c)` plane.
/// Outputs may be larger than the input (windows then overlap), and a size of 0 gives an empty
/// output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveMaxPool<const R: usize> {
    /// Output size per dim; `None` keeps that input dim (2d and 3d only).
    pub output_size: [Option<i64>; R],
}

/// `torch.nn.AdaptiveMaxPool1d`: input `(N, C, L)` or `(C, L)`; a batched input needs `C > 0`.
pub type AdaptiveMaxPool1d = AdaptiveMaxPool<1>;
/// `torch.nn.AdaptiveMaxPool2d`: input `(N, C, H, W)` or `(C, H, W)`; a batched input needs
/// `C > 0`.
pub type AdaptiveMaxPool2d = AdaptiveMaxPool<2>;
/// `torch.nn.AdaptiveMaxPool3d`: input `(N, C, D, H, W)` or `(C, D, H, W)`; a batched input needs
/// `C > 0`.
pub type AdaptiveMaxPool3d = AdaptiveMaxPool<3>;

impl<const R: usize> AdaptiveMaxPool<R> {
    /// Pools to `output_size`: an int for every dim, or an array (of `Option`s, `None` keeping
    /// that input dim).
    pub fn new(output_size: impl IntoOutputSize<R>) -> Self {
        AdaptiveMaxPool {
            output_size: output_size.into_output_size(),
        }
    }

    /// The `torch.nn.functional` name: `adaptive_max_pool1d`, `adaptive_max_pool2d` or
    /// `adaptive_max_pool3d`.
    pub const NAME: &'static str = [
        "adaptive_max_pool1d",
        "adaptive_max_pool2d",
        "adaptive_max_pool3d",
    ][R - 1];

    /// Validates the options against an input shape (PyTorch's rules and check order) and
    /// computes the output shape. Both the GPU path and the CPU reference start here.
    pub fn plan(&self, input_shape: &[usize]) -> Result<AdaptivePlan> {
        plan(Self::NAME, Family::Max, &self.output_size, input_shape)
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output` (and `indices`, as int64, when given). Nothing is submitted or read back; an
    /// empty output records nothing.
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
        let output = Operands::new(output, indices);
        if plan.output_len() == 0 {
            return call_format(ctx, Self::NAME, Operands::new(input, None), output).map(|_| ());
        }
        let kernel = match indices {
            None => AdaptiveKernel::Max,
            Some(_) => AdaptiveKernel::MaxWithIndices,
        };
        record_adaptive(ctx, encoder, kernel, Self::NAME, &plan, R, input, output)
    }

    /// The output shape, refusing before any allocation what the shader cannot address.
    fn checked_output_shape<T: Float>(&self, input: &Tensor<T>) -> Result<Vec<usize>> {
        let plan = self.plan(input.shape())?;
        if plan.output_len() > 0 {
            gpu_params(Self::NAME, &plan)?;
        }
        Ok(plan.output_shape)
    }

    /// Records the pooling into `encoder`, allocating the output.
    pub fn encode<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
    ) -> Result<Tensor<T>> {
        let output = output_like(ctx, input, &self.checked_output_shape(input)?)?;
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
        let shape = self.checked_output_shape(input)?;
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

    /// [`AdaptiveMaxPool::forward`] with `return_indices=True`: values and plane-flat int64
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

/// Builds the op from PyTorch's keyword arguments (for [`Call::new`](crate::call::Call::new));
/// `return_indices` stays with the call.
pub(crate) fn from_kwargs<const R: usize>(kwargs: &Kwargs) -> Result<AdaptiveMaxPool<R>> {
    let op = AdaptiveMaxPool::<R>::NAME;
    refuse_non_adaptive(op, kwargs)?;
    Ok(AdaptiveMaxPool {
        output_size: output_size_kwarg(op, kwargs)?,
    })
}

impl<const R: usize> Layer for AdaptiveMaxPool<R> {
    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        input_only(Self::NAME, inputs)?;
        Ok(self.plan(&inputs.input.shape)?.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        let (values, index_array) = cpu::adaptive_max_pool(self, &input.data, &input.shape)?;
        Ok(Outputs {
            values,
            indices: indices.then_some(index_array),
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
        indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        with_values!(&inputs.input, values, |input, values| {
            AdaptiveMaxPool::encode_into(self, ctx, encoder, input, values, indices)
        })?;
        Ok(None)
    }
}
