//! The hop to SYSTEM through a temporary service: a copy of this executable in an admin-only
//! directory, registered as a demand-start LocalSystem service, started, waited for and deleted
//! on every path. The result channel is a file in a fresh directory only SYSTEM and
//! Administrators can open. Also the far side: running under the service control dispatcher.

#![expect(unsafe_code, reason = "directory ACLs have no safe binding")]

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::os::windows::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use windows_service::service::{
    ServiceAccess, ServiceControl, ServiceControlAccept, ServiceErrorControl, ServiceExitCode,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager as Scm, ServiceManagerAccess};
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    SECURITY_ATTRIBUTES, SetFileSecurityW,
};
use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;

use crate::windows::service::{
    MARKER, PREFIX, START_ATTEMPTS, START_PAUSE, ScmError, ServiceManager, remove_stale,
    start_with_retry,
};

/// `%ProgramData%\dapreflight`: SYSTEM and Administrators; users may list it (not inherited).
const ROOT: &str = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;GRGX;;;BU)";
/// SYSTEM and Administrators only, inherited by what is created inside.
const ADMIN_ONLY: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
/// The executable's directory: SYSTEM and Administrators write it, users may only run what is in
/// it (the console user's process starts the same copy).
const BIN: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;GRGX;;;BU)";
/// The largest response read back.
const RESPONSE_CAP: u64 = 64 * 1024 * 1024;

