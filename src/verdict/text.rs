//! Renders findings and remedies into the sentences a person reads: one reason per finding, one
//! fix per remedy, and the headline. The only place the verdict's wording lives.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::route::{Context, Route};
use crate::settings::AUTH_PROXY_POLICY;
use crate::windows::keys::{INTERNET_POLICY_KEY, POLICY_KEY};

use super::finding::{
    Code, Fact, FixKind, Health, Hop, Inspector, Mismatch, Remedy, Setting, UtcFacts,
};
use super::{Approach, Finding, Fix, Reason};
use crate::probe::Identity;
use crate::windows::utc::UploadState;

/// Hosts named one by one up to this many; beyond, a count and "see the table".
const HOSTS_NAMED: usize = 3;

/// The reason a finding gives: its sentence, what it cites, and its Connection Health property.
#[must_use]
pub(super) fn reason(finding: &Finding, ready: bool) -> Reason {
    Reason {
        code: finding.code,
        severity: super::severity(finding, ready),
        text: sentence(finding),
        contexts: finding.contexts.clone(),
        hosts: finding.hosts.clone(),
        refs: finding.evidence.refs.clone(),
        health: finding.evidence.health.map(health),
    }
}

/// The verdict in one line: readiness, the approach, and the first thing to do, which is the
/// first fix (so the headline and the fixes always agree).
#[must_use]
pub(super) fn headline(
    approach: Approach,
    ready: bool,
    findings: &[Finding],
    remedies: &[Remedy],
) -> String {
    let approach_words = match approach {
        Approach::Bypass => "bypass",
        Approach::Device => "device proxy authentication",
        Approach::User => "user proxy authentication",
        Approach::None => "no approach",
    };
    if ready {
        let proof = findings
            .iter()
            .find(|f| f.code == Code::SystemProxyAuthProven);
        let how = if approach == Approach::User {
            "Windows sends through the signed-in user's proxy".to_owned()
        } else if let (Approach::Device, Some(proof)) = (approach, proof) {
            format!(
                "{} authenticated ({}) for {}",
                who(proof),
                with_what(proof),
                count(proof.hosts.len(), "endpoint")
            )
        } else {
            let n = findings
                .iter()
                .find(|f| f.code == Code::SystemClean)
                .map_or(0, |f| f.hosts.len());
            format!(
                "the system context reaches {} with no proxy authentication or SSL inspection",
                count(n, "endpoint")
            )
        };
        return format!("READY: {approach_words} ({how})");
    }
    if let Some(first) = remedies.first() {
        return format!("NOT READY: {approach_words}: {}", short(first));
    }
    match findings
        .iter()
        .find(|f| f.code.severity() == super::finding::Severity::Blocker)
    {
        Some(finding) if finding.code == Code::NothingProbed => {
            "NOT READY: no endpoint was probed".to_owned()
        }
        Some(finding) => format!(
            "NOT READY: {approach_words}: {}",
            first_clause(&sentence(finding))
        ),
        None => format!("NOT READY: {approach_words}: confirm on the device (see why)"),
    }
}

/// The fix a remedy proposes: its title, the commands to paste and the hosts.
#[must_use]
pub(super) fn fix(remedy: &Remedy, ready: bool) -> Fix {
    let (title, commands) = title_and_commands(remedy);
    // A ready device needs no fix: what remains is worth doing, not required.
    let title = match (ready, remedy.alternative) {
        (true, _) => format!("Optional: {title}"),
        (false, true) => format!("Or: {}", uncapitalized(&title)),
        (false, false) => title,
    };
    Fix {
        kind: kind_name(&remedy.kind),
        alternative: remedy.alternative,
        title,
        commands,
        hosts: remedy.hosts.clone(),
    }
}

/// The fix's stable name in the report.
fn kind_name(kind: &FixKind) -> &'static str {
    match kind {
        FixKind::DropProxyAuth { .. } => "drop_proxy_auth",
        FixKind::AllowComputerAccounts { .. } => "allow_computer_accounts",
        FixKind::ExcludeFromInspection { .. } => "exclude_from_inspection",
        FixKind::ResolveNames => "resolve_names",
        FixKind::CheckNetwork => "check_network",
        FixKind::FixProxyName { .. } => "fix_proxy_name",
        FixKind::FixDeadProxy { .. } => "fix_dead_proxy",
        FixKind::OpenFirewall => "open_firewall",
        FixKind::AllowOnProxy { .. } => "allow_on_proxy",
        FixKind::CheckProxyUpstream { .. } => "check_proxy_upstream",
        FixKind::CheckPath => "check_path",
        FixKind::ShareUserRoute { .. } => "share_user_route",
        FixKind::EnableAuthProxy => "enable_auth_proxy",
        FixKind::RaiseDiagnosticLevel => "raise_diagnostic_level",
        FixKind::StartDiagTrack => "start_diagtrack",
        FixKind::FixCommercialId => "fix_commercial_id",
    }
}

