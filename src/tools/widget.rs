//! `bar-overlay widget install|status|uninstall`: the installer for a terminal user. The work is in `install`; this
//! only says what happened, one line a thing.

use crate::install::status::{self, Level};
use crate::install::{self, Enabled, copies::Installed, copies::Removed};
use std::path::PathBuf;
use std::process::ExitCode;

/// What to do, as `cli` parsed it.
#[derive(Debug, Clone)]
pub enum Action {
    Install { enable: bool, force: bool },
    Status { port: u16 },
    Uninstall,
}

/// Runs `action` on the folder found (or `bar_dir`). Exit status: 0 done (status: nothing to fix), 1 otherwise.
pub fn run(action: &Action, bar_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let located = install::locate(bar_dir.as_deref());
    match action {
        Action::Status { port } => {
            let st = status::status(&located, status::probe_port(*port));
            for c in &st.checks {
                match &c.fix {
                    Some(fix) if c.level != Level::Ok => {
                        println!("{:<4}  {}: {fix}", c.level.tag(), c.what)
                    }
                    _ => println!("{:<4}  {}", c.level.tag(), c.what),
                }
            }
            if located.ambiguous() {
                for f in &located.found {
                    println!("      candidate: {} ({})", f.path.display(), f.source);
                }
            }
            Ok(if st.worst() == Level::Fail {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Action::Install { enable, force } => {
            let (dir, installed) = install::install_widget(&located, *force)?;
            for done in installed {
                match done {
                    Installed::New(p) => println!("installed the widget: {}", p.display()),
                    Installed::Current(p) => println!("the widget is up to date: {}", p.display()),
                    Installed::Updated { path, from, backup } => {
                        let from = from.unwrap_or_else(|| "unknown".into());
                        println!(
                            "updated the widget from {from} to {}: {}",
                            install::copies::bundled_version(),
                            path.display()
                        );
                        if let Some(b) = backup {
                            println!("your changed copy was kept as {}", b.display());
                        }
                    }
                    Installed::Newer { path, version } => println!(
                        "kept the newer widget {version} at {} (this overlay has {}; --force replaces it)",
                        path.display(),
                        install::copies::bundled_version()
                    ),
                }
            }
            if *enable {
                match install::enable(&located, &dir)? {
                    Enabled::Edited { backup } => {
                        println!(
                            "enabled it in {} (the old file is {})",
                            install::byar_path(&dir).display(),
                            backup.display()
                        )
                    }
                    Enabled::Created => {
                        println!("enabled it: wrote {}", install::byar_path(&dir).display())
                    }
                    Enabled::Already => println!("it is already enabled in BAR"),
                }
            } else if !status::status(&located, status::Port::Free(0))
                .enabled
                .unwrap_or(false)
            {
                println!(
                    "to enable it: run again with --enable while BAR is closed, or {}",
                    install::ENABLE_IN_GAME
                );
            }
            if let Some(pid) = located.running_in(&dir) {
                println!(
                    "BAR is running (process {pid}): type /luaui reload in the game to load the widget now"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Uninstall => {
            let dir = located.folder()?.to_owned();
            let removed = install::copies::uninstall(&dir)?;
            if removed.is_empty() {
                println!("the widget is not installed in {}", dir.display());
            }
            for r in removed {
                match r {
                    Removed::Deleted(p) => println!("removed {}", p.display()),
                    Removed::MovedAside { path, to } => {
                        println!(
                            "moved your changed copy {} aside to {}",
                            path.display(),
                            to.display()
                        )
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
