//! The convention as a document: its sections, and in them paragraphs, lists, tables and
//! signature fields, all plain text. Every sentence of the convention is written here, once;
//! the HTML and the PDF only lay it out.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use mutualis_domain::Amount;
use mutualis_domain::amount::group_thousands;
use mutualis_domain::groupement::{
    CostSharing, Groupement, Lot, LotNeed, Member, MemberStatus, Mission,
};
use mutualis_domain::need::Quantity;
use mutualis_domain::opportunity::french_date;
use mutualis_domain::{CpvCode, Siren};

use super::ConventionInput;

/// No-break space, between a number and its unit.
const NBSP: char = '\u{a0}';

pub(crate) struct Document {
    /// "Convention constitutive d'un groupement de commandes".
    pub title: String,
    /// The groupement's title.
    pub subtitle: String,
    /// What the document is and when it was made.
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
    /// The day the document was generated.
    pub date: NaiveDate,
}

pub(crate) struct Section {
    /// The anchor of the section in the HTML ("article-3").
    pub id: String,
    /// "Article 3 — Besoins estimés des membres".
    pub heading: String,
    /// Starts on a new page when printed.
    pub page_break: bool,
    pub blocks: Vec<Block>,
}

pub(crate) enum Block {
    Paragraph(String),
    /// A subheading inside a section (a lot, a member's signature).
    Subheading(String),
    List(Vec<String>),
    Table(Table),
    /// Labelled values; `None` leaves a blank line to fill in by hand.
    Fields(Vec<(String, Option<String>)>),
}

/// A table whose first column heads its rows.
pub(crate) struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Totals, after the rows.
    pub foot: Vec<Vec<String>>,
    /// Right-aligned (numeric) columns.
    pub numeric: Vec<bool>,
}

impl Table {
    /// A table whose columns after the first `text_columns` are numeric.
    fn new(caption: String, head: &[&str], text_columns: usize) -> Table {
        Table {
            caption,
            numeric: (0..head.len()).map(|i| i >= text_columns).collect(),
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            foot: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building

/// The convention of `input.groupement`, in French.
pub(crate) fn build(input: &ConventionInput<'_>) -> Document {
    let c = Context::new(input);
    let articles = [
        ("Objet et périmètre", c.object()),
        ("Coordonnateur et membres", c.members()),
        ("Besoins estimés des membres", c.needs()),
        ("Mission du coordonnateur", c.mission()),
        ("Répartition des coûts", c.cost_sharing()),
        ("Durée", c.duration()),
        ("Responsabilité des membres", c.liability()),
        ("Adhésion et retrait", c.adhesion_and_withdrawal()),
        ("Litiges", c.disputes()),
        ("Entrée en vigueur", c.entry_into_force()),
    ];
    let mut sections = Vec::new();
    if !input.legal_references.is_empty() {
        sections.push(Section {
            id: "references".into(),
            heading: "Références juridiques".into(),
            page_break: false,
            blocks: c.references(),
        });
    }
    sections.push(Section {
        id: "parties".into(),
        heading: "Entre les soussignés".into(),
        page_break: false,
        blocks: c.parties(),
    });
    for (i, (title, blocks)) in articles.into_iter().enumerate() {
        let n = i + 1;
        sections.push(Section {
            id: format!("article-{n}"),
            heading: format!("Article {n} — {title}"),
            page_break: false,
            blocks,
        });
    }
    sections.push(Section {
        id: "signatures".into(),
        heading: "Signatures des membres".into(),
        page_break: true,
        blocks: c.signatures(),
    });
    Document {
        title: "Convention constitutive d'un groupement de commandes".into(),
        subtitle: clean(&input.groupement.title),
        intro: c.intro(),
        sections,
        date: input.generated_on,
    }
}

/// What every article needs to know.
struct Context<'a> {
    input: &'a ConventionInput<'a>,
    g: &'a Groupement,
    /// The joined members, the coordinator first, then in invitation order.
    parties: Vec<&'a Member>,
    names: BTreeMap<&'a Siren, String>,
    addresses: BTreeMap<&'a Siren, String>,
    /// The joined members' needs, by lot, in the parties' order.
    needs: BTreeMap<u32, Vec<&'a LotNeed>>,
}

impl<'a> Context<'a> {
    fn new(input: &'a ConventionInput<'a>) -> Context<'a> {
        let g = input.groupement;
        let mut parties: Vec<&Member> = g.joined_members().collect();
        // Stable: the coordinator first, the others in invitation order.
        parties.sort_by_key(|m| m.siren != g.coordinator);
        let mut names = BTreeMap::new();
        let mut addresses = BTreeMap::new();
        for member in &g.members {
            let party = input.parties.iter().find(|p| p.siren == member.siren);
            let name = party
                .map(|p| clean(&p.name))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| clean(&member.name));
            names.insert(&member.siren, name);
            if let Some(address) = party.and_then(|p| p.address.as_deref()).map(clean)
                && !address.is_empty()
            {
                addresses.insert(&member.siren, address);
            }
        }
        let position = |siren: &Siren| parties.iter().position(|m| &m.siren == siren);
        let mut needs: BTreeMap<u32, Vec<&LotNeed>> = BTreeMap::new();
        for need in &g.needs {
            if position(&need.member).is_some() {
                needs.entry(need.lot).or_default().push(need);
            }
        }
        for lot_needs in needs.values_mut() {
            lot_needs.sort_by_key(|n| position(&n.member));
        }
        Context {
            input,
            g,
            parties,
            names,
            addresses,
            needs,
        }
    }

