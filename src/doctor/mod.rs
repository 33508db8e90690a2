//! `scaffold doctor`: finds the seven Go + Docker pitfalls of pitfalls.md (and WSL
//! placement) in any project, and repairs the safe ones.
//!
//! Flow: `project` reads the folder once (files, parsed Dockerfiles and compose
//! files, Go sources, git's view); every rule in `rules::ALL` looks at that view and
//! returns findings; `safe_fix` keeps only the repairs it can prove safe (what a build
//! reads comes from `context_use`); `output` formats them (text, JSON, SARIF); `fix`
//! applies the repairs findings carry, and `verified_fix` builds before and after
//! (`--fix --verify`). Nothing here prints.

pub mod bake;
pub mod build_commands;
pub mod build_context;
pub mod build_scripts;
pub mod compose;
pub mod context_use;
pub mod dockerfile;
pub mod dockerignore;
pub mod file_kind;
pub mod finding;
pub mod fix;
pub mod gitattributes;
pub mod go_steps;
pub mod golisten;
pub mod gomod;
pub mod gosource;
pub mod host;
pub mod ignored;
pub mod image;
pub mod known_images;
pub mod output;
pub mod pattern_set;
pub mod project;
pub mod read_limit;
pub mod rules;
pub mod safe_fix;
pub mod shell;
pub mod skipped;
pub mod verified_fix;

pub use finding::{Finding, Location, Rule, Severity};
pub use project::Project;

/// Every rule's findings, ordered by file (project-wide ones first), line and rule.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::ALL
        .iter()
        .flat_map(|rule| (rule.check)(project))
        .collect();
    // A repair that cannot be proven safe here is advice, never a "fixable" finding.
    safe_fix::vet(project, &mut findings);
    findings.sort_by(|a, b| (&a.location, a.rule.id).cmp(&(&b.location, b.rule.id)));
    findings
}

/// Whether any finding is at or above the threshold (`--fail-on`).
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|finding| finding.severity >= threshold)
}
