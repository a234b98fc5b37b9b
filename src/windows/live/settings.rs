//! Live readers for the device settings: the registry values `settings::read_settings` needs,
//! and what the registry cannot hold (services' running state from the Service Control Manager,
//! signed-in users). What they read is judged by `settings`, on every OS.

use winreg::{HKLM, HKU};

use crate::status::Answer;
use crate::windows::keys::SETTINGS_VALUES;
use crate::windows::registry::{Origin, RegistrySnapshot, ValueData};

/// What only the running system knows, beside its registry.
#[derive(Clone, Debug)]
pub(crate) struct LiveFacts {
    /// The registry values the settings are read from.
    pub registry: RegistrySnapshot,
    /// Whether the `DiagTrack` service runs.
    pub diagtrack_running: Answer,
    /// Whether the Defender for Endpoint sensor (`Sense`) runs.
    pub sense_running: Answer,
    /// Whether an interactive user is signed in.
    pub console_user: Answer,
}

/// Reads this device's registry values, services and signed-in users.
#[must_use]
pub(crate) fn read() -> LiveFacts {
    LiveFacts {
        registry: read_registry(),
        diagtrack_running: scm::running("DiagTrack"),
        sense_running: scm::running("Sense"),
        console_user: interactive_users(),
    }
}

/// Reads the registry values the settings come from into a snapshot.
#[must_use]
pub(crate) fn read_registry() -> RegistrySnapshot {
    let mut snapshot = RegistrySnapshot::new();
    let hklm = HKLM;
    for (path, names) in SETTINGS_VALUES {
        let Some(subkey) = path.strip_prefix(r"HKLM\") else {
            continue;
        };
        let Ok(key) = hklm.open_subkey(subkey) else {
            snapshot.mark_looked_up(path);
            continue;
        };
        snapshot.ensure_key(path, &Origin::live());
        snapshot.mark_looked_up(path);
        for name in names {
            let data = if let Ok(n) = key.get_value::<u32, _>(name) {
                ValueData::Dword(n)
            } else if let Ok(text) = key.get_value::<String, _>(name) {
                ValueData::String(text)
            } else {
                continue;
            };
            snapshot.set(path, name, data, Origin::live());
        }
    }
    snapshot
}

/// Whether a user hive with a `Volatile Environment` is loaded: Windows creates that key at an
/// interactive logon and it goes when the user signs out.
fn interactive_users() -> Answer {
    let users = HKU;
    let mut any_read = false;
    for sid in users.enum_keys().flatten() {
        any_read = true;
        if sid.starts_with("S-1-5-21-")
            && !sid.ends_with("_Classes")
            && users
                .open_subkey(format!(r"{sid}\Volatile Environment"))
                .is_ok()
        {
            return Answer::Yes;
        }
    }
    if any_read {
        Answer::No
    } else {
        Answer::NotKnown
    }
}

mod scm {
    //! The Service Control Manager, through `windows-sys`.
    #![expect(unsafe_code, reason = "FFI calls to the Service Control Manager")]

    use std::ptr;

    use windows_sys::Win32::Foundation::{ERROR_SERVICE_DOES_NOT_EXIST, GetLastError};
    use windows_sys::Win32::System::Services::{
        CloseServiceHandle, OpenSCManagerW, OpenServiceW, QueryServiceStatus, SC_HANDLE,
        SC_MANAGER_CONNECT, SERVICE_QUERY_STATUS, SERVICE_RUNNING, SERVICE_STATUS,
    };

    use super::Answer;

    /// Whether `service` is running; a service that does not exist is not running.
    pub(super) fn running(service: &str) -> Answer {
        let name: Vec<u16> = service.encode_utf16().chain([0]).collect();
        // SAFETY: null machine and database names select the local active database.
        let manager =
            Handle(unsafe { OpenSCManagerW(ptr::null(), ptr::null(), SC_MANAGER_CONNECT) });
        if manager.0.is_null() {
            return Answer::NotKnown;
        }
        // SAFETY: `manager` is open and `name` is NUL-terminated UTF-16 that outlives the call.
        let handle =
            Handle(unsafe { OpenServiceW(manager.0, name.as_ptr(), SERVICE_QUERY_STATUS) });
        if handle.0.is_null() {
            // SAFETY: reads the calling thread's last error, set by OpenServiceW.
            let error = unsafe { GetLastError() };
            return if error == ERROR_SERVICE_DOES_NOT_EXIST {
                Answer::No
            } else {
                Answer::NotKnown
            };
        }
        let mut status = SERVICE_STATUS::default();
        // SAFETY: `handle` is open with SERVICE_QUERY_STATUS and `status` is a valid out pointer.
        if unsafe { QueryServiceStatus(handle.0, &raw mut status) } == 0 {
            return Answer::NotKnown;
        }
        if status.dwCurrentState == SERVICE_RUNNING {
            Answer::Yes
        } else {
            Answer::No
        }
    }

    /// Closes a service handle when dropped.
    struct Handle(SC_HANDLE);

    impl Drop for Handle {
        fn drop(&mut self) {
            if !self.0.is_null() {
                // SAFETY: the handle came from OpenSCManagerW/OpenServiceW and is closed once.
                unsafe { CloseServiceHandle(self.0) };
            }
        }
    }
}
