//! Inventory campaigns ("recensements"): a coordinator opens a campaign over some CPV families
//! and invites members; each invited member declares its needs, in the web form or in the
//! XLSX workbook made for it, and answers. The coordinator follows who answered on the
//! campaign board. The needs of every campaign feed the opportunity engine.
//!
//! Tenant isolation: a member sees only the campaigns it is invited to, and only its own
//! needs; it writes only its own needs, only while the campaign is open. The coordinator's
//! territory-wide scope sees every campaign of its organisation and every need in them.
//! Another member's campaign or need answers "not found", never "forbidden".
//!
//! Writes that depend on the campaign being open are guarded in the statement itself
//! (`WHERE EXISTS` an open campaign and an invitation), so that a campaign closing between
//! the check and the write cannot receive a need afterwards.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::campaign::{
    CampaignAction, CampaignActor, Period, available_actions, family_of,
};
use mutualis_domain::need::desired_start_problem;
use mutualis_domain::{
    Amount, Capability, CpvCode, CpvNomenclature, Need, Quantity, Reservation, Role, Siren,
};

use crate::audit::{self, AuditSubject};
use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, on_backend};

/// The family under which the board counts needs outside every family of the campaign.
pub const OTHER_FAMILY: &str = "autre";

/// Rows per multi-row INSERT of needs: 19 parameters a row stays under SQLite's 32,766.
const INSERT_CHUNK: usize = 500;

pub use mutualis_domain::campaign::{CampaignRefusal, CampaignStatus};

/// Where a need was declared: the web form or the uploaded workbook. A new workbook replaces
/// the member's workbook needs of the campaign and leaves its form needs alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeedSource {
    Form,
    Workbook,
}

impl NeedSource {
    pub fn code(self) -> &'static str {
        match self {
            NeedSource::Form => "form",
            NeedSource::Workbook => "workbook",
        }
    }

    pub fn from_code(code: &str) -> Option<NeedSource> {
        match code {
            "form" => Some(NeedSource::Form),
            "workbook" => Some(NeedSource::Workbook),
            _ => None,
        }
    }
}

/// A campaign to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub title: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// CPV prefixes of 2 to 8 digits ("30", "9091"); trailing zeros are dropped, so
    /// "90910000" is the class "9091".
    pub cpv_families: Vec<String>,
}

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    /// The coordinator's organisation, which owns the campaign.
    pub organisation_id: i64,
    pub title: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// The CPV prefixes the campaign covers, as normalised when it was created.
    pub cpv_families: Vec<String>,
    pub status: CampaignStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// What decides when it takes answers (`mutualis_domain::campaign`).
    pub fn period(&self) -> Period {
        Period {
            status: self.status,
            opens_on: self.opens_on,
            closes_on: self.closes_on,
        }
    }

    /// Whether members may declare needs on `today` ([`Period::takes_answers_on`]).
    pub fn takes_answers_on(&self, today: NaiveDate) -> bool {
        self.period().takes_answers_on(today)
    }

    /// The campaign's family a CPV code falls in ([`family_of`]).
    pub fn family_of(&self, cpv: &CpvCode) -> Option<&str> {
        family_of(&self.cpv_families, &cpv.code8())
    }
}

/// A member's invitation to a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub organisation_id: i64,
    pub invited_at: DateTime<Utc>,
    /// When the member submitted its answer; `None` until then.
    pub answered_at: Option<DateTime<Utc>>,
    pub last_reminded_at: Option<DateTime<Utc>>,
    pub reminder_count: i64,
}

/// How many members were invited and how many answered: the coordinator's view only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub invited: i64,
    pub answered: i64,
}

/// A campaign in a list, with what the asking scope may know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSummary {
    pub campaign: Campaign,
    /// The scope's own invitation, when its organisation is invited.
    pub invitation: Option<Invitation>,
    /// For the coordinator's own campaigns; `None` in a member's view.
    pub progress: Option<Progress>,
}

/// One invited member on the campaign board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAnswer {
    pub organisation_id: i64,
    pub name: String,
    pub siren: String,
    pub invitation: Invitation,
    pub need_count: i64,
    pub annual_amount: Amount,
}

/// The needs of one family of the campaign (or of none: [`OTHER_FAMILY`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyTotal {
    /// A family of the campaign, or [`OTHER_FAMILY`].
    pub family: String,
    pub need_count: i64,
    /// Distinct members with at least one need in the family.
    pub member_count: i64,
    pub annual_amount: Amount,
}

/// The coordinator's view of a campaign: who answered, and the totals per family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignBoard {
    pub campaign: Campaign,
    /// Every invited member, by name.
    pub members: Vec<MemberAnswer>,
    /// Every family of the campaign in its order, then [`OTHER_FAMILY`] when some need falls
    /// outside them all.
    pub families: Vec<FamilyTotal>,
    pub need_count: i64,
    pub annual_amount: Amount,
}

