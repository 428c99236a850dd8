//! Tier 1 shader checks: no GPU, milliseconds. Every [`Kernel`] in [`Kernel::ALL`] is built for
//! f32 values, and those with values for f16 too; every build is parsed and validated by naga
//! with the capabilities every WebGPU backend has (plus `shader-f16` for f16 builds), its
//! `WORKGROUP_SIZE` override is resolved and its entry point translated to SPIR-V, MSL, HLSL
//! and (f32 builds: GL has no f16) GLSL, and its uniform layout and bindings are compared with
//! what the host declares.

use std::collections::BTreeSet;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};

use naga::back::PipelineConstants;
use naga::valid::{Capabilities, GlobalUse, ModuleInfo, ValidationFlags, Validator};
use naga::{
    AddressSpace, Expression, Literal, Module, Scalar, ShaderStage, StorageAccess, TypeInner,
};
use wgpool::pipelines::{
    DivMagic, Kernel, RowLoads, WindowParams, COMMON_WGSL, FLAG_COUNT_INCLUDE_PAD,
    FLAG_DIVISOR_OVERRIDE, FLAG_SUCCESSIVE_DIVISION, MAX_SPECIALISED_KERNEL, ROW_VECTOR_CELLS,
};
use wgpool::Dtype;

/// The workgroup sizes the override is resolved to before translation.
const WORKGROUP_SIZES: [u32; 2] = [64, 256];

/// The name of the pipeline-overridable constant the host sets.
const WORKGROUP_SIZE: &str = "WORKGROUP_SIZE";

/// Every kernel, refusing an empty list so that no loop below can pass vacuously.
fn kernels() -> &'static [Kernel] {
    assert!(!Kernel::ALL.is_empty(), "Kernel::ALL is empty");
    &Kernel::ALL
}

/// A kernel built for values of one type, as the host builds it.
#[derive(Clone, Copy)]
struct Build {
    kernel: Kernel,
    dtype: Dtype,
}

impl std::fmt::Debug for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} ({})", self.kernel, self.dtype)
    }
}

impl Build {
    fn entry_point(self) -> &'static str {
        self.kernel.entry_point()
    }

    fn storage_bindings(self) -> &'static [bool] {
        self.kernel.storage_bindings()
    }

    fn source(self) -> String {
        self.kernel.source(self.dtype)
    }
}

/// Every build: each kernel for f32, and for f16 those that read or write values.
fn builds() -> Vec<Build> {
    let builds: Vec<Build> = kernels()
        .iter()
        .flat_map(|&kernel| {
            Dtype::ALL
                .into_iter()
                .filter(move |&dtype| dtype == Dtype::F32 || kernel.has_elements())
                .map(move |dtype| Build { kernel, dtype })
        })
        .collect();
    assert!(
        builds.iter().any(|b| b.dtype == Dtype::F16),
        "no kernel is built for f16"
    );
    builds
}

/// Parses `source` (the WGSL of `what`), panicking with naga's rendered diagnostic.
fn parse(what: &str, source: &str) -> Module {
    naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{what}: WGSL parse error:\n{}", e.emit_to_string(source)))
}

/// Validates `module` with the default capabilities, i.e. what every WebGPU backend supports,
/// plus f16 arithmetic for f16 builds (what the `shader-f16` feature grants).
fn validate(what: &str, source: &str, module: &Module, dtype: Dtype) -> ModuleInfo {
    let capabilities = match dtype {
        Dtype::F32 => Capabilities::default(),
        Dtype::F16 => Capabilities::default() | Capabilities::SHADER_FLOAT16,
    };
    Validator::new(ValidationFlags::all(), capabilities)
        .validate(module)
        .unwrap_or_else(|e| {
            panic!(
                "{what}: naga validation error:\n{}",
                e.emit_to_string(source)
            )
        })
}

/// Parses and validates `kernel.source()`.
fn compile(kernel: Build) -> (String, Module, ModuleInfo) {
    let source = kernel.source();
    let what = format!("{kernel:?}");
    let module = parse(&what, &source);
    let info = validate(&what, &source, &module, kernel.dtype);
    (source, module, info)
}

/// The module of `kernel` with `WORKGROUP_SIZE = size`, reduced to the kernel's entry point
/// and revalidated, as a backend receives it.
fn resolve(kernel: Build, size: u32) -> (Module, ModuleInfo) {
    let (_, module, info) = compile(kernel);
    let mut constants = PipelineConstants::default();
    constants.insert(WORKGROUP_SIZE.to_string(), f64::from(size));
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        Some((ShaderStage::Compute, kernel.entry_point())),
        &constants,
    )
    .unwrap_or_else(|e| {
        panic!("{kernel:?}: resolving {WORKGROUP_SIZE} = {size} failed: {e} ({e:?})")
    });
    (module.into_owned(), info.into_owned())
}

