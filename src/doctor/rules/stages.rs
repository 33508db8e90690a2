//! Which stages of a Dockerfile become a running container, and what they rest on, as
//! the runtime rules (toolchain runtime, certificates, root, cgo) must judge them:
//! the last stage, and every stage a compose `build.target` names; not a Dockerfile
//! that only runs tests; not an image named by a placeholder the build always
//! overrides (`ARG BUILD_IMAGE=placeholder` / `FROM ${BUILD_IMAGE}`).

use crate::doctor::dockerfile::{Arguments, Base, Dockerfile};
use crate::doctor::go_steps::go_steps;
use crate::doctor::image::ImageRef;
use crate::doctor::project::{join, parent, DockerfileView, Project};
use crate::doctor::shell;

/// A stage that runs as a container, and why doctor thinks so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    pub stage: usize,
    /// None for the last stage; `compose.yaml` service `app` for a `build.target`.
    pub target_of: Option<String>,
}

impl Runtime {
    /// "the final stage", or "the stage `builder` (the stage `compose.yaml` service
    /// `app` builds with `build.target: builder`)".
    pub fn described(&self, dockerfile: &Dockerfile) -> String {
        match &self.target_of {
            None => "the final stage".to_string(),
            Some(target) => {
                let name = dockerfile.stages[self.stage].name.as_deref().unwrap_or("?");
                format!("the stage `{name}` ({target})")
            }
        }
    }
}

/// The stages of this Dockerfile that run as containers: the last one, then those a
/// compose service builds with `build.target`. Empty for a test-only Dockerfile.
pub fn runtimes(project: &Project, view: &DockerfileView, dockerfile: &Dockerfile) -> Vec<Runtime> {
    if is_test_only(view, dockerfile) {
        return Vec::new();
    }
    let mut runtimes = vec![Runtime {
        stage: dockerfile.final_stage().index,
        target_of: None,
    }];
    let targets = compose_targets(project, &view.path)
        .into_iter()
        .map(|(compose, service, target)| {
            let why = format!(
                "the stage `{compose}` service `{service}` builds with `build.target: {target}`"
            );
            (target, why)
        })
        .chain(bake_targets(project, &view.path));
    for (target, why) in targets {
        let Some(stage) = dockerfile.stage_named(&target, dockerfile.stages.len()) else {
            continue;
        };
        if runtimes.iter().any(|runtime| runtime.stage == stage) {
            continue;
        }
        runtimes.push(Runtime {
            stage,
            target_of: Some(why),
        });
    }
    runtimes
}

/// (stage, why) for each `docker buildx bake` target (docker-bake.hcl) that builds
/// `dockerfile` with `target = "…"`. Only literal strings are read: a value with
/// `${…}` or a function is left alone.
fn bake_targets(project: &Project, dockerfile: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for path in project.paths.iter().filter(|path| {
        let name = path.rsplit('/').next().unwrap_or(path);
        name.starts_with("docker-bake") && name.ends_with(".hcl")
    }) {
        let Ok(text) = std::fs::read_to_string(project.root.join(path)) else {
            continue;
        };
        for block in bake_blocks(&text) {
            let Some(stage) = block.get("target") else {
                continue;
            };
            let context = block.get("context").map_or(".", String::as_str);
            let built = join(parent(path), context).and_then(|context| {
                join(
                    &context,
                    block.get("dockerfile").map_or("Dockerfile", String::as_str),
                )
            });
            if built.as_deref() == Some(dockerfile) {
                let name = block.get("").cloned().unwrap_or_default();
                found.push((
                    stage.clone(),
                    format!(
                        "the stage `{path}` target `{name}` builds with `target = \"{stage}\"`"
                    ),
                ));
            }
        }
    }
    found
}

/// The `target "name" { key = "value" }` blocks of a bake file: each block's literal
/// string attributes, with its name under "".
fn bake_blocks(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut blocks = Vec::new();
    let mut current: Option<std::collections::BTreeMap<String, String>> = None;
    let mut depth = 0usize;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        if let Some(rest) = line.strip_prefix("target ") {
            if depth == 0 && line.ends_with('{') {
                let name = rest.trim_end_matches('{').trim().trim_matches('"');
                let mut block = std::collections::BTreeMap::new();
                block.insert(String::new(), name.to_string());
                current = Some(block);
                depth = 1;
                continue;
            }
        }
        if let Some(block) = current.as_mut() {
            if depth == 1 {
                if let Some((key, value)) = line.split_once('=') {
                    let value = value.trim();
                    let literal = value.len() >= 2
                        && value.starts_with('"')
                        && value.ends_with('"')
                        && !value.contains("${");
                    if literal {
                        block.insert(
                            key.trim().to_string(),
                            value[1..value.len() - 1].to_string(),
                        );
                    }
                }
            }
            depth += line.matches('{').count();
            depth = depth.saturating_sub(line.matches('}').count());
            if depth == 0 {
                blocks.extend(current.take());
            }
        }
    }
    blocks
}

