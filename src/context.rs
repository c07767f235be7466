//! The evaluation context: the only clock, time zone and user kfql knows.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// What a query's tokens and date-only values are relative to: the current
/// instant (for `%TODAY%`), the time zone of dates without an offset (UTC by
/// default), and the current user (for `%ME%`). There is no global clock:
/// the same query, context and records always give the same result.
///
/// ```
/// use chrono::{FixedOffset, TimeZone, Utc};
/// use kfql::Context;
///
/// let ctx = Context::new(Utc.with_ymd_and_hms(2024, 6, 1, 23, 30, 0).unwrap())
///     .with_time_zone(FixedOffset::east_opt(2 * 3600).unwrap())
///     .with_user(r"KEYEXAMPLE\jsmith");
/// assert_eq!(ctx.today().to_string(), "2024-06-02"); // already tomorrow at +02:00
/// assert_eq!(ctx.user(), Some(r"KEYEXAMPLE\jsmith"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    now: DateTime<Utc>,
    zone: FixedOffset,
    user: Option<String>,
}

impl Context {
    /// A context at `now`, in UTC, with no current user.
    pub fn new(now: DateTime<Utc>) -> Context {
        Context {
            now,
            zone: FixedOffset::east_opt(0).expect("zero offset"),
            user: None,
        }
    }

    /// Dates without an offset, and `%TODAY%`, are in `zone`.
    pub fn with_time_zone(mut self, zone: FixedOffset) -> Context {
        self.zone = zone;
        self
    }

    /// `%ME%` is `user`. An empty name counts as no user.
    pub fn with_user(mut self, user: impl Into<String>) -> Context {
        let user = user.into();
        self.user = (!user.is_empty()).then_some(user);
        self
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The time zone.
    pub fn time_zone(&self) -> FixedOffset {
        self.zone
    }

    /// The current user, if known.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The current date in the context's time zone: what `%TODAY%` means.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone).date_naive()
    }
}

/// A time zone written as text: `Z`, `UTC` in any case, or an offset
/// `±hh:mm` up to ±23:59, as datetime values write it. This is what the
/// CLI's `--tz` takes; `None` for anything else.
///
/// ```
/// use chrono::FixedOffset;
///
/// assert_eq!(kfql::parse_time_zone("utc"), FixedOffset::east_opt(0));
/// assert_eq!(kfql::parse_time_zone("-05:30"), FixedOffset::west_opt(5 * 3600 + 1800));
/// assert_eq!(kfql::parse_time_zone("+24:00"), None);
/// assert_eq!(kfql::parse_time_zone("z"), None);
/// ```
pub fn parse_time_zone(text: &str) -> Option<FixedOffset> {
    if text == "Z" || text.eq_ignore_ascii_case("UTC") {
        return FixedOffset::east_opt(0);
    }
    crate::value::parse_offset(text.as_bytes()).ok()
}
