//! WinINET's per-connection proxy settings: beside `DefaultConnectionSettings` (the LAN), each
//! VPN, RAS or dial-up connection has a `REG_BINARY` value under `Internet Settings\Connections`
//! named after the connection, in the same blob format (docs/formats.md §2.7).
//!
//! Pure: reads a [`RegistrySnapshot`]. A value that does not decode is listed as unreadable,
//! never fatal.

use crate::route::Context;
use crate::windows::registry::{RegistrySnapshot, ValueData};
use crate::windows::wininet;

/// The LAN's value: the connection WinINET uses when no VPN or dial-up connection is up.
pub(crate) const LAN: &str = "DefaultConnectionSettings";

/// Values under `Connections` that are not a connection's settings.
const NOT_CONNECTIONS: [&str; 2] = ["SavedLegacySettings", "WinHttpSettings"];

/// Microsoft's note on VPN proxy settings, printed wherever VPN connections are listed
/// (`Set-VpnConnectionProxy`, docs/formats.md §2.7).
pub(crate) const FORCE_TUNNEL_NOTE: &str = "a VPN connection's proxy settings are used only when the VPN \
     is a force-tunnel connection; on a split-tunnel connection Windows uses the general (LAN) \
     proxy settings (Microsoft, Set-VpnConnectionProxy)";

/// The connections one context's `Connections` key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextConnections {
    pub context: Context,
    /// The `Connections` key read, abbreviated (`HKCU\…\Connections`).
    pub key: String,
    /// `DefaultConnectionSettings` first (when present), then each connection in registry order.
    pub connections: Vec<ConnectionEntry>,
}

/// One connection's proxy settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionEntry {
    /// The value's name: `DefaultConnectionSettings`, or the VPN/dial-up connection's name.
    pub name: String,
    /// Whether this context's routes come from this connection.
    pub in_use: bool,
    /// Where the value was read (file and line, or `registry`).
    pub origin: String,
    /// The decoded settings, or why they could not be decoded.
    pub settings: Result<ConnectionSummary, String>,
}

/// What a connection's blob switches on; strings kept while their flag is off are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionSummary {
    pub auto_detect: bool,
    pub auto_config_url: Option<String>,
    pub proxy: Option<String>,
    pub bypass: Option<String>,
}

impl ConnectionEntry {
    /// Whether this is a VPN or dial-up connection (not the LAN).
    #[must_use]
    pub fn is_vpn(&self) -> bool {
        !self.name.eq_ignore_ascii_case(LAN)
    }
}

impl ContextConnections {
    /// Whether any VPN or dial-up connection is listed.
    #[must_use]
    pub fn has_vpn(&self) -> bool {
        self.connections.iter().any(ConnectionEntry::is_vpn)
    }
}

/// The names of the connections under `key`: the LAN's value (when present), then every other
/// `REG_BINARY` value that is not `SavedLegacySettings` or `WinHttpSettings`.
#[must_use]
pub(crate) fn names(registry: &RegistrySnapshot, key: &str) -> Vec<String> {
    let Some(found) = registry.key(key) else {
        return Vec::new();
    };
    let mut names: Vec<String> = found
        .value(LAN)
        .map(|value| value.name.clone())
        .into_iter()
        .collect();
    names.extend(
        found
            .values()
            .filter(|value| matches!(value.data, ValueData::Binary(_)))
            .filter(|value| {
                !value.name.eq_ignore_ascii_case(LAN)
                    && !value.name.is_empty()
                    && !NOT_CONNECTIONS
                        .iter()
                        .any(|reserved| value.name.eq_ignore_ascii_case(reserved))
            })
            .map(|value| value.name.clone()),
    );
    names
}

/// The name under `key` that `wanted` matches (registry names compare case-insensitively).
#[must_use]
pub(crate) fn find(registry: &RegistrySnapshot, key: &str, wanted: &str) -> Option<String> {
    names(registry, key)
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(wanted))
}

