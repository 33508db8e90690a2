//! The command line, declared in one place: every flag with its documentation. The
//! work behind each command lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::doctor::output::Format;
use crate::doctor::Severity;
use crate::engine::EngineKind;
use crate::generate::answers::{
    parse_ca_cert_flag, BuildCa, Ci, GivenAnswers, GoProxy, GoVersion, ModulePath, Port,
    ProjectName, Runtime,
};
use crate::generate::templates::source::TemplateSource;
use crate::generate::variables::parse_assignment;

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

/// `--version`: the release and the target triple of this build (from build.rs), so a
/// bug report says which of the released binaries it is about.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SCAFFOLD_TARGET"),
    ")"
);

/// Create a Go service that builds and runs in Docker the first time, on Windows,
/// macOS and Linux.
#[derive(Debug, Parser)]
#[command(name = "scaffold", version = VERSION, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new Go service: code, tests, Dockerfile, compose file, git repository.
    #[command(after_help = EXAMPLES)]
    New(NewArgs),
    /// Build the project's image, run it on a free local port, wait for its health
    /// endpoint, report, and remove what was started.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Check any Go + Docker project for the pitfalls that break builds on Windows and
    /// in Docker (path case, CRLF, module downloads, layer cache, cgo, base image,
    /// permissions, WSL placement), say how to fix each, and fix the safe ones.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Inspect or export the templates projects are made from.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Carry template improvements (a newer scaffold, a team's changed templates, or
    /// changed answers) into a project made earlier, merging three ways with its edits.
    #[command(after_help = UPDATE_EXAMPLES)]
    Update(UpdateArgs),
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

const VERIFY_EXAMPLES: &str = "\
Examples:
  scaffold verify                          the project in this folder
  scaffold verify orders --compose         app + redis from the compose file, wait for /readyz
  scaffold verify --json > verify.json     the report for CI
  scaffold verify --keep                   leave the container running to try it by hand

Exit codes: 0 verified, 1 build/run/health failed, 2 bad input (no Dockerfile),
3 no engine (or compose) installed, 4 engine daemon not reachable, 5 BuildKit missing, 130 Ctrl-C.";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  scaffold doctor                          the project in this folder
  scaffold doctor ../orders --fix          apply the safe fixes, then show what is left
  scaffold doctor --fix --verify           build before and after; undo the fix if it breaks the build
  scaffold doctor --format sarif > doctor.sarif    for code scanning on a code host
  scaffold doctor --format json --fail-on error    machine-readable; fail only on errors
  scaffold doctor --explain SD302          why a rule matters, an example, and the fix
  scaffold doctor --host                   check this machine: engine, WSL, proxies, clock, ports

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it (or a fix that
could not be written, or --verify rolled it back), 2 bad input; with --verify 3/4/5 as verify's
(no engine, daemon not reachable, BuildKit missing: nothing was changed).";

/// `scaffold doctor [DIR]`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project folder: any Go + Docker project, made by scaffold or not [default: .].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// How to print the findings: text for people, json for scripts, sarif for code
    /// scanning (GitHub and other code hosts).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Warning)]
    pub fail_on: Severity,

    /// Apply the safe, reversible fixes (write or complete .gitattributes and
    /// .dockerignore, convert CRLF to LF where LF is required, add CGO_ENABLED=0 for a
    /// static runtime), print each change, then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Print what a rule (id `SD302` or name `no-module-download`) finds, why it
    /// matters, an example and the fix, then exit without checking a project.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// With --fix: build each image the fix touches before and after it with the
    /// container engine, and put every file back when one that built before fails
    /// after (exit 1, saying why).
    #[arg(long, requires = "fix")]
    pub verify: bool,

    /// Check this machine instead of the project: the container engine (version,
    /// BuildKit, compose), WSL, docker's credential helpers, proxies and Go's module
    /// settings against the build, the engine's clock, Windows' reserved ports and
    /// git's core.autocrlf. DIR is the project the advice is for. Rules SH1xx-SH7xx.
    #[arg(long, conflicts_with = "fix")]
    pub host: bool,
}

