//! One error type for handlers: it logs the internal detail and shows the user a page (or a
//! JSON body under `/api`) with the real status code, never the detail.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] mutualis_storage::StorageError),
    #[error(transparent)]
    Template(#[from] askama::Error),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Storage(_) | WebError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the API's error bodies.
    fn code(&self) -> &'static str {
        match self {
            WebError::NotFound => "not_found",
            WebError::Storage(_) | WebError::Template(_) => "internal",
        }
    }

    fn public_message(&self) -> &'static str {
        match self {
            WebError::NotFound => "La page demandée n'existe pas.",
            WebError::Storage(_) | WebError::Template(_) => {
                "Une erreur interne est survenue. Elle a été journalisée ; réessayez plus tard."
            }
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }

    /// The same error as a JSON body, for the API.
    pub fn into_json(self) -> Response {
        self.log();
        #[derive(Serialize)]
        struct Body {
            code: &'static str,
            message: &'static str,
        }
        let body = Body {
            code: self.code(),
            message: self.public_message(),
        };
        (self.status(), Json(body)).into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let title = match status {
            StatusCode::NOT_FOUND => "Page introuvable",
            _ => "Erreur interne",
        };
        let page = ErrorPage {
            title,
            message: self.public_message(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.public_message()).into_response(),
        }
    }
}
