//! Parquet in the CLI (feature `parquet`): `query --data FILE.parquet`
//! and `convert`. The reading, filtering and paging are the library's
//! (`kfql::arrow::parquet`); this file chooses the input and maps errors
//! to exit codes.

use std::path::Path;

use clap::{Args, ValueEnum};
use kfql::{Filter, Page, Sort};

use crate::kinds::Kind;
use crate::{Failure, Found, SchemaArg};

/// `--input-format`: how to read `--data`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// A JSON array or JSON Lines.
    Json,
    /// Apache Parquet (needs a kfql built with the `parquet` feature).
    Parquet,
}

#[derive(Args)]
pub struct ConvertArgs {
    /// A JSON array or JSON Lines file of records (`-` for standard input).
    input: std::path::PathBuf,
    /// The Parquet file to write.
    output: std::path::PathBuf,
    #[command(flatten)]
    schema: SchemaArg,
    /// Rows per row group: the unit that queries skip by statistics and
    /// spread over threads.
    #[arg(long, value_name = "N", default_value_t = 64 * 1024)]
    row_group: usize,
}

/// Whether `--data` is Parquet: `--input-format`, else a `.parquet`
/// extension (any case).
pub fn is_parquet(format: Option<InputFormat>, data: Option<&Path>) -> bool {
    match format {
        Some(f) => f == InputFormat::Parquet,
        None => data.is_some_and(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        }),
    }
}

/// Count or page the Parquet file `data` (`-`: standard input, read
/// whole) on every core.
#[cfg(feature = "parquet")]
pub fn query<T: Kind>(
    data: Option<&Path>,
    filter: &Filter,
    sort: &Sort,
    page: Page,
    count: bool,
) -> Result<Found<T>, Failure> {
    use kfql::arrow::parquet::ParquetFile;
    // The library turns the reader's panics into errors; without this the
    // panic hook would print each one above the error line.
    kfql::arrow::parquet::quiet_reader_panics();
    let file = match data {
        Some(p) if p.as_os_str() != "-" => ParquetFile::open(p),
        _ => {
            use std::io::Read;
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::Data(format!("cannot read standard input: {e}")))?;
            ParquetFile::from_bytes("standard input", bytes)
        }
    }
    .map_err(|e| Failure::Data(e.message().to_owned()))?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let data_error = |e: kfql::Error| Failure::Data(e.message().to_owned());
    if count {
        return Ok(Found::Count(
            file.count(filter, threads).map_err(data_error)?,
        ));
    }
    let result = file.page(filter, sort, page, threads).map_err(data_error)?;
    // The page's rows become the kind's records, so that every output
    // format prints them as it prints records read from JSON.
    let records = result
        .records
        .into_iter()
        .map(|m| {
            T::from_value(&serde_json::Value::Object(m)).map_err(|e| {
                Failure::Data(format!(
                    "{}: column `{}`: {}",
                    file_name(data),
                    e.field,
                    e.message
                ))
            })
        })
        .collect::<Result<Vec<T>, Failure>>()?;
    Ok(Found::Page(kfql::PageResult {
        records,
        total: result.total,
        page: result.page,
    }))
}

#[cfg(feature = "parquet")]
fn file_name(data: Option<&Path>) -> String {
    data.filter(|p| p.as_os_str() != "-")
        .map_or("standard input".into(), |p| p.display().to_string())
}

#[cfg(not(feature = "parquet"))]
pub fn query<T: Kind>(
    _: Option<&Path>,
    _: &Filter,
    _: &Sort,
    _: Page,
    _: bool,
) -> Result<Found<T>, Failure> {
    Err(Failure::Usage(
        "this kfql was built without Parquet support: rebuild with `--features parquet`".into(),
    ))
}

/// `kfql convert IN OUT.parquet`: read records as `query` reads them
/// (every record checked), then write them as Parquet.
pub fn convert(args: ConvertArgs) -> Result<(), Failure> {
    match args.schema.schema {
        crate::SchemaName::WorkflowInstances => {
            convert_as::<kfql::keyfactor::WorkflowInstance>(&args)
        }
        crate::SchemaName::WorkflowTickets => convert_as::<kfql::venafi::WorkflowTicket>(&args),
    }
}

#[cfg(feature = "parquet")]
fn convert_as<T: Kind>(args: &ConvertArgs) -> Result<(), Failure> {
    let name = args.input.display().to_string();
    let reader: Box<dyn std::io::BufRead> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&args.input)
                .map_err(|e| Failure::Data(format!("cannot read {name}: {e}")))?,
        ))
    };
    let mut records: Vec<T> = Vec::new();
    kfql::read_records(reader, |r| records.push(r))
        .map_err(|e| Failure::Data(format!("{name}: {}", e.message())))?;
    let out = std::fs::File::create(&args.output)
        .map_err(|e| Failure::Data(format!("cannot write {}: {e}", args.output.display())))?;
    kfql::arrow::parquet::write(
        &records,
        &T::schema(),
        std::io::BufWriter::new(out),
        args.row_group,
    )
    .map_err(|e| Failure::Data(format!("{}: {}", args.output.display(), e.message())))
}

#[cfg(not(feature = "parquet"))]
fn convert_as<T: Kind>(_: &ConvertArgs) -> Result<(), Failure> {
    Err(Failure::Usage(
        "this kfql was built without Parquet support: rebuild with `--features parquet`".into(),
    ))
}
