//! Every refusal of PYTORCH_POOLING.md §5 and §6, through the options' `plan`, the CPU
//! references and the op-by-name layer, with no device: the error variant, the argument it
//! names, a message naming the values, PyTorch's check order per op, and the edge cases that
//! must be accepted (C=0 asymmetries, output sizes of 0, None entries, outputs past the input).

use wgpool::call::{Call, Device, Inputs, Kwargs};
use wgpool::{
    AdaptiveAvgPool, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool,
    AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, Array, Error,
};

/// Zeros for `shape` (the CPU references check the length before pooling).
fn zeros(shape: &[usize]) -> Vec<f32> {
    vec![0.0; shape.iter().product()]
}

/// `options` refuses `shape` through `plan` and through `cpu::adaptive_avg_pool`, alike.
fn avg_refuses<const R: usize>(options: AdaptiveAvgPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let cpu = wgpool::cpu::adaptive_avg_pool(&options, &zeros(shape), shape)
        .expect_err(&format!("cpu {options:?} accepted {shape:?}"));
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

/// `options` refuses `shape` through `plan` and through `cpu::adaptive_max_pool`, alike.
fn max_refuses<const R: usize>(options: AdaptiveMaxPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let cpu = wgpool::cpu::adaptive_max_pool(&options, &zeros(shape), shape)
        .expect_err(&format!("cpu {options:?} accepted {shape:?}"));
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

/// `options` accepts `shape` through `plan` and the CPU reference, with output shape `out`.
fn avg_accepts<const R: usize>(options: AdaptiveAvgPool<R>, shape: &[usize], out: &[usize]) {
    let plan = options
        .plan(shape)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.output_shape, out, "{options:?} on {shape:?}");
    let values = wgpool::cpu::adaptive_avg_pool(&options, &zeros(shape), shape).unwrap();
    assert_eq!(values.shape, out);
    assert_eq!(values.data.len(), out.iter().product::<usize>());
}

/// `options` accepts `shape` through `plan` and the CPU reference, with output shape `out`.
fn max_accepts<const R: usize>(options: AdaptiveMaxPool<R>, shape: &[usize], out: &[usize]) {
    let plan = options
        .plan(shape)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.output_shape, out, "{options:?} on {shape:?}");
    let (values, indices) = wgpool::cpu::adaptive_max_pool(&options, &zeros(shape), shape).unwrap();
    assert_eq!(
        (values.shape.as_slice(), indices.shape.as_slice()),
        (out, out)
    );
    let len: usize = out.iter().product();
    assert_eq!((values.data.len(), indices.data.len()), (len, len));
}

