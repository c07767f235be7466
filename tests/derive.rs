//! What `#[derive(kfql::Record)]` and `#[derive(kfql::Enum)]` generate:
//! the schema a builder would give for the same fields (names, types,
//! flags), and field access that filters, counts and pages exactly as a
//! hand-written `Record` over the same data. The derive's compile errors
//! are in `tests/derive_ui.rs`.

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use kfql::keyfactor::{InstanceRef, WorkflowInstance};
use kfql::venafi::{TicketStatus, WorkflowTicket};
use kfql::{
    Context, Direction, Enum, ErrorKind, Field, FieldType, FieldValue, Guid, Page, Record, Schema,
    Sort, TypedRecord,
};
use serde::Serialize;

fn ctx() -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
}

fn utc(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, 8, 30, 0).unwrap()
}

// ------------------------------------------------------------ types

#[derive(kfql::Enum, Serialize, Clone, Copy, Debug, PartialEq)]
enum Stage {
    Draft,
    #[kfql(rename = "In Review")]
    #[serde(rename = "In Review")]
    InReview,
    #[serde(rename = "Done!")]
    Done,
}

/// Every supported Rust type, bare and in an `Option`, with the Rust
/// names as field names and the struct's name as the schema's.
#[derive(kfql::Record)]
#[allow(dead_code)] // read only through the derive
struct Everything<'a> {
    string: String,
    str_ref: &'a str,
    cow: Cow<'a, str>,
    boxed: Box<str>,
    int64: i64,
    int32: i32,
    int16: i16,
    int8: i8,
    uint32: u32,
    uint16: u16,
    uint8: u8,
    flag: bool,
    at: DateTime<Utc>,
    guid: Guid,
    list: Vec<String>,
    stage: Stage,
    opt_string: Option<String>,
    opt_str_ref: Option<&'a str>,
    opt_cow: Option<Cow<'a, str>>,
    opt_boxed: Option<Box<str>>,
    opt_int64: Option<i64>,
    opt_int32: Option<i32>,
    opt_uint8: Option<u8>,
    opt_flag: Option<bool>,
    opt_at: Option<DateTime<Utc>>,
    opt_guid: Option<Guid>,
    opt_list: Option<Vec<String>>,
    opt_stage: Option<Stage>,
}

#[test]
fn every_supported_type_maps_to_its_field_type() {
    let stage = || FieldType::enumeration(["Draft", "In Review", "Done!"]);
    let types = [
        ("string", FieldType::String),
        ("str_ref", FieldType::String),
        ("cow", FieldType::String),
        ("boxed", FieldType::String),
        ("int64", FieldType::Integer),
        ("int32", FieldType::Integer),
        ("int16", FieldType::Integer),
        ("int8", FieldType::Integer),
        ("uint32", FieldType::Integer),
        ("uint16", FieldType::Integer),
        ("uint8", FieldType::Integer),
        ("flag", FieldType::Boolean),
        ("at", FieldType::DateTime),
        ("guid", FieldType::Guid),
        ("list", FieldType::StringList),
        ("stage", stage()),
        ("opt_string", FieldType::String),
        ("opt_str_ref", FieldType::String),
        ("opt_cow", FieldType::String),
        ("opt_boxed", FieldType::String),
        ("opt_int64", FieldType::Integer),
        ("opt_int32", FieldType::Integer),
        ("opt_uint8", FieldType::Integer),
        ("opt_flag", FieldType::Boolean),
        ("opt_at", FieldType::DateTime),
        ("opt_guid", FieldType::Guid),
        ("opt_list", FieldType::StringList),
        ("opt_stage", stage()),
    ];
    let mut builder = Schema::builder("Everything");
    for (name, ty) in types {
        builder = builder.field(name, ty);
    }
    assert_eq!(Everything::schema(), builder.build().unwrap());
}

