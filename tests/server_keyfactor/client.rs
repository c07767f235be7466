use kfql::keyfactor::WorkflowInstance;
use kfql::server::{Config, StatusFormat};
use kfql::{Direction, Page, Sort};
use serde_json::Value;

use crate::venv::python_or_skip;
use crate::{ME, PASSWORD, Service, default_sort, expected, sample, sort};

/// keyfactor-v-1-client, Keyfactor's OpenAPI-generated Python client,
/// against a server writing Status as integers: every instance decodes
/// into its models, and its pages, totals, /My and /{id} are memory's.
#[test]
fn the_vendors_python_client() {
    let Some(python) = python_or_skip("the_vendors_python_client") else {
        return;
    };
    let mut records = sample();
    // Nulls where the client's decoders are strictest.
    records[0].definition = None;
    records[1].start_date = None;
    records[2].last_modified = None;
    records[3].title = None;
    // Nanoseconds, which the client's parser cuts to microseconds.
    records[4].start_date = records[4]
        .start_date
        .map(|t| t + chrono::Duration::nanoseconds(123_456_789));
    let config = Config {
        status_format: StatusFormat::Integer,
        ..Config::default()
    };
    let s = Service::sqlite(config, records.clone());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/keyfactor_client.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .env("KFQL_URL", &s.base)
        .env("KFQL_USER", ME)
        .env("KFQL_PASSWORD", PASSWORD)
        .env("KFQL_QUERY", "Status -ne 2 AND ReferenceId -gt 0")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: std::collections::HashMap<String, Value> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            (v["call"].as_str().expect("a call").to_owned(), v)
        })
        .collect();
    let query = r#"Status -ne "Complete" AND ReferenceId -gt 0"#;
    let ids = |v: &Value| -> Vec<String> {
        v["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|i| i.as_str().expect("an id").to_owned())
            .collect()
    };
    let check = |call: &str, over: &[WorkflowInstance], q: &str, sort: Sort, page: Page| {
        let (want, total) = expected(over, q, &sort, page, ME).unwrap();
        assert_eq!(ids(&lines[call]), want, "{call}");
        assert_eq!(lines[call]["total"], total, "{call}");
        want
    };
    check(
        "page",
        &records,
        query,
        sort("StartDate", Direction::Descending),
        Page::new(2, 5).unwrap(),
    );
    let all = check(
        "all",
        &records,
        query,
        sort("ReferenceId", Direction::Ascending),
        Page::new(1, 1000).unwrap(),
    );
    assert!(all.len() > 20);
    check("defaults", &records, "", default_sort(), Page::default());
    let mine: Vec<WorkflowInstance> = records
        .iter()
        .filter(|r| r.initiating_user_name.as_deref() == Some(ME))
        .cloned()
        .collect();
    check(
        "my",
        &mine,
        query,
        sort("ReferenceId", Direction::Ascending),
        Page::new(1, 1000).unwrap(),
    );
    let first = records
        .iter()
        .find(|r| r.id.to_string() == all[0])
        .expect("the first");
    assert_eq!(lines["get"]["id"], all[0]);
    assert_eq!(lines["get"]["status"], first.status as u64 + 1);
    assert_eq!(lines["missing"]["status"], 404);
    assert_eq!(lines["missing"]["body"]["ErrorCode"], "0xA0110404");
    assert_eq!(lines["bad"]["status"], 400);
    assert_eq!(lines["bad"]["body"]["ErrorCode"], "0xA0110105");
    assert_eq!(lines["unauthorized"]["status"], 401);
    assert!(
        lines["unauthorized"]["challenge"]
            .as_str()
            .unwrap_or("")
            .starts_with("Basic")
    );
    eprintln!("keyfactor-v-1-client: {}", lines["page"]);
}

/// The same client against a server writing Status as names, the
/// default: its model refuses them, which is why the integer mode exists.
#[test]
fn the_vendors_python_client_needs_integer_status() {
    let Some(python) = python_or_skip("the_vendors_python_client_needs_integer_status") else {
        return;
    };
    let s = Service::sqlite(Config::default(), sample());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/keyfactor_client.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .env("KFQL_URL", &s.base)
        .env("KFQL_USER", ME)
        .env("KFQL_PASSWORD", PASSWORD)
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is not a valid KeyfactorApiModelsWorkflowsInstanceQueryResponseStatus"),
        "{stderr}"
    );
}
