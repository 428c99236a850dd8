//! Memory formats: where a tensor's channel dimension lies in memory. Shapes are always given
//! in PyTorch's logical order (`N, C, *spatial`); only the order of the elements in the buffer
//! differs, as with PyTorch's `torch.channels_last`.

use crate::error::{Error, Result};

/// The order of a tensor's elements in its buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MemoryFormat {
    /// Row-major in shape order (PyTorch's `torch.contiguous_format`).
    #[default]
    Contiguous,
    /// Dimension 1 (the channels of a batched input) stored innermost: `N, L, C` for 3-d
    /// tensors, `N, H, W, C` for 4-d (PyTorch's `torch.channels_last`) and `N, D, H, W, C` for
    /// 5-d (`torch.channels_last_3d`). Pools read four channels at a time when `C` is a multiple
    /// of 4.
    ChannelsLast,
}

impl MemoryFormat {
    /// PyTorch's name for the format.
    pub fn name(self) -> &'static str {
        match self {
            MemoryFormat::Contiguous => "contiguous_format",
            MemoryFormat::ChannelsLast => "channels_last",
        }
    }

    /// Refuses a format that `shape` cannot have: channels-last needs a batch and a channel
    /// dimension before at least one more (rank 3 or more).
    pub fn check(self, shape: &[usize]) -> Result<()> {
        if self == MemoryFormat::ChannelsLast && shape.len() < 3 {
            return Err(Error::TensorMismatch(format!(
                "channels_last needs a tensor of rank 3 or more (N, C, ...), but the shape is \
                 {shape:?}"
            )));
        }
        Ok(())
    }

    /// `data`, row-major in `shape` order, rearranged into this format's memory order.
    pub fn from_contiguous<T: Copy>(self, data: &[T], shape: &[usize]) -> Result<Vec<T>> {
        self.check(shape)?;
        Ok(match self {
            MemoryFormat::Contiguous => data.to_vec(),
            MemoryFormat::ChannelsLast => Transpose::to_channels_last(shape).transpose(data),
        })
    }

    /// `data`, in this format's memory order for `shape`, rearranged into row-major order.
    pub fn to_contiguous<T: Copy>(self, data: &[T], shape: &[usize]) -> Result<Vec<T>> {
        self.check(shape)?;
        Ok(match self {
            MemoryFormat::Contiguous => data.to_vec(),
            MemoryFormat::ChannelsLast => {
                Transpose::to_channels_last(shape).inverse().transpose(data)
            }
        })
    }
}

impl std::str::FromStr for MemoryFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "contiguous" | "contiguous_format" => Ok(MemoryFormat::Contiguous),
            "channels_last" | "channels_last_3d" => Ok(MemoryFormat::ChannelsLast),
            other => Err(format!(
                "unknown memory format '{other}' (expected contiguous or channels_last)"
            )),
        }
    }
}

/// `batches` row-major `rows x cols` matrices, each turned into its `cols x rows` transpose:
/// contiguous to channels-last is rows = C, cols = the spatial size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Transpose {
    pub batches: usize,
    pub rows: usize,
    pub cols: usize,
}

impl Transpose {
    /// Contiguous to channels-last for `shape` (rank 3 or more): rows = C, cols = the spatial
    /// size.
    pub fn to_channels_last(shape: &[usize]) -> Transpose {
        Transpose {
            batches: shape[0],
            rows: shape[1],
            cols: shape[2..].iter().product(),
        }
    }

    /// The transpose that undoes this one.
    pub fn inverse(self) -> Transpose {
        Transpose {
            rows: self.cols,
            cols: self.rows,
            ..self
        }
    }

    /// Applies the transpose on the host.
    pub fn transpose<T: Copy>(self, data: &[T]) -> Vec<T> {
        let matrix = self.rows * self.cols;
        let mut out = Vec::with_capacity(data.len());
        for batch in data.chunks(matrix.max(1)).take(self.batches) {
            for col in 0..self.cols {
                out.extend((0..self.rows).map(|row| batch[row * self.cols + col]));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryFormat;

    #[test]
    fn channels_last_moves_dimension_one_innermost_and_back() {
        let shape = [2, 3, 2, 2];
        let data: Vec<u32> = (0..24).collect();
        let last = MemoryFormat::ChannelsLast
            .from_contiguous(&data, &shape)
            .unwrap();
        // Element (n, c, h, w) sits at ((n * 2 + h) * 2 + w) * 3 + c.
        for (i, &v) in data.iter().enumerate() {
            let (n, c, h, w) = (i / 12, i / 4 % 3, i / 2 % 2, i % 2);
            assert_eq!(last[((n * 2 + h) * 2 + w) * 3 + c], v, "element {i}");
        }
        assert_eq!(
            MemoryFormat::ChannelsLast
                .to_contiguous(&last, &shape)
                .unwrap(),
            data
        );
        assert_eq!(
            MemoryFormat::Contiguous
                .from_contiguous(&data, &shape)
                .unwrap(),
            data
        );
        assert!(MemoryFormat::ChannelsLast
            .from_contiguous(&data, &[4, 6])
            .is_err());
    }

    #[test]
    fn channels_last_needs_rank_three() {
        assert!(MemoryFormat::ChannelsLast.check(&[4, 5]).is_err());
        assert!(MemoryFormat::ChannelsLast.check(&[1, 4, 5]).is_ok());
        assert!(MemoryFormat::Contiguous.check(&[5]).is_ok());
    }
}
