//! `Scan`: the parallel JSON Lines reader gives exactly what reading every
//! record with `read_records` and running `Filter::count` / `Filter::page`
//! gives — the same totals, pages (order and ties included) and errors
//! (the same message, naming the first bad line and its field) — whatever
//! the block size and the number of threads.

use std::io::{self, Read};

use chrono::{TimeZone, Utc};
use kfql::keyfactor::{self, InstanceRef, WorkflowInstance};
use kfql::{
    Context, Direction, Filter, FromJson, Page, PageResult, Record, Scan, Sort, read_records,
};

type Outcome = Result<PageResult<WorkflowInstance>, String>;

fn ctx() -> Context {
    Context::new(Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap())
}

fn filter(query: &str) -> Filter {
    kfql::compile(query, &keyfactor::schema(), &ctx()).unwrap()
}

/// Input and what reading it in order with `read_records` gives.
struct Data {
    bytes: Vec<u8>,
    records: Result<Vec<WorkflowInstance>, String>,
}

fn data(bytes: impl Into<Vec<u8>>) -> Data {
    let bytes = bytes.into();
    let mut records = Vec::new();
    let read = read_records(&bytes[..], |r: WorkflowInstance| records.push(r));
    Data {
        records: read.map(|_| records).map_err(|e| e.message().to_owned()),
        bytes,
    }
}

/// The scan's page and count, checked against filtering and paging the
/// records read in order.
fn check(scan: &Scan, data: &Data, filter: &Filter, sort: &Sort, page: Page) -> Outcome {
    let got = scan
        .page::<WorkflowInstance>(&data.bytes[..], filter, sort, page)
        .map_err(|e| e.message().to_owned());
    let count = scan
        .count::<WorkflowInstance>(&data.bytes[..], filter)
        .map_err(|e| e.message().to_owned());
    match (&got, &data.records) {
        (Ok(got), Ok(records)) => {
            let expected = filter
                .page(records, sort, page)
                .expect("sort and filter share a schema");
            assert_eq!(got.total, expected.total, "{scan:?} {sort:?} {page:?}");
            assert!(
                got.records.iter().eq(expected.records.iter().copied()),
                "{scan:?} {sort:?} {page:?}"
            );
            assert_eq!(count, Ok(got.total));
        }
        (Err(got), Err(expected)) => {
            assert_eq!(got, expected, "{scan:?}");
            assert_eq!(count.as_ref(), Err(expected));
        }
        (got, expected) => panic!("{scan:?}: {got:?} but read in order: {expected:?}"),
    }
    got
}

/// Configurations that force many blocks, blocks smaller than a line, and
/// more threads than blocks.
fn scans() -> Vec<Scan> {
    let mut scans = Vec::new();
    for block in [1, 300, 4096, 1 << 20] {
        for threads in [1, 2, 3] {
            scans.push(Scan::new().block_size(block).threads(threads));
        }
    }
    scans
}

/// Sample records with ReferenceIds repeated far apart, so that ties on the
/// sort field and the key are broken by input order across blocks.
fn records(n: usize) -> Vec<WorkflowInstance> {
    let mut records = keyfactor::sample(n, ctx().now(), 7);
    for (i, r) in records.iter_mut().enumerate() {
        r.reference_id = (i % 37) as i64;
    }
    records
}

