//! Sync schedules, read from a connection's configuration: `schedule` (a
//! 5-field cron expression, or an alias such as `@hourly`) read in
//! `timezone` (an IANA zone, default UTC), or `continuous: true` (an
//! incremental sync every [`ScheduleSettings::continuous_interval`]).
//!
//! Everything here is pure: parsing and validation (messages name the
//! `config.*` field and never echo the submitted value), the minimum-interval
//! rule, and the next run time. Firing is the services' and the store's job
//! (see `Services::fire_due_schedules`).
//!
//! Decisions:
//! - Cron fields are minute, hour, day of month, month, day of week (croner's
//!   dialect: names, ranges, steps, `L`, `#`, `W`); no seconds or year field.
//! - Times are read in the zone: `0 9 * * *` in `Europe/Paris` fires at 09:00
//!   Paris time, summer and winter. A slot that a spring-forward gap skips
//!   fires at the first instant after the gap; a repeated hour fires once.
//! - The minimum interval is checked on the expression itself (in UTC, over
//!   its next thousand slots or two years, whichever ends first): the
//!   smallest gap between two slots must not be below it.
//! - The next run is always the first slot strictly after *now*, so runs
//!   missed while no node was up collapse into one.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};
use crate::model::Timestamp;

/// Config key of the cron expression.
pub const SCHEDULE: &str = "schedule";
/// Config key of the cron expression's time zone.
pub const TIMEZONE: &str = "timezone";
/// Config key of the continuous-sync switch.
pub const CONTINUOUS: &str = "continuous";

/// Operator settings of scheduled syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleSettings {
    /// A cron that can fire more often than this is refused
    /// (`INLET_MIN_SYNC_INTERVAL`).
    pub min_interval: Duration,
    /// Time between two continuous syncs (`INLET_CONTINUOUS_INTERVAL`).
    pub continuous_interval: Duration,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(60),
            continuous_interval: Duration::from_secs(30),
        }
    }
}

/// How a connection syncs by itself.
#[derive(Debug, Clone)]
pub enum SyncPlan {
    /// On the slots of a cron expression read in a time zone.
    Cron {
        /// The parsed expression.
        cron: Box<Cron>,
        /// The zone its wall-clock times are read in.
        zone: Tz,
    },
    /// An incremental sync every `interval`.
    Continuous {
        /// Time between two syncs.
        interval: Duration,
    },
}

impl SyncPlan {
    /// The first run strictly after `now` (`None` for a cron that never
    /// fires again). Stored times have millisecond precision, so this has too.
    pub fn next_after(&self, now: Timestamp) -> Option<Timestamp> {
        let next = match self {
            Self::Cron { cron, zone } => cron
                .find_next_occurrence(&now.with_timezone(zone), false)
                .ok()?
                .with_timezone(&Utc),
            Self::Continuous { interval } => now + chrono::Duration::from_std(*interval).ok()?,
        };
        Utc.timestamp_millis_opt(next.timestamp_millis()).single()
    }
}

/// Reads and validates the schedule fields of an (otherwise validated)
/// configuration: `None` when the connection has neither a schedule nor
/// continuous syncs. `supports_continuous` is the source type's catalog flag.
pub fn plan(
    config: &Map<String, Value>,
    supports_continuous: bool,
    settings: &ScheduleSettings,
) -> CoreResult<Option<SyncPlan>> {
    let schedule = config.get(SCHEDULE).and_then(Value::as_str);
    let zone = match config.get(TIMEZONE).and_then(Value::as_str) {
        Some(z) => parse_zone(z)?,
        None => Tz::UTC,
    };
    let continuous = config
        .get(CONTINUOUS)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if continuous {
        if schedule.is_some() {
            return Err(CoreError::invalid(
                format!("config.{CONTINUOUS}"),
                "cannot be combined with config.schedule: a connection syncs either continuously or on a schedule; remove one of them",
            ));
        }
        if !supports_continuous {
            return Err(CoreError::invalid(
                format!("config.{CONTINUOUS}"),
                "this source type does not support continuous syncs (its catalog entry has supportsContinuous: false); use config.schedule instead",
            ));
        }
        return Ok(Some(SyncPlan::Continuous {
            interval: settings.continuous_interval,
        }));
    }
    let Some(schedule) = schedule else {
        return Ok(None);
    };
    let cron = parse_cron(schedule)?;
    check_min_interval(&cron, settings.min_interval)?;
    Ok(Some(SyncPlan::Cron {
        cron: Box::new(cron),
        zone,
    }))
}

