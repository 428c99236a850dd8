//! Every refusal of fractional max pooling (PYTORCH_POOLING.md §8), through `plan` and the CPU
//! reference, with no device: the error variant, the argument it names, a message naming the
//! values, PyTorch's check order, hostile values, and the calls by name that the CLI makes.

use wgpool::call::{Call, Inputs, Kwargs};
use wgpool::{Array, Error, FractionalMaxPool, FractionalMaxPool2d, FractionalMaxPool3d};

fn zeros(shape: &[usize]) -> Vec<f32> {
    vec![0.0; shape.iter().product()]
}

fn samples(shape: &[usize]) -> Array<f32> {
    Array {
        shape: shape.to_vec(),
        data: vec![0.5; shape.iter().product()],
    }
}

/// `options` refuses `shape` through `plan` and `cpu::fractional_max_pool`, with one error.
fn refuses<const R: usize>(options: &FractionalMaxPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let cpu = wgpool::cpu::fractional_max_pool(options, &zeros(shape), shape)
        .expect_err("the CPU reference accepted what plan refused");
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

/// `options` accepts `shape` through `plan` and the CPU reference, with output shape `out`.
fn accepts<const R: usize>(options: &FractionalMaxPool<R>, shape: &[usize], out: &[usize]) {
    let plan = options
        .plan(shape)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.pool.output_shape, out, "{options:?} on {shape:?}");
    let (values, indices) =
        wgpool::cpu::fractional_max_pool(options, &zeros(shape), shape).unwrap();
    assert_eq!(
        (values.shape.as_slice(), indices.shape.as_slice()),
        (out, out)
    );
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
        }
        other => panic!("expected InvalidShape from {op}, got {other:?}"),
    }
}

const OP2: &str = "fractional_max_pool2d";
const OP3: &str = "fractional_max_pool3d";

#[test]
fn exactly_one_of_output_size_and_output_ratio() {
    let e = refuses(&FractionalMaxPool2d::new(2), &[1, 4, 4]);
    assert_argument(
        &e,
        OP2,
        "output_size",
        &["either an output_size or an output_ratio"],
    );
    let both = FractionalMaxPool3d::new(1).output_size(2).output_ratio(0.5);
    let e = refuses(&both, &[1, 4, 4, 4]);
    assert_argument(
        &e,
        OP3,
        "output_ratio",
        &["only one", "[2, 2, 2]", "[0.5, 0.5, 0.5]"],
    );
}

#[test]
fn non_finite_and_overflowing_ratios_are_refused() {
    for (ratio, needle) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let e = refuses(
            &FractionalMaxPool2d::new(1).output_ratio([0.5, ratio]),
            &[1, 4, 4],
        );
        assert_argument(&e, OP2, "output_ratio", &["finite", needle]);
    }
    // Finite, but L * ratio does not fit a 64-bit size (or is infinite).
    for ratio in [1e300, f64::MAX, -1e19] {
        let e = refuses(&FractionalMaxPool2d::new(1).output_ratio(ratio), &[1, 4, 4]);
        assert_argument(&e, OP2, "output_ratio", &["overflows"]);
    }
    // Negative ratios give negative sizes: PyTorch's negative-dimension refusal.
    let e = refuses(
        &FractionalMaxPool3d::new(1).output_ratio(-0.5),
        &[1, 8, 8, 8],
    );
    assert_argument(&e, OP3, "output_ratio", &["negative dimension -4"]);
}

#[test]
fn non_positive_kernels_are_refused() {
    let e = refuses(&FractionalMaxPool2d::new([0, 2]).output_size(1), &[1, 4, 4]);
    assert_argument(&e, OP2, "kernel_size", &["greater than zero", "0x2"]);
    let e = refuses(
        &FractionalMaxPool3d::new([2, 2, -1]).output_size(1),
        &[1, 4, 4, 4],
    );
    assert_argument(&e, OP3, "kernel_size", &["greater than zero", "2x2x-1"]);
    let e = refuses(
        &FractionalMaxPool2d::new(i64::MIN).output_size(1),
        &[1, 4, 4],
    );
    assert_argument(&e, OP2, "kernel_size", &["-9223372036854775808"]);
}