fn lines(records: &[WorkflowInstance]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

#[test]
fn pages_and_counts_equal_the_sequential_ones() {
    let data = data(lines(&records(600)));
    let schema = keyfactor::schema();
    let queries = [
        "",
        r#"Status -eq "Running" AND StartDate -ge "2024-06-01""#,
        r#"Title -contains "appsrvr1" OR WorkflowType -eq "Revocation""#,
        "ReferenceId -lt 3",
        r#"Status -eq "failed ""#,
    ];
    let sorts = [
        Sort::default_for(&schema),
        Sort::new(&schema, "StartDate", Direction::Descending).unwrap(),
        Sort::new(&schema, "Status", Direction::Ascending).unwrap(),
        Sort::new(&schema, "ReferenceId", Direction::Descending).unwrap(),
        Sort::new(&schema, "WorkflowType", Direction::Ascending).unwrap(),
    ];
    let pages = [
        Page::new(1, 1).unwrap(),
        Page::new(3, 7).unwrap(),
        Page::default(),
        Page::new(1, 1000).unwrap(),
        Page::new(200, 5).unwrap(),
    ];
    for scan in scans() {
        for (i, query) in queries.iter().enumerate() {
            let f = filter(query);
            let sort = &sorts[i % sorts.len()];
            for page in pages {
                check(&scan, &data, &f, sort, page).unwrap();
            }
        }
    }
    // Every sort on one configuration with many small blocks.
    let scan = Scan::new().block_size(512).threads(2);
    let f = filter("");
    for field in schema.fields().iter().filter(|f| f.sortable()) {
        for desc in [false, true] {
            let sort = Sort::new(&schema, field.name(), Direction::descending_if(desc)).unwrap();
            let page = check(&scan, &data, &f, &sort, Page::new(2, 40).unwrap());
            assert_eq!(page.unwrap().records.len(), 40);
        }
    }
}

#[test]
fn line_ends_blank_lines_and_the_last_line() {
    let records = records(300);
    let schema = keyfactor::schema();
    let sort = Sort::new(&schema, "Status", Direction::Descending).unwrap();
    let f = filter(r#"Status -ne "Complete""#);
    let mut mixed = String::from("\n  \r\n\t\n");
    for (i, r) in records.iter().enumerate() {
        let json = serde_json::to_string(r).unwrap();
        match i % 4 {
            0 => mixed.push_str(&format!("{json}\r\n")),
            1 => mixed.push_str(&format!("  {json}  \n\n")),
            2 => mixed.push_str(&format!("{json}\n \t \r\n")),
            _ => mixed.push_str(&format!("\t{json}\n")),
        }
    }
    let no_final_newline = lines(&records).trim_end().to_owned();
    let crlf_end = format!("{}\r", no_final_newline);
    for text in [&mixed, &no_final_newline, &crlf_end] {
        let data = data(text.as_bytes());
        for scan in scans() {
            let page = check(&scan, &data, &f, &sort, Page::new(1, 1000).unwrap());
            assert!(page.unwrap().total > 100);
        }
    }
}

#[test]
fn empty_and_blank_inputs_have_no_records() {
    let f = filter("");
    let sort = Sort::default_for(&keyfactor::schema());
    for text in ["", "\n", " \r\n\t\n\n", &" \n".repeat(5000)] {
        let data = data(text.as_bytes());
        for scan in scans() {
            let page = check(&scan, &data, &f, &sort, Page::default()).unwrap();
            assert_eq!((page.total, page.records.len()), (0, 0));
        }
    }
}

#[test]
fn lines_longer_than_a_block_are_read_whole() {
    let mut records = records(40);
    records[3].title = Some("t".repeat(3 << 20));
    records[39].status_message = Some("é".repeat(100_000));
    let data = data(lines(&records));
    let f = filter(r#"Title -endswith "ttt""#);
    let sort = Sort::new(&keyfactor::schema(), "Title", Direction::Descending).unwrap();
    for scan in [
        Scan::new().block_size(1).threads(2),
        Scan::new().block_size(1000).threads(3),
        Scan::new(),
    ] {
        let page = check(&scan, &data, &f, &sort, Page::default()).unwrap();
        assert_eq!(
            page.records[0].title.as_ref().map(String::len),
            Some(3 << 20)
        );
    }
}

/// `n` good lines with bad records at the given 1-based lines.
fn with_bad_lines(n: usize, bad: &[(usize, &str)]) -> String {
    let records = records(n);
    let mut out = String::new();
    for (i, r) in records.iter().enumerate() {
        match bad.iter().find(|(line, _)| *line == i + 1) {
            Some((_, text)) => out.push_str(text),
            None => out.push_str(&serde_json::to_string(r).unwrap()),
        }
        out.push('\n');
    }
    out
}

const BAD_START: &str = r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1, "StartDate": "2024-13-01"}"#;
const BAD_REFERENCE: &str =
    r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": "1"}"#;

#[test]
fn the_first_bad_record_is_reported_with_its_line_and_field() {
    let f = filter("");
    let sort = Sort::default_for(&keyfactor::schema());
    let late = data(with_bad_lines(1200, &[(1100, BAD_START)]));
    let both = data(with_bad_lines(
        1200,
        &[(1100, BAD_START), (40, BAD_REFERENCE)],
    ));
    let json = data(with_bad_lines(
        1200,
        &[(700, "{not json"), (900, BAD_REFERENCE)],
    ));
    for scan in scans() {
        // Threads race, so the order blocks finish in varies: try twice.
        for _ in 0..2 {
            let err = check(&scan, &late, &f, &sort, Page::default()).unwrap_err();
            assert!(err.starts_with("line 1100, field `StartDate`: "), "{err}");
            let err = check(&scan, &both, &f, &sort, Page::default()).unwrap_err();
            assert_eq!(
                err,
                "line 40, field `ReferenceId`: expected an integer within 64 bits, found a string"
            );
            let err = check(&scan, &json, &f, &sort, Page::default()).unwrap_err();
            assert!(
                err.starts_with("line 700, column 2: not valid JSON: "),
                "{err}"
            );
        }
    }
    // Blank lines before a bad one count, even many blocks of them.
    let blank_first = data(format!("{}{}\n", "\n".repeat(5000), BAD_REFERENCE));
    let err = check(
        &Scan::new().block_size(64),
        &blank_first,
        &f,
        &sort,
        Page::default(),
    )
    .unwrap_err();
    assert!(err.starts_with("line 5001, field `ReferenceId`"), "{err}");
}

/// Lines the fast decoder must not read differently from the checked path:
/// each one alone, and between good lines.
#[test]
fn every_line_reads_as_the_checked_path_reads_it() {
    const GOOD: &str =
        r#""Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1"#;
    let deep = format!("{}1{}", "[".repeat(126), "]".repeat(126));
    let too_deep = format!("{}1{}", "[".repeat(127), "]".repeat(127));
    let cases = [
        format!("{{{GOOD}}}"),
        format!("{{{GOOD}, \"ReferenceId\": 2}}"),
        format!("{{{GOOD}, \"Title\": 5, \"Title\": \"x\"}}"),
        format!("{{{GOOD}, \"Title\": \"x\", \"Title\": 5}}"),
        format!("{{{GOOD}, \"Definition\": {{\"Id\": null, \"Id\": \"3f2504e04f8911d39a0c0305e82c3309\"}}}}"),
        format!("{{{GOOD}, \"Unknown\": 1e400}}"),
        format!("{{{GOOD}, \"Unknown\": [1, {{\"a\": 1e400}}]}}"),
        format!("{{{GOOD}, \"Unknown\": 1e300, \"U2\": -0, \"U3\": 18446744073709551616}}"),
        format!("{{{GOOD}, \"Unknown\": \"\\ud800\"}}"),
        format!("{{{GOOD}, \"Unknown\": \"\\ud83d\\ude00 ok\"}}"),
        format!("{{{GOOD}, \"Unknown\": {deep}}}"),
        format!("{{{GOOD}, \"Unknown\": {too_deep}}}"),
        format!("{{{GOOD}, \"Title\": \"tab\there\"}}"),
        format!("{{{GOOD}, \"Title\": \"esc \\\" \\\\ \\u00e9 \\n\"}}"),
        format!("{{{GOOD}, \"T\\u0069tle\": \"escaped key\"}}"),
        format!("{{{GOOD}, \"Title\": \"a\\/b \\b\\f\\r\\t \\u0000 \\u00e9\\u20AC \\ud83d\\ude00\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\ud83d\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\ude00\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\ud83dx\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\ud83d\\u0041\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\uZZZZ\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\u12\"}}"),
        format!("{{{GOOD}, \"Title\": \"\\x\"}}"),
        format!("{{{GOOD}, \"Title\": \"del \u{7f} ctl \u{1}\"}}"),
        format!("{{{GOOD}, \"Title\": \"del \u{7f}\"}}"),
        format!("{{{GOOD}, \"Title\": \"unterminated}}"),
        format!("{{{GOOD}, \"St\\u0061tus\": \"Running\", \"X\": 1, \"X\": [true, false, null, {{}}, []]}}"),
        format!("{{{GOOD}, \"X\": [1,]}}"),
        format!("{{{GOOD}, \"X\": {{\"a\":}}}}"),
        format!("{{{GOOD}, \"X\": tru}}"),
        format!("{{{GOOD}, \"X\": nullx}}"),
        format!("{{{GOOD}, \"X\": {}1{}}}", "[".repeat(40), "]".repeat(40)),
        format!("{{{GOOD}, \"X\": 01}}"),
        format!("{{{GOOD}, \"X\": 1.5, \"Y\": 1e3, \"Z\": -}}"),
        format!(" \t{{ {GOOD} , \"Title\" :\t\"spaced\" }} \r"),
        "{}".into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 01}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": -0}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1e3}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 9223372036854775807}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": -9223372036854775808}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 9223372036854775808}"#.into(),
        format!("{{{GOOD}, \"Definition\": [\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\", \"n\", 1, \"w\"]}}"),
        format!("{{{GOOD}, \"Definition\": \"x\"}}"),
        format!("{{{GOOD}, \"Definition\": null, \"WorkflowType\": null}}"),
        format!("{{{GOOD}, \"Definition\": {{\"WorkflowType\": \"Enrollment\", \"Extra\": {{}}}}}}"),
        format!("{{{GOOD}, \"Definition\": {{\"Version\": 2.0}}}}"),
        format!("{{{GOOD}, \"Definition\": {{\"Version\": -0}}}}"),
        format!("{{{GOOD}, \"Definition\": {{\"Version\": 9223372036854775808}}}}"),
        format!("{{{GOOD}, \"Definition\": {{\"Version\": -9223372036854775808}}}}"),
        format!("{{{GOOD}, \"StartDate\": \"2024-06-01\", \"LastModified\": \"6/1/2024\"}}"),
        format!("{{{GOOD}, \"StartDate\": \"2024-06-01T10:00:00.1234567891Z\"}}"),
        format!("{{{GOOD}, \"StartDate\": \"2024-06-01T10:00:00.1234567890+02:00\"}}"),
        format!("{{{GOOD}, \"StartDate\": 20240601}}"),
        format!("{{{GOOD}, \"CurrentStepId\": \"{{3F2504E04F8911D39A0C0305E82C3301}}\"}}"),
        format!("{{{GOOD}, \"CurrentStepId\": \"3f2504e0-4f89-11d3-9a0c-0305e82c330\"}}"),
        format!("{{{GOOD}, \"DefinitionId\": \"3f2504e0+4f89-11d3-9a0c-0305e82c3301\"}}"),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "running  ", "ReferenceId": 1}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "RUNNING", "ReferenceId": 1}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": " Running", "ReferenceId": 1}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": null, "ReferenceId": 1}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed"}"#.into(),
        r#"{"Id": null, "Status": "Failed", "ReferenceId": 1}"#.into(),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1.0}"#.into(),
        r#"["3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Failed", null, null, null, null, null, null, null, null, 1]"#.into(),
        format!("{{{GOOD}}} {{}}"),
        format!("{{{GOOD}}} x"),
        format!("{{{GOOD},}}"),
        "5".into(),
        "null".into(),
        "\u{feff}{}".into(),
    ];
    let f = filter("");
    let sort = Sort::new(&keyfactor::schema(), "Title", Direction::Ascending).unwrap();
    let good = lines(&records(10));
    let taken = cases.iter().filter(|c| check_line(c.as_bytes())).count();
    assert!(taken >= 10, "the fast path took {taken} of the cases");
    for case in &cases {
        for scan in [
            Scan::new().threads(1),
            Scan::new().block_size(300).threads(2),
        ] {
            check(
                &scan,
                &data(format!("{case}\n")),
                &f,
                &sort,
                Page::default(),
            )
            .ok();
            let between = data(format!("{good}{case}\n{good}"));
            check(&scan, &between, &f, &sort, Page::default()).ok();
        }
    }
    // Bytes that are not UTF-8, inside and outside strings.
    for bytes in [
        &b"{\"Id\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\", \"Status\": \"Failed\", \"ReferenceId\": 1, \"X\": \"\xff\"}"[..],
        b"{\"Id\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\", \"Status\": \"Failed\", \"ReferenceId\": 1, \"Title\": \"\xc3\"}",
        b"{\"Id\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\", \"Status\": \"Failed\", \"ReferenceId\": 1}\xff",
    ] {
        check_line(bytes);
        check(&Scan::new(), &data(bytes), &f, &sort, Page::default()).unwrap_err();
    }
}

