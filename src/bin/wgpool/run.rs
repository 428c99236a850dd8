//! `wgpool run OP --input X.npy --output Y.npy [flags]`: one pooling call, PyTorch's keyword
//! arguments as flags. Everything is validated before any GPU work, and nothing is written
//! unless the whole call succeeded (outputs are written to a temporary file, then renamed).

use std::path::{Path, PathBuf};

use wgpool::call::{Call, Device, Inputs, Kwargs, Outputs};
use wgpool::npy::{self, NpyData};
use wgpool::{f16, Array, Backend, Context, Dtype, MemoryFormat};

use crate::flags::{
    parse_float_list, parse_int_list, parse_size_list, FloatList, IntList, SizeList,
};

#[derive(clap::Args)]
pub struct RunArgs {
    /// The `torch.nn.functional` op, e.g. max_pool2d (`wgpool run --help` lists them all).
    op: String,
    /// Input tensor, float32 or float16 .npy: (N, C, *spatial) or unbatched (C, *spatial).
    /// float16 runs the float16 kernels (f32 arithmetic, one rounding), which need the device
    /// feature shader-f16.
    #[arg(long)]
    input: PathBuf,
    /// Where to write the output (.npy of the input's dtype).
    #[arg(long)]
    output: PathBuf,
    /// The int64 positions to unpool to (max_unpool1d/2d/3d).
    #[arg(long, value_name = "PATH")]
    indices: Option<PathBuf>,
    /// PyTorch's `_random_samples` for fractional_max_pool2d/3d: .npy (N, C, dims) of the
    /// input's dtype.
    #[arg(long, value_name = "PATH")]
    random_samples: Option<PathBuf>,
    /// Also write the max positions here (int64 .npy): PyTorch's `return_indices=True`.
    #[arg(long, value_name = "PATH")]
    return_indices: Option<PathBuf>,
    /// Window size: an int or a tuple such as 3,3.
    #[arg(long, value_parser = parse_int_list, allow_hyphen_values = true)]
    kernel_size: Option<IntList>,
    /// Window step (default: kernel_size).
    #[arg(long, value_parser = parse_int_list, allow_hyphen_values = true)]
    stride: Option<IntList>,
    /// Implicit padding on both sides.
    #[arg(long, value_parser = parse_int_list, allow_hyphen_values = true)]
    padding: Option<IntList>,
    /// Spacing between window taps (max pooling).
    #[arg(long, value_parser = parse_int_list, allow_hyphen_values = true)]
    dilation: Option<IntList>,
    /// Count a last partial window (true|false).
    #[arg(long)]
    ceil_mode: Option<bool>,
    /// Count padding cells in the average's divisor (true|false).
    #[arg(long)]
    count_include_pad: Option<bool>,
    /// Divide every window's sum by this instead (avg_pool2d/3d).
    #[arg(long, allow_hyphen_values = true)]
    divisor_override: Option<i64>,
    /// Output size: an int or a tuple; `none` keeps that input size (e.g. 4,none).
    #[arg(long, value_parser = parse_size_list, allow_hyphen_values = true)]
    output_size: Option<SizeList>,
    /// Output size as a fraction of the input size (fractional_max_pool), e.g. 0.5,0.5.
    #[arg(long, value_parser = parse_float_list, allow_hyphen_values = true)]
    output_ratio: Option<FloatList>,
    /// The p of LP pooling (may be fractional, negative or inf).
    #[arg(long, allow_hyphen_values = true)]
    norm_type: Option<f64>,
    /// vulkan | gl | metal | dx12 | any (a GPU), or cpu (the CPU reference).
    #[arg(long, default_value = "any")]
    backend: String,
    /// The memory format of the GPU tensors: contiguous | channels_last (channels stored
    /// innermost; rank 3 or more). The .npy files stay in PyTorch's (N, C, *spatial) order.
    #[arg(long, default_value = "contiguous")]
    memory_format: MemoryFormat,
}

