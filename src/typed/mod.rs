//! Records that know their schema, and filters bound to them.
//!
//! [`TypedRecord`] is what `#[derive(kfql::Record)]` implements: the
//! schema comes from the struct, and each field is read by code generated
//! for its own type. [`Filter::bind`] checks once that the filter was
//! compiled against that schema and gives a [`Bound`] filter, whose every
//! leaf is one jump-table index (`slot × KINDS + kind`) into the derive's
//! match: a direct load of the field and an inlined comparison, where
//! [`Filter::matches`] takes one jump on the test kind and another on the
//! field inside [`Record::value`].

use std::borrow::Borrow;
use std::borrow::Cow;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};

mod batch;

use crate::eval::KINDS;
use crate::filter::{Filter, Node, Program, Test, needs_program};
use crate::page::Pager;
use crate::{Error, ErrorKind, FieldType, FieldValue, Guid, Page, PageResult, Record, Schema};
use crate::{Sort, TextList};

/// A record type with a fixed schema: what `#[derive(kfql::Record)]`
/// implements (with [`Record`]), and what [`Filter::bind`] needs.
///
/// ```
/// # #[cfg(feature = "derive")] {
/// use kfql::{Context, Direction, Page, TypedRecord};
///
/// #[derive(kfql::Record)]
/// #[kfql(name = "certificates", rename_all = "PascalCase")]
/// struct Cert {
///     #[kfql(key)]
///     serial: String,
///     days_left: Option<i64>,
///     #[kfql(not_queryable)]
///     notes: Option<String>,
/// }
///
/// let certs = vec![
///     Cert { serial: "AB12".into(), days_left: Some(7), notes: None },
///     Cert { serial: "AB13".into(), days_left: Some(70), notes: None },
///     Cert { serial: "CD01".into(), days_left: None, notes: None },
/// ];
/// let schema = Cert::schema();
/// let ctx = Context::new(chrono::DateTime::UNIX_EPOCH);
/// let filter = kfql::compile(r#"DaysLeft -lt 30 OR Serial -startswith "cd""#, &schema, &ctx)?;
/// let bound = filter.bind::<Cert>()?;
/// assert_eq!(bound.count(&certs), 2);
/// let page = bound.page(&certs, &filter.sort("DaysLeft", Direction::Descending)?, Page::default())?;
/// assert_eq!(page.records[0].serial, "AB12"); // nulls last when descending
/// # }
/// # Ok::<(), kfql::Error>(())
/// ```
pub trait TypedRecord: Record {
    /// The schema of this record type. The derive builds it once and hands
    /// out clones (an `Arc`).
    fn schema() -> Schema;

    /// Evaluate one bound leaf. The derive generates one match arm per
    /// (queryable field, leaf kind); the default reads the field through
    /// [`Record::value`], for hand-written implementations.
    #[doc(hidden)]
    #[inline]
    fn eval_leaf(&self, code: u32, leaf: &__private::Leaf) -> bool {
        let slot = code as usize / KINDS;
        match Self::schema().fields().get(slot) {
            Some(field) => leaf.0.eval_value(self.value(field)),
            None => false,
        }
    }

    /// Keep in `selection` the records of `records` (by position) for
    /// which the leaf holds. The derive generates one loop per (field,
    /// kind) with the field read inlined; the default goes through
    /// [`eval_leaf`](TypedRecord::eval_leaf).
    #[doc(hidden)]
    fn select_leaf<T: Borrow<Self>>(
        records: &[T],
        code: u32,
        leaf: &__private::Leaf,
        selection: &mut __private::Selection,
    ) where
        Self: Sized,
    {
        selection.retain(records, |r| r.borrow().eval_leaf(code, leaf));
    }

    /// The position of the field named exactly `name` (case-sensitive, as
    /// JSON keys are).
    #[doc(hidden)]
    fn slot_of(name: &str) -> Option<usize> {
        Self::schema()
            .fields()
            .iter()
            .position(|f| f.name() == name)
    }
}

/// A Rust type that can be a field of a `#[derive(kfql::Record)]` struct:
/// its kfql type and its value. Implemented for `String`, `&str`,
/// `Cow<str>`, `Box<str>`, the integer types up to `i64` and `u32`,
/// `bool`, `chrono::DateTime<Utc>`, [`Guid`], `Vec<String>` (a string
/// list), `Option` of any of them (`None` is null), and enums with
/// `#[derive(kfql::Enum)]`. Implement it for a newtype of your own.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a kfql field",
    label = "not a type kfql can query or sort",
    note = "kfql fields are String, &str, Cow<str>, Box<str>, i8–i64, u8–u32, bool, \
            chrono::DateTime<Utc>, kfql::Guid, Vec<String>, an Option of one of them, or an \
            enum with #[derive(kfql::Enum)]; mark other fields #[kfql(skip)] or #[kfql(object)], \
            or implement kfql::FieldKind"
)]
pub trait FieldKind {
    /// The field's kfql type.
    fn field_type() -> FieldType;
    /// The value a filter reads.
    fn value(&self) -> FieldValue<'_>;
}