/// Runs `check` on the resolved module of every build of `dtypes` at every workgroup size.
fn for_each_resolved(dtypes: &[Dtype], mut check: impl FnMut(Build, u32, &Module, &ModuleInfo)) {
    for kernel in builds().into_iter().filter(|b| dtypes.contains(&b.dtype)) {
        for size in WORKGROUP_SIZES {
            let (module, info) = resolve(kernel, size);
            check(kernel, size, &module, &info);
        }
    }
}

/// The index of `kernel`'s compute entry point in `module`.
fn entry_point_index(kernel: Build, module: &Module) -> usize {
    let name = kernel.entry_point();
    let found: Vec<usize> = module
        .entry_points
        .iter()
        .enumerate()
        .filter(|(_, ep)| ep.name == name)
        .map(|(i, _)| i)
        .collect();
    let all: Vec<&str> = module
        .entry_points
        .iter()
        .map(|ep| ep.name.as_str())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{kernel:?}: expected exactly one entry point named `{name}`, module has {all:?}"
    );
    let ep = &module.entry_points[found[0]];
    assert_eq!(
        ep.stage,
        ShaderStage::Compute,
        "{kernel:?}: entry point `{name}` is not @compute"
    );
    found[0]
}

fn shaders_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders")
}

fn read_shader(name: &str) -> String {
    let path = shaders_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The names of `shaders/*.wgsl` other than `common.wgsl`.
fn op_shader_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(shaders_dir())
        .expect("reading shaders/")
        .map(|entry| entry.expect("reading shaders/").file_name())
        .map(|name| name.into_string().expect("non-UTF-8 file name in shaders/"))
        .filter(|name| name.ends_with(".wgsl") && name != "common.wgsl")
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no op shaders found in shaders/");
    names
}

#[test]
fn kernel_list_is_nonempty_and_distinct() {
    let kernels = kernels();
    let distinct = |f: fn(Kernel) -> &'static str, what: &str| {
        let names: BTreeSet<&str> = kernels.iter().map(|&k| f(k)).collect();
        assert_eq!(
            names.len(),
            kernels.len(),
            "Kernel::ALL has duplicate {what}s: {:?}",
            kernels.iter().map(|&k| f(k)).collect::<Vec<_>>()
        );
    };
    distinct(Kernel::label, "label");
    // Entry points repeat only across modules: the row kernels' two loaders share them.
    let pairs: BTreeSet<(String, &str)> = kernels
        .iter()
        .map(|k| (k.source(Dtype::F32), k.entry_point()))
        .collect();
    assert_eq!(
        pairs.len(),
        kernels.len(),
        "two kernels share both their source and their entry point"
    );
    let set: BTreeSet<String> = kernels.iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(set.len(), kernels.len(), "Kernel::ALL lists a kernel twice");
}

#[test]
fn every_kernel_parses() {
    for kernel in builds() {
        let source = kernel.source();
        let module = parse(&format!("{kernel:?}"), &source);
        assert!(
            !module.entry_points.is_empty(),
            "{kernel:?}: the module has no entry points"
        );
    }
}

#[test]
fn every_kernel_validates_with_default_capabilities() {
    for kernel in builds() {
        let (_, module, info) = compile(kernel);
        let index = entry_point_index(kernel, &module);
        assert!(
            info.get_entry_point(index)
                .available_stages
                .contains(naga::valid::ShaderStages::COMPUTE),
            "{kernel:?}: `{}` is not available in the compute stage",
            kernel.entry_point()
        );
    }
}

