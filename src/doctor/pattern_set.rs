//! The patterns of one `.dockerignore` or `.gitattributes`, matched all at once: a
//! pattern without wildcards is a hash-map entry, the others are compiled together
//! into one glob set. A file of 100,000 plain paths (LFS lists are that long) then
//! costs a hash lookup per path instead of 100,000 compiled regexes, and the number
//! of real globs, which each cost a regex, is capped.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Past this many patterns with wildcards a file is not read: real files have a few
/// dozen, and each costs a compiled regex (about 10 KB and 0.1 ms to build).
pub const MAX_GLOBS: usize = 2_000;

/// Characters that make a pattern a glob rather than a plain path.
const GLOB_CHARACTERS: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

#[derive(Debug, Clone)]
pub struct PatternSet {
    /// Plain paths, and the lines that name each.
    literals: HashMap<String, Vec<usize>>,
    globs: GlobSet,
    /// `glob_lines[i]` is the line of the set's glob `i`.
    glob_lines: Vec<usize>,
}

impl Default for PatternSet {
    fn default() -> Self {
        PatternSet {
            literals: HashMap::new(),
            globs: GlobSet::empty(),
            glob_lines: Vec::new(),
        }
    }
}

pub struct PatternSetBuilder {
    literals: HashMap<String, Vec<usize>>,
    globs: GlobSetBuilder,
    glob_lines: Vec<usize>,
}

impl Default for PatternSetBuilder {
    fn default() -> Self {
        PatternSetBuilder {
            literals: HashMap::new(),
            globs: GlobSetBuilder::new(),
            glob_lines: Vec::new(),
        }
    }
}

impl PatternSetBuilder {
    /// Adds the pattern of `line`: `*` stays within a folder, `**` spans folders, `\`
    /// escapes. False when the pattern is not a valid glob (it is left out); an error
    /// once there are too many globs.
    pub fn add(&mut self, pattern: &str, line: usize) -> Result<bool, String> {
        if !pattern.contains(GLOB_CHARACTERS) {
            self.literals
                .entry(pattern.to_string())
                .or_default()
                .push(line);
            return Ok(true);
        }
        if self.glob_lines.len() == MAX_GLOBS {
            return Err(format!(
                "not read: more than {MAX_GLOBS} patterns with wildcards"
            ));
        }
        let Ok(glob) = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
        else {
            return Ok(false);
        };
        self.globs.add(glob);
        self.glob_lines.push(line);
        Ok(true)
    }

    pub fn build(self) -> Result<PatternSet, String> {
        let globs = self
            .globs
            .build()
            .map_err(|error| format!("not read: its patterns are too complex ({error})"))?;
        Ok(PatternSet {
            literals: self.literals,
            globs,
            glob_lines: self.glob_lines,
        })
    }
}

impl PatternSet {
    /// The lines whose pattern matches `candidate`, in no particular order.
    pub fn matching_lines(&self, candidate: &str) -> impl Iterator<Item = usize> + '_ {
        let literal = self.literals.get(candidate).into_iter().flatten().copied();
        let globs = self
            .globs
            .matches(candidate)
            .into_iter()
            .map(|index| self.glob_lines[index]);
        literal.chain(globs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set_of(patterns: &[String]) -> (PatternSet, Vec<Option<globset::GlobMatcher>>) {
        let mut builder = PatternSetBuilder::default();
        let mut one_by_one = Vec::new();
        for (line, pattern) in patterns.iter().enumerate() {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .ok();
            assert_eq!(builder.add(pattern, line), Ok(glob.is_some()));
            one_by_one.push(glob.map(|glob| glob.compile_matcher()));
        }
        (builder.build().unwrap(), one_by_one)
    }

    /// Paths as doctor asks about them: relative, `/`-separated, no `.` or `..`.
    fn path() -> impl Strategy<Value = String> {
        let segment = prop::sample::select(&["a", "b", ".a", "a.", "a.b", "ab.a", "{"][..]);
        prop::collection::vec(segment, 1..4).prop_map(|segments| segments.join("/"))
    }

    proptest! {
        /// The shortcut for plain paths agrees with compiling every pattern alone.
        #[test]
        fn matches_what_each_glob_alone_matches(
            patterns in prop::collection::vec("[a.*?/\\[\\]{},\\\\]{1,6}", 0..12),
            candidates in prop::collection::vec(path(), 1..6),
        ) {
            let (set, one_by_one) = set_of(&patterns);
            for candidate in &candidates {
                let mut lines: Vec<usize> = set.matching_lines(candidate).collect();
                lines.sort_unstable();
                let expected: Vec<usize> = one_by_one
                    .iter()
                    .enumerate()
                    .filter(|(_, glob)| glob.as_ref().is_some_and(|glob| glob.is_match(candidate)))
                    .map(|(line, _)| line)
                    .collect();
                prop_assert_eq!(lines, expected, "{:?} on {:?}", patterns, candidate);
            }
        }
    }

    #[test]
    fn a_repeated_plain_path_keeps_every_line() {
        let (set, _) = set_of(&["a/b".to_string(), "*".to_string(), "a/b".to_string()]);
        let mut lines: Vec<usize> = set.matching_lines("a/b").collect();
        lines.sort_unstable();
        assert_eq!(lines, [0, 2]);
    }
}
