//! The coordinator's background jobs ("travaux"): the list, queued, running, done and failed
//! with their error, and each job's page, which follows a running job (refreshing itself while
//! it runs, without script) and gives its result when done: for a DECP import, the same
//! summary and rejected records as `mutualis import decp`. Only the territory's coordinator
//! sees jobs; anyone else asking for one gets 404.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use mutualis_app::jobs::JobSpec;
use mutualis_app::jobs::decp_import::{DecpImportResult, RejectedRecord};
use mutualis_import::ImportSummary;
use mutualis_storage::jobs::{Job, JobStatus};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::datetime_label;
use crate::session::SignedIn;

/// Jobs listed, the newest first.
const LISTED: u32 = 100;

/// How often a running job's page reloads itself, in seconds.
const REFRESH_SECONDS: u32 = 2;

/// One job as the pages show it.
struct JobView {
    id: i64,
    title: String,
    status: &'static str,
    /// `queued`, `running`, `done`, `failed`: the badge's class.
    status_code: &'static str,
    finished: bool,
    error: Option<String>,
    /// "essai 2 sur 3", once one has started.
    attempts: Option<String>,
    created: String,
    created_by: String,
    started: Option<String>,
    finished_at: Option<String>,
    /// A queued job waiting for its retry: when.
    retry_at: Option<String>,
    progress: Option<ProgressView>,
}

struct ProgressView {
    value: i64,
    max: i64,
    text: String,
}

impl JobView {
    fn new(job: &Job) -> JobView {
        let spec = JobSpec::parse(&job.kind, &job.payload);
        let title = match &spec {
            Ok(JobSpec::DecpImport(import)) => format!("Import DECP : {}", import.file_name),
            Err(_) => format!("Travail « {} »", job.kind),
        };
        let (status, status_code) = match job.status {
            JobStatus::Queued => ("En attente", "queued"),
            JobStatus::Running => ("En cours", "running"),
            JobStatus::Done => ("Terminé", "done"),
            JobStatus::Failed => ("Échec", "failed"),
        };
        let retry_at = (job.status == JobStatus::Queued && job.attempts > 0)
            .then(|| datetime_label(job.run_after));
        let progress = match (job.status, job.progress.total) {
            (JobStatus::Running, Some(total)) if total > 0 => {
                let done = job.progress.done.clamp(0, total);
                let percent = done * 100 / total;
                Some(ProgressView {
                    value: done,
                    max: total,
                    text: format!(
                        "{percent} % du fichier lu ({} sur {})",
                        size_label(done),
                        size_label(total)
                    ),
                })
            }
            _ => None,
        };
        JobView {
            id: job.id,
            title,
            status,
            status_code,
            finished: job.status.is_finished(),
            error: job.error.as_deref().map(sentence),
            attempts: (job.attempts > 0)
                .then(|| format!("essai {} sur {}", job.attempts, job.max_attempts)),
            created: datetime_label(job.created_at),
            created_by: job
                .created_by_email
                .clone()
                .unwrap_or_else(|| "la plateforme".into()),
            started: job.started_at.map(datetime_label),
            finished_at: job.finished_at.map(datetime_label),
            retry_at,
            progress,
        }
    }
}

/// An error as a sentence: its first letter in capitals (the reader's errors start in lower
/// case, to follow a file name on the command line).
fn sentence(error: &str) -> String {
    let mut chars = error.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "12,3 Mio", "850 Kio", "12 octets".
fn size_label(bytes: i64) -> String {
    let b = bytes as f64;
    let (value, unit) = if bytes >= 1 << 20 {
        (b / f64::from(1 << 20), "Mio")
    } else if bytes >= 1 << 10 {
        (b / f64::from(1 << 10), "Kio")
    } else {
        return format!("{bytes} octets");
    };
    format!("{value:.1} {unit}").replace('.', ",")
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    layout: Layout,
    jobs: Vec<JobView>,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    layout: Layout,
    job: JobView,
    /// Reloads itself while the job is not finished, unless asked not to.
    refreshing: bool,
    refresh_seconds: u32,
    /// A DECP import's result.
    summary: Option<ImportSummary>,
    file_name: String,
    rejects: Vec<RejectedRecord>,
}

impl JobPage {
    /// The rejected records per reason, in French.
    fn reasons(&self) -> Vec<(&str, usize)> {
        self.summary
            .as_ref()
            .map(ImportSummary::rejected_by_reason_fr)
            .unwrap_or_default()
    }

    /// The repaired records per repair, in French.
    fn repairs(&self) -> Vec<(&str, usize)> {
        self.summary
            .as_ref()
            .map(ImportSummary::repaired_by_kind_fr)
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct JobQuery {
    /// `non`: the page does not reload itself.
    actualiser: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    let jobs = mutualis_app::jobs::visible_jobs(&state, &user.principal, LISTED)
        .await
        .map_err(|e| user.error(e))?;
    let page = JobsPage {
        layout: user.layout(),
        jobs: jobs.iter().map(JobView::new).collect(),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<JobQuery>,
) -> Result<Response, WebError> {
    // Jobs are the coordinator's: for anyone else, no job exists.
    let id = id
        .parse::<i64>()
        .map_err(|_| user.error(WebError::not_found()))?;
    let job = mutualis_app::jobs::visible_job(&state, &user.principal, id)
        .await
        .map_err(|e| user.error(e))?;
    let view = JobView::new(&job);
    let refreshing = !view.finished && query.actualiser.as_deref() != Some("non");
    let mut page = JobPage {
        layout: user.layout(),
        job: view,
        refreshing,
        refresh_seconds: REFRESH_SECONDS,
        summary: None,
        file_name: String::new(),
        rejects: Vec::new(),
    };
    if let Ok(JobSpec::DecpImport(import)) = JobSpec::parse(&job.kind, &job.payload) {
        page.file_name = import.file_name;
    }
    if job.status == JobStatus::Done
        && let Some(result) = job.result.as_deref().and_then(DecpImportResult::parse)
    {
        page.summary = Some(result.summary());
        page.rejects = result.rejects;
    }
    let mut response = Html(page.render()?).into_response();
    if refreshing {
        // The HTTP header rather than `<meta http-equiv="refresh">`, which accessibility
        // checkers flag (WCAG 2.2.1) whatever the page offers; the page links to itself
        // without refreshing, for whoever wants it still.
        response.headers_mut().insert(
            HeaderName::from_static("refresh"),
            HeaderValue::from(REFRESH_SECONDS),
        );
    }
    Ok(response)
}
