//! Properties over generated queries and records (proptest):
//!
//! - printing a generated AST and parsing it back gives the same AST;
//! - the real evaluator agrees with a deliberately simple reference
//!   evaluator written here from docs/LANGUAGE.md, “Meaning of comparisons”, sharing no code
//!   with src/eval.rs;
//! - `-eq`/`-ne`, `-eq NULL`/`-ne NULL` and `-contains`/`-notcontains`
//!   partition the records they should;
//! - pages 1..n concatenate to exactly the full sorted result.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use kfql::keyfactor::{self, Status, WorkflowInstance};
use kfql::{Comparison, Context, Direction, Expr, Guid, Op, Page, Query, Sort, Span, Value};
use proptest::prelude::*;

// ---------------------------------------------------------------- round trip

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("AND".to_owned()),
        Just("or".to_owned()),
        Just("NOT".to_owned()),
        Just("NULL".to_owned()),
        Just("%TODAY-3%".to_owned()),
        Just("%ME%".to_owned()),
        "[a-zA-Z0-9 \"\\\\%_()é中\u{0}\t]{0,12}",
        any::<String>(),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.]{0,10}".prop_filter("not a keyword", |f| {
        !["and", "or", "not", "null"].contains(&f.to_ascii_lowercase().as_str())
    })
}

fn comparison() -> impl Strategy<Value = Expr> {
    (
        field_name(),
        0..Op::ALL.len(),
        prop::option::weighted(0.9, text_value()),
    )
        .prop_map(|(field, op, value)| {
            let op = Op::ALL[op];
            // NULL only goes with -eq and -ne.
            let value = match value {
                None if matches!(op, Op::Eq | Op::Ne) => Value::Null,
                None => Value::Text("NULL".into()),
                Some(t) => Value::Text(t),
            };
            let s = Span::default();
            Expr::Compare(Comparison {
                field,
                op,
                value,
                span: s,
                field_span: s,
                op_span: s,
                value_span: s,
            })
        })
}

/// The parser's normal form: chains flat, never a chain of one.
fn normalize(mut e: Expr) -> Expr {
    // Children are taken, not moved out: `Expr` implements `Drop`.
    let (xs, and) = match &mut e {
        Expr::Compare(_) => return e,
        Expr::And(xs) => (std::mem::take(xs), true),
        Expr::Or(xs) => (std::mem::take(xs), false),
    };
    let mut out = Vec::new();
    for mut x in xs.into_iter().map(normalize) {
        match &mut x {
            Expr::And(ys) if and => out.append(ys),
            Expr::Or(ys) if !and => out.append(ys),
            _ => out.push(x),
        }
    }
    match out.len() {
        1 => out.pop().expect("one"),
        _ if and => Expr::And(out),
        _ => Expr::Or(out),
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    comparison().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printed_asts_parse_back_to_themselves(e in expr()) {
        let q = Query { expr: Some(normalize(e)) };
        let text = q.to_string();
        let parsed = kfql::Parser::new()
            .limits(kfql::Limits { max_bytes: usize::MAX, ..kfql::Limits::default() })
            .parse(&text)
            .map_err(|err| TestCaseError::fail(format!("{text:?}: {err}")))?;
        prop_assert_eq!(&parsed, &q, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }
}

// ------------------------------------------------- the reference evaluator

/// Instants the records and the queries both draw from, so that
/// comparisons land on day boundaries, a nanosecond either side, and time
/// zones that move the day.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let base = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    (
        0i64..3,
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(3_600_000_000_000),
            Just(-7_200_000_000_000),
            0i64..86_400_000_000_000
        ],
    )
        .prop_map(move |(day, ns)| base + Duration::days(day) + Duration::nanoseconds(ns))
}

fn case_variant(s: &str, how: u8) -> String {
    let mut t = match how % 3 {
        0 => s.to_owned(),
        1 => s.to_uppercase(),
        _ => s.to_lowercase(),
    };
    if how & 4 != 0 {
        t.push_str("  ");
    }
    t
}

const WORDS: [&str; 6] = [
    "appsrvr1",
    "KEYEXAMPLE\\jsmith",
    "Straße",
    "ΟΔΟΣ",
    "50%_off",
    "Enrollment",
];
const GUIDS: [u128; 3] = [1, 0x3f2504e04f8911d39a0c0305e82c3301, u128::MAX];

