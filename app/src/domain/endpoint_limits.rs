//! A section's limits on its receiver: attempts under way at once, and
//! attempts started in any one second. eventurl never exceeds either for
//! that endpoint (the delivery worker's lanes enforce them; one instance at
//! a time delivers an endpoint, see `delivery::queue::claim`).

use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

use super::{Field, FieldErrors};

/// What `max_concurrency` may be.
pub const CONCURRENCY: RangeInclusive<u32> = 1..=64;
/// What `max_per_second` may be.
pub const PER_SECOND: RangeInclusive<u32> = 1..=10_000;
/// `max_concurrency` when none was chosen.
pub const DEFAULT_CONCURRENCY: u32 = 8;

/// Limits that passed the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointLimits {
    max_concurrency: u32,
    max_per_second: Option<u32>,
}

impl Default for EndpointLimits {
    fn default() -> Self {
        Self {
            max_concurrency: DEFAULT_CONCURRENCY,
            max_per_second: None,
        }
    }
}

/// The limits as typed (the form's text fields; empty is the default).
#[derive(Clone, Copy, Debug)]
pub struct LimitsInput<'a> {
    pub max_concurrency: &'a str,
    pub max_per_second: &'a str,
}

impl EndpointLimits {
    /// Limits as stored: a value outside the ranges (a row written by hand)
    /// is brought into them, never past them.
    pub fn from_stored(max_concurrency: i64, max_per_second: Option<i64>) -> Self {
        let clamp = |v: i64, range: &RangeInclusive<u32>| {
            u32::try_from(v.clamp(i64::from(*range.start()), i64::from(*range.end())))
                .unwrap_or(*range.start())
        };
        Self {
            max_concurrency: clamp(max_concurrency, &CONCURRENCY),
            max_per_second: max_per_second.map(|v| clamp(v, &PER_SECOND)),
        }
    }

    /// Parses the form's fields, each refusal by its field.
    pub fn parse(input: LimitsInput<'_>, errors: &mut FieldErrors) -> Option<Self> {
        let concurrency = match input.max_concurrency.trim() {
            "" => Some(DEFAULT_CONCURRENCY),
            typed => in_range(typed, &CONCURRENCY).or_else(|| {
                errors.add(
                    Field::MaxConcurrency,
                    "Enter a whole number of requests from 1 to 64.",
                );
                None
            }),
        };
        let per_second = match input.max_per_second.trim() {
            "" => Some(None),
            typed => in_range(typed, &PER_SECOND).map(Some).or_else(|| {
                errors.add(
                    Field::MaxPerSecond,
                    "Enter a whole number of requests from 1 to 10,000, or leave it empty for no limit.",
                );
                None
            }),
        };
        Some(Self {
            max_concurrency: concurrency?,
            max_per_second: per_second?,
        })
    }

    /// Most attempts under way at once.
    pub fn max_concurrency(self) -> u32 {
        self.max_concurrency
    }

    /// Most attempts started in any one second; `None`: no limit.
    pub fn max_per_second(self) -> Option<u32> {
        self.max_per_second
    }

    /// The form's two fields for these limits.
    pub fn fields(self) -> (String, String) {
        (
            self.max_concurrency.to_string(),
            self.max_per_second
                .map(|n| n.to_string())
                .unwrap_or_default(),
        )
    }

    /// In words, for Activity and the read-only view: "8 at once, no rate
    /// limit" / "1 at once, 5 a second".
    pub fn describe(self) -> String {
        let rate = match self.max_per_second {
            None => "no rate limit".to_owned(),
            Some(n) => format!("{n} a second"),
        };
        format!("{} at once, {rate}", self.max_concurrency)
    }
}

fn in_range(typed: &str, range: &RangeInclusive<u32>) -> Option<u32> {
    typed.parse::<u32>().ok().filter(|n| range.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(max_concurrency: &str, max_per_second: &str) -> Result<EndpointLimits, Vec<Field>> {
        let mut errors = FieldErrors::default();
        let limits = EndpointLimits::parse(
            LimitsInput {
                max_concurrency,
                max_per_second,
            },
            &mut errors,
        );
        match limits {
            Some(limits) if errors.is_empty() => Ok(limits),
            _ => Err(errors.iter().map(|(f, _)| f).collect()),
        }
    }

    #[test]
    fn empty_fields_are_the_defaults() {
        assert_eq!(parse("", ""), Ok(EndpointLimits::default()));
        assert_eq!(
            EndpointLimits::default().describe(),
            "8 at once, no rate limit"
        );
    }

    #[test]
    fn the_ranges_are_inclusive_and_each_refusal_names_its_field() {
        let ok = parse("1", "10000").unwrap();
        assert_eq!(
            (ok.max_concurrency(), ok.max_per_second()),
            (1, Some(10_000))
        );
        assert_eq!(
            parse(" 64 ", "1").unwrap().describe(),
            "64 at once, 1 a second"
        );
        for bad in ["0", "65", "-1", "8.5", "eight", "99999999999"] {
            assert_eq!(parse(bad, ""), Err(vec![Field::MaxConcurrency]), "{bad}");
        }
        for bad in ["0", "10001", "-5", "1e3"] {
            assert_eq!(parse("8", bad), Err(vec![Field::MaxPerSecond]), "{bad}");
        }
        assert_eq!(
            parse("0", "0"),
            Err(vec![Field::MaxConcurrency, Field::MaxPerSecond])
        );
    }

    #[test]
    fn stored_values_out_of_range_are_brought_into_it() {
        let limits = EndpointLimits::from_stored(0, Some(50_000));
        assert_eq!(
            (limits.max_concurrency(), limits.max_per_second()),
            (1, Some(10_000))
        );
        assert_eq!(EndpointLimits::from_stored(500, None).max_concurrency(), 64);
        let fields = EndpointLimits::from_stored(3, Some(7)).fields();
        assert_eq!(fields, ("3".to_owned(), "7".to_owned()));
    }
}
