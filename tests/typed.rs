//! Properties of typed evaluation (proptest):
//!
//! - a filter bound to a record type ([`Filter::bind`]) matches, counts
//!   and pages exactly as the filter itself, for generated queries over
//!   generated workflow instances (owned and borrowed from JSON Lines) and
//!   workflow tickets;
//! - mixing schemas — a filter of one, a sort of another, records of a
//!   third, read in memory, bound, or scanned from JSON Lines — never
//!   panics: it gives the right page when the schemas agree and
//!   `SchemaMismatch` when the filter's and the sort's differ.
//!
//! The generators here are schema-driven (any field, any operator its type
//! allows, values each type converts), unlike those of
//! `tests/properties.rs`, which are tied to the workflow-instance schema
//! and its reference evaluator.

use std::any::TypeId;
use std::fmt::Debug;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kfql::keyfactor::{self, Definition, InstanceRef, Status, WorkflowInstance};
use kfql::venafi::{self, TicketStatus, WorkflowTicket};
use kfql::{
    Context, Direction, ErrorKind, FieldType, Filter, Guid, Op, Page, PageResult, Record, Scan,
    Schema, Sort, TypedRecord,
};
use proptest::prelude::*;
use proptest::sample::Index;

// ------------------------------------------------------------ schemas

#[derive(kfql::Enum, Clone, Copy, Debug, PartialEq)]
enum Stage {
    Draft,
    #[kfql(rename = "In Review")]
    InReview,
    Done,
}

/// A derived record with a boolean, a list and an unsigned field, which
/// neither vendor schema has.
#[derive(kfql::Record, Clone, Debug, PartialEq)]
#[kfql(name = "certificates", rename_all = "PascalCase")]
struct Cert {
    #[kfql(key)]
    serial: String,
    subject: Option<String>,
    days_left: Option<i64>,
    issued: Option<DateTime<Utc>>,
    revoked: bool,
    issuer_id: Option<Guid>,
    stage: Option<Stage>,
    names: Vec<String>,
    #[kfql(not_queryable, default_sort)]
    notes: Option<String>,
    #[kfql(not_sortable)]
    size: u8,
}

/// The workflow-instance schema written out with the builder: a different
/// value, equal to the derived one, so filters and sorts built from either
/// agree.
fn instances_by_hand() -> Schema {
    Schema::builder("workflow instances")
        .field("Id", FieldType::Guid)
        .field(
            "Status",
            FieldType::enumeration(keyfactor::STATUS_NAMES.iter().copied()),
        )
        .field("CurrentStepId", FieldType::Guid)
        .not_queryable()
        .field("StatusMessage", FieldType::String)
        .not_queryable()
        .field("Definition", FieldType::Object)
        .hint("query or sort by DefinitionId or WorkflowType instead")
        .field("CurrentStepDisplayName", FieldType::String)
        .not_queryable()
        .field("CurrentStepUniqueName", FieldType::String)
        .not_queryable()
        .field("Title", FieldType::String)
        .field("LastModified", FieldType::DateTime)
        .field("StartDate", FieldType::DateTime)
        .field("ReferenceId", FieldType::Integer)
        .field("DefinitionId", FieldType::Guid)
        .fallback("Definition.Id")
        .field("InitiatingUserName", FieldType::String)
        .field("WorkflowType", FieldType::String)
        .fallback("Definition.WorkflowType")
        .key("ReferenceId")
        .default_sort("CurrentStepDisplayName")
        .build()
        .expect("a valid schema")
}

/// A schema no record type here has: every comparison is of another
/// schema's field.
fn inventory() -> Schema {
    Schema::builder("inventory")
        .field("Name", FieldType::String)
        .field("Tags", FieldType::StringList)
        .field("Count", FieldType::Integer)
        .field("Seen", FieldType::DateTime)
        .field("Active", FieldType::Boolean)
        .field("Kind", FieldType::enumeration(["A", "B b", "c"]))
        .field("Ref", FieldType::Guid)
        .key("Count")
        .build()
        .expect("a valid schema")
}

