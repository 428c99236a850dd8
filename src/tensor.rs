//! GPU tensors: a storage buffer and a shape, uploaded from and downloaded to host slices.

use std::marker::PhantomData;

use bytemuck::Pod;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::memory_format::MemoryFormat;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for half::f16 {}
    impl Sealed for i64 {}
}

/// Element types of wgpool tensors: `f32` or `f16` values and `i64` (PyTorch's int64) indices.
pub trait Element: Pod + sealed::Sealed + Send + Sync + std::fmt::Debug {
    /// NumPy's name for the type.
    const NAME: &'static str;
}

impl Element for f32 {
    const NAME: &'static str = "float32";
}

impl Element for half::f16 {
    const NAME: &'static str = "float16";
}

impl Element for i64 {
    const NAME: &'static str = "int64";
}

/// A tensor in a GPU storage buffer: its shape in PyTorch's order, and the order of its elements
/// in the buffer ([`MemoryFormat`]: row-major unless made channels-last).
///
/// wgpool allocates its own with [`Tensor::upload`] and [`Tensor::empty`]; a caller that owns a
/// buffer wraps it with [`Tensor::from_buffer`] and can pass it to any op. Ops write their
/// outputs in their input's memory format.
#[derive(Clone, Debug)]
pub struct Tensor<T: Element = f32> {
    buffer: wgpu::Buffer,
    shape: Vec<usize>,
    format: MemoryFormat,
    element: PhantomData<T>,
}

/// Bytes for `len` elements of `T`, checked, and never 0 (wgpu cannot bind an empty buffer).
fn byte_size<T: Element>(len: usize) -> Result<u64> {
    (len as u64)
        .checked_mul(std::mem::size_of::<T>() as u64)
        .map(|bytes| bytes.max(4).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT))
        .ok_or(Error::TooLarge {
            what: format!("a tensor of {len} {} elements", T::NAME),
            needed: u64::MAX,
            limit: u64::MAX,
        })
}

/// Number of elements of `shape`, refused past `usize`.
pub(crate) fn element_count(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| Error::TensorMismatch(format!("shape {shape:?} has too many elements")))
}

const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl<T: Element> Tensor<T> {
    /// Copies `data` (row-major, `shape`) into a new GPU buffer.
    pub fn upload(ctx: &Context, data: &[T], shape: &[usize]) -> Result<Self> {
        Self::upload_with_format(ctx, data, shape, MemoryFormat::Contiguous)
    }

    /// Copies `data`, already in `format`'s memory order for `shape`, into a new GPU buffer
    /// ([`MemoryFormat::from_contiguous`] rearranges row-major data on the host).
    pub fn upload_with_format(
        ctx: &Context,
        data: &[T],
        shape: &[usize],
        format: MemoryFormat,
    ) -> Result<Self> {
        let tensor = Self::empty_with_format(ctx, shape, format)?;
        if tensor.len() != data.len() {
            return Err(Error::TensorMismatch(format!(
                "shape {shape:?} holds {} elements, but {} were given",
                tensor.len(),
                data.len()
            )));
        }
        if !data.is_empty() {
            let bytes: &[u8] = bytemuck::cast_slice(data);
            // wgpu copies whole words: an odd number of f16s gets a zero half after it.
            let mut padded = bytes.to_vec();
            padded.resize(bytes.len().next_multiple_of(4), 0);
            ctx.queue().write_buffer(&tensor.buffer, 0, &padded);
        }
        Ok(tensor)
    }

    /// A new GPU tensor of `shape` with unspecified contents (zeros in practice: wgpu clears).
    pub fn empty(ctx: &Context, shape: &[usize]) -> Result<Self> {
        Self::empty_with_format(ctx, shape, MemoryFormat::Contiguous)
    }

    /// [`Tensor::empty`] in `format`.
    pub fn empty_with_format(ctx: &Context, shape: &[usize], format: MemoryFormat) -> Result<Self> {
        format.check(shape)?;
        let len = element_count(shape)?;
        let buffer = ctx.create_buffer("wgpool.tensor", byte_size::<T>(len)?, TENSOR_USAGE)?;
        Ok(Tensor {
            buffer,
            shape: shape.to_vec(),
            format,
            element: PhantomData,
        })
    }

    /// Wraps a caller's buffer. It needs `STORAGE` usage (and `COPY_SRC` to be downloaded) and at
    /// least `product(shape) * size_of::<T>()` bytes.
    pub fn from_buffer(buffer: wgpu::Buffer, shape: &[usize]) -> Result<Self> {
        Self::from_buffer_with_format(buffer, shape, MemoryFormat::Contiguous)
    }

    /// [`Tensor::from_buffer`] for a buffer whose elements lie in `format`'s order (an NHWC
    /// activation of an inference engine, say: `format` channels-last, `shape` `N, C, H, W`).
    pub fn from_buffer_with_format(
        buffer: wgpu::Buffer,
        shape: &[usize],
        format: MemoryFormat,
    ) -> Result<Self> {
        format.check(shape)?;
        let needed = byte_size::<T>(element_count(shape)?)?;
        if buffer.size() < needed {
            return Err(Error::TensorMismatch(format!(
                "a {} tensor of shape {shape:?} needs {needed} bytes, but the buffer has {}",
                T::NAME,
                buffer.size()
            )));
        }
        if !buffer.usage().contains(wgpu::BufferUsages::STORAGE) {
            return Err(Error::TensorMismatch(
                "a tensor's buffer needs wgpu::BufferUsages::STORAGE".into(),
            ));
        }
        Ok(Tensor {
            buffer,
            shape: shape.to_vec(),
            format,
            element: PhantomData,
        })
    }

    /// The storage buffer.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// The shape, PyTorch order.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The order of the elements in the buffer.
    pub fn memory_format(&self) -> MemoryFormat {
        self.format
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies the tensor back to the host in its memory order (see
    /// [`MemoryFormat::to_contiguous`]), waiting for all work submitted before.
    pub fn download(&self, ctx: &Context) -> Result<Vec<T>> {
        pollster::block_on(self.download_async(ctx))
    }

    /// [`Tensor::download`] as a future. On native backends the device is polled until the
    /// copy completes.
    pub async fn download_async(&self, ctx: &Context) -> Result<Vec<T>> {
        let len = self.len();
        if len == 0 {
            return Ok(Vec::new());
        }
        let bytes = byte_size::<T>(len)?;
        let staging = ctx.create_buffer(
            "wgpool.download",
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut encoder = ctx.encoder();
        encoder.copy_buffer_to_buffer(&self.buffer, 0, &staging, 0, bytes);
        ctx.submit(encoder)?;

        let (sender, receiver) = std::sync::mpsc::channel();
        staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                let _ = sender.send(result);
            });
        ctx.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
        receiver
            .recv()
            .map_err(|_| Error::Gpu("the download was dropped".into()))?
            .map_err(|e| Error::Gpu(format!("mapping the download: {e}")))?;
        let view = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| Error::Gpu(format!("reading the download: {e}")))?;
        // The mapping need not be aligned for T, so copy rather than cast in place.
        let data = bytemuck::pod_collect_to_vec::<u8, T>(&view[..len * std::mem::size_of::<T>()]);
        drop(view);
        staging.unmap();
        Ok(data)
    }
}
