//! Entry points for the fuzz targets in `fuzz/`: one per parser of outside input, each taking
//! raw bytes and discarding the result. Only built with the `fuzzing` feature; not an API.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::auth::scrub::Scrubber;
use crate::proxy::pac::{self, PacEnvironment, PacLimits, PacScript, PacTime};
use crate::proxy::resolve::TableResolver;

/// A `reg export` file (UTF-16 or REGEDIT4 text).
pub fn reg_export(data: &[u8]) {
    let _ = crate::windows::regfile::parse(data, "fuzz.reg");
}

/// A `netsh winhttp show proxy` or `show advproxy` capture, as `--from-netsh` reads it.
pub fn netsh(data: &[u8]) {
    let _ = crate::windows::netsh::parse_show_proxy(data, "fuzz.txt");
    if let Ok(capture) = crate::windows::netsh::decode_capture(data, "fuzz.txt") {
        let _ = crate::windows::netsh::parse_show_advproxy(&capture.text, "fuzz.txt");
    }
}

/// DiagTrack's `UtcConnectionReport` XML, as `--from-utc-report` reads it.
pub fn utc_report(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::windows::utc::parse(text);
    }
}

/// The `WinHttpSettings` registry blob.
pub fn winhttp_blob(data: &[u8]) {
    let _ = crate::windows::winhttp::parse_settings(data);
}

/// WinINET's `DefaultConnectionSettings` / `SavedLegacySettings` blob.
pub fn wininet_blob(data: &[u8]) {
    let _ = crate::windows::wininet::parse_connection_settings(data);
}

/// An endpoint catalog (`--endpoints`), as YAML.
pub fn catalog_yaml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::catalog::parse(text, "fuzz.yaml");
    }
}

/// A PAC result string (`PROXY a:1; SOCKS b; DIRECT`), and the routes it gives.
pub fn pac_result(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = pac::result::parse_result(&text);
    let (entries, _) = pac::result::parse_lenient(&text);
    for entry in &entries {
        let _ = entry.to_route();
        let _ = entry.wininet_understands();
    }
}

/// A `Proxy-Authenticate` header value.
pub fn proxy_authenticate(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::probe::tunnel::parse_challenges(&text);
}

/// An NTLM CHALLENGE message (type 2), and the `NTLMv2` answer to it for fixed credentials, so
/// the `TargetInfo` walk, the MIC and the AUTHENTICATE layout all see the input.
pub fn ntlm_challenge(data: &[u8]) {
    use crate::auth::ntlm::{self, Account, message};
    let _ = message::Challenge::parse(data);
    for account in ["CORP\\alice", "alice@corp.test", "alice"] {
        let _ = ntlm::respond(
            &Account::parse(account),
            "pa55:w0rd",
            &message::negotiate(),
            data,
            [7; 8],
            0,
        );
    }
}

/// A proxy's response head, scrubbed of a fixed set of credentials.
pub fn response_head(data: &[u8]) {
    let scrubber = Scrubber::new("alice", "pa55:w0rd");
    let _ = crate::probe::tunnel::parse_head(data, &scrubber);
    let _ = scrubber.bytes(data);
}

/// One DER certificate, described as the report shows it.
pub fn certificate(data: &[u8]) {
    let chain = [CertificateDer::from(data)];
    let _ = crate::trust::describe(&chain);
}

/// A PAC script, compiled and evaluated for one URL, with a fixed clock, address and an empty
/// name table (no lookup leaves the process), and small limits so each input ends fast.
pub fn pac_script(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let limits = PacLimits {
        timeout: Duration::from_millis(200),
        memory_limit: 16 * 1024 * 1024,
        max_stack_size: 256 * 1024,
    };
    let Ok(script) = PacScript::compile(source, "fuzz.pac", &limits) else {
        return;
    };
    let env = PacEnvironment {
        client_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))),
        dns_timeout: Duration::from_millis(50),
        eval_timeout: Duration::from_millis(200),
        now: Some(PacTime {
            unix_seconds: 1_767_225_600,
            utc_offset_minutes: 60,
        }),
        ..PacEnvironment::with_resolver(Arc::new(TableResolver::new([(
            "proxy.corp.test",
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 8)),
        )])))
    };
    let _ = pac::decide_url(&script, "https://v10c.events.data.microsoft.com/ping", &env);
}
