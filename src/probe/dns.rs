//! Name resolution for probes: `--resolve` pins first, then hickory-resolver.
//!
//! Names reserved by RFC 6761 (`.invalid`) fail at once, without a query, as the RFC asks.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use tokio::sync::OnceCell;

/// A `--resolve HOST:PORT:ADDR` pin: connections to HOST:PORT go to ADDR, without DNS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pin {
    pub host: String,
    pub port: u16,
    pub addresses: Vec<IpAddr>,
}

/// Why a name did not resolve, classified from the resolver's own error where it is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DnsCause {
    /// The server says the name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no A or AAAA record.
    NoRecords,
    /// The server failed (SERVFAIL).
    ServerFailed,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No DNS server could be reached (hickory: "no connections available").
    NoServer,
    /// No server answered within the deadline.
    Timeout,
    /// There is no route to the DNS servers.
    NetworkUnreachable,
    /// A name under `.invalid` (RFC 6761): no query was sent.
    ReservedName,
    /// Anything else: the reason holds the resolver's words.
    Other,
}

impl DnsCause {
    /// Every cause, in order.
    pub const ALL: [DnsCause; 9] = [
        DnsCause::NxDomain,
        DnsCause::NoRecords,
        DnsCause::ServerFailed,
        DnsCause::Refused,
        DnsCause::NoServer,
        DnsCause::Timeout,
        DnsCause::NetworkUnreachable,
        DnsCause::ReservedName,
        DnsCause::Other,
    ];

    /// The cause's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DnsCause::NxDomain => "nxdomain",
            DnsCause::NoRecords => "no_records",
            DnsCause::ServerFailed => "servfail",
            DnsCause::Refused => "refused",
            DnsCause::NoServer => "no_server",
            DnsCause::Timeout => "timeout",
            DnsCause::NetworkUnreachable => "network_unreachable",
            DnsCause::ReservedName => "reserved_name",
            DnsCause::Other => "other",
        }
    }

    /// The cause in a person's words, as a clause: "the name does not exist (NXDOMAIN)".
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            DnsCause::NxDomain => "the name does not exist (NXDOMAIN)",
            DnsCause::NoRecords => "the name exists but has no address (no A or AAAA record)",
            DnsCause::ServerFailed => "the DNS server failed to answer (SERVFAIL)",
            DnsCause::Refused => "the DNS server refused the query (REFUSED)",
            DnsCause::NoServer => "no DNS server answered: none reachable",
            DnsCause::Timeout => "no DNS server answered in time",
            DnsCause::NetworkUnreachable => "the network is unreachable: no route to a DNS server",
            DnsCause::ReservedName => {
                "names under .invalid never resolve (RFC 6761); no query was sent"
            }
            DnsCause::Other => "the lookup failed",
        }
    }

    /// The cause in a few words, for a parenthesis: "NXDOMAIN", "no DNS server reachable".
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            DnsCause::NxDomain => "NXDOMAIN",
            DnsCause::NoRecords => "no A or AAAA record",
            DnsCause::ServerFailed => "SERVFAIL",
            DnsCause::Refused => "REFUSED",
            DnsCause::NoServer => "no DNS server reachable",
            DnsCause::Timeout => "DNS timeout",
            DnsCause::NetworkUnreachable => "network unreachable",
            DnsCause::ReservedName => "a reserved .invalid name",
            DnsCause::Other => "lookup failed",
        }
    }

    /// The cause a hickory error stands for.
    fn of(err: &NetError) -> Self {
        match err {
            _ if err.is_nx_domain() => DnsCause::NxDomain,
            _ if err.is_no_records_found() => DnsCause::NoRecords,
            NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => DnsCause::ServerFailed,
            NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => DnsCause::Refused,
            NetError::NoConnections => DnsCause::NoServer,
            NetError::Timeout => DnsCause::Timeout,
            NetError::Io(io) => match io.kind() {
                std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkDown => DnsCause::NetworkUnreachable,
                std::io::ErrorKind::ConnectionRefused => DnsCause::NoServer,
                std::io::ErrorKind::TimedOut => DnsCause::Timeout,
                _ => DnsCause::Other,
            },
            _ => DnsCause::Other,
        }
    }
}

