//! Scanning a stream of records: filter, count and page a JSON array or
//! JSON Lines file in bounded memory, JSON Lines on every core.
//!
//! JSON Lines are cut into blocks at line ends by the calling thread and
//! parsed by worker threads, each with its own count and [`Pager`]; a
//! record's input position is its byte offset, so merging the pagers gives
//! exactly the sequential order, ties included. Lines are decoded through
//! [`FromJsonLine::decode`] (for workflow instances, borrowing their text)
//! and copied only when a page keeps them; a line the fast decoder refuses
//! is read again by the checked [`FromJson`] path, for the record or the
//! error naming the line and the field.

use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use crate::json::{Blank, LineError, Position, blank_start, io_error, is_blank, parse_line};
use crate::{Error, Filter, FromJson, Page, PageResult, Pager, Record, Sort, read_records};

/// Record types that [`Scan`] reads from JSON Lines: checked through
/// [`FromJson`], and decoded first by a fast path that may borrow from the
/// line.
///
/// The contract of `decode`: it returns `Some` only for a line that
/// [`FromJson`] (through `serde_json::Value`) reads as a record, with the
/// same value for every field; it may return `None` for any line, which
/// then takes the checked path. A type without a faster decoder uses
/// itself as `Borrowed`, as [`WorkflowTicket`](crate::venafi::WorkflowTicket) does.
pub trait FromJsonLine: FromJson + Record {
    /// The record as decoded from a line, borrowing from it.
    type Borrowed<'a>: Record;

    /// Decode one line (a JSON object, its line end possibly included), or
    /// `None` to leave the line to the checked path.
    fn decode(line: &[u8]) -> Option<Self::Borrowed<'_>>;

    /// The owned record, for records a page keeps.
    fn into_owned(record: Self::Borrowed<'_>) -> Self;
}

/// Filter, count and page records read from a JSON array or JSON Lines
/// stream (told apart by the first non-blank byte, as [`read_records`]
/// does), with the same records, totals, pages and errors as reading them
/// all with [`read_records`] and running [`Filter::count`] or
/// [`Filter::page`].
///
/// JSON Lines are read in blocks (1 MiB by default, grown for a longer
/// line) and parsed on [`threads`](Scan::threads) worker threads; memory
/// stays below (2 × threads + 2) blocks and a page per thread, whatever the
/// size of the input. A JSON array is read on the calling thread, one record at a
/// time. The first malformed record in the input is the error, naming its
/// line (or index) and field; a bad record is never skipped.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use kfql::keyfactor::{self, WorkflowInstance};
/// use kfql::{Direction, Context, Page, Scan, Sort};
///
/// let now = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
/// let records = keyfactor::sample(500, now, 1);
/// let lines: String = records.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
///
/// let schema = keyfactor::schema();
/// let filter = kfql::compile(r#"Status -eq "Running""#, &schema, &Context::new(now))?;
/// let sort = Sort::new(&schema, "StartDate", Direction::Descending)?;
/// let scan = Scan::new().block_size(4096);
/// let page = scan.page::<WorkflowInstance>(lines.as_bytes(), &filter, &sort, Page::new(1, 5)?)?;
/// assert_eq!(page, filter.page(records.iter().cloned(), &sort, Page::new(1, 5)?)?);
/// assert_eq!(scan.count::<WorkflowInstance>(lines.as_bytes(), &filter)?, page.total);
///
/// let err = scan.count::<WorkflowInstance>(&b"\n{\"Id\": 5}\n"[..], &filter).unwrap_err();
/// assert_eq!(err.message(), "line 2, field `Id`: expected a GUID string, found a number");
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    block_size: usize,
    threads: usize,
}

