//! Organisations, their establishments and territories.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mutualis_domain::text::{fold, folded_words};
use mutualis_domain::{Organisation, OrganisationKind, Siren, Siret, Territory};

use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, Tx, on_backend};

/// An organisation as stored, with its database id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRecord {
    pub id: i64,
    pub organisation: Organisation,
}

/// A territory as stored: its lead body and its members (largest population first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryRecord {
    pub id: i64,
    pub slug: String,
    pub lead: OrganisationRecord,
    pub members: Vec<OrganisationRecord>,
}

impl TerritoryRecord {
    pub fn members_population(&self) -> u64 {
        self.members
            .iter()
            .filter_map(|m| m.organisation.population)
            .map(u64::from)
            .sum()
    }
}

/// How to filter and page a list of organisations.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    /// Text the name contains, case and accents ignored: each of its words ("echirolles"
    /// finds « Échirolles » and « Ville d'Échirolles »).
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    /// Only the members of a territory (its lead body and its members), or only the others.
    pub territory: Option<TerritoryMembership>,
    /// One page (0-based, and its size, at most 500); every match when `None`.
    pub page: Option<(u32, u32)>,
}

/// Membership of the territory `slug`, as a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryMembership {
    pub slug: String,
    /// Members (`true`) or the organisations that are not (`false`).
    pub members: bool,
}

/// One page of organisations, by name, and how many match in all.
#[derive(Debug, Clone)]
pub struct OrganisationPage {
    pub total: i64,
    pub records: Vec<OrganisationRecord>,
}

/// What writing a territory changed. Writing the same territory twice changes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub links_added: usize,
}

