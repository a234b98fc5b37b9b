//! The Windows proxy-list grammar (`http=a:80;https=b:443`, `proxy:8080`, `socks=s:1080`) shared
//! by `WinINET`'s `ProxyServer` and `WinHTTP`'s static proxy, and the choice of entry for a URL.
//!
//! Bypass lists are `bypass`'s job; this module only picks the proxy.

use std::fmt;

use crate::route::{ProxyAddr, split_host_port};
use crate::url::Scheme;

/// A parsed proxy list, entries in their written order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyList {
    entries: Vec<ProxyEntry>,
}

/// One entry of a proxy list: `[scheme=][proxyscheme://]host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyEntry {
    /// The entry as written.
    pub text: String,
    /// The URL scheme the entry serves (`https` for `HTTPS=…`), lower case; `None` for a bare
    /// entry, the default for every scheme without its own entry.
    pub scheme: Option<String>,
    /// The protocol spoken to the proxy.
    pub kind: ProxyKind,
    pub addr: ProxyAddr,
}

/// The protocol spoken to a proxy, from a `socks=` entry or a `proxyscheme://` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    /// An HTTP proxy (no prefix, or `http://`).
    Http,
    /// A SOCKS proxy (`socks=`, or `socks://`, `socks4://`, `socks5://`).
    Socks,
    /// Another prefix, e.g. `https://` or `ftp://` (both in Microsoft's own examples), lower case.
    Other(String),
}

/// Which Windows HTTP stack reads the list: they differ on SOCKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyApi {
    /// `WinHTTP`: services such as `DiagTrack` in the system context.
    WinHttp,
    /// `WinINET`: the signed-in user's Internet Options.
    WinInet,
}

/// The entry a proxy list picks for a URL scheme, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub route: SelectedRoute,
    /// The entry that was used, as written; `None` when no entry applies.
    pub entry: Option<String>,
    /// Why this entry (or none) applies, in words for the report.
    pub reason: String,
}

/// Where a proxy list sends a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectedRoute {
    /// Straight to the target.
    Direct,
    /// Through an HTTP proxy (CONNECT for https).
    Proxy(ProxyAddr),
    /// Through a SOCKS proxy, which dapreflight cannot probe as an HTTP proxy.
    Socks(ProxyAddr),
}

/// The port of an HTTP proxy entry without one. Chromium uses 80; `WinINET`/`WinHTTP` are
/// assumed to do the same (docs/formats.md §3.2, unverified).
const DEFAULT_HTTP_PORT: u16 = 80;
/// The port of a SOCKS entry without one, Chromium's default (unverified for Windows).
const DEFAULT_SOCKS_PORT: u16 = 1080;

