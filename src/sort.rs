//! The order of SPEC §5: one sort field, ascending or descending, nulls
//! first ascending and last descending, ties broken by the schema's key
//! ascending and then by input order.

use std::cmp::Ordering;

use crate::error::closest;
use crate::eval::TextList;
use crate::schema::{Field, FieldType, Schema};
use crate::text::cmp_folded;
use crate::{Error, ErrorKind, FieldValue, Record};

/// A sort field and direction, resolved against a schema.
///
/// ```
/// let schema = kfql::keyfactor::schema();
/// let sort = kfql::Sort::new(&schema, "startdate", true)?;
/// assert_eq!(sort.field(&schema).name(), "StartDate");
/// let err = kfql::Sort::new(&schema, "Definition", false).unwrap_err();
/// assert_eq!(err.kind(), kfql::ErrorKind::FieldNotSortable);
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    slot: Option<usize>,
    descending: bool,
    /// For an enum sort field: each name's rank in folded-text order.
    ranks: Vec<usize>,
}

impl Sort {
    /// Sort by the field called `name` (ignoring case).
    pub fn new(schema: &Schema, name: &str, descending: bool) -> Result<Sort, Error> {
        let Some(field) = schema.field(name) else {
            let names: Vec<&str> = schema
                .fields()
                .iter()
                .filter(|f| f.sortable())
                .map(Field::name)
                .collect();
            let err = Error::new(
                ErrorKind::UnknownSortField,
                format!("`{name}` is not a field of {}", schema.name()),
            );
            return Err(match closest(name, names.iter().copied()) {
                Some(s) => err.with_suggestion(format!("did you mean `{s}`?")),
                None => err.with_suggestion(format!("the sort fields are {}", names.join(", "))),
            });
        };
        if !field.sortable() {
            let err = Error::new(
                ErrorKind::FieldNotSortable,
                format!("`{}` has no order to sort by", field.name()),
            );
            return Err(match field.hint() {
                Some(h) => err.with_suggestion(h.to_owned()),
                None => err,
            });
        }
        Ok(Sort::on(field, descending))
    }

    /// The schema's default sort field (or its key, or input order when it
    /// has neither), ascending.
    pub fn default_for(schema: &Schema) -> Sort {
        match schema.default_sort().or(schema.key()) {
            Some(f) => Sort::on(f, false),
            None => Sort {
                slot: None,
                descending: false,
                ranks: Vec::new(),
            },
        }
    }

    fn on(field: &Field, descending: bool) -> Sort {
        let ranks = match field.ty() {
            FieldType::Enum(names) => {
                let mut order: Vec<usize> = (0..names.len()).collect();
                order.sort_by(|&a, &b| cmp_folded(&names[a], &names[b]));
                let mut ranks = vec![0; names.len()];
                for (rank, &i) in order.iter().enumerate() {
                    ranks[i] = rank;
                }
                ranks
            }
            _ => Vec::new(),
        };
        Sort {
            slot: Some(field.index()),
            descending,
            ranks,
        }
    }

    /// Reverse the direction.
    pub fn descending(mut self, descending: bool) -> Sort {
        self.descending = descending;
        self
    }

    /// Whether the order is descending.
    pub fn is_descending(&self) -> bool {
        self.descending
    }

    /// The sort field within `schema` (the schema it was resolved against).
    /// For a schema with neither default sort field nor key, the first field.
    pub fn field<'s>(&self, schema: &'s Schema) -> &'s Field {
        &schema.fields()[self.slot.unwrap_or(0)]
    }

    /// The order of two records: the sort field in the chosen direction,
    /// then the key ascending. (Input order, the last tie-break, is the
    /// caller's: [`Pager`](crate::Pager) keeps it.) The two records may be
    /// of different types over the same schema, such as a borrowed record
    /// and an owned one.
    pub fn compare<A, B>(&self, schema: &Schema, a: &A, b: &B) -> Ordering
    where
        A: Record + ?Sized,
        B: Record + ?Sized,
    {
        let fields = schema.fields();
        let by_field = match self.slot {
            Some(slot) => {
                let f = &fields[slot];
                let o = compare_values(a.value(f), b.value(f), &self.ranks);
                if self.descending { o.reverse() } else { o }
            }
            None => Ordering::Equal,
        };
        by_field.then_with(|| match schema.key() {
            Some(k) => compare_values(a.value(k), b.value(k), &[]),
            None => Ordering::Equal,
        })
    }
}

fn rank(v: FieldValue<'_>) -> u8 {
    match v {
        FieldValue::Null | FieldValue::Invalid => 0,
        FieldValue::List(xs) if xs.is_empty() => 0,
        _ => 1,
    }
}

/// Nulls (and empty lists) first, then values by their type's order.
fn compare_values(a: FieldValue<'_>, b: FieldValue<'_>, ranks: &[usize]) -> Ordering {
    use FieldValue::*;
    match (a, b) {
        (Str(x), Str(y)) => cmp_folded(x, y),
        (Int(x), Int(y)) => x.cmp(&y),
        (DateTime(x), DateTime(y)) => x.cmp(&y),
        (Guid(x), Guid(y)) => x.cmp(&y),
        (Bool(x), Bool(y)) => x.cmp(&y),
        (Enum(x), Enum(y)) => match (ranks.get(x), ranks.get(y)) {
            (Some(rx), Some(ry)) => rx.cmp(ry),
            _ => x.cmp(&y),
        },
        (List(x), List(y)) if !x.is_empty() && !y.is_empty() => compare_lists(x, y),
        (a, b) => rank(a).cmp(&rank(b)),
    }
}

fn compare_lists(x: TextList<'_>, y: TextList<'_>) -> Ordering {
    let mut ys = y.iter();
    for a in x.iter() {
        match ys.next() {
            None => return Ordering::Greater,
            Some(b) => match cmp_folded(a, b) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
    if ys.next().is_some() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}
