//! The convention of a groupement built through the domain API (two members, two lots, their
//! needs, one signature), as HTML and as PDF, read back as text.

use chrono::NaiveDate;
use mutualis_domain::groupement::{
    Action, CostSharing, Deliberation, Groupement, Lot, LotNeed, Member, MemberStatus, Mission,
    NewGroupement, Signature,
};
use mutualis_domain::rules::RuleKind;
use mutualis_domain::{Amount, CpvCode, Quantity, Siren};
use mutualis_formats::convention::{self, ConventionInput, LegalReference};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn siren(s: &str) -> Siren {
    Siren::parse(s).expect("siren")
}

fn metro() -> Siren {
    siren("200040715")
}

fn echirolles() -> Siren {
    siren("213801517")
}

fn cpv(code: &str) -> CpvCode {
    nomenclature().parse(code).expect("cpv")
}

fn apply(g: Groupement, action: Action) -> Groupement {
    match g.apply(&action) {
        Ok(next) => next,
        Err(refusal) => panic!("{} refused: {refusal}", action.code()),
    }
}

fn need(lot: u32, member: Siren, thousandths: i64, euros: i64) -> Action {
    Action::SetNeed(LotNeed {
        lot,
        member,
        quantity: Some(Quantity {
            thousandths,
            unit: "MWh".into(),
        }),
        estimated_amount: Amount::from_euros(euros),
        confirmed: true,
    })
}

/// Grenoble-Alpes-Métropole coordinates, Échirolles has joined; needs in both lots; only the
/// coordinator has signed.
fn groupement() -> Groupement {
    let g = Groupement::draft(NewGroupement {
        coordinator: metro(),
        coordinator_name: "Grenoble-Alpes-Métropole".into(),
        coordinator_population: Some(449_509),
        title: "Fourniture d'énergie 2028-2031".into(),
        cpv: cpv("09000000"),
        lots: vec![
            Lot {
                number: 1,
                title: "Gaz naturel".into(),
                cpv: cpv("09123000"),
            },
            Lot {
                number: 2,
                title: "Électricité".into(),
                cpv: cpv("09310000"),
            },
        ],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: 48,
        adhesion_deadline: d("2027-03-01"),
        proposed_start: None,
        created_on: d("2027-01-10"),
    })
    .expect("draft");
    let g = apply(
        g,
        Action::Invite {
            member: echirolles(),
            name: "Ville d'Échirolles".into(),
            population: Some(36_926),
        },
    );
    let g = apply(g, Action::Open);
    let g = apply(
        g,
        Action::Join {
            member: echirolles(),
            on: d("2027-02-01"),
        },
    );
    let g = apply(g, need(1, metro(), 1_000_000, 300_000));
    let g = apply(g, need(1, echirolles(), 350_000, 100_000));
    let g = apply(g, need(2, echirolles(), 45_500, 12_500));
    apply(
        g,
        Action::Sign(Signature {
            member: metro(),
            signed_on: d("2027-03-02"),
            signatory: "Le président de la Métropole".into(),
            deliberation: Deliberation {
                reference: "DEL-2027-014".into(),
                adopted_on: d("2027-02-15"),
            },
        }),
    )
}

fn input(g: &Groupement) -> ConventionInput<'_> {
    let generated_on = d("2027-03-05");
    let mut input = ConventionInput::new(g, generated_on);
    input.parties[0].address = Some("3 rue Malakoff, 38000 Grenoble".into());
    for code in [g.cpv].into_iter().chain(g.lots.iter().map(|l| l.cpv)) {
        let entry = nomenclature().entry(code).expect("in the nomenclature");
        input.cpv_labels.insert(code, entry.label_fr.clone());
    }
    input.legal_references = [RuleKind::Groupement, RuleKind::Allotissement]
        .into_iter()
        .map(|kind| {
            let rule = rule_book()
                .in_force(kind, None, None, generated_on)
                .expect("rule in force");
            LegalReference::from(rule)
        })
        .collect();
    input
}

/// The text a reader sees: tags removed, entities decoded, spaces (no-break ones included)
/// collapsed. Every `<` of a value is escaped, so a naive tag stripper is exact here.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    // askama writes these five as numeric references.
    let text = text
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&");
    normalize(&text)
}

/// Every run of whitespace (no-break and narrow no-break spaces included) as one space.
fn normalize(text: &str) -> String {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !haystack.contains(**n)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{haystack}");
}

