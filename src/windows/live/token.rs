//! This process's token (elevated? LocalSystem? which account?), and a process started as the
//! signed-in console user from the SYSTEM side of a hop. Thin calls into Win32; the request and
//! response they carry are bytes the command layer reads.

#![expect(
    unsafe_code,
    reason = "tokens, sessions and CreateProcessAsUserW have no safe binding"
)]

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_NO_TOKEN, GetLastError, HANDLE, LocalFree, WAIT_OBJECT_0,
};
use windows_sys::Win32::Security::Authorization::ConvertSidToStringSidW;
use windows_sys::Win32::Security::{
    GetTokenInformation, IsWellKnownSid, LookupAccountSidW, SID_NAME_USE, TOKEN_ELEVATION,
    TOKEN_QUERY, TOKEN_USER, TokenElevation, TokenUser, WinLocalSystemSid,
};
use windows_sys::Win32::System::Environment::{CreateEnvironmentBlock, DestroyEnvironmentBlock};
use windows_sys::Win32::System::RemoteDesktop::{WTSGetActiveConsoleSessionId, WTSQueryUserToken};
use windows_sys::Win32::System::Threading::{
    CREATE_NO_WINDOW, CREATE_UNICODE_ENVIRONMENT, CreateProcessAsUserW, GetCurrentProcess,
    GetExitCodeProcess, OpenProcessToken, PROCESS_INFORMATION, STARTUPINFOW, TerminateProcess,
    WaitForSingleObject,
};

use crate::windows::live::service::{self, PrivateDir};

/// Why the console user's process did not bring a response back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// No session is attached to the console, or nobody is signed in to it.
    #[error("no user is signed in")]
    NoConsoleUser,
    /// A Win32 call failed.
    #[error("{call} failed")]
    Call {
        call: &'static str,
        source: io::Error,
    },
    /// The request or response file could not be written or read.
    #[error("cannot pass the probe jobs through {path}")]
    Channel { path: String, source: io::Error },
    /// The user's process did not end within the deadline (it was stopped).
    #[error("the console user's process gave no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The user's process ended without a response.
    #[error("the console user's process ended with exit code {0} without an answer")]
    Failed(u32),
}

fn last_error(call: &'static str) -> TokenError {
    TokenError::Call {
        call,
        source: io::Error::last_os_error(),
    }
}

/// A handle closed once, on drop.
struct Owned(HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle was returned open by a Win32 call and is closed only here.
            unsafe { CloseHandle(self.0) };
        }
    }
}

fn own_token() -> io::Result<Owned> {
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: the pseudo-handle of this process is always valid; `token` is a valid out pointer.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Owned(token))
}

/// Whether this process runs elevated (`TokenElevation`).
pub(crate) fn is_elevated() -> io::Result<bool> {
    let token = own_token()?;
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut length = 0u32;
    let size = u32::try_from(size_of::<TOKEN_ELEVATION>()).unwrap_or(u32::MAX);
    // SAFETY: `elevation` is a TOKEN_ELEVATION of `size` bytes and `length` a valid out pointer.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenElevation,
            (&raw mut elevation).cast(),
            size,
            &raw mut length,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(elevation.TokenIsElevated != 0)
}

/// The token's user (`TokenUser`) as a buffer whose start is a `TOKEN_USER`.
fn token_user(token: HANDLE) -> io::Result<Vec<u64>> {
    let mut length = 0u32;
    // SAFETY: a null buffer of length 0 asks for the size only.
    unsafe { GetTokenInformation(token, TokenUser, ptr::null_mut(), 0, &raw mut length) };
    // u64 elements keep the buffer aligned for TOKEN_USER and the SID it points into.
    let mut buffer = vec![0u64; (length as usize).div_ceil(8).max(1)];
    let size = u32::try_from(buffer.len() * 8).unwrap_or(u32::MAX);
    // SAFETY: `buffer` holds `size` writable bytes, aligned for TOKEN_USER.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buffer.as_mut_ptr().cast(),
            size,
            &raw mut length,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(buffer)
}

