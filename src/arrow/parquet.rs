//! Parquet files (feature `parquet`): count and page a file's records
//! with a [`Filter`], reading only the columns needed, skipping row groups
//! whose statistics rule the query out, on several threads; and write
//! records to a Parquet file ([`write()`]).
//!
//! Every failure is an [`Error`] of kind
//! [`InvalidRecord`](crate::ErrorKind::InvalidRecord) whose message starts
//! with the file's name and names the column or row group where it can:
//! a column of the wrong type, a truncated or corrupt file. A corrupt
//! page names its column and row group. A panic inside the Parquet reader
//! (a corrupt file it does not expect) is caught and reported the same
//! way; [`quiet_reader_panics`] keeps the panic hook from also printing
//! it. A footer or page header on which the reader would loop for
//! seconds (a list size it trusts; see the `guard` module) is refused
//! before the reader sees it.
//!
//! ```
//! use kfql::{keyfactor, Context, Direction, Page};
//! use kfql::arrow::parquet::{write, ParquetFile};
//!
//! let now = chrono::DateTime::parse_from_rfc3339("2024-07-01T00:00:00Z")?.to_utc();
//! let records = keyfactor::sample(1000, now, 7);
//! let mut bytes = Vec::new();
//! write(&records, &keyfactor::schema(), &mut bytes, 300)?;
//!
//! let file = ParquetFile::from_bytes("sample.parquet", bytes)?;
//! let filter = kfql::compile(r#"Status -eq "Failed""#, &keyfactor::schema(), &Context::new(now))?;
//! let want = filter.count(&records);
//! assert_eq!(file.count(&filter, 2)?, want);
//!
//! let sort = filter.sort("StartDate", Direction::Descending)?;
//! let page = file.page(&filter, &sort, Page::new(1, 5)?, 2)?;
//! let rows = filter.page(&records, &sort, Page::new(1, 5)?)?;
//! assert_eq!(page.total, want);
//! assert_eq!(page.records[0]["ReferenceId"], rows.records[0].reference_id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Once};

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, Int64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, TimestampMicrosecondBuilder, TimestampNanosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema as ArrowSchema, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::basic::{LogicalType, TimeUnit as PqUnit};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::statistics::Statistics;
use serde_json::{Map, Value};

use super::row::{Columns, Source};
use super::{ArrowFilter, ArrowPager};
use crate::filter::{Node, Test};
use crate::page::{Page, PageResult};
use crate::schema::{FieldType, Schema};
use crate::value::Nanos;
use crate::{Error, ErrorKind, FieldValue, Filter, Record, Sort};

mod guard;

/// Rows per batch read: large enough that per-batch work vanishes, small
/// enough that a thread's batch stays in cache.
const BATCH: usize = 16 * 1024;

/// A Parquet file, its footer read: ready to count and page.
pub struct ParquetFile {
    name: String,
    input: Input,
    meta: ArrowReaderMetadata,
    /// The first row of each row group.
    starts: Vec<u64>,
}

#[derive(Clone)]
enum Input {
    Path(std::path::PathBuf),
    Bytes(Bytes),
}

/// A file or bytes, as parquet reads them: one per thread.
enum Reader {
    File(File),
    Bytes(Bytes),
}

impl Length for Reader {
    fn len(&self) -> u64 {
        match self {
            Reader::File(f) => f.len(),
            Reader::Bytes(b) => b.len() as u64,
        }
    }
}

impl ChunkReader for Reader {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Reader::File(f) => Box::new(f.get_read(start)?),
            Reader::Bytes(b) => Box::new(b.get_read(start)?),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        match self {
            Reader::File(f) => f.get_bytes(start, length),
            Reader::Bytes(b) => b.get_bytes(start, length),
        }
    }
}

impl ParquetFile {
    /// Open the file at `path` and read its footer.
    pub fn open(path: impl AsRef<Path>) -> Result<ParquetFile, Error> {
        let path = path.as_ref();
        ParquetFile::new(path.display().to_string(), Input::Path(path.to_owned()))
    }

