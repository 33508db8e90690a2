//! The image builds a project's own commands run: `docker build -f X CONTEXT` (and
//! `buildx build`, `podman build`, `buildah bud`), `docker compose -f X` and
//! `docker buildx bake -f X`, found in Makefiles, scripts, CI workflows and READMEs.
//! They name Dockerfiles and compose files that no convention would find, and the
//! context each Dockerfile is built with. Simple variables (`DOCKERFILE ?= build/Dockerfile`,
//! `FILE=deploy/compose.yml`) are filled in; a path that still holds a variable is
//! left unknown.

use std::collections::HashMap;

use crate::doctor::shell;

/// One build-related command, with paths as written (relative to where it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildCommand {
    /// `docker build`: the Dockerfile (`-f`, else `CONTEXT/Dockerfile`), the context
    /// and the stage (`--target`).
    Build {
        line: usize,
        dockerfile: Option<String>,
        context: String,
        target: Option<String>,
    },
    /// `docker compose -f FILE` (one per file).
    Compose { line: usize, file: String },
    /// `docker buildx bake -f FILE` (one per file).
    Bake { line: usize, file: String },
}

/// Options of `docker build` (and its relatives) that take a value.
const BUILD_VALUE_OPTIONS: &[&str] = &[
    "--add-host",
    "--allow",
    "--annotation",
    "--attest",
    "--build-arg",
    "--build-context",
    "--builder",
    "--cache-from",
    "--cache-to",
    "--call",
    "--cgroup-parent",
    "--cpu-period",
    "--cpu-quota",
    "--cpu-shares",
    "-c",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--iidfile",
    "--isolation",
    "--label",
    "--memory",
    "-m",
    "--memory-swap",
    "--metadata-file",
    "--network",
    "--output",
    "-o",
    "--platform",
    "--progress",
    "--provenance",
    "--sbom",
    "--secret",
    "--security-opt",
    "--shm-size",
    "--ssh",
    "--tag",
    "-t",
    "--ulimit",
    "--policy",
    "--layers",
    "--format",
    "--jobs",
    "--env",
    "--volume",
    "-v",
];

/// Every build command in `text` (a Makefile, a script, a README, a CI workflow).
pub fn build_commands(text: &str) -> Vec<BuildCommand> {
    let variables = assignments(text);
    let mut found = Vec::new();
    for (line, logical) in logical_lines(text) {
        if !(logical.contains("build")
            || logical.contains("compose")
            || logical.contains("bake")
            || logical.contains("bud"))
        {
            continue;
        }
        let expanded = substitute(&logical, &variables);
        for command in shell::commands(&expanded) {
            found.extend(of_words(&command.words, line));
        }
    }
    found
}

/// Lines with backslash continuations joined, each with its first line number and
/// without make's recipe prefixes (`@`, `-`, `+`) or a README's prompt (`$ `).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if current.is_empty() {
            start = index + 1;
        }
        match raw.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(raw);
                let line = std::mem::take(&mut current);
                let trimmed = line
                    .trim_start()
                    .trim_start_matches(['@', '-', '+'])
                    .trim_start_matches("$ ")
                    .trim_start_matches("- run:")
                    .trim_start_matches("run:")
                    .to_string();
                out.push((start, trimmed));
            }
        }
    }
    out
}

/// `NAME = value`, `NAME := value`, `NAME ?= value` (make) and `NAME=value` (shell) at
/// the start of a line.
fn assignments(text: &str) -> HashMap<String, String> {
    let mut variables = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start_matches("export ").trim_end();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim_end_matches([':', '?', '+', '!']).trim();
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || line.starts_with(char::is_whitespace)
        {
            continue;
        }
        let value = value.trim().trim_matches(['"', '\'']);
        variables
            .entry(name.to_string())
            .or_insert_with(|| value.to_string());
    }
    variables
}

