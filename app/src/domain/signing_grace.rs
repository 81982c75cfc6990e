//! How long a rotated signing secret keeps signing beside the new one, so
//! that receivers switch without a gap: none, up to 7 days.

use serde::{Deserialize, Serialize};

/// A grace period in seconds, 0 to `MAX_SECONDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningGrace(u32);

impl SigningGrace {
    /// 7 days.
    pub const MAX_SECONDS: u32 = 7 * 24 * 3600;
    /// The tab's default: 24 hours.
    pub const DEFAULT: Self = Self(24 * 3600);
    /// The tab's choices, with their labels.
    pub const CHOICES: [(Self, &'static str); 4] = [
        (Self(0), "None: the old secret stops now"),
        (Self(3600), "1 hour"),
        (Self(24 * 3600), "24 hours"),
        (Self(Self::MAX_SECONDS), "7 days"),
    ];

    /// `seconds` when within 0 to 7 days.
    pub fn from_seconds(seconds: i64) -> Result<Self, String> {
        u32::try_from(seconds)
            .ok()
            .filter(|s| *s <= Self::MAX_SECONDS)
            .map(Self)
            .ok_or_else(|| {
                format!(
                    "The grace period is 0 to {} seconds (7 days); {seconds} is not.",
                    Self::MAX_SECONDS
                )
            })
    }

    /// A form's value (seconds as text).
    pub fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse::<i64>()
            .map_err(|_| "Choose a grace period from the list.".to_owned())
            .and_then(Self::from_seconds)
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    /// `1 hour`, `24 hours`, `7 days`, `none`, or seconds.
    pub fn describe(self) -> String {
        match self.0 {
            0 => "none".to_owned(),
            s if s % 86_400 == 0 => plural(s / 86_400, "day"),
            s if s % 3600 == 0 => plural(s / 3600, "hour"),
            s if s % 60 == 0 => plural(s / 60, "minute"),
            s => plural(s, "second"),
        }
    }
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::SigningGrace;

    #[test]
    fn takes_0_to_7_days_and_nothing_else() {
        assert_eq!(
            SigningGrace::from_seconds(0).map(SigningGrace::seconds),
            Ok(0)
        );
        assert_eq!(
            SigningGrace::from_seconds(604_800).map(SigningGrace::seconds),
            Ok(604_800)
        );
        for bad in [-1, 604_801, i64::MAX] {
            let refused = SigningGrace::from_seconds(bad).expect_err("out of range");
            assert!(refused.contains("0 to 604800 seconds"), "{refused}");
        }
        assert!(SigningGrace::parse("soon").is_err());
        assert_eq!(
            SigningGrace::parse(" 3600 ").map(SigningGrace::describe),
            Ok("1 hour".to_owned())
        );
        assert_eq!(SigningGrace::DEFAULT.describe(), "1 day");
        assert_eq!(SigningGrace::CHOICES.len(), 4);
    }
}