    fn name(&self, siren: &Siren) -> String {
        self.names
            .get(siren)
            .cloned()
            .unwrap_or_else(|| format!("SIREN {siren}"))
    }

    fn coordinator(&self) -> String {
        self.name(&self.g.coordinator)
    }

    fn cpv(&self, code: CpvCode) -> String {
        match self.input.cpv_labels.get(&code).map(|l| clean(l)) {
            Some(label) if !label.is_empty() => format!("{code} — {label}"),
            _ => code.to_string(),
        }
    }

    fn lot_needs(&self, lot: u32) -> &[&'a LotNeed] {
        self.needs.get(&lot).map_or(&[], Vec::as_slice)
    }

    fn lot_total(&self, lot: u32) -> Amount {
        sum(self.lot_needs(lot).iter().map(|n| n.estimated_amount))
    }

    fn member_total(&self, siren: &Siren) -> Amount {
        sum(self
            .needs
            .values()
            .flatten()
            .filter(|n| &n.member == siren)
            .map(|n| n.estimated_amount))
    }

    fn all_signed(&self) -> bool {
        self.parties.len() >= 2
            && self
                .parties
                .iter()
                .all(|m| self.g.signature_of(&m.siren).is_some())
    }

    // -- the sections, in order

    fn intro(&self) -> Vec<String> {
        let state = if self.all_signed() {
            "convention signée par tous ses membres".to_owned()
        } else {
            format!(
                "projet de convention, signé par {} sur {}",
                plural(self.signed_count(), "membre", "membres"),
                self.parties.len()
            )
        };
        vec![
            format!("Coordonnateur : {}.", self.coordinator()),
            format!(
                "Document établi le {} à partir des données de Mutualis ; état du groupement : {} ({state}).",
                french_date(self.input.generated_on),
                self.g.status.label_fr()
            ),
        ]
    }

    fn signed_count(&self) -> usize {
        self.parties
            .iter()
            .filter(|m| self.g.signature_of(&m.siren).is_some())
            .count()
    }

    fn references(&self) -> Vec<Block> {
        vec![
            Block::Paragraph("Vu :".into()),
            Block::List(
                self.input
                    .legal_references
                    .iter()
                    .map(|r| format!("{} — {}", clean(&r.source), clean(&r.text)))
                    .collect(),
            ),
        ]
    }

    fn parties(&self) -> Vec<Block> {
        let items = self
            .parties
            .iter()
            .map(|m| {
                let role = if m.siren == self.g.coordinator {
                    "coordonnateur du groupement"
                } else {
                    "membre du groupement"
                };
                let address = self
                    .addresses
                    .get(&m.siren)
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default();
                format!(
                    "{}, SIREN {}{address}, en qualité de {role} ;",
                    self.name(&m.siren),
                    m.siren
                )
            })
            .collect();
        vec![
            Block::List(items),
            Block::Paragraph(
                "ci-après ensemble « les membres », chacun représenté par son exécutif dûment \
                 habilité par la délibération mentionnée à la page des signatures, il est \
                 convenu ce qui suit."
                    .into(),
            ),
        ]
    }

