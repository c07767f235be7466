//! The SQL kfql writes, as text: one snapshot per rule, the errors, the
//! injection property over generated queries, and the engine limits the
//! `sql` docs list (checked on a real SQLite where it has them).

mod sql_support;

use chrono::{TimeZone, Utc};
use kfql::sql::{self, Dialect, Mapping, Param, Postgres, Sqlite, Statement};
use kfql::{Context, Direction, ErrorKind, FieldType, Page, Schema, Sort, keyfactor};
use proptest::prelude::*;
use sql_support::safety;

fn ctx() -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap())
        .with_user(r"KEYEXAMPLE\jsmith")
}

/// The condition and its parameters for `query` in `dialect`.
fn cond(query: &str, dialect: &dyn Dialect) -> (String, Vec<Param>) {
    let schema = keyfactor::schema();
    let filter = kfql::compile(query, &schema, &ctx()).unwrap();
    let stmt = Statement::new(
        &filter,
        &Sort::default_for(&schema),
        Page::default(),
        &sql_support::mapping(),
        dialect,
    )
    .unwrap();
    (
        stmt.condition().to_owned(),
        stmt.condition_params().to_vec(),
    )
}

fn text(s: &str) -> Param {
    Param::Text(s.to_owned())
}

#[test]
fn strings_fold_trim_and_escape() {
    assert_eq!(
        cond(r#"Title -eq "Straße  ""#, &Sqlite),
        (
            r#"kfql_fold(rtrim("title", ' ')) COLLATE BINARY = ?1"#.into(),
            vec![text("straße")]
        )
    );
    assert_eq!(
        cond(r#"Title -ne "ABC""#, &Postgres),
        (
            r#"lower(rtrim("title", ' ')) COLLATE "C" <> $1::text"#.into(),
            vec![text("abc")]
        )
    );
    // %, _ and the escape character are escaped; trailing spaces kept.
    assert_eq!(
        cond(r#"Title -contains "50%_\\x ""#, &Sqlite),
        (
            r#"kfql_fold("title") COLLATE BINARY LIKE ?1 ESCAPE '\'"#.into(),
            vec![text(r"%50\%\_\\x %")]
        )
    );
    assert_eq!(
        cond(r#"Title -startswith "A""#, &Sqlite).1,
        vec![text("a%")]
    );
    assert_eq!(cond(r#"Title -endswith "A""#, &Sqlite).1, vec![text("%a")]);
    assert_eq!(
        cond(r#"Title -notcontains "x""#, &Postgres).0,
        r#"lower("title") COLLATE "C" NOT LIKE $1::text ESCAPE E'\\'"#
    );
    // %ME% is expanded before it becomes a parameter.
    assert_eq!(
        cond("InitiatingUserName -eq %ME%", &Sqlite).1,
        vec![text(r"keyexample\jsmith")]
    );
}

#[test]
fn nulls_and_fallbacks() {
    assert_eq!(cond("Title -eq NULL", &Sqlite).0, r#""title" IS NULL"#);
    assert_eq!(cond("Title -ne NULL", &Sqlite).0, r#""title" IS NOT NULL"#);
    assert_eq!(
        cond("WorkflowType -eq NULL", &Postgres).0,
        r#"COALESCE("workflow_type", "definition_workflow_type") IS NULL"#
    );
    // A value with U+0000 matches no stored text.
    assert_eq!(
        cond("Title -eq \"a\u{0}\"", &Sqlite),
        ("1 = 0".into(), vec![])
    );
    assert_eq!(
        cond("Title -notcontains \"\u{0}\"", &Sqlite),
        (r#""title" IS NOT NULL"#.into(), vec![])
    );
    assert_eq!(cond("", &Sqlite), ("1 = 1".into(), vec![]));
}

#[test]
fn day_ranges_become_parameters() {
    assert_eq!(
        cond(r#"StartDate -eq "2024-06-01""#, &Sqlite),
        (
            r#"("start_date" COLLATE BINARY >= ?1 AND "start_date" COLLATE BINARY < ?2)"#.into(),
            vec![
                text("2024-06-01T00:00:00.000000000Z"),
                text("2024-06-02T00:00:00.000000000Z")
            ]
        )
    );
    assert_eq!(
        cond(r#"StartDate -ne "%TODAY-1%""#, &Postgres),
        (
            r#"NOT ("start_date" COLLATE "C" >= $1::text AND "start_date" COLLATE "C" < $2::text)"#
                .into(),
            vec![
                text("2024-05-31T00:00:00.000000000Z"),
                text("2024-06-01T00:00:00.000000000Z")
            ]
        )
    );
    assert_eq!(
        cond(r#"LastModified -gt "2024-06-01T10:00:00.5+02:00""#, &Sqlite).1,
        vec![text("2024-06-01T08:00:00.500000001Z")]
    );
    // Bounds past what a column holds are dropped, exactly.
    assert_eq!(
        cond(r#"StartDate -ge "0001-01-01""#, &Sqlite).0,
        r#""start_date" IS NOT NULL"#
    );
    assert_eq!(cond(r#"StartDate -gt "9999-12-31""#, &Sqlite).0, "1 = 0");
    assert_eq!(
        cond(r#"StartDate -lt "9999-12-31""#, &Sqlite).1,
        vec![text("9999-12-31T00:00:00.000000000Z")]
    );
    // Between two nanoseconds: -eq matches nothing, -ne every value.
    assert_eq!(
        cond(
            r#"StartDate -eq "2024-06-01T00:00:00.0000000001Z""#,
            &Sqlite
        )
        .0,
        "1 = 0"
    );
}

#[test]
fn integers_guids_and_enums_as_stored() {
    assert_eq!(
        cond("ReferenceId -le 5", &Sqlite),
        (r#"("reference_id" < ?1)"#.into(), vec![Param::Int(6)])
    );
    assert_eq!(
        cond("ReferenceId -le 9223372036854775807", &Sqlite).0,
        r#""reference_id" IS NOT NULL"#
    );
    assert_eq!(
        cond("ReferenceId -gt 9223372036854775807", &Sqlite).0,
        "1 = 0"
    );
    assert_eq!(
        cond("ReferenceId -ne -9223372036854775808", &Postgres),
        (
            r#"NOT ("reference_id" < $1::bigint)"#.into(),
            vec![Param::Int(i64::MIN + 1)]
        )
    );
    assert_eq!(
        cond("Id -eq {0F1E2D3C4B5A69788796A5B4C3D2E1F0}", &Postgres),
        (
            r#""id" = $1::text"#.into(),
            vec![text("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")]
        )
    );
    assert_eq!(
        cond(r#"Status -ne "failed  ""#, &Sqlite),
        (r#""status" <> ?1"#.into(), vec![text("Failed")])
    );
    assert_eq!(
        cond(
            r#"Status -eq Failed OR (Title -eq a AND Title -eq b)"#,
            &Sqlite
        )
        .0,
        r#"("status" = ?1 OR (kfql_fold(rtrim("title", ' ')) COLLATE BINARY = ?2 AND kfql_fold(rtrim("title", ' ')) COLLATE BINARY = ?3))"#
    );
}

#[test]
fn order_by_places_nulls_and_breaks_ties() {
    let schema = keyfactor::schema();
    let filter = kfql::compile("", &schema, &ctx()).unwrap();
    let m = sql_support::mapping();
    let order = |name: &str, desc: bool, d: &dyn Dialect| {
        let sort = Sort::new(&schema, name, Direction::descending_if(desc)).unwrap();
        let stmt = Statement::new(&filter, &sort, Page::default(), &m, d).unwrap();
        (stmt.order_by().to_owned(), stmt.params().to_vec())
    };
    assert_eq!(
        order("Title", false, &Sqlite).0,
        r#"kfql_fold(rtrim("title", ' ')) COLLATE BINARY ASC NULLS FIRST, "reference_id" ASC NULLS FIRST, "seq" ASC"#
    );
    assert_eq!(
        order("Id", true, &Postgres).0,
        r#""id" COLLATE "C" DESC NULLS LAST, "reference_id" ASC NULLS FIRST, "seq" ASC"#
    );
    // Enum names rank by folded text; the names are parameters too.
    let (o, p) = order("Status", false, &Sqlite);
    assert_eq!(
        o,
        r#"CASE "status" WHEN ?1 THEN 0 WHEN ?2 THEN 1 WHEN ?3 THEN 2 WHEN ?4 THEN 3 WHEN ?5 THEN 4 WHEN ?6 THEN 5 END ASC NULLS FIRST, "reference_id" ASC NULLS FIRST, "seq" ASC"#
    );
    assert_eq!(p[0], text("CanceledForRestart"));
    // No input-order column: the key is the last tie-break.
    let plain = Mapping::new(&schema, "wi");
    let sort = Sort::new(&schema, "ReferenceId", Direction::Descending).unwrap();
    let stmt = Statement::new(&filter, &sort, Page::default(), &plain, &Sqlite).unwrap();
    assert_eq!(
        stmt.order_by(),
        r#""reference_id" DESC NULLS LAST, "reference_id" ASC NULLS FIRST"#
    );
}

#[test]
fn no_sort_field_and_no_key_is_input_order() {
    let schema = Schema::builder("notes")
        .field("Text", FieldType::String)
        .build()
        .unwrap();
    let filter = kfql::compile("", &schema, &ctx()).unwrap();
    let sort = Sort::default_for(&schema);
    let m = Mapping::new(&schema, "notes");
    let stmt = Statement::new(&filter, &sort, Page::default(), &m, &Sqlite).unwrap();
    assert_eq!(stmt.order_by(), "1");
    let m = m.input_order("seq");
    let stmt = Statement::new(&filter, &sort, Page::default(), &m, &Sqlite).unwrap();
    assert_eq!(stmt.order_by(), r#""seq" ASC"#);
    // Sorting by the first field is not input order.
    let sort = Sort::new(&schema, "Text", Direction::Ascending).unwrap();
    let stmt = Statement::new(&filter, &sort, Page::default(), &m, &Sqlite).unwrap();
    assert!(
        stmt.order_by().starts_with("kfql_fold"),
        "{}",
        stmt.order_by()
    );
}

#[test]
fn limit_and_offset_never_overflow() {
    let schema = keyfactor::schema();
    let filter = kfql::compile("", &schema, &ctx()).unwrap();
    let max = i64::MAX as u64;
    for (n, l, offset) in [
        (1, 50, 0),
        (3, 7, 14),
        (2, max, i64::MAX),
        (max, max, i64::MAX),
        (max, 1, i64::MAX - 1),
    ] {
        let page = Page::new(n, l).unwrap();
        let stmt = Statement::new(
            &filter,
            &Sort::default_for(&schema),
            page,
            &sql_support::mapping(),
            &Sqlite,
        )
        .unwrap();
        assert_eq!(stmt.limit_offset(), "LIMIT ?1 OFFSET ?2");
        assert_eq!(stmt.params(), [Param::Int(l as i64), Param::Int(offset)]);
        assert!(stmt.select("*").ends_with("LIMIT ?1 OFFSET ?2"));
    }
}

#[test]
fn errors_name_the_problem() {
    let schema = keyfactor::schema();
    let filter = kfql::compile("Title -eq x", &schema, &ctx()).unwrap();
    let sort = Sort::default_for(&schema);
    // A mapping for another schema.
    let other = Schema::builder("certs")
        .field("Title", FieldType::String)
        .build()
        .unwrap();
    let err = Statement::new(
        &filter,
        &sort,
        Page::default(),
        &Mapping::new(&other, "c"),
        &Sqlite,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSchema);
    assert!(
        err.message().contains("compiled for workflow instances"),
        "{err}"
    );
    // Unknown fields and paths in a mapping; objects cannot be mapped.
    let err = Mapping::new(&schema, "t")
        .column("Definition.Nope", "x")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSchema);
    assert!(
        Mapping::new(&schema, "t")
            .column("Definition", "x")
            .is_err()
    );
    // String lists have no SQL form yet.
    let tickets = Schema::builder("tickets")
        .field("Approvers", FieldType::StringList)
        .build()
        .unwrap();
    let f = kfql::compile(r#"Approvers -eq "x""#, &tickets, &ctx()).unwrap();
    let err = Statement::new(
        &f,
        &Sort::default_for(&tickets),
        Page::default(),
        &Mapping::new(&tickets, "t"),
        &Sqlite,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("string list"), "{err}");
    // Storing what SQL cannot hold.
    let title = schema.field("Title").unwrap();
    let err = sql::stored(title, kfql::FieldValue::Str("a\u{0}")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    let start = schema.field("StartDate").unwrap();
    let year_0 = chrono::NaiveDate::from_ymd_opt(0, 12, 31)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert!(sql::stored(start, kfql::FieldValue::DateTime(year_0)).is_err());
}

#[test]
fn default_columns_are_snake_case() {
    let schema = Schema::builder("x")
        .field("StartDate", FieldType::DateTime)
        .field("Id", FieldType::Guid)
        .field("CurrentStepID", FieldType::Guid)
        .field("Value2Name", FieldType::String)
        .field("Meta", FieldType::Object)
        .build()
        .unwrap();
    let m = Mapping::new(&schema, "t");
    assert_eq!(m.column_of("startdate"), Some("start_date"));
    assert_eq!(m.column_of("Id"), Some("id"));
    assert_eq!(m.column_of("CurrentStepID"), Some("current_step_id"));
    assert_eq!(m.column_of("Value2Name"), Some("value2_name"));
    assert_eq!(m.column_of("Meta"), None);
    let m = Mapping::new(&keyfactor::schema(), "t");
    assert_eq!(m.column_of("WorkflowType"), Some("workflow_type"));
    assert_eq!(m.columns().len(), 13);
}

#[test]
fn identifiers_are_quoted() {
    let schema = keyfactor::schema();
    let m = Mapping::new(&schema, "my schema.wi")
        .column("Title", r#"ti"tle"#)
        .unwrap();
    let filter = kfql::compile("Title -eq x", &schema, &ctx()).unwrap();
    let stmt = Statement::new(
        &filter,
        &Sort::default_for(&schema),
        Page::default(),
        &m,
        &Postgres,
    )
    .unwrap();
    assert!(
        stmt.count().starts_with(
            r#"SELECT count(*) FROM "my schema"."wi" WHERE lower(rtrim("ti""tle", ' '))"#
        ),
        "{}",
        stmt.count()
    );
}

/// SQLite refuses LIKE patterns past 50,000 bytes, so a longer pattern
/// becomes instr/substr: at the boundary, on a real SQLite, with each
/// text operator, and with `%`, which doubles when escaped.
#[test]
fn sqlite_long_needles_without_like() {
    let mut records = keyfactor::sample(3, ctx().now(), 1);
    let long = format!("Head {} % tail", "é".repeat(30_000));
    records[0].title = Some(long.clone());
    records[1].title = Some("é".repeat(24_999));
    let conn = sql_support::sqlite_with(&records);
    let schema = keyfactor::schema();
    let run = |op: &str, needle: &str| {
        let filter = kfql::compile(
            &format!("Title {op} {}", kfql::quote(needle)),
            &schema,
            &ctx(),
        )
        .unwrap();
        let stmt = Statement::new(
            &filter,
            &Sort::default_for(&schema),
            Page::default(),
            &sql_support::mapping(),
            &Sqlite,
        )
        .unwrap();
        let params: Vec<_> = stmt
            .condition_params()
            .iter()
            .map(|p| sql_support::sqlite_value(Some(p)))
            .collect();
        let n = conn
            .query_row(&stmt.count(), rusqlite::params_from_iter(params), |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
        assert_eq!(
            n as u64,
            filter.count(&records),
            "{op} {}",
            stmt.condition()
        );
        (
            stmt.condition().to_owned(),
            stmt.condition_params().to_vec(),
            n,
        )
    };
    assert_eq!(Sqlite.max_like_pattern(), Some(50_000));
    // `%` + 24,999 two-byte letters + `%`: exactly 50,000 bytes, LIKE.
    let (sql, params, n) = run("-contains", &"É".repeat(24_999));
    assert_eq!(
        sql,
        r#"kfql_fold("title") COLLATE BINARY LIKE ?1 ESCAPE '\'"#
    );
    assert_eq!(params[0], text(&format!("%{}%", "é".repeat(24_999))));
    assert_eq!(n, 2);
    // One letter more: 50,001 bytes, instr.
    let needle = "é".repeat(25_000);
    let (sql, params, n) = run("-contains", &needle);
    assert_eq!(sql, r#"instr(kfql_fold("title"), ?1) > 0"#);
    assert_eq!(params, [text(&needle)]);
    assert_eq!(n, 1);
    let (sql, _, n) = run("-notcontains", &needle);
    assert_eq!(sql, r#"instr(kfql_fold("title"), ?1) = 0"#);
    assert_eq!(n, 1, "records[1]; records[2] has no title");
    let (sql, _, n) = run("-startswith", &format!("HEAD {needle}"));
    assert_eq!(sql, r#"instr(kfql_fold("title"), ?1) = 1"#);
    assert_eq!(n, 1);
    // records[0] holds it after "Head ", records[1] is a letter short.
    assert_eq!(run("-startswith", &needle).2, 0);
    let tail = format!("{needle} % TAIL");
    let (sql, params, n) = run("-endswith", &tail);
    assert_eq!(
        sql,
        r#"substr(kfql_fold("title"), -?1) COLLATE BINARY = ?2"#
    );
    assert_eq!(params, [Param::Int(25_007), text(&tail.to_lowercase())]);
    assert_eq!(n, 1);
    // A needle longer than the whole text matches nothing: substr gives
    // the text back whole, which is shorter than the needle.
    assert_eq!(run("-endswith", &format!("x{long}")).2, 0);
    // 16,667 `%` escape to 33,334 bytes plus two wildcards: LIKE; 25,000
    // `%` escape past the limit: instr, with the needle unescaped.
    assert!(run("-contains", &"%".repeat(16_667)).0.contains("LIKE"));
    let (sql, params, n) = run("-contains", &"%".repeat(25_000));
    assert!(sql.starts_with("instr("), "{sql}");
    assert_eq!(params, [text(&"%".repeat(25_000))]);
    assert_eq!(n, 0);
    // PostgreSQL takes patterns of any length.
    assert_eq!(Postgres.max_like_pattern(), None);
    assert!(
        cond(
            &format!("Title -contains {}", kfql::quote(&needle)),
            &Postgres
        )
        .0
        .contains("LIKE")
    );
}

/// The limits the bundled SQLite enforces are the ones the `sql` docs
/// name and the SQLite dialect assumes.
#[test]
fn sqlite_limits_are_as_documented() {
    use rusqlite::limits::Limit;
    let conn = sql_support::sqlite_with(&[]);
    let limit = |l| conn.limit(l).unwrap() as usize;
    assert_eq!(limit(Limit::SQLITE_LIMIT_EXPR_DEPTH), 1000);
    assert_eq!(
        limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER),
        Sqlite.max_params()
    );
    assert_eq!(
        Some(limit(Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH)),
        Sqlite.max_like_pattern()
    );
    assert_eq!(limit(Limit::SQLITE_LIMIT_SQL_LENGTH), 1_000_000_000);
    assert_eq!(Postgres.max_params(), 65_535);
}

/// A statement that needs more parameters than the engine binds is a
/// kfql error naming the limit; one at the limit is SQL.
#[test]
fn too_many_parameters_is_an_error() {
    let schema = keyfactor::schema();
    // Each `-eq` on an integer is a range: two parameters; LIMIT and
    // OFFSET are two more, and the default sort takes none.
    let stmt = |comparisons: usize, d: &dyn Dialect| {
        let text: Vec<String> = (0..comparisons)
            .map(|i| format!("ReferenceId -eq {i}"))
            .collect();
        let limits = kfql::Limits {
            max_bytes: 1 << 20,
            max_comparisons: comparisons,
            ..kfql::Limits::DEFAULT
        };
        let filter = kfql::Parser::new()
            .limits(limits)
            .parse(&text.join(" OR "))
            .and_then(|q| q.compile(&schema, &ctx()))
            .unwrap();
        Statement::new(
            &filter,
            &Sort::default_for(&schema),
            Page::default(),
            &sql_support::mapping(),
            d,
        )
    };
    let at = (Sqlite.max_params() - 2) / 2;
    assert_eq!(stmt(at, &Sqlite).unwrap().params().len(), 32_766);
    let err = stmt(at + 1, &Sqlite).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyComparisons);
    assert!(
        err.to_string().contains("SQLite takes at most 32766"),
        "{err}"
    );
    assert_eq!(stmt(at + 1, &Postgres).unwrap().params().len(), 32_768);
    let at = (Postgres.max_params() - 2) / 2;
    assert_eq!(stmt(at, &Postgres).unwrap().params().len(), 65_534);
    let err = stmt(at + 1, &Postgres).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyComparisons);
}

/// Groups longer than 16 become nested groups of 16, in order; a nested
/// group is lifted to at most two levels below its parent.
#[test]
fn long_groups_nest_in_sixteens() {
    let q: Vec<String> = (0..17).map(|i| format!("ReferenceId -eq {i}")).collect();
    let (sql, params) = cond(&q.join(" OR "), &Sqlite);
    let range = |i: usize| {
        format!(
            r#"("reference_id" >= ?{} AND "reference_id" < ?{})"#,
            2 * i + 1,
            2 * i + 2
        )
    };
    let first: Vec<String> = (0..16).map(range).collect();
    assert_eq!(sql, format!("(({}) OR {})", first.join(" OR "), range(16)));
    assert_eq!(params.len(), 34);
    assert_eq!(params[33], Param::Int(17));
    // Up to 16 parts stay one flat group.
    let titles: Vec<String> = (0..16).map(|i| format!("Title -ne {i}")).collect();
    let (sql, _) = cond(&titles.join(" AND "), &Sqlite);
    assert_eq!(sql.matches(" AND ").count(), 15);
    assert!(
        sql.starts_with("(kfql_fold") && !sql.contains("(("),
        "{sql}"
    );
    // A nested group first in a long group: the rest is grouped after it.
    let (sql, _) = cond(
        r#"(Title -eq "a" AND Title -eq "b") OR Title -eq "c" OR Title -eq "d" OR Title -eq "e""#,
        &Postgres,
    );
    let t = |i: usize| format!(r#"lower(rtrim("title", ' ')) COLLATE "C" = ${i}::text"#);
    assert_eq!(
        sql,
        format!(
            "(({} AND {}) OR ({} OR {} OR {}))",
            t(1),
            t(2),
            t(3),
            t(4),
            t(5)
        )
    );
}

/// A small generator of queries with hostile values: quotes, comments,
/// semicolons, placeholders, keywords, non-ASCII.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z'\";\\-\\\\%_?$:(){}*/ ]{0,20}",
        Just("'; DROP TABLE wi; --".to_owned()),
        Just("$1::text".to_owned()),
        Just("?1 OR 1=1".to_owned()),
        Just("\" OR \"\"=\"".to_owned()),
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    let fields = prop::sample::select(vec![
        "Id",
        "Status",
        "Title",
        "LastModified",
        "StartDate",
        "ReferenceId",
        "DefinitionId",
        "InitiatingUserName",
        "WorkflowType",
    ]);
    let ops = prop::sample::select(vec![
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
    ]);
    (fields, ops, hostile_value()).prop_map(|(f, o, v)| format!("{f} {o} {}", kfql::quote(&v)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the values, the SQL holds only kfql's vocabulary and the
    /// mapping's identifiers, in both dialects.
    #[test]
    fn no_value_reaches_the_sql_text(parts in prop::collection::vec(comparison(), 1..5), sort_desc: bool) {
        let query = parts.join(" OR ");
        let schema = keyfactor::schema();
        let mapping = sql_support::mapping();
        if let Ok(filter) = kfql::compile(&query, &schema, &ctx()) {
            let sort = Sort::new(&schema, "Status", Direction::descending_if(sort_desc)).unwrap();
            for d in [&Sqlite as &dyn Dialect, &Postgres] {
                let stmt = Statement::new(&filter, &sort, Page::default(), &mapping, d).unwrap();
                let ids = safety::identifiers(&mapping, d);
                for sql in [stmt.select("*"), stmt.count()] {
                    prop_assert!(safety::check(&sql, &ids).is_ok(), "{:?} in {}", safety::check(&sql, &ids), sql);
                }
            }
        }
    }
}

/// A schema of the user's own, with a boolean, an enum key and no default
/// sort, run through a real SQLite and through memory.
#[test]
fn booleans_and_enum_keys_in_sqlite() {
    use kfql::{Field, FieldValue, Record};
    struct Row(Option<bool>, usize, Option<&'static str>);
    impl Record for Row {
        fn value(&self, f: &Field) -> FieldValue<'_> {
            match f.index() {
                0 => self.0.map_or(FieldValue::Null, FieldValue::Bool),
                1 => FieldValue::Enum(self.1),
                _ => self.2.map_or(FieldValue::Null, FieldValue::Str),
            }
        }
    }
    let schema = Schema::builder("rows")
        .field("Flag", FieldType::Boolean)
        .field("Kind", FieldType::enumeration(["b", "A", "c"]))
        .field("Name", FieldType::String)
        .key("Kind")
        .build()
        .unwrap();
    let rows = [
        Row(Some(true), 2, Some("x")),
        Row(None, 0, Some("Y ")),
        Row(Some(false), 1, None),
        Row(Some(true), 0, Some("y")),
        Row(Some(false), 2, Some("X")),
    ];
    let mapping = Mapping::new(&schema, "rows").input_order("seq");
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute(&mapping.create_table(&Sqlite), []).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let mut values: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| sql_support::sqlite_value(sql::stored(f, r.value(f)).unwrap().as_ref()))
            .collect();
        values.push(rusqlite::types::Value::Integer(i as i64));
        conn.execute(
            "INSERT INTO rows VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params_from_iter(values),
        )
        .unwrap();
    }
    conn.create_scalar_function(
        sql::FOLD_FUNCTION,
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| sql::fold(&s))),
    )
    .unwrap();
    let index = |r: &Row| rows.iter().position(|x| std::ptr::eq(x, r)).unwrap() as i64;
    for query in [
        "",
        "Flag -eq true",
        "Flag -ne TRUE",
        "Flag -eq NULL",
        "Kind -ne a",
        "Name -eq y",
    ] {
        let filter = kfql::compile(query, &schema, &ctx()).unwrap();
        for (field, desc) in [
            ("Flag", false),
            ("Flag", true),
            ("Kind", false),
            ("Kind", true),
            ("Name", true),
        ] {
            let sort = Sort::new(&schema, field, Direction::descending_if(desc)).unwrap();
            let page = Page::new(1, 10).unwrap();
            let want: Vec<i64> = filter
                .page(&rows, &sort, page)
                .expect("sort and filter share a schema")
                .records
                .into_iter()
                .map(index)
                .collect();
            let stmt = Statement::new(&filter, &sort, page, &mapping, &Sqlite).unwrap();
            let params: Vec<_> = stmt
                .params()
                .iter()
                .map(|p| sql_support::sqlite_value(Some(p)))
                .collect();
            let mut q = conn.prepare(&stmt.select("seq")).unwrap();
            let got: Vec<i64> = q
                .query_map(rusqlite::params_from_iter(params), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                got,
                want,
                "{query} by {field} desc={desc}: {}",
                stmt.select("seq")
            );
        }
    }
}
