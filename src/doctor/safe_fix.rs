//! Which repairs `--fix` may apply: a rule proposes, this module disposes. A repair
//! stays only when doctor can show it is safe here; otherwise the finding keeps its
//! message and its hint says what to change by hand and why `--fix` did not. Withheld:
//!
//! - a write through a symlink (the file it points to may be outside the project, or
//!   shared): the hint names the link and the change to make in its target;
//! - a file to create that is already there (doctor did not read it: `.gitignore`
//!   hides it, or it is too large), which `--fix` would never overwrite;
//! - a `.dockerignore` change that would hide a path the build reads
//!   (`context_use`), or whose effect cannot be worked out. A new `.dockerignore`
//!   simply leaves out the lines that would, and says so in a comment.
//!
//! So a finding marked fixable is one `--fix` really changes, and a change it makes
//! never takes away what a build reads.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::doctor::context_use::{self, ContextUse};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::finding::Finding;
use crate::doctor::fix::{self, Fix};
use crate::doctor::project::Project;

/// Turns every repair that cannot be proven safe into advice.
pub fn vet(project: &Project, findings: &mut [Finding]) {
    // What a context's builds read, worked out once per .dockerignore.
    let mut reads: HashMap<String, ContextUse> = HashMap::new();
    for finding in findings.iter_mut() {
        let Some(repair) = finding.repair.take() else {
            continue;
        };
        match judge(project, repair, &mut reads) {
            Verdict::Safe(repair) => finding.repair = Some(repair),
            Verdict::Advice(advice) => finding.hint = Some(advice),
        }
    }
}

enum Verdict {
    Safe(Fix),
    Advice(String),
}

fn judge(project: &Project, repair: Fix, reads: &mut HashMap<String, ContextUse>) -> Verdict {
    let path = repair.path().to_string();
    if let Some(link) = symlink_on_the_way(&project.root, &path) {
        let target = fs::read_link(project.root.join(&link))
            .map(|target| format!(" (to `{}`)", target.display()))
            .unwrap_or_default();
        return Verdict::Advice(format!(
            "`{link}` is a symlink{target}: doctor does not follow links (so it did not read it) and --fix does not write through them. In the file it points to, {}; or replace the link with a regular file and run --fix again.",
            by_hand(&repair)
        ));
    }
    if let Fix::Create { .. } = &repair {
        if fs::symlink_metadata(project.root.join(&path)).is_ok() {
            return Verdict::Advice(format!(
                "`{path}` exists, but doctor did not read it (`.gitignore` hides it, or it is too large), and --fix never overwrites a file: check it by hand. If it is ignored by mistake, `git add -f {path}`."
            ));
        }
    }
    if path
        .rsplit('/')
        .next()
        .is_some_and(|name| name.ends_with(".dockerignore"))
    {
        let uses = reads
            .entry(path.clone())
            .or_insert_with(|| context_use::of(project, &path));
        return dockerignore(project, uses, repair);
    }
    Verdict::Safe(repair)
}

/// The first part of `path` (itself included) that is a symlink.
fn symlink_on_the_way(root: &Path, path: &str) -> Option<String> {
    let mut walked = String::new();
    for part in path.split('/') {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(part);
        let metadata = fs::symlink_metadata(root.join(&walked)).ok()?;
        if metadata.file_type().is_symlink() {
            return Some(walked);
        }
    }
    None
}

/// The repair, said as an instruction to a person.
fn by_hand(repair: &Fix) -> String {
    match repair {
        Fix::Create { contents, .. } => {
            let lines: Vec<String> = contents
                .lines()
                .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
                .map(|line| format!("`{line}`"))
                .collect();
            format!("make sure it holds {}", lines.join(", "))
        }
        Fix::Append { path, lines } => {
            let lines: Vec<String> = lines
                .iter()
                .filter(|line| !line.starts_with('#'))
                .map(|line| format!("`{line}`"))
                .collect();
            format!("add {} at the end of `{path}`", lines.join(", "))
        }
        Fix::CrlfToLf { .. } => "convert the line endings to LF".to_string(),
        Fix::InsertAfter { line, text, .. } => format!("add `{text}` after line {line}"),
    }
}

fn dockerignore(project: &Project, uses: &ContextUse, repair: Fix) -> Verdict {
    let path = repair.path().to_string();
    if let Some(reason) = uses.unknown.first() {
        return Verdict::Advice(format!(
            "--fix did not change `{path}`: {reason}, so doctor cannot prove the change hides nothing the build reads. {} by hand once you have checked the build does not need what it excludes.",
            capitalised(&by_hand(&repair))
        ));
    }
    match repair {
        Fix::Create { path, contents } => new_dockerignore(uses, path, &contents),
        other => {
            let current = fs::read(project.root.join(&path)).ok();
            let old = Dockerignore::parse(&String::from_utf8_lossy(
                current.as_deref().unwrap_or_default(),
            ));
            let after = fix::applied(&other, current.as_deref());
            let new = Dockerignore::parse(&String::from_utf8_lossy(&after));
            match uses.broken_by(&old, &new) {
                None => Verdict::Safe(other),
                Some((need, hidden)) => Verdict::Advice(format!(
                    "--fix did not change `{path}`: the build reads `{hidden}` ({}), and the change would leave it out of the context. Stop the build reading it (pass values at run time or with `--build-arg`), then {}.",
                    need.why,
                    by_hand(&other)
                )),
            }
        }
    }
}

/// A new `.dockerignore`: without the lines that would hide a path the build reads,
/// each named in a comment so the next reader knows why it is not there.
fn new_dockerignore(uses: &ContextUse, path: String, contents: &str) -> Verdict {
    let nothing = Dockerignore::default();
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for line in contents.lines() {
        let pattern = line.trim();
        if pattern.is_empty() || pattern.starts_with('#') {
            kept.push(line.to_string());
            continue;
        }
        match uses.broken_by(&nothing, &Dockerignore::parse(line)) {
            None => kept.push(line.to_string()),
            Some((need, hidden)) if hidden == pattern => left_out.push(format!(
                "# Not excluded: `{pattern}`, which the build reads ({}).",
                need.why
            )),
            Some((need, hidden)) => left_out.push(format!(
                "# Not excluded: `{pattern}`, which would hide `{hidden}`, read by the build ({}).",
                need.why
            )),
        }
    }
    let patterns = kept
        .iter()
        .filter(|line| !line.trim().is_empty() && !line.trim().starts_with('#'))
        .count();
    if patterns == 0 {
        return Verdict::Advice(format!(
            "--fix did not write `{path}`: every line it would hold hides something the build reads. Write one by hand for what the build does not need."
        ));
    }
    kept.extend(left_out);
    let contents = kept.join("\n") + "\n";
    // The lines are exclusions only, so the file as a whole hides what its lines do;
    // checked once more all the same.
    if uses
        .broken_by(&nothing, &Dockerignore::parse(&contents))
        .is_some()
    {
        return Verdict::Advice(format!(
            "--fix did not write `{path}`: it would hide something the build reads."
        ));
    }
    Verdict::Safe(Fix::Create { path, contents })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
