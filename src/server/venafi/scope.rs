//! OAuth scopes: `area[:privilege[,privilege]…]` joined by `;`, compared
//! ignoring case (`configuration:manage;certificate:approve`). An area
//! alone asks for reading it, and every privilege implies reading, as
//! Venafi's own client writes them (`Scope().configuration(read=True)` is
//! `configuration`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A parsed scope: each area with its privileges, lower-case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scope(BTreeMap<String, BTreeSet<String>>);

const READ: &str = "read";

/// Why a scope string was refused, for `error_description`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScopeError(pub(crate) String);

fn word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Scope {
    /// Parses `text`; an empty text, an empty area or privilege, or a
    /// character outside letters, digits and `_` is an error.
    pub(crate) fn parse(text: &str) -> Result<Scope, ScopeError> {
        let mut areas: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if text.trim().is_empty() {
            return Err(ScopeError("the scope is empty".into()));
        }
        for part in text.split(';') {
            let part = part.trim();
            let (area, privileges) = match part.split_once(':') {
                Some((a, p)) => (a.trim(), Some(p)),
                None => (part, None),
            };
            if !word(area) {
                return Err(ScopeError(format!(
                    "`{part}` is not area[:privilege[,privilege]]"
                )));
            }
            let entry = areas.entry(area.to_ascii_lowercase()).or_default();
            entry.insert(READ.to_owned());
            for p in privileges.into_iter().flat_map(|p| p.split(',')) {
                let p = p.trim();
                if !word(p) {
                    return Err(ScopeError(format!(
                        "`{part}` is not area[:privilege[,privilege]]"
                    )));
                }
                entry.insert(p.to_ascii_lowercase());
            }
        }
        Ok(Scope(areas))
    }

    /// The scope a user may ask for: the union of their scope strings.
    /// A string that does not parse grants nothing.
    pub(crate) fn allowed(scopes: &[String]) -> Scope {
        let mut all = Scope::default();
        for s in scopes.iter().filter_map(|s| Scope::parse(s).ok()) {
            for (area, privileges) in s.0 {
                all.0.entry(area).or_default().extend(privileges);
            }
        }
        all
    }

    /// Whether every area and privilege of `self` is within `allowed`.
    pub(crate) fn within(&self, allowed: &Scope) -> bool {
        self.0.iter().all(|(area, privileges)| {
            allowed
                .0
                .get(area)
                .is_some_and(|have| privileges.is_subset(have))
        })
    }

    /// Whether the scope holds `privilege` in `area`.
    pub(crate) fn has(&self, area: &str, privilege: &str) -> bool {
        self.0.get(area).is_some_and(|p| p.contains(privilege))
    }

    /// Whether the scope holds `privilege` in any area.
    pub(crate) fn has_anywhere(&self, privilege: &str) -> bool {
        self.0.values().any(|p| p.contains(privilege))
    }
}

/// The canonical form: areas in order, `read` left implicit.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (area, privileges) in &self.0 {
            if !first {
                f.write_str(";")?;
            }
            first = false;
            f.write_str(area)?;
            let explicit: Vec<&str> = privileges
                .iter()
                .map(String::as_str)
                .filter(|p| *p != READ)
                .collect();
            if !explicit.is_empty() {
                write!(f, ":{}", explicit.join(","))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    fn s(text: &str) -> Scope {
        Scope::parse(text).unwrap()
    }

    #[test]
    fn grammar_and_canonical_form() {
        assert_eq!(
            s(" Configuration:Manage,delete ; certificate:approve").to_string(),
            "certificate:approve;configuration:delete,manage"
        );
        assert_eq!(s("configuration").to_string(), "configuration");
        assert_eq!(s("configuration:read").to_string(), "configuration");
        for bad in [
            "",
            " ",
            ";",
            "a:",
            "a:,b",
            ":manage",
            "a b:manage",
            "a:m;",
            "a:m'",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn within_the_allowed_scopes() {
        let allowed = Scope::allowed(&["configuration:manage,delete".into(), "junk:".into()]);
        assert!(s("configuration").within(&allowed));
        assert!(s("CONFIGURATION:Manage").within(&allowed));
        assert!(s("configuration:manage,delete").within(&allowed));
        assert!(!s("configuration:manage;certificate").within(&allowed));
        assert!(!s("configuration:approve").within(&allowed));
        assert!(!s("junk").within(&allowed));
        assert!(s("configuration:delete").has("configuration", "delete"));
        assert!(s("certificate:approve").has_anywhere("approve"));
        assert!(!s("configuration:manage").has_anywhere("approve"));
    }
}