/// An enum field's names: what `#[derive(kfql::Enum)]` implements (with
/// [`FieldKind`]), a variant per name, in declaration order.
///
/// ```
/// # #[cfg(feature = "derive")] {
/// use kfql::Enum;
///
/// #[derive(kfql::Enum, Debug, PartialEq)]
/// enum Stage {
///     Draft,
///     #[kfql(rename = "In Review")]
///     InReview,
/// }
/// assert_eq!(Stage::NAMES, ["Draft", "In Review"]);
/// assert_eq!(Stage::from_index(1), Some(Stage::InReview));
/// assert_eq!(Stage::InReview.index(), 1);
/// # }
/// ```
pub trait Enum: Sized {
    /// The names, as queries and records spell them.
    const NAMES: &'static [&'static str];
    /// This value's position in [`NAMES`](Enum::NAMES).
    fn index(&self) -> usize;
    /// The value at `index`, if there is one.
    fn from_index(index: usize) -> Option<Self>;
}

impl Filter {
    /// This filter for records of type `R`, checked once: `R`'s schema must
    /// be the one the filter was compiled against
    /// ([`ErrorKind::SchemaMismatch`] otherwise).
    pub fn bind<R: TypedRecord>(&self) -> Result<Bound<R>, Error> {
        let schema = R::schema();
        if schema != self.schema {
            return Err(Error::new(
                ErrorKind::SchemaMismatch,
                format!(
                    "the filter was compiled against {}, not against the schema of {}",
                    self.schema.name(),
                    std::any::type_name::<R>()
                ),
            )
            .with_suggestion(format!(
                "compile it against `{}::schema()`",
                std::any::type_name::<R>()
            )));
        }
        // A deep filter runs as a jump program, record by record; its tree
        // is not walked at all.
        if needs_program(&self.root) {
            code(self.schema.fields().len(), 0)?;
            let deep = Program::new(&self.root, &|slot, test: &Test| {
                let code = code(slot, test.kind()).unwrap_or(u32::MAX);
                (code, __private::Leaf(test.clone()))
            });
            return Ok(Bound {
                root: Step::All,
                deep: Some(deep),
                filter: self.clone(),
                record: PhantomData,
            });
        }
        Ok(Bound {
            root: step(&self.root)?,
            deep: None,
            filter: self.clone(),
            record: PhantomData,
        })
    }
}

/// A [`Filter`] bound to a record type with [`Filter::bind`]: the same
/// matches, totals and pages as the filter, evaluated through the type's
/// generated field access. Cheap to share across threads.
pub struct Bound<R> {
    filter: Filter,
    root: Step,
    deep: Option<Program<(u32, __private::Leaf)>>,
    record: PhantomData<fn(&R) -> bool>,
}

impl<R> Clone for Bound<R> {
    fn clone(&self) -> Self {
        Bound {
            filter: self.filter.clone(),
            root: self.root.clone(),
            deep: self.deep.clone(),
            record: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Bound<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("record", &std::any::type_name::<R>())
            .field("filter", &self.filter)
            .finish()
    }
}

/// The filter's tree with each leaf's code in place of its field slot.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    All,
    And(Box<[Step]>),
    Or(Box<[Step]>),
    Leaf(u32, __private::Leaf),
}

/// Depth is bounded by compile (at most `Limits::MAX_DEPTH` + 1 levels),
/// as it is for the evaluator, which recurses the same way.
fn step(node: &Node) -> Result<Step, Error> {
    Ok(match node {
        Node::All => Step::All,
        Node::And(xs) => Step::And(xs.iter().map(step).collect::<Result<_, _>>()?),
        Node::Or(xs) => Step::Or(xs.iter().map(step).collect::<Result<_, _>>()?),
        Node::Test(slot, test) => {
            Step::Leaf(code(*slot, test.kind())?, __private::Leaf(test.clone()))
        }
    })
}

/// A leaf's code: `slot × KINDS + kind`, the derive's match arm.
fn code(slot: usize, kind: u8) -> Result<u32, Error> {
    slot.checked_mul(KINDS)
        .and_then(|c| c.checked_add(usize::from(kind)))
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidSchema,
                "the schema has too many fields to bind a filter to it",
            )
        })
}

