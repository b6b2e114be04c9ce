//! The `mutualis` command: read the configuration, run one command, and on failure print one
//! line that names what went wrong, then exit non-zero.

mod commands;
mod config;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = config::Cli::parse();
    init_tracing(&cli.command);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::anyhow!("impossible de démarrer : {e}")),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    // `{:#}` prints the chain of causes on one line, without a backtrace.
    eprintln!("erreur : {error:#}");
    ExitCode::FAILURE
}

/// Logs go to stderr: `info` while serving, warnings only for one-shot commands, unless
/// `RUST_LOG` says otherwise.
fn init_tracing(command: &config::Command) {
    let default = match command {
        config::Command::Serve(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
