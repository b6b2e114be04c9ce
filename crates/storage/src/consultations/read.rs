//! Reading consultations: the rows, what a scope sees, a consultation loaded for a change.

use chrono::{DateTime, Utc};
use mutualis_domain::CpvNomenclature;
use mutualis_domain::consultation::Consultation;

use super::StoredConsultation;
use super::state::parse_state;
use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, on_backend};

#[derive(sqlx::FromRow)]
pub(super) struct ConsultationRow {
    pub(super) id: i64,
    pub(super) organisation_id: i64,
    pub(super) groupement_id: Option<i64>,
    pub(super) version: i64,
    pub(super) state: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

const CONSULTATION_SELECT: &str = "SELECT c.id, c.organisation_id, c.groupement_id, c.version, \
    c.state, c.created_at, c.updated_at FROM consultations c";

/// What a scope sees: its own organisation's consultations, and those of the groupements its
/// organisation joined (or withdrew from: it keeps the record). `$1` is the organisation.
const VISIBLE: &str = "(c.organisation_id = $1 OR c.groupement_id IN (SELECT m.groupement_id \
    FROM groupement_members m WHERE m.organisation_id = $1 AND m.status IN ('joined', 'withdrawn')))";

impl ConsultationRow {
    pub(super) fn with(self, consultation: Consultation) -> StoredConsultation {
        StoredConsultation {
            id: self.id,
            organisation_id: self.organisation_id,
            groupement_id: self.groupement_id,
            version: self.version,
            consultation,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl Database {
    /// One consultation, if the scope sees it (see the module documentation).
    pub async fn consultation(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredConsultation>> {
        Ok(self
            .load_consultation(scope, id, cpv)
            .await?
            .map(|(row, c)| row.with(c)))
    }

    /// The consultations a scope sees, the latest changed first.
    pub async fn consultations_for(
        &self,
        scope: &Scope,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredConsultation>> {
        let rows: Vec<ConsultationRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!(
                "{CONSULTATION_SELECT} WHERE {VISIBLE} ORDER BY c.updated_at DESC, c.id DESC"
            ))
            .bind(scope.organisation_id())
            .fetch_all(pool)
            .await?
        });
        stored(rows, cpv)
    }

    /// The consultations the public sees, without an account: every one published, whatever
    /// it became since (a draft, or one cancelled before its publication, is not), the latest
    /// changed first.
    pub async fn public_consultations(
        &self,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredConsultation>> {
        let rows: Vec<ConsultationRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!(
                "{CONSULTATION_SELECT} WHERE c.status <> 'draft' \
                 ORDER BY c.updated_at DESC, c.id DESC"
            ))
            .fetch_all(pool)
            .await?
        });
        Ok(stored(rows, cpv)?
            .into_iter()
            .filter(|s| s.consultation.published_at.is_some())
            .collect())
    }

    /// One consultation the public sees ([`Self::public_consultations`]).
    pub async fn public_consultation(
        &self,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredConsultation>> {
        Ok(self
            .consultation_where("c.status <> 'draft' AND c.id = $1", id, cpv)
            .await?
            .filter(|s| s.consultation.published_at.is_some()))
    }

    /// One consultation of the database, whoever's: for the operator's command line
    /// (`mutualis consultation show`).
    pub async fn any_consultation(
        &self,
        _wide: TerritoryWide,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredConsultation>> {
        self.consultation_where("c.id = $1", id, cpv).await
    }

    /// The consultation of the row that `condition` (on `c`, `$1` being `id`) selects.
    async fn consultation_where(
        &self,
        condition: &str,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredConsultation>> {
        let row: Option<ConsultationRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{CONSULTATION_SELECT} WHERE {condition}"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            let c = parse_state(&row.state, cpv)?;
            Ok(row.with(c))
        })
        .transpose()
    }

    /// Every consultation of the database, the latest changed first: for the operator's
    /// command line (`mutualis consultation list`).
    pub async fn all_consultations(
        &self,
        _wide: TerritoryWide,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredConsultation>> {
        let rows: Vec<ConsultationRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!(
                "{CONSULTATION_SELECT} ORDER BY c.updated_at DESC, c.id DESC"
            ))
            .fetch_all(pool)
            .await?
        });
        stored(rows, cpv)
    }

    /// The row and its consultation, or `None` when the scope does not see it.
    pub(super) async fn load_consultation(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<(ConsultationRow, Consultation)>> {
        let row: Option<ConsultationRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{CONSULTATION_SELECT} WHERE {VISIBLE} AND c.id = $2"))
                .bind(scope.organisation_id())
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            let c = parse_state(&row.state, cpv)?;
            Ok((row, c))
        })
        .transpose()
    }
}

/// The consultations of `rows`, their states read.
fn stored(rows: Vec<ConsultationRow>, cpv: &CpvNomenclature) -> Result<Vec<StoredConsultation>> {
    rows.into_iter()
        .map(|row| {
            let c = parse_state(&row.state, cpv)?;
            Ok(row.with(c))
        })
        .collect()
}
