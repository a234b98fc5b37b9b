//! Name lookups for PAC helpers (`dnsResolve`, `isResolvable`, ...) and WPAD discovery: a trait the
//! tests answer from a table, and the system's resolver behind a deadline.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

/// Resolves host names, synchronously, within a deadline.
pub trait NameResolver: Send + Sync {
    /// The addresses of `host`, or why there are none, within `timeout`.
    fn lookup(&self, host: &str, timeout: Duration) -> Result<Vec<IpAddr>, String>;
}

/// The operating system's resolver (`getaddrinfo`), as Windows' PAC helpers use it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SystemResolver;

impl NameResolver for SystemResolver {
    fn lookup(&self, host: &str, timeout: Duration) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let (sender, receiver) = mpsc::channel();
        let name = format!("{host}:0");
        // getaddrinfo cannot be cancelled: a lookup past the deadline finishes on its own thread.
        std::thread::Builder::new()
            .name("dapreflight-dns".to_owned())
            .spawn(move || {
                let result = name
                    .to_socket_addrs()
                    .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>())
                    .map_err(|err| err.to_string());
                let _ = sender.send(result);
            })
            .map_err(|err| format!("cannot start a lookup: {err}"))?;
        match receiver.recv_timeout(timeout) {
            Ok(Ok(addrs)) if addrs.is_empty() => Err(format!("{host} has no address")),
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer for {host} within {} ms",
                timeout.as_millis()
            )),
        }
    }
}

/// Answers from a fixed table; every other name does not resolve. For tests and `--dns`.
#[derive(Clone, Debug, Default)]
pub struct TableResolver {
    entries: HashMap<String, Vec<IpAddr>>,
}

impl TableResolver {
    /// A table from (name, address) pairs; a name may appear several times.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, IpAddr)>) -> Self {
        let mut table = Self::default();
        for (name, ip) in entries {
            table.insert(name, ip);
        }
        table
    }

    /// Adds an address for `name`.
    pub fn insert(&mut self, name: &str, ip: IpAddr) {
        self.entries.entry(normalize(name)).or_default().push(ip);
    }
}

impl NameResolver for TableResolver {
    fn lookup(&self, host: &str, _timeout: Duration) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        self.entries
            .get(&normalize(host))
            .cloned()
            .ok_or_else(|| format!("{host} does not resolve"))
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_answers_its_names_case_insensitively_and_nothing_else() {
        let ip: IpAddr = "10.1.2.3".parse().expect("ip");
        let table = TableResolver::new([("WPAD.corp.example.", ip)]);
        let timeout = Duration::from_millis(10);
        assert_eq!(table.lookup("wpad.corp.example", timeout), Ok(vec![ip]));
        assert!(table.lookup("other.example", timeout).is_err());
        assert_eq!(
            table.lookup("::1", timeout),
            Ok(vec!["::1".parse().expect("ip")])
        );
    }

    #[test]
    fn the_system_resolver_answers_localhost_and_literals() {
        let found = SystemResolver
            .lookup("localhost", Duration::from_secs(5))
            .expect("localhost resolves");
        assert!(found.iter().all(IpAddr::is_loopback), "{found:?}");
        assert_eq!(
            SystemResolver.lookup("127.0.0.7", Duration::from_millis(1)),
            Ok(vec!["127.0.0.7".parse().expect("ip")])
        );
    }
}
