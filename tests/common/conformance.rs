//! PyTorch-recorded conformance cases (../shared/conformance): loading and comparing.

use std::path::Path;

use serde_json::Value;
use wgpool::call::{Inputs, Kwargs, Outputs, OPS};
use wgpool::npy::{self, NpyData};
use wgpool::Array;

pub struct Case {
    pub name: String,
    pub dir: std::path::PathBuf,
    pub json: Value,
    pub op: String,
    pub kwargs: Kwargs,
    pub inputs: Inputs,
    pub expected: Option<(Array<f32>, Option<Array<i64>>)>,
    pub rtol: f64,
    pub atol: f64,
}

fn ints(value: &Value) -> Option<Vec<i64>> {
    match value {
        Value::Null => None,
        Value::Array(items) => Some(items.iter().map(|v| v.as_i64().expect("int")).collect()),
        other => Some(vec![other.as_i64().expect("int")]),
    }
}

pub fn read_f32(path: &Path) -> Array<f32> {
    match npy::read(path).expect("readable case file") {
        npy::NpyArray {
            shape,
            data: NpyData::F32(data),
        } => Array { shape, data },
        other => panic!(
            "{}: expected float32, got {:?}",
            path.display(),
            other.dtype()
        ),
    }
}

pub fn read_i64(path: &Path) -> Array<i64> {
    match npy::read(path).expect("readable case file") {
        npy::NpyArray {
            shape,
            data: NpyData::I64(data),
        } => Array { shape, data },
        other => panic!(
            "{}: expected int64, got {:?}",
            path.display(),
            other.dtype()
        ),
    }
}

fn load(dir: &Path) -> Case {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
    let kw = &json["kwargs"];
    let kwargs = Kwargs {
        kernel_size: ints(&kw["kernel_size"]),
        stride: ints(&kw["stride"]),
        padding: ints(&kw["padding"]),
        dilation: ints(&kw["dilation"]),
        ceil_mode: kw["ceil_mode"].as_bool(),
        count_include_pad: kw["count_include_pad"].as_bool(),
        divisor_override: kw["divisor_override"].as_i64(),
        return_indices: kw["return_indices"].as_bool().unwrap_or(false),
        output_size: match &kw["output_size"] {
            Value::Null => None,
            Value::Array(items) => Some(items.iter().map(Value::as_i64).collect()),
            other => Some(vec![other.as_i64()]),
        },
        output_ratio: match &kw["output_ratio"] {
            Value::Null => None,
            Value::Array(items) => Some(items.iter().map(|v| v.as_f64().unwrap()).collect()),
            other => Some(vec![other.as_f64().unwrap()]),
        },
        norm_type: kw["norm_type"].as_f64(),
    };
    let file = |role: &str, key: &str| json[role][key].as_str().map(|f| dir.join(f));
    let expected = json["error"].is_null().then(|| {
        (
            read_f32(&file("outputs", "output").unwrap()),
            file("outputs", "indices").map(|p| read_i64(&p)),
        )
    });
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        dir: dir.to_path_buf(),
        op: json["op"].as_str().unwrap().to_owned(),
        kwargs,
        inputs: Inputs {
            input: read_f32(&file("inputs", "input").unwrap()),
            indices: file("inputs", "indices").map(|p| read_i64(&p)),
            random_samples: file("inputs", "random_samples").map(|p| read_f32(&p)),
        },
        expected,
        rtol: json["rtol"].as_f64().unwrap(),
        atol: json["atol"].as_f64().unwrap(),
        json,
    }
}

/// The cases of the ops wgpool implements. Fails (not skips) when the folder is missing.
pub fn cases() -> Vec<Case> {
    let root = super::conformance_cases();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("conformance cases at {}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    dirs.sort();
    let cases: Vec<Case> = dirs
        .iter()
        .map(|dir| load(dir))
        .filter(|case| OPS.contains(&case.op.as_str()))
        .collect();
    for op in OPS {
        assert!(
            cases.iter().any(|c| c.op == op),
            "no conformance case for {op}"
        );
    }
    cases
}

/// Why `got` is not PyTorch's result, if it is not.
pub fn mismatch(case: &Case, got: &wgpool::Result<Outputs>) -> Option<String> {
    let (got, (want, want_indices)) = match (got, &case.expected) {
        (Err(_), None) => return None,
        (Ok(_), None) => return Some("PyTorch refuses this call, wgpool accepted it".into()),
        (Err(e), Some(_)) => return Some(format!("refused: {e}")),
        (Ok(got), Some(expected)) => (got, expected),
    };
    if got.values.shape != want.shape {
        return Some(format!("shape {:?} != {:?}", got.values.shape, want.shape));
    }
    for (i, (&g, &w)) in got.values.data.iter().zip(&want.data).enumerate() {
        let close = if w.is_nan() || g.is_nan() {
            w.is_nan() && g.is_nan()
        } else if w.is_infinite() || case.rtol == 0.0 && case.atol == 0.0 {
            g == w
        } else {
            (g as f64 - w as f64).abs() <= case.atol + case.rtol * (w as f64).abs()
        };
        if !close {
            return Some(format!("value {i}: got {g}, PyTorch {w}"));
        }
    }
    match (&got.indices, want_indices) {
        (Some(g), Some(w)) if g != w => Some(format!("indices differ: {:?} vs {:?}", g, w)),
        (None, Some(_)) => Some("no indices returned".into()),
        _ => None,
    }
}
