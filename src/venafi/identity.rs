//! Validating the `Approvers` of a Create request (docs/LANGUAGE.md, “Workflow tickets”): identity
//! strings and objects, their forms, prefixes and `local` GUIDs.

use super::strict::{Json, quote};
use super::validate::{Problems, fields, join, present, string};
use super::{Approvers, Identity, IdentityObject};

const IDENTITY_KEYS: [&str; 9] = [
    "PrefixedUniversal",
    "PrefixedName",
    "Prefix",
    "Universal",
    "Name",
    "FullName",
    "IsContainer",
    "IsGroup",
    "Type",
];

pub(super) fn approver_list(v: &Json, p: &mut Problems) -> Option<Approvers> {
    match v {
        Json::Array(items) if items.is_empty() => {
            p.push(
                "Approvers",
                "is an empty array: name at least one approver".into(),
            );
            None
        }
        Json::Array(items) => {
            let ids: Vec<Option<Identity>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| identity(item, &format!("Approvers[{i}]"), p))
                .collect();
            ids.into_iter().collect::<Option<_>>().map(Approvers::Many)
        }
        Json::Str(_) | Json::Object(_) => identity(v, "Approvers", p).map(Approvers::One),
        other => {
            p.push(
                "Approvers",
                format!(
                    "expected an identity (a prefixed string or an identity object) or an array of them, found {}",
                    other.found()
                ),
            );
            None
        }
    }
}

fn identity(v: &Json, path: &str, p: &mut Problems) -> Option<Identity> {
    match v {
        Json::Str(s) => {
            let before = p.0.len();
            prefixed(s, Form::Any, path, p);
            (p.0.len() == before).then(|| Identity::Prefixed(s.clone()))
        }
        Json::Object(entries) => identity_object(entries, path, p).map(Identity::Object),
        other => {
            p.push(
                path,
                format!(
                    "expected an identity (a prefixed string or an identity object), found {}",
                    other.found()
                ),
            );
            None
        }
    }
}

fn identity_object(
    entries: &[(String, Json)],
    path: &str,
    p: &mut Problems,
) -> Option<IdentityObject> {
    let before = p.0.len();
    let what = "an identity takes PrefixedUniversal, PrefixedName, Prefix, Universal, Name \
                (and FullName, IsContainer, IsGroup, Type, which are ignored)";
    let [
        pu,
        pn,
        prefix,
        universal,
        name,
        full_name,
        is_container,
        is_group,
        ty,
    ] = fields(entries, path, &IDENTITY_KEYS, what, p);
    let field = |key: &str| join(path, key);
    let mut text = |v: Option<&Json>, key: &str| present(v).and_then(|v| string(v, &field(key), p));
    let prefixed_universal = text(pu, "PrefixedUniversal");
    let prefixed_name = text(pn, "PrefixedName");
    let prefix_text = text(prefix, "Prefix");
    let universal_text = text(universal, "Universal");
    let name_text = text(name, "Name");
    let full_name = text(full_name, "FullName");
    let identity_type = match present(ty) {
        None => None,
        Some(Json::Int(n)) if i64::try_from(*n).is_ok() => i64::try_from(*n).ok(),
        Some(other) => {
            let message = format!("expected an integer, found {}", other.found());
            p.push(&field("Type"), message);
            None
        }
    };
    let id = IdentityObject {
        prefixed_universal,
        prefixed_name,
        prefix: prefix_text,
        universal: universal_text,
        name: name_text,
        full_name,
        is_container: boolean(is_container, &field("IsContainer"), p),
        is_group: boolean(is_group, &field("IsGroup"), p),
        identity_type,
    };

    // Every form that is present must be valid, used or not.
    if let Some(s) = &id.prefixed_universal {
        prefixed(s, Form::Universal, &field("PrefixedUniversal"), p);
    }
    if let Some(s) = &id.prefixed_name {
        prefixed(s, Form::Name, &field("PrefixedName"), p);
    }
    if let Some(Err(why)) = id.prefix.as_deref().map(check_prefix) {
        p.push(&field("Prefix"), why);
    }
    let has = |v: Option<&Json>| present(v).is_some();
    let local = id.prefix.as_deref() == Some("local");
    if let Some(u) = &id.universal {
        if u.is_empty() {
            p.push(&field("Universal"), "is empty".into());
        } else if local && !is_braced_guid(u) {
            let message = format!(
                "{} is not a braced GUID `{{8-4-4-4-12}}`, which a `local` universal must be",
                quote(u)
            );
            p.push(&field("Universal"), message);
        }
    }
    if id.name.as_deref() == Some("") {
        p.push(&field("Name"), "is empty".into());
    }
    for (key, v) in [("Universal", universal), ("Name", name)] {
        if has(v) && !has(prefix) {
            p.push(&field(key), "is given without Prefix".into());
        }
    }
    if has(prefix) && !has(universal) && !has(name) {
        p.push(
            &field("Prefix"),
            "is given without Universal or Name".into(),
        );
    }
    if ![pu, pn, prefix, universal, name].into_iter().any(has) {
        p.push(
            path,
            "names no identity: give PrefixedUniversal, PrefixedName, or Prefix with Universal or Name"
                .into(),
        );
    }
    (p.0.len() == before).then_some(id)
}

