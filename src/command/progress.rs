//! The progress line `check` draws on stderr while probes run: how many are done of how many, and
//! which host it is still waiting for through which route, redrawn in place and cleared at the end.
//!
//! It listens to the probe layer's [`ProbeEvent`]s; the probe layer itself never prints.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::probe::{Job, ProbeEvent};
use crate::route::Route;

/// A run shorter than this shows no progress line at all.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// How often the line is redrawn while something changes.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// What the line shows: counts, and which jobs are running in the order they started.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    /// Per job: the host and the route, as the line names them.
    labels: Vec<String>,
    done: usize,
    /// Running jobs, oldest first: the oldest is the one the run waits for.
    running: Vec<usize>,
}

impl Progress {
    /// Progress over `jobs`, none started.
    pub(crate) fn new(jobs: &[Job]) -> Self {
        let labels = jobs
            .iter()
            .map(|job| {
                let host = job
                    .target
                    .as_ref()
                    .map_or_else(|| job.endpoint.url.clone(), |target| target.host.clone());
                match &job.route {
                    Route::Proxy { proxy } => format!("{host} via proxy {proxy}"),
                    Route::Direct => format!("{host} (direct)"),
                    Route::Unprobeable { .. } => host,
                }
            })
            .collect();
        Self {
            labels,
            done: 0,
            running: Vec::new(),
        }
    }

    /// Takes one event into account.
    pub(crate) fn apply(&mut self, event: ProbeEvent) {
        match event {
            ProbeEvent::Started(index) => self.running.push(index),
            ProbeEvent::Finished(index) => {
                self.running.retain(|running| *running != index);
                self.done += 1;
            }
        }
    }

    /// The line, at most `width - 1` columns so the terminal never wraps it, e.g.
    /// `probing 41/54 … waiting for v10c.events.data.microsoft.com via proxy 10.0.0.1:8080`.
    pub(crate) fn line(&self, width: u16) -> String {
        let mut line = format!("probing {}/{}", self.done, self.labels.len());
        if let Some(oldest) = self.running.first() {
            line.push_str(" … waiting for ");
            line.push_str(&self.labels[*oldest]);
            let others = self.running.len() - 1;
            if others > 0 {
                let _ = write!(line, " and {others} more");
            }
        }
        let room = usize::from(width.saturating_sub(1));
        if line.chars().count() > room {
            line = line.chars().take(room.saturating_sub(1)).collect();
            line.push('…');
        }
        line
    }
}

/// Draws `progress` on `err` from the events until the probes are done (the channel closes), then
/// clears the line. Nothing is drawn before [`QUIET_FOR`] has passed. Write errors are ignored: a
/// progress line is not worth failing a check for.
pub(crate) async fn show(
    mut progress: Progress,
    mut events: UnboundedReceiver<ProbeEvent>,
    width: u16,
    mut err: impl Write,
) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval_at(started + QUIET_FOR, REDRAW_EVERY);
    let mut drawn: usize = 0; // characters of the line on screen
    let mut changed = true;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    progress.apply(event);
                    changed = true;
                }
                None => break,
            },
            _ = ticks.tick(), if changed => {
                let line = progress.line(width);
                let count = line.chars().count();
                let padding = " ".repeat(drawn.saturating_sub(count));
                let _ = write!(err, "\r{line}{padding}");
                let _ = err.flush();
                drawn = count;
                changed = false;
            }
        }
    }
    if drawn > 0 {
        let _ = write!(err, "\r{}\r", " ".repeat(drawn));
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::ProxyAddr;

    fn jobs() -> Vec<Job> {
        let catalog = crate::catalog::load(None).expect("the built-in catalog");
        let endpoints = catalog.select("all").expect("the profile");
        let endpoint = endpoints
            .iter()
            .find(|e| e.target.host == "v10c.events.data.microsoft.com")
            .expect("v10c in the catalog")
            .clone();
        let proxy = ProxyAddr::parse("10.0.0.1:8080").expect("a proxy");
        vec![
            Job {
                target: Some(endpoint.target.clone()),
                endpoint: endpoint.clone(),
                route: Route::Proxy { proxy },
            },
            Job {
                target: Some(endpoint.target.clone()),
                endpoint,
                route: Route::Direct,
            },
        ]
    }

    #[test]
    fn the_line_counts_and_names_the_oldest_probe_still_running() {
        let mut progress = Progress::new(&jobs());
        assert_eq!(progress.line(200), "probing 0/2");
        progress.apply(ProbeEvent::Started(0));
        progress.apply(ProbeEvent::Started(1));
        assert_eq!(
            progress.line(200),
            "probing 0/2 … waiting for v10c.events.data.microsoft.com via proxy \
             10.0.0.1:8080 and 1 more"
        );
        progress.apply(ProbeEvent::Finished(0));
        assert_eq!(
            progress.line(200),
            "probing 1/2 … waiting for v10c.events.data.microsoft.com (direct)"
        );
        progress.apply(ProbeEvent::Finished(1));
        assert_eq!(progress.line(200), "probing 2/2");
    }

    #[test]
    fn the_line_never_reaches_the_last_column() {
        let mut progress = Progress::new(&jobs());
        progress.apply(ProbeEvent::Started(0));
        let line = progress.line(30);
        assert_eq!(line.chars().count(), 29, "{line}");
        assert!(line.ends_with('…'), "{line}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_over_a_second_is_drawn_in_place_and_cleared() {
        let (sink, events) = tokio::sync::mpsc::unbounded_channel();
        let mut out = Vec::new();
        let feed = async {
            sink.send(ProbeEvent::Started(0)).expect("listening");
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sink.send(ProbeEvent::Finished(0)).expect("listening");
            drop(sink);
        };
        let ((), ()) = tokio::join!(feed, show(Progress::new(&jobs()), events, 80, &mut out));
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(
            text.starts_with("\rprobing 0/2 … waiting for v10c.events.data.microsoft.com"),
            "{text:?}"
        );
        assert!(text.ends_with('\r'), "cleared at the end: {text:?}");
        assert!(!text.contains('\n'), "{text:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_under_a_second_draws_nothing() {
        let (sink, events) = tokio::sync::mpsc::unbounded_channel();
        let mut out = Vec::new();
        let feed = async {
            sink.send(ProbeEvent::Started(0)).expect("listening");
            tokio::time::sleep(Duration::from_millis(300)).await;
            sink.send(ProbeEvent::Finished(0)).expect("listening");
            drop(sink);
        };
        let ((), ()) = tokio::join!(feed, show(Progress::new(&jobs()), events, 80, &mut out));
        assert!(out.is_empty(), "{:?}", String::from_utf8_lossy(&out));
    }
}
