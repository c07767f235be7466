//! Typing literals: integers, datetimes, GUIDs, booleans, enum names, and
//! the `%TODAY±N%` / `%ME%` tokens. Shared by the compile stage (query
//! values) and by record readers (stored values), so both sides agree on
//! what a text means.

use std::borrow::Cow;

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
    Utc,
};

use crate::syntax::ast::{Expr, Query, Value as AstValue};
use crate::{Context, Error, ErrorKind, Span};

/// Nanoseconds since 1970-01-01T00:00:00Z: the one instant type the
/// evaluator compares. i128 covers years 1–9999 with room to spare.
pub(crate) type Nanos = i128;

pub(crate) fn nanos_of(dt: &DateTime<Utc>) -> Nanos {
    Nanos::from(dt.timestamp()) * 1_000_000_000 + Nanos::from(dt.timestamp_subsec_nanos())
}

fn nanos_of_local(naive: NaiveDateTime, offset: FixedOffset) -> Nanos {
    let utc = naive.and_utc();
    nanos_of(&utc) - Nanos::from(offset.local_minus_utc()) * 1_000_000_000
}

/// Why a token could not be expanded.
pub(crate) enum TokenError {
    /// `%TODAY+%`, `%TODAY-x%`, or an N too large to be a day count.
    Malformed(String),
    /// The date falls outside years 1–9999.
    OutOfRange(String),
    /// `%ME%` with no current user.
    NoUser,
}

/// Replace `%TODAY%`, `%TODAY±N%` and `%ME%` in one left-to-right pass;
/// replaced text is not scanned again. `%TODAY` followed by `+` or `-`
/// must form a whole token (decided: `%TODAY+%` is an error, not text).
pub(crate) fn expand_tokens<'a>(text: &'a str, ctx: &Context) -> Result<Cow<'a, str>, TokenError> {
    if !text.contains('%') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("%ME%") {
            match ctx.user() {
                Some(user) => out.push_str(user),
                None => return Err(TokenError::NoUser),
            }
            rest = after;
        } else if let Some(after) = tail.strip_prefix("%TODAY") {
            let (days, after) = match after.as_bytes().first() {
                Some(b'%') => (0i64, &after[1..]),
                Some(sign @ (b'+' | b'-')) => {
                    let digits = after[1..].bytes().take_while(u8::is_ascii_digit).count();
                    let token_len = 1 + digits + 1;
                    if digits == 0 || after.as_bytes().get(1 + digits) != Some(&b'%') {
                        let shown = crate::render::cut(tail, 20);
                        return Err(TokenError::Malformed(format!(
                            "`{shown}` is not a token: write %TODAY%, %TODAY-N% or %TODAY+N% with N in digits"
                        )));
                    }
                    let n: i64 = after[1..1 + digits].parse().map_err(|_| {
                        TokenError::OutOfRange(format!(
                            "`%TODAY{}%` is too many days away",
                            &after[..1 + digits]
                        ))
                    })?;
                    (if *sign == b'-' { -n } else { n }, &after[token_len..])
                }
                _ => {
                    // `%TODAY` followed by anything else is plain text.
                    out.push('%');
                    rest = &tail[1..];
                    continue;
                }
            };
            let date = shift_days(ctx.today(), days).ok_or_else(|| {
                TokenError::OutOfRange(format!(
                    "{} days from {} falls outside years 1–9999",
                    days,
                    ctx.today()
                ))
            })?;
            out.push_str(&date.format("%Y-%m-%d").to_string());
            rest = after;
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

impl TokenError {
    /// The error for a value at `span` whose tokens do not expand.
    pub(crate) fn at(self, span: Span) -> Error {
        let (kind, message) = match self {
            TokenError::Malformed(m) | TokenError::OutOfRange(m) => (ErrorKind::InvalidToken, m),
            TokenError::NoUser => (
                ErrorKind::MissingUser,
                "%ME% needs the current user, and the context has none".to_owned(),
            ),
        };
        Error::new(kind, message).with_span(span)
    }
}

impl Query {
    /// The query with its tokens replaced as `ctx` resolves them, in every
    /// value: what a compiled filter compares with, shown as a query
    /// (`StartDate -ge "%TODAY-30%"` → `StartDate -ge "2024-05-02"`).
    /// Field names are not checked; a malformed token or `%ME%` without a
    /// user is an error at the value's span.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// let ctx = kfql::Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()).with_user("ME\\x");
    /// let q = kfql::parse(r#"StartDate -ge "%TODAY-30%" OR InitiatingUserName -eq %ME%"#)?;
    /// assert_eq!(
    ///     q.expand_tokens(&ctx)?.to_string(),
    ///     r#"StartDate -ge "2024-05-02" OR InitiatingUserName -eq "ME\\x""#
    /// );
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn expand_tokens(&self, ctx: &Context) -> Result<Query, Error> {
        let mut query = self.clone();
        // An explicit stack: deserialized queries may nest deeply.
        let mut todo: Vec<&mut Expr> = query.expr.iter_mut().collect();
        while let Some(e) = todo.pop() {
            match e {
                Expr::And(xs) | Expr::Or(xs) => todo.extend(xs.iter_mut()),
                Expr::Compare(c) => {
                    if let AstValue::Text(text) = &mut c.value {
                        let expanded = expand_tokens(text, ctx).map_err(|e| e.at(c.value_span))?;
                        if let Cow::Owned(expanded) = expanded {
                            *text = expanded;
                        }
                    }
                }
            }
        }
        Ok(query)
    }
}

fn shift_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let shifted = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    }?;
    (1..=9999).contains(&shifted.year()).then_some(shifted)
}

