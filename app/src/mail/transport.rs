//! Sending a letter over SMTP with `lettre`, as the operator configured
//! it: `EVENTURL_SMTP_URL` (`smtp://host:25`, `smtp://user:pass@host:587
//! ?tls=required`, `smtps://host:465`) and `EVENTURL_SMTP_FROM`. The SMTP
//! server is the operator's, not a tenant's: no address policy applies.

use anyhow::Context;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use super::letters::Letter;

#[derive(Clone)]
pub struct MailTransport {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailTransport")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl MailTransport {
    /// From the operator's settings; the error names the setting (and
    /// never repeats the URL, which may hold a password).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("EVENTURL_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("EVENTURL_SMTP_FROM is not an address: {from:?}"))?;
        Ok(Self { smtp, from })
    }

    pub async fn send(&self, letter: &Letter) -> anyhow::Result<()> {
        let to: Mailbox = letter
            .to
            .parse()
            .context("the recipient is not an address")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body.clone())
            .context("composing the message")?;
        self.smtp.send(message).await.context("sending over SMTP")?;
        Ok(())
    }
}
