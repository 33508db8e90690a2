//! Enough of `.gitattributes` to answer one question per file: will git check it out
//! with LF whatever `core.autocrlf` says on the machine? That holds when the last
//! matching lines leave `eol=lf` set and `text` not unset (`-text`, `binary`).
//! Patterns follow gitattributes rules: no slash matches the file name at any depth,
//! a slash anchors to the folder of the `.gitattributes`, `**` spans folders.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone, Default)]
pub struct Gitattributes {
    lines: Vec<AttributeLine>,
}

#[derive(Debug, Clone)]
struct AttributeLine {
    /// The folder of the `.gitattributes` the line is in, relative to the repository
    /// ("" for the root): patterns are relative to it.
    base: String,
    matcher: GlobMatcher,
    /// Matched against the file name only (the pattern has no slash).
    basename: bool,
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
        let lines = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') || line.starts_with("[attr]") {
                    return None;
                }
                let mut fields = line.split_whitespace();
                let pattern = fields.next()?;
                let mut parsed = attribute_line(pattern, base)?;
                for attribute in fields {
                    apply(&mut parsed, attribute);
                }
                Some(parsed)
            })
            .collect();
        Gitattributes { lines }
    }

    /// Adds the lines of a deeper `.gitattributes`: they win over these.
    pub fn extend(&mut self, deeper: Gitattributes) {
        self.lines.extend(deeper.lines);
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether `path` (relative to the repository, `/`-separated) keeps LF on every
    /// checkout.
    pub fn pins_lf(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut text = None;
        let mut eol = None;
        for line in &self.lines {
            let relative = if line.base.is_empty() {
                path
            } else {
                match path
                    .strip_prefix(line.base.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                {
                    Some(rest) => rest,
                    None => continue,
                }
            };
            let candidate = if line.basename { name } else { relative };
            if !line.matcher.is_match(candidate) {
                continue;
            }
            if let Some(state) = &line.text {
                text = (*state != State::Reset).then(|| state.clone());
            }
            if let Some(state) = &line.eol {
                eol = (*state != State::Reset).then(|| state.clone());
            }
        }
        text != Some(State::Unset) && eol == Some(State::Value("lf".to_string()))
    }
}

fn attribute_line(pattern: &str, base: &str) -> Option<AttributeLine> {
    if pattern.ends_with('/') || pattern.starts_with('!') {
        return None; // folders never match in .gitattributes; negation is not allowed
    }
    let anchored = pattern.strip_prefix('/');
    let basename = anchored.is_none() && !pattern.contains('/');
    let glob = GlobBuilder::new(anchored.unwrap_or(pattern))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()?;
    Some(AttributeLine {
        base: base.to_string(),
        matcher: glob.compile_matcher(),
        basename,
        text: None,
        eol: None,
    })
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
}
