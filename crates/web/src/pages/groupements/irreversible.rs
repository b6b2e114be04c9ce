//! A groupement's irreversible actions in words: a member's withdrawal and the coordinator's
//! cancellation. What the confirmation step says will happen, and what the groupement's page
//! says once it has. The figures come from the domain (`Groupement::withdrawal`,
//! `Groupement::withdrawal_of`): this module only writes them out.

use chrono::NaiveDate;
use mutualis_domain::groupement::{Groupement, Withdrawal};
use mutualis_domain::{Amount, Siren};

use super::d;
use crate::pages::confirmation::Table;

/// What a withdrawal changes, as the page shows it: sentences, then the tables of the lots'
/// totals and of the key's shares.
pub(super) struct WithdrawalView {
    pub sentences: Vec<String>,
    pub tables: Vec<Table>,
}

impl WithdrawalView {
    /// Before the withdrawal, on its confirmation page.
    pub(super) fn before(g: &Groupement, w: &Withdrawal) -> WithdrawalView {
        let name = g
            .member(&w.member)
            .map_or_else(|| w.member.to_string(), |m| m.name.clone());
        let mut sentences = vec![format!(
            "Votre organisme, {name}, quittera le groupement le {} : il n'en sera plus membre, \
             n'y agira plus et ne pourra pas y adhérer de nouveau. Il continuera de le voir, en \
             lecture seule, avec ce retrait.",
            d(w.on)
        )];
        sentences.push(if w.lots.is_empty() {
            "Votre organisme n'a déclaré aucun besoin : les totaux des lots ne changent pas."
                .to_owned()
        } else {
            format!(
                "Ses besoins, {} en tout, sortiront des totaux des lots et de la répartition de \
                 l'attribution (détail ci-dessous).",
                needs_total(w)
            )
        });
        sentences.push(cost_sentence(g, w));
        WithdrawalView {
            sentences,
            tables: tables(g, w),
        }
    }

    /// After the withdrawal, on the page of the member that withdrew.
    pub(super) fn after(g: &Groupement, w: &Withdrawal) -> WithdrawalView {
        let mut sentences = vec![format!(
            "Votre organisme s'est retiré du groupement le {} : il n'en est plus membre et n'y \
             agit plus.",
            d(w.on)
        )];
        if !w.lots.is_empty() {
            sentences.push(format!(
                "Ses besoins, {} en tout, ne comptent plus dans les totaux des lots ni dans la \
                 répartition de l'attribution.",
                needs_total(w)
            ));
        }
        sentences.push(cost_sentence(g, w));
        WithdrawalView {
            sentences,
            tables: tables(g, w),
        }
    }
}

/// What the groupement's page says once an irreversible action (`code`) is done, from the
/// state it left: to the member that withdrew, when and where to read what it changed; after
/// a cancellation, that it is final. `None` for any other action.
pub(super) fn notice(g: &Groupement, own: &Siren, code: &str, today: NaiveDate) -> Option<String> {
    match code {
        "withdraw" => g.withdrawal_of(own, today).map(|w| {
            format!(
                "Vous vous êtes retiré du groupement « {} » le {}. Ce que ce retrait change pour \
                 votre organisme est détaillé ci-dessous, dans « Pour votre organisme ».",
                g.title,
                d(w.on)
            )
        }),
        "cancel" => g.cancellation.as_ref().map(|c| {
            format!(
                "Groupement annulé le {} : il ne peut plus être rouvert, et plus aucune action \
                 n'y est possible.",
                d(c.on)
            )
        }),
        _ => None,
    }
}

fn needs_total(w: &Withdrawal) -> Amount {
    w.lots.iter().map(|l| l.need).sum()
}

