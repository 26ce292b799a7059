//! The CSRF token of a console session: derived from the session's token,
//! so forms carry it without the store keeping another secret, and checked
//! in constant time on every form a session posts.

use inlet_core::digest::sha256_hex;

/// The CSRF token of a session: derived from its token, so forms can carry
/// it without the store keeping another secret.
pub(crate) fn csrf_token(session_token: &str) -> String {
    sha256_hex(format!("inlet-csrf:{session_token}").as_bytes())
}

/// Whether `presented` is the session's CSRF token (compared in constant
/// time).
pub(crate) fn csrf_matches(session_token: &str, presented: &str) -> bool {
    let expected = csrf_token(session_token);
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let t = csrf_token("abc");
        assert!(csrf_matches("abc", &t));
        assert!(!csrf_matches("abd", &t));
        assert!(!csrf_matches("abc", ""));
        assert!(!csrf_matches("abc", &t[1..]));
    }
}
