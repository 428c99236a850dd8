//! The pooling layers: options structs (`torch.nn`-style), validation, and GPU recording.

pub mod avg_pool;
pub mod copy;
pub(crate) mod formats;
pub mod fractional_max_pool;
pub mod lp_pool;
pub mod max_pool;
pub mod max_unpool;
pub(crate) mod power;
pub(crate) mod sliding;
mod transpose;

pub mod adaptive;
pub mod adaptive_avg_pool;
pub mod adaptive_max_pool;

use crate::context::Context;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::geometry::PoolPlan;
use crate::tensor::{Element, Tensor};

/// A new tensor of `shape` for an op's output: in `input`'s memory format, as PyTorch's outputs
/// follow their input's.
pub(crate) fn output_like<T: Element, V: Float>(
    ctx: &Context,
    input: &Tensor<V>,
    shape: &[usize],
) -> Result<Tensor<T>> {
    Tensor::empty_with_format(ctx, shape, input.memory_format())
}

/// Refuses an output tensor whose shape is not the one the op produces.
pub(crate) fn check_output<T: Element>(
    op: &'static str,
    plan: &PoolPlan,
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
