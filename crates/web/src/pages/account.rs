//! The account page: password change and personal API tokens.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mutualis_domain::PasswordPolicy;
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::datetime_label;
use crate::session::{HtmlForm, SignedIn};

/// The prefix of personal API tokens, so that a leaked one is recognisable.
pub use mutualis_app::accounts::TOKEN_PREFIX;

use mutualis_app::accounts::{self, FieldError};

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
        let tokens = accounts::tokens(state, user.principal.scope())
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
    let outcome = accounts::change_password(
        &state,
        user.principal.scope(),
        &form.current_password,
        &form.new_password,
        &form.confirmation,
        &user.token_hash,
    )
    .await?;
    let mut page = AccountPage::load(&state, &user).await?;
    match outcome {
        Ok(revoked) => {
            page.password_changed = true;
            page.tokens_revoked = revoked;
            page.respond(StatusCode::OK)
        }
        Err(errors) => {
            page.password = PasswordForm::new(errors);
            page.respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn new_token(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    HtmlForm(form): HtmlForm<NewToken>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let created = accounts::create_token(&state, user.principal.scope(), &form.name).await?;
    let mut page = AccountPage::load(&state, &user).await?;
    match created {
        Ok(token) => {
            page.new_token = Some((token.name, token.secret));
            page.respond(StatusCode::OK)
        }
        Err(message) => {
            page.token_error = Some(message);
            page.respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
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
    accounts::revoke_token(&state, user.principal.scope(), id)
        .await
        .map_err(|e| user.error(e))?;
    Ok(Redirect::to("/compte").into_response())
}