/// (compose file, service, target) for each service that builds `dockerfile` with a
/// `build.target`.
fn compose_targets(project: &Project, dockerfile: &str) -> Vec<(String, String, String)> {
    let mut targets = Vec::new();
    for view in &project.compose_files {
        let Ok(compose) = &view.parsed else { continue };
        for service in &compose.services {
            let (Some((context, file)), Some(target)) = (&service.build, &service.build_target)
            else {
                continue;
            };
            let built = join(parent(&view.path), context)
                .and_then(|context| join(&context, file.as_deref().unwrap_or("Dockerfile")));
            if built.as_deref() == Some(dockerfile) {
                targets.push((view.path.clone(), service.name.clone(), target.clone()));
            }
        }
    }
    targets
}

/// A Dockerfile for running tests, not a service: it lives in a test folder or is
/// named for tests, or its last stage runs `go test` and nothing builds a binary.
pub fn is_test_only(view: &DockerfileView, dockerfile: &Dockerfile) -> bool {
    let test_word = |word: &str| {
        let word = word.to_ascii_lowercase();
        matches!(
            word.as_str(),
            "test"
                | "tests"
                | "testdata"
                | "testing"
                | "e2e"
                | "integration"
                | "integration-test"
                | "integration-tests"
        )
    };
    let mut parts = view.path.split('/').collect::<Vec<_>>();
    let name = parts.pop().unwrap_or_default();
    if parts.iter().any(|folder| test_word(folder)) || name.split(['.', '-', '_']).any(test_word) {
        return true;
    }
    let last = dockerfile.final_stage().index;
    let needed = dockerfile.needed_by(last);
    let builds = needed
        .iter()
        .flat_map(|stage| go_steps(dockerfile, *stage))
        .any(|step| step.go.builds() && !step.go.is_remote_install());
    let runs_tests = dockerfile.body(last).any(|(_, instruction)| {
        let words: Vec<String> = match &instruction.args {
            Arguments::Exec(words) => words.clone(),
            Arguments::Shell(text) => shell::commands(text)
                .into_iter()
                .flat_map(|command| command.words)
                .collect(),
        };
        matches!(instruction.keyword.as_str(), "CMD" | "ENTRYPOINT" | "RUN")
            && words
                .windows(2)
                .any(|pair| is_go(&pair[0]) && pair[1] == "test")
    });
    runs_tests && !builds
}

fn is_go(word: &str) -> bool {
    word == "go" || word.ends_with("/go")
}

/// What the stage is built on, with a placeholder image (`ARG BUILD_IMAGE=placeholder`
/// / `FROM ${BUILD_IMAGE}`, always overridden by the build) taken as unknown.
pub fn base(dockerfile: &Dockerfile, stage: usize) -> Base {
    match dockerfile.base(stage) {
        Base::Image(reference) if from_arg(dockerfile, stage) && is_placeholder(&reference) => {
            Base::Unknown(reference)
        }
        other => other,
    }
}

/// Like `Dockerfile::root_base`, with placeholders unknown.
pub fn root_base(dockerfile: &Dockerfile, stage: usize) -> Base {
    let mut current = stage;
    let mut steps = 0;
    loop {
        match base(dockerfile, current) {
            Base::Stage(parent) if steps < dockerfile.stages.len() => {
                current = parent;
                steps += 1;
            }
            other => return other,
        }
    }
}

/// Whether the stage's FROM names its image through a variable.
pub fn from_arg(dockerfile: &Dockerfile, stage: usize) -> bool {
    dockerfile.stages[stage].image.contains('$')
}

/// An ARG default that only holds the place of the real image: `placeholder`,
/// `override-me`, `must-be-set`, `changeme`…
pub fn is_placeholder(reference: &str) -> bool {
    const WORDS: &[&str] = &[
        "placeholder",
        "override",
        "replace",
        "changeme",
        "change-me",
        "must",
        "required",
        "unset",
        "undefined",
        "dummy",
        "todo",
        "tbd",
        "fixme",
        "none",
        "null",
        "invalid",
    ];
    let image = ImageRef::parse(reference);
    let repository = image.repository();
    reference.trim().is_empty() || WORDS.iter().any(|word| repository.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::dockerfile::parse;

    #[test]
    fn placeholders_are_unknown_and_real_defaults_are_kept() {
        let file = parse("ARG BUILD_IMAGE=placeholder\nFROM ${BUILD_IMAGE}\n").unwrap();
        assert!(matches!(root_base(&file, 0), Base::Unknown(_)));
        let file = parse("ARG BASE=alpine:3.20\nFROM ${BASE}\n").unwrap();
        assert_eq!(root_base(&file, 0), Base::Image("alpine:3.20".into()));
        // Written out, `placeholder` is an image name like any other.
        let file = parse("FROM placeholder\n").unwrap();
        assert_eq!(base(&file, 0), Base::Image("placeholder".into()));
        assert!(is_placeholder("must-override:latest") && !is_placeholder("golang:1.22"));
    }

    #[test]
    fn bake_blocks_with_literal_attributes() {
        let blocks = bake_blocks(
            "group \"default\" {\n  targets = [\"dev\"]\n}\n\ntarget \"dev\" {\n  context = \".\"\n  dockerfile = \"build/Dockerfile\"\n  target = \"builder\" // the toolchain\n  args = {\n    target = \"nested\"\n  }\n  tags = [\"app:${TAG}\"]\n}\n",
        );
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0][""], "dev");
        assert_eq!(blocks[0]["target"], "builder");
        assert_eq!(blocks[0]["dockerfile"], "build/Dockerfile");
    }
}
