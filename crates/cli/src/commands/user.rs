use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use mutualis_app::{App, AppError, accounts};
use mutualis_domain::{Email, Role, Siren};
use mutualis_storage::Database;

use crate::config::Global;

/// `mutualis user add`: one account, its password typed twice at a prompt, or read from the
/// first line of standard input when it is not a terminal (for scripts).
pub async fn add(global: &Global, org: &Siren, role: Role, email: &Email) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let app = App::new(db.clone(), global.territory.clone());
    let in_database = |e: AppError| match e {
        AppError::Invalid(message) => anyhow::anyhow!("{message} (base {})", global.database_url),
        other => other.into(),
    };
    // The organisation is checked before the password is asked.
    accounts::account_organisation(&app, org)
        .await
        .map_err(in_database)?;
    let password = read_password()?;
    let created = accounts::create_account(&app, org, email, role, password)
        .await
        .map_err(in_database)?;
    println!(
        "Compte créé : {email} ({}, {}).",
        role.label_fr(),
        created.organisation_name
    );
    db.close().await;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Mot de passe : ")?;
        let second = rpassword::prompt_password("Mot de passe (confirmation) : ")?;
        if first != second {
            bail!("les deux mots de passe saisis diffèrent");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("lecture du mot de passe sur l'entrée standard")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
