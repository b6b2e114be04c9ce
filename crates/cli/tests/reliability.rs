//! The `mutualis` process under abuse: killed with SIGKILL in the middle of an import and of
//! groupement actions (on SQLite, and on PostgreSQL when `MUTUALIS_TEST_POSTGRES_URL` is set),
//! and sent upload bombs while another user keeps working. What must hold each time: nothing
//! half-written, the audit chain intact, the work done again giving the clean result, every
//! bomb refused with its limit named, the server's peak memory under 300 MB and every other
//! request answered.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Server, stderr, stdout};
use mutualis_storage::Database;
use mutualis_test_db::TestDb;

/// What the server may hold at its peak, bombs included.
const PEAK_MEMORY_LIMIT: u64 = 300 * 1024 * 1024;

const ISERE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/decp/isere_extract_2019.json"
);

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A fresh migrated database of each backend: SQLite always, PostgreSQL when configured (the
/// skip is said on the terminal).
fn backends() -> Vec<TestDb> {
    let mut dbs = vec![block_on(TestDb::sqlite())];
    match block_on(TestDb::postgres()) {
        Some(pg) => dbs.push(pg),
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL crash tests SKIPPED ({} is not set)",
                mutualis_test_db::POSTGRES_ENV
            );
        }
    }
    dbs
}

