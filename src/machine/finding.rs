//! What `doctor --host` reports: for each check, what it found on this machine (or why
//! it does not apply here), and findings that name a host rule. Project findings are
//! bound to a file and a `Project`; these are bound to the machine, so they have a
//! small parallel type that shares doctor's `Severity`.

use crate::doctor::Severity;

/// One host rule. Ids are `SH` and three digits, the hundreds digit naming the check
/// (1 engine, 2 WSL, 3 credentials, 4 proxies, 5 clock, 6 ports, 7 git), so they never
/// clash with doctor's `SD` rules; stable forever, as scripts key on them.
#[derive(Debug)]
pub struct HostRule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// What the rule finds, in one line.
    pub summary: &'static str,
    /// Why it breaks a build or a run on this machine.
    pub why: &'static str,
    /// What to do, in general; a finding may say it more precisely.
    pub fix: &'static str,
}

#[derive(Debug, Clone)]
pub struct HostFinding {
    pub rule: &'static HostRule,
    /// Usually the rule's; a check raises or lowers it when what it read says so.
    pub severity: Severity,
    /// What is wrong here, naming the thing.
    pub message: String,
    /// The fix for this machine, when it can be said more precisely than the rule's.
    pub hint: Option<String>,
}

impl HostFinding {
    pub fn new(rule: &'static HostRule, message: impl Into<String>) -> Self {
        HostFinding {
            rule,
            severity: rule.severity,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn fix_text(&self) -> &str {
        self.hint.as_deref().unwrap_or(self.rule.fix)
    }
}

/// Whether a check could look at this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// It ran; what it saw, in one line.
    Checked(String),
    /// What it needs is not here (no WSL, no netsh, no engine); why, so a clean
    /// report is never mistaken for a checked one.
    NotApplicable(String),
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// `engine`, `wsl`, `credentials`, `proxy`, `clock`, `ports`, `git`.
    pub check: &'static str,
    pub state: State,
    pub findings: Vec<HostFinding>,
}

impl Report {
    pub fn checked(
        check: &'static str,
        seen: impl Into<String>,
        findings: Vec<HostFinding>,
    ) -> Self {
        Report {
            check,
            state: State::Checked(seen.into()),
            findings,
        }
    }

    pub fn not_applicable(check: &'static str, why: impl Into<String>) -> Self {
        Report {
            check,
            state: State::NotApplicable(why.into()),
            findings: Vec::new(),
        }
    }
}
