//! Columns (feature `arrow`): evaluate, count and page Apache Arrow record
//! batches with the same language and the same meaning as records.
//!
//! A [`Filter`] is bound once to a batch schema ([`Filter::bind_arrow`]):
//! columns are found by the schema's field names (exact, else ignoring
//! ASCII case), and their Arrow types are checked then, with an error
//! that names the column, its type and what would fit:
//!
//! | field type | Arrow types |
//! |---|---|
//! | string, enum | Utf8, LargeUtf8, Utf8View, or a dictionary of one of them |
//! | integer | Int64, Int32, Int16, Int8, UInt32, UInt16, UInt8 |
//! | datetime | Timestamp of any unit, with or without a time zone (none means UTC); Date32, Date64 (midnight UTC) |
//! | guid | FixedSizeBinary(16), the bytes in text order; or its text, as for strings |
//! | boolean | Boolean |
//! | string list | List or LargeList of Utf8, LargeUtf8 or Utf8View |
//!
//! UInt64 is refused, not read: its values past `i64::MAX` are no integer
//! of the language, and finding them would mean reading the whole column
//! when binding (cast it to Int64 when its values fit).
//!
//! Arrow nulls are the language's nulls. A text that is not one of an
//! enum's names, or not a GUID, matches nothing, not even `-eq NULL` (as a
//! `serde_json::Value` record's would). Null elements of a list are
//! skipped. Columns are read as they are: `DefinitionId` and
//! `WorkflowType` are not read from a `Definition` column (`kfql convert`
//! writes them resolved).
//!
//! Evaluation runs a comparison over a whole column at a time, into a
//! bitmap; a dictionary-encoded column runs a text comparison once per
//! dictionary entry, not once per row. [`ArrowPager`] pages the matches
//! of many batches in the order of docs/LANGUAGE.md, “Sorting and paging”
//! (same ties as [`Filter::page`]), keeping only the first page × limit.
//!
//! ```
//! use std::sync::Arc;
//! use kfql::arrow::arrow_array::{ArrayRef, DictionaryArray, Int64Array, RecordBatch, StringArray,
//!     TimestampMillisecondArray, types::Int8Type};
//! use kfql::{keyfactor, Context, Direction, Page};
//!
//! let status: DictionaryArray<Int8Type> =
//!     vec!["Failed", "Running", "failed  ", "Complete"].into_iter().collect();
//! let start = TimestampMillisecondArray::from(vec![
//!     Some(1_719_792_000_000), Some(1_719_792_000_000), Some(1_717_200_000_000), None,
//! ]).with_timezone("UTC");
//! let batch = RecordBatch::try_from_iter([
//!     ("Status", Arc::new(status) as ArrayRef),
//!     ("StartDate", Arc::new(start) as ArrayRef),
//!     ("ReferenceId", Arc::new(Int64Array::from(vec![4, 3, 2, 1])) as ArrayRef),
//!     ("Title", Arc::new(StringArray::from(vec![Some("a"), None, Some("c"), Some("d")])) as ArrayRef),
//! ])?;
//!
//! let ctx = Context::new(chrono::DateTime::UNIX_EPOCH);
//! let filter = kfql::compile(
//!     r#"Status -eq "Failed" AND StartDate -ge "2024-06-01""#,
//!     &keyfactor::schema(),
//!     &ctx,
//! )?;
//! let bound = filter.bind_arrow(&batch.schema())?;
//! assert_eq!(bound.count(&batch)?, 2);
//!
//! let sort = filter.sort("StartDate", Direction::Descending)?;
//! let mut pager = kfql::arrow::ArrowPager::new(&bound, &sort, Page::new(1, 1)?)?;
//! pager.push(&batch)?;
//! let page = pager.finish();
//! assert_eq!(page.total, 2);
//! assert_eq!(page.records[0].row(), 0);
//! assert_eq!(page.records[0].to_json()["ReferenceId"], 4);
//!
//! // A column of the wrong type is refused when binding, by name.
//! let err = kfql::compile("ReferenceId -gt 1", &keyfactor::schema(), &ctx)?
//!     .bind_arrow(&RecordBatch::try_from_iter([
//!         ("ReferenceId", Arc::new(StringArray::from(vec!["1"])) as ArrayRef),
//!     ])?.schema())
//!     .unwrap_err();
//! assert!(err.message().starts_with("column `ReferenceId` is Utf8"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fit;
mod kernel;
#[cfg(feature = "parquet")]
pub mod parquet;
mod row;

