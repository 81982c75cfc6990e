//! Why no answer came back, in the words the verdict needs.

use super::*;

/// Finds our own resolver errors, refused connections and certificate
/// problems in the error's cause chain.
pub(super) fn classify_error(
    error: &reqwest::Error,
    url: &reqwest::Url,
    timeout: Duration,
) -> Failure {
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(0);
    // `io::Error::source` skips the error it wraps, so step into it instead.
    let mut chain = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        chain.push(e);
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    for e in &chain {
        if let Some(target) = e.downcast_ref::<TargetError>() {
            return match target {
                TargetError::Blocked { addr, reason } => {
                    // The operator's log may name it; the tenant's report does not.
                    tracing::info!(%host, %addr, reason = reason.describe(), "send refused: the name resolves to a special-purpose address");
                    Failure::Blocked {
                        host,
                        named: true,
                        reason: *reason,
                    }
                }
                TargetError::NotFound => Failure::NameNotFound { host },
            };
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Failure::Tls(tls_problem(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return Failure::Refused { host, port };
            }
        }
    }
    // The deepest cause is the most specific (the outer ones repeat the URL).
    let detail = chain
        .last()
        .map(ToString::to_string)
        .unwrap_or_else(|| error.to_string());
    if error.is_timeout() {
        Failure::TimedOut { after: timeout }
    } else if detail.contains("certificate") {
        Failure::Tls(TlsProblem::Other(detail))
    } else if error.is_connect() {
        Failure::Connect { detail }
    } else {
        Failure::Other { detail }
    }
}

pub(super) fn tls_problem(error: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHost,
            C::UnknownIssuer => TlsProblem::UntrustedIssuer,
            C::Revoked => TlsProblem::Revoked,
            // A self-signed certificate (openssl's default marks it a CA).
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                TlsProblem::UntrustedIssuer
            }
            other => TlsProblem::Other(format!("{other:?}")),
        },
        other => TlsProblem::Other(other.to_string()),
    }
}
