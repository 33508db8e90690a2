//! `scaffold new`: answers → rendered files → checked destination → staged project
//! (with its first commit) → moved into place → (verify).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::NewArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::generate::answers::{complete_variables, Answers, Defaults, Fill, GivenAnswers};
use crate::generate::prompt::{self, TerminalAsk};
use crate::generate::record::AnswersFile;
use crate::generate::render::RenderedFile;
use crate::generate::render_project;
use crate::generate::templates::loader::{self, LoadedTemplates};
use crate::generate::variables;
use crate::interrupt;
use crate::report::{shell_word, Reporter};
use crate::write::destination::{self, Destination};
use crate::write::git;
use crate::write::staging;

pub fn run(args: &NewArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let interactive = !args.yes && prompt::is_interactive();
    let config = Config::load()?;
    let answers_file = read_answers_file(args)?;
    let templates = loader::load_chosen(
        &args.source,
        &[
            answers_file.as_ref().and_then(|f| f.templates.as_deref()),
            config.templates.as_deref(),
        ],
    )?;
    if let Some(warning) = &templates.warning {
        reporter.warn(warning);
    }
    let (answers, values) = collect_answers(args, answers_file, &config, &templates, interactive)?;
    let destination = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(answers.name.as_str()));
    let files = render_project(&answers, &values, &templates)?;
    let skip_verify = verify_impossible(args, &files)?;
    if !args.dry_run {
        report_reaped(reporter, staging::reap_stale(&destination));
    }
    let state = destination::check(&destination, &files, args.force)?;
    if args.dry_run {
        list_files(reporter, &destination, &files);
        return Ok(ExitStatus::Success);
    }
    let git_plan = plan_git(args, &destination);
    let first_commit = write_project(&destination, &state, &files, &git_plan)?;
    report_created(
        reporter,
        &answers,
        &destination,
        files.len(),
        &git_plan,
        first_commit,
    );
    if interactive {
        reporter.note(format!(
            "\nTo make the same project again without questions (CI, scripts):\n  {}",
            equivalent_command(&answers, &values, &destination, args)
        ));
    }
    if args.no_verify {
        return Ok(ExitStatus::Success);
    }
    if skip_verify {
        reporter
            .note("Not verified: the templates make no Dockerfile, so there is nothing to build");
        return Ok(ExitStatus::Success);
    }
    // A project with Kubernetes manifests is proven under their restrictions.
    let mut options = args.verify_options.clone();
    options.hardened |= answers.k8s && !options.compose;
    super::verify::after_new(&destination, &options, args.verify, reporter)
}

/// verify builds the project's Dockerfile. Without one, `--verify` is refused before
/// anything is written; the default verify is skipped (true) with a note.
fn verify_impossible(args: &NewArgs, files: &[RenderedFile]) -> Result<bool, Error> {
    if args.no_verify || files.iter().any(|file| file.path == "Dockerfile") {
        return Ok(false);
    }
    if args.verify {
        return Err(Error::VerifyImpossible(
            "--verify builds the project's Dockerfile, but these templates make none (the team's set drops it); nothing was written. Pass --no-verify, or add a Dockerfile to the templates".into(),
        ));
    }
    Ok(true)
}

/// Staging folders of killed runs, removed before this one writes.
pub(super) fn report_reaped(reporter: &Reporter, reaped: Vec<staging::StaleStaging>) {
    for stale in reaped {
        reporter.note(format!(
            "Removed {}, left by scaffold process {} which is no longer running",
            stale.path.display(),
            stale.pid
        ));
    }
}

fn read_answers_file(args: &NewArgs) -> Result<Option<AnswersFile>, Error> {
    args.answers.as_deref().map(AnswersFile::read).transpose()
}

/// Every answer and team variable: flags first, then the answers file, then a prompt
/// (at a terminal) or the default (team's, user's, scaffold's).
fn collect_answers(
    args: &NewArgs,
    answers_file: Option<AnswersFile>,
    config: &Config,
    templates: &LoadedTemplates,
    interactive: bool,
) -> Result<(Answers, BTreeMap<String, String>), Error> {
    let manifest = &templates.set.manifest;
    let defaults = Defaults::layered(&manifest.defaults, config.module_prefix.as_deref())?;
    let mut given = args.given_answers();
    let mut given_values = BTreeMap::new();
    if let (Some(file), Some(path)) = (answers_file, args.answers.as_deref()) {
        given = given.or(file.given_answers(path)?);
        let origin = format!("answers file `{}`", path.display());
        variables::check_given(&manifest.variables, &file.variables, &origin)?;
        given_values = file.variables;
    }
    let flag_values: BTreeMap<String, String> = args.set.iter().cloned().collect();
    variables::check_given(&manifest.variables, &flag_values, "--set")?;
    given_values.extend(flag_values);
    let mut ask = TerminalAsk::new();
    let mut fill = if interactive {
        Fill::Ask(&mut ask)
    } else {
        Fill::Defaults
    };
    let answers = GivenAnswers::complete(given, &mut fill, &defaults)?;
    let values = complete_variables(&manifest.variables, given_values, &mut fill)?;
    Ok((answers, values))
}

