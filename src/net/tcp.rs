//! TCP connect: each resolved address in turn, within the stage's deadline.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::net::millis;

/// The connection that was opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Every address refused or failed: `to` lists the addresses, `cause` classifies the failure
    /// and `reason` says it in words (per address when there were several).
    Failed {
        to: String,
        cause: ConnectCause,
        reason: String,
    },
}

/// Why an address did not accept the connection, classified from the OS error at the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConnectCause {
    /// The peer answered with a reset to the SYN: nothing listens, or a firewall rejects it.
    Refused,
    /// No route to that host (an ICMP host unreachable, or ARP found nobody).
    HostUnreachable,
    /// No route to that network.
    NetworkUnreachable,
    /// The connection was reset while being opened.
    Reset,
    /// Anything else (the reason holds the OS's words).
    Other,
}

impl ConnectCause {
    /// Every cause, in order.
    pub const ALL: [ConnectCause; 5] = [
        ConnectCause::Refused,
        ConnectCause::HostUnreachable,
        ConnectCause::NetworkUnreachable,
        ConnectCause::Reset,
        ConnectCause::Other,
    ];

    /// The cause's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectCause::Refused => "refused",
            ConnectCause::HostUnreachable => "host_unreachable",
            ConnectCause::NetworkUnreachable => "network_unreachable",
            ConnectCause::Reset => "reset",
            ConnectCause::Other => "other",
        }
    }

    /// The cause an OS error stands for.
    #[must_use]
    pub fn of(err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionRefused => ConnectCause::Refused,
            io::ErrorKind::HostUnreachable => ConnectCause::HostUnreachable,
            io::ErrorKind::NetworkUnreachable | io::ErrorKind::NetworkDown => {
                ConnectCause::NetworkUnreachable
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                ConnectCause::Reset
            }
            _ => ConnectCause::Other,
        }
    }
}

/// Connects to the first address that accepts; the whole stage shares one deadline.
pub(crate) async fn connect(
    addresses: &[SocketAddr],
    deadline: Duration,
) -> Result<(TcpStream, Connected), ConnectError> {
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut causes = Vec::new();
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
            Ok(Err(err)) => {
                causes.push(ConnectCause::of(&err));
                failed.push(format!("{addr}: {}", describe(&err)));
            }
            Err(_) => failed.push(format!("{addr}: no answer")),
        }
    }
    if causes.is_empty() {
        return Err(ConnectError::Timeout {
            after_ms: millis(deadline),
        });
    }
    // The address is said once, by whoever names the target: with one address the reason is
    // only the why; with several, each address with its own why.
    let reason = match (addresses, causes.as_slice()) {
        ([addr], _) => failed
            .pop()
            .and_then(|text| text.strip_prefix(&format!("{addr}: ")).map(str::to_owned))
            .unwrap_or_default(),
        _ => failed.join("; "),
    };
    // An unreachable IPv6 address next to a refusing IPv4 one: the refusal says more.
    let cause = causes
        .iter()
        .copied()
        .find(|cause| {
            !matches!(
                cause,
                ConnectCause::HostUnreachable | ConnectCause::NetworkUnreachable
            )
        })
        .unwrap_or(causes[0]);
    Err(ConnectError::Failed {
        to: addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        cause,
        reason,
    })
}

/// A connect error in words an admin reads, classified at the source.
fn describe(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused (nothing listens on that port, \
                                            or a firewall rejects it)"
            .to_owned(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            "connection reset".to_owned()
        }
        io::ErrorKind::HostUnreachable => "host unreachable".to_owned(),
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::NetworkDown => {
            "network unreachable (no route)".to_owned()
        }
        io::ErrorKind::PermissionDenied => "not permitted (a local firewall?)".to_owned(),
        io::ErrorKind::AddrNotAvailable => "address not available".to_owned(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_names_its_address_once_and_says_refused() {
        // Bind, then drop: the port is closed, so the loopback connect is refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback binds");
        let addr = listener.local_addr().expect("bound");
        drop(listener);
        let err = connect(&[addr], Duration::from_secs(5))
            .await
            .expect_err("nothing listens");
        let ConnectError::Failed { to, cause, reason } = err else {
            panic!("expected a refusal, got {err:?}");
        };
        assert_eq!(to, addr.to_string());
        assert_eq!(cause, ConnectCause::Refused);
        assert!(reason.starts_with("connection refused"), "{reason}");
        assert!(!reason.contains(&addr.to_string()), "{reason}");
    }

    #[test]
    fn os_errors_map_to_causes() {
        let cases = [
            (io::ErrorKind::ConnectionRefused, ConnectCause::Refused),
            (
                io::ErrorKind::HostUnreachable,
                ConnectCause::HostUnreachable,
            ),
            (
                io::ErrorKind::NetworkUnreachable,
                ConnectCause::NetworkUnreachable,
            ),
            (io::ErrorKind::ConnectionReset, ConnectCause::Reset),
            (io::ErrorKind::PermissionDenied, ConnectCause::Other),
        ];
        for (kind, cause) in cases {
            assert_eq!(ConnectCause::of(&io::Error::from(kind)), cause, "{kind:?}");
        }
    }
}
