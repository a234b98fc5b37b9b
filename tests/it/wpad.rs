//! WPAD discovery against a PAC server on loopback, with names answered from a table.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dapreflight::TableResolver;
use dapreflight::{StepOutcome, WpadOptions, WpadReport, discover_wpad};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::support::{GARBAGE, closed_port, read_head};

const PAC: &str =
    "function FindProxyForURL(url, host) { return \"PROXY proxy.corp.example:3128\"; }";
const PAC_TYPE: &str = "application/x-ns-proxy-autoconfig";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How the PAC server answers one host.
#[derive(Clone)]
enum Answer {
    /// A complete answer with `Content-Length`.
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Reads the request and never answers.
    Stall,
    /// A 200 head, then body bytes until the client goes away.
    Endless,
    /// Bytes that are not HTTP.
    Garbage,
    /// Half a head, then the connection closes.
    CloseEarly,
}

impl Answer {
    fn pac() -> Answer {
        Answer::Reply {
            status: 200,
            headers: vec![("Content-Type", PAC_TYPE.to_owned())],
            body: PAC.as_bytes().to_vec(),
        }
    }

    fn status(status: u16) -> Answer {
        Answer::Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// An HTTP server on 127.0.0.1 answering by `Host` (without port); other hosts get 404.
struct PacServer {
    addr: SocketAddr,
    hosts: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl PacServer {
    async fn start(answers: &[(&str, Answer)]) -> PacServer {
        let answers: HashMap<String, Answer> = answers
            .iter()
            .map(|(host, answer)| ((*host).to_owned(), answer.clone()))
            .collect();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&hosts);
        let task = tokio::spawn(async move {
            // Dropping the set when the accept task is aborted aborts every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let answers = answers.clone();
                let seen = Arc::clone(&seen);
                connections.spawn(async move {
                    let mut tcp = BufReader::new(tcp);
                    let Some(head) = read_head(&mut tcp).await else {
                        return;
                    };
                    let host = host_of(&head);
                    seen.lock().unwrap().push(host.clone());
                    let host = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
                    let answer = answers.get(host).cloned().unwrap_or(Answer::status(404));
                    answer_with(tcp.get_mut(), answer).await;
                });
            }
        });
        PacServer { addr, hosts, task }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The `Host` header of each request, oldest first.
    fn hosts(&self) -> Vec<String> {
        self.hosts.lock().unwrap().clone()
    }
}

impl Drop for PacServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn host_of(head: &[u8]) -> String {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("host")
                .then(|| value.trim().to_ascii_lowercase())
        })
        .unwrap_or_default()
}

async fn answer_with(tcp: &mut tokio::net::TcpStream, answer: Answer) {
    match answer {
        Answer::Reply {
            status,
            headers,
            body,
        } => {
            let mut lines = String::new();
            for (name, value) in headers {
                write!(lines, "{name}: {value}\r\n").unwrap();
            }
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nConnection: close\r\n{lines}\
                 Content-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = tcp.write_all(head.as_bytes()).await;
            let _ = tcp.write_all(&body).await;
        }
        Answer::Stall => tokio::time::sleep(Duration::from_secs(3600)).await,
        Answer::Endless => {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {PAC_TYPE}\r\n\r\n");
            let _ = tcp.write_all(head.as_bytes()).await;
            let chunk = vec![b'/'; 16 * 1024];
            while tcp.write_all(&chunk).await.is_ok() {}
        }
        Answer::Garbage => {
            let _ = tcp.write_all(GARBAGE).await;
        }
        Answer::CloseEarly => {
            let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Le").await;
        }
    }
}

fn options(domain: &str, names: &[&str], port: u16) -> WpadOptions {
    let resolver = TableResolver::new(names.iter().map(|name| (*name, LOOPBACK)));
    WpadOptions {
        domain: Some(domain.to_owned()),
        timeout: Duration::from_millis(500),
        max_size: 64 * 1024,
        port,
        query_os: false,
        ..WpadOptions::new(Arc::new(resolver))
    }
}

