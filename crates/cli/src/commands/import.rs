//! `mutualis import decp FILE…`: a summary per file, rejected records and repaired records to
//! JSON-lines files, a progress bar on a terminal.

use mutualis_app::{Clock, SystemClock};
use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use mutualis_formats::decp_read::Rejection;
use mutualis_import::{ImportSummary, LoadMode, RepairedRecord, import_decp_noting};
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

/// One line of the repairs file: a record imported with repairs.
#[derive(Serialize)]
struct RepairedLine<'a> {
    file: &'a str,
    index: usize,
    id: &'a str,
    buyer: &'a str,
    repairs: Vec<RepairItem<'a>>,
}

#[derive(Serialize)]
struct RepairItem<'a> {
    kind: &'static str,
    field: &'a str,
    published: &'a str,
    kept: Option<&'a str>,
    message: &'a str,
}

/// Where the JSON lines go.
type Lines = BufWriter<File>;

fn create_lines(path: Option<&Path>, what: &str) -> anyhow::Result<Option<Lines>> {
    path.map(|path| {
        File::create(path).map(BufWriter::new).with_context(|| {
            format!(
                "impossible de créer le fichier {what} « {} »",
                path.display()
            )
        })
    })
    .transpose()
}

/// Writes `line` and a line end; the first error is kept in `error`.
fn write_line(out: &mut Lines, line: &impl Serialize, error: &mut Option<std::io::Error>) {
    let written = serde_json::to_writer(&mut *out, line)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written {
        error.get_or_insert(e);
    }
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
    repairs: Option<&Path>,
) -> anyhow::Result<()> {
    let db = Database::open_alone(&global.database_url).await?;
    let mut rejects_out = create_lines(rejects, "des rejets")?;
    let mut repairs_out = create_lines(repairs, "des corrections")?;
    let mut results = Vec::new();
    let mut unusable = 0;
    for path in files {
        let name = path.display().to_string();
        let outcome =
            import_file(&db, path, &name, rejects_out.as_mut(), repairs_out.as_mut()).await;
        if outcome.is_err() {
            unusable += 1;
        }
        results.push((name, outcome));
    }
    if let Some(out) = rejects_out.as_mut() {
        out.flush().context("écriture du fichier des rejets")?;
    }
    if let Some(out) = repairs_out.as_mut() {
        out.flush().context("écriture du fichier des corrections")?;
    }
    // An amount is judged against all the stored ones: the flags are computed again over
    // every contract once something changed.
    let changed = results
        .iter()
        .any(|(_, r)| r.as_ref().is_ok_and(|s| s.created + s.updated > 0));
    let flags = if changed {
        let started = std::time::Instant::now();
        let flags = mutualis_app::plausibility::recompute_flags(&db)
            .await
            .context("contrôle de plausibilité")?;
        tracing::info!(target: "timings", contracts = flags.contracts, "plausibility flags in {:?}", started.elapsed());
        Some(flags)
    } else {
        None
    };
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
            if let Some(flags) = &flags {
                text.push_str(&flags.sentence());
                text.push('\n');
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
        "{file} ({}) : {} lus, {} créés, {} mis à jour, {} inchangés, {} rejetés, {} corrigés\n",
        s.format, s.read, s.created, s.updated, s.unchanged, s.rejected, s.repaired
    );
    if !s.repaired_by_kind.is_empty() {
        let kinds: Vec<String> = s
            .repaired_by_kind_fr()
            .into_iter()
            .map(|(kind, n)| format!("{kind} : {n}"))
            .collect();
        text.push_str(&format!("  corrections : {}\n", kinds.join(" ; ")));
    }
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
    rejects: Option<&mut Lines>,
    repairs: Option<&mut Lines>,
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
    let (mut rejects, mut repairs) = (rejects, repairs);
    let mut reject_error = None;
    let mut repair_error = None;
    let summary = import_decp_noting(
        db,
        reader,
        SystemClock.now(),
        LoadMode::BulkWhenEmpty,
        |rejection: &Rejection| {
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
                write_line(out, &line, &mut reject_error);
            }
        },
        |repaired: &RepairedRecord| {
            if let Some(out) = repairs.as_mut() {
                let line = RepairedLine {
                    file: name,
                    index: repaired.index,
                    id: &repaired.id,
                    buyer: &repaired.buyer,
                    repairs: repaired
                        .repairs
                        .iter()
                        .map(|r| RepairItem {
                            kind: r.kind.code(),
                            field: &r.field,
                            published: &r.published,
                            kept: r.kept.as_deref(),
                            message: &r.note,
                        })
                        .collect(),
                };
                write_line(out, &line, &mut repair_error);
            }
        },
    )
    .await;
    bar.finish_and_clear();
    if let Some(e) = reject_error {
        return Err(e).context("écriture du fichier des rejets");
    }
    if let Some(e) = repair_error {
        return Err(e).context("écriture du fichier des corrections");
    }
    Ok(summary?)
}
