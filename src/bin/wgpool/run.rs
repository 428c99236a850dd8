//! `wgpool run OP --input X.npy --output Y.npy [flags]`: one pooling call, PyTorch's keyword
//! arguments as flags. Everything is validated before any GPU work, and nothing is written
//! unless the whole call succeeded (outputs are written to a temporary file, then renamed).

use std::path::PathBuf;

use wgpool::dims::dims_from_slice;
use wgpool::npy::{self, NpyData};
use wgpool::{cpu, Array, AvgPool, Backend, Context, MaxPool, Tensor};

use crate::flags::{parse_int_list, IntList};

#[derive(clap::Args)]
pub struct RunArgs {
    /// The `torch.nn.functional` op: max_pool1d|2d|3d, avg_pool1d|2d|3d.
    op: String,
    /// Input tensor, float32 .npy: (N, C, *spatial) or unbatched (C, *spatial).
    #[arg(long)]
    input: PathBuf,
    /// Where to write the output (float32 .npy).
    #[arg(long)]
    output: PathBuf,
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
    /// vulkan | gl | metal | dx12 | any (a GPU), or cpu (the CPU reference).
    #[arg(long, default_value = "any")]
    backend: String,
}

/// Where the op runs.
enum Engine {
    Cpu,
    Gpu(Backend),
}

/// What an op produced.
struct Outputs {
    values: Array<f32>,
    indices: Option<Array<i64>>,
}

type Input = Array<f32>;

pub fn run(args: &RunArgs) -> Result<(), String> {
    let engine = match args.backend.as_str() {
        "cpu" => Engine::Cpu,
        other => Engine::Gpu(other.parse()?),
    };
    let input = read_f32(&args.input)?;
    let outputs = match args.op.as_str() {
        "max_pool1d" => max_pool::<1>(args, &input, &engine),
        "max_pool2d" => max_pool::<2>(args, &input, &engine),
        "max_pool3d" => max_pool::<3>(args, &input, &engine),
        "avg_pool1d" => avg_pool::<1>(args, &input, &engine),
        "avg_pool2d" => avg_pool::<2>(args, &input, &engine),
        "avg_pool3d" => avg_pool::<3>(args, &input, &engine),
        other => Err(format!(
            "unknown op '{other}' (expected max_pool1d, max_pool2d, max_pool3d, avg_pool1d, \
             avg_pool2d or avg_pool3d)"
        )),
    }?;
    write_outputs(args, outputs)
}

fn read_f32(path: &std::path::Path) -> Result<Input, String> {
    let array = npy::read(path).map_err(|e| e.to_string())?;
    match array.data {
        NpyData::F32(data) => Ok(Array {
            shape: array.shape,
            data,
        }),
        other => Err(format!(
            "{}: expected a float32 array, but it holds {}",
            path.display(),
            other.dtype().name()
        )),
    }
}

fn write_outputs(args: &RunArgs, outputs: Outputs) -> Result<(), String> {
    npy::write(
        &args.output,
        &outputs.values.shape,
        &NpyData::F32(outputs.values.data),
    )
    .map_err(|e| e.to_string())?;
    if let (Some(path), Some(indices)) = (&args.return_indices, outputs.indices) {
        npy::write(path, &indices.shape, &NpyData::I64(indices.data)).map_err(|e| {
            // Never leave half a result behind.
            let _ = std::fs::remove_file(&args.output);
            e.to_string()
        })?;
    }
    Ok(())
}

/// Refuses flags the op does not take, naming them.
fn refuse_flags(op: &str, given: &[(&str, bool)]) -> Result<(), String> {
    match given.iter().find(|(_, present)| *present) {
        Some((flag, _)) => Err(format!("{op} takes no {flag}")),
        None => Ok(()),
    }
}

fn required<'a>(op: &str, flag: &str, value: &'a Option<IntList>) -> Result<&'a [i64], String> {
    value
        .as_ref()
        .map(|list| list.0.as_slice())
        .ok_or_else(|| format!("{op} needs {flag}"))
}

fn dims_or<const R: usize>(
    op: &'static str,
    argument: &'static str,
    value: &Option<IntList>,
    default: i64,
) -> Result<[i64; R], String> {
    match value {
        Some(list) => dims_from_slice(op, argument, &list.0).map_err(|e| e.to_string()),
        None => Ok([default; R]),
    }
}