impl ProxyList {
    /// Parses a proxy list; entries are separated by `;` or whitespace (`WINHTTP_PROXY_INFO`).
    ///
    /// An empty list is valid (it routes everything DIRECT); a malformed entry is an error that
    /// quotes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let entries = text
            .split(|c: char| c == ';' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(parse_entry)
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// The entries in their written order.
    #[must_use]
    pub fn entries(&self) -> &[ProxyEntry] {
        &self.entries
    }

    /// Picks the entry `api` uses for a URL with `scheme`, in Windows' order: the scheme's own
    /// entry, else the bare entry, else (`WinINET` only) the `socks=` entry, else DIRECT.
    #[must_use]
    pub fn select(&self, scheme: Scheme, api: ProxyApi) -> Selection {
        let name = scheme.as_str();
        // WinHTTP has no SOCKS support (docs/formats.md §3.2, unverified; Wine ignores it),
        // so a SOCKS entry is invisible to it.
        let usable =
            |entry: &&ProxyEntry| api == ProxyApi::WinInet || entry.kind != ProxyKind::Socks;
        let own = if self
            .entries
            .iter()
            .any(|entry| entry.scheme.as_deref() == Some(name) && !usable(&entry))
        {
            format!("no {name}= entry WinHTTP can use (it does not speak SOCKS)")
        } else {
            format!("no {name}= entry")
        };
        // Wine `dlls/wininet/internet.c` `INTERNET_FindProxyForProtocol`: `proto=` first, then the
        // entry without `=`; the first of each wins.
        if let Some(entry) = self
            .entries
            .iter()
            .filter(usable)
            .find(|entry| entry.scheme.as_deref() == Some(name))
        {
            return entry.selection(&format!("the {name}= entry"));
        }
        if let Some(entry) = self
            .entries
            .iter()
            .filter(usable)
            .find(|entry| entry.scheme.is_none())
        {
            // A proxy listed by itself is the default for every scheme without its own entry
            // (WinINET documentation, "Enabling Internet Functionality").
            let why = if self.entries.len() == 1 {
                "the one proxy for every scheme".to_owned()
            } else {
                format!("{own}: the bare entry, the default for the other schemes")
            };
            return entry.selection(&why);
        }
        let socks = self
            .entries
            .iter()
            .find(|entry| entry.scheme.as_deref() == Some("socks"));
        if let Some(entry) = socks
            && api == ProxyApi::WinInet
        {
            // WinINET tunnels through SOCKS when nothing else applies (docs/formats.md §3.2).
            return entry.selection(&format!(
                "no {name}= entry and no bare entry; WinINET falls back to the socks= entry"
            ));
        }
        let mut reason = vec![if self.entries.is_empty() {
            "the proxy list is empty, so every URL goes DIRECT".to_owned()
        } else {
            format!("{own} and no bare entry: {name} URLs go DIRECT")
        }];
        if let Some(entry) = socks.filter(|_| api == ProxyApi::WinHttp) {
            reason.push(format!(
                "WinHTTP does not use the socks= entry '{}'",
                entry.text
            ));
        }
        let mut others: Vec<&str> = Vec::new();
        for scheme in self
            .entries
            .iter()
            .filter_map(|entry| entry.scheme.as_deref())
        {
            if scheme != "socks" && scheme != name && !others.contains(&scheme) {
                others.push(scheme);
            }
        }
        if !others.is_empty() {
            let others = others
                .iter()
                .map(|scheme| format!("{scheme}="))
                .collect::<Vec<_>>()
                .join(", ");
            // The classic "browser works, telemetry doesn't": an http=-only list leaves https
            // DIRECT, not on the http= proxy (docs/formats.md §3.2, step 4).
            reason.push(format!(
                "{others} covers only its own scheme (the classic 'the browser works, telemetry \
                 doesn't')"
            ));
        }
        Selection {
            route: SelectedRoute::Direct,
            entry: None,
            reason: reason.join("; "),
        }
    }
}

impl ProxyEntry {
    /// The selection that uses this entry, with `why` and a note on its proxy protocol.
    fn selection(&self, why: &str) -> Selection {
        let (route, note) = match &self.kind {
            ProxyKind::Http => (SelectedRoute::Proxy(self.addr.clone()), String::new()),
            ProxyKind::Socks => (
                SelectedRoute::Socks(self.addr.clone()),
                "; it is a SOCKS proxy, which dapreflight cannot probe as an HTTP proxy".to_owned(),
            ),
            ProxyKind::Other(prefix) => (
                SelectedRoute::Proxy(self.addr.clone()),
                format!("; its '{prefix}://' prefix is probed as a plain HTTP proxy"),
            ),
        };
        Selection {
            route,
            entry: Some(self.text.clone()),
            reason: format!("{why}: '{}'{note}", self.text),
        }
    }
}

/// Parses one `[scheme=][proxyscheme://]host[:port]` entry.
fn parse_entry(text: &str) -> Result<ProxyEntry, String> {
    let bad = |why: &str| format!("proxy list entry '{text}': {why}");
    let (scheme, rest) = match text.split_once('=') {
        Some((scheme, rest)) => {
            if scheme.is_empty()
                || !scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                return Err(bad("the scheme before '=' is not a URL scheme name"));
            }
            (Some(scheme.to_ascii_lowercase()), rest)
        }
        None => (None, text),
    };
    let (mut kind, authority) = match rest.split_once("://") {
        Some((prefix, authority)) => {
            let prefix = prefix.to_ascii_lowercase();
            let kind = match prefix.as_str() {
                "http" => ProxyKind::Http,
                "socks" | "socks4" | "socks5" => ProxyKind::Socks,
                _ => ProxyKind::Other(prefix),
            };
            (kind, authority)
        }
        None => (ProxyKind::Http, rest),
    };
    // `socks=host:port` names a SOCKS proxy without any prefix (Internet Options writes it so).
    if scheme.as_deref() == Some("socks") {
        kind = ProxyKind::Socks;
    }
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.contains(['/', '@', '=']) {
        return Err(bad("expected host[:port]"));
    }
    let (host, port) = split_host_port(authority).map_err(|why| bad(&why))?;
    let default_port = if kind == ProxyKind::Socks {
        DEFAULT_SOCKS_PORT
    } else {
        DEFAULT_HTTP_PORT
    };
    Ok(ProxyEntry {
        text: text.to_owned(),
        scheme,
        kind,
        addr: ProxyAddr {
            host,
            port: port.unwrap_or(default_port),
        },
    })
}