/// An `InvalidArgument` from `op` about `argument`, whose message and Display name every needle.
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
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{op}: {argument}: ")),
                "{error}"
            );
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
            assert!(error.to_string().starts_with(&format!("{op}: ")), "{error}");
        }
        other => panic!("expected InvalidShape from {op}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// output_size.

#[test]
fn negative_output_sizes_are_refused() {
    let e = avg_refuses(AdaptiveAvgPool2d::new([-1, 2]), &[1, 4, 4]);
    assert_argument(
        &e,
        "adaptive_avg_pool2d",
        "output_size",
        &["greater than or equal to 0", "{-1, 2}"],
    );
    let e = avg_refuses(AdaptiveAvgPool1d::new(-3), &[1, 4]);
    assert_argument(&e, "adaptive_avg_pool1d", "output_size", &["{-3}"]);
    let e = avg_refuses(
        AdaptiveAvgPool3d::new([Some(2), None, Some(-1)]),
        &[1, 4, 4, 4],
    );
    assert_argument(&e, "adaptive_avg_pool3d", "output_size", &["{2, None, -1}"]);
    let e = max_refuses(AdaptiveMaxPool2d::new(-1), &[1, 1, 4, 4]);
    assert_argument(&e, "adaptive_max_pool2d", "output_size", &["{-1, -1}"]);
    let e = max_refuses(AdaptiveMaxPool1d::new(i64::MIN), &[2, 4]);
    assert_argument(
        &e,
        "adaptive_max_pool1d",
        "output_size",
        &["-9223372036854775808"],
    );
}

#[test]
fn none_is_refused_in_1d_and_needs_a_channel_dim() {
    let e = avg_refuses(AdaptiveAvgPool1d::new([None::<i64>]), &[1, 4]);
    assert_argument(&e, "adaptive_avg_pool1d", "output_size", &["None"]);
    let e = max_refuses(AdaptiveMaxPool1d::new([None::<i64>]), &[1, 1, 4]);
    assert_argument(&e, "adaptive_max_pool1d", "output_size", &["None"]);
    // PyTorch's Python wrapper: "Input dimension should be at least 3".
    let e = avg_refuses(AdaptiveAvgPool2d::new([Some(2), None]), &[8, 8]);
    assert_shape(&e, "adaptive_avg_pool2d", &["at least 3", "[8, 8]"]);
    let e = max_refuses(AdaptiveMaxPool3d::new([None, Some(1), Some(1)]), &[4, 4, 4]);
    assert_shape(&e, "adaptive_max_pool3d", &["at least 4", "[4, 4, 4]"]);
    // With an int instead, the plain rank check speaks.
    let e = avg_refuses(AdaptiveAvgPool2d::new(2), &[8, 8]);
    assert_shape(&e, "adaptive_avg_pool2d", &["3D", "4D", "[8, 8]"]);
}

#[test]
fn output_sizes_whose_storage_overflows_int64_are_refused() {
    // PyTorch's test_adaptive_pooling_size_overflow: 2^62 - 1 on (2, 2, 2).
    let huge = 0x3fff_ffff_ffff_ffff_i64;
    let e = max_refuses(AdaptiveMaxPool1d::new(huge), &[2, 2, 2]);
    assert_argument(
        &e,
        "adaptive_max_pool1d",
        "output_size",
        &["overflows", "int64"],
    );
    let e = avg_refuses(AdaptiveAvgPool1d::new(huge), &[2, 2, 2]);
    assert_argument(&e, "adaptive_avg_pool1d", "output_size", &["overflows"]);
    let e = avg_refuses(AdaptiveAvgPool3d::new(i64::MAX), &[1, 1, 1, 1]);
    assert_argument(&e, "adaptive_avg_pool3d", "output_size", &["overflows"]);
    let e = max_refuses(AdaptiveMaxPool2d::new(usize::MAX), &[1, 2, 2]);
    assert_argument(&e, "adaptive_max_pool2d", "output_size", &["overflows"]);
    // The bytes decide: 2^61 - 1 float32 outputs fit int64, their int64 indices do not.
    let (avg, max) = (
        AdaptiveAvgPool1d::new(i64::MAX / 4),
        AdaptiveMaxPool1d::new(i64::MAX / 4),
    );
    assert!(avg.plan(&[1, 2]).is_ok());
    let e = max_refuses(max, &[1, 2]);
    assert_argument(&e, "adaptive_max_pool1d", "output_size", &["overflows"]);
    // What the plan accepts but no host could allocate is refused, not attempted.
    assert!(matches!(
        wgpool::cpu::adaptive_avg_pool(&avg, &[0.0; 2], &[1, 2]),
        Err(Error::TooLarge { .. })
    ));
    // An empty batch makes any size fine: nothing is stored.
    avg_accepts(
        AdaptiveAvgPool1d::new(huge),
        &[0, 2, 2],
        &[0, 2, huge as usize],
    );
    max_accepts(
        AdaptiveMaxPool1d::new(huge),
        &[0, 2, 2],
        &[0, 2, huge as usize],
    );
}

// ---------------------------------------------------------------------------------------------
// Ranks and zero sizes.

#[test]
fn wrong_ranks_are_refused() {
    let e = avg_refuses(AdaptiveAvgPool1d::new(2), &[5]);
    assert_shape(&e, "adaptive_avg_pool1d", &["[5]"]);
    let e = avg_refuses(AdaptiveAvgPool1d::new(2), &[1, 1, 1, 5]);
    assert_shape(&e, "adaptive_avg_pool1d", &["[1, 1, 1, 5]"]);
    let e = avg_refuses(AdaptiveAvgPool2d::new(2), &[1, 1, 2, 2, 2]);
    assert_shape(&e, "adaptive_avg_pool2d", &["[1, 1, 2, 2, 2]"]);
    let e = avg_refuses(AdaptiveAvgPool3d::new(1), &[2, 2, 2]);
    assert_shape(&e, "adaptive_avg_pool3d", &["4D", "5D", "[2, 2, 2]"]);
    let e = max_refuses(AdaptiveMaxPool2d::new(2), &[8, 8]);
    assert_shape(&e, "adaptive_max_pool2d", &["[8, 8]"]);
    let e = max_refuses(AdaptiveMaxPool3d::new(2), &[]);
    assert_shape(&e, "adaptive_max_pool3d", &["[]"]);
}

#[test]
fn zero_channels_follow_each_op_s_rule() {
    // Avg 1d/2d check only the spatial dims: C=0 is fine, batched or not.
    avg_accepts(AdaptiveAvgPool2d::new(2), &[2, 0, 4, 4], &[2, 0, 2, 2]);
    avg_accepts(AdaptiveAvgPool2d::new(2), &[0, 4, 4], &[0, 2, 2]);
    avg_accepts(AdaptiveAvgPool1d::new(3), &[1, 0, 4], &[1, 0, 3]);
    avg_accepts(AdaptiveAvgPool1d::new(3), &[0, 4], &[0, 3]);
    // Avg 3d and every max check the dims after the first: batched C=0 is refused ...
    let e = avg_refuses(AdaptiveAvgPool3d::new(1), &[1, 0, 2, 2, 2]);
    assert_shape(
        &e,
        "adaptive_avg_pool3d",
        &["non-zero", "[1, 0, 2, 2, 2]", "dimension 1"],
    );
    let e = max_refuses(AdaptiveMaxPool1d::new(2), &[3, 0, 4]);
    assert_shape(&e, "adaptive_max_pool1d", &["[3, 0, 4]", "dimension 1"]);
    let e = max_refuses(AdaptiveMaxPool2d::new(2), &[1, 0, 4, 4]);
    assert_shape(&e, "adaptive_max_pool2d", &["[1, 0, 4, 4]"]);
    let e = max_refuses(AdaptiveMaxPool3d::new(2), &[1, 0, 4, 4, 4]);
    assert_shape(&e, "adaptive_max_pool3d", &["[1, 0, 4, 4, 4]"]);
    // ... and an unbatched C=0 is not.
    avg_accepts(
        AdaptiveAvgPool3d::new([1, 2, 3]),
        &[0, 2, 2, 2],
        &[0, 1, 2, 3],
    );
    max_accepts(AdaptiveMaxPool1d::new(5), &[0, 4], &[0, 5]);
    max_accepts(AdaptiveMaxPool2d::new(5), &[0, 4, 4], &[0, 5, 5]);
    max_accepts(AdaptiveMaxPool3d::new(1), &[0, 4, 4, 4], &[0, 1, 1, 1]);
}

#[test]
fn zero_spatial_dims_are_refused() {
    let e = avg_refuses(AdaptiveAvgPool2d::new(2), &[1, 1, 0, 4]);
    assert_shape(&e, "adaptive_avg_pool2d", &["[1, 1, 0, 4]", "dimension 2"]);
    let e = avg_refuses(AdaptiveAvgPool1d::new(2), &[3, 0]);
    assert_shape(&e, "adaptive_avg_pool1d", &["[3, 0]", "dimension 1"]);
    let e = avg_refuses(AdaptiveAvgPool3d::new(2), &[1, 2, 3, 0]);
    assert_shape(&e, "adaptive_avg_pool3d", &["[1, 2, 3, 0]", "dimension 3"]);
    // The conformance case: adaptive_max_pool2d((2, 2)) on (1, 1, 0, 4).
    let e = max_refuses(AdaptiveMaxPool2d::new(2), &[1, 1, 0, 4]);
    assert_shape(&e, "adaptive_max_pool2d", &["[1, 1, 0, 4]", "dimension 2"]);
    // Even when the output would be empty anyway.
    let e = max_refuses(AdaptiveMaxPool3d::new(0), &[0, 1, 1, 0, 1]);
    assert_shape(&e, "adaptive_max_pool3d", &["dimension 3"]);
}

/// Each op's own order (§5, §6), seen through inputs that break two rules at once.
#[test]
fn checks_run_in_pytorch_order() {
    // Avg 2d and 3d: negative sizes before the rank.
    let e = avg_refuses(AdaptiveAvgPool2d::new(-1), &[4, 4]);
    assert_argument(&e, "adaptive_avg_pool2d", "output_size", &["-1"]);
    let e = avg_refuses(AdaptiveAvgPool3d::new(-1), &[4, 4, 4]);
    assert_argument(&e, "adaptive_avg_pool3d", "output_size", &["-1"]);
    // Avg 1d: the rank first.
    let e = avg_refuses(AdaptiveAvgPool1d::new(-1), &[4]);
    assert_shape(&e, "adaptive_avg_pool1d", &["[4]"]);
    // Max: rank, then zero dims, then negative sizes.
    let e = max_refuses(AdaptiveMaxPool2d::new(-1), &[4, 4]);
    assert_shape(&e, "adaptive_max_pool2d", &["[4, 4]"]);
    let e = max_refuses(AdaptiveMaxPool2d::new(-1), &[1, 0, 4, 4]);
    assert_shape(&e, "adaptive_max_pool2d", &["non-zero"]);
    // Avg: negative sizes before zero dims; avg 3d checks zero dims before its rank.
    let e = avg_refuses(AdaptiveAvgPool2d::new(-1), &[1, 1, 0, 4]);
    assert_argument(&e, "adaptive_avg_pool2d", "output_size", &["-1"]);
    let e = avg_refuses(AdaptiveAvgPool3d::new(1), &[1, 0, 2]);
    assert_shape(&e, "adaptive_avg_pool3d", &["non-zero", "[1, 0, 2]"]);
    // None before anything: 1d refuses it even on a bad rank.
    let e = max_refuses(AdaptiveMaxPool1d::new([None::<i64>]), &[4]);
    assert_argument(&e, "adaptive_max_pool1d", "output_size", &["None"]);
    // The storage size last.
    let e = max_refuses(AdaptiveMaxPool1d::new(i64::MAX), &[1, 0, 4]);
    assert_shape(&e, "adaptive_max_pool1d", &["non-zero"]);
}

// ---------------------------------------------------------------------------------------------
// Accepted edge cases.

#[test]
fn output_sizes_of_zero_give_empty_outputs() {
    avg_accepts(AdaptiveAvgPool2d::new([0, 2]), &[1, 1, 4, 4], &[1, 1, 0, 2]);
    avg_accepts(AdaptiveAvgPool1d::new(0), &[2, 4], &[2, 0]);
    max_accepts(AdaptiveMaxPool2d::new(0), &[1, 64, 10, 9], &[1, 64, 0, 0]);
    max_accepts(
        AdaptiveMaxPool3d::new([1, 0, 1]),
        &[2, 3, 3, 3],
        &[2, 1, 0, 1],
    );
}

#[test]
fn none_entries_keep_the_input_size() {
    avg_accepts(
        AdaptiveAvgPool2d::new([Some(2), None]),
        &[4, 4, 4],
        &[4, 2, 4],
    );
    avg_accepts(
        AdaptiveAvgPool2d::new([None::<i64>, None]),
        &[1, 3, 5],
        &[1, 3, 5],
    );
    max_accepts(
        AdaptiveMaxPool3d::new([None, Some(2), None]),
        &[2, 1, 3, 4, 5],
        &[2, 1, 3, 2, 5],
    );
    max_accepts(
        AdaptiveMaxPool2d::new([Some(7u32), None]),
        &[1, 1, 9, 1],
        &[1, 1, 7, 1],
    );
}

#[test]
fn outputs_larger_than_the_input_are_accepted() {
    avg_accepts(AdaptiveAvgPool1d::new(4), &[1, 1, 1], &[1, 1, 4]);
    max_accepts(
        AdaptiveMaxPool2d::new([8, 5]),
        &[2, 3, 4, 10],
        &[2, 3, 8, 5],
    );
    avg_accepts(
        AdaptiveAvgPool3d::new([8usize, 7, 5]),
        &[1, 3, 5, 4, 5],
        &[1, 3, 8, 7, 5],
    );
}

#[test]
fn cpu_data_length_must_match_the_shape() {
    let e = wgpool::cpu::adaptive_avg_pool(&AdaptiveAvgPool2d::new(2), &[0.0; 15], &[1, 4, 4])
        .unwrap_err();
    assert!(
        matches!(&e, Error::TensorMismatch(m) if m.contains("16") && m.contains("15")),
        "{e:?}"
    );
    let e =
        wgpool::cpu::adaptive_max_pool(&AdaptiveMaxPool1d::new(2), &[0.0; 5], &[1, 4]).unwrap_err();
    assert!(
        matches!(&e, Error::TensorMismatch(m) if m.contains("adaptive_max_pool1d")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Ops by name, as the CLI and the conformance cases call them.

fn sizes(values: &[Option<i64>]) -> Kwargs {
    Kwargs {
        output_size: Some(values.to_vec()),
        ..Kwargs::default()
    }
}

fn input(shape: &[usize]) -> Inputs {
    Inputs::new(Array {
        shape: shape.to_vec(),
        data: (0..shape.iter().product::<usize>())
            .map(|i| i as f32)
            .collect(),
    })
}

#[test]
fn call_refuses_arguments_the_adaptive_ops_do_not_take() {
    let with = |kwargs: Kwargs| Kwargs {
        output_size: Some(vec![Some(2)]),
        ..kwargs
    };
    for op in ["adaptive_avg_pool2d", "adaptive_max_pool3d"] {
        for (argument, kwargs) in [
            (
                "kernel_size",
                with(Kwargs {
                    kernel_size: Some(vec![2]),
                    ..Kwargs::default()
                }),
            ),
            (
                "stride",
                with(Kwargs {
                    stride: Some(vec![]),
                    ..Kwargs::default()
                }),
            ),
            (
                "padding",
                with(Kwargs {
                    padding: Some(vec![0]),
                    ..Kwargs::default()
                }),
            ),
            (
                "dilation",
                with(Kwargs {
                    dilation: Some(vec![1]),
                    ..Kwargs::default()
                }),
            ),
            (
                "ceil_mode",
                with(Kwargs {
                    ceil_mode: Some(false),
                    ..Kwargs::default()
                }),
            ),
            (
                "count_include_pad",
                with(Kwargs {
                    count_include_pad: Some(true),
                    ..Kwargs::default()
                }),
            ),
            (
                "divisor_override",
                with(Kwargs {
                    divisor_override: Some(2),
                    ..Kwargs::default()
                }),
            ),
            (
                "output_ratio",
                with(Kwargs {
                    output_ratio: Some(vec![0.5]),
                    ..Kwargs::default()
                }),
            ),
            (
                "norm_type",
                with(Kwargs {
                    norm_type: Some(2.0),
                    ..Kwargs::default()
                }),
            ),
        ] {
            let e = Call::new(op, &kwargs).unwrap_err();
            assert_argument(&e, op, argument, &[argument]);
        }
        let e = Call::new(op, &Kwargs::default()).unwrap_err();
        assert_argument(&e, op, "output_size", &["required"]);
    }
    let e = Call::new(
        "adaptive_avg_pool1d",
        &Kwargs {
            return_indices: true,
            ..sizes(&[Some(2)])
        },
    )
    .unwrap_err();
    assert_argument(
        &e,
        "adaptive_avg_pool1d",
        "return_indices",
        &["return_indices"],
    );
}

#[test]
fn call_takes_output_size_lists_the_pytorch_way() {
    let e = Call::new("adaptive_avg_pool2d", &sizes(&[Some(1), Some(2), Some(3)])).unwrap_err();
    assert_argument(&e, "adaptive_avg_pool2d", "output_size", &["2 entries"]);
    let e = Call::new("adaptive_max_pool1d", &sizes(&[Some(1), Some(2)])).unwrap_err();
    assert_argument(
        &e,
        "adaptive_max_pool1d",
        "output_size",
        &["one int (got 2)"],
    );
    let e = Call::new("adaptive_avg_pool3d", &sizes(&[])).unwrap_err();
    assert_argument(&e, "adaptive_avg_pool3d", "output_size", &["3 entries"]);
    // A single None is no size (PyTorch refuses it too); a single int is broadcast.
    let e = Call::new("adaptive_max_pool2d", &sizes(&[None])).unwrap_err();
    assert_argument(&e, "adaptive_max_pool2d", "output_size", &["None"]);
    let call = Call::new("adaptive_avg_pool3d", &sizes(&[Some(2)])).unwrap();
    assert_eq!(
        call.output_shape(&input(&[1, 3, 4, 5])).unwrap(),
        [1, 2, 2, 2]
    );
    // `4,none` as the CLI passes it, with indices.
    let call = Call::new(
        "adaptive_max_pool2d",
        &Kwargs {
            return_indices: true,
            ..sizes(&[Some(4), None])
        },
    )
    .unwrap();
    let out = call.run(&input(&[2, 8, 3]), Device::Cpu).unwrap();
    assert_eq!(out.values.shape, [2, 4, 3]);
    let indices = out.indices.expect("return_indices");
    assert_eq!(&indices.data[..6], [3, 4, 5, 9, 10, 11]);
    // Without return_indices, no indices.
    let call = Call::new("adaptive_max_pool2d", &sizes(&[Some(4), None])).unwrap();
    assert!(call
        .run(&input(&[2, 8, 3]), Device::Cpu)
        .unwrap()
        .indices
        .is_none());
}

#[test]
fn call_refuses_second_inputs() {
    for op in ["adaptive_avg_pool1d", "adaptive_max_pool1d"] {
        let call = Call::new(op, &sizes(&[Some(2)])).unwrap();
        let mut inputs = input(&[1, 4]);
        inputs.indices = Some(Array {
            shape: vec![1, 2],
            data: vec![0, 1],
        });
        let e = call.output_shape(&inputs).unwrap_err();
        assert_argument(&e, op, "indices", &["indices"]);
        let mut inputs = input(&[1, 4]);
        inputs.random_samples = Some(Array {
            shape: vec![1, 1, 1],
            data: vec![0.5],
        });
        let e = call.run(&inputs, Device::Cpu).unwrap_err();
        assert_argument(&e, op, "random_samples", &["random_samples"]);
    }
}

/// Shapes no data could have are refused or give empty outputs, never an overflow panic.
#[test]
fn hostile_shapes_do_not_overflow() {
    let huge = usize::MAX;
    avg_accepts(AdaptiveAvgPool1d::new(0), &[0, huge, 4], &[0, huge, 0]);
    // An empty output of planes beyond counting is fine; the CPU then finds no such data.
    let options = AdaptiveMaxPool1d::new(0);
    let plan = options.plan(&[huge, huge, 2]).unwrap();
    assert_eq!(plan.output_len(), 0);
    assert_eq!(plan.output_shape, [huge, huge, 0]);
    let e = wgpool::cpu::adaptive_max_pool(&options, &[], &[huge, huge, 2]).unwrap_err();
    assert!(
        matches!(&e, Error::TensorMismatch(m) if m.contains("more than usize::MAX")),
        "{e:?}"
    );
    // A size of 0 after a count that already overflowed: refused, as PyTorch's sticky
    // overflow check does.
    let options = AdaptiveMaxPool2d::new([1i64 << 40, 0]);
    let e = options.plan(&[huge, huge, 2, 2]).unwrap_err();
    assert_argument(&e, "adaptive_max_pool2d", "output_size", &["overflows"]);
    let cpu = wgpool::cpu::adaptive_max_pool(&options, &[], &[huge, huge, 2, 2]).unwrap_err();
    assert_eq!(format!("{cpu:?}"), format!("{e:?}"));
    // A non-empty output of such planes overflows.
    let e = AdaptiveAvgPool1d::new(1)
        .plan(&[huge, huge, 2])
        .unwrap_err();
    assert_argument(&e, "adaptive_avg_pool1d", "output_size", &["overflows"]);
}
