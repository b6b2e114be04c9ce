use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use chrono::Utc;
use mutualis_domain::{Email, PasswordPolicy, Role, Siren};
use mutualis_storage::Database;
use mutualis_storage::credentials::hash_password;

use crate::config::Global;

/// `mutualis user add`: one account, its password typed twice at a prompt, or read from the
/// first line of standard input when it is not a terminal (for scripts).
pub async fn add(global: &Global, org: &Siren, role: Role, email: &Email) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let Some(organisation) = db.organisation_by_siren(org).await? else {
        bail!(
            "organisation de SIREN {org} inconnue dans la base {} : chargez d'abord le territoire (mutualis serve --demo) ou l'organisation",
            global.database_url
        );
    };
    let password = read_password()?;
    PasswordPolicy::check(&password)?;
    let hash = hash_password(&password)?;
    db.create_user(organisation.id, email, role, &hash, Utc::now())
        .await?;
    println!(
        "Compte créé : {email} ({}, {}).",
        role.label_fr(),
        organisation.organisation.name
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
