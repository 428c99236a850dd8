// The element type of value tensors: f16 storage, f32 arithmetic (PyTorch accumulates f16 in
// f32 and rounds once). Needs the adapter feature shader-f16.
enable f16;

alias Element = f16;

// Rounds v to f16. WGSL lets a conversion of a value between f16's largest finite (65504) and
// 65536 give either, so from 65520 up (where rounding to nearest gives infinity) v is replaced
// by the f32 infinity of its sign first, which converts to f16's.
fn to_element(v: f32) -> Element {
    let bits = bitcast<u32>(v);
    let magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x477ff000u && magnitude <= 0x7f800000u) {
        return f16(bitcast<f32>((bits & 0x80000000u) | 0x7f800000u));
    }
    return f16(v);
}

fn to_element4(v: vec4<f32>) -> vec4<Element> {
    return vec4<Element>(to_element(v.x), to_element(v.y), to_element(v.z), to_element(v.w));
}
