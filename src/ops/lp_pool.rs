//! LPPool1d/2d/3d: options, validation and GPU recording. CPU twin: `cpu::lp_pool`.

use crate::call::{self, with_values, GpuInputs, Inputs, Kwargs, Layer, Outputs, Values};
use crate::context::Context;
use crate::cpu;
use crate::dims::IntoDims;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::geometry::PoolPlan;
use crate::ops::formats::{on_contiguous, Operands};
use crate::ops::max_unpool::UnpoolStatus;
use crate::ops::power::Power;
use crate::ops::sliding::{gpu_params, pick_rows, SlidingArgs};
use crate::ops::{check_output, output_like};
use crate::pipelines::{Kernel, RowLoads, WindowParams};
use crate::tensor::Tensor;

/// [`WindowParams::flags`] bit of `Kernel::LpPoolInfNorm`: `p = -inf`, the minimum of `|x|`.
pub(crate) const FLAG_MIN_NORM: u32 = 1 << 24;

/// The kernels of `p = ±inf`: one output per invocation, four of a row per invocation.
const INF_NORM_KERNELS: (Kernel, fn(RowLoads) -> Kernel) =
    (Kernel::LpPoolInfNorm, Kernel::LpPoolInfNormRows);

/// `torch.nn.LPPoolNd` for `R` spatial dims: use [`LpPool1d`], [`LpPool2d`] or [`LpPool3d`].
///
/// PyTorch's composite, to the rounding: `y = (Kprod · avg_pool(x^p))^(1/p)`, where `Kprod` is
/// the kernel volume and the average divides by the window clipped to the input (so a partial
/// ceil-mode window is rescaled by `Kprod / k_eff`). There is no `abs`: with `p = 1` a window
/// sums to a negative value, and a negative `x` (or sum) under a non-integer power is NaN.
/// Powers follow `Tensor.pow`: C's `pow` semantics (`0^p = +inf` for `p < 0`, `x^p = ±|x|^p`
/// for a negative `x` and integer `p`), with ATen's exact kernels for `p` or `1/p` in
/// {1, 2, 3, 0.5, -0.5, -1, -2}. `p = +inf` is `max_pool(|x|)` and `p = -inf` is `min(|x|)`,
/// with max pooling's NaN rule. A NaN `p` is not special-cased by PyTorch either: `x^NaN` is
/// NaN except `1^NaN = 1`, so every output is NaN except where the kernel is all ones and
/// `x == 1`, which gives 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LpPool<const R: usize> {
    /// The `p` of the norm: non-zero; fractional, negative and ±inf are allowed.
    pub norm_type: f64,
    /// Window size per dim.
    pub kernel_size: [i64; R],
    /// Step per dim; `None` means `kernel_size` (PyTorch's default).
    pub stride: Option<[i64; R]>,
    /// Count a last window that starts inside the input but runs past its end.
    pub ceil_mode: bool,
}

/// `torch.nn.LPPool1d`: input `(N, C, L)` or `(C, L)`.
pub type LpPool1d = LpPool<1>;
/// `torch.nn.LPPool2d`: input `(N, C, H, W)` or `(C, H, W)`.
pub type LpPool2d = LpPool<2>;
/// `torch.nn.LPPool3d`: input `(N, C, D, H, W)` or `(C, D, H, W)`; with a finite `norm_type`
/// every input dim must be at least the kernel's (avg_pool3d's rule).
pub type LpPool3d = LpPool<3>;

/// What an LP pooling computes, by its `norm_type`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Norm {
    /// `p = +inf`: `max_pool(|x|)`.
    Max,
    /// `p = -inf`: `-max_pool(-|x|)`.
    Min,
    /// A finite (or NaN) `p`: the power taken before pooling and the root taken after it.
    Power {
        /// `x^p`.
        power: Power,
        /// `^(1/p)`, with `1/p` computed in f64 as Python does.
        root: Power,
    },
}

impl<const R: usize> LpPool<R> {
    /// PyTorch's defaults: stride = kernel, floor mode.
    pub fn new(norm_type: f64, kernel_size: impl IntoDims<R>) -> Self {
        LpPool {
            norm_type,
            kernel_size: kernel_size.into_dims(),
            stride: None,
            ceil_mode: false,
        }
    }

    /// Sets `stride`.
    pub fn stride(mut self, stride: impl IntoDims<R>) -> Self {
        self.stride = Some(stride.into_dims());
        self
    }

    /// Sets `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The `torch.nn.functional` name: `lp_pool1d`, `lp_pool2d` or `lp_pool3d`.
    pub const NAME: &'static str = ["lp_pool1d", "lp_pool2d", "lp_pool3d"][R - 1];

    /// Validates the options against an input shape and computes the output shape. Both the GPU
    /// path and the CPU reference start here.
    ///
    /// PyTorch refuses `norm_type == 0` first; the rest is the validation of the op the
    /// composite calls: max pooling for `p = ±inf`, avg pooling otherwise (so only a finite or
    /// NaN `p` makes lp_pool3d refuse inputs smaller than the kernel).
    pub fn plan(&self, input_shape: &[usize]) -> Result<PoolPlan> {
        if self.norm_type == 0.0 {
            return Err(Error::argument(
                Self::NAME,
                "norm_type",
                format!(
                    "norm_type must be a non-zero value, but got {}",
                    self.norm_type
                ),
            ));
        }
        SlidingArgs {
            kernel_size: self.kernel_size,
            stride: self.stride,
            padding: [0; R],
            dilation: [1; R],
            ceil_mode: self.ceil_mode,
            input_at_least_kernel: R == 3 && !self.norm_type.is_infinite(),
        }
        .plan(Self::NAME, input_shape)
    }

