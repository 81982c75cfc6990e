//! What a member of a tenant may do.

use serde::{Deserialize, Serialize};

/// A member's role in their tenant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: settings, delivery, test events, redelivery, tokens and
    /// people.
    Administrator,
    /// Sees settings, activity and deliveries; changes nothing. The
    /// default, so that a role left unsaid grants nothing.
    #[default]
    Viewer,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Administrator, Role::Viewer];

    /// As stored and as forms send it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input.trim() {
            "administrator" => Some(Role::Administrator),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Viewer => "Viewer",
        }
    }

    /// What the role allows, in a sentence for the invite form.
    pub fn description(self) -> &'static str {
        match self {
            Role::Administrator => {
                "Changes settings, delivery, test events, redelivery, API tokens and people."
            }
            Role::Viewer => "Sees settings, activity and deliveries; changes nothing.",
        }
    }

    /// Whether the role may change anything of the tenant.
    pub fn may_manage(self) -> bool {
        self == Role::Administrator
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_read_back_what_they_store_and_only_administrators_manage() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Role::parse(""), None);
        assert!(Role::Administrator.may_manage());
        assert!(!Role::Viewer.may_manage());
    }
}