/// What the convention makes the member owe: its share of the procedure costs incurred up to
/// its withdrawal, under the key. Mutualis records no costs: the share, never an amount.
fn cost_sentence(g: &Groupement, w: &Withdrawal) -> String {
    let rule = format!(
        "Conséquence financière : la convention (article « Adhésion et retrait ») met à la \
         charge du membre qui se retire sa part des frais de procédure engagés à la date de son \
         retrait, selon la clé « {} » appliquée à l'ensemble de ses besoins",
        g.cost_sharing.label_fr()
    );
    let coordinator = g
        .member(&g.coordinator)
        .map_or_else(|| g.coordinator.to_string(), |m| m.name.clone());
    match (w.cost_share, w.key_problems.is_empty()) {
        (Some(share), _) => format!(
            "{rule} ; au {}, la part de votre organisme est de {}. Mutualis n'enregistre pas ces \
             frais : seul le coordonnateur, {coordinator}, en connaît le montant.",
            d(w.on),
            share.label_fr()
        ),
        (None, true) => format!(
            "{rule} ; votre organisme n'ayant déclaré aucun besoin, la clé ne lui en attribue \
             aucune part."
        ),
        (None, false) => format!(
            "{rule} ; cette part ne peut pas encore être calculée : {}.",
            w.key_problems.join(" ; ")
        ),
    }
}

fn tables(g: &Groupement, w: &Withdrawal) -> Vec<Table> {
    let name = |siren| {
        g.member(siren)
            .map_or_else(|| siren.to_string(), |m| m.name.clone())
    };
    let mut tables = Vec::new();
    if !w.lots.is_empty() {
        tables.push(Table {
            caption: "Totaux des lots, avant et après le retrait".into(),
            head: vec![
                "Lot".into(),
                "Besoin de votre organisme".into(),
                "Total avant le retrait".into(),
                "Total après le retrait".into(),
            ],
            rows: w
                .lots
                .iter()
                .map(|l| {
                    let title = g.lot(l.lot).map_or("", |lot| lot.title.as_str());
                    vec![
                        format!("Lot {} — {title}", l.lot),
                        l.need.to_string(),
                        l.before.to_string(),
                        l.after.to_string(),
                    ]
                })
                .collect(),
        });
    }
    if !w.remaining.is_empty() {
        let mut rows = Vec::new();
        if let Some(share) = w.cost_share {
            rows.push(vec![name(&w.member), share.label_fr(), "—".to_owned()]);
        }
        rows.extend(
            w.remaining
                .iter()
                .map(|c| vec![name(&c.member), c.before.label_fr(), c.after.label_fr()]),
        );
        tables.push(Table {
            caption: format!(
                "Parts des frais de procédure selon la clé « {} », avant et après le retrait",
                g.cost_sharing.label_fr()
            ),
            head: vec![
                "Membre".into(),
                "Avant le retrait".into(),
                "Après le retrait".into(),
            ],
            rows,
        });
    }
    tables
}

/// What cancelling the groupement will do, on its confirmation page.
pub(super) fn cancellation(g: &Groupement, on: NaiveDate, reason: &str) -> (String, Vec<String>) {
    let heading = format!("Annuler le groupement « {} » ?", g.title);
    let mut sentences = vec![
        format!(
            "Le groupement prendra fin le {}, pour le motif : « {reason} ».",
            d(on)
        ),
        "L'annulation est définitive : un groupement annulé ne peut pas être rouvert, et plus \
         aucune action n'y est possible (adhésion, besoin, signature, consultation, attribution). \
         Pour reprendre le projet, il faudra créer un nouveau groupement."
            .to_owned(),
    ];
    let members: Vec<&str> = g
        .joined_members()
        .filter(|m| m.siren != g.coordinator)
        .map(|m| m.name.as_str())
        .collect();
    let invited: Vec<&str> = g.unanswered_members().map(|m| m.name.as_str()).collect();
    let mut told = Vec::new();
    if !members.is_empty() {
        told.push(format!("ses membres ({})", members.join(", ")));
    }
    if !invited.is_empty() {
        told.push(format!(
            "les acheteurs invités sans réponse ({})",
            invited.join(", ")
        ));
    }
    if !told.is_empty() {
        sentences.push(format!(
            "Dans Mutualis, {} le verront annulé, avec ce motif ; Mutualis n'envoie pas de \
             courriel : prévenez-les vous-même.",
            told.join(" et ")
        ));
    }
    if !g.awards.is_empty() {
        sentences.push(
            "Les contrats déjà créés à l'attribution restent enregistrés : l'annulation ne les \
             résilie pas."
                .to_owned(),
        );
    }
    (heading, sentences)
}
