// Batched transposes, which move tensors between memory formats: `total` elements of WORDS
// 32-bit words each (1: f32, 2: int64), or of 16 bits (f16), in batches of in_h x in_w
// row-major matrices, each written as its in_w x in_h transpose. CPU twin:
// `Transpose::transpose` in src/memory_format.rs.

// Words per element: a pipeline constant, so that the copy loop unrolls.
override WORDS: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn convert_memory_format(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    // Output element i is (batch, col, row): the host sets out_h = in_w and out_w = in_h.
    let c = output_coord(i);
    let source = (c.x * params.in_h + c.w) * params.in_w + c.z;
    for (var k = 0u; k < WORDS; k++) {
        output[i * WORDS + k] = input[source * WORDS + k];
    }
}

// Output element e of a transpose of 16-bit elements (f16), read from its source word.
fn transposed_half(e: u32) -> u32 {
    let c = output_coord(e);
    let source = (c.x * params.in_h + c.w) * params.in_w + c.z;
    return (input[source >> 1u] >> ((source & 1u) * 16u)) & 0xffffu;
}

// The transpose of 16-bit elements, one output word (two elements) per invocation, so that no
// two invocations write the same word. Moves bits: no shader-f16 needed.
@compute @workgroup_size(WORKGROUP_SIZE)
fn convert_memory_format_halves(@builtin(global_invocation_id) gid: vec3<u32>,
                                @builtin(num_workgroups) workgroups: vec3<u32>) {
    let word = invocation_index(gid, workgroups);
    let first = 2u * word;
    if (first >= params.total) {
        return;
    }
    var halves = transposed_half(first);
    if (first + 1u < params.total) {
        halves |= transposed_half(first + 1u) << 16u;
    }
    output[word] = halves;
}
