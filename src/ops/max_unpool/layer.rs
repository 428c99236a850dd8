//! `max_unpool1d/2d/3d` for [`call`](crate::call): options from keyword arguments, and the
//! [`Layer`] that runs them on the CPU reference or the GPU.

use super::MaxUnpool;
use super::UnpoolStatus;
use crate::call::{
    dims_or, refuse, stride, with_values, GpuInputs, Inputs, Kwargs, Layer, Outputs, Values,
};
use crate::context::Context;
use crate::cpu;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A max_unpool call: the options and the `output_size` it is called with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MaxUnpoolCall<const R: usize> {
    options: MaxUnpool<R>,
    output_size: Option<Vec<i64>>,
}

/// Builds `max_unpool{R}d` from `kwargs`, refusing arguments it does not take.
pub(crate) fn max_unpool<const R: usize>(kwargs: &Kwargs) -> Result<MaxUnpoolCall<R>> {
    let op = MaxUnpool::<R>::NAME;
    refuse(
        op,
        &[
            ("dilation", kwargs.dilation.is_some()),
            ("ceil_mode", kwargs.ceil_mode.is_some()),
            ("count_include_pad", kwargs.count_include_pad.is_some()),
            ("divisor_override", kwargs.divisor_override.is_some()),
            ("return_indices", kwargs.return_indices),
            ("output_ratio", kwargs.output_ratio.is_some()),
            ("norm_type", kwargs.norm_type.is_some()),
        ],
    )?;
    let output_size = kwargs
        .output_size
        .as_deref()
        .map(|sizes| explicit_sizes(op, sizes))
        .transpose()?;
    Ok(MaxUnpoolCall {
        options: MaxUnpool::<R> {
            kernel_size: dims_or(op, "kernel_size", &kwargs.kernel_size, None)?,
            stride: stride(op, &kwargs.stride)?,
            padding: dims_or(op, "padding", &kwargs.padding, Some(0))?,
        },
        output_size,
    })
}

/// The sizes of `output_size`, refusing `none` entries: they keep an input size in the
/// adaptive ops, but an unpooled size is never the input's.
fn explicit_sizes(op: &'static str, sizes: &[Option<i64>]) -> Result<Vec<i64>> {
    sizes.iter().copied().collect::<Option<_>>().ok_or_else(|| {
        let text: Vec<String> = sizes
            .iter()
            .map(|s| s.map_or("none".into(), |s| s.to_string()))
            .collect();
        Error::argument(
            op,
            "output_size",
            format!(
                "every output size must be an int, but got {}",
                text.join(",")
            ),
        )
    })
}

impl<const R: usize> MaxUnpoolCall<R> {
    /// The indices, which unpooling cannot do without; refuses `random_samples`.
    fn indices<'a>(&self, inputs: &'a Inputs) -> Result<&'a crate::Array<i64>> {
        let op = MaxUnpool::<R>::NAME;
        refuse(op, &[("random_samples", inputs.random_samples.is_some())])?;
        inputs.indices.as_ref().ok_or_else(|| {
            Error::argument(
                op,
                "indices",
                "is required (the int64 positions to unpool to)".into(),
            )
        })
    }

    /// [`MaxUnpoolCall::indices`] for inputs on the GPU.
    fn gpu_indices<'a>(&self, inputs: &'a GpuInputs) -> Result<&'a Tensor<i64>> {
        let op = MaxUnpool::<R>::NAME;
        refuse(op, &[("random_samples", inputs.random_samples.is_some())])?;
        inputs
            .indices
            .as_ref()
            .ok_or_else(|| Error::argument(op, "indices", "is required".into()))
    }
}

impl<const R: usize> Layer for MaxUnpoolCall<R> {
    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        let indices = self.gpu_indices(inputs)?;
        let plan = self.options.plan(
            inputs.input.shape(),
            indices.shape(),
            self.output_size.as_deref(),
        )?;
        Ok(plan.output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        _indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        let indices = self.gpu_indices(inputs)?;
        let output_size = self.output_size.as_deref();
        let status = with_values!(&inputs.input, values, |input, values| {
            self.options
                .encode_into(ctx, encoder, input, indices, output_size, values)
        })?;
        Ok(Some(status))
    }

    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        let indices = self.indices(inputs)?;
        let plan = self.options.plan(
            &inputs.input.shape,
            &indices.shape,
            self.output_size.as_deref(),
        )?;
        Ok(plan.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, _indices: bool) -> Result<Outputs> {
        let (input, indices) = (&inputs.input, self.indices(inputs)?);
        let values = cpu::max_unpool(
            &self.options,
            &input.data,
            &input.shape,
            &indices.data,
            &indices.shape,
            self.output_size.as_deref(),
        )?;
        Ok(Outputs {
            values,
            indices: None,
        })
    }
}
