//! The verdict: which proxy approach fits this device (bypass, device or user proxy
//! authentication, or none yet), whether it is ready, why, and the exact fixes.
//!
//! Pure: it reads probe results and device settings, and never probes or reads anything itself.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::assess::ProbeResult;
use crate::catalog::TrustRule;
use crate::probe::ProbeFailure;
use crate::route::{Context, Route};
use crate::settings::{AUTH_PROXY_POLICY, DeviceSettings, OsFamily, Relevance};
use crate::status::Answer;
use crate::status::Status;
use crate::trust::Interception;
use crate::windows::keys::{INTERNET_POLICY_KEY, POLICY_KEY};

/// Which approach fits, whether the device is ready, why, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub approach: Approach,
    /// Diagnostic data can reach Microsoft now, as far as the probes and settings tell.
    pub ready: bool,
    pub reasons: Vec<Reason>,
    pub fixes: Vec<Fix>,
}

/// The proxy approaches of Microsoft's "Proxy server authentication" guidance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approach {
    /// No proxy authentication and no inspection for the endpoints (recommended).
    Bypass,
    /// Device proxy authentication: the proxy lets computer accounts through.
    Device,
    /// User proxy authentication: the signed-in user's proxy and credentials.
    User,
    /// Nothing fits until something on the network changes.
    None,
}

/// One reason for the verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub text: String,
    /// The results and settings that led here.
    pub refs: Vec<Ref>,
    /// The Configuration Manager Connection Health property (and code), or the Upgrade
    /// Readiness / Update Compliance script error code, this matches.
    pub health: Option<String>,
}

/// What a reason points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ref {
    /// A probe result: the endpoint's URL and the context.
    Result { endpoint: String, context: Context },
    /// A device setting, by name.
    Setting { name: String },
}

/// One thing to do, with the commands to paste and the hosts it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub commands: Vec<String>,
    pub hosts: Vec<String>,
}

/// Decides the approach from the probe results and, when they could be read, the settings.
///
/// Contexts other than `user` (`system`, and `explicit` or `environment` runs) count as the
/// system context, which the diagnostic-data service uses by default.
#[must_use]
pub fn decide(results: &[ProbeResult], settings: Option<&DeviceSettings>) -> Verdict {
    let mut verdict = Verdict {
        approach: Approach::None,
        ready: false,
        reasons: Vec::new(),
        fixes: Vec::new(),
    };
    note_contexts(results, &mut verdict);
    let endpoints = group(results, settings, &mut verdict);
    let network_ready = decide_network(&endpoints, settings, &mut verdict);
    let settings_ready = if let Some(settings) = settings {
        judge_settings(settings, verdict.approach, &mut verdict)
    } else {
        verdict.reasons.push(Reason {
            text: "No device settings were read (not a live Windows run, and no registry \
                       export given): the diagnostic-data level, the DiagTrack service, \
                       DisableEnterpriseAuthProxy, Defender for Endpoint, the signed-in user and \
                       the Windows version are not known, so every endpoint was counted"
                .to_owned(),
            refs: Vec::new(),
            health: None,
        });
        true
    };
    verdict.ready = network_ready && settings_ready;
    verdict
}

/// Everything probed for one endpoint, split by context.
struct EndpointView<'a> {
    url: &'a str,
    host: String,
    system: Vec<&'a ProbeResult>,
    user: Vec<&'a ProbeResult>,
}

/// What stops one result, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Finding {
    Clean,
    /// 407 offering Windows Integrated Authentication (Negotiate, NTLM, Kerberos).
    IntegratedAuth,
    /// 407 offering only schemes the diagnostic-data service does not use (Basic, Digest).
    OtherAuth {
        schemes: Vec<String>,
    },
    /// SSL inspection; `pinned` when the endpoint's chain must end in Microsoft's root.
    Intercepted {
        pinned: bool,
    },
    /// Blocked at a hop; `hop` names it for a person.
    Blocked {
        hop: String,
    },
    NotProbed,
}

fn note_contexts(results: &[ProbeResult], verdict: &mut Verdict) {
    let assumed: BTreeSet<Context> = results
        .iter()
        .map(|r| r.context)
        .filter(|c| !matches!(c, Context::User | Context::System))
        .collect();
    for context in assumed {
        verdict.reasons.push(Reason {
            text: format!(
                "The '{context}' context was taken as the system context, the one Windows' \
                 diagnostic-data service (DiagTrack, running as LocalSystem) uses: check that \
                 the device's own WinHTTP proxy settings route the same way"
            ),
            refs: Vec::new(),
            health: None,
        });
    }
}

