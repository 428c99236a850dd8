//! Int-or-tuple arguments, as PyTorch takes them: `3` means `(3, 3)` in 2d.

use crate::error::{Error, Result};

/// Anything that can stand for a per-dimension argument of an `R`-d op: one integer (broadcast
/// to every dimension) or an array of `R` integers.
pub trait IntoDims<const R: usize> {
    /// The per-dimension values, `D, H, W` order (the last `R` of them).
    fn into_dims(self) -> [i64; R];
}

macro_rules! into_dims_for {
    ($($t:ty),*) => {$(
        impl<const R: usize> IntoDims<R> for $t {
            fn into_dims(self) -> [i64; R] {
                [self as i64; R]
            }
        }
        impl<const R: usize> IntoDims<R> for [$t; R] {
            fn into_dims(self) -> [i64; R] {
                self.map(|v| v as i64)
            }
        }
    )*};
}
into_dims_for!(i32, i64, u32);

impl<const R: usize> IntoDims<R> for usize {
    fn into_dims(self) -> [i64; R] {
        [i64::try_from(self).unwrap_or(i64::MAX); R]
    }
}

impl<const R: usize> IntoDims<R> for [usize; R] {
    fn into_dims(self) -> [i64; R] {
        self.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// Turns a list argument into `R` values the way PyTorch does: one element is broadcast, `R`
/// elements are taken as they are, any other length is refused.
///
/// This is how the CLI (and any caller holding a runtime list) builds an op's options.
pub fn dims_from_slice<const R: usize>(
    op: &'static str,
    argument: &'static str,
    values: &[i64],
) -> Result<[i64; R]> {
    match values {
        [one] => Ok([*one; R]),
        _ if values.len() == R => {
            let mut out = [0; R];
            out.copy_from_slice(values);
            Ok(out)
        }
        _ => Err(Error::argument(
            op,
            argument,
            if R == 1 {
                format!("must be a single int, but got {} values", values.len())
            } else {
                format!(
                    "must be a single int or a tuple of {R} ints, but got {} values",
                    values.len()
                )
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_one_value_and_takes_r_values() {
        assert_eq!(dims_from_slice::<3>("x", "k", &[2]).unwrap(), [2, 2, 2]);
        assert_eq!(dims_from_slice::<2>("x", "k", &[2, 5]).unwrap(), [2, 5]);
        assert!(dims_from_slice::<2>("x", "k", &[1, 2, 3]).is_err());
        assert!(dims_from_slice::<2>("x", "k", &[]).is_err());
        assert!(dims_from_slice::<1>("x", "k", &[1, 2]).is_err());
    }

    #[test]
    fn literals_and_arrays_convert() {
        assert_eq!(IntoDims::<2>::into_dims(3), [3, 3]);
        assert_eq!(IntoDims::<2>::into_dims([3, 1]), [3, 1]);
        assert_eq!(IntoDims::<1>::into_dims(usize::MAX), [i64::MAX]);
    }
}
