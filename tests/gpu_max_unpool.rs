//! MaxUnpool1d/2d/3d on the GPU against the CPU reference: a seeded random grid (values bit-exact,
//! refusals and invalid-index errors identical, duplicates resolved the same way), the spec's
//! worked examples, round trips after max pooling, the output_size window, bad indices,
//! N=0 and empty outputs, the encoder-level API with its status, and large outputs with many
//! duplicates to shake out races.

mod common;
#[path = "common/random.rs"]
mod random;

use std::fmt::Display;

use random::{assert_bits_eq, fill, Fill, Rng, FILLS};
use wgpool::{
    functional, Array, Context, Error, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool, MaxUnpool1d,
    MaxUnpool2d, MaxUnpool3d, Tensor, UnpoolPath,
};

/// An index that is 5 in its low 32 bits: it must be refused, never read as 5.
const WRAPS_TO_FIVE: i64 = (1 << 32) + 5;

/// Unpools on the CPU reference and (when there is a GPU) on the GPU through `forward` and
/// through `encode` + `UnpoolStatus::check`. Errors must be identical everywhere (variant,
/// index and position included), results bit-identical. Returns the CPU result, and the path
/// the GPU took where it unpooled.
fn check_unpool<const R: usize>(
    ctx: Option<&Context>,
    options: &MaxUnpool<R>,
    shape: &[usize],
    data: &[f32],
    indices: &[i64],
    output_size: Option<&[i64]>,
    what: &dyn Display,
) -> (wgpool::Result<Array<f32>>, Option<UnpoolPath>) {
    let cpu = wgpool::cpu::max_unpool(options, data, shape, indices, shape, output_size);
    match (options.plan(shape, shape, output_size), &cpu) {
        (Err(plan), Err(cpu)) => assert_eq!(format!("{plan:?}"), format!("{cpu:?}"), "{what}"),
        (Err(plan), Ok(_)) => panic!("{what}: plan refused ({plan}) but the CPU accepted"),
        (Ok(plan), Ok(cpu)) => assert_eq!(plan.output_shape, cpu.shape, "{what}"),
        (Ok(_), Err(cpu)) => assert!(
            matches!(cpu, Error::InvalidIndex { .. }),
            "{what}: planned, then the CPU refused with {cpu:?}"
        ),
    }
    let Some(ctx) = ctx else { return (cpu, None) };
    let input = Tensor::upload(ctx, data, shape).unwrap_or_else(|e| panic!("{what}: {e}"));
    let index_tensor =
        Tensor::upload(ctx, indices, shape).unwrap_or_else(|e| panic!("{what}: {e}"));
    let forward = options.forward(ctx, &input, &index_tensor, output_size);
    let mut encoder = ctx.encoder();
    let encoded = options.encode(ctx, &mut encoder, &input, &index_tensor, output_size);
    ctx.submit(encoder).unwrap();
    let mut path = None;
    let encoded = encoded.and_then(|(output, status)| {
        status.check(ctx)?;
        path = Some(status.path(ctx)?);
        Ok(output)
    });
    for (how, gpu) in [("forward", forward), ("encode", encoded)] {
        match (&cpu, gpu) {
            (Err(cpu), Err(gpu)) => {
                assert_eq!(format!("{gpu:?}"), format!("{cpu:?}"), "{what}: {how}")
            }
            (Ok(cpu), Ok(gpu)) => {
                assert_eq!(gpu.shape(), cpu.shape.as_slice(), "{what}: {how}");
                let got = gpu.download(ctx).unwrap();
                assert_bits_eq(&got, &cpu.data, &format_args!("{what}: {how}"));
            }
            (Err(cpu), Ok(_)) => panic!("{what}: {how}: the GPU accepted, the CPU said {cpu}"),
            (Ok(_), Err(gpu)) => panic!("{what}: {how}: the GPU refused ({gpu}), the CPU not"),
        }
    }
    (cpu, path)
}

/// PyTorch's default output size of one dim, written out independently of the library.
fn default_size(input: usize, kernel: i64, stride: i64, padding: i64) -> i64 {
    (input as i64 - 1) * stride + kernel - 2 * padding
}

// ---------------------------------------------------------------------------------------------
// The random grid.

/// One random call: options, input shape, and the `output_size` argument.
struct RandomCall<const R: usize> {
    options: MaxUnpool<R>,
    shape: Vec<usize>,
    output_size: Option<Vec<i64>>,
}

/// kernel 1..=4, stride None or 1..=4, padding 0..=k/2; rarely a padding that makes the
/// default negative, or a 3d stride of 0. Shapes: batched (N in 0..=3) or not, C in 1..=3,
/// spatial 1..=`max_len`; rarely C=0, a zero dim or a wrong rank. `output_size`: half the time
/// explicit, within `stride - 1` of the default (its r or r+2 form), sometimes exactly `stride`
/// off (refused).
fn random_call<const R: usize>(rng: &mut Rng, max_len: i64) -> RandomCall<R> {
    let kernel: [i64; R] = std::array::from_fn(|_| rng.range(1, 4));
    let mut options = MaxUnpool::<R>::new(kernel);
    if rng.percent(60) {
        options.stride = Some(std::array::from_fn(|_| rng.range(1, 4)));
    }
    options.padding = std::array::from_fn(|a| rng.range(0, kernel[a] / 2));
    if rng.percent(4) {
        options.padding[rng.below(R as u64) as usize] = rng.range(2, 6);
    }
    if R == 3 && rng.percent(3) {
        let mut stride = [1; R];
        stride[0] = rng.pick(&[0, -1]);
        options.stride = Some(stride);
    }
    let mut shape = Vec::new();
    if rng.percent(70) {
        shape.push(rng.pick(&[0, 1, 1, 2, 3]));
    }
    shape.push(if rng.percent(2) {
        0
    } else {
        rng.range(1, 3) as usize
    });
    let rank = if rng.percent(2) { R + 1 } else { R };
    for _ in 0..rank {
        shape.push(if rng.percent(2) {
            0
        } else {
            rng.range(1, max_len) as usize
        });
    }
    let output_size = rng.percent(50).then(|| {
        let stride = options.stride.unwrap_or(kernel);
        let spatial = &shape[shape.len() - R.min(shape.len())..];
        let mut sizes: Vec<i64> = (0..R)
            .map(|a| {
                let len = spatial.get(a).copied().unwrap_or(1);
                let default = default_size(len, kernel[a], stride[a], options.padding[a]);
                let s = stride[a].max(1);
                default + rng.range(-(s - 1), s - 1)
            })
            .collect();
        if rng.percent(8) {
            let a = rng.below(R as u64) as usize;
            sizes[a] += stride[a] * rng.pick(&[-1, 1]);
        }
        if rng.coin() {
            // The r+2 form: PyTorch ignores the leading N and C.
            sizes.splice(0..0, [rng.range(-3, 9), rng.range(-3, 9)]);
        }
        sizes
    });
    RandomCall {
        options,
        shape,
        output_size,
    }
}

