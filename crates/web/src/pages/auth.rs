//! Signing in and out.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use mutualis_domain::Email;
use mutualis_storage::credentials::{
    dummy_password_check, hash_secret, new_secret, secrets_equal, verify_password,
};
use serde::Deserialize;

use crate::AppState;
use crate::blocking;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::session::{
    CSRF_COOKIE, ClientAddr, HtmlForm, MaybeSignedIn, SESSION_COOKIE, SignedIn, anonymous_csrf,
    removal_cookie, safe_return_path, session_cookie,
};

/// The one message for a failed sign-in, whatever failed: no account enumeration.
const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

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
    let now = state.clock.now();
    let throttle = state.config.throttle;
    let email = form.email.trim().to_lowercase();
    let email_key = format!("account:{email}");
    // The account as guessed from this address ("?" when the server does not know it).
    let pair_key = format!(
        "account:{email}|from:{}",
        addr.map_or_else(|| "?".to_owned(), |a| a.to_string())
    );
    let addr_key = addr.map(|a| format!("address:{a}"));
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

    let mut throttled = state
        .db
        .login_failures(&pair_key, now, throttle.window)
        .await?
        >= throttle.per_account;
    throttled |= state
        .db
        .login_failures(&email_key, now, throttle.window)
        .await?
        >= throttle.per_account_anywhere;
    if let Some(key) = &addr_key {
        throttled |=
            state.db.login_failures(key, now, throttle.window).await? >= throttle.per_address;
    }
    if throttled {
        tracing::warn!(account = %email_key, address = ?addr, "sign-in throttled");
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests.message(),
        );
    }

    let credentials = match Email::parse(&form.email) {
        Ok(email) => state.db.credentials(&email).await?,
        Err(_) => None,
    };
    // An unknown e-mail is checked against a dummy hash: the answer takes as long.
    let password = form.password.clone();
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
        for key in [&pair_key, &email_key] {
            state
                .db
                .record_login_failure(key, now, throttle.window)
                .await?;
        }
        if let Some(key) = &addr_key {
            state
                .db
                .record_login_failure(key, now, throttle.window)
                .await?;
        }
        return refuse(StatusCode::OK, BAD_CREDENTIALS);
    };

    state.db.clear_login_failures(&pair_key).await?;
    // A new session id at every sign-in; whatever session the browser had is ended.
    if let Some(old) = jar.get(SESSION_COOKIE) {
        state.db.delete_session(&hash_secret(old.value())).await?;
    }
    let secret = new_secret("");
    state
        .db
        .create_session(
            &credentials,
            &hash_secret(&secret),
            &new_secret(""),
            now,
            state.config.session,
        )
        .await?;
    tracing::info!(user = credentials.user_id, "signed in");
    let jar = jar.add(session_cookie(secret, state.config.cookie_secure));
    Ok((jar, Redirect::to(&safe_return_path(Some(&form.suite)))).into_response())
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
    state.db.delete_session(&user.token_hash).await?;
    Ok((
        jar.remove(removal_cookie(SESSION_COOKIE)),
        Redirect::to("/"),
    )
        .into_response())
}
