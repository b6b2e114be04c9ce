//! Server-rendered pages, in French.

pub mod account;
pub mod auth;
pub mod campaigns;
pub mod confirmation;
pub mod contracts;
pub mod forms;
pub mod groupements;
pub mod home;
pub mod import;
pub mod jobs;
pub mod opportunities;
pub mod organisations;

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::error::WebError;

/// Unknown routes: a real 404 page.
pub async fn not_found(user: crate::session::MaybeSignedIn) -> WebError {
    WebError::not_found().in_layout(user.layout())
}

/// "25/11/2026 à 22:31 UTC".
pub fn datetime_label(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%Y à %H:%M UTC").to_string()
}

/// A list's pages: the page shown, how many there are, and the query strings of the previous
/// and the next page, which keep the list's filters. Rendered by `pagination.html`.
pub struct Pagination {
    /// The list's path, "/contrats".
    pub path: &'static str,
    /// 1-based.
    pub page: u32,
    pub pages: u32,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pagination {
    /// Page `page` (1-based) of `total` items, `per_page` a page; `filters` are the list's
    /// query parameters, the empty ones left out of the links.
    pub fn new(
        path: &'static str,
        total: i64,
        per_page: u32,
        page: u32,
        filters: &[(&str, &str)],
    ) -> Pagination {
        let per_page = i64::from(per_page.max(1));
        let pages = u32::try_from((total + per_page - 1) / per_page)
            .unwrap_or(u32::MAX)
            .max(1);
        let link = |page: u32| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in filters {
                if !v.trim().is_empty() {
                    query.append_pair(k, v);
                }
            }
            query.append_pair("page", &page.to_string());
            query.finish()
        };
        Pagination {
            path,
            page,
            pages,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// Text that comes from outside (a DECP object, a published name), as plain text for a page.
/// Publishers put HTML in it: `<br />` line breaks, sometimes escaped (`&lt;br /&gt;`), `<b>`,
/// entities (`&#8217;`, `&euro;`). Here an entity becomes its character, a line-breaking tag
/// (`br`, `p`, `div`, `li`, any case, opening or closing) a line break, which the pages show
/// with `white-space: pre-line` (class `texte-importe`), and any other tag nothing. Askama
/// escapes what is left, so nothing imported is ever rendered as HTML. What is stored keeps
/// the original: the DECP export publishes it again as it came.
pub fn imported_text(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['<', '&']) {
        return Cow::Borrowed(raw);
    }
    let decoded = decode_entities(raw);
    let mut out = String::with_capacity(decoded.len());
    let mut rest: &str = &decoded;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        match tag_at(&rest[at..]) {
            Some((name, len)) => {
                if matches!(name.as_str(), "br" | "p" | "div" | "li") && !out.ends_with('\n') {
                    out.push('\n');
                }
                rest = &rest[at + len..];
            }
            None => {
                out.push('<');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out.trim().to_owned())
}

/// The lower-case name and the length of the HTML tag `s` starts with: `<br />`, `</P>`,
/// `<b class="x">`; `None` when `<` starts no tag ("< 40 000 €").
fn tag_at(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix('<')?;
    let body = body.strip_prefix('/').unwrap_or(body);
    let name: String = body.chars().take_while(char::is_ascii_alphabetic).collect();
    if name.is_empty() {
        return None;
    }
    let end = s.find('>')?;
    // A tag is short and holds no other "<".
    if end > 200 || s[1..end].contains('<') {
        return None;
    }
    Some((name.to_ascii_lowercase(), end + 1))
}

/// `&amp;`, `&lt;`, `&#8217;`, `&#x2019;`, `&euro;`… as their characters; an unknown entity
/// stays as it is.
fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control() || *c == '\n');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "euro" => '€',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "deg" => '°',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_html_becomes_plain_text() {
        // Real DECP objects (Isère 2019, marches-publics.info, data.gouv.fr PES).
        assert_eq!(
            imported_text("VOIRON - ZAC Rossignol - Ilot Sévigné<br />Aménagement du parking silo"),
            "VOIRON - ZAC Rossignol - Ilot Sévigné\nAménagement du parking silo"
        );
        assert_eq!(
            imported_text("aménagement de sécurité <br />rue du Moulinage<br />"),
            "aménagement de sécurité \nrue du Moulinage"
        );
        assert_eq!(
            imported_text("ACHAT D&#8217;UN APPAREIL &#8211; LOT 2"),
            "ACHAT D’UN APPAREIL – LOT 2"
        );
        assert_eq!(
            imported_text("Lot 1&lt;br /&gt;Lot 2 : <b>voirie</b>, 40 000 &euro;"),
            "Lot 1\nLot 2 : voirie, 40 000 €"
        );
        assert_eq!(imported_text("A<BR>B<br/>C</p><p>D"), "A\nB\nC\nD");
    }

    #[test]
    fn text_that_only_looks_like_html_is_kept() {
        for kept in [
            "Travaux < 40 000 € HT",
            "Lot <5 ans",
            "Dupont & Fils",
            "R&D; essais",
            "a &unknown; b",
            "Nettoyage",
        ] {
            assert_eq!(imported_text(kept), kept);
        }
    }
}