/// Whether this process runs as LocalSystem (S-1-5-18).
pub(crate) fn is_system() -> io::Result<bool> {
    let token = own_token()?;
    let user = token_user(token.0)?;
    // SAFETY: `user` starts with the TOKEN_USER GetTokenInformation wrote; its SID lives in it.
    let sid = unsafe { (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    // SAFETY: `sid` points into `user`, which outlives the call.
    Ok(unsafe { IsWellKnownSid(sid, WinLocalSystemSid) } != 0)
}

/// This process's account as Windows names it (`NT AUTHORITY\SYSTEM`, `CORP\alice`).
pub(crate) fn account() -> String {
    let named = own_token().and_then(|token| account_of(token.0));
    named.unwrap_or_else(|_| {
        let var = |name| std::env::var(name).unwrap_or_default();
        format!("{}\\{}", var("USERDOMAIN"), var("USERNAME"))
    })
}

fn account_of(token: HANDLE) -> io::Result<String> {
    let user = token_user(token)?;
    // SAFETY: `user` starts with the TOKEN_USER GetTokenInformation wrote; its SID lives in it.
    let sid = unsafe { (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut name = vec![0u16; 256];
    let mut domain = vec![0u16; 256];
    let (mut name_len, mut domain_len) = (256u32, 256u32);
    let mut kind: SID_NAME_USE = 0;
    // SAFETY: both buffers hold the lengths passed; `sid` points into `user`.
    let ok = unsafe {
        LookupAccountSidW(
            ptr::null(),
            sid,
            name.as_mut_ptr(),
            &raw mut name_len,
            domain.as_mut_ptr(),
            &raw mut domain_len,
            &raw mut kind,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let text = |buffer: &[u16], len: u32| String::from_utf16_lossy(&buffer[..len as usize]);
    Ok(format!(
        "{}\\{}",
        text(&domain, domain_len),
        text(&name, name_len)
    ))
}

/// The string form (`S-1-5-21-…`) of the token's user SID.
fn sid_string(token: HANDLE) -> io::Result<String> {
    let user = token_user(token)?;
    // SAFETY: `user` starts with the TOKEN_USER GetTokenInformation wrote; its SID lives in it.
    let sid = unsafe { (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut text: windows_sys::core::PWSTR = ptr::null_mut();
    // SAFETY: `sid` is valid; on success `text` is a LocalAlloc'd NUL-terminated string.
    if unsafe { ConvertSidToStringSidW(sid, &raw mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` is NUL-terminated; it is read up to the NUL, then freed once.
    let string = unsafe {
        // A SID string is far shorter than this bound.
        let length = (0..256).take_while(|&i| *text.add(i) != 0).count();
        let string = String::from_utf16_lossy(std::slice::from_raw_parts(text, length));
        LocalFree(text.cast());
        string
    };
    Ok(string)
}

/// Runs this executable with `__probe-jobs` as the signed-in console user (only SYSTEM holds the
/// `SeTcbPrivilege` this needs), passing `request` and returning its response, within `deadline`.
pub(crate) fn run_as_console_user(
    request: &[u8],
    deadline: Duration,
) -> Result<Vec<u8>, TokenError> {
    // SAFETY: no preconditions.
    let session = unsafe { WTSGetActiveConsoleSessionId() };
    if session == u32::MAX {
        return Err(TokenError::NoConsoleUser);
    }
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: `token` is a valid out pointer; the call fails cleanly without SeTcbPrivilege.
    if unsafe { WTSQueryUserToken(session, &raw mut token) } == 0 {
        // SAFETY: reads this thread's last error, set by WTSQueryUserToken.
        if unsafe { GetLastError() } == ERROR_NO_TOKEN {
            return Err(TokenError::NoConsoleUser);
        }
        return Err(last_error("WTSQueryUserToken"));
    }
    let token = Owned(token);
    let sid = sid_string(token.0).map_err(|source| TokenError::Call {
        call: "ConvertSidToStringSidW",
        source,
    })?;
    // The user's process writes its response here: SYSTEM, Administrators and that user only.
    let dir = PrivateDir::create(&format!(
        "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{sid})"
    ))
    .map_err(|source| TokenError::Call {
        call: "CreateDirectoryW",
        source,
    })?;
    let request_path = dir.path.join("request.json");
    let response_path = dir.path.join("response.json");
    std::fs::write(&request_path, request).map_err(|source| TokenError::Channel {
        path: request_path.display().to_string(),
        source,
    })?;
    let exe = std::env::current_exe().map_err(|source| TokenError::Call {
        call: "GetModuleFileNameW",
        source,
    })?;
    let code = start_and_wait(token.0, &exe, &request_path, &response_path, deadline)?;
    match service::read_response(&response_path) {
        Ok(bytes) if code == 0 => Ok(bytes),
        _ => Err(TokenError::Failed(code)),
    }
}

/// Starts `exe __probe-jobs` with the user's token and environment, waits at most `deadline`,
/// and returns its exit code (stopping it at the deadline).
fn start_and_wait(
    token: HANDLE,
    exe: &Path,
    request: &Path,
    response: &Path,
    deadline: Duration,
) -> Result<u32, TokenError> {
    let quoted = |path: &Path| format!("\"{}\"", path.display());
    let command = format!(
        "{} __probe-jobs --request {} --response {}",
        quoted(exe),
        quoted(request),
        quoted(response)
    );
    let mut command: Vec<u16> = OsStr::new(&command).encode_wide().chain([0]).collect();
    let application: Vec<u16> = exe.as_os_str().encode_wide().chain([0]).collect();
    let mut environment: *mut core::ffi::c_void = ptr::null_mut();
    // SAFETY: `token` is the user's primary token; `environment` is a valid out pointer.
    if unsafe { CreateEnvironmentBlock(&raw mut environment, token, 0) } == 0 {
        return Err(last_error("CreateEnvironmentBlock"));
    }
    // SAFETY: zeroed STARTUPINFOW/PROCESS_INFORMATION are valid initial values (plain data).
    let mut startup: STARTUPINFOW = unsafe { std::mem::zeroed() };
    startup.cb = u32::try_from(size_of::<STARTUPINFOW>()).unwrap_or(u32::MAX);
    // SAFETY: as above.
    let mut process: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: every string is NUL-terminated UTF-16 that outlives the call; `command` is
    // writable as CreateProcessAsUserW requires; `environment` came from CreateEnvironmentBlock.
    let created = unsafe {
        CreateProcessAsUserW(
            token,
            application.as_ptr(),
            command.as_mut_ptr(),
            ptr::null(),
            ptr::null(),
            0,
            CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
            environment,
            ptr::null(),
            &raw const startup,
            &raw mut process,
        )
    };
    let failed = (created == 0).then(|| last_error("CreateProcessAsUserW"));
    // SAFETY: `environment` came from CreateEnvironmentBlock and is destroyed once.
    unsafe { DestroyEnvironmentBlock(environment) };
    if let Some(err) = failed {
        return Err(err);
    }
    let (child, thread) = (Owned(process.hProcess), Owned(process.hThread));
    drop(thread);
    let millis = u32::try_from(deadline.as_millis()).unwrap_or(u32::MAX - 1);
    // SAFETY: `child` is the open process handle CreateProcessAsUserW returned.
    if unsafe { WaitForSingleObject(child.0, millis) } != WAIT_OBJECT_0 {
        // SAFETY: as above; stops only the process this function started.
        unsafe { TerminateProcess(child.0, 1) };
        return Err(TokenError::Timeout(deadline));
    }
    let mut code = 0u32;
    // SAFETY: `child` is open and has ended; `code` is a valid out pointer.
    if unsafe { GetExitCodeProcess(child.0, &raw mut code) } == 0 {
        return Err(last_error("GetExitCodeProcess"));
    }
    Ok(code)
}

/// Whether `sid` may own the directories a SYSTEM service runs from: LocalSystem, the
/// Administrators group, or this (elevated) process's own user.
pub(crate) fn is_trusted_owner(sid: windows_sys::Win32::Security::PSID) -> bool {
    use windows_sys::Win32::Security::{EqualSid, WinBuiltinAdministratorsSid};
    // SAFETY: `sid` is a valid SID for the duration of the call (the caller holds its descriptor).
    let well_known = unsafe {
        IsWellKnownSid(sid, WinLocalSystemSid) != 0
            || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
    };
    if well_known {
        return true;
    }
    let Ok(token) = own_token() else {
        return false;
    };
    let Ok(user) = token_user(token.0) else {
        return false;
    };
    // SAFETY: `user` starts with the TOKEN_USER GetTokenInformation wrote; its SID lives in it.
    let own = unsafe { (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    // SAFETY: both SIDs are valid for the call.
    unsafe { EqualSid(sid, own) != 0 }
}
