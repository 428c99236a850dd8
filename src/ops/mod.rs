//! The pooling layers: options structs (`torch.nn`-style), validation, and GPU recording.

pub mod avg_pool;
pub mod copy;
pub mod fractional_max_pool;
pub mod lp_pool;
pub mod max_pool;
pub mod max_unpool;
pub(crate) mod power;
pub(crate) mod sliding;

pub mod adaptive;
pub mod adaptive_avg_pool;
pub mod adaptive_max_pool;

use crate::error::{Error, Result};
use crate::geometry::PoolPlan;
use crate::tensor::{Element, Tensor};

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
