//! A plain copy kernel: the yardstick the benchmark measures every op's bandwidth against.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::pipelines::{Kernel, WindowParams};
use crate::tensor::Tensor;

/// Records a copy of `input` into `output` (same number of elements) into `encoder`.
pub fn encode_copy(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    input: &Tensor,
    output: &Tensor,
) -> Result<()> {
    if input.len() != output.len() {
        return Err(Error::TensorMismatch(format!(
            "copy: {} elements into {}",
            input.len(),
            output.len()
        )));
    }
    let total = u32::try_from(input.len()).map_err(|_| Error::TooLarge {
        what: "copy: elements".into(),
        needed: input.len() as u64,
        limit: u32::MAX as u64,
    })?;
    let params = WindowParams {
        total,
        ..Default::default()
    };
    ctx.record(
        encoder,
        Kernel::Copy,
        bytemuck::bytes_of(&params),
        &[input.buffer(), output.buffer()],
        total,
    )
}
