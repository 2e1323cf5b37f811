//! Running engine processes: BAR's launchers start the engine (`spring`, `spring.exe`) with `--write-dir DIR`, so
//! while BAR runs its command line names the write folder exactly, and BYAR.lua must not be edited (BAR rewrites it
//! when it exits).

use super::locate::write_dir_arg;
use std::path::PathBuf;
use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System, UpdateKind};

/// A running engine: its process id and the write folder its command line names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningEngine {
    pub pid: u32,
    pub write_dir: Option<PathBuf>,
}

/// Whether a process of this executable name is the engine (BAR's launcher runs `spring`; servers and tests run the
/// headless and dedicated builds). Linux cuts process names at 15 bytes, which `spring-headless` just fits.
pub fn is_engine_name(name: &str) -> bool {
    let name = name
        .strip_suffix(".exe")
        .unwrap_or(name)
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "spring" | "spring-headless" | "spring-dedicated"
    )
}

/// Every engine process this user can see, with its write folder.
pub fn running() -> Vec<RunningEngine> {
    let mut sys = System::new_with_specifics(RefreshKind::nothing());
    sys.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_exe(UpdateKind::OnlyIfNotSet),
    );
    let mut out: Vec<RunningEngine> = sys
        .processes()
        .iter()
        .filter(|(_, p)| {
            // A thread shows up as a process on Linux: count the engine once.
            p.thread_kind().is_none() && is_engine_name(&p.name().to_string_lossy())
        })
        .map(|(pid, p)| {
            let args: Vec<String> = p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            RunningEngine {
                pid: pid.as_u32(),
                write_dir: write_dir_arg(&args),
            }
        })
        .collect();
    out.sort_by_key(|e| e.pid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names() {
        for n in [
            "spring",
            "spring.exe",
            "Spring.exe",
            "spring-headless",
            "spring-dedicated.exe",
        ] {
            assert!(is_engine_name(n), "{n}");
        }
        for n in [
            "springlobby",
            "spring-launcher",
            "bar-overlay",
            "Beyond-All-Reason.exe",
            "",
        ] {
            assert!(!is_engine_name(n), "{n}");
        }
    }
}