/// Every connection under `key`, decoded; `selected` (a name, compared case-insensitively) is
/// marked in use.
#[must_use]
pub(crate) fn list(
    registry: &RegistrySnapshot,
    context: Context,
    key: &str,
    selected: &str,
) -> ContextConnections {
    let connections = names(registry, key)
        .into_iter()
        .filter_map(|name| {
            let value = registry.value(key, &name)?;
            let settings = match &value.data {
                ValueData::Binary(bytes) => wininet::parse_connection_settings(bytes)
                    .map(|settings| ConnectionSummary {
                        auto_detect: settings.auto_detect,
                        auto_config_url: settings.auto_config_url.active().map(str::to_owned),
                        proxy: settings.proxy.active().map(str::to_owned),
                        bypass: settings
                            .bypass
                            .active()
                            .filter(|_| settings.proxy.active().is_some())
                            .map(str::to_owned),
                    })
                    .map_err(|err| format!("unreadable: {err}")),
                _ => Err("not REG_BINARY".to_owned()),
            };
            Some(ConnectionEntry {
                in_use: name.eq_ignore_ascii_case(selected),
                name,
                origin: value.origin.to_string(),
                settings,
            })
        })
        .collect();
    ContextConnections {
        context,
        key: crate::windows::keys::abbreviated(key),
        connections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::regfile;

    const KEY: &str = r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";

    fn snapshot() -> RegistrySnapshot {
        regfile::parse(
            include_bytes!("../../testdata/registry/vpn-connections.synthetic.reg"),
            "vpn.reg",
        )
        .expect("the fixture parses")
    }

    #[test]
    fn every_binary_value_but_the_reserved_ones_is_a_connection_with_the_lan_first() {
        let registry = snapshot();
        assert_eq!(
            names(&registry, KEY),
            [LAN, "Contoso VPN", "Fabrikam Dial-up", "Broken VPN"]
        );
        assert_eq!(
            find(&registry, KEY, "contoso vpn").as_deref(),
            Some("Contoso VPN")
        );
        assert_eq!(find(&registry, KEY, "SavedLegacySettings"), None);
    }

    #[test]
    fn each_connection_is_decoded_and_an_unreadable_one_is_listed_not_fatal() {
        let listing = list(&snapshot(), Context::User, KEY, "Fabrikam Dial-up");
        assert_eq!(
            listing.key,
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
        );
        let by_name = |name: &str| {
            listing
                .connections
                .iter()
                .find(|entry| entry.name == name)
                .expect(name)
        };
        let lan = by_name(LAN);
        assert!(!lan.in_use && !lan.is_vpn());
        assert_eq!(
            lan.settings,
            Ok(ConnectionSummary {
                proxy: Some("lan-proxy.contoso.test:8080".to_owned()),
                bypass: Some("<local>".to_owned()),
                ..ConnectionSummary::default()
            })
        );
        assert_eq!(
            by_name("Contoso VPN").settings,
            Ok(ConnectionSummary {
                auto_config_url: Some("http://127.0.0.1:9/vpn.pac".to_owned()),
                ..ConnectionSummary::default()
            })
        );
        let dialup = by_name("Fabrikam Dial-up");
        assert!(dialup.in_use && dialup.is_vpn());
        assert_eq!(
            dialup.settings,
            Ok(ConnectionSummary {
                proxy: Some("127.0.0.1:3128".to_owned()),
                bypass: Some("*.fabrikam.test".to_owned()),
                ..ConnectionSummary::default()
            })
        );
        let broken = by_name("Broken VPN");
        assert!(
            broken
                .settings
                .as_ref()
                .is_err_and(|problem| problem.starts_with("unreadable: ")),
            "{broken:?}"
        );
        assert!(broken.origin.starts_with("vpn.reg:"), "{}", broken.origin);
        assert!(listing.has_vpn());
    }
}
