//! A guard in front of the parquet crate's Thrift decoder.
//!
//! A Parquet file's footer and page headers are Thrift structs. parquet
//! 60 skips a field it does not know with a loop that reads nothing for
//! each element of a list of booleans, so a corrupt header that declares
//! an unknown `list<bool>` of two billion elements costs seconds, and a
//! footer can declare thousands of them. The `data` fuzz target found
//! one: 14 KB, five seconds in `skip_till_depth`.
//!
//! So before parquet decodes a footer or a column chunk's page headers,
//! [`footer`] and [`pages`] walk the same bytes the way parquet 60.1
//! reads them with kfql's options: known fields by the format's types
//! (parquet reads a known field id by its type, whatever the wire says),
//! other fields by their wire types, and a boolean in a skipped list as
//! zero bytes. They count those zero-byte steps. No real header takes
//! one (no Parquet field is a list of booleans); a header that would take
//! more than its own length in them is refused.
//!
//! Where the walk finds the bytes malformed it stops and lets parquet
//! give its own error: parquet reads the same bytes the same way up to
//! there, so it stops there too. The walk itself reads each byte once and
//! counts a list of booleans without looping over it.
//!
//! This module can go once parquet's `skip_till_depth` reads a list's
//! booleans as one byte each (as the compact protocol writes them) and
//! its page-header reader fails at the end of the file instead of
//! skipping on. Until then, a parquet upgrade needs the tables below
//! checked against its decoders.

use parquet::file::reader::{ChunkReader, Length};

use super::{ParquetFile, Reader};
use crate::Error;
use Ty::*;

