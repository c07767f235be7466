//! `kfql convert` and `kfql query --data FILE.parquet` (features `cli` and
//! `parquet`), run as a user runs them.

use std::process::{Command, Output};

use serde_json::Value;

const NOW: &str = "2024-07-01T00:00:00Z";

fn kfql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfql"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kfql-cli-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn ids(jsonl: &str) -> Vec<i64> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("JSON")["ReferenceId"]
                .as_i64()
                .expect("an id")
        })
        .collect()
}

#[test]
fn a_converted_file_answers_as_its_json_does() {
    let d = dir();
    let json = d.join("sample.jsonl");
    let parquet = d.join("sample.parquet");
    let out = ok(&kfql(&[
        "query", "--sample", "--now", NOW, "--limit", "5000", "--format", "jsonl",
    ]));
    std::fs::write(&json, out).expect("written");
    let (json, parquet) = (json.to_str().unwrap(), parquet.to_str().unwrap());
    ok(&kfql(&["convert", json, parquet, "--row-group", "100"]));
    for q in [
        "",
        r#"Status -eq "Failed" AND StartDate -ge "%TODAY-20%""#,
        r#"Title -contains "appsrvr1" OR InitiatingUserName -startswith "KEYEXAMPLE\\j""#,
        r#"ReferenceId -gt 600 AND WorkflowType -ne "Revocation""#,
    ] {
        let count = |data: &str| {
            ok(&kfql(&[
                "query", "--now", NOW, "--data", data, "--count", q,
            ]))
        };
        assert_eq!(count(parquet), count(json), "{q}");
        for (sort, extra) in [
            ("StartDate", "--desc"),
            ("InitiatingUserName", "--desc"),
            ("Title", ""),
        ] {
            let page = |data: &str| {
                let mut args = vec![
                    "query", "--now", NOW, "--data", data, "--format", "jsonl", "--sort", sort,
                    "--page", "2", "--limit", "7",
                ];
                if !extra.is_empty() {
                    args.push(extra);
                }
                args.push(q);
                ids(&ok(&kfql(&args)))
            };
            assert_eq!(page(parquet), page(json), "{q} by {sort}");
        }
    }
    // --input-format says Parquet whatever the name.
    let renamed = d.join("sample.bin");
    std::fs::copy(parquet, &renamed).expect("copied");
    let n = ok(&kfql(&[
        "query",
        "--data",
        renamed.to_str().unwrap(),
        "--input-format",
        "parquet",
        "--count",
    ]));
    assert_eq!(n.trim(), "1200");
}

#[test]
fn a_broken_file_is_exit_1_naming_it_and_a_bad_query_exit_2_first() {
    let d = dir();
    let broken = d.join("broken.parquet");
    std::fs::write(&broken, b"PAR1 not really PAR1").expect("written");
    let o = kfql(&["query", "--data", broken.to_str().unwrap(), "--count"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.parquet: ") && err.contains("Parquet"),
        "{err}"
    );
    // The query is checked before the file is read.
    let o = kfql(&[
        "query",
        "--data",
        broken.to_str().unwrap(),
        "--count",
        "Status -eq Bogus",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// The parquet crate panics on tests/parquet/reader_panic.parquet (see
/// tests/arrow_parquet.rs): the CLI prints the error line alone, with no
/// panic message from the hook.
#[test]
fn a_panic_of_the_parquet_reader_is_one_error_line() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/parquet/reader_panic.parquet"
    );
    let o = kfql(&["query", "--now", NOW, "--data", path, "--sort", "StartDate"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {path}: column `Id` (row group 0): cannot read it: "
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
}
