//! The driver: `query`, `or_expr`, `and_expr`, `primary` and `comparison`.
//!
//! Chains and parentheses are parsed with an explicit stack of open groups
//! rather than by recursion, so that neither a 1,000-clause OR nor a
//! million `(` can exhaust the call stack, and so that the depth limit is
//! checked the moment a `(` would exceed it. Time is linear in the input:
//! every byte is looked at a bounded number of times and nothing
//! backtracks past a committed token.

use super::ast::{Comparison, Expr, Op, Query, Value};
use super::lexer::{self, Keyword, Unterminated};
use crate::{Error, ErrorKind, Limits, Span};

/// An open parenthesis (or the whole query): the finished OR branches and
/// the comparisons of the AND chain being read.
struct Group {
    ors: Chain,
    ands: Chain,
    open: usize,
}

impl Group {
    fn new(open: usize) -> Group {
        Group {
            ors: Chain::Empty,
            ands: Chain::Empty,
            open,
        }
    }

    fn end_and_chain(&mut self) {
        let and = std::mem::take(&mut self.ands).into_expr(Expr::And);
        self.ors.push_flat(and, |e| matches!(e, Expr::Or(_)));
    }

    fn finish(mut self) -> Expr {
        self.end_and_chain();
        self.ors.into_expr(Expr::Or)
    }
}

/// The children of a chain being read. Most groups and most queries hold a
/// single comparison, which this keeps without allocating.
#[derive(Default)]
enum Chain {
    #[default]
    Empty,
    One(Expr),
    Many(Vec<Expr>),
}

impl Chain {
    fn push(&mut self, e: Expr) {
        *self = match std::mem::take(self) {
            Chain::Empty => Chain::One(e),
            Chain::One(first) => Chain::Many(vec![first, e]),
            Chain::Many(mut xs) => {
                xs.push(e);
                Chain::Many(xs)
            }
        };
    }

    /// Push `e`, splicing its children in when it is a chain of the same
    /// kind, so that `(A AND B) AND C` is stored as one flat AND.
    fn push_flat(&mut self, mut e: Expr, same_kind: fn(&Expr) -> bool) {
        if !same_kind(&e) {
            return self.push(e);
        }
        // Taken, not moved: `Expr` implements `Drop`.
        if let Expr::And(xs) | Expr::Or(xs) = &mut e {
            for x in std::mem::take(xs) {
                self.push(x);
            }
        }
    }

    /// One child is itself; several make a chain. Never called on an empty
    /// chain: every group holds at least one comparison when it ends.
    fn into_expr(self, make: fn(Vec<Expr>) -> Expr) -> Expr {
        match self {
            Chain::One(e) => e,
            Chain::Many(xs) => make(xs),
            Chain::Empty => make(Vec::new()),
        }
    }
}

pub(crate) struct Driver<'a> {
    input: &'a str,
    limits: Limits,
    comparisons: usize,
}