/// `scaffold verify [DIR]`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The project folder: one scaffold made, or any with a Dockerfile [default: .].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub options: VerifyOptions,

    /// The port the service listens on inside the container [default: from
    /// .scaffold/answers.toml, else the Dockerfile's EXPOSE, else 8080].
    #[arg(long, value_name = "N")]
    pub port: Option<Port>,
}

/// How verify runs; shared by `scaffold verify` and the end of `scaffold new`.
#[derive(Debug, Clone, Args)]
pub struct VerifyOptions {
    /// The container engine [default: docker, or podman where docker is not installed].
    /// DOCKER_HOST and the current docker context are honoured.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<EngineKind>,

    /// Start the compose file (app and redis) under a unique project name instead of one
    /// container, wait for /readyz, then remove it with its volumes.
    #[arg(long)]
    pub compose: bool,

    /// The path that must answer 200 [default: /healthz, or /readyz with --compose].
    #[arg(long, value_name = "PATH", value_parser = parse_http_path)]
    pub path: Option<String>,

    /// Seconds to wait for that answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Leave the container (or compose project) running and print how to stop it.
    #[arg(long)]
    pub keep: bool,

    /// Remove the image afterwards (by default it is kept, under NAME:verify).
    #[arg(long)]
    pub rm_image: bool,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Print the whole build log instead of a spinner.
    #[arg(short, long)]
    pub verbose: bool,

    /// Run the container the way the generated Kubernetes Deployment runs it: read-only
    /// root filesystem with a tmpfs /tmp, no capabilities, no-new-privileges, a numeric
    /// non-root user, the Deployment's memory and CPU limits; then /readyz must answer
    /// and SIGTERM must end the service within the grace period [default with --k8s].
    #[arg(long, conflicts_with = "compose")]
    pub hardened: bool,

    /// `scaffold verify --port`; `scaffold new` records its port instead.
    #[arg(skip)]
    pub port: Option<u16>,
}