#[test]
fn every_supported_type_reads_its_value() {
    let list = vec!["a".to_owned(), "b".to_owned()];
    let at = utc(2024, 5, 1);
    let r = Everything {
        string: "s".into(),
        str_ref: "r",
        cow: Cow::Borrowed("c"),
        boxed: "b".into(),
        int64: i64::MIN,
        int32: i32::MIN,
        int16: i16::MIN,
        int8: i8::MIN,
        uint32: u32::MAX,
        uint16: u16::MAX,
        uint8: u8::MAX,
        flag: true,
        at,
        guid: Guid(u128::MAX),
        list: list.clone(),
        stage: Stage::Done,
        opt_string: None,
        opt_str_ref: Some("x"),
        opt_cow: Some(Cow::Owned("o".into())),
        opt_boxed: None,
        opt_int64: Some(-1),
        opt_int32: None,
        opt_uint8: Some(0),
        opt_flag: Some(false),
        opt_at: None,
        opt_guid: Some(Guid(7)),
        opt_list: None,
        opt_stage: Some(Stage::InReview),
    };
    let strings = kfql::TextList::Strings(&list);
    let want = [
        ("string", FieldValue::Str("s")),
        ("str_ref", FieldValue::Str("r")),
        ("cow", FieldValue::Str("c")),
        ("boxed", FieldValue::Str("b")),
        ("int64", FieldValue::Int(i64::MIN)),
        ("int32", FieldValue::Int(i32::MIN.into())),
        ("int16", FieldValue::Int(i16::MIN.into())),
        ("int8", FieldValue::Int(i8::MIN.into())),
        ("uint32", FieldValue::Int(u32::MAX.into())),
        ("uint16", FieldValue::Int(u16::MAX.into())),
        ("uint8", FieldValue::Int(u8::MAX.into())),
        ("flag", FieldValue::Bool(true)),
        ("at", FieldValue::DateTime(at)),
        ("guid", FieldValue::Guid(u128::MAX)),
        ("list", FieldValue::List(strings)),
        ("stage", FieldValue::Enum(2)),
        ("opt_string", FieldValue::Null),
        ("opt_str_ref", FieldValue::Str("x")),
        ("opt_cow", FieldValue::Str("o")),
        ("opt_boxed", FieldValue::Null),
        ("opt_int64", FieldValue::Int(-1)),
        ("opt_int32", FieldValue::Null),
        ("opt_uint8", FieldValue::Int(0)),
        ("opt_flag", FieldValue::Bool(false)),
        ("opt_at", FieldValue::Null),
        ("opt_guid", FieldValue::Guid(7)),
        ("opt_list", FieldValue::Null),
        ("opt_stage", FieldValue::Enum(1)),
    ];
    let schema = Everything::schema();
    assert_eq!(schema.fields().len(), want.len());
    for (name, value) in want {
        let field = schema.field(name).unwrap();
        assert_eq!(r.value(field), value, "{name}");
    }
    // A field of another schema at a position past this one's is no value.
    let wide = Schema::builder("wide");
    let wide = (0..=want.len())
        .fold(wide, |b, i| b.field(format!("f{i}"), FieldType::String))
        .build()
        .unwrap();
    assert_eq!(r.value(&wide.fields()[want.len()]), FieldValue::Invalid);

    // Every comparison goes through the generated access, bound or not.
    let queries = [
        ("str_ref -eq r AND cow -eq C AND boxed -startswith b", true),
        (
            "int64 -lt -9223372036854775807 AND uint32 -eq 4294967295",
            true,
        ),
        ("int8 -eq -128 AND int16 -eq -32768 AND uint8 -ge 255", true),
        (
            "flag -eq true AND opt_flag -eq false AND opt_int32 -eq NULL",
            true,
        ),
        ("list -eq B AND opt_list -eq NULL AND stage -eq done!", true),
        (
            r#"opt_stage -eq "in review" AND opt_guid -eq 00000000-0000-0000-0000-000000000007"#,
            true,
        ),
        (
            r#"at -ge "2024-05-01" AND at -lt "2024-05-02" AND opt_at -ne NULL"#,
            false,
        ),
        (
            "guid -eq {FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF} AND opt_int64 -eq -1",
            true,
        ),
    ];
    for (q, want) in queries {
        let filter = kfql::compile(q, &schema, &ctx()).unwrap();
        assert_eq!(filter.matches(&r), want, "{q}");
        assert_eq!(
            filter.bind::<Everything>().unwrap().matches(&r),
            want,
            "{q}"
        );
    }
}

// ------------------------------------------------------------ names