/// Whose name a failed lookup was for: the endpoint's, or the proxy's on the way to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DnsOf {
    Endpoint,
    Proxy,
}

impl DnsOf {
    /// Both, in order.
    pub const ALL: [DnsOf; 2] = [DnsOf::Endpoint, DnsOf::Proxy];

    /// The name's owner in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DnsOf::Endpoint => "endpoint",
            DnsOf::Proxy => "proxy",
        }
    }
}

/// A lookup that failed: its cause, and the resolver's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DnsFailure {
    pub cause: DnsCause,
    pub reason: String,
}

/// Resolves probe names: pins, literals, then DNS (the system's servers or `--dns-server`).
#[derive(Clone, Debug)]
pub(crate) struct Resolver {
    pins: Vec<Pin>,
    servers: Option<Vec<SocketAddr>>,
    timeout: Duration,
    inner: Arc<OnceCell<Result<hickory_resolver::TokioResolver, String>>>,
}

impl Resolver {
    /// A resolver with these pins; `servers` replaces the system's DNS servers when given.
    #[must_use]
    pub(crate) fn new(pins: Vec<Pin>, servers: Option<Vec<SocketAddr>>, timeout: Duration) -> Self {
        Self {
            pins,
            servers,
            timeout,
            inner: Arc::new(OnceCell::new()),
        }
    }

