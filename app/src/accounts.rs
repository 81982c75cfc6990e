//! (Over 500 lines: every rule for creating an account lives here, so the
//! setup page, invitations, the CLI and the console cannot drift apart.)
//! Tenants and their administrators: created by first-run setup and by the
//! operator's CLI, through the same rules.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use validator::{Validate, ValidationError};

use crate::{
    auth::password::hash_password,
    domain::{AuthMethod, EndpointKind, Role},
    persistence::{
        crypto::SecretCipher,
        entities::{endpoint, operator, tenant, user},
    },
    sender::signing::SigningSecret,
};

pub const MIN_PASSWORD_LEN: u64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("a tenant named {0:?} already exists")]
    TenantExists(String),
    #[error("no tenant is named {0:?}")]
    NoSuchTenant(String),
    #[error("The username {0:?} is taken: choose another.")]
    UsernameTaken(String),
    /// Another account's name looks the same (`look_alike_key`); which
    /// one is not said.
    #[error("The username {0:?} looks like one that is taken (letters that look alike, or differ only in case or width): choose another.")]
    UsernameLookAlike(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Debug, Validate)]
pub struct NewTenant {
    #[validate(
        length(
            min = 1,
            max = 100,
            message = "Use a tenant name of 1 to 100 characters."
        ),
        custom(
            function = "printable",
            message = "Use only printable characters in the tenant name."
        )
    )]
    pub name: String,
}

#[derive(Validate)]
pub struct NewAdmin {
    #[validate(
        length(min = 3, max = 64, message = "Use a username of 3 to 64 characters."),
        custom(
            function = "username_chars",
            message = "Use only letters, digits and . _ - @ in the username."
        )
    )]
    pub username: String,
    /// Checked by `password_rules`: validator's derive wants `Serialize`,
    /// which a secret must not have.
    #[validate(skip)]
    pub password: SecretString,
    #[validate(skip)]
    pub role: Role,
}

fn printable(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() || text.chars().any(char::is_control) {
        return Err(ValidationError::new("printable"));
    }
    Ok(())
}

fn username_chars(text: &str) -> Result<(), ValidationError> {
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || "._-@".contains(c))
    {
        Ok(())
    } else {
        Err(ValidationError::new("username_chars"))
    }
}

/// A password of 12 to 128 characters that `zxcvbn` does not find among
/// common and breached passwords, keyboard patterns, dates or the
/// account's own names (`user_inputs`): score 3 of 4 or better. The
/// refusal says why, in zxcvbn's words.
pub fn password_rules(password: &SecretString, user_inputs: &[&str]) -> Result<(), AccountError> {
    let text = password.expose_secret();
    let len = text.chars().count() as u64;
    if !(MIN_PASSWORD_LEN..=128).contains(&len) {
        return Err(AccountError::Invalid(format!(
            "Use a password of {MIN_PASSWORD_LEN} to 128 characters."
        )));
    }
    let estimate = zxcvbn::zxcvbn(text, user_inputs);
    if estimate.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    let reason = estimate
        .feedback()
        .and_then(|f| {
            f.warning()
                .map(|w| w.to_string())
                .or_else(|| f.suggestions().first().map(|s| s.to_string()))
        })
        .unwrap_or_else(|| "It would be guessed too easily.".to_owned());
    Err(AccountError::Invalid(format!(
        "Choose a stronger password: {reason} A few unusual words together make a good one."
    )))
}

/// An email address as stored: trimmed, lower-case, at most 254
/// characters, of the form validator's HTML5 rule accepts.
pub fn parse_email(typed: &str) -> Result<String, AccountError> {
    use validator::ValidateEmail;
    let address = typed.trim().to_lowercase();
    if address.chars().count() > 254 || !address.validate_email() {
        return Err(AccountError::Invalid(format!(
            "Enter an email address such as name@example.com (not {:?}).",
            typed.trim().chars().take(80).collect::<String>()
        )));
    }
    Ok(address)
}

