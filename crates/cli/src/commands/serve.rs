use anyhow::Context;
use mutualis_storage::Database;
use mutualis_web::AppState;
use tokio::net::TcpListener;

use crate::commands::territory;
use crate::config::{Global, ServeArgs};

/// Opens (and migrates) the database, seeds the demo when asked, and serves.
pub async fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    tracing::info!(database = %global.database_url, backend = %db.backend(), "database ready");
    if args.demo {
        let territory = territory::shipped(global)?;
        let report = db.upsert_territory(&territory).await?;
        println!(
            "Démonstration : territoire {} ({} organisations) — {} créée(s), {} mise(s) à jour, {} inchangée(s).",
            territory.lead.name,
            territory.members.len() + 1,
            report.created,
            report.updated,
            report.unchanged
        );
    }
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Mutualis est prêt : ouvrez http://{addr}/ (Ctrl-C pour arrêter)");
    mutualis_web::serve(
        listener,
        AppState {
            db: db.clone(),
            territory_slug: global.territory.clone(),
        },
    )
    .await
    .context("le serveur web s'est arrêté sur une erreur")?;
    db.close().await;
    Ok(())
}
