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

/// The home folder an environment names (`HOME`, or `USERPROFILE` on Windows).
fn home_of<S: AsRef<std::ffi::OsStr>>(environ: &[S]) -> Option<PathBuf> {
    let get = |key: &str| {
        environ.iter().find_map(|kv| {
            let kv = kv.as_ref().to_string_lossy();
            kv.strip_prefix(key)
                .and_then(|r| r.strip_prefix('='))
                .map(PathBuf::from)
        })
    };
    get("HOME").or_else(|| get("USERPROFILE"))
}

/// Whether an engine with this environment plays for the user whose home is `ours`: a game started by another
/// user, a test harness or a server with a home of its own is not "where BAR is" for us. An environment we cannot
/// read counts.
pub fn same_home<S: AsRef<std::ffi::OsStr>>(environ: &[S], ours: Option<&std::path::Path>) -> bool {
    match (home_of(environ), ours) {
        (Some(theirs), Some(ours)) => theirs == ours,
        _ => true,
    }
}

/// Every engine process of this user (same home folder), with its write folder.
pub fn running() -> Vec<RunningEngine> {
    let mut sys = System::new_with_specifics(RefreshKind::nothing());
    sys.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_environ(UpdateKind::Always)
            .with_exe(UpdateKind::OnlyIfNotSet),
    );
    let home = std::env::home_dir();
    let mut out: Vec<RunningEngine> = sys
        .processes()
        .iter()
        .filter(|(_, p)| {
            // A thread shows up as a process on Linux: count the engine once.
            p.thread_kind().is_none()
                && is_engine_name(&p.name().to_string_lossy())
                && same_home(p.environ(), home.as_deref())
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
