//! The two vendor endpoints as an HTTP service (feature `server`):
//! Keyfactor Command's `GET /KeyfactorAPI/Workflow/Instances` and its
//! neighbours, and Venafi TPP's `/vedsdk/Workflow/Ticket/*` with the OAuth
//! endpoints its clients log in through, over SQLite or PostgreSQL.
//!
//! [`router`] returns an axum [`Router`] over an [`AppState`]; mount it in
//! an application of your own, or run it with [`serve`] (which is what
//! `kfql serve` does). Queries run in the database through [`crate::sql`]:
//! one parameterized statement for the page and one for the count.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use kfql::server::{self, AppState, Config, Db, Users};
//!
//! let db = Db::open("sqlite::memory:").await?;
//! let (users, password) = Users::with_random_admin("LOCAL\\admin")?;
//! eprintln!("administrator password: {password}");
//! let app = server::router(AppState::new(db, users, Config::default()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::Router;

mod db;
mod http;
mod json;
pub mod keyfactor;
mod serve;
mod users;
pub mod venafi;

pub use db::{Db, DbError, redact_url};
pub use serve::{Listen, Tls, serve};
pub use users::{User, Users, UsersError, add_user, hash_password, random_token};

/// How Status is written in Keyfactor responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFormat {
    /// The documented name (`"Running"`), the default.
    #[default]
    Name,
    /// An integer 0–6, as Keyfactor's OpenAPI-generated clients decode it;
    /// the mapping is kfql's assumption (README, “Status as an integer”).
    Integer,
}

/// The service's settings; [`Config::default`] is `kfql serve` with no flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// The largest `ReturnLimit` a request may ask for (default 10,000).
    pub max_return_limit: u64,
    /// Keyfactor's Status on the wire.
    pub status_format: StatusFormat,
    /// How long a Venafi access token lives (default one hour).
    pub token_lifetime: Duration,
    /// The largest request body (default 1 MiB); larger is 413.
    pub max_body: usize,
    /// The longest request target, path and query (default: the query
    /// limit plus 8 KiB for the other parameters); longer is 414.
    pub max_uri: usize,
    /// The longest a request may take, reading its body included
    /// (default 30 s).
    pub request_timeout: Duration,
    /// The query parser's limits.
    pub limits: crate::Limits,
}

impl Default for Config {
    fn default() -> Config {
        let limits = crate::Limits::default();
        Config {
            max_return_limit: 10_000,
            status_format: StatusFormat::Name,
            token_lifetime: Duration::from_secs(3600),
            max_body: 1 << 20,
            // A query may be percent-encoded: three bytes per byte.
            max_uri: 3 * limits.max_bytes + 8 * 1024,
            request_timeout: Duration::from_secs(30),
            limits,
        }
    }
}

/// What every handler shares: the database, the users and the settings.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: Db,
    users: Users,
    config: Config,
}

impl AppState {
    /// A state over an opened (and migrated) database.
    pub fn new(db: Db, users: Users, config: Config) -> AppState {
        AppState(Arc::new(Inner { db, users, config }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// The users who may log in.
    pub fn users(&self) -> &Users {
        &self.0.users
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }
}

/// Both APIs under their vendors' paths (`/KeyfactorAPI/…`, `/vedsdk/…`,
/// `/vedauth/…`), with the limits of [`Config`] and one log line per
/// request.
pub fn router(state: AppState) -> Router {
    let config = state.config().clone();
    let app = Router::new()
        .nest("/KeyfactorAPI", keyfactor::routes())
        .merge(venafi::routes())
        .with_state(state);
    http::layers(app, &config)
}
