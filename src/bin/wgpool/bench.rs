//! `wgpool bench`: a fixed suite of pooling calls at inference sizes, each timed on the GPU and
//! compared with a plain copy kernel moving the same number of bytes, and with the CPU reference.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use wgpool::call::{Call, Device, GpuInputs, Values};
use wgpool::ops::copy::encode_copy;
use wgpool::suite::{suite, values, Case};
use wgpool::timing::Stopwatch;
use wgpool::{f16, Backend, Context, Dtype, MemoryFormat, Tensor};

use crate::plot;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// vulkan | gl | metal | dx12 | any.
    #[arg(long, default_value = "any")]
    backend: String,
    /// How adaptive pooling visits large windows: auto (parallel except on CPU adapters) |
    /// parallel | per-output.
    #[arg(long, default_value = "auto")]
    reduction: String,
    /// Also write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Draw ratio_to_copy per row as a bar chart (.svg or .png).
    #[arg(long, value_name = "PATH.svg|png")]
    plot: Option<PathBuf>,
    /// Fewer timed runs per row (3 instead of 11), one CPU run.
    #[arg(long)]
    quick: bool,
    /// Only the rows whose op starts with this (e.g. max_pool).
    #[arg(long, value_name = "OP_PREFIX")]
    only: Option<String>,
}

/// One measured row.
struct Row {
    op: &'static str,
    shape: Vec<usize>,
    args: &'static str,
    memory_format: MemoryFormat,
    dtype: Dtype,
    ms: f64,
    gbps: f64,
    copy_gbps: f64,
    cpu_ms: f64,
}

fn bytes_of<T>(len: usize) -> u64 {
    (len * std::mem::size_of::<T>()) as u64
}

fn value_bytes(dtype: Dtype, len: usize) -> u64 {
    match dtype {
        Dtype::F32 => bytes_of::<f32>(len),
        Dtype::F16 => bytes_of::<f16>(len),
    }
}

fn measure(ctx: &Context, stopwatch: &Stopwatch, case: &Case, runs: usize) -> Result<Row, String> {
    let call = Call::new(case.op, &case.kwargs).map_err(|e| e.to_string())?;
    let host = case.inputs().map_err(|e| e.to_string())?;
    let fail = |e: wgpool::Error| format!("{} {}: {e}", case.op, case.args);
    let (dtype, format) = (case.dtype, case.memory_format);
    let gpu = GpuInputs::upload_with_format(ctx, &host, dtype, format).map_err(fail)?;
    // Outputs allocated once, as a caller that runs the op often would: wgpu zero-fills a new
    // buffer before its first use, which is not the op's work.
    let out_shape = call.output_shape(&host).map_err(fail)?;
    let out_values = Values::empty(ctx, dtype, &out_shape, format).map_err(fail)?;
    let indices = call
        .return_indices
        .then(|| Tensor::<i64>::empty_with_format(ctx, &out_shape, format))
        .transpose()
        .map_err(fail)?;

    let ms = stopwatch
        .median_ms(runs, &mut |encoder| {
            call.encode_into(ctx, encoder, &gpu, &out_values, indices.as_ref())
                .map(|_| ())
        })
        .map_err(fail)?;
    // Effective bytes: every input read once, every output written once.
    let out_len: usize = out_shape.iter().product();
    let read = value_bytes(dtype, host.input.data.len())
        + host
            .indices
            .as_ref()
            .map_or(0, |i| bytes_of::<i64>(i.data.len()));
    let written = value_bytes(dtype, out_len)
        + if call.return_indices {
            bytes_of::<i64>(out_len)
        } else {
            0
        };
    let bytes = read + written;

    // The yardstick: a copy kernel reading and writing the same number of bytes in total.
    let copy_len = (bytes / 8) as usize;
    let copy_in = Tensor::upload(ctx, &values(copy_len, 4), &[copy_len]).map_err(fail)?;
    let copy_out: Tensor = Tensor::empty(ctx, &[copy_len]).map_err(fail)?;
    let copy_ms = stopwatch
        .median_ms(runs, &mut |encoder| {
            encode_copy(ctx, encoder, &copy_in, &copy_out)
        })
        .map_err(fail)?;

    Ok(Row {
        op: case.op,
        shape: case.shape.clone(),
        args: case.args,
        memory_format: case.memory_format,
        dtype,
        ms,
        gbps: bytes as f64 / ms / 1e6,
        copy_gbps: (2 * bytes_of::<f32>(copy_len)) as f64 / copy_ms / 1e6,
        cpu_ms: f64::NAN,
    })
}

