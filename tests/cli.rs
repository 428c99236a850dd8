//! The `wgpool` binary over every conformance case, the way ../shared/conformance/run.py drives
//! it: flags built from PyTorch's keyword arguments, outputs read back from .npy files, refusals
//! with a message, no panic and no output file.

mod common;

use std::path::Path;
use std::process::Command;

use common::conformance::{cases, mismatch, read_f32, read_i64, Case};
use serde_json::Value;
use wgpool::call::Outputs;
use wgpool::Error;

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
    assert_eq!(rows.len(), 8, "the eight max_pool2d rows of the suite");
    let channels_last = rows
        .iter()
        .filter(|row| row["memory_format"] == "channels_last")
        .count();
    assert_eq!(channels_last, 4, "four of them on channels-last tensors");
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
    // Both ways of visiting large adaptive windows, whatever this adapter picks by itself, and
    // both memory formats.
    for (reduction, format) in [
        ("parallel", "contiguous"),
        ("per-output", "contiguous"),
        ("parallel", "channels_last"),
    ] {
        let result = Command::new(env!("CARGO_BIN_EXE_wgpool"))
            .args(["selftest", "--quick", "--backend", &backend])
            .args(["--reduction", reduction, "--memory-format", format])
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
