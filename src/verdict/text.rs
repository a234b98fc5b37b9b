//! Renders findings and remedies into the sentences a person reads: one reason per finding, one
//! fix per remedy. The only place the verdict's wording lives.

use std::collections::BTreeSet;

use crate::route::Route;
use crate::settings::AUTH_PROXY_POLICY;
use crate::status::Status;
use crate::windows::keys::{INTERNET_POLICY_KEY, POLICY_KEY};

use super::finding::{Code, Fact, FixKind, Health, Hop, Inspector, Remedy, offers_integrated};
use super::{Finding, Fix, Reason};

/// The reason a finding gives: its sentence, what it cites, and its Connection Health property.
#[must_use]
pub(super) fn reason(finding: &Finding) -> Reason {
    Reason {
        text: sentence(finding),
        refs: finding.evidence.refs.clone(),
        health: finding.evidence.health.map(health),
    }
}

/// The fix a remedy proposes: its title, the commands to paste and the hosts.
#[must_use]
pub(super) fn fix(remedy: &Remedy) -> Fix {
    let hosts = remedy.hosts.clone();
    let (title, commands) = match &remedy.kind {
        FixKind::DropProxyAuth { proxies } => (
            format!(
                "Recommended (bypass): on {}, do not require authentication for these hosts",
                proxy_names(proxies)
            ),
            Vec::new(),
        ),
        FixKind::AllowComputerAccounts { proxies } => (
            format!(
                "Or (device approach): on {}, allow the computer accounts \
                 (DOMAIN\\COMPUTER$, e.g. the \"Domain Computers\" group) to these hosts \
                 with Windows Integrated Authentication (Negotiate/NTLM)",
                proxy_names(proxies)
            ),
            Vec::new(),
        ),
        FixKind::ExcludeFromInspection { by } => {
            let by = match by {
                Some(Inspector::Product(product)) => format!(" on {product}"),
                Some(Inspector::Issuer(issuer)) => format!(" (the inspection CA is '{issuer}')"),
                None => String::new(),
            };
            (
                format!("Exclude these hosts from SSL inspection{by}"),
                Vec::new(),
            )
        }
        FixKind::ResolveNames => (
            "Make these names resolve in the device's DNS (or let the proxy resolve them by \
             routing the system context through it)"
                .to_owned(),
            hosts
                .iter()
                .map(|host| format!("nslookup {host}"))
                .collect(),
        ),
        FixKind::AllowThrough => (
            "Let the system context reach these hosts: allow them through the firewall and the \
             proxy"
                .to_owned(),
            Vec::new(),
        ),
        FixKind::ShareUserProxy { proxy } => (
            "The system context has no proxy, but the user's proxy gets through: give WinHTTP \
             (which the diagnostic-data service uses) the same proxy, or set the policy \"Make \
             proxy settings per-machine (rather than per-user)\" (ProxySettingsPerUser = 0; the \
             Desktop Analytics doc's \"= 1\" is a known documentation error)"
                .to_owned(),
            vec![format!(
                r#"netsh winhttp set proxy proxy-server="{proxy}" bypass-list="<local>""#
            )],
        ),
        FixKind::EnableAuthProxy => (
            format!(
                "Let the diagnostic-data service use the signed-in user's proxy: set the policy \
                 \"{AUTH_PROXY_POLICY}\" to \"Enable Authenticated Proxy usage\", or"
            ),
            vec![format!(
                r#"reg add "{POLICY_KEY}" /v DisableEnterpriseAuthProxy /t REG_DWORD /d 0 /f"#
            )],
        ),
        FixKind::RaiseDiagnosticLevel => (
            "Set the diagnostic data level to at least Required (1), or Enhanced (2) with \
             LimitEnhancedDiagnosticDataWindowsAnalytics = 1 for Optional (limited): in the \
             group policy \"Allow Telemetry\" (\"Allow Diagnostic Data\") or the Configuration \
             Manager connection, or"
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
    };
    Fix {
        title,
        commands,
        hosts,
    }
}

/// The sentence a finding renders to; every code has one (a unit test holds each to it).
fn sentence(finding: &Finding) -> String {
    network(finding)
        .or_else(|| approach(finding))
        .or_else(|| settings(finding))
        .unwrap_or_default()
}

/// The sentences of what the results show.
fn network(finding: &Finding) -> Option<String> {
    let hosts = finding.hosts.join(", ");
    let text = match finding.code {
        Code::ContextAssumedSystem => {
            let context = finding
                .contexts
                .first()
                .map(|c| c.as_str())
                .unwrap_or_default();
            format!(
                "The '{context}' context was taken as the system context, the one Windows' \
                 diagnostic-data service (DiagTrack, running as LocalSystem) uses: check that \
                 the device's own WinHTTP proxy settings route the same way"
            )
        }
        Code::EndpointsNotUsed => format!(
            "Not counted, because {} does not use them: {hosts}",
            product(finding).unwrap_or("this Windows version")
        ),
        Code::EndpointUnprobeable => {
            let detail = finding
                .hops
                .first()
                .map(|h| h.detail.as_str())
                .unwrap_or_default();
            format!(
                "{hosts} cannot be probed ({detail}): allow the pattern {hosts} on the proxy and \
                 firewall"
            )
        }
        Code::NothingProbed => {
            "No endpoint was probed, so nothing shows that diagnostic data gets through".to_owned()
        }
        Code::SystemClean => "Every endpoint answered in the system context with no proxy \
                              authentication and no SSL inspection: the diagnostic-data service \
                              can send data as it is (the recommended bypass approach)"
            .to_owned(),
        Code::SystemNotProbed => format!(
            "Not probed in the system context, the one Windows' diagnostic-data service uses: \
             {hosts}"
        ),
        Code::SystemMixedRoutes => format!(
            "{hosts} answers through one system-context route but not through another ({}): \
             Windows does not document which one the diagnostic-data service tries first",
            finding
                .hops
                .iter()
                .map(|h| format!("{} via {}", h.status, h.source))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Code::SystemProxyAuthIntegrated => format!(
            "{} asks the system context to authenticate (407, offering Windows Integrated \
             Authentication) for: {hosts}",
            capitalized(&proxies(&finding.hops))
        ),
        Code::SystemProxyAuthOther => other_auth(finding, &hosts),
        Code::SystemTlsIntercepted => format!(
            "SSL inspection re-signs the certificates of {hosts}: Windows checks for Microsoft's \
             own certificate on these hosts (certificate pinning) and drops the connection, so \
             nothing fits until they are excluded from inspection"
        ),
        Code::SystemTlsInterceptedPublic => format!(
            "SSL inspection seen on {hosts} (storage hosts judged against public roots: lower \
             confidence); exclude them from inspection too"
        ),
        Code::SystemBlocked => {
            let contexts = if finding.contexts.len() > 1 {
                "in both contexts"
            } else {
                "in the system context"
            };
            let (hop, detail) = finding
                .hops
                .first()
                .map(|h| (hop(h), h.detail.as_str()))
                .unwrap_or_default();
            format!("{hosts} is blocked {contexts} at {hop}: {detail}")
        }
        _ => return None,
    };
    Some(text)
}

/// The sentence for authentication Windows does not send: the schemes the proxies offered
/// that include no Windows Integrated Authentication.
fn other_auth(finding: &Finding, hosts: &str) -> String {
    let schemes: BTreeSet<&str> = finding
        .hops
        .iter()
        .filter(|h| !offers_integrated(&h.schemes))
        .flat_map(|h| h.schemes.iter().map(String::as_str))
        .collect();
    let offered = if schemes.is_empty() {
        "no scheme Windows can use".to_owned()
    } else {
        format!(
            "only {}",
            schemes.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    format!(
        "{} asks for authentication offering {offered} for: {hosts}. Windows' \
         diagnostic-data service does not send Basic (or Digest) credentials, in either \
         context, so no approach works until the proxy stops asking for authentication \
         for these hosts",
        capitalized(&proxies(&finding.hops))
    )
}

/// The sentences of the approach the user context leaves.
fn approach(finding: &Finding) -> Option<String> {
    let text = match finding.code {
        Code::DeviceApproachFits => "Device proxy authentication fits: the system context \
                                     reaches a proxy that offers Windows Integrated \
                                     Authentication, so it can let the computer accounts (Active \
                                     Directory machine accounts) through. This works on headless \
                                     devices and with Defender for Endpoint. Not ready until the \
                                     proxy allows them (dapreflight cannot authenticate as the \
                                     computer account to check)"
            .to_owned(),
        Code::UserApproachFits => "Only the signed-in user's context gets through: the user \
                                   approach (Windows sends diagnostic data through the user's \
                                   proxy with the user's credentials). It needs a signed-in user \
                                   with proxy permission, a current quality update, and \
                                   DisableEnterpriseAuthProxy = 0; it does not work on headless \
                                   devices"
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
                        "no user is signed in: a headless device cannot use the user approach \
                         (events wait in a buffer until someone signs in)",
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
        Code::UserAlsoDeviceApproach => "The system context's proxy offers Windows Integrated \
                                         Authentication, so the device approach (allow computer \
                                         accounts) would also work without a signed-in user"
            .to_owned(),
        Code::UserBlocked => {
            // Hops follow the hosts in order; a host without one was not probed.
            let mut hops = finding.hops.iter().peekable();
            let stuck: Vec<String> = finding
                .hosts
                .iter()
                .map(|host| match hops.next_if(|h| &h.host == host) {
                    Some(hop) => format!("{host} ({})", hop.status),
                    None => format!("{host} (not probed)"),
                })
                .collect();
            format!(
                "The signed-in user's context does not get through either: {}",
                stuck.join(", ")
            )
        }
        Code::UserAuthProxyDisabled => "DisableEnterpriseAuthProxy is set to 1 (as Defender for \
                                        Endpoint and CIS L2 require): the service never uses the \
                                        user's proxy. Setting it to 0 departs from the CIS L2 \
                                        baseline if you follow it"
            .to_owned(),
        Code::UserAuthProxyUnsetWindows7 => "DisableEnterpriseAuthProxy is not set, and on \
                                             Windows 7 that means the authenticated proxy is \
                                             disabled"
            .to_owned(),
        Code::UserAuthProxyNotKnown => "DisableEnterpriseAuthProxy is not known: the user \
                                        approach needs it to be 0 (or absent)"
            .to_owned(),
        Code::UserSignedInNotKnown => "Whether a user is signed in is not known (only a live run \
                                       on the device can tell): the user approach sends data \
                                       only while one is"
            .to_owned(),
        Code::UserDefenderNotKnown => "Whether Microsoft Defender for Endpoint is on the device \
                                       is not known: it needs DisableEnterpriseAuthProxy = 1, \
                                       which rules out the user approach"
            .to_owned(),
        _ => return None,
    };
    Some(text)
}

/// The sentences of the device settings.
fn settings(finding: &Finding) -> Option<String> {
    let text = match finding.code {
        Code::SettingsNotRead => "No device settings were read (not a live Windows run, and no \
                                  registry export given): the diagnostic-data level, the \
                                  DiagTrack service, DisableEnterpriseAuthProxy, Defender for \
                                  Endpoint, the signed-in user and the Windows version are not \
                                  known, so every endpoint was counted"
            .to_owned(),
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
            let needs = if finding.code == Code::SettingsTelemetryProxyNeedsAuthProxyDisabled {
                ", and it needs DisableEnterpriseAuthProxy = 1, which is not set"
            } else {
                ""
            };
            format!(
                "TelemetryProxyServer sends diagnostic data to {proxy} (falling back to the \
                 default proxy if it fails); some Windows components ignore it{needs}"
            )
        }
        Code::SettingsProxyPerMachine => format!(
            "A per-machine proxy policy is set (ProxySettingsPerUser = 0 in \
             {INTERNET_POLICY_KEY}): the system context uses the machine-wide (HKLM) WinINET \
             proxy settings. Per-machine needs 0; the Desktop Analytics doc's \"= 1\" is a known \
             documentation error"
        ),
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

/// Where a blocked probe stopped, for a person: "DNS (...)", "connect (to proxy a:8080)", ...
fn hop(hop: &Hop) -> String {
    let proxy = match &hop.route {
        Route::Proxy { proxy } => format!("proxy {proxy}"),
        Route::Direct | Route::Unprobeable { .. } => "the network".to_owned(),
    };
    match hop.status {
        Status::DnsFailed => "DNS (the name does not resolve)".to_owned(),
        Status::ConnectFailed => match &hop.route {
            Route::Proxy { proxy } => format!("connect (to proxy {proxy})"),
            Route::Direct | Route::Unprobeable { .. } => "connect (direct)".to_owned(),
        },
        Status::Timeout => match hop.stage {
            Some(stage) => format!("a timeout at the {stage} stage"),
            None => "a timeout".to_owned(),
        },
        Status::ProxyDenied => format!("a denial by {proxy}"),
        Status::ProxyError => format!("an error of {proxy}"),
        Status::TlsUntrusted => "TLS (an untrusted certificate chain)".to_owned(),
        Status::TlsFailed => "TLS (the handshake failed)".to_owned(),
        _ => "the HTTP answer".to_owned(),
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

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{Context, ProxyAddr};
    use crate::verdict::finding::Evidence;

    fn finding(code: Code) -> Finding {
        Finding {
            code,
            contexts: vec![Context::System],
            hops: Vec::new(),
            hosts: vec!["a.example".to_owned()],
            evidence: Evidence::default(),
        }
    }

    fn hop(route: Route, status: Status, stage: Option<crate::status::Stage>) -> Hop {
        Hop {
            host: "a.example".to_owned(),
            route,
            source: "system settings".to_owned(),
            status,
            stage,
            detail: String::new(),
            schemes: Vec::new(),
            inspector: None,
        }
    }

    fn via(proxy: &str) -> Route {
        Route::Proxy {
            proxy: ProxyAddr::parse(proxy).expect("valid proxy"),
        }
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
    fn a_blocked_hop_is_named_for_a_person() {
        use crate::status::Stage;
        let cases = [
            (
                Route::Direct,
                Status::DnsFailed,
                None,
                "DNS (the name does not resolve)",
            ),
            (
                Route::Direct,
                Status::ConnectFailed,
                None,
                "connect (direct)",
            ),
            (
                via("p.example:3128"),
                Status::ConnectFailed,
                None,
                "connect (to proxy p.example:3128)",
            ),
            (
                Route::Direct,
                Status::Timeout,
                Some(Stage::Tls),
                "a timeout at the tls stage",
            ),
            (Route::Direct, Status::Timeout, None, "a timeout"),
            (
                via("p.example:3128"),
                Status::ProxyDenied,
                None,
                "a denial by proxy p.example:3128",
            ),
            (
                Route::Direct,
                Status::ProxyError,
                None,
                "an error of the network",
            ),
            (
                Route::Direct,
                Status::TlsUntrusted,
                None,
                "TLS (an untrusted certificate chain)",
            ),
            (
                Route::Direct,
                Status::TlsFailed,
                None,
                "TLS (the handshake failed)",
            ),
            (
                Route::Direct,
                Status::HttpUnexpected,
                None,
                "the HTTP answer",
            ),
        ];
        for (route, status, stage, expected) in cases {
            assert_eq!(super::hop(&hop(route, status, stage)), expected, "{status}");
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
                .map(|r| hop(r, Status::ProxyAuthRequired, None))
                .collect();
            assert_eq!(proxies(&hops), expected);
        }
    }

    #[test]
    fn the_user_context_names_each_stuck_host_with_its_status_or_not_probed() {
        let mut stuck = finding(Code::UserBlocked);
        stuck.hosts = vec!["a.example".to_owned(), "b.example".to_owned()];
        stuck.hops = vec![hop(Route::Direct, Status::DnsFailed, None)];
        assert_eq!(
            sentence(&stuck),
            "The signed-in user's context does not get through either: a.example (dns_failed), \
             b.example (not probed)"
        );
    }

    #[test]
    fn fixes_carry_their_commands_and_hosts() {
        let hosts = vec!["a.example".to_owned()];
        let cases = [
            (FixKind::ResolveNames, vec!["nslookup a.example".to_owned()]),
            (FixKind::AllowThrough, Vec::new()),
            (
                FixKind::ShareUserProxy {
                    proxy: "p.example:8080".to_owned(),
                },
                vec![
                    r#"netsh winhttp set proxy proxy-server="p.example:8080" bypass-list="<local>""#
                        .to_owned(),
                ],
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
            let rendered = fix(&Remedy {
                kind: kind.clone(),
                hosts: hosts.clone(),
            });
            assert_eq!(rendered.commands, commands, "{kind:?}");
            assert_eq!(rendered.hosts, hosts, "{kind:?}");
        }
        let by = |by| {
            fix(&Remedy {
                kind: FixKind::ExcludeFromInspection { by },
                hosts: Vec::new(),
            })
            .title
        };
        assert_eq!(
            by(Some(Inspector::Product("Zscaler".to_owned()))),
            "Exclude these hosts from SSL inspection on Zscaler"
        );
        assert_eq!(
            by(Some(Inspector::Issuer("Corp CA".to_owned()))),
            "Exclude these hosts from SSL inspection (the inspection CA is 'Corp CA')"
        );
        assert_eq!(by(None), "Exclude these hosts from SSL inspection");
    }
}
