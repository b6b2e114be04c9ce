//! Who is asking: sessions (cookies) for pages, personal tokens for the API, and the CSRF
//! checks of state-changing forms.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use mutualis_domain::Capability;
use mutualis_storage::Principal;
use mutualis_storage::credentials::{hash_secret, new_secret, secrets_equal};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, WebError};
use crate::layout::{Layout, NavUser};

/// The session cookie: a random secret whose SHA-256 names the session row.
pub const SESSION_COOKIE: &str = "mutualis_session";
/// The anonymous CSRF cookie of the sign-in form (double submit).
pub const CSRF_COOKIE: &str = "mutualis_csrf";

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub csrf: String,
    /// The SHA-256 of the session cookie.
    pub token_hash: String,
}

impl SignedIn {
    pub fn layout(&self) -> Layout {
        let p = &self.principal;
        Layout {
            user: Some(NavUser {
                email: p.email.to_string(),
                role: p.role(),
                role_label: p.role().label_fr(),
                organisation: p.organisation_name.clone(),
                coordinator: p.scope().territory_wide().is_some(),
            }),
            csrf: self.csrf.clone(),
        }
    }

    /// A state-changing form must carry this session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), WebError> {
        if secrets_equal(given, &self.csrf) {
            Ok(())
        } else {
            tracing::warn!(
                user = self.principal.user_id(),
                "CSRF token missing or forged"
            );
            Err(WebError::forbidden().in_layout(self.layout()))
        }
    }

    /// An error page in this user's layout.
    pub fn error(&self, error: impl Into<WebError>) -> WebError {
        let error: WebError = error.into();
        error.in_layout(self.layout())
    }

    /// The 403 page, in this user's layout, for a role without `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), WebError> {
        require(&self.principal, capability).map_err(|e| self.error(e))
    }
}

/// Refuses (403) a role without `capability`: pages and API alike ask [`Role::can`] through
/// here. Refused whatever the id asked, so that a refusal reveals nothing about ids.
///
/// [`Role::can`]: mutualis_domain::Role::can
pub fn require(user: &Principal, capability: Capability) -> Result<(), WebError> {
    Ok(mutualis_app::require(user, capability)?)
}

async fn session_from(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, WebError> {
    session_from_headers(&parts.headers, state).await
}

/// The live session the request's cookie names, if any.
pub async fn session_from_headers(
    headers: &axum::http::HeaderMap,
    state: &AppState,
) -> Result<Option<SignedIn>, WebError> {
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let token_hash = hash_secret(cookie.value());
    let Some(session) = state
        .db
        .session(&token_hash, state.clock.now(), state.config.session)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        principal: session.principal,
        csrf: session.csrf_token,
        token_hash,
    }))
}

/// Pages that anyone may see, and that change with who is signed in.
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl MaybeSignedIn {
    pub fn layout(&self) -> Layout {
        self.0.as_ref().map(SignedIn::layout).unwrap_or_default()
    }
}

impl FromRequestParts<Arc<AppState>> for MaybeSignedIn {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(session_from(parts, state).await?))
    }
}

/// Pages for signed-in users: without a live session, the browser is sent to the sign-in
/// page, which brings it back here afterwards.
impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match session_from(parts, state).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => {
                let asked = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |pq| pq.as_str())
                    .to_owned();
                Err(Redirect::to(&login_url(&asked)).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// `/connexion?suite=…`, to come back to `asked` after signing in.
pub fn login_url(asked: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(asked.as_bytes()).collect();
    format!("/connexion?suite={encoded}")
}

/// Where to go after signing in: only a path of this site, never another site. Refused, for
/// `/`: anything that does not start with one `/`, and any character outside visible ASCII or
/// a backslash anywhere, since browsers drop tabs and newlines from a URL (`/\t/evil.example`
/// is `//evil.example`, another host) and read `\` as `/`; our own links are percent-encoded.
pub fn safe_return_path(suite: Option<&str>) -> String {
    match suite {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A session cookie for a new secret. `secure` follows the configuration.
pub fn session_cookie(secret: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build()
}

pub fn removal_cookie(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// The anonymous CSRF token of the sign-in form: the cookie's, or a new one to set.
pub fn anonymous_csrf(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(existing) = jar.get(CSRF_COOKIE) {
        let value = existing.value().to_owned();
        return (jar, value);
    }
    let token = new_secret("");
    let cookie = Cookie::build((CSRF_COOKIE, token.clone()))
        .path("/connexion")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), token)
}

/// The address of the client, when the server knows it (not in in-process tests): the peer's,
/// or, when the peer is the configured trusted proxy, the last address that proxy appended
/// to `X-Forwarded-For` (the one it saw; earlier ones are the client's own say).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddr(client_address(
            peer,
            state.config.trusted_proxy,
            &parts.headers,
        )))
    }
}

