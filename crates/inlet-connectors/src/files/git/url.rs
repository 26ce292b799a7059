//! Reading a repository URL once. The URL is parsed by `gix-url` — the parser
//! gix itself connects with — and that one parse is checked and then handed
//! to gix, so the host the policy checks is the host gix reaches.
//!
//! Some URLs are read differently by different parsers (gix, the `url` crate
//! under reqwest, OpenSSH, a person). Those are refused rather than guessed
//! at: an authority (the text between `://` and the first `/`) holding `?`,
//! `#`, `\`, whitespace or more than one `@`; a host that is neither a plain
//! DNS name nor an IP address written canonically (`127.1`, `0x7f.0.0.1`
//! and percent escapes are read as addresses by some parsers and as names
//! by others); and a password in the userinfo, which would be stored in
//! plain text (the token goes in the `token` secret field instead).

use std::net::{IpAddr, Ipv4Addr};

use inlet_core::connector::ConnectorError;

/// Where a repository URL points, as gix will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on this machine.
    Local(String),
    /// An https or ssh remote.
    Remote(RemoteUrl),
}

/// A checked remote URL: the parse gix is given, and its host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// The parsed URL, handed to gix as is (never carries a password).
    pub url: gix::Url,
    /// Its host, without brackets.
    pub host: String,
    /// Its port (the scheme's default when none is written).
    pub port: u16,
}

impl RemoteUrl {
    /// Whether this is an ssh remote (else https).
    pub fn is_ssh(&self) -> bool {
        self.url.scheme == gix::url::Scheme::Ssh
    }
}

/// The message for a URL that carries a password, naming where it belongs.
pub const PASSWORD_IN_URL: &str = "must not hold a password or token (user:secret@host); \
    give an https token in credentials.token and an SSH password or key in \
    credentials.sshPassword or credentials.sshPrivateKey";

fn invalid(why: &str) -> ConnectorError {
    ConnectorError::Invalid(format!("credentials.url {why}"))
}

fn refuse(scheme: &str) -> ConnectorError {
    ConnectorError::Transport(format!(
        "git transport {scheme} is not allowed; use https, ssh or a local path"
    ))
}

/// Whether the URL text holds a password in its userinfo, read the widest
/// way: for `scheme://` URLs the userinfo is what comes before the last `@`
/// of the text up to the first `/`; for scp-like `user@host:path` it is what
/// comes before the first `@`. Errs on the side of refusing, so a password
/// is never stored whichever parser would have found it.
pub fn has_password(url: &str) -> bool {
    let url = url.trim();
    let userinfo = match url.split_once("://") {
        Some((_, rest)) => {
            let authority = rest.split('/').next().unwrap_or_default();
            authority.rsplit_once('@').map(|(u, _)| u)
        }
        // scp-like `user@host:path`; a local path has a `/` before any `@`.
        None => url
            .split_once('@')
            .map(|(u, _)| u)
            .filter(|u| !u.contains('/')),
    };
    userinfo.is_some_and(|u| u.contains(':'))
}

/// Classifies a repository URL, refusing every transport but https, ssh and
/// local paths, and every URL parsers could read two ways.
pub fn classify(input: &str) -> Result<Location, ConnectorError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid("is required"));
    }
    if has_password(input) {
        return Err(invalid(PASSWORD_IN_URL));
    }
    // Never quote gix's error: it carries the input.
    let url = gix::url::parse(input.as_bytes()).map_err(|_| invalid("is not a valid git URL"))?;
    use gix::url::Scheme;
    match &url.scheme {
        Scheme::File => {
            let path = std::str::from_utf8(url.path.as_ref())
                .map_err(|_| invalid("is not valid UTF-8"))?;
            return Ok(Location::Local(path.to_owned()));
        }
        Scheme::Https | Scheme::Ssh => {}
        Scheme::Ext => return Err(refuse("ext::")),
        Scheme::Helper(name) | Scheme::HelperUrl(name) => {
            return Err(refuse(&format!("{name}::")));
        }
        other => return Err(refuse(&format!("{}://", other.as_str()))),
    }
    // gix drops whitespace when it looks for the end of the host.
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("must not contain spaces or control characters"));
    }
    if let Some((_, rest)) = input.split_once("://") {
        // The authority as the most naive reader sees it: up to the first `/`.
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(invalid("has no host"));
        }
        if authority.contains(['?', '#', '\\']) {
            return Err(invalid("must not have ?, # or \\ before the path"));
        }
        if authority.matches('@').count() > 1 {
            return Err(invalid("must not have more than one @ before the path"));
        }
    }
    if url.password.is_some() {
        return Err(invalid(PASSWORD_IN_URL));
    }
    let written = url.host().ok_or_else(|| invalid("has no host"))?;
    let host = checked_host(written)?;
    let port = url.port_or_default().unwrap_or(0);
    if port == 0 {
        return Err(invalid("has port 0"));
    }
    Ok(Location::Remote(RemoteUrl { url, host, port }))
}

