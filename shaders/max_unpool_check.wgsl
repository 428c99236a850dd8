// Whether max_unpool_windows.wgsl can unpool a call: every index valid and inside the pooling
// window it came from (kernel, stride and padding, clipped to the output). Follows
// max_unpool_common.wgsl.
//
// 1. `max_unpool_check`, one invocation per four input elements of a row, validates their
//    indices and marks the call when one lies outside its window.
// 2. `max_unpool_choose`, one invocation, completes the status and, for a marked call, puts the
//    board passes' workgroup counts (max_unpool.wgsl) in place of the window gather's.
//
// Params: `total` counts groups of four neighbouring input elements of a row (the last group
// of a row may hold fewer); in_*, out_*, s_* and p_* are the sizes and the pooling's stride and
// padding lifted to (D, H, W), KERNEL_* is compiled in; div_w divides by the groups per input
// row, div_h and div_d by the input's sizes.

@group(0) @binding(0) var<uniform> params: Params;
// The workgroup counts of the dispatches after the choice, three words each: from COUNTS the
// window gather's, the board clear's, the scatter's and the board gather's, which the host
// sets for the window gather alone; from BOARD_COUNTS those for the board passes alone; and the
// mark. Host side: src/ops/max_unpool/counts.rs.
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

const COUNTS: u32 = 0u;
const BOARD_COUNTS: u32 = 12u;
const COUNT_WORDS: u32 = 12u;
const NOT_IN_WINDOW: u32 = 24u;

// The first cell of window i along one dim, and how many cells of the output's [0, len) it
// covers (0: it lies outside), for four windows at once.
struct Spans {
    first: vec4<i32>,
    cells: vec4<i32>,
}

fn clipped_windows(i: vec4<u32>, k: u32, s: u32, p: u32, len: u32) -> Spans {
    let start = vec4<i32>(i * s) - vec4<i32>(i32(p));
    let first = max(start, vec4<i32>(0));
    return Spans(first, min(start + vec4<i32>(i32(k)), vec4<i32>(i32(len))) - first);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_check(@builtin(global_invocation_id) gid: vec3<u32>,
                    @builtin(num_workgroups) workgroups: vec3<u32>) {
    let g = invocation_index(gid, workgroups);
    if (g >= params.total) {
        return;
    }
    // The group's place: div_w divides by the groups per input row, div_h and div_d by the
    // input's sizes.
    let rest_h = divide_index(g, div_w());
    let rest_d = divide_index(rest_h, div_h());
    let plane = divide_index(rest_d, div_d());
    let x = vec3<u32>(rest_d - plane * params.in_d, rest_h - rest_d * params.in_h,
                      4u * (g - rest_h * params.div_w_d));
    let first = rest_h * params.in_w + x.z;
    let lanes = min(4u, params.in_w - x.z);
    var j = vec4<u32>(0u);
    var live = vec4<bool>(false);
    for (var lane = 0u; lane < 4u; lane++) {
        // Lanes past the row's end load its last index, and are not checked.
        let e = first + min(lane, lanes - 1u);
        let index = indices[e];
        live[lane] = lane < lanes && valid_index(e, index);
        j[lane] = index.x;
    }
    let d = clipped_windows(vec4<u32>(x.x), KERNEL_D, params.s_d, params.p_d, params.out_d);
    let h = clipped_windows(vec4<u32>(x.y), KERNEL_H, params.s_h, params.p_h, params.out_h);
    let w = clipped_windows(vec4<u32>(x.z) + vec4<u32>(0u, 1u, 2u, 3u), KERNEL_W, params.s_w,
                            params.p_w, params.out_w);
    // Inside iff j falls in one of its window's rows: KERNEL_D * KERNEL_H of them, some
    // outside the output (empty, like every row of a window outside it).
    var inside = vec4<bool>(false);
    for (var td = 0; td < i32(KERNEL_D); td++) {
        for (var th = 0; th < i32(KERNEL_H); th++) {
            let row = ((d.first + td) * i32(params.out_h) + h.first + th) * i32(params.out_w);
            let in_output = td < d.cells.x && th < h.cells.x;
            let offset = j - vec4<u32>(vec4<i32>(row) + w.first);
            inside = inside | (vec4<bool>(in_output) & offset < vec4<u32>(max(w.cells, vec4<i32>(0))));
        }
    }
    if (any(live & !inside)) {
        atomicStore(&counts[NOT_IN_WINDOW], 1u);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_unpool_choose(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) workgroups: vec3<u32>) {
    if (invocation_index(gid, workgroups) >= params.total) {
        return;
    }
    report_invalid_index();
    if (atomicLoad(&counts[NOT_IN_WINDOW]) != 0u) {
        for (var i = 0u; i < COUNT_WORDS; i++) {
            atomicStore(&counts[COUNTS + i], atomicLoad(&counts[BOARD_COUNTS + i]));
        }
    }
}
