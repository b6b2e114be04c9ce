//! Inventory campaigns ("recensements"): which campaigns and needs a user sees, a member's
//! answer (needs by form or by workbook, then the answer submitted), and the coordinator's
//! campaign (creation, reminders, closing).
//!
//! Who sees what: the coordinator, the campaigns of its organisation, with every invited
//! member's answer and needs; a member's buyer, the campaigns its organisation is invited
//! to, with its own needs only, which it declares. The other roles
//! (`Capability::Campaigns`) are refused. A campaign the user does not see is not found
//! whatever its id, like another tenant's.
//!
//! "Today", the day compared with a campaign's opening and closing dates, is the [`Clock`]'s
//! calendar day ([`crate::Clock::today`]); storage refuses every write that the campaign's
//! policy (`mutualis_domain::campaign`) does not allow on that day.
//!
//! [`Clock`]: crate::Clock

use std::collections::{BTreeSet, HashSet};

use mutualis_domain::campaign::{CampaignAction, CampaignActor, available_actions};
use mutualis_domain::{Capability, Need};
use mutualis_formats::needs_workbook::PrefillRow;
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::Principal;
use mutualis_storage::campaigns::{
    Campaign, CampaignBoard, CampaignError, CampaignSummary, NeedSource, NewCampaign, StoredNeed,
};
use mutualis_storage::contracts::ContractFilter;
use mutualis_storage::organisations::OrganisationRecord;

use crate::{App, AppError, require};

/// Contracts read per query when pre-filling a workbook (the storage's largest page).
const CONTRACTS_PER_QUERY: u32 = 500;

/// Refuses the roles that see no campaign.
pub fn check_role(user: &Principal) -> Result<(), AppError> {
    require(user, Capability::Campaigns)
}

/// The campaigns the user sees: its organisation's (coordinator) and those its organisation
/// is invited to.
pub async fn visible_campaigns(
    app: &App,
    user: &Principal,
) -> Result<Vec<CampaignSummary>, AppError> {
    check_role(user)?;
    Ok(app.db.campaigns_for(user.scope()).await?)
}

