//! `serve --demo`: the territory, the real 2019 contracts of the Isère area, one supplier
//! company, one account per role (and a second commune buyer), written
//! through the same storage calls as a user's actions. Idempotent: what exists is left alone,
//! and a password is printed only when its account is created.

use chrono::{NaiveDate, Utc};
use mutualis_domain::{Email, Organisation, OrganisationKind, Role, Siren, Siret, Territory};
use mutualis_storage::Database;
use mutualis_storage::credentials::{hash_password, new_password};

/// The demo accounts: role, e-mail, SIREN of their organisation. Two communes have a buyer,
/// so that a campaign can be answered by two members.
const ACCOUNTS: [(Role, &str, &str); 7] = [
    (
        Role::Coordinator,
        "coordinateur@demo.mutualis.test",
        "200040715",
    ),
    (
        Role::MemberBuyer,
        "acheteur.grenoble@demo.mutualis.test",
        "213801855",
    ),
    (
        Role::Approver,
        "valideur.grenoble@demo.mutualis.test",
        "213801855",
    ),
    (
        Role::Evaluator,
        "evaluateur.echirolles@demo.mutualis.test",
        "213801517",
    ),
    (
        Role::Supplier,
        "fournisseur@demo.mutualis.test",
        DEMO_COMPANY_SIREN,
    ),
    // The mediator is named by the platform, which the métropole runs.
    (Role::Mediator, "mediateur@demo.mutualis.test", "200040715"),
    (
        Role::MemberBuyer,
        "acheteur.echirolles@demo.mutualis.test",
        "213801517",
    ),
];

/// The day the demo's opportunity pages look from: the shipped contracts were notified in
/// 2018 and 2019, so their ends fall in the window that opens on the first day of 2019.
pub const DATA_AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2019, 1, 1) {
    Some(date) => date,
    None => panic!("a valid date"),
};

const DEMO_COMPANY_SIREN: &str = "912345675";
const DEMO_COMPANY_SIRET: &str = "91234567500017";

fn demo_company() -> anyhow::Result<Organisation> {
    Ok(Organisation {
        siren: Siren::parse(DEMO_COMPANY_SIREN)?,
        name: "Nettoyage des Alpes (entreprise de démonstration)".into(),
        kind: OrganisationKind::Company,
        insee_code: None,
        population: None,
        establishments: vec![Siret::parse(DEMO_COMPANY_SIRET)?],
    })
}

/// The real DECP 2019 records of the Isère area shipped in `data/decp/`.
const ISERE_DECP: &[u8] = include_bytes!("../../../../data/decp/isere_extract_2019.json");

/// Seeds the demo and prints what it did.
pub async fn seed(db: &Database, territory: &Territory) -> anyhow::Result<()> {
    let report = db.upsert_territory(territory).await?;
    println!(
        "Démonstration : territoire {} ({} organisations) — {} créée(s), {} mise(s) à jour, {} inchangée(s).",
        territory.lead.name,
        territory.members.len() + 1,
        report.created,
        report.updated,
        report.unchanged
    );
    db.upsert_organisation(&demo_company()?).await?;
    let contracts =
        mutualis_import::import_decp(db, std::io::Cursor::new(ISERE_DECP), |_| {}).await?;
    print!(
        "{}",
        super::import::summary_text("Démonstration : contrats de l'Isère, DECP 2019", &contracts)
    );

    let mut created = Vec::new();
    for (role, email, siren) in ACCOUNTS {
        let email = Email::parse(email)?;
        if db.credentials(&email).await?.is_some() {
            continue;
        }
        let Some(org) = db.organisation_by_siren(&Siren::parse(siren)?).await? else {
            anyhow::bail!("organisation de démonstration {siren} absente");
        };
        let password = new_password();
        db.create_user(org.id, &email, role, &hash_password(&password)?, Utc::now())
            .await?;
        created.push((role, email, password));
    }
    if created.is_empty() {
        println!(
            "Comptes de démonstration : déjà créés lors d'un lancement précédent (mots de passe affichés alors)."
        );
    } else {
        println!(
            "Comptes de démonstration — notez les mots de passe, ils ne seront plus affichés :"
        );
        println!("  {:<14} {:<42} mot de passe", "rôle", "adresse");
        for (role, email, password) in &created {
            println!("  {:<14} {:<42} {password}", role.code(), email.as_str());
        }
    }
    Ok(())
}