impl RunArgs {
    fn kwargs(&self) -> Kwargs {
        let list = |value: &Option<IntList>| value.as_ref().map(|l| l.0.clone());
        Kwargs {
            kernel_size: list(&self.kernel_size),
            stride: list(&self.stride),
            padding: list(&self.padding),
            dilation: list(&self.dilation),
            ceil_mode: self.ceil_mode,
            count_include_pad: self.count_include_pad,
            divisor_override: self.divisor_override,
            return_indices: self.return_indices.is_some(),
            output_size: self.output_size.as_ref().map(|l| l.0.clone()),
            output_ratio: self.output_ratio.as_ref().map(|l| l.0.clone()),
            norm_type: self.norm_type,
        }
    }
}

pub fn run(args: &RunArgs) -> Result<(), String> {
    let gpu = match args.backend.as_str() {
        "cpu" => None,
        other => Some(other.parse::<Backend>()?),
    };
    let (input, dtype) = read_values(&args.input)?;
    let random_samples = match args.random_samples.as_deref() {
        Some(path) => match read_values(path)? {
            (samples, samples_dtype) if samples_dtype == dtype => Some(samples),
            (_, samples_dtype) => {
                return Err(format!(
                    "{}: random samples must have the input's dtype {dtype}, but they are \
                     {samples_dtype}",
                    path.display()
                ))
            }
        },
        None => None,
    };
    let call = Call::new(&args.op, &args.kwargs())
        .map_err(|e| e.to_string())?
        .with_memory_format(args.memory_format)
        .with_dtype(dtype);
    let inputs = Inputs {
        input,
        indices: args.indices.as_deref().map(read_i64).transpose()?,
        random_samples,
    };
    // Validate before a device is even opened: a refused call never reaches the GPU.
    call.output_shape(&inputs).map_err(|e| e.to_string())?;
    args.memory_format
        .check(&inputs.input.shape)
        .map_err(|e| e.to_string())?;
    let outputs = match gpu {
        None => call.run(&inputs, Device::Cpu),
        Some(backend) => {
            let ctx = Context::new(backend).map_err(|e| e.to_string())?;
            call.run(&inputs, Device::Gpu(&ctx))
        }
    }
    .map_err(|e| e.to_string())?;
    write_outputs(args, outputs, dtype)
}

/// A float32 or float16 array, widened to f32 (exactly), and its type.
fn read_values(path: &Path) -> Result<(Array<f32>, Dtype), String> {
    let array = npy::read(path).map_err(|e| e.to_string())?;
    let (data, dtype) = match array.data {
        NpyData::F32(data) => (data, Dtype::F32),
        NpyData::F16(bits) => (
            bits.into_iter()
                .map(|b| f16::from_bits(b).to_f32())
                .collect(),
            Dtype::F16,
        ),
        other => {
            return Err(format!(
                "{}: expected a float32 or float16 array, but it holds {}",
                path.display(),
                other.dtype().name()
            ))
        }
    };
    Ok((
        Array {
            shape: array.shape,
            data,
        },
        dtype,
    ))
}

fn read_i64(path: &Path) -> Result<Array<i64>, String> {
    let array = npy::read(path).map_err(|e| e.to_string())?;
    match array.data {
        NpyData::I64(data) => Ok(Array {
            shape: array.shape,
            data,
        }),
        other => Err(format!(
            "{}: indices must be int64, but the array holds {}",
            path.display(),
            other.dtype().name()
        )),
    }
}

/// Writes the values in the input's `dtype` (they are values of it already), and the indices.
fn write_outputs(args: &RunArgs, outputs: Outputs, dtype: Dtype) -> Result<(), String> {
    let values = outputs.values;
    let data = match dtype {
        Dtype::F32 => NpyData::F32(values.data),
        Dtype::F16 => NpyData::F16(
            values
                .data
                .into_iter()
                .map(|v| f16::from_f32(v).to_bits())
                .collect(),
        ),
    };
    npy::write(&args.output, &values.shape, &data).map_err(|e| e.to_string())?;
    if let (Some(path), Some(indices)) = (&args.return_indices, outputs.indices) {
        npy::write(path, &indices.shape, &NpyData::I64(indices.data)).map_err(|e| {
            // Never leave half a result behind.
            let _ = std::fs::remove_file(&args.output);
            e.to_string()
        })?;
    }
    Ok(())
}
