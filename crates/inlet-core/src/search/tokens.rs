//! Cutting text into search tokens: letters and digits run together into
//! words, lowercased and stripped of accents; each CJK ideograph or kana is
//! a token of its own (those scripts do not put spaces between words, so a
//! phrase of single characters finds any word in a run); each emoji or
//! other pictograph is a token; everything else separates.

use std::ops::Range;

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Longer words are cut to this many characters, in the index and in
/// queries alike.
pub const MAX_TOKEN_CHARS: usize = 64;

/// Tokens of a document's title, and of its text, beyond this many are
/// not indexed.
pub const MAX_DOCUMENT_TOKENS: usize = 50_000;

#[derive(Clone, Copy, PartialEq)]
enum Class {
    /// Part of a word.
    Word,
    /// A token by itself (CJK, emoji).
    Alone,
    /// Dropped without ending a word (combining marks, joiners).
    Ignored,
    /// Ends a word.
    Separator,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Class::Word
        } else {
            Class::Separator
        };
    }
    let u = u32::from(c);
    let alone = matches!(u,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x31F0..=0x31FF    // katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width katakana
        | 0x20000..=0x3FFFF  // CJK extensions B and later
        | 0x2600..=0x27BF    // miscellaneous symbols, dingbats
        | 0x2B00..=0x2BFF    // arrows and symbols (stars, squares)
        | 0x1F000..=0x1FAFF  // emoji and pictographs
    );
    if alone {
        Class::Alone
    } else if c.is_alphanumeric() {
        Class::Word
    } else if is_combining_mark(c) || matches!(u, 0x200C | 0x200D | 0xFE00..=0xFE0F) {
        Class::Ignored
    } else {
        Class::Separator
    }
}

/// Appends `c` lowercased and without accents.
fn push_folded(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    // Hangul syllables decompose into jamo, which are not accents.
    if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
        out.push(c);
        return;
    }
    for lower in c.to_lowercase() {
        decompose_canonical(lower, |d| {
            if !is_combining_mark(d) {
                out.push(d);
            }
        });
    }
}

/// Calls `f` with each token's byte range in `text` and its normalized
/// form, in order, until `f` returns `false`.
pub fn scan(text: &str, mut f: impl FnMut(Range<usize>, &str) -> bool) {
    let mut word = String::new();
    let mut chars = 0;
    let mut start = None::<usize>;
    let mut end = 0;
    let mut alone = String::new();
    for (i, c) in text.char_indices() {
        match class(c) {
            Class::Word => {
                if start.is_none() {
                    start = Some(i);
                }
                if chars < MAX_TOKEN_CHARS {
                    push_folded(&mut word, c);
                    chars += 1;
                }
                end = i + c.len_utf8();
            }
            Class::Ignored => {
                if start.is_some() {
                    end = i + c.len_utf8();
                }
            }
            class => {
                if let Some(s) = start.take() {
                    let go = f(s..end, &word);
                    word.clear();
                    chars = 0;
                    if !go {
                        return;
                    }
                }
                if class == Class::Alone {
                    alone.clear();
                    push_folded(&mut alone, c);
                    if !f(i..i + c.len_utf8(), &alone) {
                        return;
                    }
                }
            }
        }
    }
    if let Some(s) = start {
        f(s..end, &word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan(text, |_, t| {
            out.push(t.to_owned());
            true
        });
        out
    }

    #[test]
    fn words_are_lowercased_and_lose_their_accents() {
        assert_eq!(tokens("Café NAÏVE Zoë"), ["cafe", "naive", "zoe"]);
        // Decomposed input (e + combining acute) is the same word.
        assert_eq!(tokens("Cafe\u{301}"), ["cafe"]);
        assert_eq!(tokens("Straße Øre"), ["straße", "øre"]);
    }

    #[test]
    fn punctuation_separates_and_nul_is_a_separator() {
        assert_eq!(
            tokens("foo-bar e.g. x_y\0z"),
            ["foo", "bar", "e", "g", "x", "y", "z"]
        );
        assert_eq!(tokens("  ,;  "), Vec::<String>::new());
    }

    #[test]
    fn cjk_characters_and_emoji_are_tokens_of_their_own() {
        assert_eq!(
            tokens("日本語のテキスト"),
            ["日", "本", "語", "の", "テ", "キ", "ス", "ト"]
        );
        assert_eq!(tokens("I ❤️ 🍕pizza"), ["i", "❤", "🍕", "pizza"]);
        assert_eq!(tokens("한국어 단어"), ["한국어", "단어"]);
    }

    #[test]
    fn ranges_point_at_the_original_text() {
        let text = "Hé, 日本 🍕!";
        let mut spans = Vec::new();
        scan(text, |r, _| {
            spans.push(&text[r]);
            true
        });
        assert_eq!(spans, ["Hé", "日", "本", "🍕"]);
    }

    #[test]
    fn long_words_are_cut() {
        let long = "a".repeat(500);
        assert_eq!(tokens(&long)[0].len(), MAX_TOKEN_CHARS);
        assert_eq!(tokens("Zoë's Café"), ["zoe", "s", "cafe"]);
    }
}
