//! JSON text for the service's largest answers, written member by
//! member rather than through `serde`.
//!
//! A page of 50 instances is 34 KB of strings, GUIDs, datetimes and
//! member names. Through serde, even with a `Serializer` of our own,
//! writing it cost more than reading it from the database: a call per
//! member, a probe per member for null (null members are left out), each
//! name and each GUID scanned for escapes (callgrind, BENCHMARKS.md).
//! [`Object`] takes each member's name as a constant and its value as
//! what it is: a name is copied, a GUID or a datetime is formatted
//! straight into the answer, and only free text is scanned, sixteen bytes
//! at a time. The text is byte for byte what `serde_json` writes for the
//! same members (the tests compare them).

use chrono::{DateTime, Utc};

use crate::Guid;
use crate::value::{DECIMAL_PAIRS, HEX_DIGITS, guid_bytes, utc_bytes};

/// A JSON object being written into `out`: `{`, then each member with a
/// value (a `None` writes nothing), then `}` from [`Object::end`].
pub(crate) struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

// The member writers are inlined into their callers, which pass names
// as literals: each name is then copied with a constant length, in a few
// moves rather than a call to `memcpy` (callgrind: 15% fewer
// instructions for a page of instances).
impl<'a> Object<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    /// `"name":`, after a comma unless it is the first member. Names are
    /// the callers' constants, which need no escape: checked in debug
    /// builds, and the tests write every one.
    #[inline(always)]
    fn name(&mut self, name: &'static str) {
        debug_assert!(name.bytes().all(|b| ESCAPE[usize::from(b)] == 0));
        if std::mem::take(&mut self.first) {
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(b",\"");
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// ASCII that needs no escape (a GUID's, a datetime's), in quotes.
    #[inline(always)]
    fn plain(&mut self, name: &'static str, text: &[u8]) {
        self.name(name);
        self.out.push(b'"');
        self.out.extend_from_slice(text);
        self.out.push(b'"');
    }

    #[inline(always)]
    pub(crate) fn str(&mut self, name: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.name(name);
            write_str(self.out, v);
        }
    }

    #[inline(always)]
    pub(crate) fn guid(&mut self, name: &'static str, value: Option<Guid>) {
        if let Some(g) = value {
            self.plain(name, &guid_bytes(g.0));
        }
    }

    /// As chrono serializes it; years outside 0..=9999 and leap seconds
    /// through chrono itself.
    #[inline(always)]
    pub(crate) fn utc(&mut self, name: &'static str, value: Option<&DateTime<Utc>>) {
        let Some(dt) = value else { return };
        let mut text = [0; 30];
        match utc_bytes(dt, &mut text) {
            Some(n) => self.plain(name, &text[..n]),
            None => {
                // Rare enough for chrono's own machinery.
                self.name(name);
                match serde_json::to_vec(dt) {
                    Ok(text) => self.out.extend_from_slice(&text),
                    Err(_) => write_str(self.out, &dt.to_rfc3339()),
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn int(&mut self, name: &'static str, value: Option<i64>) {
        if let Some(n) = value {
            self.name(name);
            write_i64(self.out, n);
        }
    }

    #[inline(always)]
    pub(crate) fn uint(&mut self, name: &'static str, value: u64) {
        self.name(name);
        write_u64(self.out, value);
    }

    /// A member whose value is an object, written by `members`.
    pub(crate) fn object(&mut self, name: &'static str, members: impl FnOnce(&mut Object<'_>)) {
        self.name(name);
        let mut inner = Object::new(self.out);
        members(&mut inner);
        inner.end();
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
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

/// `s` as a JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_no_escape(bytes) {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes);
    }
    out.push(b'"');
}

/// Whether no byte of `bytes` needs an escape: sixteen at a time from
/// the start, then the last sixteen, which overlap the last block read
/// rather than leave a tail to test one byte at a time; shorter strings
/// as two overlapping words of eight (most of a record's strings are
/// 10–80 bytes long).
fn needs_no_escape(bytes: &[u8]) -> bool {
    if let Some(last) = bytes.last_chunk::<16>() {
        let (blocks, _) = bytes.as_chunks::<16>();
        return blocks.iter().all(clean16) && clean16(last);
    }
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(&first), Some(&last)) => {
            !any_to_escape(u64::from_ne_bytes(first)) && !any_to_escape(u64::from_ne_bytes(last))
        }
        _ => bytes.iter().all(|&b| ESCAPE[usize::from(b)] == 0),
    }
}

/// Whether none of sixteen bytes needs an escape. Written without a
/// branch so that the compiler makes it a few SSE2 compares (checked in
/// the disassembly): 13,000–16,000 fewer instructions a page request
/// than words of eight (BENCHMARKS.md, change 12).
#[inline]
fn clean16(block: &[u8; 16]) -> bool {
    let any = block.iter().fold(0u8, |any, &b| {
        any | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    });
    any == 0
}

/// The bytes of a string with something to escape: sixteen at a time
/// while none needs it, then eight if those do not, then one at a time
/// (`DOMAIN\user` has its backslash in its first sixteen).
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    // `bytes[done..at]` needs no escape and is not written yet.
    let (mut done, mut at) = (0, 0);
    loop {
        while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
            if !clean16(block) {
                break;
            }
            at += 16;
        }
        if let Some(&word) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>)
            && !any_to_escape(u64::from_ne_bytes(word))
        {
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
}

