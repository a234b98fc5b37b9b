//! `check --ask-credentials`: asks for the proxy account and password on the terminal, before any
//! probe runs. The account echoes as typed; the password does not (the terminal is in raw mode
//! while it is typed, through crossterm). Prompts go to stderr, so stdout keeps only the report.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use crate::auth::Credentials;

/// The longest account or password read, in bytes.
const MAX_INPUT: usize = 1024;

/// Why the credentials could not be asked for.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// Stdin is not a terminal: nobody can type into a prompt.
    #[error(
        "--ask-credentials needs a terminal on stdin; without one, set DAPREFLIGHT_PROXY_USER \
         and DAPREFLIGHT_PROXY_PASSWORD"
    )]
    NoTerminal,
    /// Nothing was typed for the account.
    #[error("no account was entered")]
    NoAccount,
    /// The person at the terminal cancelled (Ctrl-C, Ctrl-D).
    #[error("the credentials prompt was cancelled")]
    Cancelled,
    /// The terminal could not be read or set up.
    #[error("cannot read the credentials from the terminal")]
    Terminal(#[source] io::Error),
}

/// Asks for the account (echoed) and the password (not echoed) on the terminal.
pub(crate) fn ask() -> Result<Credentials, PromptError> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(PromptError::NoTerminal);
    }
    let mut stderr = io::stderr().lock();
    write!(stderr, "proxy account (DOMAIN\\user or user@domain): ")
        .map_err(PromptError::Terminal)?;
    stderr.flush().map_err(PromptError::Terminal)?;
    let mut account = String::new();
    let read = stdin
        .lock()
        .take(MAX_INPUT as u64)
        .read_line(&mut account)
        .map_err(PromptError::Terminal)?;
    if read == 0 {
        return Err(PromptError::Cancelled);
    }
    let account = account.trim().to_owned();
    if account.is_empty() {
        return Err(PromptError::NoAccount);
    }
    write!(stderr, "password for {account} (not shown): ").map_err(PromptError::Terminal)?;
    stderr.flush().map_err(PromptError::Terminal)?;
    crossterm::terminal::enable_raw_mode().map_err(PromptError::Terminal)?;
    let password = read_hidden(&mut stdin.lock());
    // Raw mode ends whatever was read; a failure to restore it is worth saying, not hiding.
    let restored = crossterm::terminal::disable_raw_mode();
    let _ = writeln!(stderr);
    restored.map_err(PromptError::Terminal)?;
    Ok(Credentials::new(account, password?))
}

/// Reads a line typed in raw mode: Enter ends it, Backspace removes the last character, Ctrl-C
/// and Ctrl-D (on an empty line) cancel. Nothing is written back.
fn read_hidden(input: &mut impl Read) -> Result<String, PromptError> {
    let mut typed: Vec<u8> = Vec::new();
    let mut byte = [0u8; 1];
    for _ in 0..MAX_INPUT * 4 {
        match input.read(&mut byte).map_err(PromptError::Terminal)? {
            0 => break,
            _ => match byte[0] {
                b'\r' | b'\n' => break,
                0x03 => return Err(PromptError::Cancelled),
                0x04 if typed.is_empty() => return Err(PromptError::Cancelled),
                0x08 | 0x7f => {
                    // Remove a whole UTF-8 character: its continuation bytes, then its lead.
                    while typed.pop().is_some_and(|b| b & 0xC0 == 0x80) {}
                }
                b if typed.len() < MAX_INPUT => typed.push(b),
                _ => {}
            },
        }
    }
    String::from_utf8(typed).map_err(|_| {
        PromptError::Terminal(io::Error::new(
            io::ErrorKind::InvalidData,
            "the password is not UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_line_ends_at_enter_and_honours_backspace() {
        let read = read_hidden(&mut &b"pa55x\x7f-w0rd\rignored"[..]).expect("a line");
        assert_eq!(read, "pa55-w0rd");
        let utf8 = read_hidden(&mut "sé\x7fe\n".as_bytes()).expect("a line");
        assert_eq!(utf8, "se");
    }

    #[test]
    fn ctrl_c_or_ctrl_d_on_an_empty_line_cancels() {
        assert!(matches!(
            read_hidden(&mut &b"abc\x03def\r"[..]),
            Err(PromptError::Cancelled)
        ));
        assert!(matches!(
            read_hidden(&mut &b"\x04"[..]),
            Err(PromptError::Cancelled)
        ));
    }
}
