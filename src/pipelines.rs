//! The compute kernels: their WGSL source, entry point and bindings, and the uniform struct
//! they share. Pipelines are built once per [`Context`](crate::Context) and cached.

use bytemuck::{Pod, Zeroable};

use crate::dtype::Dtype;
use crate::geometry::Window3;

/// WGSL prepended to every op's shader.
pub const COMMON_WGSL: &str = include_str!("../shaders/common.wgsl");

/// The row kernels' input loader and window walks, and LP pooling's arithmetic: see
/// [`Kernel::shared_files`].
const ROW_CELLS_WGSL: &str = include_str!("../shaders/row_cells.wgsl");
const ROW_VECTORS_WGSL: &str = include_str!("../shaders/row_vectors.wgsl");
const ROW_VECTOR2_WGSL: &str = include_str!("../shaders/row_vector2.wgsl");
const ROW_VECTOR4_WGSL: &str = include_str!("../shaders/row_vector4.wgsl");
const ROW_POOL_WGSL: &str = include_str!("../shaders/row_pool.wgsl");
const LP_MATH_WGSL: &str = include_str!("../shaders/lp_math.wgsl");
const FRACTIONAL_ROWS_WGSL: &str = include_str!("../shaders/fractional_rows.wgsl");
const MAX_UNPOOL_COMMON_WGSL: &str = include_str!("../shaders/max_unpool_common.wgsl");

/// Kernel sizes up to this are compiled into the pipeline (unrolled window loops); larger ones
/// run the generic loops, which visit only the taps inside the input. Also the most taps of a
/// row kernel's window: `ROW_TAPS` in `shaders/common.wgsl`.
pub const MAX_SPECIALISED_KERNEL: u64 = 8;

/// The most cells the four windows of a row kernel's group may span for [`RowLoads::Vec2`] and
/// [`RowLoads::Vec4`], counted from the vector boundary before the first: `ROW_CELLS` in
/// `shaders/row_vectors.wgsl`.
/// (Longer spans compile slowly: lavapipe took 0.3 s for a 32-cell span.)
pub const ROW_VECTOR_CELLS: u64 = 16;

/// How a row kernel (four neighbouring outputs of a row per invocation) reads its input rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowLoads {
    /// Four scattered loads per tap, for rows of any length (`shaders/row_cells.wgsl`).
    Cells,
    /// Whole `vec2`s, for rows of an even length, with the stride, dilation and padding along W
    /// compiled in (`shaders/row_vectors.wgsl`).
    Vec2,
    /// Whole `vec4`s, likewise, for rows whose length is a multiple of four.
    Vec4,
}

impl RowLoads {
    /// The cells each load reads: the length every input row must be a multiple of.
    pub fn cells_per_load(self) -> u64 {
        match self {
            RowLoads::Cells => 1,
            RowLoads::Vec2 => 2,
            RowLoads::Vec4 => 4,
        }
    }

    /// The loader's WGSL files, in order.
    fn files(self) -> &'static [&'static str] {
        match self {
            RowLoads::Cells => &[ROW_CELLS_WGSL],
            RowLoads::Vec2 => &[ROW_VECTOR2_WGSL, ROW_VECTORS_WGSL],
            RowLoads::Vec4 => &[ROW_VECTOR4_WGSL, ROW_VECTORS_WGSL],
        }
    }
}

