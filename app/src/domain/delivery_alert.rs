//! A section whose deliveries are in trouble, as every signed-in page's
//! banner and the section's header say it.

use serde::{Deserialize, Serialize};

use super::EndpointKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertKind {
    /// Its last `count` attempts failed.
    Failing,
    /// Paused automatically: its last `count` events were all given up.
    AutoPaused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAlert {
    pub section: EndpointKind,
    pub kind: AlertKind,
    pub count: u32,
}

impl DeliveryAlert {
    /// From the stored form `failing:7` / `auto_paused:50`.
    pub fn parse(section: EndpointKind, stored: &str) -> Option<Self> {
        let (kind, count) = stored.split_once(':')?;
        Some(Self {
            section,
            kind: match kind {
                "failing" => AlertKind::Failing,
                "auto_paused" => AlertKind::AutoPaused,
                _ => return None,
            },
            count: count.trim().parse().ok()?,
        })
    }

    /// One sentence: what is wrong and what to do.
    pub fn message(&self) -> String {
        let title = self.section.title();
        match self.kind {
            AlertKind::Failing => format!(
                "{title} deliveries are failing: the last {} attempts did not get 200 OK from your receiver.",
                self.count
            ),
            AlertKind::AutoPaused => {
                let meanwhile = if self.section == EndpointKind::Cdr {
                    "New CDR events are held until you enable it again."
                } else {
                    "Extension events are not sent until you enable it again."
                };
                format!(
                    "{title} delivery was paused automatically: its last {} events were all given up. {meanwhile} Fix the receiver, then enable delivery on the Event URL tab.",
                    self.count
                )
            }
        }
    }

    /// The Deliveries view that shows the trouble (its path and query).
    pub fn deliveries_query(&self) -> String {
        match self.kind {
            AlertKind::Failing => format!("section={}", self.section.as_str()),
            AlertKind::AutoPaused => format!("section={}&state=given_up", self.section.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_alerts_read_back() {
        let alert = DeliveryAlert::parse(EndpointKind::Cdr, "auto_paused:50").unwrap();
        assert_eq!(alert.kind, AlertKind::AutoPaused);
        assert_eq!(alert.count, 50);
        assert!(alert.message().contains("last 50 events were all given up"));
        assert_eq!(
            DeliveryAlert::parse(EndpointKind::Extension, "failing:7").map(|a| a.kind),
            Some(AlertKind::Failing)
        );
        assert_eq!(DeliveryAlert::parse(EndpointKind::Cdr, "odd:1"), None);
        assert_eq!(DeliveryAlert::parse(EndpointKind::Cdr, "failing"), None);
    }
}
