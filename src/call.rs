//! Any op by its `torch.nn.functional` name, with PyTorch-style keyword arguments: what the CLI,
//! the conformance tests and the self-test run.

use crate::array::Array;
use crate::context::Context;
use crate::cpu;
use crate::dims::dims_from_slice;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::memory_format::MemoryFormat;
use crate::ops::avg_pool::AvgPool;
use crate::ops::fractional_max_pool;
use crate::ops::lp_pool;
use crate::ops::max_pool::MaxPool;
use crate::ops::max_unpool::layer::max_unpool;
use crate::ops::max_unpool::UnpoolStatus;
use crate::ops::{adaptive_avg_pool, adaptive_max_pool};
use crate::planes::{self, PlaneSizes};
use crate::tensor::{Element, Tensor};
use half::f16;

/// The ops [`call`] knows, by `torch.nn.functional` name.
pub const OPS: [&str; 20] = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
];

/// PyTorch's keyword arguments; `None` means "not passed" (PyTorch's default). Lists may have one
/// element (broadcast) or one per spatial dim; an empty `stride` means "same as kernel_size".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kwargs {
    /// `kernel_size`.
    pub kernel_size: Option<Vec<i64>>,
    /// `stride`.
    pub stride: Option<Vec<i64>>,
    /// `padding`.
    pub padding: Option<Vec<i64>>,
    /// `dilation` (max pooling).
    pub dilation: Option<Vec<i64>>,
    /// `ceil_mode`.
    pub ceil_mode: Option<bool>,
    /// `count_include_pad` (avg pooling).
    pub count_include_pad: Option<bool>,
    /// `divisor_override` (avg pooling, 2d/3d).
    pub divisor_override: Option<i64>,
    /// `return_indices` (max pooling).
    pub return_indices: bool,
    /// `output_size` (adaptive, fractional, unpool); `None` entries keep that input size.
    pub output_size: Option<Vec<Option<i64>>>,
    /// `output_ratio` (fractional).
    pub output_ratio: Option<Vec<f64>>,
    /// `norm_type` (LP pooling).
    pub norm_type: Option<f64>,
}

/// The tensors an op call reads: the input, and for some ops a second one.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// The tensor to pool.
    pub input: Array<f32>,
    /// The int64 positions to unpool to (`max_unpool*`).
    pub indices: Option<Array<i64>>,
    /// PyTorch's `_random_samples`, `(N, C, dims)` in `[0, 1)` (`fractional_max_pool*`).
    pub random_samples: Option<Array<f32>>,
}

impl Inputs {
    /// Just an input tensor.
    pub fn new(input: Array<f32>) -> Self {
        Inputs {
            input,
            indices: None,
            random_samples: None,
        }
    }
}

/// Where [`call`] runs the op.
#[derive(Clone, Copy, Debug)]
pub enum Device<'a> {
    /// The CPU reference.
    Cpu,
    /// A GPU context.
    Gpu(&'a Context),
}

/// An op's results: values, and the int64 indices when `return_indices` was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Outputs {
    /// The pooled values.
    pub values: Array<f32>,
    /// Plane-flat int64 indices of the maxima.
    pub indices: Option<Array<i64>>,
}

/// One op with its options, built from its name and keyword arguments by [`Call::new`].
pub trait Layer: std::fmt::Debug + Send + Sync {
    /// Validates the options against the inputs' shapes and returns the output shape. Refuses
    /// inputs the op does not read (an `indices` tensor for max pooling, say).
    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>>;
    /// Runs the op on the CPU reference; `indices` asks for the int64 indices too (ops that
    /// produce them).
    fn run_cpu(&self, inputs: &Inputs, indices: bool) -> Result<Outputs>;
    /// The random samples the op draws when `inputs` has none (fractional max pooling), so
    /// that work split into pieces of planes uses the samples of the whole.
    fn drawn_samples(&self, _inputs: &Inputs) -> Option<Array<f32>> {
        None
    }
    /// [`Layer::output_shape`] for inputs already on the GPU.
    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>>;
    /// Records the op into `encoder` on GPU tensors, writing into the caller's `values` (and
    /// `indices`, for ops that produce them); nothing is submitted. Returns max_unpool's status.
    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>>;
}

/// A GPU tensor of values of either float type: what a [`Call`] pools.
#[derive(Clone, Debug)]
pub enum Values {
    /// float32 values.
    F32(Tensor<f32>),
    /// float16 values (computed in f32).
    F16(Tensor<f16>),
}

