//! Snippets: the part of a document's text where the query's words are
//! densest, HTML-escaped, with each match wrapped in `<mark>…</mark>`.
//! Computed by Inlet from the stored text, so both stores show the same.

use std::ops::Range;

use super::query::Query;
use super::tokens::scan;

/// Words a snippet shows.
const WINDOW: usize = 24;
/// Tokens of a long text looked at for the best window.
const LOOK_AT: usize = 20_000;

/// The snippet of `text` for `query`.
pub fn snippet(text: &str, query: &Query) -> String {
    let exact: Vec<&str> = query
        .wanted()
        .flat_map(|t| t.tokens.iter().map(String::as_str))
        .collect();
    let prefixes: Vec<&str> = query
        .wanted()
        .filter(|t| t.prefix)
        .filter_map(|t| t.tokens.last().map(String::as_str))
        .collect();
    let mut tokens: Vec<(Range<usize>, bool)> = Vec::new();
    scan(text, |range, token| {
        let hit = exact.contains(&token) || prefixes.iter().any(|p| token.starts_with(p));
        tokens.push((range, hit));
        tokens.len() < LOOK_AT
    });
    if tokens.is_empty() {
        return escape(&text.chars().take(200).collect::<String>());
    }
    // The window with the most matches (the first, when several tie).
    let hits = |r: &[(Range<usize>, bool)]| r.iter().filter(|(_, h)| *h).count();
    let width = WINDOW.min(tokens.len());
    let mut best = 0;
    let mut best_hits = hits(&tokens[..width]);
    let mut current = best_hits;
    for start in 1..=tokens.len() - width {
        current =
            current - usize::from(tokens[start - 1].1) + usize::from(tokens[start + width - 1].1);
        if current > best_hits {
            best = start;
            best_hits = current;
        }
    }
    // Some words of context before the first match, when that loses none.
    if let Some(first) = tokens[best..best + width].iter().position(|(_, h)| *h) {
        let shifted = (best + first)
            .saturating_sub(width / 3)
            .min(tokens.len() - width);
        if hits(&tokens[shifted..shifted + width]) >= best_hits {
            best = shifted;
        }
    }
    let window = &tokens[best..best + width];
    let mut out = String::new();
    if best > 0 {
        out.push('…');
    }
    let mut at = window[0].0.start;
    let mut open = false;
    for (range, hit) in window {
        let gap = &text[at..range.start];
        if open && (!gap.is_empty() || !hit) {
            out.push_str("</mark>");
            open = false;
        }
        out.push_str(&escape(gap));
        if *hit && !open {
            out.push_str("<mark>");
            open = true;
        }
        out.push_str(&escape(&text[range.clone()]));
        at = range.end;
    }
    if open {
        out.push_str("</mark>");
    }
    if best + width < tokens.len() {
        out.push('…');
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snip(text: &str, q: &str) -> String {
        snippet(text, &Query::parse("q", q).unwrap())
    }

    #[test]
    fn matches_are_marked_and_html_is_escaped() {
        assert_eq!(
            snip("The <b>Café</b> & the cafe", "cafe"),
            "The &lt;b&gt;<mark>Café</mark>&lt;/b&gt; &amp; the <mark>cafe</mark>"
        );
        assert_eq!(
            snip("searching for search", "sea*"),
            "<mark>searching</mark> for <mark>search</mark>"
        );
        assert_eq!(snip("我爱日本语", "日本"), "我爱<mark>日本</mark>语");
        assert_eq!(snip("pizza 🍕 night", "🍕"), "pizza <mark>🍕</mark> night");
        // Excluded words are not marked.
        assert_eq!(snip("a b", "a -b"), "<mark>a</mark> b");
    }

    #[test]
    fn the_densest_window_is_shown() {
        let text = format!(
            "{} needle here {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let s = snip(&text, "needle");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>needle</mark> here"), "{s}");
        assert_eq!(
            s.matches("filler").count() + s.matches("tail").count() + 2,
            WINDOW
        );
    }

    #[test]
    fn text_without_words_is_escaped_as_is() {
        assert_eq!(snip("<>", "x"), "&lt;&gt;");
    }
}
