//! The service in the CLI (feature `server`): `kfql serve`, `kfql import`
//! and `kfql user add`. The handlers, the database and the users file are
//! the library's (`kfql::server`); this file reads flags, prints what an
//! operator needs once (the address, a generated password, a certificate's
//! fingerprint) and maps failures to exit codes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::Failure;
use crate::kinds::SchemaName;

/// The database when `--database` is not given: a SQLite file here.
const DEFAULT_DATABASE: &str = "sqlite:kfql.db";

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// sqlite:PATH (created when missing), sqlite::memory: or postgres://…
    #[arg(long, value_name = "URL", default_value = DEFAULT_DATABASE)]
    database: String,
    /// The users file (`kfql user add` writes it) [default: one
    /// administrator with a random password, printed once].
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Load this many sample workflow instances when the database has none.
    #[arg(long, value_name = "N")]
    sample: Option<usize>,
    /// How Keyfactor responses write Status.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = StatusFormat::Name)]
    status_format: StatusFormat,
    /// The largest ReturnLimit a request may ask for.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_return_limit: u64,
    /// The largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// How long a Venafi access token lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    token_lifetime: u64,
    /// The longest a request may take, in seconds (a client that stalls
    /// is cut off).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    request_timeout: u64,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "PEM",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate made at start for localhost (its
    /// fingerprint is printed).
    #[arg(long)]
    tls_self_signed: bool,
    /// Log lines as JSON instead of text.
    #[arg(long)]
    log_json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusFormat {
    /// The documented name, `"Running"`.
    Name,
    /// An integer 0–6, as Keyfactor's generated clients decode it.
    Integer,
}

#[derive(Args)]
pub struct ImportArgs {
    /// A JSON array or JSON Lines file of records (`-` for standard input).
    file: PathBuf,
    /// sqlite:PATH, sqlite::memory: or postgres://…
    #[arg(long, value_name = "URL", default_value = DEFAULT_DATABASE)]
    database: String,
    /// Which records the file holds.
    #[arg(long, value_enum, value_name = "NAME", default_value_t)]
    schema: SchemaName,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user to a users file (created when missing), or replace the
    /// one of the same name; the password is read from standard input.
    Add(UserAddArgs),
}

#[derive(Args)]
pub struct UserAddArgs {
    /// The users file.
    #[arg(long, value_name = "FILE")]
    users: PathBuf,
    /// `DOMAIN\user`: the Keyfactor login and the Venafi username.
    name: String,
    /// A Keyfactor permission, such as /workflows/instances/read/ (repeat
    /// for more).
    #[arg(long = "permission", value_name = "P")]
    permissions: Vec<String>,
    /// A Venafi scope the user may ask for, such as
    /// configuration:manage,delete (repeat for more).
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// The Venafi identity, a prefixed name [default: local:NAME].
    #[arg(long, value_name = "ID")]
    identity: Option<String>,
}

#[cfg(not(feature = "server"))]
fn missing() -> Failure {
    Failure::Usage(
        "this kfql was built without the `server` feature: cargo install kfql --features server"
            .into(),
    )
}

#[cfg(not(feature = "server"))]
pub fn serve(_: ServeArgs) -> Result<(), Failure> {
    Err(missing())
}

#[cfg(not(feature = "server"))]
pub fn import(_: ImportArgs) -> Result<(), Failure> {
    Err(missing())
}

#[cfg(not(feature = "server"))]
pub fn user(_: UserCommand) -> Result<(), Failure> {
    Err(missing())
}

#[cfg(feature = "server")]
pub use with_server::{import, serve, user};

#[cfg(feature = "server")]
mod with_server {
    use std::io::BufRead;
    use std::time::Duration;

    use kfql::server::{self, AppState, Config, Db, Listen, Tls, User, Users};

    use super::*;

    fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Data(format!("cannot start the async runtime: {e}")))
    }

    fn database(url: &str, e: server::DbError) -> Failure {
        // The URL may hold a password (postgres://user:secret@host/db):
        // name the database without it.
        Failure::Data(format!("database {}: {e}", server::redact_url(url)))
    }

    pub fn serve(args: ServeArgs) -> Result<(), Failure> {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            );
        if args.log_json {
            subscriber.json().init();
        } else {
            subscriber.init();
        }
        let tls = match (&args.tls_cert, &args.tls_key, args.tls_self_signed) {
            (Some(cert), Some(key), _) => Tls::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            (_, _, true) => Tls::SelfSigned,
            _ => Tls::None,
        };
        let config = Config {
            max_return_limit: args.max_return_limit,
            status_format: match args.status_format {
                StatusFormat::Name => server::StatusFormat::Name,
                StatusFormat::Integer => server::StatusFormat::Integer,
            },
            token_lifetime: Duration::from_secs(args.token_lifetime),
            max_body: args.max_body,
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            ..Config::default()
        };
        let listener = std::net::TcpListener::bind(args.listen)
            .map_err(|e| Failure::Data(format!("cannot listen on {}: {e}", args.listen)))?;
        let header_timeout = config.request_timeout;
        runtime()?.block_on(async move {
            let db = Db::open(&args.database)
                .await
                .map_err(|e| database(&args.database, e))?;
            let users = match &args.users {
                Some(path) => Users::load(path).map_err(|e| Failure::Data(e.to_string()))?,
                None => {
                    let name = "LOCAL\\admin";
                    let (users, password) =
                        Users::with_random_admin(name).map_err(|e| Failure::Data(e.to_string()))?;
                    // Once, on standard error, never in the log: there is no
                    // built-in password, and this one is not kept anywhere.
                    eprintln!(
                        "kfql serve: no --users file; administrator {name} with password {password} \
                         (every permission and scope; shown only now)"
                    );
                    users
                }
            };
            if let Some(n) = args.sample {
                let stored = server::keyfactor::count(&db)
                    .await
                    .map_err(|e| database(&args.database, e))?;
                if stored == 0 {
                    let records = kfql::keyfactor::sample(n, std::time::SystemTime::now().into(), 1);
                    server::keyfactor::import(&db, records)
                        .await
                        .map_err(|e| database(&args.database, e))?;
                    eprintln!("kfql serve: loaded {n} sample workflow instances");
                } else {
                    eprintln!("kfql serve: the database holds {stored} workflow instances; --sample loads none");
                }
            }
            let app = server::router(AppState::new(db, users, config));
            let listen = Listen {
                listener,
                tls,
                header_timeout,
                grace: Duration::from_secs(30),
            };
            server::serve(app, listen, |url, fingerprint| {
                // The fingerprint first: whoever waits for "listening on"
                // (a script, the tests) has it by then.
                if let Some(f) = fingerprint {
                    eprintln!("kfql serve: self-signed certificate, SHA-256 {f}");
                }
                eprintln!("kfql serve: listening on {url}");
            })
            .await
            .map_err(Failure::Data)
        })
    }

    pub fn import(args: ImportArgs) -> Result<(), Failure> {
        let name = args.file.display().to_string();
        let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file = std::fs::File::open(&args.file)
                .map_err(|e| Failure::Data(format!("cannot read {name}: {e}")))?;
            Box::new(std::io::BufReader::new(file))
        };
        let data =
            |e: kfql::Error| Failure::Data(format!("{name}: {}; nothing imported", e.message()));
        runtime()?.block_on(async move {
            let db = Db::open(&args.database)
                .await
                .map_err(|e| database(&args.database, e))?;
            let imported = match args.schema {
                SchemaName::WorkflowInstances => {
                    let mut records = Vec::new();
                    kfql::read_records(reader, |r| records.push(r)).map_err(data)?;
                    server::keyfactor::import(&db, records).await
                }
                SchemaName::WorkflowTickets => {
                    let mut tickets = Vec::new();
                    kfql::read_records(reader, |t| tickets.push(t)).map_err(data)?;
                    server::venafi::import(&db, tickets).await
                }
            }
            .map_err(|e| database(&args.database, e))?;
            eprintln!(
                "kfql import: {imported} records into {}",
                server::redact_url(&args.database)
            );
            Ok(())
        })
    }

    pub fn user(command: UserCommand) -> Result<(), Failure> {
        let UserCommand::Add(args) = command;
        if args.name.trim().is_empty() {
            return Err(Failure::Usage("the user name is empty".into()));
        }
        // From standard input only: an argument would be visible to every
        // user of the machine and kept in shell history.
        let mut password = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut password)
            .map_err(|e| {
                Failure::Data(format!("cannot read the password from standard input: {e}"))
            })?;
        let password = password.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err(Failure::Usage(
                "no password on standard input: kfql user add reads it from there (one line)"
                    .into(),
            ));
        }
        let user = User {
            name: args.name.clone(),
            password_hash: server::hash_password(password)
                .map_err(|e| Failure::Data(e.to_string()))?,
            permissions: args.permissions,
            scopes: args.scopes,
            identity: args.identity,
        };
        server::add_user(&args.users, user).map_err(|e| Failure::Data(e.to_string()))?;
        eprintln!("kfql user add: {} in {}", args.name, args.users.display());
        Ok(())
    }
}
