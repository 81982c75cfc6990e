//! Enrolling, confirming and turning off two-factor sign-in, and checking
//! a code at sign-in, for members and operators alike (`account::actor::Actor`, `store`).
//! The secret is encrypted like endpoint secrets (bound to its account);
//! recovery codes are kept as SHA-256 only. A code is accepted by a
//! conditional update of the last step used, and a recovery code by
//! marking it used: of two uses at once, one finds it spent.

use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::{
    model::{TwoFactorState, TwoFactorView},
    store::{self, Enrolment},
    totp::{matching_step, new_recovery_codes, new_secret, qr_svg, totp},
};
use crate::{
    account::actor::{Actor, Change},
    auth::{
        password::{verify_password, HashingPool},
        throttle,
    },
    domain::AccountId,
    error::{AppError, ServiceError},
    persistence::{crypto::SecretCipher, write_gate::WriteGate},
};

fn totp_of(cipher: &SecretCipher, enrolment: &Enrolment) -> anyhow::Result<Option<totp_rs::TOTP>> {
    let Some(sealed) = &enrolment.secret else {
        return Ok(None);
    };
    let secret = cipher.decrypt(sealed, &store::context(enrolment.account))?;
    Ok(Some(totp(
        secret.expose_secret().clone(),
        &enrolment.username,
    )?))
}

/// The account page's view of my two-factor sign-in.
/// `operators_required`: `EVENTURL_OPERATOR_2FA=required`.
pub async fn view(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    actor: &Actor,
    operators_required: bool,
) -> Result<TwoFactorView, ServiceError> {
    let account = actor.account();
    let enrolment = store::load(db, account).await?;
    let state = match (enrolment.confirmed, totp_of(cipher, &enrolment)?) {
        (true, _) => TwoFactorState::On {
            recovery_codes_left: store::recovery_codes_left(db, account).await?,
        },
        (false, Some(totp)) => TwoFactorState::Enrolling {
            key: totp.get_secret_base32(),
            qr_svg: qr_svg(&totp)?,
        },
        (false, None) => TwoFactorState::Off,
    };
    Ok(TwoFactorView {
        state,
        required: actor.required(db, operators_required).await?,
        paths: actor.paths(),
    })
}

/// Starts (or starts again) enrolment with a new secret, with the current
/// password: a borrowed browser cannot enrol its holder's phone.
pub async fn start(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    hashing: &HashingPool,
    actor: &Actor,
    password: SecretString,
) -> Result<(), ServiceError> {
    let account = actor.account();
    check_password(db, hashing, account, password).await?;
    let sealed = cipher.encrypt(&new_secret(), &store::context(account))?;
    let _turn = writes.enter().await;
    if !store::set_secret(db, account, sealed).await? {
        return Err(AppError::Refused("Two-factor sign-in is already on.".to_owned()).into());
    }
    Ok(())
}

/// Counts a re-authentication of this account (see `throttle`).
async fn count_attempt(
    db: &DatabaseConnection,
    account: AccountId,
) -> Result<throttle::Reauth, ServiceError> {
    match throttle::begin_reauth(db, account).await? {
        Ok(attempt) => Ok(attempt),
        Err(wait) => Err(AppError::Refused(format!(
            "Too many wrong codes or passwords. Try again in {wait} seconds."
        ))
        .into()),
    }
}

/// Confirms enrolment with a code from the app: on, with ten new recovery
/// codes (returned to show once), and its activity entry, in one
/// transaction.
pub async fn confirm(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let account = actor.account();
    let attempt = count_attempt(db, account).await?;
    let enrolment = store::load(db, account).await?;
    let (Some(totp), Some(sealed), false) = (
        totp_of(cipher, &enrolment)?,
        enrolment.secret.clone(),
        enrolment.confirmed,
    ) else {
        return Err(
            AppError::Refused("Start setting up two-factor sign-in first.".to_owned()).into(),
        );
    };
    let now = OffsetDateTime::now_utc();
    let Some(step) = matching_step(&totp, code, now.unix_timestamp().unsigned_abs()) else {
        return Err(AppError::Refused(
            "That code is not right: type the 6 digits your app shows now (check that your device's clock is right)."
                .to_owned(),
        )
        .into());
    };
    attempt.succeeded(db).await?;
    let codes = new_recovery_codes();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    // The key the code was checked against: "start again" in another tab
    // meanwhile makes this one refused, not a key the app lacks.
    if !store::confirm(&txn, account, sealed, step).await? {
        return Err(AppError::Refused(
            "Two-factor sign-in is already on, or its key was replaced meanwhile: reload and scan the key shown."
                .to_owned(),
        )
        .into());
    }
    store::replace_recovery_codes(&txn, account, &codes).await?;
    let summary = "turned on two-factor sign-in".to_owned();
    actor.record(&txn, Change::TwoFactorOn, summary).await?;
    txn.commit()
        .await
        .context("committing two-factor sign-in")?;
    Ok(codes)
}

/// Turns it off, with the current password. Allowed even while it is
/// required (a lost phone must not lock anyone out): the account is then
/// sent to set it up again before anything else.
pub async fn turn_off(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    actor: &Actor,
    password: SecretString,
) -> Result<(), ServiceError> {
    let account = actor.account();
    check_password(db, hashing, account, password).await?;
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    store::clear(&txn, account).await?;
    let summary = "turned off two-factor sign-in".to_owned();
    actor.record(&txn, Change::TwoFactorOff, summary).await?;
    txn.commit().await.context("committing")?;
    Ok(())
}

/// The account's current password, counted as a re-authentication.
async fn check_password(
    db: &DatabaseConnection,
    hashing: &HashingPool,
    account: AccountId,
    password: SecretString,
) -> Result<(), ServiceError> {
    let attempt = count_attempt(db, account).await?;
    let stored = store::load(db, account).await?.password_hash;
    let ok = hashing
        .run(move || verify_password(&password, Some(&stored)))
        .await?;
    if !ok {
        return Err(AppError::Refused("This is not your current password.".to_owned()).into());
    }
    attempt.succeeded(db).await?;
    Ok(())
}

/// What a sign-in's second step was passed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    Code,
    RecoveryCode { left: u64 },
}

impl Passed {
    /// How the sign-in is described in the activity log.
    pub fn summary(self) -> String {
        match self {
            Passed::Code => "signed in (with a two-factor code)".to_owned(),
            Passed::RecoveryCode { left } => {
                format!("signed in with a recovery code ({left} left)")
            }
        }
    }
}

/// Checks a code (or a recovery code) of `account` and spends it: each
/// works once. `None` when it is not right (or already used).
pub async fn check_sign_in_code(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    account: AccountId,
    input: &str,
) -> anyhow::Result<Option<Passed>> {
    let input = input.trim();
    if input.len() > 64 {
        return Ok(None);
    }
    let enrolment = store::load(db, account).await?;
    if let Some(totp) = totp_of(cipher, &enrolment)?.filter(|_| enrolment.confirmed) {
        let now = OffsetDateTime::now_utc().unix_timestamp().unsigned_abs();
        if let Some(step) = matching_step(&totp, input, now) {
            let spent = store::spend_step(db, account, step).await?;
            return Ok(spent.then_some(Passed::Code));
        }
    }
    if !store::spend_recovery_code(db, account, input).await? {
        return Ok(None);
    }
    let left = store::recovery_codes_left(db, account).await?;
    Ok(Some(Passed::RecoveryCode { left }))
}
