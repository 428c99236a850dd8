//! CPU references: plain loops that follow PyTorch's definitions, one file per shader, written to
//! be read side by side with it. They validate through the same `plan` functions as the GPU
//! path, so both refuse the same inputs; tests (and users checking their own hardware) compare
//! GPU results against them.

mod avg_pool;
mod fractional_max_pool;
mod lp_pool;
mod max_pool;
mod max_unpool;

pub use avg_pool::avg_pool;
pub use fractional_max_pool::fractional_max_pool;
pub use lp_pool::lp_pool;
pub use max_pool::max_pool;
pub use max_unpool::max_unpool;

mod adaptive_pool;
pub use adaptive_pool::{adaptive_avg_pool, adaptive_max_pool};

pub use crate::array::Array;
use crate::error::{Error, Result};
use crate::geometry::PoolPlan;

/// Refuses host data whose length is not the shape's element count.
fn check_len(op: &'static str, plan: &PoolPlan, input: &[f32]) -> Result<()> {
    let expected: usize = plan.input_shape.iter().product();
    if input.len() != expected {
        return Err(Error::TensorMismatch(format!(
            "{op}: shape {:?} holds {expected} elements, but {} were given",
            plan.input_shape,
            input.len()
        )));
    }
    Ok(())
}

/// Row-major offset of `(d, h, w)` inside a plane of sizes `dims` (PyTorch's index encoding).
fn plane_offset(dims: [u64; 3], d: i64, h: i64, w: i64) -> i64 {
    (d * dims[1] as i64 + h) * dims[2] as i64 + w
}
