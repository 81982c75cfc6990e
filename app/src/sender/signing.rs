//! Standard Webhooks signatures (standardwebhooks.com, scheme `v1`): every
//! request carries `webhook-id` (the event's id, the same across retries),
//! `webhook-timestamp` (this attempt's Unix seconds) and
//! `webhook-signature`, the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`
//! under each secret that signs now, space-separated (during a rotation's
//! grace: the new secret's first, then the old one's). The HMAC is the
//! specification's own Rust library's (`standardwebhooks`), so what a
//! receiver's official library checks is what was computed here.

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// How every signing secret begins (the specification's convention, which
/// its libraries strip).
pub const SECRET_PREFIX: &str = "whsec_";

/// A section's signing secret: `whsec_` and the base64 of 32 random bytes.
#[derive(Clone)]
pub struct SigningSecret(SecretString);

impl SigningSecret {
    /// A new secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(SecretString::from(format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        )))
    }

    /// A stored secret, checked to be one this product made.
    pub fn parse(text: String) -> anyhow::Result<Self> {
        let key = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| anyhow::anyhow!("a signing secret does not begin with whsec_"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| anyhow::anyhow!("a signing secret is not base64"))?;
        anyhow::ensure!(bytes.len() == 32, "a signing secret is not 32 bytes");
        Ok(Self(SecretString::from(text)))
    }

    /// The secret as the receiver's library takes it (`whsec_…`).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    fn webhook(&self) -> anyhow::Result<standardwebhooks::Webhook> {
        standardwebhooks::Webhook::new(self.expose())
            .map_err(|e| anyhow::anyhow!("a signing secret was refused: {e}"))
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

/// The Standard Webhooks headers of one attempt: the id, this attempt's
/// time and the signature over id, time and body.
pub struct Signed(pub [(&'static str, String); 3]);

/// The secrets that sign a section's requests now: the current one, and
/// during a rotation's grace the previous one.
#[derive(Clone, Debug)]
pub struct Signing {
    pub current: SigningSecret,
    pub previous: Option<SigningSecret>,
}

impl Signing {
    /// The three headers of an attempt made now. (Never inlined: `bench/profile
    /// --delivery` finds signing's cost by this name.)
    #[inline(never)]
    pub fn headers(&self, id: &str, body: &[u8]) -> anyhow::Result<Signed> {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = self.signature(id, timestamp, body)?;
        Ok(Signed([
            (ID_HEADER, id.to_owned()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, signature),
        ]))
    }

    /// The `webhook-signature` value for this request.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> anyhow::Result<String> {
        let mut value = self
            .current
            .webhook()?
            .sign(id, timestamp, body)
            .map_err(|e| anyhow::anyhow!("signing failed: {e}"))?;
        if let Some(previous) = &self.previous {
            value.push(' ');
            value.push_str(
                &previous
                    .webhook()?
                    .sign(id, timestamp, body)
                    .map_err(|e| anyhow::anyhow!("signing failed: {e}"))?,
            );
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// The specification's example: secret, id, timestamp and body from
    /// standardwebhooks.com, and the signature it gives for them.
    #[test]
    fn signs_the_specifications_example() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        // The example's key is 24 bytes, which this product never makes:
        // refused as a stored secret, signed directly with the library.
        assert!(secret.is_err());
        let signature = standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("the example's secret")
            .sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            )
            .expect("signed");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    /// Our signature checked with a plain HMAC over `{id}.{timestamp}.{body}`
    /// (not the library's code): both secrets during a grace, new first.
    #[test]
    fn a_grace_signs_with_both_secrets_new_first() {
        let (new, old) = (SigningSecret::generate(), SigningSecret::generate());
        assert!(new.expose().starts_with("whsec_") && new.expose().len() == 6 + 44);
        let body = br#"{"event_type":"call_cdr"}"#;
        let value = Signing {
            current: new.clone(),
            previous: Some(old.clone()),
        }
        .signature("evt_1", 1_700_000_000, body)
        .expect("signed");
        let expected = |secret: &SigningSecret| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(&secret.expose()[6..])
                .expect("base64");
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
            mac.update(b"evt_1.1700000000.");
            mac.update(body);
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            )
        };
        assert_eq!(value, format!("{} {}", expected(&new), expected(&old)));
        assert_eq!(format!("{new:?}"), "SigningSecret([redacted])");
    }
}
