//! When a failed attempt is tried again: PortSIP's 15 s, 1 min, 3 min,
//! 8 min and 15 min by default; the operator's `EVENTURL_RETRY_SCHEDULE`.

use std::{fmt, str::FromStr, time::Duration};

/// The waits before the 2nd, 3rd, … attempt; after the last, given up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    fn default() -> Self {
        Self(
            [15, 60, 180, 480, 900]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl RetrySchedule {
    /// The wait after failed attempt number `attempts` (1-based), or
    /// `None` when that was the last one allowed.
    pub fn wait_after(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        self.0.get(index).copied()
    }

    /// The longest step: a receiver's `Retry-After` is honoured up to it.
    pub fn longest(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    /// Attempts in all: the first and one per step.
    pub fn attempts(&self) -> usize {
        self.0.len() + 1
    }
}

#[derive(Debug, thiserror::Error)]
#[error("EVENTURL_RETRY_SCHEDULE: {0:?} is not a wait; use steps such as 15s,1m,3m,8m,15m (ms, s, m or h)")]
pub struct ScheduleError(String);

impl FromStr for RetrySchedule {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let steps = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|step| {
                let split = step
                    .find(|c: char| !c.is_ascii_digit())
                    .ok_or_else(|| ScheduleError(step.to_owned()))?;
                let (number, unit) = step.split_at(split);
                let n: u64 = number.parse().map_err(|_| ScheduleError(step.to_owned()))?;
                let millis = match unit {
                    "ms" => Some(n),
                    "s" => n.checked_mul(1_000),
                    "m" => n.checked_mul(60_000),
                    "h" => n.checked_mul(3_600_000),
                    _ => None,
                }
                .ok_or_else(|| ScheduleError(step.to_owned()))?;
                Ok(Duration::from_millis(millis))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if steps.is_empty() {
            return Err(ScheduleError(text.to_owned()));
        }
        Ok(Self(steps))
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<String> = self
            .0
            .iter()
            .map(|d| match d.as_millis() {
                ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
                ms if ms % 1_000 == 0 => format!("{}s", ms / 1_000),
                ms => format!("{ms}ms"),
            })
            .collect();
        f.write_str(&steps.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_portsips_schedule() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.to_string(), "15s,1m,3m,8m,15m");
        assert_eq!(
            "15s,1m,3m,8m,15m".parse::<RetrySchedule>().unwrap(),
            schedule
        );
        assert_eq!(schedule.attempts(), 6);
        assert_eq!(schedule.wait_after(1), Some(Duration::from_secs(15)));
        assert_eq!(schedule.wait_after(5), Some(Duration::from_secs(900)));
        assert_eq!(schedule.wait_after(6), None);
        assert_eq!(schedule.wait_after(0), None);
        assert_eq!(schedule.longest(), Duration::from_secs(900));
    }

    #[test]
    fn bad_schedules_name_the_setting_and_the_step() {
        for bad in ["", "15", "1x", "s", "1m,,fast", "99999999999999999999h"] {
            let message = bad.parse::<RetrySchedule>().unwrap_err().to_string();
            assert!(
                message.contains("EVENTURL_RETRY_SCHEDULE"),
                "{bad}: {message}"
            );
        }
        assert_eq!(
            "200ms, 1s".parse::<RetrySchedule>().unwrap().to_string(),
            "200ms,1s"
        );
    }
}
