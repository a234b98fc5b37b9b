//! Name resolution for probes: `--resolve` pins first, then hickory-resolver.
//!
//! Names reserved by RFC 6761 (`.invalid`) fail at once, without a query, as the RFC asks.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use tokio::sync::OnceCell;

use crate::probe::ProbeFailure;

/// A `--resolve HOST:PORT:ADDR` pin: connections to HOST:PORT go to ADDR, without DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub host: String,
    pub port: u16,
    pub addresses: Vec<IpAddr>,
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
    ) -> Result<(Vec<SocketAddr>, &'static str), ProbeFailure> {
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
        let fail = |reason: String| ProbeFailure::DnsFailed {
            name: host.to_owned(),
            reason,
        };
        let lower = host.trim_end_matches('.').to_ascii_lowercase();
        if lower == "invalid" || lower.ends_with(".invalid") {
            return Err(fail(
                "names under .invalid never resolve (RFC 6761); no query was sent".to_owned(),
            ));
        }
        let resolver = self
            .inner
            .get_or_init(|| async { self.build() })
            .await
            .as_ref()
            .map_err(|reason| fail(reason.clone()))?;
        // A trailing dot stops the search-domain walk: endpoint names are fully qualified.
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match resolver.lookup_ip(fqdn.as_str()).await {
            Ok(found) => {
                let ips: Vec<IpAddr> = found.iter().collect();
                if ips.is_empty() {
                    Err(fail("the name has no A or AAAA record".to_owned()))
                } else {
                    Ok((with_port(&ips), "resolver"))
                }
            }
            Err(err) => Err(fail(describe(&err))),
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

fn describe(err: &NetError) -> String {
    if err.is_nx_domain() {
        "no such name (NXDOMAIN)".to_owned()
    } else if err.is_no_records_found() {
        "the name has no A or AAAA record".to_owned()
    } else {
        err.to_string()
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
        assert!(
            matches!(&err, ProbeFailure::DnsFailed { reason, .. } if reason.contains("RFC 6761")),
            "{err:?}"
        );
    }
}