/// `stride`: absent or empty means "same as kernel_size".
fn stride<const R: usize>(
    op: &'static str,
    value: &Option<IntList>,
) -> Result<Option<[i64; R]>, String> {
    match value {
        Some(list) if !list.0.is_empty() => dims_from_slice(op, "stride", &list.0)
            .map(Some)
            .map_err(|e| e.to_string()),
        _ => Ok(None),
    }
}

fn gpu_context(backend: Backend) -> Result<Context, String> {
    Context::new(backend).map_err(|e| e.to_string())
}

fn max_pool<const R: usize>(
    args: &RunArgs,
    input: &Input,
    engine: &Engine,
) -> Result<Outputs, String> {
    let op = MaxPool::<R>::NAME;
    refuse_flags(
        op,
        &[
            ("--count-include-pad", args.count_include_pad.is_some()),
            ("--divisor-override", args.divisor_override.is_some()),
        ],
    )?;
    let options = MaxPool::<R> {
        kernel_size: dims_from_slice(
            op,
            "kernel_size",
            required(op, "--kernel-size", &args.kernel_size)?,
        )
        .map_err(|e| e.to_string())?,
        stride: stride(op, &args.stride)?,
        padding: dims_or(op, "padding", &args.padding, 0)?,
        dilation: dims_or(op, "dilation", &args.dilation, 1)?,
        ceil_mode: args.ceil_mode.unwrap_or(false),
    };
    options.plan(&input.shape).map_err(|e| e.to_string())?;
    let with_indices = args.return_indices.is_some();
    match engine {
        Engine::Cpu => {
            let (values, indices) =
                cpu::max_pool(&options, &input.data, &input.shape).map_err(|e| e.to_string())?;
            Ok(Outputs {
                values,
                indices: with_indices.then_some(indices),
            })
        }
        Engine::Gpu(backend) => {
            let ctx = gpu_context(*backend)?;
            let gpu = || -> wgpool::Result<Outputs> {
                let x = Tensor::upload(&ctx, &input.data, &input.shape)?;
                let (values, indices) = if with_indices {
                    let (values, indices) = options.forward_with_indices(&ctx, &x)?;
                    (values, Some(indices))
                } else {
                    (options.forward(&ctx, &x)?, None)
                };
                Ok(Outputs {
                    indices: match indices {
                        Some(indices) => Some(download(&ctx, &indices)?),
                        None => None,
                    },
                    values: download(&ctx, &values)?,
                })
            };
            gpu().map_err(|e| e.to_string())
        }
    }
}

fn avg_pool<const R: usize>(
    args: &RunArgs,
    input: &Input,
    engine: &Engine,
) -> Result<Outputs, String> {
    let op = AvgPool::<R>::NAME;
    refuse_flags(
        op,
        &[
            ("--dilation", args.dilation.is_some()),
            ("--return-indices", args.return_indices.is_some()),
        ],
    )?;
    let options = AvgPool::<R> {
        kernel_size: dims_from_slice(
            op,
            "kernel_size",
            required(op, "--kernel-size", &args.kernel_size)?,
        )
        .map_err(|e| e.to_string())?,
        stride: stride(op, &args.stride)?,
        padding: dims_or(op, "padding", &args.padding, 0)?,
        ceil_mode: args.ceil_mode.unwrap_or(false),
        count_include_pad: args.count_include_pad.unwrap_or(true),
        divisor_override: args.divisor_override,
    };
    options.plan(&input.shape).map_err(|e| e.to_string())?;
    let values = match engine {
        Engine::Cpu => cpu::avg_pool(&options, &input.data, &input.shape),
        Engine::Gpu(backend) => {
            let ctx = gpu_context(*backend)?;
            Tensor::upload(&ctx, &input.data, &input.shape)
                .and_then(|x| options.forward(&ctx, &x))
                .and_then(|y| download(&ctx, &y))
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(Outputs {
        values,
        indices: None,
    })
}

fn download<T: wgpool::Element>(ctx: &Context, tensor: &Tensor<T>) -> wgpool::Result<Array<T>> {
    Ok(Array {
        shape: tensor.shape().to_vec(),
        data: tensor.download(ctx)?,
    })
}
