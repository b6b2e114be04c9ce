//! The `mutualis` binary as a user runs it.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Server, mutualis, one_line_failure, remove_sqlite, stderr, stdout, temp_db};

#[test]
fn cpv_show_prints_both_labels() {
    let out = mutualis(&["cpv", "show", "90910000-9"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Services de nettoyage"), "{text}");
    assert!(text.contains("Cleaning services"), "{text}");
    assert!(text.contains("niveau : classe"), "{text}");
    assert!(
        text.contains("90900000-6  Services de nettoyage et d'hygiène"),
        "{text}"
    );
    // Without the check digit, the same code.
    assert_eq!(stdout(&mutualis(&["cpv", "show", "90910000"])), text);
}

#[test]
fn cpv_show_json_is_valid() {
    let out = mutualis(&["cpv", "show", "09310000", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["code"], "09310000-5");
    assert_eq!(json["label_fr"], "Électricité");
    assert_eq!(json["depth"], "class");
    assert_eq!(json["ancestors"].as_array().unwrap().len(), 2);
}

#[test]
fn cpv_show_refuses_a_wrong_check_digit_naming_the_right_one() {
    let err = one_line_failure(&mutualis(&["cpv", "show", "90910000-1"]));
    assert_eq!(
        err,
        "erreur : code CPV « 90910000-1 » : chiffre de contrôle 1 incorrect, la nomenclature CPV 2008 donne 90910000-9"
    );
}

#[test]
fn cpv_show_refuses_malformed_and_unknown_codes() {
    let err = one_line_failure(&mutualis(&["cpv", "show", "9091-0000"]));
    assert!(
        err.contains("« 9091-0000 »") && err.contains("attendu 8 chiffres"),
        "{err}"
    );
    let err = one_line_failure(&mutualis(&["cpv", "show", "99999999"]));
    assert_eq!(
        err,
        "erreur : code CPV « 99999999 » inconnu de la nomenclature CPV 2008"
    );
}

#[test]
fn cpv_search_ignores_accents() {
    let out = mutualis(&["cpv", "search", "electricite"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l == "09310000-5  Électricité"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &mutualis(&["cpv", "search", "NETTOYAGE", "vitres", "--format", "json"]).stdout,
    )
    .unwrap();
    let codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"90911300-9"), "{codes:?}");
}

#[test]
fn territory_show_json_has_50_organisations() {
    let out = mutualis(&["territory", "show", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let orgs = json["organisations"].as_array().unwrap();
    assert_eq!(orgs.len(), 50);
    assert_eq!(orgs[0]["role"], "lead");
    assert_eq!(orgs[0]["siren"], "200040715");
    assert_eq!(orgs[0]["establishments"][0], "20004071500019");
    let population: u64 = orgs[1..]
        .iter()
        .map(|o| o["population"].as_u64().unwrap())
        .sum();
    assert_eq!(population, 449_509);
    assert_eq!(json["members_population"], 449_509);
    assert_eq!(json["member_count"], 49);
}

#[test]
fn territory_show_table_lists_the_communes() {
    let text = stdout(&mutualis(&["territory", "show"]));
    assert!(text.starts_with("Grenoble-Alpes-Métropole — SIREN 200040715, SIRET 20004071500019"));
    assert!(text.contains("49 communes membres, population municipale 449\u{202f}509 habitants"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("Échirolles") && l.contains("213801517"))
    );
}

#[test]
fn a_bad_database_url_is_one_clear_line() {
    let out = mutualis(&[
        "db",
        "migrate",
        "--database-url",
        "mysql://root@localhost/x",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("mysql://root@localhost/x") && err.contains("attendu sqlite://"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn an_unwritable_database_path_is_one_clear_line() {
    let err = one_line_failure(&mutualis(&[
        "db",
        "migrate",
        "--database-url",
        "sqlite:///proc/mutualis/m.db",
    ]));
    assert!(
        err.contains("/proc/mutualis/m.db") && err.contains("n'existe pas"),
        "{err}"
    );
    // A folder that exists but cannot hold a file.
    let err = one_line_failure(&mutualis(&[
        "db",
        "migrate",
        "--database-url",
        "sqlite:///proc/m.db",
    ]));
    assert!(
        err.starts_with("erreur : impossible d'ouvrir la base SQLite « /proc/m.db »"),
        "{err}"
    );
}

#[test]
fn an_unreachable_postgres_is_one_clear_line() {
    let err = one_line_failure(&mutualis(&[
        "db",
        "migrate",
        "--database-url",
        "postgres://postgres:secret@127.0.0.1:1/mutualis",
    ]));
    assert!(err.starts_with("erreur : impossible de joindre PostgreSQL à « postgres://postgres:***@127.0.0.1:1/mutualis »"), "{err}");
    assert!(!err.contains("secret"));
}

#[test]
fn db_migrate_creates_the_database_then_has_nothing_to_do() {
    let (path, url) = temp_db();
    let first = mutualis(&["db", "migrate", "--database-url", &url]);
    assert!(first.status.success(), "{}", stderr(&first));
    let known = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../storage/migrations/sqlite"
    ))
    .unwrap()
    .count();
    assert!(
        stdout(&first).contains(&format!(
            ": {known} migration(s) appliquée(s), {known} au total."
        )),
        "{}",
        stdout(&first)
    );
    assert!(path.exists());
    let second = mutualis(&["db", "migrate", "--database-url", &url]);
    assert!(stdout(&second).contains(&format!(": 0 migration(s) appliquée(s), {known} au total.")));
    remove_sqlite(&path);
}

/// At first login, each demo member's buyer sees its own real contracts and at least one
/// opportunity it is part of, among the territory's organisations only.
#[test]
fn the_demo_members_see_their_contracts_and_opportunities_at_first_login() {
    let (path, url) = temp_db();
    let server = Server::start(&url);
    for (email, commune) in [
        ("acheteur.domene@demo.mutualis.test", "Domène"),
        ("acheteur.echirolles@demo.mutualis.test", "Échirolles"),
    ] {
        let cookie = server.sign_in(email);
        let (status, contracts) = server.get_as(&cookie, "/contrats");
        assert_eq!(status, 200, "{contracts}");
        let rows = contracts.matches("href=\"/contrats/").count();
        assert!(rows > 0, "{email}: no contract in {contracts}");
        assert!(contracts.contains(commune), "{email}: {contracts}");
        let (status, opportunities) = server.get_as(&cookie, "/opportunites");
        assert_eq!(status, 200, "{opportunities}");
        let listed = opportunities.matches("href=\"/opportunites/").count();
        assert!(listed > 0, "{email}: no opportunity in {opportunities}");
        assert!(opportunities.contains("Périmètre : les 50 organisations du territoire"));
        assert!(!opportunities.contains("ADVIVO"), "{opportunities}");
    }
    // The coordinator's list names no buyer outside the territory either.
    let cookie = server.sign_in("coordinateur@demo.mutualis.test");
    let (_, opportunities) = server.get_as(&cookie, "/opportunites");
    assert!(opportunities.matches("href=\"/opportunites/").count() > 0);
    assert!(
        !opportunities.contains("(hors territoire)"),
        "{opportunities}"
    );
    drop(server);
    remove_sqlite(&path);
}

#[test]
fn serve_demo_serves_the_territory_and_seeding_twice_changes_nothing() {
    let (path, url) = temp_db();
    {
        let server = Server::start(&url);
        assert!(
            server
                .first_lines
                .iter()
                .any(|l| l.contains("50 créée(s), 0 mise(s) à jour, 0 inchangée(s)")),
            "{:?}",
            server.first_lines
        );
        let (status, home) = server.get("/");
        assert_eq!(status, 200);
        assert!(home.contains("<dd>49</dd>") && home.contains("449\u{202f}509 habitants"));
        assert_eq!(server.get("/healthz").0, 200);
        let (status, api) = server.get("/api/v1/organisations");
        assert_eq!(status, 401, "the API needs a token: {api}");
        // One account per role, with a password, printed once.
        for role in [
            "coordinator",
            "member_buyer",
            "approver",
            "evaluator",
            "supplier",
            "mediator",
        ] {
            let line = server
                .first_lines
                .iter()
                .find(|l| l.trim_start().starts_with(&format!("{role} ")));
            let fields: Vec<&str> = line.expect(role).split_whitespace().collect();
            assert_eq!(fields.len(), 3, "{fields:?}");
            assert!(fields[1].ends_with("@demo.mutualis.test") && fields[2].len() >= 12);
        }
        // The groupement in progress, made by the demo users' own actions.
        assert!(
            server.first_lines.iter().any(|l| l.contains(
                "Groupement de démonstration : « Nettoyage des bâtiments communaux », \
                 Domène et Échirolles ont adhéré"
            )),
            "{:?}",
            server.first_lines
        );
    }
    let server = Server::start(&url);
    assert!(
        server
            .first_lines
            .iter()
            .any(|l| l.contains("0 créée(s), 0 mise(s) à jour, 50 inchangée(s)")),
        "{:?}",
        server.first_lines
    );
    assert!(
        server
            .first_lines
            .iter()
            .any(|l| l.contains("Groupement de démonstration : déjà créé")),
        "{:?}",
        server.first_lines
    );
    drop(server);
    // Its audit trail: creation, two invitations, three needs, opening, two adhesions and a
    // signature, chained.
    let audit = mutualis(&["audit", "verify", "--database-url", &url]);
    assert!(audit.status.success(), "{}", stderr(&audit));
    assert!(
        stdout(&audit).starts_with("Journal d'audit : 10 entrées, chaîne intègre"),
        "{}",
        stdout(&audit)
    );
    remove_sqlite(&path);
}

#[test]
fn a_bad_bind_address_is_refused_by_name() {
    let out = mutualis(&["serve", "--bind", "localhost:notaport"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("localhost:notaport"));
}

#[test]
fn rules_procedure_applies_the_threshold_in_force_at_launch() {
    let decide = |amount: &str, date: &str| {
        let out = mutualis(&[
            "rules",
            "procedure",
            "--nature",
            "fournitures-services",
            "--amount",
            amount,
            "--date",
            date,
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["procedure"].as_str().unwrap().to_owned()
    };
    // 50,000 € is below the 60,000 € threshold from 2026-04-01, above the 40,000 € one before.
    assert_eq!(decide("50000", "2026-03-31"), "adapted");
    assert_eq!(decide("50000", "2026-04-01"), "no_publicity");
    assert_eq!(decide("216000", "2026-04-01"), "formal");
    assert_eq!(decide("215999,99", "2026-04-01"), "adapted");
}

#[test]
fn rules_procedure_refuses_a_date_the_table_does_not_cover() {
    let err = one_line_failure(&mutualis(&[
        "rules",
        "procedure",
        "--nature",
        "travaux",
        "--amount",
        "100",
        "--date",
        "2028-01-01",
    ]));
    assert!(err.contains("01/01/2028"), "{err}");
    let out = mutualis(&[
        "rules",
        "procedure",
        "--nature",
        "travaux",
        "--amount",
        "1e5",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("montant « 1e5 » invalide"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_add_creates_an_account_with_a_password_from_stdin() {
    let (path, url) = temp_db();
    let add = |email: &str, org: &str, role: &str, password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mutualis"))
            .args([
                "user",
                "add",
                "--org",
                org,
                "--role",
                role,
                "--email",
                email,
                "--database-url",
                &url,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The command may refuse before reading its password (an unknown organisation): a
        // closed pipe is then expected.
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes());
        child.wait_with_output().unwrap()
    };
    // The organisation must exist: load the territory first.
    let err = one_line_failure(&add(
        "a@grenoble.test",
        "213801855",
        "member_buyer",
        "une phrase de passe",
    ));
    assert!(err.contains("SIREN 213801855 inconnue"), "{err}");
    drop(Server::start(&url));
    let out = add(
        "Achats@Grenoble.test",
        "213801855",
        "member_buyer",
        "une phrase de passe",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Compte créé : achats@grenoble.test (Acheteur membre, Grenoble).\n"
    );
    let err = one_line_failure(&add(
        "achats@grenoble.test",
        "213801855",
        "approver",
        "une phrase de passe",
    ));
    assert!(err.contains("un compte existe déjà"), "{err}");
    let err = one_line_failure(&add("b@grenoble.test", "213801855", "approver", "court"));
    assert!(err.contains("au moins 12 caractères"), "{err}");
    let out = add(
        "c@grenoble.test",
        "213801855",
        "admin",
        "une phrase de passe",
    );
    assert!(!out.status.success() && stderr(&out).contains("rôle « admin » inconnu"));
    let out = add(
        "c@grenoble.test",
        "213801856",
        "approver",
        "une phrase de passe",
    );
    assert!(!out.status.success() && stderr(&out).contains("SIREN « 213801856 » invalide"));
    remove_sqlite(&path);
}

const ISERE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/decp/isere_extract_2019.json"
);

#[test]
fn importing_the_isere_contracts_twice_changes_nothing() {
    let (path, url) = temp_db();
    let rejects =
        std::env::temp_dir().join(format!("mutualis-rejects-{}.jsonl", uuid::Uuid::new_v4()));
    let import = || {
        let out = mutualis(&[
            "import",
            "decp",
            ISERE,
            "--format",
            "json",
            "--database-url",
            &url,
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json[0].clone()
    };
    let first = import();
    assert_eq!(first["read"], 220);
    assert_eq!(first["format"], "DECP 1.x (JSON)");
    let stored = first["created"].as_u64().unwrap();
    // 220 records, some of them several publications of the same contract.
    assert_eq!(
        stored
            + first["updated"].as_u64().unwrap()
            + first["unchanged"].as_u64().unwrap()
            + first["rejected"].as_u64().unwrap(),
        220
    );
    let second = import();
    assert_eq!(second["created"], 0);
    assert_eq!(second["updated"], 0);
    assert_eq!(
        second["unchanged"].as_u64().unwrap() + second["rejected"].as_u64().unwrap(),
        220
    );
    let lines = std::fs::read_to_string(&rejects).unwrap().lines().count() as u64;
    assert_eq!(
        lines,
        second["rejected"].as_u64().unwrap(),
        "one line per rejected record"
    );
    let _ = std::fs::remove_file(&rejects);

    // Contracts imported from 1.x are not republished with invented values: the export says
    // what each lacks.
    let export = mutualis(&["export", "decp", "--database-url", &url]);
    assert!(export.status.success(), "{}", stderr(&export));
    let json: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(json["marches"]["marche"].as_array().map_or(0, Vec::len), 0);
    let report = stderr(&export);
    assert!(report.contains("0 marché(s)"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.contains("manque") && l.contains("techniques")),
        "{report}"
    );
    let ocds = mutualis(&["export", "ocds", "--database-url", &url]);
    let package: serde_json::Value = serde_json::from_slice(&ocds.stdout).unwrap();
    // One contracting process per contract, with a release per version of it.
    let releases = package["releases"].as_array().unwrap();
    let processes: std::collections::BTreeSet<&str> = releases
        .iter()
        .map(|r| r["ocid"].as_str().unwrap())
        .collect();
    assert_eq!(processes.len() as u64, stored);
    assert!(releases.len() as u64 >= stored);
    assert!(
        package["releases"][0]["ocid"]
            .as_str()
            .unwrap()
            .starts_with("ocds-78apv2-")
    );
    remove_sqlite(&path);
}

#[test]
fn the_import_summary_names_rejections_and_repairs_in_french() {
    let (path, url) = temp_db();
    let isere: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ISERE).unwrap()).unwrap();
    // A CPV code not in CPV 2008: the contract is kept without it.
    let mut unknown_cpv = isere["marches"][0].clone();
    unknown_cpv["codeCPV"] = "12345678".into();
    // A buyer SIRET that fails both keys (marches-publics.info 2019, record 929): rejected.
    let mut bad_buyer = isere["marches"][1].clone();
    bad_buyer["acheteur"]["id"] = "22740001400074".into();
    let file = std::env::temp_dir().join(format!("mutualis-repairs-{}.json", uuid::Uuid::new_v4()));
    let repairs =
        std::env::temp_dir().join(format!("mutualis-repairs-{}.jsonl", uuid::Uuid::new_v4()));
    std::fs::write(
        &file,
        serde_json::json!({ "marches": [bad_buyer, unknown_cpv] }).to_string(),
    )
    .unwrap();
    let out = mutualis(&[
        "import",
        "decp",
        file.to_str().unwrap(),
        "--database-url",
        &url,
        "--repairs",
        repairs.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("2 lus, 1 créés, 0 mis à jour, 0 inchangés, 1 rejetés, 1 corrigés"),
        "{text}"
    );
    assert!(
        text.contains("rejets par raison : SIRET de l'acheteur invalide"),
        "{text}"
    );
    assert!(
        text.contains("corrections : code CPV inconnu de CPV 2008, écarté : 1"),
        "{text}"
    );
    assert!(
        !text.contains("invalid_siret") && !text.contains("cpv_dropped"),
        "{text}"
    );
    let lines = std::fs::read_to_string(&repairs).unwrap();
    let _ = std::fs::remove_file(&repairs);
    let lines: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["index"], 1);
    assert_eq!(line["id"], isere["marches"][0]["id"]);
    assert_eq!(line["buyer"], isere["marches"][0]["acheteur"]["id"]);
    let repair = &line["repairs"][0];
    assert_eq!(
        (
            &repair["kind"],
            &repair["field"],
            &repair["published"],
            &repair["kept"]
        ),
        (
            &serde_json::json!("cpv_dropped"),
            &serde_json::json!("codeCPV"),
            &serde_json::json!("12345678"),
            &serde_json::Value::Null
        )
    );
    assert!(
        repair["message"].as_str().unwrap().contains("12345678"),
        "{repair}"
    );
    remove_sqlite(&path);
}

#[test]
fn a_file_that_is_not_decp_is_one_clear_line() {
    let (path, url) = temp_db();
    let bogus = std::env::temp_dir().join(format!("mutualis-bogus-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&bogus, "{\"hello\": [1, 2, 3]}").unwrap();
    let out = mutualis(&[
        "import",
        "decp",
        bogus.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("fichier inutilisable") && text.contains("pas un fichier DECP"),
        "{text}"
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let _ = std::fs::remove_file(&bogus);
    remove_sqlite(&path);
}

/// The CPV prefixes and buyers' SIRENs of each opportunity of a JSON report.
fn opportunity_keys(report: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    report["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let mut sirens: Vec<String> = o["buyers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["siren"].as_str().unwrap().to_owned())
                .collect();
            sirens.sort();
            (o["cpv"]["prefix"].as_str().unwrap().to_owned(), sirens)
        })
        .collect()
}

#[test]
fn opportunities_over_decp_files_and_over_the_database_agree() {
    let over_file = mutualis(&[
        "opportunities",
        "--decp",
        ISERE,
        "--as-of",
        "2019-01-01",
        "--format",
        "json",
    ]);
    assert!(over_file.status.success(), "{}", stderr(&over_file));
    let from_file: serde_json::Value = serde_json::from_slice(&over_file.stdout).unwrap();
    let keys = opportunity_keys(&from_file);
    assert!(keys.contains(&(
        "9091".to_owned(),
        vec!["200040715".to_owned(), "350276580".to_owned()]
    )));
    let cleaning = &from_file["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["cpv"]["prefix"] == "9091")
        .unwrap();
    // The documented fields are there.
    for field in [
        "annual_amount_cents",
        "proposed_start",
        "bridging",
        "procedure",
        "savings",
        "score",
        "reasons",
    ] {
        assert!(!cleaning[field].is_null(), "{field}");
    }
    assert_eq!(cleaning["cpv"]["code"], "90910000-9");
    assert_eq!(cleaning["procedure"]["pooled"]["procedure"], "formal");
    assert!(cleaning["savings"]["low_cents"].as_i64().unwrap() > 0);

    // The same file imported: the same opportunities over every buyer of the database.
    let (path, url) = temp_db();
    let out = mutualis(&["import", "decp", ISERE, "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let over_db = mutualis(&[
        "opportunities",
        "--all",
        "--as-of",
        "2019-01-01",
        "--format",
        "json",
        "--database-url",
        &url,
    ]);
    assert!(over_db.status.success(), "{}", stderr(&over_db));
    let from_db: serde_json::Value = serde_json::from_slice(&over_db.stdout).unwrap();
    assert_eq!(opportunity_keys(&from_db), keys);

    // The text report explains in French.
    let text = mutualis(&[
        "opportunities",
        "--all",
        "--as-of",
        "2019-01-01",
        "--database-url",
        &url,
    ]);
    let text = stdout(&text);
    assert!(text.contains("90910000-9 Services de nettoyage"), "{text}");
    assert!(text.contains("Économie estimée"), "{text}");

    // --all and --territory exclude each other, in one line.
    let err = one_line_failure(&mutualis(&[
        "opportunities",
        "--all",
        "--territory",
        "200040715",
        "--database-url",
        &url,
    ]));
    assert!(err.contains("--all et --territory"), "{err}");
    remove_sqlite(&path);
}

#[test]
fn opportunities_of_a_territory_only_count_its_members() {
    // Over the file, --territory keeps the métropole's members only: ADVIVO is not one, so
    // cleaning is no longer shared.
    let out = mutualis(&[
        "opportunities",
        "--decp",
        ISERE,
        "--as-of",
        "2019-01-01",
        "--territory",
        "200040715",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["counts"]["contracts"].as_u64().unwrap() < 217);
    assert!(
        opportunity_keys(&report)
            .iter()
            .all(|(prefix, _)| prefix != "9091")
    );
    let err = one_line_failure(&mutualis(&[
        "opportunities",
        "--decp",
        ISERE,
        "--territory",
        "552100554",
    ]));
    assert!(err.contains("SIREN 552100554"), "{err}");
}

/// Two groupements drafted through storage: two entries in the audit log. Returns the head
/// hash storage reports.
#[tokio::main(flavor = "current_thread")]
async fn two_drafted_groupements(url: &str) -> String {
    use mutualis_domain::Siren;
    use mutualis_domain::groupement::{CostSharing, Lot, Mission, NewGroupement};
    use mutualis_storage::{Database, TerritoryWide};

    let db = Database::open(&url.parse().unwrap()).await.unwrap();
    db.upsert_territory(
        &mutualis_reference::territory::grenoble_alpes_metropole(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let metro = Siren::parse("200040715").unwrap();
    let metro_id = db.organisation_by_siren(&metro).await.unwrap().unwrap().id;
    let cpv = |code: &str| mutualis_reference::cpv::nomenclature().parse(code).unwrap();
    for title in [
        "Fourniture d'énergie 2028-2031",
        "Nettoyage des locaux 2028-2031",
    ] {
        let new = NewGroupement {
            coordinator: metro.clone(),
            coordinator_name: "Grenoble-Alpes-Métropole".into(),
            coordinator_population: Some(449_509),
            title: title.into(),
            cpv: cpv("09000000-3"),
            lots: vec![Lot {
                number: 1,
                title: "Lot unique".into(),
                cpv: cpv("09123000-7"),
            }],
            mission: Mission::AwardOnly,
            cost_sharing: CostSharing::ByVolume,
            duration_months: 48,
            adhesion_deadline: chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            proposed_start: None,
            created_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
        };
        db.create_groupement(
            TerritoryWide::for_operator_command_line(),
            metro_id,
            new,
            None,
            "coord@lametro.test",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    let head = db.verify_audit().await.unwrap().head_hash.unwrap();
    db.close().await;
    head
}

/// Runs `statement` on the SQLite file at `path` after `drop_trigger` (one of the audit log's
/// append-only guards), as someone holding the database file would; `false`, with the skip
/// written to the terminal (as the PostgreSQL skips are), when python3 is not there.
fn tamper(path: &std::path::Path, drop_trigger: &str, statement: &str, check: &str) -> bool {
    let script = format!(
        "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute({drop_trigger:?})\n\
         c.execute({statement:?})\nc.commit()\n"
    );
    match Command::new("python3")
        .args(["-c", &script, &path.display().to_string()])
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "{}", stderr(&out));
            true
        }
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "note: {check} SKIPPED (python3 not found: {e})"
            );
            false
        }
    }
}

/// What an entry is about (its record and organisation) is covered by its hash too.
#[test]
fn audit_verify_detects_an_entry_moved_to_another_record() {
    let (path, url) = temp_db();
    two_drafted_groupements(&url);
    if !tamper(
        &path,
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET record_id = record_id + 100 WHERE seq = 1",
        "audit record check",
    ) {
        remove_sqlite(&path);
        return;
    }
    let err = one_line_failure(&mutualis(&["audit", "verify", "--database-url", &url]));
    assert!(
        err.starts_with("erreur : journal d'audit altéré à l'entrée n° 1 : contenu modifié"),
        "{err}"
    );
    remove_sqlite(&path);
}

/// A log cut at its end is an intact chain: only an anchor kept outside the database shows it.
#[test]
fn audit_verify_against_an_anchor_detects_the_last_entries_dropped() {
    let (path, url) = temp_db();
    let head = two_drafted_groupements(&url);
    let anchor = std::env::temp_dir().join(format!("mutualis-anchor-{}.txt", uuid::Uuid::new_v4()));
    let anchor_arg = anchor.display().to_string();
    let written = mutualis(&[
        "audit",
        "verify",
        "--anchor",
        &anchor_arg,
        "--database-url",
        &url,
    ]);
    assert!(written.status.success(), "{}", stderr(&written));
    assert_eq!(
        std::fs::read_to_string(&anchor).unwrap(),
        format!("mutualis-audit-anchor-1 2 {head}\n")
    );
    let held = mutualis(&[
        "audit",
        "verify",
        "--against",
        &anchor_arg,
        "--database-url",
        &url,
    ]);
    assert!(held.status.success(), "{}", stderr(&held));
    assert!(
        stdout(&held).contains("l'ancre de 2 entrée(s) est retrouvée"),
        "{}",
        stdout(&held)
    );

    // Someone with the database file drops the append-only guard and the last entry.
    if !tamper(
        &path,
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq = 2",
        "audit truncation check",
    ) {
        remove_sqlite(&path);
        return;
    }
    let alone = mutualis(&["audit", "verify", "--database-url", &url]);
    assert!(
        alone.status.success(),
        "the chain alone cannot tell: {}",
        stderr(&alone)
    );
    let err = one_line_failure(&mutualis(&[
        "audit",
        "verify",
        "--against",
        &anchor_arg,
        "--database-url",
        &url,
    ]));
    assert_eq!(
        err,
        "erreur : journal d'audit tronqué : l'ancre compte 2 entrée(s), le journal n'en a plus que 1"
    );
    let _ = std::fs::remove_file(&anchor);
    remove_sqlite(&path);
}

#[test]
fn audit_verify_passes_on_an_intact_log_and_names_the_entry_altered_by_hand() {
    let (path, url) = temp_db();
    let empty = mutualis(&["audit", "verify", "--database-url", &url]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert_eq!(
        stdout(&empty),
        "Journal d'audit : 0 entrée, chaîne intègre (journal vide)\n"
    );

    let head = two_drafted_groupements(&url);
    let intact = mutualis(&["audit", "verify", "--database-url", &url]);
    assert!(intact.status.success(), "{}", stderr(&intact));
    assert_eq!(
        stdout(&intact),
        format!("Journal d'audit : 2 entrées, chaîne intègre (dernière empreinte {head})\n")
    );

    // Someone with the database file drops the append-only guard and edits the second entry.
    if !tamper(
        &path,
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET actor = 'intrus' WHERE seq = 2",
        "audit tampering check",
    ) {
        remove_sqlite(&path);
        return;
    }
    let err = one_line_failure(&mutualis(&["audit", "verify", "--database-url", &url]));
    assert!(
        err.starts_with(&format!(
            "erreur : journal d'audit altéré à l'entrée n° 2 : contenu modifié : empreinte \
             enregistrée {head}, recalculée "
        )),
        "{err}"
    );
    remove_sqlite(&path);
}

#[test]
fn a_buyer_kept_with_one_wrong_check_key_is_read_back_by_the_plausibility_check() {
    let (path, url) = temp_db();
    let isere: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ISERE).unwrap()).unwrap();
    // A real buyer of marches-publics.info 2019 whose SIRET passes its SIREN key only.
    let mut record = isere["marches"][0].clone();
    record["acheteur"]["id"] = "25600053000015".into();
    let file = std::env::temp_dir().join(format!("mutualis-key-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &file,
        serde_json::json!({ "marches": [record] }).to_string(),
    )
    .unwrap();
    let out = mutualis(&[
        "import",
        "decp",
        file.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 créés") && text.contains("1 corrigés"),
        "{text}"
    );
    assert!(
        text.contains("Contrôle de plausibilité sur 1 contrat(s)"),
        "{text}"
    );
    remove_sqlite(&path);
}