/// The borrowed decoder accepts a line only if the checked path does, with
/// the same record and the same value for every field.
/// Whether it took the line.
fn check_line(line: &[u8]) -> bool {
    let checked = serde_json::from_slice::<serde_json::Value>(line)
        .ok()
        .and_then(|v| WorkflowInstance::from_value(&v).ok());
    let Some(borrowed) = InstanceRef::from_line(line) else {
        return false;
    };
    let checked = checked.unwrap_or_else(|| {
        panic!(
            "accepted a line the checked path rejects: {}",
            String::from_utf8_lossy(line)
        )
    });
    for field in keyfactor::schema().fields() {
        assert_eq!(
            borrowed.value(field),
            checked.value(field),
            "{}",
            field.name()
        );
    }
    assert_eq!(borrowed.into_owned(), checked);
    true
}

/// Every record of the sample, and thousands of corruptions of them.
#[test]
fn mutated_lines_read_as_the_checked_path_reads_them() {
    let sample = lines(&keyfactor::sample(100, ctx().now(), 3));
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as usize
    };
    const BYTES: &[u8] =
        b"\"\\{}[],:0123456789-+.eEnulltruefalse \x00\x1f\x7f\xff\xc3\xa9aAfF/TubrtD";
    let f = filter("");
    let sort = Sort::default_for(&keyfactor::schema());
    let mut taken = 0;
    for line in sample.lines() {
        assert!(
            check_line(line.as_bytes()),
            "the fast path reads the sample"
        );
        for _ in 0..20 {
            let mut bytes = line.as_bytes().to_vec();
            for _ in 0..1 + next() % 3 {
                let at = next() % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = BYTES[next() % BYTES.len()],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, BYTES[next() % BYTES.len()]),
                }
            }
            if bytes.contains(&b'\n') {
                continue;
            }
            taken += usize::from(check_line(&bytes));
            bytes.push(b'\n');
            check(
                &Scan::new().threads(1),
                &data(bytes),
                &f,
                &sort,
                Page::default(),
            )
            .ok();
        }
    }
    assert!(taken > 100, "the fast path took {taken} corrupted lines");
}

