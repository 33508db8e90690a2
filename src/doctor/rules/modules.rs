//! Pitfall 3, module downloads: `go mod download` inside the build cannot reach the
//! default proxy behind a corporate proxy, in mainland China or air-gapped; and a build
//! without its own download step fetches every module again whenever source changes.
//! Both only matter when there is something to download: a module with no
//! requirements, or a vendored one, is left alone.

use crate::doctor::dockerfile::Dockerfile;
use crate::doctor::finding::{Finding, Location, Rule, Severity};
use crate::doctor::go_steps::go_steps_with_parents;
use crate::doctor::project::{is_under, DockerfileView, Project};

pub static GOPROXY_NOT_SETTABLE: Rule = Rule {
    id: "SD301",
    name: "goproxy-not-settable",
    severity: Severity::Warning,
    summary: "The Dockerfile downloads Go modules but GOPROXY cannot be set at build time.",
    why: "Behind a corporate proxy, in mainland China or on an air-gapped network the default proxy.golang.org is unreachable, and without a build arg the only way out is editing the Dockerfile.",
    fix: "Declare it in the stage before the download: `ARG GOPROXY=https://proxy.golang.org,direct` (and GOPRIVATE, GONOSUMDB if needed); build with `--build-arg GOPROXY=https://goproxy.cn,direct`.",
    fixable: false,
    check: goproxy_not_settable,
};

pub static NO_MODULE_DOWNLOAD: Rule = Rule {
    id: "SD302",
    name: "no-module-download",
    severity: Severity::Warning,
    summary: "`go build` runs without a `go mod download` step before it.",
    why: "The modules are then fetched in the same layer as the compile, so every source change downloads all of them again: slow, and a build failure whenever the proxy is unreachable.",
    fix: "Copy go.mod and go.sum first and download in their own layer: `COPY go.mod go.sum ./` then `RUN go mod download`, then `COPY . .` and build.",
    fixable: false,
    check: no_module_download,
};

fn goproxy_not_settable(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if !downloads_something(project, view) {
            continue;
        }
        for stage in &dockerfile.stages {
            // The step that really downloads: the first fetching one, counting the
            // stages this one is built FROM (whose downloads it inherits).
            let Some(step) = go_steps_with_parents(dockerfile, stage.index)
                .into_iter()
                .find(|step| step.go.fetches_modules())
            else {
                continue;
            };
            if step.stage != stage.index {
                continue; // downloaded (and reported) in the parent stage
            }
            if declares_arg(dockerfile, stage.index, step.instruction, "GOPROXY") {
                continue;
            }
            let message = match step.env("GOPROXY") {
                Some(value) => format!(
                    "`go {}` downloads modules through GOPROXY fixed to `{value}`; it cannot be changed with --build-arg",
                    step.go.subcommand
                ),
                None => format!(
                    "`go {}` downloads modules, but the stage declares no `ARG GOPROXY`",
                    step.go.subcommand
                ),
            };
            findings.push(Finding::new(
                &GOPROXY_NOT_SETTABLE,
                Location::line(&view.path, step.line),
                message,
            ));
        }
    }
    findings
}

fn no_module_download(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if !downloads_something(project, view) {
            continue;
        }
        for stage in &dockerfile.stages {
            let steps = go_steps_with_parents(dockerfile, stage.index);
            let Some(build) = steps.iter().find(|step| {
                step.stage == stage.index && step.go.builds() && !step.go.is_remote_install()
            }) else {
                continue;
            };
            let downloaded_before = steps
                .iter()
                .take_while(|step| {
                    step.stage != stage.index || step.instruction < build.instruction
                })
                .any(|step| step.go.downloads_modules_only());
            if downloaded_before || build.caches_modules {
                continue;
            }
            findings.push(Finding::new(
                &NO_MODULE_DOWNLOAD,
                Location::line(&view.path, build.line),
                format!(
                    "`go {}` fetches the modules itself: no `go mod download` layer before it",
                    build.go.subcommand
                ),
            ));
        }
    }
    findings
}

/// Whether the module(s) built from this context have requirements to download.
/// Unknown (no go.mod in view) counts as yes.
pub fn downloads_something(project: &Project, view: &DockerfileView) -> bool {
    let modules: Vec<_> = project
        .go_modules
        .iter()
        .filter(|module| is_under(&module.dir, &view.context))
        .chain(project.module_of(&view.context))
        .collect();
    modules.is_empty()
        || modules
            .iter()
            .any(|module| module.go_mod.requires > 0 && !module.vendored)
}

/// Whether `ARG name` is declared in the stage before instruction `before`.
fn declares_arg(dockerfile: &Dockerfile, stage: usize, before: usize, name: &str) -> bool {
    dockerfile
        .body(stage)
        .take_while(|(index, _)| *index < before)
        .filter(|(_, instruction)| instruction.keyword == "ARG")
        .flat_map(|(_, instruction)| instruction.words())
        .any(|word| word.split('=').next() == Some(name))
}
