//! Host arrays: what the convenience functions and the CPU references return.

/// A host array: row-major data and its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    /// The shape, PyTorch order.
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<T>,
}

impl<T: Copy> Array<T> {
    /// The array with `f` applied to every element.
    pub fn map<U>(&self, f: impl Fn(T) -> U) -> Array<U> {
        Array {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }
}
