//! A workflow instance borrowed from one line of JSON: the fast path of
//! [`Scan`](crate::Scan). A strict scanner reads the line — a subset of
//! JSON that serde_json reads to the same values — keeping text without
//! escapes as slices of the line; GUIDs, datetimes and the status are
//! converted once, by the same functions the checked path uses. The
//! scanner gives up (`None`) on anything it is not sure of — a malformed
//! field, a duplicate key, a float, a lone surrogate — and the scanner's
//! caller then reads the line again through [`FromJson`](crate::FromJson),
//! which gives the record or the error that names the line and the field.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::{Definition, STATUS_NAMES, Status, WorkflowInstance};
use crate::value::enum_index;
use crate::value::{parse_guid, parse_stored_datetime};
use crate::{Enum, FromJsonLine, Guid};

/// A [`WorkflowInstance`] read from one JSON line, borrowing its text from
/// the line: what [`Scan`](crate::Scan) filters, so that only the records a
/// page keeps are copied. It reads exactly the records
/// [`FromJson`](crate::FromJson) reads, with the same field values.
///
/// ```
/// use kfql::keyfactor::InstanceRef;
///
/// let line = br#"{"Id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Status": "failed ",
///                "ReferenceId": 7, "Definition": {"WorkflowType": "Enrollment"}}"#;
/// let record = InstanceRef::from_line(line).unwrap();
/// let owned = record.into_owned();
/// assert_eq!(owned.reference_id, 7);
/// assert_eq!(owned.effective_workflow_type(), Some("Enrollment"));
/// // Not an instance: the checked reader says why.
/// assert!(InstanceRef::from_line(br#"{"Id": "x", "Status": "Failed", "ReferenceId": 7}"#).is_none());
/// ```
///
/// Its schema is [`WorkflowInstance`]'s: the same names, types, flags and
/// order, declared through the same derive (a test checks that they are
/// equal, and [`Filter::bind`](crate::Filter::bind) checks it again).
#[derive(Clone, Debug, PartialEq, Eq, kfql_derive::Record)]
#[kfql(name = "workflow instances", rename_all = "PascalCase")]
pub struct InstanceRef<'a> {
    id: Guid,
    status: Status,
    #[kfql(not_queryable)]
    current_step_id: Option<Guid>,
    #[kfql(not_queryable)]
    status_message: Option<Cow<'a, str>>,
    #[kfql(object, hint = "query or sort by DefinitionId or WorkflowType instead")]
    definition: Option<DefinitionRef<'a>>,
    #[kfql(not_queryable, default_sort)]
    current_step_display_name: Option<Cow<'a, str>>,
    #[kfql(not_queryable)]
    current_step_unique_name: Option<Cow<'a, str>>,
    title: Option<Cow<'a, str>>,
    last_modified: Option<DateTime<Utc>>,
    start_date: Option<DateTime<Utc>>,
    #[kfql(key)]
    reference_id: i64,
    #[kfql(fallback = "Definition.Id", with = "effective_definition_id")]
    definition_id: Option<Guid>,
    initiating_user_name: Option<Cow<'a, str>>,
    #[kfql(fallback = "Definition.WorkflowType", with = "effective_workflow_type")]
    workflow_type: Option<Cow<'a, str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DefinitionRef<'a> {
    id: Option<Guid>,
    display_name: Option<Cow<'a, str>>,
    version: Option<i64>,
    workflow_type: Option<Cow<'a, str>>,
}

impl<'a> InstanceRef<'a> {
    /// Decode one line of JSON Lines (its line end may be included), or
    /// `None` when it is not a well-formed workflow instance — or merely
    /// one this decoder leaves to the checked path, such as a record with
    /// a duplicate key.
    pub fn from_line(line: &'a [u8]) -> Option<InstanceRef<'a>> {
        // One UTF-8 check of the whole line; the scanner then slices it
        // only at ASCII bytes.
        let text = std::str::from_utf8(line).ok()?;
        Scanner { text, at: 0 }.instance()
    }

    /// The owned record.
    pub fn into_owned(self) -> WorkflowInstance {
        let text = |t: Option<Cow<'_, str>>| t.map(Cow::into_owned);
        WorkflowInstance {
            id: self.id,
            status: self.status,
            current_step_id: self.current_step_id,
            status_message: text(self.status_message),
            definition: self.definition.map(|d| Definition {
                id: d.id,
                display_name: text(d.display_name),
                version: d.version,
                workflow_type: text(d.workflow_type),
            }),
            current_step_display_name: text(self.current_step_display_name),
            current_step_unique_name: text(self.current_step_unique_name),
            title: text(self.title),
            last_modified: self.last_modified,
            start_date: self.start_date,
            reference_id: self.reference_id,
            definition_id: self.definition_id,
            initiating_user_name: text(self.initiating_user_name),
            workflow_type: text(self.workflow_type),
        }
    }
}

impl InstanceRef<'_> {
    /// `DefinitionId`, or `Definition.Id` when that is absent.
    #[inline] // read in bound filters' loops over records
    pub fn effective_definition_id(&self) -> Option<Guid> {
        self.definition_id.or_else(|| self.definition.as_ref()?.id)
    }

