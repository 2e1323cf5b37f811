//! Which renderer the window starts on. wgpu is the default on Linux and macOS, but on a machine whose only adapter is
//! a software one (Mesa's llvmpipe/lavapipe, Windows' WARP) it can present nothing at all: the window stays black
//! (seen under Xvfb with lavapipe's Vulkan). OpenGL (glow) on the same software driver draws fine and costs less, so
//! a wgpu choice is checked first and the window starts on glow when wgpu would land on a CPU adapter or finds none.
//!
//! The check asks wgpu for an adapter the way eframe will (same backends, `WGPU_BACKEND` included, same power
//! preference), without a window: it cannot prove a swapchain presents, but every black window seen so far came with
//! a CPU adapter. `--renderer wgpu` skips the check (diagnostics, and the smoke test of the wgpu path itself).

use super::settings::RendererChoice;
use eframe::egui_wgpu::{WgpuSetup, WgpuSetupCreateNew, wgpu};

/// The renderer to start, and why it differs from the setting when it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub renderer: RendererChoice,
    /// One line for the log and the settings window, when the setting was overridden.
    pub fallback: Option<String>,
}

impl Started {
    pub fn eframe(&self) -> eframe::Renderer {
        match self.renderer {
            RendererChoice::Wgpu => eframe::Renderer::Wgpu,
            RendererChoice::Glow => eframe::Renderer::Glow,
        }
    }
}

/// What the adapter check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adapter {
    /// A GPU (discrete, integrated, virtual or unknown type): wgpu is fine.
    Hardware(String),
    /// A software rasterizer.
    Software(String),
    /// No adapter at all, with wgpu's reason.
    None(String),
}

/// The renderer for this run: the forced one (`--renderer`), else the setting, with wgpu turned into glow when the
/// adapter check says it would draw on the CPU or not at all. `probe` runs only when wgpu is asked for.
pub fn choose(
    setting: RendererChoice,
    forced: Option<RendererChoice>,
    probe: impl FnOnce() -> Adapter,
) -> Started {
    if let Some(r) = forced {
        return Started {
            renderer: r,
            fallback: None,
        };
    }
    if setting == RendererChoice::Glow {
        return Started {
            renderer: RendererChoice::Glow,
            fallback: None,
        };
    }
    let why = match probe() {
        Adapter::Hardware(_) => {
            return Started {
                renderer: RendererChoice::Wgpu,
                fallback: None,
            };
        }
        Adapter::Software(name) => format!("wgpu found only a software adapter ({name})"),
        Adapter::None(e) => format!("wgpu found no graphics adapter ({e})"),
    };
    Started {
        renderer: RendererChoice::Glow,
        fallback: Some(format!(
            "{why}, which can leave the window black: started on glow (OpenGL) instead"
        )),
    }
}

/// Asks wgpu for the adapter eframe would get. Blocks for the driver's start-up (tens of milliseconds).
///
/// Only the native backends (Vulkan, Metal, DX12) are asked, unless `WGPU_BACKEND` names others: when none of them has
/// a GPU, wgpu would draw through OpenGL anyway and glow is the direct way there; and wgpu's GL backend cannot start
/// without the window's display (it logs an EGL error when asked this early).
pub fn probe_wgpu() -> Adapter {
    let mut setup = WgpuSetupCreateNew::without_display_handle();
    setup.instance_descriptor.backends =
        wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY);
    let power_preference = setup.power_preference;
    let instance = pollster::block_on(WgpuSetup::CreateNew(setup).new_instance());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference,
        compatible_surface: None,
        force_fallback_adapter: false,
        apply_limit_buckets: false,
    }));
    match adapter {
        Ok(a) => classify(&a.get_info()),
        Err(e) => Adapter::None(e.to_string()),
    }
}

/// Software adapters by type, and by name for drivers that report another type (names from Mesa, Google, Microsoft).
fn classify(info: &wgpu::AdapterInfo) -> Adapter {
    let desc = format!("{}, {:?}", info.name, info.backend);
    let lower = info.name.to_ascii_lowercase();
    let soft_name = [
        "llvmpipe",
        "lavapipe",
        "softpipe",
        "swiftshader",
        "basic render",
    ]
    .iter()
    .any(|n| lower.contains(n));
    if info.device_type == wgpu::DeviceType::Cpu || soft_name {
        Adapter::Software(desc)
    } else {
        Adapter::Hardware(desc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_probe() -> Adapter {
        panic!("the adapter check must not run here")
    }

    #[test]
    fn glow_and_forced_choices_skip_the_check() {
        let s = choose(RendererChoice::Glow, None, no_probe);
        assert_eq!((s.renderer, s.fallback), (RendererChoice::Glow, None));
        let s = choose(RendererChoice::Glow, Some(RendererChoice::Wgpu), no_probe);
        assert_eq!((s.renderer, s.fallback), (RendererChoice::Wgpu, None));
    }

    #[test]
    fn wgpu_on_a_cpu_adapter_or_none_starts_on_glow_and_says_why() {
        let s = choose(RendererChoice::Wgpu, None, || {
            Adapter::Software("llvmpipe (LLVM 15.0.6, 256 bits), Vulkan".into())
        });
        assert_eq!(s.renderer, RendererChoice::Glow);
        let why = s.fallback.unwrap_or_default();
        assert!(why.contains("llvmpipe") && why.contains("glow"), "{why}");
        let s = choose(RendererChoice::Wgpu, None, || Adapter::None("none".into()));
        assert_eq!(s.renderer, RendererChoice::Glow);
        assert!(s.fallback.is_some());
        let s = choose(RendererChoice::Wgpu, None, || {
            Adapter::Hardware("AMD Radeon, Vulkan".into())
        });
        assert_eq!((s.renderer, s.fallback), (RendererChoice::Wgpu, None));
    }

    #[test]
    fn software_adapters_are_known_by_type_or_name() {
        let info = |name: &str, device_type| wgpu::AdapterInfo {
            name: name.into(),
            ..wgpu::AdapterInfo::new(device_type, wgpu::Backend::Vulkan)
        };
        assert!(matches!(
            classify(&info("llvmpipe (LLVM 15)", wgpu::DeviceType::Cpu)),
            Adapter::Software(_)
        ));
        assert!(matches!(
            classify(&info(
                "Microsoft Basic Render Driver",
                wgpu::DeviceType::Other
            )),
            Adapter::Software(_)
        ));
        assert!(matches!(
            classify(&info(
                "NVIDIA GeForce RTX 3060",
                wgpu::DeviceType::DiscreteGpu
            )),
            Adapter::Hardware(_)
        ));
    }
}