    fn object(&self) -> Vec<Block> {
        let purpose = match self.g.mission {
            Mission::AwardOnly => "la passation",
            Mission::AwardAndExecution => "la passation et l'exécution",
        };
        let mut lots = Table::new(
            "Lots de la consultation".into(),
            &["Lot", "Intitulé", "Code CPV"],
            3,
        );
        for lot in &self.g.lots {
            lots.rows.push(vec![
                format!("Lot {}", lot.number),
                clean(&lot.title),
                self.cpv(lot.cpv),
            ]);
        }
        vec![
            Block::Paragraph(format!(
                "La présente convention constitue entre ses membres un groupement de commandes \
                 régi par les articles L2113-6 à L2113-8 du code de la commande publique, en vue \
                 de {purpose} en commun des marchés publics portant sur : {}.",
                clean(&self.g.title)
            )),
            Block::Paragraph(format!("Code CPV principal : {}.", self.cpv(self.g.cpv))),
            Block::Paragraph(format!(
                "La consultation est divisée en {} : chaque lot fait l'objet d'un marché distinct \
                 pour chacun des membres qui y ont exprimé un besoin.",
                plural(self.g.lots.len(), "lot", "lots")
            )),
            Block::Table(lots),
        ]
    }

    fn members(&self) -> Vec<Block> {
        let mut table = Table::new(
            "Membres du groupement".into(),
            &["Membre", "SIREN", "Qualité", "Adhésion"],
            4,
        );
        for m in &self.parties {
            let role = if m.siren == self.g.coordinator {
                "Coordonnateur"
            } else {
                "Membre"
            };
            let joined = match m.status {
                MemberStatus::Joined { on } => format!("le {}", french_date(on)),
                _ => String::new(),
            };
            table.rows.push(vec![
                self.name(&m.siren),
                m.siren.to_string(),
                role.into(),
                joined,
            ]);
        }
        vec![
            Block::Paragraph(format!(
                "{} a la qualité de coordonnateur du groupement : il agit au nom et pour le \
                 compte des membres, dans les limites de la mission définie à l'article 4.",
                self.coordinator()
            )),
            Block::Paragraph(format!(
                "Le groupement réunit {} :",
                plural(self.parties.len(), "membre", "membres")
            )),
            Block::Table(table),
        ]
    }

    fn needs(&self) -> Vec<Block> {
        let mut blocks = vec![Block::Paragraph(format!(
            "Chaque membre estime ci-dessous ses besoins pour la durée du groupement, soit {}, \
             en montants hors taxes. Ces besoins sont arrêtés au lancement de la consultation ; ils \
             fixent alors, pour chaque membre et chaque lot, le montant maximum de ses commandes \
             pendant l'exécution.",
            months(self.g.duration_months)
        ))];
        for lot in &self.g.lots {
            blocks.push(Block::Subheading(lot_label(lot)));
            blocks.push(self.lot_needs_block(lot));
        }
        blocks.push(Block::Subheading("Récapitulatif".into()));
        let mut by_lot = Table::new(
            "Montants estimés par lot".into(),
            &["Lot", "Intitulé", "Montant estimé HT"],
            2,
        );
        for lot in &self.g.lots {
            by_lot.rows.push(vec![
                format!("Lot {}", lot.number),
                clean(&lot.title),
                money(self.lot_total(lot.number)),
            ]);
        }
        let overall = sum(self.g.lots.iter().map(|l| self.lot_total(l.number)));
        by_lot
            .foot
            .push(vec!["Total général".into(), String::new(), money(overall)]);
        blocks.push(Block::Table(by_lot));
        let mut by_member = Table::new(
            "Montants estimés par membre, tous lots".into(),
            &["Membre", "Montant estimé HT"],
            1,
        );
        for m in &self.parties {
            by_member.rows.push(vec![
                self.name(&m.siren),
                money(self.member_total(&m.siren)),
            ]);
        }
        by_member
            .foot
            .push(vec!["Total général".into(), money(overall)]);
        blocks.push(Block::Table(by_member));
        blocks
    }

