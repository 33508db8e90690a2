//! Pitfall 4, layer cache invalidation: `COPY . .` before `go mod download` makes every
//! source change re-download every module; a context without `.dockerignore` sends
//! `.git` (which changes on every commit) and secrets such as `.env` to the builder.

use std::collections::BTreeSet;

use crate::doctor::dockerfile::{expand, Dockerfile};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::fix::Fix;
use crate::doctor::go_steps::go_steps;
use crate::doctor::project::{join, BuildContext, DockerfileView, Project};

pub static CONTEXT_COPIED_BEFORE_DOWNLOAD: Rule = Rule {
    id: "SD401",
    name: "context-copied-before-download",
    severity: Severity::Warning,
    summary: "The whole build context is copied before `go mod download`.",
    why: "Any change to any file invalidates that COPY layer and every layer after it, so the modules are downloaded again on every build instead of coming from the cache.",
    fix: "Copy only go.mod and go.sum, run `go mod download`, then `COPY . .`: `COPY go.mod go.sum ./` / `RUN go mod download` / `COPY . .`.",
    example: "Trips: `COPY . .` / `RUN go mod download`.\nDoes not trip: `COPY go.mod go.sum ./` / `RUN go mod download` / `COPY . .`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: context_copied_before_download,
};

pub static DOCKERIGNORE_MISSING: Rule = Rule {
    id: "SD402",
    name: "dockerignore-missing",
    severity: Severity::Warning,
    summary: "No .dockerignore for a build context.",
    why: "Everything in the folder is sent to the builder: `.git` changes with every commit and busts the cache of `COPY . .`, build output bloats the context, and secrets like `.env` can end up in image layers.",
    fix: "Add a .dockerignore excluding at least `.git`, `.env` and build output; `scaffold doctor --fix` writes one that leaves out nothing the Dockerfile copies.",
    example: "Trips: a Dockerfile with `COPY . .` and no .dockerignore in its build context.\nDoes not trip: a .dockerignore with `.git` and `.env`.",
    confidence: Confidence::Likely,
    fixable: true,
    check: dockerignore_missing,
};

pub static GIT_IN_CONTEXT: Rule = Rule {
    id: "SD403",
    name: "git-in-context",
    severity: Severity::Warning,
    summary: ".dockerignore does not exclude `.git`.",
    why: "`.git` changes with every commit, fetch and checkout, so `COPY . .` is never cached; it also makes the context large and puts the repository's history into the image.",
    fix: "Add a line `.git` to .dockerignore (`scaffold doctor --fix` does).",
    example: "Trips: a .dockerignore without `.git` for a context copied with `COPY . .`.\nDoes not trip: a .dockerignore with a line `.git`.",
    confidence: Confidence::Likely,
    fixable: true,
    check: git_in_context,
};

pub static ENV_IN_CONTEXT: Rule = Rule {
    id: "SD404",
    name: "env-in-context",
    severity: Severity::Warning,
    summary: ".dockerignore does not exclude `.env`.",
    why: "A local `.env` holds secrets; `COPY . .` bakes it into an image layer, where anyone who pulls the image can read it, even if a later step deletes it.",
    fix: "Add a line `.env` to .dockerignore (`scaffold doctor --fix` does) and pass settings at run time (`--env-file`, compose `env_file:`).",
    example: "Trips: a .dockerignore without `.env` for a context copied with `COPY . .`.\nDoes not trip: a .dockerignore with a line `.env`.",
    confidence: Confidence::Likely,
    fixable: true,
    check: env_in_context,
};

/// What `--fix` writes as a new .dockerignore, minus any line that would leave out a
/// file the Dockerfile copies.
const DOCKERIGNORE_LINES: &[&str] = &[
    ".git",
    ".env",
    ".env.*",
    "bin/",
    "dist/",
    ".idea/",
    ".vscode/",
    "*.test",
    "coverage.out",
];

const DOCKERIGNORE_HEADER: &str = "\
# Keep the build context small and free of secrets: `COPY . .` then neither
# busts the layer cache on every commit nor bakes .git or .env into the image.";

fn context_copied_before_download(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for stage in &dockerfile.stages {
            let Some(download) = go_steps(dockerfile, stage.index)
                .into_iter()
                .find(|step| step.go.downloads_modules_only())
            else {
                continue;
            };
            let whole_copy = dockerfile
                .body(stage.index)
                .take_while(|(index, _)| *index < download.instruction)
                .find(|(index, _)| copies_whole_context(view, dockerfile, stage.index, *index));
            if let Some((_, copy)) = whole_copy {
                findings.push(Finding::new(
                    &CONTEXT_COPIED_BEFORE_DOWNLOAD,
                    Location::line(&view.path, copy.line),
                    format!(
                        "the whole context is copied here, before `go mod download` on line {}",
                        download.line
                    ),
                ));
            }
        }
    }
    findings
}

/// A COPY or ADD (not `--from`) with a source that is the context root (`.`, `./`, `*`).
fn copies_whole_context(
    view: &DockerfileView,
    dockerfile: &Dockerfile,
    stage: usize,
    index: usize,
) -> bool {
    let instruction = dockerfile.instruction(index);
    if !matches!(instruction.keyword.as_str(), "COPY" | "ADD") || instruction.flag("from").is_some()
    {
        return false;
    }
    let vars = dockerfile.vars_at(stage, index);
    let words = instruction.words();
    let Some((_, sources)) = words.split_last() else {
        return false;
    };
    sources.iter().any(|source| {
        let (source, _) = expand(source, &vars);
        source.trim_start_matches("./") == "*"
            || join(&view.context, &source).as_deref() == Some(view.context.as_str())
    })
}

