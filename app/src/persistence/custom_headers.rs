//! A section's custom headers as stored: the list (names, shown values,
//! which are secret) as JSON in `custom_headers`, and the secret values
//! sealed together in `header_secrets`, bound to the tenant and section.
//! Like a credential, a secret value is only ever opened for the URL it
//! was saved with.

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;

use super::{crypto::SecretCipher, entities::endpoint};
use crate::{
    domain::{
        EndpointKind, EndpointUrl, HeaderDraft, HeaderValueDraft, SavedHeader, SavedSection,
        SecretInput,
    },
    sender::CustomHeader,
};

/// The associated data the secret values are sealed with.
fn context(tenant_id: i32, kind: EndpointKind) -> String {
    format!(
        "eventurl/v1/tenant/{tenant_id}/endpoint/{}/headers",
        kind.as_str()
    )
}

/// The row's headers as saved (a secret one without its value).
pub fn saved_headers_of(row: &endpoint::Model) -> Vec<SavedHeader> {
    row.custom_headers
        .as_deref()
        .map(|json| {
            serde_json::from_str(json).unwrap_or_else(|e| {
                tracing::error!(endpoint = row.id, error = %e, "unreadable custom headers");
                Vec::new()
            })
        })
        .unwrap_or_default()
}

/// What an empty field of the row's form keeps: its secret, its headers,
/// and where they are sent.
pub fn saved_section_of(row: &endpoint::Model) -> SavedSection {
    SavedSection {
        secret: super::endpoints::stored_secret_of(row),
        headers: saved_headers_of(row),
        destination: row
            .url
            .as_deref()
            .and_then(|u| EndpointUrl::parse(u).ok())
            .map(|u| u.destination()),
    }
}

/// The secret values in clear, by name.
fn open_secrets(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
) -> anyhow::Result<BTreeMap<String, String>> {
    let Some(sealed) = row.header_secrets.as_deref() else {
        return Ok(BTreeMap::new());
    };
    let plain = cipher.decrypt(sealed, &context(tenant_id, kind))?;
    serde_json::from_slice(plain.expose_secret()).context("unreadable secret header values")
}

/// The row's headers as a request to `target` sends them. Secret values
/// are opened only when `target` is the URL they were saved with (a save
/// that moves the URL must carry them typed again), so no code path can
/// carry one to another receiver.
pub fn headers_for(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
    target: &EndpointUrl,
) -> anyhow::Result<Vec<CustomHeader>> {
    let saved = saved_headers_of(row);
    if saved.is_empty() {
        return Ok(Vec::new());
    }
    let secrets = if saved.iter().any(|h| h.secret) {
        let bound = row
            .url
            .as_deref()
            .and_then(|u| EndpointUrl::parse(u).ok())
            .map(|u| u.destination());
        anyhow::ensure!(
            bound.as_ref() == Some(&target.destination()),
            "refused to send secret header values saved for {} to {}",
            bound.map_or_else(|| "no URL".to_owned(), |b| b.to_string()),
            target.destination()
        );
        open_secrets(cipher, row, tenant_id, kind)?
    } else {
        BTreeMap::new()
    };
    saved
        .into_iter()
        .map(|h| {
            let value = match (h.secret, h.value) {
                (false, Some(value)) => value,
                (true, _) => secrets
                    .get(&h.name)
                    .cloned()
                    .with_context(|| format!("no saved value for the secret header {}", h.name))?,
                (false, None) => anyhow::bail!("the header {} has no value", h.name),
            };
            Ok(CustomHeader {
                name: h.name,
                value: SecretString::from(value),
                secret: h.secret,
            })
        })
        .collect()
}

/// The headers of a form being sent now (a test event): typed values, or
/// the saved ones (the parse has checked they may go to `target`).
pub fn headers_of_draft(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
    drafts: &[HeaderDraft],
) -> anyhow::Result<Vec<CustomHeader>> {
    let keeps = drafts
        .iter()
        .any(|d| matches!(d.value, HeaderValueDraft::Secret(SecretInput::Keep)));
    let saved = if keeps {
        open_secrets(cipher, row, tenant_id, kind)?
    } else {
        BTreeMap::new()
    };
    drafts
        .iter()
        .map(|d| {
            let value = match &d.value {
                HeaderValueDraft::Shown(v) => v.clone(),
                HeaderValueDraft::Secret(SecretInput::Replace(v)) => v.expose_secret().to_owned(),
                HeaderValueDraft::Secret(SecretInput::Keep) => saved_value(&saved, &d.name)
                    .with_context(|| format!("no saved value for the secret header {}", d.name))?,
            };
            Ok(CustomHeader {
                name: d.name.clone(),
                value: SecretString::from(value),
                secret: d.is_secret(),
            })
        })
        .collect()
}

/// A saved secret value by name, in any case (the form may respell it).
fn saved_value(saved: &BTreeMap<String, String>, name: &str) -> Option<String> {
    saved
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// The two columns for `drafts`: the list as JSON, and the secret values
/// sealed (kept ones carried over from `row`); `None` for none.
pub fn to_store(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
    drafts: &[HeaderDraft],
) -> anyhow::Result<(Option<String>, Option<Vec<u8>>)> {
    if drafts.is_empty() {
        return Ok((None, None));
    }
    let list: Vec<SavedHeader> = drafts.iter().map(HeaderDraft::saved).collect();
    let json = serde_json::to_string(&list).context("encoding custom headers")?;
    let secrets: BTreeMap<String, String> = headers_of_draft(cipher, row, tenant_id, kind, drafts)?
        .into_iter()
        .filter(|h| h.secret)
        .map(|h| (h.name, h.value.expose_secret().to_owned()))
        .collect();
    let sealed = if secrets.is_empty() {
        None
    } else {
        let plain = serde_json::to_vec(&secrets).context("encoding secret header values")?;
        Some(cipher.encrypt(&plain, &context(tenant_id, kind))?)
    };
    Ok((Some(json), sealed))
}