#[derive(kfql::Record, Serialize, Default)]
struct Plain {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct SerdePascal {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[kfql(rename_all = "PascalCase")]
struct KfqlPascal {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct SerdeCamel {
    days_left: i64,
    serial_number: String,
    id: i64,
}

/// kfql's `rename_all` wins over serde's.
#[derive(kfql::Record, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[kfql(rename_all = "SCREAMING_SNAKE_CASE")]
struct Screaming {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
struct Lower {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[kfql(rename_all = "UPPERCASE")]
struct Upper {
    days_left: i64,
    serial_number: String,
    id: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[kfql(rename_all = "snake_case", name = "snakes")]
struct Snake {
    days_left: i64,
    serial_number: String,
    id: i64,
}

/// A field's own name wins over `rename_all`, and kfql's over serde's.
#[derive(kfql::Record, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Renamed {
    #[serde(rename = "Days")]
    days_left: i64,
    #[serde(default, rename = "SN")]
    #[kfql(rename = "Serial")]
    serial_number: String,
    #[kfql(rename = "ID")]
    id: i64,
}

#[test]
fn field_names_follow_rust_names_and_renames() {
    // Each schema, its name, its field names, and whether serde writes
    // the record under the same names (it does unless kfql's attributes
    // say otherwise).
    let cases = [
        (
            Plain::schema(),
            "Plain",
            ["days_left", "serial_number", "id"],
            json_keys(&Plain::default()),
            true,
        ),
        (
            SerdePascal::schema(),
            "SerdePascal",
            ["DaysLeft", "SerialNumber", "Id"],
            json_keys(&SerdePascal::default()),
            true,
        ),
        (
            KfqlPascal::schema(),
            "KfqlPascal",
            ["DaysLeft", "SerialNumber", "Id"],
            json_keys(&KfqlPascal::default()),
            false,
        ),
        (
            SerdeCamel::schema(),
            "SerdeCamel",
            ["daysLeft", "serialNumber", "id"],
            json_keys(&SerdeCamel::default()),
            true,
        ),
        (
            Screaming::schema(),
            "Screaming",
            ["DAYS_LEFT", "SERIAL_NUMBER", "ID"],
            json_keys(&Screaming::default()),
            false,
        ),
        (
            Lower::schema(),
            "Lower",
            // serde lower-cases a field's Rust name, keeping its `_`s.
            ["days_left", "serial_number", "id"],
            json_keys(&Lower::default()),
            true,
        ),
        (
            Upper::schema(),
            "Upper",
            ["DAYS_LEFT", "SERIAL_NUMBER", "ID"],
            json_keys(&Upper::default()),
            false,
        ),
        (
            Snake::schema(),
            "snakes",
            ["days_left", "serial_number", "id"],
            json_keys(&Snake::default()),
            true,
        ),
        (
            Renamed::schema(),
            "Renamed",
            ["Days", "Serial", "ID"],
            json_keys(&Renamed::default()),
            false,
        ),
    ];
    for (schema, name, [days, serial, id], serde_keys, serde_agrees) in cases {
        let want = Schema::builder(name)
            .field(days, FieldType::Integer)
            .field(serial, FieldType::String)
            .field(id, FieldType::Integer)
            .build()
            .unwrap();
        assert_eq!(schema, want, "{name}");
        assert_eq!(
            field_names(&schema) == serde_keys,
            serde_agrees,
            "{name}: {serde_keys:?}"
        );
    }
}

/// Raw identifiers are named without `r#`, as serde names them.
#[derive(kfql::Record, Serialize)]
struct Raw {
    r#type: String,
    #[kfql(key)]
    r#match: i64,
}

#[derive(kfql::Record, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawPascal {
    r#type: String,
    r#match: i64,
}

#[test]
fn raw_identifiers_are_named_without_their_prefix() {
    let want = |name: &str, ty: &str, m: &str| {
        Schema::builder(name)
            .field(ty, FieldType::String)
            .field(m, FieldType::Integer)
    };
    assert_eq!(
        Raw::schema(),
        want("Raw", "type", "match").key("match").build().unwrap()
    );
    assert_eq!(
        RawPascal::schema(),
        want("RawPascal", "Type", "Match").build().unwrap()
    );
    // The names are serde's.
    let r = Raw {
        r#type: "t".into(),
        r#match: 1,
    };
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        serde_json::json!({"type": "t", "match": 1})
    );
    let filter = kfql::compile("type -eq T AND match -eq 1", &Raw::schema(), &ctx()).unwrap();
    assert!(filter.bind::<Raw>().unwrap().matches(&r));
}

#[derive(kfql::Enum, Serialize, Debug, PartialEq, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Screamed {
    InReview,
    #[serde(rename = "done")]
    Done,
    #[kfql(rename = "Gone Away")]
    #[serde(rename = "ignored: kfql's rename wins")]
    GoneAway,
}

#[derive(kfql::Enum, Serialize, Debug, PartialEq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
#[kfql(rename_all = "camelCase")]
enum Camel {
    InReview,
    Done,
    HTTPServer,
}

#[derive(kfql::Enum, Serialize, Debug, PartialEq, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum Kebab {
    InReview,
    Done,
    HTTPServer,
}

#[test]
fn enum_names_indexes_and_values_round_trip() {
    /// Checks `E`'s names, and that each value's index, value and JSON
    /// form (when `serde_agrees`) are its name's.
    fn check<E>(names: &[&str], all: &[E], serde_agrees: bool)
    where
        E: Enum + kfql::FieldKind + Serialize + std::fmt::Debug + PartialEq,
    {
        assert_eq!(E::NAMES, names);
        assert_eq!(
            E::field_type(),
            FieldType::enumeration(names.iter().copied())
        );
        let mut agree = true;
        for (i, v) in all.iter().enumerate() {
            assert_eq!(v.index(), i, "{v:?}");
            assert_eq!(E::from_index(i).as_ref(), Some(v));
            assert_eq!(v.value(), FieldValue::Enum(i));
            agree &= serde_json::to_value(v).unwrap() == names[i];
        }
        assert_eq!(agree, serde_agrees, "{names:?}");
        assert_eq!(E::from_index(names.len()), None);
        assert_eq!(E::from_index(usize::MAX), None);
    }
    use Camel as C;
    use Screamed as S;
    check(
        &["Draft", "In Review", "Done!"],
        &[Stage::Draft, Stage::InReview, Stage::Done],
        true,
    );
    check(
        &["IN_REVIEW", "done", "Gone Away"],
        &[S::InReview, S::Done, S::GoneAway],
        false,
    );
    check(
        &["inReview", "done", "hTTPServer"],
        &[C::InReview, C::Done, C::HTTPServer],
        false,
    );
    check(
        &["in-review", "done", "h-t-t-p-server"],
        &[Kebab::InReview, Kebab::Done, Kebab::HTTPServer],
        true,
    );
    let names = [
        "Pending",
        "Approved",
        "Approved After",
        "Approved Between",
        "Rejected",
    ];
    check(&names, &TicketStatus::ALL, true);
    check(
        kfql::keyfactor::STATUS_NAMES,
        &kfql::keyfactor::Status::ALL,
        true,
    );
}

// ------------------------------------------------------------ flags

struct Details {
    owner: Option<String>,
}

#[derive(kfql::Record)]
#[kfql(name = "flags", rename_all = "PascalCase")]
#[allow(dead_code)]
struct Flags {
    #[kfql(not_queryable, default_sort)]
    label: Option<String>,
    #[kfql(key)]
    number: u32,
    #[kfql(not_sortable, hint = "sort by Number")]
    tags: Vec<String>,
    #[kfql(skip)]
    cache: std::collections::HashMap<String, f64>,
    #[kfql(object, hint = "query Owner instead")]
    details: Option<Details>,
    #[kfql(fallback = "Details.Owner", with = "owner")]
    owner: Option<String>,
    #[kfql(not_queryable, not_sortable)]
    secret: String,
}

impl Flags {
    fn owner(&self) -> Option<&str> {
        self.owner
            .as_deref()
            .or_else(|| self.details.as_ref()?.owner.as_deref())
    }
}

fn flags(owner: Option<&str>, details_owner: Option<&str>) -> Flags {
    Flags {
        label: None,
        number: 1,
        tags: vec![],
        cache: Default::default(),
        details: Some(Details {
            owner: details_owner.map(Into::into),
        }),
        owner: owner.map(Into::into),
        secret: "s".into(),
    }
}

#[test]
fn flags_give_the_builders_schema() {
    let want = Schema::builder("flags")
        .field("Label", FieldType::String)
        .not_queryable()
        .field("Number", FieldType::Integer)
        .field("Tags", FieldType::StringList)
        .not_sortable()
        .hint("sort by Number")
        .field("Details", FieldType::Object)
        .hint("query Owner instead")
        .field("Owner", FieldType::String)
        .fallback("Details.Owner")
        .field("Secret", FieldType::String)
        .not_queryable()
        .not_sortable()
        .key("Number")
        .default_sort("Label")
        .build()
        .unwrap();
    assert_eq!(Flags::schema(), want);
}

#[test]
fn flags_decide_what_a_query_and_a_sort_may_name() {
    let schema = Flags::schema();
    let cases = [
        ("Label -eq x", Some(ErrorKind::FieldNotQueryable)),
        ("Secret -eq x", Some(ErrorKind::FieldNotQueryable)),
        ("Cache -eq x", Some(ErrorKind::UnknownField)),
        ("Details -eq x", Some(ErrorKind::FieldNotQueryable)),
        ("Number -eq 1 AND Tags -eq x AND Owner -eq x", None),
    ];
    for (q, kind) in cases {
        assert_eq!(
            kfql::compile(q, &schema, &ctx()).err().map(|e| e.kind()),
            kind,
            "{q}"
        );
    }
    let err = kfql::compile("Details -eq x", &schema, &ctx()).unwrap_err();
    assert!(err.to_string().contains("query Owner instead"), "{err}");
    let sorts = [
        ("Label", None),
        ("Number", None),
        ("Owner", None),
        ("Tags", Some(ErrorKind::FieldNotSortable)),
        ("Secret", Some(ErrorKind::FieldNotSortable)),
        ("Details", Some(ErrorKind::FieldNotSortable)),
        ("Cache", Some(ErrorKind::UnknownSortField)),
    ];
    for (name, kind) in sorts {
        let got = Sort::new(&schema, name, Direction::Ascending)
            .err()
            .map(|e| e.kind());
        assert_eq!(got, kind, "{name}");
    }
    let err = Sort::new(&schema, "Tags", Direction::Ascending).unwrap_err();
    assert_eq!(err.suggestion(), Some("sort by Number"));
    assert_eq!(Sort::default_for(&schema).field().name(), "Label");
}

#[test]
fn with_reads_through_the_method_and_object_reads_as_nothing() {
    let schema = Flags::schema();
    let by_owner = kfql::compile(r#"Owner -eq "Ana""#, &schema, &ctx()).unwrap();
    let bound = by_owner.bind::<Flags>().unwrap();
    let cases = [
        (Some("ana"), None, true),
        (None, Some("ANA "), true),
        (Some("bo"), Some("ana"), false),
        (None, None, false),
    ];
    for (own, from_details, want) in cases {
        let r = flags(own, from_details);
        assert_eq!(by_owner.matches(&r), want, "{own:?} {from_details:?}");
        assert_eq!(bound.matches(&r), want, "{own:?} {from_details:?}");
    }
    let r = flags(Some("x"), None);
    assert_eq!(
        r.value(schema.field("Details").unwrap()),
        FieldValue::Invalid
    );
    // The JSON form of the same record reads Owner through the fallback.
    let json = serde_json::json!({"Number": 1, "Details": {"Owner": "Ana"}});
    assert!(by_owner.matches(&json));
}

// ------------------------------------------ derived vs hand-written Record

#[derive(Clone, Debug, PartialEq, Serialize, kfql::Record)]
#[serde(rename_all = "PascalCase")]
#[kfql(name = "certificates")]
struct Cert {
    #[kfql(key)]
    serial: String,
    subject: Option<String>,
    days_left: Option<i64>,
    issued: Option<DateTime<Utc>>,
    revoked: bool,
    issuer_id: Option<Guid>,
    stage: Stage,
    #[kfql(default_sort)]
    names: Vec<String>,
    #[kfql(not_queryable)]
    notes: Option<String>,
    #[kfql(not_sortable)]
    size: u16,
}

/// The same records, read by a hand-written `Record` over the builder's
/// schema, as the README showed before the derive.
struct HandCert<'a>(&'a Cert);

fn hand_schema() -> Schema {
    Schema::builder("certificates")
        .field("Serial", FieldType::String)
        .field("Subject", FieldType::String)
        .field("DaysLeft", FieldType::Integer)
        .field("Issued", FieldType::DateTime)
        .field("Revoked", FieldType::Boolean)
        .field("IssuerId", FieldType::Guid)
        .field(
            "Stage",
            FieldType::enumeration(["Draft", "In Review", "Done!"]),
        )
        .field("Names", FieldType::StringList)
        .field("Notes", FieldType::String)
        .not_queryable()
        .field("Size", FieldType::Integer)
        .not_sortable()
        .key("Serial")
        .default_sort("Names")
        .build()
        .unwrap()
}

impl Record for HandCert<'_> {
    fn value(&self, field: &Field) -> FieldValue<'_> {
        let c = self.0;
        fn text(s: &Option<String>) -> FieldValue<'_> {
            s.as_deref().map_or(FieldValue::Null, FieldValue::Str)
        }
        match field.index() {
            0 => FieldValue::Str(&c.serial),
            1 => text(&c.subject),
            2 => c.days_left.map_or(FieldValue::Null, FieldValue::Int),
            3 => c.issued.map_or(FieldValue::Null, FieldValue::DateTime),
            4 => FieldValue::Bool(c.revoked),
            5 => c
                .issuer_id
                .map_or(FieldValue::Null, |g| FieldValue::Guid(g.0)),
            6 => FieldValue::Enum(c.stage as usize),
            7 => FieldValue::List(kfql::TextList::Strings(&c.names)),
            8 => text(&c.notes),
            9 => FieldValue::Int(c.size.into()),
            _ => FieldValue::Null,
        }
    }
}

