//! `scaffold doctor`: finds the seven Go + Docker pitfalls of pitfalls.md (and WSL
//! placement) in any project, and repairs the safe ones.
//!
//! Flow: `project` reads the folder once (files, parsed Dockerfiles and compose
//! files, Go sources, git's view); every rule in `rules::ALL` looks at that view and
//! returns findings; `output` formats them (text, JSON, SARIF); `fix` applies the
//! repairs findings carry. Nothing here prints.

pub mod compose;
pub mod dockerfile;
pub mod dockerignore;
pub mod finding;
pub mod fix;
pub mod gitattributes;
pub mod go_steps;
pub mod gomod;
pub mod gosource;
pub mod host;
pub mod image;
pub mod output;
pub mod pattern_set;
pub mod project;
pub mod read_limit;
pub mod rules;
pub mod shell;

pub use finding::{Finding, Location, Rule, Severity};
pub use project::Project;

/// Every rule's findings, ordered by file (project-wide ones first), line and rule.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::ALL
        .iter()
        .flat_map(|rule| (rule.check)(project))
        .collect();
    findings.sort_by(|a, b| (&a.location, a.rule.id).cmp(&(&b.location, b.rule.id)));
    findings
}

/// Whether any finding is at or above the threshold (`--fail-on`).
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|finding| finding.severity >= threshold)
}