/// `number := ( "+" | "-" )? digit+`, within i64.
pub(crate) fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `str::parse` accepts the same forms, and fails past i64.
    text.parse().ok()
}

/// `true` or `false`, any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `{`? (32 hex digits, or 8-4-4-4-12 with hyphens) `}`?, braces paired,
/// any case.
pub(crate) fn parse_guid(text: &str) -> Option<u128> {
    let inner = match (text.strip_prefix('{'), text.ends_with('}')) {
        (Some(rest), true) => &rest[..rest.len() - 1],
        (None, false) => text,
        _ => return None,
    };
    // No allocation, and a table lookup per digit: record readers call
    // this for every GUID of every record.
    let b = inner.as_bytes();
    let mut digits = [0u8; 32];
    match b.len() {
        32 => digits.copy_from_slice(b),
        36 if [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') => {
            digits[..8].copy_from_slice(&b[..8]);
            digits[8..12].copy_from_slice(&b[9..13]);
            digits[12..16].copy_from_slice(&b[14..18]);
            digits[16..20].copy_from_slice(&b[19..23]);
            digits[20..].copy_from_slice(&b[24..]);
        }
        _ => return None,
    }
    let (mut high, mut low, mut bad) = (0u64, 0u64, 0u8);
    for (h, l) in digits[..16].iter().zip(&digits[16..]) {
        let (h, l) = (HEX[usize::from(*h)], HEX[usize::from(*l)]);
        bad |= h | l;
        high = high << 4 | u64::from(h);
        low = low << 4 | u64::from(l);
    }
    (bad & 0x10 == 0).then_some(u128::from(high) << 64 | u128::from(low))
}

