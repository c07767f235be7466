//! The `kfql` command, run as a user runs it: arguments in, output and exit
//! code out.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const NOW: &str = "2026-11-23T12:00:00Z";

fn kfql(args: &[&str]) -> Output {
    kfql_with_stdin(args, b"")
}

fn kfql_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfql"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("the binary finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 errors")
}

/// The records of `--format json`'s `{"total", "page", "limit", "records"}`.
fn json_page(o: &Output) -> Vec<Value> {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    let mut body: Value = serde_json::from_slice(&o.stdout).expect("a JSON object");
    assert!(body["total"].as_u64().is_some(), "{body}");
    assert!(
        body["page"].as_u64().is_some() && body["limit"].as_u64().is_some(),
        "{body}"
    );
    serde_json::from_value(body["records"].take()).expect("an array of records")
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kfql-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

fn record(reference_id: i64, status: &str, start: &str) -> Value {
    json!({
        "Id": format!("00000000-0000-0000-0000-{reference_id:012}"),
        "Status": status,
        "ReferenceId": reference_id,
        "StartDate": start,
        "Title": format!("record {reference_id}"),
    })
}

#[test]
fn the_readme_query_pages_recent_failures_newest_first() {
    let q = r#"Status -eq "Failed" AND StartDate -ge "%TODAY-30%""#;
    let page = json_page(&kfql(&[
        "query",
        q,
        "--sample",
        "--sort",
        "StartDate",
        "--desc",
        "--limit",
        "5",
        "--now",
        NOW,
    ]));
    assert_eq!(page.len(), 5);
    let dates: Vec<&str> = page
        .iter()
        .map(|r| r["StartDate"].as_str().expect("a date"))
        .collect();
    for r in &page {
        assert_eq!(r["Status"], "Failed");
    }
    assert!(dates.iter().all(|d| *d >= "2026-10-24"), "{dates:?}");
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
}

#[test]
fn count_agrees_with_the_records_of_one_big_page() {
    let q = r#"WorkflowType -eq "Enrollment" OR Title -contains "appsrvr1""#;
    let count = kfql(&["query", q, "--sample", "--count", "--now", NOW]);
    let n: usize = stdout(&count).trim().parse().expect("a number");
    let all = json_page(&kfql(&[
        "query", q, "--sample", "--limit", "100000", "--now", NOW,
    ]));
    assert_eq!(all.len(), n);
    assert!(n > 0);
}

#[test]
fn an_empty_query_matches_every_sample_record_covering_every_status() {
    let all = json_page(&kfql(&[
        "query", "", "--sample", "--limit", "100000", "--now", NOW,
    ]));
    assert!(all.len() >= 1000);
    for status in [
        "CanceledForRestart",
        "Complete",
        "Failed",
        "Rejected",
        "Running",
        "Suspended",
    ] {
        assert!(all.iter().any(|r| r["Status"] == status), "{status}");
    }
    assert!(all.iter().any(|r| r["Title"].is_null()));
    let none = kfql(&["query", "--sample", "--count", "--now", NOW]);
    assert_eq!(stdout(&none).trim(), all.len().to_string());
}

#[test]
fn query_errors_exit_2_with_a_caret_before_any_data_is_read() {
    let missing = "/nonexistent/data.json";
    for (args, needle) in [
        (
            vec!["query", "StartDat -ge \"2024-01-01\""],
            "did you mean `StartDate`?",
        ),
        (vec!["query", "ReferenceId -eq five"], "is not an integer"),
        (vec!["query", "Status -eq \"Failed\" AND"], "^"),
        (vec!["query", "--page", "0"], "--page `0` is not"),
        (vec!["query", "--limit", "abc"], "--limit `abc` is not"),
        (vec!["query", "--page", "-1"], "--page `-1` is not"),
        (
            vec!["query", "--limit", "9223372036854775808"],
            "--limit `9223372036854775808` is not",
        ),
        (
            vec!["query", "--sort", "StartDat"],
            "did you mean `StartDate`?",
        ),
        (vec!["query", "--sort", "Definition"], "DefinitionId"),
        (vec!["query", "InitiatingUserName -eq %ME%"], "%ME%"),
        (vec!["query", "--now", "yesterday"], "--now"),
        (vec!["query", "--tz", "+25:00"], "--tz"),
    ] {
        let mut with_data = args.clone();
        with_data.extend(["--data", missing]);
        let o = kfql(&with_data);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn data_errors_exit_1_naming_the_file_record_and_field() {
    let good = record(1, "Failed", "2024-06-01T00:00:00Z");
    let mut bad = record(2, "Failed", "2024-06-01T00:00:00Z");
    bad["StartDate"] = json!("June 1st");
    let jsonl = format!("{good}\n{bad}\n");
    let path = temp_file("bad.jsonl", jsonl.as_bytes());
    let o = kfql(&["query", "--data", path.to_str().expect("path"), "--count"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("bad.jsonl") && err.contains("line 2") && err.contains("StartDate"),
        "{err}"
    );

    let array = json!([good, {"Status": "Failed", "ReferenceId": 3}]).to_string();
    let path = temp_file("bad.json", array.as_bytes());
    let o = kfql(&["query", "--data", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("record 1") && stderr(&o).contains("`Id`"),
        "{}",
        stderr(&o)
    );

    for (name, content) in [
        ("truncated.json", &b"[{\"Id\": "[..]),
        ("garbage.jsonl", b"{}}\n"),
    ] {
        let path = temp_file(name, content);
        let o = kfql(&["query", "--data", path.to_str().expect("path")]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert!(stderr(&o).contains(name), "{}", stderr(&o));
    }

    let o = kfql(&["query", "--data", "/nonexistent/data.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/data.json"));
}

#[test]
fn data_reads_arrays_and_json_lines_from_files_and_stdin_alike() {
    let records = [
        record(3, "Failed", "2024-06-01T10:00:00Z"),
        record(1, "Running", "2024-06-02T10:00:00Z"),
        record(2, "Failed", "2024-05-01T10:00:00Z"),
    ];
    let array = serde_json::to_vec(&records).expect("json");
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let args = [
        "query",
        "Status -eq Failed",
        "--sort",
        "ReferenceId",
        "--format",
        "json",
    ];
    let from_array = json_page(&kfql_with_stdin(
        &[&args[..], &["--data", "-"]].concat(),
        &array,
    ));
    let path = temp_file("records.jsonl", lines.as_bytes());
    let from_lines = json_page(&kfql(
        &[&args[..], &["--data", path.to_str().expect("path")]].concat(),
    ));
    assert_eq!(from_array, from_lines);
    let ids: Vec<i64> = from_array
        .iter()
        .map(|r| r["ReferenceId"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [2, 3]);
}

#[test]
fn jsonl_and_table_formats() {
    let o = kfql(&[
        "query", "--sample", "--limit", "3", "--format", "jsonl", "--now", NOW,
    ]);
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout)
        .expect("utf8")
        .lines()
        .collect();
    assert_eq!(lines.len(), 3);
    for l in lines {
        serde_json::from_str::<Value>(l).expect("one record per line");
    }
    let o = kfql(&[
        "query", "--sample", "--limit", "3", "--format", "table", "--now", NOW,
    ]);
    let out = stdout(&o);
    assert!(out.starts_with("ReferenceId"), "{out}");
    assert!(out.contains("records 1–3 of"), "{out}");
}

#[test]
fn paging_past_the_end_is_an_empty_page() {
    let o = kfql(&[
        "query",
        "--sample",
        "--page",
        "9223372036854775807",
        "--limit",
        "9223372036854775807",
        "--now",
        NOW,
    ]);
    assert_eq!(json_page(&o), Vec::<Value>::new());
}

#[test]
fn time_zone_moves_the_day_boundary() {
    let records = [record(1, "Failed", "2024-06-01T23:30:00Z")];
    let data = serde_json::to_vec(&records).expect("json");
    let q = r#"StartDate -eq "2024-06-02""#;
    let utc = kfql_with_stdin(&["query", q, "--data", "-", "--count"], &data);
    assert_eq!(stdout(&utc).trim(), "0");
    let plus2 = kfql_with_stdin(
        &["query", q, "--data", "-", "--count", "--tz", "+02:00"],
        &data,
    );
    assert_eq!(stdout(&plus2).trim(), "1");
}

#[test]
fn me_and_now_set_the_context() {
    let q = "InitiatingUserName -eq %ME% AND StartDate -ge %TODAY-1%";
    let o = kfql(&[
        "query",
        q,
        "--sample",
        "--me",
        r"KEYEXAMPLE\jsmith",
        "--now",
        NOW,
        "--limit",
        "1000",
    ]);
    let page = json_page(&o);
    assert!(!page.is_empty());
    assert!(
        page.iter()
            .all(|r| r["InitiatingUserName"] == r"KEYEXAMPLE\jsmith")
    );
}

#[test]
fn check_and_parse_print_the_canonical_form() {
    let o = kfql(&[
        "check",
        "status -EQ failed and (Title -contains x OR ReferenceId -gt 5)",
    ]);
    assert_eq!(
        stdout(&o),
        "status -eq \"failed\" AND (Title -contains \"x\" OR ReferenceId -gt \"5\")\n"
    );
    let o = kfql(&["check", "Colour -eq red"]);
    assert_eq!(o.status.code(), Some(2));
    let o = kfql(&["parse", "--", "Colour -eq red"]);
    assert_eq!(stdout(&o), "Colour -eq \"red\"\n");
    let o = kfql(&["parse", ""]);
    assert_eq!(stdout(&o), "\n");
    let o = kfql(&["parse", "Colour -eq"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn query_files_and_stdin_queries() {
    let path = temp_file("q.txt", b"Status -eq \"Failed\"\nAND ReferenceId -gt 0\n");
    let o = kfql(&["parse", "--query-file", path.to_str().expect("path")]);
    assert_eq!(
        stdout(&o),
        "Status -eq \"Failed\" AND ReferenceId -gt \"0\"\n"
    );
    let o = kfql_with_stdin(&["check", "--query-file", "-"], b"Title -eq x");
    assert_eq!(stdout(&o), "Title -eq \"x\"\n");
    // A compile error inside a query file is drawn against the file's text.
    let path = temp_file("bad.txt", b"Status -eq \"Failed\"\nAND Colour -eq red\n");
    let o = kfql(&["check", "--query-file", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("2 | AND Colour -eq red\n  |     ^^^^^^"),
        "{}",
        stderr(&o)
    );
    let o = kfql(&["parse", "--query-file", "/nonexistent/q.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let big = vec![b' '; 64 * 1024 + 1];
    let o = kfql_with_stdin(&["parse", "--query-file", "-"], &big);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn invalid_utf8_arguments_are_query_errors() {
    use std::os::unix::ffi::OsStrExt;
    let arg = std::ffi::OsStr::from_bytes(b"Title -eq \"\xff\"");
    let o = Command::new(env!("CARGO_BIN_EXE_kfql"))
        .arg("parse")
        .arg(arg)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("UTF-8"), "{}", stderr(&o));
}

#[test]
fn fields_lists_the_schema() {
    let out = stdout(&kfql(&["fields"]));
    for field in [
        "Id",
        "Status",
        "Definition",
        "StartDate",
        "ReferenceId",
        "WorkflowType",
        "CurrentStepDisplayName",
    ] {
        assert!(out.lines().any(|l| l.starts_with(field)), "{field}");
    }
    let status = out
        .lines()
        .find(|l| l.starts_with("Status "))
        .expect("Status row");
    assert!(status.contains("Running") && status.contains("-eq -ne"));
    let title = out
        .lines()
        .find(|l| l.starts_with("Title "))
        .expect("Title row");
    assert!(title.contains("-contains") && title.contains("yes"));
}

#[test]
fn records_piped_in_are_the_data_and_sample_forces_the_sample() {
    let records = [
        record(1, "Failed", "2024-06-01T10:00:00Z"),
        record(2, "Running", "2024-06-02T10:00:00Z"),
    ];
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let o = kfql_with_stdin(&["query", "--count"], lines.as_bytes());
    assert_eq!((o.status.code(), stdout(&o).trim()), (Some(0), "2"));
    assert_eq!(stderr(&o), "", "nothing is said about it");
    let o = kfql_with_stdin(
        &["query", "Status -eq Failed", "--format", "json"],
        lines.as_bytes(),
    );
    assert_eq!(json_page(&o).len(), 1);
    // Nothing piped (an empty input): no records, not the sample.
    let o = kfql_with_stdin(&["query", "--count"], b"");
    assert_eq!(stdout(&o).trim(), "0");
    // --sample queries the sample whatever standard input holds.
    let o = kfql_with_stdin(
        &["query", "--count", "--sample", "--now", NOW],
        lines.as_bytes(),
    );
    assert_eq!(stdout(&o).trim(), "1200");
    let o = kfql(&["query", "--sample", "--data", "x.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A query read from standard input leaves the data to the sample.
    let o = kfql_with_stdin(
        &["query", "--query-file", "-", "--count", "--now", NOW],
        b"",
    );
    assert_eq!(stdout(&o).trim(), "1200");
}

#[test]
fn a_truncated_json_lines_record_names_one_position_the_file_s() {
    let good: String = (1..=2)
        .map(|i| format!("{}\n", record(i, "Failed", "2024-06-01T10:00:00Z")))
        .collect();
    let truncated =
        format!("{good}{{\"Id\": \"00000000-0000-0000-0000-000000000003\", \"Status\": \n");
    let path = temp_file("truncated.jsonl", truncated.as_bytes());
    let o = kfql(&["query", "--count", "--data", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.ends_with(
            "truncated.jsonl: line 3, column 58: not valid JSON: EOF while parsing a value\n"
        ),
        "{err}"
    );
    assert!(!err.contains("at line"), "{err}");
}

#[test]
fn me_without_a_user_says_to_pass_me() {
    for command in ["query", "check"] {
        let o = kfql(
            &[command, "InitiatingUserName -eq %ME%", "--sample"]
                [..if command == "check" { 2 } else { 3 }],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("the context has none; pass `--me NAME`"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("^^^^"), "{}", stderr(&o));
    }
}

#[test]
fn parameter_errors_name_the_flag_typed() {
    for (flag, value, message) in [
        (
            "--page",
            "0",
            "error: --page `0` is not a whole number from 1 to 9223372036854775807\n",
        ),
        (
            "--limit",
            "",
            "error: --limit (empty) is not a whole number from 1 to 9223372036854775807\n",
        ),
        (
            "--sort",
            "Titel",
            "error: --sort: `Titel` is not a field of workflow instances; did you mean `Title`?\n",
        ),
    ] {
        let o = kfql(&["query", "--sample", flag, value]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(stderr(&o), message);
    }
}

#[test]
fn records_of_the_other_kind_get_a_schema_hint() {
    let ticket = json!({"GUID": "{00000000-0000-4000-8000-000000000001}", "ObjectDN": r"\VED\Policy\a",
        "WorkflowDN": r"\VED\Policy\w", "Approvers": ["local:x"], "Status": "Pending"});
    let o = kfql_with_stdin(&["query", "--count"], format!("{ticket}\n").as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: standard input: line 1, field `Id`: is required but missing or null\n\
         hint: these look like workflow tickets: pass --schema workflow-tickets\n"
    );
    let o = kfql_with_stdin(
        &["query", "--schema", "workflow-tickets", "--count"],
        format!("{ticket}\n").as_bytes(),
    );
    assert_eq!(stdout(&o).trim(), "1");

    let instances =
        serde_json::to_vec(&[record(1, "Failed", "2024-06-01T10:00:00Z")]).expect("json");
    let path = temp_file("instances.json", &instances);
    let o = kfql(&[
        "query",
        "--schema",
        "workflow-tickets",
        "--data",
        path.to_str().expect("path"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).ends_with("field `GUID`: is required but missing or null\nhint: these look like workflow instances: pass --schema workflow-instances\n"),
        "{}",
        stderr(&o)
    );
    // A malformed record of the right kind gets no hint.
    let mut bad = record(1, "Failed", "2024-06-01T10:00:00Z");
    bad["StartDate"] = json!("June 1st");
    let o = kfql_with_stdin(&["query"], format!("{bad}\n").as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("hint"), "{}", stderr(&o));
}

#[test]
fn an_unquoted_query_is_told_to_quote_it() {
    for (args, expected) in [
        (
            &["query", "--count", "Status", "-eq", "Failed"][..],
            "kfql query --count 'Status -eq Failed'",
        ),
        (
            &[
                "query",
                "Status",
                "-EQ",
                "Failed",
                "AND",
                "Title",
                "-contains",
                "it's",
                "--limit",
                "5",
            ][..],
            r"kfql query 'Status -EQ Failed AND Title -contains it'\''s' --limit 5",
        ),
        (
            &["check", "ReferenceId", "-gt", "5"][..],
            "kfql check 'ReferenceId -gt 5'",
        ),
        (
            &["parse", "Status", "-in", "a,b"][..],
            "kfql parse 'Status -in a,b'",
        ),
    ] {
        let o = kfql(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&o),
            format!("kfql: quote the whole query: {expected}\n")
        );
        assert!(o.stdout.is_empty());
    }
    // Other argument errors stay clap's.
    let o = kfql(&["query", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unexpected argument '--frobnicate'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_output_carries_the_total_and_the_page() {
    let o = kfql(&[
        "query",
        "Status -eq Failed",
        "--sample",
        "--now",
        NOW,
        "--limit",
        "3",
        "--page",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let count = kfql(&[
        "query",
        "Status -eq Failed",
        "--sample",
        "--now",
        NOW,
        "--count",
    ]);
    assert_eq!(body["total"].to_string(), stdout(&count).trim());
    assert_eq!(
        (body["page"].as_u64(), body["limit"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(body["records"].as_array().map(Vec::len), Some(3));
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["limit", "page", "records", "total"],
        "serde_json sorts keys"
    );
    assert!(
        stdout(&o).starts_with("{\n  \"total\": "),
        "the total comes first"
    );
}

#[test]
fn check_shows_what_the_tokens_resolve_to() {
    let q = r#"StartDate -ge "%TODAY-30%" AND InitiatingUserName -eq %ME%"#;
    let o = kfql(&[
        "check",
        q,
        "--now",
        "2024-06-01T23:30:00Z",
        "--tz",
        "+02:00",
        "--me",
        r"K\j",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "StartDate -ge \"%TODAY-30%\" AND InitiatingUserName -eq \"%ME%\"\n\
         resolved: StartDate -ge \"2024-05-03\" AND InitiatingUserName -eq \"K\\\\j\"\n"
    );
    // No tokens: the canonical form alone.
    let o = kfql(&["check", "Status -eq Failed"]);
    assert_eq!(stdout(&o), "Status -eq \"Failed\"\n");
}

#[test]
fn a_byte_order_mark_and_minus_zero_read_as_data() {
    let lines = format!(
        "\u{feff}{}\n{}\n",
        record(1, "Failed", "2024-06-01T10:00:00Z"),
        r#"{"Id": "00000000-0000-0000-0000-000000000002", "Status": "Failed", "ReferenceId": -0}"#
    );
    let o = kfql_with_stdin(&["query", "ReferenceId -eq 0", "--count"], lines.as_bytes());
    assert_eq!(
        (o.status.code(), stdout(&o).trim()),
        (Some(0), "1"),
        "{}",
        stderr(&o)
    );
    let path = temp_file(
        "bom.json",
        format!("\u{feff}[{}]", record(1, "Failed", "2024-06-01T10:00:00Z")).as_bytes(),
    );
    let o = kfql(&["query", "--count", "--data", path.to_str().expect("path")]);
    assert_eq!(stdout(&o).trim(), "1", "{}", stderr(&o));
}

#[test]
fn what_the_cli_prints_reads_back() {
    // The sample at the earliest --now it accepts, and a ticket at the last.
    let o = kfql(&[
        "query",
        "--sample",
        "--now",
        "0001-03-03T00:00:00Z",
        "--limit",
        "5000",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let back = kfql_with_stdin(&["query", "--count"], &o.stdout);
    assert_eq!(
        (back.status.code(), stdout(&back).trim()),
        (Some(0), "1200"),
        "{}",
        stderr(&back)
    );
    let o = kfql(&["query", "--sample", "--now", "0001-01-05T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("after 0001-03-02"), "{}", stderr(&o));
    for now in [
        "9999-12-31T23:59:59-01:00",
        "0000-12-31T23:00:00Z",
        "0001-01-01T00:00:00+01:00",
    ] {
        let o = kfql(&["query", "--sample", "--now", now]);
        assert_eq!(o.status.code(), Some(2), "{now}");
        assert!(
            stderr(&o).contains("is not within years 0001 to 9999 in UTC"),
            "{}",
            stderr(&o)
        );
    }
    // A stored instant outside years 1-9999 in UTC is malformed data.
    let line = r#"{"Id": "00000000-0000-0000-0000-000000000001", "Status": "Failed", "ReferenceId": 1, "StartDate": "9999-12-31T23:59:59-01:00"}"#;
    let o = kfql_with_stdin(&["query"], format!("{line}\n").as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is in year 10000 in UTC"),
        "{}",
        stderr(&o)
    );
}
