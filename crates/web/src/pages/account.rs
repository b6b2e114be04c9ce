//! The account page: password change and personal API tokens.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mutualis_domain::PasswordPolicy;
use mutualis_storage::accounts::MAX_LIVE_API_TOKENS;
use mutualis_storage::credentials::{hash_password, hash_secret, new_secret, verify_password};
use serde::Deserialize;

use crate::AppState;
use crate::blocking;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::datetime_label;
use crate::session::{HtmlForm, SignedIn};

/// The prefix of personal API tokens, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "mtl_";
const TOKEN_NAME_MAX: usize = 100;

struct FieldError {
    field: &'static str,
    message: String,
}

struct PasswordField {
    id: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    hint: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct PasswordForm {
    fields: Vec<PasswordField>,
    errors: Vec<FieldError>,
}

impl PasswordForm {
    fn new(errors: Vec<FieldError>) -> PasswordForm {
        let error_of = |id: &str| {
            errors
                .iter()
                .find(|e| e.field == id)
                .map(|e| e.message.clone())
        };
        let fields = vec![
            PasswordField {
                id: "current_password",
                label: "Mot de passe actuel",
                autocomplete: "current-password",
                hint: None,
                error: error_of("current_password"),
            },
            PasswordField {
                id: "new_password",
                label: "Nouveau mot de passe",
                autocomplete: "new-password",
                hint: Some(format!(
                    "Au moins {} caractères ; une phrase de passe convient.",
                    PasswordPolicy::MIN_CHARS
                )),
                error: error_of("new_password"),
            },
            PasswordField {
                id: "confirmation",
                label: "Confirmation du nouveau mot de passe",
                autocomplete: "new-password",
                hint: None,
                error: error_of("confirmation"),
            },
        ];
        PasswordForm { fields, errors }
    }
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    role: &'static str,
    organisation: String,
    password: PasswordForm,
    password_changed: bool,
    /// How many API tokens the password change revoked.
    tokens_revoked: u64,
    /// (name, secret) of a token just created: shown this once.
    new_token: Option<(String, String)>,
    token_error: Option<String>,
    tokens: Vec<TokenRow>,
}

impl AccountPage {
    async fn load(state: &AppState, user: &SignedIn) -> Result<AccountPage, WebError> {
        let tokens = state
            .db
            .api_tokens(user.principal.scope())
            .await?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: datetime_label(t.created_at),
                last_used: t.last_used_at.map_or("jamais".into(), datetime_label),
                revoked: t.revoked_at.map(datetime_label),
            })
            .collect();
        Ok(AccountPage {
            layout: user.layout(),
            email: user.principal.email.to_string(),
            role: user.principal.role().label_fr(),
            organisation: user.principal.organisation_name.clone(),
            password: PasswordForm::new(Vec::new()),
            password_changed: false,
            tokens_revoked: 0,
            new_token: None,
            token_error: None,
            tokens,
        })
    }

    fn respond(self, status: StatusCode) -> Result<Response, WebError> {
        Ok((status, Html(self.render()?)).into_response())
    }
}

pub async fn account(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    AccountPage::load(&state, &user)
        .await?
        .respond(StatusCode::OK)
}

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn change_password(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    HtmlForm(form): HtmlForm<PasswordChange>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let scope = user.principal.scope();
    let new_password_error = if let Err(e) = PasswordPolicy::check(&form.new_password) {
        Some(FieldError {
            field: "new_password",
            message: format!("Nouveau mot de passe : {e}."),
        })
    } else if form.new_password != form.confirmation {
        Some(FieldError {
            field: "confirmation",
            message: "La confirmation ne correspond pas au nouveau mot de passe.".into(),
        })
    } else {
        None
    };
    let current = state.db.own_password_hash(scope).await?.unwrap_or_default();
    // Both argon2 computations in one trip to the blocking pool: the current password
    // checked, then the new one hashed, only when the change goes ahead.
    let goes_ahead = new_password_error.is_none();
    let (current_password, new_password) =
        (form.current_password.clone(), form.new_password.clone());
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
        let errors = current_error
            .into_iter()
            .chain(new_password_error)
            .collect();
        let mut page = AccountPage::load(&state, &user).await?;
        page.password = PasswordForm::new(errors);
        return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
    };
    let hash = hash?;
    let revoked = state
        .db
        .change_own_password(scope, &hash, &user.token_hash, state.clock.now())
        .await?;
    let mut page = AccountPage::load(&state, &user).await?;
    page.password_changed = true;
    page.tokens_revoked = revoked;
    page.respond(StatusCode::OK)
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
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

/// Creates a token and returns its secret, to be shown once; `None` when the user already
/// holds as many live tokens as allowed.
pub async fn create_token(
    state: &AppState,
    scope: &mutualis_storage::Scope,
    name: &str,
) -> Result<Option<(i64, String)>, WebError> {
    let secret = new_secret(TOKEN_PREFIX);
    Ok(state
        .db
        .create_api_token(scope, name, &hash_secret(&secret), state.clock.now())
        .await?
        .map(|id| (id, secret)))
}

pub async fn new_token(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    HtmlForm(form): HtmlForm<NewToken>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    match check_token_name(&form.name) {
        Err(message) => {
            let mut page = AccountPage::load(&state, &user).await?;
            page.token_error = Some(message);
            page.respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(name) => match create_token(&state, user.principal.scope(), &name).await? {
            Some((_, secret)) => {
                let mut page = AccountPage::load(&state, &user).await?;
                page.new_token = Some((name, secret));
                page.respond(StatusCode::OK)
            }
            None => {
                let mut page = AccountPage::load(&state, &user).await?;
                page.token_error = Some(too_many_tokens());
                page.respond(StatusCode::UNPROCESSABLE_ENTITY)
            }
        },
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<i64>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    if !state
        .db
        .revoke_api_token(user.principal.scope(), id, state.clock.now())
        .await?
    {
        return Err(user.error(WebError::not_found()));
    }
    Ok(Redirect::to("/compte").into_response())
}
