//! Recording an unpooling: by windows where the GPU finds every index inside its own pooling
//! window (max pooling's always are), else on the board of winners.

use super::counts::Pass;
use super::{MaxUnpool, UnpoolPlan};
use crate::context::Context;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::geometry::{lift, Window3};
use crate::pipelines::{DivMagic, Kernel, WindowParams, MAX_SPECIALISED_KERNEL};

impl<const R: usize> MaxUnpool<R> {
    /// The pooling's windows over `plan`, lifted to `(D, H, W)`, when the window gather can
    /// take them: kernel and stride from 1 to [`MAX_SPECIALISED_KERNEL`] (each output looks at
    /// about `(kernel / stride)^R` windows, and each stride builds its own pipeline), padding
    /// from 0 to the kernel. PyTorch lets other values through, as they only set a size.
    pub(super) fn windows(&self, plan: &UnpoolPlan) -> Option<Window3> {
        let stride = self.stride.unwrap_or(self.kernel_size);
        let small = |v: i64| (1..=MAX_SPECIALISED_KERNEL as i64).contains(&v);
        let fits = (0..R).all(|a| {
            small(self.kernel_size[a])
                && small(stride[a])
                && (0..=self.kernel_size[a]).contains(&self.padding[a])
        });
        let lifted = |v: [i64; R], fill| lift(v.map(|x| x as u64), fill);
        fits.then(|| Window3 {
            input: plan.input,
            output: plan.output,
            kernel: lifted(self.kernel_size, 1),
            stride: lifted(stride, 1),
            padding: lifted(self.padding, 0),
            dilation: [1; 3],
        })
    }
}

/// The buffers of one unpooling, and how to record its passes.
pub(super) struct Passes<'a> {
    pub ctx: &'a Context,
    pub plan: &'a UnpoolPlan,
    pub dtype: Dtype,
    /// The status the host reads back (`status.rs`).
    pub status: &'a wgpu::Buffer,
    pub indices: &'a wgpu::Buffer,
    /// One word per output element: the scratch board of winners.
    pub board: &'a wgpu::Buffer,
    pub input: &'a wgpu::Buffer,
    pub output: &'a wgpu::Buffer,
}

