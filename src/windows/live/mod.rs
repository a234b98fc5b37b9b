//! Every reader of the live Windows system: the registry, services and signed-in users. Each is a
//! thin call whose result the portable parsers read.

#[cfg(windows)]
pub(crate) mod registry;
#[cfg(windows)]
pub(crate) mod service;
#[cfg(windows)]
pub(crate) mod settings;
#[cfg(windows)]
pub(crate) mod sspi;
#[cfg(windows)]
pub(crate) mod token;

use std::sync::Arc;

use crate::auth::Authenticate;
use crate::windows::WindowsSource;

/// Windows' own authentication with the logon of this process (SSPI: Negotiate, then NTLM), for
/// a command that probes as the current logon; `None` off Windows.
#[cfg(windows)]
#[must_use]
#[allow(clippy::unnecessary_wraps)] // the same signature as the version for other systems
pub(crate) fn current_logon() -> Option<Arc<dyn Authenticate>> {
    Some(Arc::new(sspi::CurrentLogon))
}

/// Off Windows there is no current logon to present.
#[cfg(not(windows))]
#[must_use]
pub(crate) fn current_logon() -> Option<Arc<dyn Authenticate>> {
    None
}

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
