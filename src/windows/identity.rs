//! Which device a registry snapshot describes: its computer name, DNS domain and Windows version,
//! as the device itself records them. Pure: reads a [`RegistrySnapshot`], from exports or live.

use std::fmt::Write as _;

use crate::windows::keys::{
    ACTIVE_COMPUTER_NAME_KEY, COMPUTER_NAME_KEY, CURRENT_VERSION_KEY, TCPIP_PARAMETERS_KEY,
};
use crate::windows::registry::RegistrySnapshot;

/// What the registry says about the device itself; each part absent when the input lacks it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// The NetBIOS computer name in force (`ActiveComputerName`), else the one set
    /// (`ComputerName`), else TCP/IP's `Hostname`.
    pub name: Option<String>,
    /// The primary DNS suffix (TCP/IP's `Domain`).
    pub domain: Option<String>,
    /// Product name and display version, e.g. `Windows 10 Enterprise 22H2`.
    pub os: Option<String>,
    /// `CurrentBuild.UBR`, e.g. `19045.4291` (the build alone when `UBR` is missing).
    pub build: Option<String>,
}

impl DeviceIdentity {
    /// Whether the input said nothing about the device.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Reads the device's name, domain and Windows version from `registry`.
#[must_use]
pub(crate) fn identity(registry: &RegistrySnapshot) -> DeviceIdentity {
    let text = |path: &str, name: &str| {
        registry
            .string(path, name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let name = text(ACTIVE_COMPUTER_NAME_KEY, "ComputerName")
        .or_else(|| text(COMPUTER_NAME_KEY, "ComputerName"))
        .or_else(|| text(TCPIP_PARAMETERS_KEY, "Hostname"));
    let domain = text(TCPIP_PARAMETERS_KEY, "Domain");
    let product = text(CURRENT_VERSION_KEY, "ProductName");
    let version = text(CURRENT_VERSION_KEY, "DisplayVersion")
        .or_else(|| text(CURRENT_VERSION_KEY, "ReleaseId"));
    let os = product.map(|product| match &version {
        Some(version) => format!("{product} {version}"),
        None => product,
    });
    let build = text(CURRENT_VERSION_KEY, "CurrentBuild")
        .or_else(|| text(CURRENT_VERSION_KEY, "CurrentBuildNumber"))
        .map(|mut build| {
            if let Some(ubr) = registry.dword(CURRENT_VERSION_KEY, "UBR") {
                let _ = write!(build, ".{ubr}");
            }
            build
        });
    DeviceIdentity {
        name,
        domain,
        os,
        build,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::regfile;

    #[test]
    fn the_device_is_named_from_its_own_registry() {
        let export = regfile::parse(
            include_bytes!("../../testdata/registry/hklm-only.synthetic.reg"),
            "hklm-only.synthetic.reg",
        )
        .expect("a valid export");
        let found = identity(&export);
        assert_eq!(
            found,
            DeviceIdentity {
                name: Some("PC-0117".to_owned()),
                domain: Some("corp.example".to_owned()),
                os: Some("Windows 10 Enterprise 22H2".to_owned()),
                build: Some("19045.4291".to_owned()),
            }
        );
    }

    #[test]
    fn the_active_name_wins_and_the_host_name_is_the_last_resort() {
        let origin = crate::windows::registry::Origin::live();
        let set = |registry: &mut RegistrySnapshot, path: &str, name: &str, value: &str| {
            registry.set(
                path,
                name,
                crate::windows::registry::ValueData::String(value.to_owned()),
                origin.clone(),
            );
        };
        let mut registry = RegistrySnapshot::new();
        set(&mut registry, TCPIP_PARAMETERS_KEY, "Hostname", "pc-host");
        assert_eq!(identity(&registry).name.as_deref(), Some("pc-host"));
        set(&mut registry, COMPUTER_NAME_KEY, "ComputerName", "PC-NEXT");
        assert_eq!(identity(&registry).name.as_deref(), Some("PC-NEXT"));
        set(
            &mut registry,
            ACTIVE_COMPUTER_NAME_KEY,
            "ComputerName",
            "PC-NOW",
        );
        assert_eq!(identity(&registry).name.as_deref(), Some("PC-NOW"));
        assert!(identity(&RegistrySnapshot::new()).is_empty());
    }
}