/// Every compute kernel wgpool dispatches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Max pooling, values only.
    MaxPool,
    /// Max pooling with plane-flat int64 indices.
    MaxPoolWithIndices,
    /// Average pooling.
    AvgPool,
    /// A plain copy, the benchmark's bandwidth yardstick.
    Copy,
    /// Max unpooling on the board, pass 1: each input element claims its output position.
    MaxUnpoolScatter,
    /// Max unpooling on the board, pass 2: each output element takes its winning input, or
    /// zero.
    MaxUnpoolGather,
    /// Max unpooling by windows, pass 1: is every index valid and inside its own window?
    MaxUnpoolCheck,
    /// Max unpooling by windows, pass 2: completes the status, and puts the board passes'
    /// workgroup counts in place of the window gather's when some index was not.
    MaxUnpoolChoose,
    /// Max unpooling by windows, pass 3: four outputs of a row per invocation look for their
    /// indices among the windows covering them; output rows in fours.
    MaxUnpoolWindows,
    /// [`Kernel::MaxUnpoolWindows`] for rows whose length is not a multiple of four.
    MaxUnpoolWindowsTail,
    /// Zeroes words of a buffer (max unpooling's board, in a pass the GPU sizes).
    ClearWords,
    /// Fractional max pooling, values only.
    FractionalMaxPool,
    /// Fractional max pooling with plane-flat int64 indices.
    FractionalMaxPoolWithIndices,
    /// LP pooling with a finite `norm_type`.
    LpPool,
    /// LP pooling with `norm_type` = +inf (max of |x|) or -inf (min of |x|).
    LpPoolInfNorm,
    /// Adaptive average pooling.
    AdaptiveAvgPool,
    /// Adaptive max pooling, values only.
    AdaptiveMaxPool,
    /// Adaptive max pooling with plane-flat int64 indices.
    AdaptiveMaxPoolWithIndices,
    /// Adaptive average pooling as a parallel reduction (several invocations per window).
    AdaptiveAvgPoolReduce,
    /// Adaptive max pooling as a parallel reduction, values only.
    AdaptiveMaxPoolReduce,
    /// Adaptive max pooling as a parallel reduction, with plane-flat int64 indices.
    AdaptiveMaxPoolReduceWithIndices,
    /// Max pooling on channels-last tensors, four channels per invocation, values only.
    MaxPoolChannelsLast,
    /// Max pooling on channels-last tensors, with plane-flat int64 indices.
    MaxPoolChannelsLastWithIndices,
    /// Average pooling on channels-last tensors, four channels per invocation.
    AvgPoolChannelsLast,
    /// Batched transposes between memory formats.
    Transpose,
    /// Max pooling, four neighbouring outputs of a row per invocation, values only; output
    /// rows in fours. Every row kernel reads its input rows as its [`RowLoads`] says.
    MaxPoolRows(RowLoads),
    /// Max pooling, four outputs of a row per invocation, with plane-flat int64 indices.
    MaxPoolRowsWithIndices(RowLoads),
    /// Average pooling, four neighbouring outputs of a row per invocation.
    AvgPoolRows(RowLoads),
    /// [`Kernel::MaxPoolRows`] for rows whose length is not a multiple of four.
    MaxPoolRowsTail(RowLoads),
    /// [`Kernel::MaxPoolRowsWithIndices`] for rows whose length is not a multiple of four.
    MaxPoolRowsTailWithIndices(RowLoads),
    /// [`Kernel::AvgPoolRows`] for rows whose length is not a multiple of four.
    AvgPoolRowsTail(RowLoads),
    /// [`Kernel::LpPool`], four neighbouring outputs of a row per invocation.
    LpPoolRows(RowLoads),
    /// [`Kernel::LpPoolInfNorm`], four neighbouring outputs of a row per invocation.
    LpPoolInfNormRows(RowLoads),
    /// [`Kernel::FractionalMaxPool`], four neighbouring outputs of a row per invocation, rows in
    /// fours.
    FractionalMaxPoolRows,
    /// [`Kernel::FractionalMaxPoolWithIndices`], four outputs of a row per invocation, rows in
    /// fours.
    FractionalMaxPoolRowsWithIndices,
    /// [`Kernel::FractionalMaxPoolRows`] for other row lengths.
    FractionalMaxPoolRowsTail,
    /// [`Kernel::FractionalMaxPoolRowsWithIndices`] for other row lengths.
    FractionalMaxPoolRowsTailWithIndices,
    /// [`Kernel::Transpose`] of 16-bit elements, two to a word.
    TransposeHalves,
    /// Values of the build's element type widened into f32.
    Widen,
    /// f32 values rounded into the build's element type.
    Narrow,
}

