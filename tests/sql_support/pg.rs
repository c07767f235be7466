//! A throw-away PostgreSQL server on 127.0.0.1, in a temporary directory,
//! stopped and removed when dropped. As root, it runs as the `postgres`
//! user (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Server {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// The directory holding `initdb` and `pg_ctl`: $KFQL_PG_BIN when set,
/// else Debian's /usr/lib/postgresql/N/bin (the newest N), else wherever
/// PATH finds them.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KFQL_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("pg_ctl").exists().then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((n, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|d| d.join("pg_ctl").exists() && d.join("initdb").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Server {
    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// initdb (UTF-8, locale C.UTF-8, so that lower() folds Unicode) and
    /// start, listening only on 127.0.0.1 and a socket in the directory.
    pub fn start() -> Result<Server, String> {
        let bin = bin_dir().ok_or(
            "no PostgreSQL server binaries (initdb, pg_ctl) in $KFQL_PG_BIN, under \
             /usr/lib/postgresql/*/bin or on PATH: apt-get install -y postgresql",
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        // Tests of one binary start servers from several threads at once,
        // and the clock may read the same on two of them (it did, in CI):
        // a count makes the name unique within the process.
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kfql-pg-{}-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let as_postgres = is_root();
        let server = Server {
            dir,
            bin,
            as_postgres,
            port,
        };
        if as_postgres {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&server.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err("cannot hand the data directory to the postgres user".into());
            }
        }
        let data = server.dir.join("data");
        let data = data.to_str().ok_or("temporary path is not UTF-8")?;
        server.run(
            "initdb",
            &[
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )?;
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off",
            server.dir.display()
        );
        let log = server.dir.join("log");
        let log = log.to_str().ok_or("temporary path is not UTF-8")?;
        server.run(
            "pg_ctl",
            &["-D", data, "-w", "-l", log, "-o", &opts, "start"],
        )?;
        Ok(server)
    }

    pub fn connect(&self) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .map_err(|e| format!("cannot connect to PostgreSQL on port {}: {e}", self.port))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.data();
        if let Some(d) = data.to_str()
            && Path::new(d).exists()
        {
            let _ = self.run("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server, or None after a loud message when it cannot start and CI
/// is unset. Under CI (CI=true) a server that cannot start fails the test.
pub fn server_or_skip(test: &str) -> Option<Server> {
    match Server::start() {
        Ok(s) => Some(s),
        Err(e) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            if ci {
                panic!("{test}: PostgreSQL could not be started, and CI requires it:\n{e}");
            }
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !!! {test}: SKIPPED, PostgreSQL could not be started (CI unset):\n\
                 !!! {e}\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}
