// row_vectors.wgsl's loads for input rows whose length is a multiple of four.
alias RowVector = vec4<Element>;
const ROW_VECTOR: u32 = 4u;
