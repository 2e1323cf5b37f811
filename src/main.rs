#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]
use bar_overlay::cli::{Cli, Command};
use bar_overlay::{senders, tools, ui};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(all(windows, not(debug_assertions)))]
    attach_parent_console();
    let cli = Cli::parse();
    bar_overlay::logging::init();
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Some(Command::Listen(a)) => ok(tools::listen::run(
            a.bind.addr(),
            a.bind.relay_addr(),
            a.seconds,
        )),
        Some(Command::Record(a)) => ok(tools::record::run(&a)),
        Some(Command::Simulate(a)) => ok(a
            .config()
            .and_then(|c| senders::simulate::run_and_report(&c))),
        Some(Command::Replay(a)) => ok(senders::replay::run_and_report(&a.config())),
        Some(Command::Summary(a)) => ok(tools::summary::run_cli(&a)),
        Some(Command::Serve(a)) => ok(tools::serve::run(a.station(), a.seconds)),
        // Its own status: an export that skipped bad lines still wrote the rest (3).
        Some(Command::Export(a)) => tools::export::run_cli(&a.options()),
        Some(Command::Widget(a)) => tools::widget::run(&a.action(), a.bar_dir),
        None => ok(ui::run(ui::LaunchOptions {
            demo: cli.demo,
            replay: cli.replay.map(|f| (f, cli.speed)),
            port: cli.port,
            relay_port: cli.relay_port,
            web_port: cli.web_port,
            delay: cli.delay.map(|d| d.round() as u32),
            config: cli.config,
            renderer: cli.renderer.map(|r| match r {
                bar_overlay::cli::Renderer::Wgpu => ui::settings::RendererChoice::Wgpu,
                bar_overlay::cli::Renderer::Glow => ui::settings::RendererChoice::Glow,
            }),
        })),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes, no backtrace.
            eprintln!("bar-overlay: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The Windows release binary is a GUI program (no console window opens behind the overlay), so a terminal that starts
/// it sees none of its output. When the program that started us has a console, attach to it: `listen`, `record`,
/// `summary`, `--help` and errors then print there. Started by double-click there is no parent console and nothing
/// changes. Output already redirected (to a file or a pipe) stays where it goes.
#[cfg(all(windows, not(debug_assertions)))]
fn attach_parent_console() {
    use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
    };
    let unset = |h: HANDLE| h.is_null() || h == INVALID_HANDLE_VALUE;
    // SAFETY: plain Win32 calls with constant arguments; no pointers are passed or kept.
    unsafe {
        if unset(GetStdHandle(STD_OUTPUT_HANDLE)) && unset(GetStdHandle(STD_ERROR_HANDLE)) {
            // Fails (harmlessly) when there is no parent console.
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