/// Stores a new password hash for a member or an operator, in the
/// caller's transaction.
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    account: crate::domain::AccountId,
    hash: String,
) -> anyhow::Result<()> {
    use crate::domain::AccountId;
    use sea_orm::sea_query::Expr;
    match account {
        AccountId::Member(id) => user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .filter(user::Column::Id.eq(id))
            .exec(db)
            .await
            .map(drop),
        AccountId::Operator(id) => operator::Entity::update_many()
            .col_expr(operator::Column::PasswordHash, Expr::value(hash))
            .filter(operator::Column::Id.eq(id))
            .exec(db)
            .await
            .map(drop),
    }
    .context("storing the new password")
}

/// Sets (or with `None` clears) a member's email address.
pub async fn set_email(
    db: &impl ConnectionTrait,
    user_id: i32,
    email: Option<String>,
) -> anyhow::Result<()> {
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(email))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .context("setting the email address")?;
    Ok(())
}

/// An update of member `user_id` that forgets the address waiting for
/// confirmation and its link (more columns or filters may be added).
pub fn pending_email_cleared(user_id: i32) -> sea_orm::UpdateMany<user::Entity> {
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(
            user::Column::PendingEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::PendingEmailTokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::PendingEmailExpiresAt,
            Expr::value(Option::<time::OffsetDateTime>::None),
        )
        .filter(user::Column::Id.eq(user_id))
}

/// Drops a member's address waiting for confirmation, and its link: a
/// password reset or change ends it (whoever asked for it may have had the
/// old password), as it ends sessions.
pub async fn drop_pending_email(db: &impl ConnectionTrait, user_id: i32) -> anyhow::Result<()> {
    pending_email_cleared(user_id)
        .exec(db)
        .await
        .context("dropping the address waiting for confirmation")?;
    Ok(())
}

/// The first message of a failed validation, for a form or a terminal.
pub fn first_message(errors: &validator::ValidationErrors) -> String {
    errors
        .field_errors()
        .values()
        .flat_map(|errs| errs.iter())
        .find_map(|e| e.message.as_ref().map(|m| m.to_string()))
        .unwrap_or_else(|| "The input is not valid.".to_owned())
}

fn validate(value: &impl Validate) -> Result<(), AccountError> {
    value
        .validate()
        .map_err(|e| AccountError::Invalid(first_message(&e)))
}

pub async fn tenant_count(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    Ok(tenant::Entity::find().count(db).await?)
}

/// Creates a tenant with its two (disabled, empty) endpoints, each with
/// its own signing secret (sealed with `cipher`, the server's key).
pub async fn create_tenant(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    new: NewTenant,
) -> Result<tenant::Model, AccountError> {
    validate(&new)?;
    let txn = db.begin().await.context("starting a transaction")?;
    let tenant = create_tenant_in(&txn, cipher, new).await?;
    txn.commit().await.context("committing the new tenant")?;
    Ok(tenant)
}