/// The schemas a filter or a sort is drawn from.
fn schemas() -> [Schema; 5] {
    [
        keyfactor::schema(),
        venafi::schema(),
        inventory(),
        Cert::schema(),
        instances_by_hand(),
    ]
}

#[test]
fn the_hand_written_instance_schema_is_the_derived_one() {
    assert_eq!(instances_by_hand(), keyfactor::schema());
    assert_eq!(
        <InstanceRef<'_> as TypedRecord>::schema(),
        instances_by_hand()
    );
}

// ------------------------------------------------------------ values

const TEXTS: [&str; 14] = [
    "appsrvr14",
    "KEYEXAMPLE\\jsmith",
    "Straße",
    "STRASSE",
    "ΟΔΟΣ",
    "οδος",
    "50%_off",
    "",
    " ",
    "a\"b\\c",
    "local:{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60}",
    "AD+keyexample:jsmith",
    "Enrollment",
    "NULL",
];

const GUIDS: [u128; 4] = [
    1,
    0x3f2504e04f8911d39a0c0305e82c3301,
    0x7b3e6b0a1c1f4f3e9a532b1d0c4e5f60,
    u128::MAX,
];

/// `s` in another case, cut short, or with trailing spaces.
fn variant(s: &str, how: u8) -> String {
    let mut t = match how % 3 {
        0 => s.to_owned(),
        1 => s.to_uppercase(),
        _ => s.to_lowercase(),
    };
    if how & 16 != 0 {
        let half = t.chars().count() / 2;
        t = t.chars().take(half.max(1)).collect();
    }
    if how & 4 != 0 {
        t.push_str("  ");
    }
    t
}

fn text() -> impl Strategy<Value = String> {
    (0..TEXTS.len(), any::<u8>()).prop_map(|(i, how)| variant(TEXTS[i], how))
}

fn maybe<T: Debug + Clone>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.8, s)
}

/// Instants around the context's day, on and a nanosecond off midnight.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let base = Utc.with_ymd_and_hms(2024, 5, 31, 0, 0, 0).unwrap();
    (
        0i64..3,
        prop_oneof![Just(0i64), Just(-1), Just(1), 0i64..86_400_000_000_000],
    )
        .prop_map(move |(d, ns)| base + Duration::days(d) + Duration::nanoseconds(ns))
}

fn guid() -> impl Strategy<Value = Guid> {
    (0..GUIDS.len()).prop_map(|i| Guid(GUIDS[i]))
}

fn instance() -> impl Strategy<Value = WorkflowInstance> {
    let definition = maybe((maybe(guid()), maybe(text()), maybe(-2i64..3), maybe(text())))
        .prop_map(|d| {
            d.map(|(id, display_name, version, workflow_type)| Definition {
                id,
                display_name,
                version,
                workflow_type,
            })
        });
    (
        (
            guid(),
            prop::sample::select(Status::ALL.to_vec()),
            maybe(guid()),
            maybe(text()),
            definition,
            maybe(text()),
            maybe(text()),
        ),
        (
            maybe(text()),
            maybe(instant()),
            maybe(instant()),
            -3i64..4,
            maybe(guid()),
            maybe(text()),
            maybe(text()),
        ),
    )
        .prop_map(|(a, b)| WorkflowInstance {
            id: a.0,
            status: a.1,
            current_step_id: a.2,
            status_message: a.3,
            definition: a.4,
            current_step_display_name: a.5,
            current_step_unique_name: a.6,
            title: b.0,
            last_modified: b.1,
            start_date: b.2,
            reference_id: b.3,
            definition_id: b.4,
            initiating_user_name: b.5,
            workflow_type: b.6,
        })
}

