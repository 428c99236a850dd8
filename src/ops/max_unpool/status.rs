//! What an unpooling recorded without a read-back leaves to check: invalid indices are only
//! found on the GPU, while the work runs.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::UnpoolPlan;

/// The outcome of one recorded unpooling, to [`check`](UnpoolStatus::check) once the work has
/// been submitted. Until `check` returns `Ok`, the output is not valid: an index outside its
/// output plane writes nothing (no out-of-bounds write), and PyTorch would have raised.
#[derive(Debug)]
#[must_use = "an invalid index is only reported by UnpoolStatus::check"]
pub struct UnpoolStatus {
    op: &'static str,
    plan: UnpoolPlan,
    /// Two int64s the shaders write: 1 + the position of the reported index (0: none), and the
    /// index itself.
    status: Tensor<i64>,
}

impl UnpoolStatus {
    pub(crate) fn new(op: &'static str, plan: UnpoolPlan, status: Tensor<i64>) -> Self {
        UnpoolStatus { op, plan, status }
    }

    /// Waits for the work submitted so far (reading back 16 bytes) and returns
    /// [`Error::InvalidIndex`](crate::Error::InvalidIndex) naming the last invalid index in the
    /// indices' row-major order, the one PyTorch's serial loop reports.
    pub fn check(&self, ctx: &Context) -> Result<()> {
        pollster::block_on(self.check_async(ctx))
    }

    /// [`UnpoolStatus::check`] as a future.
    pub async fn check_async(&self, ctx: &Context) -> Result<()> {
        let words = self.status.download_async(ctx).await?;
        let [position, index] = <[i64; 2]>::try_from(words)
            .map_err(|w| Error::Gpu(format!("{}: a status of {} words", self.op, w.len())))?;
        match position {
            0 => Ok(()),
            _ => Err(self.plan.invalid_index(self.op, index, position as u64 - 1)),
        }
    }
}
