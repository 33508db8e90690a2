//! `.dockerignore` as the builder reads it (moby's patternmatcher): one pattern per
//! line, `#` comments, `!` re-includes, the last matching line wins, a pattern that
//! matches a folder excludes everything in it, `*` stays within one folder and `**`
//! spans any number.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    exclusion: bool,
    matcher: GlobMatcher,
}

impl Dockerignore {
    pub fn parse(text: &str) -> Self {
        let patterns = text.lines().filter_map(pattern).collect();
        Dockerignore { patterns }
    }

    /// Whether the builder leaves `path` (relative to the context, `/`-separated)
    /// out of the build context.
    pub fn excludes(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").trim_end_matches('/');
        let mut excluded = false;
        for pattern in &self.patterns {
            if pattern.exclusion != excluded {
                continue; // cannot change the outcome
            }
            if matches_or_parent(&pattern.matcher, path) {
                excluded = !pattern.exclusion;
            }
        }
        excluded
    }
}

fn pattern(line: &str) -> Option<Pattern> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (exclusion, line) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let cleaned = clean(line);
    if cleaned.is_empty() {
        return None;
    }
    let glob = GlobBuilder::new(&cleaned)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()?;
    Some(Pattern {
        exclusion,
        matcher: glob.compile_matcher(),
    })
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

fn matches_or_parent(matcher: &GlobMatcher, path: &str) -> bool {
    if matcher.is_match(path) {
        return true;
    }
    path.match_indices('/')
        .any(|(slash, _)| matcher.is_match(&path[..slash]))
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
}