fn ticket() -> impl Strategy<Value = WorkflowTicket> {
    (
        guid(),
        maybe(text()),
        maybe(text()),
        prop::collection::vec(text(), 0..4),
        maybe(-3i64..4),
        maybe(text()),
        prop::sample::select(TicketStatus::ALL.to_vec()),
        maybe(instant()),
        maybe(instant()),
    )
        .prop_map(|t| WorkflowTicket {
            guid: t.0,
            object_dn: t.1,
            workflow_dn: t.2,
            approvers: t.3,
            reason: t.4,
            user_data: t.5,
            status: t.6,
            created: t.7,
            updated: t.8,
        })
}

fn cert() -> impl Strategy<Value = Cert> {
    (
        text(),
        maybe(text()),
        maybe(-3i64..4),
        maybe(instant()),
        any::<bool>(),
        maybe(guid()),
        maybe(prop::sample::select(vec![
            Stage::Draft,
            Stage::InReview,
            Stage::Done,
        ])),
        prop::collection::vec(text(), 0..3),
        maybe(text()),
        any::<u8>(),
    )
        .prop_map(|c| Cert {
            serial: c.0,
            subject: c.1,
            days_left: c.2,
            issued: c.3,
            revoked: c.4,
            issuer_id: c.5,
            stage: c.6,
            names: c.7,
            notes: c.8,
            size: c.9,
        })
}

// ------------------------------------------------------------ queries

/// A query's shape, independent of the schema it is rendered for: the
/// indexes pick a queryable field, one of its operators and a value of its
/// type.
#[derive(Clone, Debug)]
enum Shape {
    /// Field, operator, value, spelling, and whether the value is NULL.
    Leaf(Index, Index, Index, u8, bool),
    /// An OR chain of `-eq` on one enum field.
    EnumChain(Index, Vec<(Index, u8)>),
    And(Vec<Shape>),
    Or(Vec<Shape>),
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        4 => (any::<Index>(), any::<Index>(), any::<Index>(), any::<u8>(), prop::bool::weighted(0.15))
            .prop_map(|(f, o, v, how, null)| Shape::Leaf(f, o, v, how, null)),
        1 => (any::<Index>(), prop::collection::vec((any::<Index>(), any::<u8>()), 2..6))
            .prop_map(|(f, names)| Shape::EnumChain(f, names)),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Shape::And),
            prop::collection::vec(inner, 2..5).prop_map(Shape::Or),
        ]
    })
}

/// Values of each type, as a query writes them.
fn values(ty: &FieldType) -> Vec<String> {
    let own = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
    match ty {
        FieldType::String | FieldType::StringList => {
            let mut xs: Vec<String> = own(&TEXTS);
            xs.push("%ME%".into());
            xs
        }
        FieldType::Integer => own(&[
            "0",
            "-1",
            "1",
            "+2",
            "3",
            "-9223372036854775808",
            "9223372036854775807",
        ]),
        FieldType::DateTime => own(&[
            "2024-06-01",
            "2024-05-31",
            "6/2/2024",
            "2024-06-01T00:00:00Z",
            "2024-05-31T23:59:59.999999999Z",
            "2024-06-01 10:30:00.5+02:00",
            "2024-06-01T08:00:00",
            "%TODAY%",
            "%TODAY-1%",
            "%TODAY+1%",
        ]),
        FieldType::Guid => GUIDS
            .iter()
            .flat_map(|g| [format!("{{{g:032X}}}"), format!("{g:032x}")])
            .collect(),
        FieldType::Enum(names) => names.clone(),
        FieldType::Boolean => own(&["true", "FALSE", "True"]),
        FieldType::Object => vec![],
    }
}