    fn lot_needs_block(&self, lot: &Lot) -> Block {
        let needs = self.lot_needs(lot.number);
        if needs.is_empty() {
            return Block::Paragraph(
                "Aucun membre n'a exprimé de besoin pour ce lot à ce jour.".into(),
            );
        }
        let mut table = Table::new(
            format!("Besoins estimés du lot {}", lot.number),
            &["Membre", "Quantité estimée", "Montant estimé HT"],
            1,
        );
        for need in needs {
            table.rows.push(vec![
                self.name(&need.member),
                need.quantity.as_ref().map(quantity).unwrap_or_default(),
                money(need.estimated_amount),
            ]);
        }
        table.foot.push(vec![
            format!("Total du lot {}", lot.number),
            total_quantity(needs),
            money(self.lot_total(lot.number)),
        ]);
        Block::Table(table)
    }

    fn mission(&self) -> Vec<Block> {
        let mut tasks = vec![
            "recenser et consolider les besoins des membres ;".to_owned(),
            "choisir la procédure au regard du montant total des besoins, rédiger et publier \
             le dossier de consultation ;"
                .to_owned(),
            "recevoir et analyser les candidatures et les offres, puis attribuer les marchés et \
             informer les candidats non retenus ;"
                .to_owned(),
        ];
        let mut blocks = vec![Block::Paragraph(format!(
            "En application de l'article L2113-7 du code de la commande publique, les membres \
             confient au coordonnateur la mission « {} ». Le coordonnateur est chargé, au nom et \
             pour le compte des membres, de :",
            self.g.mission.label_fr().to_lowercase()
        ))];
        match self.g.mission {
            Mission::AwardOnly => {
                blocks.push(Block::List(tasks));
                blocks.push(Block::Paragraph(
                    "Chaque membre signe, notifie et exécute le marché qui le concerne pour chaque \
                     lot où il a exprimé un besoin, et en règle les prestations. La mission du \
                     coordonnateur prend fin à l'attribution des marchés."
                        .into(),
                ));
            }
            Mission::AwardAndExecution => {
                tasks.push("signer et notifier les marchés ;".into());
                tasks.push(
                    "exécuter les marchés : passer les commandes, suivre les prestations et \
                     conclure les éventuelles modifications."
                        .into(),
                );
                blocks.push(Block::List(tasks));
                blocks.push(Block::Paragraph(
                    "Chaque membre règle les prestations exécutées pour son compte. La mission du \
                     coordonnateur prend fin au terme de l'exécution des marchés."
                        .into(),
                ));
            }
        }
        blocks
    }

    fn cost_sharing(&self) -> Vec<Block> {
        let key = &self.g.cost_sharing;
        let rule = match key {
            CostSharing::ByPopulation => {
                "dans chaque lot, le montant attribué est réparti entre les membres qui y ont \
                 exprimé un besoin au prorata de leur population."
            }
            CostSharing::ByVolume => {
                "dans chaque lot, le montant attribué est réparti entre les membres qui y ont \
                 exprimé un besoin au prorata de leur besoin estimé (article 3)."
            }
            CostSharing::FixedShares(_) => {
                "dans chaque lot, le montant attribué est réparti entre les membres selon les \
                 parts fixes ci-dessous, en millièmes ; dans un lot où tous les membres n'ont pas \
                 exprimé de besoin, les parts de ceux qui en ont exprimé un sont augmentées en \
                 proportion."
            }
        };
        let mut blocks = vec![
            Block::Paragraph(format!(
                "Clé de répartition : {} — {rule}",
                key.label_fr().to_lowercase()
            )),
            Block::Paragraph(
                "Chaque membre est titulaire, pour chaque lot où il a exprimé un besoin, d'un \
                 marché à hauteur de sa part."
                    .into(),
            ),
            Block::Paragraph(
                "Les frais de la procédure de passation (publicité, reproduction des dossiers, le \
                 cas échéant assistance) sont avancés par le coordonnateur, puis remboursés par \
                 les membres selon la même clé appliquée à l'ensemble de leurs besoins (colonne « \
                 Frais de procédure »)."
                    .into(),
            ),
        ];
        blocks.push(Block::Table(self.shares_table()));
        let missing = self.members_without_basis();
        if !missing.is_empty() {
            let what = match key {
                CostSharing::FixedShares(_) => "La part fixe",
                _ => "La population",
            };
            blocks.push(Block::Paragraph(format!(
                "{what} des membres suivants n'est pas renseignée ; elle doit l'être avant le \
                 lancement de la consultation : {}.",
                missing.join(", ")
            )));
        }
        blocks
    }

