//! Pitfall 1, path case: NTFS and APFS ignore case, the Linux builder does not. A path
//! written with the wrong case works on the developer's machine and fails only inside
//! Docker. Paths are compared with what is on disk, by exact name (the file system
//! itself would say "exists" on Windows and macOS).

use std::collections::{BTreeMap, BTreeSet};

use crate::doctor::dockerfile::expand;
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::project::{has_glob, join, parent, CaseMatch, PathIndex, Project};

pub static COPY_PATH_CASE: Rule = Rule {
    id: "SD101",
    name: "copy-path-case",
    severity: Severity::Error,
    summary: "A COPY or ADD source whose case differs from the file or folder on disk.",
    why: "Windows and macOS find the file whatever the case, so the build works there; the Linux builder (Docker Desktop included, it runs in a Linux VM) matches case exactly and fails with \"not found\".",
    fix: "Write the path with the exact case it has on disk (or rename the file with `git mv` so both agree).",
    example: "Trips: `COPY Config/app.yaml /etc/app/` when the folder on disk is `config/`.\nDoes not trip: `COPY config/app.yaml /etc/app/`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: copy_path_case,
};

pub static EMBED_PATH_CASE: Rule = Rule {
    id: "SD102",
    name: "embed-path-case",
    severity: Severity::Error,
    summary: "A //go:embed pattern whose case differs from the files on disk.",
    why: "`go build` on Windows or macOS embeds the file; in the Linux container the pattern matches nothing and the build fails with \"pattern …: no matching files found\".",
    fix: "Write the pattern with the exact case of the files (or rename them with `git mv`).",
    example: "Trips: `//go:embed Static/*.html` when the folder is `static/`.\nDoes not trip: `//go:embed static/*.html`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: embed_path_case,
};

pub static IMPORT_PATH_CASE: Rule = Rule {
    id: "SD103",
    name: "import-path-case",
    severity: Severity::Error,
    summary: "An import of a package of this module whose case differs from its folder.",
    why: "On Windows and macOS the go tool finds the folder anyway; in the Linux container the import fails with \"package … is not in std\" or \"no required module provides package\".",
    fix: "Write the import path with the folder's exact case (Go convention: lower-case package folders).",
    example: "Trips: `import \"example.com/app/Services\"` for the folder `services/`.\nDoes not trip: `import \"example.com/app/services\"`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: import_path_case,
};

pub static CASE_ONLY_DUPLICATE: Rule = Rule {
    id: "SD104",
    name: "case-only-duplicate",
    severity: Severity::Error,
    summary: "Two paths that differ only in case.",
    why: "Windows and macOS hold only one of them: a checkout there silently loses one file (git then shows it as modified), so what builds on Linux is not what the developer sees.",
    fix: "Rename or merge one of them with `git mv`, so no two paths differ only in case.",
    example: "Trips: `README.md` and `Readme.md` in one folder.\nDoes not trip: `README.md` and `docs/readme.md`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: case_only_duplicate,
};

fn copy_path_case(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for stage in &dockerfile.stages {
            for (index, instruction) in dockerfile.body(stage.index) {
                if !matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                    || instruction.flag("from").is_some()
                {
                    continue;
                }
                let words = instruction.words();
                let Some((_, sources)) = words.split_last() else {
                    continue;
                };
                let vars = dockerfile.vars_at(stage.index, index);
                for source in sources {
                    if source.starts_with("<<")
                        || source.contains("://")
                        || source.starts_with("git@")
                    {
                        continue;
                    }
                    let (expanded, unresolved) = expand(source, &vars);
                    if unresolved {
                        continue;
                    }
                    let Some(path) = join(&view.context, &expanded) else {
                        continue;
                    };
                    if let CaseMatch::Differs(found) = lookup(&project.paths, &path) {
                        let on_disk = relative_to(&found[0], &view.context);
                        findings.push(
                            Finding::new(
                                &COPY_PATH_CASE,
                                Location::line(&view.path, instruction.line),
                                format!(
                                    "`{} {source}`: no `{path}` on disk, only {}",
                                    instruction.keyword,
                                    quoted(&found)
                                ),
                            )
                            .hint(format!(
                                "Write `{}` as on disk (`{on_disk}`), or rename the file with `git mv`.",
                                source
                            )),
                        );
                    }
                }
            }
        }
    }
    findings
}

