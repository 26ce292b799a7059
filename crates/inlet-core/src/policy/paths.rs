//! File paths under the policy's roots: checked by their text first, then
//! after resolving symlinks, so a refusal never tells what exists outside.

use std::path::{Component, Path, PathBuf};

use super::{OutboundPolicy, Refusal};

impl OutboundPolicy {
    /// Checks `path` against the roots and resolves it (relative paths are
    /// taken from the first root). The check is lexical first: `.` and `..`
    /// are resolved without touching the file system, and anything outside
    /// every root is refused before the file system is asked about it, so a
    /// refusal says nothing about what exists out there. Only then are
    /// symlinks resolved, and a path that leads outside is refused the same
    /// way. A missing file inside a root is an I/O error, not a refusal.
    pub fn check_path(&self, path: &str) -> Result<Result<PathBuf, Refusal>, std::io::Error> {
        let given = Path::new(path);
        let joined = match (given.is_absolute(), self.file_roots.first()) {
            (false, Some(root)) => root.join(given),
            _ => given.to_path_buf(),
        };
        let lexical = normalize(&joined);
        if !self.inside_roots(&lexical) {
            return Ok(Err(Refusal::OutsideRoots));
        }
        match std::fs::canonicalize(&lexical) {
            Ok(canonical) if self.inside_roots(&canonical) => Ok(Ok(canonical)),
            Ok(_) => Ok(Err(Refusal::OutsideRoots)),
            // A symlink inside a root may point at a missing place outside:
            // judge by the deepest part that exists (a dangling link counts
            // as outside), so the error cannot tell what exists out there.
            Err(e) => {
                let deepest = lexical
                    .ancestors()
                    .find(|a| std::fs::symlink_metadata(a).is_ok())
                    .and_then(|a| std::fs::canonicalize(a).ok());
                match deepest {
                    Some(existing) if self.inside_roots(&existing) => Err(e),
                    _ => Ok(Err(Refusal::OutsideRoots)),
                }
            }
        }
    }

    pub(super) fn inside_roots(&self, path: &Path) -> bool {
        self.file_roots.iter().any(|root| path.starts_with(root))
    }
}

/// `path` with `.` and `..` resolved by its text alone (`..` at the root
/// stays at the root, as the kernel does).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_roots_after_resolution() {
        let root = tempfile_dir();
        let outside = tempfile_dir();
        std::fs::write(root.join("ok.csv"), "a\n1\n").unwrap();
        std::fs::write(outside.join("secret.csv"), "a\n1\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.join("secret.csv"), root.join("link.csv")).unwrap();
        let p = OutboundPolicy {
            file_roots: vec![std::fs::canonicalize(&root).unwrap()],
            ..Default::default()
        };
        assert!(p.check_path("ok.csv").unwrap().is_ok());
        assert!(
            p.check_path(root.join("ok.csv").to_str().unwrap())
                .unwrap()
                .is_ok()
        );
        let traversal = format!(
            "../{}/secret.csv",
            outside.file_name().unwrap().to_str().unwrap()
        );
        assert!(matches!(
            p.check_path(&traversal).unwrap(),
            Err(Refusal::OutsideRoots)
        ));
        #[cfg(unix)]
        assert!(matches!(
            p.check_path("link.csv").unwrap(),
            Err(Refusal::OutsideRoots)
        ));
        assert!(p.check_path("missing.csv").is_err());
        assert!(p.check_path("./sub/../missing.csv").is_err());
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
    }

    #[test]
    fn outside_the_roots_nothing_is_told_about_what_exists() {
        let root = tempfile_dir();
        let outside = tempfile_dir();
        std::fs::write(outside.join("there.csv"), "a\n1\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
            std::os::unix::fs::symlink(outside.join("gone"), root.join("dangling")).unwrap();
        }
        let p = OutboundPolicy {
            file_roots: vec![std::fs::canonicalize(&root).unwrap()],
            ..Default::default()
        };
        let out = outside.to_str().unwrap();
        let up = format!("../{}", outside.file_name().unwrap().to_str().unwrap());
        let mut probes = vec![
            format!("{out}/there.csv"),
            format!("{out}/missing.csv"),
            format!("{up}/there.csv"),
            format!("{up}/missing.csv"),
            format!("{}/../../../{out}/there.csv", root.display()),
            "/".to_owned(),
            "..".to_owned(),
        ];
        if cfg!(unix) {
            probes.extend(
                ["out/there.csv", "out/missing.csv", "out/x/y", "dangling"].map(String::from),
            );
        }
        for probe in &probes {
            let refusal = p.check_path(probe).expect(probe).expect_err(probe);
            assert_eq!(refusal, Refusal::OutsideRoots, "{probe}");
            assert!(!refusal.to_string().contains(out), "{probe}");
        }
        // `..` that stays inside is fine; a file name is not a directory.
        std::fs::write(root.join("in.csv"), "a\n1\n").unwrap();
        assert!(p.check_path("x/../in.csv").unwrap().is_ok());
        assert!(p.check_path("in.csv/..").unwrap().is_ok());
        assert_eq!(
            normalize(Path::new("/a/./b/../../../c")),
            PathBuf::from("/c")
        );
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inlet-policy-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