fn render(shape: &Shape, schema: &Schema) -> String {
    let queryable: Vec<_> = schema.fields().iter().filter(|f| f.queryable()).collect();
    match shape {
        Shape::And(xs) | Shape::Or(xs) => {
            let join = if matches!(shape, Shape::And(_)) {
                " AND "
            } else {
                " or "
            };
            let parts: Vec<String> = xs
                .iter()
                .map(|x| format!("({})", render(x, schema)))
                .collect();
            parts.join(join)
        }
        Shape::EnumChain(f, names) => {
            let enums: Vec<_> = queryable
                .iter()
                .filter(|f| matches!(f.ty(), FieldType::Enum(_)))
                .collect();
            let field = enums[f.index(enums.len())];
            let FieldType::Enum(all) = field.ty() else {
                unreachable!("an enum field")
            };
            let parts: Vec<String> = names
                .iter()
                .map(|(i, how)| {
                    let name = variant(&all[i.index(all.len())], how & !16);
                    format!("{} -eq {}", field.name(), kfql::quote(&name))
                })
                .collect();
            parts.join(" OR ")
        }
        Shape::Leaf(f, o, v, how, null) => {
            let field = queryable[f.index(queryable.len())];
            let ops = field.ty().operators();
            let mut op = ops[o.index(ops.len())];
            let value = if *null {
                if op != Op::Ne {
                    op = Op::Eq;
                }
                "NULL".to_owned()
            } else {
                let xs = values(field.ty());
                let x = &xs[v.index(xs.len())];
                match field.ty() {
                    FieldType::String | FieldType::StringList => kfql::quote(&variant(x, *how)),
                    // Enum names keep their inner spaces; case and trailing
                    // spaces vary.
                    FieldType::Enum(_) => kfql::quote(&variant(x, how & !16)),
                    _ if how & 8 != 0 && !x.contains(' ') => x.clone(),
                    _ => kfql::quote(x),
                }
            };
            format!("{} {op} {value}", field.name())
        }
    }
}

fn ctx() -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
        .with_user("KEYEXAMPLE\\jsmith")
}

fn compile(shape: &Shape, schema: &Schema) -> Result<Filter, TestCaseError> {
    let text = render(shape, schema);
    kfql::compile(&text, schema, &ctx())
        .map_err(|e| TestCaseError::fail(format!("{text:?} should compile:\n{}", e.render())))
}

/// A sort of `schema`: a sortable field picked by `pick`, or the default.
fn sort_of(schema: &Schema, pick: Option<Index>, descending: bool) -> Sort {
    let direction = Direction::descending_if(descending);
    let sortable: Vec<_> = schema.fields().iter().filter(|f| f.sortable()).collect();
    match pick {
        Some(i) => Sort::new(schema, sortable[i.index(sortable.len())].name(), direction)
            .expect("a sortable field"),
        None => Sort::default_for(schema).with_direction(direction),
    }
}

fn page() -> impl Strategy<Value = Page> {
    prop_oneof![
        (1u64..5, 1u64..6).prop_map(|(n, l)| Page::new(n, l).expect("a page")),
        Just(Page::new(1, u64::MAX >> 1).expect("a page")),
        Just(Page::new(u64::MAX >> 1, u64::MAX >> 1).expect("a page")),
    ]
}

// ------------------------------------------------------------ oracles

/// The page by definition: every match, sorted by `sort.compare` and then
/// input order, sliced.
fn reference<R: Record + Clone>(
    filter: &Filter,
    records: &[R],
    sort: &Sort,
    page: Page,
) -> PageResult<R> {
    let mut matches: Vec<&R> = records.iter().filter(|r| filter.matches(*r)).collect();
    matches.sort_by(|a, b| sort.compare(*a, *b)); // stable: input order breaks ties
    let total = matches.len() as u64;
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(page.limit()).unwrap_or(usize::MAX);
    PageResult {
        records: matches.into_iter().skip(skip).take(take).cloned().collect(),
        total,
        page,
    }
}

/// Owned records from a page of borrowed ones.
fn owned<R: Clone>(p: PageResult<&R>) -> PageResult<R> {
    PageResult {
        records: p.records.into_iter().cloned().collect(),
        total: p.total,
        page: p.page,
    }
}

