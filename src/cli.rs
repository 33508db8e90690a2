//! The command line, declared in one place: every flag with its documentation. The
//! work behind each command lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::answers::{GivenAnswers, GoProxy, GoVersion, ModulePath, Port, ProjectName, Runtime};
use crate::template_source::TemplateSource;
use crate::variables::parse_assignment;

const EXAMPLES: &str = "\
Examples:
  scaffold new                                   ask for every answer at the terminal
  scaffold new orders --yes                      take every default (CI, scripts)
  scaffold new orders --runtime alpine --no-redis --port 9000 --yes
  scaffold new orders --module github.com/acme/orders --goproxy https://goproxy.cn,direct --yes
  scaffold new orders --dry-run --yes            list the files, write nothing
  scaffold new orders --templates https://git.example.com/platform/templates.git#v2 --set team=payments --yes
  scaffold new --answers answers.toml --yes      answers from a file (automation)
  scaffold completions bash > /etc/bash_completion.d/scaffold";

/// Create a Go service that builds and runs in Docker the first time, on Windows,
/// macOS and Linux.
#[derive(Debug, Parser)]
#[command(name = "scaffold", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new Go service: code, tests, Dockerfile, compose file, git repository.
    #[command(after_help = EXAMPLES)]
    New(NewArgs),
    /// Inspect or export the templates projects are made from.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// Where team templates come from. No code from a template ever runs: templates are
/// rendered, never executed.
#[derive(Debug, Clone, Args)]
pub struct TemplateSourceArgs {
    /// Team templates laid over the built-in ones: a folder, or a git URL with an
    /// optional `#REF` and `:SUBFOLDER`, e.g. https://git.example.com/t.git#v2:go
    /// [default: `templates` in scaffold.toml].
    #[arg(long, value_name = "SOURCE", env = "SCAFFOLD_TEMPLATES")]
    pub templates: Option<TemplateSource>,

    /// Fetch a git template source again instead of using the cached copy.
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List every template file and where it comes from (built-in, team, overridden).
    List(TemplateSourceArgs),
    /// Write the built-in templates to DIR, as a starting point for a team's own.
    Export {
        /// An empty or new folder.
        dir: PathBuf,
    },
}

/// `scaffold new`: every answer has a flag, so nothing ever needs a terminal.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Project name: the folder, the Go binary and the Docker image (lower case, e.g. `orders`).
    pub name: Option<ProjectName>,

    /// Where to create the project [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Go module path [default: example.com/NAME].
    #[arg(long, value_name = "PATH")]
    pub module: Option<ModulePath>,

    /// Go release for go.mod and the builder image: 1.N or 1.N.P [default: 1.27].
    #[arg(long, value_name = "X.Y")]
    pub go_version: Option<GoVersion>,

    /// Port the service listens on [default: 8080].
    #[arg(long, value_name = "N")]
    pub port: Option<Port>,

    /// Image the service runs on [default: distroless].
    #[arg(long, value_enum)]
    pub runtime: Option<Runtime>,

    /// Add redis: a compose service and a /readyz check [default].
    #[arg(long, overrides_with = "no_redis")]
    pub redis: bool,

    /// Leave redis out everywhere.
    #[arg(long, overrides_with = "redis")]
    pub no_redis: bool,

    /// GOPROXY baked into the Dockerfile as a build-arg default, e.g. https://goproxy.cn,direct
    /// [default: https://proxy.golang.org,direct].
    #[arg(long, value_name = "URL")]
    pub goproxy: Option<GoProxy>,

    /// Do not create a git repository.
    #[arg(long)]
    pub no_git: bool,

    /// Do not build and run the image after creating the project.
    #[arg(long)]
    pub no_verify: bool,

    /// Take the default for every answer not given by a flag; never prompt.
    #[arg(short, long)]
    pub yes: bool,

    /// Create the project in a non-empty folder, beside what is there. Existing files are
    /// never overwritten: a clash stops with nothing written.
    #[arg(long)]
    pub force: bool,

    /// Print the files that would be written and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub source: TemplateSourceArgs,

    /// A value for a variable the team templates declare (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, String)>,

    /// Read answers from a TOML file (as written to .scaffold/answers.toml); flags win.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
}

impl NewArgs {
    /// The answers the flags give; the rest are asked for or defaulted.
    pub fn given_answers(&self) -> GivenAnswers {
        let redis = match (self.redis, self.no_redis) {
            (_, true) => Some(false),
            (true, false) => Some(true),
            (false, false) => None,
        };
        GivenAnswers {
            name: self.name.clone(),
            module: self.module.clone(),
            go_version: self.go_version.clone(),
            port: self.port,
            runtime: self.runtime,
            redis,
            goproxy: self.goproxy.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_last_redis_flag_wins() {
        let cli = Cli::parse_from(["scaffold", "new", "x", "--redis", "--no-redis"]);
        let Command::New(args) = cli.command else {
            panic!("not new")
        };
        assert_eq!(args.given_answers().redis, Some(false));
        let cli = Cli::parse_from(["scaffold", "new", "x", "--no-redis", "--redis"]);
        let Command::New(args) = cli.command else {
            panic!("not new")
        };
        assert_eq!(args.given_answers().redis, Some(true));
    }
}