impl<R: TypedRecord> Bound<R> {
    /// Whether `record` matches: the same answer as [`Filter::matches`].
    #[inline(always)]
    pub fn matches(&self, record: &R) -> bool {
        if let Some(program) = &self.deep {
            return program.run(|(code, leaf)| record.eval_leaf(*code, leaf));
        }
        match &self.root {
            Step::And(xs) => xs.iter().all(|x| x.eval(record)),
            Step::Or(xs) => xs.iter().any(|x| x.eval(record)),
            Step::All => true,
            Step::Leaf(code, leaf) => record.eval_leaf(*code, leaf),
        }
    }

    /// How many of `records` match.
    pub fn count<T: Borrow<R>>(&self, records: impl IntoIterator<Item = T>) -> u64 {
        let mut n = 0;
        batch::chunks(self, records, |_, selection| {
            n += selection.len() as u64;
        });
        n
    }

    /// [`count`](Bound::count) for records in one slice: its chunks are
    /// evaluated in place, without gathering references to them first.
    pub fn count_slice(&self, records: &[R]) -> u64 {
        let mut n = 0;
        batch::slice_chunks(self, records, |_, selection| {
            n += selection.len() as u64;
        });
        n
    }

    /// [`page`](Bound::page) for records in one slice.
    pub fn page_slice<'r>(
        &self,
        records: &'r [R],
        sort: &Sort,
        page: Page,
    ) -> Result<PageResult<&'r R>, Error> {
        sort.check_schema(&self.filter.schema)?;
        let mut pager = Pager::new(sort.clone(), page);
        batch::slice_chunks(self, records, |chunk: &'r [R], selection| {
            for i in selection.iter() {
                pager.push(&chunk[i]);
            }
        });
        Ok(pager.finish())
    }

    /// One page of the matches in `sort` order, with the total: the same
    /// page as [`Filter::page`], and the same [`ErrorKind::SchemaMismatch`]
    /// for a sort of another schema.
    pub fn page<T: Borrow<R> + Record>(
        &self,
        records: impl IntoIterator<Item = T>,
        sort: &Sort,
        page: Page,
    ) -> Result<PageResult<T>, Error> {
        sort.check_schema(&self.filter.schema)?;
        let mut pager = Pager::new(sort.clone(), page);
        batch::chunks(self, records, |chunk: &mut Vec<T>, selection| {
            let mut next = selection.iter().peekable();
            for (i, r) in chunk.drain(..).enumerate() {
                if next.next_if_eq(&i).is_some() {
                    pager.push(r);
                }
            }
        });
        Ok(pager.finish())
    }

    /// The filter this was bound from.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

impl Step {
    #[inline(always)]
    fn eval<R: TypedRecord>(&self, record: &R) -> bool {
        match self {
            Step::Leaf(code, leaf) => record.eval_leaf(*code, leaf),
            chain => chain.eval_chain(record),
        }
    }

    #[inline(never)]
    fn eval_chain<R: TypedRecord>(&self, record: &R) -> bool {
        match self {
            Step::And(xs) => xs.iter().all(|x| x.eval(record)),
            Step::Or(xs) => xs.iter().any(|x| x.eval(record)),
            Step::All => true,
            Step::Leaf(code, leaf) => record.eval_leaf(*code, leaf),
        }
    }
}

macro_rules! field_kinds {
    ($($t:ty => $ft:expr, |$x:ident| $v:expr;)*) => {$(
        impl FieldKind for $t {
            fn field_type() -> FieldType {
                $ft
            }
            #[inline(always)]
            fn value(&self) -> FieldValue<'_> {
                let $x = self;
                $v
            }
        }
    )*};
}

field_kinds! {
    String => FieldType::String, |s| FieldValue::Str(s);
    &str => FieldType::String, |s| FieldValue::Str(s);
    Cow<'_, str> => FieldType::String, |s| FieldValue::Str(s);
    Box<str> => FieldType::String, |s| FieldValue::Str(s);
    i64 => FieldType::Integer, |n| FieldValue::Int(*n);
    i32 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    i16 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    i8 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    u32 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    u16 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    u8 => FieldType::Integer, |n| FieldValue::Int(i64::from(*n));
    bool => FieldType::Boolean, |b| FieldValue::Bool(*b);
    DateTime<Utc> => FieldType::DateTime, |t| FieldValue::DateTime(*t);
    Guid => FieldType::Guid, |g| FieldValue::Guid(g.0);
    Vec<String> => FieldType::StringList, |xs| FieldValue::List(TextList::Strings(xs));
}

