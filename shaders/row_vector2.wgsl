// row_vectors.wgsl's loads for input rows of an even length that is not a multiple of four.
alias RowVector = vec2<Element>;
const ROW_VECTOR: u32 = 2u;
