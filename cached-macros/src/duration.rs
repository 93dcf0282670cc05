//! Human durations for `ttl` and `refresh`: `500ms`, `1s`, `2m`, `1h 30m`, `1d`.

use std::time::Duration;

const UNITS: &[(&[&str], u64)] = &[
    (&["ns", "nanos"], 1),
    (&["us", "µs", "micros"], 1_000),
    (&["ms", "millis"], 1_000_000),
    (&["s", "sec", "secs", "second", "seconds"], 1_000_000_000),
    (&["m", "min", "mins", "minute", "minutes"], 60_000_000_000),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600_000_000_000),
    (&["d", "day", "days"], 86_400_000_000_000),
];

const HINT: &str =
    "write a number and a unit, like \"500ms\", \"1s\", \"2m\", \"1h 30m\" or \"1d\"";

/// Parses a duration made of `<number><unit>` parts, optionally separated
/// by spaces. The result must be positive and fit in a `u64` of nanoseconds.
/// Messages name the option, `ttl` or `refresh`.
pub fn parse(option: &str, text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("`{option}` is empty: {HINT}"));
    }
    if trimmed.starts_with('-') {
        return Err(format!("`{option}` cannot be negative: {HINT}"));
    }
    let mut total: u64 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
                .len();
        if digits == 0 {
            return Err(format!("cannot read `{text}` as a duration: {HINT}"));
        }
        let number: u64 = rest[..digits]
            .replace('_', "")
            .parse()
            .map_err(|_| format!("`{text}` is too long a duration: at most 584 years fit"))?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.len() - rest.trim_start_matches(|c: char| c.is_alphabetic()).len();
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            let next = rest.chars().next();
            return Err(match next {
                Some('.') => {
                    format!("`{option}` takes whole numbers: write \"1500ms\" rather than \"1.5s\"")
                }
                _ => format!("`{text}` has a number without a unit: {HINT}"),
            });
        }
        let Some(&(_, nanos)) = UNITS.iter().find(|(names, _)| names.contains(&unit)) else {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use ms, s, m, h or d (also ns, us)"
            ));
        };
        total = number
            .checked_mul(nanos)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| format!("`{text}` is too long a duration: at most 584 years fit"))?;
        rest = rest[unit_len..].trim_start();
    }
    if total == 0 {
        let instead = match option {
            "ttl" => "to cache forever",
            _ => "to recompute only at expiry",
        };
        return Err(format!(
            "`{option}` must be longer than zero: {instead}, leave `{option}` out"
        ));
    }
    Ok(Duration::from_nanos(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_unit_and_combinations() {
        assert_eq!(parse("ttl", "500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("ttl", "1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("ttl", "2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("ttl", "1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("ttl", "1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("ttl", "1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("ttl", "10 seconds"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("ttl", "1_000ms"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("ttl", "250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse("ttl", " 2 h 5 min "), Ok(Duration::from_secs(7500)));
    }

    #[test]
    fn rejects_what_is_not_a_positive_duration() {
        for bad in [
            "",
            "  ",
            "-1s",
            "0s",
            "0ms 0s",
            "1",
            "s",
            "1.5s",
            "1 fortnight",
            "99999999999999999999s",
            "300000d",
        ] {
            assert!(parse("ttl", bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse("ttl", "1x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse("ttl", "2 weeks")
            .unwrap_err()
            .contains("unknown unit `weeks`"));
        assert!(parse("ttl", "30").unwrap_err().contains("without a unit"));
        assert!(parse("ttl", "0s").unwrap_err().contains("leave `ttl` out"));
        assert!(parse("refresh", "0s")
            .unwrap_err()
            .contains("`refresh` must be longer than zero"));
    }
}
