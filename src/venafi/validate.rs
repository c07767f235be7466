//! Validating a Ticket/Create request (docs/LANGUAGE.md, “Workflow tickets”). The body is read into a
//! tree that keeps duplicate keys, then every rule is checked and every
//! problem kept, each with the path of the field it concerns.

use std::fmt;

use super::identity::approver_list;
use super::strict::{Json, quote};
use super::{CreateRequest, ErrorBody, Reason};
use crate::error::closest;

/// One problem with a request: the field's path (`Approvers[1].Prefix`;
/// empty for the body as a whole) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: `ObjectDN`, `Approvers[1].Prefix`, or empty for the body.
    pub field: String,
    /// What, quoting the offending key or value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A malformed Create request: every problem found, in a stable order
/// (body-level and key problems in document order, then each field in the
/// order ObjectDN, Approvers, Reason, UserData, WorkflowDN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRequest {
    problems: Vec<Problem>,
}

impl InvalidRequest {
    pub(super) fn single(field: &str, message: String) -> InvalidRequest {
        InvalidRequest {
            problems: vec![Problem {
                field: field.to_owned(),
                message,
            }],
        }
    }

    /// Every problem, never empty.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems joined with `; ` (kfql's own wording never contains
    /// `; `): the HTTP-400 `error_description`.
    pub fn description(&self) -> String {
        let texts: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        texts.join("; ")
    }

    /// The HTTP-400 body: `{"error": "invalid_request", "error_description": …}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: "invalid_request".into(),
            error_description: self.description(),
        }
    }
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl std::error::Error for InvalidRequest {}

/// The problems found so far.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<Problem>);

impl Problems {
    pub(super) fn push(&mut self, field: &str, message: String) {
        self.0.push(Problem {
            field: field.to_owned(),
            message,
        });
    }

    /// `Ok(t)` when nothing was found, else every problem.
    fn finish<T>(self, t: Option<T>) -> Result<T, InvalidRequest> {
        match t {
            Some(t) if self.0.is_empty() => Ok(t),
            _ if self.0.is_empty() => Err(InvalidRequest::single("", "invalid request".into())),
            _ => Err(InvalidRequest { problems: self.0 }),
        }
    }
}

const REQUEST_KEYS: [&str; 5] = ["ObjectDN", "Approvers", "Reason", "UserData", "WorkflowDN"];

