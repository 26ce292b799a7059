//! The search query language, parsed by Inlet on every backend:
//!
//! - `word word` — all must match (in the title or the text);
//! - `"exact phrase"` — the words in this order, next to each other;
//! - `prefix*` — any word starting so (also `"a phrase"*` on its last word);
//! - `a OR b` — either; `OR` binds tighter than the implicit AND, so
//!   `x a OR b` is `x AND (a OR b)`;
//! - `-word`, `-"a phrase"` — must not match.
//!
//! Anything else is text: punctuation separates words (`foo-bar` is the
//! phrase `"foo bar"`), so no input reaches an engine as syntax. A query
//! that cannot mean anything answers a validation error naming the problem.

use super::tokens::scan;
use crate::CoreError;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most terms (words, phrases, exclusions) in one query.
pub const MAX_TERMS: usize = 32;
/// Shortest prefix accepted (`ab*`): a one-letter prefix matches nearly
/// every document and says nothing.
pub const MIN_PREFIX_CHARS: usize = 2;

/// A word or phrase, as normalized tokens (a word of several tokens, such
/// as `foo-bar` or a run of CJK characters, is a phrase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Tokens in order; never empty.
    pub tokens: Vec<String>,
    /// Whether the last token matches as a prefix.
    pub prefix: bool,
}

/// Alternatives of which at least one must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Joined by OR; never empty.
    pub any_of: Vec<Term>,
}

/// A parsed query: every clause must match and no excluded term may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Joined by AND; never empty.
    pub clauses: Vec<Clause>,
    /// Terms that must not match.
    pub excluded: Vec<Term>,
}

/// One lexed piece of the input.
enum Item {
    Term {
        text: String,
        negated: bool,
        prefix: bool,
    },
    Or,
}

fn lex(input: &str) -> Vec<Item> {
    let chars: Vec<char> = input.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    let space = |c: char| c.is_whitespace() || c == '\0';
    while i < chars.len() {
        if space(chars[i]) {
            i += 1;
            continue;
        }
        let negated = chars[i] == '-' && chars.get(i + 1).is_some_and(|&c| !space(c));
        if negated {
            i += 1;
        }
        if chars[i] == '"' {
            // A phrase; a quote left open runs to the end.
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && chars[end] != '"' {
                end += 1;
            }
            let text: String = chars[start..end].iter().collect();
            i = (end + 1).min(chars.len());
            let prefix = chars.get(i) == Some(&'*');
            if prefix {
                i += 1;
            }
            items.push(Item::Term {
                text,
                negated,
                prefix,
            });
        } else {
            let start = i;
            while i < chars.len() && !space(chars[i]) && chars[i] != '"' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if !negated && word == "OR" {
                items.push(Item::Or);
                continue;
            }
            let prefix = word.ends_with('*');
            items.push(Item::Term {
                text: word.trim_end_matches('*').to_owned(),
                negated,
                prefix,
            });
        }
    }
    items
}

fn tokens_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan(text, |_, t| {
        out.push(t.to_owned());
        true
    });
    out
}

