//! Filter + Sort + Page → SQL text and parameters.
//!
//! Every value becomes a parameter; the text holds only keywords,
//! function names, operators, placeholders, the small integers of enum
//! ranks and of `instr` results, the two constant literals `' '` (for
//! `rtrim`) and the `LIKE` escape, and identifiers from the [`Mapping`].

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
            Group(&'n [Node], bool, usize, Vec<Shaped>),
        }
        let mut stack: Vec<Frame<'_>> = Vec::new();
        let mut done: Option<Shaped> = None;
        let mut node = Some(&filter.root);
        loop {
            if let Some(n) = node.take() {
                match n {
                    Node::All => done = Some(Shaped::Plain(Part::leaf(TRUE.to_owned()))),
                    Node::And(xs) => stack.push(Frame::Group(xs, true, 0, Vec::new())),
                    Node::Or(xs) => stack.push(Frame::Group(xs, false, 0, Vec::new())),
                    Node::Test(slot, test) => {
                        let field = &filter.schema.fields()[*slot];
                        done = Some(Shaped::Plain(self.test(field, test)?));
                    }
                }
            }
            let Some(Frame::Group(xs, and, next, parts)) = stack.last_mut() else {
                return Ok(done.map_or_else(|| TRUE.to_owned(), |d| d.finish().sql));
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
            done = Some(group(and, parts));
        }
    }

    fn test(&mut self, field: &Field, test: &Test) -> Result<Part, Error> {
        let col = self.column(field)?;
        let d = self.dialect;
        Ok(Part::leaf(match test {
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
                    return Ok(Part::leaf(if *negate {
                        format!("{col} IS NOT NULL")
                    } else {
                        FALSE.to_owned()
                    }));
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
                    if d.max_like_pattern().is_some_and(|max| pattern.len() > max) {
                        return Ok(Part::leaf(self.without_like(&col, *how, needle, *negate)));
                    }
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
                    return Ok(Part::leaf(FALSE.to_owned()));
                };
                let Some(name) = names.get(*index) else {
                    return Ok(Part::leaf(FALSE.to_owned()));
                };
                let p = self.param(Param::Text(name.clone()));
                format!("{col} {} {p}", if *negate { "<>" } else { "=" })
            }
            Test::EnumSet { mask } => {
                let FieldType::Enum(names) = field.ty() else {
                    return Ok(Part::leaf(FALSE.to_owned()));
                };
                let mut alternatives = Vec::new();
                for (i, name) in names.iter().enumerate().take(128) {
                    if (mask >> i) & 1 == 1 {
                        let p = self.param(Param::Text(name.clone()));
                        alternatives.push(Part::leaf(format!("{col} = {p}")));
                    }
                }
                if alternatives.is_empty() {
                    return Ok(Part::leaf(FALSE.to_owned()));
                }
                return Ok(list(false, alternatives));
            }
        }))
    }

    /// A `-contains`, `-notcontains`, `-startswith` or `-endswith` of a
    /// needle whose `LIKE` pattern the engine would refuse as too long:
    /// the same test with the engine's position and suffix functions,
    /// which need no pattern. The needle is not empty (its pattern is
    /// long), and both sides are folded, so exact comparison is right.
    fn without_like(&mut self, col: &str, how: TextOp, needle: &str, negate: bool) -> String {
        let d = self.dialect;
        let hay = d.fold(col);
        if how == TextOp::EndsWith {
            let chars = i64::try_from(needle.chars().count()).unwrap_or(i64::MAX);
            let n = self.param(Param::Int(chars));
            let suffix = d.code_point_order(&d.suffix(&hay, &n));
            let p = self.param(Param::Text(needle.to_owned()));
            return format!("{suffix} {} {p}", if negate { "<>" } else { "=" });
        }
        let p = self.param(Param::Text(needle.to_owned()));
        let at = d.position(&hay, &p);
        match (how, negate) {
            (TextOp::StartsWith, false) => format!("{at} = 1"),
            (TextOp::StartsWith, true) => format!("{at} <> 1"),
            (_, false) => format!("{at} > 0"),
            (_, true) => format!("{at} = 0"),
        }
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

// How the condition nests. SQLite parses `a OR b OR c` into a tree one
// level deeper per term and refuses expressions deeper than
// SQLITE_MAX_EXPR_DEPTH (1,000 unless compiled otherwise, and an
// application may lower it), so a long group or deep nesting written
// naively is SQL SQLite will not run. The parts below keep the depth, as
// SQLite counts it, logarithmic in a group's length and bounded under
// nesting, without changing the meaning.

/// Parts of one group beyond this many are written as nested groups of at
/// most this many each: at most GROUP levels of depth per level of
/// groups, and log_GROUP(n) levels of groups for n parts (a bound of 48
/// for 1,024 parts and 64 for 10,000; measured, 36 and about 50).
const GROUP: usize = 16;

/// A condition whose plain form would be deeper than this is written as a
/// CASE chain instead (see [`Shaped::Chain`]). Far enough below SQLite's
/// 1,000 that the chain's own levels fit on top; high enough that
/// nesting as deep as the default limit of 64 usually stays plain
/// (1,024 comparisons nested 64 deep measure 137), keeping the common
/// form readable and its placeholders in order.
const PLAIN_DEPTH: usize = 200;

/// An upper bound on the depth of one comparison as SQLite counts it: the
/// comparison over COLLATE over up to three nested function calls
/// (`kfql_fold(rtrim(COALESCE(…)))`) over the column.
const LEAF_DEPTH: usize = 8;

/// SQL for part of the condition, and its depth as SQLite counts it.
struct Part {
    sql: String,
    depth: usize,
}

impl Part {
    fn leaf(sql: String) -> Part {
        Part {
            sql,
            depth: LEAF_DEPTH,
        }
    }
}

/// A finished part of the condition: plain SQL, or a chain still open at
/// the top so that the groups around it can extend it.
enum Shaped {
    Plain(Part),
    /// `CASE WHEN … THEN … ELSE last END`, each step in `steps_rev` (the
    /// outermost last) a group of the parts beside the nested one: for an
    /// AND group, `WHEN (others) IS NOT TRUE THEN 1 = 0`; for OR,
    /// `WHEN others THEN 1 = 1`; the nested part continues after them.
    /// Nesting AND in OR in AND … becomes one flat list of WHENs, so its
    /// depth does not grow with the nesting. A null in a WHEN does not
    /// take the branch, as a null comparison does not match.
    Chain {
        steps_rev: Vec<(Part, bool)>,
        last: Part,
        depth: usize,
    },
}

impl Shaped {
    fn depth(&self) -> usize {
        match self {
            Shaped::Plain(p) => p.depth,
            Shaped::Chain { depth, .. } => *depth,
        }
    }

    fn finish(self) -> Part {
        let (steps_rev, last, depth) = match self {
            Shaped::Plain(p) => return p,
            Shaped::Chain {
                steps_rev,
                last,
                depth,
            } => (steps_rev, last, depth),
        };
        let mut sql = String::from("CASE");
        for (g, and) in steps_rev.into_iter().rev() {
            if and {
                sql.push_str(&format!(" WHEN ({}) IS NOT TRUE THEN {FALSE}", g.sql));
            } else {
                sql.push_str(&format!(" WHEN {} THEN {TRUE}", g.sql));
            }
        }
        sql.push_str(&format!(" ELSE {} END", last.sql));
        Part { sql, depth }
    }
}

/// A group of `parts` (AND when `and`), shaped so that its depth stays
/// within [`PLAIN_DEPTH`] when it can, and in a CASE chain otherwise.
fn group(and: bool, mut parts: Vec<Shaped>) -> Shaped {
    match parts.len() {
        0 => return Shaped::Plain(Part::leaf(if and { TRUE } else { FALSE }.to_owned())),
        1 => {
            return parts
                .pop()
                .unwrap_or(Shaped::Plain(Part::leaf(TRUE.to_owned())));
        }
        _ => {}
    }
    let plain = parts.iter().all(|p| matches!(p, Shaped::Plain(_)));
    if plain {
        let depths: Vec<usize> = parts.iter().map(Shaped::depth).collect();
        if list_depth(&depths) <= PLAIN_DEPTH {
            return Shaped::Plain(list(and, parts.into_iter().map(Shaped::finish).collect()));
        }
    }
    // The deepest part continues the chain (the last of equals, so that
    // a group nested last keeps the query's order in the text); the
    // others become one step. The chain's text then lists those others
    // before the nested part's own steps, so placeholders may appear out
    // of numeric order; each names its parameter, which stays in the
    // query's order.
    let mut deepest = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.depth() >= parts[deepest].depth() {
            deepest = i;
        }
    }
    let inner = parts.remove(deepest);
    let others = list(and, parts.into_iter().map(Shaped::finish).collect());
    // IS NOT TRUE and CASE each add a level.
    let step_depth = others.depth + 2;
    match inner {
        Shaped::Plain(last) => Shaped::Chain {
            depth: step_depth.max(last.depth + 1),
            steps_rev: vec![(others, and)],
            last,
        },
        Shaped::Chain {
            mut steps_rev,
            last,
            depth,
        } => {
            steps_rev.push((others, and));
            Shaped::Chain {
                steps_rev,
                last,
                depth: depth.max(step_depth),
            }
        }
    }
}