impl fmt::Display for SelectedRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectedRoute::Direct => f.write_str("DIRECT"),
            SelectedRoute::Proxy(addr) => write!(f, "proxy {addr}"),
            SelectedRoute::Socks(addr) => write!(f, "SOCKS {addr}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(text: &str) -> SelectedRoute {
        let (kind, addr) = text.split_once(' ').unwrap_or((text, ""));
        let addr = || {
            let (host, port) = addr.rsplit_once(':').expect("host:port");
            ProxyAddr {
                host: host.trim_matches(['[', ']']).to_owned(),
                port: port.parse().expect("port"),
            }
        };
        match kind {
            "DIRECT" => SelectedRoute::Direct,
            "proxy" => SelectedRoute::Proxy(addr()),
            "SOCKS" => SelectedRoute::Socks(addr()),
            _ => panic!("bad expectation {text}"),
        }
    }

    #[test]
    fn proxy_lists_pick_the_entry_windows_picks() {
        use ProxyApi::{WinHttp, WinInet};
        use Scheme::{Http, Https};
        // (list, scheme, api, expected route, expected entry or "" for none)
        #[rustfmt::skip] // one case a line, columns aligned
        let cases = [
            ("http=a:80;https=b:443",      Https, WinHttp, "proxy b:443",      "https=b:443"),
            ("http=a:80;https=b:443",      Http,  WinInet, "proxy a:80",       "http=a:80"),
            ("http=a:80",                  Https, WinHttp, "DIRECT",           ""),
            ("http=a:80",                  Https, WinInet, "DIRECT",           ""),
            ("proxy:8080",                 Https, WinHttp, "proxy proxy:8080", "proxy:8080"),
            ("proxy:8080",                 Http,  WinInet, "proxy proxy:8080", "proxy:8080"),
            ("HTTPS=h:1",                  Https, WinHttp, "proxy h:1",        "HTTPS=h:1"),
            ("socks=s:1080",               Https, WinInet, "SOCKS s:1080",     "socks=s:1080"),
            ("socks=s:1080",               Https, WinHttp, "DIRECT",           ""),
            ("https=http://p:8080",        Https, WinHttp, "proxy p:8080",     "https=http://p:8080"),
            ("[::1]:3128",                 Https, WinHttp, "proxy [::1]:3128", "[::1]:3128"),
            ("ftp=f:21 bare",              Https, WinInet, "proxy bare:80",    "bare"),
            ("bare:1;https=s:2",           Https, WinInet, "proxy s:2",        "https=s:2"),
            ("http=a:1;socks=s:2;proxy:3", Https, WinInet, "proxy proxy:3",    "proxy:3"),
            ("http=a:1;socks=s",           Https, WinInet, "SOCKS s:1080",     "socks=s"),
            ("https=socks5://s:9",         Https, WinInet, "SOCKS s:9",        "https=socks5://s:9"),
            ("https=socks5://s:9;p:1",     Https, WinHttp, "proxy p:1",        "p:1"),
            ("https=socks5://s:9",         Https, WinHttp, "DIRECT",           ""),
            ("HTTP=https://jericho:99",    Http,  WinInet, "proxy jericho:99", "HTTP=https://jericho:99"),
            ("https=a:1;https=b:2",        Https, WinHttp, "proxy a:1",        "https=a:1"),
            ("",                           Https, WinHttp, "DIRECT",           ""),
            (" ;; ",                       Https, WinInet, "DIRECT",           ""),
        ];
        for (list, scheme, api, expected, entry) in cases {
            let parsed = ProxyList::parse(list).expect(list);
            let selection = parsed.select(scheme, api);
            let label = format!("{list} for {scheme:?} via {api:?}");
            assert_eq!(selection.route, route(expected), "{label}");
            let entry = Some(entry).filter(|entry| !entry.is_empty());
            assert_eq!(selection.entry.as_deref(), entry, "{label}");
        }
    }

    #[test]
    fn selection_reasons_say_why_in_words() {
        use ProxyApi::{WinHttp, WinInet};
        // (list, api, a phrase of the reason for an https URL)
        let cases = [
            (
                "http=a:80;https=b:443",
                WinHttp,
                "the https= entry: 'https=b:443'",
            ),
            (
                "proxy:8080",
                WinInet,
                "the one proxy for every scheme: 'proxy:8080'",
            ),
            (
                "http=a:80;p:1",
                WinInet,
                "no https= entry: the bare entry, the default for the other schemes",
            ),
            (
                "http=a:80",
                WinHttp,
                "no https= entry and no bare entry: https URLs go DIRECT",
            ),
            ("http=a:80", WinInet, "http= covers only its own scheme"),
            ("http=a:80", WinInet, "telemetry doesn't"),
            (
                "socks=s:1080",
                WinInet,
                "WinINET falls back to the socks= entry",
            ),
            ("socks=s:1080", WinInet, "cannot probe as an HTTP proxy"),
            (
                "socks=s:1080",
                WinHttp,
                "WinHTTP does not use the socks= entry 'socks=s:1080'",
            ),
            (
                "https=socks5://s:9",
                WinHttp,
                "no https= entry WinHTTP can use",
            ),
            (
                "https=ftp://g:1",
                WinInet,
                "its 'ftp://' prefix is probed as a plain HTTP proxy",
            ),
            ("", WinHttp, "the proxy list is empty"),
        ];
        for (list, api, phrase) in cases {
            let parsed = ProxyList::parse(list).expect(list);
            let reason = parsed.select(Scheme::Https, api).reason;
            assert!(reason.contains(phrase), "{list} via {api:?}: {reason}");
        }
    }

    #[test]
    fn entries_parse_with_windows_defaults() {
        let list =
            ProxyList::parse("HTTP=Proxy.Corp ftp=ftp://ftp-gw;socks=s\t[fe80::1]").expect("valid");
        let parsed: Vec<_> = list
            .entries()
            .iter()
            .map(|entry| {
                (
                    entry.scheme.as_deref(),
                    entry.kind.clone(),
                    entry.addr.to_string(),
                )
            })
            .collect();
        assert_eq!(
            parsed,
            [
                (Some("http"), ProxyKind::Http, "proxy.corp:80".to_owned()),
                (
                    Some("ftp"),
                    ProxyKind::Other("ftp".to_owned()),
                    "ftp-gw:80".to_owned()
                ),
                (Some("socks"), ProxyKind::Socks, "s:1080".to_owned()),
                (None, ProxyKind::Http, "[fe80::1]:80".to_owned()),
            ]
        );
    }

    #[test]
    fn malformed_entries_are_named_in_the_error() {
        let cases = [
            ("http=a:80;https=b:99999", "'https=b:99999'"),
            ("=a:80", "'=a:80'"),
            ("https=", "'https='"),
            ("a:80;user@p:1", "'user@p:1'"),
            ("[::1:80", "'[::1:80'"),
            ("http=p:1/path", "'http=p:1/path'"),
            ("https=x=y", "'https=x=y'"),
            // An unbracketed IPv6 address with a port is ambiguous: refused, not guessed.
            ("http=fe80::1:8080", "'http=fe80::1:8080'"),
            ("p:1 1.2.3.999", "'1.2.3.999'"),
            ("pro%78y:1", "'pro%78y:1'"),
        ];
        for (list, entry) in cases {
            let err = ProxyList::parse(list).expect_err(list);
            assert!(err.contains(entry), "{list}: {err}");
        }
    }
}