impl Query {
    /// Parses `input`; errors name `field` (`query`, `q`).
    pub fn parse(field: &str, input: &str) -> Result<Self, CoreError> {
        if input.trim().is_empty() {
            return Err(CoreError::invalid(
                field,
                "is empty; give words to search for",
            ));
        }
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(CoreError::invalid(
                field,
                format!("is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let mut clauses: Vec<Clause> = Vec::new();
        let mut excluded = Vec::new();
        let mut or_pending = false;
        let mut terms = 0;
        for item in lex(input) {
            let (text, negated, prefix) = match item {
                // `OR` with nothing on its left is a stray operator: ignored.
                Item::Or => {
                    or_pending = !clauses.is_empty();
                    continue;
                }
                Item::Term {
                    text,
                    negated,
                    prefix,
                } => (text, negated, prefix),
            };
            let tokens = tokens_of(&text);
            if tokens.is_empty() {
                // Only punctuation (`*`, `(`, `-`): nothing to look for.
                continue;
            }
            if prefix
                && tokens
                    .last()
                    .is_some_and(|t| t.chars().count() < MIN_PREFIX_CHARS)
            {
                return Err(CoreError::invalid(
                    field,
                    format!("a prefix (word*) needs at least {MIN_PREFIX_CHARS} characters"),
                ));
            }
            terms += 1;
            if terms > MAX_TERMS {
                return Err(CoreError::invalid(
                    field,
                    format!("has more than {MAX_TERMS} words and phrases"),
                ));
            }
            let term = Term { tokens, prefix };
            if negated {
                if or_pending {
                    return Err(CoreError::invalid(
                        field,
                        "an excluded term (-word) cannot be one side of OR",
                    ));
                }
                excluded.push(term);
            } else {
                match clauses.last_mut() {
                    Some(last) if or_pending => last.any_of.push(term),
                    _ => clauses.push(Clause { any_of: vec![term] }),
                }
            }
            or_pending = false;
        }
        if clauses.is_empty() {
            let why = if excluded.is_empty() {
                "has no words to search for, only punctuation or operators"
            } else {
                "needs a word to search for; excluded terms alone match nothing"
            };
            return Err(CoreError::invalid(field, why));
        }
        Ok(Self { clauses, excluded })
    }

    /// Every term that must or may match (not the excluded ones).
    pub fn wanted(&self) -> impl Iterator<Item = &Term> {
        self.clauses.iter().flat_map(|c| c.any_of.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(tokens: &[&str], prefix: bool) -> Term {
        Term {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            prefix,
        }
    }

    fn parse(q: &str) -> Query {
        Query::parse("query", q).unwrap_or_else(|e| panic!("{q:?}: {e}"))
    }

    fn refused(q: &str) -> String {
        match Query::parse("q", q) {
            Err(CoreError::Invalid { field, message }) => {
                assert_eq!(field, "q");
                message
            }
            other => panic!("{q:?} parsed: {other:?}"),
        }
    }

    #[test]
    fn each_form() {
        let q = parse(r#"Alpha "Big Cat" pre* -gone -"old news" x OR y"#);
        assert_eq!(
            q.clauses,
            vec![
                Clause {
                    any_of: vec![term(&["alpha"], false)]
                },
                Clause {
                    any_of: vec![term(&["big", "cat"], false)]
                },
                Clause {
                    any_of: vec![term(&["pre"], true)]
                },
                Clause {
                    any_of: vec![term(&["x"], false), term(&["y"], false)]
                },
            ]
        );
        assert_eq!(
            q.excluded,
            vec![term(&["gone"], false), term(&["old", "news"], false)]
        );
        assert_eq!(
            parse(r#""a phrase"*"#).clauses[0].any_of[0],
            term(&["a", "phrase"], true)
        );
        assert_eq!(parse("a OR b OR c").clauses[0].any_of.len(), 3);
        // Lowercase `or` is a word.
        assert_eq!(parse("a or b").clauses.len(), 3);
    }

    #[test]
    fn punctuation_makes_phrases_never_syntax() {
        assert_eq!(
            parse("foo-bar").clauses[0].any_of[0],
            term(&["foo", "bar"], false)
        );
        assert_eq!(parse("NEAR(a b)").clauses.len(), 2);
        assert_eq!(parse("NEAR(").clauses[0].any_of[0], term(&["near"], false));
        assert_eq!(parse("title:x AND y").clauses.len(), 3);
        assert_eq!(
            parse("日本語").clauses[0].any_of[0],
            term(&["日", "本", "語"], false)
        );
        assert_eq!(parse("🍕").clauses[0].any_of[0], term(&["🍕"], false));
        assert_eq!(parse("Café").clauses[0].any_of[0], term(&["cafe"], false));
    }

    #[test]
    fn hostile_input_is_a_clear_refusal_or_a_query() {
        assert!(refused("").contains("empty"));
        assert!(refused("   ").contains("empty"));
        assert!(refused("*").contains("no words"));
        assert!(refused("OR").contains("no words"));
        assert!(refused("\" \"").contains("no words"));
        assert!(refused("-a -b").contains("excluded"));
        assert!(refused("a OR -b").contains("OR"));
        assert!(refused(&"x".repeat(MAX_QUERY_CHARS + 1)).contains("longer"));
        assert!(refused("a*").contains("at least 2 characters"));
        assert!(refused("\"big c\"*").contains("prefix"));
        assert!(refused("日*").contains("prefix"));
        assert!(refused(&"w ".repeat(MAX_TERMS + 1)).contains("more than"));
        // Open quotes, stray operators, NUL bytes.
        assert_eq!(
            parse("\"open phrase").clauses[0].any_of[0],
            term(&["open", "phrase"], false)
        );
        assert_eq!(
            parse("OR a OR").clauses,
            vec![Clause {
                any_of: vec![term(&["a"], false)]
            }]
        );
        assert_eq!(parse("a\0b").clauses.len(), 2);
        assert_eq!(parse("- a").clauses.len(), 1);
        assert_eq!(parse("a ** b").clauses.len(), 2);
    }
}
