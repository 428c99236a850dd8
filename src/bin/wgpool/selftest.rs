//! `wgpool selftest`: every op family over a grid of arguments and shapes on one adapter,
//! against the CPU reference. This is how a user checks a new driver.

use indicatif::{ProgressBar, ProgressStyle};
use wgpool::call::{Call, Device, Inputs, Kwargs, Outputs};
use wgpool::suite::values;
use wgpool::{cpu, Array, Backend, Context, Dtype, MaxPool, MemoryFormat};

#[derive(clap::Args)]
pub struct SelftestArgs {
    /// vulkan | gl | metal | dx12 | any.
    #[arg(long, default_value = "any")]
    backend: String,
    /// How adaptive pooling visits large windows: auto (parallel except on CPU adapters) |
    /// parallel | per-output.
    #[arg(long, default_value = "auto")]
    reduction: String,
    /// A smaller grid.
    #[arg(long)]
    quick: bool,
    /// The memory format of the GPU tensors: contiguous | channels_last (inputs of rank 2,
    /// which cannot be channels-last, stay contiguous).
    #[arg(long, default_value = "contiguous")]
    memory_format: MemoryFormat,
    /// float32 | float16 (needs the device feature shader-f16).
    #[arg(long, default_value = "float32")]
    dtype: Dtype,
}

/// One grid point.
struct Probe {
    op: &'static str,
    kwargs: Kwargs,
    inputs: Inputs,
}

fn ints(values: &[i64]) -> Option<Vec<i64>> {
    Some(values.to_vec())
}

/// Inputs with ties, NaN, infinities and signed zeros sprinkled in.
fn input(shape: &[usize], seed: u64) -> Array<f32> {
    let len = shape.iter().product();
    let mut data = values(len, seed);
    for (i, v) in data.iter_mut().enumerate() {
        match (i as u64).wrapping_mul(seed | 1) % 97 {
            0 => *v = f32::NAN,
            1 => *v = f32::INFINITY,
            2 => *v = f32::NEG_INFINITY,
            3 => *v = -0.0,
            4..=12 => *v = v.round(), // ties
            _ => {}
        }
    }
    Array {
        shape: shape.to_vec(),
        data,
    }
}

/// Shapes per spatial rank: batched and unbatched, odd sizes.
fn shapes(rank: usize, quick: bool) -> Vec<Vec<usize>> {
    let all: Vec<Vec<usize>> = match rank {
        1 => vec![vec![2, 3, 37], vec![4, 64], vec![1, 5, 1000]],
        2 => vec![vec![2, 3, 17, 23], vec![3, 12, 9], vec![1, 16, 56, 56]],
        _ => vec![
            vec![1, 2, 7, 9, 11],
            vec![2, 6, 8, 5],
            vec![1, 4, 12, 14, 14],
        ],
    };
    all.into_iter().take(if quick { 2 } else { 3 }).collect()
}

