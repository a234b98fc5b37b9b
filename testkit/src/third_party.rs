//! Real third-party proxies (Squid, tinyproxy) started on loopback for a test, stopped by PID.
//!
//! `.ci/run` installs them. Under CI a missing one fails the test loudly; on a developer's
//! machine without them the test says so on stderr and passes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::closed_port;

/// Whether `program` is installed; under CI its absence is a test failure.
pub fn available(program: &str, path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} is not installed at {path}: .ci/run must install it"
    );
    eprintln!("NOT RUN: {program} is not installed ({path}); .ci/run installs it for CI");
    false
}

/// A third-party proxy process on 127.0.0.1, killed (by its PID) on drop.
pub struct ThirdPartyProxy {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
}

/// How Squid asks for credentials.
pub enum SquidAuth {
    /// Basic only, accepting this user and password.
    Basic { user: String, password: String },
    /// NTLM (Squid's fake helper) and Basic, accepting this Basic user and password.
    NtlmAndBasic { user: String, password: String },
    /// NTLM through Squid's `ntlm_fake_auth`: a minimal 49-byte challenge without TargetInfo, and
    /// any answer accepted.
    NtlmFake,
    /// NTLM verified by `testkit/helpers/ntlm_helper.py` against one account.
    Ntlm(NtlmSquid),
}

/// Squid with the verifying NTLM helper: which schemes it offers, how the helper behaves, and
/// whether Squid keeps client connections open (NTLM needs it to).
pub struct NtlmSquid {
    pub user: String,
    pub domain: String,
    pub password: String,
    /// `verify`, `v1-only` (a challenge offering only LM) or `loop` (a new challenge for every
    /// answer): the helper's `--mode`.
    pub mode: &'static str,
    /// Offer `NTLM` (the helper directly).
    pub ntlm: bool,
    /// Offer `Negotiate` through `negotiate_wrapper_auth --ntlm`, which routes raw NTLMSSP to the
    /// same helper (a SPNEGO token would go to the Kerberos helper, which has no keytab here).
    pub negotiate: bool,
    /// `client_persistent_connections`: off makes Squid close after every answer, the first 407
    /// included.
    pub persistent: bool,
}

impl NtlmSquid {
    /// A verifying Squid offering `NTLM` for `DOMAIN\user` with `password`, connections kept.
    pub fn verifying(domain: &str, user: &str, password: &str) -> Self {
        Self {
            user: user.to_owned(),
            domain: domain.to_owned(),
            password: password.to_owned(),
            mode: "verify",
            ntlm: true,
            negotiate: false,
            persistent: true,
        }
    }
}

/// The verifying helper's source, written into each Squid's directory (Squid's user must read it).
const NTLM_HELPER: &str = include_str!("../helpers/ntlm_helper.py");

impl ThirdPartyProxy {
    /// Starts Squid requiring authentication; `hosts` are its /etc/hosts lines.
    pub fn squid(auth: &SquidAuth, hosts: &[(&str, Ipv4Addr)]) -> Self {
        let dir = world_writable_dir();
        let addr = closed_port();
        let d = dir.path().display();
        let (user, password, schemes) = match auth {
            SquidAuth::Basic { user, password } => (user.as_str(), password.as_str(), String::new()),
            SquidAuth::NtlmAndBasic { user, password } => (
                user.as_str(),
                password.as_str(),
                "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\nauth_param ntlm children 1\n"
                    .to_owned(),
            ),
            SquidAuth::NtlmFake => (
                "",
                "",
                "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\nauth_param ntlm children 1\n"
                    .to_owned(),
            ),
            SquidAuth::Ntlm(ntlm) => ("", "", ntlm_params(dir.path(), ntlm)),
        };
        let basic = if user.is_empty() {
            String::new()
        } else {
            // basic_ncsa_auth reads crypt/MD5 entries; Apache's MD5 comes from the openssl CLI.
            let hashed = Command::new("openssl")
                .args(["passwd", "-apr1", password])
                .output()
                .expect("openssl passwd (Debian's openssl package)");
            assert!(hashed.status.success(), "openssl passwd failed: {hashed:?}");
            let hash = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
            write(dir.path(), "passwd", &format!("{user}:{hash}\n"));
            format!(
                "auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/passwd\n\
                 auth_param basic children 1\nauth_param basic realm dapreflight-test\n"
            )
        };
        let persistent = match auth {
            SquidAuth::Ntlm(NtlmSquid {
                persistent: false, ..
            }) => "client_persistent_connections off\n",
            _ => "",
        };
        let hosts = hosts.iter().fold(String::new(), |mut text, (name, ip)| {
            let _ = writeln!(text, "{ip} {name}");
            text
        });
        write(dir.path(), "hosts", &hosts);
        let conf = format!(
            "http_port {addr}\n{schemes}{basic}{persistent}\
             acl authed proxy_auth REQUIRED\n\
             http_access allow authed\nhttp_access deny all\n\
             hosts_file {d}/hosts\ndns_nameservers 127.0.0.1\n\
             pid_filename none\ncache_log {d}/cache.log\naccess_log none\n\
             cache deny all\ncoredump_dir {d}\nshutdown_lifetime 0 seconds\n"
        );
        let path = write(dir.path(), "squid.conf", &conf);
        let child = Command::new("squid")
            .arg("-N")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start squid");
        Self::ready(child, addr, dir, "squid")
    }

