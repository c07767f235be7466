//! Realistic workflow instances, generated deterministically from a seed
//! and placed in time relative to a given instant, so that `%TODAY-30%`
//! finds records on whatever day the sample is made. Used by the CLI's
//! built-in data set, the benchmarks and tests.

use chrono::{DateTime, Duration, Utc};

use super::{Definition, Status, WorkflowInstance};
use crate::Guid;

/// SplitMix64: tiny, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn guid(&mut self) -> Guid {
        // A version-4 shape, so the text looks like a real GUID.
        let g = (u128::from(self.next()) << 64) | u128::from(self.next());
        Guid((g & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62))
    }
}

const USERS: [&str; 8] = [
    r"KEYEXAMPLE\jsmith",
    r"KEYEXAMPLE\mjones",
    r"KEYEXAMPLE\apatel",
    r"KEYEXAMPLE\lchen",
    r"KEYEXAMPLE\svc_autoenroll",
    r"KEYEXAMPLE\o'brien",
    r"KEYEXAMPLE\jmüller",
    r"CORP\admin",
];

/// A step's display name and unique name.
type Step = (&'static str, &'static str);

/// (WorkflowType, definition display name, the steps it goes through).
const DEFINITIONS: [(&str, &str, &[Step]); 5] = [
    (
        "Enrollment",
        "Web Server Enrollment",
        &[
            ("Require Approval", "RequireApproval1"),
            ("Email Requester", "Email1"),
            ("Issue Certificate", "Issue1"),
        ],
    ),
    (
        "Revocation",
        "Revocation Approval",
        &[
            ("Require Approval", "RequireApproval1"),
            ("Revoke", "Revoke1"),
        ],
    ),
    (
        "CertificateEnteredCollection",
        "Expiring Collection Alert",
        &[("Notify Owner", "Email1")],
    ),
    (
        "CertificateLeftCollection",
        "Left Collection Audit",
        &[("Run PowerShell", "PowerShell1")],
    ),
    (
        "Enrollment",
        "Code Signing Enrollment",
        &[
            ("Manager Approval", "RequireApproval1"),
            ("Issue Certificate", "Issue1"),
        ],
    ),
];

/// `count` workflow instances whose dates lie in the 60 days before `now`,
/// drawn from `seed`: every status and workflow type, a few records with
/// null fields, trailing spaces, mixed case and non-ASCII names.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use kfql::{keyfactor, Context};
///
/// let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
/// let records = keyfactor::sample(1000, now, 7);
/// let filter = kfql::compile(r#"Status -eq "Failed" AND StartDate -ge "%TODAY-30%""#,
///                            &keyfactor::schema(), &Context::new(now))?;
/// assert!(filter.count(&records) > 0);
/// assert_eq!(keyfactor::sample(1000, now, 7), records);
/// # Ok::<(), kfql::Error>(())
/// ```
pub fn sample(count: usize, now: DateTime<Utc>, seed: u64) -> Vec<WorkflowInstance> {
    let mut rng = Rng(seed);
    // Whole seconds, so that the data does not depend on the clock's
    // sub-second noise and prints short.
    let now = DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let definition_ids: Vec<Guid> = DEFINITIONS.iter().map(|_| rng.guid()).collect();
    (0..count)
        .map(|i| {
            let d = rng.below(DEFINITIONS.len() as u64) as usize;
            let (workflow_type, display, steps) = DEFINITIONS[d];
            let status = *rng.pick(&[
                Status::Complete,
                Status::Complete,
                Status::Complete,
                Status::Running,
                Status::Running,
                Status::Failed,
                Status::Suspended,
                Status::Rejected,
                Status::CanceledForRestart,
            ]);
            let user = *rng.pick(&USERS);
            let host = rng.below(40) + 1;
            let title = match workflow_type {
                "Revocation" => format!(
                    "{user} is revoking the certificate for CN=appsrvr{host}.keyexample.com."
                ),
                "Enrollment" => format!(
                    "{user} is enrolling for a certificate with CN=appsrvr{host}.keyexample.com."
                ),
                other => format!("Certificate CN=appsrvr{host}.keyexample.com triggered {other}."),
            };
            let start = now
                - Duration::seconds(rng.below(60 * 86_400) as i64)
                - Duration::milliseconds(rng.below(1000) as i64);
            let modified = start + Duration::seconds(rng.below(3 * 86_400) as i64);
            let (step_name, step_unique) = *rng.pick(steps);
            let message = match status {
                Status::Failed => Some("The step failed: the CA rejected the request.".to_owned()),
                Status::Suspended => Some("Waiting for approval.".to_owned()),
                Status::Rejected => Some("Rejected by an approver.".to_owned()),
                _ => None,
            };
            // Some records carry DefinitionId and WorkflowType only inside
            // Definition, as the API sometimes does; a few have no title or
            // user, and a few have a trailing space the vendor's own
            // clients are known to send.
            let flat = !rng.chance(20);
            let definition = (!rng.chance(3)).then(|| Definition {
                id: Some(definition_ids[d]),
                display_name: Some(display.to_owned()),
                version: Some(1 + rng.below(3) as i64),
                workflow_type: Some(workflow_type.to_owned()),
            });
            let mut step_display = step_name.to_owned();
            if rng.chance(2) {
                step_display.push(' ');
            }
            WorkflowInstance {
                id: rng.guid(),
                status,
                current_step_id: (status != Status::Complete).then(|| rng.guid()),
                status_message: message,
                current_step_display_name: (!rng.chance(4)).then_some(step_display),
                current_step_unique_name: Some(step_unique.to_owned()),
                title: (!rng.chance(5)).then_some(title),
                last_modified: (!rng.chance(5)).then_some(modified.min(now)),
                start_date: (!rng.chance(2)).then_some(start),
                reference_id: 1000 + i as i64,
                definition_id: (flat || definition.is_none()).then_some(definition_ids[d]),
                initiating_user_name: (!rng.chance(4)).then(|| user.to_owned()),
                workflow_type: (flat || definition.is_none()).then(|| workflow_type.to_owned()),
                definition,
            }
        })
        .collect()
}
