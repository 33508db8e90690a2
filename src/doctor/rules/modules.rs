//! Pitfall 3, module downloads: `go mod download` inside the build cannot reach the
//! default proxy behind a corporate proxy, in mainland China or air-gapped; and a build
//! without its own download step fetches every module again whenever source changes.
//! Both only matter when there is something to download: a module with no
//! requirements, or a vendored one, is left alone.

use crate::doctor::dockerfile::{expand, Base, Dockerfile, Instruction};
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::go_steps::{
    go_steps, go_steps_with_parents, go_steps_with_parents_in, holds_module_cache, Context, GoStep,
};
use crate::doctor::project::{is_under, DockerfileView, GoModule, Project};

pub static GOPROXY_NOT_SETTABLE: Rule = Rule {
    id: "SD301",
    name: "goproxy-not-settable",
    severity: Severity::Warning,
    summary: "The Dockerfile downloads Go modules but GOPROXY cannot be set at build time.",
    why: "Behind a corporate proxy, in mainland China or on an air-gapped network the default proxy.golang.org is unreachable, and without a build arg the only way out is editing the Dockerfile.",
    fix: "Declare it in the stage before the download: `ARG GOPROXY=https://proxy.golang.org,direct` (and GOPRIVATE, GONOSUMDB if needed); build with `--build-arg GOPROXY=https://goproxy.cn,direct`.",
    example: "Trips: `ENV GOPROXY=https://goproxy.cn` / `RUN go mod download`.\nDoes not trip: `ARG GOPROXY=https://proxy.golang.org,direct` / `RUN go mod download`.",
    confidence: Confidence::Likely,
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
    example: "Trips: `COPY . .` / `RUN go build -o /app .` (also hidden in `RUN make build`).\nDoes not trip: `COPY go.mod go.sum ./` / `RUN go mod download` / `COPY . .` / `RUN go build`; a cache mount on /go/pkg/mod (or /go/pkg); modules copied from a stage that downloads them.",
    confidence: Confidence::Likely,
    fixable: false,
    check: no_module_download,
};

pub static VENDOR_IGNORED: Rule = Rule {
    id: "SD303",
    name: "vendor-ignored",
    severity: Severity::Warning,
    summary: "A vendor/ folder that `go build` ignores: go.mod says `go` below 1.14 and nothing passes `-mod=vendor`.",
    why: "Before go 1.14 the go tool uses vendor/ only with `-mod=vendor`: the build downloads every module through whatever GOPROXY the image has, so it fails offline or behind a proxy although the code is vendored.",
    fix: "Raise the `go` line in go.mod to 1.14 or later (`go mod edit -go=1.14`), or build with `-mod=vendor` (`ENV GOFLAGS=-mod=vendor`).",
    example: "Trips: a `vendor/` folder with `go 1.13` in go.mod and `RUN go build ./...`.\nDoes not trip: `go 1.14` or later in go.mod, or `go build -mod=vendor` (or `ENV GOFLAGS=-mod=vendor`).",
    confidence: Confidence::Certain,
    fixable: false,
    check: vendor_ignored,
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
            let Some(step) =
                go_steps_with_parents_in(dockerfile, stage.index, context(project, view))
                    .into_iter()
                    .filter(|step| !modules_copied_in(dockerfile, step.stage, step.instruction))
                    .find(|step| step.go.fetches_modules())
            else {
                continue;
            };
            if step.stage != stage.index {
                continue; // downloaded (and reported) in the parent stage
            }
            // `GOPROXY=… go build` (or `… make build`) fixes it whatever ARG says.
            let inline = step
                .go
                .command
                .env("GOPROXY")
                .filter(|value| !value.contains('$'))
                .map(str::to_string);
            if inline.is_none()
                && declares_arg(dockerfile, stage.index, step.instruction, "GOPROXY")
            {
                continue;
            }
            let what = described(&step);
            let message = match inline.or_else(|| step.env("GOPROXY")) {
                Some(value) => format!(
                    "{what} downloads modules through GOPROXY fixed to `{value}`; it cannot be changed with --build-arg"
                ),
                None => format!("{what} downloads modules, but the stage declares no `ARG GOPROXY`"),
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
            let steps = go_steps_with_parents_in(dockerfile, stage.index, context(project, view));
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
            if downloaded_before
                || build.caches_modules
                || uses_vendor(build)
                || modules_copied_in(dockerfile, stage.index, build.instruction)
            {
                continue;
            }
            let mut finding = Finding::new(
                &NO_MODULE_DOWNLOAD,
                Location::line(&view.path, build.line),
                format!(
                    "{} fetches the modules itself: no `go mod download` layer before it",
                    described(build)
                ),
            );
            if build.via.is_some() {
                finding = finding.hint(
                    "Download in a layer of its own before the context is copied: `COPY go.mod go.sum ./` then `RUN go mod download`, then `COPY . .` and the make target (or script).",
                );
            }
            findings.push(finding);
        }
    }
    findings
}

