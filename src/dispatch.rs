//! Dispatch sizes: one invocation per output element, folded into a 2-d grid of workgroups so
//! that no dimension passes the adapter's workgroups-per-dimension limit.

/// Workgroup counts `[x, y, 1]` covering `invocations` with `workgroup_size` threads each, with
/// `x, y <= max_per_dim`. The shaders recover the linear index as `gid.x + gid.y * x * size`
/// and skip indices past the end.
pub fn workgroup_grid(invocations: u32, workgroup_size: u32, max_per_dim: u32) -> [u32; 3] {
    let groups = invocations.div_ceil(workgroup_size);
    if groups <= max_per_dim {
        [groups, 1, 1]
    } else {
        [max_per_dim, groups.div_ceil(max_per_dim), 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_dispatches_stay_one_dimensional() {
        assert_eq!(workgroup_grid(0, 256, 65535), [0, 1, 1]);
        assert_eq!(workgroup_grid(1, 256, 65535), [1, 1, 1]);
        assert_eq!(workgroup_grid(65535 * 256, 256, 65535), [65535, 1, 1]);
    }

    #[test]
    fn large_dispatches_fold_and_cover_every_invocation() {
        for n in [65535 * 256 + 1, (1 << 31) - 1, u32::MAX] {
            let [x, y, _] = workgroup_grid(n, 256, 65535);
            assert!(x <= 65535 && y <= 65535);
            assert!(x as u64 * y as u64 * 256 >= n as u64);
            // No whole row of workgroups is wasted.
            assert!((x as u64) * (y as u64 - 1) * 256 < n as u64);
        }
    }
}
