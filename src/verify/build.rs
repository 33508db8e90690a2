//! `docker build` of the project: a spinner with the current step at a terminal, the
//! whole log with `-v`, and on failure the failing step and the last lines of the log.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use regex::Regex;

use super::build_failure::{diagnose, BuildNetwork};
use super::preflight::Ready;
use super::project::Project;
use crate::engine::stream;
use crate::error::Error;
use crate::report::Reporter;

/// Lines of the build log shown when the build fails.
pub const TAIL_LINES: usize = 40;

/// A built image and what the report says about it.
#[derive(Debug, Clone)]
pub struct Built {
    pub tag: String,
    pub seconds: f64,
    pub size_bytes: Option<u64>,
    /// `USER` of the image (empty: root).
    pub user: String,
}

/// Docker's predefined proxy build args: usable in every RUN without an ARG line, and
/// kept out of `docker history`.
pub const PROXY_BUILD_ARGS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

pub fn build(
    ready: &Ready,
    project: &Project,
    verbose: bool,
    reporter: &Reporter,
) -> Result<Built, Error> {
    let set_here = proxy_variables_set();
    // Only for a project that asks (`--build-proxy`): verify builds as the project's
    // own commands do, so it never passes where `docker build .` fails.
    let build_args = if project.build_proxy {
        set_here.clone()
    } else {
        Vec::new()
    };
    let network = BuildNetwork {
        ca_cert: project.ca_cert,
        proxy_passed: !build_args.is_empty(),
        proxy_in_env: !set_here.is_empty(),
    };
    let target = Target {
        tag: &project.image_tag(),
        dockerfile: None,
        context: &project.dir,
    };
    build_target(ready, &target, &build_args, network, verbose, reporter)
}

/// The proxy variables set (and not empty) where verify runs.
fn proxy_variables_set() -> Vec<&'static str> {
    PROXY_BUILD_ARGS
        .into_iter()
        .filter(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
        .collect()
}

/// What to build: the tag, the Dockerfile (default: CONTEXT/Dockerfile) and the context.
struct Target<'a> {
    tag: &'a str,
    dockerfile: Option<&'a Path>,
    context: &'a Path,
}

/// `build --tag TAG [--file DOCKERFILE] CONTEXT`, shown and reported as `build` does;
/// also used by `doctor --fix --verify` for any Dockerfile and context.
pub fn build_image(
    ready: &Ready,
    tag: &str,
    dockerfile: Option<&Path>,
    context: &Path,
    verbose: bool,
    reporter: &Reporter,
) -> Result<Built, Error> {
    let target = Target {
        tag,
        dockerfile,
        context,
    };
    build_target(
        ready,
        &target,
        &[],
        BuildNetwork::default(),
        verbose,
        reporter,
    )
}

