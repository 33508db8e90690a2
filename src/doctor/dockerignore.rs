//! `.dockerignore` as the builder reads it (moby's patternmatcher): one pattern per
//! line, `#` comments, `!` re-includes, the last matching line wins, a pattern that
//! matches a folder excludes everything in it, `*` stays within one folder and `**`
//! spans any number.
//!
//! The patterns are matched all at once (`pattern_set`), so each path costs the same
//! whatever the number of lines.

use crate::doctor::pattern_set::{PatternSet, PatternSetBuilder};
use crate::doctor::read_limit;

/// Past this size a `.dockerignore` is not read: real ones are a few hundred bytes.
pub const MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    /// For each line kept, in file order: whether it is a `!` exception.
    exceptions: Vec<bool>,
    patterns: PatternSet,
    /// Why the file was not read, when it was not.
    not_read: Option<String>,
}

impl Dockerignore {
    pub fn parse(text: &str) -> Self {
        Dockerignore::read(text).unwrap_or_else(|reason| Dockerignore {
            not_read: Some(reason),
            ..Dockerignore::default()
        })
    }

    fn read(text: &str) -> Result<Self, String> {
        read_limit::fits(text, MAX_BYTES)?;
        let mut exceptions = Vec::new();
        let mut patterns = PatternSetBuilder::default();
        for (exception, pattern) in text.lines().filter_map(pattern) {
            if patterns.add(&pattern, exceptions.len())? {
                exceptions.push(exception);
            }
        }
        Ok(Dockerignore {
            exceptions,
            patterns: patterns.build()?,
            not_read: None,
        })
    }

    /// Why the file was not read (too large), when it was not.
    pub fn not_read(&self) -> Option<&str> {
        self.not_read.as_deref()
    }

    /// Whether the builder leaves `path` (relative to the context, `/`-separated)
    /// out of the build context: the last line matching it or a folder above it
    /// decides. A file that was not read answers yes: doctor cannot tell, and says so
    /// rather than claim something is sent.
    pub fn excludes(&self, path: &str) -> bool {
        if self.not_read.is_some() {
            return true;
        }
        let path = path.trim_start_matches("./").trim_end_matches('/');
        let parents = path.match_indices('/').map(|(slash, _)| &path[..slash]);
        let last = std::iter::once(path)
            .chain(parents)
            .flat_map(|candidate| self.patterns.matching_lines(candidate))
            .max();
        last.is_some_and(|line| !self.exceptions[line])
    }
}

/// A pattern line: whether it is a `!` exception, and its pattern, cleaned.
fn pattern(line: &str) -> Option<(bool, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (exception, line) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let cleaned = clean(line);
    (!cleaned.is_empty()).then_some((exception, cleaned))
}

/// Go's `filepath.Clean` for patterns, without the leading `/`.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_exclude_their_contents() {
        let ignore = Dockerignore::parse("# vcs\n.git\n/bin/\n");
        assert!(ignore.excludes(".git"));
        assert!(ignore.excludes(".git/config"));
        assert!(ignore.excludes("bin/app"));
        assert!(!ignore.excludes("cmd/bin/app"));
        assert!(!ignore.excludes(".env"));
    }

    #[test]
    fn exceptions_and_order() {
        let ignore = Dockerignore::parse("*\n!go.mod\n!cmd/\n.env*\n!.env.example\n");
        assert!(ignore.excludes(".git"));
        assert!(!ignore.excludes("go.mod"));
        assert!(!ignore.excludes("cmd/app/main.go"));
        assert!(ignore.excludes(".env"));
        assert!(!ignore.excludes(".env.example"));
    }

    #[test]
    fn stars_stay_in_one_folder_and_double_stars_do_not() {
        let ignore = Dockerignore::parse("*.md\n**/*.log\n");
        assert!(ignore.excludes("README.md"));
        assert!(!ignore.excludes("docs/README.md"));
        assert!(ignore.excludes("a/b/c.log"));
        assert!(ignore.excludes("c.log"));
    }

    #[test]
    fn many_plain_lines_are_cheap_and_still_ordered() {
        let mut text: String = (0..50_000).map(|i| format!("data/file{i}\n")).collect();
        text.push_str("!data/file7\n.git\n");
        let ignore = Dockerignore::parse(&text);
        assert!(ignore.not_read().is_none());
        assert!(ignore.excludes("data/file8"));
        assert!(ignore.excludes("data/file8/inside"));
        assert!(!ignore.excludes("data/file7"));
        assert!(ignore.excludes(".git/HEAD"));
    }

    #[test]
    fn too_many_wildcards_or_bytes_are_not_read_and_claim_nothing() {
        let globs: String = (0..=crate::doctor::pattern_set::MAX_GLOBS)
            .map(|i| format!("dir{i}/*.txt\n"))
            .collect();
        let ignore = Dockerignore::parse(&(globs + "!.git\n"));
        assert_eq!(
            ignore.not_read(),
            Some("not read: more than 2000 patterns with wildcards")
        );
        assert!(
            ignore.excludes(".git"),
            "cannot tell, so no claim it is sent"
        );
        let ignore = Dockerignore::parse(&"#".repeat(MAX_BYTES + 1));
        assert_eq!(ignore.not_read(), Some("not read: larger than 1 MiB"));
    }
}
