//! The `dapreflight` binary: arguments → `Config` → `run` → exit code. Nothing else.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use dapreflight::{Args, Error, Terminal};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let stdout_is_terminal = io::stdout().is_terminal();
    let terminal = Terminal {
        color: stdout_is_terminal && std::env::var_os("NO_COLOR").is_none(),
        columns: stdout_is_terminal
            .then(dapreflight::terminal_columns)
            .flatten(),
        stderr_is_terminal: io::stderr().is_terminal(),
    };
    let config = match Args::parse().into_config(std::env::vars(), terminal) {
        Ok(config) => config,
        Err(err) => return fail(&err),
    };
    match dapreflight::run(&config, &mut io::stdout().lock()).await {
        Ok(outcome) => ExitCode::from(outcome.code()), // 0 ready, 1 not ready
        // The reader went away (`| head`): stay quiet, but keep the verdict's code once it is known.
        Err(Error::Output {
            outcome: Some(outcome),
            source,
        }) if source.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(outcome.code()),
        Err(err) => fail(&err),
    }
}

/// Prints "dapreflight: …" and each source on stderr; exit code 2.
fn fail(err: &Error) -> ExitCode {
    eprintln!("dapreflight: {}", dapreflight::error_chain(err));
    ExitCode::from(2)
}