/// A hand-written `TypedRecord`: binding works through `Record::value`.
impl TypedRecord for HandCert<'_> {
    fn schema() -> Schema {
        hand_schema()
    }
}

fn certs() -> Vec<Cert> {
    let cert = |serial: &str, subject: Option<&str>, days: Option<i64>, stage: Stage| Cert {
        serial: serial.into(),
        subject: subject.map(Into::into),
        days_left: days,
        issued: days.map(|d| utc(2024, 1, 1) + chrono::Duration::days(d)),
        revoked: days.is_some_and(|d| d < 0),
        issuer_id: days.map(|d| Guid(d.unsigned_abs().into())),
        stage,
        names: subject.map_or(vec![], |s| vec![s.to_owned(), format!("{serial}.example")]),
        notes: Some("n".into()),
        size: days.map_or(0, |d| d.unsigned_abs() as u16),
    };
    vec![
        cert("AB12", Some("appsrvr14"), Some(7), Stage::Draft),
        cert("ab12 ", Some("Straße "), Some(-3), Stage::InReview),
        cert("CD01", None, None, Stage::Done),
        cert("ΟΔΟΣ", Some("ΟΔΟΣ"), Some(70), Stage::Done),
        cert("ZZ", Some("appsrvr15"), Some(7), Stage::InReview),
        cert("", Some(""), Some(0), Stage::Draft),
    ]
}

