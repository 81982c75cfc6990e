//! From an exchange to the words the admin reads: the verdict in the PBX's
//! terms, one sentence of what happened, and what to fix.

use crate::{
    domain::{AuthMethod, Verdict},
    sender::{DigestRound, Exchange, Failure, TlsProblem},
};

pub struct Judgement {
    pub verdict: Verdict,
    pub summary: String,
    pub help: Vec<String>,
    pub digest_note: Option<String>,
}

pub fn judge(exchange: &Exchange, method: AuthMethod, host: &str) -> Judgement {
    let digest_note = match (&exchange.digest, &exchange.response) {
        (Some(round), _) => Some(digest_note(round)),
        (None, Some(response)) if method == AuthMethod::Digest => Some(format!(
            "Digest: the receiver did not ask for credentials; it answered {} to the first request, which carried none.",
            response.status
        )),
        (None, _) => None,
    };
    if let Some(failure) = &exchange.failure {
        let (verdict, summary, help) = judge_failure(failure);
        return Judgement {
            verdict,
            summary,
            help,
            digest_note,
        };
    }
    let Some(response) = &exchange.response else {
        return Judgement {
            verdict: Verdict::Retry,
            summary: "Not delivered: no response was recorded.".to_owned(),
            help: Vec::new(),
            digest_note,
        };
    };
    let status = response.status;
    let status_text = format!("{status} {}", response.reason).trim().to_owned();
    let verdict = Verdict::of_status(status);
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut help = Vec::new();
    let summary = match status {
        200 => {
            format!("Delivered: {host} answered {status_text}, which the PBX counts as delivered.")
        }
        404 => {
            help.push(
                "Check the path in the URL: the receiver has nothing there. The PBX gives up on an event that gets 404, so such events are lost."
                    .to_owned(),
            );
            format!("Not delivered: {host} answered {status_text}. The PBX would stop retrying this event.")
        }
        201..=299 => {
            help.push("Make the receiver answer 200 OK to each event: the PBX counts only 200 as delivered.".to_owned());
            format!("The event reached {host}, which answered {status_text}, not 200: the PBX would retry it.")
        }
        300..=399 => {
            match header("location") {
                Some(location) => help.push(format!(
                    "Use the final URL instead. The receiver pointed to {location}."
                )),
                None => {
                    help.push("Use the final URL instead of the one that redirects.".to_owned())
                }
            }
            format!("Not delivered: {host} answered {status_text}, a redirect. Redirects are not followed, so the PBX would retry and never reach the receiver.")
        }
        401 | 403 => {
            help.push(credentials_help(
                method,
                exchange.digest.as_ref(),
                header("www-authenticate"),
            ));
            format!("Not delivered: {host} answered {status_text}: it rejected the credentials. The PBX would retry and be rejected again.")
        }
        500..=599 => {
            help.push("The receiver failed while handling the event. Check its logs; the PBX would retry later.".to_owned());
            format!("Not delivered: {host} answered {status_text}, a server error. The PBX would retry.")
        }
        _ => {
            help.push("The receiver refused the request. Check what it expects (path, content type, size) in its logs.".to_owned());
            format!("Not delivered: {host} answered {status_text}. The PBX would retry.")
        }
    };
    Judgement {
        verdict,
        summary,
        help,
        digest_note,
    }
}

fn digest_note(round: &DigestRound) -> String {
    match (&round.answered, &round.problem) {
        (_, Some(problem)) => format!("Digest: {problem}."),
        (Some((algorithm, realm, qop)), None) => {
            let qop = qop.map_or("none (RFC 2069)".to_owned(), str::to_owned);
            let stale = if round.stale_retried {
                " The first nonce had expired (stale); answered the new challenge once."
            } else {
                ""
            };
            format!(
                "Digest: answered the {algorithm} challenge of realm \"{realm}\" with qop {qop}.{stale}"
            )
        }
        (None, None) => "Digest: no challenge was answered.".to_owned(),
    }
}