#[test]
fn every_shader_file_validates_with_only_its_element_type_common_and_shared_file_prepended() {
    // The constant the host prepends is the file on disk.
    assert_eq!(
        COMMON_WGSL,
        read_shader("common.wgsl"),
        "COMMON_WGSL differs from shaders/common.wgsl"
    );
    for build in builds() {
        let kernel = build.kernel;
        let file = kernel.shader_file();
        let element = build.dtype.wgsl();
        let shared: String = kernel
            .shared_files()
            .iter()
            .map(|shared| format!("{shared}\n"))
            .collect();
        let source = format!("{element}\n{COMMON_WGSL}\n{shared}{file}");
        assert_eq!(
            source,
            build.source(),
            "{build:?}: source() is not the element type, COMMON_WGSL, shared_files() and \
             shader_file()"
        );
        for part in [file, element].into_iter().chain(kernel.shared_files()) {
            assert!(
                op_shader_files()
                    .iter()
                    .any(|name| read_shader(name) == part),
                "{kernel:?}: a file of its source is none of the files in shaders/"
            );
        }
        let what = format!("{build:?} (element type + common.wgsl + its own files only)");
        let module = parse(&what, &source);
        validate(&what, &source, &module, build.dtype);
    }
    // No file in shaders/ escapes these checks by belonging to no kernel.
    for name in op_shader_files() {
        let text = read_shader(&name);
        assert!(
            kernels()
                .iter()
                .any(|k| k.shader_file() == text || k.shared_files().contains(&text.as_str()))
                || Dtype::ALL.iter().any(|d| d.wgsl() == text),
            "shaders/{name} is the shader_file() or a shared_files() of no kernel in Kernel::ALL, \
             and no Dtype's wgsl()"
        );
    }
}

#[test]
fn workgroup_size_override_resolves() {
    for_each_resolved(&Dtype::ALL, |kernel, size, module, _| {
        // naga 30 keeps the `overrides` arena (its docs say otherwise), but no expression may
        // still read one.
        let unresolved = module
            .global_expressions
            .iter()
            .filter(|(_, e)| matches!(e, Expression::Override(_)))
            .count();
        assert_eq!(
            unresolved, 0,
            "{kernel:?} at {size}: override expressions left after process_overrides"
        );
        let index = entry_point_index(kernel, module);
        assert_eq!(
            module.entry_points.len(),
            1,
            "{kernel:?} at {size}: process_overrides kept other entry points"
        );
        let ep = &module.entry_points[index];
        assert_eq!(
            ep.workgroup_size,
            [size, 1, 1],
            "{kernel:?}: @workgroup_size after resolving {WORKGROUP_SIZE} = {size}"
        );
        assert!(
            ep.workgroup_size_overrides.is_none(),
            "{kernel:?} at {size}: workgroup size still refers to an override"
        );
    });
}

/// The string literal operand starting at `words[0]`, as SPIR-V packs it.
fn spirv_string(words: &[u32]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The module's entry point `name` in SPIR-V.
fn write_spirv(module: &Module, info: &ModuleInfo, name: &str) -> Result<Vec<u32>, String> {
    let pipeline = naga::back::spv::PipelineOptions {
        shader_stage: ShaderStage::Compute,
        entry_point: name.to_string(),
    };
    let options = naga::back::spv::Options::default();
    naga::back::spv::write_vec(module, info, &options, Some(&pipeline))
        .map_err(|e| format!("SPIR-V backend: {e} ({e:?})"))
}

/// The module's entry point `name` in MSL 2.0, with the names the backend gave entry points.
fn write_msl(
    module: &Module,
    info: &ModuleInfo,
    name: &str,
) -> Result<(String, naga::back::msl::TranslationInfo), String> {
    let options = naga::back::msl::Options {
        lang_version: (2, 0),
        ..Default::default()
    };
    let pipeline = naga::back::msl::PipelineOptions {
        entry_point: Some((ShaderStage::Compute, name.to_string())),
        ..Default::default()
    };
    naga::back::msl::write_string(module, info, &options, &pipeline)
        .map_err(|e| format!("MSL backend: {e} ({e:?})"))
}

/// The module's entry point `name` in HLSL of `shader_model`, with the backend's reflection.
fn write_hlsl(
    module: &Module,
    info: &ModuleInfo,
    name: &str,
    shader_model: naga::back::hlsl::ShaderModel,
) -> Result<(String, naga::back::hlsl::ReflectionInfo), String> {
    use naga::back::hlsl::{Options, PipelineOptions, Writer};
    let options = Options {
        shader_model,
        ..Default::default()
    };
    let pipeline = PipelineOptions {
        entry_point: Some((ShaderStage::Compute, name.to_string())),
    };
    let mut hlsl = String::new();
    let reflection = Writer::new(&mut hlsl, &options, &pipeline)
        .write(module, info, None)
        .map_err(|e| format!("HLSL {shader_model:?} backend: {e} ({e:?})"))?;
    Ok((hlsl, reflection))
}

/// The shader models an f32 or f16 build is translated to: 16-bit types need shader model 6.2
/// (DXC), and wgpu offers shader-f16 on DX12 only there.
fn hlsl_models(dtype: Dtype) -> &'static [naga::back::hlsl::ShaderModel] {
    use naga::back::hlsl::ShaderModel;
    match dtype {
        Dtype::F32 => &[ShaderModel::V5_1, ShaderModel::V6_0],
        Dtype::F16 => &[ShaderModel::V6_2],
    }
}