fn boolean(v: Option<&Json>, field: &str, p: &mut Problems) -> Option<bool> {
    match present(v)? {
        Json::Bool(b) => Some(*b),
        other => {
            p.push(
                field,
                format!("expected a boolean, found {}", other.found()),
            );
            None
        }
    }
}

/// What the part after a prefix is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A string identity: a universal or a name.
    Any,
    /// PrefixedUniversal: a braced GUID when the prefix is `local`.
    Universal,
    /// PrefixedName.
    Name,
}

/// `<prefix>:<rest>`, split at the first `:`, with a valid prefix and a
/// non-empty rest; a `local` universal must be a braced GUID.
fn prefixed(s: &str, form: Form, field: &str, p: &mut Problems) {
    let Some((prefix, rest)) = s.split_once(':') else {
        let shape = match form {
            Form::Any => "<prefix>:<universal or name>",
            Form::Universal => "<prefix>:<universal>",
            Form::Name => "<prefix>:<name>",
        };
        let message = format!("{} is not a prefixed identity: expected {shape}", quote(s));
        p.push(field, message);
        return;
    };
    if let Err(why) = check_prefix(prefix) {
        p.push(field, format!("{}: {why}", quote(s)));
    }
    if rest.is_empty() {
        p.push(field, format!("{} has nothing after the `:`", quote(s)));
    } else if form == Form::Universal && prefix == "local" && !is_braced_guid(rest) {
        let message = format!(
            "{}: {} is not a braced GUID `{{8-4-4-4-12}}`, which a `local` universal must be",
            quote(s),
            quote(rest)
        );
        p.push(field, message);
    }
}

/// `local`, `AD+<name>` or `LDAP+<name>`, case-sensitive; `<name>`
/// non-empty without `:`.
fn check_prefix(prefix: &str) -> Result<(), String> {
    let expected = "expected `local`, `AD+<name>` or `LDAP+<name>`";
    if prefix == "local" {
        return Ok(());
    }
    let directory = prefix
        .strip_prefix("AD+")
        .or_else(|| prefix.strip_prefix("LDAP+"));
    match directory {
        Some("") => Err(format!(
            "{} is a prefix without a directory name: {expected}",
            quote(prefix)
        )),
        Some(name) if name.contains(':') => Err(format!(
            "{} is not a valid prefix: its name may not contain `:`",
            quote(prefix)
        )),
        Some(_) => Ok(()),
        None => {
            let lower = prefix.to_ascii_lowercase();
            let hint = if lower == "local" {
                " (prefixes are case-sensitive: write `local`)".to_owned()
            } else if lower.starts_with("ad+") || lower.starts_with("ldap+") {
                " (prefixes are case-sensitive: write `AD+` or `LDAP+` in capitals)".to_owned()
            } else {
                String::new()
            };
            Err(format!(
                "{} is not a valid prefix: {expected}{hint}",
                quote(prefix)
            ))
        }
    }
}

/// `{8-4-4-4-12}` hex digits, any case.
fn is_braced_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b[0] == b'{'
        && b[37] == b'}'
        && b[1..37].iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