/// What a whole-context COPY sends by accident when no `.dockerignore` stops it: the
/// things the written `.dockerignore` leaves out.
const SENT_BY_ACCIDENT: &[&str] = &[
    ".git",
    ".env",
    "bin",
    "dist",
    ".idea",
    ".vscode",
    "coverage.out",
];

/// Whether the context really holds `path` (`.git` as a folder or file).
fn context_holds(project: &Project, context: &BuildContext, path: &str) -> bool {
    if path == ".git" {
        context.has_git
    } else {
        project.context_contains(context, path)
    }
}

fn context_words(dir: &str) -> String {
    if dir.is_empty() {
        "the project folder".to_string()
    } else {
        format!("`{dir}`")
    }
}

fn dockerignore_missing(project: &Project) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    let mut findings = Vec::new();
    for context in project
        .build_contexts
        .iter()
        .filter(|context| context.dockerignore.is_none())
    {
        if seen.contains(&context.dir) {
            continue;
        }
        // BuildKit sends only what COPY/ADD name: without a whole-context one, a
        // missing .dockerignore lets nothing in by accident.
        let Some(copy) = context.whole_context_copy() else {
            continue;
        };
        let present: Vec<&str> = SENT_BY_ACCIDENT
            .iter()
            .copied()
            .filter(|thing| context_holds(project, context, thing))
            .collect();
        if present.is_empty() {
            continue;
        }
        let Some(path) = join(&context.dir, ".dockerignore") else {
            continue;
        };
        seen.insert(context.dir.clone());
        let sources = copied_sources(project, &context.dir);
        let mut lines = vec![DOCKERIGNORE_HEADER.to_string()];
        lines.extend(
            DOCKERIGNORE_LINES
                .iter()
                .filter(|line| {
                    let rules = Dockerignore::parse(line);
                    !sources.iter().any(|source| rules.excludes(source))
                })
                .map(|line| line.to_string()),
        );
        let things = present
            .iter()
            .map(|thing| format!("`{thing}`"))
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(
            Finding::new(
                &DOCKERIGNORE_MISSING,
                Location::file(&context.dockerfile),
                format!(
                    "no .dockerignore in the build context ({}): `{}` on line {} sends {things} to the builder",
                    context_words(&context.dir),
                    copy.instruction,
                    copy.line
                ),
            )
            .repair(Fix::Create {
                path,
                contents: lines.join("\n") + "\n",
            }),
        );
    }
    findings
}

fn git_in_context(project: &Project) -> Vec<Finding> {
    not_excluded(project, &GIT_IN_CONTEXT, ".git")
}

fn env_in_context(project: &Project) -> Vec<Finding> {
    not_excluded(project, &ENV_IN_CONTEXT, ".env")
}

/// One finding per .dockerignore that lets `path` into a context that holds it, where
/// a COPY/ADD of a built stage sends it.
fn not_excluded(project: &Project, rule: &'static Rule, path: &str) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    let mut findings = Vec::new();
    for context in &project.build_contexts {
        let Some((ignore_path, rules)) = &context.dockerignore else {
            continue;
        };
        if rules.excludes(path)
            || seen.contains(ignore_path)
            || !context_holds(project, context, path)
        {
            continue;
        }
        let Some(sender) = context.sender_of(path) else {
            continue;
        };
        seen.insert(ignore_path.clone());
        let message = if sender.is_whole_context() {
            format!(
                "`{path}` is in the build context ({}) and not excluded: `{}` on line {} of {} sends it to the builder and into the image",
                context_words(&context.dir),
                sender.instruction,
                sender.line,
                context.dockerfile
            )
        } else {
            format!(
                "`{path}` is not excluded: `{}` on line {} of {} copies it into the image",
                sender.instruction, sender.line, context.dockerfile
            )
        };
        let copied = copied_sources(project, &context.dir)
            .into_iter()
            .find(|source| source == path || source.starts_with(&format!("{path}/")));
        let finding = Finding::new(rule, Location::file(ignore_path), message);
        findings.push(match copied {
            Some(source) => finding.hint(format!(
                "A Dockerfile copies `{source}` on purpose: stop copying it (pass the values at run time), then add `{path}` to {ignore_path}."
            )),
            None => finding.repair(Fix::Append {
                path: ignore_path.clone(),
                lines: vec![path.to_string()],
            }),
        });
    }
    findings
}

/// Every source path (relative to the context, globs cut at the first wildcard) that a
/// Dockerfile with this context copies from it.
fn copied_sources(project: &Project, context: &str) -> Vec<String> {
    let mut sources = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if !project
            .contexts_of(&view.path)
            .any(|built| built.dir == context)
        {
            continue;
        }
        for stage in &dockerfile.stages {
            for (index, instruction) in dockerfile.body(stage.index) {
                if !matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                    || instruction.flag("from").is_some()
                {
                    continue;
                }
                let vars = dockerfile.vars_at(stage.index, index);
                let words = instruction.words();
                let Some((_, from)) = words.split_last() else {
                    continue;
                };
                for source in from {
                    let (source, _) = expand(source, &vars);
                    let literal = source.split(['*', '?', '[']).next().unwrap_or_default();
                    if let Some(path) = join("", literal) {
                        if !path.is_empty() {
                            sources.push(path);
                        }
                    }
                }
            }
        }
    }
    sources
}
