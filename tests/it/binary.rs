//! The `dapreflight` binary: exit codes, `--help`, bad input, files and secrets.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer, closed_port};

/// Runs the binary with only the given environment, killing it if it runs past 60 s.
pub fn dapreflight(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dapreflight"));
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start dapreflight");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll child").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill a hung dapreflight");
            panic!("dapreflight {args:?} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("collect output")
}

/// Runs the binary on a blocking thread so in-process peers keep serving.
pub async fn dapreflight_async(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        dapreflight(&args, &env)
    })
    .await
    .expect("runner thread")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes an endpoint file and returns its path as a string.
pub fn endpoint_file(dir: &Path, yaml: &str) -> String {
    let path = dir.join("endpoints.yaml");
    std::fs::write(&path, yaml).expect("write endpoint file");
    path.display().to_string()
}

/// The arguments for one origin endpoint, pinned and trusted.
pub fn origin_args(dir: &Path, ca: &Ca, origin: &TlsServer) -> Vec<String> {
    let file = endpoint_file(
        dir,
        &format!(
            "endpoints:\n  - url: https://origin.test:{}/\n",
            origin.port()
        ),
    );
    vec![
        "check".into(),
        "--endpoints".into(),
        file,
        "--resolve".into(),
        format!("origin.test:{}:127.0.0.1", origin.port()),
        "--trust-anchor".into(),
        ca.write_pem(dir).display().to_string(),
        "--timeout".into(),
        "3".into(),
    ]
}