impl Kernel {
    /// Every kernel, for tests that compile them all.
    pub const ALL: [Kernel; 56] = [
        Kernel::MaxPool,
        Kernel::MaxPoolWithIndices,
        Kernel::AvgPool,
        Kernel::Copy,
        Kernel::MaxUnpoolScatter,
        Kernel::MaxUnpoolGather,
        Kernel::MaxUnpoolCheck,
        Kernel::MaxUnpoolChoose,
        Kernel::MaxUnpoolWindows,
        Kernel::MaxUnpoolWindowsTail,
        Kernel::ClearWords,
        Kernel::FractionalMaxPool,
        Kernel::FractionalMaxPoolWithIndices,
        Kernel::LpPool,
        Kernel::LpPoolInfNorm,
        Kernel::AdaptiveAvgPool,
        Kernel::AdaptiveMaxPool,
        Kernel::AdaptiveMaxPoolWithIndices,
        Kernel::AdaptiveAvgPoolReduce,
        Kernel::AdaptiveMaxPoolReduce,
        Kernel::AdaptiveMaxPoolReduceWithIndices,
        Kernel::MaxPoolChannelsLast,
        Kernel::MaxPoolChannelsLastWithIndices,
        Kernel::AvgPoolChannelsLast,
        Kernel::Transpose,
        Kernel::MaxPoolRows(RowLoads::Cells),
        Kernel::MaxPoolRows(RowLoads::Vec2),
        Kernel::MaxPoolRows(RowLoads::Vec4),
        Kernel::MaxPoolRowsWithIndices(RowLoads::Cells),
        Kernel::MaxPoolRowsWithIndices(RowLoads::Vec2),
        Kernel::MaxPoolRowsWithIndices(RowLoads::Vec4),
        Kernel::AvgPoolRows(RowLoads::Cells),
        Kernel::AvgPoolRows(RowLoads::Vec2),
        Kernel::AvgPoolRows(RowLoads::Vec4),
        Kernel::MaxPoolRowsTail(RowLoads::Cells),
        Kernel::MaxPoolRowsTail(RowLoads::Vec2),
        Kernel::MaxPoolRowsTail(RowLoads::Vec4),
        Kernel::MaxPoolRowsTailWithIndices(RowLoads::Cells),
        Kernel::MaxPoolRowsTailWithIndices(RowLoads::Vec2),
        Kernel::MaxPoolRowsTailWithIndices(RowLoads::Vec4),
        Kernel::AvgPoolRowsTail(RowLoads::Cells),
        Kernel::AvgPoolRowsTail(RowLoads::Vec2),
        Kernel::AvgPoolRowsTail(RowLoads::Vec4),
        Kernel::LpPoolRows(RowLoads::Cells),
        Kernel::LpPoolRows(RowLoads::Vec2),
        Kernel::LpPoolRows(RowLoads::Vec4),
        Kernel::LpPoolInfNormRows(RowLoads::Cells),
        Kernel::LpPoolInfNormRows(RowLoads::Vec2),
        Kernel::LpPoolInfNormRows(RowLoads::Vec4),
        Kernel::FractionalMaxPoolRows,
        Kernel::FractionalMaxPoolRowsWithIndices,
        Kernel::FractionalMaxPoolRowsTail,
        Kernel::FractionalMaxPoolRowsTailWithIndices,
        Kernel::TransposeHalves,
        Kernel::Widen,
        Kernel::Narrow,
    ];

