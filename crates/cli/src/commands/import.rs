//! `mutualis import decp FILE…`: a summary per file, rejected records to a JSON-lines file,
//! a progress bar on a terminal.

use mutualis_app::{Clock, SystemClock};
use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use mutualis_formats::decp_read::Rejection;
use mutualis_import::{ImportSummary, import_decp_alone};
use mutualis_storage::Database;
use serde::Serialize;

use crate::config::{Format, Global};

/// A reader that moves a progress bar by the bytes read.
struct Progress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// One line of the rejects file.
#[derive(Serialize)]
struct RejectLine<'a> {
    file: &'a str,
    index: usize,
    id: Option<&'a str>,
    field: &'a str,
    value: &'a str,
    reason: &'a str,
    message: String,
    record: &'a serde_json::Value,
}

#[derive(Serialize)]
struct FileSummary<'a> {
    file: &'a str,
    #[serde(flatten)]
    summary: Option<&'a ImportSummary>,
    error: Option<String>,
}

pub async fn decp(
    global: &Global,
    files: &[std::path::PathBuf],
    format: Format,
    rejects: Option<&Path>,
) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let mut rejects_out = match rejects {
        Some(path) => Some(BufWriter::new(File::create(path).with_context(|| {
            format!(
                "impossible de créer le fichier des rejets « {} »",
                path.display()
            )
        })?)),
        None => None,
    };
    let mut results = Vec::new();
    let mut unusable = 0;
    for path in files {
        let name = path.display().to_string();
        let outcome = import_file(&db, path, &name, rejects_out.as_mut()).await;
        if outcome.is_err() {
            unusable += 1;
        }
        results.push((name, outcome));
    }
    if let Some(out) = rejects_out.as_mut() {
        out.flush().context("écriture du fichier des rejets")?;
    }
    db.close().await;

    let mut text = String::new();
    match format {
        Format::Json => {
            let json: Vec<FileSummary> = results
                .iter()
                .map(|(file, r)| FileSummary {
                    file,
                    summary: r.as_ref().ok(),
                    error: r.as_ref().err().map(|e| format!("{e:#}")),
                })
                .collect();
            text.push_str(&serde_json::to_string_pretty(&json)?);
            text.push('\n');
        }
        Format::Table => {
            for (file, r) in &results {
                match r {
                    Ok(s) => text.push_str(&summary_text(file, s)),
                    Err(e) => text.push_str(&format!("{file} : fichier inutilisable — {e:#}\n")),
                }
            }
        }
    }
    super::emit(&text)?;
    if unusable > 0 {
        anyhow::bail!(
            "{unusable} fichier(s) sur {} n'ont pas pu être lus",
            files.len()
        );
    }
    Ok(())
}

/// The summary of one file, in French.
pub fn summary_text(file: &str, s: &ImportSummary) -> String {
    let mut text = format!(
        "{file} ({}) : {} lus, {} créés, {} mis à jour, {} inchangés, {} rejetés\n",
        s.format, s.read, s.created, s.updated, s.unchanged, s.rejected
    );
    if !s.rejected_by_reason.is_empty() {
        let reasons: Vec<String> = s
            .rejected_by_reason_fr()
            .into_iter()
            .map(|(reason, n)| format!("{reason} : {n}"))
            .collect();
        text.push_str(&format!("  rejets par raison : {}\n", reasons.join(" ; ")));
    }
    text
}

async fn import_file(
    db: &Database,
    path: &Path,
    name: &str,
    rejects: Option<&mut BufWriter<File>>,
) -> anyhow::Result<ImportSummary> {
    let file = File::open(path).with_context(|| format!("impossible d'ouvrir « {name} »"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(name.to_owned());
        bar
    } else {
        ProgressBar::hidden()
    };
    let reader = BufReader::with_capacity(
        1 << 20,
        Progress {
            inner: file,
            bar: bar.clone(),
        },
    );
    let mut rejects = rejects;
    let mut write_error = None;
    let summary = import_decp_alone(db, reader, SystemClock.now(), |rejection: &Rejection| {
        if let Some(out) = rejects.as_mut() {
            let line = RejectLine {
                file: name,
                index: rejection.index,
                id: rejection.id.as_deref(),
                field: &rejection.field,
                value: &rejection.value,
                reason: rejection.reason.code(),
                message: rejection.detail.clone(),
                record: &rejection.record,
            };
            let written = serde_json::to_writer(&mut **out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(e) = written {
                write_error.get_or_insert(e);
            }
        }
    })
    .await;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e).context("écriture du fichier des rejets");
    }
    Ok(summary?)
}
