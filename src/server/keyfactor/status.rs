//! Status as an integer (`--status-format integer`).
//!
//! Keyfactor's OpenAPI-generated clients (keyfactor-v-1-client) decode
//! Status as an integer enum with the values 0 to 6, and the vendor
//! publishes no mapping to the names. kfql assumes this one, which is an
//! assumption and not the vendor's word:
//!
//! | integer | Status |
//! |---|---|
//! | 0 | (none: never written, refused in queries) |
//! | 1 | CanceledForRestart |
//! | 2 | Complete |
//! | 3 | Failed |
//! | 4 | Rejected |
//! | 5 | Running |
//! | 6 | Suspended |
//!
//! The client's enum has seven values for six names; .NET enums keep 0 for
//! the unset default, so 0 is left for that, and the six names follow in
//! kfql's order, which is alphabetical: sorting by Status sorts by these
//! integers too.
//!
//! In this mode a query may give Status as a name or as one of these
//! integers (`Status -eq 3`, `Status -ne "5"`): the integers are turned
//! into names in the syntax tree before compiling, so every other rule,
//! and every error's position, stays the same.

use crate::keyfactor::{STATUS_NAMES, Status};
use crate::{Enum, Error, ErrorKind, Expr, Op, Query, Value};

/// The integer written for `status`.
pub fn integer(status: Status) -> u64 {
    status.index() as u64 + 1
}

/// The status an integer stands for, if any.
fn name_of(n: u64) -> Option<&'static str> {
    let i = usize::try_from(n.checked_sub(1)?).ok()?;
    STATUS_NAMES.get(i).copied()
}

/// Rewrites `Status -eq N` and `Status -ne N` to the names; an integer
/// that names no status is an error at the value.
pub(crate) fn names_for_integers(query: &mut Query) -> Result<(), Error> {
    // An explicit stack, as the AST's own walks: nesting may be deep.
    let mut stack: Vec<&mut Expr> = query.expr.iter_mut().collect();
    while let Some(e) = stack.pop() {
        let c = match e {
            Expr::Compare(c) => c,
            Expr::And(xs) | Expr::Or(xs) => {
                stack.extend(xs.iter_mut());
                continue;
            }
        };
        // Other operators are left for the compiler to refuse.
        if !c.field.eq_ignore_ascii_case("Status") || !matches!(c.op, Op::Eq | Op::Ne) {
            continue;
        }
        let Value::Text(text) = &c.value else {
            continue;
        };
        // Enum values ignore trailing spaces, as names do.
        let digits = text.trim_end_matches(' ');
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        match digits.parse::<u64>().ok().and_then(name_of) {
            Some(name) => c.value = Value::Text(name.to_owned()),
            None => {
                let list: Vec<String> = STATUS_NAMES
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{} {n}", i + 1))
                    .collect();
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("`{digits}` is not a Status: the integers are 1 to 6"),
                )
                .with_span(c.value_span)
                .with_suggestion(format!("use a name or one of {}", list.join(", "))));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_the_names_order() {
        assert_eq!(integer(Status::CanceledForRestart), 1);
        assert_eq!(integer(Status::Suspended), 6);
        for s in Status::ALL {
            assert_eq!(name_of(integer(s)), Some(s.name()));
        }
        assert_eq!(name_of(0), None);
        assert_eq!(name_of(7), None);
    }

    #[test]
    fn integers_become_names_and_spans_stay() {
        let mut q =
            crate::parse(r#"Title -eq "3" AND (status -eq 3 OR Status -ne "5  ")"#).unwrap();
        names_for_integers(&mut q).unwrap();
        assert_eq!(
            q.to_string(),
            r#"Title -eq "3" AND (status -eq "Failed" OR Status -ne "Running")"#
        );
        let text = "Status -eq 7";
        let mut q = crate::parse(text).unwrap();
        let err = names_for_integers(&mut q).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert_eq!(err.span(), Some(crate::Span::new(11, 12)));
        let mut q = crate::parse("Status -eq 99999999999999999999999").unwrap();
        assert!(names_for_integers(&mut q).is_err());
    }
}
