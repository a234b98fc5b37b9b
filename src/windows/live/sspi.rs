//! Windows' own authentication with the current logon (SSPI): the `Negotiate` or `NTLM` package
//! with no explicit credentials, so SYSTEM presents the computer account and a user themselves.
//! Thin over `windows-sys`: what statuses and tokens mean is decided in `windows::sspi`.

use std::ffi::c_void;
use std::ptr;

use windows_sys::Win32::Security::Authentication::Identity::{
    AcquireCredentialsHandleW, CompleteAuthToken, DeleteSecurityContext, FreeContextBuffer,
    FreeCredentialsHandle, ISC_REQ_ALLOCATE_MEMORY, ISC_REQ_CONNECTION, InitializeSecurityContextW,
    QueryContextAttributesW, SECBUFFER_TOKEN, SECBUFFER_VERSION, SECPKG_ATTR, SECPKG_ATTR_NAMES,
    SECPKG_ATTR_PACKAGE_INFO, SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP, SecBuffer, SecBufferDesc,
    SecPkgContext_NamesW, SecPkgContext_PackageInfoW,
};
use windows_sys::Win32::Security::Credentials::SecHandle;

use crate::auth::{
    AuthError, Authenticate, Authenticated, Handshake, Presenting, Scheme, Scrubber, Step,
};
use crate::windows::sspi::{self, Next, Progress};

/// The logon of this process (or of the thread's impersonation token when the credentials are
/// acquired), through SSPI: the computer account as SYSTEM, the user as the user.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CurrentLogon;

impl Authenticate for CurrentLogon {
    fn choose(&self, offered: &[&str]) -> Option<Scheme> {
        sspi::choose(offered)
    }

    fn begin(&self, scheme: Scheme, proxy_host: &str) -> Result<Box<dyn Handshake>, AuthError> {
        let package = sspi::package(scheme).ok_or_else(|| AuthError::Unsupported {
            scheme,
            what: "a password, which the current logon does not have".to_owned(),
        })?;
        let credentials = Credentials::acquire(package).map_err(|status| AuthError::Failed {
            scheme,
            reason: format!(
                "AcquireCredentialsHandle for {package}: {}",
                sspi::status_words(status)
            ),
        })?;
        Ok(Box::new(SspiHandshake {
            scheme,
            target: wide(&sspi::target_name(proxy_host)),
            context: None,
            credentials,
            finished: false,
            authenticated: Authenticated::default(),
            notes: Vec::new(),
        }))
    }

    fn presenting(&self) -> Presenting {
        Presenting::CurrentLogon
    }

    fn scrubber(&self) -> Scrubber {
        // SSPI holds the secrets; nothing dapreflight holds could be echoed back.
        Scrubber::default()
    }
}

/// One SSPI handshake: the credentials handle and, after the first step, the context.
///
/// `Send` without an `unsafe impl`: SSPI handles are two integers, not pointers, and are not
/// bound to the thread that made them (the logon is fixed when the credentials are acquired), so
/// the probe's runtime may move a handshake between threads; it never uses one from two threads
/// at once (`step` takes `&mut self`).
struct SspiHandshake {
    scheme: Scheme,
    /// `HTTP/<proxy host>`, NUL-terminated UTF-16.
    target: Vec<u16>,
    // Declared before `credentials`, so the context is deleted before its credentials are freed.
    context: Option<Context>,
    credentials: Credentials,
    finished: bool,
    authenticated: Authenticated,
    notes: Vec<String>,
}

impl Handshake for SspiHandshake {
    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, AuthError> {
        if self.finished {
            return Ok(Step::Done);
        }
        let first = self.context.is_none();
        let (status, mut token) = self.initialize(challenge);
        let next = match sspi::progress(status) {
            Progress::Done => Next::Done,
            Progress::Continue => Next::Continue,
            Progress::Complete { then } => {
                let status = self.complete(&mut token);
                if status != sspi::SEC_E_OK {
                    return Err(self.failed("CompleteAuthToken", status));
                }
                then
            }
            Progress::Failed(status) => {
                return Err(self.failed("InitializeSecurityContext", status));
            }
        };
        if first {
            self.notes
                .extend(sspi::first_token_note(self.scheme, &token));
        }
        if next == Next::Done {
            self.finished = true;
            self.read_attributes();
        }
        match sspi::outcome(next, token) {
            Ok(Some(token)) => Ok(Step::Send(token)),
            Ok(None) => Ok(Step::Done),
            Err(reason) => Err(AuthError::Failed {
                scheme: self.scheme,
                reason,
            }),
        }
    }