pub(crate) async fn create_tenant_in(
    db: &impl ConnectionTrait,
    cipher: &SecretCipher,
    new: NewTenant,
) -> Result<tenant::Model, AccountError> {
    // Inserted first, the unique name saying whether it exists: on SQLite a
    // transaction that reads and then writes fails at once when another
    // connection (the server's workers) wrote in between.
    let name = new.name.trim().to_owned();
    let now = OffsetDateTime::now_utc();
    // Columns left out take their defaults (a new tenant requires no
    // second factor), on this schema or an older one being upgraded.
    let inserted = tenant::Entity::insert(tenant::ActiveModel {
        name: Set(name.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await;
    let tenant = match inserted {
        Ok(done) => tenant::Model {
            id: done.last_insert_id,
            name,
            created_at: now,
            require_two_factor: false,
            suspended_at: None,
        },
        Err(e) if is_unique_violation(&e) => return Err(AccountError::TenantExists(name)),
        Err(e) => return Err(anyhow::Error::new(e).context("inserting the tenant").into()),
    };
    for kind in EndpointKind::ALL {
        endpoint::ActiveModel {
            tenant_id: Set(tenant.id),
            kind: Set(kind.as_str().to_owned()),
            auth_method: Set(AuthMethod::Disable.as_str().to_owned()),
            url: Set(None),
            username: Set(None),
            secret_kind: Set(None),
            secret_ciphertext: Set(None),
            secret_changed_at: Set(None),
            enabled: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            updated_by: Set(None),
            signing_secret: Set(Some(crate::persistence::signing::seal(
                cipher,
                tenant.id,
                kind,
                &SigningSecret::generate(),
            )?)),
            ..Default::default()
        }
        .insert(db)
        .await
        .context("inserting the tenant's endpoints")?;
    }
    Ok(tenant)
}

/// Creates a tenant administrator in the named tenant.
pub async fn create_admin(
    db: &DatabaseConnection,
    tenant_name: &str,
    new: NewAdmin,
) -> Result<user::Model, AccountError> {
    check_new_member(&new, tenant_name)?;
    let tenant = tenant::Entity::find()
        .filter(tenant::Column::Name.eq(tenant_name.trim()))
        .one(db)
        .await
        .context("looking up the tenant")?
        .ok_or_else(|| AccountError::NoSuchTenant(tenant_name.to_owned()))?;
    // One insert: no transaction that reads before it writes.
    create_admin_in(db, tenant.id, new).await
}

pub(crate) async fn create_admin_in(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    new: NewAdmin,
) -> Result<user::Model, AccountError> {
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("hashing task")??;
    insert_member(db, tenant_id, &new.username, hash, new.role).await
}

/// Inserts a member whose password is hashed already. The unique username
/// says whether it is taken (no read before the write: see
/// `create_tenant_in`).
pub(crate) async fn insert_member(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    username: &str,
    password_hash: String,
    role: Role,
) -> Result<user::Model, AccountError> {
    if operator_named(db, username).await? {
        return Err(AccountError::UsernameTaken(username.to_owned()));
    }
    refuse_look_alike(db, username).await?;
    match (user::ActiveModel {
        tenant_id: Set(tenant_id),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    })
    .insert(db)
    .await
    {
        Ok(member) => Ok(member),
        Err(e) if is_unique_violation(&e) => Err(AccountError::UsernameTaken(username.to_owned())),
        Err(e) => Err(anyhow::Error::new(e).context("inserting the member").into()),
    }
}

/// Checks a new member's username and password (before any hashing).
pub fn check_new_member(new: &NewAdmin, tenant_name: &str) -> Result<(), AccountError> {
    validate(new)?;
    password_rules(&new.password, &[&new.username, tenant_name])
}

fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Checks a new tenant's name.
pub fn validate_tenant(new: &NewTenant) -> Result<(), AccountError> {
    validate(new)
}

/// What look-alike usernames share: the confusable skeleton (Unicode
/// TR39, `unicode-security`) of the name's case-folded NFKC form. `Alice`,
/// `аlice` (a Cyrillic а) and `ａlice` (a fullwidth ａ) all give `alice`'s,
/// so none can pass for the other in a list, a log or a sign-in form.
pub fn look_alike_key(username: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = username.nfkc().collect::<String>().to_lowercase();
    let folded: String = folded.nfkc().collect();
    unicode_security::confusable_detection::skeleton(&folded)
        .collect::<String>()
        .to_lowercase()
}

/// Refuses a new member's or operator's name that looks like a name any
/// member or operator has (not the same one: the unique index and
/// `operator_named` say "taken" for that). Every name is read: accounts
/// are made rarely, and the rule is Unicode's, not SQL's.
async fn refuse_look_alike(db: &impl ConnectionTrait, username: &str) -> Result<(), AccountError> {
    let key = look_alike_key(username);
    let members: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Username)
        .into_tuple()
        .all(db)
        .await
        .context("reading members' names")?;
    let operators: Vec<String> = operator::Entity::find()
        .select_only()
        .column(operator::Column::Username)
        .into_tuple()
        .all(db)
        .await
        .context("reading operators' names")?;
    let clash = members
        .iter()
        .chain(&operators)
        .any(|name| name != username && look_alike_key(name) == key);
    if clash {
        return Err(AccountError::UsernameLookAlike(username.to_owned()));
    }
    Ok(())
}

/// Whether a provider operator has this name (sign-in names are unique
/// across members and operators).
async fn operator_named(db: &impl ConnectionTrait, username: &str) -> anyhow::Result<bool> {
    Ok(operator::Entity::find()
        .filter(operator::Column::Username.eq(username))
        .count(db)
        .await
        .context("looking up operators")?
        > 0)
}

/// Creates a provider operator (`eventurl provider-admin create`): the
/// same username and password rules as a member's.
pub async fn create_operator(
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
) -> Result<operator::Model, AccountError> {
    let new = NewAdmin {
        username: username.trim().to_owned(),
        password,
        role: Role::Viewer,
    };
    validate(&new)?;
    // Shown as "<name> (provider)" in a tenant's Activity (64 at most).
    if new.username.chars().count() > 53 {
        return Err(AccountError::Invalid(
            "Use an operator username of 3 to 53 characters.".to_owned(),
        ));
    }
    password_rules(&new.password, &[&new.username, "eventurl provider"])?;
    let taken = user::Entity::find()
        .filter(user::Column::Username.eq(&new.username))
        .count(db)
        .await
        .context("looking up members")?
        > 0;
    if taken {
        return Err(AccountError::UsernameTaken(new.username));
    }
    refuse_look_alike(db, &new.username).await?;
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("hashing task")??;
    match (operator::ActiveModel {
        username: Set(new.username.clone()),
        password_hash: Set(hash),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    })
    .insert(db)
    .await
    {
        Ok(operator) => Ok(operator),
        Err(e) if is_unique_violation(&e) => Err(AccountError::UsernameTaken(new.username)),
        Err(e) => Err(anyhow::Error::new(e)
            .context("inserting the operator")
            .into()),
    }
}

/// Validates a new tenant and admin together, as the setup form sends them.
pub fn validate_setup(tenant: &NewTenant, admin: &NewAdmin) -> Result<(), AccountError> {
    validate(tenant)?;
    validate(admin)?;
    password_rules(&admin.password, &[&admin.username, &tenant.name])
}

#[cfg(test)]
mod look_alike_tests {
    use super::look_alike_key;

    #[test]
    fn look_alike_names_share_a_key_and_different_names_do_not() {
        let alice = look_alike_key("alice");
        for same in [
            "Alice",
            "ALICE",
            "\u{430}lice",
            "\u{ff41}lice",
            "a\u{217c}ice",
            "alice",
        ] {
            assert_eq!(look_alike_key(same), alice, "{same:?}");
        }
        for other in ["alicia", "bob", "alice2", "al1ce-x"] {
            assert_ne!(look_alike_key(other), alice, "{other:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{password_rules, AccountError};
    use secrecy::SecretString;

    fn check(password: &str) -> Result<(), AccountError> {
        password_rules(&SecretString::from(password), &["alice", "Acme"])
    }

    #[test]
    fn passwords_are_long_and_not_guessable_and_the_reason_is_told() {
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("velvet-ostrich-quarry-19").is_ok());
        for weak in [
            "password1234",
            "qwertyuiop123",
            "Password2026!",
            "111111111111",
        ] {
            let Err(AccountError::Invalid(message)) = check(weak) else {
                panic!("{weak} was accepted");
            };
            assert!(
                message.starts_with("Choose a stronger password: "),
                "{message}"
            );
        }
        let Err(AccountError::Invalid(message)) = check("short") else {
            panic!("a short password was accepted");
        };
        assert_eq!(message, "Use a password of 12 to 128 characters.");
    }
}
