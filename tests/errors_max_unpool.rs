//! Every refusal of PYTORCH_POOLING.md §7 without a device, through `MaxUnpool::plan`, the CPU
//! reference, the `call` layer and the CLI's CPU backend: the error variant, the argument it
//! names, a message with the values involved, and PyTorch's check order. Also what PyTorch
//! accepts that looks odd (a zero stride in 2d, the r+2 form of output_size).

use std::process::Command;

use wgpool::call::{Call, Device, Inputs, Kwargs};
use wgpool::npy::{self, NpyData};
use wgpool::{Array, Error, MaxUnpool, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d};

/// `options` refuses a call with `input_shape`/`indices_shape` through `plan` and through the
/// CPU reference, with the same error.
fn refuses<const R: usize>(
    options: MaxUnpool<R>,
    input_shape: &[usize],
    indices_shape: &[usize],
    output_size: Option<&[i64]>,
) -> Error {
    let what = format!("{options:?} on {input_shape:?}/{indices_shape:?}, {output_size:?}");
    let plan = options
        .plan(input_shape, indices_shape, output_size)
        .expect_err(&format!("{what}: accepted"));
    let input = vec![0.0; input_shape.iter().product()];
    let indices = vec![0; indices_shape.iter().product()];
    let cpu = wgpool::cpu::max_unpool(
        &options,
        &input,
        input_shape,
        &indices,
        indices_shape,
        output_size,
    )
    .expect_err(&format!("{what}: the CPU accepted"));
    assert_eq!(
        format!("{plan:?}"),
        format!("{cpu:?}"),
        "{what}: plan vs CPU"
    );
    plan
}

/// `options` accepts `shape` (indices alike) with output shape `out`, on the CPU too.
fn accepts<const R: usize>(
    options: MaxUnpool<R>,
    shape: &[usize],
    output_size: Option<&[i64]>,
    out: &[usize],
) {
    let plan = options
        .plan(shape, shape, output_size)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.output_shape, out, "{options:?} on {shape:?}");
    let len = shape.iter().product();
    let values = wgpool::cpu::max_unpool(
        &options,
        &vec![1.0; len],
        shape,
        &vec![0; len],
        shape,
        output_size,
    )
    .unwrap();
    assert_eq!(values.shape, out);
    assert_eq!(values.data.len(), out.iter().product::<usize>());
}

/// An `InvalidArgument` from `op` about `argument` whose message names every needle.
fn assert_argument(error: &Error, op: &str, argument: &str, needles: &[&str]) {
    match error {
        Error::InvalidArgument {
            op: o,
            argument: a,
            message,
        } => {
            assert_eq!((*o, *a), (op, argument), "{error:?}");
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
            assert!(error
                .to_string()
                .starts_with(&format!("{op}: {argument}: ")));
        }
        other => panic!("expected InvalidArgument {{ {op}, {argument} }}, got {other:?}"),
    }
}