    fn authenticated(&self) -> Authenticated {
        self.authenticated.clone()
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

impl SspiHandshake {
    /// Calls `InitializeSecurityContextW` with `challenge` as input; the status and the token it
    /// wrote (copied out of SSPI's buffer, which is freed).
    #[expect(unsafe_code, reason = "FFI: InitializeSecurityContextW")]
    fn initialize(&mut self, challenge: Option<&[u8]>) -> (i32, Vec<u8>) {
        // SSPI takes the input through a `*mut`; it does not write to it, but a copy costs little.
        let mut input_bytes = challenge.map(<[u8]>::to_vec).unwrap_or_default();
        let mut input_buffer = SecBuffer {
            cbBuffer: u32::try_from(input_bytes.len()).unwrap_or(u32::MAX),
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: input_bytes.as_mut_ptr().cast::<c_void>(),
        };
        let input = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &raw mut input_buffer,
        };
        let mut output_buffer = SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: ptr::null_mut(),
        };
        let mut output = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &raw mut output_buffer,
        };
        let mut attributes = 0_u32;
        let mut expiry = 0_i64;
        let mut new_context = SecHandle::default();
        let existing: *mut SecHandle = match &mut self.context {
            Some(context) => &raw mut context.0,
            None => ptr::null_mut(),
        };
        let new: *mut SecHandle = if existing.is_null() {
            &raw mut new_context
        } else {
            // A later call may name the same handle as old and new context (documented).
            existing
        };
        // SAFETY: the credentials handle is live (dropped after the context); `existing` is null
        // or this handshake's context; `target`, the input (when given) and the output
        // descriptors point to memory that outlives the call; ISC_REQ_ALLOCATE_MEMORY makes SSPI
        // allocate the output token, which `ContextBuffer` frees.
        let status = unsafe {
            InitializeSecurityContextW(
                &raw const self.credentials.0,
                existing,
                self.target.as_ptr(),
                ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONNECTION,
                0,
                SECURITY_NATIVE_DREP,
                if challenge.is_some() {
                    &raw const input
                } else {
                    ptr::null()
                },
                0,
                new,
                &raw mut output,
                &raw mut attributes,
                &raw mut expiry,
            )
        };
        let buffer = ContextBuffer(output_buffer.pvBuffer);
        if existing.is_null() && status >= 0 {
            self.context = Some(Context(new_context));
        }
        (status, buffer.bytes(output_buffer.cbBuffer))
    }

    /// Calls `CompleteAuthToken` on the context with the token the last step produced, which it
    /// may rewrite in place (Digest-style packages; Negotiate, Kerberos and NTLM do not ask).
    #[expect(unsafe_code, reason = "FFI: CompleteAuthToken")]
    fn complete(&self, token: &mut Vec<u8>) -> i32 {
        let Some(context) = &self.context else {
            return i32::MIN;
        };
        let mut buffer = SecBuffer {
            cbBuffer: u32::try_from(token.len()).unwrap_or(u32::MAX),
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: token.as_mut_ptr().cast::<c_void>(),
        };
        let descriptor = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &raw mut buffer,
        };
        // SAFETY: the context is live and the descriptor points to `token`, which outlives the
        // call and may be rewritten in place, never past its length.
        let status = unsafe { CompleteAuthToken(&raw const context.0, &raw const descriptor) };
        token.truncate(usize::try_from(buffer.cbBuffer).unwrap_or(usize::MAX));
        status
    }

    /// Who authenticated and with which package, once the context is complete; a failed query
    /// becomes a note.
    fn read_attributes(&mut self) {
        let Some(context) = &self.context else {
            return;
        };
        match context.name() {
            Ok(name) => self.authenticated.account = Some(name),
            Err(status) => self.notes.push(format!(
                "the account name could not be read: {}",
                sspi::status_words(status)
            )),
        }
        match context.package() {
            Ok(package) => self.authenticated.package = Some(package),
            Err(status) => self.notes.push(format!(
                "the package Negotiate chose could not be read: {}",
                sspi::status_words(status)
            )),
        }
    }

    fn failed(&self, call: &str, status: i32) -> AuthError {
        AuthError::Failed {
            scheme: self.scheme,
            reason: format!("{call}: {}", sspi::status_words(status)),
        }
    }
}

/// A credentials handle for the current logon; freed on drop.
struct Credentials(SecHandle);

impl Credentials {
    /// Outbound credentials of the current logon for `package`, or SSPI's status.
    #[expect(unsafe_code, reason = "FFI: AcquireCredentialsHandleW")]
    fn acquire(package: &str) -> Result<Self, i32> {
        let package = wide(package);
        let mut handle = SecHandle::default();
        let mut expiry = 0_i64;
        // SAFETY: `package` is NUL-terminated UTF-16 that outlives the call; null principal,
        // logon ID and auth data select the caller's own logon; `handle` and `expiry` are valid
        // out pointers.
        let status = unsafe {
            AcquireCredentialsHandleW(
                ptr::null(),
                package.as_ptr(),
                SECPKG_CRED_OUTBOUND,
                ptr::null(),
                ptr::null(),
                None,
                ptr::null(),
                &raw mut handle,
                &raw mut expiry,
            )
        };
        if status == sspi::SEC_E_OK {
            Ok(Self(handle))
        } else {
            Err(status)
        }
    }
}