#[test]
fn json_arrays_are_scanned_too() {
    let records = records(500);
    let text = serde_json::to_string_pretty(&records).unwrap();
    let (array, spaced) = (data(text.as_bytes()), data(format!("\n\n  {text}")));
    let f = filter(r#"Status -eq "Failed""#);
    let sort = Sort::new(&keyfactor::schema(), "Status", Direction::Ascending).unwrap();
    for scan in scans() {
        check(&scan, &array, &f, &sort, Page::new(2, 10).unwrap()).unwrap();
        check(&scan, &spaced, &f, &sort, Page::default()).unwrap();
    }
    let bad = data(text.replacen("\"Failed\"", "\"Fail\"", 1));
    let err = check(&Scan::new(), &bad, &f, &sort, Page::default()).unwrap_err();
    assert!(
        err.contains("(0-based index in the array), field `Status`"),
        "{err}"
    );
}

/// Hands out `data` in small pieces, then fails.
struct Failing<'a> {
    data: &'a [u8],
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::other("the disk is on fire"));
        }
        let n = buf.len().min(self.data.len()).min(777);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn a_read_error_comes_after_the_bad_records_before_it() {
    let f = filter("");
    let good = lines(&records(300));
    let bad = with_bad_lines(300, &[(250, BAD_REFERENCE)]);
    for scan in scans() {
        let err = scan
            .count::<WorkflowInstance>(
                Failing {
                    data: good.as_bytes(),
                },
                &f,
            )
            .unwrap_err();
        assert_eq!(err.message(), "cannot read the data: the disk is on fire");
        let err = scan
            .count::<WorkflowInstance>(
                Failing {
                    data: bad.as_bytes(),
                },
                &f,
            )
            .unwrap_err();
        assert!(
            err.message().starts_with("line 250, field `ReferenceId`"),
            "{err}"
        );
    }
}

