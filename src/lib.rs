#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod array;
pub mod call;
pub mod context;
pub mod cpu;
pub mod dims;
pub mod dispatch;
pub mod dtype;
pub mod error;
pub mod functional;
pub mod geometry;
pub mod memory_format;
pub mod npy;
pub mod ops;
pub mod pipelines;
mod planes;
pub mod random;
pub mod suite;
pub mod tensor;
pub mod timing;

pub use array::Array;
pub use context::{adapters, runs_compute, Backend, Context, Reduction};
pub use dims::IntoDims;
pub use dtype::{Dtype, Float};
pub use error::{Error, Result};
pub use half::f16;
pub use memory_format::MemoryFormat;
pub use ops::avg_pool::{AvgPool, AvgPool1d, AvgPool2d, AvgPool3d};
pub use ops::fractional_max_pool::{FractionalMaxPool, FractionalMaxPool2d, FractionalMaxPool3d};
pub use ops::lp_pool::{LpPool, LpPool1d, LpPool2d, LpPool3d};
pub use ops::max_pool::{MaxPool, MaxPool1d, MaxPool2d, MaxPool3d};
pub use ops::max_unpool::{
    MaxUnpool, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, UnpoolPath, UnpoolStatus,
};
pub use tensor::{Element, Tensor};

pub use ops::adaptive::{AdaptivePlan, IntoOutputSize};
pub use ops::adaptive_avg_pool::{
    AdaptiveAvgPool, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
};
pub use ops::adaptive_max_pool::{
    AdaptiveMaxPool, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
};
