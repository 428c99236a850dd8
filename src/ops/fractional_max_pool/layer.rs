//! fractional_max_pool2d/3d by name: options from PyTorch's keyword arguments, and the
//! [`Layer`] that [`Call`](crate::call::Call) runs (the CLI and the conformance tests).

use super::FractionalMaxPool;
use crate::array::Array;
use crate::call::{
    dims_or, refuse, with_values, GpuInputs, Inputs, Kwargs, Layer, Outputs, Values,
};
use crate::context::Context;
use crate::cpu;
use crate::error::{Error, Result};
use crate::ops::max_unpool::UnpoolStatus;
use crate::tensor::Tensor;

/// The options of `fractional_max_pool{R}d` from `kwargs`, refusing arguments it does not take.
/// Whether exactly one of output_size and output_ratio is given is checked by `plan`.
pub(crate) fn from_kwargs<const R: usize>(kwargs: &Kwargs) -> Result<FractionalMaxPool<R>> {
    let op = FractionalMaxPool::<R>::NAME;
    refuse(
        op,
        &[
            ("stride", kwargs.stride.is_some()),
            ("padding", kwargs.padding.is_some()),
            ("dilation", kwargs.dilation.is_some()),
            ("ceil_mode", kwargs.ceil_mode.is_some()),
            ("count_include_pad", kwargs.count_include_pad.is_some()),
            ("divisor_override", kwargs.divisor_override.is_some()),
            ("norm_type", kwargs.norm_type.is_some()),
        ],
    )?;
    let output_size = match &kwargs.output_size {
        None => None,
        Some(list) => {
            // PyTorch passes output_size on as a list of ints: None entries are a TypeError.
            let sizes: Option<Vec<i64>> = list.iter().copied().collect();
            let sizes = sizes.ok_or_else(|| {
                Error::argument(
                    op,
                    "output_size",
                    format!("must be ints, but got {list:?} (None keeps no size here)"),
                )
            })?;
            Some(dims_or(op, "output_size", &Some(sizes), None)?)
        }
    };
    let output_ratio = match &kwargs.output_ratio {
        None => None,
        Some(list) => Some(ratios_from_slice::<R>(op, list)?),
    };
    Ok(FractionalMaxPool {
        output_size,
        output_ratio,
        ..FractionalMaxPool::new(dims_or::<R>(op, "kernel_size", &kwargs.kernel_size, None)?)
    })
}

/// One ratio (broadcast) or one per spatial dim, as PyTorch's `_pair`/`_triple` take them.
fn ratios_from_slice<const R: usize>(op: &'static str, values: &[f64]) -> Result<[f64; R]> {
    match values {
        [one] => Ok([*one; R]),
        _ if values.len() == R => Ok(std::array::from_fn(|a| values[a])),
        _ => Err(Error::argument(
            op,
            "output_ratio",
            format!(
                "must be a single number or a tuple of {R} numbers, but got {} values",
                values.len()
            ),
        )),
    }
}

impl<const R: usize> FractionalMaxPool<R> {
    /// These options with the call's `random_samples`, when it has them.
    fn with_samples(&self, inputs: &Inputs) -> FractionalMaxPool<R> {
        self.with(inputs.random_samples.as_ref())
    }

    /// [`FractionalMaxPool::with_samples`] for inputs on the GPU.
    fn with_gpu_samples(&self, inputs: &GpuInputs) -> FractionalMaxPool<R> {
        self.with(inputs.random_samples.as_ref())
    }

    fn with(&self, samples: Option<&Array<f32>>) -> FractionalMaxPool<R> {
        let mut options = self.clone();
        if let Some(samples) = samples {
            options.random_samples = Some(samples.clone());
        }
        options
    }
}

impl<const R: usize> Layer for FractionalMaxPool<R> {
    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        refuse(Self::NAME, &[("indices", inputs.indices.is_some())])?;
        Ok(self
            .with_samples(inputs)
            .plan(&inputs.input.shape)?
            .pool
            .output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        let (values, index_array) =
            cpu::fractional_max_pool(&self.with_samples(inputs), &input.data, &input.shape)?;
        Ok(Outputs {
            values,
            indices: indices.then_some(index_array),
        })
    }

    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        Ok(self
            .with_gpu_samples(inputs)
            .plan(inputs.input.shape())?
            .pool
            .output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        let layer = self.with_gpu_samples(inputs);
        with_values!(&inputs.input, values, |input, values| {
            layer.encode_into(ctx, encoder, input, values, indices)
        })?;
        Ok(None)
    }

    fn drawn_samples(&self, inputs: &Inputs) -> Option<Array<f32>> {
        if inputs.random_samples.is_some() || self.random_samples.is_some() {
            return None;
        }
        let shape = &inputs.input.shape;
        let (batch, channels) = match shape.len() {
            n if n == R + 2 => (shape[0], shape[1]),
            n if n == R + 1 => (1, shape[0]),
            _ => return None,
        };
        Some(self.drawn_samples(batch, channels))
    }
}
