//! `torch.nn.functional`-style entry points: one function per op and rank, taking the same
//! options struct as the layer (`max_pool2d(ctx, x, &MaxPool2d::new(3).stride(2))`).
//!
//! Each submits its work and returns without reading back, so calls chain on the GPU; only
//! `max_unpool*d` waits, to check its indices (chain with `MaxUnpool::encode` instead).

use crate::context::Context;
use crate::error::Result;
use crate::ops::avg_pool::{AvgPool1d, AvgPool2d, AvgPool3d};
use crate::ops::fractional_max_pool::{FractionalMaxPool2d, FractionalMaxPool3d};
use crate::ops::lp_pool::{LpPool1d, LpPool2d, LpPool3d};
use crate::ops::max_pool::{MaxPool1d, MaxPool2d, MaxPool3d};
use crate::ops::max_unpool::{MaxUnpool1d, MaxUnpool2d, MaxUnpool3d};
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

macro_rules! max_unpool_fns {
    ($($name:ident, $options:ty;)*) => {$(
        #[doc = concat!("`torch.nn.functional.", stringify!($name), "`: waits for the GPU to check ")]
        /// the indices (see [`MaxUnpool::forward`](crate::MaxUnpool::forward)).
        pub fn $name(
            ctx: &Context,
            input: &Tensor,
            indices: &Tensor<i64>,
            options: &$options,
            output_size: Option<&[i64]>,
        ) -> Result<Tensor> {
            options.forward(ctx, input, indices, output_size)
        }
    )*};
}

max_unpool_fns! {
    max_unpool1d, MaxUnpool1d;
    max_unpool2d, MaxUnpool2d;
    max_unpool3d, MaxUnpool3d;
}

max_pool_fns! {
    fractional_max_pool2d, fractional_max_pool2d_with_indices, FractionalMaxPool2d;
    fractional_max_pool3d, fractional_max_pool3d_with_indices, FractionalMaxPool3d;
}

/// `torch.nn.functional.lp_pool1d`.
pub fn lp_pool1d(ctx: &Context, input: &Tensor, options: &LpPool1d) -> Result<Tensor> {
    options.forward(ctx, input)
}

/// `torch.nn.functional.lp_pool2d`.
pub fn lp_pool2d(ctx: &Context, input: &Tensor, options: &LpPool2d) -> Result<Tensor> {
    options.forward(ctx, input)
}

/// `torch.nn.functional.lp_pool3d`.
pub fn lp_pool3d(ctx: &Context, input: &Tensor, options: &LpPool3d) -> Result<Tensor> {
    options.forward(ctx, input)
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
