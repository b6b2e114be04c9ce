//! The groupement pages over the real Isère extract, on both backends: a coordinator creates
//! a groupement from the cleaning opportunity, two communes join, declare their needs and
//! sign, the consultation is launched and the lot awarded; each member sees its own contract;
//! the convention downloads; outsiders get 404 and every POST needs its CSRF token.
//!
//! The cleaning opportunity's published buyers of the territory (the métropole alone: ADVIVO,
//! which also publishes cleaning contracts, is outside it) are not the harness's communes:
//! Grenoble, Échirolles and Fontaine become buyers of it by declaring cleaning needs in an
//! inventory campaign, as `tests/opportunities.rs` does; Grenoble and Échirolles get a SIRET
//! (communes come without one) so that the award can make out their contracts. Fontaine,
//! invited too, declines.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use mutualis_app::Clock;
use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::{Local, NaiveDate};
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_APPROVER, GRENOBLE_BUYER, Reply};
use mutualis_domain::{Amount, Need, Role, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::NewCampaign;
use mutualis_test_db::{add_establishment, each_backend};
use tower::ServiceExt;

const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");
const AS_OF: &str = "date=2019-01-01";

const FONTAINE: &str = "213801699";
const FONTAINE_BUYER: &str = "achats@fontaine.test";
const ISERE_DEPARTMENT: &str = "223800012";
const ECHIROLLES: &str = "213801517";
const GRENOBLE: &str = "213801855";

fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn need(buyer: &str, description: &str) -> Need {
    Need {
        buyer: Siren::parse(buyer).unwrap(),
        cpv: nomenclature().parse("90911200-8").unwrap(),
        description: description.into(),
        annual_amount: Amount::from_cents(12_000_000),
        quantity: None,
        desired_start: NaiveDate::parse_from_str("2019-12-01", "%Y-%m-%d").unwrap(),
        current_contract: None,
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    }
}

/// The version a page's forms carry.
fn version(page: &Reply) -> String {
    let marker = "name=\"version\" value=\"";
    let start = page.body.find(marker).expect("a version field") + marker.len();
    page.body[start..].split('"').next().unwrap().to_owned()
}

/// Grenoble, Échirolles and Fontaine declare cleaning needs, so that they are buyers of the
/// cleaning opportunity.
async fn with_cleaning_needs(app: &App, coordinator: &str, grenoble: &str, echirolles: &str) {
    app.add_account(FONTAINE, Role::MemberBuyer, FONTAINE_BUYER)
        .await;
    let fontaine = app.sign_in(FONTAINE_BUYER).await;
    let (c, g, e, f) = (
        app.principal(coordinator).await,
        app.principal(grenoble).await,
        app.principal(echirolles).await,
        app.principal(&fontaine).await,
    );
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let campaign = app
        .db
        .create_campaign(
            c.scope().territory_wide().unwrap(),
            c.organisation_id(),
            &NewCampaign {
                title: "Recensement 2019".into(),
                opens_on: day("2018-12-01"),
                closes_on: day("2019-02-01"),
                cpv_families: vec!["9091".into()],
            },
            &[
                e.organisation_id(),
                g.organisation_id(),
                f.organisation_id(),
            ],
            app.clock.now(),
        )
        .await
        .unwrap();
    for (p, siren, what) in [
        (&e, ECHIROLLES, "Nettoyage des écoles"),
        (&g, GRENOBLE, "Nettoyage des gymnases"),
        (&f, FONTAINE, "Nettoyage des crèches"),
    ] {
        app.db
            .add_need(
                p.scope(),
                campaign,
                &need(siren, what),
                day("2018-12-15"),
                app.clock.now(),
            )
            .await
            .unwrap();
    }
}

struct Session<'a> {
    app: &'a App,
    cookies: String,
    csrf: String,
}

impl Session<'_> {
    async fn page(&self, id: &str) -> Reply {
        self.app
            .get(&format!("/groupements/{id}"), Some(&self.cookies))
            .await
    }

    /// Posts an action from the current version of the page.
    async fn act(&self, id: &str, action: &str, fields: &[(&str, &str)]) -> Reply {
        let v = version(&self.page(id).await);
        self.act_from(id, &v, action, fields).await
    }

    async fn act_from(&self, id: &str, v: &str, action: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![
            ("csrf", self.csrf.as_str()),
            ("version", v),
            ("action", action),
        ];
        all.extend_from_slice(fields);
        self.app
            .post_form(
                &format!("/groupements/{id}/actions"),
                Some(&self.cookies),
                &all,
            )
            .await
    }
}

