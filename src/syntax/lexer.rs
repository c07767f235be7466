//! Leaf parsers: whitespace, keywords, field names, operators and values.
//!
//! Each function's doc comment is the production of the grammar (in
//! `syntax/mod.rs`) it implements.
//! They are nom parsers over `&str`; the driver in `parser.rs` turns their
//! failures into [`Error`](crate::Error)s with spans, because only it knows
//! what was expected at that point.

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{digit1, one_of};
use nom::combinator::{opt, peek, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser};

use crate::bytes::find2;

pub(crate) type Res<'a, T> = IResult<&'a str, T>;

/// `ws := space, tab, CR, LF, FF, VT` — ASCII only, as the grammar requires.
pub(crate) fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0C' | '\x0B')
}

/// `ws*`
pub(crate) fn parse_ws(i: &str) -> Res<'_, &str> {
    take_while(is_ws).parse(i)
}

/// The reserved words. A keyword counts only when followed by whitespace,
/// `(`, `)` or the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    Null,
}

impl Keyword {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Keyword::And => "AND",
            Keyword::Or => "OR",
            Keyword::Not => "NOT",
            Keyword::Null => "NULL",
        }
    }
}

/// `keyword := ( AND | OR | NOT | NULL ) &( ws | "(" | ")" | EOF )`, any case.
pub(crate) fn parse_keyword(i: &str) -> Res<'_, Keyword> {
    let word_len = i.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (word, rest) = i.split_at(word_len);
    let kw = match word.len() {
        2 if word.eq_ignore_ascii_case("OR") => Keyword::Or,
        3 if word.eq_ignore_ascii_case("AND") => Keyword::And,
        3 if word.eq_ignore_ascii_case("NOT") => Keyword::Not,
        4 if word.eq_ignore_ascii_case("NULL") => Keyword::Null,
        _ => return fail(i),
    };
    match rest.chars().next() {
        None => Ok((rest, kw)),
        Some(c) if is_ws(c) || c == '(' || c == ')' => Ok((rest, kw)),
        Some(_) => fail(i),
    }
}

/// Whether `word` is one of the reserved words, in any case.
pub(crate) fn is_keyword(word: &str) -> bool {
    parse_keyword(word).is_ok_and(|(rest, _)| rest.is_empty())
}

/// The length in bytes of the field name that starts `text`, 0 if none:
/// the one statement of the rule, for the parser and for schemas (whose
/// fields must be names a query can write).
fn field_len(text: &str) -> usize {
    // All ASCII, so a byte scan (this runs once per comparison; nom's
    // `char` combinators decode UTF-8 on the way).
    let b = text.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return 0;
    }
    1 + b[1..]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        .count()
}

/// Whether all of `name` is a `field` (keywords aside: see [`is_keyword`]).
pub(crate) fn is_field_name(name: &str) -> bool {
    !name.is_empty() && field_len(name) == name.len()
}

/// `field := letter ( letter | digit | "_" | "." )*`
pub(crate) fn parse_field(i: &str) -> Res<'_, &str> {
    match field_len(i) {
        0 => fail(i),
        len => Ok((&i[len..], &i[..len])),
    }
}

/// `operator := "-" letter+` — looked up afterwards, so that `-equals`
/// gets "did you mean `-eq`?" rather than a bare syntax error.
pub(crate) fn parse_operator_word(i: &str) -> Res<'_, &str> {
    let b = i.as_bytes();
    let letters = b
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    if b.first() != Some(&b'-') || letters == 0 {
        return fail(i);
    }
    Ok((&i[1 + letters..], &i[..1 + letters]))
}

/// `number := ( "+" | "-" )? digit+`
pub(crate) fn parse_number(i: &str) -> Res<'_, &str> {
    recognize(pair(opt(one_of("+-")), digit1)).parse(i)
}

/// `bare := number &(keyword) | ( any char but ws, "(", ")" )+`
///
/// The first branch lets the vendors' clients write `5AND B -eq 1`; a bare
/// value that is not a number runs to the next whitespace or parenthesis,
/// so `trueAND` and `5ANDROID` are single values.
pub(crate) fn parse_bare(i: &str) -> Res<'_, &str> {
    if let Ok((rest, number)) = (parse_number, peek(parse_keyword))
        .parse(i)
        .map(|(r, (n, _))| (r, n))
    {
        return Ok((rest, number));
    }
    take_while1(|c: char| !is_ws(c) && c != '(' && c != ')').parse(i)
}

