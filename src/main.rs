#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]
use bar_overlay::cli::{Cli, Command};
use bar_overlay::{tools, ui};
use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    bar_overlay::logging::init();
    let result = match cli.command {
        Some(Command::Listen(a)) => tools::listen::run(&a),
        Some(Command::Record(a)) => tools::record::run(&a),
        Some(Command::Simulate(a)) => tools::simulate::run_cli(&a),
        Some(Command::Replay(a)) => tools::replay::run_cli(&a),
        Some(Command::Summary(a)) => tools::summary::run_cli(&a),
        None => ui::run(ui::LaunchOptions {
            demo: cli.demo,
            replay: cli.replay.map(|f| (f, cli.speed)),
            port: cli.port,
            relay_port: cli.relay_port,
            config: cli.config,
            renderer: cli.renderer,
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, no backtrace.
            eprintln!("bar-overlay: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
