//! The `kfql` command: a thin shell over the library. It parses arguments,
//! reads the query and the data, renders results and errors, and maps them
//! to exit codes: 0 success, 2 for anything wrong in the query, the
//! parameters or a ticket request, 1 for data (or a query file) that cannot
//! be read.

mod columnar;
mod kinds;
mod output;
mod serve;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Datelike, Utc};
use clap::{Args, Parser as _, Subcommand, ValueEnum};
use kfql::keyfactor::{Parameter, Request, WorkflowInstance};
use kfql::venafi::{CreateRequest, WorkflowTicket};
use kfql::{Context, Error, ErrorKind, Filter, PageResult, Parser, Query, Scan, Schema};

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
    /// Filter, sort and page records: --data, else piped standard input,
    /// else the built-in sample.
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
    /// Write records from a JSON or JSON Lines file as a Parquet file
    /// (needs a kfql built with the `parquet` feature).
    Convert(columnar::ConvertArgs),
    /// Serve Keyfactor's workflow-instance and Venafi's ticket endpoints
    /// over SQLite or PostgreSQL (needs a kfql built with the `server`
    /// feature).
    Serve(serve::ServeArgs),
    /// Load records into the service's database, all or none.
    Import(serve::ImportArgs),
    /// The service's users file.
    #[command(subcommand)]
    User(serve::UserCommand),
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
    /// [default: standard input when it is not a terminal, else a built-in
    /// sample of workflow instances].
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// Query the built-in sample of workflow instances even when standard
    /// input is not a terminal.
    #[arg(long, conflicts_with = "data")]
    sample: bool,
    /// How to read --data [default: parquet for a .parquet file, else json].
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<columnar::InputFormat>,
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
    /// Output format [default: table on a terminal, json otherwise]: json is
    /// {"total", "page", "limit", "records"}; jsonl one record per line.
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let args: Vec<String> = std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if e.use_stderr()
                && let Some(command) = quoted_query(&args)
            {
                eprintln!("kfql: quote the whole query: {command}");
                return ExitCode::from(2);
            }
            e.exit()
        }
    };
    let result = match cli.command {
        Command::Query(args) => match args.schema.schema {
            SchemaName::WorkflowInstances => run_query::<WorkflowInstance>(args),
            SchemaName::WorkflowTickets => run_query::<WorkflowTicket>(args),
        },
        Command::Check(args) => run_check(args),
        Command::Parse(args) => run_parse(args),
        Command::Fields(args) => run_fields(args),
        Command::Ticket(TicketCommand::Create(args)) => run_ticket_create(args),
        Command::Convert(args) => columnar::convert(args),
        Command::Serve(args) => serve::serve(args),
        Command::Import(args) => serve::import(args),
        Command::User(command) => serve::user(command),
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

/// A query typed without quotes (`kfql query Status -eq Failed`) reaches
/// clap as several arguments, and `-eq` as an unknown option. When an
/// argument after `query`, `check` or `parse` is an operator, the command
/// line with the query quoted as one argument; `None` otherwise.
fn quoted_query(args: &[String]) -> Option<String> {
    let command = args
        .iter()
        .position(|a| matches!(a.as_str(), "query" | "check" | "parse"))?;
    let words = &args[command + 1..];
    let op = words
        .iter()
        .position(|w| is_operator(w))
        .filter(|&i| i > 0)?;
    // The query runs from the field before the first operator to the next
    // long option.
    let start = op - 1;
    let end = words[op..]
        .iter()
        .position(|w| w.starts_with("--"))
        .map_or(words.len(), |i| op + i);
    let query = words[start..end].join(" ");
    let mut line = vec!["kfql".to_owned()];
    line.extend(args[..=command].iter().map(|a| shell_word(a)));
    line.extend(words[..start].iter().map(|a| shell_word(a)));
    line.push(format!("'{}'", query.replace('\'', r"'\''")));
    line.extend(words[end..].iter().map(|a| shell_word(a)));
    Some(line.join(" "))
}

/// `-eq`, `-CONTAINS`, …, and the operators of other languages that the
/// query language answers with a suggestion (`-in`, `-like`).
fn is_operator(word: &str) -> bool {
    const OPERATORS: [&str; 14] = [
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "contains",
        "notcontains",
        "startswith",
        "endswith",
        "in",
        "notin",
        "like",
        "notlike",
    ];
    word.strip_prefix('-')
        .filter(|w| !w.starts_with('-'))
        .is_some_and(|w| OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(w)))
}

/// `word` as a POSIX shell reads it back: as it is when it is plain, else
/// in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:+%,@".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
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