/// How parquet reads a known field.
#[derive(Clone, Copy)]
enum Ty {
    /// An i16, i32, i64 or enum: a zigzag varint.
    Int,
    /// A page header's `compressed_page_size`: an `Int` the walk keeps.
    Size,
    /// An i8: one byte.
    Byte,
    /// A boolean field: its value is in the field header.
    Bool,
    Double,
    /// binary or string: a varint length, then the bytes.
    Bytes,
    /// A list of these; `true` when parquet refuses a size past the
    /// bytes left (its `read_thrift_vec`).
    List(&'static Ty, bool),
    /// A struct: these field ids are read by type, the others skipped.
    Struct(&'static [(i16, Ty)]),
    /// A union: one member, then a stop. `true` when parquet skips an
    /// unknown member (else it refuses it).
    Union(&'static [(i16, Ty)], bool),
    /// An empty struct as a union member: one zero byte.
    Empty,
}

// The format's structs, as parquet 60.1 reads them: the footer as
// `parquet_metadata_from_bytes` does (without the `encryption` feature,
// so fields 8 and 9 of a column chunk are skipped), and a page header as
// `PageHeader::read_thrift_without_stats` (kfql asks for no page
// statistics, so those are skipped). Fields are (id, type).
#[rustfmt::skip]
mod format {
    use super::Ty::{self, *};

    const STATISTICS: Ty = Struct(&[
        (1, Bytes), (2, Bytes), (3, Int), (4, Int), (5, Bytes), (6, Bytes), (7, Bool), (8, Bool),
        (9, Int),
    ]);
    const TIME_UNIT: Ty = Union(&[(1, Empty), (2, Empty), (3, Empty)], false);
    const TIMESTAMP: Ty = Struct(&[(1, Bool), (2, TIME_UNIT)]);
    const LOGICAL_TYPE: Ty = Union(&[
        (1, Empty), (2, Empty), (3, Empty), (4, Empty), (5, Struct(&[(1, Int), (2, Int)])),
        (6, Empty), (7, TIMESTAMP), (8, TIMESTAMP), (10, Struct(&[(1, Byte), (2, Bool)])),
        (11, Empty), (12, Empty), (13, Empty), (14, Empty), (15, Empty),
        (16, Struct(&[(1, Byte)])), (17, Struct(&[(1, Bytes)])),
        (18, Struct(&[(1, Bytes), (2, Int)])), (19, Empty),
    ], true);
    const SCHEMA_ELEMENT: Ty = Struct(&[
        (1, Int), (2, Int), (3, Int), (4, Bytes), (5, Int), (6, Int), (7, Int), (8, Int), (9, Int),
        (10, LOGICAL_TYPE),
    ]);
    const BOUNDING_BOX: Ty = Struct(&[
        (1, Double), (2, Double), (3, Double), (4, Double),
        (5, Double), (6, Double), (7, Double), (8, Double),
    ]);
    const COLUMN_META: Ty = Struct(&[
        (1, Int),
        (2, List(&Int, false)), // encodings, read into a mask
        (4, Int), (5, Int), (6, Int), (7, Int), (9, Int), (10, Int), (11, Int),
        (12, STATISTICS),
        (13, List(&Struct(&[(1, Int), (2, Int), (3, Int)]), false)), // encoding stats, as a mask
        (14, Int), (15, Int),
        (16, Struct(&[(1, Int), (2, List(&Int, true)), (3, List(&Int, true))])),
        (17, Struct(&[(1, BOUNDING_BOX), (2, List(&Int, true))])),
    ]);
    const COLUMN_CHUNK: Ty = Struct(&[
        (1, Bytes), (2, Int), (3, COLUMN_META), (4, Int), (5, Int), (6, Int), (7, Int),
    ]);
    const ROW_GROUP: Ty = Struct(&[
        (1, List(&COLUMN_CHUNK, false)), // checked against the schema's width instead
        (2, Int), (3, Int),
        (4, List(&Struct(&[(1, Int), (2, Bool), (3, Bool)]), true)),
        (5, Int), (7, Int),
    ]);
    pub(super) const FILE_META: Ty = Struct(&[
        (1, Int),
        (2, List(&SCHEMA_ELEMENT, true)),
        (3, Int),
        (4, List(&ROW_GROUP, true)),
        (5, List(&Struct(&[(1, Bytes), (2, Bytes)]), true)),
        (6, Bytes),
        (7, List(&Union(&[(1, Empty), (2, Empty), (3, Empty)], true), true)),
    ]);

    pub(super) const PAGE_HEADER: Ty = Struct(&[
        (1, Int), (2, Int), (3, Size), (4, Int),
        (5, Struct(&[(1, Int), (2, Int), (3, Int), (4, Int)])),
        (6, Struct(&[])),
        (7, Struct(&[(1, Int), (2, Int), (3, Bool)])),
        (8, Struct(&[(1, Int), (2, Int), (3, Int), (4, Int), (5, Int), (6, Int), (7, Bool)])),
    ]);
}
use format::{FILE_META, PAGE_HEADER};

/// Why a walk stopped early.
#[derive(Debug, PartialEq)]
pub(super) enum Halt {
    /// The bytes are malformed here; parquet refuses them too.
    Malformed,
    /// parquet would loop this many times over nothing, more than the
    /// bytes before.
    Endless(u64),
}

/// Walk a footer (the Thrift `FileMetaData`). `Err(Endless)` means refuse
/// the file; anything else means parquet may decode it.
pub(super) fn footer(bytes: &[u8]) -> Result<(), Halt> {
    let mut walk = Walk::new(bytes);
    walk.read(FILE_META, 0)
}

/// Walk the page headers of a column chunk of `len` bytes from `start`.
/// `read(at, n)` returns up to `n` bytes of the file from `at` on (fewer
/// at its end): parquet reads a header from its start to the end of the
/// file. `Err(Endless)` means refuse the chunk.
pub(super) fn pages(
    len: u64,
    mut read: impl FnMut(u64, usize) -> Option<bytes::Bytes>,
    start: u64,
) -> Result<(), Halt> {
    let (mut at, mut left) = (start, len);
    while left > 0 {
        // A header is usually a few dozen bytes; read more only when it
        // runs past the window (long statistics).
        let mut window = 256;
        let (used, size) = loop {
            let bytes = read(at, window).ok_or(Halt::Malformed)?;
            let mut walk = Walk::new(&bytes);
            walk.lenient = true;
            let walked = walk.read(PAGE_HEADER, 0);
            if walk.eof && bytes.len() == window {
                // The end of the window, not of the file: walk more.
                window = window.saturating_mul(4);
                continue;
            }
            walked?;
            break (walk.at as u64, walk.compressed.ok_or(Halt::Malformed)?);
        };
        // parquet's own checks (verify_page_header_len, verify_page_size).
        let size = u64::try_from(size).map_err(|_| Halt::Malformed)?;
        left = left.checked_sub(used).ok_or(Halt::Malformed)?;
        left = left.checked_sub(size).ok_or(Halt::Malformed)?;
        at += used + size;
    }
    Ok(())
}

/// How an error says why a footer or page header is refused.
pub(super) fn stalls(steps: u64) -> String {
    format!("is corrupt (it declares {steps} list elements that take no bytes)")
}

/// Whether the file's footer is one the Parquet reader would spend
/// seconds on: the number of empty steps it declares. A file too short
/// or without the magic is left to the reader's own error.
pub(super) fn endless_footer(reader: &Reader) -> Option<u64> {
    let len = reader.len();
    let tail = reader.get_bytes(len.checked_sub(8)?, 8).ok()?;
    if &tail[4..] != b"PAR1" {
        return None;
    }
    let size = u64::from(u32::from_le_bytes(tail[..4].try_into().ok()?));
    let bytes = reader
        .get_bytes(len.checked_sub(8 + size)?, usize::try_from(size).ok()?)
        .ok()?;
    match footer(&bytes) {
        Err(Halt::Endless(steps)) => Some(steps),
        _ => None,
    }
}

impl ParquetFile {
    /// Refuse a page header of `columns` in row group `rg` that the
    /// Parquet reader would spend seconds on (see this module).
    pub(super) fn check_pages(
        &self,
        reader: &Reader,
        rg: usize,
        columns: &[usize],
    ) -> Result<(), Error> {
        let meta = self.meta.metadata();
        let schema = meta.file_metadata().schema_descr();
        let Some(group) = meta.row_groups().get(rg) else {
            return Ok(());
        };
        let end = reader.len();
        for (leaf, chunk) in group.columns().iter().enumerate() {
            if leaf >= schema.num_columns() {
                continue;
            }
            let root = schema.get_column_root_idx(leaf);
            if !columns.contains(&root) {
                continue;
            }
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or(chunk.data_page_offset());
            let (Ok(start), Ok(len)) =
                (u64::try_from(start), u64::try_from(chunk.compressed_size()))
            else {
                continue; // parquet refuses these itself
            };
            let read = |at: u64, n: usize| {
                let n = n.min(usize::try_from(end.saturating_sub(at)).unwrap_or(usize::MAX));
                reader.get_bytes(at, n).ok()
            };
            if let Err(Halt::Endless(steps)) = pages(len, read, start) {
                return Err(self.data_error(format!(
                    "column `{}` (row group {rg}): cannot read it: a page header {}",
                    self.schema().field(root).name(),
                    stalls(steps)
                )));
            }
        }
        Ok(())
    }
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Zero-byte steps parquet's skipping would take so far.
    steps: u64,
    /// A page header's `compressed_page_size`.
    compressed: Option<i32>,
    /// Whether the walk reached the end of `bytes`.
    eof: bool,
    /// Whether a skip past the end succeeds (page headers).
    lenient: bool,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Walk<'a> {
        Walk {
            bytes,
            at: 0,
            steps: 0,
            compressed: None,
            eof: false,
            lenient: false,
        }
    }

    fn byte(&mut self) -> Result<u8, Halt> {
        let Some(&b) = self.bytes.get(self.at) else {
            self.eof = true;
            return Err(Halt::Malformed);
        };
        self.at += 1;
        Ok(b)
    }

    /// Skip `n` bytes. Past the end, parquet's reader of footers fails;
    /// its reader of page headers (`ThriftReadInputProtocol`) stops at
    /// the end of the file and carries on as if it had skipped them.
    fn skip_bytes(&mut self, n: usize) -> Result<(), Halt> {
        if n > self.bytes.len() - self.at {
            self.eof = true;
            if self.lenient {
                self.at = self.bytes.len();
                return Ok(());
            }
            return Err(Halt::Malformed);
        }
        self.at += n;
        Ok(())
    }

    /// A ULEB128 varint, as parquet's `read_vlq` (no length limit).
    fn varint(&mut self) -> Result<u64, Halt> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).wrapping_shl(shift);
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn zigzag(&mut self) -> Result<i64, Halt> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A field header after `last`: its wire type and id, or `None` at
    /// the stop.
    fn field(&mut self, last: i16) -> Result<Option<(u8, i16)>, Halt> {
        let b = self.byte()?;
        let wire = b & 0x0f;
        if wire == 0 {
            return Ok(None);
        }
        if wire > 13 {
            return Err(Halt::Malformed);
        }
        let id = match b >> 4 {
            0 => self.zigzag()? as i16,
            delta => last.checked_add(i16::from(delta)).ok_or(Halt::Malformed)?,
        };
        Ok(Some((wire, id)))
    }

    /// A list or set header: the elements' wire type (booleans as 1) and
    /// their number.
    fn list(&mut self) -> Result<(u8, usize), Halt> {
        let b = self.byte()?;
        if b == 0 {
            return Ok((3, 0));
        }
        let wire = match b & 0x0f {
            1 | 2 => 1,
            t @ 3..=13 => t,
            _ => return Err(Halt::Malformed),
        };
        let n = match b >> 4 {
            15 => i32::try_from(self.varint()?).map_err(|_| Halt::Malformed)?,
            n => i32::from(n),
        };
        Ok((wire, n as usize))
    }

    /// Read a value of type `ty` whose field header had wire type `wire`.
    fn read(&mut self, ty: Ty, wire: u8) -> Result<(), Halt> {
        match ty {
            Int => self.varint().map(drop),
            // parquet's `read_i32`: the varint, truncated.
            Size => {
                self.compressed = Some(self.zigzag()? as i32);
                Ok(())
            }
            Byte => self.byte().map(drop),
            Bool if wire == 1 || wire == 2 => Ok(()),
            Bool => Err(Halt::Malformed),
            Double => self.skip_bytes(8),
            Bytes => {
                let n = self.varint()?;
                self.skip_bytes(usize::try_from(n).map_err(|_| Halt::Malformed)?)
            }
            List(element, checked) => {
                let (_, n) = self.list()?;
                if checked && n > self.bytes.len() - self.at {
                    return Err(Halt::Malformed);
                }
                (0..n).try_for_each(|_| self.read(*element, 0))
            }
            Struct(fields) => {
                let mut last = 0;
                while let Some((wire, id)) = self.field(last)? {
                    match fields.iter().find(|f| f.0 == id) {
                        Some(&(_, ty)) => self.read(ty, wire)?,
                        None => self.skip(wire, 64)?,
                    }
                    last = id;
                }
                Ok(())
            }
            Union(members, skips_unknown) => {
                let (wire, id) = self.field(0)?.ok_or(Halt::Malformed)?;
                match members.iter().find(|m| m.0 == id) {
                    Some(&(_, ty)) => self.read(ty, wire)?,
                    None if skips_unknown => self.skip(wire, 64)?,
                    None => return Err(Halt::Malformed),
                }
                match self.field(id)? {
                    None => Ok(()),
                    Some(_) => Err(Halt::Malformed),
                }
            }
            Empty => match self.byte()? {
                0 => Ok(()),
                _ => Err(Halt::Malformed),
            },
        }
    }

    /// Skip a value of wire type `wire` as parquet's `skip_till_depth`
    /// does, counting the booleans of lists and maps it loops over
    /// without reading.
    fn skip(&mut self, wire: u8, depth: u8) -> Result<(), Halt> {
        if depth == 0 {
            return Err(Halt::Malformed);
        }
        match wire {
            1 | 2 => Ok(()),
            3 => self.byte().map(drop),
            4..=6 => self.varint().map(drop),
            7 => self.skip_bytes(8),
            8 => self.read(Bytes, wire),
            9 | 10 => {
                let (element, n) = self.list()?;
                self.skip_each(n, depth, &[element])
            }
            11 => {
                let n = i32::try_from(self.varint()?).map_err(|_| Halt::Malformed)?;
                if n <= 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                let [k, v] = [kv >> 4, kv & 0x0f].map(|t| match t {
                    1 | 2 => Ok(1),
                    3..=13 => Ok(t),
                    _ => Err(Halt::Malformed),
                });
                self.skip_each(n as usize, depth, &[k?, v?])
            }
            12 => {
                while let Some((wire, _)) = self.field(0)? {
                    self.skip(wire, depth - 1)?;
                }
                Ok(())
            }
            13 => self.skip_bytes(16),
            _ => Err(Halt::Malformed),
        }
    }

    /// Skip `n` elements of a list (one wire type) or map (two), as
    /// parquet loops over them. Booleans read nothing. In a page header,
    /// at the end of the file, neither do doubles and UUIDs (see
    /// [`skip_bytes`](Walk::skip_bytes)): the rest of the loop is counted
    /// at once, not walked.
    fn skip_each(&mut self, n: usize, depth: u8, wires: &[u8]) -> Result<(), Halt> {
        let lenient = self.lenient;
        let empty = |w: &u8| *w == 1 || (lenient && (*w == 7 || *w == 13));
        for i in 0..n {
            if wires.iter().all(|w| *w == 1)
                || (self.at == self.bytes.len() && wires.iter().all(empty))
            {
                return self.nothing((n - i) as u64);
            }
            for &w in wires {
                self.skip(w, depth - 1)?;
            }
        }
        Ok(())
    }

    /// `n` more steps that read nothing: refused once they outnumber
    /// the bytes read so far.
    fn nothing(&mut self, n: u64) -> Result<(), Halt> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.at as u64 {
            return Err(Halt::Endless(self.steps));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
