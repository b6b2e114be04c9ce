//! The coordinator's DECP upload: the same import as `mutualis import decp`, with the same
//! summary and the rejected records listed.

use std::io::Write;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use mutualis_import::{ImportError, ImportSummary, import_decp};

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::session::SignedIn;

/// Rejected records listed on the page; all are counted in the summary.
const REJECTS_SHOWN: usize = 200;

struct RejectRow {
    index: usize,
    id: String,
    field: String,
    value: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    file_name: String,
    summary: Option<ImportSummary>,
    file_error: Option<String>,
    rejects: Vec<RejectRow>,
}

impl ImportPage {
    fn new(user: &SignedIn) -> ImportPage {
        ImportPage {
            layout: user.layout(),
            file_name: String::new(),
            summary: None,
            file_error: None,
            rejects: Vec::new(),
        }
    }

    /// The rejected records per reason, in French.
    fn reasons(&self) -> Vec<(&str, usize)> {
        self.summary
            .as_ref()
            .map(ImportSummary::rejected_by_reason_fr)
            .unwrap_or_default()
    }
}

fn coordinator_only(user: &SignedIn) -> Result<(), WebError> {
    match user.principal.scope().territory_wide() {
        Some(_) => Ok(()),
        None => Err(user.error(WebError::forbidden())),
    }
}

pub async fn form(user: SignedIn) -> Result<Response, WebError> {
    coordinator_only(&user)?;
    Ok(Html(ImportPage::new(&user).render()?).into_response())
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    coordinator_only(&user)?;
    let mut csrf = String::new();
    let mut page = ImportPage::new(&user);
    let mut file: Option<std::fs::File> = None;
    let bad_upload = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::with_detail(
                crate::ErrorCode::PayloadTooLarge,
                format!(
                    "Le fichier dépasse {}, la taille maximale d'un fichier DECP déposé ici : rien \
                     n'a été importé. Un fichier plus gros s'importe par la commande « mutualis \
                     import decp ».",
                    crate::limits::UPLOAD_LIMIT_LABEL
                ),
            )
        } else {
            WebError::with_detail(
                crate::ErrorCode::BadRequest,
                format!("Envoi interrompu ou mal formé : {}", e.body_text()),
            )
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad_upload)?,
            Some("fichier") => {
                // The token comes first in the form: nothing is stored for a forged request.
                user.check_csrf(&csrf)?;
                page.file_name = field.file_name().unwrap_or("fichier").to_owned();
                let mut temp = tempfile().map_err(WebError::internal)?;
                while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
                    temp.write_all(&chunk).map_err(WebError::internal)?;
                }
                file = Some(temp);
            }
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let Some(mut file) = file else {
        page.file_error = Some("Choisissez un fichier DECP à importer.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    use std::io::Seek;
    file.rewind().map_err(WebError::internal)?;
    let mut rejects = Vec::new();
    let outcome = import_decp(&state.db, std::io::BufReader::new(file), |r| {
        if rejects.len() < REJECTS_SHOWN {
            rejects.push(RejectRow {
                index: r.index,
                id: r.id.clone().unwrap_or_default(),
                field: r.field.clone(),
                value: r.value.clone(),
                reason: r.detail.clone(),
            });
        }
    })
    .await;
    match outcome {
        Ok(summary) => {
            tracing::info!(file = %page.file_name, read = summary.read, rejected = summary.rejected, "DECP upload imported");
            page.summary = Some(summary);
            page.rejects = rejects;
            Ok(Html(page.render()?).into_response())
        }
        Err(ImportError::File(e)) => {
            page.file_error = Some(e.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(user.error(WebError::internal(e))),
    }
}

/// An anonymous temporary file, removed by the system when closed.
fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "mutualis-upload-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    // Unlinked at once: the open handle keeps it until the import is done.
    std::fs::remove_file(&path)?;
    Ok(file)
}