#[test]
fn a_derived_record_filters_sorts_and_pages_as_a_hand_written_one() {
    let schema = Cert::schema();
    assert_eq!(schema, hand_schema());
    let records = certs();
    let hand: Vec<HandCert<'_>> = records.iter().map(HandCert).collect();
    let json: Vec<serde_json::Value> = records
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let queries = [
        "",
        "Serial -eq ab12",
        "Serial -ne AB12 AND Subject -ne NULL",
        r#"Subject -contains "STRASSE" OR Subject -contains "straße""#,
        "Subject -startswith appsrvr OR Subject -eq NULL",
        "Subject -endswith ος",
        "DaysLeft -lt 10 AND DaysLeft -ge 0",
        "DaysLeft -eq NULL OR DaysLeft -gt 7",
        r#"Issued -eq "2024-01-08" OR Issued -lt "2023-12-30T00:00:00Z""#,
        "Revoked -eq true",
        "Revoked -ne true AND IssuerId -eq 00000000-0000-0000-0000-000000000007",
        r#"Stage -eq "in review" OR Stage -eq DONE!"#,
        "Stage -ne draft AND (Names -contains example OR Names -eq NULL)",
        "Names -ne appsrvr14 AND Names -notcontains ZZ",
        "Size -le 7 AND (Serial -eq AB12 OR Serial -eq ZZ OR Serial -eq CD01)",
    ];
    let sorts = [
        ("Serial", Direction::Ascending),
        ("Subject", Direction::Descending),
        ("DaysLeft", Direction::Ascending),
        ("Issued", Direction::Descending),
        ("Revoked", Direction::Ascending),
        ("IssuerId", Direction::Descending),
        ("Stage", Direction::Ascending),
        ("Names", Direction::Descending),
        ("Notes", Direction::Ascending),
    ];
    for q in queries {
        let filter = kfql::compile(q, &schema, &ctx()).unwrap();
        let bound = filter.bind::<Cert>().unwrap();
        let hand_bound = filter.bind::<HandCert<'_>>().unwrap();
        let want: Vec<bool> = hand.iter().map(|h| filter.matches(h)).collect();
        let got: Vec<bool> = records.iter().map(|r| filter.matches(r)).collect();
        assert_eq!(got, want, "{q}");
        let by_bound: Vec<bool> = records.iter().map(|r| bound.matches(r)).collect();
        assert_eq!(by_bound, want, "{q}: bound");
        let by_hand_bound: Vec<bool> = hand.iter().map(|h| hand_bound.matches(h)).collect();
        assert_eq!(by_hand_bound, want, "{q}: hand-written, bound");
        let by_json: Vec<bool> = json.iter().map(|j| filter.matches(j)).collect();
        assert_eq!(by_json, want, "{q}: JSON");
        assert_eq!(bound.count(&records), filter.count(&hand), "{q}");
        for (name, direction) in sorts {
            let sort = filter.sort(name, direction).unwrap();
            for page in [Page::default(), Page::new(2, 2).unwrap()] {
                let a = filter.page(&records, &sort, page).unwrap();
                let b = filter.page(hand.iter(), &sort, page).unwrap();
                let c = bound.page(&records, &sort, page).unwrap();
                assert_eq!(a.total, b.total);
                let a_keys: Vec<&str> = a.records.iter().map(|r| r.serial.as_str()).collect();
                let b_keys: Vec<&str> = b.records.iter().map(|h| h.0.serial.as_str()).collect();
                assert_eq!(a_keys, b_keys, "{q} by {name}");
                assert_eq!(a, c, "{q} by {name}: bound");
            }
        }
    }
}

