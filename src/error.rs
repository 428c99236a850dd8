//! The one error type of wgpool: every refusal says what was wrong and what was expected.

use thiserror::Error;

/// `Result` with wgpool's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wgpool.
///
/// Argument and shape errors are found before any GPU work is recorded, by the same validation
/// code the CPU reference uses, so both paths refuse exactly what PyTorch refuses.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A pooling argument PyTorch refuses (`kernel_size`, `stride`, `padding`, ...).
    #[error("{op}: {argument}: {message}")]
    InvalidArgument {
        /// The `torch.nn.functional` name of the op, e.g. `max_pool2d`.
        op: &'static str,
        /// The PyTorch keyword of the offending argument.
        argument: &'static str,
        /// The rule that was broken, with the values involved.
        message: String,
    },
    /// An input tensor whose shape PyTorch refuses for this op.
    #[error("{op}: {message}")]
    InvalidShape {
        /// The `torch.nn.functional` name of the op.
        op: &'static str,
        /// The rule that was broken, with the shape involved.
        message: String,
    },
    /// An op name [`call`](crate::call::call) does not know.
    #[error("{0}")]
    UnknownOp(String),
    /// A tensor handed to an op has the wrong element type or buffer size.
    #[error("{0}")]
    TensorMismatch(String),
    /// The work is valid for PyTorch but exceeds what this adapter (or 32-bit GPU indexing) can hold.
    #[error("{what} needs {needed}, but the limit is {limit}")]
    TooLarge {
        /// What is too large.
        what: String,
        /// The size asked for.
        needed: u64,
        /// The adapter's (or wgpool's) limit.
        limit: u64,
    },
    /// The device lacks a feature the work needs (`shader-f16` for float16 values).
    #[error("{what} needs the device feature {feature}, which this device was created without")]
    MissingFeature {
        /// The work refused.
        what: String,
        /// The missing feature's WebGPU name.
        feature: &'static str,
    },
    /// No adapter matched the requested backend (and `WGPU_ADAPTER_NAME`, when set).
    #[error("no GPU adapter found: {0}")]
    NoAdapter(String),
    /// The adapter refused to create a device.
    #[error("could not create a device on {adapter}: {source}")]
    RequestDevice {
        /// The adapter: name, backend and driver.
        adapter: String,
        /// wgpu's reason.
        source: wgpu::RequestDeviceError,
    },
    /// wgpu reported an error (validation, out of memory, device lost) while wgpool worked.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// `max_unpool*` met an index outside its output plane (PyTorch's "Found an invalid max
    /// index"). On the GPU it is found while the work runs, so it comes from
    /// [`UnpoolStatus::check`](crate::UnpoolStatus::check); the output is then not valid.
    #[error(
        "{op}: Found an invalid max index: {index} (output volumes are of size {output_volume}), \
         at flat position {position} of indices"
    )]
    InvalidIndex {
        /// The `torch.nn.functional` name of the op.
        op: &'static str,
        /// The offending index: the last invalid one in the indices' row-major order.
        index: i64,
        /// Its flat position in the indices tensor.
        position: u64,
        /// The output plane's size in PyTorch's words: `HxW`, `DxHxW`, or `Lx1` for 1d.
        output_volume: String,
    },
}

impl Error {
    pub(crate) fn argument(op: &'static str, argument: &'static str, message: String) -> Self {
        Error::InvalidArgument {
            op,
            argument,
            message,
        }
    }

    pub(crate) fn shape(op: &'static str, message: String) -> Self {
        Error::InvalidShape { op, message }
    }
}
