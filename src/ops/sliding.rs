//! Validation shared by the sliding-window families (max, avg, and LP pooling), in PyTorch's
//! check order so that the first error means the same thing it means in PyTorch.

use crate::context::Context;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::geometry::{join_x, lift, pooled_len, require_i32, Planes, PoolPlan, Window3};
use crate::memory_format::MemoryFormat;
use crate::ops::formats::{call_format, on_contiguous, Operands};
use crate::pipelines::{Kernel, RowLoads, WindowParams, MAX_SPECIALISED_KERNEL, ROW_VECTOR_CELLS};
use crate::tensor::Tensor;

/// The window arguments of one sliding-window call, before validation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlidingArgs<const R: usize> {
    pub kernel_size: [i64; R],
    /// `None` means "same as kernel_size", PyTorch's default.
    pub stride: Option<[i64; R]>,
    pub padding: [i64; R],
    pub dilation: [i64; R],
    pub ceil_mode: bool,
    /// avg_pool3d (and finite-p lp_pool3d) refuse inputs smaller than the kernel.
    pub input_at_least_kernel: bool,
}

impl<const R: usize> SlidingArgs<R> {
    /// Validates the arguments against `shape` and computes the output shape.
    pub fn plan(&self, op: &'static str, shape: &[usize]) -> Result<PoolPlan> {
        let stride = self.stride.unwrap_or(self.kernel_size);
        require_i32(op, "kernel_size", &self.kernel_size)?;
        require_i32(op, "stride", &stride)?;
        require_i32(op, "padding", &self.padding)?;
        require_i32(op, "dilation", &self.dilation)?;
        let planes = Planes::split(op, shape, R)?;

        for (((&k, &s), &p), &d) in self
            .kernel_size
            .iter()
            .zip(&stride)
            .zip(&self.padding)
            .zip(&self.dilation)
        {
            if s == 0 {
                return Err(Error::argument(
                    op,
                    "stride",
                    "stride should not be zero".into(),
                ));
            }
            if p < 0 {
                return Err(Error::argument(
                    op,
                    "padding",
                    format!("pad must be non-negative, but got pad: {p}"),
                ));
            }
            let effective = d * (k - 1) + 1; // i32 inputs: cannot overflow i64
            if p > effective / 2 {
                return Err(Error::argument(
                    op,
                    "padding",
                    format!(
                        "pad should be at most half of effective kernel size, but got pad={p}, \
                         kernel_size={k} and dilation={d}"
                    ),
                ));
            }
        }
        let positive = |argument: &'static str, values: &[i64; R]| {
            if values.iter().all(|v| *v > 0) {
                Ok(())
            } else {
                Err(Error::argument(
                    op,
                    argument,
                    format!("{argument} should be greater than zero, but got {values:?}"),
                ))
            }
        };
        positive("kernel_size", &self.kernel_size)?;
        positive("stride", &stride)?;
        positive("dilation", &self.dilation)?;
        planes.require_non_empty(op, shape)?;

        if self.input_at_least_kernel
            && (0..R).any(|a| (planes.spatial[a] as u64) < self.kernel_size[a] as u64)
        {
            return Err(Error::shape(
                op,
                format!(
                    "input image ({}) smaller than kernel size ({})",
                    join_x(&planes.spatial),
                    join_x(self.kernel_size)
                ),
            ));
        }
        if let Some(a) = (0..R).find(|&a| self.padding[a] > self.kernel_size[a] / 2) {
            return Err(Error::argument(
                op,
                "padding",
                format!(
                    "pad should be smaller than or equal to half of kernel size, but got \
                     padding={} and kernel_size={}",
                    self.padding[a], self.kernel_size[a]
                ),
            ));
        }

        let out: [i64; R] = std::array::from_fn(|a| {
            pooled_len(
                planes.spatial[a] as u64,
                self.kernel_size[a],
                stride[a],
                self.padding[a],
                self.dilation[a],
                self.ceil_mode,
            )
        });
        if out.iter().any(|o| *o < 1) {
            return Err(Error::shape(
                op,
                format!(
                    "given input size ({}x{}), the calculated output size ({}x{}) is too small",
                    planes.channels,
                    join_x(&planes.spatial),
                    planes.channels,
                    join_x(out)
                ),
            ));
        }

