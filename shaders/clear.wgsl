// Zeroes the first `total` words of a buffer: a `clear_buffer` for passes whose size the GPU
// decides (max unpooling's board, when the window gather cannot serve).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> words: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn clear_words(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    words[i] = 0u;
}
