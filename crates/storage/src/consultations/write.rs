//! Drafting a consultation and applying an action to it: the version, who may act, the
//! domain's `Consultation::apply`, then one transaction for the state and the audit entry.

use chrono::{DateTime, SubsecRound, Utc};
use mutualis_domain::CpvNomenclature;
use mutualis_domain::consultation::{Action, Consultation, ConsultationStatus};
use mutualis_domain::refusal::RefusalCode;
use mutualis_domain::rules::RuleBook;

use super::state::state_json;
use super::{
    CREATE_ACTION, ConsultationError, MAX_ATTEMPTS, StoredConsultation, snapshot, subject, too_busy,
};
use crate::audit::{self, is_unique_violation};
use crate::scope::Scope;
use crate::{Database, on_backend};

impl Database {
    /// Records a draft consultation of the scope's organisation, launched for `groupement_id`
    /// (a groupement that organisation coordinates) or for itself alone, and its creation in
    /// the audit log: one transaction. The draft's buyer must be the scope's organisation, and
    /// its reference new for that buyer. Returns its id.
    pub async fn create_consultation(
        &self,
        scope: &Scope,
        groupement_id: Option<i64>,
        draft: &Consultation,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, ConsultationError> {
        let org = scope.organisation_id();
        let who = self.consultation_actor(scope).await?;
        draft
            .authority(&who)
            .map_err(ConsultationError::Forbidden)?;
        if draft.status != ConsultationStatus::Draft {
            return Err(ConsultationError::Invalid(
                "une consultation est créée en brouillon".into(),
            ));
        }
        let reference = draft.reference.trim();
        if reference.is_empty() || reference.chars().count() > 60 {
            return Err(ConsultationError::Invalid(
                "la référence de la consultation compte de 1 à 60 caractères".into(),
            ));
        }
        if let Some(gid) = groupement_id {
            let owner: Option<i64> = on_backend!(self, pool => {
                sqlx::query_scalar("SELECT organisation_id FROM groupements WHERE id = $1")
                    .bind(gid)
                    .fetch_optional(pool)
                    .await?
            });
            if owner != Some(org) || scope.territory_wide().is_none() {
                return Err(ConsultationError::Forbidden(
                    "seul le coordonnateur du groupement lance sa consultation".into(),
                ));
            }
        }
        let state = state_json(draft)?;
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = self.begin().await?;
            let inserted: Result<i64, sqlx::Error> = on_backend!(tx, conn => {
                sqlx::query_scalar(
                    "INSERT INTO consultations (organisation_id, groupement_id, reference, title, \
                     status, deadline, version, state, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8) RETURNING id",
                )
                .bind(org)
                .bind(groupement_id)
                .bind(&draft.reference)
                .bind(&draft.terms.title)
                .bind(draft.status.code())
                .bind(draft.terms.deadline)
                .bind(&state)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
            });
            let id = match inserted {
                Ok(id) => id,
                Err(e) if is_unique_violation(&e) => {
                    return Err(ConsultationError::Invalid(format!(
                        "la référence « {} » est déjà celle d'une autre consultation de \
                         l'organisme",
                        draft.reference
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            let written = audit::append(
                &mut tx,
                &subject(org, id),
                now,
                actor,
                CREATE_ACTION,
                String::new(),
                snapshot(id, 1, &state),
            )
            .await?;
            if written {
                tx.commit().await?;
                return Ok(id);
            }
        }
        Err(too_busy())
    }

    /// Applies an action to a consultation for a scope, starting from `expected_version`:
    /// checks that the scope sees it and may change it, the version and the domain's
    /// preconditions under `rules`, then writes in one transaction the new state (version + 1)
    /// and the audit entry. Nothing is written when it fails. `actor` is the user's e-mail;
    /// `now` dates the audit entry.
    #[allow(clippy::too_many_arguments)] // each is one thing the change needs; none is optional
    pub async fn apply_consultation_action(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        rules: &RuleBook,
        actor: &str,
        now: DateTime<Utc>,
        cpv: &CpvNomenclature,
    ) -> Result<StoredConsultation, ConsultationError> {
        let now = now.trunc_subsecs(6);
        let who = self.consultation_actor(scope).await?;
        for _ in 0..MAX_ATTEMPTS {
            let (row, current) = self
                .load_consultation(scope, id, cpv)
                .await?
                .ok_or(ConsultationError::NotFound)?;
            if row.version != expected_version {
                return Err(ConsultationError::Conflict {
                    expected: expected_version,
                });
            }
            let next = current
                .apply_as(&who, action, rules)
                .map_err(|r| match r.code {
                    RefusalCode::Forbidden => ConsultationError::Forbidden(r.to_string()),
                    _ => ConsultationError::Refused(r),
                })?;
            let state = state_json(&next)?;
            let version = expected_version + 1;
            let before = snapshot(id, expected_version, &row.state);
            let after = snapshot(id, version, &state);
            let mut tx = self.begin().await?;
            let updated = on_backend!(tx, conn => {
                sqlx::query(
                    "UPDATE consultations SET state = $1, title = $2, status = $3, deadline = $4, \
                     version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
                )
                .bind(&state)
                .bind(&next.terms.title)
                .bind(next.status.code())
                .bind(next.terms.deadline)
                .bind(version)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            if updated == 0 {
                return Err(ConsultationError::Conflict {
                    expected: expected_version,
                });
            }
            let written = audit::append(
                &mut tx,
                &subject(row.organisation_id, id),
                now,
                actor,
                action.code(),
                before,
                after,
            )
            .await?;
            if written {
                tx.commit().await?;
                let mut stored = row.with(next);
                stored.version = version;
                stored.updated_at = now;
                return Ok(stored);
            }
        }
        Err(too_busy())
    }
}