impl Values {
    /// A new tensor of `dtype` values, `shape`, in `format` (zeros in practice).
    pub fn empty(
        ctx: &Context,
        dtype: Dtype,
        shape: &[usize],
        format: MemoryFormat,
    ) -> Result<Self> {
        Ok(match dtype {
            Dtype::F32 => Values::F32(Tensor::empty_with_format(ctx, shape, format)?),
            Dtype::F16 => Values::F16(Tensor::empty_with_format(ctx, shape, format)?),
        })
    }

    /// `array` (row-major) in a new GPU tensor of `dtype` values (rounded to nearest) in
    /// `format`.
    pub fn upload(
        ctx: &Context,
        array: &Array<f32>,
        dtype: Dtype,
        format: MemoryFormat,
    ) -> Result<Self> {
        Ok(match dtype {
            Dtype::F32 => Values::F32(upload(ctx, array, format)?),
            Dtype::F16 => Values::F16(upload(ctx, &array.map(f16::from_f32), format)?),
        })
    }

    /// The values read back row-major, widened to f32 (exactly).
    pub fn download(&self, ctx: &Context) -> Result<Array<f32>> {
        Ok(match self {
            Values::F32(tensor) => download(ctx, tensor)?,
            Values::F16(tensor) => download(ctx, tensor)?.map(f16::to_f32),
        })
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Values::F32(_) => Dtype::F32,
            Values::F16(_) => Dtype::F16,
        }
    }

    /// The shape, PyTorch order.
    pub fn shape(&self) -> &[usize] {
        match self {
            Values::F32(tensor) => tensor.shape(),
            Values::F16(tensor) => tensor.shape(),
        }
    }

    /// The order of the elements in the buffer.
    pub fn memory_format(&self) -> MemoryFormat {
        match self {
            Values::F32(tensor) => tensor.memory_format(),
            Values::F16(tensor) => tensor.memory_format(),
        }
    }
}

/// Runs `$body` with `$input` and `$values` bound to the tensors inside two [`Values`] of the
/// same type (an op's generic methods take either), or returns a mismatch error.
macro_rules! with_values {
    ($input:expr, $values:expr, |$i:ident, $v:ident| $body:expr) => {
        match ($input, $values) {
            ($crate::call::Values::F32($i), $crate::call::Values::F32($v)) => $body,
            ($crate::call::Values::F16($i), $crate::call::Values::F16($v)) => $body,
            (input, values) => Err($crate::call::dtype_mismatch(input, values)),
        }
    };
}
pub(crate) use with_values;

/// The error for an output whose element type is not the input's.
pub(crate) fn dtype_mismatch(input: &Values, values: &Values) -> Error {
    Error::TensorMismatch(format!(
        "the output holds {} values, but the input holds {}: outputs take their input's dtype",
        values.dtype(),
        input.dtype()
    ))
}

/// The tensors an op reads, on the GPU (the random samples stay on the host: the window
/// starts are computed there).
#[derive(Debug)]
pub struct GpuInputs {
    /// The tensor to pool.
    pub input: Values,
    /// The int64 positions to unpool to.
    pub indices: Option<Tensor<i64>>,
    /// PyTorch's `_random_samples`.
    pub random_samples: Option<Array<f32>>,
}

impl GpuInputs {
    /// Uploads `inputs` as float32.
    pub fn upload(ctx: &Context, inputs: &Inputs) -> Result<Self> {
        Self::upload_with_format(ctx, inputs, Dtype::F32, MemoryFormat::Contiguous)
    }

    /// Uploads `inputs` (row-major) into GPU tensors in `format`, the input's values as `dtype`.
    pub fn upload_with_format(
        ctx: &Context,
        inputs: &Inputs,
        dtype: Dtype,
        format: MemoryFormat,
    ) -> Result<Self> {
        Ok(GpuInputs {
            input: Values::upload(ctx, &inputs.input, dtype, format)?,
            indices: match &inputs.indices {
                Some(indices) => Some(upload(ctx, indices, format)?),
                None => None,
            },
            random_samples: inputs.random_samples.clone(),
        })
    }
}

/// The tensors an op wrote, on the GPU.
#[derive(Debug)]
pub struct GpuOutputs {
    /// The pooled values, of the input's type.
    pub values: Values,
    /// The int64 indices, when asked for.
    pub indices: Option<Tensor<i64>>,
    /// A check the GPU filled in, to read after submitting (max_unpool's index check).
    pub status: Option<UnpoolStatus>,
}

