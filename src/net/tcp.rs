//! TCP connect: each resolved address in turn, within the stage's deadline.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::net::millis;

/// The connection that was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connected {
    pub peer: SocketAddr,
    /// Addresses tried before `peer` that failed, with why.
    pub failed: Vec<String>,
}

/// Why no connection was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// No address answered within the deadline.
    Timeout { after_ms: u64 },
    /// Every address refused or failed; `reason` says how each did.
    Failed { to: String, reason: String },
}

/// Connects to the first address that accepts; the whole stage shares one deadline.
pub(crate) async fn connect(
    addresses: &[SocketAddr],
    deadline: Duration,
) -> Result<(TcpStream, Connected), ConnectError> {
    let started = Instant::now();
    let mut failed = Vec::new();
    for addr in addresses {
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Probes send small requests and wait for answers: don't let Nagle delay them.
                let _ = stream.set_nodelay(true);
                return Ok((
                    stream,
                    Connected {
                        peer: *addr,
                        failed,
                    },
                ));
            }
            Ok(Err(err)) => failed.push(format!("{addr}: {}", describe(&err))),
            Err(_) => failed.push(format!("{addr}: no answer")),
        }
    }
    if failed.is_empty() || failed.iter().all(|f| f.ends_with("no answer")) {
        return Err(ConnectError::Timeout {
            after_ms: millis(deadline),
        });
    }
    Err(ConnectError::Failed {
        to: addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        reason: failed.join("; "),
    })
}

/// A connect error in words an admin reads, classified at the source.
fn describe(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused (nothing listens on that port, \
                                            or a firewall rejects it)"
            .to_owned(),
        io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
        io::ErrorKind::HostUnreachable => "host unreachable".to_owned(),
        io::ErrorKind::NetworkUnreachable => "network unreachable (no route)".to_owned(),
        io::ErrorKind::PermissionDenied => "not permitted (a local firewall?)".to_owned(),
        io::ErrorKind::AddrNotAvailable => "address not available".to_owned(),
        _ => err.to_string(),
    }
}