impl Default for Scan {
    /// 1 MiB blocks, one worker per available core.
    fn default() -> Scan {
        Scan {
            block_size: 1 << 20,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl Scan {
    /// 1 MiB blocks, one worker per available core.
    pub fn new() -> Scan {
        Scan::default()
    }

    /// The size of the blocks JSON Lines are read in (at least 1 byte). A
    /// line longer than a block is read whole, in a larger block.
    pub fn block_size(mut self, bytes: usize) -> Scan {
        self.block_size = bytes.max(1);
        self
    }

    /// How many threads parse JSON Lines (at least 1), besides the calling
    /// thread, which reads.
    pub fn threads(mut self, threads: usize) -> Scan {
        self.threads = threads.max(1);
        self
    }

    /// How many records of `input` match `filter`. No record is copied.
    pub fn count<T: FromJsonLine + Send>(
        &self,
        input: impl Read,
        filter: &Filter,
    ) -> Result<u64, Error> {
        Ok(self.run::<T>(input, filter, None)?.count)
    }

    /// The matches of `filter` in `input`, sorted, and one page of them,
    /// with the total: [`Filter::page`] over a stream.
    pub fn page<T: FromJsonLine + Send>(
        &self,
        input: impl Read,
        filter: &Filter,
        sort: &Sort,
        page: Page,
    ) -> Result<PageResult<T>, Error> {
        sort.check_schema(filter.schema())?;
        let tally = self.run::<T>(input, filter, Some((sort, page)))?;
        let pager = tally.pager.expect("a page was asked for");
        Ok(pager.finish())
    }

    fn run<T: FromJsonLine + Send>(
        &self,
        input: impl Read,
        filter: &Filter,
        paging: Option<(&Sort, Page)>,
    ) -> Result<Tally<T>, Error> {
        let tally = || Tally {
            count: 0,
            pager: paging.map(|(sort, page)| Pager::new(sort.clone(), page)),
        };
        // Find the first non-blank byte (after a byte-order mark, skipped
        // as `read_records` skips it), dropping whole blank lines before it
        // but counting them for line numbers.
        let mut input = Resume {
            failed: None,
            input: crate::json::skip_bom(input).map_err(io_error)?,
        };
        let mut buf = vec![0; self.block_size];
        let (mut filled, mut lines, mut offset) = (0, 0, 0);
        let first = loop {
            let status = fill(&mut input, &mut buf, &mut filled);
            let (blank_lines, rest) = match blank_start(&buf[..filled]) {
                Blank::Until(i) => {
                    // A read error waits until the records before it are read.
                    input.failed = status.err();
                    break buf[i];
                }
                Blank::All { lines, rest } => (lines, rest),
            };
            if status.map_err(io_error)? {
                return Ok(tally());
            }
            // Whole blank lines go; a blank line's start stays in the buffer.
            let end = filled - rest;
            lines += blank_lines;
            offset += end as u64;
            buf.copy_within(end..filled, 0);
            filled -= end;
            if filled == buf.len() {
                buf.resize(2 * buf.len(), 0);
            }
        };
        if first == b'[' {
            let mut tally = tally();
            // The dropped blank lines go back in as line breaks, so that
            // serde_json's positions count from the start of the input.
            let read = crate::json::blank_prefix(lines, 0)
                .chain(io::Cursor::new(&buf[..filled]))
                .chain(input);
            let input = BufReader::with_capacity(1 << 16, read);
            let mut seq = 0;
            read_records(input, |record: T| {
                tally.owned(filter, record, seq);
                seq += 1;
            })?;
            return Ok(tally);
        }
        let start = Block {
            index: 0,
            offset,
            data: buf,
            len: filled,
        };
        self.lines(input, start, lines, filter, tally)
    }

    /// JSON Lines in parallel. `start` holds the bytes read so far (`len`)
    /// in a buffer of at least a block; `lines` came before it.
    fn lines<T: FromJsonLine + Send>(
        &self,
        mut input: impl Read,
        start: Block,
        lines: u64,
        filter: &Filter,
        tally: impl Fn() -> Tally<T> + Sync,
    ) -> Result<Tally<T>, Error> {
        // The index of the earliest block with a bad line: later blocks
        // are neither sent nor parsed.
        let stop = AtomicUsize::new(usize::MAX);
        let (send, blocks) = mpsc::sync_channel::<Block>(self.threads);
        // Shared by the workers only: if they all die, the channel closes
        // and the reader stops instead of waiting forever.
        let blocks = Arc::new(Mutex::new(blocks));
        let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
        let (read, done) = std::thread::scope(|s| {
            let workers: Vec<_> = (0..self.threads)
                .map(|_| {
                    let (blocks, recycle) = (Arc::clone(&blocks), recycle.clone());
                    let (stop, tally) = (&stop, &tally);
                    s.spawn(move || work(&blocks, recycle, stop, filter, tally()))
                })
                .collect();
            drop(blocks);
            let reader = Reader {
                block_size: self.block_size,
                send,
                recycled,
                stop: &stop,
            };
            let read = reader.run(&mut input, start);
            let done: Vec<Done<T>> = workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            (read, done)
        });

        let mut total = tally();
        let mut line_counts = Vec::new();
        let mut first_bad: Option<(usize, u64, LineError)> = None;
        for d in done {
            total.merge(d.tally);
            line_counts.extend(d.lines);
            if let Some(bad) = d.bad
                && first_bad
                    .as_ref()
                    .is_none_or(|f| (bad.0, bad.1) < (f.0, f.1))
            {
                first_bad = Some(bad);
            }
        }
        // Every block before the bad one was parsed to its end, so its
        // line count is known.
        if let Some((index, line, e)) = first_bad {
            let before: u64 = line_counts
                .iter()
                .filter(|(i, _)| *i < index)
                .map(|(_, n)| n)
                .sum();
            return Err(e.at(Position::Line(lines + before + line)));
        }
        read.map_err(io_error)?;
        Ok(total)
    }
}

/// A reader whose next read fails with `failed`, when set.
struct Resume<R> {
    failed: Option<io::Error>,
    input: R,
}

impl<R: Read> Read for Resume<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.input.read(buf),
        }
    }
}