    /// Which computation `norm_type` selects.
    pub(crate) fn norm(&self) -> Norm {
        let p = self.norm_type;
        if p == f64::INFINITY {
            Norm::Max
        } else if p == f64::NEG_INFINITY {
            Norm::Min
        } else {
            Norm::Power {
                power: Power::new(p),
                root: Power::new(1.0 / p),
            }
        }
    }

    /// Records the pooling of `input` into the caller's `encoder`, writing into the caller's
    /// `output`. Nothing is submitted or read back.
    pub fn encode_into<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
        output: &Tensor<T>,
    ) -> Result<()> {
        let plan = self.plan(input.shape())?;
        check_output(Self::NAME, &plan, output)?;
        let ((scalar, rows), flags, exponents) = match self.norm() {
            Norm::Max => (INF_NORM_KERNELS, 0, None),
            Norm::Min => (INF_NORM_KERNELS, FLAG_MIN_NORM, None),
            Norm::Power { power, root } => (
                (Kernel::LpPool, Kernel::LpPoolRows as fn(RowLoads) -> Kernel),
                0,
                Some([("POWER_SPEC", power.flags()), ("ROOT_SPEC", root.flags())]),
            ),
        };
        let params = WindowParams {
            norm_type: self.norm_type as f32,
            ..gpu_params(ctx, Self::NAME, &plan, flags, 0.0)?
        };
        let (kernel, params, mut constants) = pick_rows(&plan.window, params, scalar, rows);
        constants.extend(exponents.into_iter().flatten());
        let output = Operands::new(output, None);
        on_contiguous(
            ctx,
            encoder,
            Self::NAME,
            input,
            output,
            |encoder, input, output| {
                ctx.record_specialized(
                    encoder,
                    kernel,
                    T::DTYPE,
                    &constants,
                    bytemuck::bytes_of(&params),
                    &[input.buffer(), output.values.buffer()],
                    params.total,
                )
            },
        )
    }

    /// Records the pooling into `encoder`, allocating the output.
    pub fn encode<T: Float>(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        input: &Tensor<T>,
    ) -> Result<Tensor<T>> {
        let output = output_like(ctx, input, &self.plan(input.shape())?.output_shape)?;
        self.encode_into(ctx, encoder, input, &output)?;
        Ok(output)
    }

    /// Pools `input` on the GPU and submits the work (no read-back: chain more ops, or
    /// [`Tensor::download`] the result).
    pub fn forward<T: Float>(&self, ctx: &Context, input: &Tensor<T>) -> Result<Tensor<T>> {
        let mut encoder = ctx.encoder();
        let output = self.encode(ctx, &mut encoder, input)?;
        ctx.submit(encoder)?;
        Ok(output)
    }
}

/// Builds `lp_pool{R}d` from keyword arguments ([`call::Call::new`]): `norm_type` and
/// `kernel_size` are required; padding, dilation and the other families' arguments are refused.
pub(crate) fn from_kwargs<const R: usize>(kwargs: &Kwargs) -> Result<LpPool<R>> {
    let op = LpPool::<R>::NAME;
    call::refuse(
        op,
        &[
            ("padding", kwargs.padding.is_some()),
            ("dilation", kwargs.dilation.is_some()),
            ("count_include_pad", kwargs.count_include_pad.is_some()),
            ("divisor_override", kwargs.divisor_override.is_some()),
            ("return_indices", kwargs.return_indices),
            ("output_size", kwargs.output_size.is_some()),
            ("output_ratio", kwargs.output_ratio.is_some()),
        ],
    )?;
    let norm_type = kwargs
        .norm_type
        .ok_or_else(|| Error::argument(op, "norm_type", "is required".into()))?;
    Ok(LpPool {
        norm_type,
        kernel_size: call::dims_or(op, "kernel_size", &kwargs.kernel_size, None)?,
        stride: call::stride(op, &kwargs.stride)?,
        ceil_mode: kwargs.ceil_mode.unwrap_or(false),
    })
}

impl<const R: usize> Layer for LpPool<R> {
    fn output_shape(&self, inputs: &Inputs) -> Result<Vec<usize>> {
        call::input_only(Self::NAME, inputs)?;
        Ok(self.plan(&inputs.input.shape)?.output_shape)
    }

    fn run_cpu(&self, inputs: &Inputs, _indices: bool) -> Result<Outputs> {
        let input = &inputs.input;
        Ok(Outputs {
            values: cpu::lp_pool(self, &input.data, &input.shape)?,
            indices: None,
        })
    }

    fn gpu_output_shape(&self, inputs: &GpuInputs) -> Result<Vec<usize>> {
        Ok(self.plan(inputs.input.shape())?.output_shape)
    }

    fn encode_into(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &GpuInputs,
        values: &Values,
        _indices: Option<&Tensor<i64>>,
    ) -> Result<Option<UnpoolStatus>> {
        with_values!(&inputs.input, values, |input, values| {
            LpPool::encode_into(self, ctx, encoder, input, values)
        })?;
        Ok(None)
    }
}
