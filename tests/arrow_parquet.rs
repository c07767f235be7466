//! Parquet files (feature `parquet`): files written by kfql, by arrow-rs's
//! own writer with other settings and by pyarrow read the same as the
//! records they hold; malformed files are errors that name the file (and
//! the column where there is one), never panics.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kfql::arrow::arrow_array::builder::StringDictionaryBuilder;
use kfql::arrow::arrow_array::types::Int16Type;
use kfql::arrow::arrow_array::{
    ArrayRef, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use kfql::arrow::parquet::{ParquetFile, write};
use kfql::keyfactor::{self, WorkflowInstance};
use kfql::{Context, Direction, Filter, Page, Record};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

const QUERIES: [&str; 7] = [
    "",
    r#"Status -eq "Running""#,
    r#"Status -eq "Failed" AND StartDate -ge "2024-06-01""#,
    r#"Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\j""#,
    r#"(Status -eq "Running" OR Status -eq "Suspended") AND ReferenceId -gt 500 AND WorkflowType -ne "Revocation""#,
    r#"StartDate -lt "%TODAY-10%" OR ReferenceId -le 100 OR InitiatingUserName -eq NULL"#,
    r#"ReferenceId -gt 999999 AND Title -ne NULL"#,
];

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap()
}

fn records() -> Vec<WorkflowInstance> {
    keyfactor::sample(3000, now(), 11)
}

fn filter(q: &str, zone: i32) -> Filter {
    let ctx = Context::new(now()).with_time_zone(chrono::FixedOffset::east_opt(zone).unwrap());
    kfql::compile(q, &keyfactor::schema(), &ctx).expect("a valid query")
}

/// Every query, count and several pages and sorts, against the rows.
fn agrees(file: &ParquetFile, records: &[WorkflowInstance]) {
    for zone in [0, 3600 * 5 + 1800, -3600 * 8] {
        for q in QUERIES {
            let f = filter(q, zone);
            let want = f.count(records);
            for threads in [1, 3] {
                assert_eq!(file.count(&f, threads).expect("readable"), want, "{q}");
            }
            for (sort, desc, number, limit) in [
                ("StartDate", true, 3, 50),
                ("InitiatingUserName", false, 2, 17),
                ("Status", true, 1, 40),
                ("Id", false, 4, 9),
                ("CurrentStepDisplayName", false, 1, 25),
            ] {
                let sort = f
                    .sort(sort, Direction::descending_if(desc))
                    .expect("sortable");
                let page = Page::new(number, limit).expect("a page");
                let got = file.page(&f, &sort, page, 2).expect("readable");
                let rows = f.page(records, &sort, page).expect("same schema");
                assert_eq!(got.total, rows.total);
                let got: Vec<i64> = got
                    .records
                    .iter()
                    .map(|m| m["ReferenceId"].as_i64().unwrap())
                    .collect();
                let want: Vec<i64> = rows.records.iter().map(|r| r.reference_id).collect();
                assert_eq!(got, want, "{q} by {sort:?}");
            }
        }
    }
}

#[test]
fn a_file_kfql_writes_reads_as_its_records() {
    let records = records();
    let mut bytes = Vec::new();
    write(&records, &keyfactor::schema(), &mut bytes, 700).expect("written");
    let file = ParquetFile::from_bytes("kfql.parquet", bytes).expect("readable");
    assert_eq!(file.num_rows(), 3000);
    agrees(&file, &records);
}