/// Indices for `len` inputs into planes of `out_plane` elements: spread over the plane, or
/// crowded onto a few positions (duplicates); sometimes salted with invalid ones.
fn random_indices(rng: &mut Rng, len: usize, out_plane: i64) -> Vec<i64> {
    if out_plane <= 0 {
        return (0..len).map(|_| rng.range(-2, 4)).collect();
    }
    let crowd: Vec<i64> = (0..rng.range(1, 3))
        .map(|_| rng.range(0, out_plane - 1))
        .collect();
    let crowded = rng.percent(40);
    let mut indices: Vec<i64> = (0..len)
        .map(|_| {
            if crowded {
                rng.pick(&crowd)
            } else {
                rng.range(0, out_plane - 1)
            }
        })
        .collect();
    if len > 0 && rng.percent(12) {
        for _ in 0..rng.range(1, 3) {
            let at = rng.below(len as u64) as usize;
            indices[at] = rng.pick(&[
                -1,
                out_plane,
                out_plane + 7,
                WRAPS_TO_FIVE,
                (1 << 32) + out_plane - 1,
                -(1 << 32),
                i64::MIN,
                i64::MAX,
            ]);
        }
    }
    indices
}

/// Indices as max pooling with the call's kernel, stride and padding would give: each input
/// element's index names a random cell of its own window clipped to the output (neighbouring
/// windows overlap, so some name the same cell). An element whose window lies outside the
/// output names a random cell; sometimes one element names a cell outside its window on
/// purpose. Either sends the GPU from the window gather to the board.
fn window_indices<const R: usize>(
    rng: &mut Rng,
    options: &MaxUnpool<R>,
    shape: &[usize],
    out: &[usize],
) -> Vec<i64> {
    let spatial = &shape[shape.len() - R..];
    let plane: usize = spatial.iter().product();
    let out_plane: usize = out.iter().product();
    let stride = options.stride.unwrap_or(options.kernel_size);
    let len: usize = shape.iter().product();
    let mut indices: Vec<i64> = (0..len)
        .map(|e| {
            let mut rest = e % plane;
            let mut index = 0;
            for a in (0..R).rev() {
                let x = (rest % spatial[a]) as i64;
                rest /= spatial[a];
                let start = x * stride[a] - options.padding[a];
                let first = start.max(0);
                let last = (start + options.kernel_size[a]).min(out[a] as i64) - 1;
                if first > last {
                    return rng.range(0, out_plane as i64 - 1);
                }
                let below: usize = out[a + 1..].iter().product();
                index += rng.range(first, last) * below as i64;
            }
            index
        })
        .collect();
    if len > 0 && rng.percent(15) {
        let at = rng.below(len as u64) as usize;
        indices[at] = rng.range(0, out_plane as i64 - 1);
    }
    indices
}

/// Whether the GPU checks a call's indices against its windows (`UnpoolPath`'s rule, written
/// out): kernel and stride from 1 to 8, padding from 0 to the kernel.
fn window_check_applies<const R: usize>(options: &MaxUnpool<R>) -> bool {
    let stride = options.stride.unwrap_or(options.kernel_size);
    (0..R).all(|a| {
        let k = options.kernel_size[a];
        (1..=8).contains(&k)
            && (1..=8).contains(&stride[a])
            && (0..=k).contains(&options.padding[a])
    })
}

/// What the grid reached, so that a grid that silently stops covering something fails.
#[derive(Debug, Default)]
struct Coverage {
    refused: usize,
    invalid_index: usize,
    valid: usize,
    unbatched: usize,
    empty_batch: usize,
    explicit_size: usize,
    explicit_with_batch_dims: usize,
    empty_output: usize,
    duplicates: usize,
    nan_output: usize,
    /// Valid calls unpooled by the window gather, and by the board after the window check.
    window_path: usize,
    board_after_check: usize,
    /// Window-path calls whose output has an odd number of rows above one: the gather works in
    /// pairs of rows, and the last pair holds one (2d and 3d only).
    window_path_odd_rows: usize,
}

impl Coverage {
    fn note<const R: usize>(
        &mut self,
        call: &RandomCall<R>,
        indices: &[i64],
        (result, path): &(wgpool::Result<Array<f32>>, Option<UnpoolPath>),
    ) {
        let values = match result {
            Ok(values) => values,
            Err(Error::InvalidIndex { .. }) => {
                self.invalid_index += 1;
                return;
            }
            Err(_) => {
                self.refused += 1;
                return;
            }
        };
        self.valid += 1;
        let batched = call.shape.len() == R + 2;
        self.unbatched += usize::from(!batched);
        self.empty_batch += usize::from(batched && call.shape[0] == 0);
        if let Some(sizes) = &call.output_size {
            self.explicit_size += 1;
            self.explicit_with_batch_dims += usize::from(sizes.len() == R + 2);
        }
        self.empty_output += usize::from(values.data.is_empty() && !indices.is_empty());
        let plane: usize = call.shape[call.shape.len() - R..].iter().product();
        let repeated = indices.chunks(plane.max(1)).any(|p| {
            let mut sorted = p.to_vec();
            sorted.sort_unstable();
            sorted.windows(2).any(|w| w[0] == w[1])
        });
        self.duplicates += usize::from(repeated && !values.data.is_empty());
        self.nan_output += usize::from(values.data.iter().any(|v| v.is_nan()));
        let checked = window_check_applies(&call.options);
        self.window_path += usize::from(*path == Some(UnpoolPath::Windows));
        self.board_after_check += usize::from(checked && *path == Some(UnpoolPath::Board));
        let shape = &values.shape;
        let rows = if R >= 2 { shape[shape.len() - 2] } else { 1 };
        self.window_path_odd_rows +=
            usize::from(*path == Some(UnpoolPath::Windows) && rows > 1 && rows % 2 == 1);
    }

