//! Statements: [`Sql`], SQL text with `?` placeholders and its parameters,
//! built up in pieces, and the numbering of its placeholders that
//! PostgreSQL needs.

use super::{Backend, Val};

/// A statement: SQL text with `?` placeholders and its parameters.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    /// The text, with `?` placeholders.
    pub(super) text: String,
    /// The parameters, one per placeholder.
    pub(super) params: Vec<Val>,
}

impl Sql {
    /// Starts a statement.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        self.text.push('?');
        self.params.push(v.into());
        self
    }

    /// Appends `(?, ?, …)` binding each item: the list of an `IN`.
    pub fn bind_list<T: Into<Val>>(&mut self, items: impl IntoIterator<Item = T>) -> &mut Self {
        self.push("(");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item);
        }
        self.push(")")
    }

    /// Appends another fragment, text and parameters.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Adds a parameter for a `?` already in the text.
    pub fn arg(mut self, v: impl Into<Val>) -> Self {
        self.params.push(v.into());
        self
    }

    /// The text as the backend wants it: PostgreSQL numbers its placeholders.
    ///
    /// A `?` is a placeholder only outside string literals (`'…'`, `E'…'`),
    /// quoted identifiers (`"…"`), dollar-quoted strings and comments; `??`
    /// stands for a literal `?` (jsonb's `?`, `?|`, `?&` operators) on
    /// both engines' PostgreSQL side. SQLite takes the text as written.
    pub(super) fn text_for(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        match backend {
            Backend::Sqlite => std::borrow::Cow::Borrowed(&self.text),
            Backend::Postgres => std::borrow::Cow::Owned(number_placeholders(&self.text)),
        }
    }
}

/// Rewrites `?` placeholders as `$1`, `$2`, … outside quotes and comments;
/// `??` becomes a literal `?`.
fn number_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '\'' | '"' => {
                // Copy through the closing quote; a doubled quote is an escape
                // and simply reopens, which copying handles.
                out.push(ch);
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == ch {
                        break;
                    }
                }
            }
            '-' if text[i..].starts_with("--") => {
                out.push(ch);
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if text[i..].starts_with("/*") => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(text.len(), |e| i + 2 + e + 2);
                out.push_str(&text[i..end]);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '$' => {
                // A dollar-quote tag `$tag$…$tag$` (a `$` followed by a
                // digit is a numbered parameter, copied as is).
                let rest = &text[i + 1..];
                let tag_len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if rest[tag_len..].starts_with('$')
                    && !rest.starts_with(|c: char| c.is_ascii_digit())
                {
                    let tag = &text[i..i + tag_len + 2];
                    let body = i + tag.len();
                    let end = text[body..]
                        .find(tag)
                        .map_or(text.len(), |e| body + e + tag.len());
                    out.push_str(&text[i..end]);
                    while chars.peek().is_some_and(|(j, _)| *j < end) {
                        chars.next();
                    }
                } else {
                    out.push(ch);
                }
            }
            '?' if chars.peek().is_some_and(|(_, c)| *c == '?') => {
                chars.next();
                out.push('?');
            }
            '?' => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_inside_quotes_and_comments_stay() {
        let q = Sql::new(
            "SELECT '?' AS a, \"we?ird\" , E'it''s ?' -- why?\n, ? /* ? */ , $x$ ? $x$, data ?? 'k', ?",
        );
        assert_eq!(
            q.text_for(Backend::Postgres),
            "SELECT '?' AS a, \"we?ird\" , E'it''s ?' -- why?\n, $1 /* ? */ , $x$ ? $x$, data ? 'k', $2"
        );
    }

    #[test]
    fn postgres_placeholders_are_numbered() {
        let mut q = Sql::new("SELECT a FROM t WHERE x = ?");
        q.push(" AND y = ").bind(2_i64);
        assert_eq!(
            q.text_for(Backend::Postgres),
            "SELECT a FROM t WHERE x = $1 AND y = $2"
        );
        assert_eq!(
            q.text_for(Backend::Sqlite),
            "SELECT a FROM t WHERE x = ? AND y = ?"
        );
    }
}