    /// The addresses for `host:port` and how they were found (`--resolve`, `literal`, `resolver`).
    pub(crate) async fn lookup(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(Vec<SocketAddr>, &'static str), DnsFailure> {
        let with_port = |ips: &[IpAddr]| ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        if let Some(pin) = self
            .pins
            .iter()
            .find(|pin| pin.port == port && pin.host.eq_ignore_ascii_case(host))
        {
            return Ok((with_port(&pin.addresses), "--resolve"));
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok((with_port(&[ip]), "literal"));
        }
        let fail = |cause: DnsCause, reason: String| DnsFailure { cause, reason };
        let lower = host.trim_end_matches('.').to_ascii_lowercase();
        if lower == "invalid" || lower.ends_with(".invalid") {
            return Err(fail(
                DnsCause::ReservedName,
                DnsCause::ReservedName.words().to_owned(),
            ));
        }
        let resolver = self
            .inner
            .get_or_init(|| async { self.build() })
            .await
            .as_ref()
            .map_err(|reason| fail(DnsCause::Other, reason.clone()))?;
        // A trailing dot stops the search-domain walk: endpoint names are fully qualified.
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match resolver.lookup_ip(fqdn.as_str()).await {
            Ok(found) => {
                let ips: Vec<IpAddr> = found.iter().collect();
                if ips.is_empty() {
                    Err(fail(
                        DnsCause::NoRecords,
                        "the answer holds no A or AAAA record".to_owned(),
                    ))
                } else {
                    Ok((with_port(&ips), "resolver"))
                }
            }
            // The resolver's own words stay in the evidence; the cause is what people read.
            Err(err) => Err(fail(DnsCause::of(&err), err.to_string())),
        }
    }

    fn build(&self) -> Result<hickory_resolver::TokioResolver, String> {
        let mut builder = match &self.servers {
            Some(servers) => {
                let name_servers = servers
                    .iter()
                    .map(|server| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = server.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = server.port();
                        NameServerConfig::new(server.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                hickory_resolver::Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(name_servers),
                    TokioRuntimeProvider::default(),
                )
            }
            None => hickory_resolver::Resolver::builder_tokio()
                .map_err(|err| format!("cannot read the system's DNS configuration: {err}"))?,
        };
        let options = builder.options_mut();
        options.timeout = self.timeout;
        options.attempts = 1;
        builder
            .build()
            .map_err(|err| format!("cannot set up the DNS resolver: {err}"))
    }
}

/// Parses a `--resolve HOST:PORT:ADDR[,ADDR…]` value (curl's syntax; IPv6 in brackets).
pub(crate) fn parse_pin(text: &str) -> Result<Pin, String> {
    let mut parts = text.splitn(3, ':');
    let (Some(host), Some(port), Some(addresses)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("'{text}': expected HOST:PORT:ADDR"));
    };
    if host.is_empty() {
        return Err(format!("'{text}': the host is missing"));
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| format!("'{text}': '{port}' is not a port number (1-65535)"))?;
    let addresses = addresses
        .split(',')
        .map(|addr| {
            let bare = addr.trim().trim_start_matches('[').trim_end_matches(']');
            bare.parse::<IpAddr>()
                .map_err(|_| format!("'{text}': '{addr}' is not an IP address"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Pin {
        host: host.to_ascii_lowercase(),
        port,
        addresses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_pins_parse_like_curl() {
        let pin = parse_pin("origin.test:443:127.0.0.1").expect("valid");
        assert_eq!(pin.host, "origin.test");
        assert_eq!(pin.port, 443);
        assert_eq!(
            pin.addresses,
            vec!["127.0.0.1".parse::<IpAddr>().expect("ip")]
        );
        let pin = parse_pin("v6.test:8443:[::1],127.0.0.2").expect("valid");
        assert_eq!(pin.addresses.len(), 2);
        for bad in [
            "origin.test",
            "origin.test:443",
            ":443:127.0.0.1",
            "h:0:127.0.0.1",
            "h:1:nope",
        ] {
            assert!(parse_pin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolver_errors_are_classified_where_they_are_raised() {
        use std::io;
        use std::sync::Arc;

        use hickory_resolver::net::NoRecords;
        use hickory_resolver::proto::op::Query;

        let no_records = |code| {
            NetError::Dns(DnsError::NoRecordsFound(NoRecords::new(
                Query::default(),
                code,
            )))
        };
        let io = |kind: io::ErrorKind| NetError::Io(Arc::new(io::Error::from(kind)));
        let cases = [
            (no_records(ResponseCode::NXDomain), DnsCause::NxDomain),
            (no_records(ResponseCode::NoError), DnsCause::NoRecords),
            (
                NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)),
                DnsCause::ServerFailed,
            ),
            (
                NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)),
                DnsCause::Refused,
            ),
            (NetError::NoConnections, DnsCause::NoServer),
            (NetError::Timeout, DnsCause::Timeout),
            (
                io(io::ErrorKind::NetworkUnreachable),
                DnsCause::NetworkUnreachable,
            ),
            (io(io::ErrorKind::ConnectionRefused), DnsCause::NoServer),
            (NetError::Message("something else"), DnsCause::Other),
        ];
        for (err, cause) in cases {
            assert_eq!(DnsCause::of(&err), cause, "{err}");
        }
        // "no connections available" is hickory's text; people read the words instead.
        assert_eq!(
            DnsCause::NoServer.words(),
            "no DNS server answered: none reachable"
        );
    }

    #[tokio::test]
    async fn pins_and_literals_need_no_dns_and_invalid_names_fail_without_a_query() {
        let resolver = Resolver::new(
            vec![parse_pin("origin.test:443:127.0.0.1").expect("valid")],
            // A server nobody listens on: any real query would fail differently.
            Some(vec!["127.0.0.1:9".parse().expect("addr")]),
            Duration::from_secs(1),
        );
        let (addrs, source) = resolver.lookup("ORIGIN.test", 443).await.expect("pinned");
        assert_eq!(
            (addrs[0].to_string().as_str(), source),
            ("127.0.0.1:443", "--resolve")
        );
        let (addrs, source) = resolver.lookup("::1", 8080).await.expect("literal");
        assert_eq!(
            (addrs[0].to_string().as_str(), source),
            ("[::1]:8080", "literal")
        );
        let err = resolver.lookup("nowhere.invalid", 443).await.unwrap_err();
        assert_eq!(err.cause, DnsCause::ReservedName);
        assert!(err.reason.contains("RFC 6761"), "{err:?}");
    }
}
