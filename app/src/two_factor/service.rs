//! Enrolling, confirming and turning off two-factor sign-in, and checking
//! a code at sign-in. The secret is encrypted like endpoint secrets (bound
//! to its member); recovery codes are kept as SHA-256 only. A code is
//! accepted by a conditional update of the last step used, and a recovery
//! code by marking it used: of two uses at once, one finds it spent.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::{
    model::{TwoFactorState, TwoFactorView},
    totp::{matching_step, new_recovery_codes, new_secret, normalize_recovery_code, qr_svg, totp},
};
use crate::{
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::{
        password::{verify_password, HashingPool},
        throttle, CurrentAdmin,
    },
    error::{AppError, ServiceError},
    persistence::{
        crypto::{credential_digest, SecretCipher},
        entities::{recovery_code, tenant, user},
        write_gate::WriteGate,
    },
};

/// The encryption context of a member's secret: it decrypts for them only.
fn context(user_id: i32) -> String {
    format!("user={user_id}/totp")
}

async fn member(db: &impl ConnectionTrait, user_id: i32) -> anyhow::Result<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .context("reading the member")?
        .context("the member no longer exists")
}

async fn required(db: &impl ConnectionTrait, tenant_id: i32) -> anyhow::Result<bool> {
    Ok(tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await
        .context("reading the tenant")?
        .is_some_and(|t| t.require_two_factor))
}

fn totp_of(cipher: &SecretCipher, member: &user::Model) -> anyhow::Result<Option<totp_rs::TOTP>> {
    let Some(sealed) = &member.totp_secret else {
        return Ok(None);
    };
    let secret = cipher.decrypt(sealed, &context(member.id))?;
    Ok(Some(totp(
        secret.expose_secret().clone(),
        &member.username,
    )?))
}

/// My account's view of my two-factor sign-in.
pub async fn view(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    admin: &CurrentAdmin,
) -> Result<TwoFactorView, ServiceError> {
    let member = member(db, admin.user_id).await?;
    let state = match (&member.totp_confirmed_at, totp_of(cipher, &member)?) {
        (Some(_), _) => TwoFactorState::On {
            recovery_codes_left: recovery_code::Entity::find()
                .filter(recovery_code::Column::UserId.eq(member.id))
                .filter(recovery_code::Column::UsedAt.is_null())
                .count(db)
                .await
                .context("counting recovery codes")?,
        },
        (None, Some(totp)) => TwoFactorState::Enrolling {
            key: totp.get_secret_base32(),
            qr_svg: qr_svg(&totp)?,
        },
        (None, None) => TwoFactorState::Off,
    };
    Ok(TwoFactorView {
        state,
        required: required(db, admin.tenant_id).await?,
    })
}

/// Starts (or starts again) enrolment with a new secret, with the current
/// password: a borrowed browser cannot enrol its holder's phone.
pub async fn start(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    hashing: &HashingPool,
    admin: &CurrentAdmin,
    password: SecretString,
) -> Result<(), ServiceError> {
    check_password(db, hashing, admin, password).await?;
    let sealed = cipher.encrypt(&new_secret(), &context(admin.user_id))?;
    let _turn = writes.enter().await;
    let done = user::Entity::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(sealed))
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .filter(user::Column::Id.eq(admin.user_id))
        .filter(user::Column::TotpConfirmedAt.is_null())
        .exec(db)
        .await
        .context("storing a new two-factor secret")?;
    if done.rows_affected == 0 {
        return Err(AppError::Refused("Two-factor sign-in is already on.".to_owned()).into());
    }
    Ok(())
}

/// Counts a re-authentication of this member (see `throttle`).
async fn count_attempt(
    db: &DatabaseConnection,
    admin: &CurrentAdmin,
) -> Result<throttle::Reauth, ServiceError> {
    match throttle::begin_reauth(db, admin.user_id).await? {
        Ok(attempt) => Ok(attempt),
        Err(wait) => Err(AppError::Refused(format!(
            "Too many wrong codes or passwords. Try again in {wait} seconds."
        ))
        .into()),
    }
}

