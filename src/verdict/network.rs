//! Rules over the assessed results: which endpoints count, what stops the system context, and
//! which approach that leaves. Each rule returns its findings (and remedies); none renders text.

use std::collections::BTreeSet;

use crate::assess::ProbeResult;
use crate::auth::Presenting;
use crate::catalog::TrustRule;
use crate::probe::{AuthAttempt, AuthOutcome, DnsCause, DnsOf, Identity, ProbeFailure};
use crate::route::{Context, Route};
use crate::settings::{DeviceSettings, Relevance};
use crate::status::Status;

use crate::status::Stage;

use super::Approach;
use super::finding::{
    Code, Evidence, Fact, FixKind, Health, Hop, Remedy, Setting, bare, offered_schemes,
    offers_integrated, remedy, result_ref, setting_ref,
};
use super::{Finding, user};

/// Everything probed for one endpoint, split by context.
pub(super) struct EndpointView<'a> {
    pub(super) url: &'a str,
    pub(super) host: &'a str,
    /// Every context but the user's: the diagnostic-data service's.
    pub(super) system: Vec<&'a ProbeResult>,
    pub(super) user: Vec<&'a ProbeResult>,
}

/// What stops one result, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Block {
    Clean,
    /// Through after authenticating as the identity the context really uses (the computer
    /// account as SYSTEM in the system context, the signed-in user in the user's): proven.
    Proven,
    /// 407 offering Windows Integrated Authentication (Negotiate, NTLM, Kerberos).
    IntegratedAuth,
    /// 407 offering only schemes the diagnostic-data service does not use (Basic, Digest).
    OtherAuth,
    /// SSL inspection (or a chain from nowhere, which Windows' pinning rejects the same way);
    /// `pinned` when the endpoint's chain must end in Microsoft's root.
    Intercepted {
        pinned: bool,
    },
    /// Stopped at a hop, for the cause the code names.
    Blocked(Code),
    NotProbed,
}

