//! `wgpool bench`: a fixed suite of pooling calls at inference sizes, each timed on the GPU and
//! compared with a plain copy kernel moving the same number of bytes, and with the CPU reference.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use wgpool::call::{Call, Device, GpuInputs, Inputs, Kwargs};
use wgpool::ops::copy::encode_copy;
use wgpool::timing::Stopwatch;
use wgpool::{cpu, Array, Backend, Context, MaxPool2d, Tensor};

use crate::plot;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// vulkan | gl | metal | dx12 | any.
    #[arg(long, default_value = "any")]
    backend: String,
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

/// One row of the suite: an op call on a shape.
struct Case {
    op: &'static str,
    shape: Vec<usize>,
    args: &'static str,
    kwargs: Kwargs,
}

fn ints(values: &[i64]) -> Option<Vec<i64>> {
    Some(values.to_vec())
}

fn case(op: &'static str, shape: &[usize], args: &'static str, kwargs: Kwargs) -> Case {
    Case {
        op,
        shape: shape.to_vec(),
        args,
        kwargs,
    }
}

const STEM: [usize; 4] = [8, 64, 112, 112];

/// The suite from the performance issue: ResNet-style inference shapes.
fn suite() -> Vec<Case> {
    let window = |k: i64, s: i64, p: i64| Kwargs {
        kernel_size: ints(&[k]),
        stride: ints(&[s]),
        padding: ints(&[p]),
        ..Default::default()
    };
    let adaptive = |o: i64| Kwargs {
        output_size: Some(vec![Some(o)]),
        ..Default::default()
    };
    vec![
        case("max_pool2d", &STEM, "k3 s2 p1", window(3, 2, 1)),
        case(
            "max_pool2d",
            &STEM,
            "k3 s2 p1, indices",
            Kwargs {
                return_indices: true,
                ..window(3, 2, 1)
            },
        ),
        case("max_pool2d", &[8, 512, 14, 14], "k2 s2", window(2, 2, 0)),
        case("max_pool2d", &STEM, "k2 s2", window(2, 2, 0)),
        case("avg_pool2d", &[8, 512, 14, 14], "k2 s2", window(2, 2, 0)),
        case("avg_pool2d", &STEM, "k2 s2", window(2, 2, 0)),
        case("adaptive_avg_pool2d", &[8, 2048, 7, 7], "to 1", adaptive(1)),
        case("adaptive_avg_pool2d", &STEM, "to 1", adaptive(1)),
        case(
            "adaptive_avg_pool2d",
            &[8, 1024, 14, 14],
            "14 to 7",
            adaptive(7),
        ),
        case(
            "adaptive_max_pool2d",
            &[8, 1024, 14, 14],
            "14 to 7",
            adaptive(7),
        ),
        case("max_pool1d", &[32, 256, 4096], "k4 s4", window(4, 4, 0)),
        case("max_pool3d", &[2, 32, 16, 56, 56], "k2", window(2, 2, 0)),
        case("avg_pool3d", &[2, 32, 16, 56, 56], "k2", window(2, 2, 0)),
        case(
            "max_unpool2d",
            &[8, 64, 56, 56],
            "k3 s2 p1 of the stem, to 112",
            Kwargs {
                output_size: Some(vec![Some(112), Some(112)]),
                ..window(3, 2, 1)
            },
        ),
        case(
            "lp_pool2d",
            &STEM,
            "p=2 k2",
            Kwargs {
                norm_type: Some(2.0),
                kernel_size: ints(&[2]),
                ..Default::default()
            },
        ),
        case(
            "fractional_max_pool2d",
            &STEM,
            "k2 out 0.5",
            Kwargs {
                kernel_size: ints(&[2]),
                output_ratio: Some(vec![0.5, 0.5]),
                ..Default::default()
            },
        ),
    ]
}

/// Deterministic, varied input values (no ties to speak of).
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0
        })
        .collect()
}

/// The inputs of `case`: values, plus the stem's max positions for unpooling and random
/// samples for fractional pooling.
fn inputs(case: &Case) -> Result<Inputs, String> {
    let len = case.shape.iter().product();
    let mut inputs = Inputs::new(Array {
        shape: case.shape.clone(),
        data: values(len, 1),
    });
    if case.op.starts_with("max_unpool") {
        let stem = values(STEM.iter().product(), 2);
        let (_, indices) = cpu::max_pool(&MaxPool2d::new(3).stride(2).padding(1), &stem, &STEM)
            .map_err(|e| e.to_string())?;
        inputs.indices = Some(indices);
    }
    if case.op.starts_with("fractional") {
        let dims = case.shape.len() - 2;
        let shape = vec![case.shape[0], case.shape[1], dims];
        let data = values(shape.iter().product(), 3)
            .into_iter()
            .map(|v| (v + 2.0) / 4.0 * 0.999)
            .collect();
        inputs.random_samples = Some(Array { shape, data });
    }
    Ok(inputs)
}

/// One measured row.
struct Row {
    op: &'static str,
    shape: Vec<usize>,
    args: &'static str,
    ms: f64,
    gbps: f64,
    copy_gbps: f64,
    cpu_ms: f64,
}

fn bytes_of<T>(len: usize) -> u64 {
    (len * std::mem::size_of::<T>()) as u64
}

fn measure(ctx: &Context, stopwatch: &Stopwatch, case: &Case, runs: usize) -> Result<Row, String> {
    let call = Call::new(case.op, &case.kwargs).map_err(|e| e.to_string())?;
    let host = inputs(case)?;
    let fail = |e: wgpool::Error| format!("{} {}: {e}", case.op, case.args);
    let gpu = GpuInputs::upload(ctx, &host).map_err(fail)?;

    let ms = stopwatch
        .median_ms(runs, &mut |encoder| {
            call.encode(ctx, encoder, &gpu).map(|_| ())
        })
        .map_err(fail)?;
    // Effective bytes: every input read once, every output written once.
    let out_len: usize = call.output_shape(&host).map_err(fail)?.iter().product();
    let read = bytes_of::<f32>(host.input.data.len())
        + host
            .indices
            .as_ref()
            .map_or(0, |i| bytes_of::<i64>(i.data.len()));
    let written = bytes_of::<f32>(out_len)
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

    Ok(Row {
        op: case.op,
        shape: case.shape.clone(),
        args: case.args,
        ms,
        gbps: bytes as f64 / ms / 1e6,
        copy_gbps: (2 * bytes_of::<f32>(copy_len)) as f64 / copy_ms / 1e6,
        cpu_ms: cpu_times[cpu_times.len() / 2],
    })
}

pub fn bench(args: &BenchArgs) -> Result<(), String> {
    let backend: Backend = args.backend.parse()?;
    let ctx = Context::new(backend).map_err(|e| e.to_string())?;
    let stopwatch = Stopwatch::new(&ctx).map_err(|e| e.to_string())?;
    let info = ctx
        .adapter_info()
        .cloned()
        .ok_or("no adapter information")?;
    let runs = if args.quick { 3 } else { 11 };
    let suite: Vec<Case> = suite()
        .into_iter()
        .filter(|case| {
            args.only
                .as_ref()
                .is_none_or(|only| case.op.starts_with(only.as_str()))
        })
        .collect();
    if suite.is_empty() {
        return Err("no benchmark row matches --only".into());
    }

    let progress = ProgressBar::new(suite.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").map_err(|e| e.to_string())?,
    );
    let mut rows = Vec::new();
    for case in &suite {
        progress.set_message(format!("{} {}", case.op, case.args));
        rows.push(measure(&ctx, &stopwatch, case, runs)?);
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
