//! Where an account's two-factor sign-in is kept: members' in `users` and
//! `recovery_codes`, operators' in `operators` and
//! `operator_recovery_codes`, with the same columns. Every write here is
//! one statement on the account's own tables, built for whichever kind
//! the account is (one code path for both, not two copies).

use anyhow::Context;
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SimpleExpr},
    ConnectionTrait, EntityTrait,
};
use time::OffsetDateTime;

use crate::{
    domain::AccountId,
    persistence::{
        crypto::credential_digest,
        entities::{operator, user},
    },
};

use super::totp::normalize_recovery_code;

/// An account's two-factor sign-in as stored, with what checking a
/// password and naming the key in an authenticator app take.
#[derive(Clone)]
pub struct Enrolment {
    pub account: AccountId,
    pub username: String,
    pub password_hash: String,
    /// The sealed TOTP secret (`SecretCipher`, bound to `context`).
    pub secret: Option<Vec<u8>>,
    pub confirmed: bool,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("account", &self.account)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

/// The encryption context of an account's secret: it decrypts for that
/// account only (members' contexts are what they were before operators
/// had two factors).
pub fn context(account: AccountId) -> String {
    match account {
        AccountId::Member(id) => format!("user={id}/totp"),
        AccountId::Operator(id) => format!("operator={id}/totp"),
    }
}

struct Tables {
    accounts: &'static str,
    codes: &'static str,
    owner: &'static str,
    id: i32,
}

fn tables(account: AccountId) -> Tables {
    match account {
        AccountId::Member(id) => Tables {
            accounts: "users",
            codes: "recovery_codes",
            owner: "user_id",
            id,
        },
        AccountId::Operator(id) => Tables {
            accounts: "operators",
            codes: "operator_recovery_codes",
            owner: "operator_id",
            id,
        },
    }
}

fn col(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

pub async fn load(db: &impl ConnectionTrait, account: AccountId) -> anyhow::Result<Enrolment> {
    let found = match account {
        AccountId::Member(id) => user::Entity::find_by_id(id)
            .one(db)
            .await
            .context("reading the member")?
            .map(|u| {
                (
                    u.username,
                    u.password_hash,
                    u.totp_secret,
                    u.totp_confirmed_at,
                )
            }),
        AccountId::Operator(id) => operator::Entity::find_by_id(id)
            .one(db)
            .await
            .context("reading the operator")?
            .map(|o| {
                (
                    o.username,
                    o.password_hash,
                    o.totp_secret,
                    o.totp_confirmed_at,
                )
            }),
    };
    let (username, password_hash, secret, confirmed_at) =
        found.context("the account no longer exists")?;
    Ok(Enrolment {
        account,
        username,
        password_hash,
        secret,
        confirmed: confirmed_at.is_some(),
    })
}

/// `UPDATE <accounts> SET … WHERE id = <id> AND <conditions>`: the rows
/// changed (0 when a condition no longer holds).
async fn update(
    db: &impl ConnectionTrait,
    account: AccountId,
    values: Vec<(&'static str, SimpleExpr)>,
    conditions: Vec<SimpleExpr>,
) -> anyhow::Result<u64> {
    let t = tables(account);
    let mut statement = Query::update();
    statement.table(Alias::new(t.accounts));
    for (column, value) in values {
        statement.value(Alias::new(column), value);
    }
    statement.and_where(col("id").eq(t.id));
    for condition in conditions {
        statement.and_where(condition);
    }
    let done = db
        .execute(&statement)
        .await
        .context("updating two-factor sign-in")?;
    Ok(done.rows_affected())
}

/// A new, unconfirmed secret, unless two-factor sign-in is on already.
pub async fn set_secret(
    db: &impl ConnectionTrait,
    account: AccountId,
    sealed: Vec<u8>,
) -> anyhow::Result<bool> {
    let values = vec![
        ("totp_secret", Expr::value(sealed)),
        ("totp_last_step", Expr::value(Option::<i64>::None)),
    ];
    let rows = update(
        db,
        account,
        values,
        vec![col("totp_confirmed_at").is_null()],
    )
    .await?;
    Ok(rows == 1)
}

/// Confirms the secret `sealed` (the one the code was checked against),
/// spending `step`: false when it is on already or the secret changed.
pub async fn confirm(
    db: &impl ConnectionTrait,
    account: AccountId,
    sealed: Vec<u8>,
    step: i64,
) -> anyhow::Result<bool> {
    let values = vec![
        ("totp_confirmed_at", Expr::value(OffsetDateTime::now_utc())),
        ("totp_last_step", Expr::value(step)),
    ];
    let conditions = vec![
        col("totp_confirmed_at").is_null(),
        col("totp_secret").eq(sealed),
    ];
    Ok(update(db, account, values, conditions).await? == 1)
}

/// Turns it off: no secret, no recovery codes.
pub async fn clear(db: &impl ConnectionTrait, account: AccountId) -> anyhow::Result<()> {
    let values = vec![
        ("totp_secret", Expr::value(Option::<Vec<u8>>::None)),
        (
            "totp_confirmed_at",
            Expr::value(Option::<OffsetDateTime>::None),
        ),
        ("totp_last_step", Expr::value(Option::<i64>::None)),
    ];
    update(db, account, values, Vec::new()).await?;
    replace_recovery_codes(db, account, &[]).await
}

/// Spends the time step `step`: each code works once, and of two uses at
/// once one finds it spent.
pub async fn spend_step(
    db: &impl ConnectionTrait,
    account: AccountId,
    step: i64,
) -> anyhow::Result<bool> {
    let unused = col("totp_last_step")
        .is_null()
        .or(col("totp_last_step").lt(step));
    let values = vec![("totp_last_step", Expr::value(step))];
    Ok(update(db, account, values, vec![unused]).await? == 1)
}

/// Replaces the account's recovery codes (kept as SHA-256 only).
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    account: AccountId,
    codes: &[String],
) -> anyhow::Result<()> {
    let t = tables(account);
    let mut delete = Query::delete();
    delete
        .from_table(Alias::new(t.codes))
        .and_where(col(t.owner).eq(t.id));
    db.execute(&delete)
        .await
        .context("dropping old recovery codes")?;
    if codes.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(t.codes))
        .columns([Alias::new(t.owner), Alias::new("code_hash")]);
    for code in codes {
        let hash = credential_digest(&normalize_recovery_code(code));
        insert.values_panic([t.id.into(), hash.into()]);
    }
    db.execute(&insert)
        .await
        .context("storing recovery codes")?;
    Ok(())
}

/// Spends a recovery code: false when it is not one of the account's, or
/// was used already.
pub async fn spend_recovery_code(
    db: &impl ConnectionTrait,
    account: AccountId,
    input: &str,
) -> anyhow::Result<bool> {
    let t = tables(account);
    let mut statement = Query::update();
    statement
        .table(Alias::new(t.codes))
        .value(
            Alias::new("used_at"),
            Expr::value(OffsetDateTime::now_utc()),
        )
        .and_where(col(t.owner).eq(t.id))
        .and_where(col("code_hash").eq(credential_digest(&normalize_recovery_code(input))))
        .and_where(col("used_at").is_null());
    let done = db
        .execute(&statement)
        .await
        .context("spending a recovery code")?;
    Ok(done.rows_affected() == 1)
}

/// How many of the account's recovery codes are unused.
pub async fn recovery_codes_left(
    db: &impl ConnectionTrait,
    account: AccountId,
) -> anyhow::Result<u64> {
    let t = tables(account);
    let mut statement = Query::select();
    statement
        .expr(Expr::col(Asterisk).count())
        .from(Alias::new(t.codes))
        .and_where(col(t.owner).eq(t.id))
        .and_where(col("used_at").is_null());
    let row = db
        .query_one(&statement)
        .await
        .context("counting recovery codes")?
        .context("a count has a row")?;
    let left: i64 = row
        .try_get_by_index(0)
        .context("reading the recovery codes' count")?;
    Ok(left.unsigned_abs())
}
