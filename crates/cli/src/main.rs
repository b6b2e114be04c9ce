//! The `mutualis` command: read the configuration, run one command, and on failure print one
//! line that names what went wrong, then exit non-zero.

mod commands;
mod config;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: reading DECP allocates and frees many small
/// values per record, on several threads (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = config::Cli::command().get_matches();
    let mut cli = match config::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.global.territory_given = given(&matches, "territory");
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

/// Whether an argument was given on the command line or in the environment, in the
/// subcommand's matches (where global arguments land) or the top-level ones.
fn given(matches: &clap::ArgMatches, id: &str) -> bool {
    let mut current = Some(matches);
    while let Some(m) = current {
        if matches!(
            m.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            return true;
        }
        current = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

fn fail(error: &anyhow::Error) -> ExitCode {
    // `{:#}` prints the chain of causes on one line, without a backtrace.
    eprintln!("erreur : {error:#}");
    ExitCode::FAILURE
}

/// Logs go to stderr: `info` while serving or running jobs, warnings only for one-shot commands, unless
/// `RUST_LOG` says otherwise.
fn init_tracing(command: &config::Command) {
    let default = match command {
        config::Command::Serve(_) | config::Command::Worker(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