/// Whole lines of the input: block `index`, starting at byte `offset` of
/// the input, is `data[..len]`.
struct Block {
    index: usize,
    offset: u64,
    data: Vec<u8>,
    len: usize,
}

/// Read into `buf[*filled..]` until it is full or the input ends (then
/// `true`). On an error, `filled` still counts the bytes read before it.
fn fill(input: &mut impl Read, buf: &mut [u8], filled: &mut usize) -> io::Result<bool> {
    while *filled < buf.len() {
        match input.read(&mut buf[*filled..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Where the bytes after the last `\n` start.
fn after_last_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1)
}

/// The calling thread's part: cut the input into blocks of whole lines.
struct Reader<'s> {
    block_size: usize,
    send: SyncSender<Block>,
    recycled: Receiver<Vec<u8>>,
    stop: &'s AtomicUsize,
}

impl Reader<'_> {
    fn run(self, input: &mut impl Read, start: Block) -> io::Result<()> {
        let Block {
            mut index,
            mut offset,
            data: mut buf,
            len: mut filled,
        } = start;
        // Bytes before `searched` hold no line end.
        let mut searched = 0;
        loop {
            let status = fill(input, &mut buf, &mut filled);
            let end = match &status {
                Ok(true) => filled,
                Ok(false) => match after_last_newline(&buf[searched..filled]) {
                    Some(end) => searched + end,
                    None => {
                        // A line longer than the block: read it whole.
                        searched = filled;
                        buf.resize(2 * buf.len(), 0);
                        continue;
                    }
                },
                // The lines read before a failure still count: a bad
                // record among them is reported before the read error.
                Err(_) => after_last_newline(&buf[..filled]).unwrap_or(0),
            };
            let more = matches!(status, Ok(false));
            let rest = filled - end;
            let mut next = Vec::new();
            if more {
                next = self.recycled.try_recv().unwrap_or_default();
                if next.len() < rest + (self.block_size / 2).max(1) {
                    next = vec![0; rest + self.block_size];
                }
                next[..rest].copy_from_slice(&buf[end..filled]);
            }
            if end > 0 {
                let block = Block {
                    index,
                    offset,
                    data: buf,
                    len: end,
                };
                if self.stop.load(Relaxed) != usize::MAX || self.send.send(block).is_err() {
                    return Ok(());
                }
                index += 1;
                offset += end as u64;
            }
            if !more {
                return status.map(drop);
            }
            (buf, filled, searched) = (next, rest, rest);
        }
    }
}