    /// Each member's basis under the key (population, estimated amount, fixed share), if known.
    fn basis(&self, siren: &Siren, lot: Option<u32>) -> Option<u128> {
        match &self.g.cost_sharing {
            CostSharing::ByPopulation => self
                .parties
                .iter()
                .find(|m| &m.siren == siren)
                .and_then(|m| m.population)
                .map(u128::from),
            CostSharing::ByVolume => {
                let amount = match lot {
                    Some(lot) => sum(self
                        .lot_needs(lot)
                        .iter()
                        .filter(|n| &n.member == siren)
                        .map(|n| n.estimated_amount)),
                    None => self.member_total(siren),
                };
                u128::try_from(amount.cents()).ok()
            }
            CostSharing::FixedShares(shares) => shares
                .iter()
                .find(|(s, _)| s == siren)
                .map(|(_, permille)| u128::from(*permille)),
        }
    }

    fn basis_label(&self, siren: &Siren) -> String {
        match &self.g.cost_sharing {
            CostSharing::ByPopulation => self
                .basis(siren, None)
                .map(|p| format!("{} hab.", group_thousands(p as u64)))
                .unwrap_or_else(|| "non renseignée".into()),
            CostSharing::ByVolume => money(self.member_total(siren)),
            CostSharing::FixedShares(_) => self
                .basis(siren, None)
                .map(|p| format!("{p}{NBSP}‰"))
                .unwrap_or_else(|| "non renseignée".into()),
        }
    }

    /// The members with needs whose basis is missing (population or fixed share).
    fn members_without_basis(&self) -> Vec<String> {
        if matches!(self.g.cost_sharing, CostSharing::ByVolume) {
            return Vec::new();
        }
        self.parties
            .iter()
            .filter(|m| self.member_total(&m.siren) > Amount::ZERO)
            .filter(|m| self.basis(&m.siren, None).is_none())
            .map(|m| self.name(&m.siren))
            .collect()
    }

    /// The share of `siren` among the members with needs (in `lot`, or in any lot), in
    /// hundredths of a percent; `None` when it does not take part or a basis is missing.
    fn share(&self, siren: &Siren, lot: Option<u32>) -> Option<u128> {
        let takes_part = |s: &Siren| match lot {
            Some(lot) => self.lot_needs(lot).iter().any(|n| &n.member == s),
            None => self.member_total(s) > Amount::ZERO,
        };
        if !takes_part(siren) {
            return None;
        }
        let mut total = 0u128;
        for m in self.parties.iter().filter(|m| takes_part(&m.siren)) {
            total += self.basis(&m.siren, lot)?;
        }
        let own = self.basis(siren, lot)?;
        (total > 0).then(|| (own * 20_000 + total) / (2 * total))
    }

    fn shares_table(&self) -> Table {
        let basis = match self.g.cost_sharing {
            CostSharing::ByPopulation => "Population",
            CostSharing::ByVolume => "Besoin estimé HT",
            CostSharing::FixedShares(_) => "Part fixe",
        };
        let lot_heads: Vec<String> = self
            .g
            .lots
            .iter()
            .map(|l| format!("Part du lot {}", l.number))
            .collect();
        let mut head = vec!["Membre", basis];
        head.extend(lot_heads.iter().map(String::as_str));
        head.push("Frais de procédure");
        let mut table = Table::new("Parts des membres selon la clé".into(), &head, 1);
        for m in &self.parties {
            let mut row = vec![self.name(&m.siren), self.basis_label(&m.siren)];
            for lot in &self.g.lots {
                row.push(percent(self.share(&m.siren, Some(lot.number))));
            }
            row.push(percent(self.share(&m.siren, None)));
            table.rows.push(row);
        }
        table
    }

    fn duration(&self) -> Vec<Block> {
        let start = self.g.proposed_start.map_or_else(String::new, |d| {
            format!(
                " Les marchés issus de la consultation sont envisagés pour commencer le {}.",
                french_date(d)
            )
        });
        vec![Block::Paragraph(format!(
            "Le groupement est constitué pour une durée de {} à compter de l'entrée en vigueur de \
             la présente convention (article 10) ; les besoins de l'article 3 sont estimés sur \
             cette durée. Les marchés conclus pendant cette durée s'exécutent jusqu'à leur terme.{start}",
            months(self.g.duration_months)
        ))]
    }

