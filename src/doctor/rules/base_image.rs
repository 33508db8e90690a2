//! Pitfall 6, the base image: a full golang image shipped to production (800 MB, a
//! shell and a compiler for an attacker), floating `:latest` tags that change under
//! the build, and scratch images without CA certificates.

use crate::doctor::dockerfile::{expand, Base, Dockerfile};
use crate::doctor::finding::{Finding, Location, Rule, Severity};
use crate::doctor::go_steps::go_steps;
use crate::doctor::image::ImageRef;
use crate::doctor::project::Project;

pub static SINGLE_STAGE: Rule = Rule {
    id: "SD601",
    name: "single-stage",
    severity: Severity::Warning,
    summary: "A single-stage Dockerfile that compiles Go: the image ships the toolchain.",
    why: "The runtime image then holds the compiler, the module cache and a shell: hundreds of MB to pull on every deploy, and tools for an attacker.",
    fix: "Build in a `FROM golang:… AS build` stage and copy only the binary into a small runtime stage: `FROM gcr.io/distroless/static-debian12:nonroot` + `COPY --from=build /out/app /app`.",
    fixable: false,
    check: single_stage,
};

pub static UNPINNED_BASE_IMAGE: Rule = Rule {
    id: "SD602",
    name: "unpinned-base-image",
    severity: Severity::Warning,
    summary: "A base image with no tag or the `latest` tag.",
    why: "`latest` moves: the same Dockerfile builds a different image next month (a new Go or Alpine release), so builds stop being reproducible and break without a change in the project.",
    fix: "Pin a version tag (`golang:1.22-alpine`, `alpine:3.20`), or a digest (`@sha256:…`) for fully reproducible builds.",
    fixable: false,
    check: unpinned_base_image,
};

pub static TOOLCHAIN_RUNTIME: Rule = Rule {
    id: "SD603",
    name: "toolchain-runtime",
    severity: Severity::Warning,
    summary: "The final stage runs on a full Go toolchain image.",
    why: "The golang image is about 800 MB with a compiler, git and a shell: slow to pull, and a large attack surface for a service that needs only its binary.",
    fix: "Run on a small runtime image: `gcr.io/distroless/static-debian12:nonroot` (build with CGO_ENABLED=0), `alpine:3.20`, or scratch with CA certificates.",
    fixable: false,
    check: toolchain_runtime,
};

pub static SCRATCH_WITHOUT_CERTIFICATES: Rule = Rule {
    id: "SD604",
    name: "scratch-without-certificates",
    severity: Severity::Warning,
    summary: "The final stage is scratch and copies in no CA certificates.",
    why: "scratch is empty: every outgoing HTTPS call fails with \"x509: certificate signed by unknown authority\".",
    fix: "Copy them from the build stage: `COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/` (install `ca-certificates` there if it is alpine), or use distroless static, which has them.",
    fixable: false,
    check: scratch_without_certificates,
};

fn single_stage(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if dockerfile.stages.len() != 1 {
            continue;
        }
        let Some(build) = go_steps(dockerfile, 0).into_iter().find(|s| s.go.builds()) else {
            continue;
        };
        let from = dockerfile.instruction(dockerfile.stages[0].from);
        findings.push(Finding::new(
            &SINGLE_STAGE,
            Location::line(&view.path, from.line),
            format!(
                "one stage builds (`go {}`, line {}) and runs the service, so the image ships the Go toolchain",
                build.go.subcommand, build.line
            ),
        ));
    }
    findings
}

fn unpinned_base_image(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for stage in &dockerfile.stages {
            if let Base::Image(reference) = dockerfile.base(stage.index) {
                let line = dockerfile.instruction(stage.from).line;
                findings.extend(floating(&view.path, line, "FROM", &reference));
            }
            for (index, instruction) in dockerfile.body(stage.index) {
                let Some(from) = instruction.flag("from") else {
                    continue;
                };
                if dockerfile.stage_named(from, stage.index).is_some() {
                    continue;
                }
                let (reference, unresolved) = expand(from, &dockerfile.vars_at(stage.index, index));
                if !unresolved {
                    findings.extend(floating(
                        &view.path,
                        instruction.line,
                        "COPY --from",
                        &reference,
                    ));
                }
            }
        }
    }
    findings
}

fn floating(path: &str, line: usize, what: &str, reference: &str) -> Option<Finding> {
    let image = ImageRef::parse(reference);
    if !image.is_floating() {
        return None;
    }
    let problem = if image.tag.is_some() {
        "is tagged `latest`"
    } else {
        "has no tag, so it means `latest`"
    };
    Some(Finding::new(
        &UNPINNED_BASE_IMAGE,
        Location::line(path, line),
        format!("`{what} {reference}` {problem}"),
    ))
}

fn toolchain_runtime(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if dockerfile.stages.len() < 2 {
            continue; // single-stage says it already
        }
        let last = dockerfile.final_stage();
        let Base::Image(reference) = dockerfile.root_base(last.index) else {
            continue;
        };
        if ImageRef::parse(&reference).is_go_toolchain() {
            findings.push(Finding::new(
                &TOOLCHAIN_RUNTIME,
                Location::line(&view.path, dockerfile.instruction(last.from).line),
                format!("the final stage runs on `{reference}`, a full Go toolchain image"),
            ));
        }
    }
    findings
}

fn scratch_without_certificates(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let last = dockerfile.final_stage();
        if dockerfile.root_base(last.index) != Base::Scratch
            || copies_certificates(dockerfile, last.index)
        {
            continue;
        }
        findings.push(Finding::new(
            &SCRATCH_WITHOUT_CERTIFICATES,
            Location::line(&view.path, dockerfile.instruction(last.from).line),
            "the final stage is `scratch` and nothing copies CA certificates into it",
        ));
    }
    findings
}

/// A COPY or ADD in the stage (or the stages it is built FROM) that brings in a CA
/// bundle.
fn copies_certificates(dockerfile: &Dockerfile, stage: usize) -> bool {
    let mut current = Some(stage);
    while let Some(index) = current {
        let found = dockerfile.body(index).any(|(_, instruction)| {
            matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                && instruction.words().iter().any(|word| {
                    word.contains("ca-certificates")
                        || word.contains("/etc/ssl/certs")
                        || word.contains("ca-bundle")
                })
        });
        if found {
            return true;
        }
        current = match dockerfile.base(index) {
            Base::Stage(parent) => Some(parent),
            _ => None,
        };
    }
    false
}
