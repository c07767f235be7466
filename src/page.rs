//! Paging (docs/LANGUAGE.md, “Sorting and paging”): `PageReturned` and `ReturnLimit`, validated, and a
//! top-k selection that keeps only the first page × limit matches in
//! memory instead of sorting every match.

use std::cmp::Ordering;

use crate::sort::SortKey;
use crate::{Error, ErrorKind, Filter, Record, Schema, Sort};

/// A 1-based page number and a page size, each from 1 to 2^63−1.
///
/// ```
/// let page = kfql::Page::parse(Some("+3"), None)?;
/// assert_eq!((page.number(), page.limit()), (3, 50));
/// assert_eq!(kfql::Page::parse(Some("0"), None).unwrap_err().kind(), kfql::ErrorKind::InvalidPage);
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
                let digits = text.strip_prefix('+').unwrap_or(text);
                let shown = crate::render::cut(text, 40);
                let bad = || {
                    Error::new(
                        kind,
                        format!("{name} `{shown}` is not a whole number from 1 to {MAX}"),
                    )
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                match digits.parse::<u64>() {
                    Ok(n) if (1..=MAX).contains(&n) => Ok(n),
                    _ => Err(bad()),
                }
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageResult<T> {
    /// The records of the page, in sort order.
    pub records: Vec<T>,
    /// How many records matched in all.
    pub total: u64,
    /// The page that was asked for.
    pub page: Page,
}

/// Collects matches one at a time and keeps only the first
/// `page × limit` in sort order: memory is bounded by twice the page (plus
/// 1,024), not by the number of matches, and the work is linear selection
/// plus a sort of the `limit` records of the page, instead of a full sort.
/// Each kept record carries its sort key, so comparisons seldom read the
/// records themselves.
///
/// ```
/// # use kfql::{keyfactor, Context, Page, Pager, Sort};
/// # let records: Vec<keyfactor::WorkflowInstance> = Vec::new();
/// let schema = keyfactor::schema();
/// let mut pager = Pager::new(schema.clone(), Sort::default_for(&schema), Page::default());
/// for r in records { pager.push(r); }
/// let page = pager.finish();
/// assert_eq!(page.total, 0);
/// ```
pub struct Pager<T> {
    schema: Schema,
    sort: Sort,
    page: Page,
    /// How many of the best matches the page needs: page × limit.
    keep: usize,
    /// Candidates, in no particular order. When it holds `2 × keep` (at
    /// least `keep + 1024`) it is cut back to the best `keep` by selection,
    /// O(len), so memory stays bounded by the page and a page near the end
    /// costs linear selection rather than a heap's log k per match.
    kept: Vec<Entry<T>>,
    /// After a cut, the index of the worst of the best `keep`: a candidate
    /// that does not beat it can never be on the page, and is refused
    /// without being converted.
    worst: Option<usize>,
    seen: u64,
}

/// A kept record with its sort key and input position.
struct Entry<T> {
    key: SortKey,
    seq: u64,
    record: T,
}

// Keep the buffer small: a reference, a position and two key parts.
const _: () = assert!(std::mem::size_of::<Entry<&()>>() <= 64);

/// Sort order, then input position. The keys decide almost every
/// comparison without touching the records.
fn order<T: Record>(schema: &Schema, sort: &Sort, a: &Entry<T>, b: &Entry<T>) -> Ordering {
    sort.compare_keys(&a.key, &b.key)
        .unwrap_or_else(|| sort.compare(schema, &a.record, &b.record))
        .then(a.seq.cmp(&b.seq))
}

impl<T: Record> Pager<T> {
    /// A pager for `page` of records in `sort` order.
    pub fn new(schema: Schema, sort: Sort, page: Page) -> Pager<T> {
        let keep = usize::try_from(page.number.saturating_mul(page.limit)).unwrap_or(usize::MAX);
        Pager {
            schema,
            sort,
            page,
            keep,
            kept: Vec::new(),
            worst: None,
            seen: 0,
        }
    }

    fn cmp(&self, a: &Entry<T>, b: &Entry<T>) -> Ordering {
        order(&self.schema, &self.sort, a, b)
    }

    fn cap(&self) -> usize {
        self.keep
            .saturating_mul(2)
            .max(self.keep.saturating_add(1024))
    }

    /// Keep only the best `keep` candidates.
    fn cut(&mut self) {
        if self.kept.len() <= self.keep {
            return;
        }
        let (schema, sort) = (&self.schema, &self.sort);
        self.kept
            .select_nth_unstable_by(self.keep - 1, |a, b| order(schema, sort, a, b));
        self.kept.truncate(self.keep);
        self.worst = Some(self.keep - 1);
    }

    /// Offer one matching record; its input position is the number of
    /// records pushed before it.
    pub fn push(&mut self, record: T) {
        let seq = self.seen;
        self.offer(record, seq, |r| r);
    }

    /// Offer one matching record at input position `seq`, converting it
    /// with `into` only if it is kept: a borrowed record costs an owned
    /// copy only when it may belong to the best `page × limit` so far.
    ///
    /// Positions must be distinct and increase in input order (a byte
    /// offset will do); they break ties after the key. Use either `push`
    /// or `offer` on one pager, not both.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use kfql::{keyfactor, Page, Pager, Sort};
    /// let schema = keyfactor::schema();
    /// let records = keyfactor::sample(5000, Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap(), 1);
    /// let mut pager = Pager::new(schema.clone(), Sort::new(&schema, "StartDate", true)?, Page::new(1, 3)?);
    /// let mut copies = 0;
    /// for (i, r) in records.iter().enumerate() {
    ///     pager.offer(r, i as u64, |r| { copies += 1; r.clone() });
    /// }
    /// let page = pager.finish();
    /// assert_eq!((page.total, page.records.len()), (5000, 3));
    /// assert!(copies < 5000);
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn offer<R: Record>(&mut self, record: R, seq: u64, into: impl FnOnce(R) -> T) {
        self.seen += 1;
        let key = self.sort.key_of(&self.schema, &record);
        if let Some(w) = self.worst {
            let worst = &self.kept[w];
            let by_sort = self
                .sort
                .compare_keys(&key, &worst.key)
                .unwrap_or_else(|| self.sort.compare(&self.schema, &record, &worst.record));
            if by_sort.then(seq.cmp(&worst.seq)) != Ordering::Less {
                return;
            }
        }
        if self.kept.capacity() == 0 {
            // A small page's buffer is allocated once, at its final size;
            // a huge one (a page near the end) grows as matches come.
            self.kept.reserve_exact(self.cap().min(1 << 16));
        }
        self.kept.push(Entry {
            key,
            seq,
            record: into(record),
        });
        if self.kept.len() >= self.cap() {
            self.cut();
        }
    }

    /// Add the matches another pager collected (built with the same schema,
    /// sort and page, over other records of the same input, with positions
    /// given to [`offer`](Pager::offer)): the result is the pager that
    /// would have seen both inputs.
    pub fn merge(&mut self, other: Pager<T>) {
        let seen = self.seen + other.seen;
        for e in other.kept {
            self.offer(e.record, e.seq, |r| r);
        }
        self.seen = seen;
    }

    /// The number of records pushed so far: the total of matches.
    pub fn total(&self) -> u64 {
        self.seen
    }

    /// Cut out the page and sort it. What was kept holds the best
    /// `page × limit`; the page is its tail, so one selection separates the
    /// records before the page and only the page itself is sorted: the last
    /// page of a million matches costs a linear pass, not a full sort.
    pub fn finish(mut self) -> PageResult<T> {
        self.cut();
        let mut kept = std::mem::take(&mut self.kept);
        let offset = self.page.offset();
        let records = if offset >= kept.len() as u64 {
            Vec::new()
        } else {
            let offset = offset as usize;
            let mut page = if offset == 0 {
                kept
            } else {
                kept.select_nth_unstable_by(offset, |a, b| self.cmp(a, b));
                kept.split_off(offset)
            };
            page.sort_unstable_by(|a, b| self.cmp(a, b));
            page.into_iter().map(|e| e.record).collect()
        };
        PageResult {
            records,
            total: self.seen,
            page: self.page,
        }
    }
}

impl Filter {
    /// Filter `records`, sort the matches and return one page with the
    /// total. Records are borrowed or owned, whatever the iterator yields.
    pub fn page<T: Record>(
        &self,
        records: impl IntoIterator<Item = T>,
        sort: &Sort,
        page: Page,
    ) -> PageResult<T> {
        let mut pager = Pager::new(self.schema.clone(), sort.clone(), page);
        for r in records {
            if self.matches(&r) {
                pager.push(r);
            }
        }
        pager.finish()
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
