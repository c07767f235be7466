//! An instance as the API returns it: the record's PascalCase JSON, its
//! members in the record's order (Id first, as Keyfactor sends them; a
//! `serde_json` map would sort them), null members left out, Status as a
//! name or, in integer mode, as its integer.
//!
//! Nulls are left out because a missing member means null (kfql reads
//! records so) and the vendor's generated client cannot decode a null
//! datetime, Definition or Status.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{status, store};
use crate::keyfactor::WorkflowInstance;
use crate::server::StatusFormat;

/// `Definition`'s members in its own order (its fields are not in the
/// schema, which knows it only as an object).
const DEFINITION: [&str; 4] = ["Id", "DisplayName", "Version", "WorkflowType"];

/// An object whose members keep the order they were put in.
pub(crate) struct Instance(Vec<(String, Member)>);

#[derive(Serialize)]
#[serde(untagged)]
enum Member {
    Value(Value),
    Object(Instance),
}

impl Instance {
    pub(crate) fn new(r: &WorkflowInstance, format: StatusFormat) -> Instance {
        let Ok(Value::Object(mut o)) = serde_json::to_value(r) else {
            return Instance(Vec::new());
        };
        if format == StatusFormat::Integer {
            o.insert("Status".into(), Value::from(status::integer(r.status)));
        }
        let mut members = Vec::new();
        for f in store::mapping().schema().fields() {
            match o.remove(f.name()) {
                None | Some(Value::Null) => {}
                Some(Value::Object(mut d)) => {
                    let known: Vec<(String, Value)> = DEFINITION
                        .iter()
                        .filter_map(|k| Some((k.to_string(), d.remove(*k)?)))
                        .collect();
                    let inner = known
                        .into_iter()
                        .chain(d)
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k, Member::Value(v)))
                        .collect();
                    members.push((f.name().to_owned(), Member::Object(Instance(inner))));
                }
                Some(v) => members.push((f.name().to_owned(), Member::Value(v))),
            }
        }
        // Anything the schema does not name, so nothing is ever dropped.
        members.extend(
            o.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, Member::Value(v))),
        );
        Instance(members)
    }
}

impl Serialize for Instance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn members_keep_the_records_order_without_nulls() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
        let mut r = crate::keyfactor::sample(1, now, 1).remove(0);
        r.title = None;
        if let Some(d) = r.definition.as_mut() {
            d.display_name = None;
        }
        let text = serde_json::to_string(&Instance::new(&r, StatusFormat::Name)).unwrap();
        assert!(text.starts_with(r#"{"Id":""#), "{text}");
        assert!(
            text.contains(&format!(r#","Status":"{}","#, r.status.name())),
            "{text}"
        );
        assert!(!text.contains("null") && !text.contains("Title"), "{text}");
        let i = |k: &str| text.find(&format!("\"{k}\"")).unwrap_or(usize::MAX);
        assert!(
            i("Status") < i("Definition") && i("Definition") < i("ReferenceId"),
            "{text}"
        );
        // The same content as the record's own JSON, nulls aside.
        let mut want = serde_json::to_value(&r).unwrap();
        let got: Value = serde_json::from_str(&text).unwrap();
        if let Value::Object(o) = &mut want {
            o.retain(|_, v| !v.is_null());
            if let Some(Value::Object(d)) = o.get_mut("Definition") {
                d.retain(|_, v| !v.is_null());
            }
        }
        assert_eq!(got, want);
        let text = serde_json::to_string(&Instance::new(&r, StatusFormat::Integer)).unwrap();
        assert!(text.contains(&format!(r#","Status":{},"#, status::integer(r.status))));
    }
}
