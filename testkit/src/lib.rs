//! In-process peers for dapreflight's integration tests and benches: CAs, origins, proxies (one
//! verifies NTLMv2), a DNS server, `.reg` export files, and the third-party proxies (Squid,
//! tinyproxy) CI installs.
//!
//! Every peer binds `127.0.0.1:0`, is ready when its constructor returns, and stops on
//! `Drop`. Nothing here connects anywhere but loopback.

mod ca;
mod dns;
mod handshake;
mod ntlm;
mod origin;
mod proxy;
mod regexport;
#[cfg(unix)]
mod third_party;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};
use tokio::task::{JoinHandle, JoinSet};

pub use ca::{Ca, Leaf};
pub use dns::{DnsServer, RCODE_NOERROR, RCODE_REFUSED, RCODE_SERVFAIL};
pub use handshake::{ANSWER, CHALLENGE, FIRST, HandshakeProxy, Script, ScriptedAuth};
pub use ntlm::NtlmProxy;
pub use origin::{HttpServer, SeenRequest, TlsServer};
pub use proxy::{FakeProxy, GARBAGE, ProxyBehavior, SeenProxyRequest};
pub use regexport::{
    DATA_COLLECTION, MACHINE_CONNECTIONS, RegExport, RegValue, SYSTEM_IS, USER_IS,
};
#[cfg(unix)]
pub use third_party::{NtlmHelper, SquidAccess, SquidAuth, SquidNtlm, ThirdPartyProxy, available};

/// A 127.0.0.1 address with nothing listening on it, for "connection refused".
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("loopback can bind port 0");
    listener
        .local_addr()
        .expect("a bound socket has an address")
}

/// A loopback UDP port nobody listens on (bound once, then released): a datagram sent there
/// draws an ICMP port unreachable.
pub fn closed_udp_port() -> SocketAddr {
    std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("loopback can bind port 0")
        .local_addr()
        .expect("a bound socket has an address")
}

/// Reads one HTTP head (request or response) up to and including the blank line.
///
/// Returns `None` on a clean EOF before any byte, or when the head is larger than 64 KiB.
pub async fn read_head(reader: &mut (impl AsyncBufRead + Unpin)) -> Option<Vec<u8>> {
    const MAX_HEAD: u64 = 64 * 1024;
    let mut head = Vec::new();
    // A head ends with an empty line; each iteration reads one line.
    for _ in 0..1024 {
        let budget = MAX_HEAD.checked_sub(head.len() as u64).filter(|b| *b > 0)?;
        let n = (&mut *reader)
            .take(budget)
            .read_until(b'\n', &mut head)
            .await
            .ok()?;
        if n == 0 {
            return None;
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") || head == b"\r\n" {
            return Some(head);
        }
    }
    None
}

/// Whether the peers may reach `host`: `*.test`, `localhost` and loopback IPs only.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    // `host` is lowercased above, so comparing the last label exactly is enough.
    let last_label = host.rsplit('.').next().unwrap_or_default();
    host == "localhost" || (host.contains('.') && matches!(last_label, "test" | "localhost"))
}

/// The largest number of connections (or datagrams) any peer serves before it stops accepting.
const MAX_ACCEPTS: usize = 1_000_000;

/// An accept loop whose tasks (and their per-connection tasks) are aborted on drop.
struct Background {
    handle: JoinHandle<()>,
}

impl Background {
    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Background {
        Background {
            handle: tokio::spawn(task),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Spawns a per-connection task into `set`, first reaping the ones that finished.
fn spawn_connection(set: &mut JoinSet<()>, task: impl Future<Output = ()> + Send + 'static) {
    while set.try_join_next().is_some() {}
    set.spawn(task);
}
