//! `kfql ticket create`, `kfql query --schema workflow-tickets` and
//! `kfql fields --schema workflow-tickets`, run as a user runs them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::{GUID_A, request_with};

const NOW: &str = "2024-06-01T14:00:00+02:00";

fn kfql(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfql"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The command may exit before reading (a bad option): ignore EPIPE.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn create(body: &[u8]) -> Output {
    kfql(&["ticket", "create", "--now", NOW], body)
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kfql-venafi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

#[test]
fn ticket_create_prints_the_new_ticket_and_exits_0() {
    let o = create(request_with(r#"["AD+corp:jsmith", {"Prefix": "local", "Universal": "{7B3E6B0A-1C1F-4F3E-9A53-2B1D0C4E5F60}"}]"#).as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty());
    assert_eq!(text(&o.stdout).lines().count(), 1, "one JSON line");
    let t: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let guid = t["GUID"].as_str().expect("a GUID");
    assert!(
        guid.len() == 38 && guid.starts_with('{') && guid == guid.to_lowercase(),
        "{guid}"
    );
    assert_eq!(t["Status"], "Pending");
    assert_eq!(t["Created"], "2024-06-01T12:00:00Z");
    assert_eq!(t["Updated"], t["Created"]);
    assert_eq!(
        t["Approvers"],
        json!([
            "AD+corp:jsmith",
            "local:{7B3E6B0A-1C1F-4F3E-9A53-2B1D0C4E5F60}"
        ])
    );
    assert_eq!((&t["Reason"], &t["UserData"]), (&Value::Null, &Value::Null));
    let again: Value =
        serde_json::from_slice(&create(request_with(r#""AD+c:x""#).as_bytes()).stdout).unwrap();
    assert_ne!(again["GUID"], t["GUID"], "every ticket gets a fresh GUID");
}

#[test]
fn a_malformed_request_prints_the_400_body_and_exits_2() {
    for (body, part) in [
        (&b""[..], "the request body is empty"),
        (b"\xff", "not valid UTF-8"),
        (b"[1]", "must be a JSON object"),
        (
            b"{\"ObjectDN\": 1, \"ObjectDN\": 2}",
            "duplicate key `ObjectDN`",
        ),
        (
            br#"{"Approvers": [{"Prefix": "Local", "Name": "x"}]}"#,
            "Approvers[0].Prefix: `Local`",
        ),
    ] {
        let o = create(body);
        assert_eq!(o.status.code(), Some(2), "{body:?}");
        assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
        let v: serde_json::Map<String, Value> =
            serde_json::from_slice(&o.stdout).expect("a JSON object");
        assert_eq!(v.keys().collect::<Vec<_>>(), ["error", "error_description"]);
        assert_eq!(v["error"], "invalid_request");
        assert!(
            v["error_description"].as_str().unwrap().contains(part),
            "{:?}",
            v["error_description"]
        );
    }
}

#[test]
fn ticket_create_parameter_errors_exit_2_on_stderr() {
    let o = kfql(
        &["ticket", "create", "--now", "yesterday"],
        request_with(r#""AD+c:x""#).as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(
        text(&o.stderr).contains("--now `yesterday`"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(kfql(&["ticket"], b"").status.code(), Some(2));
}

fn ticket_lines() -> String {
    [
        json!({"GUID": "{00000000-0000-4000-8000-000000000001}", "Status": "Pending", "Reason": 1,
               "Approvers": ["AD+corp:jsmith", format!("local:{GUID_A}")], "Created": "2024-05-01T09:00:00Z"}),
        json!({"GUID": "{00000000-0000-4000-8000-000000000002}", "Status": "Approved", "Reason": 2,
               "Approvers": ["AD+corp:alice"], "Created": "2024-05-02T09:00:00Z", "ObjectDN": "\\VED\\Policy\\x"}),
        json!({"GUID": "{00000000-0000-4000-8000-000000000003}", "Status": "Approved After", "Reason": 3,
               "Approvers": [], "Created": "2024-05-03T09:00:00Z", "Unknown": true}),
        json!({"GUID": "00000000-0000-4000-8000-000000000004", "Status": "rejected", "Reason": 4,
               "Created": "2024-05-04T09:00:00Z"}),
    ]
    .iter()
    .map(|v| format!("{v}\n"))
    .collect()
}

fn reasons(o: &Output) -> Vec<i64> {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut body: Value = serde_json::from_slice(&o.stdout).expect("a JSON object");
    let page: Vec<Value> = serde_json::from_value(body["records"].take()).expect("records");
    page.iter()
        .map(|t| t["Reason"].as_i64().expect("Reason"))
        .collect()
}

#[test]
fn query_filters_sorts_and_pages_tickets_from_files_and_stdin() {
    let jsonl = ticket_lines();
    let file = temp_file("tickets.jsonl", jsonl.as_bytes());
    let data = file.to_str().unwrap();
    let q = |args: &[&str]| {
        let mut all = vec![
            "query",
            "--schema",
            "workflow-tickets",
            "--data",
            data,
            "--format",
            "json",
        ];
        all.extend_from_slice(args);
        kfql(&all, b"")
    };
    assert_eq!(reasons(&q(&[])), [1, 2, 3, 4], "default sort: Created");
    assert_eq!(reasons(&q(&[r#"Approvers -eq "ad+corp:JSMITH""#])), [1]);
    assert_eq!(
        reasons(&q(&[r#"Approvers -ne "AD+corp:alice""#])),
        [1],
        "none matches, list non-empty"
    );
    assert_eq!(
        reasons(&q(&["Approvers -eq NULL"])),
        [3, 4],
        "empty and missing lists are null"
    );
    assert_eq!(reasons(&q(&[r#"Status -eq "approved after""#])), [3]);
    assert_eq!(reasons(&q(&["--sort", "approvers"])), [3, 4, 2, 1]);
    assert_eq!(
        reasons(&q(&[
            "--sort", "Created", "--desc", "--page", "2", "--limit", "3"
        ])),
        [1]
    );
    let count = q(&["--count", "Reason -ge 2"]);
    assert_eq!(text(&count.stdout), "3\n");

    // A JSON array on standard input reads the same.
    let array: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stdin = serde_json::to_vec(&array).unwrap();
    let o = kfql(
        &[
            "query",
            "--schema",
            "workflow-tickets",
            "--data",
            "-",
            "Reason -lt 3",
        ],
        &stdin,
    );
    assert_eq!(reasons(&o), [1, 2]);
}

#[test]
fn created_tickets_append_to_json_lines_that_query_reads() {
    let created = create(request_with(r#""AD+corp:jsmith""#).as_bytes());
    assert_eq!(created.status.code(), Some(0));
    let other = create(request_with(r#""AD+corp:alice""#).as_bytes());
    let mut lines = created.stdout.clone();
    lines.extend_from_slice(&other.stdout);
    let o = kfql(
        &[
            "query",
            "--schema",
            "workflow-tickets",
            "--data",
            "-",
            "--format",
            "jsonl",
            r#"Approvers -contains "jsmith" AND Created -eq "2024-06-01" AND Status -eq "Pending""#,
        ],
        &created.stdout,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let back: Value = serde_json::from_slice(&o.stdout).expect("one JSON line");
    assert_eq!(
        back,
        serde_json::from_slice::<Value>(&created.stdout).unwrap()
    );
}

#[test]
fn ticket_tables_show_the_ticket_columns() {
    let file = temp_file("table.jsonl", ticket_lines().as_bytes());
    let o = kfql(
        &[
            "query",
            "--schema",
            "workflow-tickets",
            "--data",
            file.to_str().unwrap(),
            "--format",
            "table",
            "Reason -eq 1",
        ],
        b"",
    );
    let out = text(&o.stdout);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "GUID",
            "Status",
            "Created",
            "ObjectDN",
            "Approvers",
            "Reason"
        ]
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("{00000000-0000-4000-8000-000000000001}  Pending"),
        "{row}"
    );
    assert!(
        row.contains(&format!("AD+corp:jsmith, local:{GUID_A}")),
        "{row}"
    );
    assert!(lines.next().unwrap().contains("of 1 matches"));
}

#[test]
fn ticket_query_errors_exit_2_before_data_and_data_errors_exit_1() {
    let args = |q: &'static str, data: &'static str| {
        ["query", "--schema", "workflow-tickets", "--data", data, q]
    };
    for q in [
        r#"Approver -eq "x""#,
        r#"Approvers -lt "x""#,
        r#"Status -eq "Open""#,
        "Title -eq x",
    ] {
        let o = kfql(&args(q, "/nonexistent/tickets.json"), b"");
        assert_eq!(o.status.code(), Some(2), "{q}");
        assert!(
            text(&o.stderr).starts_with("error: "),
            "{}",
            text(&o.stderr)
        );
    }
    let o = kfql(
        &[
            "query",
            "--schema",
            "workflow-tickets",
            "--sort",
            "Title",
            "--data",
            "-",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let o = kfql(
        &[
            "query",
            "--schema",
            "workflow-tickets",
            "Status -eq Pending",
            "--sample",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2), "tickets have no built-in sample");
    assert!(text(&o.stderr).contains("--data"), "{}", text(&o.stderr));

    let o = kfql(&args("", "-"), br#"[{"GUID": "{00000000-0000-4000-8000-000000000001}", "Status": "Pending", "Approvers": ["a", 1]}]"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("record 0") && text(&o.stderr).contains("`Approvers[1]`"),
        "{}",
        text(&o.stderr)
    );
    let o = kfql(&args("", "/nonexistent/tickets.json"), b"");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn fields_and_check_take_the_schema() {
    let out = text(&kfql(&["fields", "--schema", "workflow-tickets"], b"").stdout);
    for field in [
        "GUID",
        "ObjectDN",
        "WorkflowDN",
        "Approvers",
        "Reason",
        "UserData",
        "Status",
        "Created",
        "Updated",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{field} "))),
            "{field}\n{out}"
        );
    }
    let approvers = out.lines().find(|l| l.starts_with("Approvers ")).unwrap();
    assert!(
        approvers.contains("string list") && approvers.contains("-contains"),
        "{approvers}"
    );
    assert!(
        out.contains("Approved Between")
            && out.contains("yes (key)")
            && out.contains("yes (default)")
    );
    // Instances stay the default.
    let default = text(&kfql(&["fields"], b"").stdout);
    assert!(default.lines().any(|l| l.starts_with("ReferenceId ")));
    assert_eq!(
        kfql(&["fields", "--schema", "certificates"], b"")
            .status
            .code(),
        Some(2)
    );

    let o = kfql(
        &[
            "check",
            "--schema",
            "workflow-tickets",
            "approvers -CONTAINS jsmith AND Reason -gt 5",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "approvers -contains \"jsmith\" AND Reason -gt \"5\"\n"
    );
    assert_eq!(
        kfql(&["check", "Approvers -eq x"], b"").status.code(),
        Some(2),
        "not an instance field"
    );
}
