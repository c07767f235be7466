//! docs/LANGUAGE.md, “Syntax”: the grammar, keywords, whitespace, values and the constructs
//! that are errors with a suggestion.

use kfql::{ErrorKind, Expr, Op, Query, Value};

use crate::common::*;

fn and(xs: Vec<Expr>) -> Expr {
    Expr::And(xs)
}

fn or(xs: Vec<Expr>) -> Expr {
    Expr::Or(xs)
}

fn q(e: Expr) -> Query {
    Query { expr: Some(e) }
}

fn value_of(query: &str) -> Value {
    only(&parse(query)).value.clone()
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn and_binds_tighter_than_or() {
    let (a, b, c) = (eq("A", "1"), eq("B", "2"), eq("C", "3"));
    assert_eq!(
        parse("A -eq 1 OR B -eq 2 AND C -eq 3"),
        q(or(vec![a.clone(), and(vec![b.clone(), c.clone()])]))
    );
    assert_eq!(
        parse("A -eq 1 AND B -eq 2 OR C -eq 3"),
        q(or(vec![and(vec![a.clone(), b.clone()]), c.clone()]))
    );
    assert_eq!(
        parse("(A -eq 1 OR B -eq 2) AND C -eq 3"),
        q(and(vec![or(vec![a.clone(), b.clone()]), c.clone()]))
    );
    assert_eq!(
        parse("A -eq 1 AND B -eq 2 AND C -eq 3"),
        q(and(vec![a, b, c]))
    );
}

#[test]
fn parentheses_delimit_themselves() {
    let expected = q(and(vec![eq("A", "x"), eq("B", "y")]));
    for query in [
        r#"(A -eq "x")AND B -eq "y""#,
        r#"A -eq "x" AND(B -eq "y")"#,
        r#"(A -eq "x")AND(B -eq "y")"#,
        "(A -eq x)AND(B -eq y)",
        "( A -eq x ) AND ( ( B -eq y ) )",
    ] {
        assert_eq!(parse(query), expected, "{query}");
    }
    assert_eq!(
        parse(r#"(A -eq "x")OR(B -eq "y")"#),
        q(or(vec![eq("A", "x"), eq("B", "y")]))
    );
}

#[test]
fn vendor_clients_omit_the_space_before_a_keyword() {
    let expected = q(and(vec![eq("A", "x"), eq("B", "5"), eq("C", "true")]));
    assert_eq!(parse(r#"A -eq "x"AND B -eq 5AND C -eq true"#), expected);
    assert_eq!(
        parse(r#"A -eq "x"OR B -eq -12OR C -eq +3"#),
        q(or(vec![eq("A", "x"), eq("B", "-12"), eq("C", "+3")]))
    );
    assert_eq!(
        parse("(A -eq 5)AND B -eq 7and(C -eq 1)"),
        q(and(vec![eq("A", "5"), eq("B", "7"), eq("C", "1")]))
    );
}

#[test]
fn bare_values_that_are_not_numbers_run_to_whitespace() {
    assert_eq!(value_of("A -eq trueAND"), text("trueAND"));
    assert_eq!(value_of("A -eq 2024-06-01AND"), text("2024-06-01AND"));
    assert_eq!(value_of("A -eq 5ANDROID"), text("5ANDROID"));
    assert_eq!(value_of("A -eq 5ORx"), text("5ORx"));
    assert_eq!(value_of("A -eq xOR"), text("xOR"));
    assert_eq!(value_of("A -eq a\"b"), text("a\"b"));
    assert_eq!(value_of("A -eq %TODAY-30%"), text("%TODAY-30%"));
    // Only ASCII digits make a number: this is one bare value.
    assert_eq!(value_of("A -eq \u{663}AND"), text("\u{663}AND"));
    // So `trueAND B …` is one value followed by a stray word.
    parse_fails("A -eq trueAND B -eq 1", ErrorKind::Syntax, "B");
}

#[test]
fn keywords_operators_and_field_names_ignore_case() {
    let expected = q(or(vec![
        and(vec![
            eq("status", "x"),
            cmp("title", Op::Contains, Some("y")),
        ]),
        cmp("RefId", Op::Gt, Some("5")),
    ]));
    assert_eq!(
        parse(r#"status -EQ "x" and title -Contains y Or RefId -gT 5"#),
        expected
    );
    assert_eq!(
        parse(r#"status -eq "x" aNd title -cONTAINS y oR RefId -gt 5"#),
        expected
    );
    for (word, op) in [
        ("-EQ", Op::Eq),
        ("-Ne", Op::Ne),
        ("-CONTAINS", Op::Contains),
        ("-NotContains", Op::NotContains),
        ("-StartsWith", Op::StartsWith),
        ("-ENDSWITH", Op::EndsWith),
        ("-LT", Op::Lt),
        ("-lE", Op::Le),
        ("-Gt", Op::Gt),
        ("-gE", Op::Ge),
    ] {
        assert_eq!(only(&parse(&format!("A {word} 1"))).op, op, "{word}");
    }
    // Field names keep their case in the AST and resolve ignoring it.
    let records = [rec(1, serde_json::json!({"Title": "Hello"}))];
    assert_eq!(matching(r#"tItLe -eq "hello""#, &records), [1]);
    assert_eq!(matching(r#"TITLE -eq "HELLO""#, &records), [1]);
    assert_eq!(
        matching("title -eq Hello And REFERENCEID -eq 1", &records),
        [1]
    );
}

#[test]
fn keywords_need_a_boundary_after_them() {
    // Words that start with a keyword are field names or values.
    for field in ["ORDER", "ANDROID", "NOTE", "NULLABLE", "Or_1", "And.x"] {
        assert_eq!(only(&parse(&format!("{field} -eq 1"))).field, field);
    }
    assert_eq!(value_of("A -eq NULLX"), text("NULLX"));
    assert_eq!(value_of("A -eq Nulls"), text("Nulls"));
    assert_eq!(value_of("(A -eq NULL)"), Value::Null);
    parse_fails("A -eq 1 ANDB -eq 2", ErrorKind::Syntax, "ANDB");
    parse_fails(r#"A -eq "x" ORB -eq 2"#, ErrorKind::Syntax, "ORB");
    // The space before a keyword may be empty only after `"`, `)` or a number.
    parse_fails("A -eq x AND B -eq yOR C -eq 1", ErrorKind::Syntax, "C");
}

#[test]
fn every_ascii_whitespace_kind_separates() {
    let expected = parse(r#"A -eq "x" AND B -eq 5"#);
    for ws in [
        " ",
        "\t",
        "\r",
        "\n",
        "\x0C",
        "\x0B",
        "\r\n",
        " \t\x0B\x0C ",
    ] {
        let query = format!("{ws}A{ws}-eq{ws}\"x\"{ws}AND{ws}B{ws}-eq{ws}5{ws}");
        assert_eq!(parse(&query), expected, "{query:?}");
        let query = format!("({ws}A -eq 1{ws}){ws}");
        assert_eq!(parse(&query), q(eq("A", "1")), "{query:?}");
    }
}

#[test]
fn non_ascii_whitespace_is_not_whitespace() {
    for ws in [
        '\u{A0}', '\u{2003}', '\u{3000}', '\u{85}', '\u{2028}', '\u{FEFF}',
    ] {
        // Not a blank query.
        parse_err(&ws.to_string());
        // Not a separator between field and operator, nor operator and value.
        parse_err(&format!("A{ws}-eq 1"));
        parse_fails(&format!("A -eq{ws}\"x\""), ErrorKind::Syntax, "");
        // Part of a bare value.
        assert_eq!(value_of(&format!("A -eq 1{ws}")), text(&format!("1{ws}")));
        // Not a separator before a keyword either.
        assert_eq!(
            value_of(&format!("A -eq x{ws}AND")),
            text(&format!("x{ws}AND"))
        );
    }
    let err = parse_fails("A\u{A0}-eq 1", ErrorKind::UnknownOperator, "\u{A0}-eq");
    assert!(err.message().contains("after `A`"), "{}", err.message());
}

#[test]
fn quoted_values_resolve_two_escapes_and_keep_other_backslashes() {
    assert_eq!(value_of(r#"A -eq "a\"b""#), text(r#"a"b"#));
    assert_eq!(value_of(r#"A -eq "a\\b""#), text(r"a\b"));
    assert_eq!(
        value_of(r#"A -eq "KEYEXAMPLE\jsmith""#),
        text(r"KEYEXAMPLE\jsmith")
    );
    assert_eq!(
        parse(r#"A -eq "KEYEXAMPLE\jsmith""#),
        parse(r#"A -eq "KEYEXAMPLE\\jsmith""#)
    );
    assert_eq!(value_of(r#"A -eq "abc\\""#), text(r"abc\"));
    assert_eq!(value_of(r#"A -eq "\\\"""#), text(r#"\""#));
    assert_eq!(value_of(r#"A -eq "\n\t""#), text(r"\n\t"));
    assert_eq!(value_of(r#"A -eq "é\é""#), text(r"é\é"));
    assert_eq!(value_of(r#"A -eq """#), text(""));
    assert_eq!(value_of(r#"A -eq "a b(c)AND OR""#), text("a b(c)AND OR"));
    assert_eq!(value_of("A -eq \"line\nbreak\""), text("line\nbreak"));
    // A quoted value needs no space after the operator.
    assert_eq!(value_of(r#"A -eq"x""#), text("x"));
    let err = parse_fails(
        r#"A -eq "abc\""#,
        ErrorKind::UnterminatedString,
        r#""abc\""#,
    );
    assert!(err.suggestion().unwrap().contains(r"\\"));
    parse_fails(r#"A -eq "abc"#, ErrorKind::UnterminatedString, r#""abc"#);
    parse_fails(r#"A -eq "abc\"#, ErrorKind::UnterminatedString, r#""abc\"#);
}

#[test]
fn null_is_a_keyword_and_quoted_null_is_text() {
    assert_eq!(value_of("A -eq NULL"), Value::Null);
    assert_eq!(value_of("A -ne null"), Value::Null);
    assert_eq!(value_of("A -eq NuLl"), Value::Null);
    assert_eq!(value_of(r#"A -eq "NULL""#), text("NULL"));
    assert_eq!(value_of(r#"A -contains "NULL""#), text("NULL"));
    assert_eq!(
        parse("A -eq NULL AND B -ne NULL"),
        q(and(vec![cmp("A", Op::Eq, None), cmp("B", Op::Ne, None)]))
    );
    for op in Op::ALL
        .into_iter()
        .filter(|op| !matches!(op, Op::Eq | Op::Ne))
    {
        let query = format!("A {op} NULL");
        let err = parse_fails(&query, ErrorKind::NullOperator, "NULL");
        assert!(err.suggestion().unwrap().contains("\"NULL\""), "{query}");
    }
    parse_fails("NULL -eq 1", ErrorKind::KeywordAsField, "NULL");
}

#[test]
fn other_languages_constructs_say_what_to_write_instead() {
    let cases = [
        (r#"NOT Status -eq "x""#, "NOT", "-ne"),
        (r#"NOT(Status -eq "x")"#, "NOT", "-notcontains"),
        (r#"A -eq 1 AND not B -eq 2"#, "not", "-ne"),
        (r#"Status -in "a,b""#, "-in", "OR"),
        (r#"Status -IN "a,b""#, "-IN", "OR"),
        ("Title -eq 'x'", "'x'", "double quotes"),
        ("Title -eq 'x y'", "'x", "double quotes"),
        (r#"Status = "x""#, "=", "-eq"),
        (r#"Status == "x""#, "==", "-eq"),
        (r#"Status != "x""#, "!=", "-ne"),
        (r#"Status <> "x""#, "<>", "-ne"),
        ("ReferenceId >= 5", ">=", "-ge"),
        ("ReferenceId < 5", "<", "-lt"),
        (r#"Title -like "x""#, "-like", "-contains"),
    ];
    for (query, at, hint) in cases {
        let err = parse_fails(query, ErrorKind::Unsupported, at);
        let suggestion = err
            .suggestion()
            .unwrap_or_else(|| panic!("{query}: no suggestion"));
        assert!(suggestion.contains(hint), "{query}: {suggestion}");
    }
}

#[test]
fn empty_and_blank_queries_match_every_record() {
    let records = [
        rec(1, serde_json::json!({})),
        rec(2, serde_json::json!({"Title": null})),
    ];
    for query in ["", " ", "\t\r\n\x0B\x0C  "] {
        assert_eq!(parse(query), Query { expr: None });
        assert_eq!(parse(query), Query::default());
        assert_eq!(matching(query, &records), [1, 2]);
    }
}

#[test]
fn a_value_is_required() {
    parse_fails("Status -eq", ErrorKind::MissingValue, "");
    parse_fails("Status -eq   ", ErrorKind::MissingValue, "");
    parse_fails("(Status -eq)", ErrorKind::MissingValue, ")");
    parse_fails("Status -eq (x)", ErrorKind::MissingValue, "(");
}

#[test]
fn structure_errors() {
    parse_fails("Status", ErrorKind::Syntax, "");
    parse_fails("Status-eq 1", ErrorKind::Syntax, "");
    parse_fails("Status -eqx 1", ErrorKind::UnknownOperator, "-eqx");
    parse_fails("Status -eq 1 Title", ErrorKind::Syntax, "Title");
    parse_fails("Status -eq 1 AND", ErrorKind::Syntax, "");
    parse_fails("Status -eq 1 OR OR B -eq 1", ErrorKind::Syntax, "OR");
    parse_fails("AND Status -eq 1", ErrorKind::Syntax, "AND");
    parse_fails("5 -eq 1", ErrorKind::Syntax, "5");
    parse_fails("_A -eq 1", ErrorKind::Syntax, "_A");
    parse_fails("É -eq 1", ErrorKind::Syntax, "É");
    parse_fails("()", ErrorKind::Syntax, ")");
    parse_fails("(A -eq 1", ErrorKind::UnbalancedParenthesis, "");
    parse_fails("A -eq 1)", ErrorKind::UnbalancedParenthesis, ")");
    parse_fails("(A -eq 1))", ErrorKind::UnbalancedParenthesis, ")");
    // `5AND` stops the number before AND, which then needs a comparison.
    parse_fails("A -eq 5AND", ErrorKind::Syntax, "");
}

#[test]
fn field_names_follow_the_field_rule() {
    for field in ["A", "a1", "Definition.Id", "x_y", "A.b_2.c", "z9"] {
        assert_eq!(only(&parse(&format!("{field} -eq 1"))).field, field);
    }
}
