//! `scaffold new`: answers → rendered files → checked destination → staged project
//! (with its first commit) → moved into place → (verify).

use std::path::{Path, PathBuf};

use crate::answers::{Answers, Fill, DEFAULT_MODULE_PREFIX};
use crate::cli::NewArgs;
use crate::context::template_context;
use crate::destination::{self, Destination};
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::git;
use crate::host::{HostResources, WslSuggestion};
use crate::interrupt;
use crate::prompt::{self, TerminalAsk};
use crate::render::{render, RenderedFile};
use crate::report::Reporter;
use crate::staging;
use crate::template_set::TemplateSet;

pub fn run(args: &NewArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let interactive = !args.yes && prompt::is_interactive();
    let answers = collect_answers(args, interactive)?;
    let destination = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(answers.name.as_str()));
    let files = render_project(&answers)?;
    let state = destination::check(&destination, &files, args.force)?;
    if args.dry_run {
        list_files(reporter, &destination, &files);
        return Ok(ExitStatus::Success);
    }
    let git_plan = plan_git(args, &destination);
    let first_commit = write_project(&destination, &state, &files, &git_plan)?;
    report_created(reporter, &answers, &destination, files.len(), &git_plan, first_commit);
    if interactive {
        reporter.note(format!(
            "\nTo make the same project again without questions (CI, scripts):\n  {}",
            equivalent_command(&answers, &destination, args)
        ));
    }
    Ok(ExitStatus::Success)
}

fn collect_answers(args: &NewArgs, interactive: bool) -> Result<Answers, Error> {
    let given = args.given_answers();
    if interactive {
        let mut ask = TerminalAsk::new();
        given.complete(Fill::Ask(&mut ask), DEFAULT_MODULE_PREFIX)
    } else {
        given.complete(Fill::Defaults, DEFAULT_MODULE_PREFIX)
    }
}

/// The project's files, in memory.
pub fn render_project(answers: &Answers) -> Result<Vec<RenderedFile>, Error> {
    let templates = TemplateSet::builtin()?;
    let wsl = WslSuggestion::for_host(HostResources::detect());
    render(&templates, &template_context(answers, wsl))
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
            &format!(
                "Initial commit from scaffold {}",
                env!("CARGO_PKG_VERSION")
            ),
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
fn equivalent_command(answers: &Answers, destination: &Path, args: &NewArgs) -> String {
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
    words.push(if answers.redis { "--redis" } else { "--no-redis" }.to_string());
    let switches = [
        (args.no_git, "--no-git"),
        (args.no_verify, "--no-verify"),
        (args.force, "--force"),
    ];
    words.extend(switches.iter().filter(|(on, _)| *on).map(|(_, s)| s.to_string()));
    words.push("--yes".to_string());
    words.join(" ")
}

/// A word that bash, zsh and PowerShell all read back unchanged: plain words as they
/// are, anything else in single quotes (a comma would make a PowerShell array).
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_what_shells_would_change() {
        assert_eq!(shell_word("example.com/demo"), "example.com/demo");
        assert_eq!(
            shell_word("https://proxy.golang.org,direct"),
            "'https://proxy.golang.org,direct'"
        );
        assert_eq!(shell_word("my dir"), "'my dir'");
    }
}
