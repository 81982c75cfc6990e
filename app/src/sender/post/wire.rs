//! The request and answer as they cross the wire: the request target, the
//! challenges read, a Digest header redacted, the answer's body read within
//! its limit.

use super::*;

/// Status, headers and the first `RESPONSE_BODY_LIMIT` bytes of the body.
pub(super) async fn read(
    mut response: reqwest::Response,
    url: &reqwest::Url,
    timeout: Duration,
) -> Result<Received, Failure> {
    let status = response.status();
    let remote_addr = response.remote_addr();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = if name == header::SET_COOKIE {
                "[not shown]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| classify_error(&e, url, timeout))?
    {
        let room = RESPONSE_BODY_LIMIT - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        body_truncated: truncated,
        remote_addr,
    })
}

pub(super) fn www_authenticate(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// Path and query exactly as in the request line: Digest's `uri`.
pub(super) fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A Digest `Authorization` value with its `response` hash hidden.
pub(super) fn redact_digest(header: &str) -> String {
    match header.find("response=\"") {
        Some(start) => {
            let value_start = start + "response=\"".len();
            let end = header[value_start..]
                .find('"')
                .map_or(header.len(), |e| value_start + e);
            format!("{}[redacted]{}", &header[..value_start], &header[end..])
        }
        None => "Digest [redacted]".to_owned(),
    }
}

/// The attempt's Standard Webhooks headers, made now.
pub(super) fn signed(outgoing: &Outgoing) -> Result<Signed, Failure> {
    outgoing
        .signing
        .headers(&outgoing.event_id, outgoing.body.as_bytes())
        .map_err(|e| Failure::Other {
            detail: format!("the request could not be signed: {e:#}"),
        })
}