/// Confirms enrolment with a code from the app: on, with ten new recovery
/// codes (returned to show once).
pub async fn confirm(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    admin: &CurrentAdmin,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let attempt = count_attempt(db, admin).await?;
    let member = member(db, admin.user_id).await?;
    let Some(totp) = totp_of(cipher, &member)?.filter(|_| member.totp_confirmed_at.is_none())
    else {
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
    let done = user::Entity::update_many()
        .col_expr(user::Column::TotpConfirmedAt, Expr::value(now))
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(admin.user_id))
        .filter(user::Column::TotpConfirmedAt.is_null())
        // The key the code was checked against: "start again" in another
        // tab meanwhile makes this one refused, not a key the app lacks.
        .filter(user::Column::TotpSecret.eq(member.totp_secret.clone()))
        .exec(&txn)
        .await
        .context("turning two-factor sign-in on")?;
    if done.rows_affected == 0 {
        return Err(AppError::Refused(
            "Two-factor sign-in is already on, or its key was replaced meanwhile: reload and scan the key shown."
                .to_owned(),
        )
        .into());
    }
    replace_recovery_codes(&txn, admin.user_id, &codes).await?;
    let entry = NewEntry::by(
        admin,
        ActivityKind::TwoFactorOn,
        None,
        "turned on two-factor sign-in".to_owned(),
    );
    record(&txn, entry).await?;
    txn.commit()
        .await
        .context("committing two-factor sign-in")?;
    Ok(codes)
}

async fn replace_recovery_codes(
    txn: &impl ConnectionTrait,
    user_id: i32,
    codes: &[String],
) -> anyhow::Result<()> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(txn)
        .await
        .context("dropping old recovery codes")?;
    for code in codes {
        recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(credential_digest(&normalize_recovery_code(code))),
            ..Default::default()
        }
        .insert(txn)
        .await
        .context("storing a recovery code")?;
    }
    Ok(())
}

/// Turns it off, with the current password. Allowed even while the
/// company requires it (a lost phone must not lock anyone out): the member
/// is then sent to set it up again before anything else.
pub async fn turn_off(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    admin: &CurrentAdmin,
    password: SecretString,
) -> Result<(), ServiceError> {
    check_password(db, hashing, admin, password).await?;
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    user::Entity::update_many()
        .col_expr(
            user::Column::TotpSecret,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            user::Column::TotpConfirmedAt,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .filter(user::Column::Id.eq(admin.user_id))
        .exec(&txn)
        .await
        .context("turning two-factor sign-in off")?;
    replace_recovery_codes(&txn, admin.user_id, &[]).await?;
    let entry = NewEntry::by(
        admin,
        ActivityKind::TwoFactorOff,
        None,
        "turned off two-factor sign-in".to_owned(),
    );
    record(&txn, entry).await?;
    txn.commit().await.context("committing")?;
    Ok(())
}

/// The member's current password, counted as a re-authentication.
async fn check_password(
    db: &DatabaseConnection,
    hashing: &HashingPool,
    admin: &CurrentAdmin,
    password: SecretString,
) -> Result<(), ServiceError> {
    let attempt = count_attempt(db, admin).await?;
    let stored = member(db, admin.user_id).await?.password_hash;
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

/// Checks a code (or a recovery code) of `member` and spends it: each
/// works once. `None` when it is not right (or already used).
pub async fn check_sign_in_code(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    member: &user::Model,
    input: &str,
) -> anyhow::Result<Option<Passed>> {
    let input = input.trim();
    if input.len() > 64 {
        return Ok(None);
    }
    if let Some(totp) = totp_of(cipher, member)?.filter(|_| member.totp_confirmed_at.is_some()) {
        let now = OffsetDateTime::now_utc().unix_timestamp().unsigned_abs();
        if let Some(step) = matching_step(&totp, input, now) {
            let spent = user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, Expr::value(step))
                .filter(user::Column::Id.eq(member.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(user::Column::TotpLastStep.is_null())
                        .add(user::Column::TotpLastStep.lt(step)),
                )
                .exec(db)
                .await
                .context("spending a code")?;
            return Ok((spent.rows_affected == 1).then_some(Passed::Code));
        }
    }
    let spent = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::UsedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(recovery_code::Column::UserId.eq(member.id))
        .filter(
            recovery_code::Column::CodeHash.eq(credential_digest(&normalize_recovery_code(input))),
        )
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await
        .context("spending a recovery code")?;
    if spent.rows_affected != 1 {
        return Ok(None);
    }
    let left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(member.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await
        .context("counting recovery codes")?;
    Ok(Some(Passed::RecoveryCode { left }))
}
