//! Reading groupements: the rows, what a scope sees, and a groupement loaded for a change.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::groupement::Groupement;
use mutualis_domain::{CpvNomenclature, Siren};

use super::state::parse_state;
use super::{GroupementError, OpportunitySource, StoredGroupement};
use crate::scope::Scope;
use crate::{Database, Result, StorageError, on_backend};

#[derive(sqlx::FromRow)]
pub(super) struct GroupementRow {
    pub(super) id: i64,
    pub(super) organisation_id: i64,
    pub(super) version: i64,
    pub(super) state: String,
    pub(super) source_cpv_prefix: Option<String>,
    pub(super) source_as_of: Option<NaiveDate>,
    pub(super) source_all_buyers: bool,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

pub(super) const GROUPEMENT_SELECT: &str = "SELECT g.id, g.organisation_id, g.version, g.state, \
    g.source_cpv_prefix, g.source_as_of, g.source_all_buyers, g.created_at, g.updated_at \
    FROM groupements g";

impl GroupementRow {
    pub(super) fn into_stored(self, cpv: &CpvNomenclature) -> Result<StoredGroupement> {
        let groupement = parse_state(&self.state, cpv)?;
        Ok(self.with(groupement))
    }

    /// The stored groupement this row holds, with `groupement` as its state.
    pub(super) fn with(self, groupement: Groupement) -> StoredGroupement {
        StoredGroupement {
            id: self.id,
            organisation_id: self.organisation_id,
            version: self.version,
            groupement,
            source: match (self.source_cpv_prefix, self.source_as_of) {
                (Some(cpv_prefix), Some(as_of)) => Some(OpportunitySource {
                    cpv_prefix,
                    as_of,
                    all_buyers: self.source_all_buyers,
                }),
                _ => None,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A groupement loaded for a change, with the scope's rights over it.
pub(super) struct Loaded {
    pub(super) row: GroupementRow,
    pub(super) groupement: Groupement,
    /// The coordinator's territory-wide scope over its own organisation's groupement.
    pub(super) owner: bool,
    /// The SIREN of the scope's organisation.
    pub(super) own_siren: Siren,
}

impl Database {
    /// One groupement, if the scope sees it (see the module documentation).
    pub async fn groupement(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredGroupement>> {
        Ok(self
            .load(scope, id, cpv)
            .await?
            .map(|l| l.row.with(l.groupement)))
    }

    /// The groupements a scope sees, the latest changed first: the coordinator's
    /// territory-wide scope, those of its organisation; any scope, those its organisation is
    /// invited to, has joined or has withdrawn from.
    pub async fn groupements_for(
        &self,
        scope: &Scope,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredGroupement>> {
        let org = scope.organisation_id();
        let rows: Vec<GroupementRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(GROUPEMENT_SELECT);
            q.push(
                " WHERE EXISTS (SELECT 1 FROM groupement_members m WHERE m.groupement_id = g.id \
                 AND m.status IN ('invited', 'joined', 'withdrawn') AND m.organisation_id = ",
            )
            .push_bind(org)
            .push(")");
            if scope.territory_wide().is_some() {
                q.push(" OR g.organisation_id = ").push_bind(org);
            }
            q.push(" ORDER BY g.updated_at DESC, g.id DESC");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(|r| r.into_stored(cpv)).collect()
    }

    /// The groupement and the scope's rights over it, or `None` when the scope does not see it.
    pub(super) async fn load(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<Loaded>> {
        let org = scope.organisation_id();
        type Rows = (Option<GroupementRow>, (Option<String>, Option<String>));
        let (row, (own_siren, member_status)): Rows = on_backend!(self, pool => {
            let row = sqlx::query_as(&format!("{GROUPEMENT_SELECT} WHERE g.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let rights = sqlx::query_as(
                "SELECT o.siren, (SELECT m.status FROM groupement_members m \
                 WHERE m.groupement_id = $1 AND m.organisation_id = o.id) \
                 FROM organisations o WHERE o.id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await?
            .unwrap_or((None, None));
            (row, rights)
        });
        let Some(row) = row else { return Ok(None) };
        let owner = scope.territory_wide().is_some() && row.organisation_id == org;
        let member = matches!(
            member_status.as_deref(),
            Some("invited" | "joined" | "withdrawn")
        );
        if !owner && !member {
            return Ok(None);
        }
        let own_siren = own_siren.unwrap_or_default();
        let own_siren = Siren::parse_published(&own_siren).map_err(|e| StorageError::Corrupt {
            table: "organisations",
            column: "siren",
            value: own_siren.clone(),
            reason: e.to_string(),
        })?;
        let groupement = parse_state(&row.state, cpv)?;
        Ok(Some(Loaded {
            row,
            groupement,
            owner,
            own_siren,
        }))
    }

    pub(crate) async fn organisation_siren(&self, id: i64) -> Result<Option<Siren>> {
        let siren: Option<String> = on_backend!(self, pool => {
            sqlx::query_scalar("SELECT siren FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        siren
            .map(|s| {
                Siren::parse_published(&s).map_err(|e| StorageError::Corrupt {
                    table: "organisations",
                    column: "siren",
                    value: s.clone(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// The organisation of every member of a groupement, by SIREN; a member no organisation
    /// has is refused.
    pub(super) async fn member_organisations(
        &self,
        g: &Groupement,
    ) -> Result<HashMap<Siren, i64>, GroupementError> {
        let rows: Vec<(i64, String)> = on_backend!(self, pool => {
            let mut q =
                sqlx::QueryBuilder::new("SELECT id, siren FROM organisations WHERE siren IN (");
            let mut list = q.separated(", ");
            for m in &g.members {
                list.push_bind(m.siren.as_str().to_owned());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let found: HashMap<String, i64> = rows.into_iter().map(|(id, s)| (s, id)).collect();
        g.members
            .iter()
            .map(|m| match found.get(m.siren.as_str()) {
                Some(id) => Ok((m.siren.clone(), *id)),
                None => Err(GroupementError::UnknownOrganisation(m.siren.clone())),
            })
            .collect()
    }
}