impl Session<'_> {
    /// The forms the groupement's page shows this user are the actions the domain's policy
    /// gives it: the action of each form, against `available_actions` (a proposal is made
    /// from an opportunity, not from a form; an invitation is withdrawn member by member).
    async fn sees_the_policy(&self, id: &str) {
        use mutualis_domain::groupement::{ActionKind, Actor};
        let page = self.page(id).await;
        let shown: BTreeSet<String> = page
            .body
            .split("name=\"action\" value=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        let principal = self.app.principal(&self.cookies).await;
        let scope = principal.scope();
        let g = self
            .app
            .db
            .groupement(scope, id.parse().unwrap(), nomenclature())
            .await
            .unwrap()
            .unwrap()
            .groupement;
        let own = self
            .app
            .db
            .organisation_in_scope(scope, scope.organisation_id())
            .await
            .unwrap()
            .unwrap()
            .organisation
            .siren;
        let actor = Actor {
            organisation: own,
            role: principal.role(),
        };
        let mut expected: BTreeSet<String> = g
            .available_actions(&actor)
            .into_iter()
            .filter(|k| !matches!(k, ActionKind::ProposeNeed | ActionKind::Uninvite))
            .map(|k| k.code().to_owned())
            .collect();
        if g.members
            .iter()
            .any(|m| g.may(&actor, ActionKind::Uninvite, Some(&m.siren)))
        {
            expected.insert("uninvite".into());
        }
        assert_eq!(shown, expected, "{} at {:?}", principal.email, g.status);
    }
}

/// Every session's page shows the forms the policy gives it.
async fn all_see_the_policy(id: &str, sessions: &[&Session<'_>]) {
    for session in sessions {
        session.sees_the_policy(id).await;
    }
}

async fn session<'a>(app: &'a App, email: &str) -> Session<'a> {
    let cookies = app.sign_in(email).await;
    let csrf = app.session_csrf(&cookies).await;
    Session { app, cookies, csrf }
}

fn done(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply.body));
}

