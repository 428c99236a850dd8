// max_unpool1d/2d/3d in two passes, deterministic whatever the scheduling. CPU twin:
// src/cpu/max_unpool.rs.
//
// Params for unpooling: `total` is the element count the pass covers (input elements for the
// scatter, output elements for the gather), in_* and out_* the spatial sizes lifted to
// (D, H, W), and div_w the magic for dividing by one INPUT plane's size (in_d * in_h * in_w).

@group(0) @binding(0) var<uniform> params: Params;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(1) var<storage, read> indices: array<vec2<u32>>;
// One word per output element: 1 + the largest input position aimed at it, 0 for none.
// The host zeroes it in the same encoder before the scatter.
@group(0) @binding(2) var<storage, read_write> winner: array<atomic<u32>>;
// The same words for the gather, which runs after the scatter has finished: plain loads, which
// compilers can vectorise (lavapipe runs every atomic lane by lane).
@group(0) @binding(2) var<storage, read> settled_winner: array<u32>;
// Two int64s, zeroed by the host: [1 + the last input position holding an invalid index (0:
// none), that index].
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> input: array<Element>;
@group(0) @binding(5) var<storage, read_write> output: array<Element>;

const STATUS_POSITION: u32 = 0u;
const STATUS_INDEX_LO: u32 = 2u;
const STATUS_INDEX_HI: u32 = 3u;

// Pass 1, one invocation per input element e: claim out[plane].flat[indices[e]] for e. The
// largest claimant wins, which is the last write of PyTorch's serial loop. An index outside
// the output plane writes nothing and is recorded instead (the last such position, again as
// the serial loop would report it).
@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_scatter(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(num_workgroups) workgroups: vec3<u32>) {
    let e = invocation_index(gid, workgroups);
    if (e >= params.total) {
        return;
    }
    let j = indices[e];
    let out_plane = params.out_d * params.out_h * params.out_w;
    // Valid iff 0 <= j < out_plane as an i64: the high word must be 0 (this refuses negative
    // indices and 2^32 + 5 alike), and the low word in range.
    if (j.y != 0u || j.x >= out_plane) {
        atomicMax(&status[STATUS_POSITION], e + 1u);
        return;
    }
    let plane = divide_index(e, div_w());
    atomicMax(&winner[plane * out_plane + j.x], e + 1u);
}

// Copies the recorded invalid index next to its position, so that the host reads one
// self-contained status after the work (the indices may have changed by then).
fn report_invalid_index() {
    let position = atomicLoad(&status[STATUS_POSITION]);
    if (position != 0u) {
        let j = indices[position - 1u];
        atomicStore(&status[STATUS_INDEX_LO], j.x);
        atomicStore(&status[STATUS_INDEX_HI], j.y);
    }
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
