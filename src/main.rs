//! The `dapreflight` binary: arguments → `Config` → `run` → exit code. Nothing else.

use std::error::Error as _;
use std::fmt::Write as _;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use dapreflight::Args;
use dapreflight::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let config = match Args::parse().into_config(std::env::vars(), color) {
        Ok(config) => config,
        Err(err) => return fail(&err),
    };
    match dapreflight::run(&config, &mut io::stdout().lock()).await {
        Ok(outcome) => ExitCode::from(outcome.code()), // 0 all clear, 1 findings
        Err(Error::Output(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// Prints "dapreflight: …" and each source on stderr; exit code 2.
fn fail(err: &Error) -> ExitCode {
    let mut message = format!("dapreflight: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    eprintln!("{message}");
    ExitCode::from(2)
}
