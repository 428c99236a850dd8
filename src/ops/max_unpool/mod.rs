//! MaxUnpool1d/2d/3d: options, validation and GPU recording. CPU twin: `cpu::max_unpool`.
//!
//! The GPU unpools max pooling's indices by windows (`shaders/max_unpool_windows.wgsl`): a
//! check that every index lies inside the pooling window it came from, then one gather in which
//! every output looks for its index among the few windows covering it. Any other indices take
//! the board of winners (`shaders/max_unpool.wgsl`): a scatter in which every input element
//! claims its output position with `atomicMax` on a board (the context's scratch buffer,
//! cleared first), then a gather in which every output element takes its winner's value, or
//! zero. The check writes which passes run into the workgroup counts they are dispatched with,
//! so nothing waits for the GPU. Either way the result does not depend on scheduling.

mod counts;
pub(crate) mod layer;
mod passes;
mod plan;
mod status;

pub use plan::UnpoolPlan;
pub use status::{UnpoolPath, UnpoolStatus};

use crate::context::Context;
use crate::dims::IntoDims;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::memory_format::MemoryFormat;
use crate::ops::formats::{call_format, on_contiguous, Operands};
use crate::ops::output_like;
use crate::tensor::Tensor;
use counts::counts_buffer;
use passes::Passes;

/// `torch.nn.MaxUnpoolNd` for `R` spatial dims: use [`MaxUnpool1d`], [`MaxUnpool2d`] or
/// [`MaxUnpool3d`]. The partial inverse of max pooling: called with the pooled values and their
/// int64 indices, it writes every value to its index in a zero-filled output.
///
/// - `kernel_size`, `stride` and `padding` only set the default output size,
///   `(in - 1) * stride + kernel_size - 2 * padding` per dim; an explicit `output_size` must lie
///   strictly within `stride` of it.
/// - Indices are flat offsets in the row-major layout of the *output* plane (whatever the pooled
///   input's size was). One outside `[0, output plane size)` is an error,
///   [`Error::InvalidIndex`], and the output is discarded.
/// - When several inputs of a plane name the same output position, the last one in row-major
///   order wins on every backend: PyTorch's CPU result (its own GPU result is undefined).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxUnpool<const R: usize> {
    /// The pooling's window size per dim.
    pub kernel_size: [i64; R],
    /// The pooling's step per dim; `None` means `kernel_size` (PyTorch's default).
    pub stride: Option<[i64; R]>,
    /// The pooling's padding per dim.
    pub padding: [i64; R],
}

/// `torch.nn.MaxUnpool1d`: input and indices `(N, C, L)` or `(C, L)`.
pub type MaxUnpool1d = MaxUnpool<1>;
/// `torch.nn.MaxUnpool2d`: input and indices `(N, C, H, W)` or `(C, H, W)`.
pub type MaxUnpool2d = MaxUnpool<2>;
/// `torch.nn.MaxUnpool3d`: input and indices `(N, C, D, H, W)` or `(C, D, H, W)`.
pub type MaxUnpool3d = MaxUnpool<3>;