    /// `WorkflowType`, or `Definition.WorkflowType` when that is absent.
    #[inline] // read in bound filters' loops over records
    pub fn effective_workflow_type(&self) -> Option<&str> {
        self.workflow_type
            .as_deref()
            .or_else(|| self.definition.as_ref()?.workflow_type.as_deref())
    }
}

/// Workflow instances are scanned through [`InstanceRef`].
impl FromJsonLine for WorkflowInstance {
    type Borrowed<'a> = InstanceRef<'a>;

    fn decode(line: &[u8]) -> Option<InstanceRef<'_>> {
        InstanceRef::from_line(line)
    }

    fn into_owned(record: InstanceRef<'_>) -> WorkflowInstance {
        record.into_owned()
    }
}

// The scanner: a strict reader of one JSON object, which accepts a subset
// of what serde_json accepts and reads it to the same values. Anything
// outside the subset — a float, an invalid escape, a control character, a
// nesting deeper than 32, a duplicate key, a wrong type — is `None`, and
// the checked path decides. A serde visitor over `serde_json::Deserializer`
// did the same in 12.6k instructions a record (callgrind, sample records)
// and 0.85 s for a million on two cores; this scanner needs 11k and 0.7 s.

/// JSON's whitespace, as serde_json reads it.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that end a run of plain string text: `"`, `\` and controls, as
/// flags for the eight-at-a-time scan of `crate::bytes`.
#[inline]
fn special(w: u64) -> u64 {
    use crate::bytes::{bytes_below, eq_bytes};
    eq_bytes(w, b'"') | eq_bytes(w, b'\\') | bytes_below(w, 0x20)
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        let b = self.bytes();
        while b.get(self.at).is_some_and(|&c| is_space(c)) {
            self.at += 1;
        }
        b.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.peek()?;
        let found = self.bytes().get(self.at..self.at + word.len())?;
        (found == word).then(|| self.at += word.len())
    }

    /// A string; borrowed from the line when it has no escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.at;
        self.plain_run();
        match *self.bytes().get(self.at)? {
            b'"' => {
                self.at += 1;
                Some(Cow::Borrowed(&self.text[start..self.at - 1]))
            }
            b'\\' => self.escaped(start).map(Cow::Owned),
            _ => None,
        }
    }

    /// Skip bytes up to the next special one, eight at a time.
    fn plain_run(&mut self) {
        let rest = &self.bytes()[self.at..];
        self.at += crate::bytes::find_first(rest, special).unwrap_or(rest.len());
    }

    /// The rest of a string with escapes, from its first byte at `start`.
    fn escaped(&mut self, start: usize) -> Option<String> {
        // Room for the rest of the line, up to a point: escaped strings
        // are mostly names and titles.
        let mut out = String::with_capacity((self.text.len() - start).min(256));
        out.push_str(&self.text[start..self.at]);
        loop {
            match *self.bytes().get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let e = *self.bytes().get(self.at + 1)?;
                    self.at += 2;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    });
                }
                c if c < 0x20 => return None,
                _ => {
                    let run = self.at;
                    self.plain_run();
                    out.push_str(&self.text[run..self.at]);
                }
            }
        }
    }

    /// After `\u`: a character, or a surrogate pair; a lone surrogate is
    /// left to the checked path.
    fn unicode(&mut self) -> Option<char> {
        let high = self.hex4()?;
        let code = match high {
            0xD800..=0xDBFF => {
                if self.bytes().get(self.at..self.at + 2)? != b"\\u" {
                    return None;
                }
                self.at += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            _ => high,
        };
        char::from_u32(code)
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes().get(self.at..self.at + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.at += 4;
        Some(n)
    }

    /// An integer without fraction or exponent, within i64; `-0` is 0, as
    /// the checked path reads it.
    fn integer(&mut self) -> Option<i64> {
        self.peek()?;
        let b = self.bytes();
        let start = self.at;
        if b[self.at] == b'-' {
            self.at += 1;
        }
        let digits = self.at;
        while b.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let text = &self.text[digits..self.at];
        let leading_zero = text.len() > 1 && text.starts_with('0');
        let more = matches!(b.get(self.at), Some(b'.' | b'e' | b'E'));
        if text.is_empty() || leading_zero || more {
            return None;
        }
        self.text[start..self.at].parse().ok()
    }

    /// `null` (`None`) or what `value` reads.
    fn nullable<T>(&mut self, value: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        value(self).map(Some)
    }

    /// An object: `member` reads each value after its key.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.items(b'}', |s| {
            let key = s.string()?;
            s.eat(b':')?;
            member(s, key)
        })
    }

    /// The items of an object or array after its opening bracket, separated
    /// by commas, up to and including `close`.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any value of a key the record does not have: strings, integers,
    /// literals, and arrays and objects of them.
    fn skip(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'{' if depth < 32 => self.object(|s, _| s.skip(depth + 1)),
            b'[' if depth < 32 => {
                self.at += 1;
                self.items(b']', |s| s.skip(depth + 1))
            }
            _ => self.integer().map(drop),
        }
    }

    fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        self.nullable(Self::string)
    }

    fn guid(&mut self) -> Option<Option<Guid>> {
        self.nullable(|s| parse_guid(&s.string()?).map(Guid))
    }

    fn datetime(&mut self) -> Option<Option<DateTime<Utc>>> {
        self.nullable(|s| parse_stored_datetime(&s.string()?).ok())
    }

    fn definition(&mut self) -> Option<Option<DefinitionRef<'a>>> {
        self.nullable(|s| {
            let mut d = DefinitionRef {
                id: None,
                display_name: None,
                version: None,
                workflow_type: None,
            };
            let mut seen = 0;
            s.object(|s, key| {
                match &*key {
                    "Id" => d.id = first_time(&mut seen, 0, s.guid())?,
                    "DisplayName" => d.display_name = first_time(&mut seen, 1, s.text())?,
                    "Version" => d.version = first_time(&mut seen, 2, s.nullable(Self::integer))?,
                    "WorkflowType" => d.workflow_type = first_time(&mut seen, 3, s.text())?,
                    _ => s.skip(1)?,
                }
                Some(())
            })?;
            Some(d)
        })
    }

    fn instance(&mut self) -> Option<InstanceRef<'a>> {
        let mut seen = 0;
        let (mut id, mut status, mut reference_id) = (None, None, None);
        let mut r = InstanceRef {
            id: Guid(0),
            status: Status::Complete,
            current_step_id: None,
            status_message: None,
            definition: None,
            current_step_display_name: None,
            current_step_unique_name: None,
            title: None,
            last_modified: None,
            start_date: None,
            reference_id: 0,
            definition_id: None,
            initiating_user_name: None,
            workflow_type: None,
        };
        // Each key's bit in `seen` is its arm's own number: a duplicate key
        // is left to the checked path, which keeps the last value.
        self.object(|s, key| {
            let seen = &mut seen;
            match &*key {
                "Id" => id = first_time(seen, 0, s.guid())?,
                "Status" => {
                    status = first_time(seen, 1, s.nullable(|s| status_index(&s.string()?)))?
                }
                "CurrentStepId" => r.current_step_id = first_time(seen, 2, s.guid())?,
                "StatusMessage" => r.status_message = first_time(seen, 3, s.text())?,
                "Definition" => r.definition = first_time(seen, 4, s.definition())?,
                "CurrentStepDisplayName" => {
                    r.current_step_display_name = first_time(seen, 5, s.text())?
                }
                "CurrentStepUniqueName" => {
                    r.current_step_unique_name = first_time(seen, 6, s.text())?
                }
                "Title" => r.title = first_time(seen, 7, s.text())?,
                "LastModified" => r.last_modified = first_time(seen, 8, s.datetime())?,
                "StartDate" => r.start_date = first_time(seen, 9, s.datetime())?,
                "ReferenceId" => reference_id = first_time(seen, 10, s.nullable(Self::integer))?,
                "DefinitionId" => r.definition_id = first_time(seen, 11, s.guid())?,
                "InitiatingUserName" => r.initiating_user_name = first_time(seen, 12, s.text())?,
                "WorkflowType" => r.workflow_type = first_time(seen, 13, s.text())?,
                _ => s.skip(1)?,
            }
            Some(())
        })?;
        // Nothing but whitespace after the object, as serde_json requires.
        if self.peek().is_some() {
            return None;
        }
        // Required, as in the checked path.
        r.id = id?;
        r.status = Status::from_index(status?)?;
        r.reference_id = reference_id?;
        Some(r)
    }
}

/// A status name: the canonical spelling, or the general rule (any case,
/// trailing spaces).
fn status_index(name: &str) -> Option<usize> {
    STATUS_NAMES
        .iter()
        .position(|n| *n == name)
        .or_else(|| enum_index(STATUS_NAMES, name))
}

/// `value` for a key seen for the first time; a second occurrence gives up
/// (the checked path keeps the last value, as `serde_json::Value` does).
fn first_time<T>(seen: &mut u32, key: usize, value: Option<T>) -> Option<T> {
    let bit = 1 << key;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    value
}