/// Each byte's value as a hex digit, or 0x10 when it is not one.
static HEX: [u8; 256] = {
    let mut table = [0x10; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Lower-case hexadecimal digits by value: GUIDs here, JSON's `\u00xx`
/// escapes in the service.
pub(crate) const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `00` to `99`, so that two decimal digits take one division and one
/// load: datetimes here, integers in the service's JSON.
pub(crate) static DECIMAL_PAIRS: [[u8; 2]; 100] = {
    let mut table = [[0; 2]; 100];
    let mut n = 0;
    while n < 100 {
        table[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    table
};

/// The lower-case hyphenated form of a GUID, without braces: a parameter
/// for SQL, a JSON value for Arrow rows.
#[cfg(any(feature = "sql", feature = "arrow"))]
pub(crate) fn format_guid(g: u128) -> String {
    write_guid(g, &mut [0; 36]).to_owned()
}

/// The lower-case hyphenated form of a GUID, into `buf`, for writers that need no `String` (a
/// service's answer holds three GUIDs a record).
pub(crate) fn write_guid(g: u128, buf: &mut [u8; 36]) -> &str {
    *buf = guid_bytes(g);
    // Hex digits and hyphens: always UTF-8.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// The bytes of [`write_guid`]'s text, for a writer of bytes (the
/// service's JSON), which has no use for the check that makes them a
/// `str`.
pub(crate) fn guid_bytes(g: u128) -> [u8; 36] {
    // By hand, a byte at a time: `format!("{g:032x}")` and slicing took
    // about 4,000 instructions a GUID, a fifth of a service's answer.
    // Where each byte's two digits go, fixed so that the loop unrolls
    // without a bounds check.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    /// Each byte's two digits, so that a byte takes one load.
    static PAIRS: [[u8; 2]; 256] = {
        let mut table = [[0; 2]; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = [HEX_DIGITS[b >> 4], HEX_DIGITS[b & 0xf]];
            b += 1;
        }
        table
    };
    let mut buf = [b'-'; 36];
    for (at, b) in AT.into_iter().zip(g.to_be_bytes()) {
        let [hi, lo] = PAIRS[usize::from(b)];
        buf[at] = hi;
        buf[at + 1] = lo;
    }
    buf
}

/// Serializes an optional UTC datetime exactly as chrono does, through
/// [`write_utc`]; what that leaves to chrono goes to chrono.
pub(crate) fn serialize_utc<S: serde::Serializer>(
    dt: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize as _;
    match dt {
        None => s.serialize_none(),
        Some(dt) => match write_utc(dt, &mut [0; 30]) {
            Some(text) => s.serialize_str(text),
            None => dt.serialize(s),
        },
    }
}

/// A UTC datetime's text exactly as chrono serializes it
/// (`2024-06-30T23:59:09.140Z`: RFC 3339, `Z`, the fraction in 0, 3, 6
/// or 9 digits), into `out`, without chrono's formatting machinery, which
/// took about 150 ns a datetime (two in each record of a service's
/// answer). `None` for years outside 0..=9999 and leap seconds, which
/// are chrono's to write.
pub(crate) fn write_utc<'a>(dt: &DateTime<Utc>, out: &'a mut [u8; 30]) -> Option<&'a str> {
    let n = utc_bytes(dt, out)?;
    // Digits and ASCII punctuation: always UTF-8.
    std::str::from_utf8(&out[..n]).ok()
}

/// The bytes of [`write_utc`]'s text in `out`, and how many: for a writer
/// of bytes (the service's JSON).
pub(crate) fn utc_bytes(dt: &DateTime<Utc>, out: &mut [u8; 30]) -> Option<usize> {
    let naive = dt.naive_utc();
    let (date, time) = (naive.date(), naive.time());
    let nano = time.nanosecond();
    let year = usize::try_from(date.year()).ok()?;
    if year > 9999 || nano >= 1_000_000_000 {
        return None;
    }
    // A pair of digits at `at`: every field but the fraction's is one
    // or two pairs (all are below 100, and the year below 10,000).
    let mut put = |at: usize, n: u32| {
        let [hi, lo] = DECIMAL_PAIRS[n as usize % 100];
        out[at] = hi;
        out[at + 1] = lo;
    };
    put(0, (year / 100) as u32);
    put(2, (year % 100) as u32);
    put(5, date.month());
    put(8, date.day());
    put(11, time.hour());
    put(14, time.minute());
    put(17, time.second());
    let (digits, mut fraction) = match nano {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (3, n / 1_000_000),
        n if n % 1_000 == 0 => (6, n / 1_000),
        n => (9, n),
    };
    for (at, b) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        out[at] = b;
    }
    let mut end = 19;
    if digits > 0 {
        out[19] = b'.';
        // From the last digit back: divisions by the constant 10 only.
        for k in (0..digits).rev() {
            out[20 + k] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        end = 20 + digits;
    }
    out[end] = b'Z';
    Some(end + 1)
}

/// A GUID: 128 bits, printed lower-case and hyphenated, read from any form
/// docs/LANGUAGE.md, “Types and operators”, accepts (braced or not, hyphenated or not, any
/// case).
///
/// ```
/// let g: kfql::Guid = "{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}".parse()?;
/// assert_eq!(g.to_string(), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(pub u128);

impl std::fmt::Display for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(write_guid(self.0, &mut [0; 36]))
    }
}

impl std::str::FromStr for Guid {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Guid, crate::Error> {
        parse_guid(s).map(Guid).ok_or_else(|| {
            crate::Error::new(
                crate::ErrorKind::InvalidValue,
                format!("`{s}` is not a GUID"),
            )
        })
    }
}

impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(write_guid(self.0, &mut [0; 36]))
    }
}