    fn assert_complete(&self, rank: usize, cases: usize) {
        let fields = [
            ("refused", self.refused),
            ("invalid_index", self.invalid_index),
            ("valid", self.valid),
            ("unbatched", self.unbatched),
            ("empty_batch", self.empty_batch),
            ("explicit_size", self.explicit_size),
            ("explicit_with_batch_dims", self.explicit_with_batch_dims),
            ("empty_output", self.empty_output),
            ("duplicates", self.duplicates),
            ("nan_output", self.nan_output),
            ("window_path", self.window_path),
            ("board_after_check", self.board_after_check),
            ("window_path_odd_rows", self.window_path_odd_rows),
        ];
        let missing: Vec<_> = fields
            .iter()
            .filter(|(name, n)| *n == 0 && (rank >= 2 || *name != "window_path_odd_rows"))
            .collect();
        assert!(
            missing.is_empty(),
            "rank {rank}: the random grid never reached {missing:?} (seed {:#x}): {self:?}",
            random::seed()
        );
        assert!(
            self.valid * 2 >= cases,
            "rank {rank}: too few valid cases: {self:?}"
        );
    }
}

fn random_grid<const R: usize>(cases: usize, max_len: i64) {
    let Some(ctx) = common::gpu() else { return };
    let seed = random::seed();
    let mut rng = Rng::new(seed, 300 + R as u64);
    let mut coverage = Coverage::default();
    for case in 0..cases {
        let call = random_call::<R>(&mut rng, max_len);
        let len: usize = call.shape.iter().product();
        let plan = call
            .options
            .plan(&call.shape, &call.shape, call.output_size.as_deref());
        let out_plane = plan.as_ref().map_or(4, |plan| plan.output_plane() as i64);
        let indices = match &plan {
            Ok(plan) if out_plane > 0 && rng.percent(40) => {
                let out: Vec<usize> = plan.output[3 - R..].iter().map(|&v| v as usize).collect();
                window_indices(&mut rng, &call.options, &call.shape, &out)
            }
            _ => random_indices(&mut rng, len, out_plane),
        };
        let kind = rng.pick(&FILLS);
        let data = fill(&mut rng, kind, len);
        let what = format!(
            "seed {seed:#x} case {case}: {:?} on {:?}, output_size {:?} ({kind:?})",
            call.options, call.shape, call.output_size
        );
        let result = check_unpool(
            Some(ctx),
            &call.options,
            &call.shape,
            &data,
            &indices,
            call.output_size.as_deref(),
            &what,
        );
        coverage.note(&call, &indices, &result);
    }
    coverage.assert_complete(R, cases);
}

#[test]
fn random_grid_max_unpool1d() {
    random_grid::<1>(500, 12);
}

#[test]
fn random_grid_max_unpool2d() {
    random_grid::<2>(500, 7);
}

#[test]
fn random_grid_max_unpool3d() {
    random_grid::<3>(400, 5);
}

// ---------------------------------------------------------------------------------------------
// Hand-worked cases from PYTORCH_POOLING.md §7, on the CPU reference and the GPU.