#[test]
fn tickets_are_scanned_with_the_checked_path() {
    use kfql::venafi::{self, WorkflowTicket};
    let ticket = r#"{"GUID": "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "ObjectDN": "\\VED\\Policy\\a", "WorkflowDN": "\\VED\\Policy\\w", "Approvers": ["local:x"], "Reason": 1, "UserData": null, "Status": "Pending", "Created": "2024-06-01T00:00:00Z", "Updated": "2024-06-01T00:00:00Z"}"#;
    let data = format!("{ticket}\n{}\n", ticket.replace("Pending", "Rejected"));
    let schema = venafi::schema();
    let f = kfql::compile(r#"Status -eq "rejected""#, &schema, &ctx()).unwrap();
    let scan = Scan::new().block_size(10);
    assert_eq!(
        scan.count::<WorkflowTicket>(data.as_bytes(), &f).unwrap(),
        1
    );
    let page = scan
        .page::<WorkflowTicket>(
            data.as_bytes(),
            &f,
            &Sort::default_for(&schema),
            Page::default(),
        )
        .unwrap();
    assert_eq!(page.records.len(), 1);
    let err = scan
        .count::<WorkflowTicket>(format!("{data}{{}}\n").as_bytes(), &f)
        .unwrap_err();
    assert!(err.message().starts_with("line 3, field `GUID`"), "{err}");
}

/// A file that starts with a UTF-8 byte-order mark (as some Windows
/// editors write it) reads as if the mark were not there, as an array and
/// as JSON Lines, through both readers; line numbers stay the file's.
#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let f = filter("");
    let sort = Sort::new(&keyfactor::schema(), "ReferenceId", Direction::Ascending).unwrap();
    let recs = records(20);
    let array = serde_json::to_string(&recs).unwrap();
    for text in [lines(&recs), array.clone(), format!("\n\n{array}")] {
        let with_bom = data(format!("\u{feff}{text}"));
        assert_eq!(with_bom.records.as_ref().map(Vec::len), Ok(20));
        for scan in scans() {
            let page = check(&scan, &with_bom, &f, &sort, Page::default()).unwrap();
            assert_eq!(page.total, 20);
        }
    }
    // Positions after the mark: a bad third line is line 3.
    let bad = data(format!(
        "\u{feff}{}{}\n",
        lines(&recs[..2]),
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": "x"}"#
    ));
    for scan in scans() {
        let err = check(&scan, &bad, &f, &sort, Page::default()).unwrap_err();
        assert!(err.starts_with("line 3, field `ReferenceId`"), "{err}");
    }
    let truncated = data("\u{feff}[\n{\"Id\": ");
    assert_eq!(
        truncated.records.unwrap_err(),
        "line 2, column 8: the data is not a valid JSON array: EOF while parsing a value"
    );
    // Only at the start: a mark on a later line is not blank.
    let later = data(format!(
        "{}\u{feff}{}",
        lines(&recs[..1]),
        lines(&recs[1..2])
    ));
    assert!(
        later
            .records
            .unwrap_err()
            .starts_with("line 2, column 1: not valid JSON")
    );
    // Half a mark is not one.
    assert!(data(&b"\xEF\xBB{}\n"[..]).records.is_err());
}

