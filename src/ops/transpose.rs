//! Moving tensors between memory formats on the GPU: batched transposes.

use crate::context::Context;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::memory_format::{MemoryFormat, Transpose};
use crate::pipelines::{DivMagic, Kernel, WindowParams};
use crate::tensor::{Element, Tensor};

/// Records `transpose` of the elements of `T` in `input` into `output`.
fn encode_transpose<T: Element>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    transpose: Transpose,
    input: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Result<()> {
    let size = std::mem::size_of::<T>() as u64;
    let words = size.div_ceil(4);
    let elements = (transpose.batches * transpose.rows * transpose.cols) as u64;
    // Element indices are divided as i32s, word indices held in u32s.
    let limit = i32::MAX as u64 / words;
    if elements > limit {
        return Err(Error::TooLarge {
            what: format!(
                "a memory format conversion of {elements} {} elements",
                T::NAME
            ),
            needed: elements,
            limit,
        });
    }
    let (rows, cols) = (transpose.rows as u32, transpose.cols as u32);
    let params = WindowParams {
        total: elements as u32,
        input: [1, rows, cols],
        output: [1, cols, rows],
        div_w: DivMagic::new(rows),
        div_h: DivMagic::new(cols),
        div_d: DivMagic::new(1),
        ..Default::default()
    };
    let buffers = [input, output];
    if size == 2 {
        // f16: one invocation per output word of two elements.
        let invocations = params.total.div_ceil(2);
        let params = bytemuck::bytes_of(&params);
        let kernel = Kernel::TransposeHalves;
        return ctx.record_specialized(
            encoder,
            kernel,
            Dtype::F32,
            &[],
            params,
            &buffers,
            invocations,
        );
    }
    ctx.record_specialized(
        encoder,
        Kernel::Transpose,
        Dtype::F32,
        &[("WORDS", words as u32)],
        bytemuck::bytes_of(&params),
        &buffers,
        params.total,
    )
}

impl<T: Element> Tensor<T> {
    /// Records into `encoder` a copy of the tensor in `format` (PyTorch's
    /// `x.contiguous(memory_format=...)`); the tensor itself when it is in `format` already.
    pub fn encode_to_memory_format(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        format: MemoryFormat,
    ) -> Result<Tensor<T>> {
        if format == self.memory_format() {
            return Ok(self.clone());
        }
        let converted = Tensor::empty_with_format(ctx, self.shape(), format)?;
        self.encode_convert_into(ctx, encoder, &converted)?;
        Ok(converted)
    }

    /// Records into `encoder` the rearrangement of this tensor into `target`, a tensor of the
    /// same shape in the other memory format.
    pub(crate) fn encode_convert_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        target: &Tensor<T>,
    ) -> Result<()> {
        let shape = self.shape();
        let transpose = match (self.memory_format(), target.memory_format()) {
            (MemoryFormat::Contiguous, MemoryFormat::ChannelsLast) => {
                Transpose::to_channels_last(shape)
            }
            (MemoryFormat::ChannelsLast, MemoryFormat::Contiguous) => {
                Transpose::to_channels_last(shape).inverse()
            }
            (from, to) => {
                return Err(Error::TensorMismatch(format!(
                    "converting a {} tensor into a {} one",
                    from.name(),
                    to.name()
                )))
            }
        };
        encode_transpose::<T>(ctx, encoder, transpose, self.buffer(), target.buffer())
    }

    /// [`Tensor::encode_to_memory_format`], submitted.
    pub fn to_memory_format(&self, ctx: &Context, format: MemoryFormat) -> Result<Tensor<T>> {
        let mut encoder = ctx.encoder();
        let converted = self.encode_to_memory_format(ctx, &mut encoder, format)?;
        ctx.submit(encoder)?;
        Ok(converted)
    }
}