/// The first fix in a few words, for the headline.
fn short(remedy: &Remedy) -> String {
    let n = remedy.hosts.len();
    match &remedy.kind {
        FixKind::DropProxyAuth { proxies } => format!(
            "exempt {} from authentication on {}",
            count(n, "host"),
            proxy_names(proxies)
        ),
        FixKind::AllowComputerAccounts {
            proxies,
            account,
            denied,
        } => match (account, denied) {
            (Some(account), true) => format!(
                "allow {account} through {} for {}",
                proxy_names(proxies),
                count(n, "host")
            ),
            _ => format!(
                "let computer accounts through {} for {}",
                proxy_names(proxies),
                count(n, "host")
            ),
        },
        FixKind::ExcludeFromInspection { by } => {
            let on = match by {
                Some(Inspector::Product(product)) => format!(" on {product}"),
                _ => String::new(),
            };
            format!("exclude {} from SSL inspection{on}", count(n, "host"))
        }
        FixKind::ResolveNames => format!("make {} resolve", count(n, "endpoint name")),
        FixKind::CheckNetwork => "no DNS server answers: check the network".to_owned(),
        FixKind::FixProxyName { proxy, .. } => {
            format!("correct the proxy {proxy}, whose name does not resolve")
        }
        FixKind::FixDeadProxy { proxy, .. } => {
            format!("replace or start the unreachable proxy {proxy}")
        }
        FixKind::OpenFirewall => format!("open the firewall to {}", count(n, "host")),
        FixKind::AllowOnProxy { proxies } => {
            format!("allow {} on {}", count(n, "host"), proxy_names(proxies))
        }
        FixKind::CheckProxyUpstream { proxies } => format!(
            "find why {} cannot reach {}",
            proxy_names(proxies),
            count(n, "host")
        ),
        FixKind::CheckPath => format!("find what cuts off {}", count(n, "host")),
        FixKind::ShareUserRoute { route, .. } => match route {
            Route::Proxy { proxy } => format!("give WinHTTP the user's proxy {proxy}"),
            Route::Direct | Route::Unprobeable { .. } => {
                "let the system context go direct, as the user's does".to_owned()
            }
        },
        FixKind::EnableAuthProxy => "set DisableEnterpriseAuthProxy to 0".to_owned(),
        FixKind::RaiseDiagnosticLevel => {
            "turn diagnostic data on (AllowTelemetry 1 or higher)".to_owned()
        }
        FixKind::StartDiagTrack => "enable and start the DiagTrack service".to_owned(),
        FixKind::FixCommercialId => "correct the Commercial ID policy".to_owned(),
    }
}

