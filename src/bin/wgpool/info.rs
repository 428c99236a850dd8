//! `wgpool info`: every adapter, with what matters for pooling.

use wgpool::Backend;

pub fn info() -> Result<(), String> {
    let adapters = wgpool::adapters(Backend::Any);
    if adapters.is_empty() {
        return Err("no GPU adapter found (on Debian: apt-get install mesa-vulkan-drivers)".into());
    }
    for adapter in adapters {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let features = adapter.features();
        println!("{} ({:?}, {:?})", info.name, info.backend, info.device_type);
        println!("  driver: {} {}", info.driver, info.driver_info);
        if !wgpool::runs_compute(&adapter) {
            println!("  compute shaders: no (wgpool cannot use this adapter)");
        }
        println!(
            "  vendor: {:#06x}  device: {:#06x}",
            info.vendor, info.device
        );
        println!("  max_buffer_size: {}", limits.max_buffer_size);
        println!(
            "  max_storage_buffer_binding_size: {}",
            limits.max_storage_buffer_binding_size
        );
        println!(
            "  max_compute_workgroups_per_dimension: {}",
            limits.max_compute_workgroups_per_dimension
        );
        println!(
            "  max_compute_invocations_per_workgroup: {}",
            limits.max_compute_invocations_per_workgroup
        );
        println!(
            "  max_compute_workgroup_storage_size: {}",
            limits.max_compute_workgroup_storage_size
        );
        let interesting = [
            ("shader-f16", wgpu::Features::SHADER_F16),
            ("timestamp-query", wgpu::Features::TIMESTAMP_QUERY),
            (
                "timestamp-query-inside-encoders",
                wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS,
            ),
            ("subgroup", wgpu::Features::SUBGROUP),
        ];
        let present: Vec<&str> = interesting
            .iter()
            .filter(|(_, f)| features.contains(*f))
            .map(|(name, _)| *name)
            .collect();
        println!("  features: {}", present.join(", "));
    }
    Ok(())
}
