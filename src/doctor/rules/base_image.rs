//! Pitfall 6, the base image: a full golang image shipped to production (800 MB, a
//! shell and a compiler for an attacker), floating `:latest` tags that change under
//! the build, and scratch images without CA certificates.

use crate::doctor::dockerfile::{expand, Base, Dockerfile};
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::go_steps::go_steps;
use crate::doctor::image::ImageRef;
use crate::doctor::project::{is_under, Project};
use crate::doctor::rules::stages;

pub static SINGLE_STAGE: Rule = Rule {
    id: "SD601",
    name: "single-stage",
    severity: Severity::Warning,
    summary: "A single-stage Dockerfile that compiles Go: the image ships the toolchain.",
    why: "The runtime image then holds the compiler, the module cache and a shell: hundreds of MB to pull on every deploy, and tools for an attacker.",
    fix: "Build in a `FROM golang:… AS build` stage and copy only the binary into a small runtime stage: `FROM gcr.io/distroless/static-debian12:nonroot` + `COPY --from=build /out/app /app`.",
    example: "Trips: `FROM golang:1.22` / `RUN go build -o /app .` / `CMD [\"/app\"]` as the only stage.\nDoes not trip: a build stage and `FROM gcr.io/distroless/static-debian12:nonroot` / `COPY --from=build /app /app`; a test runner stage that runs `go test`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: single_stage,
};

pub static UNPINNED_BASE_IMAGE: Rule = Rule {
    id: "SD602",
    name: "unpinned-base-image",
    severity: Severity::Warning,
    summary: "A base image or compose `image:` with no tag or the `latest` tag.",
    why: "`latest` moves: the same Dockerfile builds a different image next month (a new Go or Alpine release), so builds stop being reproducible and break without a change in the project.",
    fix: "Pin a version tag (`golang:1.22-alpine`, `alpine:3.20`), or a digest (`@sha256:…`) for fully reproducible builds.",
    example: "Trips: `FROM alpine`, `FROM alpine:latest`, compose `image: redis` (or `redis:latest`).\nDoes not trip: `FROM alpine:3.20`, `FROM alpine@sha256:…`, compose `image: redis:7.2`, an `image:` that only names what `build:` produces.",
    confidence: Confidence::Certain,
    fixable: false,
    check: unpinned_base_image,
};

pub static TOOLCHAIN_RUNTIME: Rule = Rule {
    id: "SD603",
    name: "toolchain-runtime",
    severity: Severity::Warning,
    summary: "The final stage (or a compose `build.target` stage) runs on a full Go toolchain image.",
    why: "The golang image is about 800 MB with a compiler, git and a shell: slow to pull, and a large attack surface for a service that needs only its binary.",
    fix: "Run on a small runtime image: `gcr.io/distroless/static-debian12:nonroot` (build with CGO_ENABLED=0), `alpine:3.20`, or scratch with CA certificates.",
    example: "Trips: a final stage `FROM golang:1.22`, or compose `build.target: builder` naming such a stage.\nDoes not trip: a final stage on distroless, alpine or scratch; a Dockerfile that only runs `go test` (an integration-test runner).",
    confidence: Confidence::Certain,
    fixable: false,
    check: toolchain_runtime,
};

pub static SCRATCH_WITHOUT_CERTIFICATES: Rule = Rule {
    id: "SD604",
    name: "scratch-without-certificates",
    severity: Severity::Warning,
    summary: "The final stage is scratch, copies in no CA certificates, and the Go code makes TLS calls.",
    why: "scratch is empty: every outgoing HTTPS call fails with \"x509: certificate signed by unknown authority\".",
    fix: "Copy them from the build stage: `COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/` (install `ca-certificates` there if it is alpine), or use distroless static, which has them.",
    example: "Trips: `FROM scratch` without `/etc/ssl/certs` for a service that imports crypto/tls, calls `http.Get` or uses the AWS SDK.\nDoes not trip: `COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`, or a service that makes no TLS calls.",
    confidence: Confidence::Likely,
    fixable: false,
    check: scratch_without_certificates,
};