/// A host every parser reads the same way: a bracketed or bare IPv6 literal
/// without a zone, a canonical dotted IPv4 address, or a DNS name of
/// letters, digits, `-`, `_` and `.` whose last label is not numeric (the
/// WHATWG URL parser under reqwest reads `127.1` or `2130706433` as an
/// address; `getaddrinfo` does too, but a resolver may not).
fn checked_host(written: &str) -> Result<String, ConnectorError> {
    let bare = written
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(written);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let name_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if bare.is_empty() || !bare.chars().all(name_chars) {
        return Err(invalid(
            "has a host that is neither a DNS name nor an IP address",
        ));
    }
    let last = bare
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.chars().all(|c| c.is_ascii_digit())
            || last.starts_with("0x")
            || last.starts_with("0X"));
    if numeric && bare.parse::<Ipv4Addr>().is_err() {
        return Err(invalid(
            "has an IPv4 address in a short, octal or hex form; write it as a.b.c.d",
        ));
    }
    Ok(bare.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> (String, u16) {
        match classify(url) {
            Ok(Location::Remote(r)) => (r.host, r.port),
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn https_ssh_and_scp_like_urls_give_gix_host_and_port() {
        assert_eq!(
            remote("https://example.com/org/repo.git"),
            ("example.com".into(), 443)
        );
        assert_eq!(
            remote("https://Example.COM:8443/r.git?x=1#y"),
            ("example.com".into(), 8443)
        );
        assert_eq!(
            remote("https://deploy@example.com/r.git"),
            ("example.com".into(), 443)
        );
        assert_eq!(
            remote("https://127.0.0.1:18154/a@127.0.0.2/r.git"),
            ("127.0.0.1".into(), 18154)
        );
        assert_eq!(remote("https://[::1]:8443/r.git"), ("::1".into(), 8443));
        assert_eq!(
            remote("ssh://git@example.com:2222/r.git"),
            ("example.com".into(), 2222)
        );
        assert_eq!(remote("ssh://[::1]/r.git"), ("::1".into(), 22));
        assert_eq!(
            remote("git@example.com:org/r.git"),
            ("example.com".into(), 22)
        );
        assert_eq!(remote("127.0.0.1:srv/r.git"), ("127.0.0.1".into(), 22));
        // The URL gix is given is the one that was checked.
        let Ok(Location::Remote(r)) = classify("ssh://git@127.0.0.1:2222/srv/r.git") else {
            panic!()
        };
        assert!(r.is_ssh());
        assert_eq!(r.url.user(), Some("git"));
        assert_eq!(r.url.path, "/srv/r.git");
    }

    #[test]
    fn local_paths_stay_local() {
        assert_eq!(
            classify("/srv/repos/a").unwrap(),
            Location::Local("/srv/repos/a".into())
        );
        assert_eq!(
            classify("file:///srv/a").unwrap(),
            Location::Local("/srv/a".into())
        );
        assert_eq!(classify("repo").unwrap(), Location::Local("repo".into()));
        assert_eq!(classify("./a:b").unwrap(), Location::Local("./a:b".into()));
    }

    #[test]
    fn other_transports_are_refused() {
        for bad in [
            "http://example.com/r.git",
            "git://example.com/r.git",
            "ext::sh -c evil",
            "ext::sh",
            "ext://sh/x",
            "ftp://x/y",
            "fd::17/foo",
            "persistent-https://example.com/r.git",
        ] {
            assert!(
                matches!(classify(bad), Err(ConnectorError::Transport(_))),
                "{bad}: {:?}",
                classify(bad)
            );
        }
    }

    #[test]
    fn urls_read_two_ways_are_refused() {
        for bad in [
            // gix ends an http host at `?` or `#`; a naive reader at `/`.
            "https://127.0.0.2:18154?@127.0.0.1/repo.git",
            "https://127.0.0.2#@127.0.0.1/repo.git",
            "https://127.0.0.2?x@127.0.0.1/repo.git",
            "https://127.0.0.2\\@127.0.0.1/repo.git",
            "https://127.0.0.1\\.example.com/r.git",
            "ssh://127.0.0.2?@127.0.0.1/r.git",
            "ssh://127.0.0.2#@127.0.0.1/r.git",
            // Two userinfo separators.
            "https://a@127.0.0.2@127.0.0.1/r.git",
            // Leading extra slashes or backslashes gix skips.
            "https:///127.0.0.2/r.git",
            "https://\\127.0.0.2/r.git",
            // Whitespace and control characters gix filters out.
            "https://127.0.0.2 @127.0.0.1/r.git",
            "https://127.0.0.1\n/r.git",
            "https://127.0.0.\t2/r.git",
            // Addresses written in forms parsers disagree on.
            "https://127.1/r.git",
            "https://2130706434/r.git",
            "https://0x7f.0.0.2/r.git",
            "https://0177.0.0.2/r.git",
            "https://127.0.0.02/r.git",
            "https://127.0.0.%32/r.git",
            "https://ex%61mple.com/r.git",
            "https://[fe80::1%25eth0]/r.git",
            // No host, port 0.
            "https:///r.git",
            "https://:443/r.git",
            "ssh://127.0.0.1:0/r.git",
        ] {
            let r = classify(bad);
            assert!(
                matches!(r, Err(ConnectorError::Invalid(_))),
                "{bad:?}: {r:?}"
            );
        }
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_never_quoted() {
        for bad in [
            "https://deploy:ghp_s3cret@github.com/org/r.git",
            "https://:ghp_s3cret@github.com/org/r.git",
            "https://x:ghp_s3cret@127.0.0.1/r.git",
            "https://x:@127.0.0.1/r.git",
            "ssh://git:ghp_s3cret@example.com/r.git",
            "git:ghp_s3cret@example.com:org/r.git",
        ] {
            assert!(has_password(bad), "{bad}");
            let e = classify(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_request", "{bad}");
            assert!(e.to_string().contains("credentials.token"), "{e}");
            assert!(!e.to_string().contains("s3cret"), "{e}");
        }
        for good in [
            "https://deploy@github.com/org/r.git",
            "https://github.com/org/r.git?a:b@c",
            "git@example.com:org/r@v1.git",
            "ssh://git@example.com/org/r.git",
            "/srv/a:b@c",
        ] {
            assert!(!has_password(good), "{good}");
        }
    }

    #[test]
    fn errors_never_quote_the_url() {
        let e = classify("https://[zz::1]/s3cret-path").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
