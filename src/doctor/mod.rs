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
    let mut findings = run_rules(project);
    // A repair that cannot be proven safe here is advice, never a "fixable" finding.
    safe_fix::vet(project, &mut findings);
    findings.sort_by(|a, b| (&a.location, a.rule.id).cmp(&(&b.location, b.rule.id)));
    findings
}

/// Every rule's findings, the rules shared out over the cores (each thread takes the
/// next rule not yet taken): a few rules cost most of a large project's check. The
/// order is restored by rule before anything else sees it.
fn run_rules(project: &Project) -> Vec<Finding> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rules::ALL.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_rules = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(rule) = rules::ALL.get(index) else {
                return done;
            };
            done.push((index, (rule.check)(project)));
        }
    };
    let mut by_rule: Vec<(usize, Vec<Finding>)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(take_rules)).collect();
        let mut all = take_rules();
        for helper in helpers {
            all.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    by_rule.sort_by_key(|(index, _)| *index);
    by_rule.into_iter().flat_map(|(_, found)| found).collect()
}

/// Whether any finding is at or above the threshold (`--fail-on`).
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|finding| finding.severity >= threshold)
}