/// Unpools on the CPU and the GPU (which must agree) and returns the values.
fn unpool<const R: usize>(
    options: &MaxUnpool<R>,
    data: &[f32],
    indices: &[i64],
    shape: &[usize],
    output_size: Option<&[i64]>,
) -> Array<f32> {
    let what =
        format!("{options:?} on {shape:?}, indices {indices:?}, output_size {output_size:?}");
    check_unpool(
        common::gpu(),
        options,
        shape,
        data,
        indices,
        output_size,
        &what,
    )
    .0
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Unpools on the CPU and the GPU, which must both refuse with the same error; returns it.
fn unpool_err<const R: usize>(
    options: &MaxUnpool<R>,
    data: &[f32],
    indices: &[i64],
    shape: &[usize],
    output_size: Option<&[i64]>,
) -> Error {
    let what =
        format!("{options:?} on {shape:?}, indices {indices:?}, output_size {output_size:?}");
    match check_unpool(
        common::gpu(),
        options,
        shape,
        data,
        indices,
        output_size,
        &what,
    )
    .0
    {
        Ok(values) => panic!("{what}: accepted, gave {values:?}"),
        Err(e) => e,
    }
}

/// An `InvalidIndex` for `index` at `position` whose message is PyTorch's.
fn assert_invalid_index(error: &Error, op: &str, index: i64, position: u64, volume: &str) {
    match error {
        Error::InvalidIndex {
            op: o,
            index: i,
            position: p,
            output_volume,
        } => {
            assert_eq!(
                (*o, *i, *p, output_volume.as_str()),
                (op, index, position, volume),
                "{error:?}"
            );
            let pytorch = format!(
                "Found an invalid max index: {index} (output volumes are of size {volume})"
            );
            assert!(error.to_string().contains(&pytorch), "{error}");
        }
        other => panic!("expected InvalidIndex {index}, got {other:?}"),
    }
}

#[test]
fn spec_duplicates_the_largest_position_wins() {
    // [[1,2],[3,4]] with indices [[0,0],[0,5]] -> out[0] = 3 (PyTorch CPU's serial result).
    let out = unpool(
        &MaxUnpool2d::new(2),
        &[1.0, 2.0, 3.0, 4.0],
        &[0, 0, 0, 5],
        &[1, 1, 2, 2],
        None,
    );
    assert_eq!(out.shape, [1, 1, 4, 4]);
    let mut expected = [0.0; 16];
    expected[0] = 3.0;
    expected[5] = 4.0;
    assert_eq!(out.data, expected);
}

#[test]
fn spec_indices_are_read_in_the_output_layout() {
    // MaxPool2d(2) of 1..16 on 4x4: values 6, 8, 14, 16 at 5, 7, 13, 15. Unpooled to 5x5 they
    // land at (1,0), (1,2), (2,3), (3,0), not where they came from.
    let values = [6.0, 8.0, 14.0, 16.0];
    let indices = [5, 7, 13, 15];
    let out = unpool(
        &MaxUnpool2d::new(2),
        &values,
        &indices,
        &[1, 1, 2, 2],
        Some(&[5, 5]),
    );
    assert_eq!(out.shape, [1, 1, 5, 5]);
    let mut expected = [0.0; 25];
    for ((row, col), value) in [(1, 0), (1, 2), (2, 3), (3, 0)].into_iter().zip(values) {
        expected[row * 5 + col] = value;
    }
    assert_eq!(out.data, expected);
    // With the default size (4x4) the positions round-trip.
    let out = unpool(&MaxUnpool2d::new(2), &values, &indices, &[1, 2, 2], None);
    assert_eq!(out.shape, [1, 4, 4]);
    let mut expected = [0.0; 16];
    for (at, value) in indices.into_iter().zip(values) {
        expected[at as usize] = value;
    }
    assert_eq!(out.data, expected);
}

#[test]
fn spec_bad_index_messages() {
    // 2d: 4x4 output, index 16.
    let e = unpool_err(
        &MaxUnpool2d::new(2),
        &[1.0, 2.0, 3.0, 4.0],
        &[0, 16, 2, 3],
        &[1, 1, 2, 2],
        None,
    );
    assert_invalid_index(&e, "max_unpool2d", 16, 1, "4x4");
    assert!(e.to_string().starts_with(
        "max_unpool2d: Found an invalid max index: 16 (output volumes are of size 4x4)"
    ));
    // 1d names the size as PyTorch's 2d view does: Lx1.
    let e = unpool_err(
        &MaxUnpool1d::new(2),
        &[1.0, 2.0],
        &[10000, 3],
        &[1, 1, 2],
        None,
    );
    assert_invalid_index(&e, "max_unpool1d", 10000, 0, "4x1");
    // 3d: DxHxW.
    let e = unpool_err(
        &MaxUnpool3d::new([1, 2, 2]),
        &[1.0; 4],
        &[0, 1, -1, 2],
        &[1, 2, 1, 2],
        None,
    );
    assert_invalid_index(&e, "max_unpool3d", -1, 2, "2x2x4");
}

#[test]
fn spec_index_range_edges() {
    // Default output 4x4: prod = 16.
    let options = MaxUnpool2d::new(2);
    let shape = [1, 1, 2, 2];
    let data = [1.0, 2.0, 3.0, 4.0];
    let out = unpool(&options, &data, &[15, 0, 1, 2], &shape, None);
    assert_eq!(
        (out.data[15], out.data[0], out.data[1], out.data[2]),
        (1.0, 2.0, 3.0, 4.0)
    );
    for bad in [
        -1,
        16,
        WRAPS_TO_FIVE,
        (1 << 32) + 15,
        -(1 << 32),
        i64::MIN,
        i64::MAX,
    ] {
        let e = unpool_err(&options, &data, &[0, 1, bad, 3], &shape, None);
        assert_invalid_index(&e, "max_unpool2d", bad, 2, "4x4");
    }
}

#[test]
fn an_index_valid_only_for_a_bigger_output() {
    let options = MaxUnpool2d::new(2);
    let shape = [1, 1, 2, 2];
    let data = [1.0, 2.0, 3.0, 4.0];
    // 20 is outside the default 4x4 plane, inside a 5x5 one.
    let e = unpool_err(&options, &data, &[0, 20, 1, 2], &shape, None);
    assert_invalid_index(&e, "max_unpool2d", 20, 1, "4x4");
    let out = unpool(&options, &data, &[0, 20, 1, 2], &shape, Some(&[5, 5]));
    assert_eq!(
        (out.data[20], out.data.iter().filter(|v| **v != 0.0).count()),
        (2.0, 4)
    );
    // ... and outside a 3x3 one, which the size window (2 < 3 < 6) allows.
    let e = unpool_err(&options, &data, &[0, 9, 1, 2], &shape, Some(&[3, 3]));
    assert_invalid_index(&e, "max_unpool2d", 9, 1, "3x3");
}

/// With several invalid indices, the last in row-major order over the whole tensor is named
/// (PyTorch's serial loop reports the last one it met), on the GPU as on the CPU.
#[test]
fn the_last_invalid_index_is_reported() {
    let options = MaxUnpool1d::new(2);
    let data = [1.0; 8];
    let indices = [-5, 0, 1, 9, 2, 3, 77, 0];
    let e = unpool_err(&options, &data, &indices, &[2, 2, 2], None);
    assert_invalid_index(&e, "max_unpool1d", 77, 6, "4x1");
    // The conformance case 0193: PyTorch named 46, the last of many.
    let e = unpool_err(
        &MaxUnpool2d::new([3, 1]).stride([1, 2]).padding([1, 0]),
        &[0.5; 24],
        &[
            0, 38, 1, 2, 3, 40, 46, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        ],
        &[1, 1, 12, 2],
        None,
    );
    assert_invalid_index(&e, "max_unpool2d", 46, 6, "12x3");
}

#[test]
fn duplicates_in_every_plane_last_in_scan_order_wins() {
    // 3 planes of 6 inputs; plane p sends all inputs to position p, except the last input of
    // plane 1, which goes elsewhere. Values are distinct so the winner is visible.
    let options = MaxUnpool1d::new(2);
    let data: Vec<f32> = (0..18).map(|v| v as f32 + 0.5).collect();
    let mut indices: Vec<i64> = (0..18).map(|e| e / 6).collect();
    indices[11] = 7;
    let out = unpool(&options, &data, &indices, &[3, 6], None);
    assert_eq!(out.shape, [3, 12]);
    let mut expected = vec![0.0; 36];
    expected[0] = 5.5; // plane 0: input 5 wins position 0
    expected[12 + 1] = 10.5; // plane 1: input 10 wins position 1 (11 went to 7)
    expected[12 + 7] = 11.5;
    expected[24 + 2] = 17.5; // plane 2: input 17 wins position 2
    assert_eq!(out.data, expected);
    // NaN payloads and signed zeros travel bit for bit, and a NaN is no special winner.
    let nan = f32::from_bits(0x7fc0_1234);
    let out = unpool(
        &options,
        &[nan, -0.0, 2.0, nan],
        &[1, 0, 1, 3],
        &[1, 4],
        None,
    );
    assert_eq!(
        out.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        [0x8000_0000, 2.0f32.to_bits(), 0, nan.to_bits(), 0, 0, 0, 0]
    );
}

// ---------------------------------------------------------------------------------------------
// Sizes.

#[test]
fn stride_none_equals_explicit_stride() {
    let mut rng = Rng::new(random::seed(), 21);
    let shape = [2, 3, 3, 4];
    let data = fill(&mut rng, Fill::Special, 72);
    for (k, p) in [([2, 3], [0, 1]), ([3, 1], [1, 0]), ([1, 1], [0, 0])] {
        let implicit = MaxUnpool2d::new(k).padding(p);
        let explicit = implicit.stride(k);
        let out_plane = implicit.plan(&shape, &shape, None).unwrap().output_plane() as i64;
        let indices: Vec<i64> = (0..72).map(|_| rng.range(0, out_plane - 1)).collect();
        let a = unpool(&implicit, &data, &indices, &shape, None);
        let b = unpool(&explicit, &data, &indices, &shape, None);
        assert_eq!(a.shape, b.shape);
        assert_bits_eq(&a.data, &b.data, &format_args!("kernel {k:?}"));
    }
}

#[test]
fn output_size_window_is_strictly_within_stride_of_the_default() {
    // 1d: in 3, k 3, s 2, p 1 -> default (3-1)*2 + 3 - 2 = 5; accepted 4..=6, refused 3 and 7.
    let options = MaxUnpool1d::new(3).stride(2).padding(1);
    let data = [1.0, 2.0, 3.0];
    for (size, ok) in [(3, false), (4, true), (5, true), (6, true), (7, false)] {
        for sizes in [vec![size], vec![9, -4, size]] {
            if ok {
                let out = unpool(&options, &data, &[0, 1, 3], &[1, 3], Some(&sizes));
                assert_eq!(out.shape, [1, size as usize], "{sizes:?}");
                assert_eq!(&out.data[..4], &[1.0, 2.0, 0.0, 3.0]);
            } else {
                let e = unpool_err(&options, &data, &[0, 1, 3], &[1, 3], Some(&sizes));
                let expected =
                    format!("invalid output_size \"({size},)\" (dim 0 must be between 3 and 7)");
                assert!(
                    matches!(&e, Error::InvalidArgument { argument: "output_size", message, .. } if *message == expected),
                    "{e:?}"
                );
            }
        }
    }
    // 3d, the spec's example per dim: MaxPool(3, 2) on 5 has default 5, so 4, 5, 6 accepted.
    let options = MaxUnpool3d::new(3).stride(2);
    let shape = [1, 1, 2, 2, 2];
    let indices = [0, 1, 2, 3, 4, 5, 6, 7];
    for d in [4, 5, 6] {
        for sizes in [vec![d, 6, 4], vec![1, 1, 4, d, 6]] {
            let out = unpool(&options, &[1.0; 8], &indices, &shape, Some(&sizes));
            assert_eq!(
                out.shape[2..],
                sizes[sizes.len() - 3..]
                    .iter()
                    .map(|&v| v as usize)
                    .collect::<Vec<_>>()
            );
        }
    }
    for (sizes, dim, min, max) in [
        ([3, 5, 5], 0, 3, 7),
        ([5, 7, 5], 1, 3, 7),
        ([5, 5, 3], 2, 3, 7),
    ] {
        let e = unpool_err(&options, &[1.0; 8], &indices, &shape, Some(&sizes));
        let needle = format!("dim {dim} must be between {min} and {max}");
        assert!(e.to_string().contains(&needle), "{e}");
    }
}

#[test]
fn empty_batch_and_empty_outputs() {
    // N = 0: an empty output of the default or the given size, on every rank.
    let out = unpool(&MaxUnpool1d::new(2), &[], &[], &[0, 3, 4], None);
    assert_eq!((out.shape.as_slice(), out.data.len()), (&[0, 3, 8][..], 0));
    let out = unpool(&MaxUnpool2d::new(2), &[], &[], &[0, 2, 3, 3], Some(&[7, 5]));
    assert_eq!(
        (out.shape.as_slice(), out.data.len()),
        (&[0, 2, 7, 5][..], 0)
    );
    let out = unpool(
        &MaxUnpool3d::new([1, 2, 2]),
        &[],
        &[],
        &[0, 1, 1, 2, 2],
        None,
    );
    assert_eq!(
        (out.shape.as_slice(), out.data.len()),
        (&[0, 1, 1, 4, 4][..], 0)
    );
    // An output size of 0: empty, and PyTorch runs no kernel, so no index is checked.
    // (Default 1, stride 3: the window is -2 < size < 4.)
    let options = MaxUnpool1d::new(1).stride(3);
    let out = unpool(&options, &[1.0, 2.0], &[5, -1], &[2, 1], Some(&[0]));
    assert_eq!((out.shape.as_slice(), out.data.len()), (&[2, 0][..], 0));
    let out = unpool(
        &MaxUnpool2d::new([1, 2]).stride([3, 2]),
        &[1.0; 4],
        &[0, 1, 2, 3],
        &[1, 1, 1, 4],
        Some(&[0, 8]),
    );
    assert_eq!(
        (out.shape.as_slice(), out.data.len()),
        (&[1, 1, 0, 8][..], 0)
    );
    // A default of 0: k - 2p = 0 on a length-1 input.
    let out = unpool(&MaxUnpool1d::new(2).padding(1), &[3.0], &[0], &[1, 1], None);
    assert_eq!((out.shape.as_slice(), out.data.len()), (&[1, 0][..], 0));
}

#[test]
fn unbatched_equals_batch_of_one() {
    let mut rng = Rng::new(random::seed(), 22);
    fn check<const R: usize>(rng: &mut Rng, options: MaxUnpool<R>) {
        let shape: Vec<usize> = [1, 3, 4, 3, 2][..R + 2].to_vec();
        let len: usize = shape.iter().product();
        let out_plane = options.plan(&shape, &shape, None).unwrap().output_plane() as i64;
        let data = fill(rng, Fill::SmallInts, len);
        let indices: Vec<i64> = (0..len).map(|_| rng.range(0, out_plane - 1)).collect();
        let batched = unpool(&options, &data, &indices, &shape, None);
        let unbatched = unpool(&options, &data, &indices, &shape[1..], None);
        assert_eq!(batched.shape[1..], unbatched.shape);
        assert_bits_eq(&batched.data, &unbatched.data, &format_args!("{options:?}"));
    }
    check(&mut rng, MaxUnpool1d::new(3).stride(2).padding(1));
    check(&mut rng, MaxUnpool2d::new([2, 3]).padding([1, 0]));
    check(&mut rng, MaxUnpool3d::new(2).stride([1, 2, 3]));
}

// ---------------------------------------------------------------------------------------------
// Round trips after max pooling, on the GPU without a read-back in between.

#[test]
fn round_trip_after_max_pool() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 23);

    // 2d, overlapping windows (duplicate indices of equal values) and padding.
    let shape = [2, 3, 9, 8];
    let data = fill(&mut rng, Fill::SmallInts, shape.iter().product());
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    for (pool, unpool, output_size) in [
        (MaxPool2d::new(2), MaxUnpool2d::new(2), None),
        (
            MaxPool2d::new(3).stride(2).padding(1),
            MaxUnpool2d::new(3).stride(2).padding(1),
            Some(&[9i64, 8][..]),
        ),
        (
            MaxPool2d::new([3, 2]).stride(1),
            MaxUnpool2d::new([3, 2]).stride(1),
            None,
        ),
    ] {
        let (values, indices) = pool.forward_with_indices(ctx, &input).unwrap();
        let mut encoder = ctx.encoder();
        let (out, status) = unpool
            .encode(ctx, &mut encoder, &values, &indices, output_size)
            .unwrap();
        ctx.submit(encoder).unwrap();
        status.check(ctx).unwrap();
        // Max pooling's indices lie inside their windows: one gather unpools them.
        assert_eq!(status.path(ctx).unwrap(), UnpoolPath::Windows, "{unpool:?}");
        let (cpu_values, cpu_indices) = wgpool::cpu::max_pool(&pool, &data, &shape).unwrap();
        let expected = wgpool::cpu::max_unpool(
            &unpool,
            &cpu_values.data,
            &cpu_values.shape,
            &cpu_indices.data,
            &cpu_indices.shape,
            output_size,
        )
        .unwrap();
        assert_eq!(out.shape(), expected.shape.as_slice());
        let got = out.download(ctx).unwrap();
        assert_bits_eq(&got, &expected.data, &format_args!("{pool:?}"));
        // Where the output plane has the input's size, every maximum is back in its place.
        if expected.shape == shape {
            for (i, &v) in got.iter().enumerate() {
                assert!(
                    v == 0.0 || v == data[i],
                    "output {i}: {v} vs input {}",
                    data[i]
                );
            }
            let kept = got
                .iter()
                .zip(&data)
                .filter(|(g, d)| *g == *d && **d != 0.0)
                .count();
            assert!(kept > 0);
        }
    }

    // 1d and 3d, with distinct values: the maxima land exactly where they were.
    let shape = [2, 2, 10];
    let data: Vec<f32> = (0..40).map(|v| ((v * 17) % 40) as f32 + 1.0).collect();
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let (values, indices) = MaxPool1d::new(2).forward_with_indices(ctx, &input).unwrap();
    let out = MaxUnpool1d::new(2)
        .forward(ctx, &values, &indices, None)
        .unwrap();
    let got = out.download(ctx).unwrap();
    for (i, pair) in data.chunks(2).enumerate() {
        let at = if pair[0] > pair[1] { 2 * i } else { 2 * i + 1 };
        assert_eq!((got[at], got[at ^ 1]), (data[at], 0.0), "window {i}");
    }
    let shape = [1, 4, 4, 4];
    let data: Vec<f32> = (0..64).map(|v| ((v * 29) % 64) as f32).collect();
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    // Through the torch.nn.functional-style entry points this time.
    let (values, indices) =
        functional::max_pool3d_with_indices(ctx, &input, &MaxPool3d::new(2)).unwrap();
    let out = functional::max_unpool3d(ctx, &values, &indices, &MaxUnpool3d::new(2), None).unwrap();
    let got = out.download(ctx).unwrap();
    let pooled = values.download(ctx).unwrap();
    assert_eq!(got.iter().filter(|v| **v != 0.0).count(), 8);
    for (v, &at) in pooled.iter().zip(&indices.download(ctx).unwrap()) {
        assert_eq!(got[at as usize], *v);
        assert_eq!(data[at as usize], *v);
    }
}

