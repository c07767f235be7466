//! docs/LANGUAGE.md, “Errors and limits”: one case per error kind (kind, span, suggestion, and the
//! rendering a person sees), record and schema errors, and the JSON form.

use kfql::{Context, Direction, Error, ErrorKind, FieldType, Page, Schema, Sort};

use crate::common::*;

/// A parse error's kind, covered text, suggestion and exact rendering.
fn parse_case(query: &str, kind: ErrorKind, at: &str, suggestion: Option<&str>, render: &str) {
    let err = parse_fails(query, kind, at);
    assert_eq!(err.suggestion(), suggestion, "{query}");
    assert_eq!(err.render(), render, "{query}");
}

/// The same for a compile error against the workflow-instance schema.
fn compile_case(
    query: &str,
    ctx: &Context,
    kind: ErrorKind,
    at: &str,
    suggestion: Option<&str>,
    render: &str,
) {
    let err = compile_err_with(query, &kfql::keyfactor::schema(), ctx);
    assert_eq!(err.kind(), kind, "{query}: {}", err.render());
    assert_eq!(spanned(query, &err), at, "{query}");
    assert_eq!(err.suggestion(), suggestion, "{query}");
    assert_eq!(err.render(), render, "{query}");
}

#[test]
fn syntax() {
    parse_case(
        r#"Status -eq "Failed" Title"#,
        ErrorKind::Syntax,
        "Title",
        None,
        "error: expected AND, OR, `)` or the end of the query, found `Title`\n\
         \x20 |\n\
         1 | Status -eq \"Failed\" Title\n\
         \x20 |                     ^^^^^\n",
    );
}

#[test]
fn syntax_error_on_a_later_line() {
    parse_case(
        "Status -eq \"x\"\r\nAND Title -eq \"y\" )",
        ErrorKind::UnbalancedParenthesis,
        ")",
        None,
        "error: found `)` without a matching `(`\n\
         \x20 |\n\
         2 | AND Title -eq \"y\" )\n\
         \x20 |                   ^\n",
    );
}