impl<'a> Driver<'a> {
    pub(crate) fn new(input: &'a str, limits: Limits) -> Driver<'a> {
        Driver {
            input,
            limits,
            comparisons: 0,
        }
    }

    fn offset(&self, rest: &str) -> usize {
        self.input.len() - rest.len()
    }

    fn skip_ws(&self, at: usize) -> usize {
        // Most calls find no whitespace at all; skip the parser machinery then.
        match self.input.as_bytes().get(at) {
            Some(b) if lexer::is_ws(char::from(*b)) => {}
            _ => return at,
        }
        let rest = &self.input[at..];
        let (after, _) = lexer::parse_ws(rest).expect("ws* never fails");
        self.offset(after)
    }

    fn err(&self, kind: ErrorKind, span: Span, message: impl Into<String>) -> Error {
        Error::new(kind, message)
            .with_span(span)
            .with_input(self.input)
    }

    /// What stands at `at`, for "found …" messages, and its span.
    fn found(&self, at: usize) -> (String, Span) {
        let rest = &self.input[at..];
        let Some(c) = rest.chars().next() else {
            return ("the end of the query".into(), Span::at(at));
        };
        let len = if c == '(' || c == ')' {
            1
        } else {
            rest.find(|c: char| lexer::is_ws(c) || c == '(' || c == ')')
                .unwrap_or(rest.len())
        };
        let word = &rest[..len];
        let shown = crate::render::shorten(word, 40);
        (format!("`{shown}`"), Span::new(at, at + len))
    }

    /// `query := ws* ( or_expr ws* )? EOF`
    /// `or_expr := and_expr ( ws* OR and_expr )*`
    /// `and_expr := primary ( ws* AND primary )*`
    pub(crate) fn parse_query(mut self) -> Result<Query, Error> {
        let mut at = self.skip_ws(0);
        if at == self.input.len() {
            return Ok(Query { expr: None });
        }
        let mut stack: Vec<Group> = Vec::new();
        let mut group = Group::new(0);
        let mut after: Option<&str> = None; // the keyword or `(` before this primary
        loop {
            // primary := ws* ( "(" ws* or_expr ws* ")" | comparison )
            at = self.skip_ws(at);
            if self.input[at..].starts_with('(') {
                if stack.len() + 1 > self.limits.depth() {
                    let span = Span::new(at, at + 1);
                    return Err(self.err(
                        ErrorKind::NestingTooDeep,
                        span,
                        format!(
                            "parentheses nest deeper than the limit of {}",
                            self.limits.depth()
                        ),
                    ));
                }
                stack.push(std::mem::replace(&mut group, Group::new(at)));
                at += 1;
                after = Some("`(`");
                continue;
            }
            let (cmp, end) = self.parse_comparison(at, after)?;
            group.ands.push(Expr::Compare(cmp));
            at = end;
            // After a primary: `)`, AND, OR or the end.
            loop {
                at = self.skip_ws(at);
                let rest = &self.input[at..];
                if rest.is_empty() {
                    if !stack.is_empty() {
                        let open = Span::new(group.open, group.open + 1);
                        return Err(self
                            .err(
                                ErrorKind::UnbalancedParenthesis,
                                Span::at(at),
                                "expected `)` to close the group, found the end of the query",
                            )
                            .with_secondary(open, "the group opened here"));
                    }
                    return Ok(Query {
                        expr: Some(group.finish()),
                    });
                }
                if rest.starts_with(')') {
                    let Some(outer) = stack.pop() else {
                        return Err(self.err(
                            ErrorKind::UnbalancedParenthesis,
                            Span::new(at, at + 1),
                            "found `)` without a matching `(`",
                        ));
                    };
                    let inner = std::mem::replace(&mut group, outer).finish();
                    group.ands.push_flat(inner, |e| matches!(e, Expr::And(_)));
                    at += 1;
                    continue;
                }
                match lexer::parse_keyword(rest) {
                    Ok((_, Keyword::And)) => {
                        at += 3;
                        after = Some("AND");
                    }
                    Ok((_, Keyword::Or)) => {
                        group.end_and_chain();
                        at += 2;
                        after = Some("OR");
                    }
                    _ => {
                        let (what, span) = self.found(at);
                        return Err(self.err(
                            ErrorKind::Syntax,
                            span,
                            format!("expected AND, OR, `)` or the end of the query, found {what}"),
                        ));
                    }
                }
                break;
            }
        }
    }

    /// `comparison := field ws+ operator ( ws* quoted | ws+ NULL | ws+ bare )`
    fn parse_comparison(
        &mut self,
        start: usize,
        after: Option<&str>,
    ) -> Result<(Comparison, usize), Error> {
        let rest = &self.input[start..];
        // Built only on the error paths below: this runs once per comparison.
        let after = || after.map(|a| format!(" after {a}")).unwrap_or_default();
        if let Ok((_, kw)) = lexer::parse_keyword(rest) {
            let span = Span::new(start, start + kw.as_str().len());
            return Err(match kw {
                Keyword::Not => self
                    .err(
                        ErrorKind::Unsupported,
                        span,
                        "NOT is not part of the query language",
                    )
                    .with_suggestion("write the comparison with -ne or -notcontains instead"),
                Keyword::Null => self.err(
                    ErrorKind::KeywordAsField,
                    span,
                    "NULL is a keyword, not a field name; write `Field -eq NULL`",
                ),
                // `AND -eq "x"`: the keyword stands where a field name belongs.
                Keyword::And | Keyword::Or
                    if lexer::parse_operator_word(&self.input[self.skip_ws(span.end)..])
                        .is_ok() =>
                {
                    self.err(
                        ErrorKind::KeywordAsField,
                        span,
                        format!("{} is a keyword, not a field name", kw.as_str()),
                    )
                }
                Keyword::And | Keyword::Or => self.err(
                    ErrorKind::Syntax,
                    span,
                    format!(
                        "expected a comparison or `(`{}, found the keyword {}",
                        after(),
                        kw.as_str()
                    ),
                ),
            });
        }
        let Ok((_, field)) = lexer::parse_field(rest) else {
            let (what, span) = self.found(start);
            let message = format!("expected a comparison or `(`{}, found {what}", after());
            return Err(self.err(ErrorKind::Syntax, span, message));
        };
        let field_span = Span::new(start, start + field.len());
        self.comparisons += 1;
        if self.comparisons > self.limits.max_comparisons {
            return Err(self.err(
                ErrorKind::TooManyComparisons,
                field_span,
                format!(
                    "the query has more comparisons than the limit of {}",
                    self.limits.max_comparisons
                ),
            ));
        }

        let op_start = self.skip_ws(field_span.end);
        if op_start == self.input.len() {
            return Err(self.err(
                ErrorKind::Syntax,
                Span::at(op_start),
                format!(
                    "expected an operator such as -eq after `{field}`, found the end of the query"
                ),
            ));
        }
        let (op, op_span) = self.parse_operator(op_start, field)?;
        if op_start == field_span.end {
            return Err(self.err(
                ErrorKind::Syntax,
                Span::at(op_start),
                format!("expected whitespace between `{field}` and {op}"),
            ));
        }

        let (value, value_span) = self.parse_value(op, op_span)?;
        let cmp = Comparison {
            field: field.to_owned(),
            op,
            value,
            span: field_span.to(value_span),
            field_span,
            op_span,
            value_span,
        };
        Ok((cmp, value_span.end))
    }

    /// `operator := "-eq" | "-ne" | "-contains" | "-notcontains" | "-startswith"
    ///            | "-endswith" | "-lt" | "-le" | "-gt" | "-ge"`, any case.
    fn parse_operator(&self, at: usize, field: &str) -> Result<(Op, Span), Error> {
        let rest = &self.input[at..];
        if let Ok((_, word)) = lexer::parse_operator_word(rest) {
            let span = Span::new(at, at + word.len());
            if let Some(op) = Op::from_word(word) {
                return Ok((op, span));
            }
            let lower = word.to_ascii_lowercase();
            let hint = match lower.as_str() {
                "-in" => {
                    Some("write an OR group instead: `(F -eq \"a\" OR F -eq \"b\")`".to_owned())
                }
                "-not" | "-isnot" => Some("write -ne or -notcontains instead".to_owned()),
                "-like" | "-match" => {
                    Some("write -contains, -startswith or -endswith instead".to_owned())
                }
                "-neq" => Some("did you mean `-ne`?".to_owned()),
                _ => crate::error::closest(&lower, Op::ALL.map(Op::as_str))
                    .map(|op| format!("did you mean `{op}`?")),
            };
            let kind = if matches!(
                lower.as_str(),
                "-in" | "-not" | "-isnot" | "-like" | "-match"
            ) {
                ErrorKind::Unsupported
            } else {
                ErrorKind::UnknownOperator
            };
            let err = self.err(kind, span, format!("`{word}` is not an operator"));
            return Err(match hint {
                Some(h) => err.with_suggestion(h),
                None => err,
            });
        }
        let symbolic = [
            ("==", "-eq"),
            ("!=", "-ne"),
            ("<>", "-ne"),
            ("<=", "-le"),
            (">=", "-ge"),
            ("=", "-eq"),
            ("<", "-lt"),
            (">", "-gt"),
        ];
        if let Some((sym, op)) = symbolic.iter().find(|(sym, _)| rest.starts_with(sym)) {
            return Err(self
                .err(
                    ErrorKind::Unsupported,
                    Span::new(at, at + sym.len()),
                    format!("`{sym}` is not an operator"),
                )
                .with_suggestion(format!("write `{op}` instead")));
        }
        let (what, span) = self.found(at);
        let err = self.err(
            ErrorKind::UnknownOperator,
            span,
            format!("expected an operator such as -eq after `{field}`, found {what}"),
        );
        let word = &self.input[span.start..span.end];
        match Op::from_word(&format!("-{word}")) {
            Some(op) => Err(err.with_suggestion(format!("did you mean `{op}`?"))),
            None => Err(err),
        }
    }

    /// `( ws* quoted | ws+ NULL | ws+ bare )` after the operator.
    fn parse_value(&self, op: Op, op_span: Span) -> Result<(Value, Span), Error> {
        let at = self.skip_ws(op_span.end);
        let rest = &self.input[at..];
        let missing = |found: &str, span| {
            self.err(
                ErrorKind::MissingValue,
                span,
                format!("expected a value after {op}, found {found}"),
            )
        };
        let Some(first) = rest.chars().next() else {
            return Err(missing("the end of the query", Span::at(at)));
        };
        if first == '"' {
            return match lexer::parse_quoted(rest) {
                Ok((after, text)) => Ok((Value::Text(text), Span::new(at, self.offset(after)))),
                Err(Unterminated) => Err(self
                    .err(
                        ErrorKind::UnterminatedString,
                        Span::new(at, self.input.len()),
                        "the quoted value has no closing `\"`",
                    )
                    .with_suggestion(
                        "a quote inside a value is written `\\\"`, a backslash at its end `\\\\`",
                    )),
            };
        }
        if first == '(' || first == ')' {
            return Err(missing(&format!("`{first}`"), Span::new(at, at + 1)));
        }
        if at == op_span.end {
            return Err(self.err(
                ErrorKind::Syntax,
                Span::at(at),
                format!("expected whitespace or `\"` between {op} and its value"),
            ));
        }
        if first == '\'' {
            let (_, span) = self.found(at);
            return Err(self
                .err(
                    ErrorKind::Unsupported,
                    span,
                    "single-quoted values are not supported",
                )
                .with_suggestion("write the value in double quotes"));
        }
        if let Ok((_, Keyword::Null)) = lexer::parse_keyword(rest) {
            let span = Span::new(at, at + 4);
            if op != Op::Eq && op != Op::Ne {
                return Err(self
                    .err(
                        ErrorKind::NullOperator,
                        span,
                        format!("NULL works only with -eq and -ne, not {op}"),
                    )
                    .with_suggestion("write \"NULL\" in quotes for the four letters"));
            }
            return Ok((Value::Null, span));
        }
        let (after, bare) =
            lexer::parse_bare(rest).expect("a non-empty value that is not ws or a parenthesis");
        Ok((
            Value::Text(bare.to_owned()),
            Span::new(at, self.offset(after)),
        ))
    }
}
