//! My account as its page sees it.

use serde::{Deserialize, Serialize};

use crate::{domain::Role, two_factor::TwoFactorView};

/// One of my signed-in sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// "Firefox on Linux", from the browser's own description.
    pub device: String,
    pub address: Option<String>,
    /// RFC 3339, UTC.
    pub signed_in_at: Option<String>,
    pub last_seen_at: Option<String>,
    /// The session this page was loaded in.
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    pub tenant_name: String,
    pub username: String,
    pub role: Role,
    pub sessions: Vec<SessionView>,
    pub two_factor: TwoFactorView,
    /// Their company requires two-factor sign-in and it is not set up yet.
    pub must_enrol: bool,
    /// The confirmed address: where reset links and notices go.
    pub email: Option<String>,
    /// A new address waiting for its emailed link to be used.
    pub pending_email: Option<PendingEmail>,
    /// This server sends email.
    pub mail_on: bool,
    /// They are emailed when a section fails or recovers (administrators).
    pub delivery_alerts: bool,
}

/// A new address waiting for confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEmail {
    pub address: String,
    /// When its link stops working, RFC 3339 UTC.
    pub expires_at: String,
    /// The link no longer works (the address can be saved again).
    pub expired: bool,
}

/// Said the same for every reason a confirmation link does not work.
pub const EMAIL_LINK_CLOSED: &str = "This confirmation link no longer works: it was used, replaced by a newer one, cancelled, ended by a password change, or is more than 24 hours old. Save the address again in My account for a new link.";

/// The confirmation link's page: whose address it confirms, or that it
/// no longer works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailLink {
    /// The signed-in member's own link: the address it confirms.
    Open {
        address: String,
    },
    /// A working link of another account than the one signed in.
    OtherAccount,
    Closed,
}

/// Said when the signed-in member is not the link's account.
pub const EMAIL_LINK_OTHER_ACCOUNT: &str = "This link confirms the address of another account than the one you are signed in with. Sign out, then sign in as the account that asked for this address and open the link again.";

/// A refused email change, per field (the password is never sent back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailEcho {
    pub email: String,
    pub current_error: Option<String>,
    pub email_error: Option<String>,
}

/// A refused password change, per field (nothing typed is sent back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordEcho {
    pub current_error: Option<String>,
    pub new_error: Option<String>,
    pub message: Option<String>,
}

/// A browser's `User-Agent` in a few words: the browser and the system.
/// (A handful of well-known markers is all a session list needs; unknown
/// agents are shown as they are, shortened.)
pub fn describe_agent(agent: Option<&str>) -> String {
    let Some(agent) = agent.filter(|a| !a.trim().is_empty()) else {
        return "Unknown device".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome (headless)"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => agent.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_agent;

    #[test]
    fn agents_are_told_as_browser_and_system() {
        assert_eq!(
            describe_agent(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
            )),
            "Firefox on Linux"
        );
        assert_eq!(
            describe_agent(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0")),
            "Edge on Windows"
        );
        assert_eq!(
            describe_agent(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1")),
            "Safari on iOS"
        );
        assert_eq!(describe_agent(None), "Unknown device");
        assert_eq!(describe_agent(Some("my-script/2")), "my-script/2");
    }
}
