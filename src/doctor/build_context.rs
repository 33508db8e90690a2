//! Where each Dockerfile is built from, and what that build sends to the builder.
//!
//! A context is what a compose file (`build.context`, with `build.dockerfile`
//! relative to it), a bake target or a `docker build -f X CONTEXT` in the project's
//! own commands says; a Dockerfile nothing names is built, by convention, from its own
//! folder, or from the nearest folder above it that holds what it copies (the common
//! `docker build -f build/package/Dockerfile .`).
//!
//! BuildKit does not send the whole context: it sends what the built stages' COPY and
//! ADD name (and `RUN --mount=type=bind` mounts). `COPY . .` sends everything, so
//! `.git` or `.env` matter only where such a COPY exists and the thing is there.

use globset::GlobBuilder;

use crate::doctor::dockerfile::{expand, Dockerfile};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::project::join;

/// One way a Dockerfile is built.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// The Dockerfile, relative to the project.
    pub dockerfile: String,
    /// The context folder, relative to the project ("" for the project folder).
    pub dir: String,
    pub origin: ContextOrigin,
    /// The stage built (`--target`, bake `target`); None for the last one.
    pub target: Option<String>,
    /// The context folder holds `.git` (a folder, or a file pointing at one). A
    /// service in `src/api/` built with that folder as context does not, even when the
    /// repository's `.git` is two levels up.
    pub has_git: bool,
    /// The `.dockerignore` the builder reads: `<Dockerfile>.dockerignore` beside the
    /// Dockerfile, else `.dockerignore` at the context root; path relative to the
    /// project.
    pub dockerignore: Option<(String, Dockerignore)>,
    /// What the built stages take from the context, in Dockerfile order.
    pub sends: Vec<SentSource>,
}

/// Who says this is the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextOrigin {
    /// A compose service's `build:`.
    Compose {
        file: String,
        service: String,
        line: usize,
    },
    /// A `docker buildx bake` target.
    Bake {
        file: String,
        target: String,
        line: usize,
    },
    /// A `docker build` in a Makefile, script, workflow or README.
    Command { file: String, line: usize },
    /// Nothing names the Dockerfile: its own folder, or the nearest folder above it
    /// that holds what it copies.
    Convention,
}

impl ContextOrigin {
    /// In words, for messages: "compose.yaml (service api)".
    pub fn describe(&self) -> String {
        match self {
            ContextOrigin::Compose { file, service, .. } => format!("{file} (service {service})"),
            ContextOrigin::Bake { file, target, .. } => format!("{file} (target {target})"),
            ContextOrigin::Command { file, line } => {
                format!("the `docker build` on line {line} of {file}")
            }
            ContextOrigin::Convention => "the Dockerfile's location".to_string(),
        }
    }
}

/// A path a COPY, ADD or bind mount takes from the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSource {
    /// Relative to the context, `/`-separated; "" for the whole context (`.`, `./`,
    /// `*`); may hold glob characters.
    pub path: String,
    /// The Dockerfile line.
    pub line: usize,
    /// The instruction, short: `COPY . .`, `ADD . /src`, `RUN --mount=type=bind`.
    pub instruction: String,
}

impl SentSource {
    pub fn is_whole_context(&self) -> bool {
        self.path.is_empty()
    }
}

impl BuildContext {
    /// The COPY/ADD/mount that sends `path` (relative to the context) to the builder,
    /// if any: a whole-context one, or one naming it or a folder holding it. Says
    /// nothing about `.dockerignore`.
    pub fn sender_of(&self, path: &str) -> Option<&SentSource> {
        self.sends.iter().find(|source| covers(&source.path, path))
    }

    /// The first whole-context COPY/ADD, if any.
    pub fn whole_context_copy(&self) -> Option<&SentSource> {
        self.sends.iter().find(|source| source.is_whole_context())
    }

    /// A path relative to the context, as a path relative to the project.
    pub fn project_path(&self, path: &str) -> Option<String> {
        join(&self.dir, path)
    }
}

fn covers(source: &str, path: &str) -> bool {
    if source.is_empty() || source == path || path.starts_with(&format!("{source}/")) {
        return true;
    }
    if !crate::doctor::project::has_glob(source) {
        return false;
    }
    let Ok(glob) = GlobBuilder::new(source).literal_separator(true).build() else {
        return false;
    };
    let matcher = glob.compile_matcher();
    matcher.is_match(path)
        || path
            .match_indices('/')
            .any(|(slash, _)| matcher.is_match(&path[..slash]))
}