    /// Starts tinyproxy as an open proxy for 127.0.0.1 clients.
    pub fn tinyproxy() -> Self {
        let dir = world_writable_dir();
        let addr = closed_port();
        let conf = format!(
            "Port {}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 5\nMaxClients 20\nLogLevel Error\n",
            addr.port()
        );
        let path = write(dir.path(), "tinyproxy.conf", &conf);
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tinyproxy");
        Self::ready(child, addr, dir, "tinyproxy")
    }

    /// Waits (at most 15 s) until the proxy accepts connections.
    fn ready(mut child: Child, addr: SocketAddr, dir: TempDir, name: &str) -> Self {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Self { child, addr, dir };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("cache.log")).unwrap_or_default();
                panic!("{name} exited with {status} before listening on {addr}\n{log}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{name} did not listen on {addr} within 15 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the verifying NTLM helper logged, one line per request (`KK -> AF CORP\\alice`).
    pub fn helper_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ntlm.log")).unwrap_or_default()
    }
}

/// Squid's `auth_param` lines for the verifying helper, which is written into `dir`.
fn ntlm_params(dir: &Path, ntlm: &NtlmSquid) -> String {
    let script = write(dir, "ntlm_helper.py", NTLM_HELPER);
    let log = write(dir, "ntlm.log", "");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).expect("chmod the log");
    let helper = format!(
        "/usr/bin/python3 {} --mode {} --user {} --domain {} --password {} --log {}",
        script.display(),
        ntlm.mode,
        ntlm.user,
        ntlm.domain,
        ntlm.password,
        log.display()
    );
    let mut params = String::new();
    if ntlm.negotiate {
        // The Kerberos side never runs: the probe sends raw NTLMSSP, which the wrapper routes to
        // --ntlm. It must still name a program that starts.
        let _ = writeln!(
            params,
            "auth_param negotiate program /usr/lib/squid/negotiate_wrapper_auth \
             --ntlm {helper} --kerberos /usr/lib/squid/negotiate_kerberos_auth -s GSS_C_NO_NAME\n\
             auth_param negotiate children 1\nauth_param negotiate keep_alive on"
        );
    }
    if ntlm.ntlm {
        let _ = writeln!(
            params,
            "auth_param ntlm program {helper}\nauth_param ntlm children 1\nauth_param ntlm keep_alive on"
        );
    }
    params
}

impl Drop for ThirdPartyProxy {
    fn drop(&mut self) {
        // SIGTERM by PID first so Squid stops its helpers, then SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory the proxies' unprivileged users can use (Squid drops root).
fn world_writable_dir() -> TempDir {
    let dir = TempDir::new().expect("temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod the temporary directory");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("create a proxy file");
    file.write_all(text.as_bytes()).expect("write a proxy file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path
}