/// An op call: the layer and whether indices were asked for.
#[derive(Debug)]
pub struct Call {
    /// The op with its validated-on-use options.
    pub layer: Box<dyn Layer>,
    /// PyTorch's `return_indices`.
    pub return_indices: bool,
    /// Spatial dims of the op (1, 2 or 3).
    pub rank: usize,
    /// The memory format [`Call::run`] puts the tensors in on the GPU; host arrays stay
    /// row-major. Work split into pieces of planes runs contiguous.
    pub memory_format: MemoryFormat,
    /// The values' element type [`Call::run`] computes on: host arrays hold f32, rounded to
    /// this type on the way in and out.
    pub dtype: Dtype,
}

impl Call {
    /// Builds the op `name` from `kwargs`, refusing arguments the op does not take.
    pub fn new(name: &str, kwargs: &Kwargs) -> Result<Call> {
        let layer: Box<dyn Layer> = match name {
            "max_pool1d" => Box::new(max_pool::<1>(kwargs)?),
            "max_pool2d" => Box::new(max_pool::<2>(kwargs)?),
            "max_pool3d" => Box::new(max_pool::<3>(kwargs)?),
            "avg_pool1d" => Box::new(avg_pool::<1>(kwargs)?),
            "avg_pool2d" => Box::new(avg_pool::<2>(kwargs)?),
            "avg_pool3d" => Box::new(avg_pool::<3>(kwargs)?),
            "max_unpool1d" => Box::new(max_unpool::<1>(kwargs)?),
            "max_unpool2d" => Box::new(max_unpool::<2>(kwargs)?),
            "max_unpool3d" => Box::new(max_unpool::<3>(kwargs)?),
            "fractional_max_pool2d" => Box::new(fractional_max_pool::from_kwargs::<2>(kwargs)?),
            "fractional_max_pool3d" => Box::new(fractional_max_pool::from_kwargs::<3>(kwargs)?),
            "lp_pool1d" => Box::new(lp_pool::from_kwargs::<1>(kwargs)?),
            "lp_pool2d" => Box::new(lp_pool::from_kwargs::<2>(kwargs)?),
            "lp_pool3d" => Box::new(lp_pool::from_kwargs::<3>(kwargs)?),
            "adaptive_avg_pool1d" => Box::new(adaptive_avg_pool::from_kwargs::<1>(kwargs)?),
            "adaptive_avg_pool2d" => Box::new(adaptive_avg_pool::from_kwargs::<2>(kwargs)?),
            "adaptive_avg_pool3d" => Box::new(adaptive_avg_pool::from_kwargs::<3>(kwargs)?),
            "adaptive_max_pool1d" => Box::new(adaptive_max_pool::from_kwargs::<1>(kwargs)?),
            "adaptive_max_pool2d" => Box::new(adaptive_max_pool::from_kwargs::<2>(kwargs)?),
            "adaptive_max_pool3d" => Box::new(adaptive_max_pool::from_kwargs::<3>(kwargs)?),
            other => {
                return Err(Error::UnknownOp(format!(
                    "unknown op '{other}' (expected one of {})",
                    OPS.join(", ")
                )))
            }
        };
        Ok(Call {
            layer,
            return_indices: kwargs.return_indices,
            // Every op name ends in its rank: max_pool2d, adaptive_avg_pool3d, ...
            rank: match name.as_bytes() {
                [.., digit @ b'1'..=b'3', b'd'] => usize::from(digit - b'0'),
                _ => 1,
            },
            memory_format: MemoryFormat::Contiguous,
            dtype: Dtype::F32,
        })
    }

    /// Sets the values' element type [`Call::run`] uses.
    pub fn with_dtype(mut self, dtype: Dtype) -> Self {
        self.dtype = dtype;
        self
    }

    /// Sets the memory format [`Call::run`] uses on the GPU.
    pub fn with_memory_format(mut self, memory_format: MemoryFormat) -> Self {
        self.memory_format = memory_format;
        self
    }

