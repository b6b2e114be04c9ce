//! `serve --demo`: the territory, the real 2019 contracts of the Isère area, one supplier
//! company, one account per role (and a second commune buyer), and one groupement de commandes
//! in progress, written through the same storage calls as a user's actions (the groupement's
//! by the demo users themselves, each through a session as when signing in). Idempotent:
//! what exists is left alone, and a password is printed only when its account is created.

use chrono::{Duration, Months, NaiveDate};
use mutualis_app::{Clock, SystemClock};
use mutualis_domain::groupement::{
    Action, CostSharing, Deliberation, Lot, LotNeed, Mission, NewGroupement, Signature,
    earliest_start,
};
use mutualis_domain::{
    Amount, CpvDepth, Email, Organisation, OrganisationKind, Quantity, Role, Siren, Siret,
    Territory,
};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::accounts::SessionPolicy;
use mutualis_storage::credentials::{hash_secret, new_password, new_secret};
use mutualis_storage::{Database, Principal};

/// The demo accounts: role, e-mail, SIREN of their organisation. Two communes have a buyer,
/// so that a campaign can be answered by two members: Domène and Échirolles, two of the
/// métropole's communes that publish contracts in the shipped 2019 data (9 and 24), and that
/// meet in one of its opportunities (their meals and bakery products, ending in 2019). The
/// city of Grenoble publishes none there.
const ACCOUNTS: [(Role, &str, &str); 7] = [
    (
        Role::Coordinator,
        "coordinateur@demo.mutualis.test",
        "200040715",
    ),
    (
        Role::MemberBuyer,
        "acheteur.domene@demo.mutualis.test",
        DOMENE_SIREN,
    ),
    (
        Role::Approver,
        "valideur.domene@demo.mutualis.test",
        DOMENE_SIREN,
    ),
    (
        Role::Evaluator,
        "evaluateur.echirolles@demo.mutualis.test",
        ECHIROLLES_SIREN,
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
        ECHIROLLES_SIREN,
    ),
];

/// The day the demo's opportunity pages look from: the shipped contracts were notified in
/// 2018 and 2019, so their ends fall in the window that opens on the first day of 2019.
pub const DATA_AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2019, 1, 1) {
    Some(date) => date,
    None => panic!("a valid date"),
};

/// The CPV depth the demo's opportunity list starts from: the group (3 digits), where the
/// territory's communes meet in the shipped 2019 contracts (at the class level, their
/// contracts of that year share no family).
pub const DATA_DEPTH: CpvDepth = CpvDepth::Group;

/// Domène, whose buyer and approver are demo accounts.
const DOMENE_SIREN: &str = "213801509";
/// Échirolles, whose buyer and evaluator are demo accounts.
const ECHIROLLES_SIREN: &str = "213801517";

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
    let report = db.upsert_territory(territory, SystemClock.now()).await?;
    println!(
        "Démonstration : territoire {} ({} organisations) — {} créée(s), {} mise(s) à jour, {} inchangée(s).",
        territory.lead.name,
        territory.members.len() + 1,
        report.created,
        report.updated,
        report.unchanged
    );
    db.upsert_organisation(&demo_company()?, SystemClock.now())
        .await?;
    let contracts = mutualis_import::import_decp(
        db,
        std::io::Cursor::new(ISERE_DECP),
        SystemClock.now(),
        |_| {},
    )
    .await?;
    print!(
        "{}",
        super::import::summary_text("Démonstration : contrats de l'Isère, DECP 2019", &contracts)
    );
    if contracts.created + contracts.updated > 0 {
        let flags = mutualis_app::plausibility::recompute_flags(db).await?;
        println!("{}", flags.sentence());
    }

    let mut created = Vec::new();
    for (role, email, siren) in ACCOUNTS {
        let email = Email::parse(email)?;
        if db.credentials(&email).await?.is_some() {
            continue;
        }
        let password = new_password();
        let app = mutualis_app::App::new(db.clone(), mutualis_reference::territory::GRENOBLE_SLUG);
        mutualis_app::accounts::create_account(
            &app,
            &Siren::parse(siren)?,
            &email,
            role,
            password.clone(),
        )
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
    seed_groupement(db).await
}

/// The demo groupement's title: how a second seeding recognises it.
const GROUPEMENT_TITLE: &str = "Nettoyage des bâtiments communaux";

/// A signed-in demo user: a session opened as signing in opens one, read back as any request
/// reads it. Closed by [`sign_out`].
async fn sign_in(db: &Database, email: &str) -> anyhow::Result<(Principal, String)> {
    let email = Email::parse(email)?;
    let Some(credentials) = db.credentials(&email).await? else {
        anyhow::bail!("compte de démonstration {email} absent");
    };
    let token = hash_secret(&new_secret("demo_"));
    let policy = SessionPolicy {
        absolute: Duration::minutes(10),
        idle: Duration::minutes(10),
    };
    let now = SystemClock.now();
    db.create_session(&credentials, &token, &new_secret("csrf_"), now, policy)
        .await?;
    let Some(session) = db.session(&token, now, policy).await? else {
        anyhow::bail!("session de démonstration de {email} introuvable");
    };
    Ok((session.principal, token))
}

async fn sign_out(db: &Database, token: &str) -> anyhow::Result<()> {
    Ok(db.delete_session(token).await?)
}

