//! docs/LANGUAGE.md, “Tokens”: `%TODAY%`, `%TODAY±N%` and `%ME%`, relative to the
//! context's clock, time zone and user; one left-to-right pass.

use kfql::{Context, ErrorKind};
use serde_json::json;

use crate::common::*;

fn starts(dates: &[(i64, &str)]) -> Vec<serde_json::Value> {
    dates
        .iter()
        .map(|(id, d)| rec(*id, json!({"StartDate": d})))
        .collect()
}

fn titles(titles: &[(i64, &str)]) -> Vec<serde_json::Value> {
    titles
        .iter()
        .map(|(id, t)| rec(*id, json!({"Title": t})))
        .collect()
}

#[test]
fn today_is_the_context_date_as_a_whole_day() {
    let records = starts(&[
        (1, "2024-05-31T23:59:59.999999999Z"),
        (2, "2024-06-01T00:00:00Z"),
        (3, "2024-06-01T23:59:59.999999999Z"),
        (4, "2024-06-02T00:00:00Z"),
    ]);
    assert_eq!(matching("StartDate -eq %TODAY%", &records), [2, 3]);
    assert_eq!(matching(r#"StartDate -eq "%TODAY%""#, &records), [2, 3]);
    assert_eq!(matching("StartDate -eq %TODAY-0%", &records), [2, 3]);
    assert_eq!(matching("StartDate -eq %TODAY+0%", &records), [2, 3]);
    assert_eq!(matching("StartDate -eq %TODAY-1%", &records), [1]);
    assert_eq!(matching("StartDate -eq %TODAY+1%", &records), [4]);
    assert_eq!(matching("StartDate -lt %TODAY%", &records), [1]);
    assert_eq!(matching("StartDate -gt %TODAY%", &records), [4]);
    assert_eq!(matching("StartDate -ge %TODAY+001%", &records), [4]);
    // N days, across month and year ends and leap days.
    let records = starts(&[
        (1, "2024-05-02T08:00:00Z"),
        (2, "2023-06-02T08:00:00Z"),
        (3, "2024-02-29T08:00:00Z"),
        (4, "2025-06-01T08:00:00Z"),
    ]);
    assert_eq!(matching("StartDate -eq %TODAY-30%", &records), [1]);
    assert_eq!(matching("StartDate -eq %TODAY-365%", &records), [2]);
    assert_eq!(matching("StartDate -eq %TODAY-93%", &records), [3]);
    assert_eq!(matching("StartDate -eq %TODAY+365%", &records), [4]);
    assert_eq!(matching("StartDate -ge %TODAY-30%", &records), [1, 4]);
}

#[test]
fn today_follows_the_context_time_zone() {
    let records = starts(&[
        (1, "2024-06-01T10:00:00Z"),
        (2, "2024-06-01T23:00:00Z"),
        (3, "2024-06-02T10:00:00Z"),
        (4, "2024-06-01T03:00:00Z"),
        (5, "2024-06-02T04:00:00Z"),
    ]);
    let now = utc(2024, 6, 1, 23, 30, 0);
    let at_utc = Context::new(now);
    assert_eq!(
        matching_in("StartDate -eq %TODAY%", &at_utc, &records),
        [1, 2, 4]
    );
    // At +02:00 it is already 2024-06-02, a day that began at 2024-06-01T22:00Z.
    let east = Context::new(now).with_time_zone(zone(120));
    assert_eq!(east.today().to_string(), "2024-06-02");
    assert_eq!(
        matching_in("StartDate -eq %TODAY%", &east, &records),
        [2, 3, 5]
    );
    assert_eq!(
        matching_in("StartDate -eq %TODAY-1%", &east, &records),
        [1, 4]
    );
    // At -05:00, 03:00Z is still 2024-06-01, a day that began at 05:00Z.
    let west = Context::new(utc(2024, 6, 2, 3, 0, 0)).with_time_zone(zone(-300));
    assert_eq!(west.today().to_string(), "2024-06-01");
    assert_eq!(
        matching_in("StartDate -eq %TODAY%", &west, &records),
        [1, 2, 5]
    );
    // A string field gets the date as YYYY-MM-DD in the zone.
    let titled = titles(&[(1, "2024-06-01"), (2, "2024-06-02")]);
    assert_eq!(matching_in("Title -eq %TODAY%", &at_utc, &titled), [1]);
    assert_eq!(matching_in("Title -eq %TODAY%", &east, &titled), [2]);
}

#[test]
fn tokens_expand_inside_larger_values() {
    let records = starts(&[(1, "2024-06-01T10:00:00Z"), (2, "2024-06-01T09:59:59Z")]);
    assert_eq!(
        matching(r#"StartDate -ge "%TODAY%T10:00:00Z""#, &records),
        [1]
    );
    assert_eq!(
        matching(r#"StartDate -lt "%TODAY% 10:00:00""#, &records),
        [2]
    );
    let ctx = ctx().with_user(r"KEYEXAMPLE\jsmith");
    let titled = titles(&[
        (1, r"on 2024-05-31 by KEYEXAMPLE\jsmith"),
        (2, "report 2024-06-01 draft"),
        (3, "%2024-06-01%"),
    ]);
    assert_eq!(
        matching_in(r#"Title -eq "on %TODAY-1% by %ME%""#, &ctx, &titled),
        [1]
    );
    assert_eq!(
        matching_in("Title -contains report_%TODAY%", &ctx, &titled),
        NONE
    );
    assert_eq!(
        matching_in(r#"Title -contains "report %TODAY% ""#, &ctx, &titled),
        [2]
    );
    assert_eq!(matching_in("Title -eq %%TODAY%%", &ctx, &titled), [3]);
    // There is no escape for a literal token: the backslash stays, the
    // token still expands.
    let slashed = titles(&[(1, r"\2024-06-01"), (2, r"\%TODAY%")]);
    assert_eq!(matching(r#"Title -eq "\%TODAY%""#, &slashed), [1]);
    assert_eq!(matching(r#"Title -eq "\\%TODAY%""#, &slashed), [1]);
    // Tokens expand before the value is typed.
    let err = compile_err("ReferenceId -eq %TODAY%");
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(
        err.description().contains("2024-06-01"),
        "{}",
        err.description()
    );
}

#[test]
fn me_is_the_context_user() {
    let records = [
        rec(1, json!({"InitiatingUserName": r"KEYEXAMPLE\jsmith"})),
        rec(2, json!({"InitiatingUserName": r"keyexample\JSMITH "})),
        rec(3, json!({"InitiatingUserName": r"KEYEXAMPLE\other"})),
        rec(4, json!({})),
    ];
    let me = ctx().with_user(r"KEYEXAMPLE\jsmith");
    assert_eq!(me.user(), Some(r"KEYEXAMPLE\jsmith"));
    assert_eq!(
        matching_in("InitiatingUserName -eq %ME%", &me, &records),
        [1, 2]
    );
    assert_eq!(
        matching_in(r#"InitiatingUserName -ne "%ME%""#, &me, &records),
        [3]
    );
    assert_eq!(
        matching_in(r#"InitiatingUserName -endswith "\%ME%""#, &me, &records),
        NONE
    );
    // The user's name may be a GUID, and is typed after expansion.
    let guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    let with_id = [rec(1, json!({"Id": guid}))];
    assert_eq!(
        matching_in("Id -eq %ME%", &ctx().with_user(guid), &with_id),
        [1]
    );
}

#[test]
fn me_without_a_user_is_an_error_not_an_empty_result() {
    let schema = kfql::keyfactor::schema();
    for ctx in [ctx(), ctx().with_user("")] {
        assert_eq!(ctx.user(), None);
        for query in [
            "InitiatingUserName -eq %ME%",
            r#"Title -contains "x %ME% y""#,
            r#"Title -eq "x" OR InitiatingUserName -eq "%ME%""#,
        ] {
            let err = compile_err_with(query, &schema, &ctx);
            assert_eq!(err.kind(), ErrorKind::MissingUser, "{query}");
            assert!(spanned(query, &err).contains("%ME%"));
        }
    }
    // Not a token: no user needed.
    compile_ok(
        r#"Title -eq "%me%" OR Title -eq "%ME" OR Title -eq "ME%""#,
        &ctx(),
    );
}

#[test]
fn replaced_text_is_not_scanned_again() {
    let records = titles(&[
        (1, "%TODAY%"),
        (2, "2024-06-01"),
        (3, "%ME%"),
        (4, "2024-06-01%ME%"),
    ]);
    let ctx_today = ctx().with_user("%TODAY%");
    assert_eq!(matching_in("Title -eq %ME%", &ctx_today, &records), [1]);
    let ctx_me = ctx().with_user("%ME%");
    assert_eq!(matching_in("Title -eq %ME%", &ctx_me, &records), [3]);
    assert_eq!(matching_in("Title -eq %TODAY%%ME%", &ctx_me, &records), [4]);
    // A user named `%TODAY` followed by `-1%` does not form a token either.
    let ctx_half = ctx().with_user("%TODAY");
    let half = titles(&[(1, "%TODAY-1%"), (2, "2024-05-31")]);
    assert_eq!(matching_in(r#"Title -eq "%ME%-1%""#, &ctx_half, &half), [1]);
}

#[test]
fn malformed_or_out_of_range_day_tokens_are_invalid_tokens() {
    for value in [
        "%TODAY+%",
        "%TODAY-%",
        "%TODAY-x%",
        "%TODAY+1",
        "%TODAY-1 %",
        "%TODAY+-1%",
        "%TODAY-99999999999%",
        "%TODAY+99999999999%",
        "%TODAY+99999999999999999999999%",
        "%TODAY+2922000%",
        "%TODAY-740000%",
    ] {
        for field in ["StartDate", "Title"] {
            let query = format!("{field} -eq {}", kfql::quote(value));
            let err = compile_err(&query);
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidToken,
                "{query}: {}",
                err.render()
            );
            assert_eq!(spanned(&query, &err), kfql::quote(value));
        }
    }
}

#[test]
fn day_tokens_stay_within_years_1_to_9999() {
    let last = Context::new(utc(9999, 12, 31, 12, 0, 0));
    let query = "StartDate -le %TODAY+1%";
    let err = compile_err_with(query, &kfql::keyfactor::schema(), &last);
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    compile_ok("StartDate -le %TODAY%", &last);
    let first = Context::new(utc(1, 1, 1, 12, 0, 0));
    let err = compile_err_with(
        "StartDate -ge %TODAY-1%",
        &kfql::keyfactor::schema(),
        &first,
    );
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    compile_ok("StartDate -ge %TODAY%", &first);
    // 2024-06-01 + 2,912,000 days is still before year 10000.
    compile_ok("StartDate -le %TODAY+2912000%", &ctx());
}

#[test]
fn tokens_are_exactly_upper_case() {
    let records = titles(&[
        (1, "%today%"),
        (2, "2024-06-01"),
        (3, "%Today-1%"),
        (4, "%me%"),
    ]);
    assert_eq!(matching("Title -eq %today%", &records), [1]);
    assert_eq!(matching("Title -eq %Today-1%", &records), [3]);
    assert_eq!(matching("Title -eq %me%", &records), [4]);
    let err = compile_err("StartDate -eq %today%");
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    // `%TODAY` followed by anything but `%`, `+` or `-` is text.
    let text = titles(&[(1, "%TODAYX%"), (2, "%TODAY"), (3, "100% %TODAY%")]);
    assert_eq!(matching("Title -eq %TODAYX%", &text), [1]);
    assert_eq!(matching("Title -eq %TODAY", &text), [2]);
    assert_eq!(matching(r#"Title -eq "100% %TODAY%""#, &text), NONE);
    assert_eq!(matching(r#"Title -eq "100% 2024-06-01""#, &text), NONE);
}

#[test]
fn the_clock_comes_only_from_the_context() {
    let records = starts(&[(1, "2020-02-02T02:00:00Z")]);
    let then = Context::new(utc(2020, 2, 2, 0, 0, 0));
    for _ in 0..2 {
        assert_eq!(matching_in("StartDate -eq %TODAY%", &then, &records), [1]);
        assert_eq!(matching("StartDate -eq %TODAY%", &records), NONE);
    }
}