    /// Validates against the inputs' shapes (no GPU work) and returns the output shape.
    pub fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        self.layer.output_shape(inputs)
    }

    /// Records the call into `encoder` on GPU tensors (validated first), allocating its
    /// outputs in the input's memory format; nothing is submitted. wgpu zero-fills a new buffer
    /// before its first use, so callers that run often should allocate once and use
    /// [`Call::encode_into`].
    pub fn encode(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
    ) -> Result<GpuOutputs> {
        let shape = self.layer.gpu_output_shape(inputs)?;
        let format = inputs.input.memory_format();
        let values = Values::empty(ctx, inputs.input.dtype(), &shape, format)?;
        let indices = self
            .return_indices
            .then(|| Tensor::empty_with_format(ctx, &shape, format))
            .transpose()?;
        let status = self.encode_into(ctx, encoder, inputs, &values, indices.as_ref())?;
        Ok(GpuOutputs {
            values,
            indices,
            status,
        })
    }

    /// Records the call into `encoder`, writing into the caller's `values` and, exactly when
    /// `return_indices` was asked for, `indices` (shapes from [`Call::output_shape`]). Returns
    /// max_unpool's status, to check after submitting.
    pub fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        if indices.is_some() != self.return_indices {
            return Err(Error::TensorMismatch(format!(
                "return_indices is {}, but an indices tensor was {}given",
                self.return_indices,
                if indices.is_some() { "" } else { "not " }
            )));
        }
        self.layer
            .encode_into(ctx, encoder, inputs, values, indices)
    }

    /// Runs the call on `device`. Arguments are validated before any GPU work.
    ///
    /// On the GPU, inputs or outputs larger than one storage binding (or buffer) run in pieces
    /// of whole `(n, c)` planes. On the CPU, float16 calls round the input to f16, compute in
    /// f32 and round the values once, as the GPU does.
    pub fn run(&self, inputs: &Inputs, device: Device) -> Result<Outputs> {
        let output_shape = self.layer.output_shape(inputs)?;
        let Device::Gpu(ctx) = device else {
            return self.run_cpu(inputs);
        };
        let sizes = PlaneSizes::new(inputs, self.rank, &output_shape, self.return_indices);
        let chunks = sizes.chunks(ctx)?;
        if chunks.len() <= 1 {
            return self.run_gpu(ctx, inputs, self.memory_format);
        }
        let drawn = self.layer.drawn_samples(inputs);
        let samples = drawn.as_ref().or(inputs.random_samples.as_ref());
        let mut values = Vec::new();
        let mut indices = self.return_indices.then(Vec::new);
        for range in &chunks {
            let piece = planes::slice(inputs, samples, self.rank, range);
            let part = self.run_gpu(ctx, &piece, MemoryFormat::Contiguous)?;
            values.extend(part.values.data);
            if let (Some(all), Some(part)) = (indices.as_mut(), part.indices) {
                all.extend(part.data);
            }
        }
        Ok(Outputs {
            values: Array {
                shape: output_shape.clone(),
                data: values,
            },
            indices: indices.map(|data| Array {
                shape: output_shape,
                data,
            }),
        })
    }
}

impl Call {
    /// The CPU reference, with float16's roundings around it.
    fn run_cpu(&self, inputs: &Inputs) -> Result<Outputs> {
        if self.dtype == Dtype::F32 {
            return self.layer.run_cpu(inputs, self.return_indices);
        }
        let rounded = Inputs {
            input: inputs.input.map(|x| self.dtype.round(x)),
            ..inputs.clone()
        };
        let outputs = self.layer.run_cpu(&rounded, self.return_indices)?;
        Ok(Outputs {
            values: outputs.values.map(|x| self.dtype.round(x)),
            ..outputs
        })
    }

    /// Uploads in `format`, records, submits, checks and reads back one piece of work.
    fn run_gpu(&self, ctx: &Context, inputs: &Inputs, format: MemoryFormat) -> Result<Outputs> {
        let gpu = GpuInputs::upload_with_format(ctx, inputs, self.dtype, format)?;
        let mut encoder = ctx.encoder();
        let outputs = self.encode(ctx, &mut encoder, &gpu)?;
        ctx.submit(encoder)?;
        if let Some(status) = &outputs.status {
            status.check(ctx)?;
        }
        Ok(Outputs {
            values: outputs.values.download(ctx)?,
            indices: match &outputs.indices {
                Some(indices) => Some(download(ctx, indices)?),
                None => None,
            },
        })
    }
}

/// Builds and runs `op` on `inputs` with `kwargs` in one go.
pub fn call(op: &str, kwargs: &Kwargs, inputs: &Inputs, device: Device) -> Result<Outputs> {
    Call::new(op, kwargs)?.run(inputs, device)
}

/// Refuses keyword arguments the op does not take.
pub(crate) fn refuse(op: &'static str, given: &[(&'static str, bool)]) -> Result<()> {
    match given.iter().find(|(_, present)| *present) {
        Some((argument, _)) => Err(Error::argument(
            op,
            argument,
            format!("{op} takes no {argument}"),
        )),
        None => Ok(()),
    }
}

/// Refuses the second inputs (`indices`, `random_samples`) for ops that read only `input`.
pub(crate) fn input_only(op: &'static str, inputs: &Inputs) -> Result<()> {
    refuse(
        op,
        &[
            ("indices", inputs.indices.is_some()),
            ("random_samples", inputs.random_samples.is_some()),
        ],
    )
}

