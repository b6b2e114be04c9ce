//! The members' copy of a groupement's state (`groupement_members`), for the queries that ask
//! "which groupements am I in", rewritten in the transaction that writes the state.

use std::collections::HashMap;

use chrono::NaiveDate;
use mutualis_domain::Siren;
use mutualis_domain::groupement::{Groupement, MemberStatus};

use crate::{Result, StorageError, Tx, on_backend};

/// A member as copied into `groupement_members`.
pub(super) struct MemberRow {
    organisation_id: i64,
    status: &'static str,
    answered_on: Option<NaiveDate>,
    signed_on: Option<NaiveDate>,
    is_coordinator: bool,
}

pub(super) fn member_rows(g: &Groupement, orgs: &HashMap<Siren, i64>) -> Result<Vec<MemberRow>> {
    g.members
        .iter()
        .map(|m| {
            let organisation_id = *orgs.get(&m.siren).ok_or_else(|| {
                StorageError::Conflict(format!("organisme de SIREN {} absent", m.siren))
            })?;
            let answered_on = match m.status {
                MemberStatus::Invited => None,
                MemberStatus::Joined { on }
                | MemberStatus::Declined { on }
                | MemberStatus::Withdrawn { on } => Some(on),
            };
            Ok(MemberRow {
                organisation_id,
                status: m.status.code(),
                answered_on,
                signed_on: g.signature_of(&m.siren).map(|s| s.signed_on),
                is_coordinator: m.siren == g.coordinator,
            })
        })
        .collect()
}

/// Rewrites the members' copy of a groupement inside the transaction.
pub(super) async fn write_members(tx: &mut Tx<'_>, id: i64, rows: &[MemberRow]) -> Result<()> {
    on_backend!(tx, conn => {
        sqlx::query("DELETE FROM groupement_members WHERE groupement_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        if !rows.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO groupement_members (groupement_id, organisation_id, status, \
                 answered_on, signed_on, is_coordinator) ",
            );
            q.push_values(rows.iter(), |mut row, m| {
                row.push_bind(id)
                    .push_bind(m.organisation_id)
                    .push_bind(m.status)
                    .push_bind(m.answered_on)
                    .push_bind(m.signed_on)
                    .push_bind(m.is_coordinator);
            });
            q.build().execute(&mut *conn).await?;
        }
    });
    Ok(())
}