/// The module's entry point `name` in GLSL ES 310 (f32 builds: GLSL has no f16 type, and wgpu's
/// GL backend never offers shader-f16).
fn write_glsl(module: &Module, info: &ModuleInfo, name: &str) -> Result<String, String> {
    use naga::back::glsl::{Options, PipelineOptions, Version, Writer};
    let options = Options {
        version: Version::Embedded {
            version: 310,
            is_webgl: false,
        },
        ..Default::default()
    };
    let pipeline = PipelineOptions {
        shader_stage: ShaderStage::Compute,
        entry_point: name.to_string(),
        multiview: None,
    };
    let mut glsl = String::new();
    Writer::new(
        &mut glsl,
        module,
        info,
        &options,
        &pipeline,
        naga::proc::BoundsCheckPolicies::default(),
    )
    .and_then(|mut writer| writer.write())
    .map_err(|e| format!("GLSL ES 310 backend: {e} ({e:?})"))?;
    Ok(glsl)
}

#[test]
fn translates_to_spirv() {
    const MAGIC: u32 = 0x0723_0203;
    const OP_ENTRY_POINT: u32 = 15;
    const OP_EXECUTION_MODE: u32 = 16;
    const GL_COMPUTE: u32 = 5;
    const LOCAL_SIZE: u32 = 17;
    for_each_resolved(&Dtype::ALL, |kernel, size, module, info| {
        let name = kernel.entry_point();
        let words =
            write_spirv(module, info, name).unwrap_or_else(|e| panic!("{kernel:?} at {size}: {e}"));
        assert!(words.len() > 5, "{kernel:?} at {size}: empty SPIR-V");
        assert_eq!(words[0], MAGIC, "{kernel:?} at {size}: SPIR-V magic");

        // Walk the instructions: one GLCompute OpEntryPoint named after the kernel, whose
        // LocalSize execution mode is the resolved override.
        let mut entry_points = Vec::new();
        let mut local_sizes = Vec::new();
        let mut at = 5;
        while at < words.len() {
            let count = (words[at] >> 16) as usize;
            let opcode = words[at] & 0xffff;
            assert!(
                count > 0 && at + count <= words.len(),
                "{kernel:?} at {size}: malformed SPIR-V instruction at word {at}"
            );
            let operands = &words[at + 1..at + count];
            match opcode {
                OP_ENTRY_POINT => {
                    entry_points.push((operands[0], operands[1], spirv_string(&operands[2..])))
                }
                OP_EXECUTION_MODE if operands[1] == LOCAL_SIZE => {
                    local_sizes.push((operands[0], operands[2..5].to_vec()))
                }
                _ => {}
            }
            at += count;
        }
        assert_eq!(
            entry_points.len(),
            1,
            "{kernel:?} at {size}: SPIR-V entry points {entry_points:?}"
        );
        let (model, id, spv_name) = &entry_points[0];
        assert_eq!(*model, GL_COMPUTE, "{kernel:?} at {size}: execution model");
        assert_eq!(
            spv_name, name,
            "{kernel:?} at {size}: SPIR-V entry point name"
        );
        assert_eq!(
            local_sizes,
            [(*id, vec![size, 1, 1])],
            "{kernel:?} at {size}: SPIR-V LocalSize"
        );
    });
}

#[test]
fn translates_to_msl() {
    for_each_resolved(&Dtype::ALL, |kernel, size, module, info| {
        let name = kernel.entry_point();
        let (msl, translation) =
            write_msl(module, info, name).unwrap_or_else(|e| panic!("{kernel:?} at {size}: {e}"));
        assert!(!msl.trim().is_empty(), "{kernel:?} at {size}: empty MSL");
        assert!(
            msl.contains(&format!("kernel void {name}(")),
            "{kernel:?} at {size}: MSL has no `kernel void {name}(`:\n{msl}"
        );
        let names: Vec<_> = translation.entry_point_names.iter().collect();
        assert!(
            matches!(names[..], [Ok(n)] if n == name),
            "{kernel:?} at {size}: MSL entry point names {names:?}"
        );
    });
}

