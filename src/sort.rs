//! The order of docs/LANGUAGE.md, “Sorting and paging”: one sort field, ascending or descending, nulls
//! first ascending and last descending, ties broken by the schema's key
//! ascending and then by input order.

use std::cmp::Ordering;

use crate::error::closest;
use crate::record::TextList;
use crate::schema::{Field, FieldType, Schema};
use crate::text::cmp_folded;
use crate::{Error, ErrorKind, FieldValue, Record};

/// Which way a [`Sort`] runs. Keyfactor's `SortAscending` parameter is
/// `0` for [`Ascending`](Direction::Ascending) and `1` for
/// [`Descending`](Direction::Descending), despite its name.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Direction {
    /// Smallest first; nulls first.
    #[default]
    Ascending,
    /// Largest first; nulls last.
    Descending,
}

impl Direction {
    /// [`Descending`](Direction::Descending) when `descending`, else
    /// [`Ascending`](Direction::Ascending): for a `--desc` flag.
    pub fn descending_if(descending: bool) -> Direction {
        if descending {
            Direction::Descending
        } else {
            Direction::Ascending
        }
    }
}

/// A sort field and direction, resolved against a schema, which it keeps:
/// a [`Filter`](crate::Filter) refuses to page with a sort of another
/// schema ([`ErrorKind::SchemaMismatch`]) instead of reading the wrong
/// field. [`Filter::sort`](crate::Filter::sort) builds one from the
/// filter's own schema.
///
/// ```
/// use kfql::{Direction, Sort};
///
/// let schema = kfql::keyfactor::schema();
/// let sort = Sort::new(&schema, "startdate", Direction::Descending)?;
/// assert_eq!(sort.field().name(), "StartDate");
/// let err = Sort::new(&schema, "Definition", Direction::Ascending).unwrap_err();
/// assert_eq!(err.kind(), kfql::ErrorKind::FieldNotSortable);
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    schema: Schema,
    slot: Option<usize>,
    direction: Direction,
    /// For an enum sort field: each name's rank in folded-text order.
    ranks: Vec<usize>,
}

impl Sort {
    /// Sort by the field called `name` (ignoring case).
    pub fn new(schema: &Schema, name: &str, direction: Direction) -> Result<Sort, Error> {
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
        Ok(Sort::on(schema, field, direction))
    }

    /// The schema's default sort field (or its key, or input order when it
    /// has neither), ascending.
    pub fn default_for(schema: &Schema) -> Sort {
        match schema.default_sort().or(schema.key()) {
            Some(f) => Sort::on(schema, f, Direction::Ascending),
            None => Sort {
                schema: schema.clone(),
                slot: None,
                direction: Direction::Ascending,
                ranks: Vec::new(),
            },
        }
    }

    fn on(schema: &Schema, field: &Field, direction: Direction) -> Sort {
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
            schema: schema.clone(),
            slot: Some(field.index()),
            direction,
            ranks,
        }
    }

    /// The same field in `direction`.
    pub fn with_direction(mut self, direction: Direction) -> Sort {
        self.direction = direction;
        self
    }

    /// The direction.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Whether the order is descending.
    pub fn is_descending(&self) -> bool {
        self.direction == Direction::Descending
    }

    /// The schema the sort was resolved against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The sort field, or `None` for a schema with neither default sort
    /// field nor key sorted by default (input order).
    pub fn sort_field(&self) -> Option<&Field> {
        self.slot.map(|s| &self.schema.fields()[s])
    }

    /// The sort field; for a schema with neither default sort field nor
    /// key, its first field.
    pub fn field(&self) -> &Field {
        &self.schema.fields()[self.slot.unwrap_or(0)]
    }

    /// For an enum sort field, each name's rank in the order of its folded
    /// text (the pager's keys hold ranks, not indexes).
    pub(crate) fn enum_ranks(&self) -> &[usize] {
        &self.ranks
    }

    /// `Ok` when records of `schema` can be sorted this way: the sort was
    /// resolved against an equal schema.
    pub(crate) fn check_schema(&self, schema: &Schema) -> Result<(), Error> {
        if &self.schema == schema {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::SchemaMismatch,
            format!(
                "the sort was resolved against {}, but the filter against {}",
                self.schema.name(),
                schema.name()
            ),
        )
        .with_suggestion("build the sort from the filter: `filter.sort(name, direction)`"))
    }

    /// The order of two records: the sort field in the chosen direction,
    /// then the key ascending. (Input order, the last tie-break, is the
    /// caller's: [`Pager`](crate::Pager) keeps it.) The two records may be
    /// of different types over the same schema, such as a borrowed record
    /// and an owned one.
    pub fn compare<A, B>(&self, a: &A, b: &B) -> Ordering
    where
        A: Record + ?Sized,
        B: Record + ?Sized,
    {
        let schema = &self.schema;
        let fields = schema.fields();
        let by_field = match self.slot {
            Some(slot) => {
                let f = &fields[slot];
                let o = compare_values(a.value(f), b.value(f), &self.ranks);
                if self.is_descending() { o.reverse() } else { o }
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
