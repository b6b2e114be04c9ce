//! Drafting a groupement.

use chrono::{DateTime, SubsecRound, Utc};
use mutualis_domain::Role;
use mutualis_domain::groupement::{Action, Actor, Groupement, NewGroupement};

use super::apply::refused;
use super::members::{member_rows, write_members};
use super::state::state_json;
use super::{
    CREATE_ACTION, GroupementError, MAX_ATTEMPTS, OpportunitySource, snapshot, subject, too_busy,
};
use crate::audit;
use crate::scope::{Scope, TerritoryWide};
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
        self.create_with(coordinator_org, new, source, None, actor, now)
            .await
    }

    /// Drafts a groupement as [`Database::create_groupement`] does and applies `initial` to
    /// it, in order, as the coordinator's scope would one by one with
    /// [`Database::apply_groupement_action`] (the domain's policy for the scope's
    /// organisation and role): all in one transaction, all or nothing. The audit log gets the
    /// same entries as the creation followed by each action would write — `create`, then one
    /// entry per action with its version before and after, all dated `now` — and the
    /// groupement is at version 1 + the number of actions. An action refused, an organisation
    /// unknown, a scope that is not a coordinator's: nothing is written. An award cannot be
    /// among the initial actions (its contracts need the groupement's id).
    #[allow(clippy::too_many_arguments)] // each is one thing the creation needs
    pub async fn create_groupement_with_actions(
        &self,
        scope: &Scope,
        new: NewGroupement,
        source: Option<OpportunitySource>,
        initial: Vec<Action>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, GroupementError> {
        if scope.territory_wide().is_none() {
            return Err(GroupementError::Forbidden(
                "seul un coordonnateur peut créer un groupement de commandes".into(),
            ));
        }
        if initial.iter().any(|a| matches!(a, Action::Award(_))) {
            return Err(GroupementError::Invalid(
                "l'attribution ne peut pas accompagner la création d'un groupement".into(),
            ));
        }
        let first = (scope.role(), initial);
        self.create_with(
            scope.organisation_id(),
            new,
            source,
            Some(first),
            actor,
            now,
        )
        .await
    }

    /// The creation, with the initial actions and the role they are applied as.
    async fn create_with(
        &self,
        coordinator_org: i64,
        new: NewGroupement,
        source: Option<OpportunitySource>,
        initial: Option<(Role, Vec<Action>)>,
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
        // Each state in turn, as each action makes it: the creation's, then one per action.
        let mut states = vec![state_json(&groupement)?];
        let mut actions = Vec::new();
        let mut last = groupement;
        if let Some((role, initial)) = initial {
            let who = Actor {
                organisation: siren,
                role,
            };
            for action in initial {
                last = last.apply_as(&who, &action).map_err(refused)?;
                states.push(state_json(&last)?);
                actions.push(action);
            }
        }
        let members = member_rows(&last, &self.member_organisations(&last).await?)?;
        let version = i64::try_from(states.len())
            .map_err(|_| GroupementError::Invalid("trop d'actions initiales".into()))?;
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = self.begin().await?;
            let id: i64 = on_backend!(tx, conn => {
                sqlx::query_scalar(
                    "INSERT INTO groupements (organisation_id, title, cpv, status, version, \
                     state, source_cpv_prefix, source_as_of, source_all_buyers, adhesion_deadline, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                )
                .bind(coordinator_org)
                .bind(&last.title)
                .bind(last.cpv.code8())
                .bind(last.status.code())
                .bind(version)
                .bind(&states[states.len() - 1])
                .bind(source.as_ref().map(|s| s.cpv_prefix.clone()))
                .bind(source.as_ref().map(|s| s.as_of))
                .bind(source.as_ref().is_some_and(|s| s.all_buyers))
                .bind(last.adhesion_deadline)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            });
            write_members(&mut tx, id, &members).await?;
            let subject = subject(coordinator_org, id);
            let mut appended = audit::append(
                &mut tx,
                &subject,
                now,
                actor,
                CREATE_ACTION,
                String::new(),
                snapshot(id, 1, &states[0]),
            )
            .await?;
            for (n, action) in (1..).zip(&actions) {
                if !appended {
                    break;
                }
                let (before, after) = (&states[n - 1], &states[n]);
                let v = n as i64;
                appended = audit::append(
                    &mut tx,
                    &subject,
                    now,
                    actor,
                    action.code(),
                    snapshot(id, v, before),
                    snapshot(id, v + 1, after),
                )
                .await?;
            }
            if appended {
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