/// A fix's title and the commands to paste.
#[allow(clippy::too_many_lines)] // one arm per kind of fix
fn title_and_commands(remedy: &Remedy) -> (String, Vec<String>) {
    let first_host = remedy.hosts.first().map_or("HOST", String::as_str);
    match &remedy.kind {
        FixKind::DropProxyAuth { proxies } => (
            format!(
                "On {}, let these hosts through without authentication (bypass, as Microsoft \
                 recommends)",
                proxy_names(proxies)
            ),
            Vec::new(),
        ),
        FixKind::AllowComputerAccounts {
            proxies,
            account,
            denied,
        } => (
            match (account, denied) {
                (Some(account), true) => format!(
                    "On {}, allow the computer account {account} (or \"Domain Computers\") for \
                     these hosts: it authenticated, and the proxy refused the requests (device \
                     approach)",
                    proxy_names(proxies)
                ),
                (Some(account), false) => format!(
                    "On {}, let computer accounts (\"Domain Computers\"; this device is \
                     {account}) authenticate with Windows Integrated Authentication: the proxy \
                     rejected it (device approach)",
                    proxy_names(proxies)
                ),
                (None, _) => format!(
                    "On {}, allow computer accounts (\"Domain Computers\") with Windows \
                     Integrated Authentication (device approach; prove it on the device, \
                     elevated: dapreflight check --as system)",
                    proxy_names(proxies)
                ),
            },
            Vec::new(),
        ),
        FixKind::ExcludeFromInspection { by } => {
            let on = match by {
                Some(Inspector::Product(product)) => format!(" on {product}"),
                Some(Inspector::Issuer(issuer)) => {
                    format!(" on the device whose CA '{issuer}' re-signs them")
                }
                None => String::new(),
            };
            (
                format!(
                    "Exclude these hosts from SSL inspection{on}: Windows accepts only \
                     Microsoft's own certificates on them"
                ),
                Vec::new(),
            )
        }
        FixKind::ResolveNames => (
            "Make these names resolve on the device's DNS server, or give the system context \
             a proxy (which resolves them itself); check with"
                .to_owned(),
            vec![format!("nslookup {first_host}")],
        ),
        FixKind::CheckNetwork => (
            "No DNS server answers: check the network connection and the DNS servers it \
             uses (a firewall may block DNS); then check a name"
                .to_owned(),
            vec!["ipconfig /all".to_owned(), format!("nslookup {first_host}")],
        ),
        FixKind::FixProxyName { proxy, setting } => {
            let host = proxy.rsplit_once(':').map_or(proxy.as_str(), |(h, _)| h);
            let mut commands = vec![format!("nslookup {host}")];
            commands.extend(show_setting(*setting));
            (
                format!(
                    "Add the proxy's name {host} to DNS, or correct the proxy in {}",
                    setting_words(*setting)
                ),
                commands,
            )
        }
        FixKind::FixDeadProxy { proxy, setting } => {
            let mut commands = vec![format!(
                "powershell Test-NetConnection {} -Port {}",
                proxy.rsplit_once(':').map_or(proxy.as_str(), |(h, _)| h),
                proxy.rsplit_once(':').map_or("8080", |(_, p)| p)
            )];
            commands.extend(show_setting(*setting));
            (
                format!(
                    "Nothing answers at {proxy}: start that proxy, or point {} at one that \
                     works",
                    setting_words(*setting)
                ),
                commands,
            )
        }
        FixKind::OpenFirewall => (
            "Allow the device's direct connections to these hosts on ports 443 and 80 through \
             the firewall (or give the system context a proxy); check with"
                .to_owned(),
            vec![format!(
                "powershell Test-NetConnection {first_host} -Port 443"
            )],
        ),
        FixKind::AllowOnProxy { proxies } => (
            format!(
                "On {}, allow these hosts: it refuses them",
                proxy_names(proxies)
            ),
            Vec::new(),
        ),
        FixKind::CheckProxyUpstream { proxies } => (
            format!(
                "{} cannot reach these hosts itself: check the proxy's own DNS, upstream proxy \
                 and firewall for them",
                capitalized(&proxy_names(proxies))
            ),
            Vec::new(),
        ),
        FixKind::CheckPath => (
            "Find what stops these hosts once the connection is up (the table shows the stage \
             of each)"
                .to_owned(),
            Vec::new(),
        ),
        FixKind::ShareUserRoute { route, setting } => share_user_route(route, *setting),
        FixKind::EnableAuthProxy => (
            format!(
                "Let the diagnostic-data service use the signed-in user's proxy (the user \
                 approach): set the policy \"{AUTH_PROXY_POLICY}\" to \"Enable Authenticated \
                 Proxy usage\", or"
            ),
            vec![format!(
                r#"reg add "{POLICY_KEY}" /v DisableEnterpriseAuthProxy /t REG_DWORD /d 0 /f"#
            )],
        ),
        FixKind::RaiseDiagnosticLevel => (
            "Set the diagnostic data level to at least Required (1) in the group policy \
             \"Allow Diagnostic Data\" (or Configuration Manager), or"
                .to_owned(),
            vec![format!(
                r#"reg add "{POLICY_KEY}" /v AllowTelemetry /t REG_DWORD /d 1 /f"#
            )],
        ),
        FixKind::StartDiagTrack => (
            "Enable and start the Connected User Experiences and Telemetry service (DiagTrack)"
                .to_owned(),
            vec![
                "sc.exe config DiagTrack start= auto".to_owned(),
                "sc.exe start DiagTrack".to_owned(),
            ],
        ),
        FixKind::FixCommercialId => (
            "Correct the group policy \"Configure the Commercial ID\" (or set it to Not \
             configured), or remove the value it left behind"
                .to_owned(),
            vec![format!(r#"reg delete "{POLICY_KEY}" /v CommercialId /f"#)],
        ),
    }
}

/// The fix that gives the system context the user's working route.
fn share_user_route(route: &Route, setting: Setting) -> (String, Vec<String>) {
    match route {
        Route::Proxy { proxy } => {
            let mut commands = vec![
                format!(r#"netsh winhttp set proxy proxy-server="{proxy}" bypass-list="<local>""#),
                "netsh winhttp import proxy source=ie".to_owned(),
            ];
            if setting == Setting::TelemetryProxy {
                commands.push(format!(
                    r#"reg add "{POLICY_KEY}" /v TelemetryProxyServer /t REG_SZ /d {proxy} /f"#
                ));
            }
            (
                format!(
                    "Give WinHTTP, which the diagnostic-data service uses, the user's proxy \
                     {proxy} (elevated, either command){}",
                    if setting == Setting::TelemetryProxy {
                        ", and point TelemetryProxyServer at it"
                    } else {
                        ""
                    }
                ),
                commands,
            )
        }
        Route::Direct | Route::Unprobeable { .. } => {
            let commands = match setting {
                Setting::WinHttp => vec!["netsh winhttp reset proxy".to_owned()],
                Setting::TelemetryProxy => vec![format!(
                    r#"reg delete "{POLICY_KEY}" /v TelemetryProxyServer /f"#
                )],
                Setting::AutoConfig | Setting::WinInet | Setting::ThisRun => Vec::new(),
            };
            (
                format!(
                    "The user's context goes direct and gets through: let the system context go \
                     direct too, by removing the proxy from {}",
                    setting_words(setting)
                ),
                commands,
            )
        }
    }
}

/// The command that shows a route's setting, where one exists.
fn show_setting(setting: Setting) -> Option<String> {
    match setting {
        Setting::WinHttp => Some("netsh winhttp show proxy".to_owned()),
        Setting::TelemetryProxy => Some(format!(
            r#"reg query "{POLICY_KEY}" /v TelemetryProxyServer"#
        )),
        Setting::AutoConfig | Setting::WinInet | Setting::ThisRun => None,
    }
}

/// A route's setting in words.
fn setting_words(setting: Setting) -> &'static str {
    match setting {
        Setting::WinHttp => "WinHTTP's proxy (netsh winhttp)",
        Setting::TelemetryProxy => "the TelemetryProxyServer policy",
        Setting::AutoConfig => "the automatic configuration (WPAD or PAC script)",
        Setting::WinInet => "Internet Options (WinINET)",
        Setting::ThisRun => "this run's flag or environment",
    }
}

/// The sentence a finding renders to; every code has one (a unit test holds each to it).
fn sentence(finding: &Finding) -> String {
    causes(finding)
        .or_else(|| approach(finding))
        .or_else(|| reading(finding))
        .or_else(|| settings(finding))
        .or_else(|| diagtrack(finding))
        .or_else(|| proofs(finding))
        .unwrap_or_default()
}

/// Who a handshake presented, as a reason names it: the computer account as SYSTEM, the
/// signed-in user as the user, else the account alone.
fn who(finding: &Finding) -> String {
    let hop = finding.hops.first();
    let account = hop
        .and_then(|h| h.account.clone())
        .unwrap_or_else(|| "the account".to_owned());
    match hop.and_then(|h| h.identity) {
        Some(Identity::System) => format!("the computer account {account}"),
        Some(Identity::User) => format!("the signed-in user {account}"),
        _ => account,
    }
}

/// The scheme and package a handshake used: `Negotiate, Kerberos`.
fn with_what(finding: &Finding) -> String {
    let hop = finding.hops.first();
    let scheme = hop.and_then(|h| h.schemes.first().cloned());
    let package = hop.and_then(|h| h.package.clone());
    match (scheme, package) {
        (_, Some(package)) => package,
        (Some(scheme), None) => scheme,
        (None, None) => "Windows Integrated Authentication".to_owned(),
    }
}

/// The sentences of proven (or only account-deep) proxy authentication.
fn proofs(finding: &Finding) -> Option<String> {
    let hosts = hosts_phrase(&finding.hosts);
    let text = match finding.code {
        Code::SystemProxyAuthProven => format!(
            "{} authenticated ({}) and reached {hosts}, probed as SYSTEM: device proxy \
             authentication works (bypass, which needs no authentication, is still recommended)",
            capitalized(&who(finding)),
            with_what(finding)
        ),
        Code::UserProxyAuthProven => format!(
            "{} authenticated ({}) and reached {hosts}: the user's proxy works with the user's \
             own logon, while a user is signed in",
            capitalized(&who(finding)),
            with_what(finding)
        ),
        Code::AuthAccountOnly => {
            let hop = finding.hops.first();
            let account = hop
                .and_then(|h| h.account.clone())
                .unwrap_or_else(|| "the account given".to_owned());
            let how = if hop.is_some_and(|h| h.explicit) {
                "explicit credentials"
            } else {
                "the logon dapreflight ran as"
            };
            format!(
                "{} accepted {account} ({how}) for {hosts}: that proves the proxy accepts this \
                 account, not that the diagnostic-data service (the computer account) or the \
                 signed-in user gets through; prove it on the device, elevated: dapreflight \
                 check --as both",
                capitalized(&proxies(&finding.hops))
            )
        }
        _ => return None,
    };
    Some(text)
}

/// The sentences of DiagTrack's own upload summary beside the probes.
fn diagtrack(finding: &Finding) -> Option<String> {
    let facts = finding.evidence.facts.iter().find_map(|fact| match fact {
        Fact::Utc(facts) => Some(facts),
        _ => None,
    })?;
    let period = facts
        .period_end
        .as_deref()
        .map_or_else(String::new, |end| format!(" (ending {end})"));
    let text = match finding.code {
        Code::DiagTrackNoReport if facts.state == UploadState::NoReport => {
            "DiagTrack has no upload summary yet (no ConnectionSummary in its \
             UtcConnectionReport): nothing from Windows itself confirms or contradicts the probes"
                .to_owned()
        }
        Code::DiagTrackNoReport => format!(
            "DiagTrack's summary of its last period{period} does not say what was uploaded \
             (DataUploaded missing or undefined): it neither confirms nor contradicts the probes"
        ),
        Code::DiagTrackNothingToUpload => format!(
            "DiagTrack had nothing to upload in its last period{period} (DataUploaded 3): that \
             shows nothing about the route, so the probes alone decide"
        ),
        Code::DiagTrackAgrees => {
            let what = match facts.state {
                UploadState::AllSent => "sent all diagnostic data",
                UploadState::SomeDropped => "dropped some diagnostic data",
                _ => "dropped all diagnostic data",
            };
            let via = match facts.proxy_detected {
                Some(true) => ", through a proxy",
                Some(false) => ", without a proxy",
                None => "",
            };
            let mut text = format!(
                "DiagTrack's own summary agrees: it {what} in its last period{period}{via}"
            );
            if facts.corroborates_auth {
                text.push_str(
                    "; its last HTTP error was 407, the proxy authentication the probes meet",
                );
            }
            if facts.corroborates_interception {
                let _ = write!(
                    text,
                    "; it saw certificate-validation failures ({}), the SSL inspection the probes \
                     found",
                    certificate_code(facts)
                );
            }
            text
        }
        Code::DiagTrackDiffers => {
            let parts: Vec<String> = facts
                .mismatches
                .iter()
                .map(|m| mismatch(*m, facts, &period))
                .collect();
            format!(
                "DiagTrack's own summary differs from the probes: {}",
                parts.join("; ")
            )
        }
        _ => return None,
    };
    Some(text)
}

/// One disagreement between DiagTrack's summary and the probes, and what it means.
fn mismatch(mismatch: Mismatch, facts: &UtcFacts, period: &str) -> String {
    match mismatch {
        Mismatch::SentDirect => format!(
            "it sent all data without a proxy in its last period{period}, while the system \
             context's routes go through a proxy and fail: DiagTrack reached Microsoft directly"
        ),
        Mismatch::SentViaUnseenProxy => format!(
            "it sent all data through a proxy in its last period{period}, while the system \
             context's direct routes fail: DiagTrack used a proxy this run does not take \
             (TelemetryProxyServer, the user's proxy or WPAD)"
        ),
        Mismatch::SentWhileProbesFail => format!(
            "it sent all data in its last period{period} while the probes fail: what blocks \
             the probes is newer than that period, or DiagTrack's route differs from theirs"
        ),
        Mismatch::DroppedWhileProbesPass => format!(
            "it dropped data in its last period{period} though every probe gets through: the \
             period may predate a fix, or DiagTrack's route differs from the probes'"
        ),
        Mismatch::AuthNotSeenByProbes => "its last HTTP error was 407 (proxy authentication), \
                                          which no probe of the system context met: DiagTrack \
                                          goes through an authenticating proxy the probes did \
                                          not take"
            .to_owned(),
        Mismatch::CertificateFailuresNotSeenByProbes => format!(
            "it saw certificate-validation failures ({}), but the probes found no SSL \
             inspection: something re-signs or blocks certificates on a route the probes did \
             not take",
            certificate_code(facts)
        ),
    }
}

/// `LastCertificateValidationFailureCode` as Windows writes error codes: `0x800B0109`.
fn certificate_code(facts: &UtcFacts) -> String {
    match facts.certificate_failure {
        Some(0) | None => "no code given".to_owned(),
        Some(code) => format!("0x{code:08X}"),
    }
}

/// The sentences of what stops a connection.
fn causes(finding: &Finding) -> Option<String> {
    let hosts = hosts_phrase(&finding.hosts);
    let context = contexts_phrase(&finding.contexts);
    let why = finding.hops.first().map_or("", |h| h.why.as_str());
    let proxy = proxies(&finding.hops);
    let setting = finding
        .hops
        .first()
        .map_or("this run", |h| setting_words(Setting::of_source(&h.source)));
    let text = match finding.code {
        Code::ProxyUnresolved => format!(
            "The name of {proxy}, from {setting}, does not resolve ({why}), so nothing goes \
             through it: {hosts} in {context}"
        ),
        Code::NoDnsServer => format!(
            "No DNS server answers ({why}): no network, or DNS is blocked; {hosts} in {context}"
        ),
        Code::NamesUnresolved => {
            format!("Endpoint names do not resolve ({why}): {hosts} in {context}")
        }
        Code::ProxyUnreachable => format!(
            "{}, from {setting}, cannot be reached ({why}): {hosts} in {context}",
            capitalized(&proxy)
        ),
        Code::ConnectFailed => format!("Direct connections fail ({why}): {hosts} in {context}"),
        Code::ConnectFiltered => format!(
            "Direct connections get no answer ({why}), as when a firewall drops them: {hosts} \
             in {context}"
        ),
        Code::SystemProxyAuthIntegrated => format!(
            "{} asks the system context for Windows Integrated Authentication ({}) for \
             {hosts}",
            capitalized(&proxy),
            schemes(&finding.hops)
        ),
        Code::ProxyAuthLogonRejected => format!(
            "{} rejected {} ({}) for {hosts} in {context}",
            capitalized(&proxy),
            who(finding),
            with_what(finding)
        ),
        Code::ProxyAuthLogonDenied => format!(
            "{} authenticated ({}), and {proxy} refused the requests ({why}) for {hosts} in \
             {context}: the proxy knows the account and does not allow it",
            capitalized(&who(finding)),
            with_what(finding)
        ),
        Code::SystemProxyAuthOther => format!(
            "{} asks for authentication the diagnostic-data service never sends ({}) for \
             {hosts}: only letting them through without authentication works",
            capitalized(&proxy),
            schemes(&finding.hops)
        ),
        Code::ProxyDenied => format!(
            "{} refuses the request ({why}): {hosts} in {context}",
            capitalized(&proxy)
        ),
        Code::ProxyError => format!(
            "{} cannot fetch these hosts itself ({why}): {hosts} in {context}",
            capitalized(&proxy)
        ),
        Code::Timeout => {
            let stage = finding
                .hops
                .first()
                .and_then(|h| h.stage)
                .map_or("a later", |s| s.as_str());
            format!("No answer at the {stage} stage ({why}): {hosts} in {context}")
        }
        Code::SystemTlsIntercepted | Code::SystemTlsInterceptedPublic => {
            let by = match finding.hops.iter().find_map(|h| h.inspector.clone()) {
                Some(Inspector::Product(product)) => format!(" by {product}"),
                Some(Inspector::Issuer(issuer)) => format!(" (CA '{issuer}')"),
                None => String::new(),
            };
            let storage = if finding.code == Code::SystemTlsInterceptedPublic {
                " (storage hosts, judged against public roots: lower confidence)"
            } else {
                ""
            };
            format!(
                "SSL inspection{by} re-signs {hosts}{storage} in {context}: Windows accepts \
                 only Microsoft's own certificates there (certificate pinning) and drops the \
                 connection"
            )
        }
        Code::TlsFailed => {
            format!("The TLS handshake fails ({why}): {hosts} in {context}")
        }
        Code::HttpUnexpected => format!(
            "An answer these endpoints do not give when reachable ({why}): {hosts} in {context}"
        ),
        _ => return None,
    };
    Some(text)
}

/// The sentences of the approaches and what they rest on.
fn approach(finding: &Finding) -> Option<String> {
    let text = match finding.code {
        Code::SystemClean => {
            let routes = if finding.evidence.facts.contains(&Fact::SomeRoutesFail) {
                " through at least one of the routes it may take (the others fail: see below)"
            } else {
                ""
            };
            format!(
                "Every endpoint ({}) answered in the system context, which the diagnostic-data \
                 service uses,{routes} with no proxy authentication and no SSL inspection",
                finding.hosts.len()
            )
        }
        Code::UserApproachFits => "Only the signed-in user's context gets through, and the user \
                                   approach holds: a user is signed in and \
                                   DisableEnterpriseAuthProxy is 0. Data flows only while a user \
                                   is signed in"
            .to_owned(),
        Code::UserRouteWorks => "The signed-in user's context gets through, on a route that needs \
                                 no credentials"
            .to_owned(),
        Code::UserApproachRuledOut => {
            let why: Vec<&str> = finding
                .evidence
                .facts
                .iter()
                .filter_map(|fact| match fact {
                    Fact::DefenderPresent => Some(
                        "Microsoft Defender for Endpoint is on this device and needs \
                         DisableEnterpriseAuthProxy = 1, while the user approach needs 0",
                    ),
                    Fact::NoUserSignedIn => Some(
                        "no user is signed in, and the user approach sends data only while one \
                         is",
                    ),
                    _ => None,
                })
                .collect();
            format!(
                "Only the signed-in user's context gets through, but the user approach does not \
                 fit: {}",
                why.join("; ")
            )
        }
        Code::UserBlocked => {
            let mut causes: Vec<(String, usize)> = Vec::new();
            for hop in &finding.hops {
                let cause = if hop.status == crate::status::Status::Ok {
                    format!("through only with this run's credentials via {}", hop.route)
                } else {
                    format!("{} via {}", hop.status, hop.route)
                };
                match causes.iter_mut().find(|(c, _)| *c == cause) {
                    Some((_, n)) => *n += 1,
                    None => causes.push((cause, 1)),
                }
            }
            let unprobed = finding.hosts.len().saturating_sub(finding.hops.len());
            let mut parts: Vec<String> = causes
                .into_iter()
                .map(|(cause, n)| format!("{cause} for {}", count(n, "host")))
                .collect();
            if unprobed > 0 {
                parts.push(format!("{} not probed", count(unprobed, "host")));
            }
            format!(
                "The signed-in user's context does not get through either: {}",
                parts.join("; ")
            )
        }
        Code::UserAuthProxyDisabled => "DisableEnterpriseAuthProxy is 1 (as Defender for \
                                        Endpoint and CIS L2 require): the service never uses the \
                                        user's proxy"
            .to_owned(),
        Code::UserAuthProxyUnsetWindows7 => "DisableEnterpriseAuthProxy is not set, and on \
                                             Windows 7 that disables the authenticated proxy"
            .to_owned(),
        Code::UserAuthProxyNotKnown => "The user approach also needs DisableEnterpriseAuthProxy \
                                        = 0 (or absent), and the input does not say"
            .to_owned(),
        Code::UserSignedInNotKnown => "The user approach sends data only while a user is signed \
                                       in; the input does not say whether one is"
            .to_owned(),
        Code::UserDefenderNotKnown => "Whether Microsoft Defender for Endpoint is on the device \
                                       is not in the input: it needs DisableEnterpriseAuthProxy \
                                       = 1, which rules out the user approach"
            .to_owned(),
        _ => return None,
    };
    Some(text)
}

/// The sentences of how the results were read.
fn reading(finding: &Finding) -> Option<String> {
    let hosts = hosts_phrase(&finding.hosts);
    let text = match finding.code {
        Code::NothingProbed => {
            "No endpoint was probed, so nothing shows that diagnostic data gets through".to_owned()
        }
        Code::SystemNotProbed => format!(
            "Not probed in the system context, the one the diagnostic-data service uses: {hosts}"
        ),
        Code::ContextAssumedSystem => {
            let what = match finding.contexts.first() {
                Some(Context::Environment) => "The environment's proxy variables stand",
                _ => "The route given on the command line stands",
            };
            format!(
                "{what} in for the system context: the device's own WinHTTP settings may route \
                 differently"
            )
        }
        Code::SettingsNotRead => "No device settings were read (no registry export, and not a \
                                  live run on Windows): the diagnostic-data level, DiagTrack, \
                                  DisableEnterpriseAuthProxy, Defender for Endpoint and the \
                                  Windows version are not known"
            .to_owned(),
        Code::EndpointUnprobeable => format!(
            "{hosts} is a pattern, not a host, so it was not probed: allow the pattern on the \
             proxy and firewall"
        ),
        Code::SystemMixedRoutes => {
            let failing: BTreeSet<String> = finding
                .hops
                .iter()
                .map(|h| format!("{} via {}", h.status, h.route))
                .collect();
            format!(
                "{hosts} answer through one system-context route but not through another \
                 ({}): Windows does not document which one the diagnostic-data service tries \
                 first",
                failing.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
        Code::EndpointsNotUsed => format!(
            "Not counted: {} does not use {hosts}",
            product(finding).unwrap_or("this Windows version")
        ),
        _ => return None,
    };
    Some(text)
}

/// The sentences of the device settings.
fn settings(finding: &Finding) -> Option<String> {
    let text = match finding.code {
        Code::SettingsDiagnosticOffLenient => format!(
            "AllowTelemetry is 0 (Diagnostic data off), but {} treats 0 as Required; set 1 or \
             higher to make the intent clear",
            product(finding).unwrap_or_default()
        ),
        Code::SettingsDiagnosticOff => {
            let set_by = finding
                .evidence
                .facts
                .iter()
                .find_map(|fact| match fact {
                    Fact::LevelSetBy(key) => Some(*key),
                    _ => None,
                })
                .unwrap_or_default();
            format!(
                "AllowTelemetry is 0 (Diagnostic data off, formerly Security), set by the \
                 {set_by} key: Windows sends no diagnostic data, whatever the network allows"
            )
        }
        Code::SettingsDiagTrackOff => "The Connected User Experiences and Telemetry service \
                                       (DiagTrack) is disabled or stopped: nothing sends \
                                       diagnostic data, whatever the network allows"
            .to_owned(),
        Code::SettingsCommercialIdConflict => "The Commercial ID set by group policy differs from \
                                               the one Configuration Manager wrote; the \
                                               group-policy one wins, so the device enrolls in \
                                               another workspace"
            .to_owned(),
        Code::SettingsCommercialIdMissing => "No Commercial ID yet: normal before Configuration \
                                              Manager targets the device (it writes the ID for \
                                              devices in the Desktop Analytics target \
                                              collection)"
            .to_owned(),
        Code::SettingsDeviceNameHidden => "AllowDeviceNameInTelemetry is not 1: from Windows 10 \
                                           1803 the device shows as \"Unknown\" in Desktop \
                                           Analytics (Configuration Manager sets it when \"Allow \
                                           Device Name in diagnostic data\" is enabled)"
            .to_owned(),
        Code::SettingsLimitedFallsBack => "Optional (limited) is configured, but this Windows \
                                           version (Windows 10 1709 or earlier, 8.1 or 7) falls \
                                           back to Required"
            .to_owned(),
        Code::SettingsTelemetryProxy | Code::SettingsTelemetryProxyNeedsAuthProxyDisabled => {
            let proxy = finding
                .evidence
                .facts
                .iter()
                .find_map(|fact| match fact {
                    Fact::TelemetryProxy(proxy) => Some(proxy.as_str()),
                    _ => None,
                })
                .unwrap_or_default();
            if finding.code == Code::SettingsTelemetryProxyNeedsAuthProxyDisabled {
                format!(
                    "TelemetryProxyServer sends diagnostic data to {proxy}, but it needs \
                     DisableEnterpriseAuthProxy = 1, which is not set"
                )
            } else {
                format!(
                    "TelemetryProxyServer sends diagnostic data to {proxy} (falling back to the \
                     default proxy if it fails); some Windows components ignore it"
                )
            }
        }
        Code::SettingsProxyPerMachine => format!(
            "A per-machine proxy policy is set (ProxySettingsPerUser = 0 in \
             {INTERNET_POLICY_KEY}): the system context uses the machine-wide (HKLM) WinINET \
             proxy settings. Per-machine needs 0; the Desktop Analytics doc's \"= 1\" is a known \
             documentation error"
        ),
        Code::SettingsLocalSystemNtlmAnonymous => "UseMachineId is 0 (\"Allow Local System to \
                                                   use computer identity for NTLM\" disabled): \
                                                   when Negotiate falls back to NTLM, \
                                                   LocalSystem authenticates anonymously, so \
                                                   device proxy authentication works only where \
                                                   Kerberos does"
            .to_owned(),
        Code::SettingsAsrBlocksPsexec => "Defender's ASR rule \"Block process creations \
                                          originating from PSExec and WMI commands\" is on: \
                                          Microsoft's analyzers that run as SYSTEM through \
                                          PsExec fail here (dapreflight's own temporary service \
                                          is not what the rule blocks)"
            .to_owned(),
        Code::SettingsAuthProxyDisabled => "DisableEnterpriseAuthProxy is set to 1 (as Defender \
                                            for Endpoint and CIS L2 require): the \
                                            diagnostic-data service uses only the system \
                                            context, never the signed-in user's proxy"
            .to_owned(),
        _ => return None,
    };
    Some(text)
}

/// The Connection Health property, as Configuration Manager (or the readiness script) names it
/// (docs/endpoints.md §5).
fn health(health: Health) -> String {
    let connectivity = |property: &str, status: Option<u16>| {
        let known = status.and_then(|code| {
            let text = match code {
                407 => "Proxy authentication required",
                408 => "Request timeout",
                426 => "Upgrade required",
                451 => "Unavailable for legal reasons",
                502 => "Bad gateway",
                511 => "Network authentication required",
                598 => "Network read timeout error",
                599 => "Network connection timeout error",
                _ => return None,
            };
            Some(format!("status code {code} ({text})"))
        });
        match known {
            Some(status) => format!("{property}; {status}"),
            None => property.to_owned(),
        }
    };
    match health {
        Health::ProxyAuthRequired => {
            "Connectivity status: status code 407 (Proxy authentication required)".to_owned()
        }
        Health::DiagnosticEndpoint { status } => connectivity(
            "Windows diagnostic endpoint connectivity (code 12): Can't connect to the connected \
             user experience and telemetry endpoint (Vortex)",
            status,
        ),
        Health::EndpointConnectivity { status } => {
            connectivity("Endpoint connectivity checks", status)
        }
        Health::CheckUserProxy => "Check user proxy (code 30): Authentication proxy is enabled. \
                                   Set DisableEnterpriseAuthProxy to 0"
            .to_owned(),
        Health::DiagnosticOptIn => "Windows diagnostic data opt-in".to_owned(),
        Health::DiagTrackConfiguration => "DiagTrack service configuration (code 50): Enable and \
                                           start the Connected User Experiences and Telemetry \
                                           service"
            .to_owned(),
        Health::CommercialId { wrong: true } => {
            "Commercial ID configuration (code 53): Provide the correct CommercialId value"
                .to_owned()
        }
        Health::CommercialId { wrong: false } => "Commercial ID configuration".to_owned(),
        Health::DeviceName => "Check device name in diagnostic data".to_owned(),
        Health::TelemetryProxyScript => "Upgrade Readiness script code 46: \
                                         DisableEnterpriseAuthProxy should be set to 1 for \
                                         Telemetry Proxy to work"
            .to_owned(),
    }
}

/// "proxy a:8080", "proxies a:8080, b:3128", or "the proxy" when the hops went through none.
fn proxies(hops: &[Hop]) -> String {
    let names: BTreeSet<String> = hops
        .iter()
        .filter_map(|h| match &h.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            Route::Direct | Route::Unprobeable { .. } => None,
        })
        .collect();
    proxy_names(&names.into_iter().collect::<Vec<_>>())
}

/// "proxy a:8080", "proxies a:8080, b:3128", or "the proxy" for distinct, sorted names.
fn proxy_names(names: &[String]) -> String {
    match names {
        [] => "the proxy".to_owned(),
        [one] => format!("proxy {one}"),
        _ => format!("proxies {}", names.join(", ")),
    }
}

/// The Windows product name a finding quotes, when it was read.
fn product(finding: &Finding) -> Option<&str> {
    finding.evidence.facts.iter().find_map(|fact| match fact {
        Fact::Product(product) => product.as_deref(),
        _ => None,
    })
}

/// `text` with its first letter in lower case, unless it starts a name ("WinHTTP", "DNS").
fn uncapitalized(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(text.chars().skip(1)).collect()
        }
        _ => text.to_owned(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "a.example", "a.example and b.example", ..., or "N hosts (see the table)".
fn hosts_phrase(hosts: &[String]) -> String {
    match hosts {
        [] => "no host".to_owned(),
        [one] => one.clone(),
        _ if hosts.len() <= HOSTS_NAMED => {
            let (last, rest) = hosts.split_last().unwrap_or((&hosts[0], &[]));
            format!("{} and {last}", rest.join(", "))
        }
        _ => format!("{} (see the table)", count(hosts.len(), "host")),
    }
}

/// "the system context", "both contexts", "the user's context", ...
fn contexts_phrase(contexts: &[Context]) -> String {
    let one = |context: &Context| match context {
        Context::System => "the system context",
        Context::User => "the user's context",
        Context::Explicit => "the route given on the command line",
        Context::Environment => "the environment's route",
    };
    match contexts {
        [] => "no context".to_owned(),
        [single] => one(single).to_owned(),
        [Context::System, Context::User] => "both contexts".to_owned(),
        many => many.iter().map(one).collect::<Vec<_>>().join(" and "),
    }
}

/// The schemes the hops' proxies offered, e.g. "407 offering Negotiate, NTLM".
fn schemes(hops: &[Hop]) -> String {
    let offered: BTreeSet<&str> = hops
        .iter()
        .flat_map(|h| h.schemes.iter().map(String::as_str))
        .collect();
    if offered.is_empty() {
        "407 naming no scheme".to_owned()
    } else {
        format!(
            "407: {}",
            offered.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// "1 host", "3 hosts".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A sentence up to its first colon, for the headline.
fn first_clause(sentence: &str) -> String {
    let clause = sentence.split(": ").next().unwrap_or(sentence);
    let mut chars = clause.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::ProxyAddr;
    use crate::status::Status;
    use crate::verdict::finding::{Evidence, remedy};

    fn finding(code: Code) -> Finding {
        let facts = if code.as_str().starts_with("diagtrack.") {
            vec![Fact::Utc(UtcFacts {
                state: UploadState::AllDropped,
                period_end: Some("2025-11-07T08:00:00Z (134069760000000000)".to_owned()),
                last_http_error: Some(407),
                proxy_detected: Some(true),
                certificate_failure: None,
                corroborates_auth: true,
                corroborates_interception: false,
                mismatches: vec![Mismatch::DroppedWhileProbesPass],
            })]
        } else {
            Vec::new()
        };
        Finding {
            code,
            contexts: vec![Context::System],
            hops: Vec::new(),
            hosts: vec!["a.example".to_owned()],
            evidence: Evidence {
                facts,
                ..Evidence::default()
            },
        }
    }

    fn hop(route: Route, status: Status) -> Hop {
        Hop {
            host: "a.example".to_owned(),
            route,
            source: "system settings".to_owned(),
            status,
            stage: None,
            detail: String::new(),
            why: String::new(),
            schemes: Vec::new(),
            inspector: None,
            account: None,
            package: None,
            identity: None,
            explicit: false,
        }
    }

    fn via(proxy: &str) -> Route {
        Route::Proxy {
            proxy: ProxyAddr::parse(proxy).expect("valid proxy"),
        }
    }

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}.example")).collect()
    }

    #[test]
    fn every_code_renders_a_sentence() {
        for code in Code::ALL {
            let text = sentence(&finding(code));
            assert!(!text.is_empty(), "{}", code.as_str());
            assert!(!text.ends_with('.'), "{}: {text}", code.as_str());
        }
    }

    #[test]
    fn every_fix_kind_has_a_title_and_a_short_form() {
        let kinds = [
            FixKind::DropProxyAuth {
                proxies: vec!["p.example:8080".to_owned()],
            },
            FixKind::AllowComputerAccounts {
                proxies: vec!["p.example:8080".to_owned()],
                account: None,
                denied: false,
            },
            FixKind::ExcludeFromInspection { by: None },
            FixKind::ResolveNames,
            FixKind::CheckNetwork,
            FixKind::FixProxyName {
                proxy: "p.example:8080".to_owned(),
                setting: Setting::WinHttp,
            },
            FixKind::FixDeadProxy {
                proxy: "p.example:8080".to_owned(),
                setting: Setting::TelemetryProxy,
            },
            FixKind::OpenFirewall,
            FixKind::AllowOnProxy {
                proxies: Vec::new(),
            },
            FixKind::CheckProxyUpstream {
                proxies: Vec::new(),
            },
            FixKind::CheckPath,
            FixKind::ShareUserRoute {
                route: Route::Direct,
                setting: Setting::WinHttp,
            },
            FixKind::EnableAuthProxy,
            FixKind::RaiseDiagnosticLevel,
            FixKind::StartDiagTrack,
            FixKind::FixCommercialId,
        ];
        let mut names = BTreeSet::new();
        for kind in kinds {
            let rendered = fix(&remedy(kind.clone(), hosts(2)), false);
            assert!(!rendered.title.is_empty(), "{kind:?}");
            assert!(
                !short(&remedy(kind.clone(), hosts(2))).is_empty(),
                "{kind:?}"
            );
            assert!(names.insert(rendered.kind), "{kind:?}: name repeats");
        }
    }

    #[test]
    fn health_names_the_status_code_only_when_connection_health_knows_it() {
        let cases = [
            (
                Health::EndpointConnectivity { status: Some(502) },
                "Endpoint connectivity checks; status code 502 (Bad gateway)",
            ),
            (
                Health::EndpointConnectivity { status: Some(404) },
                "Endpoint connectivity checks",
            ),
            (
                Health::EndpointConnectivity { status: None },
                "Endpoint connectivity checks",
            ),
            (
                Health::DiagnosticEndpoint { status: Some(451) },
                "Windows diagnostic endpoint connectivity (code 12): Can't connect to the \
                 connected user experience and telemetry endpoint (Vortex); status code 451 \
                 (Unavailable for legal reasons)",
            ),
            (
                Health::CommercialId { wrong: false },
                "Commercial ID configuration",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(health(value), expected, "{value:?}");
        }
    }

    #[test]
    fn hosts_are_named_up_to_three_then_counted() {
        let cases = [
            (0, "no host"),
            (1, "h1.example"),
            (2, "h1.example and h2.example"),
            (3, "h1.example, h2.example and h3.example"),
            (4, "4 hosts (see the table)"),
        ];
        for (n, expected) in cases {
            assert_eq!(hosts_phrase(&hosts(n)), expected);
        }
    }

    #[test]
    fn both_contexts_are_named_only_as_the_pair() {
        let cases: [(&[Context], &str); 4] = [
            (&[Context::System], "the system context"),
            (&[Context::User], "the user's context"),
            (&[Context::System, Context::User], "both contexts"),
            (&[Context::Explicit], "the route given on the command line"),
        ];
        for (contexts, expected) in cases {
            assert_eq!(contexts_phrase(contexts), expected);
        }
    }

    #[test]
    fn proxies_are_named_once_each_in_order() {
        let cases = [
            (vec![Route::Direct], "the proxy"),
            (
                vec![via("b.example:1"), via("b.example:1")],
                "proxy b.example:1",
            ),
            (
                vec![via("b.example:1"), via("a.example:2")],
                "proxies a.example:2, b.example:1",
            ),
        ];
        for (routes, expected) in cases {
            let hops: Vec<Hop> = routes
                .into_iter()
                .map(|r| hop(r, Status::ProxyAuthRequired))
                .collect();
            assert_eq!(proxies(&hops), expected);
        }
    }

    #[test]
    fn the_user_context_counts_its_stuck_hosts_by_cause() {
        let mut stuck = finding(Code::UserBlocked);
        stuck.hosts = hosts(3);
        stuck.hops = vec![
            hop(via("u.example:3128"), Status::ProxyError),
            hop(via("u.example:3128"), Status::ProxyError),
        ];
        assert_eq!(
            sentence(&stuck),
            "The signed-in user's context does not get through either: proxy_error via proxy \
             u.example:3128 for 2 hosts; 1 host not probed"
        );
    }

    #[test]
    fn fixes_carry_their_commands_and_hosts() {
        let hosts = vec!["a.example".to_owned()];
        let cases = [
            (FixKind::ResolveNames, vec!["nslookup a.example".to_owned()]),
            (
                FixKind::ShareUserRoute {
                    route: via("p.example:8080"),
                    setting: Setting::WinHttp,
                },
                vec![
                    r#"netsh winhttp set proxy proxy-server="p.example:8080" bypass-list="<local>""#
                        .to_owned(),
                    "netsh winhttp import proxy source=ie".to_owned(),
                ],
            ),
            (
                FixKind::ShareUserRoute {
                    route: Route::Direct,
                    setting: Setting::WinHttp,
                },
                vec!["netsh winhttp reset proxy".to_owned()],
            ),
            (
                FixKind::StartDiagTrack,
                vec![
                    "sc.exe config DiagTrack start= auto".to_owned(),
                    "sc.exe start DiagTrack".to_owned(),
                ],
            ),
        ];
        for (kind, commands) in cases {
            let rendered = fix(&remedy(kind.clone(), hosts.clone()), false);
            assert_eq!(rendered.commands, commands, "{kind:?}");
            assert_eq!(rendered.hosts, hosts, "{kind:?}");
        }
        let by = |by| {
            fix(
                &remedy(FixKind::ExcludeFromInspection { by }, Vec::new()),
                false,
            )
            .title
        };
        assert!(by(Some(Inspector::Product("Zscaler".to_owned()))).contains("on Zscaler"));
        assert!(by(Some(Inspector::Issuer("Corp CA".to_owned()))).contains("'Corp CA'"));
        let alternative = fix(
            &Remedy {
                alternative: true,
                ..remedy(FixKind::OpenFirewall, Vec::new())
            },
            false,
        );
        assert!(
            alternative.title.starts_with("Or: "),
            "{}",
            alternative.title
        );
    }
}
