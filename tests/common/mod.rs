//! Shared by the integration tests: the GPU context (required in CI) and the conformance cases.
#![allow(dead_code)] // each test binary uses its own subset

pub mod conformance;

use std::path::PathBuf;
use std::sync::OnceLock;

use wgpool::{Backend, Context, Element, MemoryFormat, Reduction, Tensor};

/// The context GPU tests run on, one per test binary. Backend from `WGPOOL_TEST_BACKEND`
/// (default any). Without an adapter: a panic when `WGPOOL_REQUIRE_GPU=1` (CI), else `None`
/// and a loud note on stderr, so a local machine without a driver can still run the rest.
pub fn gpu() -> Option<&'static Context> {
    static CONTEXT: OnceLock<Option<Context>> = OnceLock::new();
    CONTEXT.get_or_init(|| open(Reduction::Auto)).as_ref()
}

/// [`gpu`]'s adapter with [`Reduction::Parallel`]: CPU adapters would otherwise never run the
/// parallel reductions.
pub fn gpu_parallel() -> Option<&'static Context> {
    static CONTEXT: OnceLock<Option<Context>> = OnceLock::new();
    CONTEXT.get_or_init(|| open(Reduction::Parallel)).as_ref()
}

fn open(reduction: Reduction) -> Option<Context> {
    let backend: Backend = std::env::var("WGPOOL_TEST_BACKEND")
        .map(|b| b.parse().expect("WGPOOL_TEST_BACKEND"))
        .unwrap_or_default();
    match Context::new(backend) {
        Ok(mut ctx) => {
            ctx.set_reduction(reduction);
            Some(ctx)
        }
        Err(e) if std::env::var("WGPOOL_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("WGPOOL_REQUIRE_GPU=1 but no GPU context: {e}")
        }
        Err(e) => {
            eprintln!("\n*** SKIPPING GPU TESTS: {e} (set WGPOOL_REQUIRE_GPU=1 to fail) ***\n");
            None
        }
    }
}

/// `../shared/conformance/cases` beside the repository (CI has it there too).
pub fn conformance_cases() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases")
}

/// How many kinds of input row the row kernels read differently (see [`row_loads_of`]).
pub const ROW_LOADS: usize = 3;

/// How the row kernels read input rows `width` cells long, where the span of a group's windows
/// fits (wgpool's `row_loads`): 0 cell by cell (odd widths), 1 in vec2s (other even widths),
/// 2 in vec4s (multiples of four).
pub fn row_loads_of(width: usize) -> usize {
    match width % 4 {
        0 => 2,
        2 => 1,
        _ => 0,
    }
}

/// `data`, row-major in `shape` order, uploaded as a channels-last tensor.
pub fn upload_last(ctx: &Context, data: &[f32], shape: &[usize]) -> Tensor {
    let last = MemoryFormat::ChannelsLast;
    let data = last.from_contiguous(data, shape).unwrap();
    Tensor::upload_with_format(ctx, &data, shape, last).unwrap()
}

/// A channels-last tensor read back in row-major order.
pub fn download_contiguous<T: Element>(ctx: &Context, tensor: &Tensor<T>) -> Vec<T> {
    let last = MemoryFormat::ChannelsLast;
    assert_eq!(
        tensor.memory_format(),
        last,
        "outputs follow the input's format"
    );
    last.to_contiguous(&tensor.download(ctx).unwrap(), tensor.shape())
        .unwrap()
}