/// Parses a 5-field cron expression (or an alias such as `@hourly`).
pub fn parse_cron(raw: &str) -> CoreResult<Cron> {
    let field = format!("config.{SCHEDULE}");
    if raw.trim().is_empty() {
        return Err(CoreError::invalid(
            field,
            "must be a cron expression; leave the field out (or null) for no schedule",
        ));
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    let cron = parser.parse(raw).map_err(|e| {
        // croner's messages may quote the pattern; answer in our own words.
        let why = match e {
            croner::errors::CronError::IllegalCharacters(_) => "it contains characters cron does not use",
            croner::errors::CronError::ComponentError(_) => "a field is out of range or malformed",
            _ => "it does not have the expected fields",
        };
        CoreError::invalid(
            field.clone(),
            format!(
                "is not a valid cron expression ({why}); expected 5 fields (minute hour day-of-month month day-of-week, e.g. \"0 * * * *\") or an alias such as @hourly or @daily"
            ),
        )
    })?;
    // A valid-looking pattern that matches no date (`0 0 31 2 *`).
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
    if start.is_none_or(|s| cron.find_next_occurrence(&s, false).is_err()) {
        return Err(CoreError::invalid(field, "never fires: no date matches it"));
    }
    Ok(cron)
}

/// Parses an IANA time zone name (`Europe/Paris`, `UTC`).
pub fn parse_zone(raw: &str) -> CoreResult<Tz> {
    raw.trim().parse::<Tz>().map_err(|_| {
        CoreError::invalid(
            format!("config.{TIMEZONE}"),
            "is not an IANA time zone name such as UTC, Europe/Paris or America/New_York",
        )
    })
}

/// The smallest gap between two consecutive slots of `cron` (looked at over
/// its next thousand slots or two years from a fixed date, in UTC).
pub fn min_gap(cron: &Cron) -> Option<Duration> {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single()?;
    let horizon = start + chrono::Duration::days(2 * 366);
    let mut smallest: Option<chrono::Duration> = None;
    let mut previous: Option<chrono::DateTime<Utc>> = None;
    for slot in cron.iter_after(start).take(1000) {
        if slot > horizon {
            break;
        }
        if let Some(p) = previous {
            let gap = slot - p;
            smallest = Some(smallest.map_or(gap, |s| s.min(gap)));
            if gap <= chrono::Duration::minutes(1) {
                // Nothing can be smaller in a 5-field cron.
                break;
            }
        }
        previous = Some(slot);
    }
    smallest.and_then(|s| s.to_std().ok())
}

fn check_min_interval(cron: &Cron, min: Duration) -> CoreResult<()> {
    match min_gap(cron) {
        Some(gap) if gap < min => Err(CoreError::invalid(
            format!("config.{SCHEDULE}"),
            format!(
                "fires more often than the minimum sync interval of {} (every {} at most); choose a less frequent schedule",
                human(min),
                human(gap)
            ),
        )),
        _ => Ok(()),
    }
}

/// `90 s` → `1m30s`; whole units only.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn field_of(e: CoreError) -> (String, String) {
        match e {
            CoreError::Invalid { field, message } => (field, message),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn plan_of(v: Value) -> CoreResult<Option<SyncPlan>> {
        plan(&config(v), false, &ScheduleSettings::default())
    }

    #[test]
    fn five_field_crons_and_aliases_parse() {
        for ok in [
            "* * * * *",
            "0 * * * *",
            "*/15 9-17 * * MON-FRI",
            "0 0 1 * *",
            "@hourly",
            "@daily",
            "@weekly",
            "0 0 L * *",
        ] {
            assert!(parse_cron(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn bad_crons_name_the_field_without_echoing_it() {
        for bad in [
            "",
            "   ",
            "every day",
            "* * * *",
            "0 0 0 * * *",
            "61 * * * *",
            "0 25 * * *",
            "0 0 31 2 *",
            "@sometimes",
        ] {
            let (field, message) = field_of(parse_cron(bad).unwrap_err());
            assert_eq!(field, "config.schedule", "{bad}");
            if bad.trim().len() > 3 && !"0 * * * *".contains(bad) {
                assert!(!message.contains(bad), "{message}");
            }
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(parse_zone("Europe/Paris").unwrap(), Tz::Europe__Paris);
        assert_eq!(parse_zone("UTC").unwrap(), Tz::UTC);
        for bad in ["Mars/Olympus", "", "+02:00", "CEST "] {
            assert_eq!(field_of(parse_zone(bad).unwrap_err()).0, "config.timezone");
        }
        let e = plan_of(json!({"timezone": "Nowhere/Land"})).unwrap_err();
        assert_eq!(field_of(e).0, "config.timezone");
    }

    #[test]
    fn the_minimum_interval_refuses_frequent_crons() {
        let hour = ScheduleSettings {
            min_interval: Duration::from_secs(3600),
            ..Default::default()
        };
        let min_gap_of = |c: &str| min_gap(&parse_cron(c).unwrap()).unwrap();
        assert_eq!(min_gap_of("* * * * *"), Duration::from_secs(60));
        assert_eq!(min_gap_of("*/5 * * * *"), Duration::from_secs(300));
        assert_eq!(min_gap_of("5,55 * * * *"), Duration::from_secs(600));
        assert_eq!(min_gap_of("0 9,17 * * *"), Duration::from_secs(8 * 3600));
        assert_eq!(min_gap_of("@daily"), Duration::from_secs(86_400));
        for refused in ["*/5 * * * *", "0,30 * * * *", "0,1 0 1 1 *"] {
            let e = plan(&config(json!({"schedule": refused})), false, &hour).unwrap_err();
            let (field, message) = field_of(e);
            assert_eq!(field, "config.schedule");
            assert!(message.contains("minimum sync interval of 1h"), "{message}");
        }
        for allowed in ["0 * * * *", "@daily", "0 0 1 1 *"] {
            assert!(plan(&config(json!({"schedule": allowed})), false, &hour).is_ok());
        }
        // The default minimum (one minute) admits every 5-field cron.
        assert!(plan_of(json!({"schedule": "* * * * *"})).unwrap().is_some());
    }

    #[test]
    fn continuous_needs_support_and_excludes_a_schedule() {
        let s = ScheduleSettings::default();
        let (field, message) =
            field_of(plan(&config(json!({"continuous": true})), false, &s).unwrap_err());
        assert_eq!(field, "config.continuous");
        assert!(message.contains("supportsContinuous"), "{message}");
        let both = config(json!({"continuous": true, "schedule": "@hourly"}));
        let (field, message) = field_of(plan(&both, true, &s).unwrap_err());
        assert_eq!(field, "config.continuous");
        assert!(
            message.contains("cannot be combined with config.schedule"),
            "{message}"
        );
        assert!(matches!(
            plan(&config(json!({"continuous": true})), true, &s),
            Ok(Some(SyncPlan::Continuous { interval })) if interval == s.continuous_interval
        ));
        // `continuous: false` is no plan, and does not conflict with a schedule.
        assert!(plan_of(json!({"continuous": false})).unwrap().is_none());
        assert!(
            plan_of(json!({"continuous": false, "schedule": "@hourly"}))
                .unwrap()
                .is_some()
        );
        assert!(plan_of(json!({"tables": ["a"]})).unwrap().is_none());
    }

    #[test]
    fn next_run_is_read_in_the_time_zone_across_dst() {
        let daily_9 = |zone: &str| {
            plan_of(json!({"schedule": "0 9 * * *", "timezone": zone}))
                .unwrap()
                .unwrap()
        };
        let paris = daily_9("Europe/Paris");
        // Winter: UTC+1.
        assert_eq!(
            paris.next_after(at("2024-01-15T10:00:00Z")),
            Some(at("2024-01-16T08:00:00Z"))
        );
        // Summer: UTC+2. Paris springs forward on 2024-03-31.
        assert_eq!(
            paris.next_after(at("2024-03-30T08:30:00Z")),
            Some(at("2024-03-31T07:00:00Z"))
        );
        assert_eq!(
            paris.next_after(at("2024-03-30T07:00:00Z")),
            Some(at("2024-03-30T08:00:00Z"))
        );
        // And back on 2024-10-27.
        assert_eq!(
            paris.next_after(at("2024-10-26T08:00:00Z")),
            Some(at("2024-10-27T08:00:00Z"))
        );
        let utc = daily_9("UTC");
        assert_eq!(
            utc.next_after(at("2024-03-30T09:00:00Z")),
            Some(at("2024-03-31T09:00:00Z"))
        );
        // No timezone: UTC.
        let default = plan_of(json!({"schedule": "0 9 * * *"})).unwrap().unwrap();
        assert_eq!(
            default.next_after(at("2024-06-01T00:00:00Z")),
            Some(at("2024-06-01T09:00:00Z"))
        );
        // A slot inside the spring-forward gap (02:30 does not exist on
        // 2024-03-10 in New York) fires at the first instant after the gap.
        let ny = plan_of(json!({"schedule": "30 2 * * *", "timezone": "America/New_York"}))
            .unwrap()
            .unwrap();
        let next = ny.next_after(at("2024-03-10T05:00:00Z")).unwrap();
        assert!(
            next >= at("2024-03-10T07:00:00Z") && next <= at("2024-03-10T07:30:00Z"),
            "{next}"
        );
    }

    #[test]
    fn missed_slots_collapse_into_the_first_slot_after_now() {
        let hourly = plan_of(json!({"schedule": "@hourly"})).unwrap().unwrap();
        // Due at 10:00; every node was down until 13:25: one run now, the
        // next at 14:00 — not one per missed hour.
        let now = at("2024-05-01T13:25:17Z");
        assert_eq!(hourly.next_after(now), Some(at("2024-05-01T14:00:00Z")));
        // Exactly on a slot: the next one, never the same again.
        assert_eq!(
            hourly.next_after(at("2024-05-01T14:00:00Z")),
            Some(at("2024-05-01T15:00:00Z"))
        );
        let continuous = SyncPlan::Continuous {
            interval: Duration::from_millis(30_000),
        };
        let next = continuous.next_after(at("2024-05-01T13:25:17.123456Z"));
        assert_eq!(next, Some(at("2024-05-01T13:25:47.123Z")));
    }
}
