//! The plan: every endpoint paired with the route each context takes to it, and the probes that
//! covers, each distinct (endpoint, route) once.

use crate::catalog::Endpoint;
use crate::probe::Job;
use crate::proxy::ContextConfig;
use crate::route::{Context, RouteChoice};

/// Everything `check` will probe: each distinct (target, route) once, with the contexts using it.
#[derive(Clone, Debug)]
pub struct Plan {
    pub probes: Vec<PlannedProbe>,
}

/// One probe and every context that would take the same route to the same target.
#[derive(Clone, Debug)]
pub struct PlannedProbe {
    pub job: Job,
    /// (context, where its route came from), in context order.
    pub contexts: Vec<(Context, RouteChoice)>,
}

/// The route one context takes to one endpoint.
#[derive(Clone, Debug)]
pub(crate) struct RoutedEndpoint<'a> {
    pub endpoint: &'a Endpoint,
    pub context: Context,
    pub choice: RouteChoice,
}

/// Every endpoint × context × route, in catalog order, then context order: what `proxy` shows and
/// what `check` plans from.
#[must_use]
pub(crate) fn routes<'a>(
    endpoints: &'a [Endpoint],
    contexts: &[ContextConfig],
) -> Vec<RoutedEndpoint<'a>> {
    let mut routed = Vec::new();
    for endpoint in endpoints {
        let probed = endpoint.probe_target();
        let target = probed.as_ref().unwrap_or(&endpoint.target);
        for context in contexts {
            for choice in context.routes_for(target) {
                routed.push(RoutedEndpoint {
                    endpoint,
                    context: context.name,
                    choice,
                });
            }
        }
    }
    routed
}

/// Pairs every endpoint with the routes each context takes to it; identical pairs are probed once
/// and reported for every context (and source) that uses them.
#[must_use]
pub fn plan(endpoints: &[Endpoint], contexts: &[ContextConfig]) -> Plan {
    let mut probes: Vec<PlannedProbe> = Vec::new();
    for routed in routes(endpoints, contexts) {
        let existing = probes.iter_mut().find(|probe| {
            probe.job.endpoint.url == routed.endpoint.url && probe.job.route == routed.choice.route
        });
        match existing {
            Some(probe) => probe.contexts.push((routed.context, routed.choice)),
            None => probes.push(PlannedProbe {
                job: Job {
                    endpoint: routed.endpoint.clone(),
                    target: routed.endpoint.probe_target(),
                    route: routed.choice.route.clone(),
                },
                contexts: vec![(routed.context, routed.choice)],
            }),
        }
    }
    Plan { probes }
}

impl Plan {
    /// The probes to run, in plan order.
    #[must_use]
    pub fn jobs(&self) -> Vec<Job> {
        self.probes.iter().map(|probe| probe.job.clone()).collect()
    }
}
