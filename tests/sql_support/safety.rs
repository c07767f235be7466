//! The injection check shared by the SQL tests and the `sql` fuzz target:
//! the SQL text must consist only of kfql's own vocabulary — keywords,
//! function names, operators, placeholders, small integers, the two
//! constant literals, and identifiers from the mapping — so that no text
//! from a query's values can have reached it.

/// Every word kfql's SQL may contain, outside quoted identifiers.
const WORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "ESCAPE",
    "IS",
    "NULL",
    "COLLATE",
    "BINARY",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "TRUE",
    "CAST",
    "AS",
    "INTEGER",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "SELECT",
    "FROM",
    "WHERE",
    "ORDER",
    "BY",
    "count",
    "COALESCE",
    "rtrim",
    "lower",
    "kfql_fold",
    "instr",
    "strpos",
    "substr",
    "right",
    "text",
    "bigint",
    "boolean",
    "E",
];

/// The string literals kfql's SQL may contain: `' '` for rtrim and the
/// LIKE escape in both dialects' spelling.
const LITERALS: &[&str] = &["' '", "'\\'", "'\\\\'"];

/// Checks `sql` token by token; `identifiers` are the quoted names it may
/// use (columns, table, collation). Returns the first offending token.
pub fn check(sql: &str, identifiers: &[String]) -> Result<(), String> {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' => i += 1,
            b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(format!("unterminated identifier at {start}")),
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                let ident = &sql[start..i];
                if !identifiers.iter().any(|x| x == ident) {
                    return Err(format!("identifier {ident} is not from the mapping"));
                }
            }
            b'\'' => {
                let end = sql[i + 1..]
                    .find('\'')
                    .ok_or_else(|| format!("unterminated literal at {start}"))?;
                i += end + 2;
                let lit = &sql[start..i];
                if !LITERALS.contains(&lit) {
                    return Err(format!("literal {lit} is not one of kfql's constants"));
                }
            }
            b'?' | b'$' => {
                i += 1;
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    return Err(format!("bare {} at {start}", c as char));
                }
                i += digits;
            }
            b'0'..=b'9' => {
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                i += digits;
                if digits > 3 {
                    return Err(format!("number {} in the SQL text", &sql[start..i]));
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let n = b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                i += n;
                let word = &sql[start..i];
                if !WORDS.contains(&word) {
                    return Err(format!("word {word} is not kfql's vocabulary"));
                }
            }
            b'(' | b')' | b',' | b'=' | b'*' | b'.' => i += 1,
            // Unary minus, only before a placeholder (SQLite's substr
            // counting from the end).
            b'-' if matches!(b.get(i + 1), Some(b'?' | b'$')) => i += 1,
            b'<' | b'>' => {
                i += 1;
                if matches!(b.get(i), Some(b'=' | b'>')) {
                    i += 1;
                }
            }
            b':' if b.get(i + 1) == Some(&b':') => i += 2,
            _ => {
                let ch = sql[start..].chars().next().unwrap_or('?');
                return Err(format!("character {ch:?} at {start}"));
            }
        }
    }
    Ok(())
}

/// The quoted identifiers a mapping's SQL may use in `dialect`.
pub fn identifiers(mapping: &kfql::sql::Mapping, dialect: &dyn kfql::sql::Dialect) -> Vec<String> {
    let mut ids: Vec<String> = mapping
        .columns()
        .into_iter()
        .map(|(c, _)| dialect.quote_identifier(c))
        .collect();
    ids.extend(
        mapping
            .table()
            .split('.')
            .map(|p| dialect.quote_identifier(p)),
    );
    ids.push("\"C\"".to_owned());
    ids
}
