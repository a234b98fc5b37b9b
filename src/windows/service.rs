//! The temporary service a hop to SYSTEM runs in: its name and marker, the bounded retry of a
//! start the service database refuses while it is locked, and the removal of services an earlier
//! crashed run left behind. Portable over [`ServiceManager`], so it is tested on every OS;
//! `live/service.rs` puts the Service Control Manager behind it.

#![cfg_attr(not(windows), allow(dead_code))] // the SCM behind it is Windows-only; the tests run everywhere

use std::time::{Duration, Instant};

/// Every temporary service's name starts with this; a random tail follows.
pub(crate) const PREFIX: &str = "dapreflight-probe-";
/// The description every temporary service carries: what marks a stale one as ours.
pub(crate) const MARKER: &str =
    "dapreflight: temporary service that probes as LocalSystem; deleted after each run";
/// `ERROR_SERVICE_DATABASE_LOCKED`: the SCM is busy (seen right after boot, and under Wine).
pub(crate) const DATABASE_LOCKED: i32 = 1055;
/// `ERROR_SERVICE_REQUEST_TIMEOUT`: the process did not reach the dispatcher in time, e.g. while
/// an antivirus scans the fresh copy of the executable (and under Wine, a cold start); the next
/// start finds it scanned and cached.
pub(crate) const REQUEST_TIMEOUT: i32 = 1053;
/// How many times a locked database is retried before the start gives up.
pub(crate) const START_ATTEMPTS: u32 = 20;
/// The pause between two starts of a locked database.
pub(crate) const START_PAUSE: Duration = Duration::from_millis(500);

/// What the Service Control Manager said no to, with its Windows error code when there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ScmError {
    pub code: Option<i32>,
    pub message: String,
}

/// The few things a hop asks of a service manager.
pub(crate) trait ServiceManager {
    /// Starts the service `name`.
    fn start(&self, name: &str) -> Result<(), ScmError>;
    /// Marks the service `name` for deletion.
    fn delete(&self, name: &str) -> Result<(), ScmError>;
    /// Every service whose name starts with `prefix`, with its description.
    fn services(&self, prefix: &str) -> Result<Vec<(String, Option<String>)>, ScmError>;
}