/// The id of the groupement a creation redirected to.
fn created_id(created: &Reply) -> String {
    done(created);
    created
        .header("location")
        .strip_prefix("/groupements/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The Isère contracts imported, and the sessions of the coordinator and of the two communes'
/// buyers, which have declared cleaning needs: the cleaning opportunity's buyers.
async fn cleaning_buyers(app: &App) -> (Session<'_>, Session<'_>, Session<'_>) {
    mutualis_import::import_decp(
        &app.db,
        std::io::Cursor::new(ISERE),
        app.clock.now(),
        |_| {},
    )
    .await
    .unwrap();
    let coordinator = session(app, COORDINATOR).await;
    let grenoble = session(app, GRENOBLE_BUYER).await;
    let echirolles = session(app, ECHIROLLES_BUYER).await;
    with_cleaning_needs(
        app,
        &coordinator.cookies,
        &grenoble.cookies,
        &echirolles.cookies,
    )
    .await;
    (coordinator, grenoble, echirolles)
}

#[tokio::test]
async fn a_groupement_from_an_opportunity_to_its_contracts() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        add_establishment(&app.db, "21380185500007").await;
        add_establishment(&app.db, "21380151700011").await;
        let (coordinator, grenoble, echirolles) = cleaning_buyers(&app).await;

        // The opportunity's page offers the coordinator to create a groupement, not a member.
        let detail = app
            .get(
                &format!("/opportunites/9091?{AS_OF}"),
                Some(&coordinator.cookies),
            )
            .await;
        assert!(text(&detail.body).contains("Créer un groupement de commandes"));
        let member_detail = app
            .get(
                &format!("/opportunites/9091?{AS_OF}"),
                Some(&grenoble.cookies),
            )
            .await;
        assert!(!member_detail.body.contains("Créer un groupement"));

        // Creation: CSRF required, coordinator only.
        let create = format!("/opportunites/9091/groupement?{AS_OF}");
        let forged = app
            .post_form(&create, Some(&coordinator.cookies), &[("csrf", "faux")])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let by_member = app
            .post_form(
                &create,
                Some(&grenoble.cookies),
                &[("csrf", &grenoble.csrf)],
            )
            .await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);
        let created = app
            .post_form(
                &create,
                Some(&coordinator.cookies),
                &[("csrf", &coordinator.csrf)],
            )
            .await;
        let id = created_id(&created);
        let approver = session(&app, GRENOBLE_APPROVER).await;
        let everyone = [&coordinator, &grenoble, &echirolles, &approver];
        all_see_the_policy(&id, &everyone).await;

        let page = coordinator.page(&id).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let body = text(&page.body);
        assert!(
            body.contains("Groupement de commandes — Services de nettoyage"),
            "{body}"
        );
        assert!(body.contains("Brouillon : en cours"), "{body}");
        for siren in [GRENOBLE, ECHIROLLES] {
            assert!(body.contains(siren), "{siren} invited");
        }
        assert!(body.contains("invitation sans réponse"));
        // Each action form carries the session's token and the version (the header's
        // sign-out form carries the token too).
        let token = format!("name=\"csrf\" value=\"{}\"", coordinator.csrf);
        assert!(
            page.body.matches(&token).count() >= 3,
            "open, invite, cancel forms"
        );
        // Created, then three invitations (Grenoble, Échirolles, Fontaine: the territory's
        // buyers, not ADVIVO, outside it), the coordinator's own need and the three others'
        // proposed needs, from the opportunity.
        assert_eq!(version(&page), "8");
        assert!(
            !body.contains("Aucun besoin déclaré"),
            "the coordinator's need"
        );
        assert_eq!(
            body.matches("proposé par le coordonnateur, à confirmer")
                .count(),
            3,
            "{body}"
        );
        // The opportunity, computed as of 2019, proposes a common start long past: the
        // groupement plans the first day of a month after its adhesion deadline and the
        // consultation's lead time instead, and says why.
        assert!(body.contains("Début envisagé des contrats"), "{body}");
        let deadline = Local::now()
            .date_naive()
            .checked_add_months(chrono::Months::new(1))
            .unwrap();
        let landing = text(
            &app.get(&created.header("location"), Some(&coordinator.cookies))
                .await
                .body,
        );
        let moved = landing
            .split("Le début commun de l'opportunité, le ")
            .nth(1)
            .unwrap_or_else(|| panic!("the start moved, and why: {landing}"));
        assert!(
            moved.contains(&format!(
                "précédait la date limite d'adhésion du {}",
                deadline.format("%d/%m/%Y")
            )),
            "{moved}"
        );
        let planned = moved
            .split("le début envisagé des contrats est reporté au ")
            .nth(1)
            .and_then(|rest| rest.get(..10))
            .map(|day| NaiveDate::parse_from_str(day, "%d/%m/%Y").unwrap())
            .unwrap();
        assert!(planned > deadline, "{planned} after {deadline}");
        assert_eq!(chrono::Datelike::day(&planned), 1);
        assert!(body.contains(&format!(
            "Début envisagé des contrats</dt><dd>{}",
            planned.format("%d/%m/%Y")
        )));

        // A planned start on or before the adhesion deadline is refused, with both dates.
        let contradicting = coordinator
            .act(
                &id,
                "amend",
                &[
                    ("titre", "Nettoyage"),
                    ("cpv", "90911200-8"),
                    ("mission", "award_only"),
                    ("cle", "by_volume"),
                    ("duree", "36"),
                    ("date_limite", "31/12/2099"),
                    ("debut", "01/01/2020"),
                    ("lot_1_titre", "Nettoyage des locaux"),
                    ("lot_1_cpv", "90911200-8"),
                ],
            )
            .await;
        assert_eq!(contradicting.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            text(&contradicting.body).contains(
                "le début envisagé des contrats, le 01/01/2020, doit suivre la date limite \
                 d'adhésion du 31/12/2099"
            ),
            "{}",
            contradicting.body
        );

        // The coordinator adjusts the terms while drafting: a bad duration is shown next to
        // its field, then the new title, mission and duration are kept.
        let terms = |duration: &'static str| {
            vec![
                ("titre", "Nettoyage des bâtiments 2020-2023"),
                ("cpv", "90911200-8"),
                ("mission", "award_only"),
                ("cle", "by_volume"),
                ("duree", duration),
                ("date_limite", "31/12/2099"),
                ("debut", "01/01/2100"),
                ("lot_1_titre", "Nettoyage des locaux"),
                ("lot_1_cpv", "90911200-8"),
            ]
        };
        let bad = coordinator.act(&id, "amend", &terms("zéro")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"termes-duree-erreur\""),
            "{}",
            bad.body
        );
        done(&coordinator.act(&id, "amend", &terms("36")).await);
        let body = text(&coordinator.page(&id).await.body);
        assert!(body.contains("Nettoyage des bâtiments 2020-2023"), "{body}");
        assert!(
            body.contains("36 mois") && body.contains("01/01/2100"),
            "{body}"
        );

        // In the list, for the coordinator and for an invited member.
        let list = text(
            &app.get("/groupements", Some(&coordinator.cookies))
                .await
                .body,
        );
        assert!(list.contains("Nettoyage des bâtiments") && list.contains("Brouillon"));
        assert!(list.contains("<a href=\"/groupements\">Groupements</a>"));

        // Fontaine, invited too, declines, so that the adhesions are settled before the
        // signatures.
        assert!(body.contains(FONTAINE));

        done(&coordinator.act(&id, "open", &[]).await);
        all_see_the_policy(&id, &everyone).await;
        let list = text(&app.get("/groupements", Some(&grenoble.cookies)).await.body);
        assert!(list.contains("Ouvert aux adhésions") && list.contains("invitation sans réponse"));
        let fontaine = session(&app, FONTAINE_BUYER).await;
        done(&fontaine.act(&id, "decline", &[]).await);
        assert!(text(&coordinator.page(&id).await.body).contains("refus le"));

        // A member may not take the coordinator's actions; an approver, who has no pages of a
        // member yet, does not see the groupement.
        let forbidden = grenoble.act(&id, "start_consultation", &[]).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        assert!(text(&forbidden.body).contains("seul le coordonnateur"));
        let approver = session(&app, GRENOBLE_APPROVER).await;
        let read = approver.page(&id).await;
        assert_eq!(read.status, StatusCode::FORBIDDEN);
        assert!(!read.body.contains("name=\"action\""));
        // A bad SIREN is shown next to its field.
        let bad = coordinator
            .act(&id, "invite", &[("siren", "12"), ("nom", "Commune")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"invitation-siren-erreur\""));
        // Nine digits with a wrong key: said as the importer says it, not as a length.
        let bad = coordinator
            .act(&id, "invite", &[("siren", "213801856"), ("nom", "Commune")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            text(&bad.body)
                .contains("SIREN « 213801856 » invalide : la clé de contrôle (Luhn) est fausse"),
            "{}",
            bad.body
        );

        // Two members join and confirm or correct their proposed needs (French formats), with
        // a quantity.
        done(&grenoble.act(&id, "join", &[]).await);
        done(&echirolles.act(&id, "join", &[]).await);
        all_see_the_policy(&id, &everyone).await;
        let proposed = text(&grenoble.page(&id).await.body);
        assert!(proposed.contains("Confirmer le besoin"), "{proposed}");
        let no_unit = grenoble
            .act(
                &id,
                "set_need",
                &[
                    ("lot", "1"),
                    ("montant", "240 000,00 €"),
                    ("quantite", "12 500"),
                ],
            )
            .await;
        assert_eq!(no_unit.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            no_unit.body.contains("besoin-1-unite-erreur"),
            "{}",
            no_unit.body
        );
        done(
            &grenoble
                .act(
                    &id,
                    "set_need",
                    &[
                        ("lot", "1"),
                        ("montant", "240 000,00 €"),
                        ("quantite", "12 500,5"),
                        ("unite", "m²"),
                    ],
                )
                .await,
        );
        let confirmed = text(&coordinator.page(&id).await.body);
        assert!(confirmed.contains("12\u{202f}500,5 m²"), "{confirmed}");
        let bad = echirolles
            .act(&id, "set_need", &[("lot", "1"), ("montant", "beaucoup")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("besoin-1-montant-erreur"),
            "error next to the field"
        );
        done(
            &echirolles
                .act(&id, "set_need", &[("lot", "1"), ("montant", "120 000 €")])
                .await,
        );

        // A stale version: the conflict message, nothing written.
        let stale = grenoble
            .act_from(&id, "1", "set_need", &[("lot", "1"), ("montant", "1 €")])
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(
            text(&stale.body)
                .contains("Ce groupement a été modifié entre-temps : rechargez la page")
        );

        let yesterday = (Local::now().date_naive() - chrono::Days::new(1))
            .format("%d/%m/%Y")
            .to_string();
        let sign = |who: &'static str| {
            [
                ("signataire", who),
                ("deliberation", "DEL-2026-001"),
                ("date_deliberation", "placeholder"),
            ]
        };
        let signed = |who: &'static str| {
            let mut fields = sign(who);
            fields[2].1 = yesterday.as_str();
            fields
        };
        done(&coordinator.act(&id, "sign", &signed("Le président")).await);
        all_see_the_policy(&id, &everyone).await;
        done(
            &grenoble
                .act(&id, "sign", &signed("Le maire de Grenoble"))
                .await,
        );

        // Consultation refused while Échirolles has not signed: the reason listed.
        let refused = coordinator.act(&id, "start_consultation", &[]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let refused = text(&refused.body);
        let reasons = refused
            .split("Rien n'a été enregistré")
            .nth(1)
            .unwrap()
            .split("</div>")
            .next()
            .unwrap();
        assert!(
            reasons.contains("chirolles"),
            "the unsigned member named: {reasons}"
        );
        assert!(!reasons.contains("Grenoble"), "{reasons}");

        done(
            &echirolles
                .act(&id, "sign", &signed("Le maire d'Échirolles"))
                .await,
        );
        all_see_the_policy(&id, &everyone).await;
        done(&coordinator.act(&id, "start_consultation", &[]).await);
        all_see_the_policy(&id, &everyone).await;
        // The award takes what DECP publishes: nothing is chosen for the coordinator, and a
        // missing choice is shown next to its field.
        let bad = coordinator
            .act(&id, "award", &[("siret", "123"), ("total_1", "300 000 €")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("attribution-siret-erreur"));
        assert!(bad.body.contains("attribution-procedure-erreur"));
        assert!(bad.body.contains("attribution-offres-erreur"));
        // Fourteen digits with a wrong key: the importer's message, next to the field.
        let bad = coordinator
            .act(&id, "award", &[("siret", "44306184100006")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let error = text(&bad.body)
            .split("id=\"attribution-siret-erreur\">")
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            error,
            "SIRET « 44306184100006 » invalide : la clé de contrôle (Luhn) est fausse. Par \
             exemple 44306184100005."
        );
        let today = Local::now().date_naive().format("%d/%m/%Y").to_string();
        let mut award = vec![
            ("siret", "44306184100005"),
            ("total_1", "600 000,00 €"),
            ("notification", today.as_str()),
            ("publication", today.as_str()),
            ("procedure", "Appel d'offres ouvert"),
            ("technique", "Accord-cadre"),
            ("modalite", "Bons de commande"),
            ("ccag", "Fournitures courantes et services"),
            ("offres", "4"),
            ("forme_prix", "Unitaire"),
            ("type_prix", "Définitif révisable"),
            ("avance", "oui"),
            ("taux_avance", "5"),
            ("groupement_operateurs", "Pas de groupement"),
            ("sous_traitance", "non"),
            ("innovant", "non"),
            ("social", "Clause sociale"),
            ("environnement", "Critère environnemental"),
            ("lieu_code", "38"),
            ("lieu_type", "Code département"),
        ];
        award[12].1 = "150";
        let bad_rate = coordinator.act(&id, "award", &award).await;
        assert_eq!(bad_rate.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_rate.body.contains("attribution-taux_avance-erreur"));
        award[12].1 = "5";
        // Notified after the planned start (1 January 2100): the reason next to the date, and
        // a box to confirm that the contracts start on the notification.
        award[2].1 = "01/02/2100";
        award[3].1 = "01/02/2100";
        let late = coordinator.act(&id, "award", &award).await;
        assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
        let late = text(&late.body);
        let error = late
            .split("id=\"attribution-notification-erreur\">")
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap();
        assert!(
            error.starts_with(
                "Notification le 01/02/2100, après le début envisagé des contrats le 01/01/2100"
            ),
            "{error}"
        );
        assert!(
            late.contains("name=\"debut_a_la_notification\" value=\"oui\""),
            "{late}"
        );
        award.push(("debut_a_la_notification", "oui"));
        done(&coordinator.act(&id, "award", &award).await);
        // Each member's contract starts on that notification and runs the 36 months.
        let rows = text(&coordinator.page(&id).await.body);
        assert!(
            rows.contains("<td>01/02/2100</td><td>01/02/2103</td>"),
            "{rows}"
        );
        // The contract's page gives the same start and end next to the notification.
        let href = rows
            .split("Contrats créés à l'attribution")
            .nth(1)
            .unwrap()
            .split("<a href=\"/contrats/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let contract = text(
            &app.get(&format!("/contrats/{href}"), Some(&coordinator.cookies))
                .await
                .body,
        );
        assert!(
            contract.contains("<dt>Notification</dt><dd>01/02/2100</dd>")
                && contract.contains("<dt>Début d'exécution</dt><dd>01/02/2100</dd>")
                && contract.contains("<dt>Fin</dt><dd>01/02/2103</dd>"),
            "{contract}"
        );
        // The winner is named next to its SIRET, or said unknown.
        assert!(
            rows.contains("attribué à un titulaire au nom inconnu, SIRET 44306184100005, pour"),
            "{rows}"
        );

        // Each member sees its own contract and share, not the other's; the coordinator all.
        let g = text(&grenoble.page(&id).await.body);
        assert!(g.contains("Votre contrat"), "{g}");
        assert!(g.contains(&format!("GRP{id}-L1-{GRENOBLE}")));
        let e = text(&echirolles.page(&id).await.body);
        let contracts = |page: &str| {
            page.split("Contrats créés à l'attribution")
                .nth(1)
                .unwrap_or_default()
                .split("</table>")
                .next()
                .unwrap()
                .to_owned()
        };
        let (gc, ec) = (contracts(&g), contracts(&e));
        assert!(gc.contains("Grenoble") && !gc.contains("chirolles"), "{gc}");
        assert!(ec.contains("chirolles") && !ec.contains("Grenoble"), "{ec}");
        let all = contracts(&text(&coordinator.page(&id).await.body));
        assert!(
            all.contains("Grenoble") && all.contains("chirolles"),
            "{all}"
        );

        // The convention, printable and in PDF.
        let html = app
            .get(
                &format!("/groupements/{id}/convention"),
                Some(&grenoble.cookies),
            )
            .await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(text(&html.body).contains("Services de nettoyage"));
        // The PDF is binary: read it through the router itself, not the harness's text reply.
        let request = axum::http::Request::get(format!("/groupements/{id}/convention.pdf"))
            .header(axum::http::header::COOKIE, &echirolles.cookies)
            .body(axum::body::Body::empty())
            .unwrap();
        let pdf = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(pdf.status(), StatusCode::OK);
        let header = |name: &str| pdf.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "application/pdf");
        assert!(header("content-disposition").starts_with("attachment; filename="));
        let bytes = axum::body::to_bytes(pdf.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(bytes.starts_with(b"%PDF-"));

        // A member not in the groupement: 404 everywhere.
        app.add_account(ISERE_DEPARTMENT, Role::MemberBuyer, "achats@isere.test")
            .await;
        let outsider = session(&app, "achats@isere.test").await;
        for path in ["", "/convention", "/convention.pdf"] {
            let r = app
                .get(&format!("/groupements/{id}{path}"), Some(&outsider.cookies))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        }
        let r = outsider.act_from(&id, "7", "join", &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(
            !text(&app.get("/groupements", Some(&outsider.cookies)).await.body)
                .contains("Services de nettoyage")
        );

        // Every POST needs the session's CSRF token.
        let v = version(&coordinator.page(&id).await);
        for action in ["close", "cancel"] {
            let r = app
                .post_form(
                    &format!("/groupements/{id}/actions"),
                    Some(&coordinator.cookies),
                    &[("version", &v), ("action", action), ("motif", "x")],
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
        }
        all_see_the_policy(&id, &everyone).await;
        done(&coordinator.act(&id, "start_execution", &[]).await);
        all_see_the_policy(&id, &everyone).await;
        assert!(text(&coordinator.page(&id).await.body).contains("En exécution : en cours"));
        done(&coordinator.act(&id, "close", &[]).await);
        all_see_the_policy(&id, &everyone).await;
        assert!(text(&coordinator.page(&id).await.body).contains("Clos : fait"));
    })
    .await;
}

/// The "Besoins par lot" section of a groupement's page.
fn needs_section(page: &str) -> String {
    page.split("id=\"besoins\"")
        .nth(1)
        .unwrap()
        .split("<h2")
        .next()
        .unwrap()
        .to_owned()
}

/// The cells of the row headed `head` in `html`.
fn row_cells(html: &str, head: &str) -> Vec<String> {
    let row = html
        .split("<tr>")
        .find(|r| r.contains(&format!(">{head}</th>")))
        .unwrap_or_else(|| panic!("no row {head}: {html}"));
    row.split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap().to_owned())
        .collect()
}

/// A member withdraws, once it has confirmed what that changes, and still reads the groupement
/// it left: its need leaves the lot's total and it is told its share of the costs under the
/// key. The coordinator cancels, once it has confirmed, with a reason, after which no action is
/// offered.
#[tokio::test]
async fn a_member_withdraws_and_the_coordinator_cancels() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let (coordinator, grenoble, echirolles) = cleaning_buyers(&app).await;
        let created = app
            .post_form(
                &format!("/opportunites/9091/groupement?{AS_OF}"),
                Some(&coordinator.cookies),
                &[("csrf", &coordinator.csrf)],
            )
            .await;
        let id = created_id(&created);

        // The coordinator leaves out a buyer the opportunity brought in, with its proposed need.
        let draft = text(&coordinator.page(&id).await.body);
        assert!(draft.contains(FONTAINE) && draft.contains("Retirer l'invitation"));
        done(
            &coordinator
                .act(&id, "uninvite", &[("siren", FONTAINE)])
                .await,
        );
        let draft = text(&coordinator.page(&id).await.body);
        assert!(!draft.contains(FONTAINE), "{draft}");
        assert_eq!(
            draft
                .matches("proposé par le coordonnateur, à confirmer")
                .count(),
            2
        );

        // Nobody withdraws from a draft; once open, a joined member may.
        let v = version(&coordinator.page(&id).await);
        let early = grenoble.act_from(&id, &v, "withdraw", &[]).await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        done(&coordinator.act(&id, "open", &[]).await);
        done(&grenoble.act(&id, "join", &[]).await);
        let page = text(&grenoble.page(&id).await.body);
        assert!(page.contains("Se retirer du groupement"), "{page}");
        let before = text(&coordinator.page(&id).await.body);
        assert!(
            needs_section(&before).contains(">Grenoble</th>"),
            "{before}"
        );
        let v = version(&grenoble.page(&id).await);

        // The first post asks for a confirmation that says what will happen; nothing is
        // written.
        let asked = grenoble.act(&id, "withdraw", &[]).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let confirm = text(&asked.body);
        assert!(
            confirm.contains("<h1>Vous retirer du groupement « "),
            "{confirm}"
        );
        assert!(confirm.contains("Rien n'est encore enregistré"));
        assert!(
            confirm.contains("sortiront des totaux des lots"),
            "{confirm}"
        );
        assert!(
            confirm.contains("selon la clé « Au prorata des volumes estimés »")
                && confirm.contains("la part de votre organisme est de ")
                && confirm.contains("Mutualis n'enregistre pas ces frais"),
            "{confirm}"
        );
        assert!(confirm.contains("Totaux des lots, avant et après le retrait"));
        assert!(confirm.contains("name=\"confirmation\" value=\"oui\""));
        assert!(confirm.contains(&format!("name=\"csrf\" value=\"{}\"", grenoble.csrf)));
        assert!(confirm.contains(&format!("name=\"version\" value=\"{v}\"")));
        assert!(confirm.contains("Ne pas me retirer : revenir au groupement"));
        assert_eq!(version(&coordinator.page(&id).await), v, "nothing written");
        let totals = confirm.split("Totaux des lots").nth(1).unwrap().to_owned();
        let lot = row_cells(&totals, "Lot 1 — Services de nettoyage");
        let [_need, _total_before, total_after] = <[String; 3]>::try_from(lot).unwrap();

        // Confirmed: it lands on the groupement's page, which says what happened.
        let withdrawn = grenoble
            .act(&id, "withdraw", &[("confirmation", "oui")])
            .await;
        done(&withdrawn);
        let location = withdrawn.header("location");
        assert_eq!(location, format!("/groupements/{id}?fait=withdraw"));
        let landed = app.get(&location, Some(&grenoble.cookies)).await;
        assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
        let landed = text(&landed.body);
        let today = Local::now().date_naive().format("%d/%m/%Y").to_string();
        assert!(
            landed.contains("Vous vous êtes retiré du groupement « "),
            "{landed}"
        );
        assert!(landed.contains(&format!("» le {today}.")), "{landed}");
        assert!(landed.contains("Votre retrait"), "{landed}");
        assert!(landed.contains("ne comptent plus dans les totaux des lots"));
        assert!(landed.contains("la part de votre organisme est de "));
        // Read-only: no form for it any more.
        assert!(!landed.contains("name=\"action\""), "{landed}");
        let list = text(&app.get("/groupements", Some(&grenoble.cookies)).await.body);
        assert!(list.contains(&format!("retrait le {today}")), "{list}");

        // Its need has left the lot's total, which is what the confirmation said.
        let after = text(&coordinator.page(&id).await.body);
        assert!(after.contains("retrait le"), "{after}");
        let needs = needs_section(&after);
        assert!(!needs.contains(">Grenoble</th>"), "{needs}");
        assert_eq!(row_cells(&needs, "Total du lot"), [total_after]);
        // It cannot join again.
        let v = version(&coordinator.page(&id).await);
        let again = grenoble.act_from(&id, &v, "join", &[]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A cancellation needs a reason, shown next to its field, before any confirmation.
        let before_cancel: i64 = version(&coordinator.page(&id).await).parse().unwrap();
        let bad = coordinator.act(&id, "cancel", &[("motif", " ")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("annulation-motif-erreur"));
        // A member may not cancel: refused at once, no confirmation.
        let by_member = echirolles
            .act(&id, "cancel", &[("motif", "Plus besoin")])
            .await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);
        let asked = coordinator
            .act(&id, "cancel", &[("motif", "Besoins trop différents")])
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let confirm = text(&asked.body);
        assert!(
            confirm.contains("<h1>Annuler le groupement « "),
            "{confirm}"
        );
        assert!(confirm.contains("pour le motif : « Besoins trop différents »"));
        assert!(confirm.contains("un groupement annulé ne peut pas être rouvert"));
        assert!(confirm.contains("name=\"motif\" value=\"Besoins trop différents\""));
        assert_eq!(
            version(&coordinator.page(&id).await),
            before_cancel.to_string(),
            "nothing written"
        );
        let cancelled = coordinator
            .act(
                &id,
                "cancel",
                &[
                    ("motif", "Besoins trop différents"),
                    ("confirmation", "oui"),
                ],
            )
            .await;
        done(&cancelled);
        let page = app
            .get(&cancelled.header("location"), Some(&coordinator.cookies))
            .await;
        let body = text(&page.body);
        assert!(
            body.contains(&format!(
                "Groupement annulé le {today} : il ne peut plus être rouvert"
            )),
            "{body}"
        );
        assert!(body.contains("Annulé le") && body.contains("Besoins trop différents"));
        assert!(!page.body.contains("name=\"action\""), "no action offered");
        let after = echirolles
            .act_from(&id, &(before_cancel + 1).to_string(), "join", &[])
            .await;
        assert_eq!(after.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&after.body).contains("plus aucune action n'est possible"));
    })
    .await;
}
