//! The Go commands a Dockerfile stage runs, each with the environment it really sees:
//! the stage's ARG and ENV values (inherited ENV included), then exports and inline
//! assignments in the RUN script. Several pitfalls (module downloads, layer cache,
//! cgo, single-stage images) are questions about these steps.

use crate::doctor::build_scripts;
use crate::doctor::dockerfile::{expand, Arguments, Dockerfile, Instruction, Vars};
use crate::doctor::project::Project;
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
    /// What runs the go command when the RUN does not itself: "`make build`
    /// (Makefile line 12)", "`scripts/build.sh`".
    pub via: Option<String>,
    /// The RUN caches the module cache (`--mount=type=cache,target=/go/pkg/mod`, or
    /// the whole `/go/pkg`), so modules survive between builds without a layer.
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

/// Where to look for the Go commands a RUN hides behind make or a script: the
/// project and the Dockerfile's build context.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub project: &'a Project,
    pub dir: &'a str,
}

/// Every Go command run in `stage`, in order.
pub fn go_steps(dockerfile: &Dockerfile, stage: usize) -> Vec<GoStep> {
    go_steps_in(dockerfile, stage, None)
}

/// Like `go_steps`, also reading the Makefile targets and scripts a RUN calls
/// (`RUN make build`, `RUN ./build.sh`) when a context is given.
pub fn go_steps_in(dockerfile: &Dockerfile, stage: usize, context: Option<Context>) -> Vec<GoStep> {
    let mut steps = Vec::new();
    for (index, instruction) in dockerfile.body(stage) {
        if instruction.keyword != "RUN" {
            continue;
        }
        let commands: Vec<shell::Command> = match &instruction.args {
            Arguments::Exec(words) => vec![shell::Command {
                env: Vec::new(),
                words: words.clone(),
            }],
            Arguments::Shell(_) => instruction
                .scripts()
                .into_iter()
                .flat_map(shell::commands)
                .collect(),
        };
        let commands: Vec<(GoCommand, Option<String>)> = commands
            .iter()
            .flat_map(|command| {
                if let Some(mut go) = shell::go_command_of_words(&command.words) {
                    go.command.env = command.env.clone();
                    return vec![(go, None)];
                }
                context
                    .map(|context| {
                        build_scripts::go_commands_behind(context.project, context.dir, command)
                    })
                    .unwrap_or_default()
                    .into_iter()
                    .map(|hidden| (hidden.go, Some(hidden.via)))
                    .collect()
            })
            .collect();
        if commands.is_empty() {
            continue;
        }
        let vars = dockerfile.vars_at(stage, index);
        let caches_modules = caches_module_cache(instruction, &vars);
        steps.extend(commands.into_iter().map(|(go, via)| GoStep {
            stage,
            instruction: index,
            line: instruction.line,
            go,
            via,
            vars: vars.clone(),
            caches_modules,
        }));
    }
    steps
}

/// Go commands of `stage` and of the stages it is built `FROM`, oldest first.
pub fn go_steps_with_parents(dockerfile: &Dockerfile, stage: usize) -> Vec<GoStep> {
    go_steps_with_parents_in(dockerfile, stage, None)
}

/// Like `go_steps_with_parents`, through make and scripts when a context is given.
pub fn go_steps_with_parents_in(
    dockerfile: &Dockerfile,
    stage: usize,
    context: Option<Context>,
) -> Vec<GoStep> {
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
        .flat_map(|stage| go_steps_in(dockerfile, stage, context))
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
                        part.strip_prefix(key)
                            .is_some_and(|target| holds_module_cache(target, &module_cache))
                    })
                })
        })
}

/// Whether a folder (a cache mount's target, a `COPY --from` source) holds the module
/// cache: the cache itself, or a folder above it (`/go/pkg`, `/go`).
pub fn holds_module_cache(folder: &str, module_cache: &str) -> bool {
    let folder = folder.trim_end_matches('/');
    let module_cache = module_cache.trim_end_matches('/');
    !folder.is_empty()
        && (folder.ends_with("/pkg/mod")
            || module_cache == folder
            || module_cache
                .strip_prefix(folder)
                .is_some_and(|rest| rest.starts_with('/')))
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
        assert!(holds_module_cache("/go/pkg/", "/go/pkg/mod"));
        assert!(holds_module_cache("/root/go/pkg/mod", "/go/pkg/mod"));
        assert!(!holds_module_cache("/root/.cache/go-build", "/go/pkg/mod"));
        let all = go_steps_with_parents(&file, 1);
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].go.subcommand, "vet");
        assert_eq!(all[3].env("CGO_ENABLED").as_deref(), Some("0"));
    }
}
