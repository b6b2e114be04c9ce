//! A member's needs workbook: the download, pre-filled with its contracts and declared needs,
//! and the upload, read whole (every error listed with its sheet and cell, nothing written)
//! before it replaces the needs of the member's previous workbook.

use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mutualis_formats::needs_workbook::{
    WorkbookErrors, WorkbookMeta, read_workbook, write_workbook,
};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{Campaign, CampaignSummary};
use mutualis_storage::organisations::OrganisationRecord;

use super::{
    CellErrorRow, MemberPage, Seen, WORKBOOK_LIMIT_LABEL, XLSX_CONTENT_TYPE, campaign,
    own_organisation, redirect_done, refused, respond, sentence,
};
use mutualis_app::campaigns;

use crate::AppState;
use crate::blocking;
use crate::error::{ErrorCode, WebError};
use crate::session::SignedIn;

fn workbook_meta(campaign: &Campaign, organisation: &OrganisationRecord) -> WorkbookMeta {
    WorkbookMeta {
        campaign_id: campaign.id,
        campaign_title: campaign.title.clone(),
        opens_on: campaign.opens_on,
        closes_on: campaign.closes_on,
        cpv_families: campaign.cpv_families.clone(),
        member: organisation.organisation.siren.clone(),
        member_name: organisation.organisation.name.clone(),
    }
}

pub async fn download_workbook(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let summary = campaign(&state, &user, &id, Seen::Answerable).await?;
    let campaign = &summary.campaign;
    let organisation = own_organisation(&state, &user).await?;
    let needs = campaigns::needs(&state, &user.principal, campaign.id)
        .await
        .map_err(|e| user.error(e))?;
    let rows = campaigns::workbook_rows(&state, &user.principal, campaign, &needs)
        .await
        .map_err(|e| user.error(e))?;
    let meta = workbook_meta(campaign, &organisation);
    let bytes = blocking::run(move || write_workbook(&meta, &rows))
        .await
        .map_err(|e| user.error(e))?
        .map_err(|e| user.error(WebError::internal(e)))?;
    let file_name = format!(
        "besoins-campagne-{}-{}.xlsx",
        campaign.id, organisation.organisation.siren
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .map_err(|e| user.error(WebError::internal(e)))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(XLSX_CONTENT_TYPE),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

/// What an upload brought.
enum Upload {
    File(Vec<u8>),
    Missing,
    TooLarge,
}

/// Reads the multipart body: the CSRF token (first field), then the file. Nothing is read
/// past a forged token.
async fn read_upload(user: &SignedIn, mut multipart: Multipart) -> Result<Upload, WebError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            format!("Envoi interrompu ou mal formé : {}", e.body_text()),
        ))
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // The limit may strike before the token is read (a body sent in one piece):
            // saying so changes nothing, so it needs no token.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Upload::TooLarge),
            Err(e) => return Err(bad(e)),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad)?,
            Some("classeur") => {
                user.check_csrf(&csrf)?;
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return Ok(Upload::TooLarge);
                        }
                        Err(e) => return Err(bad(e)),
                    }
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    Ok(match file {
        Some(bytes) if !bytes.is_empty() => Upload::File(bytes),
        _ => Upload::Missing,
    })
}

pub async fn upload_workbook(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let multipart = multipart.map_err(|e| {
        user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            format!(
                "Le classeur doit être envoyé par le formulaire de dépôt ({}).",
                e.body_text()
            ),
        ))
    })?;
    let summary = campaign(&state, &user, &id, Seen::Answerable).await?;
    let upload = read_upload(&user, multipart).await?;
    let bytes = match upload {
        Upload::File(bytes) => bytes,
        Upload::Missing => {
            let mut page = MemberPage::load(&state, &user, &summary).await?;
            page.upload_error = Some("Choisissez le classeur rempli (.xlsx) à déposer.".into());
            return respond(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
        Upload::TooLarge => {
            let mut page = MemberPage::load(&state, &user, &summary).await?;
            page.upload_error = Some(format!(
                "Le fichier dépasse {WORKBOOK_LIMIT_LABEL}, la taille maximale d'un classeur : \
                 rien n'a été enregistré. Déposez le classeur de la campagne, enregistré au \
                 format .xlsx, sans images ni feuilles ajoutées."
            ));
            return respond(StatusCode::PAYLOAD_TOO_LARGE, page);
        }
    };
    let organisation = own_organisation(&state, &user).await?;
    let meta = workbook_meta(&summary.campaign, &organisation);
    let read = blocking::run(move || read_workbook(&bytes, &meta, nomenclature()))
        .await
        .map_err(|e| user.error(e))?;
    let needs = match read {
        Ok(needs) => needs,
        Err(errors) => return refused_workbook(&state, &user, &summary, errors).await,
    };
    let campaign = summary.campaign.id;
    match campaigns::import_workbook(&state, &user.principal, campaign, needs).await {
        Ok(done) => Ok(redirect_done(
            campaign,
            &format!(
                "fait=classeur&n={}&doublons={}#resultat",
                done.needs, done.duplicates
            ),
        )),
        Err(e) => refused(&state, &user, &summary, e).await,
    }
}

async fn refused_workbook(
    state: &AppState,
    user: &SignedIn,
    summary: &CampaignSummary,
    errors: WorkbookErrors,
) -> Result<Response, WebError> {
    let mut page = MemberPage::load(state, user, summary).await?;
    let count = errors.errors.len();
    page.upload_error = Some(if count == 1 {
        "Classeur refusé, rien n'a été enregistré : 1 erreur, détaillée dans le tableau \
         ci-dessous. Corrigez-la et déposez de nouveau le classeur."
            .to_owned()
    } else {
        format!(
            "Classeur refusé, rien n'a été enregistré : {count} erreurs, détaillées dans le \
             tableau ci-dessous. Corrigez-les et déposez de nouveau le classeur."
        )
    });
    page.workbook_errors = errors
        .errors
        .into_iter()
        .map(|e| CellErrorRow {
            sheet: e.sheet.unwrap_or_else(|| "—".into()),
            cell: e.cell.unwrap_or_else(|| "—".into()),
            reason: sentence(&e.reason),
        })
        .collect();
    respond(StatusCode::UNPROCESSABLE_ENTITY, page)
}
