//! The workgroup counts of an unpooling's passes after the window check, which the GPU
//! chooses between: `counts` in `shaders/max_unpool_check.wgsl`.

use crate::context::Context;
use crate::error::Result;
use crate::tensor::Tensor;

/// Words in the counts buffer.
const WORDS: usize = 26;
/// The counts the dispatches read, three words per [`Pass`].
const COUNTS: usize = 0;
/// The board passes' counts, which replace them when `NOT_IN_WINDOW` is set.
const BOARD_COUNTS: usize = 12;
/// Set by the check when some index lies outside its own window.
pub(super) const NOT_IN_WINDOW: usize = 24;
const _: () = assert!(BOARD_COUNTS + 12 <= NOT_IN_WINDOW && NOT_IN_WINDOW < WORDS);

/// The dispatches the GPU sizes, in the order of their counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass {
    /// The window gather.
    Windows,
    /// Zeroing the board of winners.
    ClearBoard,
    /// The board's scatter.
    Scatter,
    /// The board's gather.
    Gather,
}

impl Pass {
    const ALL: [Pass; 4] = [Pass::Windows, Pass::ClearBoard, Pass::Scatter, Pass::Gather];

    /// Where the dispatch's three counts lie in the buffer, in bytes.
    pub(super) fn offset(self) -> u64 {
        ((COUNTS + 3 * self as usize) * 4) as u64
    }
}

/// A call's counts buffer, as int64s so that [`UnpoolStatus`](super::UnpoolStatus) can
/// download it: `grid` gives each [`Pass`]'s counts, set for the window gather alone, the
/// board's ready to replace them.
pub(super) fn counts_buffer(ctx: &Context, grid: impl Fn(Pass) -> [u32; 3]) -> Result<Tensor<i64>> {
    let buffer = ctx.create_buffer_init(
        "wgpool.max_unpool.counts",
        bytemuck::cast_slice(&initial_words(grid)),
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::INDIRECT | wgpu::BufferUsages::COPY_SRC,
    )?;
    Tensor::from_buffer(buffer, &[WORDS / 2])
}

fn initial_words(grid: impl Fn(Pass) -> [u32; 3]) -> [u32; WORDS] {
    let mut words = [0; WORDS];
    for pass in Pass::ALL {
        let at = 3 * pass as usize
            + if pass == Pass::Windows {
                COUNTS
            } else {
                BOARD_COUNTS
            };
        words[at..at + 3].copy_from_slice(&grid(pass));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_gather_stands_and_the_board_waits() {
        let words = initial_words(|pass| [10 + pass as u32, 1, 1]);
        assert_eq!(&words[COUNTS..COUNTS + 3], &[10, 1, 1]);
        assert_eq!(
            &words[COUNTS + 3..BOARD_COUNTS],
            &[0; 9],
            "no board pass runs"
        );
        assert_eq!(
            &words[BOARD_COUNTS..BOARD_COUNTS + 3],
            &[0; 3],
            "nor the windows after"
        );
        assert_eq!(
            &words[BOARD_COUNTS + 3..NOT_IN_WINDOW],
            &[11, 1, 1, 12, 1, 1, 13, 1, 1],
            "the board's counts in order"
        );
        assert_eq!(&words[NOT_IN_WINDOW..], &[0, 0], "unmarked");
        assert_eq!(Pass::Scatter.offset(), 6 * 4);
    }

    #[test]
    fn the_shader_places_the_words_where_the_host_does() {
        let shader = include_str!("../../../shaders/max_unpool_check.wgsl");
        for (name, value) in [
            ("COUNTS", COUNTS),
            ("BOARD_COUNTS", BOARD_COUNTS),
            ("COUNT_WORDS", BOARD_COUNTS - COUNTS),
            ("NOT_IN_WINDOW", NOT_IN_WINDOW),
        ] {
            let line = format!("const {name}: u32 = {value}u;");
            assert!(
                shader.contains(&line),
                "max_unpool_check.wgsl lacks `{line}`"
            );
        }
    }
}
