//! The page frame every console page shares: head, navigation, sign-out.

use maud::{DOCTYPE, Markup, html};

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
}

/// A signed-in page: `title`, the navigation, and `body`.
pub fn page(title: &str, section: Section, csrf: &str, body: Markup) -> Markup {
    let nav = [
        (Section::Overview, "/", "Overview"),
        (Section::Connections, "/connections", "Connections"),
        (Section::Collections, "/collections", "Collections"),
        (Section::Search, "/search", "Search"),
        (Section::Keys, "/keys", "API keys"),
        (Section::Audit, "/audit", "Audit log"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/" { "Inlet" }
                    nav aria-label="Main" {
                        @for (s, href, label) in nav {
                            @if s == section {
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
                main { (body) }
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
