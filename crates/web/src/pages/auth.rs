//! Signing in and out.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use mutualis_storage::credentials::secrets_equal;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::session::{
    CSRF_COOKIE, ClientAddr, HtmlForm, MaybeSignedIn, SESSION_COOKIE, SignedIn, anonymous_csrf,
    removal_cookie, safe_return_path, session_cookie,
};

/// The one message for a failed sign-in, whatever failed: no account enumeration.
use mutualis_app::accounts::{self, BAD_CREDENTIALS, SignIn};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    demo: bool,
    csrf: String,
    suite: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    suite: Option<String>,
}

pub async fn login_form(
    State(state): State<Arc<AppState>>,
    user: MaybeSignedIn,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let suite = safe_return_path(query.suite.as_deref());
    if user.0.is_some() {
        return Ok(Redirect::to(&suite).into_response());
    }
    let (jar, csrf) = anonymous_csrf(jar, state.config.cookie_secure);
    let page = LoginPage {
        layout: Layout::default(),
        demo: state.demo,
        csrf,
        suite,
        email: String::new(),
        error: None,
    };
    Ok((jar, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    suite: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, WebError> {
    let expected_csrf = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned());
    if !expected_csrf.is_some_and(|t| secrets_equal(&form.csrf, &t)) {
        return Err(WebError::forbidden());
    }
    let refuse = |status: StatusCode, message: &str| -> Result<Response, WebError> {
        let page = LoginPage {
            layout: Layout::default(),
            demo: state.demo,
            csrf: form.csrf.clone(),
            suite: safe_return_path(Some(&form.suite)),
            email: form.email.clone(),
            error: Some(message.to_owned()),
        };
        Ok((status, Html(page.render()?)).into_response())
    };
    let signed_in = accounts::sign_in(
        &state,
        &form.email,
        &form.password,
        addr,
        jar.get(SESSION_COOKIE).map(|c| c.value()),
        state.config.throttle,
        state.config.session,
    )
    .await?;
    match signed_in {
        SignIn::Throttled => refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests.message(),
        ),
        SignIn::BadCredentials => refuse(StatusCode::OK, BAD_CREDENTIALS),
        SignIn::SignedIn { secret } => {
            let jar = jar.add(session_cookie(secret, state.config.cookie_secure));
            Ok((jar, Redirect::to(&safe_return_path(Some(&form.suite)))).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    accounts::sign_out(&state, &user.token_hash).await?;
    Ok((
        jar.remove(removal_cookie(SESSION_COOKIE)),
        Redirect::to("/"),
    )
        .into_response())
}