impl CampaignBoard {
    pub fn answered(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.invitation.answered_at.is_some())
            .count()
    }
}

/// A need as stored, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNeed {
    pub id: i64,
    pub campaign_id: i64,
    /// The declaring member.
    pub organisation_id: i64,
    pub organisation_name: String,
    pub source: NeedSource,
    pub need: Need,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a campaign operation was refused. The messages are shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// No such campaign, or one the scope does not see (another member's answers "not
    /// found", never "forbidden").
    #[error("campagne de recensement introuvable")]
    NotFound,
    /// The coordinator sees its campaign but its own organisation is not invited to answer.
    #[error("votre organisme n'est pas invité à répondre à cette campagne")]
    NotInvited,
    /// The campaign takes no answer on that day: closed, or not open yet.
    #[error(transparent)]
    Refused(#[from] CampaignRefusal),
    #[error("besoin introuvable dans cette campagne")]
    NeedNotFound,
    /// A role that answers no campaign (approver, evaluator, supplier, mediator): the same
    /// [`Role::can`] the pages and the API ask, enforced here too.
    #[error(
        "un compte « {} » ne peut pas répondre à une campagne de recensement : il faut un compte acheteur de l'organisme",
        .0.label_fr()
    )]
    RoleRefused(Role),
    /// The need names another organisation than the one of the scope.
    #[error(
        "le besoin est déclaré pour le SIREN {given}, mais votre organisme a le SIREN {expected}"
    )]
    WrongBuyer { given: String, expected: String },
    /// An organisation to invite is neither the coordinator's nor a member of a territory it
    /// leads.
    #[error(
        "l'organisme n° {0} n'est pas membre du territoire coordonné : il ne peut pas être invité"
    )]
    NotATerritoryMember(i64),
    /// A campaign or a need that does not hold together; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for CampaignError {
    fn from(e: sqlx::Error) -> Self {
        CampaignError::Storage(StorageError::Sql(e))
    }
}

/// Normalises the families of a new campaign; refuses what is not a CPV prefix.
fn normalise_families(families: &[String]) -> Result<Vec<String>, CampaignError> {
    let mut out: Vec<String> = Vec::with_capacity(families.len());
    for given in families {
        let trimmed = given.trim();
        if !(2..=8).contains(&trimmed.len()) || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CampaignError::Invalid(format!(
                "famille CPV « {trimmed} » invalide : attendu de 2 à 8 chiffres, par exemple 30 ou 9091"
            )));
        }
        let mut family = trimmed.to_owned();
        while family.len() > 2 && family.ends_with('0') {
            family.pop();
        }
        if !out.contains(&family) {
            out.push(family);
        }
    }
    if out.is_empty() {
        return Err(CampaignError::Invalid(
            "une campagne couvre au moins une famille CPV".into(),
        ));
    }
    Ok(out)
}

fn validate_campaign(new: &NewCampaign) -> Result<Vec<String>, CampaignError> {
    if new.title.trim().is_empty() {
        return Err(CampaignError::Invalid(
            "le titre de la campagne est vide".into(),
        ));
    }
    if new.opens_on > new.closes_on {
        return Err(CampaignError::Invalid(format!(
            "la campagne ne peut pas fermer ({}) avant d'ouvrir ({})",
            new.closes_on.format("%d/%m/%Y"),
            new.opens_on.format("%d/%m/%Y")
        )));
    }
    normalise_families(&new.cpv_families)
}