pub use arrow_array;
pub use arrow_schema;
pub use row::BatchRow;

use std::sync::Arc;

use arrow_array::{BooleanArray, RecordBatch};
use arrow_buffer::BooleanBuffer;
use arrow_schema::{Schema as ArrowSchema, SchemaRef};

use crate::filter::Node;
use crate::page::{Page, PageResult, Pager};
use crate::{Error, ErrorKind, Filter, Sort};
use row::{Columns, RowRef, Source};

/// A [`Filter`] bound to the schema of the record batches it will read:
/// columns found and their types checked once. Cheap to share across
/// threads.
#[derive(Clone, Debug)]
pub struct ArrowFilter {
    filter: Filter,
    arrow: SchemaRef,
    /// The column of each field slot the query reads.
    slots: Vec<Option<usize>>,
}

impl Filter {
    /// Bind this filter to batches of the Arrow schema `arrow`: every
    /// field the query reads needs a column of a fitting type (see the
    /// [module docs](crate::arrow)); an error names the column, its type
    /// and what would fit.
    pub fn bind_arrow(&self, arrow: &ArrowSchema) -> Result<ArrowFilter, Error> {
        ArrowFilter::new(self, arrow)
    }
}

impl ArrowFilter {
    /// See [`Filter::bind_arrow`].
    pub fn new(filter: &Filter, arrow: &ArrowSchema) -> Result<ArrowFilter, Error> {
        let fields = filter.schema.fields();
        let mut slots = vec![None; fields.len()];
        let mut used = Vec::new();
        filter.root.slots(&mut used);
        for s in used {
            if slots[s].is_none() {
                slots[s] = Some(fit::required(
                    arrow,
                    &filter.schema,
                    &fields[s],
                    "the query",
                )?);
            }
        }
        Ok(ArrowFilter {
            filter: filter.clone(),
            arrow: Arc::new(arrow.clone()),
            slots,
        })
    }