/// JSON `-0` is the integer 0 on both paths (serde_json reads it as a
/// float); other non-integers stay errors.
#[test]
fn minus_zero_is_the_integer_zero() {
    const HEAD: &str = r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed""#;
    let line = format!(r#"{HEAD}, "ReferenceId": -0, "Definition": {{"Version": -0}}}}"#);
    let fast = InstanceRef::from_line(line.as_bytes()).expect("the fast path takes -0");
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    let slow = WorkflowInstance::from_value(&value).expect("the checked path takes -0");
    assert_eq!(fast.into_owned(), slow);
    assert_eq!(slow.reference_id, 0);
    assert_eq!(slow.definition.and_then(|d| d.version), Some(0));
    assert_eq!(
        kfql::FieldValue::Int(0),
        value.value(keyfactor::schema().field("ReferenceId").unwrap())
    );
    for number in ["0.0", "1e0", "0.5", "-1.0"] {
        let line = format!(r#"{HEAD}, "ReferenceId": {number}}}"#);
        let err = data(format!("{line}\n")).records.unwrap_err();
        assert!(
            err.contains("expected an integer within 64 bits, found a number"),
            "{number}: {err}"
        );
    }
    let f = filter("ReferenceId -eq 0");
    let sort = Sort::default_for(&keyfactor::schema());
    for scan in scans() {
        let page = check(
            &scan,
            &data(format!("{line}\n{line}\n")),
            &f,
            &sort,
            Page::default(),
        );
        assert_eq!(page.unwrap().total, 2);
    }
}

/// A stored instant must fall within years 1–9999 once in UTC, the form
/// records are printed in: otherwise a printed record would not read back.
#[test]
fn stored_instants_outside_years_1_to_9999_in_utc_are_malformed() {
    const HEAD: &str =
        r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "Failed", "ReferenceId": 1"#;
    for (date, year) in [
        ("0001-01-01T00:00:00+01:00", 0),
        ("0001-01-01T00:29:59.5+00:30", 0),
        ("9999-12-31T23:59:59-01:00", 10000),
        ("9999-12-31T23:30:00-00:30", 10000),
    ] {
        let line = format!(r#"{HEAD}, "StartDate": "{date}"}}"#);
        assert!(InstanceRef::from_line(line.as_bytes()).is_none(), "{date}");
        let err = data(format!("{line}\n")).records.unwrap_err();
        assert_eq!(
            err,
            format!(
                "line 1, field `StartDate`: `{date}` is in year {year} in UTC; stored instants run from 0001 to 9999 in UTC"
            )
        );
        let err = data(format!("[{line}]")).records.unwrap_err();
        assert!(
            err.starts_with("record 0 (0-based index in the array), field `StartDate`"),
            "{err}"
        );
    }
    // The edges themselves are fine, and print back as they read.
    for date in [
        "0001-01-01T00:00:00Z",
        "0001-01-01T01:00:00+01:00",
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T22:59:59-01:00",
    ] {
        let line = format!(r#"{HEAD}, "StartDate": "{date}"}}"#);
        let record = data(format!("{line}\n")).records.unwrap().remove(0);
        let printed = serde_json::to_string(&record).unwrap();
        assert_eq!(data(printed).records.unwrap(), [record], "{date}");
    }
}

/// A JSON syntax error names one position, the file's: the record's line
/// and the column in it, not serde_json's position inside the line.
#[test]
fn json_errors_name_the_line_and_column_in_the_file() {
    let good = lines(&records(2));
    let f = filter("");
    let sort = Sort::default_for(&keyfactor::schema());
    for (bad, expected) in [
        (
            r#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "#,
            "line 3, column 58: not valid JSON: EOF while parsing a value",
        ),
        (
            "{\"Id\": }",
            "line 3, column 8: not valid JSON: expected value",
        ),
        (
            "{} x",
            "line 3, column 4: not valid JSON: trailing characters",
        ),
    ] {
        for end in ["\n", "\r\n", ""] {
            let d = data(format!("{good}{bad}{end}"));
            assert_eq!(d.records.as_ref().unwrap_err(), expected, "{bad:?}{end:?}");
            for scan in scans() {
                assert_eq!(
                    check(&scan, &d, &f, &sort, Page::default()).unwrap_err(),
                    expected
                );
            }
        }
    }
}
