//! Job settings: how many jobs run at once, a sync's batches and lease, the
//! schedules that start syncs, and the event streams that follow jobs.

use std::time::Duration;

use anyhow::{Result, bail};
use inlet_core::schedule::ScheduleSettings;
use inlet_core::service::SyncSettings;

use super::Raw;
use super::duration::parse_duration;

/// The sync settings of `raw` (batch size, record limit, lease), checked
/// along with the number of jobs run at once.
pub(super) fn sync(raw: &Raw) -> Result<SyncSettings> {
    if !(1..=64).contains(&raw.sync_workers) {
        bail!("sync_workers (INLET_SYNC_WORKERS) must be between 1 and 64");
    }
    if !(1..=50_000).contains(&raw.sync_batch_size) {
        bail!("sync_batch_size (INLET_SYNC_BATCH_SIZE) must be between 1 and 50000");
    }
    if raw.sync_max_record_bytes < 1024 {
        bail!("sync_max_record_bytes (INLET_SYNC_MAX_RECORD_BYTES) must be at least 1024");
    }
    let lease = parse_duration("job_lease (INLET_JOB_LEASE)", &raw.job_lease)?;
    if lease < Duration::from_secs(1) {
        bail!("job_lease (INLET_JOB_LEASE) must be at least 1s");
    }
    Ok(SyncSettings {
        batch_size: raw.sync_batch_size,
        max_record_bytes: raw.sync_max_record_bytes,
        lease,
    })
}

/// The schedule settings of `raw` (shortest schedule interval, continuous
/// interval), checked.
pub(super) fn schedules(raw: &Raw) -> Result<ScheduleSettings> {
    let min_interval = parse_duration(
        "min_sync_interval (INLET_MIN_SYNC_INTERVAL)",
        &raw.min_sync_interval,
    )?;
    let continuous_interval = parse_duration(
        "continuous_interval (INLET_CONTINUOUS_INTERVAL)",
        &raw.continuous_interval,
    )?;
    if continuous_interval < Duration::from_secs(1) {
        bail!("continuous_interval (INLET_CONTINUOUS_INTERVAL) must be at least 1s");
    }
    Ok(ScheduleSettings {
        min_interval,
        continuous_interval,
    })
}

/// How often an open job event stream checks its caller again, and how long
/// one may stay open, from `raw`, checked.
pub(super) fn streams(raw: &Raw) -> Result<(Duration, Duration)> {
    let recheck = parse_duration(
        "stream_recheck_interval (INLET_STREAM_RECHECK_INTERVAL)",
        &raw.stream_recheck_interval,
    )?;
    if !(Duration::from_millis(100)..=Duration::from_secs(300)).contains(&recheck) {
        bail!(
            "stream_recheck_interval (INLET_STREAM_RECHECK_INTERVAL) must be between 0.1s and 5m"
        );
    }
    let max_duration = parse_duration(
        "stream_max_duration (INLET_STREAM_MAX_DURATION)",
        &raw.stream_max_duration,
    )?;
    if !(Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&max_duration) {
        bail!("stream_max_duration (INLET_STREAM_MAX_DURATION) must be between 1s and 1d");
    }
    Ok((recheck, max_duration))
}