/// Writes one organisation and its establishments inside the transaction, counting in
/// `report`; returns its id.
async fn write_organisation(
    tx: &mut Tx<'_>,
    org: &Organisation,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<i64> {
    on_backend!(tx, conn => {
        let population = org.population.map(i64::from);
        let existing: Option<OrgRow> = sqlx::query_as(&format!("{SELECT_ORG} WHERE siren = $1"))
            .bind(org.siren.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let id = match existing {
            None => {
                report.created += 1;
                sqlx::query_scalar(
                    "INSERT INTO organisations \
                             (siren, name, kind, insee_code, population, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(org.siren.as_str())
                .bind(&org.name)
                .bind(org.kind.code())
                .bind(org.insee_code.as_deref())
                .bind(population)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            }
            Some((id, _, name, kind, insee, pop))
                if name == org.name
                    && kind == org.kind.code()
                    && insee == org.insee_code
                    && pop == population =>
            {
                report.unchanged += 1;
                id
            }
            Some((id, ..)) => {
                report.updated += 1;
                sqlx::query(
                    "UPDATE organisations SET name = $2, kind = $3, insee_code = $4, \
                             population = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(id)
                .bind(&org.name)
                .bind(org.kind.code())
                .bind(org.insee_code.as_deref())
                .bind(population)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        for (i, siret) in org.establishments.iter().enumerate() {
            let added = sqlx::query(
                "INSERT INTO establishments (organisation_id, siret, is_head_office) \
                         VALUES ($1, $2, $3) ON CONFLICT (siret) DO NOTHING",
            )
            .bind(id)
            .bind(siret.as_str())
            .bind(i == 0)
            .execute(&mut *conn)
            .await?;
            if added.rows_affected() == 0 {
                let owner: i64 = sqlx::query_scalar(
                    "SELECT organisation_id FROM establishments WHERE siret = $1",
                )
                .bind(siret.as_str())
                .fetch_one(&mut *conn)
                .await?;
                if owner != id {
                    return Err(StorageError::Conflict(format!(
                        "le SIRET {siret} est déjà rattaché à une autre organisation que {}",
                        org.siren
                    )));
                }
            }
            report.links_added += added.rows_affected() as usize;
        }
        Ok(id)
    })
}

/// SIRENs per lookup of [`Database::organisations_by_sirens`]: at most as many rows as
/// `records` reads the establishments of in one query.
const SIREN_CHUNK: usize = 500;

type OrgRow = (i64, String, String, String, Option<String>, Option<i64>);

const SELECT_ORG: &str = "SELECT id, siren, name, kind, insee_code, population FROM organisations";

impl Database {
    /// Writes one organisation (a supplier, say) as `upsert_territory` writes each of its
    /// members, dated `now`; returns its id.
    pub async fn upsert_organisation(
        &self,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<(i64, SeedReport)> {
        let mut report = SeedReport::default();
        let mut tx = self.begin().await?;
        let id = write_organisation(&mut tx, org, now, &mut report).await?;
        tx.commit().await?;
        Ok((id, report))
    }

    /// Writes a territory: creates missing organisations, updates those whose name, kind,
    /// INSEE code or population changed, adds missing establishments and memberships. All or
    /// nothing, in one transaction; `now` dates what it writes.
    pub async fn upsert_territory(
        &self,
        territory: &Territory,
        now: DateTime<Utc>,
    ) -> Result<SeedReport> {
        let mut report = SeedReport::default();
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(territory.members.len() + 1);
        for org in territory.organisations() {
            ids.push(write_organisation(&mut tx, org, now, &mut report).await?);
        }
        let lead_id = ids[0];
        on_backend!(tx, conn => {
            let territory_id: i64 = match sqlx::query_scalar("SELECT id FROM territories WHERE slug = $1")
                .bind(&territory.slug)
                .fetch_optional(&mut *conn)
                .await?
            {
                Some(id) => id,
                None => {
                    report.links_added += 1;
                    sqlx::query_scalar(
                        "INSERT INTO territories (slug, organisation_id) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(&territory.slug)
                    .bind(lead_id)
                    .fetch_one(&mut *conn)
                    .await?
                }
            };
            for member_id in &ids[1..] {
                let added = sqlx::query(
                    "INSERT INTO territory_members (territory_id, organisation_id) VALUES ($1, $2) \
                     ON CONFLICT (territory_id, organisation_id) DO NOTHING",
                )
                .bind(territory_id)
                .bind(member_id)
                .execute(&mut *conn)
                .await?;
                report.links_added += added.rows_affected() as usize;
            }
        });
        tx.commit().await?;
        Ok(report)
    }

    /// The organisations a scope sees: its own.
    pub async fn organisations_in_scope(&self, scope: &Scope) -> Result<Vec<OrganisationRecord>> {
        Ok(self
            .organisation_in_scope(scope, scope.organisation_id())
            .await?
            .into_iter()
            .collect())
    }

    /// The organisations a scope sees (its own) that pass `filter`.
    pub async fn organisations_page_in_scope(
        &self,
        scope: &Scope,
        filter: &OrganisationFilter,
    ) -> Result<OrganisationPage> {
        self.list_organisations(Some(scope.organisation_id()), filter)
            .await
    }

    /// Every organisation that passes `filter`, by name: the coordinator's territory-wide
    /// view.
    pub async fn organisations_page_territory_wide(
        &self,
        _wide: TerritoryWide,
        filter: &OrganisationFilter,
    ) -> Result<OrganisationPage> {
        self.list_organisations(None, filter).await
    }

    /// The organisations of `only` (or all) that pass `filter`, by name then SIREN. Without
    /// a name, the database counts and pages; a name is matched here, folded as French
    /// search folds it (`domain::text`), over the rows the other filters keep.
    async fn list_organisations(
        &self,
        only: Option<i64>,
        filter: &OrganisationFilter,
    ) -> Result<OrganisationPage> {
        const SELECT: &str = "SELECT o.id, o.siren, o.name, o.kind, o.insee_code, o.population \
                              FROM organisations o WHERE 1 = 1";
        const ORDER: &str = " ORDER BY o.name, o.siren";
        let words = filter
            .name
            .as_deref()
            .map(folded_words)
            .filter(|w| !w.is_empty());
        let page = filter.page.map(|(page, per_page)| {
            let per_page = per_page.clamp(1, 500);
            (i64::from(page) * i64::from(per_page), i64::from(per_page))
        });
        let (total, rows): (i64, Vec<OrgRow>) = match (words, page) {
            (None, Some((offset, limit))) => on_backend!(self, pool => {
                let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM organisations o WHERE 1 = 1");
                push_organisation_filters(&mut count, only, filter);
                let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
                let mut q = sqlx::QueryBuilder::new(SELECT);
                push_organisation_filters(&mut q, only, filter);
                q.push(ORDER);
                q.push(" LIMIT ").push_bind(limit);
                q.push(" OFFSET ").push_bind(offset);
                (total, q.build_query_as().fetch_all(pool).await?)
            }),
            (words, page) => {
                let rows: Vec<OrgRow> = on_backend!(self, pool => {
                    let mut q = sqlx::QueryBuilder::new(SELECT);
                    push_organisation_filters(&mut q, only, filter);
                    q.push(ORDER);
                    q.build_query_as().fetch_all(pool).await?
                });
                let matching: Vec<OrgRow> = match &words {
                    Some(words) => rows
                        .into_iter()
                        .filter(|(_, _, name, ..)| {
                            let name = fold(name);
                            words.iter().all(|w| name.contains(w.as_str()))
                        })
                        .collect(),
                    None => rows,
                };
                let total = matching.len() as i64;
                let rows = match page {
                    Some((offset, limit)) => matching
                        .into_iter()
                        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .collect(),
                    None => matching,
                };
                (total, rows)
            }
        };
        Ok(OrganisationPage {
            total,
            records: self.records(rows).await?,
        })
    }

    /// One organisation, if the scope sees it; `None` for any other (as if it did not exist).
    pub async fn organisation_in_scope(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<OrganisationRecord>> {
        if id != scope.organisation_id() {
            return Ok(None);
        }
        self.organisation_by_id(id).await
    }

    /// Every organisation, by name: the coordinator's territory-wide view.
    pub async fn organisations_territory_wide(
        &self,
        _wide: TerritoryWide,
    ) -> Result<Vec<OrganisationRecord>> {
        let rows: Vec<OrgRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{SELECT_ORG} ORDER BY name, siren"))
                .fetch_all(pool)
                .await?
        });
        self.records(rows).await
    }

    /// One organisation in the coordinator's territory-wide view.
    pub async fn organisation_territory_wide(
        &self,
        _wide: TerritoryWide,
        id: i64,
    ) -> Result<Option<OrganisationRecord>> {
        self.organisation_by_id(id).await
    }

    async fn organisation_by_id(&self, id: i64) -> Result<Option<OrganisationRecord>> {
        let row: Option<OrgRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{SELECT_ORG} WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(self.records(row.into_iter().collect()).await?.pop())
    }

    /// An organisation by its SIREN: the public identity of a legal unit, for administration
    /// (creating accounts from the command line, seeding).
    pub async fn organisation_by_siren(&self, siren: &Siren) -> Result<Option<OrganisationRecord>> {
        let row: Option<OrgRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{SELECT_ORG} WHERE siren = $1"))
                .bind(siren.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(self.records(row.into_iter().collect()).await?.pop())
    }

    /// The stored organisations of `sirens`, by SIREN, in one query per 500 SIRENs (under both
    /// backends' parameter limits) with their establishments; a SIREN no organisation has is
    /// absent from the map.
    pub async fn organisations_by_sirens(
        &self,
        sirens: &[Siren],
    ) -> Result<HashMap<Siren, OrganisationRecord>> {
        let mut found = HashMap::with_capacity(sirens.len());
        let mut wanted: Vec<&str> = sirens.iter().map(Siren::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(SIREN_CHUNK) {
            let rows: Vec<OrgRow> = on_backend!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(format!("{SELECT_ORG} WHERE siren IN ("));
                let mut list = q.separated(", ");
                for siren in chunk {
                    list.push_bind(*siren);
                }
                q.push(")");
                q.build_query_as().fetch_all(pool).await?
            });
            for record in self.records(rows).await? {
                found.insert(record.organisation.siren.clone(), record);
            }
        }
        Ok(found)
    }

    /// Gives the stored organisation of `siret`'s SIREN this establishment, when it does not
    /// have it yet (the territory's communes come with their SIREN only, and an award makes
    /// out each member's contract to a SIRET), dated `now`. `false` when no organisation has
    /// that SIREN.
    pub async fn add_establishment(&self, siret: &Siret, now: DateTime<Utc>) -> Result<bool> {
        let Some(record) = self.organisation_by_siren(&siret.siren()).await? else {
            return Ok(false);
        };
        let mut org = record.organisation;
        if !org.establishments.contains(siret) {
            org.establishments.push(siret.clone());
            self.upsert_organisation(&org, now).await?;
        }
        Ok(true)
    }

    /// The territory `slug` with its lead body and members, largest population first.
    pub async fn territory(&self, slug: &str) -> Result<Option<TerritoryRecord>> {
        let head: Option<(i64, i64)> = on_backend!(self, pool => {
            sqlx::query_as("SELECT id, organisation_id FROM territories WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        let Some((territory_id, lead_id)) = head else {
            return Ok(None);
        };
        let lead_rows: Vec<OrgRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{SELECT_ORG} WHERE id = $1"))
                .bind(lead_id)
                .fetch_all(pool)
                .await?
        });
        let member_rows: Vec<OrgRow> = on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT o.id, o.siren, o.name, o.kind, o.insee_code, o.population \
                 FROM organisations o JOIN territory_members m ON m.organisation_id = o.id \
                 WHERE m.territory_id = $1 ORDER BY o.population DESC, o.name",
            )
            .bind(territory_id)
            .fetch_all(pool)
            .await?
        });
        let Some(lead) = self.records(lead_rows).await?.pop() else {
            return Ok(None);
        };
        Ok(Some(TerritoryRecord {
            id: territory_id,
            slug: slug.to_owned(),
            lead,
            members: self.records(member_rows).await?,
        }))
    }

    /// The slugs of the territories stored.
    pub async fn territory_slugs(&self) -> Result<Vec<String>> {
        Ok(on_backend!(self, pool => {
            sqlx::query_scalar("SELECT slug FROM territories ORDER BY slug")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Turns rows into records, with each organisation's establishments (head office first).
    async fn records(&self, rows: Vec<OrgRow>) -> Result<Vec<OrganisationRecord>> {
        const SELECT_SIRETS: &str = "SELECT organisation_id, siret FROM establishments";
        const ORDER_SIRETS: &str = "ORDER BY organisation_id, is_head_office DESC, siret";
        let sirets: Vec<(i64, String)> = match rows.as_slice() {
            [] => Vec::new(),
            [(id, ..)] => on_backend!(self, pool => {
                sqlx::query_as(&format!("{SELECT_SIRETS} WHERE organisation_id = $1 {ORDER_SIRETS}"))
                    .bind(id)
                    .fetch_all(pool)
                    .await?
            }),
            // A page of a list: its organisations' establishments only.
            few if few.len() <= 500 => on_backend!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(format!("{SELECT_SIRETS} WHERE organisation_id IN ("));
                let mut list = q.separated(", ");
                for (id, ..) in few {
                    list.push_bind(*id);
                }
                q.push(format!(") {ORDER_SIRETS}"));
                q.build_query_as().fetch_all(pool).await?
            }),
            _ => on_backend!(self, pool => {
                sqlx::query_as(&format!("{SELECT_SIRETS} {ORDER_SIRETS}"))
                    .fetch_all(pool)
                    .await?
            }),
        };
        rows.into_iter()
            .map(|(id, siren, name, kind, insee_code, population)| {
                let establishments = sirets
                    .iter()
                    .filter(|(org, _)| *org == id)
                    .map(|(_, s)| {
                        Siret::parse_published(s)
                            .map_err(|e| corrupt("establishments", "siret", s, e))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(OrganisationRecord {
                    id,
                    organisation: Organisation {
                        siren: Siren::parse_published(&siren)
                            .map_err(|e| corrupt("organisations", "siren", &siren, e))?,
                        kind: OrganisationKind::from_code(&kind).ok_or_else(|| {
                            corrupt("organisations", "kind", &kind, "type inconnu")
                        })?,
                        name,
                        insee_code,
                        population: population
                            .map(|p| {
                                u32::try_from(p).map_err(|e| {
                                    corrupt("organisations", "population", &p.to_string(), e)
                                })
                            })
                            .transpose()?,
                        establishments,
                    },
                })
            })
            .collect()
    }
}

/// The filters of a list of organisations but the name (matched after, folded).
fn push_organisation_filters<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<'_, DB>,
    only: Option<i64>,
    filter: &OrganisationFilter,
) where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(id) = only {
        q.push(" AND o.id = ").push_bind(id);
    }
    if let Some(kind) = filter.kind {
        q.push(" AND o.kind = ").push_bind(kind.code().to_owned());
    }
    if let Some(territory) = &filter.territory {
        q.push(if territory.members {
            " AND o.id IN ("
        } else {
            " AND o.id NOT IN ("
        });
        q.push("SELECT t.organisation_id FROM territories t WHERE t.slug = ")
            .push_bind(territory.slug.clone());
        q.push(
            " UNION SELECT m.organisation_id FROM territory_members m \
             JOIN territories t ON t.id = m.territory_id WHERE t.slug = ",
        )
        .push_bind(territory.slug.clone());
        q.push(")");
    }
}

fn corrupt(
    table: &'static str,
    column: &'static str,
    value: &str,
    reason: impl ToString,
) -> StorageError {
    StorageError::Corrupt {
        table,
        column,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}