/// What a need must hold before it is stored in a campaign opening on `opens_on`, whoever
/// parsed it.
fn validate_need(need: &Need, opens_on: NaiveDate) -> Result<(), CampaignError> {
    if need.description.trim().is_empty() {
        return Err(CampaignError::Invalid(format!(
            "besoin {} : la description est vide",
            need.cpv
        )));
    }
    if need.annual_amount.cents() <= 0 {
        return Err(CampaignError::Invalid(format!(
            "besoin « {} » : le montant annuel estimé doit être positif",
            need.description
        )));
    }
    if let Some(q) = &need.quantity
        && (q.thousandths <= 0 || q.unit.trim().is_empty())
    {
        return Err(CampaignError::Invalid(format!(
            "besoin « {} » : une quantité est positive et a une unité",
            need.description
        )));
    }
    if let Some(why) = desired_start_problem(need.desired_start, opens_on) {
        return Err(CampaignError::Invalid(format!(
            "besoin « {} » : {why}",
            need.description
        )));
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    organisation_id: i64,
    title: String,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    cpv_families: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    // The asking organisation's invitation (LEFT JOIN).
    invited_org: Option<i64>,
    invited_at: Option<DateTime<Utc>>,
    answered_at: Option<DateTime<Utc>>,
    last_reminded_at: Option<DateTime<Utc>>,
    reminder_count: Option<i64>,
    invited_count: i64,
    answered_count: i64,
}

/// The campaign columns with one organisation's invitation: the builder binds that
/// organisation right after.
const CAMPAIGN_SELECT: &str = "SELECT c.id, c.organisation_id, c.title, c.opens_on, c.closes_on, \
    c.cpv_families, c.status, c.created_at, c.updated_at, i.organisation_id AS invited_org, \
    i.invited_at, i.answered_at, i.last_reminded_at, i.reminder_count, \
    (SELECT COUNT(*) FROM campaign_invitations a WHERE a.campaign_id = c.id) AS invited_count, \
    (SELECT COUNT(*) FROM campaign_invitations a WHERE a.campaign_id = c.id \
     AND a.answered_at IS NOT NULL) AS answered_count \
    FROM campaigns c LEFT JOIN campaign_invitations i \
    ON i.campaign_id = c.id AND i.organisation_id = ";

fn corrupt(table: &'static str, column: &'static str, value: &str, reason: &str) -> StorageError {
    StorageError::Corrupt {
        table,
        column,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

impl CampaignRow {
    fn into_parts(self) -> Result<(Campaign, Option<Invitation>, Progress)> {
        let status = CampaignStatus::from_code(&self.status)
            .ok_or_else(|| corrupt("campaigns", "status", &self.status, "inconnu"))?;
        let invitation = match (self.invited_org, self.invited_at) {
            (Some(organisation_id), Some(invited_at)) => Some(Invitation {
                organisation_id,
                invited_at,
                answered_at: self.answered_at,
                last_reminded_at: self.last_reminded_at,
                reminder_count: self.reminder_count.unwrap_or(0),
            }),
            _ => None,
        };
        let campaign = Campaign {
            id: self.id,
            organisation_id: self.organisation_id,
            title: self.title,
            opens_on: self.opens_on,
            closes_on: self.closes_on,
            cpv_families: self
                .cpv_families
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            status,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        let progress = Progress {
            invited: self.invited_count,
            answered: self.answered_count,
        };
        Ok((campaign, invitation, progress))
    }
}

/// What a scope may do with one campaign.
struct Access {
    campaign: Campaign,
    invitation: Option<Invitation>,
    progress: Progress,
    /// The coordinator's territory-wide scope over its own organisation's campaign.
    owner: bool,
}

impl Access {
    /// Refuses a member's write unless the domain's policy lets `role` answer on `today`: a
    /// buyer of an invited organisation, while the campaign takes answers.
    fn writable(self, role: Role, today: NaiveDate) -> Result<Access, CampaignError> {
        let actor = CampaignActor {
            role,
            owner: self.owner,
            invited: self.invitation.is_some(),
        };
        if available_actions(actor, self.campaign.period(), today).contains(&CampaignAction::Answer)
        {
            return Ok(self);
        }
        if !actor.invited {
            return Err(CampaignError::NotInvited);
        }
        match self
            .campaign
            .period()
            .answer_refusal(&self.campaign.title, today)
        {
            Some(refusal) => Err(refusal.into()),
            None => Err(CampaignError::RoleRefused(role)),
        }
    }

    /// Refuses a coordinator's `action` (a reminder, the closing) unless the domain's policy
    /// gives it to `role` on `today`: the coordinator of the owning organisation, a reminder
    /// while the campaign takes answers, the closing until it is closed.
    fn permits(
        &self,
        action: CampaignAction,
        role: Role,
        today: NaiveDate,
    ) -> Result<(), CampaignError> {
        let actor = CampaignActor {
            role,
            owner: self.owner,
            invited: self.invitation.is_some(),
        };
        if available_actions(actor, self.campaign.period(), today).contains(&action) {
            return Ok(());
        }
        if !actor.runs() {
            return Err(CampaignError::RoleRefused(role));
        }
        match self
            .campaign
            .period()
            .answer_refusal(&self.campaign.title, today)
        {
            Some(refusal) if action == CampaignAction::Remind => Err(refusal.into()),
            _ => Err(self.closed()),
        }
    }

    /// The error to give when a guarded write found the campaign no longer open.
    fn closed(&self) -> CampaignError {
        CampaignRefusal::Closed {
            title: self.campaign.title.clone(),
            closes_on: self.campaign.closes_on,
        }
        .into()
    }
}

/// The condition of every member write: the campaign is open on `today` and the organisation
/// is invited, each given as the placeholder its statement binds it to.
fn open_and_invited(campaign: &str, organisation: &str, today: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM campaigns gc JOIN campaign_invitations gi \
         ON gi.campaign_id = gc.id WHERE gc.id = {campaign} AND gi.organisation_id = {organisation} \
         AND gc.status = 'open' AND gc.opens_on <= {today} AND gc.closes_on >= {today})"
    )
}

#[derive(sqlx::FromRow)]
struct NeedRow {
    id: i64,
    campaign_id: i64,
    organisation_id: i64,
    organisation_name: String,
    siren: String,
    cpv: String,
    description: String,
    annual_amount_cents: i64,
    quantity_thousandths: Option<i64>,
    quantity_unit: Option<String>,
    desired_start: NaiveDate,
    current_contract: Option<String>,
    current_contract_ends_on: Option<NaiveDate>,
    social_requirements: Option<String>,
    environmental_requirements: Option<String>,
    reservation: Option<String>,
    source: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const NEED_SELECT: &str = "SELECT n.id, n.campaign_id, n.organisation_id, \
    o.name AS organisation_name, o.siren, n.cpv, n.description, n.annual_amount_cents, \
    n.quantity_thousandths, n.quantity_unit, n.desired_start, n.current_contract, \
    n.current_contract_ends_on, n.social_requirements, n.environmental_requirements, \
    n.reservation, n.source, n.created_at, n.updated_at \
    FROM campaign_needs n JOIN organisations o ON o.id = n.organisation_id";

const NEED_ORDER: &str = " ORDER BY n.campaign_id, o.name, n.id";

/// The columns a need is written with, in the order `bind_need` binds them.
const NEED_COLUMNS_WRITTEN: &str = "campaign_id, organisation_id, cpv, description, \
    annual_amount_cents, quantity_thousandths, quantity_unit, desired_start, current_contract, \
    current_contract_ends_on, social_requirements, environmental_requirements, reservation, \
    source, created_at, updated_at";

/// Binds a need's columns on a `Separated`, in `NEED_COLUMNS_WRITTEN` order, on either
/// backend's query.
fn bind_need<'args, DB: sqlx::Database>(
    row: &mut sqlx::query_builder::Separated<'_, 'args, DB, &'static str>,
    campaign: i64,
    org: i64,
    n: &Need,
    source: NeedSource,
    now: DateTime<Utc>,
) where
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    &'static str: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<&'static str>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    NaiveDate: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    row.push_bind(campaign)
        .push_bind(org)
        .push_bind(n.cpv.code8())
        .push_bind(n.description.trim().to_owned())
        .push_bind(n.annual_amount.cents())
        .push_bind(n.quantity.as_ref().map(|q| q.thousandths))
        .push_bind(n.quantity.as_ref().map(|q| q.unit.trim().to_owned()))
        .push_bind(n.desired_start)
        .push_bind(n.current_contract.clone())
        .push_bind(n.current_contract_ends_on)
        .push_bind(n.social_requirements.clone())
        .push_bind(n.environmental_requirements.clone())
        .push_bind(n.reservation.map(Reservation::code))
        .push_bind(source.code())
        .push_bind(now)
        .push_bind(now);
}

impl NeedRow {
    fn into_stored(self, cpv: &CpvNomenclature) -> Result<StoredNeed> {
        let bad =
            |column, value: &str, reason: &str| corrupt("campaign_needs", column, value, reason);
        let buyer = Siren::parse_published(&self.siren)
            .map_err(|e| corrupt("organisations", "siren", &self.siren, &e.to_string()))?;
        let code = cpv
            .parse(&self.cpv)
            .map_err(|e| bad("cpv", &self.cpv, &e.to_string()))?;
        let source = NeedSource::from_code(&self.source)
            .ok_or_else(|| bad("source", &self.source, "inconnue"))?;
        let reservation = match &self.reservation {
            None => None,
            Some(code) => Some(
                Reservation::from_code(code).ok_or_else(|| bad("reservation", code, "inconnue"))?,
            ),
        };
        let quantity = match (self.quantity_thousandths, self.quantity_unit) {
            (Some(thousandths), Some(unit)) => Some(Quantity { thousandths, unit }),
            _ => None,
        };
        Ok(StoredNeed {
            id: self.id,
            campaign_id: self.campaign_id,
            organisation_id: self.organisation_id,
            organisation_name: self.organisation_name,
            source,
            need: Need {
                buyer,
                cpv: code,
                description: self.description,
                annual_amount: Amount::from_cents(self.annual_amount_cents),
                quantity,
                desired_start: self.desired_start,
                current_contract: self.current_contract,
                current_contract_ends_on: self.current_contract_ends_on,
                social_requirements: self.social_requirements,
                environmental_requirements: self.environmental_requirements,
                reservation,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn stored(rows: Vec<NeedRow>, cpv: &CpvNomenclature) -> Result<Vec<StoredNeed>> {
    rows.into_iter().map(|r| r.into_stored(cpv)).collect()
}

/// What a campaign's audit entries are about: the campaign, under its coordinator's
/// organisation.
fn campaign_subject(access: &Access) -> AuditSubject {
    AuditSubject {
        organisation_id: access.campaign.organisation_id,
        record_type: "campaign",
        record_id: access.campaign.id,
    }
}

impl Database {
    /// The campaign a coordinator's `action` is about, once the domain's policy allowed it on
    /// `today`; with what its audit entry is about, and who acts (the account's e-mail).
    async fn coordinator_action(
        &self,
        scope: &Scope,
        campaign_id: i64,
        action: CampaignAction,
        today: NaiveDate,
    ) -> Result<(Access, AuditSubject, String), CampaignError> {
        let access = self
            .access(scope, campaign_id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        access.permits(action, scope.role(), today)?;
        let subject = campaign_subject(&access);
        Ok((access, subject, self.actor_of(scope).await?))
    }

    /// Who a scope's user is, for the audit log: the account's e-mail.
    async fn actor_of(&self, scope: &Scope) -> Result<String> {
        Ok(on_backend!(self, pool => {
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                .bind(scope.user_id())
                .fetch_one(pool)
                .await?
        }))
    }

    /// Opens a campaign of the coordinator's organisation and invites `invited`: the
    /// coordinator's own organisation or members of a territory it leads. One transaction;
    /// `now` (the caller's clock) dates the campaign and the invitations.
    pub async fn create_campaign(
        &self,
        _coordinator: TerritoryWide,
        coordinator_org: i64,
        new: &NewCampaign,
        invited: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64, CampaignError> {
        let families = validate_campaign(new)?.join(",");
        let invited: BTreeSet<i64> = invited.iter().copied().collect();
        let id = on_backend!(self, pool => {
            let mut tx = pool.begin().await?;
            let members: Vec<i64> = sqlx::query_scalar(
                "SELECT m.organisation_id FROM territory_members m \
                 JOIN territories t ON t.id = m.territory_id WHERE t.organisation_id = $1",
            )
            .bind(coordinator_org)
            .fetch_all(&mut *tx)
            .await?;
            let members: HashSet<i64> = members.into_iter().collect();
            if let Some(outsider) = invited
                .iter()
                .find(|o| **o != coordinator_org && !members.contains(*o))
            {
                return Err(CampaignError::NotATerritoryMember(*outsider));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (organisation_id, title, opens_on, closes_on, \
                 cpv_families, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING id",
            )
            .bind(coordinator_org)
            .bind(new.title.trim())
            .bind(new.opens_on)
            .bind(new.closes_on)
            .bind(&families)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let invited: Vec<i64> = invited.into_iter().collect();
            for chunk in invited.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO campaign_invitations (campaign_id, organisation_id, invited_at) ",
                );
                q.push_values(chunk.iter(), |mut row, org| {
                    row.push_bind(id).push_bind(*org).push_bind(now);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Closes a campaign: it takes no more answers. Its needs stay, and keep feeding the
    /// opportunity engine. Only its coordinator closes it, once (the domain's policy, on
    /// `today`); `now` dates the change.
    pub async fn close_campaign(
        &self,
        scope: &Scope,
        campaign_id: i64,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), CampaignError> {
        let (access, subject, actor) = self
            .coordinator_action(scope, campaign_id, CampaignAction::Close, today)
            .await?;
        // The change and its audit entry in one transaction; started over when another
        // change took the audit log's next entry first.
        loop {
            let mut tx = self.begin().await?;
            let done = on_backend!(tx, conn => {
                sqlx::query(
                    "UPDATE campaigns SET status = 'closed', updated_at = $2 \
                     WHERE id = $1 AND status = 'open'",
                )
                .bind(campaign_id)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            if done == 0 {
                return Err(access.closed());
            }
            let written = audit::append(
                &mut tx,
                &subject,
                now,
                &actor,
                "close",
                r#"{"status":"open"}"#.to_owned(),
                r#"{"status":"closed"}"#.to_owned(),
            )
            .await?;
            if written {
                tx.commit().await?;
                return Ok(());
            }
        }
    }

    /// The campaigns a scope sees, latest closing first: a coordinator's territory-wide scope
    /// sees every campaign of its organisation; any scope sees those its organisation is
    /// invited to.
    pub async fn campaigns_for(&self, scope: &Scope) -> Result<Vec<CampaignSummary>> {
        let org = scope.organisation_id();
        let wide = scope.territory_wide().is_some();
        let rows: Vec<CampaignRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(CAMPAIGN_SELECT);
            q.push_bind(org);
            q.push(" WHERE i.organisation_id IS NOT NULL");
            if wide {
                q.push(" OR c.organisation_id = ").push_bind(org);
            }
            q.push(" ORDER BY c.closes_on DESC, c.id DESC");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let (campaign, invitation, progress) = row.into_parts()?;
                let owner = wide && campaign.organisation_id == org;
                Ok(CampaignSummary {
                    campaign,
                    invitation,
                    progress: owner.then_some(progress),
                })
            })
            .collect()
    }

    /// One campaign, if the scope sees it (see [`campaigns_for`](Self::campaigns_for)).
    pub async fn campaign(&self, scope: &Scope, id: i64) -> Result<Option<CampaignSummary>> {
        Ok(self.access(scope, id).await?.map(|a| CampaignSummary {
            progress: a.owner.then_some(a.progress),
            campaign: a.campaign,
            invitation: a.invitation,
        }))
    }

    /// The campaign and the scope's invitation, or `None` when the scope does not see it.
    async fn access(&self, scope: &Scope, id: i64) -> Result<Option<Access>> {
        let org = scope.organisation_id();
        let row: Option<CampaignRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(CAMPAIGN_SELECT);
            q.push_bind(org);
            q.push(" WHERE c.id = ").push_bind(id);
            q.build_query_as().fetch_optional(pool).await?
        });
        let Some(row) = row else { return Ok(None) };
        let (campaign, invitation, progress) = row.into_parts()?;
        let owner = scope.territory_wide().is_some() && campaign.organisation_id == org;
        if !owner && invitation.is_none() {
            return Ok(None);
        }
        Ok(Some(Access {
            campaign,
            invitation,
            progress,
            owner,
        }))
    }

    /// The campaign, if the scope may write its own needs in it on `today`.
    async fn writable(
        &self,
        scope: &Scope,
        id: i64,
        today: NaiveDate,
    ) -> Result<Access, CampaignError> {
        if !scope.role().can(Capability::Campaigns) {
            return Err(CampaignError::RoleRefused(scope.role()));
        }
        self.access(scope, id)
            .await?
            .ok_or(CampaignError::NotFound)?
            .writable(scope.role(), today)
    }

    /// The coordinator's board of a campaign: every invited member with its answer, needs
    /// and reminders; the totals per family of the campaign.
    pub async fn campaign_board(
        &self,
        _wide: TerritoryWide,
        id: i64,
    ) -> Result<CampaignBoard, CampaignError> {
        type MemberRow = (
            i64,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            i64,
        );
        /// A need's member, CPV and annual amount.
        type NeedAmount = (i64, String, i64);
        type Rows = (Option<CampaignRow>, Vec<MemberRow>, Vec<NeedAmount>);
        let (row, members, needs): Rows = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(CAMPAIGN_SELECT);
            // No organisation is asking for its own invitation.
            q.push_bind(0_i64);
            q.push(" WHERE c.id = ").push_bind(id);
            let row = q.build_query_as().fetch_optional(pool).await?;
            let members = sqlx::query_as(
                "SELECT o.id, o.name, o.siren, i.invited_at, i.answered_at, i.last_reminded_at, \
                 i.reminder_count FROM campaign_invitations i \
                 JOIN organisations o ON o.id = i.organisation_id \
                 WHERE i.campaign_id = $1 ORDER BY o.name, o.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let needs = sqlx::query_as(
                "SELECT organisation_id, cpv, annual_amount_cents FROM campaign_needs \
                 WHERE campaign_id = $1",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (row, members, needs)
        });
        let (campaign, _, _) = row.ok_or(CampaignError::NotFound)?.into_parts()?;
        let mut per_member: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut per_family: HashMap<&str, (i64, HashSet<i64>, i64)> = HashMap::new();
        for (org, cpv, cents) in &needs {
            let member = per_member.entry(*org).or_default();
            member.0 += 1;
            member.1 += cents;
            let family = family_of(&campaign.cpv_families, cpv).unwrap_or(OTHER_FAMILY);
            let total = per_family.entry(family).or_default();
            total.0 += 1;
            total.1.insert(*org);
            total.2 += cents;
        }
        let family_total = |family: &str| {
            let (need_count, members, cents) = per_family.get(family).cloned().unwrap_or_default();
            FamilyTotal {
                family: family.to_owned(),
                need_count,
                member_count: members.len() as i64,
                annual_amount: Amount::from_cents(cents),
            }
        };
        let mut families: Vec<FamilyTotal> = campaign
            .cpv_families
            .iter()
            .map(|f| family_total(f))
            .collect();
        if per_family.contains_key(OTHER_FAMILY) {
            families.push(family_total(OTHER_FAMILY));
        }
        let members = members
            .into_iter()
            .map(
                |(
                    organisation_id,
                    name,
                    siren,
                    invited_at,
                    answered_at,
                    last_reminded_at,
                    reminder_count,
                )| {
                    let (need_count, cents) = per_member
                        .get(&organisation_id)
                        .copied()
                        .unwrap_or_default();
                    MemberAnswer {
                        organisation_id,
                        name,
                        siren,
                        invitation: Invitation {
                            organisation_id,
                            invited_at,
                            answered_at,
                            last_reminded_at,
                            reminder_count,
                        },
                        need_count,
                        annual_amount: Amount::from_cents(cents),
                    }
                },
            )
            .collect();
        Ok(CampaignBoard {
            campaign,
            members,
            families,
            need_count: needs.len() as i64,
            annual_amount: Amount::from_cents(needs.iter().map(|n| n.2).sum()),
        })
    }

    /// Notes that the coordinator reminded an invited member to answer, at `now`: only its
    /// coordinator, while the campaign takes answers on `today` (the domain's policy).
    pub async fn record_reminder(
        &self,
        scope: &Scope,
        campaign_id: i64,
        organisation_id: i64,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), CampaignError> {
        let (_, subject, actor) = self
            .coordinator_action(scope, campaign_id, CampaignAction::Remind, today)
            .await?;
        loop {
            let mut tx = self.begin().await?;
            let done = on_backend!(tx, conn => {
                sqlx::query(
                    "UPDATE campaign_invitations SET last_reminded_at = $3, \
                     reminder_count = reminder_count + 1 \
                     WHERE campaign_id = $1 AND organisation_id = $2",
                )
                .bind(campaign_id)
                .bind(organisation_id)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            if done == 0 {
                return Err(CampaignError::NotFound);
            }
            let written = audit::append(
                &mut tx,
                &subject,
                now,
                &actor,
                "remind",
                String::new(),
                format!(r#"{{"reminded":{organisation_id}}}"#),
            )
            .await?;
            if written {
                tx.commit().await?;
                return Ok(());
            }
        }
    }

    /// The needs of a campaign the scope sees: the coordinator's territory-wide scope sees
    /// every member's needs of its own campaigns, any other scope its own needs only.
    pub async fn needs_of(
        &self,
        scope: &Scope,
        campaign_id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredNeed>, CampaignError> {
        let access = self
            .access(scope, campaign_id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        let rows: Vec<NeedRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(NEED_SELECT);
            q.push(" WHERE n.campaign_id = ").push_bind(campaign_id);
            if !access.owner {
                q.push(" AND n.organisation_id = ").push_bind(scope.organisation_id());
            }
            q.push(NEED_ORDER);
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(stored(rows, cpv)?)
    }

    /// The SIREN of the scope's organisation, which every need it declares must name; and
    /// what each need must hold in `campaign`.
    async fn check_needs(
        &self,
        scope: &Scope,
        campaign: &Campaign,
        needs: &[Need],
    ) -> Result<(), CampaignError> {
        let siren: String = on_backend!(self, pool => {
            sqlx::query_scalar("SELECT siren FROM organisations WHERE id = $1")
                .bind(scope.organisation_id())
                .fetch_one(pool)
                .await?
        });
        for need in needs {
            if need.buyer.as_str() != siren {
                return Err(CampaignError::WrongBuyer {
                    given: need.buyer.to_string(),
                    expected: siren,
                });
            }
            validate_need(need, campaign.opens_on)?;
        }
        Ok(())
    }

    /// Declares one need in the web form, for the scope's own organisation, while the
    /// campaign takes answers on `today` (the caller's calendar day); `now` dates the need.
    pub async fn add_need(
        &self,
        scope: &Scope,
        campaign_id: i64,
        need: &Need,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<i64, CampaignError> {
        let access = self.writable(scope, campaign_id, today).await?;
        self.check_needs(scope, &access.campaign, std::slice::from_ref(need))
            .await?;
        let org = scope.organisation_id();
        let id: Option<i64> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "INSERT INTO campaign_needs ({NEED_COLUMNS_WRITTEN}) SELECT "
            ));
            {
                let mut row = q.separated(", ");
                bind_need(&mut row, campaign_id, org, need, NeedSource::Form, now);
            }
            q.push(" WHERE EXISTS (SELECT 1 FROM campaigns gc JOIN campaign_invitations gi ON gi.campaign_id = gc.id WHERE gc.id = ")
                .push_bind(campaign_id)
                .push(" AND gi.organisation_id = ")
                .push_bind(org)
                .push(" AND gc.status = 'open' AND gc.opens_on <= ")
                .push_bind(today)
                .push(" AND gc.closes_on >= ")
                .push_bind(today)
                .push(") RETURNING id");
            q.build_query_scalar().fetch_optional(pool).await?
        });
        id.ok_or_else(|| access.closed())
    }

    /// Deletes one of the scope's own needs while the campaign takes answers.
    pub async fn delete_need(
        &self,
        scope: &Scope,
        campaign_id: i64,
        need_id: i64,
        today: NaiveDate,
    ) -> Result<(), CampaignError> {
        self.writable(scope, campaign_id, today).await?;
        let guard = open_and_invited("$2", "$3", "$4");
        let done = on_backend!(self, pool => {
            sqlx::query(&format!(
                "DELETE FROM campaign_needs WHERE id = $1 AND campaign_id = $2 \
                 AND organisation_id = $3 AND {guard}"
            ))
            .bind(need_id)
            .bind(campaign_id)
            .bind(scope.organisation_id())
            .bind(today)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            // Either not one of the scope's needs here, or the campaign closed meanwhile.
            self.writable(scope, campaign_id, today).await?;
            return Err(CampaignError::NeedNotFound);
        }
        Ok(())
    }

    /// Replaces the scope's workbook needs of a campaign by those of a new workbook and marks
    /// the member as having answered: one transaction, all or nothing. Form needs stay.
    /// `now` dates the needs and the answer. Returns how many needs were written.
    pub async fn replace_needs_from_workbook(
        &self,
        scope: &Scope,
        campaign_id: i64,
        needs: &[Need],
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, CampaignError> {
        let access = self.writable(scope, campaign_id, today).await?;
        self.check_needs(scope, &access.campaign, needs).await?;
        let org = scope.organisation_id();
        let guard = open_and_invited("$1", "$2", "$4");
        let written = on_backend!(self, pool => {
            let mut tx = pool.begin().await?;
            // First a write, guarded: the transaction takes the write lock at once, and a
            // campaign closed since the check above stops here.
            let answered = sqlx::query(&format!(
                "UPDATE campaign_invitations SET answered_at = $3 \
                 WHERE campaign_id = $1 AND organisation_id = $2 AND {guard}"
            ))
            .bind(campaign_id)
            .bind(org)
            .bind(now)
            .bind(today)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if answered == 0 {
                return Err(access.closed());
            }
            sqlx::query(
                "DELETE FROM campaign_needs WHERE campaign_id = $1 AND organisation_id = $2 \
                 AND source = 'workbook'",
            )
            .bind(campaign_id)
            .bind(org)
            .execute(&mut *tx)
            .await?;
            for chunk in needs.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO campaign_needs ({NEED_COLUMNS_WRITTEN}) "
                ));
                q.push_values(chunk.iter(), |mut row, need| {
                    bind_need(&mut row, campaign_id, org, need, NeedSource::Workbook, now);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            needs.len()
        });
        Ok(written)
    }

    /// Marks the scope's organisation as having answered a campaign (its form needs are
    /// complete) while the campaign takes answers; `now` dates the answer.
    pub async fn submit_answer(
        &self,
        scope: &Scope,
        campaign_id: i64,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), CampaignError> {
        let access = self.writable(scope, campaign_id, today).await?;
        let guard = open_and_invited("$1", "$2", "$4");
        let done = on_backend!(self, pool => {
            sqlx::query(&format!(
                "UPDATE campaign_invitations SET answered_at = $3 \
                 WHERE campaign_id = $1 AND organisation_id = $2 AND {guard}"
            ))
            .bind(campaign_id)
            .bind(scope.organisation_id())
            .bind(now)
            .bind(today)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(access.closed());
        }
        Ok(())
    }

    /// Every need of every campaign, open or closed: what the opportunity engine reads for
    /// the territory.
    pub async fn all_campaign_needs(
        &self,
        _wide: TerritoryWide,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<Need>> {
        let rows: Vec<NeedRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{NEED_SELECT}{NEED_ORDER}"))
                .fetch_all(pool)
                .await?
        });
        Ok(stored(rows, cpv)?.into_iter().map(|s| s.need).collect())
    }

    /// The scope's own needs in every campaign, open or closed: what the opportunity engine
    /// reads for one member.
    pub async fn campaign_needs_for_member(
        &self,
        scope: &Scope,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<Need>> {
        let rows: Vec<NeedRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{NEED_SELECT} WHERE n.organisation_id = $1{NEED_ORDER}"))
                .bind(scope.organisation_id())
                .fetch_all(pool)
                .await?
        });
        Ok(stored(rows, cpv)?.into_iter().map(|s| s.need).collect())
    }
}
