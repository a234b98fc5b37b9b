//! Every reader of the live Windows system: the registry, services and signed-in users. Each is a
//! thin call whose result the portable parsers read.

#[cfg(windows)]
pub(crate) mod registry;
#[cfg(windows)]
pub(crate) mod service;
#[cfg(windows)]
pub(crate) mod settings;
#[cfg(windows)]
pub(crate) mod token;

use crate::windows::WindowsSource;

/// This machine's Windows proxy configuration, read from the live registry.
#[cfg(windows)]
#[must_use]
#[allow(clippy::unnecessary_wraps)] // the same signature as the version for other systems
pub(crate) fn read() -> Option<WindowsSource> {
    let (registry, problems) = registry::read_keys(crate::windows::keys::KEYS);
    Some(WindowsSource {
        registry,
        registry_origin: "registry".to_owned(),
        netsh: None,
        advproxy: None,
        problems,
    })
}

/// Off Windows there is no live registry.
#[cfg(not(windows))]
#[must_use]
pub(crate) fn read() -> Option<WindowsSource> {
    None
}
