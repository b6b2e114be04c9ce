//! The command line and the environment, read in one place.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
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

    /// Territoire présenté (dossier de data/territories).
    #[arg(long, global = true, env = "MUTUALIS_TERRITORY", default_value = mutualis_reference::territory::GRENOBLE_SLUG)]
    pub territory: String,
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
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Charge le territoire de démonstration (idempotent : relancer ne change rien).
    #[arg(long)]
    pub demo: bool,
    /// Adresse d'écoute.
    #[arg(long, env = "MUTUALIS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Texte lisible.
    Table,
    /// JSON, pour un script.
    Json,
}
