//! The organisations list, like the contracts list: filters (name, kind, membership of the
//! territory) and pages, in the page and the API, on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, GRENOBLE_BUYER};
use mutualis_domain::text::fold;
use mutualis_test_db::each_backend;

/// The names of the table's rows.
fn names(html: &str) -> Vec<String> {
    let body = html
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap();
    body.split("<th scope=\"row\"><a href=\"/organisations/")
        .skip(1)
        .map(|row| {
            let name = row.split('>').nth(1).unwrap();
            name.split("</a").next().unwrap().replace("&#39;", "'")
        })
        .collect()
}

/// "N organisation(s) — page P sur Q" of the table's caption, as (N, P, Q).
fn caption(html: &str) -> (i64, u32, u32) {
    let caption = html
        .split("<caption>")
        .nth(1)
        .unwrap()
        .split("</caption>")
        .next()
        .unwrap();
    let numbers: Vec<i64> = caption
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    match numbers[..] {
        [n, p, q] => (n, p as u32, q as u32),
        _ => panic!("{caption}"),
    }
}

#[tokio::test]
async fn the_coordinator_filters_and_pages_the_organisations() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let cookies = app.sign_in(COORDINATOR).await;
        let all = app.get("/organisations", Some(&cookies)).await;
        assert_eq!(all.status, StatusCode::OK);
        let (total, page, pages) = caption(&all.body);
        assert!(
            total > 50,
            "the territory and the imported buyers and titulaires"
        );
        assert_eq!((page, pages), (1, (total as u32).div_ceil(25)));
        assert_eq!(names(&all.body).len(), 25, "25 a page");
        assert!(
            all.body
                .contains("href=\"/organisations?page=2\" rel=\"next\"")
        );
        // The filters form, its fields labelled.
        for id in ["nom", "type", "territoire"] {
            assert!(all.body.contains(&format!("<label for=\"{id}\">")), "{id}");
        }

        // The territory's communes: 49, on two pages, the filters kept from page to page.
        let communes = app
            .get(
                "/organisations?type=commune&territoire=membres",
                Some(&cookies),
            )
            .await;
        assert_eq!(caption(&communes.body), (49, 1, 2));
        assert!(
            communes
                .body
                .contains("href=\"/organisations?type=commune&amp;territoire=membres&amp;page=2\"")
                || communes.body.contains(
                    "href=\"/organisations?type=commune&#38;territoire=membres&#38;page=2\""
                ),
            "{}",
            communes.body
        );
        let second = app
            .get(
                "/organisations?type=commune&territoire=membres&page=2",
                Some(&cookies),
            )
            .await;
        assert_eq!(caption(&second.body), (49, 2, 2));
        assert_eq!(names(&second.body).len(), 24);
        assert!(second.body.contains("selected>Commune</option>"));
        // The others: the imported buyers and titulaires, none of the territory's 50.
        let others = app
            .get("/organisations?territoire=autres", Some(&cookies))
            .await;
        assert_eq!(caption(&others.body).0, total - 50);
        assert!(!names(&others.body).iter().any(|n| n == "Grenoble"));

        // A name, accents and case ignored.
        let found = app
            .get("/organisations?nom=ECHIROLLES", Some(&cookies))
            .await;
        let found = names(&found.body);
        assert!(found.iter().any(|n| n == "Échirolles"), "{found:?}");
        assert!(
            found.iter().all(|n| fold(n).contains("echirolles")),
            "{found:?}"
        );
        let none = app.get("/organisations?nom=zzzz", Some(&cookies)).await;
        assert_eq!(caption(&none.body), (0, 1, 1));

        // The API takes the same filters; without a page it answers every organisation, as
        // it always did.
        let token = app.create_token(&cookies, "api").await;
        let every = app
            .api("GET", "/api/v1/organisations", Some(&token), None)
            .await
            .json();
        assert_eq!(every["count"], total);
        assert_eq!(every["total"], total);
        let paged = app
            .api(
                "GET",
                "/api/v1/organisations?type=commune&territoire=membres&page=2",
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(
            (
                &paged["total"],
                &paged["count"],
                &paged["page"],
                &paged["per_page"]
            ),
            (&49.into(), &24.into(), &2.into(), &25.into())
        );
        assert!(
            paged["organisations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["kind"] == "commune")
        );
    })
    .await;
}

#[tokio::test]
async fn a_member_lists_its_own_organisation_without_filters() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookies = app.sign_in(GRENOBLE_BUYER).await;
        let page = app
            .get("/organisations?nom=echirolles", Some(&cookies))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<label for=\"nom\">"));
        assert_eq!(
            caption(&page.body),
            (0, 1, 1),
            "its own only, and not Échirolles"
        );
        let own = app.get("/organisations", Some(&cookies)).await;
        assert_eq!(names(&own.body), ["Grenoble"]);
    })
    .await;
}
