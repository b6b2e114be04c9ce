//! The command line and the environment, read in one place.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use mutualis_domain::rules::{BuyerKind, Nature};
use mutualis_domain::{AccountError, Amount, Email, Role, Siren, Siret};
use mutualis_storage::DatabaseUrl;

/// Mutualis — plateforme d'achats mutualisés d'un territoire (métropole et communes membres).
#[derive(Debug, Parser)]
#[command(name = "mutualis", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Base de données : sqlite://CHEMIN (créée au premier lancement) ou postgres://…
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://mutualis.db",
        value_parser = parse_database_url
    )]
    pub database_url: DatabaseUrl,

    /// Territoire présenté (dossier de data/territories), ou le SIREN de l'un de ses membres.
    #[arg(long, global = true, env = "MUTUALIS_TERRITORY", default_value = mutualis_reference::territory::GRENOBLE_SLUG)]
    pub territory: String,

    /// Whether `--territory` (or its variable) was given rather than defaulted.
    #[arg(skip)]
    pub territory_given: bool,
}

fn parse_database_url(s: &str) -> Result<DatabaseUrl, String> {
    s.parse()
        .map_err(|e: mutualis_storage::StorageError| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lance l'application web et l'API JSON.
    Serve(ServeArgs),
    /// Gère la base de données.
    #[command(subcommand)]
    Db(DbCommand),
    /// Affiche le territoire (la métropole et ses communes membres).
    #[command(subcommand)]
    Territory(TerritoryCommand),
    /// Consulte la nomenclature CPV 2008.
    #[command(subcommand)]
    Cpv(CpvCommand),
    /// Importe des données (DECP).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Publie les contrats en données ouvertes (DECP 2.0, OCDS 1.1).
    #[command(subcommand)]
    Export(ExportCommand),
    /// Gère les comptes utilisateurs.
    #[command(subcommand)]
    User(UserCommand),
    /// Règles de la commande publique en vigueur (seuils datés et leurs sources).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Opportunités de mutualisation : ce qui gagnerait à être acheté ensemble, quand, selon
    /// quelle procédure et pour quelle économie, avec les raisons. Sur la base, ou directement
    /// sur des fichiers DECP (--decp).
    Opportunities(OpportunitiesArgs),
    /// Journal d'audit des groupements de commandes (chaîne d'empreintes SHA-256).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Consultations : la liste, et le détail de l'une (lots, critères, procédure et ses
    /// raisons, date limite à l'heure de Paris).
    #[command(subcommand)]
    Consultation(ConsultationCommand),
    /// Exécute les travaux en arrière-plan (imports de fichiers DECP déposés sur les pages),
    /// seul, sur la même base et le même dossier de données que `mutualis serve`. S'arrête
    /// sur Ctrl-C ou SIGTERM : le travail en cours finit, ou est repris plus tard.
    Worker(WorkerArgs),
}

/// Where the jobs' files live, for `serve` and `worker` alike.
#[derive(Debug, Args)]
pub struct DataDirArgs {
    /// Dossier de données, partagé par `mutualis serve` et `mutualis worker` : les fichiers
    /// déposés y attendent leur import (sous-dossier uploads). Par défaut : le dossier
    /// mutualis-data à côté de la base SQLite ; avec PostgreSQL, dans le dossier temporaire du
    /// système (à fixer en production).
    #[arg(long, env = "MUTUALIS_DATA_DIR", value_name = "DOSSIER")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConsultationCommand {
    /// Toutes les consultations de la base, les dernières modifiées d'abord.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Une consultation, par son numéro (colonne « n° » de la liste).
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Vérifie le journal entier : numérotation, liens et empreinte de chaque entrée. Affiche
    /// l'empreinte de la dernière entrée, à conserver ailleurs ; sinon nomme la première entrée
    /// altérée, supprimée ou déplacée, et sort en erreur.
    Verify(AuditVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// Écrit l'ancre du journal vérifié (nombre d'entrées et dernière empreinte) dans ce
    /// fichier, à conserver hors de la base.
    #[arg(long, value_name = "FICHIER")]
    pub anchor: Option<PathBuf>,
    /// Vérifie aussi que le journal contient encore l'ancre de ce fichier : détecte un journal
    /// tronqué (dernières entrées supprimées) ou réécrit.
    #[arg(long, value_name = "FICHIER")]
    pub against: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpportunitiesArgs {
    /// Date d'observation (AAAA-MM-JJ) ; aujourd'hui par défaut.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Niveau de regroupement dans la nomenclature CPV.
    #[arg(long, value_enum, default_value_t = DepthArg::Class)]
    pub depth: DepthArg,
    /// Fenêtre commune, en mois après la date d'observation.
    #[arg(long, default_value_t = mutualis_domain::opportunity::Params::DEFAULT_WINDOW_MONTHS)]
    pub window_months: u32,
    /// Nombre minimal d'acheteurs distincts (par SIREN).
    #[arg(long, default_value_t = mutualis_domain::opportunity::Params::DEFAULT_MIN_BUYERS)]
    pub min_buyers: usize,
    /// Tous les acheteurs, pas seulement ceux du territoire.
    #[arg(long)]
    pub all: bool,
    /// Lit ces fichiers DECP au lieu de la base (tous leurs acheteurs, sauf --territory).
    #[arg(long, num_args = 1..)]
    pub decp: Vec<PathBuf>,
    /// Seulement les N meilleures opportunités (toutes par défaut).
    #[arg(long)]
    pub top: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DepthArg {
    /// 2 chiffres (par exemple 90).
    Division,
    /// 3 chiffres (909).
    Group,
    /// 4 chiffres (9091).
    Class,
    /// 5 chiffres (90911).
    Category,
}

impl From<DepthArg> for mutualis_domain::CpvDepth {
    fn from(d: DepthArg) -> Self {
        match d {
            DepthArg::Division => mutualis_domain::CpvDepth::Division,
            DepthArg::Group => mutualis_domain::CpvDepth::Group,
            DepthArg::Class => mutualis_domain::CpvDepth::Class,
            DepthArg::Category => mutualis_domain::CpvDepth::Category,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Charge le territoire de démonstration (idempotent : relancer ne change rien).
    #[arg(long)]
    pub demo: bool,
    /// Adresse d'écoute.
    #[arg(long, env = "MUTUALIS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Envoie les cookies sans l'attribut Secure : seulement pour un accès en HTTP simple
    /// depuis une autre machine que celle du serveur, jamais en production.
    #[arg(long, env = "MUTUALIS_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Adresse IP du mandataire inverse (reverse proxy) placé devant Mutualis : pour ses
    /// requêtes seulement, l'adresse du client est lue dans X-Forwarded-For (la dernière
    /// ajoutée), pour limiter les tentatives de connexion par client et non par mandataire.
    #[arg(long, env = "MUTUALIS_TRUSTED_PROXY")]
    pub trusted_proxy: Option<std::net::IpAddr>,
    #[command(flatten)]
    pub data: DataDirArgs,
    /// N'exécute pas les travaux en arrière-plan dans ce processus : un `mutualis worker`
    /// lancé à part s'en charge.
    #[arg(long, env = "MUTUALIS_NO_WORKER")]
    pub no_worker: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Applique les migrations du schéma qui manquent.
    Migrate,
}

#[derive(Debug, Subcommand)]
pub enum TerritoryCommand {
    /// La métropole et ses communes membres, avec leur population municipale.
    Show {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum CpvCommand {
    /// Un code CPV (avec ou sans chiffre de contrôle), ses libellés et ses parents.
    Show {
        /// Par exemple 90910000 ou 90910000-9.
        code: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Recherche dans les libellés français, sans tenir compte des accents ni de la casse.
    Search {
        /// Mots à chercher, par exemple « electricite » ou « nettoyage vitres ».
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        /// Nombre maximal de résultats.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Importe des fichiers DECP (1.x JSON, 2.0 JSON ou 2.0 XML, reconnus à leur contenu).
    /// Réimporter un fichier ne change rien ; une publication plus récente d'un contrat le
    /// met à jour. Les enregistrements refusés sont comptés et décrits, le reste est importé ;
    /// ce qui est corrigé pour garder un enregistrement est noté sur le contrat.
    Decp {
        /// Fichiers à importer.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Écrit chaque enregistrement refusé, avec ses raisons, dans ce fichier (JSON lines).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Écrit chaque enregistrement importé avec des corrections (code CPV complété, clé
        /// de SIRET fausse, libellé ancien…), avec chacune, dans ce fichier (JSON lines).
        #[arg(long)]
        repairs: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Les contrats au format DECP 2.0 (seuil de publication atteint, données complètes).
    /// Les contrats incomplets (importés du format 1.x) ne sont jamais publiés avec des
    /// valeurs inventées : la commande dit ce qui leur manque.
    Decp {
        #[arg(long, value_enum, default_value_t = DecpFormatArg::Json)]
        format: DecpFormatArg,
        /// Seulement les contrats de cet acheteur (SIRET).
        #[arg(long, value_parser = parse_siret)]
        buyer: Option<Siret>,
        /// Seulement les contrats notifiés depuis cette date (AAAA-MM-JJ).
        #[arg(long, value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Les contrats en paquet de publications OCDS 1.1.
    Ocds {
        /// Préfixe OCID.
        #[arg(long, default_value = "ocds-78apv2")]
        ocid_prefix: String,
        /// Seulement les contrats de cet acheteur (SIRET).
        #[arg(long, value_parser = parse_siret)]
        buyer: Option<Siret>,
        /// Adresse publique du paquet (exigée par OCDS).
        #[arg(
            long,
            default_value = "https://mutualis.invalid/ocds/release-package.json"
        )]
        uri: String,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecpFormatArg {
    Json,
    Xml,
}

fn parse_siret(s: &str) -> Result<Siret, String> {
    Siret::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Crée un compte. Le mot de passe est demandé au terminal, ou lu sur l'entrée standard.
    Add {
        /// SIREN de l'organisation du compte (une entreprise pour un fournisseur).
        #[arg(long, value_parser = parse_siren)]
        org: Siren,
        /// coordinator, member_buyer, approver, evaluator, supplier ou mediator.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Adresse électronique, qui sert d'identifiant.
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
}

fn parse_siren(s: &str) -> Result<Siren, String> {
    Siren::parse(s).map_err(|e| e.to_string())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_code(s).ok_or_else(|| AccountError::Role(s.to_owned()).to_string())
}

fn parse_email(s: &str) -> Result<Email, String> {
    Email::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// La procédure qu'appelle un achat : nature, montant estimé HT, acheteur, date de lancement.
    Procedure {
        /// Nature de l'achat.
        #[arg(long, value_enum)]
        nature: NatureArg,
        /// Montant estimé en euros HT, par exemple 60000 ou 59999,99.
        #[arg(long, value_parser = parse_amount)]
        amount: Amount,
        /// Type d'acheteur.
        #[arg(long, value_enum, default_value_t = BuyerArg::Collectivite)]
        buyer: BuyerArg,
        /// Date de lancement de la consultation (AAAA-MM-JJ) ; aujourd'hui par défaut.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Les règles en vigueur à une date, avec leur source.
    List {
        /// Date (AAAA-MM-JJ) ; aujourd'hui par défaut.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NatureArg {
    /// Travaux.
    Travaux,
    /// Fournitures et services.
    FournituresServices,
}

impl From<NatureArg> for Nature {
    fn from(n: NatureArg) -> Nature {
        match n {
            NatureArg::Travaux => Nature::Works,
            NatureArg::FournituresServices => Nature::SuppliesAndServices,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BuyerArg {
    /// Collectivité territoriale ou établissement local.
    Collectivite,
    /// État et ses établissements publics.
    Etat,
}

impl From<BuyerArg> for BuyerKind {
    fn from(b: BuyerArg) -> BuyerKind {
        match b {
            BuyerArg::Collectivite => BuyerKind::LocalAuthority,
            BuyerArg::Etat => BuyerKind::State,
        }
    }
}

fn parse_amount(s: &str) -> Result<Amount, String> {
    Amount::parse_euros(s).map_err(|e| e.to_string())
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("date « {s} » invalide : attendu AAAA-MM-JJ, par exemple 2026-04-01"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Texte lisible.
    Table,
    /// JSON, pour un script.
    Json,
}