// ---------------------------------------------------------------------------------------------
// The encoder level and its status.

#[test]
fn encode_into_caller_tensors_and_check_the_status() {
    let Some(ctx) = common::gpu() else { return };
    let options = MaxUnpool2d::new(2);
    let shape = [1, 2, 2, 2];
    let input = Tensor::upload(ctx, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &shape).unwrap();
    let good = Tensor::upload(ctx, &[0i64, 3, 12, 15, 5, 5, 6, 10], &shape).unwrap();
    let bad = Tensor::upload(ctx, &[0i64, 3, 16, 15, 5, WRAPS_TO_FIVE, 6, 10], &shape).unwrap();

    // Two unpoolings and a pooling of the first in one encoder, one submit.
    let out = Tensor::empty(ctx, &[1, 2, 4, 4]).unwrap();
    let mut encoder = ctx.encoder();
    let ok = options
        .encode_into(ctx, &mut encoder, &input, &good, None, &out)
        .unwrap();
    let (out_bad, failed) = options
        .encode(ctx, &mut encoder, &input, &bad, None)
        .unwrap();
    let pooled = MaxPool2d::new(4).encode(ctx, &mut encoder, &out).unwrap();
    ctx.submit(encoder).unwrap();
    ok.check(ctx).unwrap();
    let e = failed.check(ctx).unwrap_err();
    assert_invalid_index(&e, "max_unpool2d", WRAPS_TO_FIVE, 5, "4x4");
    assert_eq!(out_bad.shape(), [1, 2, 4, 4]);
    let mut expected = vec![0.0; 32];
    for (e, at) in [0, 3, 12, 15, 16 + 5, 16 + 5, 16 + 6, 16 + 10]
        .into_iter()
        .enumerate()
    {
        expected[at] = e as f32 + 1.0;
    }
    assert_eq!(out.download(ctx).unwrap(), expected);
    assert_eq!(pooled.download(ctx).unwrap(), [4.0, 8.0]);
    // The status is a snapshot: checking twice says the same.
    assert_eq!(
        format!("{:?}", failed.check(ctx)),
        format!("{:?}", Err::<(), _>(e))
    );

    // Wrong output shapes are refused before anything is recorded.
    let mut encoder = ctx.encoder();
    for wrong in [&[1, 2, 16][..], &[1, 2, 5, 4], &[2, 4, 4]] {
        let output = Tensor::empty(ctx, wrong).unwrap();
        match options.encode_into(ctx, &mut encoder, &input, &good, None, &output) {
            Err(Error::TensorMismatch(message)) => {
                assert!(message.contains("max_unpool2d") && message.contains("[1, 2, 4, 4]"));
            }
            other => panic!("expected TensorMismatch, got {other:?}"),
        }
    }
    ctx.submit(encoder).unwrap();
}

