//! Properties over generated queries: every text either parses, prints to
//! a canonical form that parses back equal, and compiles or fails with a
//! well-formed error; or fails to parse with a well-formed error (docs/LANGUAGE.md,
//! “Canonical form” and “Errors and limits”: never a panic).

use proptest::prelude::*;

use crate::common::*;

/// Fragments that exercise keywords, operators, values, tokens, quotes,
/// escapes, parentheses and every kind of whitespace, ASCII or not.
const FRAGMENTS: &[&str] = &[
    "Title",
    "status",
    "ReferenceId",
    "StartDate",
    "Id",
    "X.y_1",
    "AND",
    "and",
    "OR",
    "NOT",
    "NULL",
    "null",
    "-eq",
    "-NE",
    "-contains",
    "-notcontains",
    "-startswith",
    "-endswith",
    "-lt",
    "-le",
    "-gt",
    "-ge",
    "-in",
    "=",
    "!=",
    "\"",
    "\\",
    "\\\"",
    "\"x\"",
    "\"a b\"",
    "\"\"",
    "'x'",
    "5",
    "-12",
    "+3",
    "5AND",
    "trueAND",
    "2024-06-01",
    "6/1/2024",
    "2024-06-01T10:00:00Z",
    "%TODAY%",
    "%TODAY-30%",
    "%TODAY+%",
    "%ME%",
    "Failed",
    "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
    "(",
    ")",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\x0B",
    "\x0C",
    "\u{A0}",
    "é",
    "Σ",
    "\u{212A}",
    "\u{1F600}",
    "\0",
];

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|parts| parts.concat())
}

/// Well-formed queries: comparisons with any operator and a quoted, bare
/// or NULL value, joined by AND/OR in any case, grouped at random, with
/// random ASCII whitespace.
fn valid_query() -> impl Strategy<Value = String> {
    let ws = prop::sample::select(&[" ", "  ", "\t", "\n", "\r\n", "\x0B", "\x0C"][..]);
    let op = prop::sample::select(&KFQL_OPS[..]);
    let value = prop_oneof![
        any::<String>().prop_map(|t| kfql::quote(&t)),
        // Not starting with a digit or sign (`5or` would end at the keyword),
        // and not the NULL keyword.
        "[a-z%.:/{}][A-Za-z0-9%+.:/{}-]{0,11}"
            .prop_filter("the NULL keyword", |t| !t.eq_ignore_ascii_case("null")),
        Just("NULL".to_owned()),
    ];
    let comparison = (
        "[A-Za-z][A-Za-z0-9_.]{0,8}",
        ws.clone(),
        op,
        ws.clone(),
        value,
    )
        .prop_map(|(field, w1, op, w2, value)| {
            let lower = field.to_ascii_lowercase();
            let field = if ["and", "or", "not", "null"].contains(&lower.as_str()) {
                format!("F{field}")
            } else {
                field
            };
            let value = if value == "NULL" && !matches!(op, "-eq" | "-ne" | "-EQ" | "-Ne") {
                "\"NULL\"".to_owned()
            } else {
                value
            };
            format!("{field}{w1}{op}{w2}{value}")
        });
    comparison.prop_recursive(4, 24, 4, move |inner| {
        let joiner = prop::sample::select(&[" AND ", " OR ", " and ", "\tOr\n"][..]);
        prop_oneof![
            (inner.clone(), joiner, inner.clone()).prop_map(|(a, j, b)| format!("{a}{j}{b}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

const KFQL_OPS: [&str; 12] = [
    "-eq",
    "-ne",
    "-contains",
    "-notcontains",
    "-startswith",
    "-endswith",
    "-lt",
    "-le",
    "-gt",
    "-ge",
    "-EQ",
    "-Ne",
];

proptest! {
    #[test]
    fn well_formed_queries_parse_and_print_back_equal(text in valid_query()) {
        let q = kfql::parse(&text)
            .unwrap_or_else(|e| panic!("{text:?} should parse:\n{}", e.render()));
        let printed = q.to_string();
        prop_assert_eq!(&kfql::parse(&printed).unwrap(), &q);
        prop_assert_eq!(kfql::parse(&printed).unwrap().to_string(), printed);
    }

    #[test]
    fn every_query_parses_and_round_trips_or_fails_cleanly(text in query()) {
        match kfql::parse(&text) {
            Ok(q) => {
                let printed = q.to_string();
                let again = kfql::parse(&printed)
                    .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}:\n{}", e.render()));
                prop_assert_eq!(&again, &q, "{:?} printed as {:?}", text, printed);
                prop_assert_eq!(again.to_string(), printed);
                let ctx = ctx().with_user(r"KEYEXAMPLE\jsmith");
                if let Err(e) = kfql::compile(&text, &kfql::keyfactor::schema(), &ctx) {
                    check_error(&text, &e);
                    prop_assert!(e.kind().is_query_error());
                }
            }
            Err(e) => check_error(&text, &e),
        }
    }

    #[test]
    fn any_bytes_are_a_query_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        match kfql::Parser::new().parse_bytes(&bytes) {
            Ok(q) => prop_assert_eq!(kfql::parse(&q.to_string()).unwrap(), q),
            Err(e) => check_error_in(&bytes, &e),
        }
    }

    #[test]
    fn quote_round_trips_any_text(text in any::<String>()) {
        let q = parse(&format!("Title -eq {}", kfql::quote(&text)));
        prop_assert_eq!(&only(&q).value, &kfql::Value::Text(text));
    }
}
