//! Limits and hostile input (docs/LANGUAGE.md, “Errors and limits”): every limit at its value and one
//! past it, inputs built to exhaust the stack or the clock, and malformed
//! tokens, values and data. Nothing may panic or give a wrong answer.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Context, ErrorKind, Limits, Parser};

const TWO_MIB: usize = 2 << 20;

/// Runs `f` on a thread with a 2 MiB stack, as a small server worker has.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(TWO_MIB)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

fn ctx() -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
        .with_user(r"KEYEXAMPLE\jsmith")
}

/// `depth` nested groups alternating AND and OR, so none flattens away.
fn nested(depth: usize) -> String {
    let mut q = String::new();
    for i in 0..depth {
        q.push_str(if i % 2 == 0 {
            "(ReferenceId -eq 1 AND "
        } else {
            "(ReferenceId -eq 2 OR "
        });
    }
    q.push_str("Title -eq \"x\"");
    q.push_str(&")".repeat(depth));
    q
}

#[test]
fn depth_at_the_limit_parses_and_one_past_names_the_limit() {
    let parser = Parser::new();
    assert!(parser.parse(&nested(64)).is_ok());
    let err = parser.parse(&nested(65)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
    assert!(err.message().contains("64"), "{}", err.message());
    let custom = Parser::new().limits(Limits {
        max_depth: 3,
        ..Limits::default()
    });
    assert!(custom.parse(&nested(3)).is_ok());
    assert_eq!(
        custom.parse(&nested(4)).unwrap_err().kind(),
        ErrorKind::NestingTooDeep
    );
}

#[test]
fn a_million_open_parentheses_fail_fast_on_a_small_stack() {
    let text = "(".repeat(1_000_000);
    let err = on_small_stack(move || {
        // Past the length limit by default ...
        assert_eq!(
            kfql::parse(&text).unwrap_err().kind(),
            ErrorKind::QueryTooLong
        );
        // ... and past the depth limit when length is unbounded.
        let parser = Parser::new().limits(Limits {
            max_bytes: usize::MAX,
            max_depth: usize::MAX,
            ..Limits::default()
        });
        let started = Instant::now();
        let err = parser.parse(&text).unwrap_err();
        (err, started.elapsed())
    });
    let (err, elapsed) = err;
    assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
    assert!(err.message().contains(&Limits::MAX_DEPTH.to_string()));
    // Generous: the point is "not quadratic", which would take minutes.
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
}

#[test]
fn the_deepest_allowed_ast_prints_compares_compiles_and_drops_on_a_small_stack() {
    on_small_stack(|| {
        let unbounded = Limits {
            max_bytes: usize::MAX,
            max_depth: usize::MAX,
            max_comparisons: usize::MAX,
        };
        let parser = Parser::new().limits(unbounded);
        let text = nested(Limits::MAX_DEPTH);
        let q = parser.parse(&text).expect("the cap itself parses");
        let printed = q.to_string();
        let again = parser.parse(&printed).expect("canonical form parses");
        assert!(again == q);
        let filter = q.compile(&keyfactor::schema(), &ctx()).expect("compiles");
        let records = keyfactor::sample(10, ctx().now(), 1);
        let _ = records.iter().filter(|r| filter.matches(*r)).count();
        drop((q, again, filter));
        assert_eq!(
            parser
                .parse(&nested(Limits::MAX_DEPTH + 1))
                .unwrap_err()
                .kind(),
            ErrorKind::NestingTooDeep
        );
    });
}

/// The deepest query the cap allows, evaluated all the way down for every
/// record (each AND's first test holds and each OR's fails), by the row
/// evaluator and by bound evaluation, a record at a time and a chunk at a
/// time, on a small stack.
#[test]
fn the_deepest_allowed_query_evaluates_all_the_way_down_on_a_small_stack() {
    on_small_stack(|| {
        let mut text = String::new();
        for i in 0..Limits::MAX_DEPTH {
            text.push_str(if i % 2 == 0 {
                "(ReferenceId -ne 0 AND "
            } else {
                "(ReferenceId -eq 0 OR "
            });
        }
        text.push_str("Title -ne NULL");
        text.push_str(&")".repeat(Limits::MAX_DEPTH));
        let unbounded = Limits {
            max_depth: usize::MAX,
            max_comparisons: usize::MAX,
            ..Limits::default()
        };
        let q = Parser::new()
            .limits(unbounded)
            .parse(&text)
            .expect("parses");
        let filter = q.compile(&keyfactor::schema(), &ctx()).expect("compiles");
        let records = keyfactor::sample(600, ctx().now(), 1);
        let want = records.iter().filter(|r| r.title.is_some()).count() as u64;
        assert!(want > 0);
        assert_eq!(filter.count(&records), want);
        let bound = filter.bind::<keyfactor::WorkflowInstance>().expect("binds");
        assert_eq!(
            records.iter().filter(|r| bound.matches(r)).count() as u64,
            want
        );
        assert_eq!(bound.count(&records), want);
        assert_eq!(bound.count_slice(&records), want);
    });
}

/// `depth` chains of one child each, alternating AND and OR, around one
/// comparison: deeper than any parser limit allows, as only a hand-built
/// or deserialized tree can be.
fn hand_built(depth: usize, value: &str) -> kfql::Expr {
    use kfql::{Comparison, Expr, Op, Span, Value};
    let at = Span::new(0, 0);
    let mut e = Expr::Compare(Comparison {
        field: "Title".into(),
        op: Op::Eq,
        value: Value::Text(value.into()),
        span: at,
        field_span: at,
        op_span: at,
        value_span: at,
    });
    for level in 0..depth {
        e = if level % 2 == 0 {
            Expr::Or(vec![e])
        } else {
            Expr::And(vec![e])
        };
    }
    e
}

#[test]
fn a_million_deep_hand_built_ast_prints_compares_clones_and_drops_on_a_small_stack() {
    const DEPTH: usize = 1_000_000;
    on_small_stack(|| {
        let tree = hand_built(DEPTH, "x");
        // Only an OR directly inside an AND needs parentheses.
        let half = DEPTH / 2;
        let expected = format!("{}Title -eq \"x\"{}", "(".repeat(half), ")".repeat(half));
        assert!(tree.to_string() == expected);
        let mut copy = tree.clone();
        assert!(copy == tree);
        // Change the deepest comparison only: equality must walk down to it.
        let mut at = &mut copy;
        loop {
            match at {
                kfql::Expr::And(xs) | kfql::Expr::Or(xs) => at = &mut xs[0],
                kfql::Expr::Compare(c) => {
                    c.value = kfql::Value::Text("y".into());
                    break;
                }
            }
        }
        assert!(copy != tree);
        let q = kfql::Query { expr: Some(tree) };
        assert_eq!(q.fields(), ["Title"]);
        let err = q.compile(&keyfactor::schema(), &ctx()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
        drop((q, copy));
    });
}

#[test]
fn length_limit_at_and_past_without_reading_a_huge_query() {
    let limits = Limits {
        max_bytes: 40,
        ..Limits::default()
    };
    let parser = Parser::new().limits(limits);
    let exact = format!("Title -eq \"{}\"", "x".repeat(40 - 12));
    assert_eq!(exact.len(), 40);
    assert!(parser.parse(&exact).is_ok());
    let err = parser.parse(&format!("{exact} ")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryTooLong);
    assert!(err.message().contains("40 bytes"));

    let huge = "x".repeat(100 << 20);
    let started = Instant::now();
    let err = kfql::parse(&huge).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryTooLong);
    assert!(
        err.input().is_none(),
        "a huge query is not copied into its error"
    );
    assert!(started.elapsed().as_millis() < 1000);
}

#[test]
fn comparison_count_limit_at_and_past() {
    let or_chain = |n: usize| {
        (0..n)
            .map(|i| format!("ReferenceId -eq {i}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    assert!(kfql::parse(&or_chain(1024)).is_ok());
    let err = kfql::parse(&or_chain(1025)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyComparisons);
    assert!(err.message().contains("1024"));
}

#[test]
fn a_thousand_clause_or_parses_compiles_and_evaluates() {
    let text = (0..1000)
        .map(|i| format!("ReferenceId -eq {}", 1000 + i * 7))
        .collect::<Vec<_>>()
        .join(" OR ");
    let q = kfql::parse(&text).expect("parses");
    let kfql::Expr::Or(children) = q.expr.as_ref().expect("not empty") else {
        panic!("one flat OR")
    };
    assert_eq!(children.len(), 1000);
    let filter = q.compile(&keyfactor::schema(), &ctx()).expect("compiles");
    let records = keyfactor::sample(2000, ctx().now(), 3);
    let expected = records
        .iter()
        .filter(|r| r.reference_id >= 1000 && (r.reference_id - 1000) % 7 == 0)
        .count();
    assert_eq!(filter.count(&records), expected as u64);
}

#[test]
fn malformed_tokens_values_and_text_are_clear_errors() {
    let schema = keyfactor::schema();
    let cases: &[(&str, ErrorKind)] = &[
        (
            "StartDate -ge \"%TODAY-99999999999%\"",
            ErrorKind::InvalidToken,
        ),
        (
            "StartDate -ge \"%TODAY-99999999999999999999999%\"",
            ErrorKind::InvalidToken,
        ),
        ("StartDate -ge \"%TODAY+%\"", ErrorKind::InvalidToken),
        ("StartDate -ge \"%TODAY-1x%\"", ErrorKind::InvalidToken),
        ("StartDate -ge \"10000-01-01\"", ErrorKind::InvalidValue),
        ("StartDate -ge \"0000-12-31\"", ErrorKind::InvalidValue),
        ("StartDate -ge \"2024-02-30\"", ErrorKind::InvalidValue),
        (
            "ReferenceId -eq 9223372036854775808",
            ErrorKind::InvalidValue,
        ),
        (
            "ReferenceId -eq -9223372036854775809",
            ErrorKind::InvalidValue,
        ),
        (
            "Id -eq \"{00000000-0000-0000-0000-00000000000}\"",
            ErrorKind::InvalidValue,
        ),
        (
            "Id -eq \"{00000000000000000000000000000000\"",
            ErrorKind::InvalidValue,
        ),
        (
            "Id -eq \"0000000g-0000-0000-0000-000000000000\"",
            ErrorKind::InvalidValue,
        ),
        (
            "Id -eq \"0000000000000000000000000000000000\"",
            ErrorKind::InvalidValue,
        ),
        ("Title -eq \"abc\\\"", ErrorKind::UnterminatedString),
        ("Title -eq \"abc\\", ErrorKind::UnterminatedString),
        ("Title -eq \"abc", ErrorKind::UnterminatedString),
    ];
    for (text, kind) in cases {
        let err = kfql::compile(text, &schema, &ctx()).unwrap_err();
        assert_eq!(err.kind(), *kind, "{text}: {err}");
        let span = err.span().expect("a span");
        assert!(
            span.end <= text.len()
                && text.is_char_boundary(span.start)
                && text.is_char_boundary(span.end)
        );
        assert!(err.render().contains('^'));
    }
}

#[test]
fn nul_bytes_and_control_characters_are_ordinary_text() {
    let q = kfql::parse("Title -eq \"a\0b\" AND Title -ne \u{1}").expect("parses");
    assert_eq!(q.to_string(), "Title -eq \"a\0b\" AND Title -ne \"\u{1}\"");
    let err = kfql::parse("Title -eq \"a\0b\" XOR").unwrap_err();
    assert!(
        !err.render().contains('\0'),
        "control characters are not echoed raw"
    );
}

#[test]
fn invalid_utf8_is_an_error_at_the_first_bad_byte() {
    for (bytes, at) in [
        (&b"Title -eq \"\xc3\""[..], 11),
        (b"\xff", 0),
        (b"Title -eq \"\xed\xa0\x80\"", 11),
    ] {
        let err = Parser::new().parse_bytes(bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUtf8);
        assert_eq!(err.span().map(|s| s.start), Some(at));
        let _ = err.render();
    }
}

fn read(bytes: &[u8]) -> Result<Vec<WorkflowInstance>, kfql::Error> {
    let mut out = Vec::new();
    kfql::read_records(bytes, |r| out.push(r)).map(|_| out)
}

const GOOD: &str =
    r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1}"#;

#[test]
fn truncated_and_mistyped_data_names_the_place() {
    let err = read(format!("[{GOOD}, {}", &GOOD[..30]).as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    let err = read(format!("{GOOD}\n{}\n", GOOD.replace("1}", "\"1\"}")).as_bytes()).unwrap_err();
    assert!(
        err.message().contains("line 2") && err.message().contains("ReferenceId"),
        "{err}"
    );
    let err =
        read(format!("[{GOOD}, {}]", GOOD.replace("\"Failed\"", "3")).as_bytes()).unwrap_err();
    assert!(
        err.message().contains("record 1") && err.message().contains("Status"),
        "{err}"
    );
    let err = read(format!("[{GOOD}] trailing").as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    let err = read(b"\xff\xfe").unwrap_err();
    assert!(err.message().contains("line 1"), "{err}");
}

#[test]
fn a_single_hundred_megabyte_line_is_read_or_rejected_cleanly() {
    let mut line = GOOD.replace("\"ReferenceId\": 1}", "\"ReferenceId\": 1, \"Title\": \"");
    line.push_str(&"x".repeat(100 << 20));
    line.push_str("\"}\n");
    let records = read(line.as_bytes()).expect("one big but valid record");
    assert_eq!(records[0].title.as_ref().map(String::len), Some(100 << 20));
    let garbage = vec![b'{'; 100 << 20];
    assert_eq!(read(&garbage).unwrap_err().kind(), ErrorKind::InvalidRecord);
}

#[test]
fn duplicate_keys_in_a_record_keep_the_last_value() {
    let dup = GOOD.replace(
        "\"ReferenceId\": 1}",
        "\"ReferenceId\": 1, \"ReferenceId\": 2}",
    );
    let records = read(dup.as_bytes()).expect("documented: last wins");
    assert_eq!(records[0].reference_id, 2);
}

#[test]
fn fuzz_roundtrip_crash_ce146483_the_deepest_default_ast_round_trips_through_serde_json() {
    // serde_json stops at 128 nested levels by default; the AST's serde
    // form must fit the deepest query the default limits accept.
    let q = kfql::parse(&nested(64)).expect("parses");
    let json = serde_json::to_string(&q).expect("serializes");
    let back: kfql::Query =
        serde_json::from_str(&json).expect("deserializes within serde_json's default limit");
    assert_eq!(back, q);
    let shape: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(shape["expr"][0], "AND");
    assert_eq!(shape["expr"][1]["op"], "-eq");
}

#[test]
fn fuzz_data_crash_51d45bb7_blanks_before_the_first_json_line_keep_its_columns() {
    // Two blank lines, then a line that starts with a blank: the blanks
    // before the first record were consumed with the byte-order-mark check
    // and the line's columns came out one short in `read_records`.
    let filter = kfql::compile("", &keyfactor::schema(), &ctx()).unwrap();
    for data in [
        &b"\n\n 1]\xff\xbf\xff\xff\xff\xff\xff\x03."[..],
        b"   {\"Id\" 5}\n",
        b"\n  \n   {\"a\" 1}\n",
    ] {
        let checked = read(data).unwrap_err();
        let scanned = kfql::Scan::new()
            .block_size(8)
            .threads(2)
            .count::<WorkflowInstance>(data, &filter)
            .unwrap_err();
        assert_eq!(checked.message(), scanned.message());
        // serde_json's own column for the line, counted from its start.
        let line = data
            .split(|&b| b == b'\n')
            .find(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
            .unwrap();
        let e = serde_json::from_slice::<serde_json::Value>(line).unwrap_err();
        assert!(
            checked
                .message()
                .contains(&format!(", column {}:", e.column())),
            "{} (serde_json: column {})",
            checked.message(),
            e.column()
        );
    }
}

#[test]
fn fuzz_data_crash_f54ee530_blank_lines_before_an_array_keep_error_lines_absolute() {
    // 128 blank lines, then an unterminated array: both readers must name
    // line 130, however the blank lines fall across their read buffers.
    let mut data = vec![b'\n'; 129];
    data.extend_from_slice(b"[\"");
    let small = std::io::BufReader::with_capacity(16, &data[..]);
    let errors = [
        read(&data).unwrap_err(),
        kfql::read_records::<WorkflowInstance, _>(small, |_| ()).unwrap_err(),
        kfql::Scan::new()
            .block_size(8)
            .count::<WorkflowInstance>(
                &data[..],
                &kfql::compile("", &keyfactor::schema(), &ctx()).unwrap(),
            )
            .unwrap_err(),
    ];
    for err in &errors {
        assert!(
            err.message().starts_with("line 130, column "),
            "{}",
            err.message()
        );
        assert_eq!(err.message(), errors[0].message());
    }
    // And the line of a bad JSON Lines record after a buffer of blank lines.
    let mut lines = vec![b'\n'; 40];
    lines.extend_from_slice(b"{\"Id\": 5}\n");
    let err = kfql::read_records::<WorkflowInstance, _>(
        std::io::BufReader::with_capacity(16, &lines[..]),
        |_| (),
    )
    .unwrap_err();
    assert!(
        err.message().starts_with("line 41, field `Id`"),
        "{}",
        err.message()
    );
}