/// What both documents must say about this groupement.
const CONTENT: &[&str] = &[
    // Parties, with SIREN and the address known for the coordinator.
    "Grenoble-Alpes-Métropole, SIREN 200040715, 3 rue Malakoff, 38000 Grenoble, en qualité de coordonnateur du groupement",
    "Ville d'Échirolles, SIREN 213801517, en qualité de membre du groupement",
    // Object and scope.
    "Fourniture d'énergie 2028-2031",
    "09000000-3",
    "Lot 1 — Gaz naturel",
    "Lot 2 — Électricité",
    "09123000-7",
    "09310000-5",
    // Needs, per lot and in total, French style.
    "1 000 MWh",
    "350 MWh",
    "1 350 MWh",
    "45,5 MWh",
    "300 000,00 € HT",
    "100 000,00 € HT",
    "400 000,00 € HT",
    "12 500,00 € HT",
    "112 500,00 € HT",
    "412 500,00 € HT",
    // Mission.
    "Article 4 — Mission du coordonnateur",
    "la mission « passation seule »",
    "La mission du coordonnateur prend fin à l'attribution des marchés.",
    // Cost sharing: Métropole 300 000 of 400 000 in lot 1, 300 000 of 412 500 overall.
    "Clé de répartition : au prorata des volumes estimés",
    "75,00 %",
    "72,73 %",
    "Frais de procédure",
    // Duration.
    "48 mois (4 ans)",
    // Liability.
    "Article 7 — Responsabilité des membres",
    "Conformément à l'article L2113-7 du code de la commande publique, les membres du groupement sont solidairement responsables des seules opérations de passation menées conjointement en leur nom et pour leur compte",
    // Adhesion and withdrawal.
    "au plus tard le 1er mars 2027",
    "Une fois la consultation lancée, aucun retrait n'est possible",
    // Disputes, entry into force.
    "Article 9 — Litiges",
    "tribunal administratif compétent",
    "Article 10 — Entrée en vigueur",
    "Signatures recueillies à la date du présent document : 1 sur 2.",
    // Signatures.
    "Signatures des membres",
    "Pour Grenoble-Alpes-Métropole (coordonnateur)",
    "Le président de la Métropole",
    "2 mars 2027",
    "n° DEL-2027-014 du 15 février 2027",
    "Pour Ville d'Échirolles (membre)",
    // Legal references, from the rule book.
    "L2113-6 à L2113-8 CCP",
    "L2113-10 et L2113-11 CCP",
];

#[test]
fn the_html_convention_says_everything_in_french() {
    let g = groupement();
    let html = convention::html(&input(&g));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_contains(&visible_text(&html), CONTENT);
    // Headings: one title, an h2 per section, h3 below.
    assert_eq!(html.matches("<h1>").count(), 1);
    assert_eq!(html.matches("<h2 ").count(), 13);
    assert!(html.contains("<h3>Lot 1 — Gaz naturel</h3>"));
    // Tables with captions and header scopes.
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("<caption>").count()
    );
    assert!(html.contains("<th scope=\"col\">Membre</th>"));
    assert!(html.contains("<th scope=\"row\">Total du lot 1</th>"));
    // Print: A4, the signatures on a new page.
    assert!(html.contains("size: A4"));
    assert!(html.contains("<section aria-labelledby=\"signatures\" class=\"page-break\">"));
    // Échirolles has not signed: four lines to fill in, plus a signature line for each.
    assert_eq!(html.matches("class=\"blank\"").count(), 3 + 2);
}

#[test]
fn the_html_escapes_every_value() {
    let mut g = groupement();
    g.lots[1].title = "Électricité <verte> & \"locale\"".into();
    let mut input = input(&g);
    input.parties[1].name = "Ville d'Échirolles <script>alert('x')</script> & Cie".into();
    input.parties[1].address = Some("1 place des \"Écrivains\"\n38130 Échirolles".into());
    let html = convention::html(&input);
    assert!(!html.contains("<script>"));
    assert!(!html.contains("<verte>"));
    assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; Cie"));
    assert!(html.contains("Électricité &#60;verte&#62; &#38; &#34;locale&#34;"));
    assert_contains(
        &visible_text(&html),
        &[
            "Ville d'Échirolles <script>alert('x')</script> & Cie, SIREN 213801517, 1 place des \"Écrivains\" 38130 Échirolles",
            "Lot 2 — Électricité <verte> & \"locale\"",
        ],
    );
}

#[test]
fn the_mission_award_and_execution_changes_the_articles() {
    let mut g = groupement();
    g.mission = Mission::AwardAndExecution;
    let text = visible_text(&convention::html(&input(&g)));
    assert_contains(
        &text,
        &[
            "la mission « passation et exécution »",
            "signer et notifier les marchés",
            "solidairement responsables des seules opérations de passation et d'exécution menées conjointement",
            "La mission du coordonnateur prend fin au terme de l'exécution des marchés.",
        ],
    );
}

/// The text of every page, through an independent PDF reader.
fn pdf_text(bytes: &[u8]) -> (usize, String) {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    (pages.len(), normalize(&text))
}

