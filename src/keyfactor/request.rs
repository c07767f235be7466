//! The five request parameters of Keyfactor's paged GET endpoints
//! (`QueryString`, `PageReturned`, `ReturnLimit`, `SortField`,
//! `SortAscending`), read from name–value pairs as a web framework hands
//! them over, and turned into one [`Plan`]: a filter, a sort and a page.

use std::fmt;

use crate::{
    Context, Direction, Error, ErrorKind, Filter, Page, PageResult, Parser, Record, Schema, Sort,
};

/// One of Keyfactor's five request parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// `QueryString`: the query; absent or blank means every record.
    QueryString,
    /// `PageReturned`: the 1-based page, default 1.
    PageReturned,
    /// `ReturnLimit`: records per page, default 50.
    ReturnLimit,
    /// `SortField`: the sort field, default the schema's default sort
    /// field (`CurrentStepDisplayName` for workflow instances).
    SortField,
    /// `SortAscending`: `0` ascending (the default), `1` descending.
    SortAscending,
}

impl Parameter {
    /// Every parameter, in the order [`Request::compile`] checks them.
    pub const ALL: [Parameter; 5] = [
        Parameter::QueryString,
        Parameter::SortField,
        Parameter::SortAscending,
        Parameter::PageReturned,
        Parameter::ReturnLimit,
    ];

    /// The name in Keyfactor's documentation (PascalCase).
    pub fn name(self) -> &'static str {
        match self {
            Parameter::QueryString => "QueryString",
            Parameter::PageReturned => "PageReturned",
            Parameter::ReturnLimit => "ReturnLimit",
            Parameter::SortField => "SortField",
            Parameter::SortAscending => "SortAscending",
        }
    }

    /// The parameter a request names, in any of the spellings the server
    /// binds: any case (`QueryString`, `queryString`, `querystring`), with
    /// or without the `pq.` prefix (`pq.queryString`). `None` for any other
    /// name.
    ///
    /// ```
    /// use kfql::keyfactor::Parameter;
    /// assert_eq!(Parameter::from_name("pq.returnLimit"), Some(Parameter::ReturnLimit));
    /// assert_eq!(Parameter::from_name("PQ.SORTFIELD"), Some(Parameter::SortField));
    /// assert_eq!(Parameter::from_name("Query"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Parameter> {
        let bare = match name.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("pq.") => &name[3..],
            _ => name,
        };
        Parameter::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(bare))
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter as the caller gave it: the name as spelled, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Given {
    name: String,
    value: String,
}

/// Keyfactor's request parameters, read from `(name, value)` pairs with
/// the server's rules, and checked together by [`Request::compile`].
///
/// - Names: any case, PascalCase or camelCase, with or without the `pq.`
///   prefix. Other names are ignored, as the server ignores them.
/// - The same parameter twice, in any spellings, is
///   [`ErrorKind::DuplicateParameter`], naming both spellings.
/// - Defaults: every record, page 1, 50 per page, the schema's default
///   sort field, ascending.
/// - `SortAscending` is `0` (ascending) or `1` (descending), despite its
///   name; anything else is [`ErrorKind::InvalidSortDirection`].
/// - `PageReturned` and `ReturnLimit` are ASCII digits with an optional
///   `+`, from 1 to 2^63−1; a service may cap `ReturnLimit`
///   ([`Request::max_return_limit`]).
/// - An empty or blank `SortField` is the default sort (decided: it is
///   what an unset field of a client's request object sends).
///
/// Errors about a parameter name it as the caller spelled it and quote
/// its value (cut at 60 characters); errors in the query text carry the
/// text, so [`Error::render`] draws the caret.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use kfql::{keyfactor, Context, ErrorKind};
///
/// let records = keyfactor::sample(300, Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap(), 1);
/// let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap());
/// let schema = keyfactor::schema();
///
/// // GET /Workflow/Instances?pq.queryString=Status -eq "Failed"&sortField=StartDate&SortAscending=1&ReturnLimit=10
/// let request = keyfactor::Request::from_pairs([
///     ("pq.queryString", r#"Status -eq "Failed""#),
///     ("sortField", "StartDate"),
///     ("SortAscending", "1"),
///     ("ReturnLimit", "10"),
///     ("api-version", "1"), // not a query parameter: ignored
/// ])?
/// .max_return_limit(10_000);
/// let plan = request.compile(&schema, &ctx)?;
/// let page = plan.page(&records)?;
/// assert_eq!(page.records.len(), 10);
/// assert!(page.records.windows(2).all(|w| w[0].start_date >= w[1].start_date));
///
/// // The same parameter twice is an error naming both spellings.
/// let err = keyfactor::Request::from_pairs([("QueryString", ""), ("pq.querystring", "")]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::DuplicateParameter);
/// assert_eq!(err.message(), "QueryString is given twice, as `QueryString` and `pq.querystring`");
///
/// // A bad value names the parameter as spelled.
/// let err = keyfactor::Request::from_pairs([("sortAscending", "true")])?
///     .compile(&schema, &ctx)
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidSortDirection);
/// assert_eq!(err.message(), "sortAscending `true` is not 0 or 1");
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Indexed by [`Parameter::slot`].
    given: [Option<Given>; 5],
    max_limit: Option<u64>,
    parser: Parser,
}

