//! JSON text for the service's largest answers, written by a
//! `serde::Serializer` of its own.
//!
//! The text is byte for byte what `serde_json::to_vec` writes (the tests
//! compare them); it is written with fewer instructions. A page of 50
//! instances is 34 KB of strings and member names, and serde_json looks
//! at each byte of them for the ones JSON escapes, about ten instructions
//! a byte, member names included: 0.36 million of the 0.7 million
//! instructions the service added to a Q4 page's database work
//! (callgrind, BENCHMARKS.md). This writer looks at eight bytes at a
//! time and copies a struct member's name after a byte check.
//!
//! It writes what records are made of: strings, integers, booleans, null,
//! sequences, maps (string or integer keys) and structs, and enums as
//! serde_json does. Floats, which no record here has, go to serde_json.

use std::fmt;

use serde::ser::{self, Serialize};

use crate::value::HEX_DIGITS;

/// `value` as JSON text, in a buffer of at least `capacity` bytes.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<Vec<u8>, Error> {
    let mut w = Writer {
        out: Vec::with_capacity(capacity),
    };
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// Why a value could not be written: what its `Serialize` reported, or a
/// map key that is not a string, a number or a boolean.
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

struct Writer {
    out: Vec<u8>,
}

/// `0x0101…01` times a byte: that byte in each of the eight lanes.
const fn lanes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Whether any of the eight bytes of `w` is a control character, a quote
/// or a backslash: the classic "has a zero byte" test (it never misses
/// one; bytes of 0x80 and above never set it), on `w` itself for the
/// controls and on `w` with the quote's or the backslash's bits flipped.
fn any_to_escape(w: u64) -> bool {
    let below = |x: u64, n: u8| x.wrapping_sub(lanes(n)) & !x & lanes(0x80);
    below(w, 0x20) | below(w ^ lanes(b'"'), 1) | below(w ^ lanes(b'\\'), 1) != 0
}

/// What follows the backslash when JSON escapes a byte, or 0 for a byte
/// written as it is: serde_json's choices (`\b`, `\f`, `\n`, `\r`, `\t`,
/// `\"`, `\\`, and `\u00xx` for the other controls).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `s` as a JSON string, escaped as serde_json escapes it: eight bytes
/// at a time while none needs escaping, then one at a time.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // `bytes[done..at]` needs no escape and is not written yet.
    let (mut done, mut at) = (0, 0);
    loop {
        while let Some(word) = bytes.get(at..at + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            if any_to_escape(u64::from_ne_bytes(w)) {
                break;
            }
            at += 8;
        }
        let Some(&b) = bytes.get(at) else { break };
        at += 1;
        let short = ESCAPE[usize::from(b)];
        if short == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[done..at - 1]);
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            let hex = |n: u8| HEX_DIGITS[usize::from(n)];
            let (hi, lo) = (hex(b >> 4), hex(b & 0xf));
            out.extend_from_slice(&[b'0', b'0', hi, lo]);
        }
        done = at;
    }
    out.extend_from_slice(&bytes[done..]);
    out.push(b'"');
}

fn write_u128(out: &mut Vec<u8>, n: u128) {
    // In u64 pieces of 19 digits: u128 division is a library call, and
    // records' integers fit in 64 bits.
    const PIECE: u128 = 10_000_000_000_000_000_000;
    match u64::try_from(n) {
        Ok(n) if n < PIECE as u64 => write_u64(out, n, 1),
        _ => {
            write_u128(out, n / PIECE);
            write_u64(out, (n % PIECE) as u64, 19);
        }
    }
}

/// `n` in decimal, in at least `width` digits (zeros in front).
fn write_u64(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while n != 0 {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[at.min(digits.len() - width)..]);
}

fn write_i128(out: &mut Vec<u8>, n: i128) {
    if n < 0 {
        out.push(b'-');
    }
    write_u128(out, n.unsigned_abs());
}

/// A sequence, map or struct being written: whether a comma comes before
/// the next element, and what closes it (`]`, `}`, or `]}` and `}}` for
/// enum variants, which serde_json wraps in an object of one member).
struct Compound<'a> {
    w: &'a mut Writer,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    /// A key as serde_json writes one: a string as it is, a number or a
    /// boolean in quotes; anything else (null, arrays, objects) is
    /// refused, as serde_json refuses it.
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        let start = self.w.out.len();
        key.serialize(&mut *self.w)?;
        let written = &self.w.out[start..];
        let number = |b: &u8| b.is_ascii_digit() || b"-+.eE".contains(b);
        if written.first() == Some(&b'"') {
        } else if written == b"true" || written == b"false" || written.iter().all(number) {
            self.w.out.insert(start, b'"');
            self.w.out.push(b'"');
        } else {
            return Err(Error(
                "a map key must be a string, a number or a boolean".into(),
            ));
        }
        self.w.out.push(b':');
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl Writer {
    fn open<'a>(&'a mut self, open: &[u8], close: &'static [u8]) -> Compound<'a> {
        self.out.extend_from_slice(open);
        Compound {
            w: self,
            first: true,
            close,
        }
    }

    /// A struct member's name and its colon. Names are the record's own
    /// (a Rust field's, or its rename), so they are copied after a check
    /// rather than scanned for escapes: a name with something to escape
    /// goes to `write_str`.
    fn name(&mut self, name: &'static str) {
        if name.bytes().all(|b| ESCAPE[usize::from(b)] == 0) {
            self.out.reserve(name.len() + 3);
            self.out.push(b'"');
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(b"\":");
        } else {
            write_str(&mut self.out, name);
            self.out.push(b':');
        }
    }

    /// `{"variant":` before an enum variant's content.
    fn variant(&mut self, variant: &'static str) {
        self.out.push(b'{');
        self.name(variant);
    }
}