    /// A Parquet file held in memory; `name` names it in errors.
    pub fn from_bytes(
        name: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Result<ParquetFile, Error> {
        ParquetFile::new(name.into(), Input::Bytes(data.into()))
    }

    fn new(name: String, input: Input) -> Result<ParquetFile, Error> {
        let err = |m: String| Error::new(ErrorKind::InvalidRecord, format!("{name}: {m}"));
        let reader = open(&input).map_err(|e| err(format!("cannot read it: {e}")))?;
        if let Some(steps) = guard::endless_footer(&reader) {
            return Err(err(format!(
                "not a readable Parquet file: its footer {}",
                guard::stalls(steps)
            )));
        }
        let meta = in_reader(|| ArrowReaderMetadata::load(&reader, ArrowReaderOptions::default()))
            .map_err(|p| err(format!("not a readable Parquet file: {p}")))?
            .map_err(|e| err(format!("not a readable Parquet file: {e}")))?;
        let mut starts = Vec::new();
        let mut at = 0u64;
        for rg in meta.metadata().row_groups() {
            starts.push(at);
            at = at.saturating_add(u64::try_from(rg.num_rows()).unwrap_or(0));
        }
        Ok(ParquetFile {
            name,
            input,
            meta,
            starts,
        })
    }

    /// The file's Arrow schema.
    pub fn schema(&self) -> &SchemaRef {
        self.meta.schema()
    }

    /// The number of rows, from the footer.
    pub fn num_rows(&self) -> u64 {
        self.meta
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| u64::try_from(rg.num_rows()).unwrap_or(0))
            .sum()
    }

    fn error(&self, e: Error) -> Error {
        Error::new(e.kind(), format!("{}: {}", self.name, e.message()))
    }