/// The depth of `a OP b OP c …` with parts of `depths`: SQLite nests it
/// to the left, `((a OP b) OP c) …`, so the first two parts sit
/// `len - 1` levels down and each later one a level less.
fn flat_depth(depths: &[usize]) -> usize {
    let n = depths.len();
    depths
        .iter()
        .enumerate()
        .map(|(i, d)| d + n - i.max(1))
        .max()
        .unwrap_or(0)
}

/// How [`list`] writes parts of these depths.
enum Shape {
    One,
    Flat,
    /// Nested groups of [`GROUP`] parts each.
    Chunks,
    /// `(before) OP deepest OP (after)`, around the part at this index, so
    /// that a deep part sits at most two levels down wherever it is.
    Around(usize),
}

fn shape(depths: &[usize]) -> (Shape, usize) {
    let n = depths.len();
    if n <= 1 {
        return (Shape::One, depths.first().copied().unwrap_or(0));
    }
    if n > GROUP {
        let chunks: Vec<usize> = depths.chunks(GROUP).map(list_depth).collect();
        return (Shape::Chunks, list_depth(&chunks));
    }
    let flat = flat_depth(depths);
    let mut deepest = 0;
    for (i, &d) in depths.iter().enumerate() {
        if d > depths[deepest] {
            deepest = i;
        }
    }
    let mut around = Vec::with_capacity(3);
    if deepest > 0 {
        around.push(list_depth(&depths[..deepest]));
    }
    around.push(depths[deepest]);
    if deepest + 1 < n {
        around.push(list_depth(&depths[deepest + 1..]));
    }
    let split = flat_depth(&around);
    if split < flat {
        (Shape::Around(deepest), split)
    } else {
        (Shape::Flat, flat)
    }
}