macro_rules! integers {
    ($($name:ident($ty:ty) => $write:ident;)*) => {
        $(fn $name(self, v: $ty) -> Result<(), Error> {
            $write(&mut self.out, v.into());
            Ok(())
        })*
    };
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    integers! {
        serialize_i8(i8) => write_i128;
        serialize_i16(i16) => write_i128;
        serialize_i32(i32) => write_i128;
        serialize_i64(i64) => write_i128;
        serialize_i128(i128) => write_i128;
        serialize_u8(u8) => write_u128;
        serialize_u16(u16) => write_u128;
        serialize_u32(u32) => write_u128;
        serialize_u64(u64) => write_u128;
        serialize_u128(u128) => write_u128;
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, &v).map_err(ser::Error::custom)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, &v).map_err(ser::Error::custom)
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(&mut self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(variant);
        Ok(self.open(b"[", b"]}"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(variant);
        Ok(self.open(b"{", b"}}"))
    }
}

/// The element methods of sequences and tuples: all the same.
macro_rules! elements {
    ($($trait:ident::$method:ident;)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

elements! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// Struct members and struct variants' members: a key, then its value.
macro_rules! members {
    ($($trait:ident;)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.comma();
                self.w.name(key);
                value.serialize(&mut *self.w)
            }

            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

members! {
    SerializeStruct;
    SerializeStructVariant;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn same<T: Serialize + ?Sized + fmt::Debug>(value: &T) {
        let want = serde_json::to_vec(value).map_err(|e| e.to_string());
        let got = to_vec(value, 0).map_err(|e| e.to_string());
        match (&got, &want) {
            (Ok(g), Ok(w)) => assert_eq!(
                String::from_utf8_lossy(g),
                String::from_utf8_lossy(w),
                "{value:?}"
            ),
            (Err(_), Err(_)) => {}
            _ => panic!("{value:?}: this writer {got:?}, serde_json {want:?}"),
        }
    }

    /// Every byte below 0x80 at every place in an eight-byte word and
    /// across words' ends, beside text in two, three and four bytes.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            for at in 0..19 {
                let mut s: String = "abcdéfgh€ijklmnop𝄞q".chars().collect();
                let at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
                s.insert(at, c);
                same(&s);
                same(&c);
            }
        }
        for s in [
            "",
            "\"",
            "\\\\",
            "\u{7f}\u{80}\u{ff}",
            "\u{2028}\u{2029}",
            "a\"b\\c\nd",
        ] {
            same(s);
        }
    }

    #[test]
    fn numbers_and_shapes_are_written_as_serde_json_writes_them() {
        #[derive(Debug, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
        enum E {
            Unit,
            Newtype(i8),
            Tuple(u8, bool),
            Struct { a: Option<u16>, b: () },
        }
        #[derive(Debug, serde::Serialize)]
        struct Unit;
        #[derive(Debug, serde::Serialize)]
        struct Wrap(i32);
        #[derive(Debug, serde::Serialize)]
        struct Pair(i64, u64);
        #[derive(Debug, serde::Serialize)]
        struct All {
            ints: (i8, i16, i32, i64, i128, u8, u16, u32, u64, u128),
            floats: (f32, f64, f64),
            enums: Vec<E>,
            unit: Unit,
            wrap: Wrap,
            pair: Pair,
            none: Option<String>,
            bytes: serde_bytes_like::Bytes,
            keyed: BTreeMap<i32, bool>,
            named: BTreeMap<String, Vec<()>>,
        }
        mod serde_bytes_like {
            #[derive(Debug)]
            pub struct Bytes(pub Vec<u8>);
            impl serde::Serialize for Bytes {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_bytes(&self.0)
                }
            }
        }
        for n in [
            0i128,
            1,
            -1,
            9,
            10,
            -10,
            99,
            12345,
            i64::MIN.into(),
            i128::MIN,
            i128::MAX,
        ] {
            same(&n);
        }
        for n in [
            0u128,
            7,
            1 << 64,
            u64::MAX.into(),
            9_999_999_999_999_999_999,
            10_000_000_000_000_000_000,
            50_000_000_000_000_000_000_000_000_000_000_007,
            u128::MAX,
        ] {
            same(&n);
        }
        same(&All {
            ints: (
                i8::MIN,
                i16::MAX,
                -7,
                i64::MAX,
                -1,
                u8::MAX,
                0,
                42,
                u64::MAX,
                5,
            ),
            floats: (1.5, -0.25, f64::NAN),
            enums: vec![
                E::Unit,
                E::Newtype(-3),
                E::Tuple(1, true),
                E::Struct { a: Some(9), b: () },
                E::Struct { a: None, b: () },
            ],
            unit: Unit,
            wrap: Wrap(-1),
            pair: Pair(-2, 2),
            none: None,
            bytes: serde_bytes_like::Bytes(vec![0, 255, 10]),
            keyed: BTreeMap::from([(-1, true), (2, false)]),
            named: BTreeMap::from([("é\"k".to_owned(), vec![(), ()]), (String::new(), vec![])]),
        });
        same(&Vec::<u8>::new());
        same(&BTreeMap::<String, u8>::new());
        // Keys that are neither strings nor integers: both refuse them.
        same(&BTreeMap::from([(Some(1), 1)]));
        same(&BTreeMap::from([(vec![1], 1)]));
        same(&BTreeMap::from([(None::<u8>, 1)]));
        same(&BTreeMap::from([((), 1)]));
        // Keys serde_json quotes.
        same(&BTreeMap::from([(true, 1), (false, 2)]));
        same(&vec![(
            BTreeMap::from([('k', 1)]),
            BTreeMap::from([(E::Unit, 1)]),
        )]);
    }
}
