//! The page frame every console page shares: head, navigation, sign-out.

use std::collections::BTreeMap;

use inlet_core::auth::Scope;
use inlet_core::list::PageRequest;
use inlet_core::model::{Timestamp, relative_time};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// Where the navigation points (the current page is marked for screen
/// readers with `aria-current`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The overview.
    Overview,
    /// Connections.
    Connections,
    /// Collections.
    Collections,
    /// Search.
    Search,
    /// API keys.
    Keys,
    /// The audit log.
    Audit,
    /// A notice that belongs to no section (a refusal): no link is marked.
    Notice,
}

/// A signed-in page: `title`, the navigation, and `body`. The navigation
/// offers only what the session's key may open (API keys and the audit log
/// are for administrators).
pub fn page(title: &str, section: Section, session: &Session, body: Markup) -> Markup {
    let admin = session.can(Scope::Admin);
    let csrf = session.csrf();
    let nav = [
        (Section::Overview, "/", "Overview", true),
        (Section::Connections, "/connections", "Connections", true),
        (Section::Collections, "/collections", "Collections", true),
        (Section::Search, "/search", "Search", true),
        (Section::Keys, "/keys", "API keys", admin),
        (Section::Audit, "/audit", "Audit log", admin),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                // The first stop for keyboard users: past the navigation.
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Inlet" }
                    nav aria-label="Main" {
                        @for (s, href, label, _) in nav.iter().filter(|n| n.3) {
                            @if *s == section {
                                a href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                    form method="post" action="/sign-out" {
                        input type="hidden" name="csrf" value=(csrf);
                        button.quiet type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// A page outside a session (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main { (body) } }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Inlet" }
            link rel="stylesheet" href="/console/app.css";
            script src="/console/app.js" defer {}
        }
    }
}

/// A status word as a coloured badge (the word is the label, so colour is
/// never the only signal).
pub fn badge(status: &str) -> Markup {
    html! { span class={"badge " (status)} { (status) } }
}

/// A time as "5 min ago" with the exact time for assistive tech and hover.
pub fn when(at: Option<Timestamp>, t: Timestamp) -> Markup {
    html! {
        @match at {
            Some(at) => time datetime=(at.to_rfc3339()) title=(at.to_rfc3339()) { (relative_time(at, t)) },
            None => span.hint { "never" },
        }
    }
}

/// Previous and next links that keep the filters.
pub fn pager(base: &str, params: &BTreeMap<String, String>, at: PageRequest, pages: u64) -> Markup {
    let link = |n: u32| {
        let mut q = params.clone();
        q.insert("page".into(), n.to_string());
        let query: Vec<String> = q
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("{base}?{}", query.join("&"))
    };
    html! {
        nav.pager aria-label="Pages" {
            @if at.page > 1 { a href=(link(at.page - 1)) rel="prev" { "← Previous" } }
            span { "Page " (at.page) " of " (pages.max(1)) }
            @if u64::from(at.page) < pages { a href=(link(at.page + 1)) rel="next" { "Next →" } }
        }
    }
}

/// Percent-encodes a query name or value.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