#[test]
fn unterminated_string() {
    parse_case(
        r#"Title -eq "abc"#,
        ErrorKind::UnterminatedString,
        r#""abc"#,
        Some(r#"a quote inside a value is written `\"`, a backslash at its end `\\`"#),
        "error: the quoted value has no closing `\"`; a quote inside a value is written `\\\"`, \
         a backslash at its end `\\\\`\n\
         \x20 |\n\
         1 | Title -eq \"abc\n\
         \x20 |           ^^^^\n",
    );
}

#[test]
fn unbalanced_parenthesis_points_at_the_end_and_where_the_group_opened() {
    let query = r#"Title -eq "é" AND (Status -eq "x""#;
    let err = parse_fails(query, ErrorKind::UnbalancedParenthesis, "");
    let (opened, label) = err.secondary().unwrap();
    assert_eq!(&query[opened.start..opened.end], "(");
    assert_eq!(label, "the group opened here");
    assert_eq!(
        err.render(),
        "error: expected `)` to close the group, found the end of the query\n\
         \x20 |\n\
         1 | Title -eq \"é\" AND (Status -eq \"x\"\n\
         \x20 |                                  ^\n\
         \x20 |                   - the group opened here\n"
    );
}

#[test]
fn missing_value_at_the_end_of_input() {
    parse_case(
        "Status -eq",
        ErrorKind::MissingValue,
        "",
        None,
        "error: expected a value after -eq, found the end of the query\n\
         \x20 |\n\
         1 | Status -eq\n\
         \x20 |           ^\n",
    );
}

#[test]
fn unknown_operator() {
    parse_case(
        r#"Status -eq "Failed" AND Title -equals "x""#,
        ErrorKind::UnknownOperator,
        "-equals",
        Some("did you mean `-eq`?"),
        "error: `-equals` is not an operator; did you mean `-eq`?\n\
         \x20 |\n\
         1 | Status -eq \"Failed\" AND Title -equals \"x\"\n\
         \x20 |                               ^^^^^^^\n",
    );
    let err = parse_fails(
        "Title -startwith x",
        ErrorKind::UnknownOperator,
        "-startwith",
    );
    assert_eq!(err.suggestion(), Some("did you mean `-startswith`?"));
    let err = parse_fails("Title eq x", ErrorKind::UnknownOperator, "eq");
    assert_eq!(err.suggestion(), Some("did you mean `-eq`?"));
}

#[test]
fn unsupported() {
    parse_case(
        r#"NOT Status -eq "x""#,
        ErrorKind::Unsupported,
        "NOT",
        Some("write the comparison with -ne or -notcontains instead"),
        "error: NOT is not part of the query language; \
         write the comparison with -ne or -notcontains instead\n\
         \x20 |\n\
         1 | NOT Status -eq \"x\"\n\
         \x20 | ^^^\n",
    );
}

#[test]
fn null_operator() {
    parse_case(
        "Title -contains NULL",
        ErrorKind::NullOperator,
        "NULL",
        Some(r#"write "NULL" in quotes for the four letters"#),
        "error: NULL works only with -eq and -ne, not -contains; \
         write \"NULL\" in quotes for the four letters\n\
         \x20 |\n\
         1 | Title -contains NULL\n\
         \x20 |                 ^^^^\n",
    );
}

#[test]
fn keyword_as_field_and_as_documented() {
    // ErrorKind::KeywordAsField documents `AND -eq "x"` as its example.
    let err = parse_fails(r#"AND -eq "x""#, ErrorKind::KeywordAsField, "AND");
    assert_eq!(err.suggestion(), None);
    parse_fails(
        r#"Status -eq 1 OR or -eq "x""#,
        ErrorKind::KeywordAsField,
        "or",
    );
    // A keyword that is not followed by an operator is a plain syntax error.
    parse_fails("AND Status -eq 1", ErrorKind::Syntax, "AND");
}

#[test]
fn keyword_as_field() {
    parse_case(
        "(null -eq 1)",
        ErrorKind::KeywordAsField,
        "null",
        None,
        "error: NULL is a keyword, not a field name; write `Field -eq NULL`\n\
         \x20 |\n\
         1 | (null -eq 1)\n\
         \x20 |  ^^^^\n",
    );
}

#[test]
fn unknown_field_after_non_ascii_text() {
    // The caret counts characters: Ω is two bytes but one column.
    compile_case(
        r#"Title -eq "Ωmega" AND StartDat -ge "2024-01-01""#,
        &ctx(),
        ErrorKind::UnknownField,
        "StartDat",
        Some("did you mean `StartDate`?"),
        "error: `StartDat` is not a field of workflow instances; the fields a query can use are \
         DefinitionId, Id, InitiatingUserName, LastModified, ReferenceId, StartDate, Status, Title, \
         WorkflowType; did you mean `StartDate`?\n\
         \x20 |\n\
         1 | Title -eq \"Ωmega\" AND StartDat -ge \"2024-01-01\"\n\
         \x20 |                       ^^^^^^^^\n",
    );
}

#[test]
fn field_not_queryable() {
    let fields = "DefinitionId, Id, InitiatingUserName, LastModified, ReferenceId, StartDate, \
                  Status, Title, WorkflowType";
    compile_case(
        r#"StatusMessage -eq "x""#,
        &ctx(),
        ErrorKind::FieldNotQueryable,
        "StatusMessage",
        None,
        &format!(
            "error: `StatusMessage` cannot be used in a query; the fields a query can use are {fields}\n\
             \x20 |\n\
             1 | StatusMessage -eq \"x\"\n\
             \x20 | ^^^^^^^^^^^^^\n"
        ),
    );
}

#[test]
fn operator_not_allowed_after_a_control_character() {
    // A vertical tab is whitespace; the rendering shows it as �.
    compile_case(
        "Title -eq x\x0BAND ReferenceId -contains \"5\"",
        &ctx(),
        ErrorKind::OperatorNotAllowed,
        "-contains",
        Some("use one of -eq, -ne, -lt, -le, -gt, -ge"),
        "error: -contains does not apply to `ReferenceId`, an integer field; \
         use one of -eq, -ne, -lt, -le, -gt, -ge\n\
         \x20 |\n\
         1 | Title -eq x\u{FFFD}AND ReferenceId -contains \"5\"\n\
         \x20 |                             ^^^^^^^^^\n",
    );
}

#[test]
fn invalid_value() {
    compile_case(
        "Status -eq 2",
        &ctx(),
        ErrorKind::InvalidValue,
        "2",
        None,
        "error: `2` is not one of CanceledForRestart, Complete, Failed, Rejected, Running, \
         Suspended for `Status`\n\
         \x20 |\n\
         1 | Status -eq 2\n\
         \x20 |            ^\n",
    );
    let err = compile_err("ReferenceId -eq five");
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.message().contains("`five`") && err.message().contains("`ReferenceId`"));
}

#[test]
fn invalid_token() {
    compile_case(
        r#"StartDate -ge "%TODAY+%""#,
        &ctx(),
        ErrorKind::InvalidToken,
        r#""%TODAY+%""#,
        None,
        "error: `%TODAY+%` is not a token: write %TODAY%, %TODAY-N% or %TODAY+N% with N in \
         digits\n\
         \x20 |\n\
         1 | StartDate -ge \"%TODAY+%\"\n\
         \x20 |               ^^^^^^^^^^\n",
    );
}

#[test]
fn missing_user() {
    compile_case(
        "InitiatingUserName -eq %ME%",
        &ctx(),
        ErrorKind::MissingUser,
        "%ME%",
        None,
        "error: %ME% needs the current user, and the context has none\n\
         \x20 |\n\
         1 | InitiatingUserName -eq %ME%\n\
         \x20 |                        ^^^^\n",
    );
}

#[test]
fn parameter_and_record_errors_have_no_span() {
    let schema = kfql::keyfactor::schema();
    let cases: Vec<(Error, ErrorKind)> = vec![
        (
            Sort::new(&schema, "StartDat", Direction::Ascending).unwrap_err(),
            ErrorKind::UnknownSortField,
        ),
        (
            Sort::new(&schema, "Definition", Direction::Ascending).unwrap_err(),
            ErrorKind::FieldNotSortable,
        ),
        (
            Page::parse(Some("0"), None).unwrap_err(),
            ErrorKind::InvalidPage,
        ),
        (
            Page::parse(None, Some("x")).unwrap_err(),
            ErrorKind::InvalidLimit,
        ),
        (
            kfql::read_records::<kfql::keyfactor::WorkflowInstance, _>(&b"[5]"[..], |_| {})
                .unwrap_err(),
            ErrorKind::InvalidRecord,
        ),
    ];
    for (err, kind) in cases {
        check_error("", &err);
        assert_eq!(err.kind(), kind);
        assert_eq!(err.span(), None);
        assert_eq!(err.render(), format!("error: {}\n", err.description()));
    }
    let err = Sort::new(&schema, "StartDat", Direction::Ascending).unwrap_err();
    assert_eq!(
        serde_json::to_string(&err).unwrap(),
        r#"{"error":"unknown_sort_field","error_description":"`StartDat` is not a field of workflow instances; did you mean `StartDate`?"}"#
    );
}

#[test]
fn invalid_schema() {
    use FieldType::*;
    let builds = [
        Schema::builder("s")
            .field("A", Integer)
            .field("a", String)
            .build(),
        Schema::builder("s").field("A", Integer).key("B").build(),
        Schema::builder("s")
            .field("A", Integer)
            .default_sort("B")
            .build(),
        Schema::builder("s").field("A", Object).key("A").build(),
        Schema::builder("s")
            .field("A", Integer)
            .not_sortable()
            .default_sort("A")
            .build(),
        Schema::builder("s").field("1A", Integer).build(),
        Schema::builder("s").field("A-B", Integer).build(),
        Schema::builder("s").field("", Integer).build(),
        Schema::builder("s").field("Null", Integer).build(),
        Schema::builder("s").field("and", Integer).build(),
    ];
    for result in builds {
        let err = result.unwrap_err();
        check_error("", &err);
        assert_eq!(err.kind(), ErrorKind::InvalidSchema, "{err}");
        assert!(!err.kind().is_query_error());
    }
}

#[test]
fn codes_are_stable_snake_case() {
    use ErrorKind::*;
    let codes = [
        (Syntax, "syntax_error"),
        (UnterminatedString, "unterminated_string"),
        (UnbalancedParenthesis, "unbalanced_parenthesis"),
        (MissingValue, "missing_value"),
        (UnknownOperator, "unknown_operator"),
        (Unsupported, "unsupported_syntax"),
        (NullOperator, "null_operator"),
        (KeywordAsField, "keyword_as_field"),
        (QueryTooLong, "query_too_long"),
        (NestingTooDeep, "nesting_too_deep"),
        (TooManyComparisons, "too_many_comparisons"),
        (InvalidUtf8, "invalid_utf8"),
        (UnknownField, "unknown_field"),
        (FieldNotQueryable, "field_not_queryable"),
        (OperatorNotAllowed, "operator_not_allowed"),
        (InvalidValue, "invalid_value"),
        (InvalidToken, "invalid_token"),
        (MissingUser, "missing_user"),
        (UnknownSortField, "unknown_sort_field"),
        (FieldNotSortable, "field_not_sortable"),
        (InvalidPage, "invalid_page"),
        (InvalidLimit, "invalid_limit"),
        (InvalidRecord, "invalid_record"),
        (InvalidSchema, "invalid_schema"),
    ];
    for (kind, code) in codes {
        assert_eq!(kind.code(), code);
        assert_eq!(kind.to_string(), code);
        assert_eq!(
            kind.is_query_error(),
            !matches!(kind, InvalidRecord | InvalidSchema)
        );
    }
}

#[test]
fn the_json_form_is_error_and_error_description_and_the_span() {
    let err = parse_err(r#"Status -eq "Failed" AND Title -equals "x""#);
    assert_eq!(
        serde_json::to_string(&err).unwrap(),
        r#"{"error":"unknown_operator","error_description":"`-equals` is not an operator; did you mean `-eq`?","span":{"start":30,"end":37}}"#
    );
    let err = parse_err("Title -eq \"\\\"");
    let json: serde_json::Value = serde_json::to_value(&err).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 3);
    assert_eq!(json["error"], "unterminated_string");
    // Without a span (an error about a parameter, not the text), no key.
    let err = kfql::Page::parse(Some("0"), None).unwrap_err();
    let json: serde_json::Value = serde_json::to_value(&err).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 2);
    assert_eq!(json["error"], "invalid_page");
}
