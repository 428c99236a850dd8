//! Value element types: f32, and f16 storage with f32 arithmetic where the device has the
//! `shader-f16` feature.

use half::f16;

use crate::tensor::Element;

/// The element type of an op's values (inputs and outputs); indices are always int64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// `torch.float32`.
    #[default]
    F32,
    /// `torch.float16`: stored as f16, computed in f32, rounded once to nearest on store (as
    /// PyTorch's CUDA kernels do). Needs [`wgpu::Features::SHADER_F16`] on the GPU.
    F16,
}

impl Dtype {
    /// Every value type.
    pub const ALL: [Dtype; 2] = [Dtype::F32, Dtype::F16];

    /// NumPy's and PyTorch's name: `float32` or `float16`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => f32::NAME,
            Dtype::F16 => f16::NAME,
        }
    }

    /// WGSL placed before `common.wgsl`: the `Element` alias, and `to_element` and `to_element4`
    /// rounding f32 results to it.
    pub fn wgsl(self) -> &'static str {
        match self {
            Dtype::F32 => include_str!("../shaders/element_f32.wgsl"),
            Dtype::F16 => include_str!("../shaders/element_f16.wgsl"),
        }
    }

    /// The device feature kernels over this type need, with its WebGPU name.
    pub fn required_feature(self) -> Option<(wgpu::Features, &'static str)> {
        match self {
            Dtype::F32 => None,
            Dtype::F16 => Some((wgpu::Features::SHADER_F16, "shader-f16")),
        }
    }

    /// `value` rounded to this type, as f32 (exact for f32): what storing it would keep.
    pub fn round(self, value: f32) -> f32 {
        match self {
            Dtype::F32 => value,
            Dtype::F16 => f16::from_f32(value).to_f32(),
        }
    }
}

impl std::str::FromStr for Dtype {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "float32" | "f32" => Ok(Dtype::F32),
            "float16" | "f16" | "half" => Ok(Dtype::F16),
            _ => Err(format!("unknown dtype {s:?}: expected float32 or float16")),
        }
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Value element types ops run on: [`f32`] and [`half::f16`].
pub trait Float: Element {
    /// The type as a [`Dtype`].
    const DTYPE: Dtype;
}

impl Float for f32 {
    const DTYPE: Dtype = Dtype::F32;
}

impl Float for f16 {
    const DTYPE: Dtype = Dtype::F16;
}