#[test]
fn help_documents_every_check_flag_with_an_example() {
    let out = dapreflight(&["check", "--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for flag in [
        "--profile",
        "--endpoints",
        "--proxy",
        "--direct",
        "--resolve",
        "--dns-server",
        "--trust-anchor",
        "--timeout",
        "--concurrency",
        "--format",
        "--output",
        "--ask-credentials",
        "DAPREFLIGHT_PROXY_USER",
        "Exit codes",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(help.matches("e.g.").count() >= 10, "{help}");
    let top = dapreflight(&["--help"], &[]);
    assert_eq!(top.status.code(), Some(0));
    assert!(text(&top.stdout).contains("endpoints"));
}

#[test]
fn a_malformed_endpoint_file_is_exit_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = endpoint_file(
        dir.path(),
        "endpoints:\n  - url: https://ok.test/\n  - url: ftp://bad.test/\n",
    );
    let out = dapreflight(&["check", "--endpoints", &file], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.starts_with("dapreflight: "), "{err}");
    assert!(
        err.contains("endpoints.yaml") && err.contains("line 3"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let missing = dapreflight(&["check", "--endpoints", "/nonexistent/list.yaml"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/nonexistent/list.yaml"));
}

#[test]
fn credentials_on_the_command_line_are_refused_without_echoing_them() {
    let out = dapreflight(
        &["check", "--proxy", "http://alice:s3cret@127.0.0.1:3128"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("DAPREFLIGHT_PROXY_USER") && err.contains("DAPREFLIGHT_PROXY_PASSWORD"),
        "{err}"
    );
    assert!(!err.contains("s3cret") && !err.contains("alice"), "{err}");
}

#[test]
fn bad_flag_values_are_exit_2() {
    for args in [
        &["check", "--timeout", "0"][..],
        &["check", "--concurrency", "0"],
        &["check", "--resolve", "nope"],
        &["check", "--dns-server", "not-an-ip"],
        &["check", "--proxy", "socks5://127.0.0.1:1080"],
        &["check", "--profile", "no-such-profile"],
        &["check", "--format", "xml"],
        &["check", "--proxy", "http://127.0.0.1:1", "--direct"],
        &["check", "--trust-anchor", "/nonexistent.pem"],
    ] {
        let out = dapreflight(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_ok_is_exit_0_and_a_finding_is_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    // Wide enough for the table (piped output is laid out for 80 columns otherwise).
    let wide = vec![("COLUMNS".to_owned(), "300".to_owned())];
    let out = dapreflight_async(origin_args(dir.path(), &ca, &origin), wide).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let table = text(&out.stdout);
    assert!(
        table.contains("origin.test") && table.contains(" ok "),
        "{table}"
    );
    assert!(table.contains("1 result in 1 context: 1 ok"), "{table}");

    let refused = closed_port();
    let file = endpoint_file(
        dir.path(),
        &format!(
            "endpoints:\n  - url: https://origin.test:{}/\n",
            refused.port()
        ),
    );
    let args = vec![
        "check".into(),
        "--endpoints".into(),
        file,
        "--resolve".into(),
        format!("origin.test:{}:127.0.0.1", refused.port()),
    ];
    let out = dapreflight_async(args, vec![]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("connect_failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_goes_to_the_output_file_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let report = dir.path().join("report.json");
    let mut args = origin_args(dir.path(), &ca, &origin);
    args.extend([
        "--format".into(),
        "json".into(),
        "--output".into(),
        report.display().to_string(),
    ]);
    let out = dapreflight_async(args, vec![]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "the report went to the file");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report file"))
            .expect("json");
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["results"][0]["status"], "ok");
    assert_eq!(json["results"][0]["context"], "environment");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_proxy_is_used_and_named_and_credentials_stay_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    // Basic only: with Negotiate offered too, explicit credentials would answer with NTLM.
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Basic realm=\"corp\"".into()],
        accept: Some(("alice".into(), "Very-Secret-99".into())),
    })
    .await;
    let mut args = origin_args(dir.path(), &ca, &origin);
    args.drain(3..5); // the proxy resolves origin.test: no --resolve
    for format in ["table", "json"] {
        let mut args = args.clone();
        args.extend(["--format".into(), format.into()]);
        let env = vec![
            ("COLUMNS".to_owned(), "300".to_owned()),
            ("HTTPS_PROXY".to_owned(), proxy.url()),
            ("DAPREFLIGHT_PROXY_USER".to_owned(), "alice".to_owned()),
            (
                "DAPREFLIGHT_PROXY_PASSWORD".to_owned(),
                "Very-Secret-99".to_owned(),
            ),
        ];
        let out = dapreflight_async(args, env).await;
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        // The probe got through with our credentials, but the diagnostic-data service has none:
        // the verdict is not ready (exit 1), and says authentication is in the way.
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        assert!(stdout.contains("HTTPS_PROXY"), "{stdout}");
        assert!(
            stdout.contains("accepted the Basic credentials"),
            "{stdout}"
        );
        for secret in ["Very-Secret-99", "YWxpY2U6VmVyeS1TZWNyZXQtOTk="] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{secret} leaked"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_a_proxy_reflects_reach_no_stream_and_no_report_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    // 403: refused after the credentials; 200: accepted, so the table shows the auth line.
    for status in [403, 200] {
        let proxy = FakeProxy::start(ProxyBehavior::ReflectAuth(status)).await;
        reflected_credentials_stay_out_of_every_output(dir.path(), &ca, &origin, &proxy).await;
    }
}

async fn reflected_credentials_stay_out_of_every_output(
    dir: &Path,
    ca: &Ca,
    origin: &TlsServer,
    proxy: &FakeProxy,
) {
    let (user, password) = ("alice", "Reflected/Pw-7");
    let secrets = crate::auth::reflected_secrets(user, password);
    let report = dir.join("report.json");
    let env = vec![
        ("COLUMNS".to_owned(), "300".to_owned()),
        ("HTTPS_PROXY".to_owned(), proxy.url()),
        ("DAPREFLIGHT_PROXY_USER".to_owned(), user.to_owned()),
        ("DAPREFLIGHT_PROXY_PASSWORD".to_owned(), password.to_owned()),
    ];
    let base = origin_args(dir, ca, origin);
    let runs = [
        vec!["--format".to_owned(), "table".to_owned()],
        vec![
            "--format".to_owned(),
            "table".to_owned(),
            "--verbose".to_owned(),
        ],
        vec!["--format".to_owned(), "json".to_owned()],
        vec![
            "--format".to_owned(),
            "json".to_owned(),
            "--output".to_owned(),
            report.display().to_string(),
            "--verbose".to_owned(),
        ],
    ];
    for extra in runs {
        let mut args = base.clone();
        args.extend(extra.iter().cloned());
        let out = dapreflight_async(args, env.clone()).await;
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let mut streams = vec![("stdout", text(&out.stdout)), ("stderr", text(&out.stderr))];
        if extra.len() == 5 {
            streams.push((
                "report file",
                std::fs::read_to_string(&report).expect("report"),
            ));
        }
        if extra[1] == "json" {
            let json = if extra.len() == 5 {
                &streams[2].1
            } else {
                &streams[0].1
            };
            assert!(json.contains("[redacted]"), "{json}");
            assert!(json.contains("\"presenting\""), "{json}");
        } else {
            // Who was presented, and how it ended, is named; never with what.
            let stdout = &streams[0].1;
            assert!(
                stdout.contains("Basic as alice (explicit credentials): "),
                "{stdout}"
            );
        }
        for (name, stream) in &streams {
            for secret in &secrets {
                assert!(
                    !stream.contains(secret.as_str()),
                    "{extra:?} {name}: {secret} leaked:\n{stream}"
                );
            }
        }
    }
}

#[test]
fn endpoints_lists_the_catalog_and_rejects_unknown_profiles() {
    let out = dapreflight(&["endpoints", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let urls: Vec<&str> = json["endpoints"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["url"].as_str())
        .collect();
    assert!(
        urls.contains(&"https://v10c.events.data.microsoft.com"),
        "{urls:?}"
    );
    // The default is the current Endpoints table: no adl.windows.com, the wildcard rows in.
    assert!(urls.contains(&"https://oca.microsoft.com"), "{urls:?}");
    assert!(
        urls.contains(&"https://*-kmwatsonc.events.data.microsoft.com"),
        "{urls:?}"
    );
    assert!(!urls.contains(&"http://adl.windows.com"), "{urls:?}");
    assert_eq!(urls.len(), 18, "{urls:?}");
    let old = dapreflight(
        &[
            "endpoints",
            "--profile",
            "desktop-analytics",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        old.status.code(),
        Some(0),
        "desktop-analytics stays selectable"
    );
    assert!(text(&old.stdout).contains("http://adl.windows.com"));
    let all = dapreflight(&["endpoints", "--profile", "all"], &[("COLUMNS", "300")]);
    assert_eq!(all.status.code(), Some(0));
    assert!(text(&all.stdout).contains("*.manage.microsoft.com"));
    let bad = dapreflight(&["endpoints", "--profile", "nope"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("desktop-analytics"),
        "{}",
        text(&bad.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_store_from_ssl_cert_file_decides_interception_versus_untrusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inspection = Ca::generate("Corp Inspection CA");
    let store = inspection.write_pem(dir.path()).display().to_string();
    let proxy = FakeProxy::start(ProxyBehavior::Intercept(inspection.clone())).await;
    let args: Vec<String> = ["check", "--proxy", &proxy.url(), "--format", "json"]
        .iter()
        .map(ToString::to_string)
        .collect();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("empty store");
    for (cert_file, expected) in [
        (store.clone(), "tls_intercepted"),
        (empty.display().to_string(), "tls_untrusted"),
    ] {
        let env = vec![("SSL_CERT_FILE".to_owned(), cert_file)];
        let out = dapreflight_async(args.clone(), env).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            json["catalog"]["profile"], "windows-diagnostic-data",
            "check without --profile uses the current Endpoints table"
        );
        let results = json["results"].as_array().expect("results");
        // Wildcard rows without a probe host are not probed.
        let https: Vec<&serde_json::Value> = results
            .iter()
            .filter(|r| {
                r["endpoint"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://") && !u.contains('*'))
            })
            .collect();
        assert!(
            https.len() >= 10,
            "the built-in profile has many https endpoints"
        );
        for result in https {
            assert_eq!(result["status"], expected, "{result:#}");
            assert!(
                result["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Corp Inspection CA")
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn every_named_file_stops_at_its_cap_when_it_is_an_endless_device() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["proxy", "--from-reg", "/dev/zero"],
            "the registry export /dev/zero is larger than 16 MiB, the limit for exports",
        ),
        (
            &["proxy", "--from-netsh", "/dev/urandom"],
            "the netsh capture /dev/urandom is larger than 1 MiB, the limit for netsh captures",
        ),
        (
            &["endpoints", "--endpoints", "/dev/zero"],
            "the endpoint file /dev/zero is larger than 1 MiB, the limit for endpoint lists",
        ),
        (
            &["pac", "/dev/zero", "http://a.example/"],
            "the PAC file /dev/zero is larger than 1 MiB, the limit for PAC files",
        ),
        (
            &["proxy", "--pac", "/dev/zero"],
            "the PAC file /dev/zero is larger than 1 MiB, the limit for PAC files",
        ),
        (
            &["pac", "/dev/null", "--url-file", "/dev/zero"],
            "the URL list /dev/zero is larger than 16 MiB, the limit for URL lists",
        ),
        (
            &["check", "--trust-anchor", "/dev/zero"],
            "the trust anchor file /dev/zero is larger than 1 MiB, the limit for certificate files",
        ),
    ];
    for (args, expected) in cases {
        let out = dapreflight(args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_directory_named_as_an_input_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().display().to_string();
    let out = dapreflight(&["proxy", "--from-reg", &path], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("the registry export {path} is a directory")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_line_in_the_url_file_is_blamed_on_the_url_file_and_its_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pac = dir.path().join("direct.pac");
    std::fs::write(
        &pac,
        "function FindProxyForURL(url, host) { return \"DIRECT\"; }\n",
    )
    .expect("write PAC");
    let urls = dir.path().join("urls.txt");
    std::fs::write(
        &urls,
        "# mixed\nhttp://a.example/\nnot a url\nhttp://b.example/\n",
    )
    .expect("write URL list");
    let out = dapreflight(
        &[
            "pac",
            &pac.display().to_string(),
            "--url-file",
            &urls.display().to_string(),
        ],
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:3: 'not a url' is not a URL (expected scheme://host/...)",
            urls.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("the PAC"), "{stderr}");
}
