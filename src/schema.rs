//! What a record looks like: fields, their types, which may be queried and
//! sorted, and the key that breaks ties.
//!
//! Users describe their own records with [`Schema::builder`]; the crate
//! ships [`keyfactor::schema`](crate::keyfactor::schema) for workflow
//! instances. Field lookup ignores ASCII case.

use std::fmt;
use std::sync::Arc;

use crate::{Error, ErrorKind, Op};

/// The type of a field, which decides its operators and how values convert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Text, compared ignoring case.
    String,
    /// A list of texts (Venafi's `Approvers`): a comparison holds when it
    /// holds for any element; `-ne`/`-notcontains` when it holds for every
    /// element of a non-empty list. An empty list is null.
    StringList,
    /// A 64-bit signed integer.
    Integer,
    /// An instant, with day ranges for date-only values.
    DateTime,
    /// A 128-bit GUID.
    Guid,
    /// One of a fixed set of names, compared ignoring case.
    Enum(Vec<String>),
    /// `true` or `false`.
    Boolean,
    /// A nested object: neither queryable nor sortable.
    Object,
}

impl FieldType {
    /// An enum of `names`.
    pub fn enumeration<S: Into<String>>(names: impl IntoIterator<Item = S>) -> FieldType {
        FieldType::Enum(names.into_iter().map(Into::into).collect())
    }

    /// The operators this type accepts, besides `-eq NULL` and `-ne NULL`
    /// which every type accepts.
    pub fn operators(&self) -> &'static [Op] {
        use Op::*;
        match self {
            FieldType::String | FieldType::StringList => {
                &[Eq, Ne, Contains, NotContains, StartsWith, EndsWith]
            }
            FieldType::Integer | FieldType::DateTime => &[Eq, Ne, Lt, Le, Gt, Ge],
            FieldType::Guid | FieldType::Enum(_) | FieldType::Boolean => &[Eq, Ne],
            FieldType::Object => &[],
        }
    }

    /// The type's name as `kfql fields` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::StringList => "string list",
            FieldType::Integer => "integer",
            FieldType::DateTime => "datetime",
            FieldType::Guid => "guid",
            FieldType::Enum(_) => "enum",
            FieldType::Boolean => "boolean",
            FieldType::Object => "object",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Enum(names) => write!(f, "enum ({})", names.join(", ")),
            other => f.write_str(other.name()),
        }
    }
}

/// One field of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    name: String,
    ty: FieldType,
    queryable: bool,
    sortable: bool,
    index: usize,
    hint: Option<String>,
    fallback: Option<String>,
}

impl Field {
    /// The field's name, as the schema spells it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's type.
    pub fn ty(&self) -> &FieldType {
        &self.ty
    }

    /// Whether a query may use the field.
    pub fn queryable(&self) -> bool {
        self.queryable
    }

    /// Whether results may be sorted by the field.
    pub fn sortable(&self) -> bool {
        self.sortable
    }

    /// Where a JSON record's value comes from when the field is missing or
    /// null: a dotted path such as `Definition.Id`.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// A hint for errors about this field ("use DefinitionId instead").
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The field's position in its schema: [`Record`](crate::Record)
    /// implementations for typed structs dispatch on it.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// The fields of one kind of record. Cheap to clone.
///
/// ```
/// use kfql::{FieldType, Schema};
///
/// let schema = Schema::builder("certificates")
///     .field("Serial", FieldType::String)
///     .field("Issued", FieldType::DateTime)
///     .field("Revoked", FieldType::Boolean)
///     .field("Notes", FieldType::String).not_queryable()
///     .field("Id", FieldType::Integer)
///     .key("Id")
///     .default_sort("Issued")
///     .build()?;
/// assert_eq!(schema.field("serial").unwrap().name(), "Serial");
/// assert!(!schema.field("Notes").unwrap().queryable());
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema(Arc<Inner>);

#[derive(Debug, PartialEq, Eq)]
struct Inner {
    name: String,
    fields: Vec<Field>,
    key: Option<usize>,
    default_sort: Option<usize>,
}

impl Schema {
    /// Start describing a schema called `name` (shown in messages).
    pub fn builder(name: impl Into<String>) -> SchemaBuilder {
        SchemaBuilder {
            name: name.into(),
            fields: Vec::new(),
            key: None,
            default_sort: None,
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Every field, in the order they were declared.
    pub fn fields(&self) -> &[Field] {
        &self.0.fields
    }

    /// The field called `name`, ignoring ASCII case.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.0
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The key field that breaks ties in sorting, if any.
    pub fn key(&self) -> Option<&Field> {
        self.0.key.map(|i| &self.0.fields[i])
    }

    /// The sort field used when none is given, if any.
    pub fn default_sort(&self) -> Option<&Field> {
        self.0.default_sort.map(|i| &self.0.fields[i])
    }

    /// The names of the queryable fields, sorted, for error messages.
    pub(crate) fn queryable_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .0
            .fields
            .iter()
            .filter(|f| f.queryable)
            .map(|f| f.name())
            .collect();
        names.sort_unstable();
        names
    }
}

/// Builds a [`Schema`]: each [`field`](SchemaBuilder::field) is queryable
/// and sortable unless a modifier right after it says otherwise.
#[derive(Clone, Debug)]
#[must_use]
pub struct SchemaBuilder {
    name: String,
    fields: Vec<Field>,
    key: Option<String>,
    default_sort: Option<String>,
}

impl SchemaBuilder {
    /// Add a field, queryable and sortable (objects are neither).
    pub fn field(mut self, name: impl Into<String>, ty: FieldType) -> SchemaBuilder {
        let object = ty == FieldType::Object;
        let index = self.fields.len();
        self.fields.push(Field {
            name: name.into(),
            ty,
            queryable: !object,
            sortable: !object,
            index,
            hint: None,
            fallback: None,
        });
        self
    }

