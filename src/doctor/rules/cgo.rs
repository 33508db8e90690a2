//! Pitfall 5, cgo and static linking: with cgo on (the default wherever a C compiler
//! is installed, as in the Debian-based golang images), `go build` links against the
//! builder's glibc. On scratch, distroless static or alpine (musl) that binary does
//! not start: `exec /app: no such file or directory`, for a file that exists.

use crate::doctor::dockerfile::Base;
use crate::doctor::finding::{Finding, Location, Rule, Severity};
use crate::doctor::fix::Fix;
use crate::doctor::go_steps::go_steps;
use crate::doctor::image::ImageRef;
use crate::doctor::project::Project;

pub static CGO_WITH_STATIC_RUNTIME: Rule = Rule {
    id: "SD501",
    name: "cgo-with-static-runtime",
    severity: Severity::Error,
    summary: "`go build` without CGO_ENABLED=0 for an image that runs on scratch, distroless static or alpine.",
    why: "cgo links the binary against the builder's glibc; the runtime image has none (or musl), so the container fails at start with \"exec …: no such file or directory\" although the file is there.",
    fix: "Build with `CGO_ENABLED=0` (`ENV CGO_ENABLED=0` in the build stage; `scaffold doctor --fix` adds it), or link statically on purpose with `-ldflags '-extldflags \"-static\"'`.",
    fixable: true,
    check: cgo_with_static_runtime,
};

fn cgo_with_static_runtime(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let last = dockerfile.final_stage().index;
        let (runtime, runtime_is_musl) = match dockerfile.root_base(last) {
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
            let builder_is_musl = match dockerfile.root_base(stage) {
                Base::Image(reference) => ImageRef::parse(&reference).is_musl(),
                _ => false,
            };
            if runtime_is_musl && builder_is_musl {
                continue; // musl on both sides: cgo links against what the runtime has
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