    fn liability(&self) -> Vec<Block> {
        let (operations, own) = match self.g.mission {
            Mission::AwardOnly => (
                "de passation",
                "Chaque membre demeure seul responsable des opérations qu'il mène en son nom \
                 propre, notamment la signature, la notification et l'exécution de ses marchés.",
            ),
            Mission::AwardAndExecution => (
                "de passation et d'exécution",
                "Chaque membre demeure seul responsable des opérations qu'il mène en son nom \
                 propre, notamment le paiement des prestations exécutées pour son compte.",
            ),
        };
        vec![
            Block::Paragraph(format!(
                "Conformément à l'article L2113-7 du code de la commande publique, les membres du \
                 groupement sont solidairement responsables des seules opérations {operations} \
                 menées conjointement en leur nom et pour leur compte par le coordonnateur."
            )),
            Block::Paragraph(own.into()),
        ]
    }

    fn adhesion_and_withdrawal(&self) -> Vec<Block> {
        let mut blocks = vec![
            Block::Subheading("Adhésion".into()),
            Block::Paragraph(format!(
                "Un acheteur invité par le coordonnateur adhère au groupement au plus tard le {}, \
                 puis signe la présente convention après l'avoir fait approuver par une \
                 délibération de son organe délibérant. Aucune adhésion n'est plus possible une \
                 fois la convention signée par tous ses membres, ni après le lancement de la \
                 consultation.",
                french_date(self.g.adhesion_deadline)
            )),
            Block::Subheading("Retrait".into()),
            Block::Paragraph(
                "Un membre peut se retirer du groupement tant que la consultation n'est pas \
                 lancée, par une décision notifiée au coordonnateur. Une fois la consultation \
                 lancée, aucun retrait n'est possible : le membre reste engagé pour les opérations \
                 menées conjointement en son nom et pour son compte (article L2113-7 du code de la \
                 commande publique). Le coordonnateur ne peut pas se retirer."
                    .into(),
            ),
            Block::Paragraph(
                "Le membre qui se retire supporte sa part, selon la clé de l'article 5, des frais \
                 de procédure engagés à la date de son retrait."
                    .into(),
            ),
        ];
        if let Some(on) = self.g.consultation_started_on {
            blocks.push(Block::Paragraph(format!(
                "La consultation a été lancée le {} : les adhésions et les retraits sont clos.",
                french_date(on)
            )));
        }
        blocks
    }

    fn disputes(&self) -> Vec<Block> {
        vec![Block::Paragraph(
            "Les membres recherchent d'abord une solution amiable à tout différend relatif à \
             l'interprétation ou à l'application de la présente convention. À défaut d'accord, le \
             litige est porté devant le tribunal administratif compétent."
                .into(),
        )]
    }

    fn entry_into_force(&self) -> Vec<Block> {
        let mut blocks = vec![Block::Paragraph(
            "La présente convention entre en vigueur à la date de sa signature par le dernier de \
             ses membres, chacun y étant autorisé par une délibération de son organe délibérant."
                .into(),
        )];
        let last = self
            .parties
            .iter()
            .filter_map(|m| self.g.signature_of(&m.siren))
            .map(|s| s.signed_on)
            .max();
        match last {
            Some(on) if self.all_signed() => blocks.push(Block::Paragraph(format!(
                "Elle a été signée par tous ses membres ; la dernière signature date du {}.",
                french_date(on)
            ))),
            _ => blocks.push(Block::Paragraph(format!(
                "Signatures recueillies à la date du présent document : {} sur {}.",
                self.signed_count(),
                self.parties.len()
            ))),
        }
        blocks
    }