/// `--now`, or the system clock. It must fall within years 1–9999 in UTC,
/// as stored instants must: records dated from it (tickets, the sample)
/// are printed in UTC and must read back.
fn now(text: Option<&str>) -> Result<DateTime<Utc>, Error> {
    Ok(match text {
        Some(text) => {
            let now = DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    bad(
                        "--now",
                        text,
                        "an RFC 3339 instant with an offset (2024-06-01T12:00:00Z)",
                    )
                })?
                .with_timezone(&Utc);
            if !(1..=9999).contains(&now.year()) {
                return Err(bad("--now", text, "within years 0001 to 9999 in UTC"));
            }
            now
        }
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

fn compile(source: &Source, ctx: &Context, schema: &Schema) -> Result<(Filter, Query), Failure> {
    let (query, text) = read_query(source)?;
    let filter = query
        .compile(schema, ctx)
        .map_err(|e| Failure::Query(with_hint(e).with_input(&text)))?;
    Ok((filter, query))
}

/// The library's errors, with what to type on this command line.
fn with_hint(e: Error) -> Error {
    match e.kind() {
        ErrorKind::MissingUser => e.with_suggestion("pass `--me NAME`"),
        _ => e,
    }
}

/// Where `query` reads records from.
enum Input<'a> {
    Sample,
    Stdin,
    File(&'a std::path::Path),
}

fn run_query<T: Kind>(args: QueryArgs) -> Result<(), Failure> {
    // Everything about the query and the parameters is checked before a
    // byte of data is read: a bad query is exit 2 whatever the data holds.
    let schema = T::schema();
    let ctx = context(&args.context)?;
    let (filter, _) = compile(&args.source, &ctx, &schema)?;
    // The flags are Keyfactor's parameters, checked by the library's rules
    // and named in errors as the user typed them.
    let mut request = Request::new();
    let flags = [
        (Parameter::SortField, "--sort", args.sort.as_deref()),
        (Parameter::SortAscending, "--desc", args.desc.then_some("1")),
        (Parameter::PageReturned, "--page", args.page.as_deref()),
        (Parameter::ReturnLimit, "--limit", args.limit.as_deref()),
    ];
    for (parameter, flag, value) in flags {
        if let Some(value) = value {
            request.add_as(parameter, flag, value)?;
        }
    }
    let sort = request.sort(&schema)?;
    let page = request.page()?;
    let query_on_stdin = args
        .source
        .query_file
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    let input = match &args.data {
        Some(path) if path.as_os_str() == "-" => Input::Stdin,
        Some(path) => Input::File(path),
        // Records piped in are the data; `--sample` says otherwise.
        None if !args.sample && !query_on_stdin && !io::stdin().is_terminal() => Input::Stdin,
        None => Input::Sample,
    };
    if matches!(input, Input::Stdin) && query_on_stdin {
        return Err(Failure::Data(
            "--data - and --query-file - cannot both read standard input".into(),
        ));
    }

    let parquet = columnar::is_parquet(args.input_format, args.data.as_deref());
    let result = match input {
        Input::Stdin | Input::File(_) if parquet => {
            columnar::query::<T>(args.data.as_deref(), &filter, &sort, page, args.count)?
        }
        Input::Sample => {
            // The sample is dated in the 60 days before now, and dates
            // before year 1 would not read back.
            let earliest = ctx.now().checked_sub_signed(chrono::Duration::days(61));
            if earliest.is_none_or(|d| d.year() < 1) {
                return Err(Failure::Usage(
                    "the built-in sample is dated in the 60 days before --now: give a --now after 0001-03-02".into(),
                ));
            }
            let records = T::sample(&ctx).ok_or_else(|| {
                Failure::Usage(format!(
                    "{} have no built-in sample: give --data PATH or pipe them in",
                    schema.name()
                ))
            })?;
            if args.count {
                Found::Count(filter.count(records))
            } else {
                Found::Page(filter.page(records, &sort, page)?)
            }
        }
        Input::Stdin | Input::File(_) => {
            let (name, reader): (String, Box<dyn Read>) = match input {
                Input::File(path) => (
                    path.display().to_string(),
                    Box::new(std::fs::File::open(path).map_err(|e| {
                        Failure::Data(format!("cannot read {}: {e}", path.display()))
                    })?),
                ),
                _ => ("standard input".into(), Box::new(io::stdin().lock())),
            };
            // The first bytes are kept, to say what the records look like
            // when they do not fit the schema.
            let mut reader = Head::new(reader);
            let scan = Scan::new();
            let found = if args.count {
                scan.count::<T>(&mut reader, &filter).map(Found::Count)
            } else {
                scan.page::<T>(&mut reader, &filter, &sort, page)
                    .map(Found::Page)
            };
            found.map_err(|e| {
                let mut message = format!("{name}: {}", e.message());
                if let Some(hint) = kinds::schema_hint::<T>(&reader.head) {
                    message = format!("{message}\nhint: {hint}");
                }
                Failure::Data(message)
            })?
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
                Format::Json => output::json(&mut out, &result),
                Format::Jsonl => output::jsonl(&mut out, &result.records),
                Format::Table => output::table(&mut out, &result),
            }
        }
    };
    finish(written.and_then(|()| out.flush()))
}

/// A reader that keeps a copy of the first bytes read through it.
struct Head<R> {
    inner: R,
    head: Vec<u8>,
}

impl<R> Head<R> {
    const KEEP: usize = 64 * 1024;

    fn new(inner: R) -> Head<R> {
        Head {
            inner,
            head: Vec::new(),
        }
    }
}

impl<R: Read> Read for Head<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = Self::KEEP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
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

/// The canonical form, and when the query has tokens, what they resolve
/// to in the context (`--now`, `--tz`, `--me`).
fn run_check(args: CheckArgs) -> Result<(), Failure> {
    let ctx = context(&args.context)?;
    let (filter, query) = compile(&args.source, &ctx, &args.schema.schema.schema())?;
    drop(filter);
    // Compiling expanded every token, so this cannot fail.
    let resolved = query.expand_tokens(&ctx)?;
    let mut out = io::stdout().lock();
    let mut written = writeln!(out, "{query}");
    if resolved.to_string() != query.to_string() {
        written = written.and_then(|()| writeln!(out, "resolved: {resolved}"));
    }
    finish(written)
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