#[test]
fn translates_to_hlsl() {
    for_each_resolved(&Dtype::ALL, |kernel, size, module, info| {
        let name = kernel.entry_point();
        for &shader_model in hlsl_models(kernel.dtype) {
            let (hlsl, reflection) = write_hlsl(module, info, name, shader_model)
                .unwrap_or_else(|e| panic!("{kernel:?} at {size}: {e}"));
            assert!(
                !hlsl.trim().is_empty(),
                "{kernel:?} at {size}: empty HLSL {shader_model:?}"
            );
            assert!(
                hlsl.contains(&format!("[numthreads({size}, 1, 1)]")),
                "{kernel:?} at {size}: HLSL {shader_model:?} lacks [numthreads({size}, 1, 1)]:\n{hlsl}"
            );
            assert!(
                hlsl.contains(&format!("void {name}(")),
                "{kernel:?} at {size}: HLSL {shader_model:?} has no `void {name}(`:\n{hlsl}"
            );
            let names: Vec<_> = reflection.entry_point_names.iter().collect();
            assert!(
                matches!(names[..], [Ok(n)] if n == name),
                "{kernel:?} at {size}: HLSL {shader_model:?} entry point names {names:?}"
            );
        }
    });
}

#[test]
fn translates_to_glsl() {
    for_each_resolved(&[Dtype::F32], |kernel, size, module, info| {
        let name = kernel.entry_point();
        let glsl =
            write_glsl(module, info, name).unwrap_or_else(|e| panic!("{kernel:?} at {size}: {e}"));
        assert!(
            glsl.starts_with("#version 310 es"),
            "{kernel:?} at {size}: GLSL header:\n{glsl}"
        );
        // GLSL renames the entry point to `main`.
        assert!(
            glsl.contains("void main()"),
            "{kernel:?} at {size}: GLSL has no `void main()`:\n{glsl}"
        );
        let layout =
            format!("layout(local_size_x = {size}, local_size_y = 1, local_size_z = 1) in;");
        assert!(
            glsl.contains(&layout),
            "{kernel:?} at {size}: GLSL lacks `{layout}`:\n{glsl}"
        );
    });
}

/// One expected `Params` member: its WGSL name, byte offset on the Rust side and scalar type.
type Member = (&'static str, usize, Scalar);

/// The `Params` members the Rust struct implies, in order. Each field's Rust type is pinned by
/// a typed accessor, so changing a field's type without updating this list fails to compile.
fn window_params_members() -> Vec<Member> {
    let mut members = Vec::new();
    macro_rules! scalar {
        ($field:ident: $ty:ty => $name:literal, $scalar:expr) => {{
            let _: fn(&WindowParams) -> &$ty = |p| &p.$field;
            members.push(($name, offset_of!(WindowParams, $field), $scalar));
        }};
    }
    macro_rules! array {
        ($field:ident => $($name:literal),+) => {{
            const NAMES: &[&str] = &[$($name),+];
            let _: fn(&WindowParams) -> &[u32; NAMES.len()] = |p| &p.$field;
            for (i, &name) in NAMES.iter().enumerate() {
                let at = offset_of!(WindowParams, $field) + i * size_of::<u32>();
                members.push((name, at, Scalar::U32));
            }
        }};
    }
    macro_rules! magic {
        ($field:ident => $m:literal, $l:literal, $d:literal, $r:literal) => {{
            let _: fn(&WindowParams) -> &DivMagic = |p| &p.$field;
            let at = offset_of!(WindowParams, $field);
            members.push(($m, at + offset_of!(DivMagic, m), Scalar::U32));
            members.push(($l, at + offset_of!(DivMagic, l), Scalar::U32));
            members.push(($d, at + offset_of!(DivMagic, d), Scalar::U32));
            members.push(($r, at + offset_of!(DivMagic, r), Scalar::F32));
        }};
    }
    scalar!(total: u32 => "total", Scalar::U32);
    array!(input => "in_d", "in_h", "in_w");
    array!(output => "out_d", "out_h", "out_w");
    array!(kernel => "k_d", "k_h", "k_w");
    array!(stride => "s_d", "s_h", "s_w");
    array!(padding => "p_d", "p_h", "p_w");
    array!(dilation => "dil_d", "dil_h", "dil_w");
    scalar!(flags: u32 => "flags", Scalar::U32);
    scalar!(divisor: f32 => "divisor", Scalar::F32);
    scalar!(norm_type: f32 => "norm_type", Scalar::F32);
    magic!(div_w => "div_w_m", "div_w_l", "div_w_d", "div_w_r");
    magic!(div_h => "div_h_m", "div_h_l", "div_h_d", "div_h_r");
    magic!(div_d => "div_d_m", "div_d_l", "div_d_d", "div_d_r");
    scalar!(channel_groups: u32 => "channel_groups", Scalar::U32);
    magic!(div_c => "div_c_m", "div_c_l", "div_c_d", "div_c_r");
    scalar!(row_width: u32 => "row_width", Scalar::U32);
    // Every Rust field is listed above: they add up to the struct with no gap.
    assert_eq!(
        members.len() * size_of::<u32>(),
        size_of::<WindowParams>(),
        "WindowParams has fields this test does not list"
    );
    // This destructuring stops compiling when a field is added or removed.
    let WindowParams {
        total: _,
        input: _,
        output: _,
        kernel: _,
        stride: _,
        padding: _,
        dilation: _,
        flags: _,
        divisor: _,
        norm_type: _,
        div_w: _,
        div_h: _,
        div_d: _,
        channel_groups: _,
        div_c: _,
        row_width: _,
    } = WindowParams::default();
    members
}

#[test]
fn params_layout_matches_window_params() {
    let expected = window_params_members();
    for kernel in builds() {
        let (_, module, _) = compile(kernel);
        let found: Vec<_> = module
            .types
            .iter()
            .filter(|(_, ty)| ty.name.as_deref() == Some("Params"))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{kernel:?}: expected one WGSL struct `Params`"
        );
        let TypeInner::Struct { members, span } = &found[0].1.inner else {
            panic!(
                "{kernel:?}: `Params` is not a struct: {:?}",
                found[0].1.inner
            );
        };
        let actual: Vec<(String, usize, Option<Scalar>)> = members
            .iter()
            .map(|m| {
                let scalar = match module.types[m.ty].inner {
                    TypeInner::Scalar(s) => Some(s),
                    _ => None,
                };
                (
                    m.name.clone().unwrap_or_default(),
                    m.offset as usize,
                    scalar,
                )
            })
            .collect();
        for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
            assert_eq!(
                (want.0, want.1, Some(want.2)),
                (got.0.as_str(), got.1, got.2),
                "{kernel:?}: Params member {i} (name, offset, type): WindowParams vs WGSL"
            );
        }
        assert_eq!(
            expected.len(),
            actual.len(),
            "{kernel:?}: WindowParams implies {} Params members, WGSL has {}",
            expected.len(),
            actual.len()
        );
        assert_eq!(
            *span as usize,
            size_of::<WindowParams>(),
            "{kernel:?}: WGSL Params size vs size_of::<WindowParams>()"
        );
    }
}