/// The same records laid out as another writer might: no dictionaries,
/// no statistics, small pages and row groups, LargeUtf8 text, a
/// dictionary with Int16 keys for the user name, millisecond timestamps
/// without a time zone, GUIDs and the enum as text, an Int32 key.
#[test]
fn a_file_arrow_rs_writes_with_other_settings_reads_the_same() {
    let mut records = records();
    // Millisecond timestamps hold what the sample has (milliseconds).
    let schema = keyfactor::schema();
    let field = |n: &str| schema.field(n).unwrap().clone();
    let text = |r: &WorkflowInstance, n: &str| match r.value(&field(n)) {
        kfql::FieldValue::Str(s) => Some(s.to_owned()),
        kfql::FieldValue::Enum(i) => Some(keyfactor::STATUS_NAMES[i].to_uppercase() + "  "),
        kfql::FieldValue::Guid(g) => Some(format!("{{{g:032X}}}")),
        _ => None,
    };
    let ms = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.timestamp_millis());
    for r in &mut records {
        r.reference_id %= 1 << 30;
    }
    let mut users = StringDictionaryBuilder::<Int16Type>::new();
    for r in &records {
        users.append_option(r.initiating_user_name.as_deref());
    }
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(StringArray::from(
                records.iter().map(|r| text(r, "Id")).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "STATUS",
            Arc::new(LargeStringArray::from(
                records
                    .iter()
                    .map(|r| text(r, "Status"))
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "Title",
            Arc::new(LargeStringArray::from(
                records.iter().map(|r| text(r, "Title")).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "CurrentStepDisplayName",
            Arc::new(StringArray::from(
                records
                    .iter()
                    .map(|r| text(r, "CurrentStepDisplayName"))
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "StartDate",
            Arc::new(TimestampMillisecondArray::from(
                records.iter().map(|r| ms(r.start_date)).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "ReferenceId",
            Arc::new(Int32Array::from(
                records
                    .iter()
                    .map(|r| r.reference_id as i32)
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        ("InitiatingUserName", Arc::new(users.finish()) as ArrayRef),
        (
            "WorkflowType",
            Arc::new(StringArray::from(
                records
                    .iter()
                    .map(|r| text(r, "WorkflowType"))
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
    ])
    .expect("a batch");
    let props = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_data_page_row_count_limit(100)
        .set_max_row_group_row_count(Some(333))
        .build();
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).expect("a writer");
    for i in (0..batch.num_rows()).step_by(1000) {
        w.write(&batch.slice(i, 1000.min(batch.num_rows() - i)))
            .expect("written");
    }
    w.close().expect("closed");
    let file = ParquetFile::from_bytes("other.parquet", bytes).expect("readable");
    agrees(&file, &records);
}

/// Row groups sorted by StartDate, so that statistics rule most out:
/// the answers stay the same.
#[test]
fn row_groups_skipped_by_statistics_change_no_answer() {
    let mut records = records();
    records.sort_by_key(|r| (r.start_date, r.reference_id));
    let mut bytes = Vec::new();
    write(&records, &keyfactor::schema(), &mut bytes, 100).expect("written");
    let file = ParquetFile::from_bytes("sorted.parquet", bytes).expect("readable");
    agrees(&file, &records);
    // And they are skipped: a recent range reads the last row groups only,
    // an impossible key none, `-eq NULL` only groups holding a null.
    let groups = |q: &str| file.row_groups(&filter(q, 0)).expect("bound");
    let all = groups("").len();
    assert_eq!(all, 30);
    let recent = groups(r#"StartDate -ge "%TODAY-3%""#);
    assert!(!recent.is_empty() && recent.len() < all / 4, "{recent:?}");
    assert!(recent.contains(&(all - 1)));
    assert_eq!(groups("ReferenceId -gt 999999999"), Vec::<usize>::new());
    assert_eq!(
        groups(r#"ReferenceId -gt 999999999 OR Status -eq "Failed""#).len(),
        all
    );
    let no_start = records.iter().filter(|r| r.start_date.is_none()).count();
    // Nulls sort first, so they fill the first groups of 100 rows.
    assert!(no_start > 0);
    assert_eq!(
        groups("StartDate -eq NULL"),
        (0..no_start.div_ceil(100)).collect::<Vec<_>>()
    );
}

fn kfql_file() -> Vec<u8> {
    let mut bytes = Vec::new();
    write(
        &keyfactor::sample(500, now(), 3),
        &keyfactor::schema(),
        &mut bytes,
        100,
    )
    .expect("written");
    bytes
}

#[test]
fn truncated_and_corrupt_files_are_errors_naming_the_file() {
    let bytes = kfql_file();
    let f = filter(r#"Status -eq "Failed" OR Title -contains "a""#, 0);
    let sort = f
        .sort("StartDate", Direction::Descending)
        .expect("sortable");
    // Cut anywhere: the footer is gone or points past the end.
    for cut in (0..bytes.len()).step_by(97) {
        let e = ParquetFile::from_bytes("cut.parquet", bytes[..cut].to_vec())
            .err()
            .expect("a truncated file is refused");
        assert!(e.message().starts_with("cut.parquet: "), "{}", e.message());
    }
    // Bytes flipped inside the data pages: an error or an answer, never a
    // panic; an error names the file.
    let mut errors = 0;
    for at in (4..bytes.len() - 8).step_by(61) {
        let mut b = bytes.clone();
        b[at] ^= 0x5A;
        match ParquetFile::from_bytes("flipped.parquet", b) {
            Err(e) => assert!(
                e.message().starts_with("flipped.parquet: "),
                "{}",
                e.message()
            ),
            Ok(file) => {
                for r in [
                    file.count(&f, 2).map(drop),
                    file.page(&f, &sort, Page::default(), 2).map(drop),
                ] {
                    if let Err(e) = r {
                        errors += 1;
                        assert!(
                            e.message().starts_with("flipped.parquet: "),
                            "{}",
                            e.message()
                        );
                    }
                }
            }
        }
    }
    assert!(errors > 0, "some flipped byte should break a page");
}

#[test]
fn a_column_of_the_wrong_type_is_an_error_naming_file_and_column() {
    let batch = RecordBatch::try_from_iter([
        (
            "ReferenceId",
            Arc::new(StringArray::from(vec!["1", "2"])) as ArrayRef,
        ),
        (
            "StartDate",
            Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
        ),
    ])
    .expect("a batch");
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, batch.schema(), None).expect("a writer");
    w.write(&batch).expect("written");
    w.close().expect("closed");
    let file = ParquetFile::from_bytes("typed.parquet", bytes).expect("readable");
    let e = file.count(&filter("ReferenceId -gt 1", 0), 1).unwrap_err();
    assert_eq!(e.kind(), kfql::ErrorKind::InvalidRecord);
    assert!(
        e.message()
            .starts_with("typed.parquet: column `ReferenceId` is Utf8"),
        "{}",
        e.message()
    );
    let f = filter("", 0);
    let sort = f.sort("StartDate", Direction::Ascending).expect("sortable");
    let e = file.page(&f, &sort, Page::default(), 1).unwrap_err();
    assert!(
        e.message()
            .starts_with("typed.parquet: column `StartDate` is Int64"),
        "{}",
        e.message()
    );
    let e = file.count(&filter(r#"Title -eq "x""#, 0), 1).unwrap_err();
    assert!(e.message().contains("no column `Title`"), "{}", e.message());
}

/// Where the Title column's chunk of row group 1 lies in `bytes`: its
/// start and length.
fn title_chunk(bytes: &[u8]) -> (u64, u64) {
    use parquet::file::reader::FileReader;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        bytes::Bytes::copy_from_slice(bytes),
    )
    .expect("readable");
    reader
        .metadata()
        .row_group(1)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "Title")
        .expect("a Title chunk")
        .byte_range()
}

/// Flip bytes inside the Title column's chunk of one row group: every
/// error names the file and Title, not the other columns the query reads.
#[test]
fn a_corrupt_page_is_an_error_naming_its_column_and_the_file() {
    let bytes = kfql_file();
    let (start, len) = title_chunk(&bytes);
    let f = filter(
        r#"Status -eq "Failed" OR Title -contains "a" OR StartDate -ge "2024-06-01""#,
        0,
    );
    let mut errors = 0;
    for at in (start..start + len).step_by(7) {
        let mut b = bytes.clone();
        b[at as usize] ^= 0x5A;
        let file = ParquetFile::from_bytes("corrupt.parquet", b).expect("the footer is intact");
        if let Err(e) = file.count(&f, 2) {
            errors += 1;
            assert!(
                e.message()
                    .starts_with("corrupt.parquet: column `Title` (row group 1): cannot read it: "),
                "{}",
                e.message()
            );
        }
    }
    assert!(errors > 0, "some flipped byte should break a page");
}

/// An unknown field holding a list of i32::MAX booleans: the parquet
/// crate's skipping loops over it reading nothing, for seconds (a file
/// the data fuzz target found).
const ENDLESS: [u8; 8] = [0x09, 0x28, 0xf1, 0xff, 0xff, 0xff, 0xff, 0x07];

#[test]
fn a_footer_that_would_stall_the_reader_is_an_error_naming_the_file() {
    let mut bytes = kfql_file();
    // Put the field before the footer's final stop, and fix its length.
    let n = bytes.len();
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    assert_eq!(bytes[n - 9], 0, "the footer ends with a stop");
    bytes.splice(n - 9..n - 9, ENDLESS);
    let n = bytes.len();
    bytes[n - 8..n - 4].copy_from_slice(&((footer + ENDLESS.len()) as u32).to_le_bytes());
    let e = ParquetFile::from_bytes("stall.parquet", bytes)
        .err()
        .expect("refused");
    assert_eq!(
        e.message(),
        "stall.parquet: not a readable Parquet file: its footer is corrupt (it declares 2147483647 list elements that take no bytes)"
    );
}

#[test]
fn a_page_header_that_would_stall_the_reader_is_an_error_naming_the_column() {
    let mut bytes = kfql_file();
    let (start, len) = title_chunk(&bytes);
    let (start, len) = (start as usize, len as usize);
    // The chunk is one data page: its header's fields 1-3 (type and the
    // two sizes, each 0x15 and a varint), more fields, then the page.
    let mut at = start;
    let mut varint = || {
        let mut v = 0u64;
        for shift in (0..).step_by(7) {
            let b = bytes[at];
            at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    };
    let mut compressed = 0;
    for field in 1..=3 {
        assert_eq!(varint(), 0x15, "field {field} of the page header");
        compressed = varint() / 2;
    }
    let header = len - compressed as usize;
    // Rewrite the header in place, as long as before: fields 1-3, the
    // list, an unknown binary field (21) as filler, the stop.
    let prefix = at - start;
    let fill = header - prefix - ENDLESS.len() - 1 - 3;
    assert!(fill < 128, "a one-byte length");
    let mut new = bytes[start..at].to_vec();
    new.extend(ENDLESS);
    new.extend([0x08, 0x2a, fill as u8]);
    new.extend(vec![b'x'; fill]);
    new.push(0);
    assert_eq!(new.len(), header);
    bytes.splice(start..start + header, new);
    let file = ParquetFile::from_bytes("stall.parquet", bytes).expect("the footer is intact");
    let e = file
        .count(&filter(r#"Title -contains "a""#, 0), 2)
        .unwrap_err();
    assert_eq!(
        e.message(),
        "stall.parquet: column `Title` (row group 1): cannot read it: a page header is corrupt (it declares 2147483647 list elements that take no bytes)"
    );
    // A query that reads other columns does not touch it.
    assert!(file.count(&filter(r#"Status -eq "Failed""#, 2), 2).is_ok());
}

/// A file on which the parquet crate panics (a byte of
/// tests/parquet/reader_panic.parquet flipped, found by flipping every
/// byte of a kfql file): the panic is an error naming the file and the
/// column it was reading.
#[test]
fn a_panic_of_the_parquet_reader_is_an_error_naming_the_column() {
    kfql::arrow::parquet::quiet_reader_panics();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parquet/reader_panic.parquet");
    let file = ParquetFile::open(&path).expect("the footer is intact");
    let f = filter("", 0);
    let sort = f
        .sort("StartDate", Direction::Descending)
        .expect("sortable");
    let e = file.page(&f, &sort, Page::default(), 2).unwrap_err();
    assert!(
        e.message().starts_with(&format!(
            "{}: column `Id` (row group 0): cannot read it: corrupt data that the Parquet reader does not expect (",
            path.display()
        )),
        "{}",
        e.message()
    );
}

/// The Python of tests/pyarrow/setup.sh with pyarrow, or `None` when
/// there is none: the test is then skipped, with a message, except under
/// `CI=true`, where it fails.
fn pyarrow() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let found = Command::new(&python)
        .args(["-c", "import pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(python);
    }
    let why = "no pyarrow in .venv: run tests/pyarrow/setup.sh";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    eprintln!("skipped: {why}");
    None
}

/// kfql's file rewritten by pyarrow (tests/pyarrow/rewrite.py), with
/// `codec`; `None` when pyarrow is missing.
fn rewritten_by_pyarrow(records: &[WorkflowInstance], codec: &str) -> Option<Vec<u8>> {
    let python = pyarrow()?;
    let dir = std::env::temp_dir().join(format!("kfql-pyarrow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let (ours, theirs) = (
        dir.join("kfql.parquet"),
        dir.join(format!("{codec}.parquet")),
    );
    let mut bytes = Vec::new();
    write(records, &keyfactor::schema(), &mut bytes, 700).expect("written");
    std::fs::write(&ours, bytes).expect("written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyarrow/rewrite.py");
    let out = Command::new(python)
        .arg(script)
        .args([&ours, &theirs])
        .arg(codec)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read(&theirs).expect("pyarrow wrote it"))
}

#[test]
fn a_file_pyarrow_writes_reads_the_same() {
    let records = records();
    let Some(bytes) = rewritten_by_pyarrow(&records, "snappy") else {
        return;
    };
    let file = ParquetFile::from_bytes("pyarrow.parquet", bytes).expect("readable");
    // The layouts rewrite.py chose, so that they are what is tested.
    let ty = |n: &str| {
        file.schema()
            .field_with_name(n)
            .expect(n)
            .data_type()
            .to_string()
    };
    assert_eq!(ty("Status"), "Dictionary(Int8, Utf8)");
    assert_eq!(ty("Title"), "LargeUtf8");
    assert_eq!(ty("CurrentStepDisplayName"), "Utf8View");
    assert_eq!(ty("ReferenceId"), "Int32");
    assert_eq!(ty("StartDate"), "Timestamp(ms)");
    assert_eq!(ty("DefinitionId"), "Utf8");
    agrees(&file, &records);
}

/// Files compressed with the codecs exports use read the same.
#[test]
fn zstd_gzip_and_lz4_files_read_the_same() {
    let records = records();
    for codec in ["zstd", "gzip", "lz4"] {
        let Some(bytes) = rewritten_by_pyarrow(&records, codec) else {
            return;
        };
        let file = ParquetFile::from_bytes(format!("{codec}.parquet"), bytes).expect(codec);
        agrees(&file, &records);
    }
}

/// A codec kfql is built without (Brotli) is an error naming the file and
/// the column.
#[test]
fn a_codec_kfql_lacks_is_an_error_naming_the_column() {
    let Some(bytes) = rewritten_by_pyarrow(&records(), "brotli") else {
        return;
    };
    let file = ParquetFile::from_bytes("brotli.parquet", bytes).expect("the footer is plain");
    let e = file
        .count(&filter(r#"Status -eq "Failed""#, 0), 1)
        .unwrap_err();
    assert!(
        e.message()
            .starts_with("brotli.parquet: column `Status` (row group 0): cannot read it: ")
            && e.message().to_lowercase().contains("brotli"),
        "{}",
        e.message()
    );
}