#[derive(Clone, Debug)]
struct Rec {
    status: usize,
    title: Option<String>,
    start: Option<DateTime<Utc>>,
    reference_id: i64,
    definition_id: Option<u128>,
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        0..6usize,
        prop::option::of((
            0..WORDS.len(),
            any::<u8>(),
            prop_oneof![Just(""), Just(" tail"), Just("x")],
        )),
        prop::option::of(instant()),
        -3i64..3,
        prop::option::of(0..GUIDS.len()),
    )
        .prop_map(|(status, title, start, reference_id, g)| Rec {
            status,
            title: title.map(|(w, how, tail)| format!("{}{tail}", case_variant(WORDS[w], how))),
            start,
            reference_id,
            definition_id: g.map(|i| GUIDS[i]),
        })
}

fn to_instance(r: &Rec, i: usize) -> WorkflowInstance {
    WorkflowInstance {
        id: Guid(i as u128),
        status: Status::ALL[r.status],
        current_step_id: None,
        status_message: None,
        definition: None,
        current_step_display_name: None,
        current_step_unique_name: None,
        title: r.title.clone(),
        last_modified: None,
        start_date: r.start,
        reference_id: r.reference_id,
        definition_id: r.definition_id.map(Guid),
        initiating_user_name: None,
        workflow_type: None,
    }
}

/// A typed comparison with the text the query spells it as.
#[derive(Clone, Debug)]
enum Cmp {
    Title(Op, Option<String>),
    Start(Op, Option<DateLit>),
    Ref(Op, i64),
    Status(Op, usize),
    Def(Op, Option<u128>),
}

#[derive(Clone, Debug)]
enum DateLit {
    Day(NaiveDate),
    /// An instant written with an offset.
    At(DateTime<Utc>),
    /// A wall-clock time without an offset: in the context's zone.
    Local(chrono::NaiveDateTime),
}

#[derive(Clone, Debug)]
enum Tree {
    Leaf(Cmp, String),
    And(Vec<Tree>),
    Or(Vec<Tree>),
}

fn str_op() -> impl Strategy<Value = Op> {
    prop::sample::select(
        &[
            Op::Eq,
            Op::Ne,
            Op::Contains,
            Op::NotContains,
            Op::StartsWith,
            Op::EndsWith,
        ][..],
    )
}

fn ord_op() -> impl Strategy<Value = Op> {
    prop::sample::select(&[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge][..])
}

fn null_or<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.85, s)
}

fn cmp() -> impl Strategy<Value = (Cmp, String)> {
    let title =
        (str_op(), null_or((0..WORDS.len(), any::<u8>(), 0usize..4))).prop_map(|(op, v)| match v {
            None => (
                Cmp::Title(if op == Op::Ne { Op::Ne } else { Op::Eq }, None),
                String::new(),
            ),
            Some((w, how, cut)) => {
                let word = case_variant(WORDS[w], how);
                let chars: Vec<char> = word.chars().collect();
                let part: String = chars[..chars.len().saturating_sub(cut)].iter().collect();
                (Cmp::Title(op, Some(part.clone())), kfql::quote(&part))
            }
        });
    let start = (ord_op(), null_or((instant(), 0u8..6, -2i32..3))).prop_map(|(op, v)| match v {
        None => (
            Cmp::Start(if op == Op::Ne { Op::Ne } else { Op::Eq }, None),
            String::new(),
        ),
        Some((t, form, zone)) => {
            let offset = FixedOffset::east_opt(zone * 5400).expect("offset");
            let local = t.with_timezone(&offset);
            let (lit, text) = match form {
                0 => (
                    DateLit::Day(t.date_naive()),
                    t.format("%Y-%m-%d").to_string(),
                ),
                1 => (
                    DateLit::Day(t.date_naive()),
                    t.format("%-m/%-d/%Y").to_string(),
                ),
                2 => (
                    DateLit::Local(t.naive_utc()),
                    t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string(),
                ),
                3 => (
                    DateLit::At(t),
                    local.format("%Y-%m-%d %H:%M:%S%.f%:z").to_string(),
                ),
                _ => (
                    DateLit::At(t),
                    local.format("%Y-%m-%dt%H:%M:%S%.9f%:z").to_string(),
                ),
            };
            (Cmp::Start(op, Some(lit)), kfql::quote(&text))
        }
    });
    let reference = (ord_op(), -4i64..4, any::<bool>()).prop_map(|(op, n, plus)| {
        let text = if plus && n >= 0 {
            format!("+{n}")
        } else {
            n.to_string()
        };
        (Cmp::Ref(op, n), text)
    });
    let status = (
        prop::sample::select(&[Op::Eq, Op::Ne][..]),
        0..6usize,
        any::<u8>(),
    )
        .prop_map(|(op, i, how)| {
            (
                Cmp::Status(op, i),
                kfql::quote(&case_variant(Status::ALL[i].name(), how)),
            )
        });
    let def = (
        prop::sample::select(&[Op::Eq, Op::Ne][..]),
        null_or((0..GUIDS.len(), any::<bool>())),
    )
        .prop_map(|(op, g)| match g {
            None => (Cmp::Def(op, None), String::new()),
            Some((i, braced)) => {
                let hex = format!("{:032X}", GUIDS[i]);
                let text = if braced {
                    format!("{{{hex}}}")
                } else {
                    hex.to_lowercase()
                };
                (Cmp::Def(op, Some(GUIDS[i])), text)
            }
        });
    prop_oneof![title, start, reference, status, def].prop_map(|(c, value)| {
        let (field, op) = match &c {
            Cmp::Title(op, _) => ("Title", op),
            Cmp::Start(op, _) => ("startdate", op),
            Cmp::Ref(op, _) => ("ReferenceId", op),
            Cmp::Status(op, _) => ("STATUS", op),
            Cmp::Def(op, _) => ("DefinitionId", op),
        };
        let value = if value.is_empty() {
            "NULL".to_owned()
        } else {
            value
        };
        let text = format!("{field} {op} {value}");
        (c, text)
    })
}