/// Kwargs that only the sliding-window families take.
pub(crate) fn refuse_non_sliding(op: &'static str, kwargs: &Kwargs) -> Result<()> {
    refuse(
        op,
        &[
            ("output_size", kwargs.output_size.is_some()),
            ("output_ratio", kwargs.output_ratio.is_some()),
            ("norm_type", kwargs.norm_type.is_some()),
        ],
    )
}

pub(crate) fn dims_or<const R: usize>(
    op: &'static str,
    argument: &'static str,
    value: &Option<Vec<i64>>,
    default: Option<i64>,
) -> Result<[i64; R]> {
    match (value, default) {
        (Some(list), _) => dims_from_slice(op, argument, list),
        (None, Some(default)) => Ok([default; R]),
        (None, None) => Err(Error::argument(op, argument, "is required".into())),
    }
}

pub(crate) fn stride<const R: usize>(
    op: &'static str,
    value: &Option<Vec<i64>>,
) -> Result<Option<[i64; R]>> {
    match value {
        Some(list) if !list.is_empty() => dims_from_slice(op, "stride", list).map(Some),
        _ => Ok(None),
    }
}

/// `array` (row-major) in a new GPU tensor in `format`.
pub(crate) fn upload<T: Element>(
    ctx: &Context,
    array: &Array<T>,
    format: MemoryFormat,
) -> Result<Tensor<T>> {
    let data = format.from_contiguous(&array.data, &array.shape)?;
    Tensor::upload_with_format(ctx, &data, &array.shape, format)
}

/// `tensor` read back row-major.
pub(crate) fn download<T: Element>(ctx: &Context, tensor: &Tensor<T>) -> Result<Array<T>> {
    let data = tensor.download(ctx)?;
    Ok(Array {
        shape: tensor.shape().to_vec(),
        data: tensor
            .memory_format()
            .to_contiguous(&data, tensor.shape())?,
    })
}

fn max_pool<const R: usize>(kwargs: &Kwargs) -> Result<MaxPool<R>> {
    let op = MaxPool::<R>::NAME;
    refuse_non_sliding(op, kwargs)?;
    refuse(
        op,
        &[
            ("count_include_pad", kwargs.count_include_pad.is_some()),
            ("divisor_override", kwargs.divisor_override.is_some()),
        ],
    )?;
    Ok(MaxPool::<R> {
        kernel_size: dims_or(op, "kernel_size", &kwargs.kernel_size, None)?,
        stride: stride(op, &kwargs.stride)?,
        padding: dims_or(op, "padding", &kwargs.padding, Some(0))?,
        dilation: dims_or(op, "dilation", &kwargs.dilation, Some(1))?,
        ceil_mode: kwargs.ceil_mode.unwrap_or(false),
    })
}

impl<const R: usize> Layer for MaxPool<R> {
    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        Ok(self.plan(inputs.input.shape())?.output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        with_values!(&inputs.input, values, |input, values| {
            MaxPool::encode_into(self, ctx, encoder, input, values, indices)
        })?;
        Ok(None)
    }

    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        input_only(Self::NAME, inputs)?;
        Ok(self.plan(&inputs.input.shape)?.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        let (values, index_array) = cpu::max_pool(self, &input.data, &input.shape)?;
        Ok(Outputs {
            values,
            indices: indices.then_some(index_array),
        })
    }
}

fn avg_pool<const R: usize>(kwargs: &Kwargs) -> Result<AvgPool<R>> {
    let op = AvgPool::<R>::NAME;
    refuse_non_sliding(op, kwargs)?;
    refuse(
        op,
        &[
            ("dilation", kwargs.dilation.is_some()),
            ("return_indices", kwargs.return_indices),
        ],
    )?;
    Ok(AvgPool::<R> {
        kernel_size: dims_or(op, "kernel_size", &kwargs.kernel_size, None)?,
        stride: stride(op, &kwargs.stride)?,
        padding: dims_or(op, "padding", &kwargs.padding, Some(0))?,
        ceil_mode: kwargs.ceil_mode.unwrap_or(false),
        count_include_pad: kwargs.count_include_pad.unwrap_or(true),
        divisor_override: kwargs.divisor_override,
    })
}

impl<const R: usize> Layer for AvgPool<R> {
    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        Ok(self.plan(inputs.input.shape())?.output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        _indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        with_values!(&inputs.input, values, |input, values| {
            AvgPool::encode_into(self, ctx, encoder, input, values)
        })?;
        Ok(None)
    }

    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        input_only(Self::NAME, inputs)?;
        Ok(self.plan(&inputs.input.shape)?.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, _indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        Ok(Outputs {
            values: cpu::avg_pool(self, &input.data, &input.shape)?,
            indices: None,
        })
    }
}