impl<'de> serde::Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Guid, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_guid(&s)
            .map(Guid)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a GUID")))
    }
}

/// A datetime literal before its time zone is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateLit {
    /// A date without a time: a whole day.
    Day(NaiveDate),
    /// A date and time. `tail` is true when the fraction has non-zero
    /// digits past the ninth: the instant lies strictly between `naive`
    /// and the next nanosecond.
    At {
        naive: NaiveDateTime,
        tail: bool,
        offset: Option<FixedOffset>,
    },
}

impl DateLit {
    /// The set of stored instants (whole nanoseconds) that equal this
    /// literal, as `[lo, hi)`; empty (`lo == hi`) when the literal falls
    /// between two nanoseconds. Every operator is a test against it.
    pub(crate) fn interval(self, zone: FixedOffset) -> (Nanos, Nanos) {
        match self {
            DateLit::Day(d) => {
                let start = nanos_of_local(d.and_time(NaiveTime::MIN), zone);
                (start, start + 86_400 * 1_000_000_000)
            }
            DateLit::At {
                naive,
                tail,
                offset,
            } => {
                let n = nanos_of_local(naive, offset.unwrap_or(zone));
                if tail { (n + 1, n + 1) } else { (n, n + 1) }
            }
        }
    }
}

/// Datetime values (docs/LANGUAGE.md, “Types and operators”): `YYYY-MM-DD`, optionally `T` or a space and
/// `hh:mm:ss`, a fraction of any length and `Z` or `±hh:mm`; or `M/D/YYYY`.
pub(crate) fn parse_datetime(text: &str) -> Result<DateLit, String> {
    let bad = || {
        format!(
            "`{text}` is not a date (YYYY-MM-DD, YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm] or M/D/YYYY)"
        )
    };
    let b = text.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        (!s.is_empty() && s.iter().all(u8::is_ascii_digit))
            .then(|| s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let date = |y: u32, m: u32, d: u32| -> Result<NaiveDate, String> {
        if !(1..=9999).contains(&y) {
            return Err(format!(
                "`{text}` has year {y}; years run from 0001 to 9999"
            ));
        }
        NaiveDate::from_ymd_opt(y as i32, m, d)
            .ok_or_else(|| format!("`{text}` is not a calendar date"))
    };
    if text.contains('/') {
        let parts: Vec<&str> = text.split('/').collect();
        let [m, d, y] = parts.as_slice() else {
            return Err(bad());
        };
        if !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) || y.len() != 4 {
            return Err(bad());
        }
        let (Some(m), Some(d), Some(y)) = (num(m.as_bytes()), num(d.as_bytes()), num(y.as_bytes()))
        else {
            return Err(bad());
        };
        return date(y, m, d).map(DateLit::Day);
    }
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (Some(y), Some(m), Some(d)) = (num(&b[..4]), num(&b[5..7]), num(&b[8..10])) else {
        return Err(bad());
    };
    let day = date(y, m, d)?;
    if b.len() == 10 {
        return Ok(DateLit::Day(day));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (Some(h), Some(mi), Some(s)) = (num(&b[11..13]), num(&b[14..16]), num(&b[17..19])) else {
        return Err(bad());
    };
    if h > 23 || mi > 59 || s > 59 {
        return Err(format!(
            "`{text}` has no such time of day (hours 00–23, minutes and seconds 00–59)"
        ));
    }
    let mut at = 19;
    let (mut nanos, mut tail) = (0u32, false);
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(bad());
        }
        for (i, &c) in b[at + 1..at + 1 + digits].iter().enumerate() {
            if i < 9 {
                nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
            } else if c != b'0' {
                tail = true;
            }
        }
        at += 1 + digits;
    }
    let offset = match &b[at..] {
        [] => None,
        [b'Z' | b'z'] => Some(FixedOffset::east_opt(0).expect("zero offset")),
        rest => match parse_offset(rest) {
            Ok(offset) => Some(offset),
            Err(OffsetError::PastLimit) => {
                return Err(format!("`{text}` has an offset past ±23:59"));
            }
            Err(OffsetError::Malformed) => return Err(bad()),
        },
    };
    let time = NaiveTime::from_hms_nano_opt(h, mi, s, nanos).ok_or_else(bad)?;
    Ok(DateLit::At {
        naive: day.and_time(time),
        tail,
        offset,
    })
}

