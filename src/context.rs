//! The [`Context`]: a device and queue (the caller's or one wgpool picked), the adapter's
//! limits, and the cache of compute pipelines.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use crate::dispatch::workgroup_grid;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::pipelines::{Kernel, FLOAT_DIVISION_LIMIT};

/// Which graphics API to run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Any backend; `WGPU_BACKEND` (e.g. `vulkan,gl`) narrows the choice when set.
    #[default]
    Any,
    /// Vulkan (lavapipe on machines without a GPU).
    Vulkan,
    /// OpenGL / OpenGL ES (llvmpipe through EGL on machines without a GPU).
    Gl,
    /// Metal.
    Metal,
    /// Direct3D 12.
    Dx12,
}

impl Backend {
    fn backends(self) -> wgpu::Backends {
        match self {
            Backend::Any => wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all()),
            Backend::Vulkan => wgpu::Backends::VULKAN,
            Backend::Gl => wgpu::Backends::GL,
            Backend::Metal => wgpu::Backends::METAL,
            Backend::Dx12 => wgpu::Backends::DX12,
        }
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "any" => Ok(Backend::Any),
            "vulkan" | "vk" => Ok(Backend::Vulkan),
            "gl" | "gles" | "opengl" => Ok(Backend::Gl),
            "metal" | "mtl" => Ok(Backend::Metal),
            "dx12" | "d3d12" => Ok(Backend::Dx12),
            other => Err(format!(
                "unknown backend '{other}' (expected vulkan, gl, metal, dx12 or any)"
            )),
        }
    }
}

/// How adaptive pooling visits large windows (see
/// [`Strategy`](crate::ops::adaptive::Strategy)). Max pooling gives the same bits either way.
/// Average pooling is reduced in parallel only for all-ones output sizes, where the sum's order
/// can move the last bits (PyTorch's `mean()` does not sum in row-major order either).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// Parallel on GPUs, per output element on CPU adapters (lavapipe, llvmpipe, WARP), whose
    /// few cores the outputs already keep busy and where workgroup barriers are expensive.
    #[default]
    Auto,
    /// Several invocations per large window, combined by a tree in workgroup memory.
    Parallel,
    /// One invocation per output element, scanning its window.
    PerOutput,
}

impl FromStr for Reduction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Reduction::Auto),
            "parallel" => Ok(Reduction::Parallel),
            "per-output" => Ok(Reduction::PerOutput),
            other => Err(format!(
                "unknown reduction '{other}' (expected auto, parallel or per-output)"
            )),
        }
    }
}

/// The adapters wgpool can see for `backend`, filtered by `WGPU_ADAPTER_NAME` (a
/// case-insensitive substring) when set, best first: discrete, integrated, virtual, then CPU.
pub fn adapters(backend: Backend) -> Vec<wgpu::Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backend.backends(),
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    let wanted = std::env::var("WGPU_ADAPTER_NAME")
        .ok()
        .map(|name| name.to_lowercase());
    let mut found: Vec<wgpu::Adapter> =
        pollster::block_on(instance.enumerate_adapters(backend.backends()))
            .into_iter()
            .filter(|adapter| {
                let name = adapter.get_info().name.to_lowercase();
                wanted.as_ref().is_none_or(|w| name.contains(w))
            })
            .collect();
    found.sort_by_key(|adapter| match adapter.get_info().device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    });
    found
}

/// Whether wgpu says it can run compute shaders on `adapter` (GL contexts before 4.3 and GLES
/// before 3.1 cannot).
pub fn runs_compute(adapter: &wgpu::Adapter) -> bool {
    adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
}

/// A kernel with its specialisation: `override` constants set when the pipeline is built
/// (e.g. the kernel size, so that window loops unroll). Each distinct key is built once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PipelineKey {
    kernel: Kernel,
    dtype: Dtype,
    constants: Vec<(&'static str, u32)>,
}

/// Distinct parameter blocks kept before the cache starts over.
const MAX_CACHED_UNIFORMS: usize = 1024;

/// A compiled kernel and the layout of its bind group.
pub(crate) struct CachedPipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// A pipeline with its bind group, ready to dispatch.
struct Bound {
    pipeline: Arc<CachedPipeline>,
    bind_group: wgpu::BindGroup,
}