#[test]
fn flag_constants_match_rust() {
    for kernel in builds() {
        let (_, module, _) = compile(kernel);
        for (name, value) in [
            ("FLAG_COUNT_INCLUDE_PAD", FLAG_COUNT_INCLUDE_PAD),
            ("FLAG_DIVISOR_OVERRIDE", FLAG_DIVISOR_OVERRIDE),
            ("FLAG_SUCCESSIVE_DIVISION", FLAG_SUCCESSIVE_DIVISION),
        ] {
            let constant = module
                .constants
                .iter()
                .map(|(_, c)| c)
                .find(|c| c.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("{kernel:?}: WGSL has no const {name}"));
            let init = &module.global_expressions[constant.init];
            assert!(
                matches!(init, Expression::Literal(Literal::U32(v)) if *v == value),
                "{kernel:?}: WGSL const {name} = {init:?}, Rust has {value}u"
            );
        }
    }
}

#[test]
fn entry_points_use_exactly_the_host_bindings() {
    for kernel in builds() {
        let (_, module, info) = compile(kernel);
        let index = entry_point_index(kernel, &module);
        let ep = &module.entry_points[index];
        let name = &ep.name;

        // @workgroup_size(WORKGROUP_SIZE): x from the override, y and z 1.
        let overrides = ep.workgroup_size_overrides.unwrap_or_else(|| {
            panic!(
                "{kernel:?}: @workgroup_size of `{name}` is {:?}, not the {WORKGROUP_SIZE} override",
                ep.workgroup_size
            )
        });
        let x = overrides[0]
            .unwrap_or_else(|| panic!("{kernel:?}: `{name}`'s workgroup x size is no override"));
        match module.global_expressions[x] {
            Expression::Override(h) => assert_eq!(
                module.overrides[h].name.as_deref(),
                Some(WORKGROUP_SIZE),
                "{kernel:?}: `{name}`'s workgroup x size comes from another override"
            ),
            ref other => {
                panic!("{kernel:?}: `{name}`'s workgroup x size is {other:?}, not {WORKGROUP_SIZE}")
            }
        }
        assert!(
            overrides[1].is_none() && overrides[2].is_none() && ep.workgroup_size[1..] == [1, 1],
            "{kernel:?}: `{name}`'s workgroup y/z must be 1: {:?} {overrides:?}",
            ep.workgroup_size
        );

        // The globals the entry point (and everything it calls) touches.
        let ep_info = info.get_entry_point(index);
        let storage = kernel.storage_bindings();
        let mut used = BTreeSet::new();
        for (handle, var) in module.global_variables.iter() {
            if ep_info[handle] == GlobalUse::empty() {
                continue;
            }
            let var_name = var.name.as_deref().unwrap_or("<unnamed>");
            let what = format!("{kernel:?}: `{name}` uses `{var_name}`");
            let binding = match var.space {
                AddressSpace::Function | AddressSpace::Private | AddressSpace::WorkGroup => {
                    continue;
                }
                _ => var
                    .binding
                    .as_ref()
                    .unwrap_or_else(|| panic!("{what} without a binding")),
            };
            assert_eq!(binding.group, 0, "{what}: bind group");
            assert!(
                used.insert(binding.binding),
                "{what}: binding {} is used twice",
                binding.binding
            );
            match var.space {
                AddressSpace::Uniform => {
                    assert_eq!(binding.binding, 0, "{what}: the uniform is binding 0");
                    assert_eq!(
                        module.types[var.ty].name.as_deref(),
                        Some("Params"),
                        "{what}: the uniform's type is not Params"
                    );
                }
                AddressSpace::Storage { access } => {
                    let slot = binding.binding as usize;
                    assert!(
                        (1..=storage.len()).contains(&slot),
                        "{what} at binding {slot}; the host declares storage bindings 1..={}",
                        storage.len()
                    );
                    let read_only = storage[slot - 1];
                    let expected = if read_only {
                        StorageAccess::LOAD
                    } else {
                        StorageAccess::LOAD | StorageAccess::STORE
                    };
                    assert_eq!(
                        access, expected,
                        "{what} at binding {slot}: the host declares it read_only = {read_only}"
                    );
                }
                ref space => panic!("{what} in {space:?}: the host declares only buffers"),
            }
        }
        let declared: BTreeSet<u32> = (0..=storage.len() as u32).collect();
        assert_eq!(
            used, declared,
            "{kernel:?}: bindings `{name}` uses vs bindings the host declares"
        );
    }
}

