#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]
use bar_overlay::cli::{Cli, Command};
use bar_overlay::{tools, ui};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    bar_overlay::logging::init();
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Some(Command::Listen(a)) => ok(tools::listen::run(&a)),
        Some(Command::Record(a)) => ok(tools::record::run(&a)),
        Some(Command::Simulate(a)) => ok(tools::simulate::run_cli(&a)),
        Some(Command::Replay(a)) => ok(tools::replay::run_cli(&a)),
        Some(Command::Summary(a)) => ok(tools::summary::run_cli(&a)),
        Some(Command::Serve(a)) => ok(tools::serve::run(&a)),
        // Its own status: an export that skipped bad lines still wrote the rest (3).
        Some(Command::Export(a)) => tools::export::run_cli(&a),
        None => ok(ui::run(ui::LaunchOptions {
            demo: cli.demo,
            replay: cli.replay.map(|f| (f, cli.speed)),
            port: cli.port,
            relay_port: cli.relay_port,
            web_port: cli.web_port,
            delay: cli.delay.map(|d| d.round() as u32),
            config: cli.config,
            renderer: cli.renderer,
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
