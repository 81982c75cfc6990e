//! A receiver that echoes the request: the credential it sent back is
//! redacted from what is kept and shown, in every common escaping.

use super::*;

/// The forms in which a request's credential could come back in an answer:
/// the secret itself, and the `Authorization` value built from it, each as
/// sent and as common echo code escapes it (JSON, with `/` escaped as PHP
/// does or `+`, `&`, `<`, `>`, `'` as \uXXXX as .NET does; percent-encoded).
/// Too short a secret (under 4 characters) would match all over any text.
pub(super) fn credential_forms(credentials: &Credentials, headers: &[CustomHeader]) -> Vec<String> {
    let mut forms = raw_credential_forms(credentials);
    // A secret custom header's value is a credential too.
    forms.extend(
        headers
            .iter()
            .filter(|h| h.secret)
            .map(|h| h.value.expose_secret().to_owned()),
    );
    let mut all = Vec::new();
    for form in forms {
        let json = serde_json::to_string(&form).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned();
        let php = json.replace('/', "\\/");
        let dotnet: String = json
            .chars()
            .map(|c| match c {
                '+' | '&' | '<' | '>' | '\'' => format!("\\u{:04X}", u32::from(c)),
                c => c.to_string(),
            })
            .collect();
        let percent: String = url::form_urlencoded::byte_serialize(form.as_bytes()).collect();
        let percent_space = percent.replace('+', "%20");
        all.extend([form, json, php, dotnet, percent, percent_space]);
    }
    all.retain(|f| f.len() >= 4);
    // Longest first: a form that contains another is replaced whole.
    all.sort_by_key(|f| std::cmp::Reverse(f.len()));
    all.dedup();
    all
}

pub(super) fn raw_credential_forms(credentials: &Credentials) -> Vec<String> {
    let mut forms = Vec::new();
    match credentials {
        Credentials::None => {}
        Credentials::Basic { username, password } | Credentials::Digest { username, password } => {
            let password = password.expose_secret();
            forms.push(password.to_owned());
            if matches!(credentials, Credentials::Basic { .. }) {
                forms.push(
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}")),
                );
            }
        }
        Credentials::Bearer { token } => forms.push(token.expose_secret().to_owned()),
    }
    forms
}

/// A receiver that echoes the request (many test receivers do) must not
/// make its credential readable wherever the answer is kept or shown: each
/// occurrence in the headers and body becomes `[redacted]`, and a body cut
/// at the size limit loses a trailing start of one too.
pub fn redact_echoed_credential(
    received: &mut Received,
    credentials: &Credentials,
    headers: &[CustomHeader],
) {
    const MARK: &str = "[redacted]";
    for form in credential_forms(credentials, headers) {
        for (_, value) in &mut received.headers {
            if value.contains(&form) {
                *value = value.replace(&form, MARK);
            }
        }
        if received.body.contains(&form) {
            received.body = received.body.replace(&form, MARK);
        }
        if received.body_truncated {
            let cut = (4..form.len())
                .rev()
                .filter(|&n| form.is_char_boundary(n))
                .find(|&n| received.body.ends_with(&form[..n]));
            if let Some(n) = cut {
                received.body.truncate(received.body.len() - n);
                received.body.push_str(MARK);
            }
        }
    }
}