fn tree() -> impl Strategy<Value = Tree> {
    cmp()
        .prop_map(|(c, t)| Tree::Leaf(c, t))
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Tree::And),
                prop::collection::vec(inner, 2..4).prop_map(Tree::Or),
            ]
        })
}

fn render(t: &Tree) -> String {
    match t {
        Tree::Leaf(_, text) => text.clone(),
        Tree::And(xs) => xs
            .iter()
            .map(|x| format!("({})", render(x)))
            .collect::<Vec<_>>()
            .join(" AND "),
        Tree::Or(xs) => xs
            .iter()
            .map(|x| format!("({})", render(x)))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// docs/LANGUAGE.md, “Meaning of comparisons”, read literally.
fn reference(t: &Tree, r: &Rec, zone: FixedOffset) -> bool {
    match t {
        Tree::And(xs) => xs.iter().all(|x| reference(x, r, zone)),
        Tree::Or(xs) => xs.iter().any(|x| reference(x, r, zone)),
        Tree::Leaf(c, _) => reference_cmp(c, r, zone),
    }
}

fn ordered<T: Ord>(op: Op, a: T, b: T) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        _ => a >= b,
    }
}

fn reference_cmp(c: &Cmp, r: &Rec, zone: FixedOffset) -> bool {
    match c {
        Cmp::Title(op, None) => (*op == Op::Eq) == r.title.is_none(),
        Cmp::Title(_, Some(_)) if r.title.is_none() => false,
        Cmp::Title(op, Some(v)) => {
            let a = r.title.as_deref().unwrap_or_default();
            let (fa, fv) = (a.to_lowercase(), v.to_lowercase());
            match op {
                Op::Eq => fa.trim_end_matches(' ') == fv.trim_end_matches(' '),
                Op::Ne => fa.trim_end_matches(' ') != fv.trim_end_matches(' '),
                Op::Contains => fa.contains(&fv),
                Op::NotContains => !fa.contains(&fv),
                Op::StartsWith => fa.starts_with(&fv),
                _ => fa.ends_with(&fv),
            }
        }
        Cmp::Start(op, None) => (*op == Op::Eq) == r.start.is_none(),
        Cmp::Start(op, Some(lit)) => {
            let Some(a) = r.start else { return false };
            match lit {
                DateLit::At(t) => ordered(*op, a, *t),
                DateLit::Local(n) => ordered(
                    *op,
                    a,
                    zone.from_local_datetime(n).unwrap().with_timezone(&Utc),
                ),
                DateLit::Day(d) => {
                    let start = zone
                        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                        .unwrap()
                        .with_timezone(&Utc);
                    let end = start + Duration::days(1);
                    match op {
                        Op::Eq => start <= a && a < end,
                        Op::Ne => a < start || a >= end,
                        Op::Lt => a < start,
                        Op::Le => a < end,
                        Op::Gt => a >= end,
                        _ => a >= start,
                    }
                }
            }
        }
        Cmp::Ref(op, n) => ordered(*op, r.reference_id, *n),
        Cmp::Status(op, i) => (r.status == *i) == (*op == Op::Eq),
        Cmp::Def(op, None) => (*op == Op::Eq) == r.definition_id.is_none(),
        Cmp::Def(op, Some(g)) => r
            .definition_id
            .is_some_and(|d| (d == *g) == (*op == Op::Eq)),
    }
}

