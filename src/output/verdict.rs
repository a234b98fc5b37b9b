//! The block the table opens with (the verdict, its reasons and fixes) and the device settings
//! block it closes with. Plain text wrapped to the style's width; commands are never wrapped.

use std::io::{self, Write};

use crate::output::Style;
use crate::output::wrap::wrap;
use crate::report::{DeviceSettings, Ref, Verdict};

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
    if !verdict.reasons.is_empty() {
        writeln!(out)?;
        writeln!(out, "Why:")?;
        for (index, reason) in verdict.reasons.iter().enumerate() {
            let (number, indent) = numbered(index);
            write_lines(out, wrap(&reason.text, style.width, &number, &indent))?;
            if let (true, Some(health)) = (style.verbose, &reason.health) {
                let text = format!("Microsoft's tools show this as: {health}");
                write_lines(out, wrap(&text, style.width, &indent, &indent))?;
            }
        }
    }
    if !verdict.fixes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Fix:")?;
        for (index, fix) in verdict.fixes.iter().enumerate() {
            let (number, indent) = numbered(index);
            write_lines(out, wrap(&fix.title, style.width, &number, &indent))?;
            // Lines meant to be pasted: whole, whatever the width.
            for command in &fix.commands {
                writeln!(out, "{indent}  {command}")?;
            }
            let earlier = verdict.fixes[..index]
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
    Ok(())
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
        verdict.reasons.iter().any(|reason| {
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