/// What a request asks for, checked: the compiled filter, the sort and the
/// page. [`Plan::page`] runs it over records; a service that queries a
/// database hands the three to its SQL builder instead.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The query, compiled against the schema in the context.
    pub filter: Filter,
    /// The sort, resolved against the same schema.
    pub sort: Sort,
    /// The page and its size.
    pub page: Page,
}

impl Plan {
    /// The page of `records` that the request asked for, with the total.
    pub fn page<T: Record>(
        &self,
        records: impl IntoIterator<Item = T>,
    ) -> Result<PageResult<T>, Error> {
        self.filter.page(records, &self.sort, self.page)
    }
}

const MAX: u64 = i64::MAX as u64;

impl Request {
    /// A request with every parameter at its default.
    pub fn new() -> Request {
        Request::default()
    }

    /// The request that `(name, value)` pairs make, in the order given
    /// (a query string's pairs, decoded). Unknown names are ignored; the
    /// same parameter twice is [`ErrorKind::DuplicateParameter`]. Values
    /// are checked by [`Request::compile`].
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Request, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut request = Request::new();
        for (name, value) in pairs {
            request.add(name.as_ref(), value.as_ref())?;
        }
        Ok(request)
    }

    /// Add one pair: the parameter it sets, or `None` when the name is not
    /// one of the five (ignored).
    pub fn add(&mut self, name: &str, value: &str) -> Result<Option<Parameter>, Error> {
        let Some(parameter) = Parameter::from_name(name) else {
            return Ok(None);
        };
        self.add_as(parameter, name, value)?;
        Ok(Some(parameter))
    }

    /// Set `parameter` to `value`, naming it `name` in errors: for callers
    /// whose users spell the parameters otherwise, such as a command line's
    /// `--page`. Setting a parameter twice is
    /// [`ErrorKind::DuplicateParameter`].
    ///
    /// ```
    /// use kfql::keyfactor::{Parameter, Request};
    ///
    /// let mut request = Request::new();
    /// request.add_as(Parameter::PageReturned, "--page", "0")?;
    /// let err = request.page().unwrap_err();
    /// assert_eq!(err.message(), "--page `0` is not a whole number from 1 to 9223372036854775807");
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn add_as(&mut self, parameter: Parameter, name: &str, value: &str) -> Result<(), Error> {
        let slot = &mut self.given[parameter.slot()];
        if let Some(before) = slot {
            return Err(Error::new(
                ErrorKind::DuplicateParameter,
                format!(
                    "{parameter} is given twice, as {} and {}",
                    quoted(&before.name),
                    quoted(name)
                ),
            )
            .with_suggestion("give it once"));
        }
        *slot = Some(Given {
            name: name.to_owned(),
            value: value.to_owned(),
        });
        Ok(())
    }

    /// Refuse a `ReturnLimit` above `cap` with [`ErrorKind::InvalidLimit`]
    /// naming the cap. The library sets no cap; a service should.
    pub fn max_return_limit(mut self, cap: u64) -> Request {
        self.max_limit = Some(cap);
        self
    }

    /// Parse `QueryString` with `parser` (its [`Limits`](crate::Limits))
    /// instead of the default one.
    pub fn parser(mut self, parser: Parser) -> Request {
        self.parser = parser;
        self
    }

    /// The value given for `parameter`, if any.
    pub fn get(&self, parameter: Parameter) -> Option<&str> {
        self.given[parameter.slot()]
            .as_ref()
            .map(|g| g.value.as_str())
    }

    /// The query text (`QueryString`), empty when not given.
    pub fn query_string(&self) -> &str {
        self.get(Parameter::QueryString).unwrap_or("")
    }

    /// Check every parameter, in the order of [`Parameter::ALL`] (the
    /// query text first), and return the filter, sort and page; the first
    /// problem is the error.
    pub fn compile(&self, schema: &Schema, ctx: &Context) -> Result<Plan, Error> {
        Ok(Plan {
            filter: self.filter(schema, ctx)?,
            sort: self.sort(schema)?,
            page: self.page()?,
        })
    }

    /// `QueryString`, parsed and compiled against `schema` in `ctx`; its
    /// errors carry the text.
    pub fn filter(&self, schema: &Schema, ctx: &Context) -> Result<Filter, Error> {
        let text = self.query_string();
        self.parser
            .parse(text)
            .and_then(|q| q.compile(schema, ctx))
            .map_err(|e| e.with_input(text))
    }

    /// `SortField` and `SortAscending`, resolved against `schema` (the
    /// field first).
    pub fn sort(&self, schema: &Schema) -> Result<Sort, Error> {
        let field = self.given[Parameter::SortField.slot()]
            .as_ref()
            .filter(|g| !g.value.trim().is_empty());
        let sort = match field {
            None => Sort::default_for(schema),
            Some(g) => {
                // The library's message quotes the whole name; a name past
                // any field's length is cut first, so it stays short.
                let name = if g.value.chars().count() > 60 {
                    shorten(&g.value)
                } else {
                    g.value.clone()
                };
                Sort::new(schema, &name, Direction::Ascending).map_err(|e| {
                    let err = Error::new(e.kind(), format!("{}: {}", g.name, e.message()));
                    match e.suggestion() {
                        Some(s) => err.with_suggestion(s),
                        None => err,
                    }
                })?
            }
        };
        let direction = match &self.given[Parameter::SortAscending.slot()] {
            None => Direction::Ascending,
            Some(g) => match g.value.as_str() {
                "0" => Direction::Ascending,
                "1" => Direction::Descending,
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidSortDirection,
                        format!("{} is not 0 or 1", g.shown()),
                    )
                    .with_suggestion("0 sorts ascending, 1 descending"));
                }
            },
        };
        Ok(sort.with_direction(direction))
    }

    /// `PageReturned` and `ReturnLimit`, checked against the cap.
    pub fn page(&self) -> Result<Page, Error> {
        let number = self.number(Parameter::PageReturned, 1, ErrorKind::InvalidPage)?;
        let limit = self.number(Parameter::ReturnLimit, 50, ErrorKind::InvalidLimit)?;
        if let (Some(cap), Some(g)) = (self.max_limit, &self.given[Parameter::ReturnLimit.slot()])
            && limit > cap
        {
            return Err(Error::new(
                ErrorKind::InvalidLimit,
                format!(
                    "{} is more than the {cap} records a page may hold here",
                    g.shown()
                ),
            )
            .with_suggestion(format!("ask for at most {cap} and page through the rest")));
        }
        Page::new(number, limit)
    }

    /// A page number or size: ASCII digits with an optional `+`, from 1
    /// to 2^63−1.
    fn number(&self, parameter: Parameter, default: u64, kind: ErrorKind) -> Result<u64, Error> {
        let Some(g) = &self.given[parameter.slot()] else {
            return Ok(default);
        };
        crate::page::parse_count(&g.value).ok_or_else(|| {
            Error::new(
                kind,
                format!("{} is not a whole number from 1 to {MAX}", g.shown()),
            )
        })
    }
}

/// `text` cut at 60 characters, control characters escaped, so that a
/// message stays short and on one line.
fn shorten(text: &str) -> String {
    let mut out = String::new();
    for c in crate::render::shorten(text, 60).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Given {
    /// The name and the value, for messages: ``PageReturned `0` ``, or
    /// `PageReturned (empty)`.
    fn shown(&self) -> String {
        if self.value.is_empty() {
            format!("{} (empty)", self.name)
        } else {
            format!("{} {}", self.name, quoted(&self.value))
        }
    }
}

/// `text`, shortened, between backticks.
fn quoted(text: &str) -> String {
    format!("`{}`", shorten(text))
}