/// The client's address from the peer's and the `X-Forwarded-For` headers (see [`ClientAddr`]).
pub fn client_address(
    peer: Option<IpAddr>,
    trusted_proxy: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
) -> Option<IpAddr> {
    let peer = peer?;
    if Some(peer) != trusted_proxy {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    // A trusted proxy that forwards no readable address: its own, as before.
    Some(forwarded.unwrap_or(peer))
}

/// A user of the JSON API, by personal token (`Authorization: Bearer mtl_…`).
pub struct ApiUser(pub Principal);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(WebError::new(ErrorCode::Unauthenticated).into());
        };
        match state
            .db
            .api_token_principal(&hash_secret(token), state.clock.now())
            .await?
        {
            Some(principal) => Ok(ApiUser(principal)),
            None => Err(WebError::new(ErrorCode::Unauthenticated).into()),
        }
    }
}

/// A URL-encoded form; a body that does not parse is a 400 page, one too large a 413.
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for HtmlForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(HtmlForm(value)),
            // Every form of the application carries a CSRF token, which a request that is not
            // a form cannot: refused as a missing token would be.
            Err(FormRejection::InvalidFormContentType(_)) => Err(WebError::forbidden()),
            Err(rejection) => Err(body_error(rejection.status(), rejection.body_text(), false)),
        }
    }
}

/// A JSON body; what does not parse is a 400 whose message names the field, too large a 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(body_error(
                rejection.status(),
                rejection.body_text(),
                true,
            ))),
        }
    }
}

fn body_error(status: StatusCode, text: String, json: bool) -> WebError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return WebError::new(ErrorCode::PayloadTooLarge);
    }
    let code = if json {
        ErrorCode::InvalidJson
    } else {
        ErrorCode::BadRequest
    };
    // axum's text names the problem ("missing field `name` at line 1 column 2").
    let detail = text
        .split_once(": ")
        .map_or(text.as_str(), |(_, rest)| rest)
        .to_owned();
    WebError::with_detail(code, format!("{} ({detail})", code.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_proxys_word_only_for_the_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 198.51.100.7".parse().unwrap());
        let proxy = Some(ip("10.0.0.1"));
        // Behind the proxy: the address it appended last, not the one the client wrote.
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), proxy, &headers),
            Some(ip("198.51.100.7"))
        );
        // Anyone else writing the header is not believed.
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), proxy, &headers),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), None, &headers),
            Some(ip("10.0.0.1"))
        );
        // Two headers: the last one is the proxy's.
        headers.append("x-forwarded-for", "192.0.2.4".parse().unwrap());
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), proxy, &headers),
            Some(ip("192.0.2.4"))
        );
        let garbage: axum::http::HeaderMap = [(
            axum::http::header::HeaderName::from_static("x-forwarded-for"),
            "n/a".parse().unwrap(),
        )]
        .into_iter()
        .collect();
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), proxy, &garbage),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(client_address(None, proxy, &headers), None);
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_return_path(Some("/compte")), "/compte");
        assert_eq!(
            safe_return_path(Some("/organisations?page=2")),
            "/organisations?page=2"
        );
        assert_eq!(safe_return_path(Some("//evil.example")), "/");
        assert_eq!(safe_return_path(Some("https://evil.example")), "/");
        assert_eq!(safe_return_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_return_path(Some("/\t/evil.example")), "/");
        assert_eq!(safe_return_path(Some("/\n")), "/");
        assert_eq!(safe_return_path(Some("/a b")), "/");
        assert_eq!(safe_return_path(None), "/");
    }

    #[test]
    fn the_login_url_carries_the_page_asked_for() {
        assert_eq!(login_url("/compte"), "/connexion?suite=%2Fcompte");
        assert_eq!(
            login_url("/organisations?x=1&y=2"),
            "/connexion?suite=%2Forganisations%3Fx%3D1%26y%3D2"
        );
    }
}