/// Groups results by endpoint (catalog order), leaving out endpoints this Windows does not use
/// and noting the ones that cannot be probed.
fn group<'a>(
    results: &'a [ProbeResult],
    settings: Option<&DeviceSettings>,
    verdict: &mut Verdict,
) -> Vec<EndpointView<'a>> {
    let mut views: Vec<EndpointView<'a>> = Vec::new();
    for result in results {
        let index = if let Some(index) = views.iter().position(|v| v.url == result.endpoint) {
            index
        } else {
            views.push(EndpointView {
                url: &result.endpoint,
                host: result.host.clone(),
                system: Vec::new(),
                user: Vec::new(),
            });
            views.len() - 1
        };
        let view = &mut views[index];
        if result.context == Context::User {
            view.user.push(result);
        } else {
            view.system.push(result);
        }
    }
    let mut unused = Vec::new();
    let mut patterns = Vec::new();
    views.retain(|view| {
        if let Some(settings) = settings
            && settings.os.uses(&view.host) == Relevance::NotUsed
        {
            unused.push(view.host.clone());
            return false;
        }
        let all = view.system.iter().chain(&view.user);
        if all.clone().all(|r| r.status == Status::NotProbed) {
            patterns.push((view.host.clone(), all.copied().collect::<Vec<_>>()));
            return false;
        }
        true
    });
    if !unused.is_empty()
        && let Some(settings) = settings
    {
        verdict.reasons.push(Reason {
            text: format!(
                "Not counted, because {} does not use them: {}",
                settings
                    .os
                    .product_name
                    .as_deref()
                    .unwrap_or("this Windows version"),
                unused.join(", ")
            ),
            refs: vec![setting_ref("Windows version")],
            health: None,
        });
    }
    for (host, results) in patterns {
        let detail = results
            .first()
            .map(|r| r.detail.as_str())
            .unwrap_or_default();
        verdict.reasons.push(Reason {
            text: format!(
                "{host} cannot be probed ({detail}): allow the pattern {host} on the proxy and \
                 firewall"
            ),
            refs: results.iter().map(|r| result_ref(r)).collect(),
            health: None,
        });
    }
    views
}