    /// The op's own shader file, with its entry points (without `common.wgsl` and
    /// [`Kernel::shared_files`]).
    pub fn shader_file(self) -> &'static str {
        match self {
            Kernel::MaxPool | Kernel::MaxPoolWithIndices => {
                include_str!("../shaders/max_pool.wgsl")
            }
            Kernel::AvgPool => include_str!("../shaders/avg_pool.wgsl"),
            Kernel::Copy => include_str!("../shaders/copy.wgsl"),
            Kernel::MaxUnpoolScatter | Kernel::MaxUnpoolGather => {
                include_str!("../shaders/max_unpool.wgsl")
            }
            Kernel::MaxUnpoolCheck | Kernel::MaxUnpoolChoose => {
                include_str!("../shaders/max_unpool_check.wgsl")
            }
            Kernel::MaxUnpoolWindows | Kernel::MaxUnpoolWindowsTail => {
                include_str!("../shaders/max_unpool_windows.wgsl")
            }
            Kernel::ClearWords => include_str!("../shaders/clear.wgsl"),
            Kernel::FractionalMaxPool | Kernel::FractionalMaxPoolWithIndices => {
                include_str!("../shaders/fractional_max_pool.wgsl")
            }
            Kernel::FractionalMaxPoolRows | Kernel::FractionalMaxPoolRowsWithIndices => {
                include_str!("../shaders/fractional_rows_whole.wgsl")
            }
            Kernel::FractionalMaxPoolRowsTail | Kernel::FractionalMaxPoolRowsTailWithIndices => {
                include_str!("../shaders/fractional_rows_tail.wgsl")
            }
            Kernel::LpPool | Kernel::LpPoolInfNorm => include_str!("../shaders/lp_pool.wgsl"),
            Kernel::LpPoolRows(_) | Kernel::LpPoolInfNormRows(_) => {
                include_str!("../shaders/lp_rows.wgsl")
            }
            Kernel::AdaptiveAvgPool
            | Kernel::AdaptiveMaxPool
            | Kernel::AdaptiveMaxPoolWithIndices
            | Kernel::AdaptiveAvgPoolReduce
            | Kernel::AdaptiveMaxPoolReduce
            | Kernel::AdaptiveMaxPoolReduceWithIndices => {
                include_str!("../shaders/adaptive_pool.wgsl")
            }
            Kernel::MaxPoolChannelsLast
            | Kernel::MaxPoolChannelsLastWithIndices
            | Kernel::AvgPoolChannelsLast => include_str!("../shaders/channels_last_pool.wgsl"),
            Kernel::Transpose | Kernel::TransposeHalves => {
                include_str!("../shaders/transpose.wgsl")
            }
            Kernel::Widen | Kernel::Narrow => include_str!("../shaders/widen.wgsl"),
            Kernel::MaxPoolRows(_) | Kernel::MaxPoolRowsWithIndices(_) | Kernel::AvgPoolRows(_) => {
                include_str!("../shaders/rows_whole.wgsl")
            }
            Kernel::MaxPoolRowsTail(_)
            | Kernel::MaxPoolRowsTailWithIndices(_)
            | Kernel::AvgPoolRowsTail(_) => include_str!("../shaders/rows_tail.wgsl"),
        }
    }

    /// Code the op's file builds on, in order, placed between `common.wgsl` and it: the row
    /// kernels' input loader and window walks (shared by their two ways of storing), LP
    /// pooling's arithmetic, fractional pooling's row windows, max unpooling's status.
    pub fn shared_files(self) -> Vec<&'static str> {
        match self {
            Kernel::MaxPoolRows(loads)
            | Kernel::MaxPoolRowsWithIndices(loads)
            | Kernel::AvgPoolRows(loads)
            | Kernel::MaxPoolRowsTail(loads)
            | Kernel::MaxPoolRowsTailWithIndices(loads)
            | Kernel::AvgPoolRowsTail(loads) => [loads.files(), &[ROW_POOL_WGSL]].concat(),
            Kernel::LpPool | Kernel::LpPoolInfNorm => vec![LP_MATH_WGSL],
            Kernel::MaxUnpoolScatter
            | Kernel::MaxUnpoolGather
            | Kernel::MaxUnpoolCheck
            | Kernel::MaxUnpoolChoose => vec![MAX_UNPOOL_COMMON_WGSL],
            Kernel::FractionalMaxPoolRows
            | Kernel::FractionalMaxPoolRowsWithIndices
            | Kernel::FractionalMaxPoolRowsTail
            | Kernel::FractionalMaxPoolRowsTailWithIndices => vec![FRACTIONAL_ROWS_WGSL],
            Kernel::LpPoolRows(loads) | Kernel::LpPoolInfNormRows(loads) => {
                [loads.files(), &[LP_MATH_WGSL]].concat()
            }
            _ => Vec::new(),
        }
    }

    /// The complete WGSL module for values of `dtype`: the element type's file, `common.wgsl`,
    /// the shared files and the op's file.
    pub fn source(self, dtype: Dtype) -> String {
        [dtype.wgsl(), COMMON_WGSL]
            .into_iter()
            .chain(self.shared_files())
            .chain([self.shader_file()])
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the kernel reads or writes values of the build's element type. The others
    /// (copy, transposes, clears, unpool's scatter and checks) move words or indices and are
    /// built for f32 only.
    pub fn has_elements(self) -> bool {
        !matches!(
            self,
            Kernel::Copy
                | Kernel::Transpose
                | Kernel::TransposeHalves
                | Kernel::ClearWords
                | Kernel::MaxUnpoolScatter
                | Kernel::MaxUnpoolCheck
                | Kernel::MaxUnpoolChoose
        )
    }

    /// The entry point, named after the `torch.nn.functional` op it implements.
    pub fn entry_point(self) -> &'static str {
        match self {
            Kernel::MaxPool => "max_pool",
            Kernel::MaxPoolWithIndices => "max_pool_with_indices",
            Kernel::AvgPool => "avg_pool",
            Kernel::Copy => "copy",
            Kernel::MaxUnpoolScatter => "max_unpool_scatter",
            Kernel::MaxUnpoolGather => "max_unpool_gather",
            Kernel::MaxUnpoolCheck => "max_unpool_check",
            Kernel::MaxUnpoolChoose => "max_unpool_choose",
            Kernel::MaxUnpoolWindows => "max_unpool_windows",
            Kernel::MaxUnpoolWindowsTail => "max_unpool_windows_tail",
            Kernel::ClearWords => "clear_words",
            Kernel::FractionalMaxPool => "fractional_max_pool",
            Kernel::FractionalMaxPoolWithIndices => "fractional_max_pool_with_indices",
            Kernel::LpPool => "lp_pool",
            Kernel::LpPoolInfNorm => "lp_pool_inf_norm",
            Kernel::AdaptiveAvgPool => "adaptive_avg_pool",
            Kernel::AdaptiveMaxPool => "adaptive_max_pool",
            Kernel::AdaptiveMaxPoolWithIndices => "adaptive_max_pool_with_indices",
            Kernel::AdaptiveAvgPoolReduce => "adaptive_avg_pool_reduce",
            Kernel::AdaptiveMaxPoolReduce => "adaptive_max_pool_reduce",
            Kernel::AdaptiveMaxPoolReduceWithIndices => "adaptive_max_pool_reduce_with_indices",
            Kernel::MaxPoolChannelsLast => "max_pool_channels_last",
            Kernel::MaxPoolChannelsLastWithIndices => "max_pool_channels_last_with_indices",
            Kernel::AvgPoolChannelsLast => "avg_pool_channels_last",
            Kernel::Transpose => "convert_memory_format",
            Kernel::MaxPoolRows(_) => "max_pool_rows",
            Kernel::MaxPoolRowsWithIndices(_) => "max_pool_rows_with_indices",
            Kernel::AvgPoolRows(_) => "avg_pool_rows",
            Kernel::MaxPoolRowsTail(_) => "max_pool_rows_tail",
            Kernel::MaxPoolRowsTailWithIndices(_) => "max_pool_rows_tail_with_indices",
            Kernel::AvgPoolRowsTail(_) => "avg_pool_rows_tail",
            Kernel::LpPoolRows(_) => "lp_pool_rows",
            Kernel::LpPoolInfNormRows(_) => "lp_pool_inf_norm_rows",
            Kernel::FractionalMaxPoolRows => "fractional_max_pool_rows",
            Kernel::FractionalMaxPoolRowsWithIndices => "fractional_max_pool_rows_with_indices",
            Kernel::FractionalMaxPoolRowsTail => "fractional_max_pool_rows_tail",
            Kernel::FractionalMaxPoolRowsTailWithIndices => {
                "fractional_max_pool_rows_tail_with_indices"
            }
            Kernel::TransposeHalves => "convert_memory_format_halves",
            Kernel::Widen => "widen",
            Kernel::Narrow => "narrow",
        }
    }

    /// The storage bindings after the uniform at binding 0, in binding order: `true` = read-only.
    pub fn storage_bindings(self) -> &'static [bool] {
        match self {
            Kernel::MaxPool | Kernel::AvgPool | Kernel::Copy | Kernel::Transpose => &[true, false],
            Kernel::TransposeHalves | Kernel::Widen | Kernel::Narrow => &[true, false],
            Kernel::MaxPoolChannelsLast | Kernel::AvgPoolChannelsLast => &[true, false],
            Kernel::MaxPoolChannelsLastWithIndices => &[true, false, false],
            Kernel::MaxPoolRows(_) | Kernel::AvgPoolRows(_) => &[true, false],
            Kernel::MaxPoolRowsTail(_) | Kernel::AvgPoolRowsTail(_) => &[true, false],
            Kernel::MaxPoolRowsWithIndices(_) | Kernel::MaxPoolRowsTailWithIndices(_) => {
                &[true, false, false]
            }
            Kernel::LpPool
            | Kernel::LpPoolInfNorm
            | Kernel::LpPoolRows(_)
            | Kernel::LpPoolInfNormRows(_) => &[true, false],
            Kernel::MaxPoolWithIndices => &[true, false, false],
            // status, indices, winner (+ input, output): the scatter's are a prefix.
            Kernel::MaxUnpoolScatter => &[false, true, false],
            Kernel::MaxUnpoolGather => &[false, true, true, true, false],
            // status, indices, workgroup counts
            Kernel::MaxUnpoolCheck | Kernel::MaxUnpoolChoose => &[false, true, false],
            // indices, input, output
            Kernel::MaxUnpoolWindows | Kernel::MaxUnpoolWindowsTail => &[true, true, false],
            Kernel::ClearWords => &[false],
            // input, window starts, output (, indices)
            Kernel::FractionalMaxPool
            | Kernel::FractionalMaxPoolRows
            | Kernel::FractionalMaxPoolRowsTail => &[true, true, false],
            Kernel::FractionalMaxPoolWithIndices
            | Kernel::FractionalMaxPoolRowsWithIndices
            | Kernel::FractionalMaxPoolRowsTailWithIndices => &[true, true, false, false],
            Kernel::AdaptiveAvgPool
            | Kernel::AdaptiveMaxPool
            | Kernel::AdaptiveAvgPoolReduce
            | Kernel::AdaptiveMaxPoolReduce => &[true, false],
            Kernel::AdaptiveMaxPoolWithIndices | Kernel::AdaptiveMaxPoolReduceWithIndices => {
                &[true, false, false]
            }
        }
    }

    /// A label for wgpu objects built for this kernel.
    pub fn label(self) -> &'static str {
        match self {
            Kernel::MaxPool => "wgpool.max_pool",
            Kernel::MaxPoolWithIndices => "wgpool.max_pool_with_indices",
            Kernel::AvgPool => "wgpool.avg_pool",
            Kernel::Copy => "wgpool.copy",
            Kernel::MaxUnpoolScatter => "wgpool.max_unpool_scatter",
            Kernel::MaxUnpoolGather => "wgpool.max_unpool_gather",
            Kernel::MaxUnpoolCheck => "wgpool.max_unpool_check",
            Kernel::MaxUnpoolChoose => "wgpool.max_unpool_choose",
            Kernel::MaxUnpoolWindows => "wgpool.max_unpool_windows",
            Kernel::MaxUnpoolWindowsTail => "wgpool.max_unpool_windows_tail",
            Kernel::ClearWords => "wgpool.clear_words",
            Kernel::FractionalMaxPool => "wgpool.fractional_max_pool",
            Kernel::FractionalMaxPoolWithIndices => "wgpool.fractional_max_pool_with_indices",
            Kernel::LpPool => "wgpool.lp_pool",
            Kernel::LpPoolInfNorm => "wgpool.lp_pool_inf_norm",
            Kernel::AdaptiveAvgPool => "wgpool.adaptive_avg_pool",
            Kernel::AdaptiveMaxPool => "wgpool.adaptive_max_pool",
            Kernel::AdaptiveMaxPoolWithIndices => "wgpool.adaptive_max_pool_with_indices",
            Kernel::AdaptiveAvgPoolReduce => "wgpool.adaptive_avg_pool_reduce",
            Kernel::AdaptiveMaxPoolReduce => "wgpool.adaptive_max_pool_reduce",
            Kernel::AdaptiveMaxPoolReduceWithIndices => {
                "wgpool.adaptive_max_pool_reduce_with_indices"
            }
            Kernel::MaxPoolChannelsLast => "wgpool.max_pool_channels_last",
            Kernel::MaxPoolChannelsLastWithIndices => "wgpool.max_pool_channels_last_with_indices",
            Kernel::AvgPoolChannelsLast => "wgpool.avg_pool_channels_last",
            Kernel::Transpose => "wgpool.convert_memory_format",
            Kernel::MaxPoolRows(RowLoads::Cells) => "wgpool.max_pool_rows",
            Kernel::MaxPoolRows(RowLoads::Vec2) => "wgpool.max_pool_rows.vec2_loads",
            Kernel::MaxPoolRows(RowLoads::Vec4) => "wgpool.max_pool_rows.vec4_loads",
            Kernel::MaxPoolRowsWithIndices(RowLoads::Cells) => "wgpool.max_pool_rows_with_indices",
            Kernel::MaxPoolRowsWithIndices(RowLoads::Vec2) => {
                "wgpool.max_pool_rows_with_indices.vec2_loads"
            }
            Kernel::MaxPoolRowsWithIndices(RowLoads::Vec4) => {
                "wgpool.max_pool_rows_with_indices.vec4_loads"
            }
            Kernel::AvgPoolRows(RowLoads::Cells) => "wgpool.avg_pool_rows",
            Kernel::AvgPoolRows(RowLoads::Vec2) => "wgpool.avg_pool_rows.vec2_loads",
            Kernel::AvgPoolRows(RowLoads::Vec4) => "wgpool.avg_pool_rows.vec4_loads",
            Kernel::MaxPoolRowsTail(RowLoads::Cells) => "wgpool.max_pool_rows_tail",
            Kernel::MaxPoolRowsTail(RowLoads::Vec2) => "wgpool.max_pool_rows_tail.vec2_loads",
            Kernel::MaxPoolRowsTail(RowLoads::Vec4) => "wgpool.max_pool_rows_tail.vec4_loads",
            Kernel::MaxPoolRowsTailWithIndices(RowLoads::Cells) => {
                "wgpool.max_pool_rows_tail_with_indices"
            }
            Kernel::MaxPoolRowsTailWithIndices(RowLoads::Vec2) => {
                "wgpool.max_pool_rows_tail_with_indices.vec2_loads"
            }
            Kernel::MaxPoolRowsTailWithIndices(RowLoads::Vec4) => {
                "wgpool.max_pool_rows_tail_with_indices.vec4_loads"
            }
            Kernel::AvgPoolRowsTail(RowLoads::Cells) => "wgpool.avg_pool_rows_tail",
            Kernel::AvgPoolRowsTail(RowLoads::Vec2) => "wgpool.avg_pool_rows_tail.vec2_loads",
            Kernel::AvgPoolRowsTail(RowLoads::Vec4) => "wgpool.avg_pool_rows_tail.vec4_loads",
            Kernel::LpPoolRows(RowLoads::Cells) => "wgpool.lp_pool_rows",
            Kernel::LpPoolRows(RowLoads::Vec2) => "wgpool.lp_pool_rows.vec2_loads",
            Kernel::LpPoolRows(RowLoads::Vec4) => "wgpool.lp_pool_rows.vec4_loads",
            Kernel::LpPoolInfNormRows(RowLoads::Cells) => "wgpool.lp_pool_inf_norm_rows",
            Kernel::LpPoolInfNormRows(RowLoads::Vec2) => "wgpool.lp_pool_inf_norm_rows.vec2_loads",
            Kernel::LpPoolInfNormRows(RowLoads::Vec4) => "wgpool.lp_pool_inf_norm_rows.vec4_loads",
            Kernel::FractionalMaxPoolRows => "wgpool.fractional_max_pool_rows",
            Kernel::FractionalMaxPoolRowsWithIndices => {
                "wgpool.fractional_max_pool_rows_with_indices"
            }
            Kernel::FractionalMaxPoolRowsTail => "wgpool.fractional_max_pool_rows_tail",
            Kernel::FractionalMaxPoolRowsTailWithIndices => {
                "wgpool.fractional_max_pool_rows_tail_with_indices"
            }
            Kernel::TransposeHalves => "wgpool.convert_memory_format_halves",
            Kernel::Widen => "wgpool.widen",
            Kernel::Narrow => "wgpool.narrow",
        }
    }
}