/// The outcome of the step named `what`.
fn outcome<'a>(report: &'a WpadReport, what: &str) -> &'a StepOutcome {
    &report
        .steps
        .iter()
        .find(|step| step.what == what)
        .unwrap_or_else(|| panic!("no step '{what}' in {report:#?}"))
        .outcome
}

fn warned(report: &WpadReport, words: &str) -> bool {
    report.warnings.iter().any(|w| w.contains(words))
}

#[tokio::test]
async fn pac_is_found_at_the_second_candidate_after_the_first_does_not_resolve() {
    let server = PacServer::start(&[("wpad.corp.example", Answer::pac())]).await;
    let options = options("b.corp.example", &["wpad.corp.example"], server.port());
    let report = discover_wpad(&options).await;

    let port = server.port();
    assert_eq!(
        report.candidates,
        ["wpad.b.corp.example", "wpad.corp.example"]
    );
    assert!(matches!(
        outcome(&report, "DNS wpad.b.corp.example"),
        StepOutcome::NotFound { .. }
    ));
    assert!(matches!(
        outcome(&report, "DNS wpad.corp.example"),
        StepOutcome::Found { .. }
    ));
    let get = format!("GET http://wpad.corp.example:{port}/wpad.dat");
    assert!(matches!(outcome(&report, &get), StepOutcome::Found { .. }));
    let pac = report.pac.as_ref().expect("a PAC");
    assert_eq!(pac.url, format!("http://wpad.corp.example:{port}/wpad.dat"));
    assert_eq!(pac.source, PAC);
    assert_eq!(pac.served_by, server.addr);
    assert_eq!(pac.found_by, "DNS wpad.corp.example");
    assert_eq!(
        server.hosts(),
        [format!("wpad.corp.example:{port}")],
        "fetched directly, with the candidate as Host"
    );
    let domain = report.domain.as_ref().expect("a domain");
    assert_eq!(
        (domain.name.as_str(), domain.source.as_str()),
        ("b.corp.example", "--wpad-domain")
    );
    assert!(warned(
        &report,
        "climbed from b.corp.example to wpad.corp.example"
    ));
    assert!(
        !warned(&report, "serves its PAC as"),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn a_404_at_the_first_candidate_moves_on_and_later_candidates_are_skipped_once_found() {
    let server = PacServer::start(&[
        ("wpad.a.b.corp.example", Answer::status(404)),
        ("wpad.b.corp.example", Answer::pac()),
    ])
    .await;
    let names = [
        "wpad.a.b.corp.example",
        "wpad.b.corp.example",
        "wpad.corp.example",
    ];
    let report = discover_wpad(&options("a.b.corp.example", &names, server.port())).await;

    let port = server.port();
    let first = format!("GET http://wpad.a.b.corp.example:{port}/wpad.dat");
    assert!(
        matches!(outcome(&report, &first), StepOutcome::NotFound { reason } if reason.contains("404"))
    );
    let step = report.steps.iter().find(|s| s.what == first).unwrap();
    assert_eq!(step.response.as_ref().map(|r| r.status), Some(404));
    assert_eq!(
        report.pac.as_ref().map(|p| p.found_by.as_str()),
        Some("DNS wpad.b.corp.example")
    );
    assert!(matches!(
        outcome(&report, "DNS wpad.corp.example"),
        StepOutcome::Skipped { .. }
    ));
    assert_eq!(server.hosts().len(), 2, "nothing fetched after the PAC");
}

#[tokio::test]
async fn a_stalled_server_times_out_within_the_deadline() {
    let server = PacServer::start(&[("wpad.corp.example", Answer::Stall)]).await;
    let options = options("corp.example", &["wpad.corp.example"], server.port());
    let started = Instant::now();
    let report = discover_wpad(&options).await;

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let get = format!("GET http://wpad.corp.example:{}/wpad.dat", server.port());
    assert_eq!(
        outcome(&report, &get),
        &StepOutcome::TimedOut { after_ms: 500 }
    );
    let step = report.steps.iter().find(|s| s.what == get).unwrap();
    assert!(
        (500..2000).contains(&step.elapsed_ms),
        "{}",
        step.elapsed_ms
    );
    assert!(report.pac.is_none());
}

#[tokio::test]
async fn an_endless_or_oversized_body_is_capped_not_read_to_the_end() {
    let big = Answer::Reply {
        status: 200,
        headers: vec![("Content-Type", PAC_TYPE.to_owned())],
        body: format!("{PAC}{}", " ".repeat(70 * 1024)).into_bytes(),
    };
    for answer in [Answer::Endless, big] {
        let server = PacServer::start(&[("wpad.corp.example", answer)]).await;
        let options = options("corp.example", &["wpad.corp.example"], server.port());
        let report = discover_wpad(&options).await;

        let get = format!("GET http://wpad.corp.example:{}/wpad.dat", server.port());
        assert_eq!(
            outcome(&report, &get),
            &StepOutcome::TooLarge {
                limit_bytes: 64 * 1024
            }
        );
        let step = report.steps.iter().find(|s| s.what == get).unwrap();
        let read = step.response.as_ref().map(|r| r.body_bytes).unwrap();
        assert!(read <= 64 * 1024, "{read}");
        assert!(report.pac.is_none());
    }
}

#[tokio::test]
async fn a_redirect_is_reported_with_its_location_and_not_followed() {
    let redirect = Answer::Reply {
        status: 302,
        headers: vec![("Location", "http://pac.elsewhere.test/wpad.dat".to_owned())],
        body: Vec::new(),
    };
    let server = PacServer::start(&[
        ("wpad.corp.example", redirect),
        ("pac.elsewhere.test", Answer::pac()),
    ])
    .await;
    let options = options(
        "corp.example",
        &["wpad.corp.example", "pac.elsewhere.test"],
        server.port(),
    );
    let report = discover_wpad(&options).await;

    let get = format!("GET http://wpad.corp.example:{}/wpad.dat", server.port());
    assert!(matches!(
        outcome(&report, &get),
        StepOutcome::NotFound { reason } if reason.contains("302") && reason.contains("http://pac.elsewhere.test/wpad.dat")
    ));
    let step = report.steps.iter().find(|s| s.what == get).unwrap();
    assert_eq!(
        step.response.as_ref().and_then(|r| r.location.as_deref()),
        Some("http://pac.elsewhere.test/wpad.dat")
    );
    assert!(
        warned(&report, "another host (pac.elsewhere.test)"),
        "{:?}",
        report.warnings
    );
    assert!(report.pac.is_none());
    assert_eq!(server.hosts().len(), 1, "the redirect was not followed");
}

#[tokio::test]
async fn a_body_without_find_proxy_for_url_is_warned_about_and_not_taken_as_a_pac() {
    let html = Answer::Reply {
        status: 200,
        headers: vec![("Content-Type", "text/html".to_owned())],
        body: b"<html>It works!</html>".to_vec(),
    };
    let server = PacServer::start(&[("wpad.corp.example", html)]).await;
    let options = options("corp.example", &["wpad.corp.example"], server.port());
    let report = discover_wpad(&options).await;

    let get = format!("GET http://wpad.corp.example:{}/wpad.dat", server.port());
    assert!(matches!(
        outcome(&report, &get),
        StepOutcome::NotFound { reason } if reason.contains("not a PAC")
    ));
    assert!(report.pac.is_none());
    assert!(warned(&report, "not a PAC"), "{:?}", report.warnings);
}

#[tokio::test]
async fn a_pac_served_with_another_media_type_is_taken_with_a_warning() {
    let plain = Answer::Reply {
        status: 200,
        headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
        body: PAC.as_bytes().to_vec(),
    };
    let server = PacServer::start(&[("wpad.corp.example", plain)]).await;
    let options = options("corp.example", &["wpad.corp.example"], server.port());
    let report = discover_wpad(&options).await;

    assert!(report.pac.is_some());
    assert!(
        warned(&report, "serves its PAC as 'text/plain'"),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn no_record_anywhere_with_auto_detect_on_is_warned_about() {
    let options = WpadOptions {
        auto_detect_on: true,
        ..options("a.corp.example", &[], 9)
    };
    let report = discover_wpad(&options).await;

    assert!(report.pac.is_none());
    assert!(
        report
            .steps
            .iter()
            .filter(|s| s.what.starts_with("DNS wpad."))
            .all(|s| matches!(s.outcome, StepOutcome::NotFound { .. }))
    );
    assert!(
        warned(&report, "there is no WPAD record"),
        "{:?}",
        report.warnings
    );
    let quiet = discover_wpad(&WpadOptions {
        auto_detect_on: false,
        ..options
    })
    .await;
    assert!(!warned(&quiet, "auto-detect is on"), "{:?}", quiet.warnings);
}

#[tokio::test]
async fn hostile_servers_are_failed_steps_not_crashes() {
    for answer in [Answer::Garbage, Answer::CloseEarly] {
        let server = PacServer::start(&[("wpad.corp.example", answer)]).await;
        let options = options("corp.example", &["wpad.corp.example"], server.port());
        let report = discover_wpad(&options).await;

        let get = format!("GET http://wpad.corp.example:{}/wpad.dat", server.port());
        assert!(
            matches!(outcome(&report, &get), StepOutcome::Failed { .. }),
            "{report:#?}"
        );
        assert!(report.pac.is_none());
    }
}

#[tokio::test]
async fn a_closed_port_is_a_failed_fetch() {
    let port = closed_port().port();
    let report = discover_wpad(&options("corp.example", &["wpad.corp.example"], port)).await;

    let get = format!("GET http://wpad.corp.example:{port}/wpad.dat");
    assert!(matches!(
        outcome(&report, &get),
        StepOutcome::Failed { reason } if reason.contains("refused")
    ));
}

#[tokio::test]
async fn a_public_suffix_walk_never_queries_wpad_under_the_suffix() {
    let server = PacServer::start(&[("wpad.co.uk", Answer::pac())]).await;
    let options = options("corp.co.uk", &["wpad.co.uk"], server.port());
    let report = discover_wpad(&options).await;

    assert_eq!(report.candidates, ["wpad.corp.co.uk"]);
    assert!(!report.steps.iter().any(|s| s.what.contains("wpad.co.uk")));
    assert!(warned(&report, "wpad.co.uk"), "{:?}", report.warnings);
    assert!(report.pac.is_none());
    assert!(server.hosts().is_empty());
}

#[tokio::test]
async fn os_steps_are_reported_even_when_not_taken() {
    let report = discover_wpad(&options("corp.example", &[], 9)).await;

    let dhcp = outcome(&report, "DHCP option 252");
    let winhttp = outcome(&report, "WinHTTP DNS detection");
    if cfg!(windows) {
        assert!(matches!(dhcp, StepOutcome::Skipped { .. }), "{dhcp:?}");
        assert!(
            matches!(winhttp, StepOutcome::Skipped { .. }),
            "{winhttp:?}"
        );
    } else {
        assert!(
            matches!(dhcp, StepOutcome::NotApplicable { .. }),
            "{dhcp:?}"
        );
        assert!(
            matches!(winhttp, StepOutcome::NotApplicable { .. }),
            "{winhttp:?}"
        );
    }
    let no_domain = discover_wpad(&WpadOptions {
        domain: None,
        ..options("unused.example", &[], 9)
    })
    .await;
    assert!(matches!(
        outcome(&no_domain, "DNS suffix"),
        StepOutcome::Skipped { .. }
    ));
    assert!(no_domain.candidates.is_empty());
}

#[tokio::test]
async fn the_report_names_the_pac_where_it_was_found_and_the_answer_that_gave_it() {
    let server = PacServer::start(&[("wpad.corp.example", Answer::pac())]).await;
    let options = options("corp.example", &["wpad.corp.example"], server.port());
    let report = discover_wpad(&options).await;

    let pac = report.pac.as_ref().unwrap();
    assert_eq!(pac.found_by, "DNS wpad.corp.example");
    assert_eq!(report.domain.as_ref().unwrap().source, "--wpad-domain");
    let get = report
        .steps
        .iter()
        .find(|step| step.what.starts_with("GET "))
        .unwrap();
    assert_eq!(
        get.outcome.to_string(),
        format!("found: a {}-byte PAC", PAC.len())
    );
    let response = get.response.as_ref().unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some(PAC_TYPE));
}
