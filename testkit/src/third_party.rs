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
}

/// Squid with a connection-based scheme answered by `ntlm_fake_auth` (which reads the user from
/// the type-3 message and checks no proof), and what it does once it knows the user.
pub struct SquidNtlm {
    /// `Negotiate` through `negotiate_wrapper_auth` (raw NTLMSSP tokens go to the NTLM helper),
    /// else `NTLM`.
    pub negotiate: bool,
    /// `auth_param … keep_alive`: off makes Squid close the connection after its first 407.
    pub keep_alive: bool,
    pub access: SquidAccess,
    /// Who answers the NTLM messages.
    pub helper: NtlmHelper,
}

/// The NTLM helper behind Squid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NtlmHelper {
    /// `ntlm_fake_auth`: a minimal 49-byte challenge without TargetInfo; any answer passes.
    Fake,
    /// `testkit/helpers/ntlm_helper.py`: a full challenge, and the NTLMv2 proof recomputed from
    /// the one account it knows. `mode` is the helper's `--mode`: `verify`, `v1-only` (a challenge
    /// offering only LM) or `loop` (a new challenge for every answer).
    Verifying {
        domain: String,
        user: String,
        password: String,
        mode: &'static str,
    },
}

/// The verifying helper's source, written into each Squid's directory (Squid's user must read it).
const NTLM_HELPER: &str = include_str!("../helpers/ntlm_helper.py");

/// What Squid does with an authenticated user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SquidAccess {
    /// Lets every authenticated user through.
    Allow,
    /// Denies on a `proxy_auth` ACL no user matches, which Squid answers with a new 407.
    Rechallenge,
    /// Denies authenticated users on a line ending in `all`, which Squid answers with 403.
    Deny,
}

impl ThirdPartyProxy {
    /// Starts Squid requiring NTLM or Negotiate as `setup` says; `hosts` are its /etc/hosts lines.
    pub fn squid_ntlm(setup: &SquidNtlm, hosts: &[(&str, Ipv4Addr)]) -> Self {
        let dir = world_writable_dir();
        let addr = closed_port();
        let hosts = hosts.iter().fold(String::new(), |mut text, (name, ip)| {
            let _ = writeln!(text, "{ip} {name}");
            text
        });
        write(dir.path(), "hosts", &hosts);
        let d = dir.path().display();
        let helper = match &setup.helper {
            NtlmHelper::Fake => "/usr/lib/squid/ntlm_fake_auth".to_owned(),
            NtlmHelper::Verifying {
                domain,
                user,
                password,
                mode,
            } => {
                let script = write(dir.path(), "ntlm_helper.py", NTLM_HELPER);
                let log = write(dir.path(), "ntlm.log", "");
                std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666))
                    .expect("chmod the helper's log");
                format!(
                    "/usr/bin/python3 {} --mode {mode} --user {user} --domain {domain} \
                     --password {password} --log {}",
                    script.display(),
                    log.display()
                )
            }
        };
        let (scheme, program) = if setup.negotiate {
            (
                "negotiate",
                format!(
                    "/usr/lib/squid/negotiate_wrapper_auth --ntlm {helper} \
                     --kerberos /usr/lib/squid/negotiate_kerberos_auth"
                ),
            )
        } else {
            ("ntlm", helper)
        };
        let keep_alive = if setup.keep_alive { "on" } else { "off" };
        let access = match setup.access {
            SquidAccess::Allow => "http_access allow authed\n",
            SquidAccess::Rechallenge => {
                "acl nobody proxy_auth nobody-at-all\nhttp_access deny !nobody\n\
                 http_access allow authed\n"
            }
            SquidAccess::Deny => "http_access deny authed all\n",
        };
        let conf = format!(
            "http_port {addr}\n\
             auth_param {scheme} program {program}\n\
             auth_param {scheme} children 1\n\
             auth_param {scheme} keep_alive {keep_alive}\n\
             acl authed proxy_auth REQUIRED\n{access}http_access deny all\n\
             hosts_file {d}/hosts\ndns_nameservers 127.0.0.1\n\
             pid_filename none\ncache_log {d}/cache.log\naccess_log none\n\
             cache deny all\ncoredump_dir {d}\nshutdown_lifetime 0 seconds\n"
        );
        Self::start_squid(dir, addr, &conf)
    }

    /// Starts Squid requiring authentication; `hosts` are its /etc/hosts lines.
    pub fn squid(auth: &SquidAuth, hosts: &[(&str, Ipv4Addr)]) -> Self {
        let dir = world_writable_dir();
        let addr = closed_port();
        let (user, password, ntlm) = match auth {
            SquidAuth::Basic { user, password } => (user, password, false),
            SquidAuth::NtlmAndBasic { user, password } => (user, password, true),
        };
        // basic_ncsa_auth reads crypt/MD5 entries; Apache's MD5 comes from the openssl CLI.
        let hashed = Command::new("openssl")
            .args(["passwd", "-apr1", password])
            .output()
            .expect("openssl passwd (Debian's openssl package)");
        assert!(hashed.status.success(), "openssl passwd failed: {hashed:?}");
        let hash = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
        write(dir.path(), "passwd", &format!("{user}:{hash}\n"));
        let hosts = hosts.iter().fold(String::new(), |mut text, (name, ip)| {
            let _ = writeln!(text, "{ip} {name}");
            text
        });
        write(dir.path(), "hosts", &hosts);
        let d = dir.path().display();
        let ntlm = if ntlm {
            "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\nauth_param ntlm children 1\n"
        } else {
            ""
        };
        let conf = format!(
            "http_port {addr}\n{ntlm}\
             auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/passwd\n\
             auth_param basic children 1\n\
             auth_param basic realm dapreflight-test\n\
             acl authed proxy_auth REQUIRED\n\
             http_access allow authed\nhttp_access deny all\n\
             hosts_file {d}/hosts\ndns_nameservers 127.0.0.1\n\
             pid_filename none\ncache_log {d}/cache.log\naccess_log none\n\
             cache deny all\ncoredump_dir {d}\nshutdown_lifetime 0 seconds\n"
        );
        Self::start_squid(dir, addr, &conf)
    }

    /// Starts Squid in the foreground on `conf`, written into `dir`, and waits until it listens.
    fn start_squid(dir: TempDir, addr: SocketAddr, conf: &str) -> Self {
        let path = write(dir.path(), "squid.conf", conf);
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

    /// What the verifying NTLM helper logged, one line per message (`KK -> AF CORP\\alice`).
    pub fn helper_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ntlm.log")).unwrap_or_default()
    }
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
