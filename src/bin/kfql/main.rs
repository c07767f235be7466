//! The `kfql` command: a thin shell over the library. It parses arguments,
//! reads the query and the data, renders results and errors, and maps them
//! to exit codes: 0 success, 2 for anything wrong in the query, the
//! parameters or a ticket request, 1 for data (or a query file) that cannot
//! be read.

mod kinds;
mod output;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Parser as _, Subcommand, ValueEnum};
use kfql::keyfactor::WorkflowInstance;
use kfql::venafi::{CreateRequest, WorkflowTicket};
use kfql::{
    Context, Direction, Error, Filter, Page, PageResult, Parser, Query, Scan, Schema, Sort,
};

use kinds::{Kind, SchemaName};

/// Keyfactor-style query strings over workflow records: parse, check,
/// filter, sort and page; create Venafi workflow tickets.
#[derive(clap::Parser)]
#[command(name = "kfql", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Filter, sort and page records (the built-in sample unless --data).
    Query(QueryArgs),
    /// Parse and type-check against the schema; print the canonical form.
    Check(CheckArgs),
    /// Syntax only, any field names; print the canonical form.
    Parse(ParseArgs),
    /// The schema: each field, its type, its operators, queryable/sortable.
    Fields(FieldsArgs),
    /// Venafi workflow tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
}

#[derive(Subcommand)]
enum TicketCommand {
    /// Validate a Ticket/Create request (JSON on standard input) and print
    /// the new ticket record; a malformed request prints the HTTP-400 body
    /// and exits 2.
    Create(CreateArgs),
}

#[derive(Args)]
struct SchemaArg {
    /// Which records: Keyfactor workflow instances or Venafi workflow tickets.
    #[arg(long, value_enum, value_name = "NAME", default_value_t)]
    schema: SchemaName,
}

#[derive(Args)]
struct FieldsArgs {
    #[command(flatten)]
    schema: SchemaArg,
}

#[derive(Args)]
struct CreateArgs {
    /// The current instant, for Created and Updated, RFC 3339 with an offset [default: the system clock].
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(Args)]
struct Source {
    /// The QueryString; omitted or empty means every record.
    query: Option<OsString>,
    /// Read the query from this file instead (`-` for standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "query")]
    query_file: Option<PathBuf>,
}

#[derive(Args)]
struct ContextArgs {
    /// The current instant for %TODAY%, RFC 3339 with an offset [default: the system clock].
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Time zone of dates without an offset and of %TODAY%: ±hh:mm, Z or UTC.
    #[arg(long, value_name = "±HH:MM", allow_hyphen_values = true)]
    tz: Option<String>,
    /// The current user, for %ME%.
    #[arg(long, value_name = "NAME")]
    me: Option<String>,
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    schema: SchemaArg,
    /// A JSON array or JSON Lines file of records (`-` for standard input)
    /// [default: a built-in sample of workflow instances].
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// The sort field (SortField) [default: CurrentStepDisplayName for
    /// instances, Created for tickets].
    #[arg(long, value_name = "FIELD")]
    sort: Option<String>,
    /// Sort descending (SortAscending=1).
    #[arg(long)]
    desc: bool,
    /// The 1-based page (PageReturned) [default: 1].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    page: Option<String>,
    /// Records per page (ReturnLimit) [default: 50].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    limit: Option<String>,
    #[command(flatten)]
    context: ContextArgs,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Print only the number of matching records.
    #[arg(long)]
    count: bool,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    schema: SchemaArg,
    #[command(flatten)]
    context: ContextArgs,
}

#[derive(Args)]
struct ParseArgs {
    #[command(flatten)]
    source: Source,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Jsonl,
}