    /// The field added last cannot appear in a query.
    pub fn not_queryable(mut self) -> SchemaBuilder {
        if let Some(f) = self.fields.last_mut() {
            f.queryable = false;
        }
        self
    }

    /// The field added last cannot be a sort field.
    pub fn not_sortable(mut self) -> SchemaBuilder {
        if let Some(f) = self.fields.last_mut() {
            f.sortable = false;
        }
        self
    }

    /// A hint for errors about the field added last, such as "use
    /// DefinitionId" for an object field.
    pub fn hint(mut self, hint: impl Into<String>) -> SchemaBuilder {
        if let Some(f) = self.fields.last_mut() {
            f.hint = Some(hint.into());
        }
        self
    }

    /// When a JSON record lacks the field added last, or it is null, read
    /// it from the dotted `path` instead (`Definition.Id`).
    pub fn fallback(mut self, path: impl Into<String>) -> SchemaBuilder {
        if let Some(f) = self.fields.last_mut() {
            f.fallback = Some(path.into());
        }
        self
    }

    /// The key field: ties in sorting are broken by it, ascending.
    pub fn key(mut self, name: impl Into<String>) -> SchemaBuilder {
        self.key = Some(name.into());
        self
    }

    /// The sort field used when the caller names none.
    pub fn default_sort(mut self, name: impl Into<String>) -> SchemaBuilder {
        self.default_sort = Some(name.into());
        self
    }

    /// Check and finish: names must be unique ignoring case and follow the
    /// grammar's `field` rule, and the key and default sort field must exist
    /// and be sortable.
    pub fn build(self) -> Result<Schema, Error> {
        let bad = |msg: String| Err(Error::new(ErrorKind::InvalidSchema, msg));
        for (i, f) in self.fields.iter().enumerate() {
            // A field must be one a query can name.
            if !crate::syntax::is_field_name(&f.name) {
                return bad(format!(
                    "schema {}: `{}` is not a valid field name",
                    self.name, f.name
                ));
            }
            if crate::syntax::is_keyword(&f.name) {
                return bad(format!("schema {}: `{}` is a keyword", self.name, f.name));
            }
            if self.fields[..i]
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(&f.name))
            {
                return bad(format!(
                    "schema {}: field `{}` is declared twice",
                    self.name, f.name
                ));
            }
        }
        let find = |role: &str, name: &Option<String>| -> Result<Option<usize>, Error> {
            let Some(name) = name else { return Ok(None) };
            match self
                .fields
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(name))
            {
                Some(i) if self.fields[i].sortable => Ok(Some(i)),
                Some(_) => Err(Error::new(
                    ErrorKind::InvalidSchema,
                    format!("schema {}: the {role} `{name}` is not sortable", self.name),
                )),
                None => Err(Error::new(
                    ErrorKind::InvalidSchema,
                    format!("schema {}: the {role} `{name}` is not a field", self.name),
                )),
            }
        };
        let key = find("key", &self.key)?;
        let default_sort = find("default sort field", &self.default_sort)?;
        Ok(Schema(Arc::new(Inner {
            name: self.name,
            fields: self.fields,
            key,
            default_sort,
        })))
    }
}