/// Bit in [`WindowParams::flags`]: avg pooling counts padding cells in the divisor.
pub const FLAG_COUNT_INCLUDE_PAD: u32 = 1;
/// Bit in [`WindowParams::flags`]: avg pooling divides by [`WindowParams::divisor`].
pub const FLAG_DIVISOR_OVERRIDE: u32 = 2;
/// Bit in [`WindowParams::flags`]: avg pooling divides by the window's depth, height and width
/// in turn (adaptive average pooling over exact tiles).
pub const FLAG_SUCCESSIVE_DIVISION: u32 = 4;

/// The uniform block of the sliding-window kernels; mirrors `Params` in `shaders/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct WindowParams {
    /// Output elements covered by the dispatch.
    pub total: u32,
    /// Input sizes, D H W.
    pub input: [u32; 3],
    /// Output sizes, D H W.
    pub output: [u32; 3],
    /// Kernel sizes.
    pub kernel: [u32; 3],
    /// Strides.
    pub stride: [u32; 3],
    /// Paddings.
    pub padding: [u32; 3],
    /// Dilations.
    pub dilation: [u32; 3],
    /// `FLAG_*` bits.
    pub flags: u32,
    /// avg pooling's divisor_override, as the f32 PyTorch divides by.
    pub divisor: f32,
    /// LP pooling's `norm_type` (p).
    pub norm_type: f32,
    /// Division by `output[2]` (W) as a multiply, for `output_coord`.
    pub div_w: DivMagic,
    /// Division by `output[1]` (H).
    pub div_h: DivMagic,
    /// Division by `output[0]` (D).
    pub div_d: DivMagic,
    /// Channels-last kernels: groups of four channels per position (C / 4).
    pub channel_groups: u32,
    /// Division by `channel_groups`.
    pub div_c: DivMagic,
    /// Row kernels: the output row's length (`output[2]` then counts groups of four).
    pub row_width: u32,
}