/// One groupement in progress, as its users would have made it: the métropole drafts a
/// cleaning-services groupement and invites Domène and Échirolles, which join and enter
/// their needs; the métropole enters its own and signs the convention. The communes' signatures,
/// the consultation and the award are left for a visitor to try. Skipped when the métropole
/// already has it. Both communes' SIRETs come from their 2019 contracts, so that the award
/// can make out each member's contract.
async fn seed_groupement(db: &Database) -> anyhow::Result<()> {
    let (coordinator, coordinator_session) = sign_in(db, ACCOUNTS[0].1).await?;
    let result = seed_groupement_as(db, &coordinator).await;
    sign_out(db, &coordinator_session).await?;
    result
}

async fn seed_groupement_as(db: &Database, coordinator: &Principal) -> anyhow::Result<()> {
    let cpv = nomenclature();
    let scope = coordinator.scope();
    let Some(wide) = scope.territory_wide() else {
        anyhow::bail!("le compte coordonnateur de démonstration n'a pas la vue du territoire");
    };
    if db
        .groupements_for(scope, cpv)
        .await?
        .iter()
        .any(|g| g.groupement.title == GROUPEMENT_TITLE)
    {
        println!("Groupement de démonstration : déjà créé lors d'un lancement précédent.");
        return Ok(());
    }
    let Some(own) = db
        .organisation_in_scope(scope, scope.organisation_id())
        .await?
    else {
        anyhow::bail!("organisation du coordonnateur de démonstration absente");
    };
    let own = own.organisation;
    let today = SystemClock.now().date_naive();
    // Adhesions for two months, then the consultation: about 3.8 M€ over four years is a
    // formal procedure, so the contracts start after its lead time (`data/pooling`), on the
    // first day of a month, whatever the day of the run.
    let adhesion_deadline = today.checked_add_months(Months::new(2)).unwrap_or(today);
    let proposed_start = earliest_start(
        adhesion_deadline,
        mutualis_reference::pooling::pooling().lead_times.formal,
    );
    let cleaning = cpv.parse("90911200-8")?;
    let new = NewGroupement {
        coordinator: own.siren.clone(),
        coordinator_name: own.name.clone(),
        coordinator_population: own.population,
        title: GROUPEMENT_TITLE.into(),
        cpv: cleaning,
        lots: vec![Lot {
            number: 1,
            title: "Nettoyage des locaux administratifs et scolaires".into(),
            cpv: cleaning,
        }],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: 48,
        adhesion_deadline,
        proposed_start: Some(proposed_start),
        created_on: today,
    };
    let actor = coordinator.email.to_string();
    let now = SystemClock.now();
    let id = db
        .create_groupement(wide, scope.organisation_id(), new, None, &actor, now)
        .await?;
    let need = |member: &Siren, euros: i64, m2: i64| {
        Action::SetNeed(LotNeed {
            lot: 1,
            member: member.clone(),
            quantity: Some(Quantity {
                thousandths: m2 * 1000,
                unit: "m²".into(),
            }),
            estimated_amount: Amount::from_euros(euros),
            confirmed: true,
        })
    };
    // (who acts, what): the coordinator's steps, then each commune's.
    let mut steps: Vec<(&str, Action)> = Vec::new();
    let communes = [
        (ACCOUNTS[1].1, DOMENE_SIREN, 240_000, 9_500),
        (ACCOUNTS[6].1, ECHIROLLES_SIREN, 420_000, 17_500),
    ];
    for (_, siren, _, _) in communes {
        let siren = Siren::parse(siren)?;
        let Some(org) = db.organisation_by_siren(&siren).await? else {
            anyhow::bail!("commune de démonstration {siren} absente");
        };
        steps.push((
            ACCOUNTS[0].1,
            Action::Invite {
                member: siren,
                name: org.organisation.name,
                population: org.organisation.population,
            },
        ));
    }
    steps.push((ACCOUNTS[0].1, need(&own.siren, 2_400_000, 95_000)));
    steps.push((ACCOUNTS[0].1, Action::Open));
    for (email, siren, euros, m2) in communes {
        let siren = Siren::parse(siren)?;
        steps.push((
            email,
            Action::Join {
                member: siren.clone(),
                on: today,
            },
        ));
        steps.push((email, need(&siren, euros, m2)));
    }
    steps.push((
        ACCOUNTS[0].1,
        Action::Sign(Signature {
            member: own.siren.clone(),
            signed_on: today,
            signatory: "Le président de Grenoble-Alpes-Métropole".into(),
            deliberation: Deliberation {
                reference: "DEL-DEMO-001".into(),
                adopted_on: today,
            },
        }),
    ));
    let mut version = 1;
    for (email, action) in steps {
        let (principal, session) = sign_in(db, email).await?;
        let applied = db
            .apply_groupement_action(
                principal.scope(),
                id,
                version,
                action,
                &principal.email.to_string(),
                SystemClock.now(),
                cpv,
            )
            .await;
        sign_out(db, &session).await?;
        version = applied?.version;
    }
    println!(
        "Groupement de démonstration : « {GROUPEMENT_TITLE} », Domène et Échirolles ont adhéré et saisi leurs besoins (/groupements/{id})."
    );
    Ok(())
}
