//! Accounts: signing in (with throttling), changing one's password, and API tokens.
//!
//! Password hashing and checking (argon2, slow on purpose) run on the blocking pool.

use std::net::IpAddr;

use chrono::Duration;
use mutualis_domain::{Email, PasswordPolicy, Role, Siren};
use mutualis_storage::Scope;
use mutualis_storage::accounts::{MAX_LIVE_API_TOKENS, SessionPolicy};
use mutualis_storage::credentials::{
    dummy_password_check, hash_password, hash_secret, new_secret, verify_password,
};

use crate::{App, AppError, blocking};

/// Every API token starts with it, so that a leaked one is recognised.
pub const TOKEN_PREFIX: &str = "mtl_";
const TOKEN_NAME_MAX: usize = 100;

/// What a failed sign-in is told, whether the e-mail or the password was wrong.
pub const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

/// Sign-in throttling (OWASP's authentication cheat sheet: lock out the guesser, not the
/// owner). Within a window, attempts are refused, whether the password is right or not:
/// - for one account from one address, after `per_account` failures from that address, so
///   that a guesser cannot go on while the owner, signing in from elsewhere, is not locked out;
/// - for one account from anywhere, after `per_account_anywhere` failures, far more, against
///   guessing spread over many addresses;
/// - for one address, after `per_address` failures over any accounts, against spraying.
///
/// The window ends every lock: the right password then works again.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub window: Duration,
    pub per_account: i64,
    pub per_account_anywhere: i64,
    pub per_address: i64,
}

/// How a sign-in attempt ended.
#[derive(Debug)]
pub enum SignIn {
    /// Too many failures: refused without checking the password.
    Throttled,
    /// Unknown e-mail or wrong password (one answer for both, in as long a time).
    BadCredentials,
    /// A new session: its secret, for the session cookie.
    SignedIn { secret: String },
}

/// Signs in with an e-mail and a password typed, from `address` when known. A session the
/// browser already held (`previous_session`, its secret) is ended: a new session id at every
/// sign-in.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
    previous_session: Option<&str>,
    throttle: Throttle,
    policy: SessionPolicy,
) -> Result<SignIn, AppError> {
    let now = app.clock.now();
    let account = email.trim().to_lowercase();
    let email_key = format!("account:{account}");
    // The account as guessed from this address ("?" when the server does not know it).
    let pair_key = format!(
        "account:{account}|from:{}",
        address.map_or_else(|| "?".to_owned(), |a| a.to_string())
    );
    let address_key = address.map(|a| format!("address:{a}"));

    let db = &app.db;
    let mut throttled =
        db.login_failures(&pair_key, now, throttle.window).await? >= throttle.per_account;
    throttled |=
        db.login_failures(&email_key, now, throttle.window).await? >= throttle.per_account_anywhere;
    if let Some(key) = &address_key {
        throttled |= db.login_failures(key, now, throttle.window).await? >= throttle.per_address;
    }
    if throttled {
        tracing::warn!(account = %email_key, ?address, "sign-in throttled");
        return Ok(SignIn::Throttled);
    }

    let credentials = match Email::parse(email) {
        Ok(email) => db.credentials(&email).await?,
        Err(_) => None,
    };
    // An unknown e-mail is checked against a dummy hash: the answer takes as long.
    let password = password.to_owned();
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = blocking::run(move || match stored_hash {
        Some(phc) => verify_password(&password, &phc),
        None => {
            dummy_password_check(&password);
            false
        }
    })
    .await?;
    let Some(credentials) = credentials.filter(|_| verified) else {
        for key in [&pair_key, &email_key].into_iter().chain(&address_key) {
            db.record_login_failure(key, now, throttle.window).await?;
        }
        return Ok(SignIn::BadCredentials);
    };

    db.clear_login_failures(&pair_key).await?;
    if let Some(old) = previous_session {
        db.delete_session(&hash_secret(old)).await?;
    }
    let secret = new_secret("");
    db.create_session(
        &credentials,
        &hash_secret(&secret),
        &new_secret(""),
        now,
        policy,
    )
    .await?;
    tracing::info!(user = credentials.user_id, "signed in");
    Ok(SignIn::SignedIn { secret })
}

