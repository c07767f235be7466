//! Deterministic generators for the differential test: records with
//! nulls, case variants, trailing spaces, `%`/`_`/quotes/backslashes,
//! non-ASCII text, boundary dates and duplicate keys; queries over every
//! queryable field and operator, some with long groups or deep nesting;
//! sorts; pages up to 2^63-1.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use kfql::keyfactor::{self, Definition, STATUS_NAMES, Status, WorkflowInstance};
use kfql::{Direction, Guid, Page, Sort};

/// SplitMix64: the same data on every run and platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// Text fragments every engine folds exactly as Rust does.
pub const COMMON: &[&str] = &[
    "enroll",
    "Enroll",
    "ENROLL",
    "appsrvr14",
    "AppSrvr1",
    "a%b",
    "50%",
    "a_b",
    "_",
    "%",
    "\\",
    r"KEYEXAMPLE\jsmith",
    "o'brien",
    "quo\"te",
    "''",
    "é",
    "É",
    "Straße",
    "STRASSE",
    "ẞ",
    "Ü",
    "ü",
    "Привет",
    "ПРИВЕТ",
    "日本",
    "😀",
    "\u{212A}",
    "ǅ",
    "Ǆ",
    "x",
    "X",
    "Failed",
    "AND",
    "\t",
    "-",
    ".",
    "ÀÉÎ",
    "àéî",
];

/// Fragments where PostgreSQL's lower() differs from Rust (final sigma,
/// dotted capital I): SQLite (with kfql_fold) only.
pub const RUST_ONLY: &[&str] = &["ΟΔΟΣ", "Σ", "ς", "σ", "İ", "İx"];

pub struct Gen {
    pub rng: Rng,
    pub fragments: Vec<&'static str>,
    pub now: DateTime<Utc>,
}

impl Gen {
    pub fn text(&mut self) -> String {
        let mut s = String::new();
        for _ in 0..self.rng.below(4) {
            let f = self.rng.pick(&self.fragments);
            s.push_str(f);
        }
        match self.rng.below(6) {
            0 => s = s.to_uppercase(),
            1 => s = s.to_lowercase(),
            _ => {}
        }
        if self.rng.chance(20) {
            s.insert(0, ' ');
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(50) {
                s.push(' ');
            }
        }
        s
    }

    fn opt_text(&mut self) -> Option<String> {
        (!self.rng.chance(15)).then(|| self.text())
    }

    fn instant(&mut self) -> DateTime<Utc> {
        let day = self.now - Duration::days(self.rng.below(8) as i64);
        let midnight = Utc
            .with_ymd_and_hms(
                chrono::Datelike::year(&day),
                chrono::Datelike::month(&day),
                chrono::Datelike::day(&day),
                0,
                0,
                0,
            )
            .single()
            .unwrap_or(day);
        let fixed = [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00.000000001Z",
            "9999-12-31T23:59:59.999999999Z",
            "9999-12-31T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2024-02-29T12:00:00.5Z",
        ];
        match self.rng.below(6) {
            0 => DateTime::parse_from_rfc3339(self.rng.pick(&fixed))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(self.now),
            1 => midnight,
            2 => midnight - Duration::nanoseconds(1),
            3 => midnight + Duration::nanoseconds(1 + self.rng.below(1000) as i64),
            _ => midnight + Duration::nanoseconds((self.rng.next() % 86_400_000_000_000) as i64),
        }
    }

    fn guid(&mut self, pool: &[Guid]) -> Guid {
        if self.rng.chance(70) {
            self.rng.pick(pool)
        } else {
            Guid((u128::from(self.rng.next()) << 64) | u128::from(self.rng.next()))
        }
    }