/// A system-context result that stops an endpoint, with what stops it.
pub(super) type Blocker<'v, 'a> = (&'v EndpointView<'a>, &'a ProbeResult, Block);

/// The approach the network leaves, whether the network is ready, and the findings behind it.
pub(super) struct Network {
    pub(super) approach: Approach,
    pub(super) ready: bool,
    /// The findings, in the order they are given.
    pub(super) findings: Vec<Finding>,
    /// The remedies; the first implements the approach.
    pub(super) remedies: Vec<Remedy>,
}

/// Groups results by endpoint, in catalog order.
pub(super) fn group(results: &[ProbeResult]) -> Vec<EndpointView<'_>> {
    let mut views: Vec<EndpointView<'_>> = Vec::new();
    for result in results {
        let index = if let Some(index) = views.iter().position(|v| v.url == result.endpoint) {
            index
        } else {
            views.push(EndpointView {
                url: &result.endpoint,
                host: &result.host,
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
    views
}

/// Rule: each context other than `system` and `user` was taken as the system context.
pub(super) fn assumed_contexts(results: &[ProbeResult]) -> Vec<Finding> {
    let assumed: BTreeSet<Context> = results
        .iter()
        .map(|r| r.context)
        .filter(|c| !matches!(c, Context::User | Context::System))
        .collect();
    assumed
        .into_iter()
        .map(|context| Finding {
            contexts: vec![context],
            ..bare(Code::ContextAssumedSystem)
        })
        .collect()
}

/// Rule: leaves out the endpoints this Windows does not use and the ones that cannot be probed,
/// with a finding for each; returns the endpoints that count.
pub(super) fn counted<'a>(
    views: Vec<EndpointView<'a>>,
    settings: Option<&DeviceSettings>,
) -> (Vec<EndpointView<'a>>, Vec<Finding>) {
    let mut unused = Vec::new();
    let mut patterns = Vec::new();
    let mut counted = Vec::new();
    for view in views {
        if let Some(settings) = settings
            && settings.os.uses(view.host) == Relevance::NotUsed
        {
            unused.push(view.host.to_owned());
            continue;
        }
        let all = view.system.iter().chain(&view.user);
        if all.clone().all(|r| r.status == Status::NotProbed) {
            patterns.push((view.host.to_owned(), all.copied().collect::<Vec<_>>()));
            continue;
        }
        counted.push(view);
    }
    let mut findings = Vec::new();
    if !unused.is_empty()
        && let Some(settings) = settings
    {
        findings.push(Finding {
            hosts: unused,
            evidence: Evidence {
                refs: vec![setting_ref("Windows version")],
                facts: vec![Fact::Product(settings.os.product_name.clone())],
                health: None,
            },
            ..bare(Code::EndpointsNotUsed)
        });
    }
    for (host, results) in patterns {
        findings.push(Finding {
            code: Code::EndpointUnprobeable,
            contexts: contexts_of(&results),
            hops: results.iter().map(|r| Hop::of(r)).collect(),
            hosts: vec![host],
            evidence: Evidence {
                refs: results.iter().map(|r| result_ref(r)).collect(),
                ..Evidence::default()
            },
        });
    }
    (counted, findings)
}

/// Picks the approach from the network evidence of the endpoints that count.
pub(super) fn judge(endpoints: &[EndpointView<'_>], settings: Option<&DeviceSettings>) -> Network {
    if endpoints.is_empty() {
        return Network {
            approach: Approach::None,
            ready: false,
            findings: vec![bare(Code::NothingProbed)],
            remedies: Vec::new(),
        };
    }
    let blockers: Vec<Blocker<'_, '_>> = endpoints
        .iter()
        .filter_map(|view| match best(&view.system) {
            Some((_, Block::Clean | Block::Proven)) | None => None,
            Some((result, block)) => Some((view, result, block)),
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
            .all(|view| matches!(best(&view.user), Some((_, Block::Clean | Block::Proven))));
    let proven_system = proven(endpoints, |view| view.system.clone(), Context::System);
    let proven_user = proven(endpoints, |view| view.user.clone(), Context::User);
    let mixed = mixed_routes(endpoints);
    if blockers.is_empty() && unprobed.is_empty() {
        let facts = if mixed.is_none() {
            Vec::new()
        } else {
            vec![Fact::SomeRoutesFail]
        };
        if let Some(proof) = proven_system {
            return proven_ready(proof, mixed);
        }
        let mut findings = vec![Finding {
            contexts: vec![Context::System],
            hosts: endpoints.iter().map(|v| v.host.to_owned()).collect(),
            evidence: Evidence {
                facts,
                ..Evidence::default()
            },
            ..bare(Code::SystemClean)
        }];
        findings.extend(mixed);
        return Network {
            approach: Approach::Bypass,
            ready: true,
            findings,
            remedies: Vec::new(),
        };
    }
    let mut findings = causes(&blockers);
    findings.extend(not_probed(&unprobed));
    findings.extend(proven_system);
    let all_integrated = !blockers.is_empty()
        && unprobed.is_empty()
        && blockers.iter().all(|(_, _, block)| integrated(*block));
    // The fixes of the system context's own route, cause by cause.
    let own_route = cause_remedies(&blockers, all_integrated);

    if user_clean {
        // A route that needs the user's own logon cannot be given to WinHTTP: the service
        // would present the computer account there.
        let shared = if proven_user.is_some() {
            None
        } else {
            share_user_route(endpoints, &blockers)
        };
        findings.extend(proven_user);
        return with_user_route(findings, mixed, own_route, shared, all_integrated, settings);
    }
    if user_present {
        // Hosts whose cause already names the user's context are not repeated.
        let named: Vec<&str> = findings
            .iter()
            .filter(|f| f.contexts.contains(&Context::User))
            .flat_map(|f| f.hosts.iter().map(String::as_str))
            .collect();
        findings.extend(user_blocked(endpoints, &named));
    }
    findings.extend(mixed);
    Network {
        approach: if all_integrated {
            Approach::Device
        } else {
            Approach::Bypass
        },
        ready: false,
        findings,
        remedies: own_route,
    }
}

/// Every endpoint gets through, some only by authenticating as the computer account: the
/// device approach, proven; dropping authentication for the hosts is still the recommended way.
fn proven_ready(proof: Finding, mixed: Option<Finding>) -> Network {
    let proxies: Vec<String> = proof
        .hops
        .iter()
        .filter_map(|h| match &h.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let hosts = proof.hosts.clone();
    let mut findings = vec![proof];
    findings.extend(mixed);
    Network {
        approach: Approach::Device,
        ready: true,
        findings,
        remedies: vec![Remedy {
            alternative: true,
            ..remedy(FixKind::DropProxyAuth { proxies }, hosts)
        }],
    }
}

/// Only the user's context gets through, on a route that needs no credentials: the user
/// approach when its conditions hold, else that route for WinHTTP (bypass), with fixing the
/// system context's own route and the user approach's conditions as alternatives.
fn with_user_route(
    mut findings: Vec<Finding>,
    mixed: Option<Finding>,
    own_route: Vec<Remedy>,
    shared: Option<Remedy>,
    all_integrated: bool,
    settings: Option<&DeviceSettings>,
) -> Network {
    let user = user::judge(settings);
    findings.extend(user.findings);
    findings.extend(mixed);
    if user.ready {
        // The user approach works as it is; a route of its own for WinHTTP would make it
        // independent of a signed-in user.
        let remedies = shared
            .into_iter()
            .chain(own_route)
            .map(|r| Remedy {
                alternative: true,
                ..r
            })
            .collect();
        return Network {
            approach: Approach::User,
            ready: true,
            findings,
            remedies,
        };
    }
    let mut remedies: Vec<Remedy> = shared.into_iter().collect();
    let first = remedies.is_empty();
    remedies.extend(own_route.into_iter().enumerate().map(|(i, r)| Remedy {
        alternative: !first || i > 0 && r.alternative,
        ..r
    }));
    remedies.extend(user.remedies);
    let approach = if first && all_integrated {
        Approach::Device
    } else {
        Approach::Bypass
    };
    Network {
        approach,
        ready: false,
        findings,
        remedies,
    }
}

/// Rule: endpoints that answer through one system-context route but not through another, as
/// one finding.
fn mixed_routes(endpoints: &[EndpointView<'_>]) -> Option<Finding> {
    let mut failing: Vec<&ProbeResult> = Vec::new();
    let mut hosts = Vec::new();
    for view in endpoints {
        let clean = view
            .system
            .iter()
            .filter(|r| classify(r) == Block::Clean)
            .count();
        if clean > 0 && clean < view.system.len() {
            hosts.push(view.host.to_owned());
            failing.extend(
                view.system
                    .iter()
                    .filter(|r| classify(r) != Block::Clean)
                    .copied(),
            );
        }
    }
    (!hosts.is_empty()).then(|| Finding {
        code: Code::SystemMixedRoutes,
        contexts: contexts_of(&failing),
        hops: failing.iter().map(|r| Hop::of(r)).collect(),
        hosts,
        evidence: Evidence {
            refs: failing.iter().map(|r| result_ref(r)).collect(),
            ..Evidence::default()
        },
    })
}

/// Rule: endpoints with no probed result in the system context.
fn not_probed(unprobed: &[&EndpointView<'_>]) -> Option<Finding> {
    (!unprobed.is_empty()).then(|| Finding {
        contexts: vec![Context::System],
        hosts: unprobed.iter().map(|v| v.host.to_owned()).collect(),
        ..bare(Code::SystemNotProbed)
    })
}

/// The code of what stops a blocker: its own for a hop, else the authentication or inspection
/// code.
fn code_of(block: Block) -> Option<Code> {
    match block {
        Block::Blocked(code) => Some(code),
        Block::IntegratedAuth => Some(Code::SystemProxyAuthIntegrated),
        Block::OtherAuth => Some(Code::SystemProxyAuthOther),
        Block::Intercepted { .. } => Some(Code::SystemTlsIntercepted),
        Block::Clean | Block::Proven | Block::NotProbed => None,
    }
}

/// What groups blockers into one cause: the code, and for hops the route (one finding per
/// proxy), since the fix differs per proxy.
fn cause_key(block: Block, result: &ProbeResult) -> (Code, Option<String>) {
    let code = code_of(block).unwrap_or(Code::HttpUnexpected);
    match block {
        // One finding for all authentication and all inspection: the text names every proxy.
        Block::IntegratedAuth | Block::OtherAuth | Block::Intercepted { .. } => (code, None),
        _ => (code, Some(result.route.route.to_string())),
    }
}

/// Blockers of one cause: the key that groups them, and the blockers.
type Group<'v, 'a> = ((Code, Option<String>), Vec<Blocker<'v, 'a>>);

/// Rule: one finding per cause (and per proxy, for hops), in the order a connection meets
/// them. A cause names the user context too only when the user's result for every one of its
/// hosts stopped at the same hop, through the same route.
fn causes(blockers: &[Blocker<'_, '_>]) -> Vec<Finding> {
    let mut groups: Vec<Group<'_, '_>> = Vec::new();
    for blocker in blockers {
        let (_, result, block) = *blocker;
        let key = cause_key(block, result);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(*blocker),
            None => groups.push((key, vec![*blocker])),
        }
    }
    let mut findings: Vec<Finding> = groups
        .into_iter()
        .map(|((code, _), list)| {
            let code = if code == Code::SystemTlsIntercepted
                && list
                    .iter()
                    .all(|(_, _, b)| *b == Block::Intercepted { pinned: false })
            {
                Code::SystemTlsInterceptedPublic
            } else {
                code
            };
            let mut contexts = vec![Context::System];
            let mut refs = refs(&list);
            let user_same: Vec<&ProbeResult> = list
                .iter()
                .filter_map(|(view, result, block)| match best(&view.user) {
                    Some((user, user_block))
                        if user_block == *block && user.route.route == result.route.route =>
                    {
                        Some(user)
                    }
                    _ => None,
                })
                .collect();
            let authentication = matches!(
                code,
                Code::SystemProxyAuthIntegrated | Code::SystemProxyAuthOther
            );
            if !authentication && !user_same.is_empty() && user_same.len() == list.len() {
                contexts.push(Context::User);
                refs.extend(user_same.iter().map(|r| result_ref(r)));
            }
            let first = list[0].1;
            Finding {
                code,
                contexts,
                hops: list.iter().map(|(_, r, _)| Hop::of(r)).collect(),
                hosts: hosts(&list),
                evidence: Evidence {
                    refs,
                    facts: Vec::new(),
                    health: Some(health_for(code, first, list[0].0.host)),
                },
            }
        })
        .collect();
    findings.sort_by_key(|f| f.code);
    findings
}

/// Remedies for the system context's own route, one per cause, in the order of the causes.
/// With `device` (every blocker offers Windows Integrated Authentication), letting computer
/// accounts through comes first and dropping authentication is its alternative.
fn cause_remedies(blockers: &[Blocker<'_, '_>], device: bool) -> Vec<Remedy> {
    let mut remedies = Vec::new();
    let no_server = of(blockers, |b| *b == Block::Blocked(Code::NoDnsServer));
    if !no_server.is_empty() {
        remedies.push(remedy(FixKind::CheckNetwork, hosts(&no_server)));
    }
    let dns = of(blockers, |b| *b == Block::Blocked(Code::NamesUnresolved));
    if !dns.is_empty() {
        remedies.push(remedy(FixKind::ResolveNames, hosts(&dns)));
    }
    remedies.extend(proxy_setting_remedies(blockers));
    let direct = of(blockers, |b| {
        matches!(
            b,
            Block::Blocked(Code::ConnectFailed | Code::ConnectFiltered)
        )
    });
    if !direct.is_empty() {
        remedies.push(remedy(FixKind::OpenFirewall, hosts(&direct)));
    }
    remedies.extend(auth_remedies(blockers, device));
    for (code, make) in [
        (
            Code::ProxyDenied,
            (|proxies| FixKind::AllowOnProxy { proxies }) as fn(Vec<String>) -> FixKind,
        ),
        (Code::ProxyError, |proxies| FixKind::CheckProxyUpstream {
            proxies,
        }),
    ] {
        let list = of(blockers, |b| *b == Block::Blocked(code));
        if !list.is_empty() {
            let proxies = proxy_names(list.iter().map(|(_, r, _)| *r));
            remedies.push(remedy(make(proxies), hosts(&list)));
        }
    }
    let intercepted = of(blockers, |b| matches!(b, Block::Intercepted { .. }));
    if !intercepted.is_empty() {
        remedies.push(remedy(
            FixKind::ExcludeFromInspection {
                by: intercepted
                    .iter()
                    .find_map(|(_, r, _)| Hop::of(r).inspector),
            },
            hosts(&intercepted),
        ));
    }
    let later = of(blockers, |b| {
        matches!(
            b,
            Block::Blocked(Code::Timeout | Code::TlsFailed | Code::HttpUnexpected)
        )
    });
    if !later.is_empty() {
        remedies.push(remedy(FixKind::CheckPath, hosts(&later)));
    }
    remedies
}

/// Remedies for proxies that cannot be used at all: a name that does not resolve, or nothing
/// answering; one per proxy, naming the setting that chose it.
fn proxy_setting_remedies(blockers: &[Blocker<'_, '_>]) -> Vec<Remedy> {
    let mut remedies = Vec::new();
    for (code, make) in [
        (
            Code::ProxyUnresolved,
            (|proxy, setting| FixKind::FixProxyName { proxy, setting })
                as fn(String, Setting) -> FixKind,
        ),
        (Code::ProxyUnreachable, |proxy, setting| {
            FixKind::FixDeadProxy { proxy, setting }
        }),
    ] {
        let list = of(blockers, |b| *b == Block::Blocked(code));
        let mut seen: Vec<String> = Vec::new();
        for (_, result, _) in &list {
            if let Route::Proxy { proxy } = &result.route.route {
                let name = proxy.to_string();
                if !seen.contains(&name) {
                    seen.push(name.clone());
                    let setting = Setting::of_source(&result.route.source);
                    let hosts = hosts(
                        &list
                            .iter()
                            .filter(|(_, r, _)| r.route.route == result.route.route)
                            .copied()
                            .collect::<Vec<_>>(),
                    );
                    remedies.push(remedy(make(name, setting), hosts));
                }
            }
        }
    }
    remedies
}

/// Remedies for proxy authentication: let computer accounts through (device) or stop asking
/// (bypass), whichever the approach is first.
fn auth_remedies(blockers: &[Blocker<'_, '_>], device: bool) -> Vec<Remedy> {
    let mut remedies = Vec::new();
    let integrated = of(blockers, |b| integrated(*b));
    let auth = [integrated.clone(), of(blockers, |b| *b == Block::OtherAuth)].concat();
    let account = integrated
        .iter()
        .find_map(|(_, r, b)| (*b != Block::IntegratedAuth).then(|| Hop::of(r).account)?);
    let denied = integrated
        .iter()
        .any(|(_, _, b)| *b == Block::Blocked(Code::ProxyAuthLogonDenied));
    if auth.is_empty() {
        return remedies;
    }
    {
        let proxies = proxy_names(auth.iter().map(|(_, r, _)| *r));
        let drop = remedy(
            FixKind::DropProxyAuth {
                proxies: proxies.clone(),
            },
            hosts(&auth),
        );
        let computers = Remedy {
            kind: FixKind::AllowComputerAccounts {
                proxies,
                account,
                denied,
            },
            hosts: hosts(&integrated),
            alternative: !device,
        };
        if device {
            remedies.push(computers);
            remedies.push(Remedy {
                alternative: true,
                ..drop
            });
        } else {
            remedies.push(drop);
            if !integrated.is_empty() {
                remedies.push(computers);
            }
        }
    }
    remedies
}

/// Remedy: give the system context the route the user's context got through on, when the
/// system context's own route differs from it.
fn share_user_route(
    endpoints: &[EndpointView<'_>],
    blockers: &[Blocker<'_, '_>],
) -> Option<Remedy> {
    let user = endpoints.iter().find_map(|view| match best(&view.user) {
        Some((result, Block::Clean)) => Some(result),
        _ => None,
    })?;
    let system = blockers.first().map(|(_, r, _)| *r)?;
    if system.route.route == user.route.route {
        return None;
    }
    Some(remedy(
        FixKind::ShareUserRoute {
            route: user.route.route.clone(),
            setting: Setting::of_source(&system.route.source),
        },
        Vec::new(),
    ))
}

/// Rule: the user context does not get through either; one hop per host that was probed.
fn user_blocked(endpoints: &[EndpointView<'_>], named: &[&str]) -> Option<Finding> {
    let mut hosts = Vec::new();
    let mut hops = Vec::new();
    let mut refs = Vec::new();
    for view in endpoints.iter().filter(|v| !named.contains(&v.host)) {
        match best(&view.user) {
            Some((_, Block::Clean)) => {}
            Some((result, _)) => {
                hosts.push(view.host.to_owned());
                hops.push(Hop::of(result));
                refs.push(result_ref(result));
            }
            None => hosts.push(view.host.to_owned()),
        }
    }
    (!hosts.is_empty()).then(|| Finding {
        code: Code::UserBlocked,
        contexts: vec![Context::User],
        hops,
        hosts,
        evidence: Evidence {
            refs,
            ..Evidence::default()
        },
    })
}

/// The clean result among `results` if there is one, else the first with what stops it.
pub(super) fn best<'a>(results: &[&'a ProbeResult]) -> Option<(&'a ProbeResult, Block)> {
    let probed: Vec<(&ProbeResult, Block)> = results
        .iter()
        .map(|r| (*r, classify(r)))
        .filter(|(_, b)| *b != Block::NotProbed)
        .collect();
    probed
        .iter()
        .find(|(_, b)| *b == Block::Clean)
        .or_else(|| probed.iter().find(|(_, b)| *b == Block::Proven))
        .or_else(|| probed.first())
        .copied()
}

/// What stops one result, if anything.
pub(super) fn classify(result: &ProbeResult) -> Block {
    let auth = || {
        if offers_integrated(&offered_schemes(result)) {
            Block::IntegratedAuth
        } else {
            Block::OtherAuth
        }
    };
    let via_proxy = matches!(result.route.route, Route::Proxy { .. });
    let attempt = result.proxy.as_ref().and_then(|p| p.auth.as_ref());
    let as_itself = attempt.is_some_and(|a| a.presenting == Presenting::CurrentLogon)
        && proves_identity(result);
    match result.status {
        // Through by authenticating as the identity the context uses: what Windows would do.
        Status::Ok if as_itself && attempt.is_some_and(AuthAttempt::accepted) => Block::Proven,
        // Through with credentials dapreflight supplied, or as someone else: the service has
        // none of those.
        Status::Ok if attempt.is_some_and(AuthAttempt::accepted) => auth(),
        Status::ProxyAuthRejected if as_itself => Block::Blocked(Code::ProxyAuthLogonRejected),
        Status::ProxyDenied
            if as_itself && attempt.is_some_and(|a| a.outcome == AuthOutcome::Denied) =>
        {
            Block::Blocked(Code::ProxyAuthLogonDenied)
        }
        Status::Ok => Block::Clean,
        Status::NotProbed => Block::NotProbed,
        Status::ProxyAuthRequired | Status::ProxyAuthRejected | Status::ProxyAuthFailed => auth(),
        // A chain from nowhere on a Microsoft endpoint fails Windows' pinning exactly as an
        // inspection CA does, whether or not this machine trusts the CA.
        Status::TlsIntercepted | Status::TlsUntrusted => {
            let rule = result.tls.as_ref().map(|tls| tls.trust.rule);
            let pinned = match rule {
                // The upload hosts whose chain is not yet confirmed (us-v10c, watsonc) serve the
                // same client as v10c: judged as pinned, the result's detail says unconfirmed.
                Some(rule) => matches!(
                    rule,
                    TrustRule::MicrosoftApplicationRoot | TrustRule::MicrosoftUnconfirmed
                ),
                None => !result.host.ends_with(".blob.core.windows.net"),
            };
            Block::Intercepted { pinned }
        }
        // Through a proxy, dapreflight looks up only the proxy's name (the proxy resolves the
        // endpoint's); the failure names what did not resolve.
        Status::DnsFailed => Block::Blocked(match &result.failure {
            Some(ProbeFailure::DnsFailed {
                of: DnsOf::Proxy, ..
            }) => Code::ProxyUnresolved,
            Some(ProbeFailure::DnsFailed {
                cause: DnsCause::NoServer | DnsCause::NetworkUnreachable,
                ..
            }) => Code::NoDnsServer,
            Some(ProbeFailure::DnsFailed { .. }) => Code::NamesUnresolved,
            // Through a proxy, dapreflight looks up only the proxy's name.
            _ if via_proxy => Code::ProxyUnresolved,
            _ => Code::NamesUnresolved,
        }),
        Status::ConnectFailed if via_proxy => Block::Blocked(Code::ProxyUnreachable),
        Status::ConnectFailed => Block::Blocked(Code::ConnectFailed),
        Status::Timeout => Block::Blocked(match result.stage {
            Some(Stage::Dns) if via_proxy => Code::ProxyUnresolved,
            Some(Stage::Dns) => Code::NamesUnresolved,
            Some(Stage::Connect) if via_proxy => Code::ProxyUnreachable,
            Some(Stage::Connect) => Code::ConnectFiltered,
            _ => Code::Timeout,
        }),
        Status::ProxyDenied => Block::Blocked(Code::ProxyDenied),
        Status::ProxyError => Block::Blocked(Code::ProxyError),
        Status::TlsFailed => Block::Blocked(Code::TlsFailed),
        Status::HttpUnexpected => Block::Blocked(Code::HttpUnexpected),
    }
}

/// Whether a blocker is Windows Integrated Authentication (offered, or tried as the identity
/// itself): what letting the computer accounts through would fix.
fn integrated(block: Block) -> bool {
    matches!(
        block,
        Block::IntegratedAuth
            | Block::Blocked(Code::ProxyAuthLogonRejected | Code::ProxyAuthLogonDenied)
    )
}

/// Rule: the endpoints whose best result in a context got through only by authenticating as
/// that context's own identity, as one finding.
fn proven<'a>(
    endpoints: &[EndpointView<'a>],
    results: impl Fn(&EndpointView<'a>) -> Vec<&'a ProbeResult>,
    context: Context,
) -> Option<Finding> {
    let proven: Vec<&ProbeResult> = endpoints
        .iter()
        .filter_map(|view| match best(&results(view)) {
            Some((result, Block::Proven)) => Some(result),
            _ => None,
        })
        .collect();
    let code = if context == Context::User {
        Code::UserProxyAuthProven
    } else {
        Code::SystemProxyAuthProven
    };
    (!proven.is_empty()).then(|| Finding {
        code,
        contexts: vec![context],
        hops: proven.iter().map(|r| Hop::of(r)).collect(),
        hosts: proven.iter().map(|r| r.host.clone()).collect(),
        evidence: Evidence {
            refs: proven.iter().map(|r| result_ref(r)).collect(),
            ..Evidence::default()
        },
    })
}

/// Rule: results that got through by authenticating as an account the context does not use
/// (explicit credentials, or whoever ran dapreflight): what they prove, and what they do not.
pub(super) fn account_only(results: &[ProbeResult]) -> Option<Finding> {
    let accepted: Vec<&ProbeResult> = results
        .iter()
        .filter(|r| {
            r.status == Status::Ok
                && r.proxy
                    .as_ref()
                    .and_then(|p| p.auth.as_ref())
                    .is_some_and(|a| {
                        a.accepted() && offers_integrated(std::slice::from_ref(&a.scheme))
                    })
                && classify(r) != Block::Proven
        })
        .collect();
    (!accepted.is_empty()).then(|| {
        let mut hosts: Vec<String> = accepted.iter().map(|r| r.host.clone()).collect();
        hosts.dedup();
        Finding {
            code: Code::AuthAccountOnly,
            contexts: contexts_of(&accepted),
            hops: accepted.iter().map(|r| Hop::of(r)).collect(),
            hosts,
            evidence: Evidence {
                refs: accepted.iter().map(|r| result_ref(r)).collect(),
                ..Evidence::default()
            },
        }
    })
}

/// Whether the probe ran as the identity its context stands for: SYSTEM (the computer account)
/// for the system context, the signed-in user for the user's.
fn proves_identity(result: &ProbeResult) -> bool {
    match (result.context, result.probed_as) {
        (Context::User, Some(Identity::User)) => true,
        (Context::User, _) => false,
        (_, Some(Identity::System)) => true,
        _ => false,
    }
}

/// The Connection Health property a cause matches, with the status code it saw.
fn health_for(code: Code, result: &ProbeResult, host: &str) -> Health {
    if matches!(
        code,
        Code::SystemProxyAuthIntegrated | Code::SystemProxyAuthOther
    ) {
        return Health::ProxyAuthRequired;
    }
    let status = match &result.failure {
        Some(ProbeFailure::ProxyDenied { status, .. }) => Some(*status),
        Some(ProbeFailure::ProxyError { status, .. }) => *status,
        _ => result
            .proxy
            .as_ref()
            .and_then(|p| p.status)
            .or(result.http_status),
    };
    let diagnostic = [
        "v10c.events.data.microsoft.com",
        "v10.events.data.microsoft.com",
        "v10.vortex-win.data.microsoft.com",
        "vortex-win.data.microsoft.com",
    ]
    .contains(&host);
    if diagnostic {
        Health::DiagnosticEndpoint { status }
    } else {
        Health::EndpointConnectivity { status }
    }
}

/// The distinct proxies the results went through, sorted by name.
fn proxy_names<'a>(results: impl Iterator<Item = &'a ProbeResult>) -> Vec<String> {
    let names: BTreeSet<String> = results
        .filter_map(|r| match &r.route.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            Route::Direct | Route::Unprobeable { .. } => None,
        })
        .collect();
    names.into_iter().collect()
}

/// The blockers `wanted` picks, in order.
fn of<'v, 'a>(
    blockers: &[Blocker<'v, 'a>],
    wanted: impl Fn(&Block) -> bool,
) -> Vec<Blocker<'v, 'a>> {
    blockers
        .iter()
        .filter(|(_, _, b)| wanted(b))
        .copied()
        .collect()
}

/// The blockers' hosts, in order, with repeats dropped.
fn hosts(list: &[Blocker<'_, '_>]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for (view, _, _) in list {
        if !hosts.iter().any(|h| h == view.host) {
            hosts.push(view.host.to_owned());
        }
    }
    hosts
}

/// Citations of the blockers' results.
fn refs(list: &[Blocker<'_, '_>]) -> Vec<super::Ref> {
    list.iter().map(|(_, r, _)| result_ref(r)).collect()
}

/// The distinct contexts of `results`, in order.
fn contexts_of(results: &[&ProbeResult]) -> Vec<Context> {
    let set: BTreeSet<Context> = results.iter().map(|r| r.context).collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Stage;
    use crate::verdict::testing::{
        PROXY, Probe, SETTINGS, V10C, VORTEX, WATCAB, device, each, probe,
    };

    const HOSTS: [&str; 3] = [V10C, SETTINGS, WATCAB];

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn each_result_is_classified_by_what_stops_it() {
        let cases = vec![
            ("clean", probe(V10C), Block::Clean),
            (
                "407 Negotiate",
                probe(V10C).auth(&["Negotiate"]),
                Block::IntegratedAuth,
            ),
            ("407 Basic", probe(V10C).auth(&["Basic"]), Block::OtherAuth),
            (
                "407 naming nothing",
                probe(V10C).auth(&[]),
                Block::OtherAuth,
            ),
            (
                "through with Basic",
                probe(V10C).with_accepted_basic(),
                Block::OtherAuth,
            ),
            (
                "inspected, pinned root",
                probe(V10C).intercepted(TrustRule::MicrosoftApplicationRoot, None),
                Block::Intercepted { pinned: true },
            ),
            (
                "inspected, an upload host whose chain is unconfirmed",
                probe("us-v10c.events.data.microsoft.com")
                    .intercepted(TrustRule::MicrosoftUnconfirmed, None),
                Block::Intercepted { pinned: true },
            ),
            (
                "inspected, public roots",
                probe(WATCAB).intercepted(TrustRule::MicrosoftPublicRoots, None),
                Block::Intercepted { pinned: false },
            ),
            (
                "inspected, no chain, storage host",
                probe(WATCAB).intercepted_unrecorded(),
                Block::Intercepted { pinned: false },
            ),
            (
                "inspected, no chain, other host",
                probe(V10C).intercepted_unrecorded(),
                Block::Intercepted { pinned: true },
            ),
            (
                "DNS",
                probe(V10C).dns_failed(),
                Block::Blocked(Code::NamesUnresolved),
            ),
            (
                "the proxy's name",
                probe(V10C).via(PROXY).dns_failed(),
                Block::Blocked(Code::ProxyUnresolved),
            ),
            (
                "refused, direct",
                probe(V10C).connect_failed(),
                Block::Blocked(Code::ConnectFailed),
            ),
            (
                "refused, the proxy",
                probe(V10C).via(PROXY).connect_failed(),
                Block::Blocked(Code::ProxyUnreachable),
            ),
            (
                "silent at connect, direct",
                probe(V10C).timeout(Stage::Connect),
                Block::Blocked(Code::ConnectFiltered),
            ),
            (
                "timeout",
                probe(V10C).timeout(Stage::Tls),
                Block::Blocked(Code::Timeout),
            ),
            (
                "denied",
                probe(V10C).via(PROXY).denied(403),
                Block::Blocked(Code::ProxyDenied),
            ),
            (
                "TLS failed",
                probe(V10C).status(Status::TlsFailed, Stage::Tls),
                Block::Blocked(Code::TlsFailed),
            ),
            ("wildcard", probe(V10C).not_probed(), Block::NotProbed),
        ];
        for (name, probe, expected) in cases {
            assert_eq!(classify(&probe.build()), expected, "{name}");
        }
    }

    #[test]
    fn the_best_result_is_a_clean_one_else_the_first_probed() {
        let failed = probe(V10C).dns_failed().build();
        let clean = probe(V10C).source("second").build();
        let skipped = probe(V10C).not_probed().build();
        let cases = [
            (vec![&failed, &clean], Some(("second", Block::Clean))),
            (
                vec![&skipped, &failed],
                Some(("system settings", Block::Blocked(Code::NamesUnresolved))),
            ),
            (vec![&skipped], None),
            (Vec::new(), None),
        ];
        for (results, expected) in cases {
            let got = best(&results).map(|(r, b)| (r.route.source.as_str(), b));
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn contexts_other_than_system_and_user_are_noted_once_each() {
        let results = [
            each(&HOSTS, |p| p.in_context(Context::Explicit)),
            each(&HOSTS, Probe::user),
        ]
        .concat();
        let findings = assumed_contexts(&results);
        assert_eq!(codes(&findings), [Code::ContextAssumedSystem]);
        assert_eq!(findings[0].contexts, [Context::Explicit]);
    }

    #[test]
    fn unused_and_unprobeable_endpoints_are_left_out_with_a_finding() {
        let results = [
            each(&HOSTS, |p| p),
            vec![
                probe(VORTEX).connect_failed().build(),
                probe("*.manage.microsoft.com").not_probed().build(),
            ],
        ]
        .concat();
        let settings = device(|_| {});
        let (counted_views, findings) = counted(group(&results), Some(&settings));
        let hosts: Vec<&str> = counted_views.iter().map(|v| v.host).collect();
        assert_eq!(hosts, HOSTS);
        assert_eq!(
            codes(&findings),
            [Code::EndpointsNotUsed, Code::EndpointUnprobeable]
        );
        assert_eq!(findings[0].hosts, [VORTEX]);
        assert_eq!(findings[1].hosts, ["*.manage.microsoft.com"]);
        // Without settings every probed endpoint counts.
        let (counted_views, findings) = counted(group(&results), None);
        assert_eq!(counted_views.len(), 4);
        assert_eq!(codes(&findings), [Code::EndpointUnprobeable]);
    }

    #[test]
    fn each_blocker_kind_gives_its_finding_and_remedies() {
        type Case = (
            &'static str,
            Vec<ProbeResult>,
            &'static [Code],
            &'static [&'static str],
        );
        let cases: [Case; 7] = [
            (
                "integrated",
                each(&HOSTS, |p| p.via(PROXY).auth(&["NTLM"])),
                &[Code::SystemProxyAuthIntegrated],
                &["allow_computer_accounts", "drop_proxy_auth"],
            ),
            (
                "Basic",
                each(&HOSTS, |p| p.via(PROXY).auth(&["Basic"])),
                &[Code::SystemProxyAuthOther],
                &["drop_proxy_auth"],
            ),
            (
                "inspection",
                each(&HOSTS, |p| {
                    p.intercepted(TrustRule::MicrosoftApplicationRoot, Some("Zscaler"))
                }),
                &[Code::SystemTlsIntercepted],
                &["exclude_from_inspection"],
            ),
            (
                "inspection of storage",
                each(&[WATCAB], |p| {
                    p.intercepted(TrustRule::MicrosoftPublicRoots, None)
                }),
                &[Code::SystemTlsInterceptedPublic],
                &["exclude_from_inspection"],
            ),
            (
                "DNS and connect, one cause each",
                vec![
                    probe(V10C).dns_failed().build(),
                    probe(WATCAB).dns_failed().build(),
                    probe(SETTINGS).connect_failed().build(),
                ],
                &[Code::NamesUnresolved, Code::ConnectFailed],
                &["resolve_names", "open_firewall"],
            ),
            (
                "a dead proxy",
                each(&HOSTS, |p| p.via(PROXY).connect_failed()),
                &[Code::ProxyUnreachable],
                &["fix_dead_proxy"],
            ),
            (
                "one route clean, one not",
                vec![
                    probe(V10C).build(),
                    probe(V10C).source("PAC").via(PROXY).denied(403).build(),
                ],
                &[Code::SystemClean, Code::SystemMixedRoutes],
                &[],
            ),
        ];
        for (name, results, expected, fixes) in cases {
            let views = group(&results);
            let network = judge(&views, None);
            assert_eq!(codes(&network.findings), expected, "{name}");
            let kinds: Vec<&str> = network
                .remedies
                .iter()
                .map(|r| super::super::text::fix(r, false).kind)
                .collect();
            assert_eq!(kinds, fixes, "{name}");
        }
    }

    #[test]
    fn a_cause_names_both_contexts_only_when_both_stopped_at_the_same_hop() {
        let results = vec![
            probe(V10C).via(PROXY).connect_failed().build(),
            probe(V10C).user().via(PROXY).connect_failed().build(),
            probe(SETTINGS).via(PROXY).connect_failed().build(),
            probe(SETTINGS)
                .user()
                .via("other.corp.example:3128")
                .denied(403)
                .build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        let dead: Vec<&Finding> = network
            .findings
            .iter()
            .filter(|f| f.code == Code::ProxyUnreachable)
            .collect();
        // One cause for both hosts; the user's context failed the same way for only one.
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].hosts, [V10C, SETTINGS]);
        assert_eq!(dead[0].contexts, [Context::System]);
        assert_eq!(
            network.findings.last().map(|f| f.code),
            Some(Code::UserBlocked)
        );
        let same = vec![
            probe(V10C).via(PROXY).connect_failed().build(),
            probe(V10C).user().via(PROXY).connect_failed().build(),
        ];
        let views = group(&same);
        let network = judge(&views, None);
        assert_eq!(
            network.findings[0].contexts,
            [Context::System, Context::User]
        );
    }

    #[test]
    fn a_working_user_route_is_offered_to_winhttp_first() {
        let results = vec![
            probe(V10C)
                .source("WinHTTP proxy (netsh winhttp)")
                .via(PROXY)
                .connect_failed()
                .build(),
            probe(V10C).user().via("user.corp.example:3128").build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        assert_eq!(network.approach, Approach::Bypass);
        assert!(!network.ready);
        assert_eq!(
            network.remedies[0].kind,
            FixKind::ShareUserRoute {
                route: Route::Proxy {
                    proxy: crate::route::ProxyAddr::parse("user.corp.example:3128")
                        .expect("valid proxy"),
                },
                setting: Setting::WinHttp,
            }
        );
        assert!(network.remedies[1..].iter().all(|r| r.alternative));
    }

    #[test]
    fn the_proxy_auth_remedies_list_integrated_hosts_first() {
        let results = vec![
            probe(V10C).via(PROXY).auth(&["Basic"]).build(),
            probe(SETTINGS).via(PROXY).auth(&["Negotiate"]).build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        assert_eq!(network.approach, Approach::Bypass);
        assert_eq!(network.remedies[0].hosts, [SETTINGS, V10C]);
        assert_eq!(network.remedies[1].hosts, [SETTINGS]);
        assert!(network.remedies[1].alternative);
    }

    #[test]
    fn endpoints_without_a_system_result_are_noted() {
        let results = vec![
            probe(V10C).build(),
            probe(V10C).user().build(),
            probe(SETTINGS).not_probed().build(),
            probe(SETTINGS).user().build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        assert!(!network.ready);
        assert!(codes(&network.findings).contains(&Code::SystemNotProbed));
    }
}