#[test]
fn wrong_ranks_are_refused() {
    let options = FractionalMaxPool2d::new(1).output_size(1);
    for shape in [&[4, 4][..], &[1, 1, 2, 2, 2], &[]] {
        let e = refuses(&options, shape);
        assert_shape(&e, OP2, &["3D", "4D", &format!("{shape:?}")]);
    }
    let options = FractionalMaxPool3d::new(1).output_size(1);
    for shape in [&[2, 2, 2][..], &[1, 1, 2, 2, 2, 2]] {
        let e = refuses(&options, shape);
        assert_shape(&e, OP3, &["4D", "5D", &format!("{shape:?}")]);
    }
    // With a ratio too (the sizes it scales do not exist).
    let e = refuses(&FractionalMaxPool3d::new(1).output_ratio(0.5), &[4]);
    assert_shape(&e, OP3, &["[4]"]);
}

#[test]
fn zero_non_batch_dims_are_refused_and_empty_batches_accepted() {
    let options = FractionalMaxPool2d::new(1).output_size(1);
    for shape in [&[2, 0, 4, 4][..], &[0, 4, 4], &[1, 1, 0, 4], &[1, 4, 0]] {
        let e = refuses(&options, shape);
        assert_shape(&e, OP2, &["non-zero", &format!("{shape:?}")]);
    }
    let e = refuses(&FractionalMaxPool3d::new(1).output_size(1), &[1, 3, 3, 0]);
    assert_shape(&e, OP3, &["[1, 3, 3, 0]"]);
    accepts(&options, &[0, 3, 4, 4], &[0, 3, 1, 1]);
    accepts(
        &FractionalMaxPool3d::new(2).output_size([1, 2, 3]),
        &[0, 1, 4, 4, 5],
        &[0, 1, 1, 2, 3],
    );
}

#[test]
fn sample_shapes_follow_pytorch() {
    let base = FractionalMaxPool2d::new(2).output_size(2);
    let shape = [2, 3, 5, 5];
    let with = |s: Array<f32>| base.clone().random_samples(s);
    let e = refuses(&with(samples(&[2, 6])), &shape);
    assert_argument(&e, OP2, "random_samples", &["3 dims", "[2, 6]"]);
    let e = refuses(&with(samples(&[1, 3, 2])), &shape);
    assert_argument(&e, OP2, "random_samples", &["at least 2 rows", "[1, 3, 2]"]);
    let e = refuses(&with(samples(&[2, 2, 2])), &shape);
    assert_argument(&e, OP2, "random_samples", &["3 channels", "[2, 2, 2]"]);
    let e = refuses(&with(samples(&[2, 3, 3])), &shape);
    assert_argument(
        &e,
        OP2,
        "random_samples",
        &["2 samples per plane", "[2, 3, 3]"],
    );
    let short = Array {
        shape: vec![2, 3, 2],
        data: vec![0.5; 11],
    };
    let e = refuses(&with(short), &shape);
    assert_argument(&e, OP2, "random_samples", &["[2, 3, 2]", "11 values"]);
    // Extra rows are fine; an unbatched input needs one row; N=0 needs none.
    accepts(&with(samples(&[7, 3, 2])), &shape, &[2, 3, 2, 2]);
    let e = refuses(&with(samples(&[0, 3, 2])), &[3, 5, 5]);
    assert_argument(&e, OP2, "random_samples", &["at least 1 rows"]);
    accepts(&with(samples(&[1, 3, 2])), &[3, 5, 5], &[3, 2, 2]);
    accepts(&with(samples(&[0, 3, 2])), &[0, 3, 5, 5], &[0, 3, 2, 2]);
    // 3d wants three per plane.
    let three = FractionalMaxPool3d::new(1).output_size(1);
    let e = refuses(
        &three.clone().random_samples(samples(&[1, 1, 2])),
        &[1, 3, 3, 3],
    );
    assert_argument(&e, OP3, "random_samples", &["3 samples per plane"]);
}

#[test]
fn windows_must_fit_2d_height_then_width() {
    // PyTorch's text: the message names the kernel.
    let e = refuses(&FractionalMaxPool2d::new(2).output_size([7, 1]), &[1, 7, 9]);
    assert_argument(
        &e,
        OP2,
        "kernel_size",
        &["pool height 2 too large relative to input height 7"],
    );
    let e = refuses(
        &FractionalMaxPool2d::new([1, 3]).output_size([7, 4]),
        &[1, 7, 5],
    );
    assert_argument(
        &e,
        OP2,
        "kernel_size",
        &["pool width 3 too large relative to input width 5"],
    );
    // Both too large: height first.
    let e = refuses(&FractionalMaxPool2d::new(9).output_size(1), &[1, 7, 5]);
    assert_argument(&e, OP2, "kernel_size", &["pool height 9", "input height 7"]);
    // O = L - k + 1 fits in 2d.
    accepts(
        &FractionalMaxPool2d::new([2, 3]).output_size([6, 3]),
        &[1, 7, 5],
        &[1, 6, 3],
    );
}