/// What the stages built for `target` (the last stage when None) take from the
/// context: COPY and ADD without `--from`, and `RUN --mount` binds without `from=`.
pub fn sent_sources(dockerfile: &Dockerfile, target: Option<&str>) -> Vec<SentSource> {
    let built = target
        .and_then(|name| dockerfile.stage_named(name, dockerfile.stages.len()))
        .unwrap_or_else(|| dockerfile.final_stage().index);
    let stages = dockerfile.needed_by(built);
    let mut sends = Vec::new();
    for &stage in &stages {
        for (index, instruction) in dockerfile.body(stage) {
            let vars = dockerfile.vars_at(stage, index);
            match instruction.keyword.as_str() {
                "COPY" | "ADD" if instruction.flag("from").is_none() => {
                    let words = instruction.words();
                    let Some((_, sources)) = words.split_last() else {
                        continue;
                    };
                    for source in sources {
                        if source.starts_with("<<") || source.contains("://") {
                            continue;
                        }
                        let (expanded, _) = expand(source, &vars);
                        let Some(path) = context_path(&expanded) else {
                            continue;
                        };
                        sends.push(SentSource {
                            path,
                            line: instruction.line,
                            instruction: format!("{} {}", instruction.keyword, words.join(" ")),
                        });
                    }
                }
                "RUN" => {
                    for mount in instruction.flags.iter().filter(|flag| flag.name == "mount") {
                        if let Some(path) =
                            bind_mount_source(mount.value.as_deref().unwrap_or_default())
                        {
                            sends.push(SentSource {
                                path,
                                line: instruction.line,
                                instruction: "RUN --mount=type=bind".to_string(),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    sends.sort_by_key(|source| source.line);
    sends
}

/// A COPY source as a path relative to the context root ("" for all of it).
fn context_path(source: &str) -> Option<String> {
    if source.trim_start_matches("./") == "*" {
        return Some(String::new());
    }
    // The context root is `/` to COPY: `COPY /go.mod .` means the context's go.mod.
    join("", source.trim_start_matches('/'))
}

/// `type=bind,source=X,target=/src` (bind is the default type): the context path it
/// mounts; None for other types or a bind from another stage or image.
fn bind_mount_source(mount: &str) -> Option<String> {
    let mut kind = "bind";
    let mut source = ".";
    for part in mount.split(',') {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        match key {
            "type" => kind = value,
            "from" => return None,
            "source" | "src" => source = value,
            _ => {}
        }
    }
    (kind == "bind").then(|| context_path(source)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::dockerfile::parse;

    fn sends(text: &str, target: Option<&str>) -> Vec<(String, usize)> {
        sent_sources(&parse(text).unwrap(), target)
            .into_iter()
            .map(|source| (source.path, source.line))
            .collect()
    }

    #[test]
    fn only_the_built_stages_send_what_they_name() {
        let dockerfile = "FROM golang:1.22 AS build\nCOPY go.mod go.sum ./\nCOPY ./cmd ./cmd\nRUN --mount=type=cache,target=/go/pkg --mount=type=bind,target=/src go build\nFROM build AS test\nCOPY . .\nFROM alpine\nCOPY --from=build /app /app\nCOPY config/*.yaml /etc/\n";
        assert_eq!(
            sends(dockerfile, None),
            [
                ("go.mod".into(), 2),
                ("go.sum".into(), 2),
                ("cmd".into(), 3),
                (String::new(), 4),
                ("config/*.yaml".into(), 9)
            ]
        );
        let whole: Vec<_> = sends(dockerfile, Some("test"))
            .into_iter()
            .filter(|(path, _)| path.is_empty())
            .map(|(_, line)| line)
            .collect();
        assert_eq!(whole, [4, 6]);
    }

    #[test]
    fn what_a_source_covers() {
        assert!(covers("", ".git/HEAD"));
        assert!(covers(".env", ".env") && !covers(".env", ".envrc"));
        assert!(covers("config", "config/app.yaml"));
        assert!(covers("*.env", ".env") && covers("conf*", "config/x"));
        assert!(!covers("cmd", ".git"));
    }
}