impl<T: FieldKind> FieldKind for Option<T> {
    fn field_type() -> FieldType {
        T::field_type()
    }

    #[inline(always)]
    fn value(&self) -> FieldValue<'_> {
        match self {
            Some(x) => x.value(),
            None => FieldValue::Null,
        }
    }
}

/// What the derive's generated code calls. Not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    /// The number of leaf kinds; the derive checks that it agrees.
    pub const KINDS: usize = super::KINDS;

    /// One compiled comparison, opaque outside kfql.
    #[derive(Clone, Debug)]
    pub struct Leaf(pub(crate) Test);

    pub use super::batch::Selection;

    /// Leaf kind `K` against a value read from the record.
    #[inline(always)]
    pub fn leaf<const K: u8>(v: FieldValue<'_>, leaf: &Leaf) -> bool {
        leaf.0.eval_kind::<K>(v)
    }

    /// Leaf kind `K` over the selected records of a chunk, the field read
    /// by `get`: one tight loop, monomorphized per (field, kind).
    #[inline(always)]
    pub fn select<const K: u8, R, T: Borrow<R>>(
        records: &[T],
        leaf: &Leaf,
        selection: &mut Selection,
        get: impl Fn(&R) -> FieldValue<'_>,
    ) {
        let Some(operands) = leaf.0.operands::<K>() else {
            selection.clear();
            return;
        };
        selection.retain(records, |r| operands.eval::<K>(get(r.borrow())));
    }

    /// The value of a `#[kfql(with = "method")]` field: what the method
    /// returns, owned or borrowed from the record.
    #[diagnostic::on_unimplemented(
        message = "a `#[kfql(with = \"…\")]` method cannot return `{Self}`",
        label = "returned by the field's `with` method",
        note = "return a reference to a kfql field type (`&String`, `&Option<Guid>`, …), an \
                `Option<&str>`, an integer, a bool, a Guid, a DateTime<Utc>, an Option of one of \
                them, or a kfql::FieldValue"
    )]
    pub trait IntoFieldValue<'a> {
        /// The value.
        fn into_value(self) -> FieldValue<'a>;
    }

    impl<'a, T: FieldKind + ?Sized> IntoFieldValue<'a> for &'a T {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'a> {
            self.value()
        }
    }

    impl<'a> IntoFieldValue<'a> for FieldValue<'a> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'a> {
            self
        }
    }

    impl<'a> IntoFieldValue<'a> for Option<&'a str> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'a> {
            self.map_or(FieldValue::Null, FieldValue::Str)
        }
    }

    impl<'a, T: FieldKind> IntoFieldValue<'a> for Option<&'a T> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'a> {
            self.map_or(FieldValue::Null, FieldKind::value)
        }
    }

    macro_rules! owned_values {
        ($($t:ty),*) => {$(
            impl IntoFieldValue<'_> for $t {
                #[inline(always)]
                fn into_value(self) -> FieldValue<'static> {
                    owned(FieldKind::value(&self))
                }
            }
        )*};
    }

    owned_values!(
        i64,
        i32,
        i16,
        i8,
        u32,
        u16,
        u8,
        bool,
        Guid,
        DateTime<Utc>,
        Option<bool>
    );

    /// A value that borrows nothing, as `'static` (the types above give no
    /// other kind).
    #[inline(always)]
    fn owned(v: FieldValue<'_>) -> FieldValue<'static> {
        match v {
            FieldValue::Null => FieldValue::Null,
            FieldValue::Int(n) => FieldValue::Int(n),
            FieldValue::DateTime(t) => FieldValue::DateTime(t),
            FieldValue::Guid(g) => FieldValue::Guid(g),
            FieldValue::Bool(b) => FieldValue::Bool(b),
            FieldValue::Enum(i) => FieldValue::Enum(i),
            FieldValue::Str(_) | FieldValue::List(_) | FieldValue::Invalid => FieldValue::Invalid,
        }
    }

    impl IntoFieldValue<'_> for Option<Guid> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'static> {
            self.map_or(FieldValue::Null, |g| FieldValue::Guid(g.0))
        }
    }

    impl IntoFieldValue<'_> for Option<i64> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'static> {
            self.map_or(FieldValue::Null, FieldValue::Int)
        }
    }

    impl IntoFieldValue<'_> for Option<DateTime<Utc>> {
        #[inline(always)]
        fn into_value(self) -> FieldValue<'static> {
            self.map_or(FieldValue::Null, FieldValue::DateTime)
        }
    }
}
