//! Errors, declared once. Every failure a handler can meet is an [`ErrorCode`] with its HTTP
//! status, its stable code and its French message. Pages render it as an error page with the
//! real status; the API answers `{code, message}`. Internal detail is logged, never shown.

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::layout::Layout;

/// Every error code the application answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed (a form that does not parse, say).
    BadRequest,
    /// The JSON body does not parse or lacks a field; the message names it.
    InvalidJson,
    /// No valid session or API token.
    Unauthenticated,
    /// Signed in, but this role may not do this; or a missing or forged CSRF token.
    Forbidden,
    /// No such page or object — including another tenant's objects.
    NotFound,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// Too many failed sign-ins: wait and retry.
    TooManyRequests,
    /// The request took longer than its route allows (`limits.rs`) and was cut short.
    Timeout,
    /// Something failed on the server; it was logged.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::BadRequest,
        ErrorCode::InvalidJson,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::TooManyRequests,
        ErrorCode::Timeout,
        ErrorCode::Internal,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidJson => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            // Not 408, which browsers may answer by sending the request again on their own.
            ErrorCode::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
        }
    }

    /// The page title of the error page.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidJson => "Requête invalide",
            ErrorCode::Unauthenticated => "Connexion requise",
            ErrorCode::Forbidden => "Accès refusé",
            ErrorCode::NotFound => "Page introuvable",
            ErrorCode::PayloadTooLarge => "Envoi trop volumineux",
            ErrorCode::TooManyRequests => "Trop de tentatives",
            ErrorCode::Timeout => "Délai dépassé",
            ErrorCode::Internal => "Erreur interne",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "La requête n'a pas pu être comprise.",
            ErrorCode::InvalidJson => "Le corps JSON de la requête est invalide.",
            ErrorCode::Unauthenticated => {
                "Une connexion est requise : jeton d'API absent, invalide ou révoqué."
            }
            ErrorCode::Forbidden => {
                "Vous n'avez pas accès à cette page, ou le formulaire a expiré : rechargez la page et recommencez."
            }
            ErrorCode::NotFound => "La page ou l'objet demandé n'existe pas.",
            ErrorCode::PayloadTooLarge => "L'envoi dépasse la taille autorisée (64 Kio).",
            ErrorCode::TooManyRequests => {
                "Trop de tentatives de connexion échouées. Réessayez dans 15 minutes."
            }
            ErrorCode::Timeout => {
                "La requête a pris trop de temps et a été interrompue. Vérifiez ce qui a été enregistré avant de recommencer."
            }
            ErrorCode::Internal => {
                "Une erreur interne est survenue. Elle a été journalisée ; réessayez plus tard."
            }
        }
    }
}

/// A failed request. Pages turn it into an error page; the API wraps it in [`ApiError`].
#[derive(Debug)]
pub struct WebError {
    pub code: ErrorCode,
    /// A more precise public message than the code's own.
    pub detail: Option<String>,
    /// What is logged for an internal error; never shown.
    internal: Option<String>,
    /// The page layout (navigation for the signed-in user), when known.
    layout: Option<Box<Layout>>,
}

impl WebError {
    pub fn new(code: ErrorCode) -> WebError {
        WebError {
            code,
            detail: None,
            internal: None,
            layout: None,
        }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> WebError {
        WebError {
            detail: Some(detail.into()),
            ..WebError::new(code)
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> WebError {
        WebError {
            internal: Some(cause.to_string()),
            ..WebError::new(ErrorCode::Internal)
        }
    }

    pub fn not_found() -> WebError {
        WebError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> WebError {
        WebError::new(ErrorCode::Forbidden)
    }

    /// Shows the error page inside the signed-in user's layout.
    pub fn in_layout(mut self, layout: Layout) -> WebError {
        self.layout = Some(Box::new(layout));
        self
    }

    fn message(&self) -> String {
        self.detail
            .clone()
            .unwrap_or_else(|| self.code.message().to_owned())
    }

    fn log(&self) {
        if let Some(cause) = &self.internal {
            tracing::error!(error = %cause, "request failed");
        }
    }
}

impl From<mutualis_storage::StorageError> for WebError {
    fn from(e: mutualis_storage::StorageError) -> WebError {
        WebError::internal(e)
    }
}

impl From<mutualis_app::AppError> for WebError {
    fn from(e: mutualis_app::AppError) -> WebError {
        use mutualis_app::AppError;
        match e {
            AppError::Forbidden => WebError::forbidden(),
            AppError::NotFound => WebError::not_found(),
            AppError::Invalid(message) => WebError::with_detail(ErrorCode::BadRequest, message),
            AppError::Storage(e) => WebError::internal(e),
            AppError::Internal(cause) => WebError::internal(cause),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        WebError::internal(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: &'static str,
    message: String,
}

/// An error page rendered without the user's frame (the handler failed before it knew who
/// asked): [`frame_error_pages`] renders it again inside the signed-in user's navigation.
#[derive(Debug, Clone)]
struct Unframed {
    code: ErrorCode,
    message: String,
}

fn error_page(code: ErrorCode, message: String, layout: Layout) -> Response {
    let page = ErrorPage {
        layout,
        title: code.title(),
        message: message.clone(),
    };
    match page.render() {
        Ok(html) => (code.status(), Html(html)).into_response(),
        Err(_) => (code.status(), message).into_response(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let message = self.message();
        match self.layout {
            Some(layout) => error_page(self.code, message, *layout),
            None => {
                let mut response = error_page(self.code, message.clone(), Layout::default());
                response.extensions_mut().insert(Unframed {
                    code: self.code,
                    message,
                });
                response
            }
        }
    }
}

/// Every error page inside the frame of whoever is signed in: an error page rendered without
/// it (a storage failure met by `?` before the handler built its layout, an extractor's
/// refusal) is rendered again with the session's navigation, so that a user who meets an
/// error still has the menu and the sign-out form. Costs one session lookup, on errors only.
pub async fn frame_error_pages(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<crate::AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(unframed) = response.extensions().get::<Unframed>().cloned() else {
        return response;
    };
    match crate::session::session_from_headers(&headers, &state).await {
        Ok(Some(user)) => error_page(unframed.code, unframed.message, user.layout()),
        _ => response,
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// A [`WebError`] answered as JSON, for the API.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> ApiError {
        ApiError(e)
    }
}

impl From<mutualis_app::AppError> for ApiError {
    fn from(e: mutualis_app::AppError) -> ApiError {
        ApiError(e.into())
    }
}

impl From<mutualis_storage::StorageError> for ApiError {
    fn from(e: mutualis_storage::StorageError) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        error.log();
        let body = ApiErrorBody {
            code: error.code,
            message: error.message(),
        };
        let mut response = (error.code.status(), Json(body)).into_response();
        if error.code == ErrorCode::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mutualis\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_declared_once_and_distinct() {
        let codes: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            // The serde name is the declared code.
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::String(code.code().into()))
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
