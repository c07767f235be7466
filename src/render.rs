//! The one caret renderer behind [`Error::render`](crate::Error::render).
//!
//! Spans are byte offsets; people count characters. The renderer finds the
//! line that holds the span, converts byte offsets to character columns,
//! and clips spans that run past the line (a multi-line span is drawn to
//! the end of its first line).

use std::borrow::Cow;
use std::fmt::Write;

use crate::{Error, Span};

pub(crate) fn render(err: &Error) -> String {
    let mut out = format!("error: {}\n", err.description());
    let (Some(input), Some(span)) = (err.input(), err.span()) else {
        return out;
    };
    let span = clamp(input, span);
    let (line_no, line_start, line) = line_of(input, span.start);
    let gutter = line_no.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line_no} | {}", visible(line));
    let _ = writeln!(
        out,
        "{:gutter$} | {}",
        "",
        carets(line, line_start, span, '^').trim_end()
    );
    if let Some((second, label)) = err.secondary() {
        let second = clamp(input, second);
        let (no2, start2, line2) = line_of(input, second.start);
        if no2 != line_no {
            let _ = writeln!(out, "{no2:gutter$} | {}", visible(line2));
        }
        let _ = writeln!(
            out,
            "{:gutter$} | {} {label}",
            "",
            carets(line2, start2, second, '-').trim_end()
        );
    }
    out
}

/// Move a span's ends inside the input and onto character boundaries, so
/// that a hand-made span can never make rendering panic.
fn clamp(input: &str, span: Span) -> Span {
    let fix = |mut at: usize| {
        at = at.min(input.len());
        while !input.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = fix(span.start);
    Span::new(start, fix(span.end).max(start))
}

/// The 1-based number, byte offset and text (without its line break) of the
/// line holding byte `at`.
fn line_of(input: &str, at: usize) -> (usize, usize, &str) {
    let start = input[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = input[at..].find('\n').map_or(input.len(), |i| at + i);
    let number = input[..start].matches('\n').count() + 1;
    let line = &input[start..end];
    (number, start, line.strip_suffix('\r').unwrap_or(line))
}

fn visible(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Padding to the span's first column, then one mark per character of the
/// span on this line (at least one, so an empty span at the end shows).
fn carets(line: &str, line_start: usize, span: Span, mark: char) -> String {
    // The span may start past the shown text (inside a dropped `\r`, or at
    // the very end): the caret then goes right after the line.
    let from = (span.start - line_start).min(line.len());
    let to = (span.end - line_start).min(line.len()).max(from);
    let mut out: String = line[..from]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let width = line[from..to].chars().count().max(1);
    out.extend(std::iter::repeat_n(mark, width));
    out
}

/// The first `max` characters of `text`, all of it when it is shorter.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `text` cut at `max` characters, with `…` when something was cut: the
/// one way messages quote text that may be as long as the length limit.
pub(crate) fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    let short = cut(text, max);
    if short.len() < text.len() {
        Cow::Owned(format!("{short}…"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn err(input: &str, span: Span) -> Error {
        Error::new(ErrorKind::Syntax, "boom")
            .with_span(span)
            .with_input(input)
    }

    #[test]
    fn shorten_cuts_at_characters_and_marks_the_cut() {
        assert_eq!(cut("héllo", 2), "hé");
        assert_eq!(cut("hé", 2), "hé");
        assert_eq!(cut("", 0), "");
        assert_eq!(shorten("héllo", 2), "hé…");
        assert_eq!(shorten("héllo", 5), "héllo");
        assert!(matches!(shorten("héllo", 9), Cow::Borrowed(_)));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let r = err("Title -eq \"é\" X", Span::new(15, 16)).render();
        let expected = format!("1 | Title -eq \"é\" X\n  | {}^\n", " ".repeat(14));
        assert!(r.ends_with(&expected), "{r}");
    }

    #[test]
    fn spans_on_later_lines_show_that_line() {
        let r = err("A -eq 1\nAND B", Span::new(12, 13)).render();
        assert!(r.contains("2 | AND B\n  |     ^\n"), "{r}");
    }

    #[test]
    fn fuzz_parse_crash_339e2bd0_span_inside_trailing_carriage_returns() {
        let input = "\tA\n\r\r\r\r\r\r\r";
        let r = err(input, Span::at(input.len())).render();
        // One `\r` belongs to the line break; the other six are shown.
        let expected = format!("2 | {}\n  | {}^\n", "\u{FFFD}".repeat(6), " ".repeat(6));
        assert!(r.ends_with(&expected), "{r}");
        let parsed = crate::parse(input).unwrap_err();
        assert!(parsed.render().contains('^'));
    }

    #[test]
    fn spans_outside_the_input_or_inside_a_character_do_not_panic() {
        assert!(err("é", Span::new(1, 99)).render().contains('^'));
        assert!(err("", Span::new(5, 2)).render().contains('^'));
    }
}