fn grid(quick: bool) -> Vec<Probe> {
    let mut probes = Vec::new();
    let mut seed = 1;
    let mut push = |op: &'static str, kwargs: Kwargs, inputs: Inputs| {
        probes.push(Probe { op, kwargs, inputs });
    };
    for rank in 1..=3usize {
        let name = |family: &str| -> &'static str {
            Box::leak(format!("{family}{rank}d").into_boxed_str())
        };
        for shape in shapes(rank, quick) {
            for (k, s, p, d, ceil) in [
                (2, 2, 0, 1, false),
                (3, 2, 1, 1, true),
                (3, 1, 1, 2, false),
                (1, 2, 0, 1, true),
            ] {
                seed += 1;
                let window = Kwargs {
                    kernel_size: ints(&[k]),
                    stride: ints(&[s]),
                    padding: ints(&[p]),
                    ceil_mode: Some(ceil),
                    ..Default::default()
                };
                push(
                    name("max_pool"),
                    Kwargs {
                        dilation: ints(&[d]),
                        return_indices: true,
                        ..window.clone()
                    },
                    Inputs::new(input(&shape, seed)),
                );
                push(
                    name("avg_pool"),
                    Kwargs {
                        count_include_pad: Some(seed % 2 == 0),
                        ..window.clone()
                    },
                    Inputs::new(input(&shape, seed)),
                );
                push(
                    name("lp_pool"),
                    Kwargs {
                        norm_type: Some([2.0, 1.0, 3.0, f64::INFINITY][seed as usize % 4]),
                        kernel_size: window.kernel_size.clone(),
                        stride: window.stride.clone(),
                        ceil_mode: window.ceil_mode,
                        ..Default::default()
                    },
                    Inputs::new(input(&shape, seed).map_abs()),
                );
                // Unpool what a max pool of the same window produced.
                if let Some(unpool) = unpool_probe(rank, &input(&shape, seed), k, s, p) {
                    push(name("max_unpool"), unpool.0, unpool.1);
                }
            }
            for output in [1, 3, 7] {
                seed += 1;
                let kwargs = Kwargs {
                    output_size: Some(vec![Some(output)]),
                    ..Default::default()
                };
                push(
                    name("adaptive_avg_pool"),
                    kwargs.clone(),
                    Inputs::new(input(&shape, seed)),
                );
                push(
                    name("adaptive_max_pool"),
                    Kwargs {
                        return_indices: true,
                        ..kwargs
                    },
                    Inputs::new(input(&shape, seed)),
                );
            }
            if rank >= 2 {
                for ratio in [0.5, 0.7] {
                    seed += 1;
                    push(
                        name("fractional_max_pool"),
                        Kwargs {
                            kernel_size: ints(&[2]),
                            output_ratio: Some(vec![ratio]),
                            return_indices: true,
                            ..Default::default()
                        },
                        Inputs::new(input(&shape, seed)),
                    );
                }
            }
        }
    }
    probes.retain(|p| p.op != "fractional_max_pool1d");
    probes
}

trait MapAbs {
    fn map_abs(self) -> Self;
}

impl MapAbs for Array<f32> {
    /// LP pooling of negative values with fractional p is NaN by definition; keep most values
    /// positive so the grid compares numbers, not NaN positions only.
    fn map_abs(mut self) -> Self {
        for v in &mut self.data {
            *v = v.abs();
        }
        self
    }
}

/// A max_unpool probe: the values and indices of a max pool with the same window.
fn unpool_probe(
    rank: usize,
    input: &Array<f32>,
    k: i64,
    s: i64,
    p: i64,
) -> Option<(Kwargs, Inputs)> {
    let (values, indices) = match rank {
        1 => cpu::max_pool(
            &MaxPool::<1>::new(k).stride(s).padding(p),
            &input.data,
            &input.shape,
        ),
        2 => cpu::max_pool(
            &MaxPool::<2>::new(k).stride(s).padding(p),
            &input.data,
            &input.shape,
        ),
        _ => cpu::max_pool(
            &MaxPool::<3>::new(k).stride(s).padding(p),
            &input.data,
            &input.shape,
        ),
    }
    .ok()?;
    let kwargs = Kwargs {
        kernel_size: ints(&[k]),
        stride: ints(&[s]),
        padding: ints(&[p]),
        ..Default::default()
    };
    Some((
        kwargs,
        Inputs {
            input: values,
            indices: Some(indices),
            random_samples: None,
        },
    ))
}

/// Per-op tally.
#[derive(Default)]
struct Tally {
    cases: usize,
    refused: usize,
    max_error: f64,
    failures: Vec<String>,
}

