//! The DECP upload as a background job: the page answers at once with the job's progress page,
//! the worker imports the file, the page then shows the summary; the coordinator's list of
//! jobs; nobody else sees a job. On both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::TimeDelta;
use common::{App, COORDINATOR, GRENOBLE_BUYER, text};
use mutualis_app::Clock;
use mutualis_app::jobs::JobSpec;
use mutualis_storage::jobs::{JobProgress, JobStatus};
use mutualis_test_db::{TestDb, each_backend};

/// A whole real DECP file of 2019 (`tests/data/decp-2019/SOURCES.md`).
const REAL_FILE: &[u8] = include_bytes!("../../../tests/data/decp-2019/data.gouv.fr_pes.json");

/// The summary's figures on a page, as (label, value).
fn figures(html: &str) -> Vec<(String, usize)> {
    let section = html
        .split("aria-labelledby=\"bilan\"")
        .nth(1)
        .unwrap_or_else(|| panic!("a summary in {html}"));
    section
        .split("</dl>")
        .next()
        .unwrap()
        .split("<dt>")
        .skip(1)
        .map(|item| {
            let (label, rest) = item.split_once("</dt><dd>").unwrap();
            let value = rest.split("</dd>").next().unwrap();
            (label.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn job_id(location: &str) -> i64 {
    location.strip_prefix("/travaux/").unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_upload_answers_at_once_and_its_page_shows_the_import_once_the_worker_ran_it() {
    // What `mutualis import decp` makes of the file on a fresh database.
    let reference = TestDb::sqlite().await;
    let expected = mutualis_import::import_decp(
        &reference.db,
        std::io::Cursor::new(REAL_FILE),
        mutualis_app::SystemClock.now(),
        |_| {},
    )
    .await
    .unwrap();
    reference.drop_db().await;
    assert!(
        expected.read > 1_000 && expected.rejected > 0,
        "{expected:?}"
    );

    each_backend(|db| {
        let expected = expected.clone();
        async move {
            let app = App::new(db).await;
            let cookie = app.sign_in(COORDINATOR).await;

            // The upload answers before any worker ran: a 303 to the job's page.
            let queued = app
                .upload_decp(&cookie, "data.gouv.fr_pes.json", REAL_FILE)
                .await;
            assert_eq!(queued.status, StatusCode::SEE_OTHER, "{}", queued.body);
            let location = queued.header("location");
            let id = job_id(&location);
            let job = app.db.job(id).await.unwrap().unwrap();
            assert_eq!(job.status, JobStatus::Queued);
            assert_eq!(job.kind, "decp_import");
            let Ok(JobSpec::DecpImport(import)) = JobSpec::parse(&job.kind, &job.payload) else {
                panic!("{job:?}");
            };
            assert_eq!(import.size, REAL_FILE.len() as u64);
            let upload = app.uploads.path(&import.upload).unwrap();
            assert_eq!(std::fs::read(&upload).unwrap(), REAL_FILE, "streamed whole");
            let contracts = app.get("/contrats", Some(&cookie)).await;
            assert!(
                contracts.body.contains("0 contrat(s)"),
                "nothing imported yet"
            );

            // Its page says it waits, and reloads itself.
            let waiting = app.get(&location, Some(&cookie)).await;
            assert_eq!(waiting.status, StatusCode::OK);
            assert_eq!(waiting.header("refresh"), "2");
            let body = text(&waiting.body);
            assert!(
                body.contains("<h1>Import DECP : data.gouv.fr_pes.json</h1>"),
                "{body}"
            );
            assert!(body.contains("<dd id=\"etat\">En attente</dd>"), "{body}");
            assert!(body.contains("?actualiser=non"), "{body}");
            // Asked not to reload itself, it does not.
            let still = app
                .get(&format!("{location}?actualiser=non"), Some(&cookie))
                .await;
            assert_eq!(still.header("refresh"), "");

            // The worker runs it: the page shows the summary, as the command line's.
            assert_eq!(app.run_jobs().await, 1);
            let done = app.get(&location, Some(&cookie)).await;
            assert_eq!(done.status, StatusCode::OK);
            assert_eq!(
                done.header("refresh"),
                "",
                "a finished job's page stays still"
            );
            assert!(
                done.body.contains("<dd id=\"etat\">Terminé</dd>"),
                "{}",
                done.body
            );
            assert_eq!(
                figures(&done.body),
                [
                    ("Lus", expected.read),
                    ("Créés", expected.created),
                    ("Mis à jour", expected.updated),
                    ("Inchangés", expected.unchanged),
                    ("Rejetés", expected.rejected),
                    ("Corrigés", expected.repaired),
                ]
                .map(|(l, n)| (l.to_owned(), n))
            );
            let listed = done.body.split("<tbody>").nth(1).unwrap();
            assert_eq!(
                listed
                    .split("</tbody>")
                    .next()
                    .unwrap()
                    .matches("<tr>")
                    .count(),
                expected.rejected.min(200),
                "the rejected records listed, as many as the page showed before"
            );
            assert!(expected.repaired > 0, "{expected:?}");
            for (repair, n) in expected.repaired_by_kind_fr() {
                assert!(
                    text(&done.body).contains(&format!("{repair} : {n}")),
                    "{repair}"
                );
            }
            for (reason, n) in expected.rejected_by_reason_fr() {
                assert!(
                    text(&done.body).contains(&format!("{reason} : {n}")),
                    "{reason}"
                );
            }
            let job = app.db.job(id).await.unwrap().unwrap();
            assert_eq!(job.status, JobStatus::Done);
            assert_eq!(job.attempts, 1);
            assert_eq!(
                job.progress,
                JobProgress {
                    done: REAL_FILE.len() as i64,
                    total: Some(REAL_FILE.len() as i64)
                },
                "the whole file read"
            );
            assert!(!upload.exists(), "the upload deleted once imported");
            let contracts = app.get("/contrats", Some(&cookie)).await;
            assert!(
                contracts
                    .body
                    .contains(&format!("{} contrat(s)", expected.created)),
                "the contracts are there"
            );

            // The list of jobs shows it done.
            let list = app.get("/travaux", Some(&cookie)).await;
            assert_eq!(list.status, StatusCode::OK);
            assert!(
                text(&list.body).contains(&format!(
                    "<a href=\"/travaux/{id}\">n° {id} — Import DECP : data.gouv.fr_pes.json</a>"
                )),
                "{}",
                list.body
            );
            assert!(list.body.contains("<td>Terminé</td>"), "{}", list.body);
        }
    })
    .await;
}

#[tokio::test]
async fn the_page_follows_a_running_job_its_retries_and_its_failure() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(COORDINATOR).await;
        let queued = app.upload_decp(&cookie, "isere.json", common::ISERE).await;
        let location = queued.header("location");

        // Another worker holds it, halfway through the file.
        let now = app.clock.now();
        let (_, lease) = app
            .db
            .claim_job("autre", JobSpec::KINDS, now, TimeDelta::seconds(60))
            .await
            .unwrap()
            .unwrap();
        let total = common::ISERE.len() as i64;
        let halfway = JobProgress {
            done: total / 2,
            total: Some(total),
        };
        assert!(
            app.db
                .renew_job_lease(&lease, halfway, now, TimeDelta::seconds(60))
                .await
                .unwrap()
        );
        let running = app.get(&location, Some(&cookie)).await;
        assert_eq!(running.header("refresh"), "2");
        assert!(running.body.contains("<dd id=\"etat\">En cours</dd>"));
        assert!(
            running.body.contains(&format!(
                "<progress id=\"progression\" max=\"{total}\" value=\"{}\">",
                total / 2
            )),
            "{}",
            running.body
        );
        let percent = (total / 2) * 100 / total;
        assert!(
            running.body.contains(&format!("{percent} % du fichier lu")),
            "{}",
            running.body
        );
        assert_eq!(app.run_jobs().await, 0, "held by the other worker");

        // Its attempt fails on a passing error: queued again, the page says when.
        let retry_at = now + TimeDelta::seconds(30);
        app.db
            .fail_job_attempt(&lease, "Base injoignable.", Some(retry_at), now)
            .await
            .unwrap();
        let waiting = app.get(&location, Some(&cookie)).await;
        assert!(waiting.body.contains("<dd id=\"etat\">En attente</dd>"));
        assert!(
            waiting
                .body
                .contains("Le dernier essai a échoué : Base injoignable.")
        );
        assert!(
            waiting.body.contains("Un nouvel essai est prévu"),
            "{}",
            waiting.body
        );
        assert_eq!(app.run_jobs().await, 0, "not before its time");
        // Then the clock moves past its delay, and a worker runs it.
        app.clock.advance(TimeDelta::seconds(31));
        assert_eq!(app.run_jobs().await, 1);
        let done = app.get(&location, Some(&cookie)).await;
        assert!(
            done.body.contains("<dd>essai 2 sur 3</dd>"),
            "{}",
            done.body
        );
        assert!(
            done.body.contains("<dt>Lus</dt><dd>220</dd>"),
            "{}",
            done.body
        );

        // A file that is not DECP fails at once, for good, with the reader's error.
        let garbage = app
            .upload_decp(&cookie, "notes.txt", b"pas un fichier DECP")
            .await;
        let failed_id = job_id(&garbage.header("location"));
        assert_eq!(app.run_jobs().await, 1);
        let failed = app.get(&garbage.header("location"), Some(&cookie)).await;
        assert!(failed.body.contains("<dd id=\"etat\">Échec</dd>"));
        let job = app.db.job(failed_id).await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1));
        let error = job.error.unwrap();
        assert!(
            error.starts_with("le fichier n'est ni du JSON ni du XML"),
            "{error}"
        );
        let error = error.replacen('l', "L", 1);
        assert!(
            text(&failed.body).contains(&error),
            "{error} in {}",
            failed.body
        );
        let list = text(&app.get("/travaux", Some(&cookie)).await.body);
        assert!(list.contains(&format!("Échec : {error}")), "{list}");
    })
    .await;
}

#[tokio::test]
async fn only_the_coordinator_sees_jobs() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let queued = app
            .upload_decp(&coordinator, "isere.json", common::ISERE)
            .await;
        let location = queued.header("location");
        let member = app.sign_in(GRENOBLE_BUYER).await;
        let page = app.get(&location, Some(&member)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(!page.body.contains("isere.json"));
        assert_eq!(
            app.get("/travaux", Some(&member)).await.status,
            StatusCode::FORBIDDEN
        );
        for missing in ["/travaux/999999", "/travaux/abc"] {
            assert_eq!(
                app.get(missing, Some(&coordinator)).await.status,
                StatusCode::NOT_FOUND
            );
        }
        let anonymous = app.get(&location, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    })
    .await;
}