/// The CPU reference's median milliseconds for `case`. Timed after every GPU row, so that the
/// GPU does not idle (and lower its clocks) between GPU measurements.
fn cpu_ms(case: &Case, runs: usize) -> Result<f64, String> {
    let fail = |e: wgpool::Error| format!("{} {}: {e}", case.op, case.args);
    let call = Call::new(case.op, &case.kwargs)
        .map_err(fail)?
        .with_dtype(case.dtype);
    let host = case.inputs().map_err(fail)?;
    let cpu_runs = if runs > 3 { 3 } else { 1 };
    let mut cpu_times: Vec<f64> = (0..cpu_runs)
        .map(|_| {
            let start = std::time::Instant::now();
            call.run(&host, Device::Cpu)
                .map(|_| start.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    cpu_times.sort_by(f64::total_cmp);
    Ok(cpu_times[cpu_times.len() / 2])
}

pub fn bench(args: &BenchArgs) -> Result<(), String> {
    let backend: Backend = args.backend.parse()?;
    let mut ctx = Context::new(backend).map_err(|e| e.to_string())?;
    ctx.set_reduction(args.reduction.parse()?);
    let stopwatch = Stopwatch::new(&ctx).map_err(|e| e.to_string())?;
    let info = ctx
        .adapter_info()
        .cloned()
        .ok_or("no adapter information")?;
    let runs = if args.quick { 3 } else { 11 };
    // float16 rows need shader-f16: skipped, and said so, where the device lacks it.
    let (suite, unsupported): (Vec<Case>, Vec<Case>) = suite()
        .into_iter()
        .filter(|case| {
            args.only
                .as_ref()
                .is_none_or(|only| case.op.starts_with(only.as_str()))
        })
        .partition(|case| ctx.require_dtype(case.op, case.dtype).is_ok());
    for case in &unsupported {
        eprintln!(
            "skipping {} {}: the device has no shader-f16",
            case.op, case.args
        );
    }
    if suite.is_empty() {
        return Err("no benchmark row matches --only".into());
    }

    let progress = ProgressBar::new(2 * suite.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").map_err(|e| e.to_string())?,
    );
    let mut rows = Vec::new();
    for case in &suite {
        progress.set_message(format!("{} {}", case.op, case.args));
        rows.push(measure(&ctx, &stopwatch, case, runs)?);
        progress.inc(1);
    }
    for (case, row) in suite.iter().zip(&mut rows) {
        progress.set_message(format!("CPU reference: {} {}", case.op, case.args));
        row.cpu_ms = cpu_ms(case, runs)?;
        progress.inc(1);
    }
    progress.finish_and_clear();

    println!(
        "adapter: {} ({:?}, {}), timing: {}",
        info.name,
        info.backend,
        info.driver_info,
        stopwatch.timing().name()
    );
    println!(
        "{:<22} {:<20} {:<30} {:>9} {:>7} {:>9} {:>6} {:>9}",
        "op", "shape", "args", "ms", "GB/s", "copy GB/s", "ratio", "CPU ms"
    );
    for row in &rows {
        println!(
            "{:<22} {:<20} {:<30} {:>9.3} {:>7.2} {:>9.2} {:>6.2} {:>9.2}",
            row.op,
            format!("{:?}", row.shape),
            row.args,
            row.ms,
            row.gbps,
            row.copy_gbps,
            row.gbps / row.copy_gbps,
            row.cpu_ms
        );
    }

    if let Some(path) = &args.json {
        let document = json!({
            "adapter": {
                "name": info.name,
                "backend": format!("{:?}", info.backend),
                "device_type": format!("{:?}", info.device_type),
                "driver": info.driver,
                "driver_info": info.driver_info,
            },
            "timing": stopwatch.timing().name(),
            "results": rows.iter().map(|row| json!({
                "op": row.op,
                "shape": row.shape,
                "args": row.args,
                "memory_format": row.memory_format.name(),
                "dtype": row.dtype.name(),
                "ms": row.ms,
                "gbps": row.gbps,
                "copy_gbps": row.copy_gbps,
                "ratio_to_copy": row.gbps / row.copy_gbps,
                "cpu_ms": row.cpu_ms,
            })).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
        write_atomically(path, text.as_bytes())?;
    }
    if let Some(path) = &args.plot {
        let bars: Vec<(String, f64)> = rows
            .iter()
            .map(|row| {
                (
                    format!("{} {:?} {}", row.op, row.shape, row.args),
                    row.gbps / row.copy_gbps,
                )
            })
            .collect();
        plot::ratio_chart(
            path,
            &format!("{} ({})", info.name, stopwatch.timing().name()),
            &bars,
        )?;
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write {}: {e}", path.display())
        })
}
