//! `torch.nn.functional`-style entry points: one function per op and rank, taking the same
//! options struct as the layer (`max_pool2d(ctx, x, &MaxPool2d::new(3).stride(2))`).
//!
//! Each submits its work and returns without reading back, so calls chain on the GPU.

use crate::context::Context;
use crate::error::Result;
use crate::ops::avg_pool::{AvgPool1d, AvgPool2d, AvgPool3d};
use crate::ops::max_pool::{MaxPool1d, MaxPool2d, MaxPool3d};
use crate::tensor::Tensor;

macro_rules! max_pool_fns {
    ($($name:ident, $with_indices:ident, $options:ty;)*) => {$(
        #[doc = concat!("`torch.nn.functional.", stringify!($name), "`.")]
        pub fn $name(ctx: &Context, input: &Tensor, options: &$options) -> Result<Tensor> {
            options.forward(ctx, input)
        }

        #[doc = concat!("`torch.nn.functional.", stringify!($name), "(..., return_indices=True)`.")]
        pub fn $with_indices(
            ctx: &Context,
            input: &Tensor,
            options: &$options,
        ) -> Result<(Tensor, Tensor<i64>)> {
            options.forward_with_indices(ctx, input)
        }
    )*};
}

max_pool_fns! {
    max_pool1d, max_pool1d_with_indices, MaxPool1d;
    max_pool2d, max_pool2d_with_indices, MaxPool2d;
    max_pool3d, max_pool3d_with_indices, MaxPool3d;
}

macro_rules! avg_pool_fns {
    ($($name:ident, $options:ty;)*) => {$(
        #[doc = concat!("`torch.nn.functional.", stringify!($name), "`.")]
        pub fn $name(ctx: &Context, input: &Tensor, options: &$options) -> Result<Tensor> {
            options.forward(ctx, input)
        }
    )*};
}

avg_pool_fns! {
    avg_pool1d, AvgPool1d;
    avg_pool2d, AvgPool2d;
    avg_pool3d, AvgPool3d;
}

avg_pool_fns! {
    adaptive_avg_pool1d, crate::ops::adaptive_avg_pool::AdaptiveAvgPool1d;
    adaptive_avg_pool2d, crate::ops::adaptive_avg_pool::AdaptiveAvgPool2d;
    adaptive_avg_pool3d, crate::ops::adaptive_avg_pool::AdaptiveAvgPool3d;
}

max_pool_fns! {
    adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
        crate::ops::adaptive_max_pool::AdaptiveMaxPool1d;
    adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
        crate::ops::adaptive_max_pool::AdaptiveMaxPool2d;
    adaptive_max_pool3d, adaptive_max_pool3d_with_indices,
        crate::ops::adaptive_max_pool::AdaptiveMaxPool3d;
}
