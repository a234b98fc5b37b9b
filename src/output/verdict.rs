//! The block the table opens with (the verdict, its reasons and fixes) and the device settings
//! block it closes with. Plain text wrapped to the style's width; commands are never wrapped.

use std::io::{self, Write};

use crate::output::Style;
use crate::output::wrap::wrap;
use crate::report::{DeviceSettings, Fix, Reason, Ref, Severity, Verdict};

/// A fix lists its hosts when there are at most this many; more are counted, and listed with
/// `--verbose`.
const HOSTS_LISTED: usize = 5;

/// Writes the verdict line, the numbered reasons, the fixes (one command a line) and the settings
/// that matter to the verdict (every setting with `style.verbose`).
pub fn render(
    verdict: &Verdict,
    settings: Option<&DeviceSettings>,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    render_verdict(verdict, style, out)?;
    render_settings(settings, verdict, style, out)
}

/// Writes the verdict line, the numbered reasons and the fixes (one command a line).
pub(crate) fn render_verdict(
    verdict: &Verdict,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    write_lines(out, wrap(&verdict.headline(), style.width, "", "  "))?;
    // Notes are worth knowing but change nothing: they show with `--verbose` (and in the JSON).
    let shown: Vec<&Reason> = verdict
        .reasons
        .iter()
        .filter(|reason| shows(reason, style))
        .collect();
    let hidden = verdict.reasons.len() - shown.len();
    if !shown.is_empty() {
        writeln!(out)?;
        writeln!(out, "Why:")?;
        for (index, reason) in shown.iter().enumerate() {
            let (number, indent) = numbered(index);
            write_lines(out, wrap(&reason.text, style.width, &number, &indent))?;
            if let (true, Some(health)) = (style.verbose, &reason.health) {
                let text = format!("Microsoft's tools show this as: {health}");
                write_lines(out, wrap(&text, style.width, &indent, &indent))?;
            }
        }
    }

    // The first screen shows what to do and one other way; further alternatives show with
    // `--verbose` (and are in the JSON).
    let first_alternative = verdict.fixes.iter().position(|f| f.alternative);
    let shown_fix = |index: usize, fix: &Fix| {
        style.verbose || !fix.alternative || Some(index) == first_alternative
    };
    let fixes: Vec<&Fix> = verdict
        .fixes
        .iter()
        .enumerate()
        .filter(|(index, fix)| shown_fix(*index, fix))
        .map(|(_, fix)| fix)
        .collect();
    let hidden_fixes = verdict.fixes.len() - fixes.len();
    if !fixes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Fix:")?;
        for (index, fix) in fixes.iter().enumerate() {
            let (number, indent) = numbered(index);
            write_lines(out, wrap(&fix.title, style.width, &number, &indent))?;
            // Lines meant to be pasted: whole, whatever the width.
            for command in &fix.commands {
                writeln!(out, "{indent}  {command}")?;
            }
            let earlier = fixes[..index]
                .iter()
                .position(|other| !fix.hosts.is_empty() && other.hosts == fix.hosts);
            let hosts = &fix.hosts;
            if hosts.is_empty() {
                continue;
            }
            let line = match earlier {
                Some(other) => format!("hosts: the same {} as fix {}", count(hosts), other + 1),
                None if hosts.len() <= HOSTS_LISTED => format!("hosts: {}", hosts.join(", ")),
                None if !style.verbose => format!("hosts: {} (see the table)", count(hosts)),
                None => {
                    writeln!(out, "{indent}hosts:")?;
                    for host in hosts {
                        writeln!(out, "{indent}  {host}")?;
                    }
                    continue;
                }
            };
            write_lines(
                out,
                wrap(&line, style.width, &indent, &format!("{indent}  ")),
            )?;
        }
    }
    // One line says what `--verbose` adds.
    let mut more = Vec::new();
    if hidden > 0 {
        more.push(format!(
            "{hidden} note{}",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    if hidden_fixes > 0 {
        more.push(format!(
            "{hidden_fixes} other fix{}",
            if hidden_fixes == 1 { "" } else { "es" }
        ));
    }
    if !more.is_empty() {
        if fixes.is_empty() {
            writeln!(out)?;
        }
        let line = format!("(--verbose shows {} more)", more.join(" and "));
        write_lines(out, wrap(&line, style.width, "", ""))?;
    }
    Ok(())
}

/// Whether a reason shows: every reason with `--verbose`, else all but the notes.
fn shows(reason: &Reason, style: Style) -> bool {
    style.verbose || reason.severity != Severity::Note
}

/// Writes the device settings: each value with where it came from, then what it means. Without
/// `style.verbose`, only the settings a reason cites; nothing when none does.
pub(crate) fn render_settings(
    settings: Option<&DeviceSettings>,
    verdict: &Verdict,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let Some(settings) = settings else {
        if style.verbose {
            writeln!(out)?;
            let line = "Device settings: not read (they are read live on Windows, or from \
                        --from-reg exports)";
            write_lines(out, wrap(line, style.width, "", "  "))?;
        }
        return Ok(());
    };
    let cited = |name: &str| {
        verdict
            .reasons
            .iter()
            .filter(|r| shows(r, style))
            .any(|reason| {
                reason
                    .refs
                    .iter()
                    .any(|r| matches!(r, Ref::Setting { name: cited } if cited == name))
            })
    };
    let rows: Vec<_> = settings
        .rows()
        .into_iter()
        .filter(|row| style.verbose || cited(&row.name))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        if style.verbose {
            "Device settings:"
        } else {
            "Device settings the verdict rests on (all of them with --verbose):"
        }
    )?;
    for row in rows {
        let line = format!("{}: {}  ({})", row.name, row.value, row.source);
        write_lines(out, wrap(&line, style.width, "  ", "      "))?;
        write_lines(out, wrap(&row.meaning, style.width, "      ", "      "))?;
    }
    Ok(())
}

/// The number a reason or fix starts with, and the indent that lines its text up under it.
fn numbered(index: usize) -> (String, String) {
    let number = format!("  {}. ", index + 1);
    let indent = " ".repeat(number.len());
    (number, indent)
}

fn count(hosts: &[String]) -> String {
    if hosts.len() == 1 {
        "1 host".to_owned()
    } else {
        format!("{} hosts", hosts.len())
    }
}

pub(crate) fn write_lines(out: &mut impl Write, lines: Vec<String>) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Approach, Code, Fix};

    fn verdict(fixes: Vec<Fix>) -> Verdict {
        Verdict {
            approach: Approach::Bypass,
            ready: false,
            reasons: vec![Reason {
                code: Code::SystemProxyAuthOther,
                severity: Severity::Blocker,
                contexts: Vec::new(),
                hosts: Vec::new(),
                text: "the proxy asks the system context to authenticate for every host".to_owned(),
                refs: Vec::new(),
                health: Some("Connectivity status: status code 407".to_owned()),
            }],
            fixes,
            findings: Vec::new(),
            remedies: Vec::new(),
        }
    }

    fn fix(title: &str, commands: &[&str], hosts: usize) -> Fix {
        Fix {
            kind: "check_path",
            alternative: false,
            title: title.to_owned(),
            commands: commands.iter().map(|c| (*c).to_owned()).collect(),
            hosts: (0..hosts).map(|i| format!("host{i}.example")).collect(),
        }
    }

    fn shown(verdict: &Verdict, width: u16, verbose: bool) -> String {
        let style = Style {
            width,
            verbose,
            ..Style::default()
        };
        let mut out = Vec::new();
        render_verdict(verdict, style, &mut out).expect("rendering to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn hosts_are_listed_once_counted_when_many_and_all_listed_with_verbose() {
        let verdict = verdict(vec![
            fix("allow these hosts through the proxy", &[], 7),
            fix("or let computer accounts through", &[], 7),
            fix("make these names resolve", &[], 2),
        ]);
        let text = shown(&verdict, 80, false);
        assert!(
            text.contains("     hosts: 7 hosts (see the table)\n"),
            "{text}"
        );
        assert!(
            text.contains("     hosts: the same 7 hosts as fix 1\n"),
            "{text}"
        );
        assert!(
            text.contains("     hosts: host0.example, host1.example\n"),
            "{text}"
        );
        assert_eq!(text.matches("host6.example").count(), 0, "{text}");
        assert!(!text.contains("Connectivity status"), "{text}");

        let verbose = shown(&verdict, 80, true);
        assert_eq!(verbose.matches("host6.example").count(), 1, "{verbose}");
        assert!(verbose.contains("the same 7 hosts as fix 1"), "{verbose}");
        assert!(
            verbose.contains("Connectivity status: status code 407"),
            "{verbose}"
        );
    }

    #[test]
    fn reasons_and_titles_wrap_under_their_number_but_commands_stay_whole() {
        let command = "netsh winhttp set proxy proxy-server=\"proxy.corp.example:8080\" \
                       bypass-list=\"*.corp.example;<local>\"";
        let verdict = verdict(vec![fix(
            "point WinHTTP at the proxy the signed-in user already reaches the endpoints through",
            &[command],
            0,
        )]);
        let text = shown(&verdict, 40, false);
        for line in text.lines().filter(|line| !line.contains("netsh")) {
            assert!(line.chars().count() <= 40, "{line:?} in\n{text}");
        }
        assert!(text.contains(&format!("       {command}\n")), "{text}");
        assert!(
            text.contains("  1. the proxy asks the system context\n     to authenticate"),
            "{text}"
        );
    }
}
