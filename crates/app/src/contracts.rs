//! Contracts as published (DECP): the list's filters as typed, read with an error per field,
//! and the contracts a user may see.

use chrono::NaiveDate;
use mutualis_domain::{Amount, Capability, french};
use mutualis_formats::decp_vocab::{Procedure, Vocabulary};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::Principal;
use mutualis_storage::contract_flags::StoredFlags;
use mutualis_storage::contracts::{ContractFilter, ContractPage, ContractRecord, ContractSort};
use serde::Deserialize;

use crate::{App, AppError, page_asked, require, sentence};

pub const PER_PAGE: u32 = 25;

/// The filters as typed in the form (all text, so that a bad value can be shown back).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    pub membre: String,
    #[serde(default)]
    pub cpv: String,
    #[serde(default)]
    pub procedure: String,
    #[serde(default)]
    pub fin_apres: String,
    #[serde(default)]
    pub fin_avant: String,
    #[serde(default)]
    pub montant_min: String,
    #[serde(default)]
    pub montant_max: String,
    #[serde(default)]
    pub tri: String,
    #[serde(default)]
    pub page: String,
}

pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn parse_date(field: &'static str, value: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    if value.trim().is_empty() {
        return None;
    }
    french::parse_date(value)
        .map_err(|e| sentence(&e))
        .map_err(|message| errors.push(FieldError { field, message }))
        .ok()
}

/// A bound of the amount filter, by the rules of every typed amount (`domain::french`), 0
/// accepted.
fn parse_amount(field: &'static str, value: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    if value.trim().is_empty() {
        return None;
    }
    french::parse_amount_or_zero(value)
        .map(Amount::cents)
        .map_err(|e| {
            errors.push(FieldError {
                field,
                message: sentence(&e),
            })
        })
        .ok()
}

impl FilterQuery {
    /// The storage filter, and the errors to show next to the fields they concern.
    pub fn to_filter(&self) -> (ContractFilter, Vec<FieldError>) {
        let mut errors = Vec::new();
        let cpv = self.cpv.trim();
        let cpv_prefix = if cpv.is_empty() {
            None
        } else if cpv.len() >= 2 && cpv.len() <= 8 && cpv.chars().all(|c| c.is_ascii_digit()) {
            Some(cpv.to_owned())
        } else {
            errors.push(FieldError {
                field: "cpv",
                message: format!("« {cpv} » n'est pas un début de code CPV : attendu 2 à 8 chiffres, par exemple 90 ou 9091."),
            });
            None
        };
        let typed = self.procedure.trim();
        let procedure = if typed.is_empty() {
            None
        } else if let Some(known) = Procedure::from_code(typed) {
            Some(known.code().to_owned())
        } else {
            errors.push(FieldError {
                field: "procedure",
                message: format!(
                    "« {typed} » n'est pas une procédure DECP 2.0 : attendu {}.",
                    Procedure::CODES.join(", ")
                ),
            });
            None
        };
        let member = self.membre.trim();
        let organisation_id = if member.is_empty() {
            None
        } else if let Ok(id) = member.parse::<i64>() {
            Some(id)
        } else {
            errors.push(FieldError {
                field: "membre",
                message: format!(
                    "« {member} » n'est pas un identifiant d'organisation : attendu un nombre entier."
                ),
            });
            None
        };
        let sort = match self.tri.trim() {
            "" | "fin" => ContractSort::EndDate,
            "montant" => ContractSort::AmountDesc,
            "acheteur" => ContractSort::Buyer,
            "objet" => ContractSort::Object,
            other => {
                errors.push(FieldError {
                    field: "tri",
                    message: format!(
                        "« {other} » n'est pas un tri : attendu fin, montant, acheteur ou objet."
                    ),
                });
                ContractSort::EndDate
            }
        };
        let page = page_asked(&self.page).unwrap_or_else(|message| {
            errors.push(FieldError {
                field: "page",
                message,
            });
            1
        });
        let filter = ContractFilter {
            organisation_id,
            cpv_prefix,
            procedure,
            ends_from: parse_date("fin_apres", &self.fin_apres, &mut errors),
            ends_until: parse_date("fin_avant", &self.fin_avant, &mut errors),
            min_amount_cents: parse_amount("montant_min", &self.montant_min, &mut errors),
            max_amount_cents: parse_amount("montant_max", &self.montant_max, &mut errors),
            sort,
            page: page - 1,
            per_page: PER_PAGE,
        };
        (filter, errors)
    }

    /// These filters as query parameters, kept from page to page.
    pub fn pairs(&self) -> [(&'static str, &str); 8] {
        [
            ("membre", self.membre.as_str()),
            ("cpv", &self.cpv),
            ("procedure", &self.procedure),
            ("fin_apres", &self.fin_apres),
            ("fin_avant", &self.fin_avant),
            ("montant_min", &self.montant_min),
            ("montant_max", &self.montant_max),
            ("tri", &self.tri),
        ]
    }

    pub fn error(&self, errors: &[FieldError], field: &str) -> Option<String> {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// The contracts the user sees: its own; the territory's for the coordinator; a role without
/// a member's data is refused.
pub async fn visible_contracts(
    app: &App,
    user: &Principal,
    filter: &ContractFilter,
) -> Result<ContractPage, AppError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => {
            app.db
                .contracts_territory_wide(wide, filter, nomenclature())
                .await?
        }
        None => {
            app.db
                .contracts_in_scope(scope, filter, nomenclature())
                .await?
        }
    })
}

/// One contract, if the user sees it; any other id is "not found", not "forbidden" (a role
/// without a member's data is refused whatever the id).
pub async fn visible_contract(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<Option<ContractRecord>, AppError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => {
            app.db
                .contract_territory_wide(wide, id, nomenclature())
                .await?
        }
        None => app.db.contract_in_scope(scope, id, nomenclature()).await?,
    })
}

/// What the plausibility checks found on a contract the user was shown
/// (`visible_contract`): its flags and, if it is works under another CPV, why.
pub async fn contract_flags(app: &App, record: &ContractRecord) -> Result<StoredFlags, AppError> {
    Ok(app.db.contract_flags(record.id).await?)
}

/// The flags of a page of contracts the user was shown (`visible_contracts`), by contract id;
/// a contract without any is absent.
pub async fn contracts_flags(
    app: &App,
    records: &[ContractRecord],
) -> Result<std::collections::HashMap<i64, StoredFlags>, AppError> {
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    Ok(app.db.contract_flags_of(&ids).await?)
}
