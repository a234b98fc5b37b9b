//! The first screen of the common outcomes at 80 columns: the verdict, its reasons and its fixes
//! fit in 25 lines, prose wrapped to the width, commands whole; pinned as snapshots so that every
//! change to what a technician reads first is seen in review.

use std::time::Duration;

use dapreflight::{DeviceFiles, Format, ProxyAddr, ProxyOverride, ProxySources, Report, Route};

use crate::snapshots::{Outcome, device_export, flag, host, report, style, testdata};

/// The lines of the first screen a technician reads before the results.
const FIRST_SCREEN: usize = 25;
const WIDTH: u16 = 80;

/// The verdict block as `check` prints it at 80 columns, without the settings.
fn verdict_block(report: &Report) -> String {
    let mut out = Vec::new();
    dapreflight::render_verdict(&report.verdict, None, style(Format::Table, WIDTH), &mut out)
        .expect("rendering to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// Checks the block's size and width, and pins it.
fn first_screen(name: &str, report: &Report) {
    let block = verdict_block(report);
    let lines: Vec<&str> = block.lines().collect();
    assert!(
        lines.len() <= FIRST_SCREEN,
        "{name}: {} lines\n{block}",
        lines.len()
    );
    let commands: Vec<&String> = report
        .verdict
        .fixes
        .iter()
        .flat_map(|f| &f.commands)
        .collect();
    for line in &lines {
        let is_command = commands.iter().any(|c| line.trim() == c.as_str());
        assert!(
            is_command || line.chars().count() <= usize::from(WIDTH),
            "{name}: over {WIDTH} columns: {line}"
        );
    }
    // The whole table output starts with the same block.
    let table = crate::snapshots::rendered(report, Format::Table, WIDTH);
    assert!(table.starts_with(lines[0]), "{name}");
    insta::assert_snapshot!(format!("first_screen.{name}"), block);
}

fn direct() -> ProxySources {
    flag(ProxyOverride::Direct)
}

fn via(proxy: &str) -> ProxySources {
    flag(ProxyOverride::Proxy(
        ProxyAddr::parse(proxy).expect("a proxy"),
    ))
}

#[tokio::test]
async fn a_ready_device_says_so_in_one_screen() {
    let (_, _, settings) = device_export("settings/win11-enrolled.reg");
    let report = report(direct(), &DeviceFiles::default(), settings, |_, _| {
        Outcome::Answer(404)
    })
    .await;
    assert!(report.verdict.ready);
    first_screen("ready", &report);
}

#[tokio::test]
async fn no_network_at_all_is_one_reason_in_words() {
    let report = report(direct(), &DeviceFiles::default(), None, |_, _| {
        Outcome::NoNetwork
    })
    .await;
    let block = verdict_block(&report);
    assert!(block.contains("no DNS server reachable"), "{block}");
    assert!(!block.contains("no connections available"), "{block}");
    first_screen("no_network", &report);
}

#[tokio::test]
async fn names_that_do_not_resolve_are_one_reason_with_nslookup() {
    let report = report(direct(), &DeviceFiles::default(), None, |endpoint, _| {
        if host(endpoint).ends_with(".blob.core.windows.net") {
            Outcome::DnsFailed
        } else {
            Outcome::Answer(404)
        }
    })
    .await;
    let block = verdict_block(&report);
    assert!(
        block.contains("nslookup ceuswatcab01.blob.core.windows.net"),
        "{block}"
    );
    first_screen("dns_failures", &report);
}

#[tokio::test]
async fn a_407_in_the_system_context_leads_to_the_computer_accounts() {
    let report = report(
        via("proxy.corp.example:8080"),
        &DeviceFiles::default(),
        None,
        |_, _| Outcome::Auth(&["Negotiate", "NTLM"]),
    )
    .await;
    assert_eq!(report.verdict.fixes[0].kind, "allow_computer_accounts");
    first_screen("system_407", &report);
}

#[tokio::test]
async fn interception_names_the_product_to_exclude_hosts_on() {
    let report = crate::snapshots::through_an_inspecting_proxy().await;
    assert!(verdict_block(&report).contains("on Zscaler"));
    first_screen("interception", &report);
}

#[tokio::test]
async fn only_the_user_context_getting_through_gives_winhttp_its_route() {
    let report = crate::snapshots::only_the_user_gets_through().await;
    assert_eq!(report.verdict.fixes[0].kind, "share_user_route");
    first_screen("only_user", &report);
}

#[tokio::test]
async fn a_dead_winhttp_proxy_is_one_reason_about_the_proxy() {
    let files = DeviceFiles {
        registry: vec![testdata("registry/user-proxy-device.synthetic.reg")],
        netsh: vec![testdata("netsh/show-proxy-dead-loopback.synthetic.txt")],
    };
    let sources = ProxySources {
        timeout: Duration::from_secs(2),
        ..ProxySources::default()
    };
    let device = dapreflight::read_device(&sources, &files).expect("the device export");
    let settings = device.settings().map(Box::new);
    let report = report(sources, &files, settings, |_, route| match route {
        // The network lets nothing out directly; only the user's proxy works.
        Route::Proxy { proxy } if proxy.host == "user-proxy.corp.example" => Outcome::Answer(404),
        _ => Outcome::ConnectRefused,
    })
    .await;
    let block = verdict_block(&report);
    assert!(block.contains("127.0.0.1:18439"), "{block}");
    assert!(
        block.contains(r#"netsh winhttp set proxy proxy-server="user-proxy.corp.example:3128""#),
        "{block}"
    );
    first_screen("dead_winhttp_proxy", &report);
    // The whole of what `check` prints for it at 80 columns (the README shows it).
    insta::assert_snapshot!(
        "first_screen.dead_winhttp_proxy.whole",
        crate::snapshots::rendered(&report, Format::Table, WIDTH)
    );
    let mut report = report;
    report.generated_at = "2026-11-30T02:00:00Z".to_owned();
    insta::assert_snapshot!(
        "first_screen.dead_winhttp_proxy.json",
        crate::snapshots::rendered(&report, Format::Json, WIDTH)
    );
}
