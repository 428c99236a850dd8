//! Every refusal of PYTORCH_POOLING.md §1.2–1.4, §2 and §3, through the options' `plan` and the
//! CPU references, with no device: the error variant, the argument it names, and a message
//! that names the values involved. Also PyTorch's check order, and the edge cases that must be
//! accepted.

use wgpool::dims::dims_from_slice;
use wgpool::geometry::PoolPlan;
use wgpool::{
    AvgPool, AvgPool1d, AvgPool2d, AvgPool3d, Error, MaxPool, MaxPool1d, MaxPool2d, MaxPool3d,
};

/// Zeros for `shape` (the CPU references check the length before pooling).
fn zeros(shape: &[usize]) -> Vec<f32> {
    vec![0.0; shape.iter().product()]
}

/// `options` refuses `shape` through `plan` and through `cpu::max_pool`, with the same error.
fn max_refuses<const R: usize>(options: MaxPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let cpu = wgpool::cpu::max_pool(&options, &zeros(shape), shape)
        .expect_err(&format!("cpu::max_pool {options:?} accepted {shape:?}"));
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

/// `options` refuses `shape` through `plan` and through `cpu::avg_pool`, with the same error.
fn avg_refuses<const R: usize>(options: AvgPool<R>, shape: &[usize]) -> Error {
    let plan = options
        .plan(shape)
        .expect_err(&format!("{options:?} accepted {shape:?}"));
    let cpu = wgpool::cpu::avg_pool(&options, &zeros(shape), shape)
        .expect_err(&format!("cpu::avg_pool {options:?} accepted {shape:?}"));
    assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "plan vs CPU");
    plan
}

/// `options` accepts `shape` through `plan` and the CPU reference, with output shape `out`.
fn max_accepts<const R: usize>(options: MaxPool<R>, shape: &[usize], out: &[usize]) -> PoolPlan {
    let plan = options
        .plan(shape)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.output_shape, out, "{options:?} on {shape:?}");
    let (values, indices) = wgpool::cpu::max_pool(&options, &zeros(shape), shape).unwrap();
    assert_eq!(
        (values.shape.as_slice(), indices.shape.as_slice()),
        (out, out)
    );
    let len: usize = out.iter().product();
    assert_eq!((values.data.len(), indices.data.len()), (len, len));
    plan
}

/// `options` accepts `shape` through `plan` and the CPU reference, with output shape `out`.
fn avg_accepts<const R: usize>(options: AvgPool<R>, shape: &[usize], out: &[usize]) -> PoolPlan {
    let plan = options
        .plan(shape)
        .unwrap_or_else(|e| panic!("{options:?} refused {shape:?}: {e}"));
    assert_eq!(plan.output_shape, out, "{options:?} on {shape:?}");
    let values = wgpool::cpu::avg_pool(&options, &zeros(shape), shape).unwrap();
    assert_eq!(values.shape, out);
    assert_eq!(values.data.len(), out.iter().product::<usize>());
    plan
}

/// An `InvalidArgument` from `op` about `argument`, whose message and Display name every
/// needle.
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
            let display = error.to_string();
            assert!(
                display.starts_with(&format!("{op}: {argument}: ")),
                "{display}"
            );
            assert!(display.contains(message.as_str()), "{display}");
        }
        other => panic!("expected InvalidArgument {{ {op}, {argument} }}, got {other:?}"),
    }
}