impl Drop for Credentials {
    #[expect(unsafe_code, reason = "FFI: FreeCredentialsHandle")]
    fn drop(&mut self) {
        // SAFETY: the handle came from AcquireCredentialsHandleW and is freed once, here.
        unsafe { FreeCredentialsHandle(&raw const self.0) };
    }
}

/// A security context; deleted on drop.
struct Context(SecHandle);

impl Context {
    /// `SECPKG_ATTR_NAMES`: the account the context authenticates as, e.g. `CORP\WS01$`.
    fn name(&self) -> Result<String, i32> {
        let mut names = SecPkgContext_NamesW::default();
        self.query(SECPKG_ATTR_NAMES, (&raw mut names).cast::<c_void>())?;
        let buffer = ContextBuffer(names.sUserName.cast::<c_void>());
        Ok(buffer.wide_string())
    }

    /// `SECPKG_ATTR_PACKAGE_INFO`: the package in use, e.g. `Kerberos` or `NTLM` for Negotiate.
    #[expect(unsafe_code, reason = "reads the package information SSPI allocated")]
    fn package(&self) -> Result<String, i32> {
        let mut info = SecPkgContext_PackageInfoW::default();
        self.query(SECPKG_ATTR_PACKAGE_INFO, (&raw mut info).cast::<c_void>())?;
        let buffer = ContextBuffer(info.PackageInfo.cast::<c_void>());
        if info.PackageInfo.is_null() {
            return Ok(String::new());
        }
        // SAFETY: the query succeeded, so `PackageInfo` points to a SecPkgInfoW that SSPI
        // allocated and `buffer` frees after this read.
        let name = unsafe { (*info.PackageInfo).Name };
        let name = wide_string(name);
        drop(buffer);
        Ok(name)
    }

    #[expect(unsafe_code, reason = "FFI: QueryContextAttributesW")]
    fn query(&self, attribute: SECPKG_ATTR, out: *mut c_void) -> Result<(), i32> {
        // SAFETY: the context is live and `out` points to the structure `attribute` fills.
        let status = unsafe { QueryContextAttributesW(&raw const self.0, attribute, out) };
        if status == sspi::SEC_E_OK {
            Ok(())
        } else {
            Err(status)
        }
    }
}

impl Drop for Context {
    #[expect(unsafe_code, reason = "FFI: DeleteSecurityContext")]
    fn drop(&mut self) {
        // SAFETY: the handle came from InitializeSecurityContextW and is deleted once, here.
        unsafe { DeleteSecurityContext(&raw const self.0) };
    }
}

/// Memory SSPI allocated for the caller; freed with `FreeContextBuffer` on drop.
struct ContextBuffer(*mut c_void);

impl ContextBuffer {
    /// A copy of the first `length` bytes.
    #[expect(unsafe_code, reason = "reads a token SSPI wrote")]
    fn bytes(&self, length: u32) -> Vec<u8> {
        if self.0.is_null() || length == 0 {
            return Vec::new();
        }
        let length = usize::try_from(length).unwrap_or(0);
        // SAFETY: SSPI allocated the buffer for a token of `length` bytes and wrote it.
        unsafe { std::slice::from_raw_parts(self.0.cast::<u8>(), length) }.to_vec()
    }

    /// The NUL-terminated UTF-16 string the buffer holds.
    fn wide_string(&self) -> String {
        wide_string(self.0.cast::<u16>())
    }
}

impl Drop for ContextBuffer {
    #[expect(unsafe_code, reason = "FFI: FreeContextBuffer")]
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: SSPI allocated this buffer for the caller, and it is freed once, here.
            unsafe { FreeContextBuffer(self.0) };
        }
    }
}