/// Starts `name`, retrying while the database is locked or the start timed out: at most
/// `attempts` starts, `pause` apart, and none after `deadline`. Returns how many starts it took.
pub(crate) fn start_with_retry(
    manager: &impl ServiceManager,
    name: &str,
    attempts: u32,
    pause: Duration,
    deadline: Instant,
    sleep: impl Fn(Duration),
) -> Result<u32, ScmError> {
    let mut attempt = 1;
    loop {
        match manager.start(name) {
            Ok(()) => return Ok(attempt),
            Err(err)
                if matches!(err.code, Some(DATABASE_LOCKED | REQUEST_TIMEOUT))
                    && attempt < attempts
                    && Instant::now() + pause < deadline =>
            {
                sleep(pause);
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Deletes every service an earlier run left behind: its name has [`PREFIX`] and its
/// description is [`MARKER`] (a service that only shares the prefix is someone else's and is
/// left alone). Returns one line per service for the report: removed, or why not.
pub(crate) fn remove_stale(manager: &impl ServiceManager) -> Vec<String> {
    let found = match manager.services(PREFIX) {
        Ok(found) => found,
        Err(err) => return vec![format!("could not look for stale probe services: {err}")],
    };
    found
        .into_iter()
        .filter(|(_, description)| description.as_deref() == Some(MARKER))
        .map(|(name, _)| match manager.delete(&name) {
            Ok(()) => format!("removed the service {name}, left by an earlier run that crashed"),
            Err(err) => format!(
                "could not remove the service {name}, left by an earlier run: {err} \
                 (remove it with `sc delete {name}`)"
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A service manager that answers from a script: starts fail with these codes first, these
    /// services exist, and deleting these names fails.
    #[derive(Default)]
    struct Fake {
        start_failures: RefCell<Vec<i32>>,
        starts: RefCell<u32>,
        services: Vec<(String, Option<String>)>,
        undeletable: Vec<String>,
        deleted: RefCell<Vec<String>>,
    }

    impl ServiceManager for Fake {
        fn start(&self, _name: &str) -> Result<(), ScmError> {
            *self.starts.borrow_mut() += 1;
            let mut failures = self.start_failures.borrow_mut();
            if failures.is_empty() {
                return Ok(());
            }
            let code = failures.remove(0);
            Err(ScmError {
                code: Some(code),
                message: format!("error {code}"),
            })
        }

        fn delete(&self, name: &str) -> Result<(), ScmError> {
            if self.undeletable.iter().any(|n| n == name) {
                return Err(ScmError {
                    code: Some(5),
                    message: "access is denied".to_owned(),
                });
            }
            self.deleted.borrow_mut().push(name.to_owned());
            Ok(())
        }

        fn services(&self, prefix: &str) -> Result<Vec<(String, Option<String>)>, ScmError> {
            Ok(self
                .services
                .iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .cloned()
                .collect())
        }
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn a_locked_database_twice_is_retried_and_the_third_start_succeeds() {
        let fake = Fake {
            start_failures: RefCell::new(vec![DATABASE_LOCKED, DATABASE_LOCKED]),
            ..Fake::default()
        };
        let slept = RefCell::new(Vec::new());
        let attempts = start_with_retry(&fake, "s", START_ATTEMPTS, START_PAUSE, later(), |d| {
            slept.borrow_mut().push(d);
        });
        assert_eq!(attempts, Ok(3));
        assert_eq!(*slept.borrow(), vec![START_PAUSE, START_PAUSE]);
    }

    #[test]
    fn a_database_that_stays_locked_is_given_up_after_the_attempts() {
        let fake = Fake {
            start_failures: RefCell::new(vec![DATABASE_LOCKED; 10]),
            ..Fake::default()
        };
        let result = start_with_retry(&fake, "s", 3, Duration::ZERO, later(), |_| {});
        assert_eq!(result.map_err(|e| e.code), Err(Some(DATABASE_LOCKED)));
        assert_eq!(*fake.starts.borrow(), 3);
    }

    #[test]
    fn a_start_that_timed_out_is_retried() {
        let fake = Fake {
            start_failures: RefCell::new(vec![REQUEST_TIMEOUT]),
            ..Fake::default()
        };
        let attempts =
            start_with_retry(&fake, "s", START_ATTEMPTS, Duration::ZERO, later(), |_| {});
        assert_eq!(attempts, Ok(2));
    }

    #[test]
    fn another_start_error_is_not_retried() {
        let fake = Fake {
            start_failures: RefCell::new(vec![5, DATABASE_LOCKED]),
            ..Fake::default()
        };
        let result = start_with_retry(&fake, "s", START_ATTEMPTS, Duration::ZERO, later(), |_| {});
        assert_eq!(result.map_err(|e| e.code), Err(Some(5)));
        assert_eq!(*fake.starts.borrow(), 1);
    }

    #[test]
    fn no_retry_is_started_past_the_deadline() {
        let fake = Fake {
            start_failures: RefCell::new(vec![DATABASE_LOCKED; 3]),
            ..Fake::default()
        };
        let result = start_with_retry(&fake, "s", 5, START_PAUSE, Instant::now(), |_| {});
        assert!(result.is_err());
        assert_eq!(*fake.starts.borrow(), 1);
    }

    #[test]
    fn only_marked_services_with_the_prefix_are_removed_and_each_is_reported() {
        let marked = Some(MARKER.to_owned());
        let fake = Fake {
            services: vec![
                ("dapreflight-probe-stale".to_owned(), marked.clone()),
                ("dapreflight-probe-stuck".to_owned(), marked.clone()),
                (
                    "dapreflight-probe-other".to_owned(),
                    Some("someone else's".to_owned()),
                ),
                ("dapreflight-probe-bare".to_owned(), None),
                ("Spooler".to_owned(), marked),
            ],
            undeletable: vec!["dapreflight-probe-stuck".to_owned()],
            ..Fake::default()
        };
        let notes = remove_stale(&fake);
        assert_eq!(*fake.deleted.borrow(), vec!["dapreflight-probe-stale"]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("removed the service dapreflight-probe-stale"));
        assert!(
            notes[1].contains("could not remove the service dapreflight-probe-stuck")
                && notes[1].contains("access is denied")
                && notes[1].contains("sc delete dapreflight-probe-stuck"),
            "{}",
            notes[1]
        );
    }
}