/// Why text is not a `±hh:mm` offset.
pub(crate) enum OffsetError {
    /// Not of that shape.
    Malformed,
    /// Hours past 23 or minutes past 59.
    PastLimit,
}

/// `±hh:mm`, up to ±23:59: the offset of datetime values, and of the time
/// zones [`parse_time_zone`](crate::parse_time_zone) reads.
pub(crate) fn parse_offset(text: &[u8]) -> Result<FixedOffset, OffsetError> {
    let [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] = text else {
        return Err(OffsetError::Malformed);
    };
    let digit = |c: &u8| c.is_ascii_digit().then(|| i32::from(c - b'0'));
    let (Some(h1), Some(h2), Some(m1), Some(m2)) = (digit(h1), digit(h2), digit(m1), digit(m2))
    else {
        return Err(OffsetError::Malformed);
    };
    let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
    if h > 23 || m > 59 {
        return Err(OffsetError::PastLimit);
    }
    let secs = h * 3600 + m * 60;
    FixedOffset::east_opt(if *sign == b'-' { -secs } else { secs }).ok_or(OffsetError::PastLimit)
}

/// A stored datetime: no offset means UTC; precision stops at nanoseconds
/// (decided: digits past the ninth must be zero, or the record is
/// malformed, so that stored values compare exactly).
///
/// The instant must also fall within years 1–9999 in UTC (decided):
/// `0001-01-01T00:00:00+01:00` is in year 0 and `9999-12-31T23:59:59-01:00`
/// in year 10000 once in UTC, the form records are written back in, and
/// neither form would read back as a record.
pub(crate) fn parse_stored_datetime(text: &str) -> Result<DateTime<Utc>, String> {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let instant = match parse_datetime(text)? {
        DateLit::Day(d) => d.and_time(NaiveTime::MIN).and_utc(),
        DateLit::At { tail: true, .. } => {
            return Err(format!("`{text}` is more precise than a nanosecond"));
        }
        DateLit::At { naive, offset, .. } => {
            let offset = offset.unwrap_or(utc);
            match offset.from_local_datetime(&naive) {
                chrono::LocalResult::Single(dt) => dt.with_timezone(&Utc),
                _ => return Err(format!("`{text}` is not a valid instant")),
            }
        }
    };
    if !(1..=9999).contains(&instant.year()) {
        return Err(format!(
            "`{text}` is in year {} in UTC; stored instants run from 0001 to 9999 in UTC",
            instant.year()
        ));
    }
    Ok(instant)
}

