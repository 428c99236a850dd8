// The element type of value tensors: f32 storage. Kernels read `f32(input[i])` and store
// `to_element(v)`, so the same file builds for f32 and f16 storage (element_f16.wgsl).
alias Element = f32;

fn to_element(v: f32) -> Element {
    return v;
}

fn to_element4(v: vec4<f32>) -> vec4<Element> {
    return v;
}
