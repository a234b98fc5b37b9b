//! The binary at the process edges: exit codes through a closed pipe, write errors, a terminal
//! that reports no size, `COLUMNS`, and the progress line's silence when stderr is not a terminal.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{dapreflight, dapreflight_async, endpoint_file};
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer, closed_port};

/// Twice what a pipe holds (64 KiB on Linux), so the writer meets the closed pipe.
const MORE_THAN_A_PIPE: usize = 128 * 1024;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An endpoint file of `count` URLs under `base` (e.g. `https://origin.test:443`), each with a
/// long path, so the report is far larger than a pipe's buffer.
fn many_endpoints(dir: &Path, base: &str, count: usize) -> String {
    let padding = "x".repeat(400);
    let list = (0..count).fold(String::new(), |mut list, index| {
        let _ = writeln!(list, "  - url: {base}/probe-{index}-{padding}");
        list
    });
    endpoint_file(dir, &format!("endpoints:\n{list}"))
}

/// Starts the binary with `args`, a clean environment, no stdin, and piped stdout and stderr.
fn spawn(args: &[String]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dapreflight"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dapreflight")
}

/// Runs the binary, reads the first line of its stdout, closes the pipe, and returns the exit
/// code, the line and stderr. Kills the process if it runs past 60 s.
fn first_line_then_close(args: &[String]) -> (Option<i32>, String, String) {
    let mut child = spawn(args);
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read the first line");
    drop(stdout); // the reader goes away, as `| head -1` does
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().expect("kill a hung dapreflight");
            panic!("dapreflight {args:?} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    (status.code(), line, stderr)
}

async fn first_line_then_close_async(args: Vec<String>) -> (Option<i32>, String, String) {
    tokio::task::spawn_blocking(move || first_line_then_close(&args))
        .await
        .expect("runner thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_leaves_after_the_first_line_still_gets_the_verdicts_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not ready: every endpoint through a proxy on a closed loopback port.
    let refused = closed_port();
    let file = many_endpoints(dir.path(), "https://blocked.test", 350);
    let not_ready: Vec<String> = [
        "check",
        "--endpoints",
        &file,
        "--proxy",
        &format!("http://127.0.0.1:{}", refused.port()),
        "--concurrency",
        "64",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    // Ready: every endpoint answers from a trusted loopback origin.
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let ready_dir = tempfile::tempdir().expect("tempdir");
    let file = many_endpoints(
        ready_dir.path(),
        &format!("https://origin.test:{}", origin.port()),
        350,
    );
    let ready: Vec<String> = [
        "check".to_owned(),
        "--endpoints".to_owned(),
        file,
        "--resolve".to_owned(),
        format!("origin.test:{}:127.0.0.1", origin.port()),
        "--trust-anchor".to_owned(),
        ca.write_pem(ready_dir.path()).display().to_string(),
        "--concurrency".to_owned(),
        "64".to_owned(),
    ]
    .to_vec();
    for (args, code, headline) in [(not_ready, 1, "NOT READY"), (ready, 0, "READY")] {
        // The premise: the whole report does not fit in the pipe, so the writer meets the close.
        let whole = tokio::task::spawn_blocking({
            let args = args.clone();
            move || read_whole(&args)
        })
        .await
        .expect("runner thread");
        assert_eq!(whole.status.code(), Some(code), "{}", text(&whole.stderr));
        assert!(
            whole.stdout.len() > MORE_THAN_A_PIPE,
            "{}",
            whole.stdout.len()
        );

        let (status, line, stderr) = first_line_then_close_async(args).await;
        assert!(line.starts_with(headline), "{line}");
        assert_eq!(status, Some(code), "{stderr}");
        assert!(stderr.is_empty(), "a closed pipe is not reported: {stderr}");
    }
}

#[test]
fn a_full_standard_output_is_exit_2_naming_it_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = closed_port();
    let pac = dir.path().join("direct.pac");
    std::fs::write(
        &pac,
        "function FindProxyForURL(url, host) { return \"DIRECT\"; }\n",
    )
    .expect("write the PAC");
    let proxy = format!("http://127.0.0.1:{}", refused.port());
    let pac = pac.display().to_string();
    let commands: [&[&str]; 5] = [
        &["check", "--proxy", &proxy, "--timeout", "2"],
        &["proxy", "--direct"],
        &["pac", &pac, "http://a.example/"],
        &["endpoints"],
        &["endpoints", "--format", "json"],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = run_with_stdout(args, full);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("dapreflight: cannot write to standard output"),
            "{args:?}: {err}"
        );
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
}

#[test]
fn a_report_file_that_cannot_be_written_is_exit_2_naming_it_and_the_device_is_left_alone() {
    let refused = closed_port();
    let proxy = format!("http://127.0.0.1:{}", refused.port());
    let out = dapreflight(
        &[
            "check",
            "--proxy",
            &proxy,
            "--timeout",
            "2",
            "--output",
            "/dev/full",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.starts_with("dapreflight: cannot write the report to /dev/full"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // Writing in place, not renaming a temporary file over it: /dev/full is still a device.
    let kind = std::fs::metadata("/dev/full")
        .expect("/dev/full")
        .file_type();
    assert!(!kind.is_file(), "/dev/full was replaced by a file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_report_is_announced_on_stderr_unless_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = closed_port();
    let report = dir.path().join("report.txt");
    let mut args: Vec<String> = [
        "check",
        "--proxy",
        &format!("http://127.0.0.1:{}", refused.port()),
        "--timeout",
        "2",
        "--output",
        &report.display().to_string(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let out = dapreflight_async(args.clone(), vec![]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
    let expected = format!("report written to {}: NOT READY", report.display());
    let err = text(&out.stderr);
    assert!(err.starts_with(&expected), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let written = std::fs::read_to_string(&report).expect("the report");
    assert!(written.starts_with("NOT READY"), "{written}");

    args.push("--quiet".to_owned());
    let quiet = dapreflight_async(args, vec![]).await;
    assert_eq!(quiet.status.code(), Some(1), "{quiet:?}");
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_progress_line_is_drawn_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proxy = FakeProxy::start(ProxyBehavior::Stall).await;
    let file = endpoint_file(dir.path(), "endpoints:\n  - url: https://stalled.test/\n");
    let args: Vec<String> = [
        "check",
        "--endpoints",
        &file,
        "--proxy",
        &proxy.url(),
        "--timeout",
        "1.5",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let started = Instant::now();
    let out = dapreflight_async(args, vec![]).await;
    assert!(
        started.elapsed() > Duration::from_millis(1200),
        "long enough for a progress line"
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// Runs the binary and reads all its output while it runs (a report larger than a pipe would
/// otherwise block it). Kills it if it runs past 60 s.
fn read_whole(args: &[String]) -> Output {
    let mut child = spawn(args);
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll child").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill a hung dapreflight");
            panic!("dapreflight {args:?} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut output = child.wait_with_output().expect("collect output");
    output.stdout = reader.join().expect("reader thread").expect("read stdout");
    output
}

/// Runs the binary with `stdout` as its standard output.
fn run_with_stdout(args: &[&str], stdout: std::fs::File) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dapreflight"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dapreflight");
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

/// Runs the binary under a pseudo-terminal of `columns` × 0 (python3's `pty`): stdout and stderr
/// are the terminal, and it is the controlling terminal. Returns the exit code and what the
/// terminal showed, `\r\n` made `\n`. Python kills the binary after 60 s.
fn under_terminal(columns: u16, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    const RUN_UNDER_PTY: &str = r"
import os, pty, sys, struct, fcntl, termios, time, select, signal
columns = int(sys.argv[1]); argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 0, columns, 0, 0))
    os.execv(argv[0], argv)
out = b''
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not ready:
        break
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
if time.time() >= deadline:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
";
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(RUN_UNDER_PTY)
        .arg(columns.to_string())
        .arg(env!("CARGO_BIN_EXE_dapreflight"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = command.output().expect("python3 runs (CI installs it)");
    (out.status.code(), text(&out.stdout).replace("\r\n", "\n"))
}

/// Lines wider than `width` columns, other than commands under "Fix:" (indented 7 spaces), which
/// are never wrapped so they can be pasted whole.
fn too_wide(screen: &str, width: usize) -> Vec<String> {
    let mut in_fixes = false;
    screen
        .lines()
        .filter(|line| {
            if !line.starts_with(' ') {
                in_fixes = *line == "Fix:";
            }
            let command = in_fixes && line.starts_with("       ");
            line.chars().count() > width && !command
        })
        .map(str::to_owned)
        .collect()
}

/// The lines the results take, and how many results there are (from the summary line).
fn results_block(screen: &str) -> (usize, usize) {
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.starts_with("Results:") || line.starts_with('┌'))
        .expect("the results");
    let summary = lines
        .iter()
        .position(|line| line.contains(" result") && line.contains(" context"))
        .expect("the summary line");
    let count: usize = lines[summary]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the summary starts with the count");
    (summary - start, count)
}

#[test]
fn a_terminal_that_reports_no_size_gets_80_columns_and_columns_is_honoured() {
    let refused = closed_port();
    let proxy = format!("http://127.0.0.1:{}", refused.port());
    let args = ["check", "--proxy", &proxy, "--timeout", "2"];

    let (code, screen) = under_terminal(0, &args, &[("NO_COLOR", "1")]);
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.starts_with("NOT READY"), "{screen}");
    assert_eq!(too_wide(&screen, 80), Vec::<String>::new(), "{screen}");
    let (lines, results) = results_block(&screen);
    assert!(results >= 10, "the built-in profile: {screen}");
    assert!(
        lines <= 4 * results + 3,
        "{lines} lines for {results} results:\n{screen}"
    );

    let (code, screen) = under_terminal(0, &args, &[("NO_COLOR", "1"), ("COLUMNS", "60")]);
    assert_eq!(code, Some(1), "{screen}");
    assert_eq!(too_wide(&screen, 60), Vec::<String>::new(), "{screen}");

    // A terminal that does report its size is used: the lines reach past 80.
    let (code, screen) = under_terminal(100, &args, &[("NO_COLOR", "1")]);
    assert_eq!(code, Some(1), "{screen}");
    assert_eq!(too_wide(&screen, 100), Vec::<String>::new(), "{screen}");
    assert!(
        screen.lines().any(|line| line.chars().count() > 80),
        "{screen}"
    );
}

#[test]
fn asking_for_credentials_without_a_terminal_is_exit_2_saying_what_to_do() {
    let out = dapreflight(
        &[
            "check",
            "--ask-credentials",
            "--proxy",
            &format!("http://{}", closed_port()),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--ask-credentials needs a terminal on stdin")
            && stderr.contains("DAPREFLIGHT_PROXY_USER"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing probed, nothing reported");
}

#[test]
fn credentials_set_in_the_environment_are_not_asked_for() {
    let out = dapreflight(
        &[
            "check",
            "--ask-credentials",
            "--direct",
            "--endpoints",
            "/nonexistent/list.yaml",
        ],
        &[
            ("DAPREFLIGHT_PROXY_USER", "alice"),
            ("DAPREFLIGHT_PROXY_PASSWORD", "pa55"),
        ],
    );
    // It went on to the endpoint file (and stopped there), not to the prompt.
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/nonexistent/list.yaml"), "{stderr}");
    assert!(!stderr.contains("terminal"), "{stderr}");
}

/// Runs `args` under a pseudo-terminal (util-linux `script`), answering each prompt in `answers`
/// (a prompt's text, then what to type) only once the prompt shows, as a person would: input
/// typed before the password prompt would be echoed by the terminal, not by dapreflight.
/// Returns the exit code and everything the terminal showed. Kills `script` past 60 s.
fn under_pty_answering(args: &[String], answers: &[(&str, &str)]) -> (Option<i32>, String) {
    use std::io::Write as _;
    use std::sync::{Arc, Mutex};
    let line = std::iter::once(env!("CARGO_BIN_EXE_dapreflight").to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .env("COLUMNS", "200")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    let shown = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn({
        let shown = Arc::clone(&shown);
        move || {
            let mut buf = [0u8; 4096];
            // Ends at EOF, when `script` and the program are gone.
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown
                    .lock()
                    .expect("reader lock")
                    .extend_from_slice(&buf[..n]);
            }
        }
    });
    let mut stdin = child.stdin.take().expect("piped stdin");
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen =
        |text: &str| String::from_utf8_lossy(&shown.lock().expect("reader lock")).contains(text);
    for (prompt, typed) in answers {
        while !seen(prompt) {
            assert!(
                Instant::now() < deadline && child.try_wait().expect("poll").is_none(),
                "no prompt {prompt:?}; the terminal showed:\n{}",
                String::from_utf8_lossy(&shown.lock().expect("reader lock"))
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        stdin
            .write_all(typed.as_bytes())
            .expect("type into the terminal");
        stdin.flush().expect("flush");
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll script") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().expect("kill a hung script");
            panic!("script {line} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    reader.join().expect("reader thread");
    let shown = String::from_utf8_lossy(&shown.lock().expect("reader lock")).into_owned();
    (status.code(), shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_asks_for_the_account_then_the_password_without_echoing_it() {
    if !crate::support::available("script", "/usr/bin/script") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let password = "Typed-Pa55word";
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Basic realm=\"corp\"".to_owned()],
        accept: Some(("alice".to_owned(), password.to_owned())),
    })
    .await;
    let report = dir.path().join("report.json");
    let mut args = crate::binary::origin_args(dir.path(), &ca, &origin);
    args.extend([
        "--proxy".to_owned(),
        proxy.url(),
        "--ask-credentials".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
        "--output".to_owned(),
        report.display().to_string(),
        "--verbose".to_owned(),
    ]);
    let typed = format!("{password}\r");
    let (code, shown) = tokio::task::spawn_blocking(move || {
        under_pty_answering(
            &args,
            &[
                ("proxy account", "alice\n"),
                ("password for alice", typed.as_str()),
            ],
        )
    })
    .await
    .expect("runner thread");
    // The proxy accepted what was typed; the service has no such credentials: not ready.
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("alice"),
        "the account echoes as typed:\n{shown}"
    );
    let json = std::fs::read_to_string(&report).expect("the report");
    let secrets = crate::auth::reflected_secrets("alice", password);
    for secret in &secrets {
        assert!(!shown.contains(secret.as_str()), "{secret} shown:\n{shown}");
        assert!(!json.contains(secret.as_str()), "{secret} in the report");
    }
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let auth = &report["results"][0]["proxy"]["auth"];
    assert_eq!(auth["outcome"], "accepted", "{auth}");
    assert_eq!(auth["presenting"]["account"], "alice", "{auth}");
    let seen = proxy.requests();
    assert_eq!(
        seen.last().and_then(|r| r.proxy_authorization.clone()),
        Some(format!(
            "Basic {}",
            base64_encode(&format!("alice:{password}"))
        ))
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