/// Why a quoted value could not be read.
pub(crate) struct Unterminated;

/// `quoted := '"' ( '\"' | '\\' | '\' c | c )* '"'` — `c` is any character
/// but `"` and `\`. `\"` is a quote and `\\` one backslash; a backslash
/// before anything else is kept, so `"KEYEXAMPLE\jsmith"` means what
/// `"KEYEXAMPLE\\jsmith"` means, and `"abc\"` is unterminated.
///
/// `i` starts at the opening quote. Returns the rest and the unescaped text.
pub(crate) fn parse_quoted(i: &str) -> Result<(&str, String), Unterminated> {
    debug_assert!(i.starts_with('"'));
    let body = &i[1..];
    let bytes = body.as_bytes();
    // Only ASCII bytes matter here, so a byte scan is safe for UTF-8: the
    // bytes of a multi-byte character are never `"` or `\`.
    // Values are short (a GUID, a name, a date): one SWAR pass for either
    // byte beats two `memchr` calls, whose setup costs more than the scan.
    let special = |from: usize| find2(&bytes[from..], b'"', b'\\').map(|p| from + p);
    let mut out: Option<String> = None; // allocated once an escape needs it
    let mut from = 0; // start of the run not yet copied to `out`
    let mut at = 0;
    while let Some(hit) = special(at) {
        if bytes[hit] == b'"' {
            let text = match out {
                None => body[..hit].to_owned(),
                Some(mut s) => {
                    s.push_str(&body[from..hit]);
                    s
                }
            };
            return Ok((&body[hit + 1..], text));
        }
        match bytes.get(hit + 1) {
            Some(b'"' | b'\\') => {
                let s = out.get_or_insert_with(|| String::with_capacity(body.len().min(hit + 64)));
                s.push_str(&body[from..hit]);
                from = hit + 1; // keep the escaped character, drop the backslash
                at = hit + 2;
            }
            Some(_) => at = hit + 1,
            None => return Err(Unterminated),
        }
    }
    Err(Unterminated)
}

fn fail<T>(i: &str) -> Res<'_, T> {
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Tag,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_need_a_boundary_after_them() {
        assert_eq!(parse_keyword("and x").unwrap().1, Keyword::And);
        assert_eq!(parse_keyword("OR(").unwrap().1, Keyword::Or);
        assert_eq!(parse_keyword("Null").unwrap().1, Keyword::Null);
        assert!(parse_keyword("ANDROID").is_err());
        assert!(parse_keyword("AND_").is_err());
        assert!(is_keyword("nOt") && !is_keyword("NOTE") && !is_keyword("NOT "));
    }

    #[test]
    fn field_names_start_with_a_letter_and_hold_letters_digits_underscores_dots() {
        assert_eq!(
            parse_field("Definition.Id -eq").unwrap(),
            (" -eq", "Definition.Id")
        );
        assert!(parse_field("_x").is_err() && parse_field("1x").is_err());
        assert!(is_field_name("a_1.B") && !is_field_name("") && !is_field_name("a-b"));
        assert!(!is_field_name("Straße") && !is_field_name("a b"));
    }

    #[test]
    fn bare_numbers_stop_before_a_keyword_only() {
        assert_eq!(parse_bare("5AND x").unwrap(), ("AND x", "5"));
        assert_eq!(parse_bare("-12OR(").unwrap(), ("OR(", "-12"));
        assert_eq!(parse_bare("5ANDROID x").unwrap(), (" x", "5ANDROID"));
        assert_eq!(parse_bare("trueAND x").unwrap(), (" x", "trueAND"));
        assert_eq!(parse_bare("2024-06-01AND").unwrap(), ("", "2024-06-01AND"));
        assert_eq!(parse_bare("x)y").unwrap(), (")y", "x"));
    }

    #[test]
    fn quoted_values_resolve_only_two_escapes() {
        let q = |s| parse_quoted(s).ok().map(|(rest, v)| (rest.to_owned(), v));
        assert_eq!(q(r#""a\"b" x"#), Some((" x".into(), r#"a"b"#.into())));
        assert_eq!(q(r#""K\\j""#), Some(("".into(), r"K\j".into())));
        assert_eq!(q(r#""K\j""#), Some(("".into(), r"K\j".into())));
        assert_eq!(q(r#""\\\"""#), Some(("".into(), r#"\""#.into())));
        assert!(q(r#""abc\""#).is_none());
        assert!(q(r#""abc\"#).is_none());
        assert!(q(r#""abc"#).is_none());
    }
}
