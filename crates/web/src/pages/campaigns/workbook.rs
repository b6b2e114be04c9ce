//! A member's needs workbook: the download, pre-filled with its contracts and declared needs,
//! and the upload, read whole (every error listed with its sheet and cell, nothing written)
//! before it replaces the needs of the member's previous workbook.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mutualis_domain::Need;
use mutualis_formats::needs_workbook::{
    PrefillRow, WorkbookErrors, WorkbookMeta, read_workbook, write_workbook,
};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{Campaign, CampaignSummary, NeedSource, StoredNeed};
use mutualis_storage::contracts::ContractFilter;
use mutualis_storage::organisations::OrganisationRecord;

use super::{
    CONTRACTS_PER_QUERY, CellErrorRow, MemberPage, WORKBOOK_LIMIT_LABEL, XLSX_CONTENT_TYPE,
    answerable_campaign, own_organisation, redirect_done, refused, respond, sentence,
};
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

/// The rows a member's workbook starts with: its contracts ending after the campaign opens,
/// in the campaign's families (when it has some), unless a declared need already renews them;
/// then every need it has declared.
async fn prefill_rows(
    state: &AppState,
    user: &SignedIn,
    campaign: &Campaign,
    needs: &[StoredNeed],
) -> Result<Vec<PrefillRow>, WebError> {
    let renewed: HashSet<&str> = needs
        .iter()
        .filter_map(|n| n.need.current_contract.as_deref())
        .collect();
    let mut rows = Vec::new();
    let mut page = 0;
    loop {
        let filter = ContractFilter {
            ends_from: Some(campaign.opens_on),
            per_page: CONTRACTS_PER_QUERY,
            page,
            ..ContractFilter::default()
        };
        let found = state
            .db
            .contracts_in_scope(user.principal.scope(), &filter, nomenclature())
            .await?;
        for record in &found.records {
            let c = &record.contract;
            let in_families = campaign.cpv_families.is_empty()
                || c.cpv.is_some_and(|cpv| campaign.family_of(&cpv).is_some());
            if in_families && !renewed.contains(c.id.as_str()) {
                rows.push(PrefillRow::from_contract(c));
            }
        }
        let read = i64::from(page + 1) * i64::from(CONTRACTS_PER_QUERY);
        if found.records.len() < CONTRACTS_PER_QUERY as usize || read >= found.total {
            break;
        }
        page += 1;
    }
    rows.extend(needs.iter().map(|n| PrefillRow::from(&n.need)));
    Ok(rows)
}

pub async fn download_workbook(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let summary = answerable_campaign(&state, &user, &id).await?;
    let campaign = &summary.campaign;
    let organisation = own_organisation(&state, &user).await?;
    let needs = state
        .db
        .needs_of(user.principal.scope(), campaign.id, nomenclature())
        .await
        .map_err(|e| user.error(WebError::internal(e)))?;
    let rows = prefill_rows(&state, &user, campaign, &needs).await?;
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
    let summary = answerable_campaign(&state, &user, &id).await?;
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
    // A row identical to a need entered in the form is that need: not imported twice.
    let campaign = summary.campaign.id;
    let scope = user.principal.scope();
    let mut form_needs: Vec<Need> = state
        .db
        .needs_of(scope, campaign, nomenclature())
        .await
        .map_err(|e| user.error(WebError::internal(e)))?
        .into_iter()
        .filter(|n| n.source == NeedSource::Form)
        .map(|n| n.need)
        .collect();
    let mut imported = Vec::with_capacity(needs.len());
    let mut duplicates = 0;
    for need in needs {
        match form_needs.iter().position(|f| *f == need) {
            Some(i) => {
                form_needs.swap_remove(i);
                duplicates += 1;
            }
            None => imported.push(need),
        }
    }
    match state
        .db
        .replace_needs_from_workbook(
            scope,
            campaign,
            &imported,
            state.clock.today(),
            state.clock.now(),
        )
        .await
    {
        Ok(n) => Ok(redirect_done(
            campaign,
            &format!("fait=classeur&n={n}&doublons={duplicates}#resultat"),
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
