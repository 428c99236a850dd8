// fractional_rows.wgsl's entry points for output rows whose length is not a multiple of four:
// the last group of each row stores only its outputs, lane by lane.

@group(0) @binding(3) var<storage, read_write> output: array<Element>;
// int64 indices as (low, high) words: byte-identical to little-endian i64.
@group(0) @binding(4) var<storage, read_write> indices: array<vec2<u32>>;

fn store_values(group: Group, values: vec4<f32>) {
    for (var lane = 0u; lane < group.count; lane++) {
        output[group.first + lane] = to_element(values[lane]);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows_tail(@builtin(global_invocation_id) gid: vec3<u32>,
                                 @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    store_values(group, window_max_row(c, group).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows_tail_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                              @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let group = group_of(c);
    let best = window_max_row(c, group);
    store_values(group, best.value);
    for (var lane = 0u; lane < group.count; lane++) {
        // Windows lie inside the plane, so the index is never negative: the high word is 0.
        indices[group.first + lane] = vec2<u32>(u32(best.index[lane]), 0u);
    }
}
