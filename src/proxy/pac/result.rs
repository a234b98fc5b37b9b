//! The string `FindProxyForURL` returns, parsed into an ordered failover list.

use std::fmt;

use crate::route::{ProxyAddr, Route, split_host_port};

/// One element of a PAC result, in the order the client tries them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PacEntry {
    /// `DIRECT`: connect to the target itself.
    Direct,
    /// `PROXY host:port` (or `HTTP host:port`): an HTTP proxy.
    Proxy { addr: ProxyAddr },
    /// `HTTPS host:port`: an HTTP proxy reached over TLS (not documented for Windows).
    Https { addr: ProxyAddr },
    /// `SOCKS` (version unspecified), `SOCKS4` or `SOCKS5`.
    Socks {
        version: Option<u8>,
        addr: ProxyAddr,
    },
}

/// Parses a PAC result string; an empty string gives an empty list (the caller decides what
/// "nothing" means), and any element that is not understood is an error.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn parse_result(raw: &str) -> Result<Vec<PacEntry>, String> {
    let (entries, invalid) = parse_lenient(raw);
    match invalid.first() {
        Some(message) => Err(message.clone()),
        None => Ok(entries),
    }
}

/// Parses what can be parsed, and describes each element that cannot.
pub(crate) fn parse_lenient(raw: &str) -> (Vec<PacEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut invalid = Vec::new();
    for element in raw.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        match parse_element(element) {
            Ok(entry) => entries.push(entry),
            Err(message) => invalid.push(message),
        }
    }
    (entries, invalid)
}

fn parse_element(element: &str) -> Result<PacEntry, String> {
    let (keyword, rest) = match element.split_once(char::is_whitespace) {
        Some((keyword, rest)) => (keyword, rest.trim()),
        None => (element, ""),
    };
    let keyword = keyword.to_ascii_uppercase();
    if keyword == "DIRECT" {
        return if rest.is_empty() {
            Ok(PacEntry::Direct)
        } else {
            Err(format!("'{element}': DIRECT takes no address"))
        };
    }
    // Default ports as Chromium fills them in when the PAC gives none.
    let default_port = match keyword.as_str() {
        "PROXY" | "HTTP" => 80,
        "HTTPS" => 443,
        "SOCKS" | "SOCKS4" | "SOCKS5" => 1080,
        _ => {
            return Err(format!(
                "'{element}' is not DIRECT, PROXY, HTTPS, SOCKS, SOCKS4 or SOCKS5 host:port"
            ));
        }
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!(
            "'{element}': expected one host:port after {keyword}"
        ));
    }
    let (host, port) =
        split_host_port(rest).map_err(|message| format!("'{element}': {message}"))?;
    let addr = ProxyAddr {
        host,
        port: port.unwrap_or(default_port),
    };
    Ok(match keyword.as_str() {
        "HTTPS" => PacEntry::Https { addr },
        "SOCKS" => PacEntry::Socks {
            version: None,
            addr,
        },
        "SOCKS4" => PacEntry::Socks {
            version: Some(4),
            addr,
        },
        "SOCKS5" => PacEntry::Socks {
            version: Some(5),
            addr,
        },
        _ => PacEntry::Proxy { addr },
    })
}

impl PacEntry {
    /// The route a probe takes for this entry, or why it cannot be probed as an HTTP proxy.
    pub fn to_route(&self) -> Result<Route, String> {
        match self {
            PacEntry::Direct => Ok(Route::Direct),
            PacEntry::Proxy { addr } => Ok(Route::Proxy {
                proxy: addr.clone(),
            }),
            PacEntry::Https { addr } => Err(format!(
                "HTTPS {addr} is a TLS-wrapped proxy, which dapreflight cannot probe and Windows \
                 does not document"
            )),
            PacEntry::Socks { addr, .. } => Err(format!(
                "{self} is a SOCKS proxy: WinHTTP does not speak SOCKS, and dapreflight cannot \
                 probe it as an HTTP proxy ({addr})"
            )),
        }
    }

    /// Whether `WinINET` understands this kind of entry (`PROXY`, `SOCKS`, `DIRECT`).
    #[must_use]
    pub fn wininet_understands(&self) -> bool {
        !matches!(self, PacEntry::Https { .. })
    }
}

impl fmt::Display for PacEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacEntry::Direct => f.write_str("DIRECT"),
            PacEntry::Proxy { addr } => write!(f, "PROXY {addr}"),
            PacEntry::Https { addr } => write!(f, "HTTPS {addr}"),
            PacEntry::Socks {
                version: None,
                addr,
            } => write!(f, "SOCKS {addr}"),
            PacEntry::Socks {
                version: Some(version),
                addr,
            } => write!(f, "SOCKS{version} {addr}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(host: &str, port: u16) -> ProxyAddr {
        ProxyAddr {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn result_strings_parse_into_ordered_failover_lists() {
        let cases = [
            ("DIRECT", vec![PacEntry::Direct]),
            ("", vec![]),
            (" ; ", vec![]),
            (
                "PROXY p1.corp:8080; PROXY p2.corp:8080; DIRECT",
                vec![
                    PacEntry::Proxy {
                        addr: addr("p1.corp", 8080),
                    },
                    PacEntry::Proxy {
                        addr: addr("p2.corp", 8080),
                    },
                    PacEntry::Direct,
                ],
            ),
            (
                "proxy P:3128;direct",
                vec![
                    PacEntry::Proxy {
                        addr: addr("p", 3128),
                    },
                    PacEntry::Direct,
                ],
            ),
            (
                "HTTP h:1; HTTPS s:2; SOCKS a:3; SOCKS4 b:4; SOCKS5 c:5",
                vec![
                    PacEntry::Proxy { addr: addr("h", 1) },
                    PacEntry::Https { addr: addr("s", 2) },
                    PacEntry::Socks {
                        version: None,
                        addr: addr("a", 3),
                    },
                    PacEntry::Socks {
                        version: Some(4),
                        addr: addr("b", 4),
                    },
                    PacEntry::Socks {
                        version: Some(5),
                        addr: addr("c", 5),
                    },
                ],
            ),
            (
                "PROXY [2001:db8::1]:8080; PROXY noport",
                vec![
                    PacEntry::Proxy {
                        addr: addr("2001:db8::1", 8080),
                    },
                    PacEntry::Proxy {
                        addr: addr("noport", 80),
                    },
                ],
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_result(raw), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn malformed_elements_are_errors_naming_the_element() {
        for bad in [
            "PROXY",
            "FTP a:1",
            "DIRECT x",
            "PROXY a:1 b:2",
            "PROXY a:99999",
        ] {
            let err = parse_result(bad).expect_err(bad);
            assert!(err.contains(bad.split(';').next().unwrap_or(bad)), "{err}");
        }
        let (entries, invalid) = parse_lenient("BOGUS; DIRECT");
        assert_eq!((entries, invalid.len()), (vec![PacEntry::Direct], 1));
    }

    #[test]
    fn only_direct_and_http_proxies_become_probe_routes() {
        assert_eq!(PacEntry::Direct.to_route(), Ok(Route::Direct));
        let proxy = PacEntry::Proxy { addr: addr("p", 1) };
        assert_eq!(
            proxy.to_route(),
            Ok(Route::Proxy {
                proxy: addr("p", 1)
            })
        );
        assert!(PacEntry::Https { addr: addr("p", 1) }.to_route().is_err());
        let socks = PacEntry::Socks {
            version: Some(5),
            addr: addr("p", 1),
        };
        assert!(socks.to_route().unwrap_err().contains("SOCKS5 p:1"));
    }
}
