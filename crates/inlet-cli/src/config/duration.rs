//! Durations in settings: `90` (seconds), `250ms`, `30s`, `15m`, `1h`, `1d`.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Parses `90`, `30s`, `15m`, `1h` or `1d` into a duration.
pub fn parse_duration(setting: &str, raw: &str) -> Result<Duration> {
    let raw = raw.trim();
    let (num, unit) = raw
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((raw, "s"), |i| (&raw[..i], &raw[i..]));
    let n: f64 = num
        .parse()
        .with_context(|| format!("{setting}: {raw:?} is not a duration like 30s, 15m or 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => bail!("{setting}: unit {unit:?} is not one of ms, s, m, h, d"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("{setting}: must not be negative");
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("x", "90").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("x", "250ms").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            parse_duration("x", "15m").unwrap(),
            Duration::from_secs(900)
        );
        assert_eq!(
            parse_duration("x", "1h").unwrap(),
            Duration::from_secs(3600)
        );
        assert!(
            parse_duration("x", "soon")
                .unwrap_err()
                .to_string()
                .contains("x")
        );
        assert!(parse_duration("x", "5y").is_err());
    }
}
