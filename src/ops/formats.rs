//! Memory formats at an op's boundary: every tensor of a call is in its input's format, and ops
//! without channels-last kernels run on contiguous copies.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::memory_format::MemoryFormat;
use crate::tensor::{Element, Tensor};

/// The tensors on one side of an op call: values, and int64 indices where the op reads or writes
/// them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operands<'a> {
    pub values: &'a Tensor,
    pub indices: Option<&'a Tensor<i64>>,
}

impl<'a> Operands<'a> {
    pub fn new(values: &'a Tensor, indices: Option<&'a Tensor<i64>>) -> Self {
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

/// The memory format of a call, the input's, after checking that every other tensor shares it.
pub(crate) fn call_format(
    op: &'static str,
    input: Operands,
    output: Operands,
) -> Result<MemoryFormat> {
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
pub(crate) fn on_contiguous<R>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    op: &'static str,
    input: &Tensor,
    output: Operands,
    record: impl FnOnce(&mut wgpu::CommandEncoder, &Tensor, Operands) -> Result<R>,
) -> Result<R> {
    if call_format(op, Operands::new(input, None), output)? == MemoryFormat::Contiguous {
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
