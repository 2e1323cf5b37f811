//! Where BAR keeps its write folder (the one holding `LuaUI/Widgets/`, `LuaUI/Config/BYAR.lua`,
//! `springsettings.cfg`, `infolog.txt`), as a pure function of the OS, the environment and the home folder, so every
//! OS's cases are tested on any machine.
//!
//! The order of trust: the `--write-dir` of a running engine (that is where BAR is now), then the folder the user
//! chose before, then `SPRING_WRITEDIR` (the engine reads it too), then the install kinds' defaults that exist and
//! look like a write folder. Facts from the launchers' sources: README's "Install" and docs/install.md.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Windows,
    Linux,
    MacOs,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }

    fn sep(self) -> char {
        if self == Os::Windows { '\\' } else { '/' }
    }
}

/// How a folder was found; said to the user beside the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The `--write-dir` of a running engine process.
    RunningGame,
    /// The folder picked before (`--bar-dir` or the window), remembered in install.toml.
    Remembered,
    /// Given for this run (`--bar-dir`).
    Given,
    /// The `SPRING_WRITEDIR` environment variable.
    SpringWritedir,
    /// One install kind's default folder (its name, e.g. "Windows installer, per user").
    Default(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::RunningGame => f.write_str("where the running game writes"),
            Source::Remembered => f.write_str("chosen before"),
            Source::Given => f.write_str("given"),
            Source::SpringWritedir => f.write_str("SPRING_WRITEDIR"),
            Source::Default(kind) => write!(f, "{kind}"),
        }
    }
}

/// A folder that may be BAR's write folder, and how it came up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub source: Source,
}

/// The default write folders of every known install kind on `os`, most common first. `env` reads an environment
/// variable (empty values count as unset); `home` is the user's home folder.
pub fn defaults(os: Os, env: &dyn Fn(&str) -> Option<String>, home: &Path) -> Vec<Candidate> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let home = home.to_string_lossy().into_owned();
    let join = |base: &str, parts: &[&str]| -> PathBuf {
        let mut s = base.trim_end_matches(['/', '\\']).to_owned();
        for p in parts {
            s.push(os.sep());
            s.push_str(p);
        }
        PathBuf::from(s)
    };
    let c = |path: PathBuf, kind: &'static str| Candidate {
        path,
        source: Source::Default(kind),
    };
    match os {
        Os::Windows => {
            let local = var("LOCALAPPDATA").unwrap_or_else(|| {
                join(&home, &["AppData", "Local"])
                    .to_string_lossy()
                    .into_owned()
            });
            let roaming = var("APPDATA").unwrap_or_else(|| {
                join(&home, &["AppData", "Roaming"])
                    .to_string_lossy()
                    .into_owned()
            });
            let program_files =
                var("ProgramFiles").unwrap_or_else(|| r"C:\Program Files".to_owned());
            vec![
                c(
                    join(&local, &["Programs", "Beyond-All-Reason", "data"]),
                    "Windows installer, for this user",
                ),
                c(
                    join(&program_files, &["Beyond-All-Reason", "data"]),
                    "Windows installer, for all users",
                ),
                c(
                    join(&roaming, &["BeyondAllReason", "data"]),
                    "new BAR lobby",
                ),
                c(
                    join(&home, &["Documents", "My Games", "Spring"]),
                    "bare Spring engine",
                ),
            ]
        }
        Os::Linux => {
            let state = var("XDG_STATE_HOME").unwrap_or_else(|| {
                join(&home, &[".local", "state"])
                    .to_string_lossy()
                    .into_owned()
            });
            vec![
                c(join(&state, &["Beyond All Reason"]), "AppImage launcher"),
                c(
                    join(&home, &["Documents", "Beyond All Reason"]),
                    "AppImage launcher, older install",
                ),
                c(
                    join(&home, &[".var", "app", "info.beyondallreason.bar", "data"]),
                    "Flatpak",
                ),
                c(join(&state, &["BeyondAllReason", "data"]), "new BAR lobby"),
                c(join(&home, &[".config", "spring"]), "bare Spring engine"),
                c(join(&home, &[".spring"]), "bare Spring engine"),
            ]
        }
        // No official launcher on macOS: these are guesses worth checking, the user is asked otherwise.
        Os::MacOs => vec![
            c(
                join(&home, &["Library", "Application Support", "BAR", "data"]),
                "BAR lobby for macOS (unofficial)",
            ),
            c(join(&home, &[".spring"]), "bare Spring engine"),
        ],
    }
}

/// Everything worth checking, in the order of trust, duplicates removed (the first mention wins).
pub fn candidates(
    running: &[PathBuf],
    remembered: Option<&Path>,
    os: Os,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |path: PathBuf, source: Source| {
        if !out.iter().any(|c| same_path(&c.path, &path)) {
            out.push(Candidate { path, source });
        }
    };
    for p in running {
        push(p.clone(), Source::RunningGame);
    }
    if let Some(p) = remembered {
        push(p.to_owned(), Source::Remembered);
    }
    if let Some(p) = env("SPRING_WRITEDIR").filter(|v| !v.trim().is_empty()) {
        push(PathBuf::from(p), Source::SpringWritedir);
    }
    if let Some(home) = home {
        for c in defaults(os, env, home) {
            push(c.path, c.source);
        }
    }
    out
}

/// Whether `dir` looks like a write folder: the engine has run there (its settings, BAR's LuaUI folder or the
/// downloaded game archives). A bare folder of that name proves nothing.
pub fn looks_like_write_dir(dir: &Path) -> bool {
    dir.join("springsettings.cfg").is_file()
        || dir.join("LuaUI").is_dir()
        || dir.join("games").is_dir()
}

