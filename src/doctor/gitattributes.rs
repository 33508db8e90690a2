//! Enough of `.gitattributes` to answer one question per file: will git check it out
//! with LF whatever `core.autocrlf` says on the machine? That holds when the last
//! matching lines leave `eol=lf` set and `text` not unset (`-text`, `binary`).
//! Patterns follow gitattributes rules: no slash matches the file name at any depth,
//! a slash anchors to the folder of the `.gitattributes`, `**` spans folders.
//!
//! Only lines that set `text`, `eol`, `binary` or `crlf` are kept, and their patterns
//! are matched all at once (`pattern_set`): a file of 100,000 lines costs a hash
//! lookup per path, not 100,000 regexes.

use crate::doctor::pattern_set::{PatternSet, PatternSetBuilder};
use crate::doctor::read_limit;

/// Past this size a `.gitattributes` is not read (git's own limit is 100 MB; a long
/// LFS list is a few megabytes).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Git ignores longer lines (with a warning), and so does doctor.
const MAX_LINE: usize = 2048;

#[derive(Debug, Clone, Default)]
pub struct Gitattributes {
    /// One per `.gitattributes`, outermost first: later ones win.
    files: Vec<AttributesFile>,
}

#[derive(Debug, Clone, Default)]
struct AttributesFile {
    /// The folder of the `.gitattributes`, relative to the repository ("" for the
    /// root): patterns are relative to it.
    base: String,
    lines: Vec<AttributeLine>,
    /// Patterns without a slash, matched against the file name.
    names: PatternSet,
    /// Patterns with a slash, matched against the path below `base`.
    paths: PatternSet,
    /// Why the file was not read, when it was not.
    not_read: Option<String>,
}

#[derive(Debug, Clone)]
struct AttributeLine {
    text: Option<State>,
    eol: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Set,
    Unset,
    /// `!attr`: back to unspecified.
    Reset,
    Value(String),
}

impl Gitattributes {
    pub fn parse(text: &str) -> Self {
        Gitattributes::parse_in(text, "")
    }

    /// The `.gitattributes` of folder `base`; its lines apply to paths under it.
    pub fn parse_in(text: &str, base: &str) -> Self {
        let file = AttributesFile::parse(text, base).unwrap_or_else(|reason| AttributesFile {
            base: base.to_string(),
            not_read: Some(reason),
            ..AttributesFile::default()
        });
        Gitattributes { files: vec![file] }
    }

    /// Adds the lines of a deeper `.gitattributes`: they win over these.
    pub fn extend(&mut self, deeper: Gitattributes) {
        self.files.extend(deeper.files);
    }

    pub fn is_empty(&self) -> bool {
        self.files
            .iter()
            .all(|file| file.lines.is_empty() && file.not_read.is_none())
    }

    /// Why a `.gitattributes` was not read (too large), when one was not.
    pub fn not_read(&self) -> Option<&str> {
        self.files.iter().find_map(|file| file.not_read.as_deref())
    }

    /// Whether `path` (relative to the repository, `/`-separated) keeps LF on every
    /// checkout. A file that was not read counts as pinning it: doctor cannot tell,
    /// and says so rather than claim it does not.
    pub fn pins_lf(&self, path: &str) -> bool {
        if self.not_read().is_some() {
            return true;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut text = None;
        let mut eol = None;
        for file in &self.files {
            for line in file.matching_lines(path, name) {
                if let Some(state) = &line.text {
                    text = (*state != State::Reset).then(|| state.clone());
                }
                if let Some(state) = &line.eol {
                    eol = (*state != State::Reset).then(|| state.clone());
                }
            }
        }
        text != Some(State::Unset) && eol == Some(State::Value("lf".to_string()))
    }
}

impl AttributesFile {
    fn parse(text: &str, base: &str) -> Result<AttributesFile, String> {
        read_limit::fits(text, MAX_BYTES)?;
        let mut lines = Vec::new();
        let mut names = PatternSetBuilder::default();
        let mut paths = PatternSetBuilder::default();
        for line in text.lines() {
            let Some((pattern, basename, parsed)) = attribute_line(line) else {
                continue;
            };
            let set = if basename { &mut names } else { &mut paths };
            if set.add(pattern, lines.len())? {
                lines.push(parsed);
            }
        }
        Ok(AttributesFile {
            base: base.to_string(),
            lines,
            names: names.build()?,
            paths: paths.build()?,
            not_read: None,
        })
    }

