//! The syntax tree: faithful to the text, without a schema.
//!
//! Every comparison keeps the byte spans of its field, operator and value so
//! that later stages can point at them. Equality ignores spans, and
//! [`Display`](fmt::Display) prints the canonical form, so
//! `parse(&q.to_string()) == Ok(q)` for every parsed query.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Span;

/// A parsed query: `None` for an empty or blank query, which matches every
/// record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The expression, or `None` for the empty query.
    pub expr: Option<Expr>,
}

/// A boolean expression.
///
/// The parser keeps chains flat: `A AND B AND C` is one `And` with three
/// children, `(A AND B) AND C` is the same, and a parenthesised single
/// comparison is just the comparison. `And` and `Or` built by the parser
/// always have at least two children, and no `And` directly holds an `And`
/// (nor `Or` an `Or`); [`Display`](fmt::Display) still prints other shapes
/// faithfully, with parentheses.
///
/// The serde form spends one JSON nesting level per tree level, so that
/// the deepest query the default limits allow stays within serde_json's
/// default recursion limit: a chain is an array headed by its keyword,
/// `["AND", child, child, …]`, and a comparison is its object.
///
/// A tree built by hand may nest deeper than any parser limit. Building,
/// printing ([`Display`](fmt::Display)), comparing, cloning and dropping
/// one use a heap stack, not the call stack, so they work at any depth
/// (a million levels on a 2 MiB thread stack is tested). `Debug` and
/// `Serialize` recurse, one call per level: keep them to trees that
/// [`Limits::MAX_DEPTH`](crate::Limits::MAX_DEPTH) allows, which is all
/// that compiling accepts anyway. Because `Expr` implements `Drop`, its
/// children are borrowed, not moved, out of it: match on `&expr`, or take
/// a chain's children with `std::mem::take`.
#[derive(Debug)]
pub enum Expr {
    /// Every child holds.
    And(Vec<Expr>),
    /// At least one child holds.
    Or(Vec<Expr>),
    /// One comparison.
    Compare(Comparison),
}

/// `field operator value`, with spans.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    /// The field name as written (field names are matched ignoring case).
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The value, with escapes resolved and tokens not yet expanded.
    pub value: Value,
    /// The whole comparison.
    pub span: Span,
    /// The field name.
    pub field_span: Span,
    /// The operator.
    pub op_span: Span,
    /// The value, quotes included.
    pub value_span: Span,
}

impl PartialEq for Comparison {
    /// Spans are left out: two queries are equal when they say the same.
    fn eq(&self, other: &Comparison) -> bool {
        self.field == other.field && self.op == other.op && self.value == other.value
    }
}

impl Eq for Comparison {}

/// A comparison's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Option<String>", into = "Option<String>")]
pub enum Value {
    /// The bare keyword `NULL` (only with `-eq` and `-ne`).
    Null,
    /// Text, quoted or bare; `"NULL"` quoted is this, with four letters.
    /// A bare `5` and a quoted `"5"` are the same value.
    Text(String),
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
}

impl From<Value> for Option<String> {
    fn from(v: Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::Text(t) => Some(t),
        }
    }
}

/// A comparison operator. Operators are case-insensitive in queries and
/// print in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// `-eq`
    #[serde(rename = "-eq")]
    Eq,
    /// `-ne`
    #[serde(rename = "-ne")]
    Ne,
    /// `-contains`
    #[serde(rename = "-contains")]
    Contains,
    /// `-notcontains`
    #[serde(rename = "-notcontains")]
    NotContains,
    /// `-startswith`
    #[serde(rename = "-startswith")]
    StartsWith,
    /// `-endswith`
    #[serde(rename = "-endswith")]
    EndsWith,
    /// `-lt`
    #[serde(rename = "-lt")]
    Lt,
    /// `-le`
    #[serde(rename = "-le")]
    Le,
    /// `-gt`
    #[serde(rename = "-gt")]
    Gt,
    /// `-ge`
    #[serde(rename = "-ge")]
    Ge,
}