    pub fn records(&mut self, n: usize) -> Vec<WorkflowInstance> {
        let pool = [Guid(0), Guid(u128::MAX), Guid(1 << 100), Guid(0xabc)];
        (0..n)
            .map(|i| {
                let definition = (!self.rng.chance(30)).then(|| Definition {
                    id: self.rng.chance(80).then(|| self.guid(&pool)),
                    display_name: self.opt_text(),
                    version: Some(1),
                    workflow_type: self.opt_text(),
                });
                let reference_id = match self.rng.below(10) {
                    0 => self.rng.pick(&[i64::MIN, i64::MAX, 0, -1, 1007]),
                    1 => 1000 + self.rng.below(20) as i64,
                    _ => 1000 + i as i64,
                };
                WorkflowInstance {
                    // Unique (the index in the high bits): the result's identity.
                    id: Guid((i as u128) << 96 | u128::from(self.rng.next())),
                    status: Status::ALL[self.rng.below(6)],
                    current_step_id: self.rng.chance(70).then(|| self.guid(&pool)),
                    status_message: self.opt_text(),
                    definition,
                    current_step_display_name: self.opt_text(),
                    current_step_unique_name: self.opt_text(),
                    title: self.opt_text(),
                    last_modified: self.rng.chance(80).then(|| self.instant()),
                    start_date: self.rng.chance(80).then(|| self.instant()),
                    reference_id,
                    definition_id: self.rng.chance(50).then(|| self.guid(&pool)),
                    initiating_user_name: self.opt_text(),
                    workflow_type: self.rng.chance(50).then(|| self.text()),
                }
            })
            .collect()
    }

    /// A value for a string field: new text, or a piece of a stored one
    /// in another case, or a token.
    fn string_value(&mut self, records: &[WorkflowInstance]) -> String {
        match self.rng.below(5) {
            0 => self.text(),
            1 => "%ME%".to_owned(),
            _ => {
                let r = &records[self.rng.below(records.len())];
                let s = [&r.title, &r.initiating_user_name, &r.workflow_type][self.rng.below(3)]
                    .clone()
                    .unwrap_or_default();
                let chars: Vec<char> = s.chars().collect();
                let a = self.rng.below(chars.len() + 1);
                let b = a + self.rng.below(chars.len() - a + 1);
                let mut piece: String = chars[a..b].iter().collect();
                if self.rng.chance(30) {
                    piece = piece.to_uppercase();
                }
                if self.rng.chance(20) {
                    piece.push(' ');
                }
                piece
            }
        }
    }

    fn date_value(&mut self) -> String {
        let t = self.instant();
        let zone = self.rng.pick(&[0, 19_800, -28_800, 3600]);
        let local = t.with_timezone(&FixedOffset::east_opt(zone).expect("a valid offset"));
        match self.rng.below(10) {
            0 => local.format("%Y-%m-%d").to_string(),
            1 => local.format("%-m/%-d/%Y").to_string(),
            2 => local.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string(),
            3 => local.format("%Y-%m-%d %H:%M:%S%.9f1").to_string(),
            4 => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            5 => t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
            6 => format!("%TODAY-{}%", self.rng.below(9)),
            7 => "%TODAY%".to_owned(),
            8 => (self
                .rng
                .pick(&["0001-01-01", "9999-12-31", "1970-01-01", "12/31/1969"]))
            .to_owned(),
            _ => local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        }
    }

    fn comparison(&mut self, records: &[WorkflowInstance]) -> String {
        let fields = [
            "Id",
            "Status",
            "Title",
            "LastModified",
            "StartDate",
            "ReferenceId",
            "DefinitionId",
            "InitiatingUserName",
            "WorkflowType",
        ];
        let field = self.rng.pick(&fields);
        if self.rng.chance(10) {
            let op = if self.rng.chance(50) { "-eq" } else { "-ne" };
            return format!("{field} {op} NULL");
        }
        let eq_ne = ["-eq", "-ne"];
        let ordered = ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
        let text_ops = [
            "-eq",
            "-ne",
            "-contains",
            "-notcontains",
            "-startswith",
            "-endswith",
        ];
        let (op, value) = match field {
            "Id" | "DefinitionId" => {
                let r = &records[self.rng.below(records.len())];
                let g = if field == "Id" {
                    Some(r.id)
                } else {
                    r.effective_definition_id()
                };
                let g = g.unwrap_or(Guid(0)).to_string();
                let v = match self.rng.below(3) {
                    0 => format!("{{{}}}", g.to_uppercase()),
                    1 => g.replace('-', ""),
                    _ => g,
                };
                (self.rng.pick(&eq_ne), v)
            }
            "Status" => {
                let mut v = (self.rng.pick(STATUS_NAMES)).to_owned();
                if self.rng.chance(30) {
                    v = v.to_uppercase();
                }
                if self.rng.chance(20) {
                    v.push_str("  ");
                }
                (self.rng.pick(&eq_ne), v)
            }
            "ReferenceId" => {
                let r = records[self.rng.below(records.len())].reference_id;
                let v = match self.rng.below(6) {
                    0 => i64::MAX.to_string(),
                    1 => i64::MIN.to_string(),
                    2 => format!("+{}", r.saturating_add(1)),
                    _ => r.to_string(),
                };
                (self.rng.pick(&ordered), v)
            }
            "LastModified" | "StartDate" => (self.rng.pick(&ordered), self.date_value()),
            _ => (self.rng.pick(&text_ops), self.string_value(records)),
        };
        format!("{field} {op} {}", kfql::quote(&value))
    }