    /// The lines whose pattern matches `path` (named `name`), in file order.
    fn matching_lines(&self, path: &str, name: &str) -> impl Iterator<Item = &AttributeLine> {
        let relative = if self.base.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(self.base.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
        };
        let mut matching: Vec<usize> = match relative {
            Some(relative) => self
                .names
                .matching_lines(name)
                .chain(self.paths.matching_lines(relative))
                .collect(),
            None => Vec::new(),
        };
        matching.sort_unstable();
        matching.into_iter().map(|index| &self.lines[index])
    }
}

/// A line about line endings: its pattern (without a leading `/`), whether it
/// matches file names only (no slash), and what it sets. None for comments, macros,
/// folder patterns, negations (not allowed), lines too long, and lines that set
/// nothing doctor looks at.
fn attribute_line(line: &str) -> Option<(&str, bool, AttributeLine)> {
    let line = line.trim();
    if line.is_empty()
        || line.starts_with('#')
        || line.starts_with("[attr]")
        || line.len() > MAX_LINE
    {
        return None;
    }
    let mut fields = line.split_whitespace();
    let pattern = fields.next()?;
    if pattern.ends_with('/') || pattern.starts_with('!') {
        return None; // folders never match in .gitattributes; negation is not allowed
    }
    let mut parsed = AttributeLine {
        text: None,
        eol: None,
    };
    for attribute in fields {
        apply(&mut parsed, attribute);
    }
    if parsed.text.is_none() && parsed.eol.is_none() {
        return None;
    }
    let anchored = pattern.strip_prefix('/');
    let basename = anchored.is_none() && !pattern.contains('/');
    Some((anchored.unwrap_or(pattern), basename, parsed))
}

fn apply(line: &mut AttributeLine, attribute: &str) {
    let (name, state) = if let Some(name) = attribute.strip_prefix('-') {
        (name, State::Unset)
    } else if let Some(name) = attribute.strip_prefix('!') {
        (name, State::Reset)
    } else if let Some((name, value)) = attribute.split_once('=') {
        (name, State::Value(value.to_string()))
    } else {
        (attribute, State::Set)
    };
    match name {
        "text" => line.text = Some(state),
        "eol" => line.eol = Some(state),
        "binary" if state == State::Set => line.text = Some(State::Unset),
        // The attribute git used before `text` and `eol`.
        "crlf" => match state {
            State::Unset => line.text = Some(State::Unset),
            State::Value(value) if value == "input" => {
                line.eol = Some(State::Value("lf".to_string()))
            }
            other => line.text = Some(other),
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_auto_with_eol_lf_pins_everything_but_binaries() {
        let attributes = Gitattributes::parse(
            "# comment\n* text=auto eol=lf\n*.bat text eol=crlf\n*.png binary\n",
        );
        assert!(attributes.pins_lf("scripts/run.sh"));
        assert!(attributes.pins_lf("Dockerfile"));
        assert!(!attributes.pins_lf("make.bat"));
        assert!(!attributes.pins_lf("logo.png"));
    }

    #[test]
    fn text_auto_alone_is_weak() {
        let attributes = Gitattributes::parse("* text=auto\n");
        assert!(!attributes.pins_lf("run.sh"));
        let attributes = Gitattributes::parse("* text=auto\n*.sh text eol=lf\n");
        assert!(attributes.pins_lf("deep/er/run.sh"));
        assert!(!attributes.pins_lf("main.go"));
    }

    #[test]
    fn anchored_patterns_and_later_lines_win() {
        let attributes = Gitattributes::parse(
            "/scripts/*.sh eol=lf\nDockerfile text eol=lf\nDockerfile -text\nlegacy crlf=input\n",
        );
        assert!(attributes.pins_lf("scripts/a.sh"));
        assert!(!attributes.pins_lf("other/scripts/a.sh"));
        assert!(!attributes.pins_lf("scripts/sub/a.sh"));
        assert!(!attributes.pins_lf("Dockerfile"));
        assert!(attributes.pins_lf("legacy"));
        let mut outer = Gitattributes::parse("*.sh text eol=lf\n*.go -text\n");
        outer.extend(Gitattributes::parse_in("*.go eol=lf\n", "services/api"));
        assert!(outer.pins_lf("services/api/run.sh"));
        assert!(!outer.pins_lf("services/api/main.go"), "-text still holds");
        assert!(!outer.pins_lf("services/web/x.go"));
        let attributes = Gitattributes::parse("**/docker/** eol=lf\n*.sh !eol\n");
        assert!(attributes.pins_lf("a/docker/b/Dockerfile"));
        assert!(!attributes.pins_lf("docker/x.sh"));
    }

    #[test]
    fn plain_paths_are_matched_without_globs_and_other_attributes_are_dropped() {
        let mut text: String = (0..100_000)
            .map(|i| format!("assets/part{i}/model.bin filter=lfs diff=lfs merge=lfs -text\n"))
            .collect();
        text.push_str(
            "* text=auto eol=lf\nassets/part7/model.bin -text\n*.png linguist-vendored\n",
        );
        let attributes = Gitattributes::parse(&text);
        assert!(attributes.pins_lf("run.sh"));
        assert!(!attributes.pins_lf("assets/part7/model.bin"));
        assert!(attributes.pins_lf("assets/part7/other.bin"));
        assert_eq!(attributes.files[0].lines.len(), 100_002);
    }

    #[test]
    fn too_many_wildcards_or_bytes_are_not_read_and_claim_nothing() {
        let globs: String = (0..=crate::doctor::pattern_set::MAX_GLOBS)
            .map(|i| format!("dir{i}/*.txt -text\n"))
            .collect();
        let attributes = Gitattributes::parse(&globs);
        assert_eq!(
            attributes.not_read(),
            Some("not read: more than 2000 patterns with wildcards")
        );
        assert!(attributes.pins_lf("dir1/a.txt"), "cannot tell, so no claim");
        let huge = "x".repeat(MAX_BYTES + 1);
        let mut outer = Gitattributes::parse("* -text\n");
        outer.extend(Gitattributes::parse_in(&huge, "sub"));
        assert_eq!(outer.not_read(), Some("not read: larger than 8 MiB"));
        let long_line = format!("{} eol=lf\n", "a".repeat(MAX_LINE));
        assert!(
            Gitattributes::parse(&long_line).is_empty(),
            "git ignores it too"
        );
    }
}