#[test]
fn windows_must_fit_strictly_in_3d_time_width_height() {
    // O = L - k + 1 is refused in 3d, dim by dim.
    let e = refuses(
        &FractionalMaxPool3d::new(3).output_size([6, 1, 1]),
        &[1, 8, 8, 8],
    );
    assert_argument(
        &e,
        OP3,
        "kernel_size",
        &["pool time 3 too large relative to input time 8"],
    );
    let e = refuses(
        &FractionalMaxPool3d::new(1).output_size([1, 5, 1]),
        &[1, 8, 5, 8],
    );
    assert_argument(
        &e,
        OP3,
        "kernel_size",
        &["pool height 1 too large relative to input height 5"],
    );
    let e = refuses(
        &FractionalMaxPool3d::new(2).output_size([1, 1, 4]),
        &[1, 8, 8, 5],
    );
    assert_argument(
        &e,
        OP3,
        "kernel_size",
        &["pool width 2 too large relative to input width 5"],
    );
    // Order: T, then W, then H.
    let e = refuses(&FractionalMaxPool3d::new(4).output_size(1), &[1, 4, 4, 4]);
    assert_argument(&e, OP3, "kernel_size", &["pool time 4"]);
    let e = refuses(
        &FractionalMaxPool3d::new([1, 4, 4]).output_size(1),
        &[1, 4, 4, 4],
    );
    assert_argument(&e, OP3, "kernel_size", &["pool width 4"]);
    // One below the limit fits.
    accepts(
        &FractionalMaxPool3d::new([3, 1, 2]).output_size([5, 4, 3]),
        &[1, 8, 5, 5],
        &[1, 5, 4, 3],
    );
}

#[test]
fn negative_output_sizes_are_refused_after_the_fit() {
    let e = refuses(
        &FractionalMaxPool2d::new(2).output_size([-1, 2]),
        &[1, 5, 5],
    );
    assert_argument(&e, OP2, "output_size", &["negative dimension -1"]);
    // The fit check runs first when it fails.
    let e = refuses(&FractionalMaxPool2d::new(9).output_size(-1), &[1, 5, 5]);
    assert_argument(&e, OP2, "kernel_size", &["pool height 9"]);
    // Size 0 is an empty output.
    accepts(
        &FractionalMaxPool2d::new(2).output_size([0, 2]),
        &[2, 5, 5],
        &[2, 0, 2],
    );
}

#[test]
fn hostile_sizes_neither_panic_nor_overflow() {
    let cases: [([i64; 2], [i64; 2]); 5] = [
        ([i64::MAX, 1], [1, 1]),
        ([1, 1], [i64::MAX, 1]),
        ([i64::MAX, 1], [i64::MAX, 1]),
        ([1, 1], [i64::MIN, 1]),
        ([i64::MAX, 1], [i64::MIN, 1]),
    ];
    for (kernel, out) in cases {
        let options = FractionalMaxPool2d::new(kernel).output_size(out);
        let e = refuses(&options, &[1, 4, 4]);
        assert!(
            matches!(e, Error::InvalidArgument { .. }),
            "{kernel:?} {out:?}: {e:?}"
        );
    }
    // Shapes whose element count overflows are refused, not allocated.
    let options = FractionalMaxPool2d::new(1).output_size(1);
    assert!(options.plan(&[usize::MAX, usize::MAX, 2, 2]).is_err());
}