impl Op {
    /// Every operator, in the order the grammar lists them (see
    /// [`syntax`](crate::syntax)).
    pub const ALL: [Op; 10] = [
        Op::Eq,
        Op::Ne,
        Op::Contains,
        Op::NotContains,
        Op::StartsWith,
        Op::EndsWith,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
    ];

    /// The canonical spelling: `-eq`, `-notcontains`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "-eq",
            Op::Ne => "-ne",
            Op::Contains => "-contains",
            Op::NotContains => "-notcontains",
            Op::StartsWith => "-startswith",
            Op::EndsWith => "-endswith",
            Op::Lt => "-lt",
            Op::Le => "-le",
            Op::Gt => "-gt",
            Op::Ge => "-ge",
        }
    }

    /// The operator spelled `word` (with its `-`), ignoring ASCII case.
    pub fn from_word(word: &str) -> Option<Op> {
        Op::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Query {
    /// The field names the query references, in order of first use, each
    /// once (compared ignoring ASCII case, listed as first written).
    ///
    /// ```
    /// let q = kfql::parse(r#"Status -eq "Failed" OR (status -eq "Running" AND Title -contains "x")"#)?;
    /// assert_eq!(q.fields(), ["Status", "Title"]);
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.for_each_comparison(|c| {
            if !out.iter().any(|f| f.eq_ignore_ascii_case(&c.field)) {
                out.push(&c.field);
            }
        });
        out
    }

    /// Calls `f` on every comparison, left to right.
    pub fn for_each_comparison<'a>(&'a self, mut f: impl FnMut(&'a Comparison)) {
        // An explicit stack: a deserialized AST may nest deeper than any
        // parser limit, and walking it must not overflow the call stack.
        let mut stack: Vec<&Expr> = self.expr.iter().collect();
        while let Some(e) = stack.pop() {
            match e {
                Expr::Compare(c) => f(c),
                Expr::And(xs) | Expr::Or(xs) => stack.extend(xs.iter().rev()),
            }
        }
    }
}

/// `text` as a query value: double-quoted, with `"` and `\` escaped. The
/// safe way to put any text into a query.
///
/// ```
/// let name = r#"KEYEXAMPLE\o"brien"#;
/// let text = format!("InitiatingUserName -eq {}", kfql::quote(name));
/// assert_eq!(text, r#"InitiatingUserName -eq "KEYEXAMPLE\\o\"brien""#);
/// let q = kfql::parse(&text)?;
/// let Some(kfql::Expr::Compare(c)) = &q.expr else { unreachable!() };
/// assert_eq!(c.value, kfql::Value::Text(name.to_owned()));
/// # Ok::<(), kfql::Error>(())
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text);
    out
}

fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expr {
            Some(e) => e.fmt(f),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What is left to print, last part on top: an explicit stack, so
        // that a hand-built tree of any depth prints (see `Expr`).
        enum Part<'a> {
            Expr(&'a Expr),
            Text(&'static str),
        }
        let mut todo = vec![Part::Expr(self)];
        while let Some(part) = todo.pop() {
            let (parent, children, sep) = match part {
                Part::Text(text) => {
                    f.write_str(text)?;
                    continue;
                }
                Part::Expr(Expr::Compare(c)) => {
                    c.fmt(f)?;
                    continue;
                }
                Part::Expr(e @ Expr::And(xs)) => (e, xs, " AND "),
                Part::Expr(e @ Expr::Or(xs)) => (e, xs, " OR "),
            };
            for (i, child) in children.iter().enumerate().rev() {
                // OR inside AND needs parentheses for precedence; a chain
                // directly inside its own kind (never made by the parser)
                // gets them too so that the printed text keeps the tree's
                // shape.
                let paren = !matches!(
                    (parent, child),
                    (_, Expr::Compare(_)) | (Expr::Or(_), Expr::And(_))
                );
                if paren {
                    todo.push(Part::Text(")"));
                }
                todo.push(Part::Expr(child));
                if paren {
                    todo.push(Part::Text("("));
                }
                if i > 0 {
                    todo.push(Part::Text(sep));
                }
            }
        }
        Ok(())
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        // Children move to a heap stack and are emptied there before they
        // drop, so that no drop recurses more than one level.
        let mut todo = match self {
            Expr::And(xs) | Expr::Or(xs) if xs.iter().any(Expr::is_chain) => std::mem::take(xs),
            _ => return,
        };
        while let Some(mut e) = todo.pop() {
            if let Expr::And(xs) | Expr::Or(xs) = &mut e {
                todo.append(xs);
            }
        }
    }
}

