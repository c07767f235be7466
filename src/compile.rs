//! [`Query`] + [`Schema`] + [`Context`] → [`Filter`].
//!
//! This is the only stage that knows the schema. It resolves field names,
//! checks each operator against the field's type, expands tokens, converts
//! the value, folds text once, and turns every integer and datetime
//! comparison into an interval test. Errors point at the token's own span.

use crate::error::closest;
use crate::filter::{Filter, Node, Test, TextOp};
use crate::schema::{Field, FieldType, Schema};
use crate::syntax::ast::{Comparison, Expr, Op, Query, Value};
use crate::text::{Needle, trim_spaces};
use crate::value::{self, Nanos, enum_index};
use crate::{Context, Error, ErrorKind};

/// Deserialized ASTs are not bound by a parser's limits; compiling and
/// evaluating recurse, so their depth is bounded here as the parser's is:
/// each parenthesis adds one level, and the comparisons sit one below the
/// innermost group.
const MAX_DEPTH: usize = crate::Limits::MAX_DEPTH + 1;

impl Query {
    /// Check the query against `schema` and resolve it in `ctx`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use kfql::{Context, ErrorKind, keyfactor};
    ///
    /// let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap());
    /// let q = kfql::parse(r#"StartDat -ge "%TODAY-30%""#)?;
    /// let err = q.compile(&keyfactor::schema(), &ctx).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::UnknownField);
    /// assert_eq!(err.suggestion(), Some("did you mean `StartDate`?"));
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn compile(&self, schema: &Schema, ctx: &Context) -> Result<Filter, Error> {
        let root = match &self.expr {
            None => Node::All,
            Some(e) => Compiler { schema, ctx }.expr(e, 0)?,
        };
        Ok(Filter::new(schema.clone(), root))
    }
}

struct Compiler<'a> {
    schema: &'a Schema,
    ctx: &'a Context,
}