/// Whether the project gets its own repository, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GitPlan {
    Init,
    SkippedByFlag,
    InsideRepository(PathBuf),
}

fn plan_git(args: &NewArgs, destination: &Path) -> GitPlan {
    if args.no_git {
        return GitPlan::SkippedByFlag;
    }
    match git::enclosing_repository(destination) {
        Some(work_tree) => GitPlan::InsideRepository(work_tree),
        None => GitPlan::Init,
    }
}

/// Stages the files, commits them, and moves the finished project into place. Ctrl-C
/// in between is handled here: the staged project is dropped, so nothing remains.
fn write_project(
    destination: &Path,
    state: &Destination,
    files: &[RenderedFile],
    git_plan: &GitPlan,
) -> Result<Option<git::FirstCommit>, Error> {
    let _deferred = interrupt::Deferred::start();
    let staged = staging::stage(destination, state, files)?;
    let first_commit = match git_plan {
        GitPlan::Init => Some(git::init_and_commit(
            staged.path(),
            &format!("Initial commit from scaffold {}", env!("CARGO_PKG_VERSION")),
        )?),
        GitPlan::SkippedByFlag | GitPlan::InsideRepository(_) => None,
    };
    interrupt::check()?;
    staged.publish(destination, state)?;
    Ok(first_commit)
}

fn list_files(reporter: &Reporter, destination: &Path, files: &[RenderedFile]) {
    reporter.status(
        "Dry run",
        format!(
            "would write {} files to {}; nothing was written",
            files.len(),
            destination.display()
        ),
    );
    for file in files {
        reporter.output(&file.path);
    }
}

fn report_created(
    reporter: &Reporter,
    answers: &Answers,
    destination: &Path,
    file_count: usize,
    git_plan: &GitPlan,
    first_commit: Option<git::FirstCommit>,
) {
    reporter.status(
        "Created",
        format!(
            "{} in {} ({file_count} files)",
            answers.name,
            destination.display()
        ),
    );
    match (git_plan, first_commit) {
        (_, Some(commit)) => {
            reporter.status("Committed", format!("{} on branch main", &commit.id[..7]));
            if commit.used_fallback_identity {
                reporter.warn(
                    "git has no user.name/user.email, so the first commit is signed `scaffold <scaffold@localhost>`; \
                     set them with `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`, \
                     then `git commit --amend --reset-author --no-edit`",
                );
            }
        }
        (GitPlan::InsideRepository(work_tree), None) => reporter.note(format!(
            "No git repository made: {} is already inside the repository at {}",
            destination.display(),
            work_tree.display()
        )),
        _ => {}
    }
    reporter.note(format!(
        "\nNext steps:\n  cd {}\n  go test ./...\n  docker compose up --build",
        shell_word(&destination.display().to_string())
    ));
}

/// The one-line command that makes the same project without a terminal.
fn equivalent_command(
    answers: &Answers,
    values: &BTreeMap<String, String>,
    destination: &Path,
    args: &NewArgs,
) -> String {
    let mut words = vec![
        "scaffold".to_string(),
        "new".to_string(),
        answers.name.to_string(),
    ];
    let mut flag = |name: &str, value: String| {
        words.push(name.to_string());
        words.push(shell_word(&value));
    };
    if destination != Path::new(answers.name.as_str()) {
        flag("--dir", destination.display().to_string());
    }
    flag("--module", answers.module.to_string());
    flag("--go-version", answers.go_version.to_string());
    flag("--port", answers.port.to_string());
    flag("--runtime", answers.runtime.to_string());
    flag("--goproxy", answers.goproxy.to_string());
    flag("--ci", answers.ci.to_string());
    if let Some(ca) = &answers.ca_cert {
        flag("--ca-cert", ca.source.display().to_string());
    }
    if let Some(source) = &args.source.templates {
        flag("--templates", source.to_string());
    }
    for (key, value) in values {
        flag("--set", format!("{key}={value}"));
    }
    words.push(
        if answers.redis {
            "--redis"
        } else {
            "--no-redis"
        }
        .to_string(),
    );
    words.push(if answers.k8s { "--k8s" } else { "--no-k8s" }.to_string());
    let switches = [
        (answers.build_proxy, "--build-proxy"),
        (args.no_git, "--no-git"),
        (args.no_verify, "--no-verify"),
        (args.verify, "--verify"),
        (args.force, "--force"),
    ];
    words.extend(
        switches
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, s)| s.to_string()),
    );
    words.push("--yes".to_string());
    words.join(" ")
}