fn single_stage(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        if dockerfile.stages.len() != 1 || stages::is_test_only(view, dockerfile) {
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
            if let Base::Image(reference) = stages::base(dockerfile, stage.index) {
                let line = dockerfile.instruction(stage.from).line;
                let finding = floating(&view.path, line, "FROM", &reference);
                findings.extend(finding.map(|finding| {
                    if stages::from_arg(dockerfile, stage.index) {
                        // Only the default: the build may well pass a pinned image.
                        let message = format!(
                            "{} (the default of `FROM {}`; a --build-arg may pin it)",
                            finding.message, stage.image
                        );
                        Finding { message, ..finding }.confidence(Confidence::Likely)
                    } else {
                        finding
                    }
                }));
            }
            for (index, instruction) in dockerfile.body(stage.index) {
                let Some(from) = instruction.flag("from") else {
                    continue;
                };
                if dockerfile.stage_named(from, stage.index).is_some() {
                    continue;
                }
                let (reference, unresolved) = expand(from, &dockerfile.vars_at(stage.index, index));
                if !unresolved && !from.contains('$') {
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
    findings.extend(unpinned_compose_images(project));
    findings
}

/// Compose services that run an image (not build one) by a floating tag. An image
/// named through a variable is left alone: the value is set elsewhere.
fn unpinned_compose_images(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for view in &project.compose_files {
        let Ok(compose) = &view.parsed else { continue };
        for service in compose.services.iter().filter(|s| s.build.is_none()) {
            let Some((line, reference)) = &service.image else {
                continue;
            };
            if reference.contains('$') || reference.trim().is_empty() {
                continue;
            }
            if let Some(finding) = floating(&view.path, *line, "image:", reference) {
                let message = format!("service `{}`: {}", service.name, finding.message);
                findings.push(Finding { message, ..finding });
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
        for runtime in stages::runtimes(project, view, dockerfile) {
            if runtime.target_of.is_none() && dockerfile.stages.len() < 2 {
                continue; // single-stage says it already
            }
            let Base::Image(reference) = stages::root_base(dockerfile, runtime.stage) else {
                continue;
            };
            if ImageRef::parse(&reference).is_go_toolchain() {
                let stage = &dockerfile.stages[runtime.stage];
                findings.push(Finding::new(
                    &TOOLCHAIN_RUNTIME,
                    Location::line(&view.path, dockerfile.instruction(stage.from).line),
                    format!(
                        "{} runs on `{reference}`, a full Go toolchain image",
                        runtime.described(dockerfile)
                    ),
                ));
            }
        }
    }
    findings
}

fn scratch_without_certificates(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for runtime in stages::runtimes(project, view, dockerfile) {
            if stages::root_base(dockerfile, runtime.stage) != Base::Scratch
                || copies_certificates(dockerfile, runtime.stage)
            {
                continue;
            }
            let Some(evidence) = tls_evidence(project, &view.context) else {
                continue; // no sign of an outgoing TLS call: no risk to report
            };
            let stage = &dockerfile.stages[runtime.stage];
            findings.push(
                Finding::new(
                    &SCRATCH_WITHOUT_CERTIFICATES,
                    Location::line(&view.path, dockerfile.instruction(stage.from).line),
                    format!(
                        "{} is `scratch` and nothing copies CA certificates into it, but the service makes TLS calls: {}",
                        runtime.described(dockerfile),
                        evidence.seen
                    ),
                )
                .confidence(evidence.confidence),
            );
        }
    }
    findings
}

/// What in the Go sources says the service calls out over TLS.
struct TlsEvidence {
    seen: String,
    confidence: Confidence,
}

/// Import prefixes of SDKs that talk to HTTPS endpoints.
const TLS_SDKS: &[&str] = &[
    "github.com/aws/aws-sdk-go",
    "cloud.google.com/go",
    "google.golang.org/api",
    "firebase.google.com/go",
    "github.com/Azure/azure-sdk-for-go",
    "github.com/stripe/stripe-go",
    "github.com/slack-go/slack",
    "github.com/sendgrid/sendgrid-go",
    "github.com/twilio/twilio-go",
    "github.com/getsentry/sentry-go",
    "github.com/google/go-github",
    "github.com/minio/minio-go",
    "golang.org/x/oauth2",
    "github.com/sashabaranov/go-openai",
];

/// Calls that make a net/http client request.
const HTTP_CLIENT_CALLS: &[&str] = &[
    "http.Get(",
    "http.Post(",
    "http.PostForm(",
    "http.Head(",
    "http.Client{",
    "http.DefaultClient",
    "http.NewRequest",
];

/// Evidence, in the non-test Go sources inside the build context, of outgoing TLS:
/// crypto/tls, an SDK of a cloud or SaaS API, gRPC with TLS credentials, or net/http
/// used as a client. None when nothing says so.
fn tls_evidence(project: &Project, context: &str) -> Option<TlsEvidence> {
    let sources: Vec<_> = project
        .go_files
        .iter()
        .filter(|file| is_under(&file.path, context) && !file.path.ends_with("_test.go"))
        .collect();
    let found = |what: &dyn Fn(&str) -> bool| {
        sources.iter().find_map(|file| {
            file.source
                .imports
                .iter()
                .find(|(_, import)| what(import))
                .map(|(_, import)| (file.path.clone(), import.clone()))
        })
    };
    let likely = |seen: String| {
        Some(TlsEvidence {
            seen,
            confidence: Confidence::Likely,
        })
    };
    if let Some((file, import)) =
        found(&|import| TLS_SDKS.iter().any(|sdk| import.starts_with(sdk)))
    {
        return likely(format!(
            "`{file}` imports `{import}`, which calls HTTPS APIs"
        ));
    }
    if let Some((file, _)) = found(&|import| import == "google.golang.org/grpc/credentials") {
        return likely(format!("`{file}` dials gRPC with TLS credentials"));
    }
    for file in sources.iter().filter(|file| {
        file.source
            .imports
            .iter()
            .any(|(_, import)| import == "net/http")
    }) {
        let text = std::fs::read_to_string(project.root.join(&file.path)).unwrap_or_default();
        if let Some(call) = HTTP_CLIENT_CALLS.iter().find(|call| text.contains(*call)) {
            let https = text.contains("\"https://");
            return Some(TlsEvidence {
                seen: format!(
                    "`{}` uses net/http as a client (`{}`){}",
                    file.path,
                    call.trim_end_matches(['(', '{']),
                    if https { " with an https:// URL" } else { "" }
                ),
                confidence: if https {
                    Confidence::Likely
                } else {
                    Confidence::Possible
                },
            });
        }
    }
    if let Some((file, _)) = found(&|import| import == "crypto/tls") {
        // Also what a TLS server imports: a hint, not proof.
        return Some(TlsEvidence {
            seen: format!("`{file}` imports crypto/tls"),
            confidence: Confidence::Possible,
        });
    }
    None
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