pub(super) fn parse(body: &[u8]) -> Result<CreateRequest, InvalidRequest> {
    if body.iter().all(|b| b" \t\r\n".contains(b)) {
        return Err(InvalidRequest::single(
            "",
            "the request body is empty".into(),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        InvalidRequest::single(
            "",
            format!(
                "the request body is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        )
    })?;
    let tree: Json = serde_json::from_str(text).map_err(|e| {
        InvalidRequest::single("", format!("the request body is not valid JSON: {e}"))
    })?;
    from_tree(&tree)
}

pub(super) fn from_tree(tree: &Json) -> Result<CreateRequest, InvalidRequest> {
    let mut p = Problems::default();
    let Json::Object(entries) = tree else {
        p.push(
            "",
            format!(
                "the request body must be a JSON object, found {}",
                tree.found()
            ),
        );
        return p.finish(None);
    };
    let what = "the request takes ObjectDN, Approvers, Reason, UserData and WorkflowDN";
    let [object_dn, approvers, reason, user_data, workflow_dn] =
        fields(entries, "", &REQUEST_KEYS, what, &mut p);
    let object_dn = required(object_dn, "ObjectDN", &mut p).and_then(|v| dn(v, "ObjectDN", &mut p));
    let approvers = required(approvers, "Approvers", &mut p).and_then(|v| approver_list(v, &mut p));
    let reason = present(reason).map(|v| reason_code(v, &mut p));
    let user_data = present(user_data).map(|v| string(v, "UserData", &mut p));
    let workflow_dn =
        required(workflow_dn, "WorkflowDN", &mut p).and_then(|v| dn(v, "WorkflowDN", &mut p));
    let request = (|| {
        Some(CreateRequest {
            object_dn: object_dn?,
            approvers: approvers?,
            reason: reason.map_or(Some(None), |r| r.map(Some))?,
            user_data: user_data.map_or(Some(None), |u| u.map(Some))?,
            workflow_dn: workflow_dn?,
        })
    })();
    p.finish(request)
}

/// The value of each of `keys` (null included), reporting unknown and
/// duplicate keys; `what` lists the allowed keys for messages.
pub(super) fn fields<'a, const N: usize>(
    entries: &'a [(String, Json)],
    path: &str,
    keys: &[&str; N],
    what: &str,
    p: &mut Problems,
) -> [Option<&'a Json>; N] {
    let mut found = [None; N];
    for (key, value) in entries {
        match keys.iter().position(|k| k == key) {
            Some(i) if found[i].is_some() => p.push(
                &join(path, key),
                format!("duplicate key {}: a key may appear only once", quote(key)),
            ),
            Some(i) => found[i] = Some(value),
            None => {
                let hint = match closest(key, keys.iter().copied()) {
                    Some(k) if k.eq_ignore_ascii_case(key) => {
                        format!("names are case-sensitive: write `{k}`")
                    }
                    Some(k) => format!("did you mean `{k}`?"),
                    None => what.to_owned(),
                };
                p.push(path, format!("unknown key {} ({hint})", quote(key)));
            }
        }
    }
    found
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn present(v: Option<&Json>) -> Option<&Json> {
    v.filter(|v| **v != Json::Null)
}

fn required<'a>(v: Option<&'a Json>, field: &str, p: &mut Problems) -> Option<&'a Json> {
    match v {
        None => p.push(field, "is required".into()),
        Some(Json::Null) => p.push(field, "is required and may not be null".into()),
        Some(v) => return Some(v),
    }
    None
}

pub(super) fn string(v: &Json, field: &str, p: &mut Problems) -> Option<String> {
    match v {
        Json::Str(s) => Some(s.clone()),
        other => {
            p.push(field, format!("expected a string, found {}", other.found()));
            None
        }
    }
}

/// `\VED\Policy` (any case), then one or more `\`-separated non-empty
/// components.
fn dn(v: &Json, field: &str, p: &mut Problems) -> Option<String> {
    let s = string(v, field, p)?;
    const ROOT: &[u8] = b"\\VED\\Policy";
    let b = s.as_bytes();
    let problem = if b.len() < ROOT.len() || !b[..ROOT.len()].eq_ignore_ascii_case(ROOT) {
        Some("is not in the Policy tree: it must start with `\\VED\\Policy\\`")
    } else {
        // The root is ASCII, so slicing after it is on a character boundary.
        match s[ROOT.len()..].strip_prefix('\\') {
            None if b.len() == ROOT.len() => Some("names no object below `\\VED\\Policy`"),
            None => Some("is not in the Policy tree: it must start with `\\VED\\Policy\\`"),
            Some(rest) if rest.split('\\').any(str::is_empty) => {
                Some("has an empty component (`\\\\` or a trailing `\\`)")
            }
            Some(_) => None,
        }
    };
    match problem {
        None => Some(s),
        Some(why) => {
            p.push(
                field,
                format!(
                    "{} {why} (a Policy-tree DN looks like `\\VED\\Policy\\Certificates\\web01.example.com`)",
                    quote(&s)
                ),
            );
            None
        }
    }
}

/// A JSON integer (no fraction or exponent) or a non-empty string of ASCII
/// digits, from 0 to 999.
fn reason_code(v: &Json, p: &mut Problems) -> Option<Reason> {
    let range = "an integer from 0 to 999";
    let found = match v {
        Json::Int(n) => match u16::try_from(*n).ok().and_then(Reason::new) {
            Some(r) => return Some(r),
            None => format!("`{n}` is outside 0 to 999"),
        },
        Json::Float(_) => format!(
            "expected {range} without fraction or exponent, found {}",
            v.found()
        ),
        Json::Str(s) if s.is_empty() => format!("is an empty string: expected {range}"),
        Json::Str(s) => match Reason::from_digits(s) {
            Some(r) => return Some(r),
            None if s.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{} is outside 0 to 999", quote(s))
            }
            None => format!("{} is not {range} (ASCII digits only)", quote(s)),
        },
        other => format!("expected {range}, found {}", other.found()),
    };
    p.push("Reason", found);
    None
}