/// An `InvalidShape` from `op` whose message and Display name every needle.
fn assert_shape(error: &Error, op: &str, needles: &[&str]) {
    match error {
        Error::InvalidShape { op: o, message } => {
            assert_eq!(*o, op, "{error:?}");
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
            let display = error.to_string();
            assert!(display.starts_with(&format!("{op}: ")), "{display}");
            assert!(display.contains(message.as_str()), "{display}");
        }
        other => panic!("expected InvalidShape from {op}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// §1.2 argument lists and i32 range.

#[test]
fn dims_from_slice_broadcasts_one_and_takes_r() {
    assert_eq!(
        dims_from_slice::<3>("max_pool3d", "kernel_size", &[2]).unwrap(),
        [2; 3]
    );
    assert_eq!(
        dims_from_slice::<2>("avg_pool2d", "stride", &[2, 5]).unwrap(),
        [2, 5]
    );
    assert_eq!(
        dims_from_slice::<1>("max_pool1d", "padding", &[4]).unwrap(),
        [4]
    );
}

#[test]
fn dims_from_slice_refuses_other_lengths() {
    let e = dims_from_slice::<2>("max_pool2d", "kernel_size", &[1, 2, 3]).unwrap_err();
    assert_argument(&e, "max_pool2d", "kernel_size", &["2", "3 values"]);
    let e = dims_from_slice::<2>("avg_pool2d", "stride", &[]).unwrap_err();
    assert_argument(&e, "avg_pool2d", "stride", &["0 values"]);
    let e = dims_from_slice::<3>("max_pool3d", "dilation", &[1, 2]).unwrap_err();
    assert_argument(&e, "max_pool3d", "dilation", &["3 ints", "2 values"]);
    // 1d takes one element only.
    let e = dims_from_slice::<1>("avg_pool1d", "kernel_size", &[2, 2]).unwrap_err();
    assert_argument(&e, "avg_pool1d", "kernel_size", &["single int", "2 values"]);
    let e = dims_from_slice::<1>("max_pool1d", "padding", &[]).unwrap_err();
    assert_argument(&e, "max_pool1d", "padding", &["0 values"]);
}

#[test]
fn values_beyond_i32_are_refused() {
    let big = 1i64 << 31;
    let e = max_refuses(MaxPool2d::new(big), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "kernel_size", &["2147483648", "32-bit"]);
    let e = max_refuses(MaxPool1d::new(i64::MAX), &[1, 4]);
    assert_argument(&e, "max_pool1d", "kernel_size", &["9223372036854775807"]);
    let e = avg_refuses(AvgPool3d::new([2, i64::MAX, 2]), &[1, 4, 4, 4]);
    assert_argument(&e, "avg_pool3d", "kernel_size", &["9223372036854775807"]);
    // usize::MAX saturates to i64::MAX and is refused the same way.
    let e = max_refuses(MaxPool2d::new(usize::MAX), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "kernel_size", &["9223372036854775807"]);
    let e = max_refuses(MaxPool2d::new(2).stride([1, big]), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "stride", &["2147483648"]);
    let e = avg_refuses(AvgPool1d::new(2).padding(-big - 1), &[1, 4]);
    assert_argument(&e, "avg_pool1d", "padding", &["-2147483649"]);
    let e = max_refuses(MaxPool3d::new(2).dilation([1, 1, big]), &[1, 4, 4, 4]);
    assert_argument(&e, "max_pool3d", "dilation", &["2147483648"]);
    // The i32 extremes themselves are in range (and then refused or not on their own merits).
    let k = i32::MAX as i64;
    max_accepts(MaxPool2d::new(k).padding(k / 2), &[1, 1, 1], &[1, 1, 1]);
    let e = max_refuses(MaxPool1d::new(2).padding(i32::MIN as i64), &[1, 4]);
    assert_argument(
        &e,
        "max_pool1d",
        "padding",
        &["pad must be non-negative", "-2147483648"],
    );
}

// ---------------------------------------------------------------------------------------------
// Ranks and shapes.

#[test]
fn wrong_ranks_are_refused() {
    let e = max_refuses(MaxPool2d::new(2), &[1, 1, 2, 2, 2]);
    assert_shape(&e, "max_pool2d", &["3D", "4D", "[1, 1, 2, 2, 2]"]);
    let e = max_refuses(MaxPool1d::new(2), &[5]);
    assert_shape(&e, "max_pool1d", &["2D", "3D", "[5]"]);
    let e = max_refuses(MaxPool3d::new(2), &[1, 1, 2, 2, 2, 2]);
    assert_shape(&e, "max_pool3d", &["4D", "5D", "[1, 1, 2, 2, 2, 2]"]);
    let e = max_refuses(MaxPool3d::new(1), &[2, 2, 2]);
    assert_shape(&e, "max_pool3d", &["[2, 2, 2]"]);
    let e = avg_refuses(AvgPool1d::new(1), &[1, 1, 1, 4]);
    assert_shape(&e, "avg_pool1d", &["[1, 1, 1, 4]"]);
    let e = avg_refuses(AvgPool2d::new(2), &[4, 4]);
    assert_shape(&e, "avg_pool2d", &["[4, 4]"]);
    let e = avg_refuses(AvgPool3d::new(1), &[]);
    assert_shape(&e, "avg_pool3d", &["[]"]);
}

#[test]
fn zero_channels_are_refused_batched_and_unbatched() {
    let e = max_refuses(MaxPool2d::new(2), &[2, 0, 4, 4]);
    assert_shape(&e, "max_pool2d", &["non-zero", "[2, 0, 4, 4]"]);
    let e = max_refuses(MaxPool2d::new(2), &[0, 4, 4]);
    assert_shape(&e, "max_pool2d", &["non-zero", "[0, 4, 4]"]);
    let e = max_refuses(MaxPool1d::new(1), &[0, 3]);
    assert_shape(&e, "max_pool1d", &["[0, 3]"]);
    let e = avg_refuses(AvgPool3d::new(1), &[1, 0, 2, 2, 2]);
    assert_shape(&e, "avg_pool3d", &["[1, 0, 2, 2, 2]"]);
    let e = avg_refuses(AvgPool1d::new(1), &[0, 0, 3]);
    assert_shape(&e, "avg_pool1d", &["[0, 0, 3]"]);
}

#[test]
fn zero_spatial_dims_are_refused() {
    let e = max_refuses(MaxPool2d::new(1), &[1, 1, 0, 4]);
    assert_shape(&e, "max_pool2d", &["non-zero", "[1, 1, 0, 4]"]);
    let e = max_refuses(MaxPool3d::new(1), &[1, 2, 2, 0]);
    assert_shape(&e, "max_pool3d", &["[1, 2, 2, 0]"]);
    let e = avg_refuses(AvgPool1d::new(1), &[0, 1, 0]);
    assert_shape(&e, "avg_pool1d", &["[0, 1, 0]"]);
    let e = avg_refuses(AvgPool2d::new(1).padding(0), &[3, 0, 1]);
    assert_shape(&e, "avg_pool2d", &["[3, 0, 1]"]);
}

#[test]
fn too_small_outputs_are_refused() {
    let e = max_refuses(MaxPool2d::new(4), &[1, 3, 3]);
    assert_shape(&e, "max_pool2d", &["too small", "1x3x3", "1x0x0"]);
    // Dilation: eff = 2*(3-1)+1 = 5 > 4.
    let e = max_refuses(MaxPool1d::new(3).dilation(2), &[2, 3, 4]);
    assert_shape(&e, "max_pool1d", &["too small", "3x4", "3x0"]);
    // Negative sizes are named as they are.
    let e = avg_refuses(AvgPool1d::new(5).stride(2), &[1, 1]);
    assert_shape(&e, "avg_pool1d", &["too small", "1x1", "1x-1"]);
    let e = avg_refuses(AvgPool2d::new([1, 3]), &[2, 1, 5, 2]);
    assert_shape(&e, "avg_pool2d", &["too small", "1x5x2", "1x5x0"]);
}

#[test]
fn avg_pool3d_refuses_inputs_smaller_than_the_kernel() {
    let e = avg_refuses(AvgPool3d::new(2), &[1, 1, 4, 4]);
    assert_shape(&e, "avg_pool3d", &["smaller than kernel", "1x4x4", "2x2x2"]);
    // Even when padding and ceil mode would give a valid output.
    let e = avg_refuses(
        AvgPool3d::new(2).padding(1).ceil_mode(true),
        &[1, 1, 1, 4, 4],
    );
    assert_shape(&e, "avg_pool3d", &["smaller than kernel", "1x4x4", "2x2x2"]);
    let e = avg_refuses(AvgPool3d::new([1, 3, 1]), &[1, 5, 2, 5]);
    assert_shape(&e, "avg_pool3d", &["5x2x5", "1x3x1"]);
    // max_pool3d and avg_pool2d have no such check.
    max_accepts(
        MaxPool3d::new(2).padding(1),
        &[1, 1, 1, 4, 4],
        &[1, 1, 1, 3, 3],
    );
    avg_accepts(AvgPool2d::new(2).padding(1), &[1, 1, 4], &[1, 1, 3]);
    // Equal to the kernel is fine.
    avg_accepts(AvgPool3d::new(2), &[3, 2, 2, 2], &[3, 1, 1, 1]);
}

// ---------------------------------------------------------------------------------------------
// Strides, kernels, dilations, paddings.

#[test]
fn zero_stride_is_refused() {
    let e = max_refuses(MaxPool2d::new(2).stride([1, 0]), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "stride", &["stride should not be zero"]);
    let e = avg_refuses(AvgPool1d::new(2).stride(0), &[1, 4]);
    assert_argument(&e, "avg_pool1d", "stride", &["stride should not be zero"]);
    // kernel 0 with stride None: stride = kernel = 0, and the stride check runs first.
    let e = max_refuses(MaxPool2d::new(0), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "stride", &["stride should not be zero"]);
    let e = avg_refuses(AvgPool3d::new([2, 0, 2]), &[1, 4, 4, 4]);
    assert_argument(&e, "avg_pool3d", "stride", &["stride should not be zero"]);
}

#[test]
fn non_positive_kernel_is_refused() {
    // With an explicit stride, kernel 0 fails as a kernel error.
    let e = max_refuses(MaxPool2d::new([2, 0]).stride(1), &[1, 4, 4]);
    assert_argument(
        &e,
        "max_pool2d",
        "kernel_size",
        &["greater than zero", "[2, 0]"],
    );
    let e = avg_refuses(AvgPool1d::new(0).stride(1), &[1, 4]);
    assert_argument(
        &e,
        "avg_pool1d",
        "kernel_size",
        &["greater than zero", "[0]"],
    );
    let e = max_refuses(MaxPool3d::new(-1).stride(1), &[1, 4, 4, 4]);
    assert_argument(
        &e,
        "max_pool3d",
        "kernel_size",
        &["greater than zero", "-1"],
    );
    // Kernel before stride: kernel 0 and stride -1.
    let e = avg_refuses(AvgPool2d::new(0).stride(-1), &[1, 4, 4]);
    assert_argument(&e, "avg_pool2d", "kernel_size", &["greater than zero"]);
}

#[test]
fn negative_stride_is_refused() {
    let e = max_refuses(MaxPool2d::new(2).stride([-1, 1]), &[1, 4, 4]);
    assert_argument(
        &e,
        "max_pool2d",
        "stride",
        &["greater than zero", "[-1, 1]"],
    );
    let e = avg_refuses(AvgPool3d::new(1).stride([1, 1, -3]), &[1, 4, 4, 4]);
    assert_argument(&e, "avg_pool3d", "stride", &["greater than zero", "-3"]);
}

#[test]
fn zero_dilation_is_refused() {
    let e = max_refuses(MaxPool2d::new(2).dilation([0, 1]), &[1, 4, 4]);
    assert_argument(
        &e,
        "max_pool2d",
        "dilation",
        &["greater than zero", "[0, 1]"],
    );
    let e = max_refuses(MaxPool1d::new(2).dilation(-1), &[1, 4]);
    assert_argument(&e, "max_pool1d", "dilation", &["greater than zero", "-1"]);
}

#[test]
fn negative_padding_is_refused() {
    let e = max_refuses(MaxPool2d::new(2).padding([0, -1]), &[1, 4, 4]);
    assert_argument(
        &e,
        "max_pool2d",
        "padding",
        &["pad must be non-negative", "pad: -1"],
    );
    let e = avg_refuses(AvgPool1d::new(3).padding(-2), &[1, 4]);
    assert_argument(&e, "avg_pool1d", "padding", &["non-negative", "-2"]);
}

#[test]
fn padding_past_half_the_kernel_is_refused() {
    // Over half the effective kernel: the first check.
    let e = max_refuses(MaxPool2d::new(3).padding(2), &[1, 8, 8]);
    assert_argument(
        &e,
        "max_pool2d",
        "padding",
        &[
            "at most half of effective kernel size",
            "pad=2",
            "kernel_size=3",
            "dilation=1",
        ],
    );
    let e = avg_refuses(AvgPool3d::new(2).padding([0, 0, 2]), &[1, 8, 8, 8]);
    assert_argument(
        &e,
        "avg_pool3d",
        "padding",
        &["effective kernel", "pad=2", "kernel_size=2"],
    );
    // Within half the effective kernel (d=2: eff=5) but over half the kernel: the second.
    let e = max_refuses(MaxPool1d::new(3).dilation(2).padding(2), &[1, 8]);
    assert_argument(
        &e,
        "max_pool1d",
        "padding",
        &[
            "smaller than or equal to half of kernel size",
            "padding=2",
            "kernel_size=3",
        ],
    );
    let e = max_refuses(
        MaxPool3d::new([1, 4, 1])
            .dilation([1, 3, 1])
            .padding([0, 3, 0]),
        &[1, 9, 9, 9],
    );
    assert_argument(
        &e,
        "max_pool3d",
        "padding",
        &["half of kernel size", "padding=3", "kernel_size=4"],
    );
}

#[test]
fn divisor_override_zero_is_refused() {
    let e = avg_refuses(AvgPool2d::new(2).divisor_override(0), &[1, 4, 4]);
    assert_argument(
        &e,
        "avg_pool2d",
        "divisor_override",
        &["divisor must be not zero"],
    );
    let e = avg_refuses(AvgPool3d::new(2).divisor_override(0), &[1, 4, 4, 4]);
    assert_argument(&e, "avg_pool3d", "divisor_override", &["not zero"]);
    // Negative overrides are fine.
    avg_accepts(
        AvgPool2d::new(2).divisor_override(-3),
        &[1, 4, 4],
        &[1, 2, 2],
    );
    avg_accepts(
        AvgPool3d::new(2).divisor_override(i64::MIN),
        &[1, 2, 2, 2],
        &[1, 1, 1, 1],
    );
}

#[test]
fn avg_pool1d_takes_no_divisor_override() {
    for divisor in [2, 1, -1, 0] {
        let e = avg_refuses(AvgPool1d::new(2).divisor_override(divisor), &[1, 4]);
        assert_argument(&e, "avg_pool1d", "divisor_override", &["avg_pool1d"]);
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch's check order (§1.4): the first error means the same thing it means in PyTorch.

#[test]
fn checks_run_in_pytorch_order() {
    // Rank before every per-dim argument check.
    let e = max_refuses(MaxPool2d::new(2).stride(0).padding(-1), &[4, 4]);
    assert!(matches!(e, Error::InvalidShape { .. }), "{e:?}");
    // Per dim, D/H/W order: s != 0, then p >= 0, then p <= eff/2.
    let e = max_refuses(
        MaxPool2d::new(2).stride([1, 0]).padding([-1, 0]),
        &[1, 4, 4],
    );
    assert_argument(&e, "max_pool2d", "padding", &["non-negative"]);
    let e = max_refuses(
        MaxPool2d::new(2).stride([0, 1]).padding([0, -1]),
        &[1, 4, 4],
    );
    assert_argument(&e, "max_pool2d", "stride", &["not be zero"]);
    let e = max_refuses(MaxPool2d::new(2).stride([1, 0]).padding([2, 0]), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "padding", &["effective"]);
    // The per-dim checks come before k > 0, s > 0, d > 0.
    let e = max_refuses(
        MaxPool2d::new([0, 2]).stride(1).padding([0, -1]),
        &[1, 4, 4],
    );
    assert_argument(&e, "max_pool2d", "padding", &["non-negative"]);
    let e = max_refuses(MaxPool2d::new(2).stride(-1).dilation(0), &[1, 4, 4]);
    assert_argument(&e, "max_pool2d", "stride", &["greater than zero"]);
    // Argument checks before zero-size dims.
    let e = max_refuses(MaxPool2d::new(2).dilation(0), &[2, 0, 4, 4]);
    assert_argument(&e, "max_pool2d", "dilation", &["greater than zero"]);
    let e = avg_refuses(AvgPool2d::new(2).stride(0), &[0, 4, 4]);
    assert_argument(&e, "avg_pool2d", "stride", &["not be zero"]);
    // Zero-size dims before the p <= k/2 check.
    let e = max_refuses(MaxPool1d::new(3).dilation(2).padding(2), &[0, 8]);
    assert_shape(&e, "max_pool1d", &["[0, 8]"]);
    // avg_pool3d's kernel fit before the output size.
    let e = avg_refuses(AvgPool3d::new(3).stride(5), &[1, 2, 2, 2]);
    assert_shape(&e, "avg_pool3d", &["smaller than kernel"]);
    // p <= k/2 before the output size.
    let e = max_refuses(MaxPool1d::new(3).dilation(2).padding(2), &[1, 1]);
    assert_argument(&e, "max_pool1d", "padding", &["half of kernel size"]);
    // The avg override checks come first of all.
    let e = avg_refuses(AvgPool1d::new(0).divisor_override(1), &[4]);
    assert_argument(&e, "avg_pool1d", "divisor_override", &[]);
    let e = avg_refuses(AvgPool2d::new(0).divisor_override(0), &[4]);
    assert_argument(&e, "avg_pool2d", "divisor_override", &["not zero"]);
}

// ---------------------------------------------------------------------------------------------
// Host data.

#[test]
fn cpu_data_length_must_match_the_shape() {
    for len in [15, 17, 0] {
        let data = vec![1.0; len];
        let e = wgpool::cpu::max_pool(&MaxPool2d::new(2), &data, &[1, 4, 4]).unwrap_err();
        match &e {
            Error::TensorMismatch(message) => {
                assert!(message.contains("max_pool2d"), "{message}");
                assert!(message.contains("[1, 4, 4]"), "{message}");
                assert!(message.contains("16"), "{message}");
                assert!(message.contains(&len.to_string()), "{message}");
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
        let e = wgpool::cpu::avg_pool(&AvgPool3d::new(2), &data, &[1, 2, 2, 4]).unwrap_err();
        assert!(
            matches!(&e, Error::TensorMismatch(m) if m.contains("avg_pool3d") && m.contains(&len.to_string())),
            "{e:?}"
        );
    }
    // An argument error wins over the data length (validation runs first).
    let e = wgpool::cpu::avg_pool(&AvgPool1d::new(2).stride(0), &[1.0], &[1, 4]).unwrap_err();
    assert_argument(&e, "avg_pool1d", "stride", &["not be zero"]);
}

// ---------------------------------------------------------------------------------------------
// Accepted edge cases.

#[test]
fn empty_batches_are_accepted() {
    max_accepts(MaxPool1d::new(2), &[0, 3, 5], &[0, 3, 2]);
    max_accepts(
        MaxPool2d::new(3).stride(1).padding(1),
        &[0, 2, 4, 4],
        &[0, 2, 4, 4],
    );
    max_accepts(
        MaxPool3d::new(2).ceil_mode(true),
        &[0, 1, 3, 3, 3],
        &[0, 1, 2, 2, 2],
    );
    avg_accepts(AvgPool1d::new(3).padding(1), &[0, 1, 1], &[0, 1, 1]);
    avg_accepts(
        AvgPool2d::new(2).divisor_override(-1),
        &[0, 5, 2, 2],
        &[0, 5, 1, 1],
    );
    let plan = avg_accepts(AvgPool3d::new(1), &[0, 2, 1, 1, 1], &[0, 2, 1, 1, 1]);
    assert_eq!((plan.planes, plan.output_len()), (0, 0));
}

#[test]
fn padding_of_half_the_kernel_is_accepted() {
    max_accepts(MaxPool1d::new(4).padding(2), &[1, 1], &[1, 1]);
    max_accepts(MaxPool1d::new(3).padding(1).dilation(2), &[1, 3], &[1, 1]);
    max_accepts(
        MaxPool2d::new([1, 5]).padding([0, 2]).stride(1),
        &[1, 3, 3],
        &[1, 3, 3],
    );
    avg_accepts(AvgPool1d::new(3).padding(1), &[2, 1], &[2, 1]);
    avg_accepts(AvgPool3d::new(2).padding(1), &[1, 2, 2, 2], &[1, 2, 2, 2]);
}

#[test]
fn kernel_bigger_than_the_input_is_accepted_with_padding() {
    avg_accepts(AvgPool2d::new(3).padding(1), &[1, 1, 1], &[1, 1, 1]);
    avg_accepts(
        AvgPool2d::new([5, 3]).padding([2, 1]).ceil_mode(true),
        &[2, 1, 2, 1],
        &[2, 1, 1, 1],
    );
    max_accepts(MaxPool2d::new(3).padding(1), &[1, 1, 1], &[1, 1, 1]);
    max_accepts(MaxPool3d::new(4).padding(2), &[1, 1, 1, 1], &[1, 1, 1, 1]);
    // The ceil drop: no window may start in the right padding.
    max_accepts(
        MaxPool1d::new(2).padding(1).ceil_mode(true),
        &[1, 3],
        &[1, 2],
    );
}

#[test]
fn output_sizes_follow_the_spec_table() {
    // (L, k, s, p, d) -> (floor, ceil), PYTORCH_POOLING.md §1.3.
    let table = [
        ((5, 2, 2, 0, 1), (2, 3)),
        ((3, 2, 2, 1, 1), (2, 2)),
        ((6, 3, 2, 1, 1), (3, 4)),
        ((7, 3, 3, 1, 2), (2, 3)),
        ((6, 1, 2, 0, 1), (3, 3)),
        ((7, 1, 2, 0, 1), (4, 4)),
        ((2, 2, 2, 1, 2), (1, 2)),
    ];
    for ((l, k, s, p, d), (floor, ceil)) in table {
        for (ceil_mode, out) in [(false, floor), (true, ceil)] {
            let options = MaxPool1d::new(k)
                .stride(s)
                .padding(p)
                .dilation(d)
                .ceil_mode(ceil_mode);
            max_accepts(options, &[1, l], &[1, out]);
            if d == 1 {
                let options = AvgPool1d::new(k).stride(s).padding(p).ceil_mode(ceil_mode);
                avg_accepts(options, &[1, l], &[1, out]);
            }
        }
    }
    max_accepts(
        MaxPool3d::new(1).stride(2).ceil_mode(true),
        &[1, 1, 5, 6, 7],
        &[1, 1, 3, 3, 4],
    );
    for ceil in [false, true] {
        let options = AvgPool3d::new(2).stride(2).padding(1).ceil_mode(ceil);
        avg_accepts(options, &[1, 1, 3, 4, 5], &[1, 1, 2, 3, 3]);
    }
}
