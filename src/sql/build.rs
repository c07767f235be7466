//! Filter + Sort + Page → SQL text and parameters.
//!
//! Every value becomes a parameter; the text holds only keywords,
//! operators, placeholders, the small integers of enum ranks, the two
//! constant literals `' '` (for `rtrim`) and the `LIKE` escape, and
//! identifiers from the [`Mapping`].

use super::{Dialect, Mapping, Param, datetime_text_of_nanos};
use crate::filter::{Node, Test, TextOp};
use crate::schema::{Field, FieldType};
use crate::text::cmp_folded;
use crate::value::{Nanos, format_guid};
use crate::{Error, ErrorKind, Filter, Page, Sort};

const TRUE: &str = "1 = 1";
const FALSE: &str = "1 = 0";

pub(super) struct Builder<'a> {
    pub(super) mapping: &'a Mapping,
    pub(super) dialect: &'a dyn Dialect,
    pub(super) params: Vec<Param>,
}

impl Builder<'_> {
    fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        self.dialect
            .placeholder(self.params.len(), &self.params[self.params.len() - 1])
    }

    fn column(&self, field: &Field) -> Result<String, Error> {
        if field.ty() == &FieldType::StringList {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "`{}` is a string list, which kfql cannot yet run in SQL",
                    field.name()
                ),
            ));
        }
        self.mapping.expression(field, self.dialect).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidSchema,
                format!("`{}` has no column in the SQL mapping", field.name()),
            )
        })
    }

    /// The WHERE condition of `filter`.
    pub(super) fn condition(&mut self, filter: &Filter) -> Result<String, Error> {
        // Iterative, so deep ASTs cannot exhaust the stack: a stack of
        // frames (node, index of the next child, parts so far).
        enum Frame<'n> {
            Group(&'n [Node], bool, usize, Vec<String>),
        }
        let mut stack: Vec<Frame<'_>> = Vec::new();
        let mut done: Option<String> = None;
        let mut node = Some(&filter.root);
        loop {
            if let Some(n) = node.take() {
                match n {
                    Node::All => done = Some(TRUE.to_owned()),
                    Node::And(xs) => stack.push(Frame::Group(xs, true, 0, Vec::new())),
                    Node::Or(xs) => stack.push(Frame::Group(xs, false, 0, Vec::new())),
                    Node::Test(slot, test) => {
                        let field = &filter.schema.fields()[*slot];
                        done = Some(self.test(field, test)?);
                    }
                }
            }
            let Some(Frame::Group(xs, and, next, parts)) = stack.last_mut() else {
                return Ok(done.unwrap_or_else(|| TRUE.to_owned()));
            };
            if let Some(part) = done.take() {
                parts.push(part);
            }
            if *next < xs.len() {
                node = Some(&xs[*next]);
                *next += 1;
                continue;
            }
            let (and, parts) = (*and, std::mem::take(parts));
            stack.pop();
            done = Some(match parts.len() {
                0 if and => TRUE.to_owned(),
                0 => FALSE.to_owned(),
                1 => parts.into_iter().next().unwrap_or_default(),
                _ => format!("({})", parts.join(if and { " AND " } else { " OR " })),
            });
        }
    }

    fn test(&mut self, field: &Field, test: &Test) -> Result<String, Error> {
        let col = self.column(field)?;
        let d = self.dialect;
        Ok(match test {
            Test::IsNull => format!("{col} IS NULL"),
            Test::NotNull => format!("{col} IS NOT NULL"),
            Test::Text {
                how,
                needle,
                negate,
            } => {
                let needle = needle.as_str();
                if needle.contains('\0') {
                    // Stored text holds no U+0000 (PostgreSQL cannot; SQLite's
                    // string functions stop there): nothing equals or
                    // contains such a value.
                    return Ok(if *negate {
                        format!("{col} IS NOT NULL")
                    } else {
                        FALSE.to_owned()
                    });
                }
                if *how == TextOp::Equals {
                    let lhs = d.code_point_order(&d.fold(&d.trim_spaces(&col)));
                    let p = self.param(Param::Text(needle.to_owned()));
                    let op = if *negate { "<>" } else { "=" };
                    format!("{lhs} {op} {p}")
                } else {
                    let escaped = like_escape(needle, d.like_escape_char());
                    let pattern = match how {
                        TextOp::StartsWith => format!("{escaped}%"),
                        TextOp::EndsWith => format!("%{escaped}"),
                        _ => format!("%{escaped}%"),
                    };
                    let lhs = d.code_point_order(&d.fold(&col));
                    let p = self.param(Param::Text(pattern));
                    let op = if *negate { "NOT LIKE" } else { "LIKE" };
                    format!("{lhs} {op} {p} ESCAPE {}", d.like_escape_literal())
                }
            }
            Test::Range {
                lo,
                hi,
                negate,
                time,
                ..
            } => self.range(&col, *lo, *hi, *negate, *time),
            Test::Guid { value, negate } => {
                let p = self.param(Param::Text(format_guid(*value)));
                format!("{col} {} {p}", if *negate { "<>" } else { "=" })
            }
            Test::Bool { value, negate } => {
                let p = self.param(Param::Bool(*value));
                format!("{col} {} {p}", if *negate { "<>" } else { "=" })
            }
            Test::Enum { index, negate } => {
                let FieldType::Enum(names) = field.ty() else {
                    return Ok(FALSE.to_owned());
                };
                let Some(name) = names.get(*index) else {
                    return Ok(FALSE.to_owned());
                };
                let p = self.param(Param::Text(name.clone()));
                format!("{col} {} {p}", if *negate { "<>" } else { "=" })
            }
            Test::EnumSet { mask } => {
                let FieldType::Enum(names) = field.ty() else {
                    return Ok(FALSE.to_owned());
                };
                let mut alternatives = Vec::new();
                for (i, name) in names.iter().enumerate().take(128) {
                    if (mask >> i) & 1 == 1 {
                        let p = self.param(Param::Text(name.clone()));
                        alternatives.push(format!("{col} = {p}"));
                    }
                }
                if alternatives.is_empty() {
                    return Ok(FALSE.to_owned());
                }
                format!("({})", alternatives.join(" OR "))
            }
        })
    }

    /// `lo <= v < hi` (or its negation, on non-null values), with the
    /// bounds clipped to what the column can hold: i64 for integers, years
    /// 1–9999 for datetimes. Clipping is exact because no stored value lies
    /// outside.
    fn range(&mut self, col: &str, lo: Nanos, hi: Nanos, negate: bool, time: bool) -> String {
        let (min, max) = if time {
            (super::MIN_NANOS, super::MAX_NANOS)
        } else {
            (Nanos::from(i64::MIN), Nanos::from(i64::MAX))
        };
        let (lo, hi) = (lo.max(min), hi.min(max + 1));
        if lo >= hi {
            // Nothing is inside: -eq matches nothing, -ne every value.
            return if negate {
                format!("{col} IS NOT NULL")
            } else {
                FALSE.to_owned()
            };
        }
        let mut parts = Vec::new();
        let cmp = if time {
            self.dialect.code_point_order(col)
        } else {
            col.to_owned()
        };
        let bound = |b: &mut Self, n: Nanos| {
            let p = if time {
                Param::Text(datetime_text_of_nanos(n).unwrap_or_default())
            } else {
                Param::Int(i64::try_from(n).unwrap_or(i64::MAX))
            };
            b.param(p)
        };
        if lo > min {
            let p = bound(self, lo);
            parts.push(format!("{cmp} >= {p}"));
        }
        if hi <= max {
            let p = bound(self, hi);
            parts.push(format!("{cmp} < {p}"));
        }
        match (parts.len(), negate) {
            (0, false) => format!("{col} IS NOT NULL"),
            (0, true) => FALSE.to_owned(),
            (_, false) => format!("({})", parts.join(" AND ")),
            (_, true) => format!("NOT ({})", parts.join(" AND ")),
        }
    }

    /// The ORDER BY list of docs/LANGUAGE.md, “Sorting and paging”: the sort field with explicit null
    /// placement, the key ascending, the input order.
    pub(super) fn order_by(&mut self, sort: &Sort) -> Result<String, Error> {
        let schema = self.mapping.schema().clone();
        sort.check_schema(&schema)?;
        let mut items = Vec::new();
        // A sort on no field at all (a schema with neither default sort
        // field nor key) is input order alone.
        if let Some(field) = sort.sort_field() {
            let e = self.sort_expression(field, true)?;
            items.push(if sort.is_descending() {
                format!("{e} DESC NULLS LAST")
            } else {
                format!("{e} ASC NULLS FIRST")
            });
        }
        if let Some(key) = schema.key() {
            let e = self.sort_expression(key, false)?;
            items.push(format!("{e} ASC NULLS FIRST"));
        }
        if let Some(order) = self.mapping.input_order_column() {
            items.push(format!("{} ASC", self.dialect.quote_identifier(order)));
        }
        if items.is_empty() {
            items.push("1".to_owned());
        }
        Ok(items.join(", "))
    }

    /// How `field` orders: folded text without trailing spaces in code
    /// point order; enum names by rank (by folded name for the sort
    /// field, by declaration order for the key, as `Sort::compare` does);
    /// text GUIDs and datetimes in code point order; the rest by value.
    fn sort_expression(&mut self, field: &Field, sort_field: bool) -> Result<String, Error> {
        let col = self.column(field)?;
        let d = self.dialect;
        Ok(match field.ty() {
            FieldType::String => d.code_point_order(&d.fold(&d.trim_spaces(&col))),
            FieldType::Guid | FieldType::DateTime => d.code_point_order(&col),
            FieldType::Enum(names) => {
                let mut order: Vec<usize> = (0..names.len()).collect();
                if sort_field {
                    order.sort_by(|&a, &b| cmp_folded(&names[a], &names[b]));
                }
                let mut case = format!("CASE {col}");
                for (rank, &i) in order.iter().enumerate() {
                    let p = self.param(Param::Text(names[i].clone()));
                    case.push_str(&format!(" WHEN {p} THEN {rank}"));
                }
                case.push_str(" END");
                case
            }
            _ => col,
        })
    }

    /// `LIMIT … OFFSET …` with both in i64: the offset saturates at
    /// i64::MAX, which no table reaches, so the page is still empty.
    pub(super) fn limit(&mut self, page: Page) -> String {
        let limit = i64::try_from(page.limit()).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let l = self.param(Param::Int(limit));
        let o = self.param(Param::Int(offset));
        format!("LIMIT {l} OFFSET {o}")
    }
}

/// `text` with `%`, `_` and `escape` preceded by `escape`.
pub(super) fn like_escape(text: &str, escape: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if c == '%' || c == '_' || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out
}