/// A field of the password form and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Changes the user's own password. Every other session and every API token of the user is
/// revoked but the session `keep_session` (the hash of its secret): the number revoked, or
/// the errors to show next to the fields.
pub async fn change_password(
    app: &App,
    scope: &Scope,
    current_password: &str,
    new_password: &str,
    confirmation: &str,
    keep_session: &str,
) -> Result<Result<u64, Vec<FieldError>>, AppError> {
    let new_password_error = if let Err(e) = PasswordPolicy::check(new_password) {
        Some(FieldError {
            field: "new_password",
            message: format!("Nouveau mot de passe : {e}."),
        })
    } else if new_password != confirmation {
        Some(FieldError {
            field: "confirmation",
            message: "La confirmation ne correspond pas au nouveau mot de passe.".into(),
        })
    } else {
        None
    };
    let current = app.db.own_password_hash(scope).await?.unwrap_or_default();
    // Both argon2 computations in one trip to the blocking pool: the current password
    // checked, then the new one hashed, only when the change goes ahead.
    let goes_ahead = new_password_error.is_none();
    let (current_password, new_password) = (current_password.to_owned(), new_password.to_owned());
    let (current_is_right, hash) = blocking::run(move || {
        let right = verify_password(&current_password, &current);
        (
            right,
            (right && goes_ahead).then(|| hash_password(&new_password)),
        )
    })
    .await?;
    let Some(hash) = hash else {
        let current_error = (!current_is_right).then(|| FieldError {
            field: "current_password",
            message: "Le mot de passe actuel est incorrect.".into(),
        });
        return Ok(Err(current_error
            .into_iter()
            .chain(new_password_error)
            .collect()));
    };
    let revoked = app
        .db
        .change_own_password(scope, &hash?, keep_session, app.clock.now())
        .await?;
    Ok(Ok(revoked))
}

/// Checks a token's name; the error is shown next to the field.
pub fn check_token_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Donnez un nom au jeton, pour le reconnaître plus tard.".into());
    }
    if name.chars().count() > TOKEN_NAME_MAX {
        return Err(format!(
            "Le nom ne doit pas dépasser {TOKEN_NAME_MAX} caractères."
        ));
    }
    Ok(name.to_owned())
}

/// What a user who holds as many live tokens as allowed is told.
pub fn too_many_tokens() -> String {
    format!(
        "Vous avez déjà {MAX_LIVE_API_TOKENS} jetons actifs, le maximum : révoquez-en un avant d'en créer un autre."
    )
}

/// A token created: its id, its name and its secret, to be shown once.
#[derive(Debug)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub secret: String,
}

/// Creates an API token named `name` (as typed): the token, or the message for the name
/// field (a bad name, or as many live tokens as allowed already).
pub async fn create_token(
    app: &App,
    scope: &Scope,
    name: &str,
) -> Result<Result<NewToken, String>, AppError> {
    let name = match check_token_name(name) {
        Ok(name) => name,
        Err(message) => return Ok(Err(message)),
    };
    let secret = new_secret(TOKEN_PREFIX);
    Ok(
        match app
            .db
            .create_api_token(scope, &name, &hash_secret(&secret), app.clock.now())
            .await?
        {
            Some(id) => Ok(NewToken { id, name, secret }),
            None => Err(too_many_tokens()),
        },
    )
}

/// Revokes one of the user's own tokens; any other id is not found.
pub async fn revoke_token(app: &App, scope: &Scope, id: i64) -> Result<(), AppError> {
    if app.db.revoke_api_token(scope, id, app.clock.now()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// An account created for a person of an organisation.
#[derive(Debug)]
pub struct NewAccount {
    pub user_id: i64,
    /// The organisation's name, for the confirmation.
    pub organisation_name: String,
}

/// Creates an account of `role` for `email` in the organisation of SIREN `organisation`,
/// with `password` (checked against the password policy, hashed on the blocking pool).
pub async fn create_account(
    app: &App,
    organisation: &Siren,
    email: &Email,
    role: Role,
    password: String,
) -> Result<NewAccount, AppError> {
    let record = account_organisation(app, organisation).await?;
    PasswordPolicy::check(&password).map_err(|e| AppError::Invalid(e.to_string()))?;
    let hash = blocking::run(move || hash_password(&password)).await??;
    let user_id = app
        .db
        .create_user(record.id, email, role, &hash, app.clock.now())
        .await?;
    Ok(NewAccount {
        user_id,
        organisation_name: record.organisation.name,
    })
}

/// The organisation an account is created in, known to the database.
pub async fn account_organisation(
    app: &App,
    organisation: &Siren,
) -> Result<mutualis_storage::organisations::OrganisationRecord, AppError> {
    app.db
        .organisation_by_siren(organisation)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "organisation de SIREN {organisation} inconnue : chargez d'abord le territoire (mutualis serve --demo) ou l'organisation"
            ))
        })
}

/// The user's API tokens, live and revoked.
pub async fn tokens(
    app: &App,
    scope: &Scope,
) -> Result<Vec<mutualis_storage::accounts::ApiTokenRecord>, AppError> {
    Ok(app.db.api_tokens(scope).await?)
}

/// Ends the session whose secret hashes to `token_hash`.
pub async fn sign_out(app: &App, token_hash: &str) -> Result<(), AppError> {
    Ok(app.db.delete_session(token_hash).await?)
}
