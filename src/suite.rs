//! The benchmark suite: pooling calls at ResNet-style inference sizes, shared by `wgpool bench`
//! and the criterion benches so that both measure the same thing.

use crate::array::Array;
use crate::call::{Inputs, Kwargs};
use crate::cpu;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::memory_format::MemoryFormat;
use crate::ops::max_pool::MaxPool2d;

/// One row of the suite: an op call on a shape.
pub struct Case {
    /// The `torch.nn.functional` op.
    pub op: &'static str,
    /// The input shape.
    pub shape: Vec<usize>,
    /// The arguments, for people.
    pub args: &'static str,
    /// The arguments, for [`Call`](crate::call::Call).
    pub kwargs: Kwargs,
    /// The memory format of the GPU tensors.
    pub memory_format: MemoryFormat,
    /// The values' element type.
    pub dtype: Dtype,
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
        memory_format: MemoryFormat::Contiguous,
        dtype: Dtype::F32,
    }
}

/// [`case`] on channels-last tensors (`args` says so).
fn channels_last(op: &'static str, shape: &[usize], args: &'static str, kwargs: Kwargs) -> Case {
    Case {
        memory_format: MemoryFormat::ChannelsLast,
        ..case(op, shape, args, kwargs)
    }
}

/// [`case`] on float16 values (`args` says so).
fn float16(op: &'static str, shape: &[usize], args: &'static str, kwargs: Kwargs) -> Case {
    Case {
        dtype: Dtype::F16,
        ..case(op, shape, args, kwargs)
    }
}

const STEM: [usize; 4] = [8, 64, 112, 112];

/// The suite: ResNet-style inference shapes for every op family, then the pools that have
/// channels-last kernels again on channels-last tensors, then the common pools on float16
/// (rows a runner skips where the device lacks `shader-f16`).
pub fn suite() -> Vec<Case> {
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
    let lp2 = || Kwargs {
        norm_type: Some(2.0),
        kernel_size: ints(&[2]),
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
        case("lp_pool2d", &STEM, "p=2 k2", lp2()),
        // Kernel 2 at ratio 0.5 puts the windows on a grid (max pooling's kernels run it);
        // kernel 3 does not (the fractional kernels).
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
        case(
            "fractional_max_pool2d",
            &STEM,
            "k3 out 0.5",
            Kwargs {
                kernel_size: ints(&[3]),
                output_ratio: Some(vec![0.5, 0.5]),
                ..Default::default()
            },
        ),
        channels_last("max_pool2d", &STEM, "k3 s2 p1, NHWC", window(3, 2, 1)),
        channels_last(
            "max_pool2d",
            &STEM,
            "k3 s2 p1, indices, NHWC",
            Kwargs {
                return_indices: true,
                ..window(3, 2, 1)
            },
        ),
        channels_last(
            "max_pool2d",
            &[8, 512, 14, 14],
            "k2 s2, NHWC",
            window(2, 2, 0),
        ),
        channels_last("max_pool2d", &STEM, "k2 s2, NHWC", window(2, 2, 0)),
        channels_last(
            "avg_pool2d",
            &[8, 512, 14, 14],
            "k2 s2, NHWC",
            window(2, 2, 0),
        ),
        channels_last("avg_pool2d", &STEM, "k2 s2, NHWC", window(2, 2, 0)),
        channels_last(
            "adaptive_avg_pool2d",
            &[8, 2048, 7, 7],
            "to 1, NHWC",
            adaptive(1),
        ),
        channels_last(
            "adaptive_avg_pool2d",
            &[8, 1024, 14, 14],
            "14 to 7, NHWC",
            adaptive(7),
        ),
        channels_last(
            "max_pool3d",
            &[2, 32, 16, 56, 56],
            "k2, NDHWC",
            window(2, 2, 0),
        ),
        channels_last(
            "avg_pool3d",
            &[2, 32, 16, 56, 56],
            "k2, NDHWC",
            window(2, 2, 0),
        ),
        float16("max_pool2d", &STEM, "k3 s2 p1, f16", window(3, 2, 1)),
        float16("max_pool2d", &STEM, "k2 s2, f16", window(2, 2, 0)),
        float16("avg_pool2d", &STEM, "k2 s2, f16", window(2, 2, 0)),
        float16(
            "adaptive_avg_pool2d",
            &[8, 2048, 7, 7],
            "to 1, f16",
            adaptive(1),
        ),
        float16("lp_pool2d", &STEM, "p=2 k2, f16", lp2()),
        Case {
            memory_format: MemoryFormat::ChannelsLast,
            ..float16("max_pool2d", &STEM, "k3 s2 p1, NHWC, f16", window(3, 2, 1))
        },
        Case {
            memory_format: MemoryFormat::ChannelsLast,
            ..float16("avg_pool2d", &STEM, "k2 s2, NHWC, f16", window(2, 2, 0))
        },
    ]
}

/// Deterministic, varied input values in [-2, 2) (no ties to speak of).
pub fn values(len: usize, seed: u64) -> Vec<f32> {
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

impl Case {
    /// The inputs: values, plus the stem's max positions for unpooling and random samples for
    /// fractional pooling.
    pub fn inputs(&self) -> Result<Inputs> {
        let case = self;
        let len = case.shape.iter().product();
        let mut inputs = Inputs::new(Array {
            shape: case.shape.clone(),
            data: values(len, 1)
                .into_iter()
                .map(|v| case.dtype.round(v))
                .collect(),
        });
        if case.op.starts_with("max_unpool") {
            let stem = values(STEM.iter().product(), 2);
            let (_, indices) =
                cpu::max_pool(&MaxPool2d::new(3).stride(2).padding(1), &stem, &STEM)?;
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
}
