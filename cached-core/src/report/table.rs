//! The report as an aligned table.

use std::fmt;

use super::{HitCostSource, Report, Row};

const COLUMNS: [(&str, Align); 13] = [
    ("function", Align::Left),
    ("mode", Align::Left),
    ("entries", Align::Right),
    ("hits", Align::Right),
    ("misses", Align::Right),
    ("hit rate", Align::Right),
    ("evicted", Align::Right),
    ("expired", Align::Right),
    ("refreshed", Align::Left),
    ("compute", Align::Right),
    ("hit cost", Align::Right),
    ("saved", Align::Right),
    ("verdict", Align::Left),
];

/// The column of [`Row::refreshed`], shown only when a row has `refresh`.
const REFRESHED: usize = 8;
const _: () = assert!(matches!(COLUMNS[REFRESHED].0.as_bytes(), b"refreshed"));

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

impl Row {
    fn cells(&self) -> [String; 13] {
        let reference = match self.hit_cost_source {
            HitCostSource::OwnEntry => "",
            HitCostSource::Reference => "*",
        };
        let mode = match self.refresh {
            Some(refresh) => format!("{}, refresh {refresh:?}", self.mode),
            None => self.mode.to_string(),
        };
        [
            self.path.clone(),
            mode,
            self.entries.to_string(),
            self.hits.to_string(),
            self.misses.to_string(),
            percent(self.hit_rate),
            self.evictions.to_string(),
            self.expirations.to_string(),
            self.refreshed(),
            human(self.mean_compute.as_nanos() as i128),
            format!("{}{reference}", human(self.hit_cost.as_nanos() as i128)),
            human(i128::from(self.time_saved_ns)),
            self.verdict.to_string(),
        ]
    }
}

impl Row {
    /// `12, 1 failed, 340 hits meanwhile`; empty without `refresh`.
    fn refreshed(&self) -> String {
        if self.refresh.is_none() {
            return String::new();
        }
        format!(
            "{}, {} failed, {} hits meanwhile",
            self.refreshes, self.failed_refreshes, self.refresh_hits
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "memokit: no cached function has been used yet");
        }
        let header = COLUMNS.map(|(name, _)| name.to_owned());
        let lines: Vec<[String; 13]> = std::iter::once(header)
            .chain(self.rows.iter().map(Row::cells))
            .collect();
        let widths: Vec<usize> = (0..COLUMNS.len())
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let any_refresh = self.rows.iter().any(|row| row.refresh.is_some());
        let shown: Vec<bool> = (0..COLUMNS.len())
            .map(|c| c != REFRESHED || any_refresh)
            .collect();
        for line in &lines {
            write_line(f, line, &widths, &shown)?;
        }
        writeln!(
            f,
            "\ncompute: mean time of one miss, less {} of timer overhead; \
             hit cost: the cache's own part of a hit, without the key's Hash/Eq or the value's Clone (* empty cache: a reference cache);\n\
             saved: hits × (compute − hit cost)",
            human(self.timer_overhead.as_nanos() as i128)
        )?;
        for row in self
            .rows
            .iter()
            .filter(|r| r.tier_hits > 0 || r.tier_errors > 0)
        {
            writeln!(
                f,
                "tier: {}: {} of {} hits read from its tier, {} a read; {} tier errors (none failed a call)",
                row.path,
                row.tier_hits,
                row.hits,
                human(row.mean_tier_read.as_nanos() as i128),
                row.tier_errors
            )?;
        }
        if !self.stats_enabled {
            writeln!(
                f,
                "statistics are off (memokit::stats::set_enabled): counts miss what happened while off"
            )?;
        }
        Ok(())
    }
}

/// One line of the table, with the columns that are `shown`.
fn write_line(
    f: &mut fmt::Formatter<'_>,
    cells: &[String; 13],
    widths: &[usize],
    shown: &[bool],
) -> fmt::Result {
    let last = cells.len() - 1;
    for (c, cell) in cells.iter().enumerate() {
        if !shown[c] {
            continue;
        }
        let width = widths[c];
        match (c == last, COLUMNS[c].1) {
            (true, _) => write!(f, "{cell}")?,
            (false, Align::Left) => write!(f, "{cell:<width$}  ")?,
            (false, Align::Right) => write!(f, "{cell:>width$}  ")?,
        }
    }
    writeln!(f)
}

pub(super) fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `850 ns`, `2.1 µs`, `3.4 ms`, `1.25 s`, with a sign when negative.
pub(super) fn human(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs() as f64;
    match n {
        n if n < 1e3 => format!("{sign}{n} ns"),
        n if n < 1e6 => format!("{sign}{:.1} µs", n / 1e3),
        n if n < 1e9 => format!("{sign}{:.1} ms", n / 1e6),
        n => format!("{sign}{:.2} s", n / 1e9),
    }
}