/// Paths that name the same folder: equal, or equal once both resolve (a symlinked home, `..`).
pub fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The `--write-dir` a command line names (`--write-dir DIR` or `--write-dir=DIR`, as the launchers pass it).
pub fn write_dir_arg<S: AsRef<str>>(args: &[S]) -> Option<PathBuf> {
    let mut it = args.iter().map(AsRef::as_ref);
    while let Some(a) = it.next() {
        if a == "--write-dir" {
            return it.next().filter(|d| !d.is_empty()).map(PathBuf::from);
        }
        if let Some(d) = a.strip_prefix("--write-dir=") {
            return Some(d).filter(|d| !d.is_empty()).map(PathBuf::from);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn paths(cs: &[Candidate]) -> Vec<String> {
        cs.iter()
            .map(|c| c.path.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn windows_defaults_follow_the_environment() {
        let env = env_of(&[
            ("LOCALAPPDATA", r"C:\Users\Zoë\AppData\Local"),
            ("APPDATA", r"C:\Users\Zoë\AppData\Roaming"),
            ("ProgramFiles", r"D:\Programs"),
        ]);
        let got = paths(&defaults(Os::Windows, &env, Path::new(r"C:\Users\Zoë")));
        assert_eq!(
            got,
            [
                r"C:\Users\Zoë\AppData\Local\Programs\Beyond-All-Reason\data",
                r"D:\Programs\Beyond-All-Reason\data",
                r"C:\Users\Zoë\AppData\Roaming\BeyondAllReason\data",
                r"C:\Users\Zoë\Documents\My Games\Spring",
            ]
        );
    }

    #[test]
    fn windows_without_variables_falls_back_to_the_home_folder() {
        let got = paths(&defaults(
            Os::Windows,
            &env_of(&[]),
            Path::new(r"C:\Users\bob\"),
        ));
        assert_eq!(
            got[0],
            r"C:\Users\bob\AppData\Local\Programs\Beyond-All-Reason\data"
        );
        assert_eq!(got[1], r"C:\Program Files\Beyond-All-Reason\data");
        assert_eq!(got[2], r"C:\Users\bob\AppData\Roaming\BeyondAllReason\data");
    }

    #[test]
    fn linux_defaults_use_xdg_state_home_when_set() {
        let home = Path::new("/home/ana");
        let plain = paths(&defaults(Os::Linux, &env_of(&[]), home));
        assert_eq!(
            plain,
            [
                "/home/ana/.local/state/Beyond All Reason",
                "/home/ana/Documents/Beyond All Reason",
                "/home/ana/.var/app/info.beyondallreason.bar/data",
                "/home/ana/.local/state/BeyondAllReason/data",
                "/home/ana/.config/spring",
                "/home/ana/.spring",
            ]
        );
        let xdg = paths(&defaults(
            Os::Linux,
            &env_of(&[("XDG_STATE_HOME", "/data/state/")]),
            home,
        ));
        assert_eq!(xdg[0], "/data/state/Beyond All Reason");
        assert_eq!(xdg[3], "/data/state/BeyondAllReason/data");
        // An empty variable is unset, as the XDG spec says.
        let empty = paths(&defaults(
            Os::Linux,
            &env_of(&[("XDG_STATE_HOME", "")]),
            home,
        ));
        assert_eq!(empty, plain);
    }

    #[test]
    fn macos_has_only_guesses() {
        let got = paths(&defaults(Os::MacOs, &env_of(&[]), Path::new("/Users/kim")));
        assert_eq!(
            got,
            [
                "/Users/kim/Library/Application Support/BAR/data",
                "/Users/kim/.spring"
            ]
        );
    }

    #[test]
    fn candidates_come_in_the_order_of_trust_without_duplicates() {
        let env = env_of(&[("SPRING_WRITEDIR", "/srv/bar")]);
        let running = [PathBuf::from("/home/ana/.local/state/Beyond All Reason")];
        let got = candidates(
            &running,
            Some(Path::new("/mnt/games/bar")),
            Os::Linux,
            &env,
            Some(Path::new("/home/ana")),
        );
        let sources: Vec<_> = got.iter().map(|c| c.source.clone()).collect();
        assert_eq!(got[0].path, running[0]);
        assert_eq!(
            sources[..3],
            [
                Source::RunningGame,
                Source::Remembered,
                Source::SpringWritedir
            ]
        );
        // The running game's folder is also the AppImage default: listed once, as the running game's.
        assert_eq!(got.iter().filter(|c| c.path == running[0]).count(), 1);
        assert_eq!(got.len(), 3 + 5);
    }

    #[test]
    fn write_dir_is_read_from_both_argument_forms() {
        assert_eq!(
            write_dir_arg(&["spring", "--write-dir", "/a b/c", "--isolation"]),
            Some(PathBuf::from("/a b/c"))
        );
        assert_eq!(
            write_dir_arg(&[
                r"C:\BAR\engine\spring.exe",
                r"--write-dir=C:\BAR\data",
                "script.txt"
            ]),
            Some(PathBuf::from(r"C:\BAR\data"))
        );
        assert_eq!(write_dir_arg(&["spring", "--write-dir"]), None);
        assert_eq!(write_dir_arg(&["spring", "--write-dir="]), None);
        assert_eq!(write_dir_arg(&["spring", "script.txt"]), None);
    }
}