/// `filter.page` over `records`: the reference page when the filter, the
/// sort and the records share a schema; `SchemaMismatch` when the filter
/// and the sort do not; otherwise some page, no larger than asked.
fn check_page<R: TypedRecord + Clone + PartialEq + Debug>(
    filter: &Filter,
    sort: &Sort,
    records: &[R],
    page: Page,
) -> Result<(), TestCaseError> {
    let got = filter.page(records, sort, page);
    if sort.schema() != filter.schema() {
        mismatch(got)?;
    } else {
        let got = owned(got.map_err(|e| TestCaseError::fail(e.to_string()))?);
        if &R::schema() == filter.schema() {
            prop_assert_eq!(&got, &reference(filter, records, sort, page));
        } else {
            prop_assert!(got.total <= records.len() as u64);
            prop_assert!(got.records.len() as u64 <= page.limit().min(got.total));
        }
    }
    // Binding: only to records of the filter's schema, then the same
    // matches and the same page or error.
    match filter.bind::<R>() {
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::SchemaMismatch);
            prop_assert!(&R::schema() != filter.schema());
        }
        Ok(bound) => {
            prop_assert!(&R::schema() == filter.schema());
            for r in records {
                prop_assert_eq!(bound.matches(r), filter.matches(r), "{:?}", r);
            }
            prop_assert_eq!(bound.count(records), filter.count(records));
            prop_assert_eq!(bound.count_slice(records), filter.count(records));
            let by_filter = filter.page(records, sort, page).map(owned);
            for by_bound in [
                bound.page(records, sort, page).map(owned),
                bound.page_slice(records, sort, page).map(owned),
            ] {
                match (by_bound, &by_filter) {
                    (Ok(a), Ok(b)) => prop_assert_eq!(&a, b),
                    (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
                    (a, b) => prop_assert!(false, "bound {:?} but filter {:?}", a, b),
                }
            }
        }
    }
    Ok(())
}

fn json_lines(records: &[impl serde::Serialize]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).expect("serializes") + "\n")
        .collect()
}

/// `Scan::page::<T>` over the JSON Lines of `records` (of type `R`): the
/// same as `filter.page` when the lines are `T`s, an error naming a record
/// when they are not, and `SchemaMismatch` first when the sort is not of
/// the filter's schema.
fn check_scan<T, R>(
    filter: &Filter,
    sort: &Sort,
    records: &[R],
    page: Page,
    block: usize,
) -> Result<(), TestCaseError>
where
    T: kfql::FromJsonLine + Send + serde::Serialize + 'static,
    R: Record + serde::Serialize + 'static,
{
    let lines = json_lines(records);
    let got =
        Scan::new()
            .block_size(block)
            .threads(2)
            .page::<T>(lines.as_bytes(), filter, sort, page);
    if sort.schema() != filter.schema() {
        return mismatch(got);
    }
    if TypeId::of::<T>() == TypeId::of::<R>() {
        // The same records, so the same page; compared in their JSON form,
        // as `T` and `R` are one type the compiler cannot see is one.
        let want = filter.page(records, sort, page).expect("same schema");
        let got = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(json(&got), json(&want));
    } else if records.is_empty() {
        let got = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((got.total, got.records.len()), (0, 0));
    } else {
        let err = got.map(|_| ()).expect_err("lines of another record type");
        prop_assert_eq!(err.kind(), ErrorKind::InvalidRecord, "{}", err);
    }
    Ok(())
}

fn json(x: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(x).expect("serializes")
}