/// Why the command failed, which decides the exit code.
enum Failure {
    /// The query or a parameter: exit 2, rendered with a caret.
    Query(Error),
    /// Data or a file: exit 1.
    Data(String),
    /// A parameter that is not about the query text: exit 2.
    Usage(String),
    /// A rejected ticket request, already answered on standard output: exit 2.
    Rejected,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Query(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Query(args) => match args.schema.schema {
            SchemaName::WorkflowInstances => run_query::<WorkflowInstance>(args),
            SchemaName::WorkflowTickets => run_query::<WorkflowTicket>(args),
        },
        Command::Check(args) => run_check(args),
        Command::Parse(args) => run_parse(args),
        Command::Fields(args) => run_fields(args),
        Command::Ticket(TicketCommand::Create(args)) => run_ticket_create(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Query(e)) => {
            eprint!("{}", e.render());
            ExitCode::from(2)
        }
        Err(Failure::Data(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Rejected) => ExitCode::from(2),
    }
}

/// Read and parse the query from the argument or `--query-file`. A query
/// file is read only up to one byte past the length limit, so a huge file
/// is rejected without reading it all.
fn read_query(source: &Source) -> Result<(Query, String), Failure> {
    let parser = Parser::new();
    let limit = parser.get_limits().max_bytes;
    let bytes: Vec<u8> = match (&source.query, &source.query_file) {
        (_, Some(path)) => {
            let mut buf = Vec::new();
            let reader: Box<dyn Read> = if path.as_os_str() == "-" {
                Box::new(io::stdin().lock())
            } else {
                let file = std::fs::File::open(path).map_err(|e| {
                    Failure::Data(format!(
                        "cannot read the query file {}: {e}",
                        path.display()
                    ))
                })?;
                Box::new(file)
            };
            reader
                .take(limit as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Failure::Data(format!(
                        "cannot read the query file {}: {e}",
                        path.display()
                    ))
                })?;
            if buf.len() > limit {
                return Err(Failure::Query(Error::new(
                    kfql::ErrorKind::QueryTooLong,
                    format!("the query file is longer than the limit of {limit} bytes"),
                )));
            }
            buf
        }
        (Some(text), None) => os_bytes(text),
        (None, None) => Vec::new(),
    };
    let query = parser.parse_bytes(&bytes)?;
    // It parsed, so it is UTF-8: keep the text to render later errors.
    Ok((query, String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(unix)]
fn os_bytes(s: &OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &OsString) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

fn bad(what: &str, text: &str, expected: &str) -> Error {
    Error::new(
        kfql::ErrorKind::InvalidValue,
        format!("{what} `{text}` is not {expected}"),
    )
}

/// `--now`, or the system clock.
fn now(text: Option<&str>) -> Result<DateTime<Utc>, Error> {
    Ok(match text {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                bad(
                    "--now",
                    text,
                    "an RFC 3339 instant with an offset (2024-06-01T12:00:00Z)",
                )
            })?
            .with_timezone(&Utc),
        None => DateTime::<Utc>::from(std::time::SystemTime::now()),
    })
}

fn context(args: &ContextArgs) -> Result<Context, Error> {
    let mut ctx = Context::new(now(args.now.as_deref())?);
    if let Some(text) = &args.tz {
        ctx = ctx.with_time_zone(
            kfql::parse_time_zone(text).ok_or_else(|| bad("--tz", text, "±hh:mm, Z or UTC"))?,
        );
    }
    if let Some(me) = &args.me {
        ctx = ctx.with_user(me.clone());
    }
    Ok(ctx)
}

fn compile(source: &Source, ctx: &Context, schema: &Schema) -> Result<Filter, Failure> {
    let (query, text) = read_query(source)?;
    query
        .compile(schema, ctx)
        .map_err(|e| Failure::Query(e.with_input(&text)))
}