        // Every value is now positive and fits the i32 range checked above.
        let unsigned = |v: [i64; R]| v.map(|x| x as u64);
        let spatial_in: [u64; R] = std::array::from_fn(|a| planes.spatial[a] as u64);
        let out_usize: Vec<usize> = out.iter().map(|o| *o as usize).collect();
        Ok(PoolPlan {
            planes: planes.count(),
            input_shape: shape.to_vec(),
            output_shape: planes.output_shape(&out_usize),
            window: Window3 {
                input: lift(spatial_in, 1),
                output: lift(unsigned(out), 1),
                kernel: lift(unsigned(self.kernel_size), 1),
                stride: lift(unsigned(stride), 1),
                padding: lift(unsigned(self.padding), 0),
                dilation: lift(unsigned(self.dilation), 1),
            },
        })
    }
}

/// The uniform block for `plan`, refusing work past what 32-bit GPU indexing can address, or
/// windows longer than the driver's loops run (see [`Context::max_loop_iterations`]).
pub(crate) fn gpu_params(
    ctx: &Context,
    op: &'static str,
    plan: &PoolPlan,
    flags: u32,
    divisor: f32,
) -> Result<WindowParams> {
    let limit = i32::MAX as u64;
    let w = &plan.window;
    // The shaders hold tap positions (last window start + its extent) in i32.
    let last_tap = (0..3)
        .map(|a| (w.output[a] - 1) * w.stride[a] + w.dilation[a] * (w.kernel[a] - 1))
        .max()
        .unwrap_or(0);
    let checks = [
        ("one input plane", w.input_plane()),
        ("one output plane", w.output_plane()),
        ("the output", plan.output_len() as u64),
        ("the window extent", last_tap),
    ];
    for (what, needed) in checks {
        if needed > limit {
            return Err(Error::TooLarge {
                what: format!("{op}: {what} ({needed} elements)"),
                needed,
                limit,
            });
        }
    }
    // One invocation visits every tap of its window in one loop nest: count every iteration.
    let taps = |a: usize| w.kernel[a].min(w.input[a].div_ceil(w.dilation[a]));
    let iterations = taps(0) * (1 + taps(1) * (1 + taps(2)));
    if let Some(limit) = ctx.max_loop_iterations() {
        if iterations > limit {
            return Err(Error::TooLarge {
                what: format!(
                    "{op}: a window needing {iterations} loop iterations on this driver, which \
                     stops a shader's loops after {limit}"
                ),
                needed: iterations,
                limit,
            });
        }
    }
    Ok(WindowParams {
        flags,
        divisor,
        ..WindowParams::new(&plan.window, plan.output_len() as u32)
    })
}

/// The channel count when the channels-last kernels can pool `input` with `rank` spatial dims:
/// a batched channels-last input whose channels come in groups of four.
pub(crate) fn vector_channels<T: Float>(input: &Tensor<T>, rank: usize) -> Option<u32> {
    let shape = input.shape();
    (input.memory_format() == MemoryFormat::ChannelsLast
        && shape.len() == rank + 2
        && shape[1] % 4 == 0)
        .then(|| shape[1] as u32)
}

/// The storage buffers of a sliding-window kernel, in binding order.
pub(crate) fn bindings<'a, T: Float>(
    input: &'a Tensor<T>,
    output: Operands<'a, T>,
) -> Vec<&'a wgpu::Buffer> {
    [input.buffer(), output.values.buffer()]
        .into_iter()
        .chain(output.indices.map(Tensor::buffer))
        .collect()
}

/// True when `window` runs four neighbouring outputs of a row per invocation: its kernel width
/// is compiled in and a row holds at least four outputs. (Shorter rows would leave lanes idle:
/// lavapipe, global average pooling of 7x7 tiles took 1.69 ms that way against 0.58 ms with one
/// output per invocation.)
pub(crate) fn takes_rows(window: &Window3) -> bool {
    window.kernel[2] <= MAX_SPECIALISED_KERNEL && window.output[2] >= 4
}