    fn data_error(&self, m: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::InvalidRecord, format!("{}: {m}", self.name))
    }

    /// The Arrow schema of `columns` (root indexes, ascending): the
    /// batches' schema when [`each_group`](Self::each_group) reads them.
    fn project(&self, columns: &[usize]) -> Result<ArrowSchema, Error> {
        self.schema()
            .project(columns)
            .map_err(|e| self.data_error(e))
    }

    /// How many records match `filter`, on up to `threads` threads.
    pub fn count(&self, filter: &Filter, threads: usize) -> Result<u64, Error> {
        let full = filter
            .bind_arrow(self.schema())
            .map_err(|e| self.error(e))?;
        let columns = full.columns();
        let projected = self.project(&columns)?;
        let bound = filter.bind_arrow(&projected).map_err(|e| self.error(e))?;
        let groups = self.groups(&full);
        let counts = self.each_group(
            &groups,
            threads,
            &columns,
            None,
            || 0u64,
            |n, batch, _| {
                *n += bound.count(batch)?;
                Ok(())
            },
        )?;
        Ok(counts.into_iter().sum())
    }

    /// The page of `filter`'s matches in `sort` order and the total, each
    /// record as a JSON object (the schema's fields the file has): what
    /// [`Filter::page`] gives over the same records. The query, sort and
    /// key columns are read first; the other columns only for the rows of
    /// the page.
    pub fn page(
        &self,
        filter: &Filter,
        sort: &Sort,
        page: Page,
        threads: usize,
    ) -> Result<PageResult<Map<String, Value>>, Error> {
        let full = filter
            .bind_arrow(self.schema())
            .map_err(|e| self.error(e))?;
        let schema = filter.schema();
        let mut needed = full.columns();
        for f in sort.sort_field().into_iter().chain(schema.key()) {
            needed.push(
                super::fit::required(self.schema(), schema, f, "the sort")
                    .map_err(|e| self.error(e))?,
            );
        }
        needed.sort_unstable();
        needed.dedup();
        let projected = self.project(&needed)?;
        let bound = filter.bind_arrow(&projected).map_err(|e| self.error(e))?;
        // Fail before reading anything when the sort's columns do not fit.
        ArrowPager::new(&bound, sort, page).map_err(|e| self.error(e))?;
        let groups = self.groups(&full);
        let pagers = self.each_group(
            &groups,
            threads,
            &needed,
            None,
            || ArrowPager::new(&bound, sort, page),
            |p, batch, first| match p {
                Ok(p) => p.push_at(batch, first),
                Err(e) => Err(e.clone()),
            },
        )?;
        let mut merged: Option<ArrowPager> = None;
        for p in pagers {
            let p = p.map_err(|e| self.error(e))?;
            match &mut merged {
                None => merged = Some(p),
                Some(m) => m.merge(p),
            }
        }
        let result = match merged {
            Some(m) => m.finish(),
            None => ArrowPager::new(&bound, sort, page)
                .map_err(|e| self.error(e))?
                .finish(),
        };
        let positions: Vec<u64> = result.records.iter().map(|r| r.position()).collect();
        let records = self.rows(schema, &positions)?;
        Ok(PageResult {
            records,
            total: result.total,
            page: result.page,
        })
    }

    /// The rows at `positions`, every column of `schema` the file has, as
    /// JSON objects in the order asked.
    fn rows(&self, schema: &Schema, positions: &[u64]) -> Result<Vec<Map<String, Value>>, Error> {
        let columns = Columns::bind(schema, self.schema(), &[]).map_err(|e| self.error(e))?;
        let mut wanted: Vec<usize> = columns.slots.iter().flatten().copied().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let projected = self.project(&wanted)?;
        let columns = Columns::bind(schema, &projected, &[]).map_err(|e| self.error(e))?;
        let mut sorted: Vec<u64> = positions.to_vec();
        sorted.sort_unstable();
        let mut found: Vec<(u64, Map<String, Value>)> = Vec::with_capacity(sorted.len());
        let mut i = 0;
        while i < sorted.len() {
            let rg = self
                .starts
                .partition_point(|&s| s <= sorted[i])
                .saturating_sub(1);
            let start = self.starts[rg];
            let end = self.starts.get(rg + 1).copied().unwrap_or(u64::MAX);
            let mut j = i;
            let mut selectors = Vec::new();
            let mut at = start;
            while j < sorted.len() && sorted[j] < end {
                let skip = (sorted[j] - at) as usize;
                if skip > 0 {
                    selectors.push(RowSelector::skip(skip));
                }
                selectors.push(RowSelector::select(1));
                at = sorted[j] + 1;
                j += 1;
            }
            let rows = &sorted[i..j];
            let mut next = 0;
            let got = self.each_group(
                &[rg],
                1,
                &wanted,
                Some(RowSelection::from(selectors)),
                Vec::new,
                |out, batch, _| {
                    let source = Source::new(&columns, batch);
                    for r in 0..batch.num_rows() {
                        out.push(source.to_json(r));
                    }
                    Ok(())
                },
            )?;
            for m in got.into_iter().flatten() {
                if let Some(&p) = rows.get(next) {
                    found.push((p, m));
                }
                next += 1;
            }
            i = j;
        }
        positions
            .iter()
            .map(|p| {
                found
                    .binary_search_by_key(p, |(q, _)| *q)
                    .map(|k| found[k].1.clone())
                    .map_err(|_| self.data_error(format!("row {p} could not be read again")))
            })
            .collect()
    }

    /// The row groups that `filter` may match, by their statistics (see
    /// [`count`](ParquetFile::count)): the others are not read.
    pub fn row_groups(&self, filter: &Filter) -> Result<Vec<usize>, Error> {
        let full = filter
            .bind_arrow(self.schema())
            .map_err(|e| self.error(e))?;
        Ok(self.groups(&full))
    }

    /// The row groups the filter may match, by their statistics.
    fn groups(&self, full: &ArrowFilter) -> Vec<usize> {
        let meta = self.meta.metadata();
        (0..meta.num_row_groups())
            .filter(|&i| self.may_match(&full.filter.root, meta.row_group(i), full))
            .collect()
    }

    /// Run `work` over every batch of `groups` (their `columns`, root
    /// indexes ascending), the groups dealt round-robin to up to `threads`
    /// threads, each with its own state from `init`; `work` gets each
    /// batch's first row position.
    #[allow(clippy::too_many_arguments)]
    fn each_group<S: Send>(
        &self,
        groups: &[usize],
        threads: usize,
        columns: &[usize],
        selection: Option<RowSelection>,
        init: impl Fn() -> S + Sync,
        work: impl Fn(&mut S, &RecordBatch, u64) -> Result<(), Error> + Sync,
    ) -> Result<Vec<S>, Error> {
        let threads = threads.clamp(1, groups.len().max(1));
        let run = |t: usize| -> Result<S, Error> {
            let mut state = init();
            for &rg in groups.iter().skip(t).step_by(threads) {
                self.read_group(rg, columns, selection.as_ref(), |batch, first| {
                    work(&mut state, batch, first)
                })
                .map_err(|stop| match stop {
                    Stop::Work(e) => e,
                    Stop::Reader(e) => self.group_error(rg, columns, selection.as_ref(), e),
                })?;
            }
            Ok(state)
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|t| scope.spawn(move || run(t))).collect();
            handles
                .into_iter()
                .map(|h| {
                    // The reader's own panics are errors already
                    // (`read_group`): this one is kfql's, a bug.
                    h.join().unwrap_or_else(|_| {
                        Err(self.data_error(
                            "reading it failed unexpectedly (a bug in kfql: please report it with the file)",
                        ))
                    })
                })
                .collect()
        })
    }

    /// Hand `work` every batch of row group `rg` (its `columns`, the rows
    /// of `selection`) and the position of the batch's first row. The
    /// Parquet reader's failures, its panics included, stop it with
    /// [`Stop::Reader`].
    fn read_group(
        &self,
        rg: usize,
        columns: &[usize],
        selection: Option<&RowSelection>,
        mut work: impl FnMut(&RecordBatch, u64) -> Result<(), Error>,
    ) -> Result<(), Stop> {
        let reader = open(&self.input)
            .map_err(|e| Stop::Work(self.data_error(format!("cannot read it: {e}"))))?;
        self.check_pages(&reader, rg, columns).map_err(Stop::Work)?;
        let mask = ProjectionMask::roots(self.meta.parquet_schema(), columns.iter().copied());
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(reader, self.meta.clone())
                .with_row_groups(vec![rg])
                .with_projection(mask)
                .with_batch_size(BATCH);
        if let Some(s) = selection {
            builder = builder.with_row_selection(s.clone());
        }
        let mut batches = in_reader(|| builder.build())
            .map_err(Stop::Reader)?
            .map_err(|e| Stop::Reader(e.to_string()))?;
        let mut first = self.starts.get(rg).copied().unwrap_or(0);
        while let Some(batch) = in_reader(|| batches.next()).map_err(Stop::Reader)? {
            let batch = batch.map_err(|e| Stop::Reader(e.to_string()))?;
            work(&batch, first).map_err(Stop::Work)?;
            first += batch.num_rows() as u64;
        }
        Ok(())
    }

    /// The error for row group `rg`, whose `columns` the reader failed
    /// on with `e`. The reader's errors rarely say which column's page
    /// was bad, so each column is read again on its own: the first that
    /// fails alone is named, with its own error.
    fn group_error(
        &self,
        rg: usize,
        columns: &[usize],
        selection: Option<&RowSelection>,
        e: String,
    ) -> Error {
        let name = |c: usize| self.schema().field(c).name().clone();
        if columns.len() > 1 {
            for &c in columns {
                if let Err(Stop::Reader(alone)) =
                    self.read_group(rg, &[c], selection, |_, _| Ok(()))
                {
                    return self.data_error(format!(
                        "column `{}` (row group {rg}): cannot read it: {alone}",
                        name(c)
                    ));
                }
            }
        }
        match columns {
            [c] => self.data_error(format!(
                "column `{}` (row group {rg}): cannot read it: {e}",
                name(*c)
            )),
            // No column read (a count of every row), or none fails alone.
            [] => self.data_error(format!("row group {rg}: cannot read it: {e}")),
            _ => self.data_error(format!(
                "row group {rg} (columns {}): cannot read it: {e}",
                columns
                    .iter()
                    .map(|&c| name(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Whether a row group may hold a match, judged from the statistics
    /// of its column chunks: false only when they prove no row does.
    /// Null counts decide `-eq NULL` and the tests that need a value;
    /// integer and instant ranges are compared with the chunk's minimum
    /// and maximum. Text is never pruned: its statistics order bytes, not
    /// folded text.
    fn may_match(&self, node: &Node, rg: &RowGroupMetaData, full: &ArrowFilter) -> bool {
        match node {
            Node::All => true,
            Node::And(xs) => xs.iter().all(|x| self.may_match(x, rg, full)),
            Node::Or(xs) => xs.iter().any(|x| self.may_match(x, rg, full)),
            Node::Test(slot, test) => {
                let field = &full.filter.schema.fields()[*slot];
                if field.ty() == &FieldType::StringList {
                    return true;
                }
                let Some(name) = full.slots[*slot].map(|c| self.schema().field(c).name().clone())
                else {
                    return true;
                };
                let Some((leaf, _)) = parquet::arrow::parquet_column(
                    self.meta.parquet_schema(),
                    self.schema(),
                    &name,
                ) else {
                    return true;
                };
                let chunk = rg.column(leaf);
                let Some(stats) = chunk.statistics() else {
                    return true;
                };
                let rows = u64::try_from(rg.num_rows()).unwrap_or(u64::MAX);
                let nulls = stats.null_count_opt();
                match test {
                    Test::IsNull => return nulls != Some(0),
                    _ if nulls == Some(rows) => return false,
                    _ => {}
                }
                let Test::Range {
                    lo,
                    hi,
                    negate: false,
                    ..
                } = test
                else {
                    return true;
                };
                let Some(unit) = unit_of(chunk.column_descr().logical_type_ref(), field.ty())
                else {
                    return true;
                };
                let (min, max) = match stats {
                    Statistics::Int32(s) => match (s.min_opt(), s.max_opt()) {
                        (Some(a), Some(b)) => (i128::from(*a), i128::from(*b)),
                        _ => return true,
                    },
                    Statistics::Int64(s) => match (s.min_opt(), s.max_opt()) {
                        (Some(a), Some(b)) => (i128::from(*a), i128::from(*b)),
                        _ => return true,
                    },
                    _ => return true,
                };
                // The kernel's conversion: lo ≤ v·unit < hi.
                let ceil = |n: Nanos| n.div_euclid(unit) + Nanos::from(n.rem_euclid(unit) != 0);
                let lo = if *lo == Nanos::MIN {
                    Nanos::MIN
                } else {
                    ceil(*lo)
                };
                let hi = if *hi == Nanos::MAX {
                    Nanos::MAX
                } else {
                    ceil(*hi)
                };
                max >= lo && min < hi
            }
        }
    }
}

/// Nanoseconds per stored step of a signed integer or instant column, by
/// its Parquet logical type (Parquet stores Arrow's second timestamps as
/// milliseconds, so the Arrow type would mislead); `None` when the
/// statistics cannot be compared.
fn unit_of(logical: Option<&LogicalType>, ty: &FieldType) -> Option<i128> {
    match (logical, ty) {
        (Some(LogicalType::Timestamp(t)), FieldType::DateTime) => Some(match t.unit {
            PqUnit::MILLIS => 1_000_000,
            PqUnit::MICROS => 1_000,
            PqUnit::NANOS => 1,
        }),
        (Some(LogicalType::Date), FieldType::DateTime) => Some(86_400 * 1_000_000_000),
        (None, FieldType::Integer) => Some(1),
        (Some(LogicalType::Integer(i)), FieldType::Integer) if i.is_signed => Some(1),
        _ => None,
    }
}

/// Why [`ParquetFile::read_group`] stopped.
enum Stop {
    /// The Parquet reader failed: its error or its panic's message.
    Reader(String),
    /// The caller's work failed, or the file could not be opened.
    Work(Error),
}

thread_local! {
    /// Whether this thread is inside [`in_reader`], where a panic is
    /// caught and becomes an error: the hook of [`quiet_reader_panics`]
    /// stays silent for it.
    static IN_READER: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`, a call into the Parquet reader, catching a panic: the parquet
/// crate panics on some corrupt files instead of returning an error. The
/// panic's message comes back as the error.
fn in_reader<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = IN_READER.replace(true);
    // The reader that panicked is dropped, never used again.
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    IN_READER.set(outer);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        format!("corrupt data that the Parquet reader does not expect ({message})")
    })
}

/// Keep the panic hook quiet for the Parquet reader's panics that this
/// module catches and returns as errors, so that a program (the CLI)
/// prints the error alone. Every other panic goes to the hook installed
/// before, as usual. The hook is process-wide, so the program decides;
/// calling this again does nothing.
pub fn quiet_reader_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_READER.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn open(input: &Input) -> std::io::Result<Reader> {
    Ok(match input {
        Input::Path(p) => Reader::File(File::open(p)?),
        Input::Bytes(b) => Reader::Bytes(b.clone()),
    })
}

/// How `write` lays out each field: the Arrow type a reader binds.
fn arrow_field<R: Record>(field: &crate::Field, records: &[R]) -> Option<ArrowField> {
    let dt = match field.ty() {
        FieldType::String if low_cardinality(field, records) => dictionary(),
        FieldType::String => DataType::Utf8,
        FieldType::Enum(_) => dictionary(),
        FieldType::Integer => DataType::Int64,
        FieldType::DateTime => DataType::Timestamp(time_unit(field, records), Some("UTC".into())),
        FieldType::Guid => DataType::FixedSizeBinary(16),
        FieldType::Boolean => DataType::Boolean,
        FieldType::StringList => {
            DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true)))
        }
        FieldType::Object => return None,
    };
    Some(ArrowField::new(field.name(), dt, true))
}

fn dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Few distinct texts (user names, workflow types, step names): worth a
/// dictionary. Decided from the first 4,096 records.
fn low_cardinality<R: Record>(field: &crate::Field, records: &[R]) -> bool {
    let mut seen = std::collections::HashSet::new();
    let sample = &records[..records.len().min(4096)];
    for r in sample {
        if let FieldValue::Str(s) = r.value(field) {
            seen.insert(s);
        }
    }
    seen.len() * 4 <= sample.len()
}

/// Nanoseconds when every instant fits an i64 of them (years 1677–2262),
/// else microseconds.
fn time_unit<R: Record>(field: &crate::Field, records: &[R]) -> TimeUnit {
    let fits = records.iter().all(|r| match r.value(field) {
        FieldValue::DateTime(t) => t.timestamp_nanos_opt().is_some(),
        _ => true,
    });
    if fits {
        TimeUnit::Nanosecond
    } else {
        TimeUnit::Microsecond
    }
}

/// Write `records` of `schema` to `out` as Parquet, `group` rows per row
/// group, Snappy-compressed, with statistics: strings with few distinct
/// values and enums dictionary-encoded (by name), instants as UTC
/// timestamps (nanoseconds, or microseconds when one falls outside years
/// 1677–2262: an instant with digits past the microsecond there is an
/// error), GUIDs as 16 bytes, objects left out. Every field is read
/// through [`Record::value`], so fields with a fallback (`WorkflowType`
/// from `Definition`) are written resolved.
pub fn write<R: Record, W: Write + Send>(
    records: &[R],
    schema: &Schema,
    out: W,
    group: usize,
) -> Result<(), Error> {
    let err = |m: String| Error::new(ErrorKind::InvalidRecord, m);
    let fields: Vec<(&crate::Field, ArrowField)> = schema
        .fields()
        .iter()
        .filter_map(|f| arrow_field(f, records).map(|a| (f, a)))
        .collect();
    let arrow = Arc::new(ArrowSchema::new(
        fields.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(group.max(1)))
        .build();
    let mut writer = ArrowWriter::try_new(out, arrow.clone(), Some(props))
        .map_err(|e| err(format!("cannot write Parquet: {e}")))?;
    for (n, chunk) in records.chunks(group.max(1)).enumerate() {
        let first = n * group.max(1);
        let columns = fields
            .iter()
            .map(|(f, a)| column(f, a.data_type(), chunk, first))
            .collect::<Result<Vec<ArrayRef>, Error>>()?;
        let batch = RecordBatch::try_new(arrow.clone(), columns)
            .map_err(|e| err(format!("cannot build a batch: {e}")))?;
        writer
            .write(&batch)
            .map_err(|e| err(format!("cannot write Parquet: {e}")))?;
    }
    writer
        .close()
        .map_err(|e| err(format!("cannot write Parquet: {e}")))?;
    Ok(())
}

fn column<R: Record>(
    field: &crate::Field,
    dt: &DataType,
    records: &[R],
    first: usize,
) -> Result<ArrayRef, Error> {
    let values = records.iter().map(|r| r.value(field));
    Ok(match dt {
        DataType::Dictionary(..) => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in values {
                match (v, field.ty()) {
                    (FieldValue::Str(s), _) => b.append_value(s),
                    (FieldValue::Enum(i), FieldType::Enum(names)) if i < names.len() => {
                        b.append_value(&names[i])
                    }
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::new();
            for v in values {
                match v {
                    FieldValue::Str(s) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Int64 => {
            let mut b = Int64Builder::with_capacity(records.len());
            for v in values {
                b.append_option(match v {
                    FieldValue::Int(n) => Some(n),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let mut b = TimestampNanosecondBuilder::with_capacity(records.len());
            for v in values {
                b.append_option(match v {
                    FieldValue::DateTime(t) => t.timestamp_nanos_opt(),
                    _ => None,
                });
            }
            Arc::new(b.finish().with_timezone("UTC"))
        }
        DataType::Timestamp(..) => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(records.len());
            for (i, v) in values.enumerate() {
                b.append_option(match v {
                    FieldValue::DateTime(t) if t.timestamp_subsec_nanos() % 1000 == 0 => {
                        Some(t.timestamp_micros())
                    }
                    FieldValue::DateTime(_) => {
                        return Err(Error::new(
                            ErrorKind::InvalidRecord,
                            format!(
                                "record {}: {} has digits past the microsecond, and instants outside years 1677–2262 are stored in microseconds",
                                first + i + 1,
                                field.name()
                            ),
                        ));
                    }
                    _ => None,
                });
            }
            Arc::new(b.finish().with_timezone("UTC"))
        }
        DataType::FixedSizeBinary(_) => {
            let mut b = FixedSizeBinaryBuilder::with_capacity(records.len(), 16);
            for v in values {
                match v {
                    FieldValue::Guid(g) => b
                        .append_value(g.to_be_bytes())
                        .map_err(|e| Error::new(ErrorKind::InvalidRecord, e.to_string()))?,
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(records.len());
            for v in values {
                b.append_option(match v {
                    FieldValue::Bool(x) => Some(x),
                    _ => None,
                });
            }
            Arc::new(b.finish())
        }
        _ => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    FieldValue::List(xs) => {
                        for x in xs.iter() {
                            b.values().append_value(x);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
    })
}
