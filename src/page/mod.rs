//! Paging (docs/LANGUAGE.md, “Sorting and paging”): `PageReturned` and `ReturnLimit`, validated, and a
//! top-k selection that keeps only the first page × limit matches in
//! memory instead of sorting every match.

mod key;
mod pager;

pub use pager::Pager;

use crate::{Error, ErrorKind, Filter, Record, Sort};

/// A 1-based page number and a page size, each from 1 to 2^63−1.
///
/// ```
/// let page = kfql::Page::parse(Some("+3"), None)?;
/// assert_eq!((page.number(), page.limit()), (3, 50));
/// assert_eq!(kfql::Page::parse(Some("0"), None).unwrap_err().kind(), kfql::ErrorKind::InvalidPage);
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Page {
    number: u64,
    limit: u64,
}

const MAX: u64 = i64::MAX as u64;

impl Default for Page {
    /// Keyfactor's defaults: page 1, 50 records.
    fn default() -> Page {
        Page {
            number: 1,
            limit: 50,
        }
    }
}

impl Page {
    /// Page `number` (1-based) of `limit` records.
    pub fn new(number: u64, limit: u64) -> Result<Page, Error> {
        if !(1..=MAX).contains(&number) {
            return Err(Error::new(
                ErrorKind::InvalidPage,
                format!("PageReturned {number} is outside 1 to {MAX}"),
            ));
        }
        if !(1..=MAX).contains(&limit) {
            return Err(Error::new(
                ErrorKind::InvalidLimit,
                format!("ReturnLimit {limit} is outside 1 to {MAX}"),
            ));
        }
        Ok(Page { number, limit })
    }

    /// `PageReturned` and `ReturnLimit` as they arrive in a request: ASCII
    /// digits with an optional `+`; absent means the default (1 and 50).
    pub fn parse(number: Option<&str>, limit: Option<&str>) -> Result<Page, Error> {
        let read =
            |text: Option<&str>, default: u64, kind: ErrorKind, name: &str| -> Result<u64, Error> {
                let Some(text) = text else { return Ok(default) };
                parse_count(text).ok_or_else(|| {
                    let shown = crate::render::cut(text, 40);
                    Error::new(
                        kind,
                        format!("{name} `{shown}` is not a whole number from 1 to {MAX}"),
                    )
                })
            };
        Ok(Page {
            number: read(number, 1, ErrorKind::InvalidPage, "PageReturned")?,
            limit: read(limit, 50, ErrorKind::InvalidLimit, "ReturnLimit")?,
        })
    }

    /// The page number, 1-based.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The page size.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How many sorted matches come before this page (saturating).
    pub fn offset(&self) -> u64 {
        (self.number - 1).saturating_mul(self.limit)
    }
}

/// One page of results and the total number of matches before paging.
/// Serializes as `{"records": […], "total": n, "page": {"number", "limit"}}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PageResult<T> {
    /// The records of the page, in sort order.
    pub records: Vec<T>,
    /// How many records matched in all.
    pub total: u64,
    /// The page that was asked for.
    pub page: Page,
}

impl Filter {
    /// Filter `records`, sort the matches and return one page with the
    /// total. Records are borrowed or owned, whatever the iterator yields.
    ///
    /// A `sort` resolved against another schema than the filter's is
    /// [`ErrorKind::SchemaMismatch`]: its field position would name another
    /// field of these records.
    pub fn page<T: Record>(
        &self,
        records: impl IntoIterator<Item = T>,
        sort: &Sort,
        page: Page,
    ) -> Result<PageResult<T>, Error> {
        sort.check_schema(&self.schema)?;
        let mut pager = Pager::new(sort.clone(), page);
        for r in records {
            if self.matches(&r) {
                pager.push(r);
            }
        }
        Ok(pager.finish())
    }

    /// The sort by the field called `name` (ignoring case) of this filter's
    /// schema, in `direction`.
    pub fn sort(&self, name: &str, direction: crate::Direction) -> Result<Sort, Error> {
        Sort::new(&self.schema, name, direction)
    }

    /// The schema's default sort (see [`Sort::default_for`]).
    pub fn default_sort(&self) -> Sort {
        Sort::default_for(&self.schema)
    }

    /// How many of `records` match. A plain loop, so that the evaluator
    /// (inlined by `matches`) is set up once per call, not once per record.
    pub fn count<T: Record>(&self, records: impl IntoIterator<Item = T>) -> u64 {
        let mut n = 0;
        for r in records {
            n += u64::from(self.matches(&r));
        }
        n
    }
}

/// A page number or size as a request spells it: ASCII digits with an
/// optional `+`, from 1 to 2^63−1 (no overflow on longer digit strings).
pub(crate) fn parse_count(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|n| (1..=MAX).contains(n))
}