/// An invalid index writes nothing anywhere: not at its low word (2^32 + 5 is not 5), not past
/// the output. The output lives in a bigger caller buffer whose tail must stay untouched.
#[test]
fn invalid_indices_write_nothing() {
    let Some(ctx) = common::gpu() else { return };
    let sentinel = 42.5f32;
    let buffer = Tensor::upload(ctx, &[sentinel; 64], &[64]).unwrap();
    let output = Tensor::from_buffer(buffer.buffer().clone(), &[1, 16]).unwrap();
    let input = Tensor::upload(ctx, &[1.0, 2.0, 3.0, 4.0], &[1, 4]).unwrap();
    let indices = Tensor::upload(ctx, &[WRAPS_TO_FIVE, 16, 40, (1 << 32) + 20], &[1, 4]).unwrap();
    let mut encoder = ctx.encoder();
    let status = MaxUnpool1d::new(4)
        .encode_into(ctx, &mut encoder, &input, &indices, None, &output)
        .unwrap();
    ctx.submit(encoder).unwrap();
    assert_invalid_index(
        &status.check(ctx).unwrap_err(),
        "max_unpool1d",
        (1 << 32) + 20,
        3,
        "16x1",
    );
    let all = buffer.download(ctx).unwrap();
    assert_eq!(&all[..16], &[0.0; 16], "nothing lands in the output");
    assert_eq!(
        &all[16..],
        &[sentinel; 48],
        "nothing is written past the output"
    );
}

