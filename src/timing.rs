//! Timing of recorded GPU work, for the benchmark: GPU timestamp queries where the device has
//! them (inside encoders), wall-clock time around submit and wait otherwise.

use std::time::Instant;

use crate::context::Context;
use crate::error::{Error, Result};

/// How [`Stopwatch`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// GPU timestamps written before and after the work.
    Timestamp,
    /// Host time around submit + wait, with warm pipelines.
    Wall,
}

impl Timing {
    /// `"timestamp"` or `"wall"`.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Timestamp => "timestamp",
            Timing::Wall => "wall",
        }
    }
}

struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
}

/// Measures recorded GPU work on one context.
pub struct Stopwatch<'a> {
    ctx: &'a Context,
    queries: Option<Queries>,
}

const QUERY_BYTES: u64 = 2 * std::mem::size_of::<u64>() as u64;

/// The shortest sample [`Stopwatch::median_ms`] aims for, in milliseconds.
pub const MIN_SAMPLE_MS: f64 = 1.0;
/// The most executions [`Stopwatch::median_ms`] records into one sample.
pub const MAX_CALLS_PER_SAMPLE: usize = 64;
/// How long [`Stopwatch::median_ms`] runs the work untimed before sampling, in milliseconds.
pub const WARM_UP_MS: f64 = 50.0;
const MAX_WARM_UP_SAMPLES: usize = 50;

impl<'a> Stopwatch<'a> {
    /// A stopwatch using timestamps when the device has `TIMESTAMP_QUERY_INSIDE_ENCODERS`.
    pub fn new(ctx: &'a Context) -> Result<Self> {
        let needed =
            wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
        let queries = if ctx.device().features().contains(needed) {
            let set = ctx.scoped(|| {
                ctx.device().create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("wgpool.stopwatch"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                })
            })?;
            let resolve = ctx.create_buffer(
                "wgpool.stopwatch.resolve",
                QUERY_BYTES,
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            )?;
            let readback = ctx.create_buffer(
                "wgpool.stopwatch.readback",
                QUERY_BYTES,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            )?;
            Some(Queries {
                set,
                resolve,
                readback,
            })
        } else {
            None
        };
        Ok(Stopwatch { ctx, queries })
    }

    /// What this stopwatch measures with.
    pub fn timing(&self) -> Timing {
        match self.queries {
            Some(_) => Timing::Timestamp,
            None => Timing::Wall,
        }
    }

    /// Milliseconds of `calls` executions of the work `record` puts into an encoder, recorded
    /// back to back into one encoder.
    pub fn time_ms(
        &self,
        calls: usize,
        record: &mut dyn FnMut(&mut wgpu::CommandEncoder) -> Result<()>,
    ) -> Result<f64> {
        let mut encoder = self.ctx.encoder();
        match &self.queries {
            Some(q) => {
                encoder.write_timestamp(&q.set, 0);
                for _ in 0..calls {
                    record(&mut encoder)?;
                }
                encoder.write_timestamp(&q.set, 1);
                encoder.resolve_query_set(&q.set, 0..2, &q.resolve, 0);
                encoder.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, QUERY_BYTES);
                self.ctx.submit(encoder)?;
                let ticks = self.read_ticks(&q.readback)?;
                let period_ns = f64::from(self.ctx.queue().get_timestamp_period());
                Ok(ticks as f64 * period_ns / 1e6)
            }
            None => {
                for _ in 0..calls {
                    record(&mut encoder)?;
                }
                let start = Instant::now();
                self.ctx.submit(encoder)?;
                self.wait()?;
                Ok(start.elapsed().as_secs_f64() * 1e3)
            }
        }
    }

    /// The median over `runs` samples of the milliseconds one execution takes, after untimed
    /// warm-up runs (pipelines are built then, and clocks rise). Work shorter than
    /// [`MIN_SAMPLE_MS`] is repeated within each sample (up to [`MAX_CALLS_PER_SAMPLE`] times),
    /// so that on fast GPUs the figure is the work's throughput, not the cost of one submit.
    pub fn median_ms(
        &self,
        runs: usize,
        record: &mut dyn FnMut(&mut wgpu::CommandEncoder) -> Result<()>,
    ) -> Result<f64> {
        self.time_ms(1, record)?;
        let once = self.time_ms(1, record)?;
        let calls = if once > 0.0 {
            ((MIN_SAMPLE_MS / once).ceil() as usize).clamp(1, MAX_CALLS_PER_SAMPLE)
        } else {
            MAX_CALLS_PER_SAMPLE
        };
        // Untimed samples first, for about WARM_UP_MS: a GPU left idle (while the CPU
        // reference ran, say) lowers its clocks, and raises them only under load.
        let warm_up = (WARM_UP_MS / (once.max(1e-3) * calls as f64)).ceil() as usize;
        for _ in 0..warm_up.min(MAX_WARM_UP_SAMPLES) {
            self.time_ms(calls, record)?;
        }
        let mut times = (0..runs.max(1))
            .map(|_| Ok(self.time_ms(calls, record)? / calls as f64))
            .collect::<Result<Vec<f64>>>()?;
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    }

    fn wait(&self) -> Result<()> {
        self.ctx
            .device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))
    }

    fn read_ticks(&self, readback: &wgpu::Buffer) -> Result<u64> {
        let (sender, receiver) = std::sync::mpsc::channel();
        readback
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                let _ = sender.send(result);
            });
        self.wait()?;
        receiver
            .recv()
            .map_err(|_| Error::Gpu("the timestamp read-back was dropped".into()))?
            .map_err(|e| Error::Gpu(format!("mapping timestamps: {e}")))?;
        let stamps: Vec<u64> = {
            let view = readback
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("reading timestamps: {e}")))?;
            bytemuck::pod_collect_to_vec(&view[..])
        };
        readback.unmap();
        Ok(stamps[1].saturating_sub(stamps[0]))
    }
}
