//! What doctor reports: one rule broken at one place, with why it breaks on Windows or
//! in Docker and what to change. Rules are static data so every output format (text,
//! JSON, SARIF's rule table) and the documentation read the same id, name and texts.

use std::fmt;

use crate::doctor::fix::Fix;
use crate::doctor::project::Project;

/// How bad a finding is. Ordered, so `--fail-on warning` means "warning or error".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Severity {
    /// Worth knowing; does not break a build by itself.
    Info,
    /// Breaks some builds or machines, or costs time on every build.
    Warning,
    /// Breaks the build or the running container.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The SARIF 2.1.0 `level` for this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure doctor is that a finding is a real risk in this project. Ordered, so a
/// threshold can say "likely or better".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// The evidence points that way, but the build may well be fine (an image doctor
    /// does not know decides, a script it cannot follow).
    Possible,
    /// What doctor read says so; something it cannot see (a build arg, an image's
    /// own settings) could still make it harmless.
    Likely,
    /// Read from the files themselves: it happens whenever this is built or run.
    Certain,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }

    /// SARIF's `rank` (0–100, higher matters more) for a result this sure.
    pub fn sarif_rank(self) -> f64 {
        match self {
            Confidence::Possible => 30.0,
            Confidence::Likely => 70.0,
            Confidence::Certain => 100.0,
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check. The id is stable forever (scripts and SARIF baselines key on it); its
/// hundreds digit is the pitfall number in pitfalls.md (0 for "doctor could not read
/// the file", 8 for WSL placement).
#[derive(Debug)]
pub struct Rule {
    /// `SD` and three digits, e.g. `SD501`.
    pub id: &'static str,
    /// Kebab-case, e.g. `cgo-with-static-runtime`; also the fixture folder name.
    pub name: &'static str,
    pub severity: Severity,
    /// What the rule finds, in one line.
    pub summary: &'static str,
    /// Why that breaks on Windows or in Docker.
    pub why: &'static str,
    /// What to change, in general; a finding may say it more precisely.
    pub fix: &'static str,
    /// A short example for `--explain`: what trips the rule, then what does not.
    pub example: &'static str,
    /// How sure its findings are unless a finding says otherwise.
    pub confidence: Confidence,
    /// Whether `--fix` can repair (some of) its findings safely.
    pub fixable: bool,
    pub check: fn(&Project) -> Vec<Finding>,
}

impl Rule {
    /// The pitfall number in pitfalls.md this rule belongs to.
    pub fn pitfall(&self) -> u8 {
        self.id.as_bytes().get(2).map_or(0, |digit| digit - b'0')
    }
}

/// Where a finding is: a path relative to the project folder (with `/`), and a line
/// when one line is to blame. No file means the project as a whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Location {
    pub file: Option<String>,
    pub line: Option<usize>,
}

impl Location {
    pub fn project() -> Self {
        Location::default()
    }

    pub fn file(path: impl Into<String>) -> Self {
        Location {
            file: Some(path.into()),
            line: None,
        }
    }

    pub fn line(path: impl Into<String>, line: usize) -> Self {
        Location {
            file: Some(path.into()),
            line: Some(line),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// Usually the rule's; a rule may lower it where the risk is covered elsewhere.
    pub severity: Severity,
    pub location: Location,
    /// What is wrong here, naming the thing: "`COPY services/userService` …".
    pub message: String,
    /// The fix for this very place, when it can be said more precisely than the rule's.
    pub hint: Option<String>,
    /// The repair `--fix` applies; only for safe, reversible changes.
    pub repair: Option<Fix>,
    /// Usually the rule's; a finding says less when what it read leaves room.
    pub confidence: Confidence,
}

impl Finding {
    pub fn new(rule: &'static Rule, location: Location, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            location,
            message: message.into(),
            hint: None,
            repair: None,
            confidence: rule.confidence,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn repair(mut self, fix: Fix) -> Self {
        self.repair = Some(fix);
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    /// Whether it breaks the build or the running container (text output leads with
    /// these).
    pub fn breaks(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The fix to show: this finding's own, else the rule's.
    pub fn fix_text(&self) -> &str {
        self.hint.as_deref().unwrap_or(self.rule.fix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_from_info_to_error() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
        assert!(
            Confidence::Possible < Confidence::Likely && Confidence::Likely < Confidence::Certain
        );
    }
}
