//! Which column holds which field: the only source of identifiers in the
//! SQL kfql writes.

use super::Dialect;
use crate::schema::{Field, FieldType};
use crate::{Error, ErrorKind, Schema};

/// Where a schema's fields live in a table.
///
/// By default each field that can be queried or sorted is the column named
/// after it in snake case (`StartDate` → `start_date`); [`column`] renames
/// one, and also maps a field's fallback path (`Definition.WorkflowType`,
/// read when the field itself is null) to a column of its own, which the
/// SQL reads as `COALESCE(field, fallback)`. [`input_order`] names the
/// column that holds the records' input order, the last tie-break of
/// docs/LANGUAGE.md, “Sorting and paging”.
///
/// [`column`]: Mapping::column
/// [`input_order`]: Mapping::input_order
///
/// ```
/// use kfql::sql::{Mapping, Sqlite};
///
/// let schema = kfql::keyfactor::schema();
/// let mapping = Mapping::new(&schema, "workflow_instances")
///     .column("Title", "summary")?
///     .column("Definition.WorkflowType", "definition_workflow_type")?
///     .input_order("seq");
/// assert_eq!(mapping.column_of("title"), Some("summary"));
/// assert_eq!(mapping.column_of("StartDate"), Some("start_date"));
/// assert_eq!(mapping.expression(&schema.fields()[13], &Sqlite).as_deref(),
///            Some(r#"COALESCE("workflow_type", "definition_workflow_type")"#));
/// assert!(Mapping::new(&schema, "t").column("Titel", "x").is_err());
/// # Ok::<(), kfql::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    schema: Schema,
    table: String,
    /// By field index: the column, if the field is stored.
    columns: Vec<Option<String>>,
    /// By field index: the column of the fallback path, if mapped.
    fallbacks: Vec<Option<String>>,
    order: Option<String>,
}

/// `StartDate` → `start_date`, `Definition.WorkflowType` →
/// `definition_workflow_type`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '.' {
            out.push('_');
            prev_lower = false;
        } else if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

impl Mapping {
    /// Every queryable or sortable field in the column named after it in
    /// snake case, in `table` (`schema.table` is split at the dot).
    pub fn new(schema: &Schema, table: impl Into<String>) -> Mapping {
        let columns = schema
            .fields()
            .iter()
            .map(|f| (f.queryable() || f.sortable()).then(|| snake_case(f.name())))
            .collect();
        Mapping {
            schema: schema.clone(),
            table: table.into(),
            columns,
            fallbacks: vec![None; schema.fields().len()],
            order: None,
        }
    }

    /// Store the field called `field` (ignoring ASCII case) in `column`;
    /// or, when `field` is a field's fallback path such as
    /// `Definition.WorkflowType`, read that path from `column` when the
    /// field's own column is null. An error when `field` is neither.
    pub fn column(mut self, field: &str, column: impl Into<String>) -> Result<Mapping, Error> {
        let fields = self.schema.fields();
        if let Some(f) = self.schema.field(field) {
            if f.ty() == &FieldType::Object {
                return Err(Error::new(
                    ErrorKind::InvalidSchema,
                    format!("`{}` is an object; map its fields instead", f.name()),
                ));
            }
            self.columns[f.index()] = Some(column.into());
            return Ok(self);
        }
        match fields.iter().position(|f| {
            f.fallback()
                .is_some_and(|path| path.eq_ignore_ascii_case(field))
        }) {
            Some(i) => {
                self.fallbacks[i] = Some(column.into());
                Ok(self)
            }
            None => Err(Error::new(
                ErrorKind::InvalidSchema,
                format!(
                    "`{field}` is neither a field of {} nor a field's fallback path",
                    self.schema.name()
                ),
            )),
        }
    }

    /// Records are in input order by `column` (an integer, increasing as
    /// they arrived): the last tie-break of the sort, after the key.
    /// Without it, records equal in the sort field and the key come in
    /// the engine's order.
    pub fn input_order(mut self, column: impl Into<String>) -> Mapping {
        self.order = Some(column.into());
        self
    }

    /// The schema the mapping is for.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The table's name, as given.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The column of the field called `field`, if it is stored.
    pub fn column_of(&self, field: &str) -> Option<&str> {
        let f = self.schema.field(field)?;
        self.columns[f.index()].as_deref()
    }

    /// The column of `field`'s fallback path, if mapped.
    pub fn fallback_column(&self, field: &Field) -> Option<&str> {
        self.fallbacks.get(field.index())?.as_deref()
    }

    /// The input-order column, if any.
    pub fn input_order_column(&self) -> Option<&str> {
        self.order.as_deref()
    }

    /// The SQL expression for `field`'s value: its quoted column, or
    /// `COALESCE(column, fallback)`. `None` when the field is not stored.
    pub fn expression(&self, field: &Field, dialect: &dyn Dialect) -> Option<String> {
        let column = self.columns.get(field.index())?.as_deref()?;
        let main = dialect.quote_identifier(column);
        Some(match self.fallback_column(field) {
            Some(fb) => format!("COALESCE({main}, {})", dialect.quote_identifier(fb)),
            None => main,
        })
    }

    /// The quoted table name (each dot-separated part quoted).
    pub fn quoted_table(&self, dialect: &dyn Dialect) -> String {
        self.table
            .split('.')
            .map(|part| dialect.quote_identifier(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The stored columns, in schema order, each with the field it holds
    /// (fallback columns after their field's), then the input-order
    /// column with no field: what a table for this mapping needs.
    pub fn columns(&self) -> Vec<(&str, Option<&Field>)> {
        let mut out = Vec::new();
        for f in self.schema.fields() {
            if let Some(c) = self.columns[f.index()].as_deref() {
                out.push((c, Some(f)));
            }
            if let Some(c) = self.fallbacks[f.index()].as_deref() {
                out.push((c, Some(f)));
            }
        }
        if let Some(c) = self.order.as_deref() {
            out.push((c, None));
        }
        out
    }

    /// `CREATE TABLE` for this mapping in `dialect`, with the storage
    /// [`sql`](super) expects: text for strings, enum names, GUIDs and
    /// datetimes (in code-point order), 64-bit integers, booleans.
    ///
    /// ```
    /// use kfql::{FieldType, Schema, sql::{Mapping, Postgres}};
    ///
    /// let schema = Schema::builder("certs")
    ///     .field("Serial", FieldType::String)
    ///     .field("NotAfter", FieldType::DateTime)
    ///     .build()?;
    /// let ddl = Mapping::new(&schema, "certs").input_order("seq").create_table(&Postgres);
    /// assert_eq!(ddl, r#"CREATE TABLE "certs" ("serial" TEXT, "not_after" TEXT COLLATE "C", "seq" BIGINT NOT NULL)"#);
    /// # Ok::<(), kfql::Error>(())
    /// ```
    pub fn create_table(&self, dialect: &dyn Dialect) -> String {
        let columns: Vec<String> = self
            .columns()
            .into_iter()
            .map(|(c, f)| {
                let ty = match f.map(Field::ty) {
                    None => "BIGINT NOT NULL".to_owned(),
                    Some(FieldType::Integer) => "BIGINT".to_owned(),
                    Some(FieldType::Boolean) => "BOOLEAN".to_owned(),
                    Some(FieldType::Guid | FieldType::DateTime) => dialect.code_point_order("TEXT"),
                    Some(_) => "TEXT".to_owned(),
                };
                format!("{} {ty}", dialect.quote_identifier(c))
            })
            .collect();
        format!(
            "CREATE TABLE {} ({})",
            self.quoted_table(dialect),
            columns.join(", ")
        )
    }
}
