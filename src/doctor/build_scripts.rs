//! The Go commands hidden behind `RUN make build` or `RUN ./build.sh`: read the
//! Makefile target (its prerequisites and `$(MAKE) other` calls included) or the
//! shell script in the build context, as far as that is sound: simple variables
//! (`GO ?= go`, `GOFLAGS := …`) are expanded; functions (`$(shell …)`), conditionals
//! and pattern rules are not followed, and what cannot be read yields nothing.

use std::collections::BTreeMap;

use crate::doctor::project::{join, Project};
use crate::doctor::shell::{self, Command, GoCommand};

/// How deep `$(MAKE)` calls and prerequisites are followed.
const MAX_DEPTH: usize = 6;

/// A Go command run through make or a script, and what ran it ("`make build`
/// (Makefile line 12)").
#[derive(Debug, Clone)]
pub struct Hidden {
    pub go: GoCommand,
    pub via: String,
}

/// The Go commands `command` runs through a Makefile or a script in `context`, with
/// the command's own environment (`GOPROXY=… make build`) passed on to each.
pub fn go_commands_behind(project: &Project, context: &str, command: &Command) -> Vec<Hidden> {
    let Some(program) = command.words.first() else {
        return Vec::new();
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    let mut found = if name == "make" || name == "gmake" {
        make(project, context, &command.words[1..])
    } else {
        script(project, context, &command.words)
    };
    for hidden in &mut found {
        let mut env = command.env.clone();
        env.append(&mut hidden.go.command.env);
        hidden.go.command.env = env;
    }
    found
}

fn make(project: &Project, context: &str, args: &[String]) -> Vec<Hidden> {
    let mut dir = context.to_string();
    let mut file: Option<String> = None;
    let mut targets = Vec::new();
    let mut overrides = BTreeMap::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "-C" => dir = words.next().and_then(|d| join(&dir, d)).unwrap_or(dir),
            "-f" => file = words.next().cloned(),
            _ if word.starts_with('-') => {}
            _ => match word.split_once('=') {
                Some((name, value)) => {
                    overrides.insert(name.to_string(), value.to_string());
                }
                None => targets.push(word.clone()),
            },
        }
    }
    let candidates = match &file {
        Some(file) => vec![file.clone()],
        None => vec!["GNUmakefile".into(), "makefile".into(), "Makefile".into()],
    };
    let Some((path, text)) = candidates.iter().find_map(|name| {
        let path = join(&dir, name)?;
        project
            .paths
            .contains(&path)
            .then(|| read(project, &path))
            .flatten()
            .map(|text| (path, text))
    }) else {
        return Vec::new();
    };
    let makefile = Makefile::parse(&text, overrides);
    if targets.is_empty() {
        targets.extend(makefile.default_target.clone());
    }
    let mut found = Vec::new();
    let mut visited = Vec::new();
    for target in &targets {
        makefile.run(&path, target, 0, &mut visited, &mut found);
    }
    found
}

/// `./build.sh`, `sh scripts/build.sh`, `bash -e build.sh`: the script's Go commands.
fn script(project: &Project, context: &str, words: &[String]) -> Vec<Hidden> {
    let name = words[0].rsplit('/').next().unwrap_or(&words[0]);
    let path_word = if matches!(name, "sh" | "bash" | "ash" | "dash") {
        words[1..].iter().find(|word| !word.starts_with('-'))
    } else {
        Some(&words[0])
    };
    let Some(path_word) = path_word.filter(|word| !word.contains('$')) else {
        return Vec::new();
    };
    let Some(path) = join(context, path_word.trim_start_matches("./"))
        .filter(|path| project.paths.contains(path))
    else {
        return Vec::new();
    };
    let Some(text) = read(project, &path) else {
        return Vec::new();
    };
    shell::go_commands(&text)
        .into_iter()
        .map(|go| Hidden {
            go,
            via: format!("`{path}`"),
        })
        .collect()
}

fn read(project: &Project, path: &str) -> Option<String> {
    let full = project.root.join(path);
    let size = std::fs::metadata(&full).ok()?.len();
    (size < 1024 * 1024)
        .then(|| std::fs::read_to_string(&full).ok())
        .flatten()
}

