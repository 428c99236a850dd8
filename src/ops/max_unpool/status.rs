//! What an unpooling recorded without a read-back leaves to check: invalid indices are only
//! found on the GPU, while the work runs, and so is the path the work takes.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::counts::NOT_IN_WINDOW;
use super::UnpoolPlan;

/// How the GPU unpooled: [`UnpoolStatus::path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpoolPath {
    /// One gather over the pooling windows: every index lay inside the window it came from
    /// (max pooling's indices with the same kernel, stride and padding always do).
    Windows,
    /// The board of winners (a board of one word per output cleared, a scatter with atomics,
    /// a gather): some index lay outside its window, a kernel or stride is above 8 or a
    /// padding above the kernel, or the device cannot size dispatches from a buffer.
    Board,
    /// Nothing ran: the output is empty.
    Empty,
}

/// The outcome of one recorded unpooling, to [`check`](UnpoolStatus::check) once the work has
/// been submitted. Until `check` returns `Ok`, the output is not valid: an index outside its
/// output plane writes nothing (no out-of-bounds write), and PyTorch would have raised.
#[derive(Debug)]
#[must_use = "an invalid index is only reported by UnpoolStatus::check"]
pub struct UnpoolStatus {
    op: &'static str,
    plan: UnpoolPlan,
    /// Two int64s the shaders write: 1 + the position of the reported index (0: none), and
    /// the index itself.
    status: Tensor<i64>,
    /// The workgroup counts of the window path (`counts.rs`), when it was recorded: the GPU
    /// may still have turned to the board.
    counts: Option<Tensor<i64>>,
}

impl UnpoolStatus {
    pub(crate) fn new(
        op: &'static str,
        plan: UnpoolPlan,
        status: Tensor<i64>,
        counts: Option<Tensor<i64>>,
    ) -> Self {
        UnpoolStatus {
            op,
            plan,
            status,
            counts,
        }
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
        match words[..] {
            [0, ..] => Ok(()),
            [position, index, ..] => {
                Err(self.plan.invalid_index(self.op, index, position as u64 - 1))
            }
            _ => Err(Error::Gpu(format!(
                "{}: a status of {} words",
                self.op,
                words.len()
            ))),
        }
    }

    /// Waits for the work submitted so far and says which path it took: a way to see why an
    /// unpooling is slower than expected.
    pub fn path(&self, ctx: &Context) -> Result<UnpoolPath> {
        pollster::block_on(self.path_async(ctx))
    }

    /// [`UnpoolStatus::path`] as a future.
    pub async fn path_async(&self, ctx: &Context) -> Result<UnpoolPath> {
        let Some(counts) = &self.counts else {
            return Ok(match self.plan.output_len() {
                0 => UnpoolPath::Empty,
                _ => UnpoolPath::Board,
            });
        };
        let words = counts.download_async(ctx).await?;
        // NOT_IN_WINDOW is an int64's low word.
        Ok(match words.get(NOT_IN_WINDOW / 2) {
            Some(&word) if word as u32 == 0 => UnpoolPath::Windows,
            _ => UnpoolPath::Board,
        })
    }
}
