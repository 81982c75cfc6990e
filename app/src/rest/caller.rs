//! Who calls the API: the token in `Authorization: Bearer`, checked on
//! every request against the database (a revoked or expired token is
//! refused at once, on every instance).

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{header, request::Parts, StatusCode},
};
use std::net::SocketAddr;

use super::{problem::Problem, ApiLimiter};
use crate::{
    api_tokens::{
        service::{authenticate, Presented},
        Scope,
    },
    auth::{throttle, Administrator, CurrentAdmin},
    client_ip::client_ip,
    state::AppState,
};

/// A live token's administrator and scope.
pub struct Caller {
    pub admin: CurrentAdmin,
    pub scope: Scope,
}

impl Caller {
    /// A write needs a read-and-write token of a member who is an
    /// administrator now: 403 otherwise.
    pub fn may_write(&self) -> Result<Administrator, Problem> {
        match self.scope {
            Scope::Write => self.admin.clone().administrator().map_err(|refusal| {
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "Viewer's token",
                    format!("This token acts for {:?}, whose role is Viewer: it may only read. {refusal}", self.admin.username),
                )
            }),
            Scope::Read => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Read-only token",
                "This token may only read; create one with the scope \"Read and write\" to change settings.",
            )),
        }
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
    ApiLimiter: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let limiter = ApiLimiter::from_ref(state);
        let state = AppState::from_ref(state);
        let refused = || {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "API token required",
                "Send `Authorization: Bearer <token>` with a live API token (Company → API tokens, or `eventurl api-token create`).",
            )
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme's name is case-insensitive (RFC 9110).
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(refused)?;
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| {
                client_ip(
                    &parts.headers,
                    peer.0,
                    state.config.client_ip_header.as_ref(),
                )
            });
        let too_many = |wait: u64| {
            Problem {
            retry_after: Some(wait),
            ..Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many unknown tokens",
                format!("Too many calls from this address with a token that is not a live one; try again in {wait} seconds."),
            )
        }
        };
        if let Some(wait) = ip.and_then(|ip| limiter.refused_for(ip)) {
            return Err(too_many(wait));
        }
        match authenticate(&state.db, &state.writes, presented, ip).await {
            Ok(Presented::Live { ref admin, .. }) if admin.must_enrol => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Two-factor sign-in required",
                format!(
                    "{:?}'s company requires two-factor sign-in, which they have not set up: their tokens are refused until they do (My account).",
                    admin.username
                ),
            )),
            Ok(Presented::Live {
                token_id,
                admin,
                scope,
            }) => match limiter.check(token_id) {
                Ok(()) => Ok(Caller { admin, scope }),
                Err(wait) => Err(Problem {
                    retry_after: Some(wait),
                    ..Problem::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too many requests",
                        format!(
                            "This token may make {} requests a minute; try again in {wait} seconds.",
                            limiter.limit()
                        ),
                    )
                }),
            },
            // Counted like a failed sign-in: over the limit, this address
            // is refused for a while (here at once, elsewhere at its next
            // unknown token) without its tokens being looked up.
            Ok(Presented::Refused) => match ip {
                Some(ip) => match throttle::unknown_api_token(&state.db, ip).await {
                    Ok(Ok(())) => Err(refused()),
                    Ok(Err(wait)) => {
                        limiter.refuse(ip, wait);
                        tracing::warn!(%ip, wait, "API calls refused: too many unknown tokens");
                        Err(too_many(wait))
                    }
                    Err(e) => Err(Problem::of(e.into(), "")),
                },
                None => Err(refused()),
            },
            Err(e) => Err(Problem::of(e.into(), "")),
        }
    }
}
