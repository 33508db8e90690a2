//! Pitfall 5, cgo and static linking: with cgo on (the default wherever a C compiler
//! is installed, as in the Debian-based golang images), `go build` links against the
//! builder's glibc. On scratch, distroless static or alpine (musl) that binary does
//! not start: `exec /app: no such file or directory`, for a file that exists.

use crate::doctor::dockerfile::{Base, Dockerfile};
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::fix::Fix;
use crate::doctor::go_steps::go_steps;
use crate::doctor::image::ImageRef;
use crate::doctor::project::Project;
use crate::doctor::rules::stages;

pub static CGO_WITH_STATIC_RUNTIME: Rule = Rule {
    id: "SD501",
    name: "cgo-with-static-runtime",
    severity: Severity::Error,
    summary: "`go build` without CGO_ENABLED=0 for an image that runs on scratch, distroless static or alpine.",
    why: "cgo links the binary against the builder's glibc; the runtime image has none (or musl), so the container fails at start with \"exec …: no such file or directory\" although the file is there.",
    fix: "Build with `CGO_ENABLED=0` (`ENV CGO_ENABLED=0` in the build stage; `scaffold doctor --fix` adds it), or link statically on purpose with `-ldflags '-extldflags \"-static\"'`.",
    example: "Trips: `FROM golang:1.22 AS build` / `RUN go build -o /app .` / `FROM scratch`.\nDoes not trip: `RUN CGO_ENABLED=0 go build -o /app .`, or a builder without a C compiler (golang:alpine without gcc).",
    confidence: Confidence::Certain,
    fixable: true,
    check: cgo_with_static_runtime,
};

fn cgo_with_static_runtime(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let last = dockerfile.final_stage().index;
        let (runtime, runtime_is_musl) = match stages::root_base(dockerfile, last) {
            Base::Scratch => ("scratch".to_string(), false),
            Base::Image(reference) => {
                let image = ImageRef::parse(&reference);
                if !image.is_static_runtime() || image.is_go_toolchain() {
                    continue;
                }
                (reference, image.is_musl() && !image.is_distroless_static())
            }
            Base::Stage(_) | Base::Unknown(_) => continue,
        };
        for stage in dockerfile.needed_by(last) {
            let builder = match stages::root_base(dockerfile, stage) {
                Base::Image(reference) => Some(ImageRef::parse(&reference)),
                _ => None,
            };
            let builder_is_musl = builder.as_ref().is_some_and(ImageRef::is_musl);
            if runtime_is_musl && builder_is_musl {
                continue; // musl on both sides: cgo links against what the runtime has
            }
            if builder
                .as_ref()
                .is_some_and(|image| lacks_c_compiler(dockerfile, stage, image))
            {
                continue; // go 1.20+ turns cgo off where there is no C compiler
            }
            for step in go_steps(dockerfile, stage)
                .into_iter()
                .filter(|s| s.go.builds())
            {
                let cgo = step.env("CGO_ENABLED");
                if cgo.as_deref() == Some("0") || step.links_statically() {
                    continue;
                }
                let state = match cgo.as_deref() {
                    Some(value) => format!("CGO_ENABLED={value}"),
                    None => "cgo on by default".to_string(),
                };
                let mut finding = Finding::new(
                    &CGO_WITH_STATIC_RUNTIME,
                    Location::line(&view.path, step.line),
                    format!(
                        "`go {}` runs with {state}, but the image runs on `{runtime}`",
                        step.go.subcommand
                    ),
                );
                if cgo.is_none() {
                    // Left at the default: turning cgo off is what the runtime needs.
                    // CGO_ENABLED=1 set on purpose is left to the author.
                    let from = dockerfile.instruction(dockerfile.stages[stage].from);
                    finding = finding.repair(Fix::InsertAfter {
                        path: view.path.clone(),
                        line: from.end_line,
                        text: "ENV CGO_ENABLED=0".to_string(),
                    });
                } else {
                    finding = finding.hint(
                        "CGO_ENABLED is set on purpose here: build with CGO_ENABLED=0, link statically (`-ldflags '-extldflags \"-static\"'`), or run on an image with glibc (distroless base, debian-slim).",
                    );
                }
                findings.push(finding);
            }
        }
    }
    findings
}

/// A golang alpine image (no gcc) of Go 1.20 or later, where no stage it rests on
/// installs a C compiler: the go command then builds with cgo off by itself.
fn lacks_c_compiler(dockerfile: &Dockerfile, stage: usize, image: &ImageRef) -> bool {
    if !(image.is_go_toolchain() && image.is_musl()) {
        return false;
    }
    let tag = image.tag.as_deref().unwrap_or("alpine");
    let mut version = tag.split(['-', '.']).map(|part| part.parse::<u32>().ok());
    let modern = match (version.next().flatten(), version.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (1, 20),
        (Some(major), None) => major > 1,
        _ => true, // `alpine`, `alpine3.20`: the current Go
    };
    const COMPILERS: &[&str] = &["gcc", "build-base", "clang", "musl-dev", "g++"];
    let mut current = Some(stage);
    let mut installs = false;
    while let Some(index) = current {
        installs |= dockerfile.body(index).any(|(_, instruction)| {
            instruction.keyword == "RUN"
                && instruction
                    .scripts()
                    .iter()
                    .flat_map(|script| script.split_whitespace())
                    .any(|word| COMPILERS.contains(&word))
        });
        current = match dockerfile.base(index) {
            Base::Stage(parent) if parent != index => Some(parent),
            _ => None,
        };
    }
    modern && !installs
}
