//! Case-insensitive text comparison without allocation.
//!
//! docs/LANGUAGE.md, “Meaning of comparisons”, folds both sides with Rust's `str::to_lowercase`. Folding one
//! `char` at a time with `char::to_lowercase` gives the same text except
//! for `Σ`, which `str::to_lowercase` turns into `ς` at the end of a word;
//! texts holding a `Σ` take the allocating path so that the result is
//! exactly `str::to_lowercase`'s. Needles are folded once, at compile time.
//!
//! ASCII haystacks take a byte path: their folding is ASCII, so a needle
//! whose folding is not ASCII can never match them, and folding never
//! changes their length.

use std::cell::RefCell;

use crate::bytes::{ONES, zero_bytes};
use std::cmp::Ordering;

/// `text` without trailing U+0020 spaces (only those, as SQL Server's `=`).
#[inline]
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
            push_folded(&mut buf, text);
            f(&buf)
        }
        // Only reachable if `f` itself folds; stay correct regardless.
        Err(_) => f(&text.to_lowercase()),
    })
}

/// Appends `text` folded a `char` at a time (exact unless it holds `Σ`).
/// Mostly-ASCII text is the common case, so ASCII bytes skip
/// `char::to_lowercase`'s iterator.
fn push_folded(buf: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            buf.extend(c.to_lowercase());
        }
    }
}

/// The folded `char`s of `text` (exact unless it holds `Σ`), lazily.
fn folded_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
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

    #[cfg(any(test, feature = "sql", feature = "arrow"))]
    pub(crate) fn as_str(&self) -> &str {
        &self.folded
    }

    /// `fold(hay) == needle`, in one pass over the hay's ASCII prefix:
    /// there folding maps byte `i` to byte `i` of the folded text, so the
    /// first difference is the answer (most hays differ early), and only a
    /// hay that reaches a non-ASCII byte first is folded whole.
    #[inline]
    pub(crate) fn equals(&self, hay: &str) -> bool {
        let needle = self.folded.as_bytes();
        for (i, &b) in hay.as_bytes().iter().enumerate() {
            if !b.is_ascii() {
                return with_folded(hay, |h| h == self.folded);
            }
            if needle.get(i) != Some(&b.to_ascii_lowercase()) {
                return false;
            }
        }
        hay.len() == needle.len()
    }

    /// `fold(hay).starts_with(needle)`.
    pub(crate) fn prefix_of(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            let n = self.folded.len();
            return self.ascii
                && hay.len() >= n
                && hay.as_bytes()[..n].eq_ignore_ascii_case(self.folded.as_bytes());
        }
        if hay.contains('Σ') {
            return fold(hay).starts_with(&self.folded);
        }
        // Fold only as much of the haystack as the needle needs.
        let mut hay = folded_chars(hay);
        self.folded.chars().all(|c| hay.next() == Some(c))
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
            if hay.len() < needle.len() {
                return false;
            }
            // Candidates are the positions of the first byte in either case,
            // found eight bytes at a time; only they compare the rest.
            let last = hay.len() - needle.len();
            let finder = FirstByte::new(first);
            return crate::bytes::positions(hay, |w| finder.hits(w))
                .take_while(|&i| i <= last)
                .any(|i| hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest));
        }
        with_folded(hay, |h| h.contains(&self.folded))
    }
}

/// A folded needle's first byte in either case, as a byte set for the
/// eight-at-a-time scans of `crate::bytes`: for a letter, `byte | 0x20` equals it exactly
/// when the byte is that letter in either case; any other byte must equal
/// it as it is.
struct FirstByte {
    fold: u64,
    pattern: u64,
}

impl FirstByte {
    fn new(first: u8) -> FirstByte {
        let fold = if first.is_ascii_lowercase() { 0x20 } else { 0 };
        FirstByte {
            fold: fold * ONES,
            pattern: u64::from(first) * ONES,
        }
    }

    /// Bit 8·j + 7 set for each byte j of `word` that is a candidate.
    #[inline]
    fn hits(&self, word: u64) -> u64 {
        zero_bytes((word | self.fold) ^ self.pattern)
    }
}

/// Orders texts as strings sort (docs/LANGUAGE.md, “Sorting and paging”): by folded
/// text without trailing spaces, code point by code point.
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

    // Texts over a small alphabet, so needles occur often and at every
    // offset of the eight-byte scan: letters in both cases, `.` and its
    // 0x20-bit twin 0x0E, NUL, and non-ASCII letters that fold to ASCII or
    // grow when folded.
    const ALPHABET: &str = "[aAbB.\x0e\x00é\u{212A}İΣ]";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        #[test]
        fn needles_agree_with_folding_the_whole_haystack(
            hay in proptest::string::string_regex(&format!("{ALPHABET}{{0,40}}")).unwrap(),
            needle in proptest::string::string_regex(&format!("{ALPHABET}{{0,4}}")).unwrap(),
        ) {
            let n = Needle::new(&needle);
            let (h, f) = (fold(&hay), n.as_str().to_owned());
            proptest::prop_assert_eq!(n.within(&hay), h.contains(&f), "within");
            proptest::prop_assert_eq!(n.prefix_of(&hay), h.starts_with(&f), "prefix_of");
            proptest::prop_assert_eq!(n.suffix_of(&hay), h.ends_with(&f), "suffix_of");
            proptest::prop_assert_eq!(n.equals(&hay), h == f, "equals");
        }

        /// Hays as short as the needles, so that many are equal.
        #[test]
        fn equals_agrees_with_folding_the_whole_haystack(
            hay in proptest::string::string_regex(&format!("{ALPHABET}{{0,5}}")).unwrap(),
            needle in proptest::string::string_regex(&format!("{ALPHABET}{{0,5}}")).unwrap(),
        ) {
            let n = Needle::new(&needle);
            proptest::prop_assert_eq!(n.equals(&hay), fold(&hay) == n.as_str());
            proptest::prop_assert!(n.equals(&needle));
        }
    }

    #[test]
    fn the_scan_finds_a_needle_at_every_offset_and_no_twin_bytes() {
        for len in 1..40 {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                hay[at] = b'.';
                let hay = String::from_utf8(hay).unwrap();
                assert!(Needle::new(".").within(&hay), "{hay:?}");
                assert!(
                    !Needle::new(".").within(&hay.replace('.', "\u{e}")),
                    "{hay:?}"
                );
                if at + 2 <= len {
                    let hay = format!("{}Ab{}", &hay[..at], &hay[at + 1..len - 1]);
                    assert!(Needle::new("aB").within(&hay), "{hay:?}");
                    assert!(!Needle::new("ac").within(&hay), "{hay:?}");
                }
            }
        }
    }
}