impl<const R: usize> MaxUnpool<R> {
    /// PyTorch's defaults: stride = kernel, padding 0.
    pub fn new(kernel_size: impl IntoDims<R>) -> Self {
        MaxUnpool {
            kernel_size: kernel_size.into_dims(),
            stride: None,
            padding: [0; R],
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

    /// The `torch.nn.functional` name: `max_unpool1d`, `max_unpool2d` or `max_unpool3d`.
    pub const NAME: &'static str = ["max_unpool1d", "max_unpool2d", "max_unpool3d"][R - 1];

    /// Records the unpooling of `input` to `indices` into the caller's `encoder`, writing into
    /// the caller's `output` (shape from [`MaxUnpool::plan`]). Nothing is submitted or read
    /// back, so invalid indices are not known yet: submit the encoder, then call
    /// [`UnpoolStatus::check`] before trusting `output`.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        indices: &Tensor<i64>,
        output_size: Option<&[i64]>,
        output: &Tensor<T>,
    ) -> Result<UnpoolStatus> {
        let op = Self::NAME;
        let plan = self.plan(input.shape(), indices.shape(), output_size)?;
        if output.shape() != plan.output_shape.as_slice() {
            return Err(Error::TensorMismatch(format!(
                "{op}: the float32 output tensor has shape {:?}, but the op produces {:?}",
                output.shape(),
                plan.output_shape
            )));
        }
        // The shaders index whole tensors (and the input positions + 1) in u32, and divide by
        // the plane size with `divide`, which holds below 2^31.
        let limit = i32::MAX as u64;
        for (what, needed) in [
            ("the input", plan.input_len() as u64),
            ("the output", plan.output_len() as u64),
        ] {
            if needed > limit {
                return Err(Error::TooLarge {
                    what: format!("{op}: {what} ({needed} elements)"),
                    needed,
                    limit,
                });
            }
        }

        // The window path, where the windows are small and the GPU can size dispatches.
        let windows = self.windows(&plan).filter(|_| ctx.runs_indirect());
        let counts = match (&windows, plan.output_len()) {
            (Some(window), 1..) => Some(counts_buffer(ctx, |pass| {
                Passes::counts(ctx, &plan, window, pass)
            })?),
            _ => None,
        };
        let status = Tensor::<i64>::empty(ctx, &[2])?;
        let output = Operands::new(output, None);
        call_format(ctx, op, Operands::new(input, Some(indices)), output)?;
        on_contiguous(ctx, encoder, op, input, output, |encoder, input, output| {
            encoder.clear_buffer(status.buffer(), 0, None);
            // PyTorch skips the kernel for an empty output, so then no index is checked either.
            if plan.output_len() == 0 {
                return Ok(());
            }
            let indices =
                indices.encode_to_memory_format(ctx, encoder, MemoryFormat::Contiguous)?;
            let passes = Passes {
                ctx,
                plan: &plan,
                dtype: T::DTYPE,
                status: status.buffer(),
                indices: indices.buffer(),
                board: &ctx.scratch(plan.output_len() as u64 * 4)?,
                input: input.buffer(),
                output: output.values.buffer(),
            };
            match (&windows, &counts) {
                (Some(window), Some(counts)) => {
                    passes.record_windows(encoder, window, counts.buffer())
                }
                _ => passes.record_board(encoder, None),
            }
        })?;
        Ok(UnpoolStatus::new(op, plan, status, counts))
    }

    /// Records the unpooling into `encoder`, allocating the output. As with
    /// [`MaxUnpool::encode_into`], check the returned status after submitting.
    pub fn encode<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        indices: &Tensor<i64>,
        output_size: Option<&[i64]>,
    ) -> Result<(Tensor<T>, UnpoolStatus)> {
        let shape = self
            .plan(input.shape(), indices.shape(), output_size)?
            .output_shape;
        let output = output_like(ctx, input, &shape)?;
        let status = self.encode_into(ctx, encoder, input, indices, output_size, &output)?;
        Ok((output, status))
    }

    /// Unpools `input` to `indices` on the GPU. Unlike the pooling layers' `forward`, this
    /// waits for the GPU to read back the status, so that an invalid index is returned as
    /// [`Error::InvalidIndex`] rather than left in a silently wrong output; use
    /// [`MaxUnpool::encode`] to chain without waiting.
    pub fn forward<T: Float>(
        &self,
        ctx: &Context,
        input: &Tensor<T>,
        indices: &Tensor<i64>,
        output_size: Option<&[i64]>,
    ) -> Result<Tensor<T>> {
        let mut encoder = ctx.encoder();
        let (output, status) = self.encode(ctx, &mut encoder, input, indices, output_size)?;
        ctx.submit(encoder)?;
        status.check(ctx)?;
        Ok(output)
    }
}
