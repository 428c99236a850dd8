//! The compute kernels: their WGSL source, entry point and bindings, and the uniform struct
//! they share. Pipelines are built once per [`Context`](crate::Context) and cached.

use bytemuck::{Pod, Zeroable};

use crate::geometry::Window3;

/// WGSL prepended to every op's shader.
pub const COMMON_WGSL: &str = include_str!("../shaders/common.wgsl");

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
}

impl Kernel {
    /// Every kernel, for tests that compile them all.
    pub const ALL: [Kernel; 4] = [
        Kernel::MaxPool,
        Kernel::MaxPoolWithIndices,
        Kernel::AvgPool,
        Kernel::Copy,
    ];

    /// The op's own shader file (without `common.wgsl`).
    pub fn shader_file(self) -> &'static str {
        match self {
            Kernel::MaxPool | Kernel::MaxPoolWithIndices => {
                include_str!("../shaders/max_pool.wgsl")
            }
            Kernel::AvgPool => include_str!("../shaders/avg_pool.wgsl"),
            Kernel::Copy => include_str!("../shaders/copy.wgsl"),
        }
    }

    /// The complete WGSL module: `common.wgsl` followed by the op's file.
    pub fn source(self) -> String {
        format!("{COMMON_WGSL}\n{}", self.shader_file())
    }

    /// The entry point, named after the `torch.nn.functional` op it implements.
    pub fn entry_point(self) -> &'static str {
        match self {
            Kernel::MaxPool => "max_pool",
            Kernel::MaxPoolWithIndices => "max_pool_with_indices",
            Kernel::AvgPool => "avg_pool",
            Kernel::Copy => "copy",
        }
    }

    /// The storage bindings after the uniform at binding 0, in binding order: `true` = read-only.
    pub fn storage_bindings(self) -> &'static [bool] {
        match self {
            Kernel::MaxPool | Kernel::AvgPool | Kernel::Copy => &[true, false],
            Kernel::MaxPoolWithIndices => &[true, false, false],
        }
    }

    /// A label for wgpu objects built for this kernel.
    pub fn label(self) -> &'static str {
        match self {
            Kernel::MaxPool => "wgpool.max_pool",
            Kernel::MaxPoolWithIndices => "wgpool.max_pool_with_indices",
            Kernel::AvgPool => "wgpool.avg_pool",
            Kernel::Copy => "wgpool.copy",
        }
    }
}

/// Bit in [`WindowParams::flags`]: avg pooling counts padding cells in the divisor.
pub const FLAG_COUNT_INCLUDE_PAD: u32 = 1;
/// Bit in [`WindowParams::flags`]: avg pooling divides by [`WindowParams::divisor`].
pub const FLAG_DIVISOR_OVERRIDE: u32 = 2;

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
    /// Pads the block to a multiple of 16 bytes.
    pub _pad: [u32; 2],
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
            ..Default::default()
        }
    }
}