impl Passes<'_> {
    /// The workgroup counts of each pass the GPU sizes, for the counts' first contents.
    pub fn counts(ctx: &Context, plan: &UnpoolPlan, window: &Window3, pass: Pass) -> [u32; 3] {
        ctx.workgroup_grid(match pass {
            Pass::Windows => window_params(window, plan).total,
            Pass::ClearBoard | Pass::Gather => plan.output_len() as u32,
            Pass::Scatter => plan.input_len() as u32,
        })
    }

    /// The check, the choice, and then the window gather or the board passes, as the check
    /// found: all recorded, the GPU picks by the workgroup counts it writes into `counts`
    /// (`counts.rs`).
    pub fn record_windows(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        window: &Window3,
        counts: &wgpu::Buffer,
    ) -> Result<()> {
        let ctx = self.ctx;
        let [in_d, in_h, in_w] = window.input.map(|v| v as u32);
        let groups = in_w.div_ceil(4);
        let [k_d, k_h, k_w] = window.kernel.map(|v| v as u32);
        let kernel = [("KERNEL_D", k_d), ("KERNEL_H", k_h), ("KERNEL_W", k_w)];
        let check = WindowParams {
            total: (self.plan.input_len() as u32 / in_w) * groups,
            div_w: DivMagic::new(groups),
            div_h: DivMagic::new(in_h),
            div_d: DivMagic::new(in_d),
            ..WindowParams::new(window, 0)
        };
        ctx.record_specialized(
            encoder,
            Kernel::MaxUnpoolCheck,
            self.dtype,
            &kernel,
            bytemuck::bytes_of(&check),
            &[self.status, self.indices, counts],
            check.total,
        )?;
        let choose = WindowParams {
            total: 1,
            ..Default::default()
        };
        ctx.record(
            encoder,
            Kernel::MaxUnpoolChoose,
            bytemuck::bytes_of(&choose),
            &[self.status, self.indices, counts],
            choose.total,
        )?;

        let gather = window_params(window, self.plan);
        let gather_kernel = if gather.row_width % 4 == 0 {
            Kernel::MaxUnpoolWindows
        } else {
            Kernel::MaxUnpoolWindowsTail
        };
        let [s_d, s_h, s_w] = gather.stride;
        let stride = [("STRIDE_D", s_d), ("STRIDE_H", s_h), ("STRIDE_W", s_w)];
        let rows = [("ROWS", rows_per_invocation(self.plan))];
        ctx.record_indirect(
            encoder,
            gather_kernel,
            self.dtype,
            &[&kernel[..], &stride, &rows].concat(),
            bytemuck::bytes_of(&gather),
            &[self.indices, self.input, self.output],
            gather.total,
            (counts, Pass::Windows.offset()),
        )?;
        self.record_board(encoder, Some(counts))
    }

    /// The board passes: zero the board, scatter, gather; with `counts`, sized by the
    /// workgroup counts there (zero unless the check sent the work here).
    pub fn record_board(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        counts: Option<&wgpu::Buffer>,
    ) -> Result<()> {
        let plan = self.plan;
        let params = |total: usize| WindowParams {
            total: total as u32,
            input: plan.input.map(|v| v as u32),
            output: plan.output.map(|v| v as u32),
            div_w: DivMagic::new(plan.input_plane() as u32),
            ..Default::default()
        };
        if counts.is_some() {
            let clear = params(plan.output_len());
            self.dispatch(
                encoder,
                Kernel::ClearWords,
                Pass::ClearBoard,
                &clear,
                &[self.board],
                counts,
            )?;
        } else {
            encoder.clear_buffer(self.board, 0, Some(plan.output_len() as u64 * 4));
        }
        let scatter = params(plan.input_len());
        let buffers = [self.status, self.indices, self.board];
        self.dispatch(
            encoder,
            Kernel::MaxUnpoolScatter,
            Pass::Scatter,
            &scatter,
            &buffers,
            counts,
        )?;
        let gather = params(plan.output_len());
        let buffers = [buffers[0], buffers[1], buffers[2], self.input, self.output];
        self.dispatch(
            encoder,
            Kernel::MaxUnpoolGather,
            Pass::Gather,
            &gather,
            &buffers,
            counts,
        )
    }

    /// Records `kernel` over `params.total` invocations, sized by `pass`'s workgroup counts in
    /// `counts` when given.
    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        pass: Pass,
        params: &WindowParams,
        buffers: &[&wgpu::Buffer],
        counts: Option<&wgpu::Buffer>,
    ) -> Result<()> {
        let bytes = bytemuck::bytes_of(params);
        match counts {
            Some(counts) => self.ctx.record_indirect(
                encoder,
                kernel,
                self.dtype,
                &[],
                bytes,
                buffers,
                params.total,
                (counts, pass.offset()),
            ),
            None => self.ctx.record_specialized(
                encoder,
                kernel,
                self.dtype,
                &[],
                bytes,
                buffers,
                params.total,
            ),
        }
    }
}

/// Output rows per invocation of the window gather (its `ROWS`): pairs of rows share the
/// windows covering both. Stem unpool on lavapipe: 17.4-17.8 ms with one row, 12.5-12.9 with
/// two, 14.4-16.3 with four.
fn rows_per_invocation(plan: &UnpoolPlan) -> u32 {
    if plan.output[1] >= 2 {
        2
    } else {
        1
    }
}

/// The window gather's parameters: one invocation per four outputs in each of
/// [`rows_per_invocation`] rows; `div_h` divides by the output's rows in those.
fn window_params(window: &Window3, plan: &UnpoolPlan) -> WindowParams {
    let params = WindowParams::new(window, plan.output_len() as u32).rows();
    let rows = params.output[1];
    let row_sets = rows.div_ceil(rows_per_invocation(plan));
    WindowParams {
        total: params.total / rows * row_sets,
        div_h: DivMagic::new(row_sets),
        ..params
    }
}