/// A divisor `d` as the shaders take it: `divide` computes `floor(n / d)` for every `n < 2^31`
/// as `mul_hi(2n, m) >> l` (Granlund and Montgomery's invariant division); `divide_index`, in
/// dispatches whose invocations all lie below 2^24 (where an f32 holds them exactly), as
/// `trunc(n * r)` with `r = 1/d` in f32, corrected by one step.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct DivMagic {
    /// The multiplier, `ceil(2^(31 + l) / d)`.
    pub m: u32,
    /// `ceil(log2(d))`.
    pub l: u32,
    /// The divisor.
    pub d: u32,
    /// `1/d` rounded to the nearest f32.
    pub r: f32,
}

/// Dispatches of fewer invocations than this divide their indices in f32 (`SMALL_INDICES`).
pub const FLOAT_DIVISION_LIMIT: u32 = 1 << 24;

impl DivMagic {
    /// The divisor `d` (0 is treated as 1: such dims have no elements to index).
    pub fn new(d: u32) -> Self {
        let d = d.max(1);
        let l = 64 - (u64::from(d) - 1).leading_zeros();
        let m = (1u64 << (31 + l)).div_ceil(u64::from(d));
        DivMagic {
            m: m as u32,
            l,
            d,
            r: (1.0 / f64::from(d)) as f32,
        }
    }