/// An absolute URL path without spaces: `/healthz`, `/api/ping?x=1`.
fn parse_http_path(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err(format!("`{text}` must start with `/`, e.g. /{text}"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{text}` has a space or control character; encode it (%20)"
        ));
    }
    Ok(text.to_string())
}

/// `scaffold new`: every answer has a flag, so nothing ever needs a terminal.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Project name: the folder, the Go binary and the Docker image (lower case, e.g. `orders`).
    pub name: Option<ProjectName>,

    /// Where to create the project [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub answer_flags: AnswerFlags,

    /// Do not create a git repository.
    #[arg(long)]
    pub no_git: bool,

    /// Do not build and run the image after creating the project.
    #[arg(long)]
    pub no_verify: bool,

    /// Verify, and fail when no engine can (by default a missing engine only warns).
    #[arg(long, conflicts_with = "no_verify")]
    pub verify: bool,

    #[command(flatten)]
    pub verify_options: VerifyOptions,

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
        GivenAnswers {
            name: self.name.clone(),
            ..self.answer_flags.given_answers()
        }
    }
}

/// The answer flags `new` and `update` share (every answer but the name).
#[derive(Debug, Clone, Args)]
pub struct AnswerFlags {
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

    /// The CI workflow to generate: GitHub Actions, GitLab CI, or none [default: none].
    #[arg(long, value_enum)]
    pub ci: Option<Ci>,

    /// Add Kubernetes manifests: a kustomize base (Deployment under the restricted Pod
    /// Security Standard, Service, PDB, HPA, NetworkPolicy) and dev/prod overlays.
    #[arg(long, overrides_with = "no_k8s")]
    pub k8s: bool,

    /// No Kubernetes manifests [default].
    #[arg(long, overrides_with = "k8s")]
    pub no_k8s: bool,

    /// The company's root CA certificate (PEM) for a TLS-intercepting proxy: copied to
    /// certs/build-ca.pem, trusted by the build stage for `go mod download`, never in
    /// the final image.
    #[arg(long, value_name = "FILE", value_parser = parse_ca_cert_flag)]
    pub ca_cert: Option<BuildCa>,

    /// No build CA, even where the team's defaults name one.
    #[arg(long, conflicts_with = "ca_cert")]
    pub no_ca_cert: bool,

    /// Pass HTTP_PROXY, HTTPS_PROXY and NO_PROXY (and lower case) from the environment to
    /// builds: compose build args, the README's commands, `scaffold verify`.
    #[arg(long, overrides_with = "no_build_proxy")]
    pub build_proxy: bool,

    /// Builds get no proxy settings [default].
    #[arg(long, overrides_with = "build_proxy")]
    pub no_build_proxy: bool,
}

impl AnswerFlags {
    /// The answers these flags give (no name).
    pub fn given_answers(&self) -> GivenAnswers {
        let redis = switch(self.redis, self.no_redis);
        GivenAnswers {
            name: None,
            module: self.module.clone(),
            go_version: self.go_version.clone(),
            port: self.port,
            runtime: self.runtime,
            redis,
            goproxy: self.goproxy.clone(),
            ci: self.ci,
            k8s: switch(self.k8s, self.no_k8s),
            ca_cert: match (&self.ca_cert, self.no_ca_cert) {
                (_, true) => Some(None),
                (Some(ca), false) => Some(Some(ca.clone())),
                (None, false) => None,
            },
            build_proxy: switch(self.build_proxy, self.no_build_proxy),
        }
    }
}

/// A `--x`/`--no-x` pair: the later one wins (clap's overrides_with), neither is no answer.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (_, true) => Some(false),
        (true, false) => Some(true),
        (false, false) => None,
    }
}

const UPDATE_EXAMPLES: &str = "\
Examples:
  scaffold update                          re-render with the recorded answers and merge
  scaffold update --runtime alpine         change an answer and carry the change through
  scaffold update --dry-run                print the diff it would apply, write nothing
  scaffold update --templates ../team-templates --refresh --json

Exit codes: 0 updated (or nothing to do), 1 conflicts left to resolve (with --dry-run:
conflicts would arise; or an error while writing), 2 bad input (no git repository, dirty tree, not a scaffold project), 130 Ctrl-C.";

/// `scaffold update [DIR]`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The project folder, made by `scaffold new` [default: .].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub answer_flags: AnswerFlags,

    #[command(flatten)]
    pub source: TemplateSourceArgs,

    /// A value for a variable the team templates declare (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, String)>,

    /// Print the unified diff the update would apply (conflict markers included) and
    /// write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print what happens to each file as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Start even when the working tree has uncommitted changes; the update is then
    /// written but not committed, so it does not mix with them.
    #[arg(long)]
    pub allow_dirty: bool,

    /// Write the files but do not commit; `git commit` then records the update.
    #[arg(long)]
    pub no_commit: bool,

    /// Bring back template files the project deleted (by default they stay deleted).
    #[arg(long)]
    pub restore_deleted: bool,
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
    fn verify_options_are_shared_by_new_and_verify() {
        let cli = Cli::parse_from([
            "scaffold",
            "new",
            "x",
            "--verify",
            "--compose",
            "--timeout",
            "5",
        ]);
        let Command::New(args) = cli.command else {
            panic!("not new")
        };
        assert!(args.verify && args.verify_options.compose);
        assert_eq!(args.verify_options.timeout, 5);
        let cli = Cli::parse_from(["scaffold", "verify", "dir", "--path", "/readyz", "-v"]);
        let Command::Verify(args) = cli.command else {
            panic!("not verify")
        };
        assert_eq!(args.options.path.as_deref(), Some("/readyz"));
        assert!(args.options.verbose);
        assert!(Cli::try_parse_from(["scaffold", "new", "x", "--verify", "--no-verify"]).is_err());
        assert!(Cli::try_parse_from(["scaffold", "verify", "--path", "healthz"]).is_err());
        assert!(Cli::try_parse_from(["scaffold", "verify", "--timeout", "0"]).is_err());
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

    #[test]
    fn update_takes_the_answer_flags_of_new() {
        let cli = Cli::parse_from([
            "scaffold",
            "update",
            "dir",
            "--runtime",
            "alpine",
            "--no-redis",
            "--set",
            "team=x",
        ]);
        let Command::Update(args) = cli.command else {
            panic!("not update")
        };
        let given = args.answer_flags.given_answers();
        assert_eq!(given.runtime, Some(Runtime::Alpine));
        assert_eq!(given.redis, Some(false));
        assert!(given.name.is_none());
        assert_eq!(args.set, [("team".to_string(), "x".to_string())]);
    }
}