/// `n` in decimal, as serde_json writes it.
fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// `n` in decimal, as serde_json writes it: two digits at a time, from
/// the last back.
fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n >= 10 {
        at -= 2;
        let [hi, lo] = DECIMAL_PAIRS[(n % 100) as usize];
        digits[at] = hi;
        digits[at + 1] = lo;
        n /= 100;
    }
    // One digit left, or a leading zero written by the last pair.
    if n > 0 || at == digits.len() {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_str(s: &str) {
        let mut got = Vec::new();
        write_str(&mut got, s);
        let want = serde_json::to_string(s).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), want, "{s:?}");
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
                same_str(&s);
                same_str(c.encode_utf8(&mut [0; 4]));
            }
        }
        // Every length around the word and block sizes, with a byte to
        // escape at each place and with none.
        for len in 0..=50 {
            let plain = "x".repeat(len);
            same_str(&plain);
            for at in 0..len {
                let mut s = plain.clone().into_bytes();
                s[at] = b'"';
                same_str(std::str::from_utf8(&s).unwrap());
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
            same_str(s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Any text, and text over an alphabet of what JSON escapes (and
        /// what it does not) so that escapes fall at every offset of the
        /// sixteen-byte scan.
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(
            any in proptest::prelude::any::<String>(),
            dense in proptest::string::string_regex("[a\\x00-\\x1f\"\\\\\\x7fé€𝄞]{0,60}").unwrap(),
        ) {
            for s in [&any, &dense] {
                let mut got = Vec::new();
                write_str(&mut got, s);
                proptest::prop_assert_eq!(String::from_utf8_lossy(&got), serde_json::to_string(s).unwrap());
            }
        }

        #[test]
        fn any_integer_is_written_as_serde_json_writes_it(i: i64, u: u64) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            write_i64(&mut a, i);
            write_u64(&mut b, u);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&a), serde_json::to_string(&i).unwrap());
            proptest::prop_assert_eq!(String::from_utf8_lossy(&b), serde_json::to_string(&u).unwrap());
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for n in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            12345,
            i64::MIN,
            i64::MAX,
            i64::MIN + 1,
        ] {
            let mut got = Vec::new();
            write_i64(&mut got, n);
            assert_eq!(
                String::from_utf8_lossy(&got),
                serde_json::to_string(&n).unwrap()
            );
        }
        for n in (0..=1000).chain([9_999, 10_000, 99_999, 100_000, u64::MAX - 1, u64::MAX]) {
            let mut got = Vec::new();
            write_u64(&mut got, n);
            assert_eq!(
                String::from_utf8_lossy(&got),
                serde_json::to_string(&n).unwrap()
            );
        }
    }

    /// Members in the order written, `None`s left out, nested objects,
    /// and datetimes chrono has to write itself.
    #[test]
    fn objects_hold_the_members_given_in_order() {
        use chrono::TimeZone;
        let mut out = Vec::new();
        let mut o = Object::new(&mut out);
        o.str("A", Some("x\"y"));
        o.str("Gone", None);
        o.guid("G", Some(Guid(0x0f1e_2d3c_4b5a_6978_8796_a5b4_c3d2_e1f0)));
        o.int("N", Some(-5));
        o.object("D", |d| d.int("V", None));
        let far = Utc.with_ymd_and_hms(12_000, 1, 2, 3, 4, 5).unwrap();
        o.utc("T", Some(&far));
        o.utc(
            "U",
            Some(&Utc.with_ymd_and_hms(2024, 6, 30, 23, 59, 9).unwrap()),
        );
        o.end();
        let want = format!(
            r#"{{"A":"x\"y","G":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","N":-5,"D":{{}},"T":{},"U":"2024-06-30T23:59:09Z"}}"#,
            serde_json::to_string(&far).unwrap()
        );
        assert_eq!(String::from_utf8_lossy(&out), want);
        let mut empty = Vec::new();
        Object::new(&mut empty).end();
        assert_eq!(empty, b"{}");
    }
}