/// What one worker found.
struct Done<T> {
    tally: Tally<T>,
    /// (block index, number of lines) of every block parsed to its end.
    lines: Vec<(usize, u64)>,
    /// The first bad line it saw: (block index, line in the block, why).
    bad: Option<(usize, u64, LineError)>,
}

fn work<T: FromJsonLine>(
    blocks: &Mutex<Receiver<Block>>,
    recycle: Sender<Vec<u8>>,
    stop: &AtomicUsize,
    filter: &Filter,
    mut tally: Tally<T>,
) -> Done<T> {
    let mut lines = Vec::new();
    let mut bad: Option<(usize, u64, LineError)> = None;
    loop {
        // The lock is held only while waiting for the next block.
        let next = blocks.lock().map(|b| b.recv());
        let Ok(Ok(block)) = next else { break };
        if block.index <= stop.load(Relaxed) {
            match parse_block(&block, filter, &mut tally) {
                Ok(n) => lines.push((block.index, n)),
                Err((line, e)) => {
                    stop.fetch_min(block.index, Relaxed);
                    if bad.as_ref().is_none_or(|b| block.index < b.0) {
                        bad = Some((block.index, line, e));
                    }
                }
            }
        }
        // The reader may be gone; then the buffer is simply dropped.
        let _ = recycle.send(block.data);
    }
    Done { tally, lines, bad }
}

/// Filter the lines of one block: how many lines it has, or the first bad
/// one (1-based within the block) and why.
fn parse_block<T: FromJsonLine>(
    block: &Block,
    filter: &Filter,
    tally: &mut Tally<T>,
) -> Result<u64, (u64, LineError)> {
    let data = &block.data[..block.len];
    let (mut at, mut line) = (0, 0);
    while at < data.len() {
        let end = at + line_len(&data[at..]);
        let text = &data[at..end];
        line += 1;
        if !is_blank(text) {
            let seq = block.offset + at as u64;
            match T::decode(text) {
                Some(record) => tally.borrowed(filter, record, seq),
                None => match parse_line::<T>(text) {
                    Ok(record) => tally.owned(filter, record, seq),
                    Err(e) => return Err((line, e)),
                },
            }
        }
        at = end;
    }
    Ok(line)
}

/// The length of the first line of `bytes`, its `\n` included: 64 bytes
/// at a time, with comparisons that vectorize (std has no public memchr).
fn line_len(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(64);
    let mut at = 0;
    for chunk in &mut chunks {
        let chunk: &[u8; 64] = chunk.try_into().expect("64 bytes");
        if chunk.iter().fold(0, |any, &b| any | u8::from(b == b'\n')) != 0 {
            break;
        }
        at += 64;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i + 1)
}

/// Matches so far: their number, and the page when one was asked for.
struct Tally<T> {
    count: u64,
    pager: Option<Pager<T>>,
}

impl<T: FromJsonLine> Tally<T> {
    fn borrowed(&mut self, filter: &Filter, record: T::Borrowed<'_>, seq: u64) {
        if filter.matches(&record) {
            self.count += 1;
            if let Some(pager) = &mut self.pager {
                pager.offer(record, seq, T::into_owned);
            }
        }
    }

    fn owned(&mut self, filter: &Filter, record: T, seq: u64) {
        if filter.matches(&record) {
            self.count += 1;
            if let Some(pager) = &mut self.pager {
                pager.offer(record, seq, |r| r);
            }
        }
    }

    fn merge(&mut self, other: Tally<T>) {
        self.count += other.count;
        if let (Some(pager), Some(other)) = (&mut self.pager, other.pager) {
            pager.merge(other);
        }
    }
}
