//! Groupements de commandes: which groupements a user sees, an action applied or checked as
//! that user at the clock's time (storage enforces the domain's policy,
//! `mutualis_domain::groupement::policy`, in the same transaction as the write), the
//! contracts an award made, and a groupement created from a pooling opportunity.

use chrono::{Months, NaiveDate};
use mutualis_domain::groupement::{
    Action, Actor, CostSharing, Groupement, Lot, LotNeed, Mission, NewGroupement, earliest_start,
};
use mutualis_domain::opportunity::Opportunity;
use mutualis_domain::{Amount, Capability, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::pooling::pooling;
use mutualis_storage::Principal;
use mutualis_storage::groupements::{
    GroupementContract, GroupementError, OpportunitySource, StoredGroupement,
};

use crate::opportunities::{self, Perimeter, Question};
use crate::{App, AppError, require};

/// The SIREN of the user's organisation.
pub async fn own_siren(app: &App, user: &Principal) -> Result<Siren, AppError> {
    Ok(crate::organisations::own_organisation(app, user)
        .await?
        .organisation
        .siren)
}

/// The names of the suppliers of the groupement's awards, by SIRET, as the database knows
/// them.
pub async fn supplier_names(
    app: &App,
    g: &mutualis_domain::groupement::Groupement,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    Ok(app.db.award_supplier_names(g).await?)
}

/// Whether the user is the groupement's coordinator: a territory-wide scope of the
/// organisation that owns it (what storage calls the owner).
pub fn owns(user: &Principal, stored: &StoredGroupement) -> bool {
    user.scope().territory_wide().is_some() && stored.organisation_id == user.organisation_id()
}

/// The groupements the user sees: its organisation's for a coordinator, those its
/// organisation is invited to or has joined otherwise; the last changed first.
pub async fn visible_groupements(
    app: &App,
    user: &Principal,
) -> Result<Vec<StoredGroupement>, AppError> {
    require(user, Capability::Groupements)?;
    Ok(app.db.groupements_for(user.scope(), nomenclature()).await?)
}

/// One groupement the user sees; any other id is not found.
pub async fn visible_groupement(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<StoredGroupement, AppError> {
    require(user, Capability::Groupements)?;
    app.db
        .groupement(user.scope(), id, nomenclature())
        .await?
        .ok_or(AppError::NotFound)
}

/// The contracts the groupement's award made that the user sees: every member's for the
/// coordinator, its own organisation's otherwise.
pub async fn visible_contracts(
    app: &App,
    user: &Principal,
    stored: &StoredGroupement,
) -> Result<Vec<GroupementContract>, GroupementError> {
    if stored.groupement.awards.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = app
        .db
        .groupement_contracts(user.scope(), stored.id, nomenclature())
        .await?;
    // Storage gives a member its own contracts only; never let another's through.
    if !owns(user, stored) {
        let org = user.organisation_id();
        found.retain(|c| c.organisation_id == org);
    }
    Ok(found)
}

/// Applies `action` to the groupement as the user, at the clock's time, if the groupement
/// is still at `version`: the groupement as stored after it.
pub async fn apply(
    app: &App,
    user: &Principal,
    id: i64,
    version: i64,
    action: Action,
) -> Result<StoredGroupement, GroupementError> {
    app.db
        .apply_groupement_action(
            user.scope(),
            id,
            version,
            action,
            &user.email.to_string(),
            app.clock.now(),
            nomenclature(),
        )
        .await
}

/// Whether `action` would be applied, without applying it (the dry run of an irreversible
/// action's confirmation page).
pub async fn check(
    app: &App,
    user: &Principal,
    id: i64,
    version: i64,
    action: &Action,
) -> Result<(), GroupementError> {
    app.db
        .check_groupement_action(user.scope(), id, version, action, nomenclature())
        .await
        .map(|_| ())
}

/// A groupement created from an opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: i64,
    /// When the opportunity's common start came too early for the groupement to hold its
    /// consultation, and was moved: the opportunity's start and the procedure's lead time in
    /// months.
    pub moved_from: Option<(NaiveDate, u32)>,
}

/// Creates, as the territory's coordinator, a draft groupement for the opportunity of CPV
/// `prefix` that `question` finds: one lot, the coordinator a member, the opportunity's
/// other buyers of the territory invited (a buyer outside the territory, when the
/// coordinator widened the perimeter, is never invited), and each buyer's need over the
/// duration set (the coordinator's own confirmed, the others' as proposals).
pub async fn create_from_opportunity(
    app: &App,
    user: &Principal,
    prefix: &str,
    question: &Question,
) -> Result<Created, AppError> {
    if user.scope().territory_wide().is_none() {
        return Err(AppError::Forbidden);
    }
    let report = opportunities::answer(app, user, question)
        .await?
        .map_err(|e| AppError::Invalid(e.message))?;
    let Some(o) = report.opportunities.iter().find(|o| o.cpv.prefix == prefix) else {
        return Err(AppError::NotFound);
    };
    let own = crate::organisations::own_organisation(app, user)
        .await?
        .organisation;
    let today = app.clock.today();
    let duration = o.proposed_duration_months.max(1);
    let adhesion_deadline = today.checked_add_months(Months::new(1)).unwrap_or(today);
    let start = planned_start(o, adhesion_deadline);
    let new = NewGroupement {
        coordinator: own.siren.clone(),
        coordinator_name: own.name.clone(),
        coordinator_population: own.population,
        title: format!("Groupement de commandes — {}", o.cpv.label),
        cpv: o.cpv.code,
        lots: vec![Lot {
            number: 1,
            title: o.cpv.label.clone(),
            cpv: o.cpv.code,
        }],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: duration,
        adhesion_deadline,
        proposed_start: Some(start.on),
        created_on: today,
    };
    let source = OpportunitySource {
        cpv_prefix: prefix.to_owned(),
        as_of: question.params.as_of,
        all_buyers: question.perimeter == Perimeter::AllBuyers,
    };
    // Only the territory's organisations are invited, found in one query.
    let territory = opportunities::territory_sirens(app).await?;
    let others: Vec<Siren> = o
        .buyers
        .iter()
        .filter(|b| b.siren != own.siren && territory.contains(&b.siren))
        .map(|b| b.siren.clone())
        .collect();
    let known = app.db.organisations_by_sirens(&others).await?;
    let mut actions: Vec<Action> = others
        .iter()
        .filter_map(|siren| known.get(siren))
        .map(|rec| Action::Invite {
            member: rec.organisation.siren.clone(),
            name: rec.organisation.name.clone(),
            population: rec.organisation.population,
        })
        .collect();
    // Each buyer's need over the duration: the coordinator's own, the others' as proposals.
    for b in &o.buyers {
        let cents = b.annual_amount_cents * i64::from(duration) / 12;
        let invited = b.siren == own.siren || known.contains_key(&b.siren);
        if cents > 0 && invited {
            actions.push(Action::SetNeed(LotNeed {
                lot: 1,
                member: b.siren.clone(),
                quantity: None,
                estimated_amount: Amount::from_cents(cents),
                confirmed: b.siren == own.siren,
            }));
        }
    }
    // The draft with the actions the domain's policy accepts, in order: one it refuses is
    // left out (the coordinator sees on the page what was not done), never the whole creation.
    let mut draft = Groupement::draft(new.clone()).map_err(|r| AppError::Invalid(r.to_string()))?;
    let coordinator = Actor {
        organisation: own.siren.clone(),
        role: user.role(),
    };
    actions.retain(|action| match draft.apply_as(&coordinator, action) {
        Ok(next) => {
            draft = next;
            true
        }
        Err(refusal) => {
            tracing::warn!(action = action.code(), %refusal, "pre-filling refused");
            false
        }
    });
    let id = match app
        .db
        .create_groupement_with_actions(
            user.scope(),
            new,
            Some(source),
            actions,
            &user.email.to_string(),
            app.clock.now(),
        )
        .await
    {
        Ok(id) => id,
        Err(GroupementError::Storage(e)) => return Err(AppError::Storage(e)),
        Err(e) => return Err(AppError::Invalid(e.to_string())),
    };
    Ok(Created {
        id,
        moved_from: start.moved.then_some((o.proposed_start, start.lead_months)),
    })
}

/// The start a groupement created from an opportunity plans.
struct PlannedStart {
    on: NaiveDate,
    /// The opportunity's common start came too early and was moved.
    moved: bool,
    /// The lead time of the opportunity's procedure, in months.
    lead_months: u32,
}

/// The opportunity's common start, unless it comes before the groupement can hold its
/// consultation — the adhesion deadline plus the lead time of the opportunity's procedure, as
/// for an opportunity computed from an old "as of" date: then the first day of the month that
/// follows them ([`earliest_start`]).
fn planned_start(o: &Opportunity, adhesion_deadline: NaiveDate) -> PlannedStart {
    let lead_months = pooling().lead_times.months(o.procedure.pooled.procedure);
    let earliest = earliest_start(adhesion_deadline, lead_months);
    PlannedStart {
        on: o.proposed_start.max(earliest),
        moved: o.proposed_start < earliest,
        lead_months,
    }
}