    /// What the shaders' `divide` computes: `floor(n / d)` for `n < 2^31`.
    pub fn divide(self, n: u32) -> u32 {
        ((u64::from(n << 1) * u64::from(self.m)) >> (32 + self.l)) as u32
    }

    /// What the shaders' `divide_index` computes with `SMALL_INDICES`: `floor(n / d)` for
    /// `n < 2^24`, from the product of two f32s rounded to nearest (as WGSL's f32 multiply is).
    pub fn divide_small(self, n: u32) -> u32 {
        debug_assert!(n < FLOAT_DIVISION_LIMIT);
        let q = (n as f32 * self.r) as u32;
        let rest = n as i32 - q.wrapping_mul(self.d) as i32;
        q + u32::from(rest >= self.d as i32) - u32::from(rest < 0)
    }
}

impl WindowParams {
    /// The parameters of `window` over `total` output elements. The caller has checked that
    /// every size fits in 32 bits.
    pub fn new(window: &Window3, total: u32) -> Self {
        let narrow = |v: [u64; 3]| v.map(|x| x as u32);
        WindowParams {
            total,
            input: narrow(window.input),
            output: narrow(window.output),
            kernel: narrow(window.kernel),
            stride: narrow(window.stride),
            padding: narrow(window.padding),
            dilation: narrow(window.dilation),
            div_w: DivMagic::new(window.output[2] as u32),
            div_h: DivMagic::new(window.output[1] as u32),
            div_d: DivMagic::new(window.output[0] as u32),
            ..Default::default()
        }
    }

