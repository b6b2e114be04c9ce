use anyhow::Context;
use mutualis_storage::Database;
use mutualis_web::{AppState, WebConfig};
use tokio::net::TcpListener;

use crate::commands::{demo, territory, worker};
use crate::config::{Global, ServeArgs};

/// Opens (and migrates) the database, seeds the demo when asked, starts the background jobs'
/// worker (unless `--no-worker`), and serves until Ctrl-C or SIGTERM, then stops the worker.
pub async fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    tracing::info!(database = %global.database_url, backend = %db.backend(), "database ready");
    if args.demo {
        demo::seed(&db, &territory::shipped(global)?).await?;
    }
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", args.bind))?;
    let addr = listener.local_addr()?;
    let uploads = worker::uploads(global, &args.data);
    let running = (!args.no_worker).then(|| worker::Running::start(db.clone(), uploads.clone()));
    println!("Mutualis est prêt : ouvrez http://{addr}/ (Ctrl-C pour arrêter)");
    let served = mutualis_web::serve(
        listener,
        AppState {
            app: mutualis_app::App {
                default_as_of: args.demo.then_some(demo::DATA_AS_OF),
                default_depth: args.demo.then_some(demo::DATA_DEPTH),
                ..mutualis_app::App::new(db.clone(), global.territory.clone())
            },
            demo: args.demo,
            config: WebConfig {
                cookie_secure: !args.insecure_cookies,
                trusted_proxy: args.trusted_proxy,
                ..WebConfig::default()
            },
            uploads,
        },
    )
    .await
    .context("le serveur web s'est arrêté sur une erreur");
    if let Some(running) = running {
        running.stop().await;
    }
    served?;
    db.close().await;
    Ok(())
}