impl Compiler<'_> {
    fn expr(&self, e: &Expr, depth: usize) -> Result<Node, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::NestingTooDeep,
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        // A plain loop rather than iterator adapters: in debug builds each
        // adapter adds frames to every nesting level.
        let (xs, and) = match e {
            Expr::Compare(c) => return self.comparison(c),
            Expr::And(xs) => (xs, true),
            Expr::Or(xs) => (xs, false),
        };
        let mut nodes = Vec::with_capacity(xs.len());
        for x in xs {
            nodes.push(self.expr(x, depth + 1)?);
        }
        if !and && let Some(set) = enum_set(&nodes) {
            return Ok(set);
        }
        let nodes = nodes.into_boxed_slice();
        Ok(if and {
            Node::And(nodes)
        } else {
            Node::Or(nodes)
        })
    }

    fn field(&self, c: &Comparison) -> Result<&Field, Error> {
        // docs/LANGUAGE.md, “Workflow instances”: using a field a query cannot use is an error that lists
        // the ones it can; a close match or the field's hint is the suggestion.
        let queryable = self.schema.queryable_names().join(", ");
        let Some(field) = self.schema.field(&c.field) else {
            let err = Error::new(
                ErrorKind::UnknownField,
                format!(
                    "`{}` is not a field of {}; the fields a query can use are {queryable}",
                    c.field,
                    self.schema.name()
                ),
            )
            .with_span(c.field_span);
            let names = self.schema.queryable_names();
            return Err(match closest(&c.field, names.iter().copied()) {
                Some(s) => err.with_suggestion(format!("did you mean `{s}`?")),
                None => err,
            });
        };
        if !field.queryable() {
            let err = Error::new(
                ErrorKind::FieldNotQueryable,
                format!(
                    "`{}` cannot be used in a query; the fields a query can use are {queryable}",
                    field.name()
                ),
            )
            .with_span(c.field_span);
            return Err(match field.hint() {
                Some(h) => err.with_suggestion(h.to_owned()),
                None => err,
            });
        }
        Ok(field)
    }

    // Kept out of line: `expr` recurses once per nesting level, and this
    // function's large frame must not be part of every level.
    #[inline(never)]
    fn comparison(&self, c: &Comparison) -> Result<Node, Error> {
        let field = self.field(c)?;
        let slot = field.index();
        let text = match &c.value {
            Value::Null => {
                return Ok(Node::Test(
                    slot,
                    if c.op == Op::Eq {
                        Test::IsNull
                    } else {
                        Test::NotNull
                    },
                ));
            }
            Value::Text(t) => t,
        };
        let allowed = field.ty().operators();
        if !allowed.contains(&c.op) {
            let names: Vec<&str> = allowed.iter().map(|o| o.as_str()).collect();
            let ty = field.ty().name();
            let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(Error::new(
                ErrorKind::OperatorNotAllowed,
                format!(
                    "{} does not apply to `{}`, {article} {ty} field",
                    c.op,
                    field.name(),
                ),
            )
            .with_span(c.op_span)
            .with_suggestion(format!("use one of {}", names.join(", "))));
        }
        let expanded = value::expand_tokens(text, self.ctx).map_err(|e| e.at(c.value_span))?;
        let invalid = |what: String| {
            Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "`{}` is not {what} for `{}`",
                    crate::render::shorten(&expanded, 60),
                    field.name()
                ),
            )
            .with_span(c.value_span)
        };
        let negate = matches!(c.op, Op::Ne | Op::NotContains);
        let test = match field.ty() {
            FieldType::String | FieldType::StringList => {
                let how = match c.op {
                    Op::Eq | Op::Ne => TextOp::Equals,
                    Op::Contains | Op::NotContains => TextOp::Contains,
                    Op::StartsWith => TextOp::StartsWith,
                    _ => TextOp::EndsWith,
                };
                let needle = if how == TextOp::Equals {
                    trim_spaces(&expanded)
                } else {
                    &expanded
                };
                Test::Text {
                    how,
                    needle: Needle::new(needle),
                    negate,
                }
            }
            FieldType::Integer => {
                let n = value::parse_integer(&expanded).ok_or_else(|| {
                    invalid("an integer (digits with an optional sign, within 64 bits)".into())
                })?;
                let n = Nanos::from(n);
                range(c.op, (n, n + 1), false)
            }
            FieldType::DateTime => {
                let lit = value::parse_datetime(&expanded).map_err(|m| {
                    Error::new(
                        ErrorKind::InvalidValue,
                        format!("{m}, for `{}`", field.name()),
                    )
                    .with_span(c.value_span)
                })?;
                let (lo, hi) = lit.interval(self.ctx.time_zone());
                range(c.op, (lo, hi), true)
            }
            FieldType::Guid => {
                let value = value::parse_guid(&expanded).ok_or_else(|| {
                    invalid(
                        "a GUID (32 hex digits, optionally hyphenated 8-4-4-4-12 and braced)"
                            .into(),
                    )
                })?;
                Test::Guid { value, negate }
            }
            FieldType::Boolean => {
                let value = value::parse_bool(&expanded)
                    .ok_or_else(|| invalid("`true` or `false`".into()))?;
                Test::Bool { value, negate }
            }
            FieldType::Enum(names) => {
                let Some(index) = enum_index(names, &expanded) else {
                    let err = invalid(format!("one of {}", names.join(", ")));
                    return Err(
                        match closest(trim_spaces(&expanded), names.iter().map(String::as_str)) {
                            Some(s) => err.with_suggestion(format!("did you mean `{s}`?")),
                            None => err,
                        },
                    );
                };
                Test::Enum { index, negate }
            }
            FieldType::Object => unreachable!("objects have no operators"),
        };
        Ok(Node::Test(slot, test))
    }
}

/// `F -eq "a" OR F -eq "b" …` on one enum field as one set test, so that
/// evaluation reads the field once instead of walking a chain.
fn enum_set(nodes: &[Node]) -> Option<Node> {
    let mut slot = None;
    let mut mask = 0u128;
    for n in nodes {
        let Node::Test(
            s,
            Test::Enum {
                index,
                negate: false,
            },
        ) = n
        else {
            return None;
        };
        if *slot.get_or_insert(*s) != *s || *index >= 128 {
            return None;
        }
        mask |= 1 << index;
    }
    Some(Node::Test(slot?, Test::EnumSet { mask }))
}

/// The test for `op` against a value that equals the stored values in
/// `[lo, hi)` (a day, a whole nanosecond, an integer, or nothing at all
/// when the value falls between two nanoseconds).
fn range(op: Op, (lo, hi): (Nanos, Nanos), time: bool) -> Test {
    let (lo, hi, negate) = match op {
        Op::Eq => (lo, hi, false),
        Op::Ne => (lo, hi, true),
        Op::Lt => (Nanos::MIN, lo, false),
        Op::Le => (Nanos::MIN, hi, false),
        Op::Gt => (hi, Nanos::MAX, false),
        _ => (lo, Nanos::MAX, false),
    };
    let at = time.then(|| (instant(lo), instant(hi)));
    Test::Range {
        at,
        lo,
        hi,
        negate,
        time,
    }
}

/// `n` nanoseconds as a chrono instant, clamped to chrono's range (stored
/// instants lie in years 1–9999, far inside it, so clamping is exact).
fn instant(n: Nanos) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DateTime, Utc};
    let (secs, nanos) = (n.div_euclid(1_000_000_000), n.rem_euclid(1_000_000_000));
    i64::try_from(secs)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, u32::try_from(nanos).ok()?))
        .unwrap_or(if n < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}