    /// The filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The indexes of the columns the query reads, ascending: what a
    /// reader must load.
    pub fn columns(&self) -> Vec<usize> {
        let mut cols: Vec<usize> = self.slots.iter().flatten().copied().collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// The rows of `batch` that match, as a mask without nulls (for
    /// `arrow_select::filter::filter_record_batch`). `batch` must have the
    /// columns the filter was bound to, with the same types.
    pub fn select(&self, batch: &RecordBatch) -> Result<BooleanArray, Error> {
        Ok(BooleanArray::new(self.select_bits(batch)?, None))
    }

    /// How many rows of `batch` match.
    pub fn count(&self, batch: &RecordBatch) -> Result<u64, Error> {
        Ok(self.select_bits(batch)?.count_set_bits() as u64)
    }

    /// The matching rows of `batch`, as a new batch.
    pub fn filter_batch(&self, batch: &RecordBatch) -> Result<RecordBatch, Error> {
        let mask = self.select(batch)?;
        arrow_select::filter::filter_record_batch(batch, &mask).map_err(|e| {
            Error::new(
                ErrorKind::InvalidRecord,
                format!("cannot select the rows: {e}"),
            )
        })
    }

    pub(crate) fn select_bits(&self, batch: &RecordBatch) -> Result<BooleanBuffer, Error> {
        self.check(batch)?;
        Ok(self.eval(&self.filter.root, batch))
    }

    /// The batch has the bound columns with the bound types: binding
    /// checked the types, so each batch only has to be the same shape.
    fn check(&self, batch: &RecordBatch) -> Result<(), Error> {
        for &i in self.slots.iter().flatten() {
            let want = &self.arrow.fields()[i];
            match batch.schema_ref().fields().get(i) {
                Some(got) if got.data_type() == want.data_type() => {}
                got => {
                    return Err(Error::new(
                        ErrorKind::InvalidRecord,
                        format!(
                            "the filter was bound to column {i} `{}` of type {}, but this batch has {}",
                            want.name(),
                            want.data_type(),
                            got.map_or("no such column".to_owned(), |f| format!(
                                "`{}` of type {}",
                                f.name(),
                                f.data_type()
                            ))
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn eval(&self, node: &Node, batch: &RecordBatch) -> BooleanBuffer {
        let len = batch.num_rows();
        match node {
            Node::All => BooleanBuffer::new_set(len),
            Node::Test(slot, test) => {
                let field = &self.filter.schema.fields()[*slot];
                match self.slots[*slot].and_then(|i| batch.columns().get(i)) {
                    Some(col) => kernel::eval(test, field.ty(), col.as_ref()),
                    None => BooleanBuffer::new_unset(len),
                }
            }
            Node::And(xs) => {
                let mut acc = BooleanBuffer::new_set(len);
                for x in xs.iter() {
                    acc = &acc & &self.eval(x, batch);
                }
                acc
            }
            Node::Or(xs) => {
                let mut acc = BooleanBuffer::new_unset(len);
                for x in xs.iter() {
                    acc = &acc | &self.eval(x, batch);
                }
                acc
            }
        }
    }
}

impl Node {
    /// The field slots the node reads.
    fn slots(&self, out: &mut Vec<usize>) {
        match self {
            Node::All => {}
            Node::Test(s, _) => out.push(*s),
            Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| x.slots(out)),
        }
    }
}

/// Pages the matches of record batches: the total and the page of
/// [`Filter::page`], with the same order and ties (input order is the
/// position of a row among all rows pushed). Only the first page × limit
/// matches are kept, each as a [`BatchRow`] that shares its batch.
///
/// Batches can be pushed from several threads into several pagers, each
/// told where its batch starts ([`push_at`](ArrowPager::push_at)), then
/// [`merge`](ArrowPager::merge)d.
pub struct ArrowPager {
    filter: ArrowFilter,
    columns: Arc<Columns>,
    pager: Pager<BatchRow>,
    next: u64,
}

impl ArrowPager {
    /// A pager for `page` of `filter`'s matches in `sort` order. The sort
    /// field and the schema's key need columns of fitting types; the
    /// other fields of the schema are read when the data has them.
    pub fn new(filter: &ArrowFilter, sort: &Sort, page: Page) -> Result<ArrowPager, Error> {
        let schema = &filter.filter.schema;
        sort.check_schema(schema)?;
        let mut needed: Vec<(usize, &str)> = filter
            .slots
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(s, _)| (s, "the query"))
            .collect();
        if let Some(f) = sort.sort_field() {
            needed.push((f.index(), "the sort"));
        }
        if let Some(k) = schema.key() {
            needed.push((k.index(), "the tie-break (the schema's key)"));
        }
        let columns = Columns::bind(schema, &filter.arrow, &needed)?;
        Ok(ArrowPager {
            filter: filter.clone(),
            columns: Arc::new(columns),
            pager: Pager::new(sort.clone(), page),
            next: 0,
        })
    }

    /// The columns the pager reads (the query's, the sort field, the key
    /// and every other field of the schema the data has), ascending.
    pub fn columns(&self) -> Vec<usize> {
        let mut cols: Vec<usize> = self.columns.slots.iter().flatten().copied().collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// Evaluate `batch` and offer its matches; its rows follow those of
    /// the batches pushed before.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let first = self.next;
        self.push_at(batch, first)
    }

    /// Evaluate `batch`, whose first row is at input position `first`
    /// (positions must not overlap between batches: they break ties).
    pub fn push_at(&mut self, batch: &RecordBatch, first: u64) -> Result<(), Error> {
        let mask = self.filter.select_bits(batch)?;
        self.next = self.next.max(first + batch.num_rows() as u64);
        if mask.count_set_bits() == 0 {
            return Ok(());
        }
        let source = Arc::new(Source::new(&self.columns, batch));
        for row in mask.set_indices() {
            let r = RowRef {
                source: &source,
                row,
            };
            let position = first + row as u64;
            self.pager.offer(r, position, |r| BatchRow {
                source: Arc::clone(&source),
                row: r.row,
                position,
            });
        }
        Ok(())
    }

    /// Add the matches another pager (same filter, sort and page, other
    /// batches of the same input) collected.
    pub fn merge(&mut self, other: ArrowPager) {
        self.next = self.next.max(other.next);
        self.pager.merge(other.pager);
    }

    /// The number of matches so far.
    pub fn total(&self) -> u64 {
        self.pager.total()
    }

    /// The page, in sort order, and the total.
    pub fn finish(self) -> PageResult<BatchRow> {
        self.pager.finish()
    }
}