/// One integer a query answers, on either backend.
fn count(db: &Database, sql: &str) -> i64 {
    block_on(async {
        match db {
            Database::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await,
            Database::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await,
        }
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows of three texts, on either backend.
fn rows(db: &Database, sql: &str) -> Vec<(String, String, String)> {
    block_on(async {
        match db {
            Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// SQLite's own check of the file: pages, indexes and constraints.
fn assert_sqlite_intact(db: &Database) {
    if let Database::Sqlite(pool) = db {
        let check: Vec<String> =
            block_on(sqlx::query_scalar("PRAGMA integrity_check").fetch_all(pool)).unwrap();
        assert_eq!(check, ["ok"]);
        let fk: Vec<(String, i64, String, i64)> =
            block_on(sqlx::query_as("PRAGMA foreign_key_check").fetch_all(pool)).unwrap();
        assert!(fk.is_empty(), "{fk:?}");
    }
}

/// On PostgreSQL, the five foreign keys of the contracts and their suppliers are there.
fn assert_foreign_keys(db: &Database) {
    if let Database::Postgres(_) = db {
        let keys = count(
            db,
            "SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'f' AND t.relname IN ('contracts', 'contract_suppliers')",
        );
        assert_eq!(keys, 5);
    }
}

/// A line on the terminal, past the test harness's capture: what a run measured.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "note: {line}");
}

fn audit_verify(url: &str) {
    let out = common::mutualis(&["audit", "verify", "--database-url", url]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("chaîne intègre"), "{}", stdout(&out));
}

// ---------------------------------------------------------------------------------------------
// SIGKILL during an import

/// The Isère records `copies` times over, each copy's ids made its own (the copy's number
/// before the id: a number after it would be read as a DECP 1.x sequence number, the copies
/// as publications of one contract): a file whose import commits several times (every 10,000
/// contracts) into a database that holds contracts.
fn many_contracts(copies: usize) -> tempfile_path::TempPath {
    let isere: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ISERE).unwrap()).unwrap();
    let records = isere["marches"].as_array().unwrap();
    let mut all = Vec::with_capacity(records.len() * copies);
    for copy in 0..copies {
        for record in records {
            let mut record = record.clone();
            if let Some(id) = record["id"].as_str() {
                record["id"] = format!("{copy}-{id}").into();
            }
            all.push(record);
        }
    }
    let path = tempfile_path::TempPath::new("json");
    std::fs::write(
        &path.0,
        serde_json::to_vec(&serde_json::json!({ "marches": all })).unwrap(),
    )
    .unwrap();
    path
}

/// Every stored contract by its key, with its content hash.
const CONTRACTS: &str = "SELECT buyer_siret, decp_id, content_hash FROM contracts";

/// Rows in one order, whatever the backend's collation.
fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}

fn import(file: &str, url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mutualis"))
        .args(["import", "decp", file, "--database-url", url])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_kill_during_an_import_leaves_whole_batches_and_the_import_again_completes_it() {
    let file = many_contracts(160);
    let file = file.0.to_str().unwrap();
    // The clean result: the Isère file, then the big one, imported without interruption.
    // The Isère file first, so that the big one is not a bulk load into an empty database,
    // which commits once (below).
    let clean = block_on(TestDb::sqlite());
    for f in [ISERE, file] {
        let out = import(f, clean.url()).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let expected = sorted(rows(&clean.db, CONTRACTS));
    let expected_suppliers = count(&clean.db, "SELECT count(*) FROM contract_suppliers");
    assert!(expected.len() > 30_000, "{}", expected.len());
    block_on(clean.drop_db());

    for test_db in backends() {
        let db = &test_db.db;
        let url = test_db.url().to_owned();
        // Into the empty database, the import is one bulk transaction: killed before its
        // end, it leaves nothing, and the indexes it had dropped are there.
        let mut child = import(file, &url);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(child.try_wait().unwrap().is_none(), "{url}: ended too soon");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(count(db, "SELECT count(*) FROM contracts"), 0, "{url}");
        let indexes = match db {
            Database::Sqlite(_) => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'contracts_cpv'"
            }
            Database::Postgres(_) => {
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'contracts_cpv'"
            }
        };
        assert_eq!(count(db, indexes), 1, "{url}");
        // And the foreign keys a first import alone on PostgreSQL drops for its load.
        assert_foreign_keys(db);
        assert_sqlite_intact(db);

        let out = import(ISERE, &url).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let before = count(db, "SELECT count(*) FROM contracts");
        let mut child = import(file, &url);
        // Killed once the first batch is committed, well before the last.
        let start = Instant::now();
        while count(db, "SELECT count(*) FROM contracts") == before {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the import ended before it was killed"
            );
            assert!(start.elapsed() < Duration::from_secs(120), "no commit seen");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(child.try_wait().unwrap().is_none(), "{url}: ended too soon");
        child.kill().unwrap();
        child.wait().unwrap();
        let partial = count(db, "SELECT count(*) FROM contracts");
        assert!(
            partial > before && (partial as usize) < expected.len(),
            "{url}: {partial} of {}",
            expected.len()
        );
        say(&format!(
            "import killed with {partial} of {} contracts stored ({url})",
            expected.len()
        ));
        // Whole contracts only: each one stored is as the clean import stores it.
        assert_sqlite_intact(db);
        let stored = rows(db, CONTRACTS);
        let missing: Vec<_> = stored
            .iter()
            .filter(|row| expected.binary_search(row).is_err())
            .collect();
        assert!(missing.is_empty(), "{url}: {missing:?}");
        // The same import again finishes the work: the stored contracts are the clean ones.
        let out = import(file, &url).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(sorted(rows(db, CONTRACTS)), expected, "{url}");
        assert_foreign_keys(db);
        assert_eq!(
            count(db, "SELECT count(*) FROM contract_suppliers"),
            expected_suppliers,
            "{url}"
        );
        assert_sqlite_intact(db);
        block_on(test_db.drop_db());
    }
}

/// A first import that is the only user of its SQLite file loads it through a rollback
/// journal instead of the WAL (`ContractImport::begin_bulk`): killed in the middle, it leaves
/// a hot journal that the next opening rolls back, nothing of the load, every index; the
/// import again completes and leaves the file in WAL mode.
#[test]
fn a_first_import_alone_on_its_file_is_journaled_and_a_kill_leaves_nothing() {
    let file = many_contracts(160);
    let file = file.0.to_str().unwrap();
    let path = tempfile_path::TempPath::new("db");
    let url = format!("sqlite://{}", path.0.display());
    let beside = |suffix: &str| std::path::PathBuf::from(format!("{}{suffix}", path.0.display()));
    let journal = beside("-journal");

    let mut child = import(file, &url);
    let start = Instant::now();
    while !journal.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended without a rollback journal"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no journal seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "ended too soon");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(journal.exists(), "the kill leaves a hot journal");

    let open = || block_on(Database::open(&url.parse().unwrap())).unwrap();
    let journal_mode = |db: &Database| match db {
        Database::Sqlite(pool) => {
            block_on(sqlx::query_scalar::<_, String>("PRAGMA journal_mode").fetch_one(pool))
                .unwrap()
        }
        Database::Postgres(_) => unreachable!("a SQLite URL"),
    };
    let db = open();
    assert_eq!(count(&db, "SELECT count(*) FROM contracts"), 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'contracts_cpv'"
        ),
        1
    );
    assert_sqlite_intact(&db);
    assert_eq!(journal_mode(&db), "wal");
    block_on(db.close());

    let out = import(file, &url).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!journal.exists());
    let db = open();
    let stored = count(&db, "SELECT count(*) FROM contracts");
    assert!(stored > 30_000, "{stored}");
    assert_eq!(journal_mode(&db), "wal");
    assert_sqlite_intact(&db);
    block_on(db.close());
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(beside(suffix));
    }
}

// ---------------------------------------------------------------------------------------------
// SIGKILL during groupement actions

/// The path, with its query, of the first opportunity's "create a groupement" form.
fn groupement_action(server: &Server, cookie: &str) -> String {
    let (status, list) = server.get_as(cookie, "/opportunites");
    assert_eq!(status, 200, "{list}");
    let href = list
        .split("href=\"/opportunites/")
        .skip(1)
        .find_map(|rest| {
            let prefix: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!prefix.is_empty()).then_some(prefix)
        })
        .expect("an opportunity in the demo");
    let (_, detail) = server.get_as(cookie, &format!("/opportunites/{href}"));
    let marker = "action=\"/opportunites/";
    let start = detail.find(marker).expect("the creation form") + "action=\"".len();
    detail[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

#[test]
fn a_kill_during_groupement_actions_leaves_each_groupement_with_its_whole_audit_trail() {
    for test_db in backends() {
        let db = &test_db.db;
        let url = test_db.url().to_owned();
        let mut server = Server::start(&url);
        let coordinator = server.sign_in("coordinateur@demo.mutualis.test");
        let csrf = server.session_csrf(&coordinator);
        let action = groupement_action(&server, &coordinator);
        let before = count(db, "SELECT count(*) FROM groupements");
        // A stream of creations, each a groupement, its invitations and their audit entries.
        let addr = server.addr.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let client = {
            let stop = stop.clone();
            let (cookie, body) = (coordinator.clone(), format!("csrf={csrf}"));
            std::thread::spawn(move || {
                let mut created = 0;
                while !stop.load(Ordering::Relaxed) {
                    let reply = common::raw_request(
                        &addr,
                        "POST",
                        &action,
                        &format!(
                            "Cookie: {cookie}\r\n\
                             Content-Type: application/x-www-form-urlencoded\r\n"
                        ),
                        body.as_bytes(),
                    );
                    match reply {
                        Some((303, _)) => created += 1,
                        Some((status, text)) => {
                            panic!("{status}: {}", String::from_utf8_lossy(&text))
                        }
                        None => break,
                    }
                }
                created
            })
        };
        let start = Instant::now();
        while count(db, "SELECT count(*) FROM groupements") < before + 3 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no groupement made"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let created = client.join().unwrap();
        let groupements = count(db, "SELECT count(*) FROM groupements");
        assert!(groupements >= before + created, "{url}");
        say(&format!(
            "server killed after {created} groupements created and answered, {} stored ({url})",
            groupements - before
        ));

        // Each groupement's audit trail is whole: one entry per version, the last one's
        // "after" being the state stored.
        assert_sqlite_intact(db);
        let trails = rows(
            db,
            "SELECT CAST(g.id AS TEXT), CAST(g.version AS TEXT), \
             CAST((SELECT count(*) FROM audit_log a WHERE a.record_type = 'groupement' \
                   AND a.record_id = g.id) AS TEXT) FROM groupements g",
        );
        for (id, version, entries) in &trails {
            assert_eq!(version, entries, "{url}: groupement {id}");
        }
        let last = rows(
            db,
            "SELECT CAST(g.id AS TEXT), g.state, a.after FROM groupements g JOIN audit_log a \
             ON a.record_type = 'groupement' AND a.record_id = g.id \
             WHERE a.seq = (SELECT max(seq) FROM audit_log b WHERE b.record_type = 'groupement' \
                            AND b.record_id = g.id)",
        );
        assert_eq!(last.len(), trails.len());
        for (id, state, after) in &last {
            let after: serde_json::Value = serde_json::from_str(after).unwrap();
            let state: serde_json::Value = serde_json::from_str(state).unwrap();
            assert_eq!(after["state"], state, "{url}: groupement {id}");
        }
        audit_verify(&url);
        // The server starts again on what was left, and serves it to the same session.
        drop(server);
        let server = Server::start(&url);
        let (status, page) = server.get_as(&coordinator, "/groupements");
        assert_eq!(status, 200, "{page}");
        drop(server);
        block_on(test_db.drop_db());
    }
}

// ---------------------------------------------------------------------------------------------
// Upload bombs

/// `part` of a zip replaced by what `write` produces, deflated.
fn with_part(zip_bytes: &[u8], part: &str, write: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..archive.len() {
        let file = archive.by_index(i).unwrap();
        if file.name().unwrap() != part {
            out.raw_copy_file(file).unwrap();
        }
    }
    out.start_file(part, options).unwrap();
    write(&mut out);
    out.finish().unwrap().into_inner()
}

/// `total` bytes of `byte`, a mebibyte at a time.
fn repeat(out: &mut dyn Write, byte: u8, total: u64) {
    let chunk = vec![byte; 1 << 20];
    for _ in 0..total >> 20 {
        out.write_all(&chunk).unwrap();
    }
}

const SHEET: &str = "xl/worksheets/sheet1.xml";
const STRINGS: &str = "xl/sharedStrings.xml";
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// The workbook bombs, each with the words of the limit its refusal names.
fn workbook_bombs(good: &[u8]) -> Vec<(&'static str, Vec<u8>, String)> {
    use mutualis_formats::needs_workbook::{
        MAX_INFLATED_BYTES, MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, MAX_SHEET_ROWS,
    };
    vec![
        (
            "the whole grid declared, cells A1 and XFD1048576",
            with_part(good, SHEET, |out| {
                write!(
                    out,
                    r#"<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#
                )
                .unwrap();
            }),
            format!("au plus {MAX_SHEET_ROWS} lignes"),
        ),
        (
            "4 GiB of whitespace in a sheet",
            with_part(good, SHEET, |out| {
                write!(out, r#"<worksheet xmlns="{MAIN_NS}"><sheetData>"#).unwrap();
                repeat(out, b' ', 4 << 30);
                write!(out, "</sheetData></worksheet>").unwrap();
            }),
            format!("{} Mo", MAX_INFLATED_BYTES >> 20),
        ),
        (
            "one shared string of 1 GiB",
            with_part(good, STRINGS, |out| {
                write!(
                    out,
                    r#"<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>"#
                )
                .unwrap();
                repeat(out, b'a', 1 << 30);
                write!(out, "</t></si></sst>").unwrap();
            }),
            format!("{} Mo", MAX_SHARED_STRINGS_BYTES >> 20),
        ),
        (
            "a billion shared strings declared",
            with_part(good, STRINGS, |out| {
                write!(
                    out,
                    r#"<sst xmlns="{MAIN_NS}" count="1000000000" uniqueCount="1000000000"></sst>"#
                )
                .unwrap();
            }),
            format!("{MAX_SHARED_STRINGS} textes"),
        ),
    ]
}

/// The DECP bombs, each with the words its refusal or rejection names.
fn decp_bombs() -> Vec<(&'static str, Vec<u8>, String)> {
    use mutualis_formats::decp_read::{MAX_NESTING, MAX_RECORD_BYTES, MAX_RECORD_ELEMENTS};
    let record_start = r#"<?xml version="1.0" encoding="UTF-8"?><marches><marche><id>2019-BOMB</id><acheteur><id>21380185500014</id></acheteur>"#;
    let deep_xml = format!(
        "{record_start}{}{}</marche></marches>",
        "<a>".repeat(6_000),
        "</a>".repeat(6_000)
    );
    let wide_xml = format!(
        "{record_start}{}</marche></marches>",
        "<a/>".repeat(1_000_000)
    );
    let deep_json = format!(
        r#"{{"marches":[{{"id":"2019-BOMB","objet":{}1{}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let long_object = format!(
        r#"{{"marches":[{{"id":"2019-BOMB","objet":"{}"}}]}}"#,
        "a".repeat(190 << 20)
    );
    vec![
        (
            "XML nested 6,000 levels",
            deep_xml.into_bytes(),
            format!("imbriqué sur plus de {MAX_NESTING} niveaux"),
        ),
        (
            "XML record of a million elements",
            wide_xml.into_bytes(),
            format!("plus de {MAX_RECORD_ELEMENTS} éléments XML"),
        ),
        (
            "JSON nested 100,000 levels",
            deep_json.into_bytes(),
            format!("au plus {MAX_NESTING} niveaux"),
        ),
        (
            "JSON object of 190 MiB",
            long_object.into_bytes(),
            format!("au-delà de la limite de {} Mio", MAX_RECORD_BYTES >> 20),
        ),
    ]
}

/// A `multipart/form-data` body with the CSRF token and one file.
fn multipart(csrf: &str, field: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "mutualis-bomb-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"f\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("Content-Type: multipart/form-data; boundary={boundary}\r\n"),
        body,
    )
}

/// A page with the escapes of its messages undone and its narrow spaces made plain.
/// The page of the job a `303` to `/travaux/{id}` names, once the job is done or failed.
fn finished_job_page(server: &Server, cookie: &str, queued: &str) -> String {
    let location = queued
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a location in {queued}"))
        .trim()
        .to_owned();
    let start = Instant::now();
    loop {
        let (status, page) = server.get_as(cookie, &location);
        assert_eq!(status, 200, "{page}");
        if page.contains("<dd id=\"etat\">Terminé</dd>")
            || page.contains("<dd id=\"etat\">Échec</dd>")
        {
            return page;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "{location} still running: {page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn page_text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace(['\u{a0}', '\u{202f}'], " ")
}

#[test]
fn upload_bombs_are_refused_by_their_limit_while_the_server_stays_small_and_serves_others() {
    let test_db = block_on(TestDb::sqlite());
    let url = test_db.url().to_owned();
    let server = Server::start(&url);
    let coordinator = server.sign_in("coordinateur@demo.mutualis.test");
    let member = server.sign_in("acheteur.domene@demo.mutualis.test");
    let other = server.sign_in("acheteur.echirolles@demo.mutualis.test");

    // A campaign open today inviting Domène, whose workbook the bombs are made from.
    let campaign = block_on(async {
        use mutualis_domain::Siren;
        let db = &test_db.db;
        let org = |siren: &'static str| async move {
            db.organisation_by_siren(&Siren::parse(siren).unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let today = chrono::Local::now().date_naive();
        db.create_campaign(
            mutualis_storage::TerritoryWide::for_operator_command_line(),
            org("200040715").await,
            &mutualis_storage::campaigns::NewCampaign {
                title: "Recensement".into(),
                opens_on: today,
                closes_on: today + chrono::Days::new(30),
                cpv_families: vec!["9091".into()],
            },
            &[org("213801509").await],
            chrono::Utc::now(),
        )
        .await
        .unwrap()
    });
    let (status, download) =
        server.request_bytes_as(&member, &format!("/campagnes/{campaign}/classeur"));
    assert_eq!(status, 200);
    let good = common::response_body(&download).to_vec();
    assert!(good.starts_with(b"PK"));

    // Another member works all along: every one of its pages is answered.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (addr, stop) = (server.addr.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut answered = 0;
            let mut slowest = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let reply = common::raw_request(
                    &addr,
                    "GET",
                    "/contrats",
                    &format!("Cookie: {other}\r\n"),
                    b"",
                );
                slowest = slowest.max(start.elapsed());
                let (status, page) = reply.expect("the server answers");
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&page));
                answered += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            (answered, slowest)
        })
    };

    let member_csrf = server.session_csrf(&member);
    let made = Instant::now();
    let bombs = workbook_bombs(&good);
    say(&format!("workbook bombs made in {:?}", made.elapsed()));
    for (what, bomb, limit) in bombs {
        assert!(bomb.len() < 5 << 20, "{what}: {} bytes", bomb.len());
        let (headers, body) = multipart(&member_csrf, "classeur", &bomb);
        let headers = format!("Cookie: {member}\r\n{headers}");
        let (status, page) = server.request_bytes(
            "POST",
            &format!("/campagnes/{campaign}/classeur"),
            &headers,
            &body,
        );
        assert_eq!(status, 422, "{what}: {page}");
        assert!(
            page_text(&page).contains(&limit),
            "{what}: {limit} in {page}"
        );
        let peak = server.peak_memory_bytes();
        assert!(peak < PEAK_MEMORY_LIMIT, "{what}: peak {} MiB", peak >> 20);
        say(&format!("{what}: {status}, peak {} MiB", peak >> 20));
    }
    let coordinator_csrf = server.session_csrf(&coordinator);
    let made = Instant::now();
    let bombs = decp_bombs();
    say(&format!("DECP bombs made in {:?}", made.elapsed()));
    for (what, bomb, words) in bombs {
        let (headers, body) = multipart(&coordinator_csrf, "fichier", &bomb);
        drop(bomb);
        let headers = format!("Cookie: {coordinator}\r\n{headers}");
        let (status, queued) = server.request_bytes("POST", "/contrats/import", &headers, &body);
        // The upload is queued as a job: its page, once the server's worker ran it.
        assert_eq!(status, 303, "{what}: {queued}");
        let page = finished_job_page(&server, &coordinator, &queued);
        let text = page_text(&page);
        assert!(
            text.contains(&words),
            "{what}: {words} in {}",
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let peak = server.peak_memory_bytes();
        assert!(peak < PEAK_MEMORY_LIMIT, "{what}: peak {} MiB", peak >> 20);
        say(&format!("{what}: {status}, peak {} MiB", peak >> 20));
    }
    stop.store(true, Ordering::Relaxed);
    let (answered, slowest) = watcher.join().unwrap();
    assert!(answered > 0);
    let _ = writeln!(
        std::io::stderr(),
        "bombs: peak {} MiB; the other member's {answered} pages answered, the slowest in {slowest:?}",
        server.peak_memory_bytes() >> 20
    );
    drop(server);
    block_on(test_db.drop_db());
}

mod tempfile_path {
    /// A file in the temporary folder, removed when dropped.
    pub struct TempPath(pub std::path::PathBuf);

    impl TempPath {
        pub fn new(extension: &str) -> TempPath {
            TempPath(std::env::temp_dir().join(format!(
                "mutualis-reliability-{}.{extension}",
                uuid::Uuid::new_v4()
            )))
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}