    fn signatures(&self) -> Vec<Block> {
        let mut blocks = vec![Block::Paragraph(
            "Fait en autant d'exemplaires originaux que de membres.".into(),
        )];
        for m in &self.parties {
            let role = if m.siren == self.g.coordinator {
                "coordonnateur"
            } else {
                "membre"
            };
            blocks.push(Block::Subheading(format!(
                "Pour {} ({role})",
                self.name(&m.siren)
            )));
            let signature = self.g.signature_of(&m.siren);
            blocks.push(Block::Fields(vec![
                ("SIREN".into(), Some(m.siren.to_string())),
                (
                    "Nom et qualité du signataire".into(),
                    signature.map(|s| clean(&s.signatory)),
                ),
                (
                    "Date de signature".into(),
                    signature.map(|s| french_date(s.signed_on)),
                ),
                (
                    "Délibération approuvant la convention".into(),
                    signature.map(|s| {
                        format!(
                            "n° {} du {}",
                            clean(&s.deliberation.reference),
                            french_date(s.deliberation.adopted_on)
                        )
                    }),
                ),
                ("Signature".into(), None),
            ]));
        }
        blocks
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// A value from outside as one line: control characters (line breaks included) become spaces,
/// runs of spaces one, and the ends are trimmed. Escaping is the HTML's business.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            ' '
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out
}

/// "12 500,00 € HT", French style, unbreakable.
fn money(amount: Amount) -> String {
    amount.to_string().replace(' ', "\u{a0}")
}

fn sum(amounts: impl Iterator<Item = Amount>) -> Amount {
    // Saturate rather than overflow on absurd amounts: the document still prints.
    amounts.fold(Amount::ZERO, |acc, a| {
        acc.checked_add(a).unwrap_or(Amount::from_cents(i64::MAX))
    })
}

/// "1 000 MWh", "12,5 t".
fn quantity(q: &Quantity) -> String {
    format!("{}{NBSP}{}", thousandths(q.thousandths), clean(&q.unit))
}

fn thousandths(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let whole = group_thousands(abs / 1000);
    match abs % 1000 {
        0 => format!("{sign}{whole}"),
        frac => {
            let frac = format!("{frac:03}");
            format!("{sign}{whole},{}", frac.trim_end_matches('0'))
        }
    }
}

/// The lot's total quantity when every need of the lot gives one in the same unit.
fn total_quantity(needs: &[&LotNeed]) -> String {
    let quantities: Option<Vec<&Quantity>> = needs.iter().map(|n| n.quantity.as_ref()).collect();
    let Some(quantities) = quantities else {
        return String::new();
    };
    let unit = quantities.first().map(|q| clean(&q.unit));
    if quantities.iter().any(|q| Some(clean(&q.unit)) != unit) {
        return "unités différentes".into();
    }
    let total = quantities
        .iter()
        .try_fold(0i64, |acc, q| acc.checked_add(q.thousandths));
    match (total, unit) {
        (Some(total), Some(unit)) => format!("{}{NBSP}{unit}", thousandths(total)),
        _ => String::new(),
    }
}

/// "75,00 %" from hundredths of a percent; "—" for no share.
fn percent(hundredths: Option<u128>) -> String {
    match hundredths {
        Some(h) => format!("{},{:02}{NBSP}%", h / 100, h % 100),
        None => "—".into(),
    }
}

fn months(n: u32) -> String {
    let years = if n >= 12 && n.is_multiple_of(12) {
        format!(" ({})", plural((n / 12) as usize, "an", "ans"))
    } else {
        String::new()
    };
    format!("{}{years}", plural(n as usize, "mois", "mois"))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn lot_label(lot: &Lot) -> String {
    format!("Lot {} — {}", lot.number, clean(&lot.title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_makes_one_trimmed_line() {
        assert_eq!(
            clean("  Ville\n de\t\tFontaine \u{0} "),
            "Ville de Fontaine"
        );
        assert_eq!(clean("A & <b>"), "A & <b>");
        assert_eq!(clean(""), "");
    }

    #[test]
    fn numbers_are_written_french_style() {
        assert_eq!(
            money(Amount::from_cents(1_250_000)),
            "12\u{202f}500,00\u{a0}€\u{a0}HT"
        );
        assert_eq!(thousandths(12_500), "12,5");
        assert_eq!(thousandths(1_000_000_000), "1\u{202f}000\u{202f}000");
        assert_eq!(thousandths(-1_050), "-1,05");
        assert_eq!(percent(Some(7_500)), "75,00\u{a0}%");
        assert_eq!(percent(Some(3_333)), "33,33\u{a0}%");
        assert_eq!(percent(None), "—");
        assert_eq!(months(48), "48 mois (4 ans)");
        assert_eq!(months(12), "12 mois (1 an)");
        assert_eq!(months(18), "18 mois");
    }
}