fn embed_path_case(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in &project.go_files {
        let dir = parent(&file.path);
        for (line, patterns) in &file.source.embeds {
            for pattern in patterns {
                let bare = pattern.strip_prefix("all:").unwrap_or(pattern);
                let Some(path) = join(dir, bare) else {
                    continue;
                };
                if let CaseMatch::Differs(found) = lookup(&project.paths, &path) {
                    findings.push(
                        Finding::new(
                            &EMBED_PATH_CASE,
                            Location::line(&file.path, *line),
                            format!(
                                "`//go:embed {pattern}` matches nothing on Linux; on disk: {}",
                                quoted(&found)
                            ),
                        )
                        .hint(format!(
                            "Write the pattern as `{}`.",
                            relative_to(&found[0], dir)
                        )),
                    );
                }
            }
        }
    }
    findings
}

fn import_path_case(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in &project.go_files {
        let Some(module) = project.module_of(&file.path) else {
            continue;
        };
        let Some(module_path) = module.go_mod.module.as_deref() else {
            continue;
        };
        for (line, import) in &file.source.imports {
            let Some(rest) = import.strip_prefix(module_path) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            let Some(dir) = join(&module.dir, rest.trim_start_matches('/')) else {
                continue;
            };
            if let CaseMatch::Differs(found) = project.paths.lookup(&dir) {
                let fixed = format!("{module_path}/{}", relative_to(&found[0], &module.dir));
                findings.push(
                    Finding::new(
                        &IMPORT_PATH_CASE,
                        Location::line(&file.path, *line),
                        format!(
                            "import \"{import}\": the folder is {} on disk",
                            quoted(&found)
                        ),
                    )
                    .hint(format!("Import \"{fixed}\".")),
                );
            }
        }
    }
    findings
}

fn case_only_duplicate(project: &Project) -> Vec<Finding> {
    let groups = case_groups(project);
    let mut reported: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for (folded, paths) in &groups {
        if reported.iter().any(|done| {
            folded.starts_with(done) && folded.as_bytes().get(done.len()) == Some(&b'/')
        }) {
            continue; // already said of a parent folder
        }
        let paths: Vec<String> = paths.iter().cloned().collect();
        findings.push(Finding::new(
            &CASE_ONLY_DUPLICATE,
            Location::file(&paths[0]),
            format!("{} differ only in case", quoted(&paths)),
        ));
        reported.push(folded);
    }
    findings
}

/// Every folded name that two or more paths share, on disk or in git's index, in
/// folded order (so a parent folder comes before what is inside it). The disk side is
/// already grouped by `PathIndex`; only tracked paths the walk did not see (deleted,
/// or under a skipped folder) and their folders are added here.
fn case_groups(project: &Project) -> BTreeMap<String, BTreeSet<String>> {
    let mut unseen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in project.git.iter().flat_map(|git| git.tracked.iter()) {
        if project.paths.contains(path) {
            continue;
        }
        let mut end = 0;
        for part in path.split('/') {
            end += part.len();
            let prefix = &path[..end];
            end += 1;
            if !project.paths.contains(prefix) {
                unseen
                    .entry(prefix.to_lowercase())
                    .or_default()
                    .insert(prefix.to_string());
            }
        }
    }
    let mut groups: BTreeMap<String, BTreeSet<String>> = project
        .paths
        .folded_groups()
        .filter(|(folded, paths)| paths.len() > 1 || unseen.contains_key(*folded))
        .map(|(folded, paths)| (folded.to_string(), paths.iter().cloned().collect()))
        .collect();
    for (folded, paths) in unseen {
        groups.entry(folded).or_default().extend(paths);
    }
    groups.retain(|_, paths| paths.len() > 1);
    groups
}

fn lookup(paths: &PathIndex, path: &str) -> CaseMatch {
    if has_glob(path) {
        paths.lookup_glob(path)
    } else {
        paths.lookup(path)
    }
}

/// A project-relative path as seen from the folder `base`.
fn relative_to(path: &str, base: &str) -> String {
    if base.is_empty() {
        return path.to_string();
    }
    path.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('/'))
        .map_or_else(|| path.to_string(), str::to_string)
}

/// `a`, `b` and `c`.
fn quoted(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}