/// The needs of a campaign the user sees: every member's for the coordinator's own campaign,
/// its organisation's otherwise; `None` when the user does not see the campaign.
pub async fn visible_needs(
    app: &App,
    user: &Principal,
    campaign_id: i64,
) -> Result<Option<Vec<StoredNeed>>, AppError> {
    check_role(user)?;
    match app
        .db
        .needs_of(user.scope(), campaign_id, nomenclature())
        .await
    {
        Ok(needs) => Ok(Some(needs)),
        Err(CampaignError::NotFound) => Ok(None),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// One campaign the user sees.
pub async fn visible_campaign(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<CampaignSummary, AppError> {
    check_role(user)?;
    app.db
        .campaign(user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A campaign the user's organisation is invited to answer; any other is not found.
pub async fn answerable_campaign(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<CampaignSummary, AppError> {
    let summary = visible_campaign(app, user, id).await?;
    if summary.invitation.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(summary)
}

/// A campaign of the coordinator's own organisation; other roles are refused.
pub async fn owned_campaign(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<CampaignSummary, AppError> {
    if user.scope().territory_wide().is_none() {
        return Err(AppError::Forbidden);
    }
    let summary = visible_campaign(app, user, id).await?;
    if summary.progress.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(summary)
}

/// The user's own organisation (its SIREN names every need it declares).
pub async fn own_organisation(app: &App, user: &Principal) -> Result<OrganisationRecord, AppError> {
    crate::organisations::own_organisation(app, user).await
}

/// What the user may do with the campaign today, by the domain's campaign policy: what
/// storage enforces and what the pages offer.
pub fn actions_of(
    app: &App,
    user: &Principal,
    summary: &CampaignSummary,
) -> BTreeSet<CampaignAction> {
    available_actions(
        CampaignActor {
            role: user.role(),
            owner: summary.progress.is_some(),
            invited: summary.invitation.is_some(),
        },
        summary.campaign.period(),
        app.clock.today(),
    )
}

/// Creates a campaign of the coordinator's organisation, inviting `invited` (organisation
/// ids); refused to anyone but the territory's coordinator.
pub async fn create(
    app: &App,
    user: &Principal,
    campaign: &NewCampaign,
    invited: &[i64],
) -> Result<i64, CampaignError> {
    let wide = user
        .scope()
        .territory_wide()
        .ok_or(CampaignError::RoleRefused(user.role()))?;
    app.db
        .create_campaign(
            wide,
            user.organisation_id(),
            campaign,
            invited,
            app.clock.now(),
        )
        .await
}

/// Declares a need in the member's answer, if the campaign takes answers today.
pub async fn add_need(
    app: &App,
    user: &Principal,
    campaign: i64,
    need: &Need,
) -> Result<i64, CampaignError> {
    app.db
        .add_need(
            user.scope(),
            campaign,
            need,
            app.clock.today(),
            app.clock.now(),
        )
        .await
}

/// Deletes one of the member's needs, if the campaign takes answers today.
pub async fn delete_need(
    app: &App,
    user: &Principal,
    campaign: i64,
    need: i64,
) -> Result<(), CampaignError> {
    app.db
        .delete_need(user.scope(), campaign, need, app.clock.today())
        .await
}

/// Submits the member's answer, if the campaign takes answers today.
pub async fn submit_answer(
    app: &App,
    user: &Principal,
    campaign: i64,
) -> Result<(), CampaignError> {
    app.db
        .submit_answer(user.scope(), campaign, app.clock.today(), app.clock.now())
        .await
}

/// Records a reminder sent to a member that has not answered the coordinator's campaign.
pub async fn remind(
    app: &App,
    user: &Principal,
    campaign: i64,
    organisation: i64,
) -> Result<(), CampaignError> {
    app.db
        .record_reminder(
            user.scope(),
            campaign,
            organisation,
            app.clock.today(),
            app.clock.now(),
        )
        .await
}

/// Closes the coordinator's campaign, for good: no more answers nor changes to the needs.
pub async fn close(app: &App, user: &Principal, campaign: i64) -> Result<(), CampaignError> {
    app.db
        .close_campaign(user.scope(), campaign, app.clock.today(), app.clock.now())
        .await
}

/// What a workbook uploaded back did: the needs it holds now, and the rows left out because
/// they were needs entered in the form already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkbookImport {
    pub needs: usize,
    pub duplicates: usize,
}

/// Replaces the needs of the member's previous workbook by the needs read from a new one. A
/// row identical to a need entered in the form is that need: not imported a second time, so
/// that a workbook downloaded and uploaded back unchanged doubles no need.
pub async fn import_workbook(
    app: &App,
    user: &Principal,
    campaign: i64,
    needs: Vec<Need>,
) -> Result<WorkbookImport, CampaignError> {
    let scope = user.scope();
    let mut form_needs: Vec<Need> = app
        .db
        .needs_of(scope, campaign, nomenclature())
        .await?
        .into_iter()
        .filter(|n| n.source == NeedSource::Form)
        .map(|n| n.need)
        .collect();
    let mut imported = Vec::with_capacity(needs.len());
    let mut duplicates = 0;
    for need in needs {
        match form_needs.iter().position(|f| *f == need) {
            Some(i) => {
                form_needs.swap_remove(i);
                duplicates += 1;
            }
            None => imported.push(need),
        }
    }
    let needs = app
        .db
        .replace_needs_from_workbook(
            scope,
            campaign,
            &imported,
            app.clock.today(),
            app.clock.now(),
        )
        .await?;
    Ok(WorkbookImport { needs, duplicates })
}

/// The rows a member's workbook starts with: its contracts ending after the campaign opens,
/// in the campaign's families (when it has some), unless a declared need already renews them;
/// then every need it has declared (`needs`).
pub async fn workbook_rows(
    app: &App,
    user: &Principal,
    campaign: &Campaign,
    needs: &[StoredNeed],
) -> Result<Vec<PrefillRow>, AppError> {
    let renewed: HashSet<&str> = needs
        .iter()
        .filter_map(|n| n.need.current_contract.as_deref())
        .collect();
    let mut rows = Vec::new();
    let mut page = 0;
    loop {
        let filter = ContractFilter {
            ends_from: Some(campaign.opens_on),
            per_page: CONTRACTS_PER_QUERY,
            page,
            ..ContractFilter::default()
        };
        let found = app
            .db
            .contracts_in_scope(user.scope(), &filter, nomenclature())
            .await?;
        for record in &found.records {
            let c = &record.contract;
            let in_families = campaign.cpv_families.is_empty()
                || c.cpv.is_some_and(|cpv| campaign.family_of(&cpv).is_some());
            if in_families && !renewed.contains(c.id.as_str()) {
                rows.push(PrefillRow::from_contract(c));
            }
        }
        let read = i64::from(page + 1) * i64::from(CONTRACTS_PER_QUERY);
        if found.records.len() < CONTRACTS_PER_QUERY as usize || read >= found.total {
            break;
        }
        page += 1;
    }
    rows.extend(needs.iter().map(|n| PrefillRow::from(&n.need)));
    Ok(rows)
}

/// The needs of a campaign the user sees (every member's for its coordinator, its own
/// organisation's otherwise).
pub async fn needs(
    app: &App,
    user: &Principal,
    campaign: i64,
) -> Result<Vec<StoredNeed>, AppError> {
    visible_needs(app, user, campaign)
        .await?
        .ok_or(AppError::NotFound)
}

/// The coordinator's board of its campaign: who answered, reminders, totals per family.
pub async fn board(app: &App, user: &Principal, campaign: i64) -> Result<CampaignBoard, AppError> {
    let wide = user.scope().territory_wide().ok_or(AppError::Forbidden)?;
    match app.db.campaign_board(wide, campaign).await {
        Ok(board) => Ok(board),
        Err(CampaignError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal(e)),
    }
}
