//! [`Pager`]: top-k selection of the first page × limit matches.

use std::cmp::Ordering;

use super::key::SortKey;
use super::{Page, PageResult};
use crate::{Record, Sort};

/// Collects matches one at a time and keeps only the first
/// `page × limit` in sort order: memory is bounded by twice the page (plus
/// 1,024), not by the number of matches, and the work is linear selection
/// plus a sort of the `limit` records of the page, instead of a full sort.
/// Each kept record carries its sort key, so comparisons seldom read the
/// records themselves.
///
/// ```
/// # use kfql::{Direction, keyfactor, Context, Page, Pager, Sort};
/// # let records: Vec<keyfactor::WorkflowInstance> = Vec::new();
/// let schema = keyfactor::schema();
/// let mut pager = Pager::new(Sort::default_for(&schema), Page::default());
/// for r in records { pager.push(r); }
/// let page = pager.finish();
/// assert_eq!(page.total, 0);
/// ```
pub struct Pager<T> {
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
fn order<T: Record>(sort: &Sort, a: &Entry<T>, b: &Entry<T>) -> Ordering {
    SortKey::compare(sort, &a.key, &b.key)
        .unwrap_or_else(|| sort.compare(&a.record, &b.record))
        .then(a.seq.cmp(&b.seq))
}

impl<T: Record> Pager<T> {
    /// A pager for `page` of records in `sort` order (records of the
    /// schema the sort was resolved against).
    pub fn new(sort: Sort, page: Page) -> Pager<T> {
        let keep = usize::try_from(page.number.saturating_mul(page.limit)).unwrap_or(usize::MAX);
        Pager {
            sort,
            page,
            keep,
            kept: Vec::new(),
            worst: None,
            seen: 0,
        }
    }

    fn cmp(&self, a: &Entry<T>, b: &Entry<T>) -> Ordering {
        order(&self.sort, a, b)
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
        let sort = &self.sort;
        self.kept
            .select_nth_unstable_by(self.keep - 1, |a, b| order(sort, a, b));
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
    /// # use kfql::{keyfactor, Direction, Page, Pager, Sort};
    /// let schema = keyfactor::schema();
    /// let records = keyfactor::sample(5000, Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap(), 1);
    /// let sort = Sort::new(&schema, "StartDate", Direction::Descending)?;
    /// let mut pager = Pager::new(sort, Page::new(1, 3)?);
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
        let key = SortKey::of(&self.sort, &record);
        if let Some(w) = self.worst {
            let worst = &self.kept[w];
            let by_sort = SortKey::compare(&self.sort, &key, &worst.key)
                .unwrap_or_else(|| self.sort.compare(&record, &worst.record));
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
