//! Host arrays: what the convenience functions and the CPU references return.

/// A host array: row-major data and its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    /// The shape, PyTorch order.
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<T>,
}