fn vendor_ignored(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let Some(module) = modules_built(project, view)
            .into_iter()
            .find(|module| module.vendored && !module.go_mod.uses_vendor_by_default())
        else {
            continue;
        };
        let build = (0..dockerfile.stages.len())
            .flat_map(|stage| go_steps(dockerfile, stage))
            .find(|step| step.go.builds() && !step.go.is_remote_install() && !uses_vendor(step));
        if let Some(build) = build {
            let go_mod = crate::doctor::project::join(&module.dir, "go.mod").unwrap_or_default();
            findings.push(Finding::new(
                &VENDOR_IGNORED,
                Location::line(&view.path, build.line),
                format!(
                    "`go {}` downloads the modules although they are vendored: `{go_mod}` says `go {}`, and before 1.14 vendor/ is used only with `-mod=vendor`",
                    build.go.subcommand,
                    module.go_mod.go.as_deref().unwrap_or("?")
                ),
            ));
        }
    }
    findings
}

/// The build context to read make targets and scripts in.
fn context<'a>(project: &'a Project, view: &'a DockerfileView) -> Option<Context<'a>> {
    Some(Context {
        project,
        dir: &view.context,
    })
}

/// "`go build`", or "`go build` (run by `make build` (Makefile line 12))".
fn described(step: &GoStep) -> String {
    match &step.via {
        Some(via) => format!("`go {}`, run by {via},", step.go.subcommand),
        None => format!("`go {}`", step.go.subcommand),
    }
}

/// A `COPY --from=<stage> /go/pkg …` (the module cache or a folder above it) before
/// instruction `before` of `stage`, or in the stages it is built FROM, from a stage
/// that downloads modules: the build then finds them in place (the `FROM golang AS
/// modules` pattern).
fn modules_copied_in(dockerfile: &Dockerfile, stage: usize, before: usize) -> bool {
    let mut current = Some(stage);
    while let Some(index) = current {
        let copied = dockerfile
            .body(index)
            .take_while(|(position, _)| index != stage || *position < before)
            .any(|(position, instruction)| {
                copies_module_cache(dockerfile, index, position, instruction)
            });
        if copied {
            return true;
        }
        current = match dockerfile.base(index) {
            Base::Stage(parent) if parent != index => Some(parent),
            _ => None,
        };
    }
    false
}

fn copies_module_cache(
    dockerfile: &Dockerfile,
    stage: usize,
    position: usize,
    instruction: &Instruction,
) -> bool {
    if instruction.keyword != "COPY" {
        return false;
    }
    let Some(source_stage) = instruction
        .flag("from")
        .and_then(|from| dockerfile.stage_named(from, stage))
    else {
        return false;
    };
    let vars = dockerfile.vars_at(stage, position);
    let module_cache = vars
        .get("GOMODCACHE")
        .cloned()
        .unwrap_or_else(|| "/go/pkg/mod".to_string());
    let words = instruction.words();
    let Some((_, sources)) = words.split_last() else {
        return false;
    };
    sources
        .iter()
        .any(|source| holds_module_cache(&expand(source, &vars).0, &module_cache))
        && go_steps_with_parents(dockerfile, source_stage)
            .iter()
            .any(|step| step.go.fetches_modules())
}

/// `-mod=vendor` on the command line or in GOFLAGS.
fn uses_vendor(step: &GoStep) -> bool {
    let flag = |text: &str| text.split_whitespace().any(|word| word == "-mod=vendor");
    step.go.args.iter().any(|arg| arg == "-mod=vendor")
        || step.env("GOFLAGS").is_some_and(|flags| flag(&flags))
}

/// The go modules a Dockerfile with this context builds: those inside the context,
/// and the one the context is in.
fn modules_built<'a>(project: &'a Project, view: &DockerfileView) -> Vec<&'a GoModule> {
    project
        .go_modules
        .iter()
        .filter(|module| is_under(&module.dir, &view.context))
        .chain(project.module_of(&view.context))
        .collect()
}

/// Whether the module(s) built from this context have requirements to download.
/// Unknown (no go.mod in view) counts as yes; vendored modules download nothing,
/// unless their go.mod is too old for the go tool to use vendor/ by itself.
pub fn downloads_something(project: &Project, view: &DockerfileView) -> bool {
    let modules = modules_built(project, view);
    modules.is_empty()
        || modules.iter().any(|module| {
            module.go_mod.requires > 0
                && !(module.vendored && module.go_mod.uses_vendor_by_default())
        })
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
