use anyhow::Context;
use mutualis_storage::Database;

use crate::config::Global;

/// Applies the missing migrations and says which are in place.
pub async fn migrate(global: &Global) -> anyhow::Result<()> {
    let db = Database::connect(&global.database_url).await?;
    let before = db.applied_migrations().await.unwrap_or_default().len();
    db.migrate()
        .await
        .with_context(|| format!("base {}", global.database_url))?;
    let applied = db.applied_migrations().await?;
    println!(
        "Base {} ({}) : {} migration(s) appliquée(s), {} au total.",
        global.database_url,
        db.backend(),
        applied.len() - before.min(applied.len()),
        applied.len()
    );
    db.close().await;
    Ok(())
}
