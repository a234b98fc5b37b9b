//! Prose wrapped to the output width, with a hanging indent; measured in terminal columns
//! (`unicode-width`), not bytes. Commands meant to be pasted are never passed through here.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Wraps `text` to `width` columns: the first line starts with `first`, every other line with
/// `rest` (a hanging indent). Runs of spaces collapse; a line break in `text` starts a new line.
/// A word longer than a whole line is split, so no line is wider than `width` unless a prefix
/// alone is.
#[must_use]
pub(crate) fn wrap(text: &str, width: u16, first: &str, rest: &str) -> Vec<String> {
    let width = usize::from(width);
    let mut out = Filling {
        done: Vec::new(),
        line: first.to_owned(),
        used: first.width(),
        start: first.width(),
        rest,
    };
    for (index, paragraph) in text.split('\n').enumerate() {
        if index > 0 {
            out.break_line();
        }
        for word in paragraph.split_whitespace() {
            let word_width = word.width();
            let empty = out.used == out.start;
            if !empty && out.used + 1 + word_width > width {
                out.break_line();
            } else if !empty {
                out.line.push(' ');
                out.used += 1;
            }
            if out.used + word_width <= width {
                out.line.push_str(word);
                out.used += word_width;
                continue;
            }
            // Longer than a whole line: split it where the line is full.
            for c in word.chars() {
                let c_width = c.width().unwrap_or(0);
                if out.used + c_width > width && out.used > out.start {
                    out.break_line();
                }
                out.line.push(c);
                out.used += c_width;
            }
        }
    }
    out.break_line();
    out.done
}

/// The lines so far and the one being filled.
struct Filling<'a> {
    done: Vec<String>,
    line: String,
    /// Columns used on `line`, its prefix included.
    used: usize,
    /// Columns of `line`'s prefix.
    start: usize,
    rest: &'a str,
}

impl Filling<'_> {
    fn break_line(&mut self) {
        let line = std::mem::replace(&mut self.line, self.rest.to_owned());
        self.done.push(line.trim_end().to_owned());
        self.used = self.rest.width();
        self.start = self.used;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(lines: &[String]) -> Vec<usize> {
        lines.iter().map(|line| line.width()).collect()
    }

    #[test]
    fn prose_wraps_at_word_boundaries_under_a_hanging_indent() {
        let lines = wrap(
            "the proxy asks for authentication for these hosts",
            24,
            "  1. ",
            "     ",
        );
        assert_eq!(
            lines,
            [
                "  1. the proxy asks for",
                "     authentication for",
                "     these hosts",
            ]
        );
    }

    #[test]
    fn a_line_of_exactly_the_width_stays_one_line() {
        let text = "abcd efgh ij"; // 12 columns
        assert_eq!(wrap(text, 12, "", ""), [text]);
        assert_eq!(wrap(text, 11, "", ""), ["abcd efgh", "ij"]);
    }

    #[test]
    fn a_word_longer_than_a_line_is_split_where_the_line_is_full() {
        let lines = wrap("see v10c.events.data.microsoft.com now", 16, "- ", "  ");
        assert!(widths(&lines).iter().all(|w| *w <= 16), "{lines:?}");
        let text: String = lines
            .iter()
            .map(|line| line.trim_start_matches("- ").replace(' ', ""))
            .collect();
        assert_eq!(text, "seev10c.events.data.microsoft.comnow", "{lines:?}");
        assert_eq!(lines[0], "- see");
    }

    #[test]
    fn empty_text_is_the_prefix_alone() {
        assert_eq!(wrap("", 40, "", ""), [""]);
        assert_eq!(wrap("   ", 40, "  1. ", "     "), ["  1."]);
    }

    #[test]
    fn wide_characters_count_as_two_columns() {
        // Each of these ideographs takes two columns on a terminal.
        let lines = wrap("日本語 日本語 日本語", 14, "", "");
        assert_eq!(lines, ["日本語 日本語", "日本語"]);
        assert!(widths(&lines).iter().all(|w| *w <= 14));
    }

    #[test]
    fn line_breaks_in_the_text_are_kept_under_the_indent() {
        let lines = wrap("first line\nsecond", 40, "* ", "  ");
        assert_eq!(lines, ["* first line", "  second"]);
    }
}
