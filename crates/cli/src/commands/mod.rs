//! One module per command. Each returns `anyhow::Result` with a French message naming the
//! value at fault and what was expected.

mod audit;
mod consultation;
mod cpv;
mod db;
mod demo;
mod export;
mod import;
mod opportunities;
mod rules;
mod serve;
mod territory;
mod user;
mod worker;

use crate::config::{
    AuditCommand, Cli, Command, ConsultationCommand, CpvCommand, DbCommand, ExportCommand,
    ImportCommand, RulesCommand, TerritoryCommand, UserCommand,
};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global, &args).await,
        Command::Db(DbCommand::Migrate) => db::migrate(&cli.global).await,
        Command::Consultation(ConsultationCommand::List { format }) => {
            consultation::list(&cli.global, format).await
        }
        Command::Consultation(ConsultationCommand::Show { id, format }) => {
            consultation::show(&cli.global, id, format).await
        }
        Command::Territory(TerritoryCommand::Show { format }) => {
            territory::show(&cli.global, format)
        }
        Command::Cpv(CpvCommand::Show { code, format }) => cpv::show(&code, format),
        Command::Cpv(CpvCommand::Search {
            text,
            limit,
            format,
        }) => cpv::search(&text.join(" "), limit, format),
        Command::Rules(RulesCommand::Procedure {
            nature,
            amount,
            buyer,
            date,
            format,
        }) => rules::procedure(nature.into(), amount, buyer.into(), date, format),
        Command::Rules(RulesCommand::List { date, format }) => rules::list(date, format),
        Command::Import(ImportCommand::Decp {
            files,
            format,
            rejects,
            repairs,
        }) => {
            import::decp(
                &cli.global,
                &files,
                format,
                rejects.as_deref(),
                repairs.as_deref(),
            )
            .await
        }
        Command::Export(ExportCommand::Decp {
            format,
            buyer,
            since,
            out,
        }) => export::decp(&cli.global, format, buyer.as_ref(), since, out.as_deref()).await,
        Command::Export(ExportCommand::Ocds {
            ocid_prefix,
            buyer,
            uri,
            out,
        }) => {
            export::ocds(
                &cli.global,
                &ocid_prefix,
                buyer.as_ref(),
                &uri,
                out.as_deref(),
            )
            .await
        }
        Command::Opportunities(args) => opportunities::run(&cli.global, &args).await,
        Command::User(UserCommand::Add { org, role, email }) => {
            user::add(&cli.global, &org, role, &email).await
        }
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(&cli.global, &args).await,
        Command::Worker(args) => worker::run(&cli.global, &args).await,
    }
}

/// Writes a command's output to stdout. A closed pipe (`mutualis cpv search x | head`) ends
/// the output quietly, as it does for other command-line tools.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
