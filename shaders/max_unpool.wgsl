// max_unpool1d/2d/3d on a board of winners, for any indices, in two passes, deterministic
// whatever the scheduling. Follows max_unpool_common.wgsl; CPU twin: src/cpu/max_unpool.rs.
//
// Params for unpooling: `total` is the element count the pass covers (input elements for the
// scatter, output elements for the gather), in_* and out_* the spatial sizes lifted to
// (D, H, W), and div_w the magic for dividing by one INPUT plane's size (in_d * in_h * in_w).

@group(0) @binding(0) var<uniform> params: Params;
// One word per output element: 1 + the largest input position aimed at it, 0 for none.
// Cleared before the scatter.
@group(0) @binding(3) var<storage, read_write> winner: array<atomic<u32>>;
// The same words for the gather, which runs after the scatter has finished: plain loads, which
// compilers can vectorise (lavapipe runs every atomic lane by lane).
@group(0) @binding(3) var<storage, read> settled_winner: array<u32>;
@group(0) @binding(4) var<storage, read> input: array<Element>;
@group(0) @binding(5) var<storage, read_write> output: array<Element>;

// Pass 1, one invocation per input element e: claim out[plane].flat[indices[e]] for e. The
// largest claimant wins, which is the last write of PyTorch's serial loop. An invalid index
// writes nothing.
@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_scatter(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(num_workgroups) workgroups: vec3<u32>) {
    let e = invocation_index(gid, workgroups);
    if (e >= params.total) {
        return;
    }
    let j = indices[e];
    if (!valid_index(e, j)) {
        return;
    }
    let plane = divide_index(e, div_w());
    atomicMax(&winner[plane * params.out_d * params.out_h * params.out_w + j.x], e + 1u);
}

// Pass 2, one invocation per output element: the winner's value, or zero. Invocation 0 also
// completes the status.
@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_gather(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    if (i == 0u) {
        report_invalid_index();
    }
    let claimant = settled_winner[i];
    // Every lane loads (claimant 0 from position 0, then discarded): no branch around the
    // load, which lavapipe runs lane by lane.
    let value = select(0.0, f32(input[max(claimant, 1u) - 1u]), claimant != 0u);
    output[i] = to_element(value);
}