/// An `InvalidShape` from `op` whose message names every needle.
fn assert_shape(error: &Error, op: &str, needles: &[&str]) {
    match error {
        Error::InvalidShape { op: o, message } => {
            assert_eq!(*o, op, "{error:?}");
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
        }
        other => panic!("expected InvalidShape from {op}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Each rule.

#[test]
fn wrong_ranks_are_refused() {
    let e = refuses(MaxUnpool2d::new(2), &[4, 4], &[4, 4], None);
    assert_shape(
        &e,
        "max_unpool2d",
        &["should be a 3d or 4d Tensor", "2 dimensions"],
    );
    let e = refuses(MaxUnpool1d::new(2), &[1, 1, 1, 4], &[1, 1, 1, 4], None);
    assert_shape(&e, "max_unpool1d", &["2d or 3d", "4 dimensions"]);
    let e = refuses(MaxUnpool3d::new(2), &[2, 2, 2], &[2, 2, 2], None);
    assert_shape(&e, "max_unpool3d", &["4d or 5d", "3 dimensions"]);
    let e = refuses(MaxUnpool3d::new(2), &[], &[], None);
    assert_shape(&e, "max_unpool3d", &["0 dimensions"]);
}

#[test]
fn output_size_of_the_wrong_length_is_refused() {
    for sizes in [&[][..], &[4], &[4, 4, 4], &[1, 1, 4, 4, 4]] {
        let e = refuses(
            MaxUnpool2d::new(2),
            &[1, 1, 2, 2],
            &[1, 1, 2, 2],
            Some(sizes),
        );
        let length = format!("a length of '{}'", sizes.len());
        assert_argument(
            &e,
            "max_unpool2d",
            "output_size",
            &["2 or 4 elements", &length],
        );
    }
    let e = refuses(MaxUnpool1d::new(2), &[1, 2], &[1, 2], Some(&[4, 4]));
    assert_argument(&e, "max_unpool1d", "output_size", &["1 or 3 elements"]);
}

#[test]
fn output_size_outside_the_stride_window_is_refused() {
    // MaxPool2d(3, 2) on 5x5 has a 2x2 output; unpooled, the default is 5, window (3, 7).
    let options = MaxUnpool2d::new(3).stride(2);
    let shape = [1, 1, 2, 2];
    for (sizes, text, dim) in [
        ([3, 5], "(3, 5)", 0),
        ([5, 7], "(5, 7)", 1),
        ([-1, 5], "(-1, 5)", 0),
    ] {
        let e = refuses(options, &shape, &shape, Some(&sizes));
        let between = format!("dim {dim} must be between 3 and 7");
        let quoted = format!("invalid output_size \"{text}\"");
        assert_argument(&e, "max_unpool2d", "output_size", &[&quoted, &between]);
    }
    // The r+2 form quotes the spatial part, and ignores N and C whatever they are.
    let e = refuses(options, &shape, &shape, Some(&[1, 1, 4, 8]));
    assert_argument(&e, "max_unpool2d", "output_size", &["\"(4, 8)\""]);
    accepts(options, &shape, Some(&[-5, 99, 4, 6]), &[1, 1, 4, 6]);
    accepts(options, &shape, Some(&[6, 4]), &[1, 1, 6, 4]);
    // A stride of 0 leaves no room at all for an explicit size.
    let e = refuses(MaxUnpool2d::new(2).stride(0), &shape, &shape, Some(&[2, 2]));
    assert_argument(&e, "max_unpool2d", "output_size", &["between 2 and 2"]);
}

#[test]
fn indices_of_another_shape_are_refused() {
    let e = refuses(MaxUnpool2d::new(2), &[1, 1, 2, 2], &[1, 1, 2], None);
    assert_shape(
        &e,
        "max_unpool2d",
        &["shape of indices", "[1, 1, 2, 2]", "[1, 1, 2]"],
    );
    // Same element count, other shape.
    let e = refuses(MaxUnpool1d::new(2), &[1, 4, 1], &[1, 1, 4], None);
    assert_shape(&e, "max_unpool1d", &["[1, 4, 1]", "[1, 1, 4]"]);
}

#[test]
fn zero_channels_and_spatial_dims_are_refused_but_not_zero_batches() {
    for shape in [&[1, 0, 2, 2][..], &[0, 2, 2], &[1, 1, 0, 2], &[2, 3, 2, 0]] {
        let e = refuses(MaxUnpool2d::new(2), shape, shape, None);
        assert_shape(&e, "max_unpool2d", &["non-zero", &format!("{shape:?}")]);
    }
    accepts(MaxUnpool2d::new(2), &[0, 3, 2, 2], None, &[0, 3, 4, 4]);
    accepts(
        MaxUnpool3d::new(2),
        &[0, 1, 1, 1, 1],
        None,
        &[0, 1, 2, 2, 2],
    );
}

#[test]
fn non_positive_strides_are_refused_in_3d_only() {
    for stride in [[0, 1, 1], [1, -1, 1], [1, 1, i64::MIN]] {
        let e = refuses(
            MaxUnpool3d::new(2).stride(stride),
            &[1, 2, 2, 2],
            &[1, 2, 2, 2],
            None,
        );
        assert_argument(
            &e,
            "max_unpool3d",
            "stride",
            &[
                "strides should be greater than zero",
                &format!("{stride:?}"),
            ],
        );
    }
    // PyTorch's 1d/2d never see the stride beyond the default size: (in - 1) * s + k - 2p.
    accepts(MaxUnpool2d::new(2).stride(0), &[1, 3, 3], None, &[1, 2, 2]);
    accepts(MaxUnpool1d::new(5).stride(-1), &[1, 3], None, &[1, 3]);
    // And they take a zero kernel or a negative padding as long as the size is not negative.
    accepts(MaxUnpool1d::new(0).stride(2), &[1, 3], None, &[1, 4]);
    accepts(
        MaxUnpool2d::new(1).padding(-1),
        &[1, 2, 2],
        None,
        &[1, 4, 4],
    );
}

#[test]
fn negative_output_sizes_are_refused() {
    // Explicit: -1 is inside the window of a default of 0 with stride 2.
    let options = MaxUnpool1d::new(2).padding(1);
    let e = refuses(options, &[1, 1], &[1, 1], Some(&[-1]));
    assert_argument(
        &e,
        "max_unpool1d",
        "output_size",
        &["negative dimension -1", "[1, -1]"],
    );
    accepts(options, &[1, 1], Some(&[0]), &[1, 0]);
    accepts(options, &[1, 1], Some(&[1]), &[1, 1]);
    // The default: k - 2p < 0 on a length-1 input.
    let e = refuses(
        MaxUnpool2d::new(1).padding([0, 1]),
        &[1, 2, 1],
        &[1, 2, 1],
        None,
    );
    assert_shape(&e, "max_unpool2d", &["negative dimension -1", "[1, 2, -1]"]);
}

/// Hostile values: no panic, no overflow, and an error naming what is too big.
#[test]
fn extreme_values_are_refused_without_overflow() {
    let shape = [1, 2, 2];
    let e = refuses(MaxUnpool2d::new(i64::MAX), &shape, &shape, None);
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    let e = refuses(MaxUnpool2d::new(i64::MIN), &shape, &shape, None);
    assert!(matches!(e, Error::InvalidShape { .. }), "{e:?}");
    let e = refuses(MaxUnpool2d::new(2).padding(i64::MIN), &shape, &shape, None);
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    // (in - 1) * s + k - 2p below i128's range: only for a length no data can have, so through
    // plan and an empty CPU call (which refuses before looking at the data).
    let options = MaxUnpool1d::new(i64::MIN)
        .stride(i64::MIN)
        .padding(i64::MAX);
    let huge = [1, usize::MAX];
    let e = options.plan(&huge, &huge, None).unwrap_err();
    assert_argument(&e, "max_unpool1d", "kernel_size", &["overflows"]);
    let cpu = wgpool::cpu::max_unpool(&options, &[], &huge, &[], &huge, None).unwrap_err();
    assert_eq!(format!("{cpu:?}"), format!("{e:?}"));
    for sizes in [[i64::MAX, 4], [i64::MIN, 4]] {
        let e = refuses(MaxUnpool2d::new(2), &shape, &shape, Some(&sizes));
        assert_argument(&e, "max_unpool2d", "output_size", &["must be between"]);
    }
    // Each size fits, their product does not.
    let big = 1i64 << 40;
    let e = refuses(
        MaxUnpool3d::new(big).stride(big),
        &[1, 1, 1, 1],
        &[1, 1, 1, 1],
        None,
    );
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
}

#[test]
fn the_cpu_reference_refuses_data_of_the_wrong_length() {
    let options = MaxUnpool1d::new(2);
    let e = wgpool::cpu::max_unpool(&options, &[1.0; 3], &[1, 4], &[0; 4], &[1, 4], None);
    assert!(
        matches!(e, Err(Error::TensorMismatch(ref m)) if m.contains("input")),
        "{e:?}"
    );
    let e = wgpool::cpu::max_unpool(&options, &[1.0; 4], &[1, 4], &[0; 5], &[1, 4], None);
    assert!(
        matches!(e, Err(Error::TensorMismatch(ref m)) if m.contains("indices")),
        "{e:?}"
    );
}

#[test]
fn invalid_index_error_reads_like_pytorch() {
    let e = wgpool::cpu::max_unpool(
        &MaxUnpool2d::new(2),
        &[1.0; 4],
        &[1, 1, 2, 2],
        &[0, 16, 1, 2],
        &[1, 1, 2, 2],
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "max_unpool2d: Found an invalid max index: 16 (output volumes are of size 4x4), at flat \
         position 1 of indices"
    );
}

// ---------------------------------------------------------------------------------------------
// PyTorch's check order: of two broken rules, the earlier one is reported.

#[test]
fn checks_run_in_pytorch_order() {
    let op = "max_unpool2d";
    // Rank before output_size length.
    let e = refuses(MaxUnpool2d::new(2), &[4, 4], &[4, 4], Some(&[1, 2, 3]));
    assert_shape(&e, op, &["dimensions"]);
    // output_size length before the indices' shape.
    let e = refuses(MaxUnpool2d::new(2), &[1, 2, 2], &[1, 2], Some(&[1, 2, 3]));
    assert_argument(&e, op, "output_size", &["length of '3'"]);
    // The output_size window before the indices' shape (and before zero dims).
    let e = refuses(MaxUnpool2d::new(2), &[0, 2, 2], &[1, 2], Some(&[9, 9]));
    assert_argument(&e, op, "output_size", &["must be between"]);
    // The indices' shape before zero dims.
    let e = refuses(MaxUnpool2d::new(2), &[1, 0, 2, 2], &[1, 0, 2, 1], None);
    assert_shape(&e, op, &["shape of indices"]);
    // Zero dims before the 3d stride.
    let e = refuses(
        MaxUnpool3d::new(2).stride(0),
        &[0, 2, 2, 2],
        &[0, 2, 2, 2],
        None,
    );
    assert_shape(&e, "max_unpool3d", &["non-zero"]);
    // The 3d stride before a negative default size.
    let e = refuses(
        MaxUnpool3d::new(1).stride([0, 1, 1]).padding(3),
        &[1, 2, 2, 2],
        &[1, 2, 2, 2],
        None,
    );
    assert_argument(&e, "max_unpool3d", "stride", &["greater than zero"]);
}

// ---------------------------------------------------------------------------------------------
// The call layer and the CLI.

fn call_inputs(shape: &[usize], indices: Option<Vec<i64>>) -> Inputs {
    let len = shape.iter().product();
    Inputs {
        input: Array {
            shape: shape.to_vec(),
            data: (0..len).map(|v| v as f32 + 1.0).collect(),
        },
        indices: indices.map(|data| Array {
            shape: shape.to_vec(),
            data,
        }),
        random_samples: None,
    }
}

fn kwargs(kernel: i64) -> Kwargs {
    Kwargs {
        kernel_size: Some(vec![kernel]),
        ..Kwargs::default()
    }
}

#[test]
fn call_runs_max_unpool_by_name() {
    let call = Call::new("max_unpool2d", &kwargs(2)).unwrap();
    let inputs = call_inputs(&[1, 2, 2], Some(vec![0, 0, 0, 5]));
    assert_eq!(call.output_shape(&inputs).unwrap(), [1, 4, 4]);
    let out = call.run(&inputs, Device::Cpu).unwrap();
    assert_eq!((out.values.data[0], out.values.data[5]), (3.0, 4.0));
    assert!(out.indices.is_none());
    let call = Call::new(
        "max_unpool1d",
        &Kwargs {
            output_size: Some(vec![Some(1), Some(1), Some(5)]),
            stride: Some(vec![]), // PyTorch's stride=[]: the kernel size
            ..kwargs(2)
        },
    )
    .unwrap();
    assert_eq!(
        call.output_shape(&call_inputs(&[1, 1, 2], Some(vec![0, 4])))
            .unwrap(),
        [1, 1, 5]
    );
}

#[test]
fn call_refuses_what_max_unpool_does_not_take() {
    let refused = [
        (
            "dilation",
            Kwargs {
                dilation: Some(vec![1]),
                ..kwargs(2)
            },
        ),
        (
            "ceil_mode",
            Kwargs {
                ceil_mode: Some(false),
                ..kwargs(2)
            },
        ),
        (
            "return_indices",
            Kwargs {
                return_indices: true,
                ..kwargs(2)
            },
        ),
        (
            "norm_type",
            Kwargs {
                norm_type: Some(2.0),
                ..kwargs(2)
            },
        ),
        (
            "output_size",
            Kwargs {
                output_size: Some(vec![Some(4), None]),
                ..kwargs(2)
            },
        ),
        ("kernel_size", Kwargs::default()),
    ];
    for (argument, kwargs) in refused {
        let e = Call::new("max_unpool2d", &kwargs).unwrap_err();
        assert_argument(&e, "max_unpool2d", argument, &[]);
    }
    let call = Call::new("max_unpool2d", &kwargs(2)).unwrap();
    let e = call
        .output_shape(&call_inputs(&[1, 2, 2], None))
        .unwrap_err();
    assert_argument(&e, "max_unpool2d", "indices", &["required"]);
    let mut with_samples = call_inputs(&[1, 2, 2], Some(vec![0; 4]));
    with_samples.random_samples = Some(Array {
        shape: vec![1, 1, 2],
        data: vec![0.5; 2],
    });
    let e = call.run(&with_samples, Device::Cpu).unwrap_err();
    assert_argument(&e, "max_unpool2d", "random_samples", &[]);
}

/// Runs the CLI on the CPU backend; returns (success, stderr, whether the output exists).
fn cli(dir: &std::path::Path, indices: NpyData, extra: &[&str]) -> (bool, String, bool) {
    let input = dir.join("in.npy");
    let index_file = dir.join("idx.npy");
    let output = dir.join("out.npy");
    let _ = std::fs::remove_file(&output);
    npy::write(
        &input,
        &[1, 1, 2, 2],
        &NpyData::F32(vec![1.0, 2.0, 3.0, 4.0]),
    )
    .unwrap();
    npy::write(&index_file, &[1, 1, 2, 2], &indices).unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_wgpool"))
        .args([
            "run",
            "max_unpool2d",
            "--kernel-size",
            "2",
            "--backend",
            "cpu",
        ])
        .arg("--input")
        .arg(&input)
        .arg("--indices")
        .arg(&index_file)
        .arg("--output")
        .arg(&output)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (result.status.success(), stderr, output.exists())
}

#[test]
fn cli_takes_int64_indices_only_and_reports_invalid_ones() {
    let dir = std::env::temp_dir().join(format!("wgpool-unpool-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let (ok, stderr, wrote) = cli(&dir, NpyData::I32(vec![0, 1, 2, 3]), &[]);
    assert!(!ok && !wrote, "int32 indices accepted: {stderr}");
    assert!(
        stderr.contains("indices must be int64") && stderr.contains("int32"),
        "{stderr}"
    );

    let (ok, stderr, wrote) = cli(&dir, NpyData::I64(vec![0, 16, 2, 3]), &[]);
    assert!(!ok && !wrote, "an invalid index accepted: {stderr}");
    assert!(
        stderr.contains("Found an invalid max index: 16 (output volumes are of size 4x4)"),
        "{stderr}"
    );

    let (ok, stderr, wrote) = cli(
        &dir,
        NpyData::I64(vec![0, 0, 0, 24]),
        &["--output-size", "5,5"],
    );
    assert!(ok && wrote, "{stderr}");
    let out = npy::read(&dir.join("out.npy")).unwrap();
    assert_eq!(out.shape, [1, 1, 5, 5]);
    match out.data {
        NpyData::F32(values) => assert_eq!((values[0], values[24]), (3.0, 4.0)),
        other => panic!("expected float32, got {:?}", other.dtype()),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