/// The override constants of one pipeline.
pub(crate) type Constants = Vec<(&'static str, u32)>;

/// How a row kernel reads the input rows of `window`, with the override constants that go with
/// it: the widest vectors the row length is a multiple of (four cells, else two) whose span of
/// a group's four windows fits [`ROW_VECTOR_CELLS`], else cell by cell.
pub(crate) fn row_loads(window: &Window3) -> (RowLoads, Constants) {
    let [kernel, stride, padding, dilation] = [
        window.kernel,
        window.stride,
        window.padding,
        window.dilation,
    ]
    .map(|v| v[2]);
    for loads in [RowLoads::Vec4, RowLoads::Vec2] {
        let width = loads.cells_per_load();
        // How far the first window of a group starts past a vector boundary: groups start at
        // multiples of 4 * stride, less the padding.
        let lead = (width - padding % width) % width;
        let last_cell = lead + 3 * stride + (kernel - 1) * dilation;
        if window.input[2] % width == 0 && last_cell < ROW_VECTOR_CELLS {
            let constants = vec![
                ("STRIDE_W", stride as u32),
                ("DILATION_W", dilation as u32),
                ("LEAD_W", lead as u32),
            ];
            return (loads, constants);
        }
    }
    (RowLoads::Cells, Vec::new())
}

/// The kernels of one sliding-window op, by what they take.
pub(crate) struct WindowKernels {
    /// One output per invocation (kernel widths over 8, or rows under four outputs).
    pub scalar: Kernel,
    /// Four neighbouring outputs of a row per invocation, rows in fours.
    pub rows: fn(RowLoads) -> Kernel,
    /// Four neighbouring outputs of a row per invocation, other row lengths.
    pub rows_tail: fn(RowLoads) -> Kernel,
    /// Four channels of a channels-last tensor per invocation (see [`vector_channels`]).
    pub channels_last: Kernel,
}

impl WindowKernels {
    /// Max pooling's kernels, with or without indices.
    pub fn max(indices: bool) -> Self {
        match indices {
            false => WindowKernels {
                scalar: Kernel::MaxPool,
                rows: Kernel::MaxPoolRows,
                rows_tail: Kernel::MaxPoolRowsTail,
                channels_last: Kernel::MaxPoolChannelsLast,
            },
            true => WindowKernels {
                scalar: Kernel::MaxPoolWithIndices,
                rows: Kernel::MaxPoolRowsWithIndices,
                rows_tail: Kernel::MaxPoolRowsTailWithIndices,
                channels_last: Kernel::MaxPoolChannelsLastWithIndices,
            },
        }
    }

    /// Average pooling's kernels.
    pub fn avg() -> Self {
        WindowKernels {
            scalar: Kernel::AvgPool,
            rows: Kernel::AvgPoolRows,
            rows_tail: Kernel::AvgPoolRowsTail,
            channels_last: Kernel::AvgPoolChannelsLast,
        }
    }

    /// The kernel for `window` on contiguous tensors, with `params` adjusted to it and its
    /// override constants (see [`takes_rows`] and [`row_loads`]).
    pub fn contiguous(
        &self,
        window: &Window3,
        params: WindowParams,
    ) -> (Kernel, WindowParams, Constants) {
        let rows = match window.output[2] % 4 {
            0 => self.rows,
            _ => self.rows_tail,
        };
        pick_rows(window, params, self.scalar, rows)
    }
}

/// `rows` with the loads [`row_loads`] picks for `window` where [`takes_rows`], else `scalar`;
/// with `params` adjusted to the kernel and its override constants.
pub(crate) fn pick_rows(
    window: &Window3,
    params: WindowParams,
    scalar: Kernel,
    rows: fn(RowLoads) -> Kernel,
) -> (Kernel, WindowParams, Constants) {
    let mut constants = kernel_constants(window).to_vec();
    if !takes_rows(window) {
        return (scalar, params, constants);
    }
    let (loads, loads_constants) = row_loads(window);
    constants.extend(loads_constants);
    (rows(loads), params.rows(), constants)
}

/// Records a sliding-window pool over `R` spatial dims: four channels per invocation on
/// channels-last tensors where [`vector_channels`] allows, otherwise on contiguous tensors
/// (copies of channels-last ones) four outputs of a row per invocation when the kernel width is
/// compiled in, or one output per invocation.
#[allow(clippy::too_many_arguments)] // one call's worth of already-validated parts
pub(crate) fn record_window<const R: usize, T: Float>(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    op: &'static str,
    kernels: WindowKernels,
    plan: &PoolPlan,
    params: WindowParams,
    input: &Tensor<T>,
    output: Operands<T>,
) -> Result<()> {
    let constants = kernel_constants(&plan.window);
    if let Some(channels) = vector_channels(input, R) {
        call_format(ctx, op, Operands::new(input, None), output)?;
        let params = params.channels_last(channels);
        return ctx.record_specialized(
            encoder,
            kernels.channels_last,
            T::DTYPE,
            &constants,
            bytemuck::bytes_of(&params),
            &bindings(input, output),
            params.total,
        );
    }
    let (kernel, params, constants) = kernels.contiguous(&plan.window, params);
    on_contiguous(ctx, encoder, op, input, output, |encoder, input, output| {
        ctx.record_specialized(
            encoder,
            kernel,
            T::DTYPE,
            &constants,
            bytemuck::bytes_of(&params),
            &bindings(input, output),
            params.total,
        )
    })
}

/// The `KERNEL_*` override constants for `window`: its kernel size per dim, or 0 (generic).
pub(crate) fn kernel_constants(window: &Window3) -> [(&'static str, u32); 3] {
    let specialise = |k: u64| {
        if k <= MAX_SPECIALISED_KERNEL {
            k as u32
        } else {
            0
        }
    };
    [
        ("KERNEL_D", specialise(window.kernel[0])),
        ("KERNEL_H", specialise(window.kernel[1])),
        ("KERNEL_W", specialise(window.kernel[2])),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2-d window over `width` columns with kernel `k`, stride `s`, padding `p`, dilation `d`
    /// along W (and rows of at least four outputs, so the row kernels apply).
    fn window(width: u64, k: u64, s: u64, p: u64, d: u64) -> Window3 {
        Window3 {
            input: [1, 10, width],
            output: [1, 5, 4],
            kernel: [1, 3, k],
            stride: [1, 2, s],
            padding: [0, 1, p],
            dilation: [1, 1, d],
        }
    }

    #[test]
    fn rows_in_fours_load_vec4s_with_their_w_constants() {
        let (loads, constants) = row_loads(&window(112, 3, 2, 1, 1));
        assert_eq!(loads, RowLoads::Vec4);
        assert_eq!(
            constants,
            [("STRIDE_W", 2), ("DILATION_W", 1), ("LEAD_W", 3)]
        );
        // The lead is what the padding leaves to the next vec4 boundary.
        for (p, lead) in [(0, 0), (1, 3), (2, 2), (3, 1), (4, 0)] {
            let (loads, constants) = row_loads(&window(64, 8, 1, p, 1));
            assert_eq!(loads, RowLoads::Vec4);
            assert_eq!(constants[2], ("LEAD_W", lead), "padding {p}");
        }
    }

    #[test]
    fn other_even_rows_load_vec2s() {
        for width in [14, 114] {
            let (loads, constants) = row_loads(&window(width, 3, 2, 1, 1));
            assert_eq!(loads, RowLoads::Vec2, "width {width}");
            assert_eq!(
                constants,
                [("STRIDE_W", 2), ("DILATION_W", 1), ("LEAD_W", 1)]
            );
        }
        for (p, lead) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
            let (_, constants) = row_loads(&window(30, 7, 1, p, 1));
            assert_eq!(constants[2], ("LEAD_W", lead), "padding {p}");
        }
    }

    #[test]
    fn odd_rows_and_long_spans_load_cells() {
        for width in [13, 113, 115] {
            assert_eq!(
                row_loads(&window(width, 3, 2, 1, 1)),
                (RowLoads::Cells, Vec::new())
            );
        }
        // The last cell of the span is lead + 3 * stride + (kernel - 1) * dilation, where the
        // lead shrinks with the vector: a span too long for vec4s may fit in vec2s.
        let loads = |k, s, p, d| row_loads(&window(64, k, s, p, d)).0;
        assert_eq!(loads(4, 4, 0, 1), RowLoads::Vec4); // 0 + 12 + 3 = 15
        assert_eq!(loads(5, 4, 0, 1), RowLoads::Cells); // 16 either way
        assert_eq!(loads(3, 2, 1, 2), RowLoads::Vec4); // 3 + 6 + 4 = 13
        assert_eq!(loads(3, 3, 1, 2), RowLoads::Vec2); // 3 + 9 + 4 = 16; with vec2s 14
        assert_eq!(loads(8, 4, 0, 1), RowLoads::Cells); // 19
    }
}
