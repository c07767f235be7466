//! Rendering results for people (aligned tables) and programs (JSON).

use std::io::{self, Write};

use kfql::{PageResult, Schema};
use serde::Serialize;
use serde_json::Value;

use crate::kinds::Kind;

/// The page for scripts: `{"total", "page", "limit", "records"}`, the
/// total (matches before paging) first, the records in the API's shape.
pub fn json<T: Serialize>(out: &mut impl Write, page: &PageResult<T>) -> io::Result<()> {
    #[derive(Serialize)]
    struct Json<'a, T> {
        total: u64,
        page: u64,
        limit: u64,
        records: &'a [T],
    }
    let body = Json {
        total: page.total,
        page: page.page.number(),
        limit: page.page.limit(),
        records: &page.records,
    };
    serde_json::to_writer_pretty(&mut *out, &body)?;
    writeln!(out)
}

/// One record per line.
pub fn jsonl<T: Serialize>(out: &mut impl Write, records: &[T]) -> io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Aligned columns for people, and a line with the page and the total.
pub fn table<T: Kind>(out: &mut impl Write, page: &PageResult<T>) -> io::Result<()> {
    let rows: Vec<Vec<String>> = page
        .records
        .iter()
        .map(|r| {
            let v = r.row();
            T::COLUMNS.iter().map(|c| cell(&v[c])).collect()
        })
        .collect();
    let header: Vec<String> = T::COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    write_rows(out, &header, &rows)?;
    let first = page.page.offset().saturating_add(1);
    if page.records.is_empty() {
        writeln!(
            out,
            "no records on page {} ({} matches in all)",
            page.page.number(),
            page.total
        )
    } else {
        let last = first + page.records.len() as u64 - 1;
        writeln!(
            out,
            "records {first}–{last} of {} matches (page {}, limit {})",
            page.total,
            page.page.number(),
            page.page.limit()
        )
    }
}

fn cell(v: &Value) -> String {
    let text = match v {
        Value::Null => "NULL".to_owned(),
        Value::String(s) => s.clone(),
        // A list (Approvers) shows its elements, comma-separated.
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    // Keep one record on one line, and long titles from drowning the rest.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}

fn write_rows(out: &mut impl Write, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// The schema: each field, its type, its operators, queryable, sortable.
pub fn fields(out: &mut impl Write, schema: &Schema) -> io::Result<()> {
    let header: Vec<String> = ["Field", "Type", "Operators", "Queryable", "Sortable"]
        .map(String::from)
        .to_vec();
    let rows: Vec<Vec<String>> = schema
        .fields()
        .iter()
        .map(|f| {
            let ops: Vec<&str> = f.ty().operators().iter().map(|o| o.as_str()).collect();
            let key = if schema.key().is_some_and(|k| k.index() == f.index()) {
                " (key)"
            } else {
                ""
            };
            let default = if schema
                .default_sort()
                .is_some_and(|k| k.index() == f.index())
            {
                " (default)"
            } else {
                ""
            };
            vec![
                f.name().to_owned(),
                f.ty().to_string(),
                if ops.is_empty() {
                    "-".into()
                } else {
                    ops.join(" ")
                },
                if f.queryable() { "yes" } else { "no" }.into(),
                format!("{}{key}{default}", if f.sortable() { "yes" } else { "no" }),
            ]
        })
        .collect();
    write_rows(out, &header, &rows)?;
    writeln!(
        out,
        "\nEvery queryable field also takes -eq NULL (is null) and -ne NULL (is not null)."
    )
}