/// Picks the approach from the network evidence; returns whether the network is ready.
fn decide_network(
    endpoints: &[EndpointView<'_>],
    settings: Option<&DeviceSettings>,
    verdict: &mut Verdict,
) -> bool {
    if endpoints.is_empty() {
        verdict.approach = Approach::None;
        verdict.reasons.push(Reason {
            text: "No endpoint was probed, so nothing shows that diagnostic data gets through"
                .to_owned(),
            refs: Vec::new(),
            health: None,
        });
        return false;
    }
    let blockers: Vec<(&EndpointView<'_>, &ProbeResult, Finding)> = endpoints
        .iter()
        .filter_map(|view| match best(&view.system) {
            Some((_, Finding::Clean)) | None => None,
            Some((result, finding)) => Some((view, result, finding)),
        })
        .collect();
    let unprobed: Vec<&EndpointView<'_>> = endpoints
        .iter()
        .filter(|view| best(&view.system).is_none())
        .collect();
    let user_present = endpoints.iter().any(|view| !view.user.is_empty());
    let user_clean = user_present
        && endpoints
            .iter()
            .all(|view| matches!(best(&view.user), Some((_, Finding::Clean))));
    note_mixed_routes(endpoints, verdict);

    if blockers.is_empty() && unprobed.is_empty() {
        verdict.approach = Approach::Bypass;
        verdict.reasons.insert(
            0,
            Reason {
                text: "Every endpoint answered in the system context with no proxy authentication \
                   and no SSL inspection: the diagnostic-data service can send data as it is \
                   (the recommended bypass approach)"
                    .to_owned(),
                refs: Vec::new(),
                health: None,
            },
        );
        return true;
    }
    if !unprobed.is_empty() {
        verdict.reasons.push(Reason {
            text: format!(
                "Not probed in the system context, the one Windows' diagnostic-data service \
                 uses: {}",
                unprobed
                    .iter()
                    .map(|v| v.host.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            refs: Vec::new(),
            health: None,
        });
    }
    let all_integrated = !blockers.is_empty()
        && unprobed.is_empty()
        && blockers
            .iter()
            .all(|(_, _, finding)| *finding == Finding::IntegratedAuth);
    explain_blockers(&blockers, endpoints, user_present, verdict);

    if user_clean {
        return decide_user(all_integrated, &blockers, settings, verdict);
    }
    if all_integrated {
        verdict.approach = Approach::Device;
        verdict.reasons.insert(0, device_reason(&blockers));
        return false;
    }
    verdict.approach = Approach::None;
    if user_present {
        let stuck: Vec<String> = endpoints
            .iter()
            .filter_map(|view| match best(&view.user) {
                Some((_, Finding::Clean)) => None,
                Some((result, _)) => Some(format!("{} ({})", view.host, result.status)),
                None => Some(format!("{} (not probed)", view.host)),
            })
            .collect();
        verdict.reasons.push(Reason {
            text: format!(
                "The signed-in user's context does not get through either: {}",
                stuck.join(", ")
            ),
            refs: Vec::new(),
            health: None,
        });
    }
    false
}

/// Only the user context gets through: the user approach, unless the device rules it out.
#[expect(
    clippy::too_many_lines,
    reason = "a flat list of rules, read top to bottom"
)]
fn decide_user(
    all_integrated: bool,
    blockers: &[(&EndpointView<'_>, &ProbeResult, Finding)],
    settings: Option<&DeviceSettings>,
    verdict: &mut Verdict,
) -> bool {
    let defender = settings.map_or(Answer::NotKnown, DeviceSettings::defender_present);
    let user = settings.map_or(Answer::NotKnown, DeviceSettings::console_user);
    let disabled = settings.map_or(Answer::NotKnown, DeviceSettings::auth_proxy_disabled);
    let mut ruled_out = Vec::new();
    if defender == Answer::Yes {
        ruled_out.push(
            "Microsoft Defender for Endpoint is on this device and needs \
             DisableEnterpriseAuthProxy = 1, while the user approach needs 0",
        );
    }
    if user == Answer::No {
        ruled_out.push(
            "no user is signed in: a headless device cannot use the user approach (events wait \
             in a buffer until someone signs in)",
        );
    }
    let refs = vec![
        setting_ref("DisableEnterpriseAuthProxy"),
        setting_ref("OnboardingState"),
        setting_ref("signed-in user"),
    ];
    if !ruled_out.is_empty() {
        verdict.reasons.insert(0, Reason {
            text: format!(
                "Only the signed-in user's context gets through, but the user approach does not \
                 fit: {}",
                ruled_out.join("; ")
            ),
            refs,
            health: None,
        });
        if all_integrated {
            verdict.approach = Approach::Device;
            verdict.reasons.insert(0, device_reason(blockers));
        } else {
            verdict.approach = Approach::None;
        }
        return false;
    }
    verdict.approach = Approach::User;
    verdict.reasons.insert(
        0,
        Reason {
            text:
                "Only the signed-in user's context gets through: the user approach (Windows sends \
               diagnostic data through the user's proxy with the user's credentials). It needs a \
               signed-in user with proxy permission, a current quality update, and \
               DisableEnterpriseAuthProxy = 0; it does not work on headless devices"
                    .to_owned(),
            refs: refs.clone(),
            health: None,
        },
    );
    if all_integrated {
        verdict.reasons.push(Reason {
            text: "The system context's proxy offers Windows Integrated Authentication, so the \
                   device approach (allow computer accounts) would also work without a \
                   signed-in user"
                .to_owned(),
            refs: Vec::new(),
            health: None,
        });
    }
    let mut ready = true;
    match disabled {
        Answer::Yes => {
            ready = false;
            let cis = settings.is_some_and(DeviceSettings::auth_proxy_disabled_by_policy);
            let why = if cis {
                "DisableEnterpriseAuthProxy is set to 1 (as Defender for Endpoint and CIS L2 \
                 require): the service never uses the user's proxy. Setting it to 0 departs \
                 from the CIS L2 baseline if you follow it"
            } else {
                "DisableEnterpriseAuthProxy is not set, and on Windows 7 that means the \
                 authenticated proxy is disabled"
            };
            verdict.reasons.push(Reason {
                text: why.to_owned(),
                refs: vec![setting_ref("DisableEnterpriseAuthProxy")],
                health: Some(
                    "Check user proxy (code 30): Authentication proxy is enabled. Set \
                     DisableEnterpriseAuthProxy to 0"
                        .to_owned(),
                ),
            });
            verdict.fixes.push(Fix {
                title: format!(
                    "Let the diagnostic-data service use the signed-in user's proxy: set the \
                     policy \"{AUTH_PROXY_POLICY}\" to \"Enable Authenticated Proxy usage\", or"
                ),
                commands: vec![format!(
                    r#"reg add "{POLICY_KEY}" /v DisableEnterpriseAuthProxy /t REG_DWORD /d 0 /f"#
                )],
                hosts: Vec::new(),
            });
        }
        Answer::NotKnown => {
            ready = false;
            verdict.reasons.push(Reason {
                text: "DisableEnterpriseAuthProxy is not known: the user approach needs it to \
                       be 0 (or absent)"
                    .to_owned(),
                refs: vec![setting_ref("DisableEnterpriseAuthProxy")],
                health: None,
            });
        }
        Answer::No => {}
    }
    if user == Answer::NotKnown {
        ready = false;
        verdict.reasons.push(Reason {
            text: "Whether a user is signed in is not known (only a live run on the device can \
                   tell): the user approach sends data only while one is"
                .to_owned(),
            refs: vec![setting_ref("signed-in user")],
            health: None,
        });
    }
    if defender == Answer::NotKnown {
        verdict.reasons.push(Reason {
            text: "Whether Microsoft Defender for Endpoint is on the device is not known: it \
                   needs DisableEnterpriseAuthProxy = 1, which rules out the user approach"
                .to_owned(),
            refs: vec![setting_ref("OnboardingState")],
            health: None,
        });
    }
    ready
}

fn device_reason(blockers: &[(&EndpointView<'_>, &ProbeResult, Finding)]) -> Reason {
    Reason {
        text: "Device proxy authentication fits: the system context reaches a proxy that \
               offers Windows Integrated Authentication, so it can let the computer accounts \
               (Active Directory machine accounts) through. This works on headless devices and \
               with Defender for Endpoint. Not ready until the proxy allows them (dapreflight \
               cannot authenticate as the computer account to check)"
            .to_owned(),
        refs: blockers.iter().map(|(_, r, _)| result_ref(r)).collect(),
        health: Some("Connectivity status: status code 407 (Proxy authentication required)".into()),
    }
}

/// Explains each kind of system-context blocker once, with its hosts and fixes.
#[expect(
    clippy::too_many_lines,
    reason = "a flat list of rules, read top to bottom"
)]
fn explain_blockers(
    blockers: &[(&EndpointView<'_>, &ProbeResult, Finding)],
    endpoints: &[EndpointView<'_>],
    user_present: bool,
    verdict: &mut Verdict,
) {
    let of = |wanted: fn(&Finding) -> bool| -> Vec<&(&EndpointView<'_>, &ProbeResult, Finding)> {
        blockers.iter().filter(|(_, _, f)| wanted(f)).collect()
    };
    let hosts = |list: &[&(&EndpointView<'_>, &ProbeResult, Finding)]| -> Vec<String> {
        let mut hosts: Vec<String> = list.iter().map(|(v, _, _)| v.host.clone()).collect();
        hosts.dedup();
        hosts
    };
    let refs = |list: &[&(&EndpointView<'_>, &ProbeResult, Finding)]| -> Vec<Ref> {
        list.iter().map(|(_, r, _)| result_ref(r)).collect()
    };

    let integrated = of(|f| *f == Finding::IntegratedAuth);
    let basic = of(|f| matches!(f, Finding::OtherAuth { .. }));
    if !integrated.is_empty() || !basic.is_empty() {
        let all: Vec<_> = integrated.iter().chain(&basic).copied().collect();
        let proxy = proxies(&all);
        if !integrated.is_empty() {
            verdict.reasons.push(Reason {
                text: format!(
                    "{} asks the system context to authenticate (407, offering Windows \
                     Integrated Authentication) for: {}",
                    capitalized(&proxy),
                    hosts(&integrated).join(", ")
                ),
                refs: refs(&integrated),
                health: Some(
                    "Connectivity status: status code 407 (Proxy authentication required)".into(),
                ),
            });
        }
        if !basic.is_empty() {
            let schemes: BTreeSet<String> = basic
                .iter()
                .filter_map(|(_, _, f)| match f {
                    Finding::OtherAuth { schemes } => Some(schemes.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            let offered = if schemes.is_empty() {
                "no scheme Windows can use".to_owned()
            } else {
                format!(
                    "only {}",
                    schemes.into_iter().collect::<Vec<_>>().join(", ")
                )
            };
            verdict.reasons.push(Reason {
                text: format!(
                    "{} asks for authentication offering {offered} for: {}. Windows' \
                     diagnostic-data service does not send Basic (or Digest) credentials, in \
                     either context, so no approach works until the proxy stops asking for \
                     authentication for these hosts",
                    capitalized(&proxy),
                    hosts(&basic).join(", ")
                ),
                refs: refs(&basic),
                health: Some(
                    "Connectivity status: status code 407 (Proxy authentication required)".into(),
                ),
            });
        }
        verdict.fixes.push(Fix {
            title: format!(
                "Recommended (bypass): on {proxy}, do not require authentication for these hosts"
            ),
            commands: Vec::new(),
            hosts: hosts(&all),
        });
        if !integrated.is_empty() {
            verdict.fixes.push(Fix {
                title: format!(
                    "Or (device approach): on {proxy}, allow the computer accounts \
                     (DOMAIN\\COMPUTER$, e.g. the \"Domain Computers\" group) to these hosts \
                     with Windows Integrated Authentication (Negotiate/NTLM)"
                ),
                commands: Vec::new(),
                hosts: hosts(&integrated),
            });
        }
    }

    let intercepted = of(|f| matches!(f, Finding::Intercepted { .. }));
    if !intercepted.is_empty() {
        let pinned: Vec<_> = intercepted
            .iter()
            .filter(|(_, _, f)| *f == Finding::Intercepted { pinned: true })
            .copied()
            .collect();
        let public: Vec<_> = intercepted
            .iter()
            .filter(|(_, _, f)| *f == Finding::Intercepted { pinned: false })
            .copied()
            .collect();
        if !pinned.is_empty() {
            verdict.reasons.push(Reason {
                text: format!(
                    "SSL inspection re-signs the certificates of {}: Windows checks for \
                     Microsoft's own certificate on these hosts (certificate pinning) and drops \
                     the connection, so nothing fits until they are excluded from inspection",
                    hosts(&pinned).join(", ")
                ),
                refs: refs(&pinned),
                health: Some(
                    "Windows diagnostic endpoint connectivity (code 12): Can't connect to the \
                     connected user experience and telemetry endpoint (Vortex)"
                        .into(),
                ),
            });
        }
        if !public.is_empty() {
            verdict.reasons.push(Reason {
                text: format!(
                    "SSL inspection seen on {} (storage hosts judged against public roots: \
                     lower confidence); exclude them from inspection too",
                    hosts(&public).join(", ")
                ),
                refs: refs(&public),
                health: Some("Endpoint connectivity checks".into()),
            });
        }
        let by = intercepted
            .iter()
            .find_map(|(_, r, _)| match &r.tls.as_ref()?.trust.verdict {
                Interception::Detected {
                    product: Some(product),
                    ..
                } => Some(format!(" on {product}")),
                Interception::Detected { issuer, .. } => {
                    Some(format!(" (the inspection CA is '{issuer}')"))
                }
                _ => None,
            })
            .unwrap_or_default();
        verdict.fixes.push(Fix {
            title: format!("Exclude these hosts from SSL inspection{by}"),
            commands: Vec::new(),
            hosts: hosts(&intercepted),
        });
    }

    let blocked = of(|f| matches!(f, Finding::Blocked { .. }));
    for (view, result, finding) in &blocked {
        let Finding::Blocked { hop } = finding else {
            continue;
        };
        let both = user_present
            && !view.user.is_empty()
            && !matches!(best(&view.user), Some((_, Finding::Clean)));
        let contexts = if both {
            "in both contexts"
        } else {
            "in the system context"
        };
        let mut refs = vec![result_ref(result)];
        if both && let Some((user_result, _)) = best(&view.user) {
            refs.push(result_ref(user_result));
        }
        verdict.reasons.push(Reason {
            text: format!(
                "{} is blocked {contexts} at {hop}: {}",
                view.host, result.detail
            ),
            refs,
            health: Some(health_for(result, &view.host)),
        });
    }
    if !blocked.is_empty() {
        let dns: Vec<_> = blocked
            .iter()
            .filter(|(_, r, _)| r.status == Status::DnsFailed)
            .copied()
            .collect();
        let other: Vec<_> = blocked
            .iter()
            .filter(|(_, r, _)| r.status != Status::DnsFailed)
            .copied()
            .collect();
        if !dns.is_empty() {
            verdict.fixes.push(Fix {
                title: "Make these names resolve in the device's DNS (or let the proxy resolve \
                        them by routing the system context through it)"
                    .to_owned(),
                commands: hosts(&dns)
                    .iter()
                    .map(|host| format!("nslookup {host}"))
                    .collect(),
                hosts: hosts(&dns),
            });
        }
        if !other.is_empty() {
            verdict.fixes.push(Fix {
                title: "Let the system context reach these hosts: allow them through the \
                        firewall and the proxy"
                    .to_owned(),
                commands: Vec::new(),
                hosts: hosts(&other),
            });
        }
        // The system context goes direct and fails, while the user's proxy works: point WinHTTP
        // (which LocalSystem uses) at that proxy.
        let direct = blocked
            .iter()
            .any(|(_, r, _)| matches!(r.route.route, Route::Direct));
        if direct && let Some(proxy) = working_user_proxy(endpoints) {
            verdict.fixes.push(Fix {
                title: "The system context has no proxy, but the user's proxy gets through: \
                        give WinHTTP (which the diagnostic-data service uses) the same proxy, or \
                        set the policy \"Make proxy settings per-machine (rather than per-user)\" \
                        (ProxySettingsPerUser = 0; the Desktop Analytics doc's \"= 1\" is a known \
                        documentation error)"
                    .to_owned(),
                commands: vec![format!(
                    r#"netsh winhttp set proxy proxy-server="{proxy}" bypass-list="<local>""#
                )],
                hosts: Vec::new(),
            });
        }
    }
}

fn note_mixed_routes(endpoints: &[EndpointView<'_>], verdict: &mut Verdict) {
    for view in endpoints {
        let clean = view
            .system
            .iter()
            .filter(|r| classify(r) == Finding::Clean)
            .count();
        if clean > 0 && clean < view.system.len() {
            let failing: Vec<&&ProbeResult> = view
                .system
                .iter()
                .filter(|r| classify(r) != Finding::Clean)
                .collect();
            verdict.reasons.push(Reason {
                text: format!(
                    "{} answers through one system-context route but not through another ({}): \
                     Windows does not document which one the diagnostic-data service tries \
                     first",
                    view.host,
                    failing
                        .iter()
                        .map(|r| format!("{} via {}", r.status, r.route.source))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                refs: failing.iter().map(|r| result_ref(r)).collect(),
                health: None,
            });
        }
    }
}

/// Judges the settings; returns whether they let diagnostic data flow.
#[expect(
    clippy::too_many_lines,
    reason = "a flat list of rules, read top to bottom"
)]
fn judge_settings(settings: &DeviceSettings, approach: Approach, verdict: &mut Verdict) -> bool {
    let mut ready = true;
    let level = &settings.diagnostic_level;
    if level.value == Some(0) {
        let product = settings.os.product_name.as_deref().unwrap_or_default();
        let lenient = ["Pro", "Home"]
            .iter()
            .any(|edition| product.contains(edition))
            && !["Enterprise", "Education", "Server"]
                .iter()
                .any(|edition| product.contains(edition));
        if lenient {
            verdict.reasons.push(Reason {
                text: format!(
                    "AllowTelemetry is 0 (Diagnostic data off), but {product} treats 0 as \
                     Required; set 1 or higher to make the intent clear"
                ),
                refs: vec![setting_ref("AllowTelemetry")],
                health: Some("Windows diagnostic data opt-in".into()),
            });
        } else {
            ready = false;
            verdict.reasons.push(Reason {
                text: format!(
                    "AllowTelemetry is 0 (Diagnostic data off, formerly Security), set by the {} \
                     key: Windows sends no diagnostic data, whatever the network allows",
                    level.set_by
                ),
                refs: vec![setting_ref("AllowTelemetry")],
                health: Some("Windows diagnostic data opt-in".into()),
            });
            verdict.fixes.push(Fix {
                title: "Set the diagnostic data level to at least Required (1), or Enhanced (2) \
                        with LimitEnhancedDiagnosticDataWindowsAnalytics = 1 for Optional \
                        (limited): in the group policy \"Allow Telemetry\" (\"Allow Diagnostic \
                        Data\") or the Configuration Manager connection, or"
                    .to_owned(),
                commands: vec![format!(
                    r#"reg add "{POLICY_KEY}" /v AllowTelemetry /t REG_DWORD /d 1 /f"#
                )],
                hosts: Vec::new(),
            });
        }
    }
    if settings.diagtrack_off() == Answer::Yes {
        ready = false;
        verdict.reasons.push(Reason {
            text: "The Connected User Experiences and Telemetry service (DiagTrack) is disabled \
                   or stopped: nothing sends diagnostic data, whatever the network allows"
                .to_owned(),
            refs: vec![
                setting_ref("DiagTrack start"),
                setting_ref("DiagTrack running"),
            ],
            health: Some(
                "DiagTrack service configuration (code 50): Enable and start the Connected User \
                 Experiences and Telemetry service"
                    .into(),
            ),
        });
        verdict.fixes.push(Fix {
            title: "Enable and start the Connected User Experiences and Telemetry service \
                    (DiagTrack)"
                .to_owned(),
            commands: vec![
                "sc.exe config DiagTrack start= auto".to_owned(),
                "sc.exe start DiagTrack".to_owned(),
            ],
            hosts: Vec::new(),
        });
    }
    if settings.commercial_id_conflict() {
        ready = false;
        verdict.reasons.push(Reason {
            text: "The Commercial ID set by group policy differs from the one Configuration \
                   Manager wrote; the group-policy one wins, so the device enrolls in another \
                   workspace"
                .to_owned(),
            refs: vec![setting_ref("CommercialId")],
            health: Some(
                "Commercial ID configuration (code 53): Provide the correct CommercialId value"
                    .into(),
            ),
        });
        verdict.fixes.push(Fix {
            title: "Correct the group policy \"Configure the Commercial ID\" (or set it to Not \
                    configured), or remove the value it left behind"
                .to_owned(),
            commands: vec![format!(r#"reg delete "{POLICY_KEY}" /v CommercialId /f"#)],
            hosts: Vec::new(),
        });
    } else if settings.commercial_id_policy.value.is_none()
        && settings.commercial_id_local.value.is_none()
    {
        verdict.reasons.push(Reason {
            text: "No Commercial ID yet: normal before Configuration Manager targets the device \
                   (it writes the ID for devices in the Desktop Analytics target collection)"
                .to_owned(),
            refs: vec![setting_ref("CommercialId")],
            health: Some("Commercial ID configuration".into()),
        });
    }
    if settings.allow_device_name.value != Some(1) {
        verdict.reasons.push(Reason {
            text: "AllowDeviceNameInTelemetry is not 1: from Windows 10 1803 the device shows \
                   as \"Unknown\" in Desktop Analytics (Configuration Manager sets it when \
                   \"Allow Device Name in diagnostic data\" is enabled)"
                .to_owned(),
            refs: vec![setting_ref("AllowDeviceNameInTelemetry")],
            health: Some("Check device name in diagnostic data".into()),
        });
    }
    if settings.limit_enhanced_diagnostic_data.value == Some(1)
        && level.value == Some(2)
        && matches!(
            settings.os.family,
            OsFamily::Windows7 | OsFamily::Windows81 | OsFamily::Windows10Before1803
        )
    {
        verdict.reasons.push(Reason {
            text: "Optional (limited) is configured, but this Windows version (Windows 10 1709 \
                   or earlier, 8.1 or 7) falls back to Required"
                .to_owned(),
            refs: vec![setting_ref("LimitEnhancedDiagnosticDataWindowsAnalytics")],
            health: None,
        });
    }
    if let Some(proxy) = settings.telemetry_proxy() {
        let needs = settings.auth_proxy_disabled() != Answer::Yes;
        verdict.reasons.push(Reason {
            text: format!(
                "TelemetryProxyServer sends diagnostic data to {proxy} (falling back to the \
                 default proxy if it fails); some Windows components ignore it{}",
                if needs {
                    ", and it needs DisableEnterpriseAuthProxy = 1, which is not set"
                } else {
                    ""
                }
            ),
            refs: vec![setting_ref("TelemetryProxyServer")],
            health: needs.then(|| {
                "Upgrade Readiness script code 46: DisableEnterpriseAuthProxy should be set to 1 \
                 for Telemetry Proxy to work"
                    .to_owned()
            }),
        });
    }
    if settings.proxy_settings_per_user.value == Some(0) {
        verdict.reasons.push(Reason {
            text: format!(
                "A per-machine proxy policy is set (ProxySettingsPerUser = 0 in {INTERNET_POLICY_KEY}): \
                 the system context uses the machine-wide (HKLM) WinINET proxy settings. Per-machine \
                 needs 0; the Desktop Analytics doc's \"= 1\" is a known documentation error"
            ),
            refs: vec![setting_ref("ProxySettingsPerUser")],
            health: None,
        });
    }
    if approach != Approach::User
        && settings.auth_proxy_disabled_by_policy()
        && settings.defender_present() != Answer::Yes
    {
        verdict.reasons.push(Reason {
            text: "DisableEnterpriseAuthProxy is set to 1 (as Defender for Endpoint and CIS L2 \
                   require): the diagnostic-data service uses only the system context, never \
                   the signed-in user's proxy"
                .to_owned(),
            refs: vec![setting_ref("DisableEnterpriseAuthProxy")],
            health: None,
        });
    }
    ready
}

/// The clean result among `results` if there is one, else the first with its finding.
fn best<'a>(results: &[&'a ProbeResult]) -> Option<(&'a ProbeResult, Finding)> {
    let probed: Vec<(&ProbeResult, Finding)> = results
        .iter()
        .map(|r| (*r, classify(r)))
        .filter(|(_, f)| *f != Finding::NotProbed)
        .collect();
    probed
        .iter()
        .find(|(_, f)| *f == Finding::Clean)
        .or_else(|| probed.first())
        .cloned()
}

fn classify(result: &ProbeResult) -> Finding {
    let schemes = || -> Vec<String> {
        match &result.failure {
            Some(ProbeFailure::ProxyAuthRequired { schemes }) if !schemes.is_empty() => {
                schemes.clone()
            }
            _ => result
                .proxy
                .iter()
                .flat_map(|p| p.challenges.iter().map(|c| c.scheme.clone()))
                .collect(),
        }
    };
    let auth = |schemes: Vec<String>| {
        let integrated = schemes
            .iter()
            .any(|s| ["negotiate", "ntlm", "kerberos"].contains(&s.to_ascii_lowercase().as_str()));
        if integrated {
            Finding::IntegratedAuth
        } else {
            Finding::OtherAuth { schemes }
        }
    };
    match result.status {
        // Through with credentials dapreflight supplied: the service has none of those.
        Status::Ok
            if result
                .proxy
                .as_ref()
                .and_then(|p| p.auth.as_ref())
                .is_some_and(|a| a.accepted) =>
        {
            auth(schemes())
        }
        Status::Ok => Finding::Clean,
        Status::NotProbed => Finding::NotProbed,
        Status::ProxyAuthRequired | Status::ProxyAuthRejected => auth(schemes()),
        Status::TlsIntercepted => {
            let rule = result.tls.as_ref().map(|tls| tls.trust.rule);
            let pinned = match rule {
                Some(rule) => rule == TrustRule::MicrosoftApplicationRoot,
                None => !result.host.ends_with(".blob.core.windows.net"),
            };
            Finding::Intercepted { pinned }
        }
        status => Finding::Blocked {
            hop: hop(result, status),
        },
    }
}

fn hop(result: &ProbeResult, status: Status) -> String {
    let proxy = match &result.route.route {
        Route::Proxy { proxy } => format!("proxy {proxy}"),
        Route::Direct | Route::Unprobeable { .. } => "the network".to_owned(),
    };
    match status {
        Status::DnsFailed => "DNS (the name does not resolve)".to_owned(),
        Status::ConnectFailed => match &result.route.route {
            Route::Proxy { proxy } => format!("connect (to proxy {proxy})"),
            Route::Direct | Route::Unprobeable { .. } => "connect (direct)".to_owned(),
        },
        Status::Timeout => match result.stage {
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

/// The Connection Health property a blocked result matches (anchors §4.2, §6).
fn health_for(result: &ProbeResult, host: &str) -> String {
    let code = match &result.failure {
        Some(ProbeFailure::ProxyDenied { status, .. }) => Some(*status),
        Some(ProbeFailure::ProxyError { status, .. }) => *status,
        _ => result
            .proxy
            .as_ref()
            .and_then(|p| p.status)
            .or(result.http_status),
    };
    let known = code.and_then(|code| {
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
    let diagnostic = [
        "v10c.events.data.microsoft.com",
        "v10.events.data.microsoft.com",
        "v10.vortex-win.data.microsoft.com",
        "vortex-win.data.microsoft.com",
    ]
    .contains(&host);
    let property = if diagnostic {
        "Windows diagnostic endpoint connectivity (code 12): Can't connect to the connected user \
         experience and telemetry endpoint (Vortex)"
    } else {
        "Endpoint connectivity checks"
    };
    match known {
        Some(status) => format!("{property}; {status}"),
        None => property.to_owned(),
    }
}

/// The proxy the user context got through, when every clean user result used the same one.
fn working_user_proxy(endpoints: &[EndpointView<'_>]) -> Option<String> {
    endpoints.iter().find_map(|view| match best(&view.user) {
        Some((result, Finding::Clean)) => match &result.route.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            Route::Direct | Route::Unprobeable { .. } => None,
        },
        _ => None,
    })
}

/// "proxy a:8080" or "the proxy" when results went through several or none.
fn proxies(list: &[&(&EndpointView<'_>, &ProbeResult, Finding)]) -> String {
    let names: BTreeSet<String> = list
        .iter()
        .filter_map(|(_, r, _)| match &r.route.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            Route::Direct | Route::Unprobeable { .. } => None,
        })
        .collect();
    match names.len() {
        0 => "the proxy".to_owned(),
        1 => format!("proxy {}", names.into_iter().next().unwrap_or_default()),
        _ => format!(
            "proxies {}",
            names.into_iter().collect::<Vec<_>>().join(", ")
        ),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn result_ref(result: &ProbeResult) -> Ref {
    Ref::Result {
        endpoint: result.endpoint.clone(),
        context: result.context,
    }
}

fn setting_ref(name: &str) -> Ref {
    Ref::Setting {
        name: name.to_owned(),
    }
}