/// Why the hop through a service did not bring a response back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    /// A step of preparing the hop (directories, the copy, the request) failed.
    #[error("cannot prepare {what} {}", .path.display())]
    Prepare {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// The Service Control Manager refused a step.
    #[error("the service control manager refused to {step}")]
    Scm {
        step: &'static str,
        source: windows_service::Error,
    },
    /// The service did not start.
    #[error("the temporary service did not start")]
    Start(#[source] ScmError),
    /// The service did not stop within the deadline (it was stopped and deleted).
    #[error("the temporary service gave no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The service stopped without a response.
    #[error("the temporary service stopped ({0}) without an answer")]
    Failed(String),
}

/// Runs `request` in a temporary LocalSystem service and returns its response, within
/// `deadline`; notes say which stale services of earlier runs were removed.
pub(crate) fn hop(
    request: &[u8],
    deadline: Duration,
) -> Result<(Vec<u8>, Vec<String>), ServiceError> {
    let until = Instant::now() + deadline;
    let scm = Scm::local_computer(
        None::<&str>,
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
    )
    .map_err(|source| ServiceError::Scm {
        step: "open (is this prompt elevated?)",
        source,
    })?;
    let manager = Manager { scm: &scm };
    let notes = remove_stale(&manager);
    let name = format!("{PREFIX}{}", random());
    let exe = copy_exe(&name)?;
    let dir = PrivateDir::create(ADMIN_ONLY).map_err(|source| ServiceError::Prepare {
        what: "the hop's directory under",
        path: program_data(),
        source,
    })?;
    let request_path = dir.path.join("request.json");
    let response_path = dir.path.join("response.json");
    fs::write(&request_path, request).map_err(|source| ServiceError::Prepare {
        what: "the request",
        path: request_path.clone(),
        source,
    })?;
    let info = ServiceInfo {
        name: OsString::from(&name),
        display_name: OsString::from("dapreflight probe (temporary)"),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::OnDemand,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe.path.clone(),
        launch_arguments: [
            "__probe-jobs".as_ref(),
            "--service".as_ref(),
            "--request".as_ref(),
            request_path.as_os_str(),
            "--response".as_ref(),
            response_path.as_os_str(),
        ]
        .into_iter()
        .map(OsStr::to_owned)
        .collect(),
        dependencies: Vec::new(),
        account_name: None, // LocalSystem
        account_password: None,
    };
    let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
    let service = scm
        .create_service(&info, access | ServiceAccess::CHANGE_CONFIG)
        .map_err(|source| ServiceError::Scm {
            step: "create the temporary service",
            source,
        })?;
    // From here on the service is deleted on every path: this guard, and Ctrl-C's handler.
    let registered = Registered {
        service,
        name: name.clone(),
    };
    delete_on_interrupt(&name);
    registered
        .service
        .set_description(MARKER)
        .map_err(|source| ServiceError::Scm {
            step: "describe the temporary service",
            source,
        })?;
    start_with_retry(
        &manager,
        &name,
        START_ATTEMPTS,
        START_PAUSE,
        until,
        std::thread::sleep,
    )
    .map_err(ServiceError::Start)?;
    let status = loop {
        let status = registered
            .service
            .query_status()
            .map_err(|source| ServiceError::Scm {
                step: "report the temporary service's state",
                source,
            })?;
        if status.current_state == ServiceState::Stopped {
            break status;
        }
        if Instant::now() >= until {
            let _ = registered.service.stop();
            return Err(ServiceError::Timeout(deadline));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(registered);
    match read_response(&response_path) {
        Ok(bytes) => Ok((bytes, notes)),
        Err(_) => Err(ServiceError::Failed(match status.exit_code {
            ServiceExitCode::Win32(code) => format!("exit code {code}"),
            ServiceExitCode::ServiceSpecific(code) => format!("service code {code}"),
        })),
    }
}

/// The SCM behind the portable retry and cleanup.
struct Manager<'a> {
    scm: &'a Scm,
}

impl ServiceManager for Manager<'_> {
    fn start(&self, name: &str) -> Result<(), ScmError> {
        let service = self
            .scm
            .open_service(name, ServiceAccess::START)
            .map_err(|err| scm_error(&err))?;
        service.start::<&OsStr>(&[]).map_err(|err| scm_error(&err))
    }

    fn delete(&self, name: &str) -> Result<(), ScmError> {
        let service = self
            .scm
            .open_service(name, ServiceAccess::DELETE | ServiceAccess::STOP)
            .map_err(|err| scm_error(&err))?;
        let _ = service.stop();
        service.delete().map_err(|err| scm_error(&err))
    }

    fn services(&self, prefix: &str) -> Result<Vec<(String, Option<String>)>, ScmError> {
        // The SCM's registry key lists every service; `sc create`/`CreateServiceW` write it.
        let key = winreg::RegKey::predef(winreg::enums::HKEY_LOCAL_MACHINE)
            .open_subkey(r"SYSTEM\CurrentControlSet\Services")
            .map_err(|err| ScmError {
                code: err.raw_os_error(),
                message: err.to_string(),
            })?;
        Ok(key
            .enum_keys()
            .filter_map(Result::ok)
            .filter(|name| name.to_ascii_lowercase().starts_with(prefix))
            .map(|name| {
                let description = key
                    .open_subkey(&name)
                    .and_then(|service| service.get_value::<String, _>("Description"))
                    .ok();
                (name, description)
            })
            .collect())
    }
}

fn scm_error(err: &windows_service::Error) -> ScmError {
    let code = match err {
        windows_service::Error::Winapi(io) => io.raw_os_error(),
        _ => None,
    };
    ScmError {
        code,
        message: chain(err),
    }
}

use crate::cause::chain;

/// The registered service: stopped and deleted when dropped, and by Ctrl-C while it exists.
struct Registered {
    service: windows_service::service::Service,
    name: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let _ = self.service.stop();
        let _ = self.service.delete();
        forget_on_interrupt(&self.name);
    }
}

/// The copy of this executable the service runs, deleted when dropped.
struct ExeCopy {
    path: PathBuf,
}

