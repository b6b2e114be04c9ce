//! The convention of a groupement, as HTML and as PDF.

use super::*;

/// The convention as of `on`: the rules in force that day.
fn convention_input(g: &Groupement, on: NaiveDate) -> ConventionInput<'_> {
    let mut input = ConventionInput::new(g, on);
    for code in std::iter::once(g.cpv).chain(g.lots.iter().map(|l| l.cpv)) {
        if let Some(entry) = nomenclature().entry(code) {
            input.cpv_labels.insert(code, entry.label_fr.clone());
        }
    }
    input.legal_references = [RuleKind::Groupement, RuleKind::Allotissement]
        .into_iter()
        .filter_map(|kind| rule_book().in_force(kind, None, None, on))
        .map(LegalReference::from)
        .collect();
    input
}

pub async fn convention_html(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let stored = visible(&state, &user, &id).await?;
    Ok(Html(convention::html(&convention_input(
        &stored.groupement,
        state.clock.today(),
    )))
    .into_response())
}

pub async fn convention_pdf(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let stored = visible(&state, &user, &id).await?;
    let disposition = format!(
        "attachment; filename=\"convention-groupement-{}.pdf\"",
        stored.id
    );
    let on = state.clock.today();
    let bytes =
        crate::blocking::run(move || convention::pdf(&convention_input(&stored.groupement, on)))
            .await
            .map_err(|e| user.error(e))?
            .map_err(|e| user.error(WebError::internal(e)))?;
    let disposition =
        HeaderValue::from_str(&disposition).map_err(|e| user.error(WebError::internal(e)))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
