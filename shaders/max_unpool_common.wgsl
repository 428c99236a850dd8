// Max unpooling's status and indices, shared by the board passes (max_unpool.wgsl) and the
// window check (max_unpool_check.wgsl).

// The status the host reads back, two int64s, zeroed by the host: 1 + the last input position
// holding an invalid index (0: none), and that index.
@group(0) @binding(1) var<storage, read_write> status: array<atomic<u32>>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(2) var<storage, read> indices: array<vec2<u32>>;

const STATUS_POSITION: u32 = 0u;
const STATUS_INDEX_LO: u32 = 2u;
const STATUS_INDEX_HI: u32 = 3u;

// Whether index j, read at input position e, names a cell of the output plane. Valid iff
// 0 <= j < the plane's size as an i64: the high word must be 0 (this refuses negative indices
// and 2^32 + 5 alike), and the low word in range. An invalid one is recorded (the last such
// position, as PyTorch's serial loop would report it).
fn valid_index(e: u32, j: vec2<u32>) -> bool {
    if (j.y != 0u || j.x >= params.out_d * params.out_h * params.out_w) {
        atomicMax(&status[STATUS_POSITION], e + 1u);
        return false;
    }
    return true;
}

// Copies the recorded invalid index next to its position, so that the host reads one
// self-contained status after the work (the indices may have changed by then). Called by one
// invocation once every index has been checked.
fn report_invalid_index() {
    let position = atomicLoad(&status[STATUS_POSITION]);
    if (position != 0u) {
        let j = indices[position - 1u];
        atomicStore(&status[STATUS_INDEX_LO], j.x);
        atomicStore(&status[STATUS_INDEX_HI], j.y);
    }
}
