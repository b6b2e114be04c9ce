//! Applying an action to a groupement: the version, the domain's policy for the scope, then
//! one transaction for the state, the members' copy, the award's contracts and the audit entry.

use chrono::{DateTime, SubsecRound, Utc};
use mutualis_domain::groupement::{Action, Actor, Groupement, Refusal, RefusalCode};
use mutualis_domain::{CpvNomenclature, Siren};

use super::award::insert_contracts;
use super::members::{member_rows, write_members};
use super::read::Loaded;
use super::state::state_json;
use super::{GroupementError, MAX_ATTEMPTS, StoredGroupement, snapshot, subject, too_busy};
use crate::audit;
use crate::scope::Scope;
use crate::{Database, on_backend};

/// The scope as the groupement policy sees it.
fn actor(scope: &Scope, own_siren: &Siren) -> Actor {
    Actor {
        organisation: own_siren.clone(),
        role: scope.role(),
    }
}

/// The domain's refusal as storage reports it: not the actor's business is "forbidden".
pub(super) fn refused(refusal: Refusal) -> GroupementError {
    match refusal.code {
        RefusalCode::Forbidden => GroupementError::Forbidden(refusal.to_string()),
        _ => GroupementError::Refused(refusal),
    }
}

impl Database {
    /// Applies an action to a groupement for a scope, starting from `expected_version`: checks
    /// the version, who may act and the domain's preconditions, then writes in one transaction
    /// the new state (version + 1), the members' copy, at award the contracts, and the audit
    /// entry. Nothing is written when it fails. `actor` is the user's e-mail; `now` dates the
    /// audit entry (and, at award, the contracts' notification, on its UTC day).
    #[allow(clippy::too_many_arguments)] // each is one thing the change needs; none is optional
    pub async fn apply_groupement_action(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: Action,
        actor: &str,
        now: DateTime<Utc>,
        cpv: &CpvNomenclature,
    ) -> Result<StoredGroupement, GroupementError> {
        // What both backends keep (PostgreSQL stores microseconds), so that what is returned
        // is what a read gives back.
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            if let Some(stored) = self
                .try_apply(scope, id, expected_version, &action, actor, now, cpv)
                .await?
            {
                return Ok(stored);
            }
        }
        Err(too_busy())
    }

    /// What [`Database::apply_groupement_action`] would write, without writing anything: the
    /// same checks (the scope sees the groupement, the version, who may act, the domain's
    /// preconditions) and the new state. A confirmation step shows from it what the action
    /// will do; the award's contracts are not planned here.
    pub async fn check_groupement_action(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        cpv: &CpvNomenclature,
    ) -> Result<Groupement, GroupementError> {
        let (_, next) = self
            .checked(scope, id, expected_version, action, cpv)
            .await?;
        Ok(next)
    }

    /// The groupement as loaded and the state `action` makes of it, once the scope sees it,
    /// the version is the caller's, the scope may act and the domain accepts.
    async fn checked(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        cpv: &CpvNomenclature,
    ) -> Result<(Loaded, Groupement), GroupementError> {
        let loaded = self
            .load(scope, id, cpv)
            .await?
            .ok_or(GroupementError::NotFound)?;
        if loaded.row.version != expected_version {
            return Err(GroupementError::Conflict {
                expected: expected_version,
            });
        }
        let next = loaded
            .groupement
            .apply_as(&actor(scope, &loaded.own_siren), action)
            .map_err(refused)?;
        Ok((loaded, next))
    }

    /// One attempt of `apply_groupement_action`: `None` when another transaction extended the
    /// audit chain first (nothing was written; try again).
    #[allow(clippy::too_many_arguments)] // those of apply_groupement_action
    async fn try_apply(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        actor: &str,
        now: DateTime<Utc>,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredGroupement>, GroupementError> {
        let (loaded, next) = self
            .checked(scope, id, expected_version, action, cpv)
            .await?;
        let orgs = self.member_organisations(&next).await?;
        let members = member_rows(&next, &orgs)?;
        let contracts = match action {
            Action::Award(award) => {
                self.plan_contracts(id, &loaded.groupement, award, now.date_naive(), &orgs)
                    .await?
            }
            _ => Vec::new(),
        };
        let state = state_json(&next)?;
        let version = expected_version + 1;
        let org = loaded.row.organisation_id;
        let before = snapshot(id, expected_version, &loaded.row.state);
        let after = snapshot(id, version, &state);
        let mut tx = self.begin().await?;
        // First a write, guarded by the version: the transaction takes the write lock at
        // once, and a change committed since the load stops here.
        let updated = on_backend!(tx, conn => {
            sqlx::query(
                "UPDATE groupements SET state = $1, title = $2, cpv = $3, status = $4, \
                 adhesion_deadline = $5, version = $6, updated_at = $7 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(&state)
            .bind(&next.title)
            .bind(next.cpv.code8())
            .bind(next.status.code())
            .bind(next.adhesion_deadline)
            .bind(version)
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(GroupementError::Conflict {
                expected: expected_version,
            });
        }
        write_members(&mut tx, id, &members).await?;
        insert_contracts(&mut tx, id, &contracts, now).await?;
        let written = audit::append(
            &mut tx,
            &subject(org, id),
            now,
            actor,
            action.code(),
            before,
            after,
        )
        .await?;
        if written {
            tx.commit().await?;
        }
        if !written {
            return Ok(None);
        }
        let mut row = loaded.row;
        row.version = version;
        row.updated_at = now;
        Ok(Some(row.with(next)))
    }
}