#[test]
fn checks_run_in_pytorch_order() {
    // output spec, kernel > 0, rank, zero dims, samples, fit, negative sizes.
    let e = refuses(&FractionalMaxPool2d::new(0), &[4]);
    assert_argument(&e, OP2, "output_size", &["either"]);
    let e = refuses(&FractionalMaxPool2d::new(0).output_size(1), &[4]);
    assert_argument(&e, OP2, "kernel_size", &["greater than zero"]);
    let e = refuses(&FractionalMaxPool2d::new(9).output_size(1), &[4]);
    assert_shape(&e, OP2, &["[4]"]);
    let bad_samples = FractionalMaxPool2d::new(9)
        .output_size(-1)
        .random_samples(samples(&[1, 1, 1]));
    let e = refuses(&bad_samples, &[1, 0, 4]);
    assert_shape(&e, OP2, &["non-zero"]);
    let e = refuses(&bad_samples, &[1, 4, 4]);
    assert_argument(&e, OP2, "random_samples", &["2 samples per plane"]);
}

#[test]
fn cpu_data_length_must_match_the_shape() {
    let options = FractionalMaxPool2d::new(2).output_size(2);
    let e = wgpool::cpu::fractional_max_pool(&options, &[0.0; 24], &[1, 5, 5]).unwrap_err();
    assert!(
        matches!(e, Error::TensorMismatch(ref m) if m.contains(OP2)),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// By name, as the CLI builds the call.

fn kwargs(kernel: &[i64]) -> Kwargs {
    Kwargs {
        kernel_size: Some(kernel.to_vec()),
        ..Kwargs::default()
    }
}

#[test]
fn calls_by_name_refuse_arguments_the_op_does_not_take() {
    let refused = |name: &str, kw: Kwargs, argument: &str| match Call::new(name, &kw) {
        Err(e @ Error::InvalidArgument { .. }) => assert_argument(&e, name, argument, &[]),
        other => panic!("{name} {kw:?}: expected InvalidArgument, got {other:?}"),
    };
    let mut kw = kwargs(&[2]);
    kw.stride = Some(vec![1]);
    refused(OP2, kw, "stride");
    let mut kw = kwargs(&[2]);
    kw.padding = Some(vec![0]);
    refused(OP3, kw, "padding");
    let mut kw = kwargs(&[2]);
    kw.dilation = Some(vec![1]);
    refused(OP2, kw, "dilation");
    let mut kw = kwargs(&[2]);
    kw.ceil_mode = Some(false);
    refused(OP2, kw, "ceil_mode");
    let mut kw = kwargs(&[2]);
    kw.norm_type = Some(2.0);
    refused(OP3, kw, "norm_type");
    // None entries in output_size, and lists of the wrong length.
    let mut kw = kwargs(&[2]);
    kw.output_size = Some(vec![Some(2), None]);
    refused(OP2, kw, "output_size");
    let mut kw = kwargs(&[2]);
    kw.output_ratio = Some(vec![0.5, 0.5, 0.5]);
    refused(OP2, kw, "output_ratio");
    let mut kw = kwargs(&[2, 2]);
    kw.output_size = Some(vec![Some(2)]);
    refused(OP3, kw, "kernel_size");
    refused(OP2, Kwargs::default(), "kernel_size");
}

#[test]
fn calls_by_name_validate_against_the_inputs() {
    let mut kw = kwargs(&[2]);
    kw.output_ratio = Some(vec![0.5]);
    let call = Call::new(OP2, &kw).unwrap();
    let input = Array {
        shape: vec![2, 3, 8, 6],
        data: zeros(&[2, 3, 8, 6]),
    };
    let mut inputs = Inputs::new(input);
    assert_eq!(call.output_shape(&inputs).unwrap(), [2, 3, 4, 3]);
    inputs.random_samples = Some(samples(&[2, 3, 3]));
    let e = call.output_shape(&inputs).unwrap_err();
    assert_argument(&e, OP2, "random_samples", &["2 samples per plane"]);
    inputs.random_samples = Some(samples(&[2, 3, 2]));
    assert_eq!(call.output_shape(&inputs).unwrap(), [2, 3, 4, 3]);
    inputs.indices = Some(Array {
        shape: vec![1],
        data: vec![0],
    });
    let e = call.output_shape(&inputs).unwrap_err();
    assert_argument(&e, OP2, "indices", &[]);
    // Both sizes by name: refused by the plan.
    kw.output_size = Some(vec![Some(2)]);
    let e = Call::new(OP2, &kw)
        .unwrap()
        .output_shape(&Inputs::new(Array {
            shape: vec![3, 8, 6],
            data: zeros(&[3, 8, 6]),
        }))
        .unwrap_err();
    assert_argument(&e, OP2, "output_ratio", &["only one"]);
}
