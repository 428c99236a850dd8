// avg_pool1d/2d/3d: one invocation per output element. CPU twin: src/cpu/avg_pool.rs.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

// One window along one dim: the box clipped to the input, and the size PyTorch counts when
// padding is included (clipped to the padded extent, so ceil-mode overhang is not counted).
struct Span {
    first: i32,
    end: i32,
    padded_size: i32,
}

fn span(o: u32, k: u32, s: u32, p: u32, len: u32) -> Span {
    let start = i32(o * s) - i32(p);
    let end = min(start + i32(k), i32(len + p));
    return Span(max(start, 0), min(end, i32(len)), end - start);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>,
            @builtin(num_workgroups) workgroups: vec3<u32>) {
    let i = invocation_index(gid, workgroups);
    if (i >= params.total) {
        return;
    }
    let c = output_coord(i);
    let sd = span(c.y, params.k_d, params.s_d, params.p_d, params.in_d);
    let sh = span(c.z, params.k_h, params.s_h, params.p_h, params.in_h);
    let sw = span(c.w, params.k_w, params.s_w, params.p_w, params.in_w);
    let base = c.x * params.in_d * params.in_h * params.in_w;

    // Sequential row-major f32 sum, then one division: bit-for-bit PyTorch's CPU order.
    var sum = 0.0;
    for (var d = sd.first; d < sd.end; d++) {
        for (var h = sh.first; h < sh.end; h++) {
            for (var w = sw.first; w < sw.end; w++) {
                sum += input[base + u32(plane_offset(d, h, w))];
            }
        }
    }
    var divisor: f32;
    if ((params.flags & FLAG_DIVISOR_OVERRIDE) != 0u) {
        divisor = params.divisor;
    } else if ((params.flags & FLAG_COUNT_INCLUDE_PAD) != 0u) {
        divisor = f32(sd.padded_size * sh.padded_size * sw.padded_size);
    } else {
        divisor = f32((sd.end - sd.first) * (sh.end - sh.first) * (sw.end - sw.first));
    }
    output[i] = sum / divisor;
}