#[test]
fn binding_checks_the_schema() {
    let filter = kfql::compile("Serial -eq x", &Cert::schema(), &ctx()).unwrap();
    let err = filter.bind::<Flags>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    assert!(err.message().contains("certificates"), "{err}");
    let flags_sort = Sort::default_for(&Flags::schema());
    let bound = filter.bind::<Cert>().unwrap();
    let err = bound
        .page(&certs(), &flags_sort, Page::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
}

// ------------------------------------------------- the crate's own records

#[test]
fn the_borrowed_instance_has_the_owned_instances_schema() {
    assert_eq!(
        <InstanceRef<'_> as TypedRecord>::schema(),
        WorkflowInstance::schema()
    );
    assert_eq!(WorkflowInstance::schema(), kfql::keyfactor::schema());
    assert_eq!(WorkflowTicket::schema(), kfql::venafi::schema());
}

/// The sorted keys of a record's JSON form.
fn json_keys(record: &impl Serialize) -> Vec<String> {
    let json = serde_json::to_value(record).unwrap();
    let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    keys.sort_unstable();
    keys
}

fn field_names(schema: &Schema) -> Vec<String> {
    let mut names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn the_crate_records_serialize_under_their_schema_names() {
    // The derive reads serde's names, so a record's JSON keys are its
    // schema's field names.
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let instance = &kfql::keyfactor::sample(1, now, 3)[0];
    assert_eq!(
        json_keys(instance),
        field_names(&WorkflowInstance::schema())
    );
    let ticket: WorkflowTicket = serde_json::from_value(serde_json::json!({
        "GUID": "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "Status": "Approved After"
    }))
    .unwrap();
    assert_eq!(json_keys(&ticket), field_names(&WorkflowTicket::schema()));
    assert_eq!(json_keys(&certs()[0]), field_names(&Cert::schema()));
}