    /// These parameters for the row kernels: one invocation per four neighbouring outputs of
    /// a row (the last group of a row may hold fewer), so the width is counted in groups.
    pub fn rows(self) -> Self {
        let [d, h, w] = self.output;
        let groups = w.div_ceil(4);
        WindowParams {
            total: self.total / w.max(1) * groups,
            output: [d, h, groups],
            div_w: DivMagic::new(groups),
            row_width: w,
            ..self
        }
    }

    /// These parameters for the channels-last kernels over `channels` (a multiple of 4): one
    /// invocation per output position and group of four channels.
    pub fn channels_last(self, channels: u32) -> Self {
        let groups = channels / 4;
        WindowParams {
            total: self.total / 4,
            channel_groups: groups,
            div_c: DivMagic::new(groups),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DivMagic, FLOAT_DIVISION_LIMIT};

    #[test]
    fn f32_division_is_exact_for_every_n_below_two_to_the_24() {
        for d in [1, 2, 3, 7, 56, 112, 3136, 12544, 16777213, 16777217] {
            let magic = DivMagic::new(d);
            for n in 0..FLOAT_DIVISION_LIMIT {
                assert_eq!(magic.divide_small(n), n / d, "{n} / {d}");
            }
        }
    }

    #[test]
    fn division_is_exact_below_two_to_the_31() {
        let mut divisors: Vec<u32> = (1..=1000).collect();
        divisors.extend([
            3136,
            12544,
            65535,
            65536,
            1 << 20,
            (1 << 30) + 1,
            i32::MAX as u32,
        ]);
        let mut state = 0x9e3779b97f4a7c15u64;
        for d in divisors {
            let magic = DivMagic::new(d);
            // The last multiple of d below the f32 route's limit, and its neighbours.
            let top = (FLOAT_DIVISION_LIMIT - 1) / d * d;
            let edges = [
                0,
                1,
                d - 1,
                d,
                d + 1,
                top.saturating_sub(1),
                top,
                top + 1,
                FLOAT_DIVISION_LIMIT - 1,
                FLOAT_DIVISION_LIMIT,
                i32::MAX as u32 - 1,
                i32::MAX as u32,
            ];
            // Half below 2^24 (the f32 route), half anywhere below 2^31.
            let random = (0..400).map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> if i % 2 == 0 { 40 } else { 33 }) as u32
            });
            for n in edges
                .into_iter()
                .chain(random)
                .filter(|&n| n <= i32::MAX as u32)
            {
                assert_eq!(magic.divide(n), n / d, "{n} / {d}");
                if n < FLOAT_DIVISION_LIMIT {
                    assert_eq!(magic.divide_small(n), n / d, "{n} / {d} in f32");
                }
            }
        }
    }
}