/// The row kernels that read `vec2`s or `vec4`s pick taps at positions their override constants
/// fix, so the defaults above leave that code unexercised: each is resolved with the constants
/// of real windows (the host's `row_loads`), up to the widest span it takes (cell 15), and
/// translated to every backend's language.
#[test]
fn vector_row_kernels_translate_with_real_window_constants() {
    // KERNEL_D, KERNEL_H, KERNEL_W, STRIDE_W, DILATION_W, LEAD_W
    const WINDOWS: [[u32; 6]; 7] = [
        [1, 3, 3, 2, 1, 3], // the stem: k3 s2 p1, in vec4s
        [1, 3, 3, 2, 1, 1], // the stem in vec2s
        [1, 2, 2, 2, 1, 0], // k2 s2
        [2, 2, 4, 4, 1, 0], // the widest span: 0 + 3 * 4 + 3 = 15
        [1, 3, 3, 2, 2, 3], // dilated: 3 + 6 + 4 = 13
        [1, 3, 3, 3, 2, 1], // dilated, in vec2s: 1 + 9 + 4 = 14
        [1, 8, 8, 1, 1, 0], // the widest kernel
    ];
    const NAMES: [&str; 6] = [
        "KERNEL_D",
        "KERNEL_H",
        "KERNEL_W",
        "STRIDE_W",
        "DILATION_W",
        "LEAD_W",
    ];
    let vector_rows: Vec<Build> = builds()
        .into_iter()
        .filter(|b| {
            let kernel = format!("{:?}", b.kernel);
            kernel.contains("(Vec2)") || kernel.contains("(Vec4)")
        })
        .collect();
    assert_eq!(
        vector_rows.len(),
        32,
        "8 row kernels with vec2 and vec4 loads, each for f32 and f16"
    );
    for build in vector_rows {
        let (_, module, info) = compile(build);
        for window in WINDOWS {
            translate_with_constants(build, &module, &info, NAMES.iter().copied().zip(window));
        }
    }
}

