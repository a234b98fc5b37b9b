//! Rules over the assessed results: which endpoints count, what stops the system context, and
//! which approach that leaves. Each rule returns its findings (and remedies); none renders text.

use std::collections::BTreeSet;

use crate::assess::ProbeResult;
use crate::catalog::TrustRule;
use crate::probe::ProbeFailure;
use crate::route::{Context, Route};
use crate::settings::{DeviceSettings, Relevance};
use crate::status::Status;

use super::Approach;
use super::finding::{
    Code, Evidence, Fact, FixKind, Health, Hop, Remedy, bare, offered_schemes, offers_integrated,
    result_ref, setting_ref,
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
    /// 407 offering Windows Integrated Authentication (Negotiate, NTLM, Kerberos).
    IntegratedAuth,
    /// 407 offering only schemes the diagnostic-data service does not use (Basic, Digest).
    OtherAuth,
    /// SSL inspection; `pinned` when the endpoint's chain must end in Microsoft's root.
    Intercepted {
        pinned: bool,
    },
    /// Stopped at a hop: DNS, connect, the proxy, TLS or HTTP.
    Blocked,
    NotProbed,
}

/// A system-context result that stops an endpoint, with what stops it.
pub(super) type Blocker<'v, 'a> = (&'v EndpointView<'a>, &'a ProbeResult, Block);

/// The approach the network leaves, whether the network is ready, and the findings behind it.
pub(super) struct Network {
    pub(super) approach: Approach,
    pub(super) ready: bool,
    /// The findings that open the verdict: the approach and why.
    pub(super) lead: Vec<Finding>,
    /// The findings after the device's notes, in order.
    pub(super) findings: Vec<Finding>,
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
            code: Code::ContextAssumedSystem,
            contexts: vec![context],
            hops: Vec::new(),
            hosts: Vec::new(),
            evidence: Evidence::default(),
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
            code: Code::EndpointsNotUsed,
            contexts: Vec::new(),
            hops: Vec::new(),
            hosts: unused,
            evidence: Evidence {
                refs: vec![setting_ref("Windows version")],
                facts: vec![Fact::Product(settings.os.product_name.clone())],
                health: None,
            },
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
            lead: Vec::new(),
            findings: vec![bare(Code::NothingProbed)],
            remedies: Vec::new(),
        };
    }
    let blockers: Vec<Blocker<'_, '_>> = endpoints
        .iter()
        .filter_map(|view| match best(&view.system) {
            Some((_, Block::Clean)) | None => None,
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
            .all(|view| matches!(best(&view.user), Some((_, Block::Clean))));
    let mut findings = mixed_routes(endpoints);
    if blockers.is_empty() && unprobed.is_empty() {
        return Network {
            approach: Approach::Bypass,
            ready: true,
            lead: vec![bare(Code::SystemClean)],
            findings,
            remedies: Vec::new(),
        };
    }
    findings.extend(not_probed(&unprobed));
    let all_integrated = !blockers.is_empty()
        && unprobed.is_empty()
        && blockers
            .iter()
            .all(|(_, _, block)| *block == Block::IntegratedAuth);
    findings.extend(proxy_auth(&blockers));
    findings.extend(interception(&blockers));
    findings.extend(blocked(&blockers, user_present));
    let mut remedies = proxy_auth_remedies(&blockers);
    remedies.extend(interception_remedies(&blockers));
    remedies.extend(blocked_remedies(&blockers, endpoints));

    if user_clean {
        let device_fits = all_integrated.then(|| device_fits(&blockers));
        let user = user::judge(device_fits, settings);
        findings.extend(user.findings);
        remedies.extend(user.remedies);
        return Network {
            approach: user.approach,
            ready: user.ready,
            lead: user.lead,
            findings,
            remedies,
        };
    }
    if all_integrated {
        return Network {
            approach: Approach::Device,
            ready: false,
            lead: vec![device_fits(&blockers)],
            findings,
            remedies,
        };
    }
    if user_present {
        findings.push(user_blocked(endpoints));
    }
    Network {
        approach: Approach::None,
        ready: false,
        lead: Vec::new(),
        findings,
        remedies,
    }
}

/// Rule: an endpoint answers through one system-context route but not through another.
fn mixed_routes(endpoints: &[EndpointView<'_>]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for view in endpoints {
        let clean = view
            .system
            .iter()
            .filter(|r| classify(r) == Block::Clean)
            .count();
        if clean > 0 && clean < view.system.len() {
            let failing: Vec<&ProbeResult> = view
                .system
                .iter()
                .filter(|r| classify(r) != Block::Clean)
                .copied()
                .collect();
            findings.push(Finding {
                code: Code::SystemMixedRoutes,
                contexts: contexts_of(&failing),
                hops: failing.iter().map(|r| Hop::of(r)).collect(),
                hosts: vec![view.host.to_owned()],
                evidence: Evidence {
                    refs: failing.iter().map(|r| result_ref(r)).collect(),
                    ..Evidence::default()
                },
            });
        }
    }
    findings
}

/// Rule: endpoints with no probed result in the system context.
fn not_probed(unprobed: &[&EndpointView<'_>]) -> Option<Finding> {
    (!unprobed.is_empty()).then(|| Finding {
        code: Code::SystemNotProbed,
        contexts: vec![Context::System],
        hops: Vec::new(),
        hosts: unprobed.iter().map(|v| v.host.to_owned()).collect(),
        evidence: Evidence::default(),
    })
}

/// Rule: the system context's proxy asks for authentication, with or without Windows
/// Integrated Authentication on offer.
fn proxy_auth(blockers: &[Blocker<'_, '_>]) -> Vec<Finding> {
    let integrated = of(blockers, |b| *b == Block::IntegratedAuth);
    let other = of(blockers, |b| *b == Block::OtherAuth);
    // Both texts name every proxy asking for authentication, whichever schemes it offered.
    let hops: Vec<Hop> = integrated
        .iter()
        .chain(&other)
        .map(|(_, r, _)| Hop::of(r))
        .collect();
    [
        (Code::SystemProxyAuthIntegrated, integrated),
        (Code::SystemProxyAuthOther, other),
    ]
    .into_iter()
    .filter(|(_, list)| !list.is_empty())
    .map(|(code, list)| Finding {
        code,
        contexts: vec![Context::System],
        hops: hops.clone(),
        hosts: hosts(&list),
        evidence: Evidence {
            refs: refs(&list),
            facts: Vec::new(),
            health: Some(Health::ProxyAuthRequired),
        },
    })
    .collect()
}

/// Rule: SSL inspection, of pinned endpoints and of storage endpoints judged against public
/// roots.
fn interception(blockers: &[Blocker<'_, '_>]) -> Vec<Finding> {
    [
        (Code::SystemTlsIntercepted, true),
        (Code::SystemTlsInterceptedPublic, false),
    ]
    .into_iter()
    .filter_map(|(code, pinned)| {
        let list = of(blockers, |b| *b == Block::Intercepted { pinned });
        (!list.is_empty()).then(|| Finding {
            code,
            contexts: vec![Context::System],
            hops: list.iter().map(|(_, r, _)| Hop::of(r)).collect(),
            hosts: hosts(&list),
            evidence: Evidence {
                refs: refs(&list),
                facts: Vec::new(),
                health: Some(if pinned {
                    Health::DiagnosticEndpoint { status: None }
                } else {
                    Health::EndpointConnectivity { status: None }
                }),
            },
        })
    })
    .collect()
}

/// Rule: each endpoint blocked at a hop, in the system context or in both.
fn blocked(blockers: &[Blocker<'_, '_>], user_present: bool) -> Vec<Finding> {
    of(blockers, |b| *b == Block::Blocked)
        .into_iter()
        .map(|(view, result, _)| {
            let user = best(&view.user);
            let both =
                user_present && !view.user.is_empty() && !matches!(user, Some((_, Block::Clean)));
            let mut refs = vec![result_ref(result)];
            let mut contexts = vec![Context::System];
            if both {
                contexts.push(Context::User);
                if let Some((user_result, _)) = user {
                    refs.push(result_ref(user_result));
                }
            }
            Finding {
                code: Code::SystemBlocked,
                contexts,
                hops: vec![Hop::of(result)],
                hosts: vec![view.host.to_owned()],
                evidence: Evidence {
                    refs,
                    facts: Vec::new(),
                    health: Some(health_for(result, view.host)),
                },
            }
        })
        .collect()
}

/// Remedies for proxy authentication: stop asking (bypass), or let computer accounts through.
fn proxy_auth_remedies(blockers: &[Blocker<'_, '_>]) -> Vec<Remedy> {
    let integrated = of(blockers, |b| *b == Block::IntegratedAuth);
    // The integrated hosts first, then the others.
    let all = [integrated.clone(), of(blockers, |b| *b == Block::OtherAuth)].concat();
    if all.is_empty() {
        return Vec::new();
    }
    let proxies = proxy_names(all.iter().map(|(_, r, _)| *r));
    let mut remedies = vec![Remedy {
        kind: FixKind::DropProxyAuth {
            proxies: proxies.clone(),
        },
        hosts: hosts(&all),
    }];
    if !integrated.is_empty() {
        remedies.push(Remedy {
            kind: FixKind::AllowComputerAccounts { proxies },
            hosts: hosts(&integrated),
        });
    }
    remedies
}

/// Remedy for SSL inspection: exclude the hosts, naming the product or CA when one was seen.
fn interception_remedies(blockers: &[Blocker<'_, '_>]) -> Option<Remedy> {
    let intercepted = of(blockers, |b| matches!(b, Block::Intercepted { .. }));
    (!intercepted.is_empty()).then(|| Remedy {
        kind: FixKind::ExcludeFromInspection {
            by: intercepted
                .iter()
                .find_map(|(_, r, _)| Hop::of(r).inspector),
        },
        hosts: hosts(&intercepted),
    })
}

/// Remedies for blocked hosts: DNS, the firewall and proxy, and the user's proxy for WinHTTP.
fn blocked_remedies(blockers: &[Blocker<'_, '_>], endpoints: &[EndpointView<'_>]) -> Vec<Remedy> {
    let blocked = of(blockers, |b| *b == Block::Blocked);
    if blocked.is_empty() {
        return Vec::new();
    }
    let (dns, other): (Vec<_>, Vec<_>) = blocked
        .iter()
        .copied()
        .partition(|(_, r, _)| r.status == Status::DnsFailed);
    let mut remedies = Vec::new();
    if !dns.is_empty() {
        remedies.push(Remedy {
            kind: FixKind::ResolveNames,
            hosts: hosts(&dns),
        });
    }
    if !other.is_empty() {
        remedies.push(Remedy {
            kind: FixKind::AllowThrough,
            hosts: hosts(&other),
        });
    }
    // The system context goes direct and fails, while the user's proxy works: point WinHTTP
    // (which LocalSystem uses) at that proxy.
    let direct = blocked
        .iter()
        .any(|(_, r, _)| matches!(r.route.route, Route::Direct));
    if direct && let Some(proxy) = working_user_proxy(endpoints) {
        remedies.push(Remedy {
            kind: FixKind::ShareUserProxy { proxy },
            hosts: Vec::new(),
        });
    }
    remedies
}

/// Rule: every system blocker offers Windows Integrated Authentication, so the device approach
/// fits.
pub(super) fn device_fits(blockers: &[Blocker<'_, '_>]) -> Finding {
    Finding {
        code: Code::DeviceApproachFits,
        contexts: vec![Context::System],
        hops: blockers.iter().map(|(_, r, _)| Hop::of(r)).collect(),
        hosts: hosts(blockers),
        evidence: Evidence {
            refs: blockers.iter().map(|(_, r, _)| result_ref(r)).collect(),
            facts: Vec::new(),
            health: Some(Health::ProxyAuthRequired),
        },
    }
}

/// Rule: the user context does not get through either; one hop per host that was probed.
fn user_blocked(endpoints: &[EndpointView<'_>]) -> Finding {
    let mut hosts = Vec::new();
    let mut hops = Vec::new();
    for view in endpoints {
        match best(&view.user) {
            Some((_, Block::Clean)) => {}
            Some((result, _)) => {
                hosts.push(view.host.to_owned());
                hops.push(Hop::of(result));
            }
            None => hosts.push(view.host.to_owned()),
        }
    }
    Finding {
        code: Code::UserBlocked,
        contexts: vec![Context::User],
        hops,
        hosts,
        evidence: Evidence::default(),
    }
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
    match result.status {
        // Through with credentials dapreflight supplied: the service has none of those.
        Status::Ok
            if result
                .proxy
                .as_ref()
                .and_then(|p| p.auth.as_ref())
                .is_some_and(|a| a.accepted) =>
        {
            auth()
        }
        Status::Ok => Block::Clean,
        Status::NotProbed => Block::NotProbed,
        Status::ProxyAuthRequired | Status::ProxyAuthRejected => auth(),
        Status::TlsIntercepted => {
            let rule = result.tls.as_ref().map(|tls| tls.trust.rule);
            let pinned = match rule {
                Some(rule) => rule == TrustRule::MicrosoftApplicationRoot,
                None => !result.host.ends_with(".blob.core.windows.net"),
            };
            Block::Intercepted { pinned }
        }
        _ => Block::Blocked,
    }
}

/// The Connection Health property a blocked result matches, with the status code it saw.
fn health_for(result: &ProbeResult, host: &str) -> Health {
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

/// The proxy the user context got through, from the first endpoint with a clean user result.
fn working_user_proxy(endpoints: &[EndpointView<'_>]) -> Option<String> {
    endpoints.iter().find_map(|view| match best(&view.user) {
        Some((result, Block::Clean)) => match &result.route.route {
            Route::Proxy { proxy } => Some(proxy.to_string()),
            Route::Direct | Route::Unprobeable { .. } => None,
        },
        _ => None,
    })
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

/// The blockers' hosts, in order, with adjacent repeats dropped.
fn hosts(list: &[Blocker<'_, '_>]) -> Vec<String> {
    let mut hosts: Vec<String> = list.iter().map(|(v, _, _)| v.host.to_owned()).collect();
    hosts.dedup();
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
        let cases = [
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
            ("DNS", probe(V10C).dns_failed(), Block::Blocked),
            ("timeout", probe(V10C).timeout(Stage::Tls), Block::Blocked),
            ("denied", probe(V10C).via(PROXY).denied(403), Block::Blocked),
            (
                "TLS failed",
                probe(V10C).status(Status::TlsFailed, Stage::Tls),
                Block::Blocked,
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
                Some(("system settings", Block::Blocked)),
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
        let cases: [(&str, Vec<ProbeResult>, &[Code], usize); 6] = [
            (
                "integrated",
                each(&HOSTS, |p| p.via(PROXY).auth(&["NTLM"])),
                &[Code::SystemProxyAuthIntegrated],
                2,
            ),
            (
                "Basic",
                each(&HOSTS, |p| p.via(PROXY).auth(&["Basic"])),
                &[Code::SystemProxyAuthOther],
                1,
            ),
            (
                "inspection",
                each(&HOSTS, |p| {
                    p.intercepted(TrustRule::MicrosoftApplicationRoot, Some("Zscaler"))
                }),
                &[Code::SystemTlsIntercepted],
                1,
            ),
            (
                "inspection of storage",
                each(&[WATCAB], |p| {
                    p.intercepted(TrustRule::MicrosoftPublicRoots, None)
                }),
                &[Code::SystemTlsInterceptedPublic],
                1,
            ),
            (
                "DNS and connect",
                vec![
                    probe(V10C).dns_failed().build(),
                    probe(SETTINGS).connect_failed().build(),
                ],
                &[Code::SystemBlocked, Code::SystemBlocked],
                2,
            ),
            (
                "one route clean, one not",
                vec![
                    probe(V10C).build(),
                    probe(V10C).source("PAC").via(PROXY).denied(403).build(),
                ],
                &[Code::SystemMixedRoutes],
                0,
            ),
        ];
        for (name, results, expected, remedies) in cases {
            let views = group(&results);
            let network = judge(&views, None);
            assert_eq!(codes(&network.findings), expected, "{name}");
            assert_eq!(network.remedies.len(), remedies, "{name}");
        }
    }

    #[test]
    fn a_blocked_endpoint_names_both_contexts_when_the_user_is_stuck_too() {
        let results = vec![
            probe(V10C).via(PROXY).connect_failed().build(),
            probe(V10C).user().via(PROXY).connect_failed().build(),
            probe(SETTINGS).connect_failed().build(),
            probe(SETTINGS).user().via(PROXY).build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        let blocked: Vec<&Finding> = network
            .findings
            .iter()
            .filter(|f| f.code == Code::SystemBlocked)
            .collect();
        assert_eq!(blocked[0].contexts, [Context::System, Context::User]);
        assert_eq!(blocked[0].evidence.refs.len(), 2);
        assert_eq!(blocked[1].contexts, [Context::System]);
        assert_eq!(
            network.findings.last().map(|f| f.code),
            Some(Code::UserBlocked)
        );
        // The system context went direct and the user's proxy worked for one host: share it.
        assert!(network.remedies.iter().any(|r| r.kind
            == FixKind::ShareUserProxy {
                proxy: PROXY.to_owned()
            }));
    }

    #[test]
    fn the_proxy_auth_remedies_list_integrated_hosts_first() {
        let results = vec![
            probe(V10C).via(PROXY).auth(&["Basic"]).build(),
            probe(SETTINGS).via(PROXY).auth(&["Negotiate"]).build(),
        ];
        let views = group(&results);
        let network = judge(&views, None);
        assert_eq!(network.remedies[0].hosts, [SETTINGS, V10C]);
        assert_eq!(network.remedies[1].hosts, [SETTINGS]);
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
        assert_eq!(network.approach, Approach::User);
        assert!(codes(&network.findings).contains(&Code::SystemNotProbed));
    }
}