#[test]
fn the_pdf_has_the_same_text_on_a4_pages() {
    let g = groupement();
    let input = input(&g);
    let bytes = convention::pdf(&input).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.len() > 20_000, "{} bytes", bytes.len());
    let (pages, text) = pdf_text(&bytes);
    assert!(pages >= 3, "{pages} pages");
    assert_contains(&text, CONTENT);
    assert_contains(&text, &["Page 1 sur", &format!("Page {pages} sur {pages}")]);
    // Same input, same bytes.
    assert_eq!(convention::pdf(&input).expect("pdf"), bytes);
    // A4, every page.
    let doc = lopdf::Document::load_mem(&bytes).expect("pdf");
    for (_, page) in doc.get_pages() {
        let media_box = doc
            .get_dictionary(page)
            .and_then(|p| p.get(b"MediaBox"))
            .and_then(|b| b.as_array())
            .expect("media box");
        let size: Vec<f32> = media_box
            .iter()
            .map(|v| v.as_float().expect("number"))
            .collect();
        assert!((size[2] - size[0] - 595.28).abs() < 0.1, "{size:?}");
        assert!((size[3] - size[1] - 841.89).abs() < 0.1, "{size:?}");
    }
}

#[test]
fn the_pdf_prints_hostile_values_as_text() {
    let g = groupement();
    let mut input = input(&g);
    input.parties[1].name = "Ville d'Échirolles <script> & \"Cie\" œuvre 🏛".into();
    let (_, text) = pdf_text(&convention::pdf(&input).expect("pdf"));
    // The font has no glyph for the emoji: a replacement glyph is drawn, the text keeps it.
    assert_contains(&text, &["Ville d'Échirolles <script> & \"Cie\" œuvre 🏛"]);
}

#[test]
fn the_pdf_is_tagged_in_french_with_an_outline() {
    let g = groupement();
    let bytes = convention::pdf(&input(&g)).expect("pdf");
    let doc = lopdf::Document::load_mem(&bytes).expect("pdf");
    let catalog = doc.catalog().expect("catalog");
    assert!(catalog.has(b"StructTreeRoot"));
    assert!(catalog.has(b"Outlines"));
    let lang = catalog.get(b"Lang").and_then(|l| l.as_str()).expect("lang");
    assert_eq!(lang, b"fr-FR");
}

#[test]
fn only_the_members_that_joined_are_parties() {
    let mut g = groupement();
    let fontaine = siren("213801699");
    g.members.push(Member {
        siren: fontaine.clone(),
        name: "Ville de Fontaine".into(),
        population: Some(22_684),
        status: MemberStatus::Declined {
            on: d("2027-02-10"),
        },
    });
    g.needs.push(LotNeed {
        lot: 2,
        member: fontaine,
        quantity: None,
        estimated_amount: Amount::from_euros(999_999),
        confirmed: true,
    });
    let text = visible_text(&convention::html(&input(&g)));
    assert!(!text.contains("Fontaine"), "{text}");
    assert!(!text.contains("999 999"), "{text}");
    assert_contains(&text, &["412 500,00 € HT"]);
    // Nor a member that withdrew: its needs leave the totals and the key.
    let g = apply(
        g,
        Action::Withdraw {
            member: echirolles(),
            on: d("2027-03-03"),
        },
    );
    let text = visible_text(&convention::html(&input(&g)));
    assert!(!text.contains("chirolles"), "{text}");
    assert!(!text.contains("412 500,00"), "{text}");
    assert_contains(&text, &["300 000,00 € HT"]);
}

#[test]
fn a_large_groupement_runs_over_pages_with_its_tables() {
    let mut g = groupement();
    for n in 0..40u32 {
        // Luhn-valid SIRENs: eight digits and the check digit that fits.
        let base = format!("{:08}", 21_380_000 + n);
        let siren = (0..10)
            .find_map(|c| Siren::parse(&format!("{base}{c}")).ok())
            .expect("a check digit");
        g.members.push(Member {
            siren: siren.clone(),
            name: format!("Commune numéro {n} de l'Isère"),
            population: Some(1_000 + n),
            status: MemberStatus::Joined {
                on: d("2027-02-01"),
            },
        });
        g.needs.push(LotNeed {
            lot: 1 + n % 2,
            member: siren,
            quantity: None,
            estimated_amount: Amount::from_euros(1_000),
            confirmed: true,
        });
    }
    let bytes = convention::pdf(&input(&g)).expect("pdf");
    let (pages, text) = pdf_text(&bytes);
    assert!(pages >= 8, "{pages} pages");
    assert_contains(
        &text,
        &[
            "Commune numéro 0 de l'Isère",
            "Commune numéro 39 de l'Isère",
            // 412 500 € and 40 × 1 000 €.
            "452 500,00 € HT",
        ],
    );
}
