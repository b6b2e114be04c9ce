//! The coordinator's DECP upload: the file is received into the uploads folder and imported by
//! a background job (`mutualis_app::jobs::decp_import`, the same import as `mutualis import
//! decp`), whose progress page (`pages/jobs.rs`) shows the summary and the rejected records.

use std::io::Write;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mutualis_app::jobs::{DecpImport, JobSpec, Upload, enqueue};

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    file_error: Option<String>,
}

impl ImportPage {
    fn new(user: &SignedIn) -> ImportPage {
        ImportPage {
            layout: user.layout(),
            file_error: None,
        }
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

/// The upload is written to a file of the uploads folder as it arrives, then a DECP import
/// job is queued and the browser sent at once to its progress page (`/travaux/{id}`).
pub async fn upload(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    coordinator_only(&user)?;
    let mut csrf = String::new();
    let mut page = ImportPage::new(&user);
    let mut received: Option<(Upload, String, u64)> = None;
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
                let file_name = field.file_name().unwrap_or("fichier").to_owned();
                // Deleted when dropped: an upload cut short or refused leaves nothing behind.
                let mut upload = state.uploads.create("decp").map_err(WebError::internal)?;
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
                    upload
                        .file()
                        .write_all(&chunk)
                        .map_err(WebError::internal)?;
                    size += chunk.len() as u64;
                }
                upload.file().flush().map_err(WebError::internal)?;
                received = Some((upload, file_name, size));
            }
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let Some((upload, file_name, size)) = received else {
        page.file_error = Some("Choisissez un fichier DECP à importer.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let name = upload.keep();
    let job = JobSpec::DecpImport(DecpImport {
        upload: name.clone(),
        file_name,
        size,
    });
    match enqueue(&state.db, &*state.clock, user.principal.scope(), &job).await {
        Ok(id) => {
            tracing::info!(job = id, size, "DECP upload queued");
            Ok(Redirect::to(&format!("/travaux/{id}")).into_response())
        }
        Err(e) => {
            state.uploads.remove(&name);
            Err(user.error(WebError::internal(e)))
        }
    }
}