fn context(zone: i32) -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 6, 2, 12, 0, 0).unwrap())
        .with_time_zone(FixedOffset::east_opt(zone * 3600).expect("zone"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn the_evaluator_agrees_with_the_reference(t in tree(), recs in prop::collection::vec(rec(), 1..25), zone in -12i32..14) {
        let text = render(&t);
        let ctx = context(zone);
        let filter = kfql::compile(&text, &keyfactor::schema(), &ctx)
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        for (i, r) in recs.iter().enumerate() {
            let typed = to_instance(r, i);
            let json = serde_json::to_value(&typed).expect("serializes");
            let expected = reference(&t, r, ctx.time_zone());
            prop_assert_eq!(filter.matches(&typed), expected, "{} on {:?}", text, r);
            prop_assert_eq!(filter.matches(&json), expected, "{} on JSON {}", text, json);
        }
    }

    #[test]
    fn complements_partition_the_records((c, text) in cmp(), recs in prop::collection::vec(rec(), 1..25)) {
        let ctx = context(0);
        let schema = keyfactor::schema();
        let records: Vec<WorkflowInstance> = recs.iter().enumerate().map(|(i, r)| to_instance(r, i)).collect();
        let field = text.split(' ').next().expect("field");
        let value = text.splitn(3, ' ').nth(2).expect("value");
        let op = text.split(' ').nth(1).expect("op");
        let pairs: &[(&str, &str)] = match op {
            "-contains" | "-notcontains" => &[("-contains", "-notcontains")],
            "-eq" | "-ne" => &[("-eq", "-ne")],
            _ => &[],
        };
        for (yes, no) in pairs {
            let a = kfql::compile(&format!("{field} {yes} {value}"), &schema, &ctx).expect("compiles");
            let b = kfql::compile(&format!("{field} {no} {value}"), &schema, &ctx).expect("compiles");
            let is_null = kfql::compile(&format!("{field} -eq NULL"), &schema, &ctx).expect("compiles");
            let not_null = kfql::compile(&format!("{field} -ne NULL"), &schema, &ctx).expect("compiles");
            for r in &records {
                prop_assert!(is_null.matches(r) != not_null.matches(r));
                if value != "NULL" && not_null.matches(r) {
                    prop_assert!(a.matches(r) != b.matches(r), "{} {} {}: {:?}", field, yes, value, r);
                } else if value != "NULL" {
                    prop_assert!(!a.matches(r) && !b.matches(r));
                }
            }
        }
        let _ = c;
    }

    #[test]
    fn pages_concatenate_to_the_full_sorted_result(
        t in tree(),
        recs in prop::collection::vec(rec(), 0..40),
        sort_field in prop::sample::select(&["Title", "StartDate", "ReferenceId", "Status", "DefinitionId", "Id"][..]),
        desc in any::<bool>(),
        limit in 1u64..7,
    ) {
        let ctx = context(2);
        let schema = keyfactor::schema();
        let filter = kfql::compile(&render(&t), &schema, &ctx).expect("compiles");
        let records: Vec<WorkflowInstance> = recs.iter().enumerate().map(|(i, r)| to_instance(r, i)).collect();
        let sort = Sort::new(&schema, sort_field, Direction::descending_if(desc)).expect("sortable");
        let all = filter.page(&records, &sort, Page::new(1, u64::MAX >> 1).expect("page")).expect("sort and filter share a schema");
        let mut pages = Vec::new();
        for number in 1.. {
            let page = filter.page(&records, &sort, Page::new(number, limit).expect("page")).expect("sort and filter share a schema");
            prop_assert_eq!(page.total, all.total);
            if page.records.is_empty() {
                break;
            }
            pages.extend(page.records);
        }
        prop_assert_eq!(&pages, &all.records);
        let mut ids: Vec<Guid> = pages.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len() as u64, all.total, "no record twice, none missing");
        for w in all.records.windows(2) {
            prop_assert!(sort.compare(w[0], w[1]) != std::cmp::Ordering::Greater);
        }
    }
}
