//! The template's layout, which the writer and the reader share: the columns of the "Besoins"
//! sheet, with their headers and help, and the cells of the "Campagne" sheet that reading
//! checks.

/// One column of the "Besoins" sheet.
pub(super) struct Column {
    pub(super) header: &'static str,
    pub(super) width: f64,
    pub(super) required: bool,
    pub(super) help: &'static str,
    pub(super) example: &'static str,
}

pub(super) const CPV: u16 = 0;

pub(super) const DESCRIPTION: u16 = 1;

pub(super) const AMOUNT: u16 = 2;

pub(super) const QUANTITY: u16 = 3;

pub(super) const UNIT: u16 = 4;

pub(super) const DESIRED_START: u16 = 5;

pub(super) const CONTRACT: u16 = 6;

pub(super) const CONTRACT_END: u16 = 7;

pub(super) const SOCIAL: u16 = 8;

pub(super) const ENVIRONMENTAL: u16 = 9;

pub(super) const RESERVATION: u16 = 10;

pub(super) const COLUMNS: [Column; 11] = [
    Column {
        header: "Code CPV",
        width: 14.0,
        required: true,
        help: "Le code CPV 2008 du besoin : 8 chiffres, avec ou sans le chiffre de contrôle.",
        example: "90910000-9",
    },
    Column {
        header: "Description",
        width: 45.0,
        required: true,
        help: "Ce que vous achèterez, en quelques mots.",
        example: "Nettoyage des écoles maternelles",
    },
    Column {
        header: "Montant annuel estimé (€ HT)",
        width: 18.0,
        required: true,
        help: "Le montant estimé par an, en euros hors taxes. Un nombre, ou un texte comme \
               12 500,50 ou 12500.5. N'utilisez ni le point ni la virgule pour séparer les \
               milliers (un espace convient) ; au plus deux décimales.",
        example: "48 000",
    },
    Column {
        header: "Quantité",
        width: 11.0,
        required: false,
        help: "La quantité par an, si vous la connaissez. Un nombre, sans l'unité.",
        example: "12,5",
    },
    Column {
        header: "Unité",
        width: 10.0,
        required: false,
        help: "L'unité de la quantité (m², postes, MWh, t…). Obligatoire si une quantité est \
               indiquée.",
        example: "t",
    },
    Column {
        header: "Date de début souhaitée",
        width: 16.0,
        required: true,
        help: "Quand le nouveau contrat devrait commencer : une date JJ/MM/AAAA (jour puis \
               mois) ou AAAA-MM-JJ.",
        example: "01/01/2027",
    },
    Column {
        header: "Contrat actuel",
        width: 20.0,
        required: false,
        help: "L'identifiant de votre contrat actuel pour ce besoin, tel que publié dans les \
               données essentielles (DECP).",
        example: "2019-ECH-042",
    },
    Column {
        header: "Fin du contrat actuel",
        width: 16.0,
        required: false,
        help: "La date de fin de ce contrat, JJ/MM/AAAA.",
        example: "31/12/2026",
    },
    Column {
        header: "Exigences sociales",
        width: 35.0,
        required: false,
        help: "Vos exigences sociales en quelques mots (clause d'insertion…).",
        example: "Clause d'insertion : 5 % des heures",
    },
    Column {
        header: "Exigences environnementales",
        width: 35.0,
        required: false,
        help: "Vos exigences environnementales en quelques mots.",
        example: "Produits écolabellisés",
    },
    Column {
        header: "Marché réservé",
        width: 48.0,
        required: false,
        help: "Si le marché doit être réservé : choisissez dans la liste. Vide sinon.",
        example: "Réservé aux structures d'insertion (L2113-13)",
    },
];

/// The cells of the "Campagne" sheet that reading checks.
pub(super) const CAMPAIGN_ID_CELL: (u32, u16) = (1, 1);

pub(super) const SIREN_CELL: (u32, u16) = (3, 1);

pub(super) const VERSION_CELL: (u32, u16) = (6, 1);
