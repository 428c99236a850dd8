//! Memory formats at an op's boundary: every tensor of a call is in its input's format, and ops
//! without channels-last kernels run on contiguous copies.

use crate::context::Context;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::memory_format::MemoryFormat;
use crate::pipelines::{Kernel, WindowParams};
use crate::tensor::{Element, Tensor};

/// The tensors on one side of an op call: values, and int64 indices where the op reads or writes
/// them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operands<'a, T: Float> {
    pub values: &'a Tensor<T>,
    pub indices: Option<&'a Tensor<i64>>,
}

impl<'a, T: Float> Operands<'a, T> {
    pub fn new(values: &'a Tensor<T>, indices: Option<&'a Tensor<i64>>) -> Self {
        Operands { values, indices }
    }
}

fn require_format<T: Element>(
    op: &'static str,
    role: &str,
    tensor: &Tensor<T>,
    format: MemoryFormat,
) -> Result<()> {
    if tensor.memory_format() != format {
        return Err(Error::TensorMismatch(format!(
            "{op}: the {role} is {}, but the input is {}: outputs and indices follow the \
             input's memory format",
            tensor.memory_format().name(),
            format.name()
        )));
    }
    Ok(())
}

/// The memory format of a call, the input's, after checking that every other tensor shares it
/// and that the device can compute on the values' type.
pub(crate) fn call_format<T: Float>(
    ctx: &Context,
    op: &'static str,
    input: Operands<T>,
    output: Operands<T>,
) -> Result<MemoryFormat> {
    ctx.require_dtype(op, T::DTYPE)?;
    let format = input.values.memory_format();
    if let Some(indices) = input.indices {
        require_format(op, "indices input", indices, format)?;
    }
    require_format(op, "output", output.values, format)?;
    if let Some(indices) = output.indices {
        require_format(op, "indices output", indices, format)?;
    }
    Ok(format)
}

/// Records `record` on contiguous tensors. A channels-last input is converted into a contiguous
/// temporary, and `record` writes contiguous temporaries that are then converted into the
/// caller's outputs: two extra passes over the data, for ops without channels-last kernels.
pub(crate) fn on_contiguous<R, T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    op: &'static str,
    input: &Tensor<T>,
    output: Operands<T>,
    record: impl FnOnce(&mut wgpu::CommandEncoder, &Tensor<T>, Operands<T>) -> Result<R>,
) -> Result<R> {
    if call_format(ctx, op, Operands::new(input, None), output)? == MemoryFormat::Contiguous {
        return record(encoder, input, output);
    }
    let input = input.encode_to_memory_format(ctx, encoder, MemoryFormat::Contiguous)?;
    let values_out = Tensor::empty(ctx, output.values.shape())?;
    let indices_out = output
        .indices
        .map(|indices| Tensor::<i64>::empty(ctx, indices.shape()))
        .transpose()?;
    let result = record(
        encoder,
        &input,
        Operands::new(&values_out, indices_out.as_ref()),
    )?;
    values_out.encode_convert_into(ctx, encoder, output.values)?;
    if let (Some(from), Some(to)) = (&indices_out, output.indices) {
        from.encode_convert_into(ctx, encoder, to)?;
    }
    Ok(result)
}

/// Records `record` on f32 copies of the contiguous `input` and `output`: `input` widened before,
/// `record`'s f32 result rounded into `output` after. For kernels that carry partial results
/// in their output, which an f16 output would round each time.
pub(crate) fn on_f32<T: Float, R>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    input: &Tensor<T>,
    output: &Tensor<T>,
    record: impl FnOnce(&mut wgpu::CommandEncoder, &Tensor<f32>, &Tensor<f32>) -> Result<R>,
) -> Result<R> {
    let wide_input = Tensor::<f32>::empty(ctx, input.shape())?;
    let wide_output = Tensor::<f32>::empty(ctx, output.shape())?;
    convert::<T>(ctx, encoder, Kernel::Widen, input.buffer(), &wide_input)?;
    let result = record(encoder, &wide_input, &wide_output)?;
    convert::<T>(ctx, encoder, Kernel::Narrow, wide_output.buffer(), output)?;
    Ok(result)
}

/// Records `kernel` (widen or narrow) over the elements of `target`.
fn convert<T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    kernel: Kernel,
    source: &wgpu::Buffer,
    target: &Tensor<impl Element>,
) -> Result<()> {
    let total = u32::try_from(target.len()).map_err(|_| Error::TooLarge {
        what: format!("{}: elements", kernel.entry_point()),
        needed: target.len() as u64,
        limit: u32::MAX.into(),
    })?;
    let params = WindowParams {
        total,
        ..Default::default()
    };
    ctx.record_specialized(
        encoder,
        kernel,
        T::DTYPE,
        &[],
        bytemuck::bytes_of(&params),
        &[source, target.buffer()],
        total,
    )
}
