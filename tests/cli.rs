//! The `wgpool` binary over every conformance case, the way ../shared/conformance/run.py drives
//! it: flags built from PyTorch's keyword arguments, outputs read back from .npy files, refusals
//! with a message, no panic and no output file.

mod common;

use std::path::Path;
use std::process::Command;

use common::conformance::{cases, mismatch, read_f32, read_i64, Case};
use serde_json::Value;
use wgpool::call::Outputs;
use wgpool::npy::{self, NpyData};
use wgpool::{f16, Error};

/// A JSON kwarg as run.py formats it: tuples comma-separated, `none` for null entries.
fn flag_value(value: &Value) -> String {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| {
                if v.is_null() {
                    "none".into()
                } else {
                    v.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

fn run_case(case: &Case, backend: &str, extra: &[&str], out_dir: &Path) -> Result<Outputs, String> {
    let output = out_dir.join(format!("{}.npy", case.name));
    let indices = out_dir.join(format!("{}.idx.npy", case.name));
    let mut command = Command::new(env!("CARGO_BIN_EXE_wgpool"));
    command
        .args(["run", &case.op, "--input"])
        .arg(
            case.dir
                .join(case.json["inputs"]["input"].as_str().unwrap()),
        )
        .arg("--output")
        .arg(&output)
        .args(["--backend", backend])
        .args(extra);
    for (role, flag) in [
        ("indices", "--indices"),
        ("random_samples", "--random-samples"),
    ] {
        if let Some(file) = case.json["inputs"][role].as_str() {
            command.arg(flag).arg(case.dir.join(file));
        }
    }
    for (key, value) in case.json["kwargs"].as_object().unwrap() {
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("return_indices", Value::Bool(true)) => {
                command.arg("--return-indices").arg(&indices);
            }
            ("return_indices", _) => {}
            _ => {
                command
                    .arg(format!("--{}", key.replace('_', "-")))
                    .arg(flag_value(value));
            }
        }
    }
    let result = command.output().expect("the wgpool binary runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}: panic: {stderr}",
        case.name
    );
    if !result.status.success() {
        assert!(
            !output.exists(),
            "{}: refused but wrote {}",
            case.name,
            output.display()
        );
        let message = stderr.lines().last().unwrap_or_default().to_owned();
        assert!(
            !message.is_empty(),
            "{}: refused without a message",
            case.name
        );
        return Err(message);
    }
    Ok(Outputs {
        values: read_f32(&output),
        indices: indices.exists().then(|| read_i64(&indices)),
    })
}

fn run_all(backend: &str) {
    run_cases(backend, &[], cases());
}

fn run_cases(backend: &str, extra: &[&str], cases: Vec<Case>) {
    let out_dir = std::env::temp_dir().join(format!(
        "wgpool-cli-{backend}-{}-{}",
        extra.join(""),
        std::process::id()
    ));
    std::fs::create_dir_all(&out_dir).unwrap();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = run_case(case, backend, extra, &out_dir).map_err(Error::UnknownOp);
            mismatch(case, &got).map(|why| format!("{} {}: {why}", case.name, case.op))
        })
        .collect();
    std::fs::remove_dir_all(&out_dir).unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cli_cpu_backend_matches_pytorch() {
    run_all("cpu");
}

#[test]
fn cli_gpu_backend_matches_pytorch() {
    if common::gpu().is_some() {
        run_all(&std::env::var("WGPOOL_TEST_BACKEND").unwrap_or_else(|_| "any".into()));
    }
}

#[test]
fn cli_gpu_channels_last_matches_pytorch() {
    // The batched 2-d and 3-d pools: channels-last kernels or contiguous copies, same files.
    if common::gpu().is_some() {
        let backend = std::env::var("WGPOOL_TEST_BACKEND").unwrap_or_else(|_| "any".into());
        let batched = cases()
            .into_iter()
            .filter(|case| case.inputs.input.shape.len() >= 4)
            .collect();
        run_cases(&backend, &["--memory-format", "channels_last"], batched);
    }
}

#[test]
fn cli_refuses_bad_invocations_with_one_line_and_no_output() {
    let dir = std::env::temp_dir().join(format!("wgpool-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.npy");
    std::fs::write(&input, b"\x93NUMPY garbage").unwrap();
    let output = dir.join("out.npy");
    let attempts: [&[&str]; 6] = [
        &["run", "max_pool2d", "--kernel-size", "2"], // unreadable input
        &["run", "no_such_pool", "--kernel-size", "2"], // unknown op
        &["run", "avg_pool2d", "--kernel-size", "2", "--dilation", "2"], // flag the op lacks
        &["run", "max_pool2d", "--kernel-size", "2.5"], // not an int
        &[
            "run",
            "max_pool2d",
            "--kernel-size",
            "2",
            "--backend",
            "nope",
        ],
        &["run", "max_pool2d", "--memory-format", "nhwc"], // unknown format
    ];
    for args in attempts {
        let result = Command::new(env!("CARGO_BIN_EXE_wgpool"))
            .args(args)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{args:?} succeeded");
        assert!(
            !stderr.trim().is_empty() && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
        assert!(!output.exists(), "{args:?} wrote an output");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_bench_writes_json_and_plots() {
    if common::gpu().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("wgpool-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, svg, png) = (dir.join("b.json"), dir.join("b.svg"), dir.join("b.png"));
    let backend = std::env::var("WGPOOL_TEST_BACKEND").unwrap_or_else(|_| "any".into());
    for plot in [&svg, &png] {
        let result = Command::new(env!("CARGO_BIN_EXE_wgpool"))
            .args([
                "bench",
                "--quick",
                "--only",
                "max_pool2d",
                "--backend",
                &backend,
            ])
            .arg("--json")
            .arg(&json)
            .arg("--plot")
            .arg(plot)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert!(
            std::fs::metadata(plot).unwrap().len() > 1000,
            "{} is empty",
            plot.display()
        );
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(["timestamp", "wall"].contains(&report["timing"].as_str().unwrap()));
    let rows = report["results"].as_array().unwrap();
    let count = |key: &str, value: &str| rows.iter().filter(|row| row[key] == value).count();
    // float16 rows run where the device has shader-f16 (not on GL).
    let f16_rows = match common::gpu().unwrap().device().features() {
        f if f.contains(wgpu::Features::SHADER_F16) => 3,
        _ => 0,
    };
    assert_eq!(
        count("dtype", "float32"),
        8,
        "the eight f32 max_pool2d rows"
    );
    assert_eq!(
        count("dtype", "float16"),
        f16_rows,
        "the f16 max_pool2d rows"
    );
    assert_eq!(rows.len(), 8 + f16_rows, "no other rows");
    assert_eq!(
        count("memory_format", "channels_last"),
        4 + f16_rows / 3,
        "four f32 rows and one f16 row on channels-last tensors"
    );
    for row in rows {
        for key in ["ms", "gbps", "copy_gbps", "ratio_to_copy", "cpu_ms"] {
            let value = row[key].as_f64().unwrap();
            assert!(value.is_finite() && value > 0.0, "{key} = {value} in {row}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_selftest_passes_for_every_op_family() {
    if common::gpu().is_none() {
        return;
    }
    let backend = std::env::var("WGPOOL_TEST_BACKEND").unwrap_or_else(|_| "any".into());
    // Both ways of visiting large adaptive windows, whatever this adapter picks by itself, both
    // memory formats, and float16 where the device has it.
    let has_f16 = common::gpu()
        .unwrap()
        .device()
        .features()
        .contains(wgpu::Features::SHADER_F16);
    let runs = [
        ("parallel", "contiguous", "float32"),
        ("per-output", "contiguous", "float32"),
        ("parallel", "channels_last", "float32"),
        ("per-output", "channels_last", "float16"),
    ];
    for (reduction, format, dtype) in runs.into_iter().filter(|r| has_f16 || r.2 == "float32") {
        let result = Command::new(env!("CARGO_BIN_EXE_wgpool"))
            .args(["selftest", "--quick", "--backend", &backend])
            .args([
                "--reduction",
                reduction,
                "--memory-format",
                format,
                "--dtype",
                dtype,
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(
            result.status.success(),
            "{reduction}: {stdout}{}",
            String::from_utf8_lossy(&result.stderr)
        );
        for op in wgpool::call::OPS {
            let row = stdout
                .lines()
                .find(|line| line.split_whitespace().next() == Some(op))
                .unwrap_or_else(|| panic!("{reduction}: no selftest row for {op}:\n{stdout}"));
            assert!(row.ends_with("pass"), "{reduction}: {row}");
        }
    }
}

#[test]
fn cli_reads_and_writes_float16_npy() {
    let Some(ctx) = common::gpu() else { return };
    let dir = std::env::temp_dir().join(format!("wgpool-cli-f16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, shape: &[usize], values: &[f32]| {
        let path = dir.join(name);
        let bits = values.iter().map(|&v| f16::from_f32(v).to_bits()).collect();
        npy::write(&path, shape, &NpyData::F16(bits)).unwrap();
        path
    };
    let input: Vec<f32> = (0..2 * 3 * 9 * 10)
        .map(|i| ((i * 37) % 101) as f32 / 7.0)
        .collect();
    let x = write("x.npy", &[2, 3, 9, 10], &input);
    let backend = std::env::var("WGPOOL_TEST_BACKEND").unwrap_or_else(|_| "any".into());
    let has_f16 = ctx.device().features().contains(wgpu::Features::SHADER_F16);
    let run = |op: &str, backend: &str, output: &Path| {
        Command::new(env!("CARGO_BIN_EXE_wgpool"))
            .args([
                "run",
                op,
                "--kernel-size",
                "3",
                "--stride",
                "2",
                "--backend",
                backend,
            ])
            .arg("--input")
            .arg(&x)
            .arg("--output")
            .arg(output)
            .output()
            .unwrap()
    };
    for op in ["avg_pool2d", "max_pool2d"] {
        let (gpu_out, cpu_out) = (dir.join(format!("{op}.gpu.npy")), dir.join("cpu.npy"));
        let cpu = run(op, "cpu", &cpu_out);
        assert!(
            cpu.status.success(),
            "{}",
            String::from_utf8_lossy(&cpu.stderr)
        );
        let gpu = run(op, &backend, &gpu_out);
        if !has_f16 {
            let stderr = String::from_utf8_lossy(&gpu.stderr);
            assert!(
                !gpu.status.success() && stderr.contains("shader-f16"),
                "{stderr}"
            );
            assert!(
                !gpu_out.exists(),
                "a refused call wrote {}",
                gpu_out.display()
            );
            continue;
        }
        assert!(
            gpu.status.success(),
            "{}",
            String::from_utf8_lossy(&gpu.stderr)
        );
        let read = |path: &Path| match npy::read(path).unwrap().data {
            NpyData::F16(bits) => bits,
            other => panic!("{op}: a float16 input gave {} output", other.dtype().name()),
        };
        // Values rounded once from f32 sums: the same f16, or its neighbour.
        for (g, c) in read(&gpu_out).into_iter().zip(read(&cpu_out)) {
            assert!(
                g.abs_diff(c) <= u16::from(op == "avg_pool2d"),
                "{op}: {g:#x} vs {c:#x}"
            );
        }
    }

    // PyTorch refuses random samples of another dtype than the input's.
    let samples_path = dir.join("samples.npy");
    npy::write(&samples_path, &[2, 3, 2], &NpyData::F32(vec![0.5; 12])).unwrap();
    let output = dir.join("fractional.npy");
    let refused = Command::new(env!("CARGO_BIN_EXE_wgpool"))
        .args(["run", "fractional_max_pool2d", "--kernel-size", "2"])
        .args(["--output-size", "4,4", "--backend", "cpu", "--input"])
        .arg(&x)
        .arg("--random-samples")
        .arg(&samples_path)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("dtype"),
        "{stderr}"
    );
    assert!(!output.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