// ---------------------------------------------------------------------------------------------
// Large: many duplicates (races), and an output past one dispatch dimension.

/// Every input of a plane aims at one of a few positions: thousands of atomicMax claimants per
/// position. Run a few times; any race shows up as a different winner.
#[test]
fn many_duplicates_have_one_deterministic_winner() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 24);
    let shape = [2, 3, 128, 128];
    let len: usize = shape.iter().product();
    // Distinct values, so that the winner's identity is in its value.
    let data: Vec<f32> = (0..len).map(|v| v as f32).collect();
    let options = MaxUnpool2d::new(2);
    let out_plane = 256 * 256;
    let hot: Vec<i64> = (0..16).map(|_| rng.range(0, out_plane - 1)).collect();
    let indices: Vec<i64> = (0..len)
        .map(|_| {
            if rng.percent(90) {
                rng.pick(&hot)
            } else {
                rng.range(0, out_plane - 1)
            }
        })
        .collect();
    let expected =
        wgpool::cpu::max_unpool(&options, &data, &shape, &indices, &shape, None).unwrap();
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let index_tensor = Tensor::upload(ctx, &indices, &shape).unwrap();
    for run in 0..3 {
        let out = options.forward(ctx, &input, &index_tensor, None).unwrap();
        assert_bits_eq(
            &out.download(ctx).unwrap(),
            &expected.data,
            &format_args!("run {run}"),
        );
    }
    // The hot positions hold the last input of each plane that aimed at them.
    let plane = 128 * 128;
    for p in 0..6 {
        for &j in &hot {
            let last = (0..plane).rev().find(|&e| indices[p * plane + e] == j);
            let want = last.map_or(0.0, |e| (p * plane + e) as f32);
            assert_eq!(expected.data[p * out_plane as usize + j as usize], want);
        }
    }
}