/// `$(NAME)`, `${NAME}` and `$NAME` replaced by known values.
fn substitute(text: &str, variables: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in variables {
        if value.contains('$') {
            continue;
        }
        for form in [format!("$({name})"), format!("${{{name}}}")] {
            out = out.replace(&form, value);
        }
        let bare = format!("${name}");
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&bare) {
            let after = &rest[at + bare.len()..];
            result.push_str(&rest[..at]);
            if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                result.push_str(&bare);
            } else {
                result.push_str(value);
            }
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

fn of_words(words: &[String], line: usize) -> Vec<BuildCommand> {
    let Some(program) = words.first() else {
        return Vec::new();
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    let rest = &words[1..];
    match program {
        "docker" | "podman" | "nerdctl" => match subcommand(rest) {
            Some((name, args)) => match name.as_str() {
                "build" => build(args, line).into_iter().collect(),
                "image" | "buildx" | "builder" => match subcommand(args) {
                    Some((sub, args)) if sub == "build" => build(args, line).into_iter().collect(),
                    Some((sub, args)) if sub == "bake" => files(args, line, false),
                    _ => Vec::new(),
                },
                "bake" => files(args, line, false),
                "compose" => files(args, line, true),
                _ => Vec::new(),
            },
            None => Vec::new(),
        },
        "buildah" => match subcommand(rest) {
            Some((name, args)) if name == "bud" || name == "build" => {
                build(args, line).into_iter().collect()
            }
            _ => Vec::new(),
        },
        "docker-compose" | "podman-compose" => files(rest, line, true),
        _ => Vec::new(),
    }
}

/// The first word that is not an option, and the words after it; the global options
/// before it (`docker --context x build`) take one value each.
fn subcommand(words: &[String]) -> Option<(String, &[String])> {
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if word.starts_with('-') {
            i += if word.contains('=')
                || matches!(word.as_str(), "-D" | "--debug" | "--tls" | "--tlsverify")
            {
                1
            } else {
                2
            };
            continue;
        }
        return Some((word.clone(), &words[i + 1..]));
    }
    None
}

fn build(args: &[String], line: usize) -> Option<BuildCommand> {
    let mut dockerfile = None;
    let mut target = None;
    let mut context = None;
    let mut i = 0;
    while i < args.len() {
        let word = args[i].as_str();
        let next = args.get(i + 1).cloned();
        i += 1;
        match word {
            "-f" | "--file" => {
                dockerfile = next;
                i += 1;
            }
            "--target" => {
                target = next;
                i += 1;
            }
            _ if word.starts_with("--file=") => {
                dockerfile = Some(word["--file=".len()..].to_string())
            }
            _ if word.starts_with("--target=") => {
                target = Some(word["--target=".len()..].to_string())
            }
            _ if word.starts_with("-f") && word.len() > 2 && !word.starts_with("--") => {
                dockerfile = Some(word[2..].to_string())
            }
            _ if BUILD_VALUE_OPTIONS.contains(&word) => i += 1,
            _ if word.starts_with('-') => {}
            // The end of the command: a redirection or the next command's words.
            _ if word.starts_with(['>', '<', '|', '&', ';']) => break,
            _ if context.is_none() => context = Some(word.to_string()),
            _ => {}
        }
    }
    let context = context?;
    if context == "-"
        || context.contains("://")
        || context.starts_with("git@")
        || is_unknown(&context)
    {
        return None;
    }
    let dockerfile = dockerfile.filter(|path| path != "-" && !is_unknown(path));
    Some(BuildCommand::Build {
        line,
        dockerfile,
        context,
        target: target.filter(|t| !is_unknown(t)),
    })
}

/// Each `-f FILE` / `--file FILE` / `--file=FILE` of a compose or bake command.
fn files(args: &[String], line: usize, compose: bool) -> Vec<BuildCommand> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let word = args[i].as_str();
        let file = match word {
            "-f" | "--file" => {
                i += 1;
                args.get(i).cloned()
            }
            _ => word.strip_prefix("--file=").map(str::to_string),
        };
        i += 1;
        let Some(file) = file.filter(|f| f != "-" && !is_unknown(f)) else {
            continue;
        };
        out.push(if compose {
            BuildCommand::Compose { line, file }
        } else {
            BuildCommand::Bake { line, file }
        });
    }
    out
}

/// A path that still holds a variable or command substitution.
fn is_unknown(path: &str) -> bool {
    path.contains(['$', '`', '%'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_of(dockerfile: Option<&str>, context: &str, line: usize) -> BuildCommand {
        BuildCommand::Build {
            line,
            dockerfile: dockerfile.map(str::to_string),
            context: context.to_string(),
            target: None,
        }
    }

    #[test]
    fn makefile_builds_with_variables() {
        let commands = build_commands(
            "DOCKERFILE ?= build/package/Dockerfile\nIMAGE := example/app\n\nimage:\n\t@docker build -t $(IMAGE) \\\n\t\t-f $(DOCKERFILE) .\n\tdocker buildx build --platform linux/amd64 --file=deploy/Dockerfile.worker --target runtime services/worker\n\tdocker build -f ${UNSET}/Dockerfile .\n",
        );
        assert_eq!(
            commands,
            [
                build_of(Some("build/package/Dockerfile"), ".", 5),
                BuildCommand::Build {
                    line: 7,
                    dockerfile: Some("deploy/Dockerfile.worker".into()),
                    context: "services/worker".into(),
                    target: Some("runtime".into()),
                },
                build_of(None, ".", 8),
            ]
        );
    }

    #[test]
    fn compose_and_bake_files_in_scripts_and_readmes() {
        let commands = build_commands(
            "```sh\n$ docker compose -f deploy/compose-prod.yaml -f deploy/compose.override.yaml up -d\n```\ndocker-compose --file=stack.yml build && docker buildx bake -f ci/bake.hcl\nFILE=ops/dev.yml\npodman build . && docker-compose -f $FILE up\n",
        );
        assert_eq!(
            commands,
            [
                BuildCommand::Compose {
                    line: 2,
                    file: "deploy/compose-prod.yaml".into()
                },
                BuildCommand::Compose {
                    line: 2,
                    file: "deploy/compose.override.yaml".into()
                },
                BuildCommand::Compose {
                    line: 4,
                    file: "stack.yml".into()
                },
                BuildCommand::Bake {
                    line: 4,
                    file: "ci/bake.hcl".into()
                },
                build_of(None, ".", 6),
                BuildCommand::Compose {
                    line: 6,
                    file: "ops/dev.yml".into()
                },
            ]
        );
    }

    #[test]
    fn remote_and_stdin_contexts_are_not_local_builds() {
        assert!(build_commands("docker build -t x https://github.com/a/b.git\ndocker build - < Dockerfile\necho docker build\n").is_empty());
    }
}
