//! The Go commands a Dockerfile stage runs, each with the environment it really sees:
//! the stage's ARG and ENV values (inherited ENV included), then exports and inline
//! assignments in the RUN script. Several pitfalls (module downloads, layer cache,
//! cgo, single-stage images) are questions about these steps.

use crate::doctor::dockerfile::{expand, Arguments, Dockerfile, Instruction, Vars};
use crate::doctor::shell::{self, GoCommand};

#[derive(Debug, Clone)]
pub struct GoStep {
    pub stage: usize,
    /// Index of the RUN instruction in `Dockerfile::instructions`.
    pub instruction: usize,
    pub line: usize,
    pub go: GoCommand,
    /// ARG and ENV values in effect for the RUN.
    pub vars: Vars,
    /// The RUN caches the module cache (`--mount=type=cache,target=/go/pkg/mod`), so
    /// modules survive between builds without a layer.
    pub caches_modules: bool,
}

impl GoStep {
    /// The value `go` sees for an environment variable.
    pub fn env(&self, name: &str) -> Option<String> {
        match self.go.command.env(name) {
            Some(value) => Some(expand(value, &self.vars).0),
            None => self.vars.get(name).cloned(),
        }
    }

    /// `-ldflags '-extldflags "-static"'`: linked statically even with cgo.
    pub fn links_statically(&self) -> bool {
        let args = self.go.args.join(" ");
        args.contains("-extldflags") && args.contains("-static")
    }
}

/// Every Go command run in `stage`, in order.
pub fn go_steps(dockerfile: &Dockerfile, stage: usize) -> Vec<GoStep> {
    let mut steps = Vec::new();
    for (index, instruction) in dockerfile.body(stage) {
        if instruction.keyword != "RUN" {
            continue;
        }
        let commands: Vec<GoCommand> = match &instruction.args {
            Arguments::Exec(words) => shell::go_command_of_words(words).into_iter().collect(),
            Arguments::Shell(_) => instruction
                .scripts()
                .into_iter()
                .flat_map(shell::go_commands)
                .collect(),
        };
        if commands.is_empty() {
            continue;
        }
        let vars = dockerfile.vars_at(stage, index);
        let caches_modules = caches_module_cache(instruction, &vars);
        steps.extend(commands.into_iter().map(|go| GoStep {
            stage,
            instruction: index,
            line: instruction.line,
            go,
            vars: vars.clone(),
            caches_modules,
        }));
    }
    steps
}

/// Go commands of `stage` and of the stages it is built `FROM`, oldest first.
pub fn go_steps_with_parents(dockerfile: &Dockerfile, stage: usize) -> Vec<GoStep> {
    let mut chain = vec![stage];
    while let crate::doctor::dockerfile::Base::Stage(parent) =
        dockerfile.base(*chain.last().unwrap_or(&stage))
    {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
    }
    chain
        .into_iter()
        .rev()
        .flat_map(|stage| go_steps(dockerfile, stage))
        .collect()
}

fn caches_module_cache(instruction: &Instruction, vars: &Vars) -> bool {
    let module_cache = vars
        .get("GOMODCACHE")
        .cloned()
        .unwrap_or_else(|| "/go/pkg/mod".to_string());
    instruction
        .flags
        .iter()
        .filter(|flag| flag.name == "mount")
        .filter_map(|flag| flag.value.as_deref())
        .any(|mount| {
            let parts: Vec<&str> = mount.split(',').collect();
            parts.contains(&"type=cache")
                && parts.iter().any(|part| {
                    ["target=", "dst=", "destination="].iter().any(|key| {
                        part.strip_prefix(key).is_some_and(|target| {
                            target.trim_end_matches('/') == module_cache
                                || target.ends_with("/pkg/mod")
                        })
                    })
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::dockerfile::parse;

    #[test]
    fn steps_see_stage_env_and_inline_env() {
        let file = parse(
            "FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nRUN CGO_ENABLED=1 go build -o /a . && go build -o /b ./b\nFROM build\nRUN [\"go\", \"vet\", \"./...\"]\n",
        )
        .unwrap();
        let steps = go_steps(&file, 0);
        let summary: Vec<_> = steps
            .iter()
            .map(|s| {
                format!(
                    "{}:{}:{}:{}",
                    s.line,
                    s.go.subcommand,
                    s.env("CGO_ENABLED").unwrap_or_default(),
                    s.caches_modules
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "3:mod download:0:true",
                "4:build:1:false",
                "4:build:0:false"
            ]
        );
        let all = go_steps_with_parents(&file, 1);
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].go.subcommand, "vet");
        assert_eq!(all[3].env("CGO_ENABLED").as_deref(), Some("0"));
    }
}