impl Drop for ExeCopy {
    fn drop(&mut self) {
        // The service process may still hold the file for a moment after it stopped.
        for _ in 0..20 {
            if fs::remove_file(&self.path).is_ok() || !self.path.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Copies this executable into `%ProgramData%\dapreflight\bin\`, which only SYSTEM and
/// Administrators may write: a service binary a user could replace would hand them SYSTEM.
fn copy_exe(name: &str) -> Result<ExeCopy, ServiceError> {
    let root = program_data();
    let bin = root.join("bin");
    let prepare = |what, path: &Path| {
        let path = path.to_owned();
        move |source| ServiceError::Prepare { what, path, source }
    };
    secure_dir(&root, ROOT).map_err(prepare("the directory", &root))?;
    secure_dir(&bin, BIN).map_err(prepare("the directory", &bin))?;
    let own = std::env::current_exe().map_err(prepare("the path of", Path::new("dapreflight")))?;
    let path = bin.join(format!("{name}.exe"));
    fs::copy(&own, &path).map_err(prepare("a copy of the executable at", &path))?;
    set_acl(&path, BIN).map_err(prepare("the access list of", &path))?;
    Ok(ExeCopy { path })
}

/// Creates `path` with `sddl` as its access list, or, when it exists, checks that an
/// administrator or SYSTEM owns it (whoever owns it can change its access list: a user who made
/// it first could swap the service's executable) and sets `sddl`.
fn secure_dir(path: &Path, sddl: &str) -> io::Result<()> {
    match create_dir(path, sddl) {
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            check_owner(path)?;
            set_acl(path, sddl)
        }
        result => result,
    }
}

/// Fails unless SYSTEM, Administrators or this process's user owns `path`.
fn check_owner(path: &Path) -> io::Result<()> {
    let name = wide(path.as_os_str());
    let mut owner: windows_sys::Win32::Security::PSID = ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `name` is NUL-terminated; on success `descriptor` is LocalAlloc'd and `owner`
    // points into it.
    let status = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &raw mut owner,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &raw mut descriptor,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(
            i32::try_from(status).unwrap_or(i32::MAX),
        ));
    }
    let trusted = crate::windows::live::token::is_trusted_owner(owner);
    // SAFETY: `descriptor` came from GetNamedSecurityInfoW and is freed once, after `owner`'s use.
    unsafe { LocalFree(descriptor) };
    if trusted {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "it is owned by an account that is neither SYSTEM nor an administrator: \
             remove it, then run dapreflight again",
        ))
    }
}

/// `%ProgramData%\dapreflight`.
fn program_data() -> PathBuf {
    let base = std::env::var_os("ProgramData").unwrap_or_else(|| OsString::from(r"C:\ProgramData"));
    PathBuf::from(base).join("dapreflight")
}

fn random() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut bytes = [0u8; 8];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        bytes = (now.as_secs() ^ u64::from(now.subsec_nanos()) ^ u64::from(std::process::id()))
            .to_le_bytes();
    }
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// A fresh directory under `%ProgramData%\dapreflight\` with an SDDL access list, removed on drop.
pub(crate) struct PrivateDir {
    pub path: PathBuf,
}

impl PrivateDir {
    /// Creates the directory with `sddl` as its access list from the start.
    pub(crate) fn create(sddl: &str) -> io::Result<Self> {
        let parent = program_data();
        secure_dir(&parent, ROOT)?;
        let path = parent.join(random());
        create_dir(&path, sddl)?;
        Ok(Self { path })
    }
}

/// Creates the directory `path` with `sddl` as its access list from the start.
fn create_dir(path: &Path, sddl: &str) -> io::Result<()> {
    with_descriptor(sddl, |descriptor| {
        let attributes = SECURITY_ATTRIBUTES {
            nLength: u32::try_from(size_of::<SECURITY_ATTRIBUTES>()).unwrap_or(u32::MAX),
            lpSecurityDescriptor: descriptor,
            bInheritHandle: 0,
        };
        let wide = wide(path.as_os_str());
        // SAFETY: `wide` is NUL-terminated and `attributes` points to a valid descriptor;
        // both outlive the call.
        if unsafe { CreateDirectoryW(wide.as_ptr(), &raw const attributes) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    })
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Replaces `path`'s access list with `sddl`'s.
fn set_acl(path: &Path, sddl: &str) -> io::Result<()> {
    with_descriptor(sddl, |descriptor| {
        let wide = wide(path.as_os_str());
        // SAFETY: `wide` is NUL-terminated and `descriptor` valid; both outlive the call.
        if unsafe { SetFileSecurityW(wide.as_ptr(), DACL_SECURITY_INFORMATION, descriptor) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    })
}

/// Runs `with` on the security descriptor `sddl` describes, then frees it.
fn with_descriptor(
    sddl: &str,
    with: impl FnOnce(PSECURITY_DESCRIPTOR) -> io::Result<()>,
) -> io::Result<()> {
    let text = wide(OsStr::new(sddl));
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated; on success `descriptor` is LocalAlloc'd.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &raw mut descriptor,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let result = with(descriptor);
    // SAFETY: `descriptor` came from the conversion above and is freed once.
    unsafe { LocalFree(descriptor) };
    result
}

fn wide(text: &OsStr) -> Vec<u16> {
    text.encode_wide().chain([0]).collect()
}

/// Reads a response file, refusing one past the cap.
pub(crate) fn read_response(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(RESPONSE_CAP + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > RESPONSE_CAP {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "response too large",
        ));
    }
    Ok(bytes)
}

/// The services to delete if Ctrl-C (or a closed console) ends the run.
static INTERRUPTIBLE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers `name` for deletion on Ctrl-C, installing the handler once.
fn delete_on_interrupt(name: &str) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if let Ok(mut names) = INTERRUPTIBLE.lock() {
        names.push(name.to_owned());
    }
    INSTALLED.get_or_init(|| {
        // SAFETY: `on_interrupt` is a valid handler for the life of the process.
        unsafe { SetConsoleCtrlHandler(Some(on_interrupt), 1) };
    });
}

/// Deletes the registered services, then lets the default handler end the process.
extern "system" fn on_interrupt(_event: u32) -> windows_sys::core::BOOL {
    let names = INTERRUPTIBLE
        .lock()
        .map(|names| names.clone())
        .unwrap_or_default();
    if let Ok(scm) = Scm::local_computer(None::<&str>, ServiceManagerAccess::CONNECT) {
        let manager = Manager { scm: &scm };
        for name in names {
            let _ = manager.delete(&name);
        }
    }
    0
}

fn forget_on_interrupt(name: &str) {
    if let Ok(mut names) = INTERRUPTIBLE.lock() {
        names.retain(|n| n != name);
    }
}

/// The far side's work, run on the service's own thread; its error becomes the exit code.
type Work = Box<dyn FnOnce() -> Result<(), String> + Send>;
static WORK: Mutex<Option<Work>> = Mutex::new(None);
static SERVICE_NAME: OnceLock<String> = OnceLock::new();

windows_service::define_windows_service!(ffi_service_main, service_main);

/// Runs `work` as the service the SCM started: reports running, runs it, reports stopped.
pub(crate) fn dispatch(
    work: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Result<(), windows_service::Error> {
    if let Ok(mut slot) = WORK.lock() {
        *slot = Some(Box::new(work));
    }
    // An own-process service's dispatcher ignores the name; the handler is registered under it.
    let name = SERVICE_NAME.get_or_init(|| PREFIX.to_owned());
    windows_service::service_dispatcher::start(name, ffi_service_main)
}

fn service_main(_arguments: Vec<OsString>) {
    let name = SERVICE_NAME.get().cloned().unwrap_or_default();
    let handler = |control| match control {
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let Ok(status) = service_control_handler::register(&name, handler) else {
        return;
    };
    let report = |state, exit_code| ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: ServiceControlAccept::empty(),
        exit_code,
        checkpoint: 0,
        wait_hint: Duration::from_secs(5),
        process_id: None,
    };
    let _ = status.set_service_status(report(ServiceState::Running, ServiceExitCode::Win32(0)));
    let work = WORK.lock().ok().and_then(|mut slot| slot.take());
    let result = work.map_or(Err("no work was given".to_owned()), |work| work());
    let code = match result {
        Ok(()) => ServiceExitCode::Win32(0),
        Err(message) => {
            eprintln!("dapreflight: {message}");
            ServiceExitCode::ServiceSpecific(1)
        }
    };
    let _ = status.set_service_status(report(ServiceState::Stopped, code));
}
