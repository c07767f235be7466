//! docs/LANGUAGE.md, “Canonical form”: what `Display` prints, that printing and
//! parsing round-trip, `quote`, `Query::fields` and the AST's serde form.

use kfql::{Expr, Op, Query, Value};

use crate::common::*;

/// (input, canonical form)
const CANONICAL: &[(&str, &str)] = &[
    ("", ""),
    ("  \t\n ", ""),
    ("status -EQ Failed", r#"status -eq "Failed""#),
    ("A -eq 5", r#"A -eq "5""#),
    ("A -eq -5", r#"A -eq "-5""#),
    ("A -eq +5", r#"A -eq "+5""#),
    ("A -eq NULL", "A -eq NULL"),
    ("A -NE null", "A -ne NULL"),
    (r#"A -eq "NULL""#, r#"A -eq "NULL""#),
    (r#"A -eq """#, r#"A -eq """#),
    (r#"A -eq "a\"b""#, r#"A -eq "a\"b""#),
    (r#"A -eq "K\jsmith""#, r#"A -eq "K\\jsmith""#),
    (r#"A -eq "K\\jsmith""#, r#"A -eq "K\\jsmith""#),
    (r#"A -eq "abc\\""#, r#"A -eq "abc\\""#),
    (r"A -eq K\jsmith", r#"A -eq "K\\jsmith""#),
    (r#"A -eq a"b"#, r#"A -eq "a\"b""#),
    ("A -eq %TODAY-30%", r#"A -eq "%TODAY-30%""#),
    (r#"A -eq "%ME%""#, r#"A -eq "%ME%""#),
    (r#"Title -CONTAINS "Σ É""#, r#"Title -contains "Σ É""#),
    ("Ti.t_le -notcontains x", r#"Ti.t_le -notcontains "x""#),
    (
        "A -startswith 1 and B -endswith 2 or C -lt 3",
        r#"A -startswith "1" AND B -endswith "2" OR C -lt "3""#,
    ),
    (
        "A -le 1 Or B -gt 2 aNd C -ge 3",
        r#"A -le "1" OR B -gt "2" AND C -ge "3""#,
    ),
    (
        r#"A -eq "x"AND B -eq 5AND C -eq true"#,
        r#"A -eq "x" AND B -eq "5" AND C -eq "true""#,
    ),
    ("((A -eq 1))", r#"A -eq "1""#),
    (
        "(A -eq 1 OR B -eq 2) AND C -eq 3",
        r#"(A -eq "1" OR B -eq "2") AND C -eq "3""#,
    ),
    (
        "C -eq 3 AND (A -eq 1 OR B -eq 2)",
        r#"C -eq "3" AND (A -eq "1" OR B -eq "2")"#,
    ),
    (
        "(A -eq 1 AND B -eq 2) OR C -eq 3",
        r#"A -eq "1" AND B -eq "2" OR C -eq "3""#,
    ),
    (
        "A -eq 1 AND (B -eq 2 AND C -eq 3)",
        r#"A -eq "1" AND B -eq "2" AND C -eq "3""#,
    ),
    (
        "A -eq 1 OR (B -eq 2 OR C -eq 3)",
        r#"A -eq "1" OR B -eq "2" OR C -eq "3""#,
    ),
    (
        "(A -eq 1 OR (B -eq 2 AND (C -eq 3 OR D -eq 4)))",
        r#"A -eq "1" OR B -eq "2" AND (C -eq "3" OR D -eq "4")"#,
    ),
    ("\tA\n-eq\r\n1\x0B", r#"A -eq "1""#),
    ("(A -eq x)AND(B -eq y)", r#"A -eq "x" AND B -eq "y""#),
];

#[test]
fn display_prints_the_canonical_form() {
    for (input, canonical) in CANONICAL {
        assert_eq!(parse(input).to_string(), *canonical, "{input:?}");
    }
}

#[test]
fn parsing_the_canonical_form_gives_an_equal_query() {
    for (input, canonical) in CANONICAL {
        let q = parse(input);
        let again = parse(&q.to_string());
        assert_eq!(again, q, "{input:?}");
        assert_eq!(again.to_string(), *canonical, "printing is idempotent");
    }
}

#[test]
fn a_bare_number_and_its_quoted_form_mean_the_same() {
    assert_eq!(parse("ReferenceId -eq 5"), parse(r#"ReferenceId -eq "5""#));
    let records = [rec(5, serde_json::json!({})), rec(6, serde_json::json!({}))];
    assert_eq!(matching(r#"ReferenceId -eq "5""#, &records), [5]);
    assert_eq!(matching("ReferenceId -eq 5", &records), [5]);
}

#[test]
fn hand_built_trees_print_with_the_parentheses_they_need() {
    let (a, b, c) = (eq("A", "1"), eq("B", "2"), eq("C", "3"));
    let or_in_and = Query {
        expr: Some(Expr::And(vec![
            Expr::Or(vec![a.clone(), b.clone()]),
            c.clone(),
        ])),
    };
    assert_eq!(
        or_in_and.to_string(),
        r#"(A -eq "1" OR B -eq "2") AND C -eq "3""#
    );
    assert_eq!(parse(&or_in_and.to_string()), or_in_and);
    let and_in_or = Query {
        expr: Some(Expr::Or(vec![a, Expr::And(vec![b, c])])),
    };
    assert_eq!(
        and_in_or.to_string(),
        r#"A -eq "1" OR B -eq "2" AND C -eq "3""#
    );
    assert_eq!(parse(&and_in_or.to_string()), and_in_or);
    let null = Query {
        expr: Some(cmp("A", Op::Ne, None)),
    };
    assert_eq!(null.to_string(), "A -ne NULL");
}

#[test]
fn quote_makes_any_text_a_value() {
    for text in [
        "",
        "plain",
        r#"a"b"#,
        r"KEYEXAMPLE\jsmith",
        "ends with \\",
        r#"\""#,
        "NULL",
        "%ME% and %TODAY%",
        "AND OR ( ) 'x'",
        "Σ é \u{A0} \t\n",
    ] {
        let quoted = kfql::quote(text);
        let q = parse(&format!("Title -eq {quoted}"));
        assert_eq!(only(&q).value, Value::Text(text.into()), "{quoted}");
        assert_eq!(q.to_string(), format!("Title -eq {quoted}"));
    }
    assert_eq!(kfql::quote(r#"a"b\c"#), r#""a\"b\\c""#);
}

#[test]
fn fields_lists_each_field_once_in_order_of_first_use() {
    let q = parse(r#"Status -eq "x" OR (status -eq "y" AND Title -contains z) OR TITLE -eq NULL"#);
    assert_eq!(q.fields(), ["Status", "Title"]);
    let q = parse("C -eq 1 AND (B -eq 1 OR A -eq 1) AND c -eq 2");
    assert_eq!(q.fields(), ["C", "B", "A"]);
    assert!(parse("").fields().is_empty());
}

#[test]
fn the_ast_round_trips_through_serde_json() {
    for (input, _) in CANONICAL {
        let q = parse(input);
        let json = serde_json::to_string(&q).unwrap();
        let back: Query = serde_json::from_str(&json).unwrap();
        assert_eq!(back, q, "{json}");
        assert_eq!(back.to_string(), q.to_string());
    }
    // NULL and "NULL" stay apart, and spans survive.
    let q = parse(r#"A -eq NULL OR A -eq "NULL""#);
    let back: Query = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
    let Some(Expr::Or(xs)) = &back.expr else {
        panic!("{back:?}")
    };
    let [Expr::Compare(null), Expr::Compare(word)] = xs.as_slice() else {
        panic!("{xs:?}")
    };
    assert_eq!(null.value, Value::Null);
    assert_eq!(word.value, Value::Text("NULL".into()));
    assert_eq!((word.span.start, word.span.end), (14, 26));
    assert_eq!((word.value_span.start, word.value_span.end), (20, 26));
}

#[test]
fn equality_ignores_spans() {
    assert_eq!(parse("A -eq 1"), parse("  A   -eq   \"1\"  "));
    assert_ne!(
        parse("A -eq 1"),
        parse("a -eq 1"),
        "field names are kept as written"
    );
    assert_ne!(parse("A -eq x"), parse("A -eq X"), "values keep their case");
}