/// `r` is the error of a sort and a filter of different schemas.
fn mismatch<T>(r: Result<T, kfql::Error>) -> Result<(), TestCaseError> {
    match r {
        Err(e) if e.kind() == ErrorKind::SchemaMismatch => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "expected schema_mismatch, got {e}"
        ))),
        Ok(_) => Err(TestCaseError::fail("expected schema_mismatch, got a page")),
    }
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_bound_filter_agrees_on_workflow_instances(
        shape in shape(),
        records in prop::collection::vec(instance(), 0..30),
        pick in maybe(any::<Index>()),
        descending in any::<bool>(),
        page in page(),
    ) {
        let schema = keyfactor::schema();
        let filter = compile(&shape, &schema)?;
        let sort = sort_of(&schema, pick, descending);
        check_page(&filter, &sort, &records, page)?;
        // The borrowed records of the same JSON Lines, bound too.
        let lines: Vec<String> = records.iter().map(|r| serde_json::to_string(r).expect("serializes")).collect();
        let bound = filter.bind::<InstanceRef<'_>>().expect("the instance schema");
        for (line, r) in lines.iter().zip(&records) {
            if let Some(borrowed) = InstanceRef::from_line(line.as_bytes()) {
                prop_assert_eq!(bound.matches(&borrowed), filter.matches(r), "{}", line);
                prop_assert_eq!(filter.matches(&borrowed), filter.matches(r), "{}", line);
            }
        }
    }

    #[test]
    fn a_bound_filter_agrees_on_workflow_tickets(
        shape in shape(),
        records in prop::collection::vec(ticket(), 0..30),
        pick in maybe(any::<Index>()),
        descending in any::<bool>(),
        page in page(),
    ) {
        let schema = venafi::schema();
        let filter = compile(&shape, &schema)?;
        check_page(&filter, &sort_of(&schema, pick, descending), &records, page)?;
    }

    #[test]
    fn a_bound_filter_agrees_on_derived_records(
        shape in shape(),
        records in prop::collection::vec(cert(), 0..30),
        pick in maybe(any::<Index>()),
        descending in any::<bool>(),
        page in page(),
    ) {
        let schema = Cert::schema();
        let filter = compile(&shape, &schema)?;
        check_page(&filter, &sort_of(&schema, pick, descending), &records, page)?;
    }
}

/// `n` records cycling through `some`: many chunks of records without
/// generating each.
fn cycle<R: Clone>(some: &[R], n: usize) -> Vec<R> {
    some.iter().cycle().take(n).cloned().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Over many chunks of records, where a chunk's selection has words
    /// full, partly selected and empty, and a last chunk that is short.
    #[test]
    fn a_bound_filter_agrees_over_many_chunks(
        shape in shape(),
        instances in prop::collection::vec(instance(), 1..12),
        certs in prop::collection::vec(cert(), 1..12),
        n in 0usize..700,
        pick in maybe(any::<Index>()),
        descending in any::<bool>(),
        page in page(),
    ) {
        let schema = keyfactor::schema();
        let filter = compile(&shape, &schema)?;
        let sort = sort_of(&schema, pick, descending);
        check_page(&filter, &sort, &cycle(&instances, n), page)?;
        let schema = Cert::schema();
        let filter = compile(&shape, &schema)?;
        let sort = sort_of(&schema, pick, descending);
        check_page(&filter, &sort, &cycle(&certs, n), page)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mixed_schemas_give_the_right_page_or_a_mismatch(
        shape in shape(),
        filter_schema in 0..5usize,
        sort_schema in 0..5usize,
        pick in maybe(any::<Index>()),
        descending in any::<bool>(),
        page in page(),
        block in 1usize..400,
        instances in prop::collection::vec(instance(), 0..10),
        tickets in prop::collection::vec(ticket(), 0..10),
        certs in prop::collection::vec(cert(), 0..10),
    ) {
        let schemas = schemas();
        let filter = compile(&shape, &schemas[filter_schema])?;
        let sort = sort_of(&schemas[sort_schema], pick, descending);
        check_page(&filter, &sort, &instances, page)?;
        check_page(&filter, &sort, &tickets, page)?;
        check_page(&filter, &sort, &certs, page)?;
        check_scan::<WorkflowInstance, _>(&filter, &sort, &instances, page, block)?;
        check_scan::<WorkflowInstance, _>(&filter, &sort, &tickets, page, block)?;
        check_scan::<WorkflowTicket, _>(&filter, &sort, &tickets, page, block)?;
        check_scan::<WorkflowTicket, _>(&filter, &sort, &instances, page, block)?;
    }
}
