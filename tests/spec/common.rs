//! Helpers shared by every module. Each one checks invariants on every call
//! (STYLE habit 11): error spans lie inside the query on character
//! boundaries, rendering never panics, the JSON form is the documented one,
//! and the two `Record` implementations (typed and `serde_json::Value`)
//! agree on every record.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Comparison, Context, Error, ErrorKind, Expr, FromJson, Op, Query, Schema, Span, Value};
use serde_json::json;

/// No record matched.
pub const NONE: [i64; 0] = [];

/// 2024-06-01T12:00:00Z, UTC, no user: the context most tests use.
pub fn ctx() -> Context {
    Context::new(utc(2024, 6, 1, 12, 0, 0))
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// A fixed offset `minutes` east of UTC.
pub fn zone(minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(minutes * 60).unwrap()
}

/// Checks what must hold for every error about `query`.
pub fn check_error(query: &str, err: &Error) {
    check_error_in(query.as_bytes(), err);
    if let Some(input) = err.input() {
        assert_eq!(input, query, "the error carries the query text");
    }
    if let Some(span) = err.span() {
        assert!(query.is_char_boundary(span.start), "{span:?} in {query:?}");
        assert!(query.is_char_boundary(span.end), "{span:?} in {query:?}");
    }
    if let Some((second, _)) = err.secondary() {
        assert!(second.end <= query.len() && query.is_char_boundary(second.start));
        assert!(query.is_char_boundary(second.end));
    }
}

/// The invariants that hold for raw bytes too (`Parser::parse_bytes`).
pub fn check_error_in(query: &[u8], err: &Error) {
    if let Some(Span { start, end }) = err.span() {
        assert!(
            start <= end && end <= query.len(),
            "span {start}..{end} of {query:?}"
        );
    }
    assert!(!err.message().is_empty());
    let description = err.description();
    if let Some(s) = err.suggestion() {
        assert!(description.contains(s), "{description:?} shows {s:?}");
    }
    assert_eq!(err.to_string(), description);
    let rendered = err.render();
    assert!(
        rendered.starts_with(&format!("error: {description}\n")),
        "{rendered}"
    );
    if err.input().is_some() && err.span().is_some() {
        assert!(rendered.contains('^'), "{rendered}");
    }
    let mut want = json!({"error": err.kind().code(), "error_description": description});
    if let Some(span) = err.span() {
        want["span"] = json!({"start": span.start, "end": span.end});
    }
    assert_eq!(serde_json::to_value(err).unwrap(), want);
}

/// Parse, or fail the test with the rendered error.
pub fn parse(query: &str) -> Query {
    kfql::parse(query).unwrap_or_else(|e| panic!("{query:?} should parse:\n{}", e.render()))
}

/// The parse error for `query`, checked.
pub fn parse_err(query: &str) -> Error {
    let err = match kfql::parse(query) {
        Ok(q) => panic!("{query:?} should not parse, got {q}"),
        Err(e) => e,
    };
    check_error(query, &err);
    err
}

/// The parse error for `query`, of `kind`, at `span` (as the text it covers).
pub fn parse_fails(query: &str, kind: ErrorKind, at: &str) -> Error {
    let err = parse_err(query);
    assert_eq!(err.kind(), kind, "{query:?}: {}", err.render());
    assert_eq!(spanned(query, &err), at, "{query:?}: {}", err.render());
    err
}

/// The text under the error's span.
pub fn spanned<'q>(query: &'q str, err: &Error) -> &'q str {
    let span = err.span().expect("the error has a span");
    &query[span.start..span.end]
}

/// The compile error for `query` against `schema` in `ctx`, checked.
pub fn compile_err_with(query: &str, schema: &Schema, ctx: &Context) -> Error {
    let err = match kfql::compile(query, schema, ctx) {
        Ok(_) => panic!("{query:?} should not compile"),
        Err(e) => e,
    };
    check_error(query, &err);
    // The compile stage itself gives the same error, without the text.
    let direct = parse(query).compile(schema, ctx).unwrap_err();
    assert_eq!((direct.kind(), direct.span()), (err.kind(), err.span()));
    assert_eq!(direct.input(), None);
    err
}

/// The compile error for `query` against the workflow-instance schema.
pub fn compile_err(query: &str) -> Error {
    compile_err_with(query, &keyfactor::schema(), &ctx())
}

/// Compile against the workflow-instance schema, failing with the rendering.
pub fn compile_ok(query: &str, ctx: &Context) -> kfql::Filter {
    kfql::compile(query, &keyfactor::schema(), ctx)
        .unwrap_or_else(|e| panic!("{query:?} should compile:\n{}", e.render()))
}

/// A workflow instance with `Id`, `Status` and `ReferenceId` filled in
/// (unless `extra` gives them) and `extra`'s keys on top.
pub fn rec(reference_id: i64, extra: serde_json::Value) -> serde_json::Value {
    let hex = format!("{:016x}", reference_id as u64);
    let mut base = json!({
        "Id": format!("00000000-0000-0000-{}-{}", &hex[..4], &hex[4..]),
        "Status": "Running",
        "ReferenceId": reference_id,
    });
    let obj = base.as_object_mut().unwrap();
    for (k, v) in extra.as_object().expect("extra is an object") {
        obj.insert(k.clone(), v.clone());
    }
    base
}

/// The typed record of a JSON object, through the checked conversion.
pub fn typed(value: &serde_json::Value) -> WorkflowInstance {
    WorkflowInstance::from_value(value).unwrap_or_else(|e| panic!("{value}: {e:?}"))
}

/// The ReferenceIds of `records` that `query` matches in `ctx`, in input
/// order, asserting that typed records and `serde_json::Value` records
/// agree.
pub fn matching_in(query: &str, ctx: &Context, records: &[serde_json::Value]) -> Vec<i64> {
    let filter = compile_ok(query, ctx);
    let mut out = Vec::new();
    for r in records {
        let by_type = filter.matches(&typed(r));
        let by_json = filter.matches(r);
        assert_eq!(by_type, by_json, "{query:?} on {r}: typed vs JSON disagree");
        if by_type {
            out.push(r["ReferenceId"].as_i64().unwrap());
        }
    }
    out
}

/// [`matching_in`] with the default context.
pub fn matching(query: &str, records: &[serde_json::Value]) -> Vec<i64> {
    matching_in(query, &ctx(), records)
}

/// A comparison for hand-built ASTs (spans are left out of equality).
pub fn cmp(field: &str, op: Op, value: Option<&str>) -> Expr {
    Expr::Compare(Comparison {
        field: field.into(),
        op,
        value: value.map_or(Value::Null, |v| Value::Text(v.into())),
        span: Span::default(),
        field_span: Span::default(),
        op_span: Span::default(),
        value_span: Span::default(),
    })
}

/// `field -eq "value"` as an AST node.
pub fn eq(field: &str, value: &str) -> Expr {
    cmp(field, Op::Eq, Some(value))
}

/// The single comparison of a one-comparison query.
pub fn only(q: &Query) -> &Comparison {
    match &q.expr {
        Some(Expr::Compare(c)) => c,
        other => panic!("expected one comparison, got {other:?}"),
    }
}