    pub fn query(&mut self, records: &[WorkflowInstance]) -> String {
        if self.rng.chance(3) {
            return String::new();
        }
        if self.rng.chance(4) {
            return self.long_group(records);
        }
        if self.rng.chance(6) {
            return self.deep(records);
        }
        let groups: Vec<String> = (0..1 + self.rng.below(3))
            .map(|_| {
                let parts: Vec<String> = (0..1 + self.rng.below(3))
                    .map(|_| self.comparison(records))
                    .collect();
                let joined = parts.join(if self.rng.chance(50) { " AND " } else { " OR " });
                if parts.len() > 1 {
                    format!("({joined})")
                } else {
                    joined
                }
            })
            .collect();
        groups.join(if self.rng.chance(50) { " AND " } else { " OR " })
    }

    /// A comparison that compiles (the first of a few tries), for the
    /// long queries below, where one that does not would discard the
    /// whole query.
    fn valid_comparison(&mut self, records: &[WorkflowInstance]) -> String {
        let schema = keyfactor::schema();
        let ctx = kfql::Context::new(self.now).with_user("x");
        let mut c = self.comparison(records);
        for _ in 0..20 {
            if kfql::compile(&c, &schema, &ctx).is_ok() {
                break;
            }
            c = self.comparison(records);
        }
        c
    }

    /// One group longer than the 16 parts kfql's SQL puts in one flat
    /// group, up to past 256 (two levels of nesting), sometimes with a
    /// small group inside.
    fn long_group(&mut self, records: &[WorkflowInstance]) -> String {
        let n = 17 + self.rng.below(300);
        let mut parts: Vec<String> = (0..n).map(|_| self.valid_comparison(records)).collect();
        let and = self.rng.chance(50);
        if self.rng.chance(50) {
            let inner = format!(
                "({} {} {})",
                self.valid_comparison(records),
                if and { "OR" } else { "AND" },
                self.valid_comparison(records)
            );
            let at = self.rng.below(n + 1);
            parts.insert(at, inner);
        }
        parts.join(if and { " AND " } else { " OR " })
    }

    /// AND and OR alternating 120 to 220 levels deep (past the default
    /// depth limit of 64: compile with a higher one), one or two
    /// comparisons a level beside the nested group, which sits anywhere
    /// in its level: around the depth where kfql's SQL turns from plain
    /// nesting to its CASE form.
    fn deep(&mut self, records: &[WorkflowInstance]) -> String {
        let depth = 120 + self.rng.below(101);
        let top_and = self.rng.chance(50);
        let mut inner = String::new();
        for level in (0..=depth).rev() {
            let and = (level % 2 == 0) == top_and;
            let mut parts: Vec<String> = (0..1 + self.rng.below(2))
                .map(|_| self.valid_comparison(records))
                .collect();
            if !inner.is_empty() {
                let at = self.rng.below(parts.len() + 1);
                parts.insert(at, format!("({inner})"));
            }
            inner = parts.join(if and { " AND " } else { " OR " });
        }
        inner
    }

    pub fn sort(&mut self) -> Sort {
        let schema = keyfactor::schema();
        let sortable: Vec<&str> = schema
            .fields()
            .iter()
            .filter(|f| f.sortable())
            .map(|f| f.name())
            .collect();
        if self.rng.chance(10) {
            return Sort::default_for(&schema);
        }
        let name = self.rng.pick(&sortable);
        Sort::new(&schema, name, Direction::descending_if(self.rng.chance(50)))
            .unwrap_or_else(|_| Sort::default_for(&schema))
    }

    pub fn page(&mut self) -> Page {
        let max = i64::MAX as u64;
        let (n, l) = match self.rng.below(12) {
            0 => (1, max),
            1 => (max, max),
            2 => (2, max),
            3 => (max, 1),
            _ => (
                1 + self.rng.below(4) as u64,
                self.rng.pick(&[1, 2, 3, 7, 50, 1000]),
            ),
        };
        Page::new(n, l).unwrap_or_default()
    }
}
