//! The block the table opens with (the verdict, its reasons and fixes) and the device settings
//! block it closes with. Plain text; colour is added by the caller.

use std::io::{self, Write};

use crate::report::{DeviceSettings, Verdict};

/// Writes the verdict line, the numbered reasons, the fixes (one command a line) and the settings.
pub fn render(
    verdict: &Verdict,
    settings: Option<&DeviceSettings>,
    out: &mut impl Write,
) -> io::Result<()> {
    render_verdict(verdict, out)?;
    render_settings(settings, out)
}

/// Writes the verdict line, the numbered reasons and the fixes (one command a line).
pub(crate) fn render_verdict(verdict: &Verdict, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", verdict.headline())?;
    if !verdict.reasons.is_empty() {
        writeln!(out)?;
        writeln!(out, "Why:")?;
        for (index, reason) in verdict.reasons.iter().enumerate() {
            writeln!(out, "  {}. {}", index + 1, reason.text)?;
            if let Some(health) = &reason.health {
                writeln!(out, "     Connection Health: {health}")?;
            }
        }
    }
    if !verdict.fixes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Fix:")?;
        for (index, fix) in verdict.fixes.iter().enumerate() {
            writeln!(out, "  {}. {}", index + 1, fix.title)?;
            for command in &fix.commands {
                writeln!(out, "       {command}")?;
            }
            if !fix.hosts.is_empty() {
                writeln!(out, "     hosts:")?;
                for host in &fix.hosts {
                    writeln!(out, "       {host}")?;
                }
            }
        }
    }
    Ok(())
}

/// Writes the device settings: each value with where it came from, then what it means.
pub(crate) fn render_settings(
    settings: Option<&DeviceSettings>,
    out: &mut impl Write,
) -> io::Result<()> {
    match settings {
        Some(settings) => {
            writeln!(out, "Device settings:")?;
            for row in settings.rows() {
                writeln!(out, "  {}: {}  ({})", row.name, row.value, row.source)?;
                writeln!(out, "      {}", row.meaning)?;
            }
        }
        None => writeln!(
            out,
            "Device settings: not read (read live on Windows, or from --from-reg exports)"
        )?,
    }
    Ok(())
}
