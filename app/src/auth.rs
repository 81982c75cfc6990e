//! Signing in and out: the login page, password hashing, who the session
//! belongs to, and the guard that sends anonymous visitors to `/login`.

#[cfg(feature = "ssr")]
pub mod current_admin;
#[cfg(feature = "ssr")]
pub mod current_operator;
#[cfg(feature = "ssr")]
pub mod guard;
mod login;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
mod signed_in;
#[cfg(feature = "ssr")]
pub mod throttle;

#[cfg(feature = "ssr")]
pub use current_admin::{Administrator, CurrentAdmin, ViewerOnly};
#[cfg(feature = "ssr")]
pub use current_operator::{signed_in_operator, CurrentOperator};
pub use login::{LoginEcho, LoginPage};
#[cfg(feature = "ssr")]
pub use signed_in::{signed_in, signed_in_administrator};

use crate::paths::{HOME, LOGIN, PROVIDER_PREFIX, PROVIDER_TENANTS};

/// Only local absolute paths are followed after sign-in (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local && !next.starts_with(LOGIN) {
        next
    } else {
        HOME
    }
}

/// Where an operator goes after signing in: `next` when it is a console
/// page, else Tenants (a tenant's page is not theirs).
pub fn operator_next(next: &str) -> &str {
    let next = safe_next(next);
    if next.starts_with(PROVIDER_PREFIX) {
        next
    } else {
        PROVIDER_TENANTS
    }
}

/// `/login`, remembering where to go after signing in.
pub fn login_path(next: &str) -> String {
    if next.is_empty() {
        return LOGIN.to_owned();
    }
    path_with_next(LOGIN, next)
}

/// `base?next=…`, `next` percent-encoded (slashes kept, readable).
pub fn path_with_next(base: &str, next: &str) -> String {
    let mut path = format!("{base}?next=");
    for b in next.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::{login_path, safe_next};

    #[test]
    fn the_login_path_carries_next_percent_encoded() {
        assert_eq!(login_path(""), "/login");
        assert_eq!(
            login_path("/company/event-url?a=1&b"),
            "/login?next=/company/event-url%3Fa%3D1%26b"
        );
    }

    #[test]
    fn next_is_followed_only_to_local_paths() {
        assert_eq!(
            safe_next("/company/event-url?x=1"),
            "/company/event-url?x=1"
        );
        for unsafe_next in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "",
            "javascript:x",
            "/login",
        ] {
            assert_eq!(safe_next(unsafe_next), super::HOME, "{unsafe_next}");
        }
    }
}