fn run_query<T: Kind>(args: QueryArgs) -> Result<(), Failure> {
    // Everything about the query and the parameters is checked before a
    // byte of data is read: a bad query is exit 2 whatever the data holds.
    let schema = T::schema();
    let ctx = context(&args.context)?;
    let filter = compile(&args.source, &ctx, &schema)?;
    let sort = match &args.sort {
        Some(name) => Sort::new(&schema, name, Direction::descending_if(args.desc))?,
        None => Sort::default_for(&schema).with_direction(Direction::descending_if(args.desc)),
    };
    let page = Page::parse(args.page.as_deref(), args.limit.as_deref())?;
    if args.data.as_deref().is_some_and(|p| p.as_os_str() == "-")
        && args
            .source
            .query_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
    {
        return Err(Failure::Data(
            "--data - and --query-file - cannot both read standard input".into(),
        ));
    }

    let sample = match &args.data {
        Some(_) => None,
        None => Some(T::sample(&ctx).ok_or_else(|| {
            Failure::Usage(format!(
                "{} have no built-in sample: give --data PATH",
                schema.name()
            ))
        })?),
    };

    let result = match &args.data {
        None => {
            let records = sample.into_iter().flatten();
            if args.count {
                Found::Count(filter.count(records))
            } else {
                Found::Page(filter.page(records, &sort, page)?)
            }
        }
        Some(path) => {
            let name = path.display().to_string();
            let input: Box<dyn Read> = if path.as_os_str() == "-" {
                Box::new(io::stdin().lock())
            } else {
                Box::new(
                    std::fs::File::open(path)
                        .map_err(|e| Failure::Data(format!("cannot read {name}: {e}")))?,
                )
            };
            let scan = Scan::new();
            let found = if args.count {
                scan.count::<T>(input, &filter).map(Found::Count)
            } else {
                scan.page::<T>(input, &filter, &sort, page).map(Found::Page)
            };
            found.map_err(|e| Failure::Data(format!("{name}: {}", e.message())))?
        }
    };

    let mut out = io::stdout().lock();
    let written = match result {
        Found::Count(count) => writeln!(out, "{count}"),
        Found::Page(result) => {
            let format = args.format.unwrap_or(if io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            });
            match format {
                Format::Json => output::json(&mut out, &result.records),
                Format::Jsonl => output::jsonl(&mut out, &result.records),
                Format::Table => output::table(&mut out, &result),
            }
        }
    };
    finish(written.and_then(|()| out.flush()))
}

/// What `query` found: the number of matches (`--count`), or a page.
enum Found<T> {
    Count(u64),
    Page(PageResult<T>),
}

/// A closed pipe (`kfql query | head`) is not an error worth a message.
fn finish(written: io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::Data(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

fn run_check(args: CheckArgs) -> Result<(), Failure> {
    let ctx = context(&args.context)?;
    let (query, text) = read_query(&args.source)?;
    query
        .compile(&args.schema.schema.schema(), &ctx)
        .map_err(|e| Failure::Query(e.with_input(&text)))?;
    finish(writeln!(io::stdout(), "{query}"))
}

fn run_parse(args: ParseArgs) -> Result<(), Failure> {
    let (query, _) = read_query(&args.source)?;
    finish(writeln!(io::stdout(), "{query}"))
}

fn run_fields(args: FieldsArgs) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish(output::fields(&mut out, &args.schema.schema.schema()))
}

/// `kfql ticket create`: the request on standard input; the new ticket, or
/// the HTTP-400 body, on one line of standard output. Validation is the
/// library's.
fn run_ticket_create(args: CreateArgs) -> Result<(), Failure> {
    let ctx = Context::new(now(args.now.as_deref())?);
    let mut body = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut body)
        .map_err(|e| Failure::Data(format!("cannot read standard input: {e}")))?;
    let mut out = io::stdout().lock();
    let created = CreateRequest::parse(&body).and_then(|r| WorkflowTicket::create(&r, &ctx));
    // One line, so that appending tickets to a file makes JSON Lines that
    // `kfql query --schema workflow-tickets --data` reads.
    let written = match &created {
        Ok(ticket) => serde_json::to_writer(&mut out, ticket),
        Err(e) => serde_json::to_writer(&mut out, &e.body()),
    };
    finish(
        written
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush()),
    )?;
    created.map(drop).map_err(|_| Failure::Rejected)
}