/// The parts of a Makefile that say what a target runs.
#[derive(Debug, Default)]
struct Makefile {
    vars: BTreeMap<String, String>,
    /// target → its prerequisites and recipe lines (with their line).
    rules: BTreeMap<String, Rule>,
    default_target: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Rule {
    prerequisites: Vec<String>,
    recipe: Vec<(usize, String)>,
}

impl Makefile {
    fn parse(text: &str, overrides: BTreeMap<String, String>) -> Makefile {
        let mut makefile = Makefile::default();
        makefile.vars.insert("MAKE".into(), "make".into());
        let mut current: Vec<String> = Vec::new();
        let mut lines = text.lines().enumerate().peekable();
        while let Some((index, raw)) = lines.next() {
            let number = index + 1;
            let mut line = raw.trim_end_matches('\r').to_string();
            while line.ends_with('\\') {
                line.pop();
                match lines.next() {
                    Some((_, next)) => {
                        line.push(' ');
                        line.push_str(next.trim_end_matches('\r').trim_start());
                    }
                    None => break,
                }
            }
            if let Some(recipe) = line.strip_prefix('\t') {
                for target in &current {
                    if let Some(rule) = makefile.rules.get_mut(target) {
                        rule.recipe.push((number, recipe.to_string()));
                    }
                }
                continue;
            }
            let code = line.split('#').next().unwrap_or_default().trim();
            if code.is_empty() {
                continue;
            }
            if let Some((name, value)) = variable(code) {
                if !overrides.contains_key(&name) {
                    let value = makefile.expand(&value);
                    if !(code.contains("?=") && makefile.vars.contains_key(&name)) {
                        makefile.vars.insert(name, value);
                    }
                }
                current.clear();
                continue;
            }
            let Some((targets, prerequisites)) = code.split_once(':') else {
                current.clear();
                continue;
            };
            let prerequisites = prerequisites.trim_start_matches(':');
            let (prerequisites, inline) = match prerequisites.split_once(';') {
                Some((prerequisites, recipe)) => (prerequisites, Some(recipe.trim().to_string())),
                None => (prerequisites, None),
            };
            current = makefile
                .expand(targets)
                .split_whitespace()
                .filter(|target| !target.contains('%'))
                .map(str::to_string)
                .collect();
            let prerequisites: Vec<String> = makefile
                .expand(prerequisites)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            for target in &current {
                if target.starts_with('.') {
                    continue;
                }
                makefile
                    .default_target
                    .get_or_insert_with(|| target.clone());
                let rule = makefile.rules.entry(target.clone()).or_default();
                rule.prerequisites.extend(prerequisites.iter().cloned());
                if let Some(recipe) = &inline {
                    rule.recipe.push((number, recipe.clone()));
                }
            }
        }
        makefile.vars.extend(overrides);
        makefile
    }

    /// `$(NAME)`, `${NAME}` and `$$`; anything else with `$(` is left as written.
    fn expand(&self, text: &str) -> String {
        let mut out = text.replace("$$", "\u{0}");
        for _ in 0..4 {
            let mut changed = false;
            for (name, value) in &self.vars {
                for form in [format!("$({name})"), format!("${{{name}}}")] {
                    if out.contains(&form) {
                        out = out.replace(&form, value);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        out.replace('\u{0}', "$")
    }

    fn run(
        &self,
        path: &str,
        target: &str,
        depth: usize,
        visited: &mut Vec<String>,
        found: &mut Vec<Hidden>,
    ) {
        if depth > MAX_DEPTH || visited.iter().any(|done| done == target) {
            return;
        }
        visited.push(target.to_string());
        let Some(rule) = self.rules.get(target) else {
            return;
        };
        for prerequisite in &rule.prerequisites {
            self.run(path, prerequisite, depth + 1, visited, found);
        }
        for (line, recipe) in &rule.recipe {
            let script = self.expand(recipe.trim_start_matches(['@', '-', '+', ' ']));
            for command in shell::commands(&script) {
                let program = command
                    .words
                    .first()
                    .map(String::as_str)
                    .unwrap_or_default();
                if program == "make" || program.ends_with("/make") {
                    let targets = command.words[1..]
                        .iter()
                        .filter(|w| !w.starts_with('-') && !w.contains('='));
                    for next in targets {
                        self.run(path, next, depth + 1, visited, found);
                    }
                    continue;
                }
                if let Some(mut go) = shell::go_command_of_words(&command.words) {
                    go.command.env = command.env.clone();
                    found.push(Hidden {
                        go,
                        via: format!("`make {target}` ({path} line {line})"),
                    });
                }
            }
        }
    }
}

/// `NAME = value`, `NAME := value`, `NAME ?= value`, `NAME += value`,
/// `export NAME = value`.
fn variable(code: &str) -> Option<(String, String)> {
    let code = code.strip_prefix("export ").unwrap_or(code).trim();
    for operator in ["::=", ":=", "?=", "+=", "="] {
        if let Some((name, value)) = code.split_once(operator) {
            let name = name.trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                return Some((name.to_string(), value.trim().to_string()));
            }
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAKEFILE: &str = "\
GO ?= go
BIN := bin/server
export CGO_ENABLED = 0

.PHONY: build deps
all: build

deps:
\t$(GO) mod download

build: generate
\t@echo building
\t$(GO) build -o $(BIN) ./cmd/server

generate:
\t$(MAKE) tools

tools:
\tgo install example.com/tool@v1.0.0

%.o: %.c
\tgcc -c $<
";

    fn commands(target: &str) -> Vec<String> {
        let makefile = Makefile::parse(MAKEFILE, BTreeMap::new());
        let mut found = Vec::new();
        makefile.run("Makefile", target, 0, &mut Vec::new(), &mut found);
        found
            .iter()
            .map(|hidden| format!("{} {}", hidden.go.subcommand, hidden.via))
            .collect()
    }

    #[test]
    fn follows_prerequisites_recipes_and_recursive_make() {
        assert_eq!(
            commands("build"),
            [
                "install `make tools` (Makefile line 19)",
                "build `make build` (Makefile line 13)"
            ]
        );
        assert_eq!(
            commands("deps"),
            ["mod download `make deps` (Makefile line 9)"]
        );
        let makefile = Makefile::parse(MAKEFILE, BTreeMap::new());
        assert_eq!(makefile.default_target.as_deref(), Some("all"));
        assert_eq!(makefile.vars["BIN"], "bin/server");
        assert!(commands("missing").is_empty());
    }
}
