//! The letters eventurl sends, as plain text. None carries a password,
//! a webhook secret or an API token; a one-time link is the only key.

use crate::domain::{EndpointKind, Role};

/// One message to one address.
#[derive(Clone, PartialEq, Eq)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The body may hold a one-time link: left out.
impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

const SIGNATURE: &str = "\n-- \neventurl: where your PBX posts its webhook events.\n";

/// An invitation to join a tenant.
pub fn invitation(
    to: &str,
    tenant: &str,
    invited_by: &str,
    role: Role,
    link: &str,
    hours: i64,
) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: format!("You are invited to manage {tenant} on eventurl"),
        body: format!(
            "Hello,\n\n{invited_by} invites you to join {tenant} on eventurl as {role}.\n\n\
             Open this link to choose your username and password:\n\n{link}\n\n\
             The link works once, for {hours} hours. If you did not expect this \
             invitation, ignore this message.\n{SIGNATURE}",
            role = role.label().to_lowercase(),
        ),
    }
}

/// A password reset link, asked for on the sign-in page.
pub fn password_reset(to: &str, username: &str, link: &str, minutes: i64) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: "Reset your eventurl password".to_owned(),
        body: format!(
            "Hello {username},\n\nSomeone (we hope you) asked to reset the password of \
             the eventurl account {username}. Open this link to choose a new one:\n\n\
             {link}\n\nThe link works once, for {minutes} minutes. Using it signs \
             you out everywhere and revokes your API tokens (make new ones in \
             Company → API tokens). Your password stays as it is until you use it; \
             if you did not ask, ignore this message.\n{SIGNATURE}"
        ),
    }
}

/// A link confirming a member's new address, sent to that address. (No
/// username: whoever reads it must sign in as the account to confirm.)
pub fn confirm_email(to: &str, link: &str, hours: i64) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: "Confirm your eventurl email address".to_owned(),
        body: format!(
            "Hello,\n\nAn eventurl account asked to use this address for password reset \
             links and notices. Open this link, signed in as that account, and confirm:\n\n\
             {link}\n\nThe link works once, for {hours} hours. Until it is used, nothing \
             else is sent here; if you did not ask, ignore this message.\n{SIGNATURE}"
        ),
    }
}

/// Told to the confirmed address when a change away from it is asked for.
pub fn address_change_requested(to: &str, username: &str, new: &str) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: "A change of your eventurl email address was asked for".to_owned(),
        body: format!(
            "Hello {username},\n\nSomeone signed in as the eventurl account {username} asked \
             to change its email address to {new}. It changes only once confirmed from that \
             address; until then reset links and notices keep coming here.\n\nIf you did not \
             ask, sign in, choose Cancel change in My account, and change your password.\n{SIGNATURE}"
        ),
    }
}

/// What an alert letter about a section says beside its own news: where
/// it delivers, its last error, and the link to its deliveries.
#[derive(Clone, Debug)]
pub struct SectionAlert<'a> {
    pub tenant: &'a str,
    pub section: EndpointKind,
    pub url: &'a str,
    pub last_error: &'a str,
    /// The section's Deliveries (on the public address), if configured.
    pub link: Option<&'a str>,
}

impl SectionAlert<'_> {
    /// The letter's end: the last error (for a failure), the link, how
    /// to stop these emails.
    fn footer(&self, with_error: bool) -> String {
        let link = self.link.map_or_else(
            || "the Deliveries tab (Company → Deliveries)".to_owned(),
            |link| format!("its deliveries: {link}"),
        );
        let error = if with_error {
            format!("Last error: {}\n\n", self.last_error)
        } else {
            String::new()
        };
        format!(
            "{error}Each attempt's answer is on {link}\n\n\
             You get these emails as an administrator of {}; switch them off \
             under My account.\n{SIGNATURE}",
            self.tenant
        )
    }
}

/// A section paused after its last events were all given up.
pub fn auto_paused(to: &str, alert: &SectionAlert<'_>, given_up: i32) -> Letter {
    let held = if alert.section == EndpointKind::Cdr {
        "New CDR events are held until it is enabled again."
    } else {
        "Extension events are skipped until it is enabled again."
    };
    Letter {
        to: to.to_owned(),
        subject: format!(
            "{}: {} paused automatically",
            alert.tenant,
            alert.section.title()
        ),
        body: format!(
            "Hello,\n\neventurl paused delivery of {tenant}'s {section} to {url}: its last \
             {given_up} events were all given up after every retry. {held}\n\n\
             Check the receiver, then enable the section again under Company → Event URL.\n\n{footer}",
            tenant = alert.tenant,
            section = alert.section.title(),
            url = alert.url,
            footer = alert.footer(true),
        ),
    }
}

/// A section whose attempts have all failed for `failing_for` (in words).
pub fn delivery_failing(to: &str, alert: &SectionAlert<'_>, failing_for: &str) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: format!("{}: {} failing", alert.tenant, alert.section.title()),
        body: format!(
            "Hello,\n\nNothing has been delivered to {tenant}'s {section} receiver at {url} \
             for {failing_for}: every attempt failed. eventurl keeps retrying each event \
             by PortSIP's rules, and pauses the section if its events keep being given \
             up.\n\n{footer}",
            tenant = alert.tenant,
            section = alert.section.title(),
            url = alert.url,
            footer = alert.footer(true),
        ),
    }
}

/// A section that was alerted on delivers again.
pub fn delivery_recovered(to: &str, alert: &SectionAlert<'_>) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: format!(
            "{}: {} delivering again",
            alert.tenant,
            alert.section.title()
        ),
        body: format!(
            "Hello,\n\n{tenant}'s {section} receiver at {url} accepted an event again: \
             delivery has recovered. Events given up meanwhile can be sent again from \
             the Deliveries tab.\n\n{footer}",
            tenant = alert.tenant,
            section = alert.section.title(),
            url = alert.url,
            footer = alert.footer(false),
        ),
    }
}

/// A section's credential (password or token) set, replaced or removed.
pub fn credential_changed(
    to: &str,
    tenant: &str,
    section: EndpointKind,
    what: &str,
    by: &str,
) -> Letter {
    Letter {
        to: to.to_owned(),
        subject: format!("{tenant}: the {} credential changed", section.title()),
        body: format!(
            "Hello,\n\n{by} changed the credential of {tenant}'s {section}: {what}.\n\n\
             If this was not expected, sign in, check Company → Activity and replace \
             the credential under Company → Event URL.\n{SIGNATURE}",
            section = section.title(),
        ),
    }
}

/// Told to the old address when a member's address changes (or goes).
pub fn address_changed(to: &str, username: &str, new: Option<&str>) -> Letter {
    let now = match new {
        Some(address) => format!("Password reset links and notices now go to {address}."),
        None => "The account has no email address now.".to_owned(),
    };
    Letter {
        to: to.to_owned(),
        subject: "Your eventurl email address changed".to_owned(),
        body: format!(
            "Hello {username},\n\nThe email address of the eventurl account {username} was \
             changed. {now}\n\nIf you did not do this, sign in and change your password, or \
             ask an administrator of your company for help.\n{SIGNATURE}"
        ),
    }
}