/// `text` as NUL-terminated UTF-16.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// The NUL-terminated UTF-16 string at `text` (empty for null), read up to 32,767 units.
#[expect(unsafe_code, reason = "reads a string SSPI returned")]
fn wide_string(text: *const u16) -> String {
    const MAX: usize = 32_767;
    if text.is_null() {
        return String::new();
    }
    let mut length = 0;
    // SAFETY: SSPI returns NUL-terminated strings; the read stops at the NUL or at MAX units.
    while length < MAX && unsafe { *text.add(length) } != 0 {
        length += 1;
    }
    // SAFETY: the `length` units before the NUL were just read.
    let units = unsafe { std::slice::from_raw_parts(text, length) };
    String::from_utf16_lossy(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first step of each package with this logon: a token, or SSPI's exact refusal. On
    /// Windows a token always comes back; under Wine it depends on its NTLM provider, which
    /// needs Samba's `ntlm_auth` (tests/wine/sspi.sh says what this machine gives).
    #[test]
    fn the_first_step_of_negotiate_and_ntlm_gives_a_token_or_sspis_reason() {
        let mut seen = Vec::new();
        for scheme in [Scheme::Negotiate, Scheme::Ntlm] {
            // An address as the target: Windows asks no domain controller for a Kerberos ticket
            // to an IP-address service name, so nothing leaves the machine.
            let outcome = CurrentLogon
                .begin(scheme, "127.0.0.1")
                .and_then(|mut handshake| handshake.step(None));
            let line = match outcome {
                Ok(Step::Send(token)) => {
                    let kind = sspi::token_kind(&token);
                    assert!(
                        matches!(kind, sspi::TokenKind::Ntlm(1) | sspi::TokenKind::Spnego),
                        "{scheme}: a first token is NTLM type 1 or SPNEGO, not {kind:?}"
                    );
                    if scheme == Scheme::Ntlm {
                        assert_eq!(kind, sspi::TokenKind::Ntlm(1), "NTLM starts with type 1");
                    }
                    format!("{scheme}: token {kind:?}, {} bytes", token.len())
                }
                Ok(Step::Done) => panic!("{scheme}: a first step always has a token to send"),
                Err(AuthError::Failed { reason, .. }) => {
                    assert!(
                        reason.contains("(0x"),
                        "{scheme}: SSPI's status is given with its code: {reason}"
                    );
                    format!("{scheme}: refused: {reason}")
                }
                Err(other) => panic!("{scheme}: {other}"),
            };
            seen.push(line);
        }
        // tests/wine/sspi.sh reads these lines from the test's output.
        for line in &seen {
            eprintln!("sspi-first-step: {line}");
        }
    }

    /// NTLM's second step, fed a challenge made here (no proxy): a type-3 message and who it
    /// authenticated as, or SSPI's exact refusal. This exercises the call with an existing
    /// context; tests/wine/sspi.sh pins what Wine gives.
    #[test]
    fn ntlms_second_step_answers_a_challenge_or_says_why_not() {
        let Ok(mut handshake) = CurrentLogon.begin(Scheme::Ntlm, "127.0.0.1") else {
            eprintln!("sspi-second-step: NTLM: no package");
            return;
        };
        if !matches!(handshake.step(None), Ok(Step::Send(_))) {
            eprintln!("sspi-second-step: NTLM: no first token");
            return;
        }
        let line = match handshake.step(Some(&challenge())) {
            Ok(Step::Send(token)) => {
                assert_eq!(sspi::token_kind(&token), sspi::TokenKind::Ntlm(3));
                let who = handshake.authenticated();
                format!(
                    "token Ntlm(3), {} bytes, account {:?}, package {:?}",
                    token.len(),
                    who.account,
                    who.package
                )
            }
            Ok(Step::Done) => "done without a type 3".to_owned(),
            Err(err) => {
                assert!(err.to_string().contains("(0x"), "{err}");
                format!("refused: {err}")
            }
        };
        eprintln!("sspi-second-step: NTLM: {line}");
    }

    /// An NTLM type-2 message as a domain's server sends it: Unicode, request target, NTLM,
    /// always sign, domain target, extended session security, target information; the target
    /// `CORP`, and target information naming the domain. (Samba's client, which Wine runs,
    /// refuses a challenge without target information with `NT_STATUS_INVALID_PARAMETER`.)
    fn challenge() -> Vec<u8> {
        let domain: Vec<u8> = "CORP".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut info = vec![2, 0, 8, 0]; // MsvAvNbDomainName, 8 bytes
        info.extend(&domain);
        info.extend([0, 0, 0, 0]); // MsvAvEOL
        let mut message = b"NTLMSSP\0".to_vec();
        message.extend(2_u32.to_le_bytes());
        message.extend([8, 0, 8, 0, 48, 0, 0, 0]); // target name: 8 bytes at 48
        message.extend(0x0089_8205_u32.to_le_bytes());
        message.extend([1, 2, 3, 4, 5, 6, 7, 8]); // the server challenge
        message.extend([0; 8]);
        message.extend([16, 0, 16, 0, 56, 0, 0, 0]); // target information: 16 bytes at 56
        message.extend(&domain);
        message.extend(&info);
        message
    }

    #[test]
    fn basic_is_not_answered_with_the_current_logon() {
        assert!(matches!(
            CurrentLogon.begin(Scheme::Basic, "proxy.invalid"),
            Err(AuthError::Unsupported { .. })
        ));
        assert_eq!(CurrentLogon.presenting(), Presenting::CurrentLogon);
        assert!(CurrentLogon.scrubber().is_empty());
    }

    #[test]
    fn a_handshake_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<SspiHandshake>();
    }
}
