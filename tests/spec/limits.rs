//! docs/LANGUAGE.md, “Errors and limits”: limits and input safety: length, depth and comparison count
//! at the limit and one past it, and invalid UTF-8.

use kfql::{Error, ErrorKind, Limits, Parser};

use crate::common::*;

fn limited(limits: Limits) -> Parser {
    let parser = Parser::new().limits(limits);
    assert_eq!(parser.get_limits(), limits);
    parser
}

fn limit_err(parser: &Parser, query: &str, kind: ErrorKind, names: usize) -> Error {
    let err = parser.parse(query).unwrap_err();
    check_error(query, &err);
    assert_eq!(err.kind(), kind, "{query}");
    assert!(
        err.message().contains(&names.to_string()),
        "{}",
        err.message()
    );
    err
}

#[test]
fn default_limits_are_64_kib_depth_64_and_1024_comparisons() {
    assert_eq!(
        Limits::default(),
        Limits {
            max_bytes: 65_536,
            max_depth: 64,
            max_comparisons: 1024
        }
    );
    assert_eq!(Parser::new().get_limits(), Limits::DEFAULT);
    let long = |len: usize| format!("Title -eq \"{}\"", "x".repeat(len - 12));
    assert_eq!(long(65_536).len(), 65_536);
    parse(&long(65_536));
    limit_err(
        &Parser::new(),
        &long(65_537),
        ErrorKind::QueryTooLong,
        65_536,
    );
    assert_eq!(
        kfql::parse(&long(65_537)).unwrap_err().kind(),
        ErrorKind::QueryTooLong
    );
    let nested = |depth: usize| format!("{}A -eq 1{}", "(".repeat(depth), ")".repeat(depth));
    parse(&nested(64));
    let err = limit_err(&Parser::new(), &nested(65), ErrorKind::NestingTooDeep, 64);
    assert_eq!(err.span(), Some(kfql::Span::new(64, 65)));
    let chain = |n: usize| vec!["A -eq 1"; n].join(" OR ");
    parse(&chain(1024));
    let err = limit_err(
        &Parser::new(),
        &chain(1025),
        ErrorKind::TooManyComparisons,
        1024,
    );
    assert_eq!(err.span().unwrap().start, 1024 * 11);
}

#[test]
fn custom_limits_allow_the_value_and_reject_one_past_it() {
    // Bytes, not characters: "é" is two bytes.
    let query = r#"Title -eq "é""#;
    assert_eq!((query.len(), query.chars().count()), (14, 13));
    let bytes = |max_bytes| {
        limited(Limits {
            max_bytes,
            ..Limits::DEFAULT
        })
    };
    bytes(14).parse(query).unwrap();
    let err = limit_err(&bytes(13), query, ErrorKind::QueryTooLong, 13);
    assert_eq!(err.span(), Some(kfql::Span::new(13, 14)));
    let depth = |max_depth| {
        limited(Limits {
            max_depth,
            ..Limits::DEFAULT
        })
    };
    let query = "A -eq 1 OR (B -eq 2 AND (C -eq 3 OR D -eq 4))";
    depth(2).parse(query).unwrap();
    limit_err(&depth(1), query, ErrorKind::NestingTooDeep, 1);
    depth(0).parse("A -eq 1").unwrap();
    limit_err(&depth(0), "(A -eq 1)", ErrorKind::NestingTooDeep, 0);
    let count = |max_comparisons| {
        limited(Limits {
            max_comparisons,
            ..Limits::DEFAULT
        })
    };
    count(4).parse(query).unwrap();
    let err = limit_err(&count(3), query, ErrorKind::TooManyComparisons, 3);
    assert_eq!(spanned(query, &err), "D");
    count(0).parse(" ").unwrap();
    limit_err(&count(0), "A -eq 1", ErrorKind::TooManyComparisons, 0);
}

#[test]
fn deep_input_does_not_overflow_the_stack() {
    let parser = limited(Limits {
        max_bytes: usize::MAX,
        max_depth: usize::MAX,
        max_comparisons: usize::MAX,
    });
    // Decided by the library: depth is capped at Limits::MAX_DEPTH (1,024)
    // whatever the configuration, so that deep ASTs fit a 2 MiB stack.
    assert_eq!(Limits::MAX_DEPTH, 1024);
    let n = Limits::MAX_DEPTH;
    let nested = |n: usize| format!("{}A -eq 1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(
        parser.parse(&nested(n)).unwrap().to_string(),
        r#"A -eq "1""#
    );
    limit_err(&parser, &nested(n + 1), ErrorKind::NestingTooDeep, n);
    // Alternating AND/OR groups at the cap: a tree 1,024 levels deep that
    // prints, parses back equal, compiles and is dropped.
    let mut query = String::new();
    for i in 0..n {
        query.push_str(if i % 2 == 0 {
            "ReferenceId -eq 1 OR ("
        } else {
            "Title -eq x AND ("
        });
    }
    query.push_str("Status -eq Failed");
    query.push_str(&")".repeat(n));
    let q = parser.parse(&query).unwrap();
    let again = parser.parse(&q.to_string()).unwrap();
    assert_eq!(again, q);
    q.compile(&kfql::keyfactor::schema(), &ctx()).unwrap();
    // Far past every limit: an error, not a crash.
    let err = kfql::parse(&"(".repeat(60_000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
    let err = parser.parse(&"(".repeat(200_000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
}

#[test]
fn invalid_utf8_is_an_error_at_the_bad_bytes() {
    let parser = Parser::new();
    for (bytes, at) in [
        (&b"Title -eq \"\xff\""[..], 11..12),
        (&b"\xc3"[..], 0..1),
        (&b"Title -eq \"\xe2\x82\""[..], 11..13),
        (&b"Title -eq x\xed\xa0\x80"[..], 11..12),
    ] {
        let err = parser.parse_bytes(bytes).unwrap_err();
        check_error_in(bytes, &err);
        assert_eq!(err.kind(), ErrorKind::InvalidUtf8, "{bytes:?}");
        assert_eq!(
            err.span(),
            Some(kfql::Span::new(at.start, at.end)),
            "{bytes:?}"
        );
    }
    assert_eq!(
        parser
            .parse_bytes(b"Title -eq \"\xff\"")
            .unwrap_err()
            .render(),
        "error: the query is not valid UTF-8 at byte 11\n\
         \x20 |\n\
         1 | Title -eq \"\u{FFFD}\"\n\
         \x20 |            ^\n"
    );
    // Valid bytes parse as text does; the length limit is checked first.
    assert_eq!(
        parser.parse_bytes("Title -eq \"é\"".as_bytes()).unwrap(),
        parse("Title -eq é")
    );
    let small = limited(Limits {
        max_bytes: 4,
        ..Limits::DEFAULT
    });
    assert_eq!(
        small
            .parse_bytes(b"\xff\xff\xff\xff\xff")
            .unwrap_err()
            .kind(),
        ErrorKind::QueryTooLong
    );
}