/// The largest relative difference, or why the results differ outright.
fn compare(op: &str, dtype: Dtype, gpu: &Outputs, cpu: &Outputs) -> Result<f64, String> {
    if gpu.values.shape != cpu.values.shape {
        return Err(format!(
            "shape {:?} vs {:?}",
            gpu.values.shape, cpu.values.shape
        ));
    }
    if gpu.indices != cpu.indices {
        return Err("indices differ".into());
    }
    let exact = op.contains("max_pool") || op.starts_with("max_unpool");
    // float16 sums round once from f32, which may round the other way: one f16 ulp, 2^-10
    // relative at most.
    let tolerance = match dtype {
        Dtype::F16 => 1e-3,
        Dtype::F32 if op.starts_with("lp_pool") => 1e-4,
        Dtype::F32 => 1e-5,
    };
    let mut worst = 0.0f64;
    for (i, (&g, &c)) in gpu.values.data.iter().zip(&cpu.values.data).enumerate() {
        if g.is_nan() || c.is_nan() {
            if g.is_nan() != c.is_nan() {
                return Err(format!("element {i}: GPU {g}, CPU {c}"));
            }
            continue;
        }
        if exact && g.to_bits() != c.to_bits() {
            return Err(format!(
                "element {i}: GPU {g}, CPU {c} (max results are exact)"
            ));
        }
        if g.is_infinite() || c.is_infinite() {
            if g != c {
                return Err(format!("element {i}: GPU {g}, CPU {c}"));
            }
            continue;
        }
        let error = (g as f64 - c as f64).abs() / (c as f64).abs().max(1.0);
        if error > tolerance {
            return Err(format!("element {i}: GPU {g}, CPU {c}"));
        }
        worst = worst.max(error);
    }
    Ok(worst)
}

pub fn selftest(args: &SelftestArgs) -> Result<(), String> {
    let backend: Backend = args.backend.parse()?;
    let mut ctx = Context::new(backend).map_err(|e| e.to_string())?;
    ctx.set_reduction(args.reduction.parse()?);
    let info = ctx
        .adapter_info()
        .cloned()
        .ok_or("no adapter information")?;
    let probes = grid(args.quick);
    let progress = ProgressBar::new(probes.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").map_err(|e| e.to_string())?,
    );
    let mut tallies: Vec<(&'static str, Tally)> = Vec::new();
    for probe in &probes {
        progress.set_message(probe.op);
        let index = match tallies.iter().position(|(op, _)| *op == probe.op) {
            Some(i) => i,
            None => {
                tallies.push((probe.op, Tally::default()));
                tallies.len() - 1
            }
        };
        let tally = &mut tallies[index].1;
        tally.cases += 1;
        let format = match args.memory_format.check(&probe.inputs.input.shape) {
            Ok(()) => args.memory_format,
            Err(_) => MemoryFormat::Contiguous,
        };
        let outcome = Call::new(probe.op, &probe.kwargs).map(|call| {
            let call = call.with_memory_format(format).with_dtype(args.dtype);
            (
                call.run(&probe.inputs, Device::Cpu),
                call.run(&probe.inputs, Device::Gpu(&ctx)),
            )
        });
        match outcome {
            Err(e) => tally.failures.push(format!("{}: {e}", probe.op)),
            // Refused on both sides: the grid hit arguments PyTorch refuses too.
            Ok((Err(_), Err(_))) => tally.refused += 1,
            Ok((Ok(cpu), Ok(gpu))) => match compare(probe.op, args.dtype, &gpu, &cpu) {
                Ok(error) => tally.max_error = tally.max_error.max(error),
                Err(why) => tally.failures.push(format!(
                    "{} {:?} on {:?}: {why}",
                    probe.op, probe.kwargs, probe.inputs.input.shape
                )),
            },
            Ok((cpu, gpu)) => tally.failures.push(format!(
                "{} {:?}: CPU {:?} but GPU {:?}",
                probe.op,
                probe.kwargs,
                cpu.err().map(|e| e.to_string()),
                gpu.err().map(|e| e.to_string())
            )),
        }
        progress.inc(1);
    }
    progress.finish_and_clear();

    println!(
        "adapter: {} ({:?}, {})",
        info.name, info.backend, info.driver_info
    );
    println!(
        "{:<24} {:>6} {:>8} {:>10}  result",
        "op", "cases", "refused", "max error"
    );
    let mut failed = 0;
    for (op, tally) in &tallies {
        let verdict = if tally.failures.is_empty() {
            "pass"
        } else {
            "FAIL"
        };
        println!(
            "{op:<24} {:>6} {:>8} {:>10.2e}  {verdict}",
            tally.cases, tally.refused, tally.max_error
        );
        failed += tally.failures.len();
    }
    for (_, tally) in &tallies {
        for failure in &tally.failures {
            eprintln!("  {failure}");
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} cases failed", probes.len()));
    }
    Ok(())
}