impl Expr {
    fn is_chain(&self) -> bool {
        !matches!(self, Expr::Compare(_))
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        // Pairs still to compare: an explicit stack, as in `Display`.
        let mut todo = vec![(self, other)];
        while let Some(pair) = todo.pop() {
            match pair {
                (Expr::Compare(a), Expr::Compare(b)) if a == b => {}
                (Expr::And(xs), Expr::And(ys)) | (Expr::Or(xs), Expr::Or(ys))
                    if xs.len() == ys.len() =>
                {
                    todo.extend(xs.iter().zip(ys));
                }
                _ => return false,
            }
        }
        true
    }
}

impl Eq for Expr {}

impl Clone for Expr {
    fn clone(&self) -> Expr {
        // Post-order with an explicit stack: `Visit` copies a comparison
        // or schedules a chain's children, then `Build` collects the
        // copies of its `len` children from the top of `done`.
        enum Step<'a> {
            Visit(&'a Expr),
            Build(&'a Expr, usize),
        }
        let mut todo = vec![Step::Visit(self)];
        let mut done: Vec<Expr> = Vec::new();
        while let Some(step) = todo.pop() {
            match step {
                Step::Visit(Expr::Compare(c)) => done.push(Expr::Compare(c.clone())),
                Step::Visit(e @ (Expr::And(xs) | Expr::Or(xs))) => {
                    todo.push(Step::Build(e, xs.len()));
                    todo.extend(xs.iter().rev().map(Step::Visit));
                }
                Step::Build(e, len) => {
                    let children = done.split_off(done.len() - len);
                    done.push(match e {
                        Expr::And(_) => Expr::And(children),
                        _ => Expr::Or(children),
                    });
                }
            }
        }
        done.pop().expect("the root was built")
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.field, self.op)?;
        match &self.value {
            Value::Null => f.write_str("NULL"),
            Value::Text(t) => {
                let mut s = String::with_capacity(t.len() + 2);
                push_quoted(&mut s, t);
                f.write_str(&s)
            }
        }
    }
}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let (keyword, xs) = match self {
            Expr::Compare(c) => return c.serialize(s),
            Expr::And(xs) => ("AND", xs),
            Expr::Or(xs) => ("OR", xs),
        };
        let mut seq = s.serialize_seq(Some(xs.len() + 1))?;
        seq.serialize_element(keyword)?;
        for x in xs {
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Expr, D::Error> {
        struct ExprVisitor;
        impl<'de> serde::de::Visitor<'de> for ExprVisitor {
            type Value = Expr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a comparison object or an array [\"AND\" | \"OR\", expr, …]")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Expr, A::Error> {
                Comparison::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Expr::Compare)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Expr, A::Error> {
                let keyword: String = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let mut xs = Vec::new();
                while let Some(x) = seq.next_element()? {
                    xs.push(x);
                }
                match keyword.as_str() {
                    "AND" => Ok(Expr::And(xs)),
                    "OR" => Ok(Expr::Or(xs)),
                    other => Err(serde::de::Error::unknown_variant(other, &["AND", "OR"])),
                }
            }
        }
        d.deserialize_any(ExprVisitor)
    }
}