impl Bound {
    /// A compute pass in `encoder` with the pipeline and bind group set.
    fn begin<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
        kernel: Kernel,
    ) -> wgpu::ComputePass<'e> {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(kernel.label()),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass
    }
}

/// A device and queue with wgpool's pipelines. Cheap to share: it is `Send + Sync`, and every
/// pipeline is built once, on first use.
pub struct Context {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter_info: Option<wgpu::AdapterInfo>,
    workgroup_size: u32,
    reduction: Reduction,
    /// See [`Context::runs_indirect`].
    indirect: bool,
    pipelines: RwLock<HashMap<PipelineKey, Arc<CachedPipeline>>>,
    uniforms: RwLock<HashMap<Vec<u8>, wgpu::Buffer>>,
    /// Working memory for kernels that need it between passes (see [`Context::scratch`]).
    scratch: std::sync::Mutex<Option<wgpu::Buffer>>,
    /// Why the device is unusable, once it is: lost, or an error outside wgpool's error scopes
    /// (known for devices wgpool opened; a caller's device keeps the caller's handlers).
    failure: Arc<std::sync::Mutex<Option<String>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("adapter", &self.adapter_info.as_ref().map(|i| &i.name))
            .field("workgroup_size", &self.workgroup_size)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// Wraps the caller's own device and queue (an inference engine's, say).
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let limits = device.limits();
        let workgroup_size = 256
            .min(limits.max_compute_invocations_per_workgroup)
            .min(limits.max_compute_workgroup_size_x);
        Context {
            device,
            queue,
            adapter_info: None,
            workgroup_size,
            reduction: Reduction::Auto,
            indirect: true,
            pipelines: RwLock::default(),
            uniforms: RwLock::default(),
            scratch: std::sync::Mutex::default(),
            failure: Arc::default(),
        }
    }

    /// Picks the best adapter of `backend` (see [`adapters`]) and opens a device with the
    /// adapter's own limits, not WebGPU's small defaults. Blocks until the device is ready.
    pub fn new(backend: Backend) -> Result<Self> {
        pollster::block_on(Self::new_async(backend))
    }

    /// [`Context::new`] without blocking.
    pub async fn new_async(backend: Backend) -> Result<Self> {
        let (usable, unusable): (Vec<_>, Vec<_>) =
            adapters(backend).into_iter().partition(runs_compute);
        let adapter = usable.into_iter().next().ok_or_else(|| {
            let names: Vec<String> = unusable
                .iter()
                .map(|a| format!("{} ({:?})", a.get_info().name, a.get_info().backend))
                .collect();
            Error::NoAdapter(if names.is_empty() {
                format!(
                    "backend {backend:?}{}",
                    std::env::var("WGPU_ADAPTER_NAME")
                        .map(|n| format!(" with a name containing '{n}' (WGPU_ADAPTER_NAME)"))
                        .unwrap_or_default()
                )
            } else {
                format!(
                    "backend {backend:?} that runs compute shaders ({} cannot)",
                    names.join(", ")
                )
            })
        })?;
        // Features some paths use when present (timing, f16 storage, subgroups); never required.
        let wanted = wgpu::Features::TIMESTAMP_QUERY
            | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
            | wgpu::Features::SHADER_F16
            | wgpu::Features::SUBGROUP;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgpool.device"),
                required_features: adapter.features() & wanted,
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .map_err(|source| {
                let info = adapter.get_info();
                Error::RequestDevice {
                    adapter: format!(
                        "{} ({:?}, {} {})",
                        info.name, info.backend, info.driver, info.driver_info
                    ),
                    source,
                }
            })?;
        let mut context = Self::from_device(device, queue);
        context.adapter_info = Some(adapter.get_info());
        context.indirect = adapter
            .get_downlevel_capabilities()
            .flags
            .contains(wgpu::DownlevelFlags::INDIRECT_EXECUTION);
        // wgpu's default handlers panic; on wgpool's own device they record the failure, and
        // every later call returns it as an error.
        let failure = context.failure.clone();
        context
            .device
            .set_device_lost_callback(move |reason, message| {
                *failure.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("the device was lost ({reason:?}: {message})"));
            });
        let failure = context.failure.clone();
        context
            .device
            .on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
                failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert_with(|| format!("the device failed: {error}"));
            }));
        Ok(context)
    }

    /// The device every buffer and pipeline of this context lives on.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue wgpool submits to in its convenience functions.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The adapter, when wgpool picked it (`None` for [`Context::from_device`]).
    pub fn adapter_info(&self) -> Option<&wgpu::AdapterInfo> {
        self.adapter_info.as_ref()
    }

    /// The most loop iterations one shader invocation may run, where the driver caps them:
    /// Mesa's llvmpipe and lavapipe stop loops after 65,535 iterations. `None` where no cap is
    /// known (hardware drivers, and devices handed in with [`Context::from_device`]).
    pub fn max_loop_iterations(&self) -> Option<u64> {
        let info = self.adapter_info.as_ref()?;
        (info.name.contains("llvmpipe") || info.driver.contains("llvmpipe")).then_some(65_535)
    }

    /// Threads per workgroup of every kernel, chosen from the device's limits.
    pub fn workgroup_size(&self) -> u32 {
        self.workgroup_size
    }

    /// How adaptive pooling visits large windows; [`Reduction::Auto`] unless set.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }

    /// Chooses how adaptive pooling visits large windows, for every later call.
    pub fn set_reduction(&mut self, reduction: Reduction) {
        self.reduction = reduction;
    }

    /// Whether large adaptive windows are reduced in parallel: [`Reduction::Auto`] does on every
    /// adapter but a CPU one (and on devices handed in, which are GPUs in practice).
    pub fn parallel_reduction(&self) -> bool {
        match self.reduction {
            Reduction::Parallel => true,
            Reduction::PerOutput => false,
            Reduction::Auto => self
                .adapter_info
                .as_ref()
                .is_none_or(|info| info.device_type != wgpu::DeviceType::Cpu),
        }
    }

    /// Runs `f` inside validation and out-of-memory error scopes, so that a wgpu error becomes
    /// an [`Error::Gpu`] instead of reaching the device's uncaptured-error handler.
    pub(crate) fn scoped<T>(&self, f: impl FnOnce() -> T) -> Result<T> {
        self.check_failure()?;
        let out_of_memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        let validation = pollster::block_on(validation.pop());
        let out_of_memory = pollster::block_on(out_of_memory.pop());
        match validation.or(out_of_memory) {
            Some(error) => {
                // A lost device shows up first as invalid objects; polling delivers the loss
                // callback, whose reason says more.
                let _ = self.device.poll(wgpu::PollType::Poll);
                self.check_failure()?;
                Err(Error::Gpu(error.to_string()))
            }
            None => self.check_failure().map(|()| value),
        }
    }

    /// Refuses to work on a device that was lost or failed (wgpu would panic on some calls).
    pub(crate) fn check_failure(&self) -> Result<()> {
        match &*self.failure.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(failure) => Err(Error::Gpu(failure.clone())),
            None => Ok(()),
        }
    }

    /// A buffer of `size` bytes, refused with [`Error::TooLarge`] past the device's limit.
    pub(crate) fn create_buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let limit = self.device.limits().max_buffer_size;
        if size > limit {
            return Err(Error::TooLarge {
                what: format!("buffer '{label}'"),
                needed: size,
                limit,
            });
        }
        self.scoped(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// A small buffer holding `contents` from its creation (no queue write to order).
    pub(crate) fn create_buffer_init(
        &self,
        label: &str,
        contents: &[u8],
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        use wgpu::util::DeviceExt;
        self.scoped(|| {
            self.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage,
                })
        })
    }

    fn pipeline(&self, key: &PipelineKey) -> Result<Arc<CachedPipeline>> {
        if let Some(cached) = self.read_cache().get(key) {
            return Ok(cached.clone());
        }
        let built = Arc::new(self.scoped(|| self.build_pipeline(key))?);
        let mut cache = self.pipelines.write().unwrap_or_else(|e| e.into_inner());
        Ok(cache.entry(key.clone()).or_insert(built).clone())
    }

    fn read_cache(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<PipelineKey, Arc<CachedPipeline>>> {
        // A panic elsewhere cannot leave the map half-written: entries are inserted whole.
        self.pipelines.read().unwrap_or_else(|e| e.into_inner())
    }

    fn build_pipeline(&self, key: &PipelineKey) -> CachedPipeline {
        let kernel = key.kernel;
        let label = Some(kernel.label());
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label,
                source: wgpu::ShaderSource::Wgsl(kernel.source(key.dtype).into()),
            });
        let uniform = wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let storage = kernel
            .storage_bindings()
            .iter()
            .zip(1..)
            .map(|(&read_only, binding)| wgpu::BindGroupLayoutEntry {
                binding,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            });
        let entries: Vec<_> = std::iter::once(uniform).chain(storage).collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label,
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label,
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let constants: Vec<(&str, f64)> = std::iter::once(("WORKGROUP_SIZE", self.workgroup_size))
            .chain(key.constants.iter().copied())
            .map(|(name, value)| (name, f64::from(value)))
            .collect();
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label,
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(kernel.entry_point()),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &constants,
                    // The reductions write every workgroup slot before a barrier and read it
                    // after; zeroing it first would only add a barrier.
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        CachedPipeline { pipeline, layout }
    }

    /// A uniform buffer holding `params`. Each distinct block is written once and then reused
    /// (an inference loop repeats the same calls), and never rewritten, so several ops recorded
    /// into one encoder each keep their own parameters.
    fn uniform(&self, params: &[u8]) -> Result<wgpu::Buffer> {
        if let Some(buffer) = self.read_uniforms().get(params) {
            return Ok(buffer.clone());
        }
        let buffer = self.scoped(|| {
            let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgpool.params"),
                size: params.len() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            self.queue.write_buffer(&buffer, 0, params);
            buffer
        })?;
        let mut uniforms = self.uniforms.write().unwrap_or_else(|e| e.into_inner());
        if uniforms.len() >= MAX_CACHED_UNIFORMS {
            uniforms.clear(); // dropped buffers stay alive while recorded work uses them
        }
        Ok(uniforms.entry(params.to_vec()).or_insert(buffer).clone())
    }

    /// A storage buffer of at least `size` bytes with unspecified contents, kept for the next
    /// call (it grows to the largest size asked for): no allocation per call. Calls sharing it
    /// are safe because the queue runs recorded work in order and each call initialises what
    /// it reads within its own recorded work.
    pub(crate) fn scratch(&self, size: u64) -> Result<wgpu::Buffer> {
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(buffer) = scratch.as_ref().filter(|b| b.size() >= size) {
            return Ok(buffer.clone());
        }
        let buffer = self.create_buffer(
            "wgpool.scratch",
            size,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )?;
        *scratch = Some(buffer.clone());
        Ok(buffer)
    }

    fn read_uniforms(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Vec<u8>, wgpu::Buffer>> {
        self.uniforms.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses values of `dtype` on a device without the features its kernels need, before
    /// `op` records anything.
    pub fn require_dtype(&self, op: &str, dtype: Dtype) -> Result<()> {
        match dtype.required_feature() {
            Some((feature, name)) if !self.device.features().contains(feature) => {
                Err(Error::MissingFeature {
                    what: format!("{op} on {} tensors", dtype.name()),
                    feature: name,
                })
            }
            _ => Ok(()),
        }
    }

    /// Records one dispatch of `kernel` over `invocations` outputs into `encoder`, with
    /// `params` as its uniform block and `buffers` bound in order from binding 1.
    pub(crate) fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        params: &[u8],
        buffers: &[&wgpu::Buffer],
        invocations: u32,
    ) -> Result<()> {
        self.record_specialized(
            encoder,
            kernel,
            Dtype::F32,
            &[],
            params,
            buffers,
            invocations,
        )
    }

    /// [`Context::record`] for values of `dtype`, with `override` constants set on the
    /// pipeline (built once per set).
    #[allow(clippy::too_many_arguments)] // one dispatch's worth of parts
    pub(crate) fn record_specialized(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        dtype: Dtype,
        constants: &[(&'static str, u32)],
        params: &[u8],
        buffers: &[&wgpu::Buffer],
        invocations: u32,
    ) -> Result<()> {
        if invocations == 0 {
            return Ok(());
        }
        let [x, y, z] = self.workgroup_grid(invocations);
        self.bind(kernel, dtype, constants, params, buffers, invocations)?
            .begin(encoder, kernel)
            .dispatch_workgroups(x, y, z);
        Ok(())
    }

    /// [`Context::record_specialized`] with the workgroup counts read from `args` at `offset`
    /// when the work runs (three u32s, written by an earlier pass: see
    /// [`Context::workgroup_grid`]), for work whose size the GPU decides. `invocations` is the
    /// most the counts may cover.
    #[allow(clippy::too_many_arguments)] // one dispatch's worth of parts
    pub(crate) fn record_indirect(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        dtype: Dtype,
        constants: &[(&'static str, u32)],
        params: &[u8],
        buffers: &[&wgpu::Buffer],
        invocations: u32,
        (args, offset): (&wgpu::Buffer, u64),
    ) -> Result<()> {
        self.bind(kernel, dtype, constants, params, buffers, invocations)?
            .begin(encoder, kernel)
            .dispatch_workgroups_indirect(args, offset);
        Ok(())
    }

    /// The workgroup counts that cover `invocations` on this device.
    pub(crate) fn workgroup_grid(&self, invocations: u32) -> [u32; 3] {
        workgroup_grid(
            invocations,
            self.workgroup_size,
            self.device.limits().max_compute_workgroups_per_dimension,
        )
    }

    /// Whether the device runs dispatches whose size a buffer holds
    /// ([`Context::record_indirect`]). Devices handed in with [`Context::from_device`] are
    /// assumed to: every wgpu backend that runs compute shaders does, but for Metal on the
    /// oldest Apple GPUs (Apple1, Apple2).
    pub(crate) fn runs_indirect(&self) -> bool {
        self.indirect
    }

    /// The pipeline of `kernel` (built on first use) with a bind group of `params` and
    /// `buffers`, for a dispatch of `invocations`.
    fn bind(
        &self,
        kernel: Kernel,
        dtype: Dtype,
        constants: &[(&'static str, u32)],
        params: &[u8],
        buffers: &[&wgpu::Buffer],
        invocations: u32,
    ) -> Result<Bound> {
        let limit = self.device.limits().max_storage_buffer_binding_size;
        if let Some(big) = buffers.iter().find(|b| b.size() > limit) {
            return Err(Error::TooLarge {
                what: format!("a storage binding of {}", kernel.entry_point()),
                needed: big.size(),
                limit,
            });
        }
        // Kernels that only move words or indices build once, whatever the values' type.
        let dtype = if kernel.has_elements() {
            dtype
        } else {
            Dtype::F32
        };
        self.require_dtype(kernel.entry_point(), dtype)?;
        let small_indices = u32::from(invocations < FLOAT_DIVISION_LIMIT);
        let cached = self.pipeline(&PipelineKey {
            kernel,
            dtype,
            constants: [constants, &[("SMALL_INDICES", small_indices)]].concat(),
        })?;
        let uniform = self.uniform(params)?;
        let bind_group = self.scoped(|| {
            let entries: Vec<_> = std::iter::once(&uniform)
                .chain(buffers.iter().copied())
                .zip(0..)
                .map(|(buffer, binding)| wgpu::BindGroupEntry {
                    binding,
                    resource: buffer.as_entire_binding(),
                })
                .collect();
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(kernel.label()),
                layout: &cached.layout,
                entries: &entries,
            })
        })?;
        Ok(Bound {
            pipeline: cached,
            bind_group,
        })
    }

    /// Submits `encoder` without waiting for it, turning wgpu errors into values.
    pub fn submit(&self, encoder: wgpu::CommandEncoder) -> Result<()> {
        self.scoped(|| self.queue.submit([encoder.finish()]))?;
        Ok(())
    }

    /// A command encoder labelled for wgpool.
    pub fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgpool.encoder"),
            })
    }
}