fn list_depth(depths: &[usize]) -> usize {
    shape(depths).1
}

/// `(p1 OP p2 OP …)`, nested as [`shape`] says: the same parts in the same
/// order, so the same meaning and the same placeholder order.
fn list(and: bool, mut parts: Vec<Part>) -> Part {
    let depths: Vec<usize> = parts.iter().map(|p| p.depth).collect();
    let (how, depth) = shape(&depths);
    let joined = |parts: Vec<Part>| {
        let sql: Vec<String> = parts.into_iter().map(|p| p.sql).collect();
        format!("({})", sql.join(if and { " AND " } else { " OR " }))
    };
    let sql = match how {
        Shape::One => return parts.pop().unwrap_or_else(|| Part::leaf(TRUE.to_owned())),
        Shape::Flat => joined(parts),
        Shape::Chunks => {
            let mut chunks = Vec::with_capacity(parts.len().div_ceil(GROUP));
            let mut rest = parts.into_iter().peekable();
            while rest.peek().is_some() {
                chunks.push(list(and, rest.by_ref().take(GROUP).collect()));
            }
            return list(and, chunks);
        }
        Shape::Around(i) => {
            let after = parts.split_off(i + 1);
            let deepest = parts.pop();
            let mut items = Vec::with_capacity(3);
            if !parts.is_empty() {
                items.push(list(and, parts));
            }
            items.extend(deepest);
            if !after.is_empty() {
                items.push(list(and, after));
            }
            joined(items)
        }
    };
    Part { sql, depth }
}