fn credentials_help(
    method: AuthMethod,
    digest: Option<&DigestRound>,
    challenge: Option<String>,
) -> String {
    let offered = challenge
        .map(|c| format!(" The receiver asks for: {c}."))
        .unwrap_or_default();
    match method {
        AuthMethod::Disable => format!(
            "The receiver requires authentication: choose the method it expects and enter its credentials.{offered}"
        ),
        AuthMethod::Basic => format!(
            "Check the username and password, and that the receiver expects Basic authentication.{offered}"
        ),
        AuthMethod::Bearer => format!(
            "Check the bearer token, and that the receiver expects Bearer authentication.{offered}"
        ),
        AuthMethod::Digest => match digest {
            Some(DigestRound {
                problem: Some(problem),
                ..
            }) => format!("Digest authentication could not proceed: {problem}."),
            Some(DigestRound {
                answered: Some((algorithm, realm, _)),
                ..
            }) => format!(
                "The receiver rejected our answer to its {algorithm} challenge (realm \"{realm}\"): check the username and password."
            ),
            _ => format!("Check the username and password.{offered}"),
        },
    }
}

fn judge_failure(failure: &Failure) -> (Verdict, String, Vec<String>) {
    match failure {
        Failure::Blocked { host, named: true, .. } => (
            Verdict::NotSent,
            format!("Not sent: the name {host} points to a private or special-purpose address. For safety, test events go only to public addresses."),
            vec!["Use the receiver's public URL. If your PBX is on-premises and its receivers are on your own network, ask your eventurl operator to allow that address range (EVENTURL_ALLOW_PRIVATE_TARGETS).".to_owned()],
        ),
        Failure::Blocked { host, named: false, reason } => (
            Verdict::NotSent,
            format!("Not sent: {host} is {reason}. For safety, test events go only to public addresses."),
            vec!["Use the receiver's public URL. If your PBX is on-premises and its receivers are on your own network, ask your eventurl operator to allow that address range (EVENTURL_ALLOW_PRIVATE_TARGETS).".to_owned()],
        ),
        Failure::NameNotFound { host } => (
            Verdict::Retry,
            format!("Not delivered: the host name {host} was not found in DNS. The PBX would retry and fail the same way."),
            vec!["Check the spelling of the host name, and that it is published in public DNS, not only on an internal network.".to_owned()],
        ),
        Failure::Refused { host, port } => (
            Verdict::Retry,
            format!("Not delivered: {host} refused the connection on port {port}. The PBX would retry."),
            vec![format!("Nothing is listening on port {port}, or a firewall rejects the connection. Check the port in the URL and that the receiver is running.")],
        ),
        Failure::Tls(problem) => {
            let (what, fix) = match problem {
                TlsProblem::Expired => ("the receiver's certificate has expired", "Renew the certificate on the receiver."),
                TlsProblem::NotYetValid => ("the receiver's certificate is not valid yet", "Check the receiver's certificate dates and its clock."),
                TlsProblem::WrongHost => ("the receiver's certificate was issued for another host name", "Use the host name the certificate covers, or install a certificate for this name."),
                TlsProblem::UntrustedIssuer => ("the receiver's certificate is not signed by a trusted authority (self-signed, or intermediate certificates missing)", "Use a certificate from a public certificate authority and serve the full chain."),
                TlsProblem::Revoked => ("the receiver's certificate has been revoked", "Install a new certificate on the receiver."),
                TlsProblem::Other(_) => ("the secure (TLS) connection failed", "Check the receiver's HTTPS set-up, for example with an online SSL checker."),
            };
            let detail = match problem {
                TlsProblem::Other(detail) => format!(" ({detail})"),
                _ => String::new(),
            };
            (
                Verdict::Retry,
                format!("Not delivered: {what}{detail}. The PBX would retry and fail the same way."),
                vec![fix.to_owned()],
            )
        }
        Failure::TimedOut { after } => (
            Verdict::Retry,
            format!("Not delivered: no answer within {} s. The PBX would retry.", after.as_secs()),
            vec!["The receiver is too slow or unreachable; a firewall that silently drops connections looks the same. Answer 200 at once and process events afterwards.".to_owned()],
        ),
        Failure::Connect { detail } => (
            Verdict::Retry,
            format!("Not delivered: could not connect ({detail}). The PBX would retry."),
            vec!["Check the host and port in the URL, and that the receiver is reachable from the internet.".to_owned()],
        ),
        Failure::Other { detail } => (
            Verdict::Retry,
            format!("Not delivered: {detail}. The PBX would retry."),
            Vec::new(),
        ),
    }
}