/// The build itself. `build_args` are passed by name only (`--build-arg NAME`): the
/// engine reads each value from the environment, so no value is on a command line.
fn build_target(
    ready: &Ready,
    target: &Target<'_>,
    build_args: &[&str],
    network: BuildNetwork,
    verbose: bool,
    reporter: &Reporter,
) -> Result<Built, Error> {
    let Target {
        tag,
        dockerfile,
        context,
    } = *target;
    let tag = tag.to_string();
    let mut args: Vec<&OsStr> = vec!["build".as_ref()];
    args.extend(
        super::podman::build_args(ready.engine.kind)
            .iter()
            .map(OsStr::new),
    );
    args.extend([OsStr::new("--tag"), OsStr::new(&tag)]);
    if let Some(dockerfile) = dockerfile {
        args.extend(["--file".as_ref(), dockerfile.as_os_str()]);
    }
    for name in build_args {
        args.extend([OsStr::new("--build-arg"), OsStr::new(name)]);
    }
    args.push(context.as_os_str());
    let description = ready.engine.tool.describe(&args);
    let progress = reporter.progress("Building", &tag, !verbose);
    let mut steps = Steps::default();
    let started = Instant::now();
    let finished = stream::run(ready.engine.command(&args), &description, |line| {
        if verbose {
            reporter.note(line);
        }
        if let Some(step) = steps.observe(line) {
            progress.set_message(format!("{tag}: {step}"));
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    if !finished.success {
        if let Some(problem) = dockerfile_problem(&finished.lines) {
            let named = dockerfile.map_or_else(|| context.join("Dockerfile"), Path::to_path_buf);
            return Err(problem.into_error(&named));
        }
        return Err(Error::BuildFailed {
            tag,
            step: steps.failed(),
            tail: tail(&meaningful(&finished.lines), TAIL_LINES),
            cause: diagnose(&finished.lines, network).map(|cause| cause.describe()),
        });
    }
    let (size_bytes, user) = image_facts(ready, &tag)?;
    Ok(Built {
        tag,
        seconds,
        size_bytes,
        user,
    })
}

/// Size and USER of the image, from one inspect.
fn image_facts(ready: &Ready, tag: &str) -> Result<(Option<u64>, String), Error> {
    let text = ready.engine.checked(&[
        "image",
        "inspect",
        "--format",
        "{{.Size}}|{{.Config.User}}",
        tag,
    ])?;
    let (size, user) = text.split_once('|').unwrap_or((text.as_str(), ""));
    Ok((size.trim().parse().ok(), user.trim().to_string()))
}

/// The log without what says nothing to a reader: blank lines and BuildKit's
/// `#N sha256:…` digests.
fn meaningful(lines: &[String]) -> Vec<String> {
    static DIGEST: OnceLock<Regex> = OnceLock::new();
    let digest = DIGEST.get_or_init(|| Regex::new(r"^#\d+ sha256:[0-9a-f]+$").unwrap());
    lines
        .iter()
        .filter(|line| !line.trim().is_empty() && !digest.is_match(line))
        .cloned()
        .collect()
}

/// A Dockerfile the builder could not parse, and the line it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileProblem {
    pub line: Option<usize>,
    pub message: String,
}

impl DockerfileProblem {
    /// The error, with the text of the line named when the Dockerfile can be read.
    fn into_error(self, dockerfile: &std::path::Path) -> Error {
        let text = self.line.and_then(|number| {
            let content = std::fs::read_to_string(dockerfile).ok()?;
            content
                .lines()
                .nth(number.checked_sub(1)?)
                .map(|l| l.trim_end().to_string())
        });
        Error::DockerfileInvalid {
            path: dockerfile.to_path_buf(),
            line: self.line,
            text,
            message: self.message,
        }
    }
}

/// Finds a parse error in the build log. BuildKit reports it before any step runs,
/// so the last step seen is `[internal] load .dockerignore`, which says nothing.
/// Old BuildKit and the classic builder say `dockerfile parse error line N: …`; newer
/// BuildKit `dockerfile parse error on line N: …` and then quotes `Dockerfile:N`; an
/// instruction with the wrong arguments is `failed to create LLB definition: …`.
pub fn dockerfile_problem(lines: &[String]) -> Option<DockerfileProblem> {
    static PARSE: OnceLock<Regex> = OnceLock::new();
    static LLB: OnceLock<Regex> = OnceLock::new();
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let parse = PARSE.get_or_init(|| {
        Regex::new(r"(?i)dockerfile parse error (?:on )?line (\d+): (.+)$").unwrap()
    });
    let llb = LLB.get_or_init(|| Regex::new(r"failed to create LLB definition: (.+)$").unwrap());
    let quoted = QUOTED.get_or_init(|| Regex::new(r"^\s*Dockerfile:(\d+)\s*$").unwrap());
    let quoted_line = || {
        lines
            .iter()
            .find_map(|l| quoted.captures(l).and_then(|c| c[1].parse().ok()))
    };
    if let Some(caps) = lines.iter().find_map(|l| parse.captures(l)) {
        return Some(DockerfileProblem {
            line: caps[1].parse().ok(),
            message: caps[2].trim().to_string(),
        });
    }
    if let Some(caps) = lines.iter().find_map(|l| llb.captures(l)) {
        return Some(DockerfileProblem {
            line: quoted_line(),
            message: caps[1].trim().to_string(),
        });
    }
    buildah_problem(lines)
}

/// buildah (podman) names no line: `Build error: Unknown instruction: "COPPY"
/// &imagebuilder.Step{… Original:"COPPY a b"}`. Its 1.28 (podman 4.3) reads each line
/// of a heredoc as an instruction, so a heredoc fails this way too.
fn buildah_problem(lines: &[String]) -> Option<DockerfileProblem> {
    static UNKNOWN: OnceLock<Regex> = OnceLock::new();
    static ORIGINAL: OnceLock<Regex> = OnceLock::new();
    let unknown = UNKNOWN
        .get_or_init(|| Regex::new(r#"Build error: Unknown instruction: "([^"]*)""#).unwrap());
    let original_text =
        ORIGINAL.get_or_init(|| Regex::new(r#"Original:"((?:[^"\\]|\\.)*)""#).unwrap());
    let (line, caps) = lines
        .iter()
        .find_map(|l| unknown.captures(l).map(|caps| (l, caps)))?;
    let original = original_text
        .captures(line)
        .map(|text| format!(" in `{}`", &text[1]))
        .unwrap_or_default();
    Some(DockerfileProblem {
        line: None,
        message: format!(
            "unknown instruction: {}{original} (if that line is inside a heredoc such as `RUN <<EOF`: podman 4.3's \
             buildah does not understand heredocs; write the commands as one RUN with `&&`)",
            &caps[1]
        ),
    })
}

/// The last `n` lines.
pub fn tail(lines: &[String], n: usize) -> Vec<String> {
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// Follows the build steps through the log of any of the three builders: BuildKit's
/// `#7 [build 3/6] COPY go.mod ./` (several steps interleave, so each `#N` is
/// remembered and `#N ERROR` names the failing one), the classic `Step 3/12 : COPY …`
/// and buildah's `STEP 3/12: COPY …`.
#[derive(Debug, Default)]
pub struct Steps {
    titles: HashMap<String, String>,
    current: Option<String>,
    failed: Option<String>,
}

impl Steps {
    /// Reads one line; the step it starts, if it starts one.
    pub fn observe(&mut self, line: &str) -> Option<String> {
        static BUILDKIT: OnceLock<Regex> = OnceLock::new();
        static BUILDKIT_ERROR: OnceLock<Regex> = OnceLock::new();
        static SEQUENTIAL: OnceLock<Regex> = OnceLock::new();
        let buildkit = BUILDKIT.get_or_init(|| Regex::new(r"^#(\d+) (\[[^\]]+\] .*)$").unwrap());
        let buildkit_error = BUILDKIT_ERROR.get_or_init(|| Regex::new(r"^#(\d+) ERROR\b").unwrap());
        let sequential = SEQUENTIAL.get_or_init(|| {
            Regex::new(r"^(?:\[\d+/\d+\] )?(?:Step|STEP) (\d+/\d+) ?: (.*)$").unwrap()
        });
        if let Some(caps) = buildkit.captures(line) {
            let title = shorten(&caps[2]);
            self.titles.insert(caps[1].to_string(), title.clone());
            return self.start(title);
        }
        if let Some(caps) = buildkit_error.captures(line) {
            self.failed = self.titles.get(&caps[1]).cloned();
            return None;
        }
        if let Some(caps) = sequential.captures(line) {
            return self.start(shorten(&format!("step {}: {}", &caps[1], &caps[2])));
        }
        None
    }

    fn start(&mut self, title: String) -> Option<String> {
        if self.current.as_ref() == Some(&title) {
            return None;
        }
        self.current = Some(title.clone());
        Some(title)
    }

    /// The step that failed: the one BuildKit named, else the last one started.
    pub fn failed(&self) -> Option<String> {
        self.failed.clone().or_else(|| self.current.clone())
    }
}

/// One step title on one line, without `--mount=…` options (they hide the command).
fn shorten(title: &str) -> String {
    const MAX: usize = 140;
    let title = title
        .split_whitespace()
        .filter(|word| !word.starts_with("--mount="))
        .collect::<Vec<_>>()
        .join(" ");
    if title.chars().count() > MAX {
        format!("{}…", title.chars().take(MAX).collect::<String>())
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follow(log: &str) -> (Vec<String>, Option<String>) {
        let mut steps = Steps::default();
        let started = log.lines().filter_map(|l| steps.observe(l)).collect();
        (started, steps.failed())
    }

    #[test]
    fn buildkit_names_the_failing_step_even_when_steps_interleave() {
        let log = "\
#9 [build 3/6] COPY go.mod ./
#9 CACHED
#12 [build 6/6] RUN go build -o /out/demo ./cmd/demo
#13 [stage-1 1/2] FROM gcr.io/distroless/static-debian12:nonroot
#12 0.247 cmd/demo/main.go:46:14: syntax error: unexpected {, expected )
#12 ERROR: executor failed running [/bin/sh -c go build]: exit code: 1
------
 > [build 6/6] RUN go build -o /out/demo ./cmd/demo:
------";
        let (started, failed) = follow(log);
        assert_eq!(started.len(), 3);
        assert_eq!(
            failed.as_deref(),
            Some("[build 6/6] RUN go build -o /out/demo ./cmd/demo")
        );
    }

    #[test]
    fn the_classic_builder_and_buildah_fail_at_their_last_step() {
        let (started, failed) = follow(
            "Step 1/3 : FROM golang\n ---> a371\nStep 2/3 : RUN go build .\nmain.go:1: error\n",
        );
        assert_eq!(
            started,
            ["step 1/3: FROM golang", "step 2/3: RUN go build ."]
        );
        assert_eq!(failed.as_deref(), Some("step 2/3: RUN go build ."));
        let (_, failed) = follow("[1/2] STEP 1/4: FROM golang AS build\n[1/2] STEP 4/4: RUN go build\nError: building at STEP \"RUN go build\"\n");
        assert_eq!(failed.as_deref(), Some("step 4/4: RUN go build"));
    }

    #[test]
    fn mount_options_are_left_out_of_step_titles() {
        let (started, _) = follow("#12 [build 6/6] RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build     go build -o /out/demo ./cmd/demo");
        assert_eq!(
            started,
            ["[build 6/6] RUN go build -o /out/demo ./cmd/demo"]
        );
    }

    fn lines(log: &str) -> Vec<String> {
        log.lines().map(str::to_string).collect()
    }

    #[test]
    fn a_dockerfile_parse_error_names_its_line() {
        // docker 20.10's built-in BuildKit and its classic builder
        let old = lines("#2 [internal] load .dockerignore\n#2 DONE 0.0s\nfailed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: COPPY\n");
        assert_eq!(
            dockerfile_problem(&old),
            Some(DockerfileProblem {
                line: Some(3),
                message: "unknown instruction: COPPY".into()
            })
        );
        let classic = lines("Error response from daemon: dockerfile parse error line 7: unknown instruction: EXPOS\n");
        assert_eq!(dockerfile_problem(&classic).unwrap().line, Some(7));
        // newer BuildKit
        let new = lines("ERROR: failed to solve: dockerfile parse error on line 4: unknown instruction: RUNN\n\nDockerfile:4\n--------------------\n   4 | >>> RUNN x\n");
        assert_eq!(dockerfile_problem(&new).unwrap().line, Some(4));
        let arguments = lines("failed to solve with frontend dockerfile.v0: failed to create LLB definition: ENV must have two arguments\n");
        assert_eq!(
            dockerfile_problem(&arguments),
            Some(DockerfileProblem {
                line: None,
                message: "ENV must have two arguments".into()
            })
        );
        let quoted = lines("ERROR: failed to solve: failed to create LLB definition: ENV names can not be blank\nDockerfile:2\n");
        assert_eq!(dockerfile_problem(&quoted).unwrap().line, Some(2));
        assert_eq!(
            dockerfile_problem(&lines(
                "#12 ERROR: executor failed running [/bin/sh -c go build]: exit code: 1"
            )),
            None
        );
    }

    /// What podman 4.3.1 (buildah 1.28) prints for `COPPY a b` and for `echo hi` on the
    /// line after `RUN <<EOF`.
    #[test]
    fn a_buildah_parse_error_names_the_instruction_and_the_heredoc_cause() {
        let typo = lines(
            r#"Error: building at STEP "COPPY ": Build error: Unknown instruction: "COPPY" &imagebuilder.Step{Env:[]string{"PATH=/bin"}, Command:"coppy", Args:[]string{""}, Flags:[]string{}, Attrs:map[string]bool(nil), Message:"COPPY ", Original:"COPPY a b"}"#,
        );
        let problem = dockerfile_problem(&typo).unwrap();
        assert_eq!(problem.line, None);
        assert!(
            problem.message.starts_with(
                "unknown instruction: COPPY in `COPPY a b` (if that line is inside a heredoc"
            ),
            "{problem:?}"
        );
        let heredoc = lines(
            r#"Error: building at STEP "ECHO ": Build error: Unknown instruction: "ECHO" &imagebuilder.Step{Command:"echo", Original:"echo hi"}"#,
        );
        assert!(dockerfile_problem(&heredoc)
            .unwrap()
            .message
            .contains("ECHO in `echo hi`"));
    }

    #[test]
    fn the_tail_leaves_out_digests_and_blank_lines() {
        let lines: Vec<String> = [
            "#12 [build 6/6] RUN go build",
            "#12 sha256:8ae497f2c162",
            "",
            "#12 0.394 main.go:46:14: syntax error",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(meaningful(&lines).len(), 2);
    }

    #[test]
    fn long_steps_are_cut_and_the_tail_is_the_end() {
        let long = format!("#5 [build 2/2] RUN {}", "x".repeat(300));
        let (started, _) = follow(&long);
        assert!(started[0].ends_with('…'));
        let lines: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let last = tail(&lines, TAIL_LINES);
        assert_eq!(last.len(), 40);
        assert_eq!(last[0], "60");
    }
}