/// Unpools recorded back to back into one encoder share the context's scratch board of
/// winners, which each clears for itself: large, then smaller, then large again with other
/// indices, then invalid indices (whose scatter writes nothing), then larger still (the board
/// grows while the earlier calls still use the old one).
#[test]
fn calls_in_one_encoder_do_not_see_each_others_winners() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(random::seed(), 25);
    let options = MaxUnpool2d::new(2);
    let calls: Vec<(Vec<usize>, i64)> = vec![
        (vec![2, 3, 32, 32], 64 * 64),
        (vec![1, 2, 8, 8], 16 * 16),
        (vec![2, 3, 32, 32], 64 * 64),
        (vec![1, 1, 4, 4], -1),
        (vec![4, 2, 32, 32], 64 * 64),
    ];
    let mut encoder = ctx.encoder();
    let mut recorded = Vec::new();
    for (shape, out_plane) in &calls {
        let len: usize = shape.iter().product();
        let data: Vec<f32> = (0..len).map(|_| rng.range(-1000, 1000) as f32).collect();
        let indices: Vec<i64> = match out_plane {
            -1 => vec![-3; len],
            plane => (0..len).map(|_| rng.range(0, plane / 8)).collect(),
        };
        let cpu = wgpool::cpu::max_unpool(&options, &data, shape, &indices, shape, None);
        let input = Tensor::upload(ctx, &data, shape).unwrap();
        let index_tensor = Tensor::upload(ctx, &indices, shape).unwrap();
        let (output, status) = options
            .encode(ctx, &mut encoder, &input, &index_tensor, None)
            .unwrap();
        recorded.push((cpu, output, status));
    }
    ctx.submit(encoder).unwrap();
    for (call, (cpu, output, status)) in recorded.into_iter().enumerate() {
        match (cpu, status.check(ctx)) {
            (Ok(cpu), Ok(())) => assert_bits_eq(
                &output.download(ctx).unwrap(),
                &cpu.data,
                &format_args!("call {call}"),
            ),
            (Err(cpu), Err(gpu)) => assert_eq!(format!("{gpu:?}"), format!("{cpu:?}")),
            (cpu, gpu) => panic!("call {call}: CPU {cpu:?}, GPU {gpu:?}"),
        }
    }
}

/// More outputs than 65,535 workgroups of `workgroup_size()` threads: the gather folds into a
/// 2-d grid and must still cover every output exactly once.
#[test]
fn output_beyond_one_dispatch_dimension() {
    let Some(ctx) = common::gpu() else { return };
    let limits = ctx.device().limits();
    let one_dim =
        limits.max_compute_workgroups_per_dimension as usize * ctx.workgroup_size() as usize;
    let in_len = 1024usize;
    let stride = (one_dim / in_len + 2) as i64;
    let out_len = in_len * stride as usize;
    assert!(out_len > one_dim && out_len > 65_535 * 256);
    if (out_len * 4) as u64 > limits.max_storage_buffer_binding_size {
        eprintln!("note: {out_len} outputs exceed the binding limit; skipped");
        return;
    }
    let mut rng = Rng::new(random::seed(), 25);
    let shape = [1, 1, in_len];
    let data = fill(&mut rng, Fill::Special, in_len);
    // A crowd near the end (past the first dispatch row) and a few spread over the plane.
    let indices: Vec<i64> = (0..in_len)
        .map(|_| {
            if rng.percent(70) {
                out_len as i64 - 1 - rng.range(0, 40)
            } else {
                rng.range(0, out_len as i64 - 1)
            }
        })
        .collect();
    let options = MaxUnpool1d::new(stride);
    let expected =
        wgpool::cpu::max_unpool(&options, &data, &shape, &indices, &shape, None).unwrap();
    assert_eq!(expected.data.len(), out_len);
    let input = Tensor::upload(ctx, &data, &shape).unwrap();
    let index_tensor = Tensor::upload(ctx, &indices, &shape).unwrap();
    let out = options.forward(ctx, &input, &index_tensor, None).unwrap();
    assert_bits_eq(&out.download(ctx).unwrap(), &expected.data, &"large output");
}

/// Sizes PyTorch would try to allocate are refused as too large, on both sides, without a
/// panic or a wgpu error.
#[test]
fn huge_valid_outputs_are_too_large() {
    let options = MaxUnpool2d::new(1 << 20);
    let shape = [1, 1, 1];
    let plan = options.plan(&shape, &shape, None).unwrap();
    assert_eq!(plan.output_shape, [1, 1 << 20, 1 << 20]);
    let cpu = wgpool::cpu::max_unpool(&options, &[1.0], &shape, &[0], &shape, None);
    assert!(matches!(cpu, Err(Error::TooLarge { .. })), "{cpu:?}");
    let Some(ctx) = common::gpu() else { return };
    let input = Tensor::upload(ctx, &[1.0], &shape).unwrap();
    let indices = Tensor::upload(ctx, &[0i64], &shape).unwrap();
    let gpu = options.forward(ctx, &input, &indices, None);
    assert!(matches!(gpu, Err(Error::TooLarge { .. })), "{gpu:?}");
}

#[test]
fn the_path_follows_the_windows_and_the_indices() {
    let Some(ctx) = common::gpu() else { return };
    let path = |options: &MaxUnpool1d, data: &[f32], indices: &[i64], size: Option<&[i64]>| {
        let shape = [1, data.len()];
        let input = Tensor::upload(ctx, data, &shape).unwrap();
        let indices = Tensor::upload(ctx, indices, &shape).unwrap();
        let mut encoder = ctx.encoder();
        let (output, status) = options
            .encode(ctx, &mut encoder, &input, &indices, size)
            .unwrap();
        ctx.submit(encoder).unwrap();
        status.check(ctx).unwrap();
        (status.path(ctx).unwrap(), output.download(ctx).unwrap())
    };
    // Windows [0, 2) and [2, 4): each index in its own.
    let k2 = MaxUnpool1d::new(2);
    assert_eq!(
        path(&k2, &[5.0, 6.0], &[1, 2], None),
        (UnpoolPath::Windows, vec![0.0, 5.0, 6.0, 0.0])
    );
    // The second names a cell of the first window: valid, so the board unpools it.
    assert_eq!(
        path(&k2, &[5.0, 6.0], &[1, 0], None),
        (UnpoolPath::Board, vec![6.0, 5.0, 0.0, 0.0])
    );
    // A kernel above 8 is never checked, nor is a padding above the kernel.
    let k9 = MaxUnpool1d::new(9);
    assert_eq!(path(&k9, &[5.0], &[4], None).0, UnpoolPath::Board);
    let padded = MaxUnpool1d::new(1).stride(4).padding(2);
    assert_eq!(
        path(&padded, &[5.0, 6.0], &[0, 0], None).0,
        UnpoolPath::Board
    );
    // An empty output (default size (2 - 1) + 1 - 2) runs nothing.
    let empty = MaxUnpool1d::new(1).padding(1);
    assert_eq!(
        path(&empty, &[5.0, 6.0], &[0, 0], None).0,
        UnpoolPath::Empty
    );
}