/// Max unpooling's window check and gathers loop over windows as their kernel and stride
/// constants say (zero trips with the defaults): each is resolved with real windows and
/// translated to every backend's language.
#[test]
fn unpool_window_kernels_translate_with_real_window_constants() {
    // KERNEL_D, KERNEL_H, KERNEL_W, STRIDE_D, STRIDE_H, STRIDE_W, ROWS (the gather's)
    const WINDOWS: [[u32; 7]; 5] = [
        [1, 3, 3, 1, 2, 2, 2], // the stem's k3 s2, rows in pairs
        [1, 3, 3, 1, 2, 2, 1],
        [1, 1, 8, 1, 1, 1, 1], // 1d, the widest kernel at stride 1: 11 windows per group
        [2, 2, 2, 2, 2, 2, 2], // 3d
        [8, 8, 8, 8, 8, 8, 2],
    ];
    const NAMES: [&str; 7] = [
        "KERNEL_D", "KERNEL_H", "KERNEL_W", "STRIDE_D", "STRIDE_H", "STRIDE_W", "ROWS",
    ];
    let unpool: Vec<Build> = builds()
        .into_iter()
        .filter(|b| {
            matches!(
                b.kernel,
                Kernel::MaxUnpoolCheck | Kernel::MaxUnpoolWindows | Kernel::MaxUnpoolWindowsTail
            )
        })
        .collect();
    assert_eq!(
        unpool.len(),
        5,
        "the check (f32 only) and two gathers for f32 and f16"
    );
    for build in unpool {
        let (_, module, info) = compile(build);
        let has = |n: &&str| {
            module
                .overrides
                .iter()
                .any(|(_, o)| o.name.as_deref() == Some(*n))
        };
        for window in WINDOWS {
            let constants = NAMES.iter().copied().zip(window).filter(|(n, _)| has(n));
            translate_with_constants(build, &module, &info, constants);
        }
    }
}

/// Resolves `build`'s module with `constants` (and a workgroup size of 64) and translates it to
/// every backend's language, panicking with what failed.
fn translate_with_constants<'a>(
    build: Build,
    module: &Module,
    info: &ModuleInfo,
    constants: impl Iterator<Item = (&'a str, u32)> + Clone,
) {
    let name = build.entry_point();
    let listed: Vec<_> = constants.clone().collect();
    let what = format!("{build:?} with {listed:?}");
    let mut values = PipelineConstants::default();
    values.insert(WORKGROUP_SIZE.to_string(), 64.0);
    for (name, value) in constants {
        values.insert(name.to_string(), f64::from(value));
    }
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        module,
        info,
        Some((ShaderStage::Compute, name)),
        &values,
    )
    .unwrap_or_else(|e| panic!("{what}: resolving the constants: {e} ({e:?})"));
    let translated = write_spirv(&module, &info, name)
        .map(drop)
        .and_then(|()| write_msl(&module, &info, name).map(drop))
        .and_then(|()| {
            hlsl_models(build.dtype)
                .iter()
                .try_for_each(|&model| write_hlsl(&module, &info, name, model).map(drop))
        })
        .and_then(|()| match build.dtype {
            Dtype::F32 => write_glsl(&module, &info, name).map(drop),
            Dtype::F16 => Ok(()),
        });
    translated.unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// The value of the module-scope `const` `name` of `kernel`'s f32 build.
fn u32_constant(kernel: Kernel, name: &str) -> u32 {
    let build = Build {
        kernel,
        dtype: Dtype::F32,
    };
    let (_, module, _) = compile(build);
    let (_, constant) = module
        .constants
        .iter()
        .find(|(_, c)| c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{build:?} has no const {name}"));
    match module.global_expressions[constant.init] {
        Expression::Literal(Literal::U32(value)) => value,
        ref other => panic!("{build:?}: const {name} is {other:?}, not a u32 literal"),
    }
}

#[test]
fn row_kernel_array_sizes_match_the_host_limits() {
    // The taps array holds every tap the host compiles in; the vector loaders' cells array
    // holds every span the host gives them, and each loads the cells the host counts on.
    for loads in [RowLoads::Vec2, RowLoads::Vec4] {
        let kernel = Kernel::MaxPoolRows(loads);
        assert_eq!(
            u64::from(u32_constant(kernel, "ROW_TAPS")),
            MAX_SPECIALISED_KERNEL
        );
        assert_eq!(
            u64::from(u32_constant(kernel, "ROW_CELLS")),
            ROW_VECTOR_CELLS
        );
        assert_eq!(
            u64::from(u32_constant(kernel, "ROW_VECTOR")),
            loads.cells_per_load()
        );
    }
}
