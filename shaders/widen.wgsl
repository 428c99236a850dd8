// Conversions between the build's element type and f32: computing an f16 op in f32 where its
// kernels carry partial results in the output between passes (adaptive averages over windows
// of millions of cells), so that the sum is rounded once, as PyTorch rounds it.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> elements: array<Element>;
@group(0) @binding(2) var<storage, read_write> widened: array<f32>;
// narrow's bindings: the same slots, the other way round.
@group(0) @binding(1) var<storage, read> wide: array<f32>;
@group(0) @binding(2) var<storage, read_write> narrowed: array<Element>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn widen(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i < params.total) {
        widened[i] = f32(elements[i]);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn narrow(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i < params.total) {
        narrowed[i] = to_element(wide[i]);
    }
}
