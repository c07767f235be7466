//! Case-insensitive text comparison without allocation.
//!
//! SPEC §4 folds both sides with Rust's `str::to_lowercase`. Folding one
//! `char` at a time with `char::to_lowercase` gives the same text except
//! for `Σ`, which `str::to_lowercase` turns into `ς` at the end of a word;
//! texts holding a `Σ` take the allocating path so that the result is
//! exactly `str::to_lowercase`'s. Needles are folded once, at compile time.
//!
//! ASCII haystacks take a byte path: their folding is ASCII, so a needle
//! whose folding is not ASCII can never match them, and folding never
//! changes their length.

use std::cell::RefCell;
use std::cmp::Ordering;

/// `text` without trailing U+0020 spaces (only those, as SQL Server's `=`).
pub(crate) fn trim_spaces(text: &str) -> &str {
    text.trim_end_matches(' ')
}

/// The folded form of `text`: `str::to_lowercase`.
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Calls `f` with the folded form of `text`, reusing a per-thread buffer so
/// that evaluating a record allocates nothing once the buffer has grown.
fn with_folded<R>(text: &str, f: impl FnOnce(&str) -> R) -> R {
    thread_local!(static BUF: RefCell<String> = const { RefCell::new(String::new()) });
    if text.contains('Σ') {
        return f(&text.to_lowercase());
    }
    BUF.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            buf.extend(text.chars().flat_map(char::to_lowercase));
            f(&buf)
        }
        // Only reachable if `f` itself folds; stay correct regardless.
        Err(_) => f(&text.to_lowercase()),
    })
}

/// A needle folded once, for matching many haystacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Needle {
    folded: String,
    ascii: bool,
}

impl Needle {
    pub(crate) fn new(text: &str) -> Needle {
        let folded = fold(text);
        let ascii = folded.is_ascii();
        Needle { folded, ascii }
    }

    #[cfg(any(test, feature = "sql"))]
    pub(crate) fn as_str(&self) -> &str {
        &self.folded
    }

    /// `fold(hay) == needle`.
    pub(crate) fn equals(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            return self.ascii && hay.eq_ignore_ascii_case(&self.folded);
        }
        with_folded(hay, |h| h == self.folded)
    }

    /// `fold(hay).starts_with(needle)`.
    pub(crate) fn prefix_of(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            let n = self.folded.len();
            return self.ascii
                && hay.len() >= n
                && hay.as_bytes()[..n].eq_ignore_ascii_case(self.folded.as_bytes());
        }
        with_folded(hay, |h| h.starts_with(&self.folded))
    }

    /// `fold(hay).ends_with(needle)`.
    pub(crate) fn suffix_of(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            let n = self.folded.len();
            return self.ascii
                && hay.len() >= n
                && hay.as_bytes()[hay.len() - n..].eq_ignore_ascii_case(self.folded.as_bytes());
        }
        with_folded(hay, |h| h.ends_with(&self.folded))
    }

    /// `fold(hay).contains(needle)`.
    pub(crate) fn within(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            if !self.ascii {
                return false;
            }
            let needle = self.folded.as_bytes();
            let Some((&first, rest)) = needle.split_first() else {
                return true;
            };
            let hay = hay.as_bytes();
            // Scan for the first byte in either case, then compare the rest.
            let upper = first.to_ascii_uppercase();
            return hay.len() >= needle.len()
                && (0..=hay.len() - needle.len()).any(|i| {
                    (hay[i] == first || hay[i] == upper)
                        && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
                });
        }
        with_folded(hay, |h| h.contains(&self.folded))
    }
}

/// Orders texts as SPEC §5 sorts strings: by folded text without trailing
/// spaces, code point by code point.
pub(crate) fn cmp_folded(a: &str, b: &str) -> Ordering {
    let (a, b) = (trim_spaces(a), trim_spaces(b));
    if a.is_ascii() && b.is_ascii() {
        let ka = a.bytes().map(|c| c.to_ascii_lowercase());
        return ka.cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    if a.contains('Σ') || b.contains('Σ') {
        return fold(a).cmp(&fold(b));
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_str_to_lowercase_including_final_sigma_and_kelvin() {
        let n = Needle::new("ΟΔΟΣ");
        assert_eq!(n.as_str(), "οδος");
        assert!(n.equals("οδος"));
        assert!(Needle::new("k").equals("\u{212A}")); // KELVIN SIGN folds to ASCII k
        assert!(Needle::new("\u{212A}").equals("K"));
        assert!(Needle::new("straße").equals("STRAßE"));
        assert!(!Needle::new("strasse").equals("STRAßE"));
    }

    #[test]
    fn substring_tests_fold_both_sides() {
        let n = Needle::new("AppSrvr1");
        assert!(n.within("CN=APPSRVR14.keyexample.com"));
        assert!(n.within("ÉCN=appsrvr14"));
        assert!(!n.within("appsrv"));
        assert!(Needle::new("").within(""));
        assert!(Needle::new("KEY").prefix_of("keyexample\\j"));
        assert!(Needle::new(".COM").suffix_of("x.com"));
        assert!(Needle::new("É").suffix_of("café"));
        assert!(!Needle::new("é").within("cafe"));
    }

    #[test]
    fn sorting_ignores_case_and_trailing_spaces() {
        assert_eq!(cmp_folded("abc  ", "ABC"), Ordering::Equal);
        assert_eq!(cmp_folded("B", "a"), Ordering::Greater);
        assert_eq!(cmp_folded("é", "z"), Ordering::Greater);
        assert_eq!(cmp_folded("ab", "abc"), Ordering::Less);
    }
}
