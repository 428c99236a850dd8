// fractional_rows.wgsl's entry points for output rows in fours: every group of four is whole
// and 16-byte aligned, so it is stored as one vec4 (lavapipe, 2x2 windows from 112^2 to 56^2:
// 8.7 ms against 9.1 ms with four scalar stores, medians of 8 alternating runs).

@group(0) @binding(3) var<storage, read_write> output: array<vec4<Element>>;
// Four int64 indices per output vec4, as (low, high) word pairs, two per vec4<u32>.
@group(0) @binding(4) var<storage, read_write> indices: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows(@builtin(global_invocation_id) gid: vec3<u32>,
                            @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    output[j] = to_element4(window_max_row(c, group_of(c)).value);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fractional_max_pool_rows_with_indices(@builtin(global_invocation_id) gid: vec3<u32>,
                                         @builtin(num_workgroups) workgroups: vec3<u32>) {
    let j = invocation_index(gid, workgroups);
    if (j >= params.total) {
        return;
    }
    let c = output_coord(j);
    let best = window_max_row(c, group_of(c));
    output[j] = to_element4(best.value);
    let words = int64_lanes(best.index);
    indices[2u * j] = words[0];
    indices[2u * j + 1u] = words[1];
}