/// The index of `text` among `names`, ignoring case and trailing spaces.
pub(crate) fn enum_index<S: AsRef<str>>(names: &[S], text: &str) -> Option<usize> {
    names
        .iter()
        .position(|n| crate::text::cmp_folded(n.as_ref(), text).is_eq())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serialize_utc` writes what chrono's own `Serialize` writes, for
    /// every fraction width, the ends of the fast path, and beyond them.
    #[test]
    fn datetimes_serialize_as_chrono_does() {
        #[derive(serde::Serialize)]
        struct Fast(#[serde(serialize_with = "serialize_utc")] Option<DateTime<Utc>>);
        let mut cases: Vec<Option<DateTime<Utc>>> = vec![None];
        let edges = [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-06-30T23:59:09.140Z",
            "2016-12-31T23:59:60.5Z",
            "+10000-01-01T00:00:00Z",
            "-0001-12-31T23:59:59.000001Z",
        ];
        for e in edges {
            let dt = match e.parse::<DateTime<Utc>>() {
                Ok(dt) => dt,
                // chrono's parser takes neither extended years nor leap
                // seconds; build those.
                Err(_) => match e {
                    "2016-12-31T23:59:60.5Z" => NaiveDate::from_ymd_opt(2016, 12, 31)
                        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
                        .map(|n| n.and_utc())
                        .expect("a leap second"),
                    _ => NaiveDate::from_ymd_opt(if e.starts_with('+') { 10000 } else { -1 }, 1, 1)
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|n| n.and_utc())
                        .expect("a year outside 0..=9999"),
                },
            };
            cases.push(Some(dt));
        }
        // Spread over years 0..=9999 with each fraction width.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 315_537_897_600) as i64 - 62_167_219_200;
            let nano = match i % 4 {
                0 => 0,
                1 => (x >> 40) as u32 % 1000 * 1_000_000,
                2 => (x >> 30) as u32 % 1_000_000 * 1000,
                _ => (x >> 20) as u32 % 1_000_000_000,
            };
            cases.push(DateTime::from_timestamp(secs, nano));
        }
        for dt in cases {
            let want = serde_json::to_string(&dt).expect("chrono serializes");
            let got = serde_json::to_string(&Fast(dt)).expect("serialize_utc serializes");
            assert_eq!(got, want);
        }
    }

    #[test]
    fn guids_take_every_documented_shape() {
        let g = 0x0123456789abcdef0123456789abcdefu128;
        for t in [
            "0123456789abcdef0123456789abcdef",
            "{0123456789ABCDEF0123456789ABCDEF}",
            "01234567-89ab-cdef-0123-456789abcdef",
            "{01234567-89AB-cdef-0123-456789abcdef}",
        ] {
            assert_eq!(parse_guid(t), Some(g), "{t}");
        }
        for t in [
            "{0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456-789ab-cdef-0123-456789abcdef",
            "+123456789abcdef0123456789abcdef",
            "é",
        ] {
            assert_eq!(parse_guid(t), None, "{t}");
        }
        assert_eq!(
            write_guid(g, &mut [0; 36]),
            "01234567-89ab-cdef-0123-456789abcdef"
        );
    }

    #[test]
    fn datetime_fractions_past_nanoseconds_set_the_tail() {
        let DateLit::At {
            naive,
            tail,
            offset,
        } = parse_datetime("2024-06-01T10:00:00.1234567891Z").unwrap()
        else {
            panic!()
        };
        assert!(tail);
        assert_eq!(naive.and_utc().timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(offset.map(|o| o.local_minus_utc()), Some(0));
        let DateLit::At { tail, .. } = parse_datetime("2024-06-01 10:00:00.1234567890000").unwrap()
        else {
            panic!()
        };
        assert!(!tail);
    }

    #[test]
    fn datetime_rejects_out_of_range_parts() {
        for t in [
            "0000-01-01",
            "2024-13-01",
            "2024-02-30",
            "2024-06-01T24:00:00",
            "2024-06-01T10:00:00+24:00",
            "2024-06-01T10:00",
            "13/1/2024",
            "1/1/24",
            "2024-06-01X",
            "2024-06-01T10:00:00.",
        ] {
            assert!(parse_datetime(t).is_err(), "{t}");
        }
        assert_eq!(
            parse_datetime("6/1/2024").unwrap(),
            DateLit::Day(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
        );
    }

    #[test]
    fn integers_follow_the_number_rule() {
        assert_eq!(parse_integer("+5"), Some(5));
        assert_eq!(parse_integer("-0005"), Some(-5));
        assert_eq!(parse_integer("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer("9223372036854775808"), None);
        for t in ["", "+", "5.0", " 5", "1e3", "٣"] {
            assert_eq!(parse_integer(t), None, "{t}");
        }
    }
}
