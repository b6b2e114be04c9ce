//! Drafting a groupement.

use chrono::{DateTime, SubsecRound, Utc};
use mutualis_domain::groupement::{Groupement, NewGroupement};

use super::members::{member_rows, write_members};
use super::state::state_json;
use super::{
    CREATE_ACTION, GroupementError, MAX_ATTEMPTS, OpportunitySource, snapshot, subject, too_busy,
};
use crate::audit;
use crate::scope::TerritoryWide;
use crate::{Database, on_backend};

impl Database {
    /// Drafts a groupement of the coordinator's organisation, with the coordinator as its
    /// first member, and records it in the audit log: one transaction. Returns its id.
    pub async fn create_groupement(
        &self,
        _wide: TerritoryWide,
        coordinator_org: i64,
        new: NewGroupement,
        source: Option<OpportunitySource>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, GroupementError> {
        if let Some(source) = &source {
            check_source(source)?;
        }
        let siren = self
            .organisation_siren(coordinator_org)
            .await?
            .ok_or_else(|| {
                GroupementError::Invalid(format!("organisme n° {coordinator_org} introuvable"))
            })?;
        if siren != new.coordinator {
            return Err(GroupementError::Invalid(format!(
                "le coordonnateur déclaré (SIREN {}) n'est pas l'organisme qui crée le \
                 groupement (SIREN {siren})",
                new.coordinator
            )));
        }
        let groupement = Groupement::draft(new).map_err(GroupementError::Refused)?;
        let members = member_rows(&groupement, &self.member_organisations(&groupement).await?)?;
        let state = state_json(&groupement)?;
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = self.begin().await?;
            let id: i64 = on_backend!(tx, conn => {
                sqlx::query_scalar(
                    "INSERT INTO groupements (organisation_id, title, cpv, status, version, \
                     state, source_cpv_prefix, source_as_of, source_all_buyers, adhesion_deadline, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(coordinator_org)
                .bind(&groupement.title)
                .bind(groupement.cpv.code8())
                .bind(groupement.status.code())
                .bind(&state)
                .bind(source.as_ref().map(|s| s.cpv_prefix.clone()))
                .bind(source.as_ref().map(|s| s.as_of))
                .bind(source.as_ref().is_some_and(|s| s.all_buyers))
                .bind(groupement.adhesion_deadline)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            });
            write_members(&mut tx, id, &members).await?;
            let after = snapshot(id, 1, &state);
            let created = audit::append(
                &mut tx,
                &subject(coordinator_org, id),
                now,
                actor,
                CREATE_ACTION,
                String::new(),
                after,
            )
            .await?;
            if created {
                tx.commit().await?;
                return Ok(id);
            }
        }
        Err(too_busy())
    }
}

fn check_source(source: &OpportunitySource) -> Result<(), GroupementError> {
    let prefix = &source.cpv_prefix;
    if !(2..=8).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GroupementError::Invalid(format!(
            "préfixe CPV de l'opportunité « {prefix} » invalide : attendu de 2 à 8 chiffres, par \
             exemple 9091"
        )));
    }
    Ok(())
}
