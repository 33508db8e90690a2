//! Every way scaffold can fail, as one type. `main` renders it once, with its exit code;
//! nothing else prints errors.

use std::io;
use std::path::PathBuf;

use crate::exit_status::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer that breaks a rule; the message names the rule and a fix.
    #[error("{0}")]
    InvalidAnswer(String),

    #[error("{what} is missing and there is no terminal to ask for it: {fix}")]
    MissingAnswer { what: String, fix: String },

    #[error("config file `{}`: {message}", path.display())]
    Config { path: PathBuf, message: String },

    #[error("`{}` exists and is not a folder: choose another --dir", path.display())]
    DestinationIsAFile { path: PathBuf },

    #[error(
        "`{}` is not empty; it holds {}. Choose another --dir, or pass --force to add the project beside what is there (scaffold never overwrites a file)",
        path.display(),
        list(entries)
    )]
    DestinationNotEmpty { path: PathBuf, entries: Vec<String> },

    #[error(
        "`{}` already holds {}, which the project would overwrite; nothing was written. Move them away or choose another --dir",
        path.display(),
        list(files)
    )]
    WouldOverwrite { path: PathBuf, files: Vec<String> },

    #[error(
        "`{}` is a symlink: writing through it could leave the destination; replace it with a folder or choose another --dir",
        path.display()
    )]
    OutsideDestination { path: PathBuf },

    #[error("templates from `{url}`: {message}")]
    TemplateFetch { url: String, message: String },

    #[error("template path `{path}` {reason}; nothing was written")]
    UnsafeTemplatePath { path: String, reason: String },

    #[error("templates: {0}")]
    TemplateSet(String),

    #[error("template `{file}`: {message}")]
    Template { file: String, message: String },

    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("git: could not {action}: {}", source.message())]
    Git {
        action: &'static str,
        source: git2::Error,
    },

    #[error("could not read the answer from the terminal: {0}")]
    Prompt(String),

    #[error("interrupted: nothing was left behind")]
    Interrupted,

    /// verify: no engine on PATH; the message says how to get one on this platform.
    #[error("{0}")]
    EngineNotInstalled(String),

    /// verify: the daemon does not answer; the message says why and what to do.
    #[error("{0}")]
    EngineUnreachable(String),

    /// verify: the Dockerfile needs BuildKit and the engine cannot give it.
    #[error("{0}")]
    BuildKitMissing(String),

    #[error("{0}")]
    ComposeNotInstalled(String),

    #[error(
        "`{}` has no Dockerfile: verify builds the project's Dockerfile; run it in the project folder or pass it: `scaffold verify path/to/project`",
        path.display()
    )]
    NoDockerfile { path: PathBuf },

    #[error(
        "`{}` is not a folder: doctor checks a project folder; run it in the project or pass it: `scaffold doctor path/to/project`",
        path.display()
    )]
    NotAProjectFolder { path: PathBuf },

    #[error(
        "`{}` has no compose file (compose.yaml or docker-compose.yml): verify without --compose",
        path.display()
    )]
    NoComposeFile { path: PathBuf },

    /// An engine command that could not run, or failed where it should not.
    #[error("`{command}` failed: {message}")]
    EngineCommand { command: String, message: String },

    #[error(
        "the image {tag} did not build{}.\n{}{}\nLast lines of the build log:\n{}",
        step.as_ref().map(|s| format!(": step `{s}` failed")).unwrap_or_default(),
        cause.as_ref().map(|c| format!("{c}\n")).unwrap_or_default(),
        "The project is unchanged; fix the error below and run `scaffold verify` again (add -v for the whole log).",
        indent(tail)
    )]
    BuildFailed {
        tag: String,
        step: Option<String>,
        tail: Vec<String>,
        /// What the log shows about the machine's network (proxy, DNS, clock) and the fix.
        cause: Option<String>,
    },

    #[error(
        "container {container} {problem}{}.\nLast lines of its log:\n{}",
        exit_code.map(|c| format!(" (exit code {c})")).unwrap_or_default(),
        indent_or_empty(logs)
    )]
    ContainerFailed {
        container: String,
        exit_code: Option<i64>,
        problem: String,
        logs: Vec<String>,
    },

    #[error(
        "{url} did not answer 200 within {seconds} s (last: {last}){}; {hint}.\nLast lines of its log:\n{}",
        exit_code.map(|c| format!("; the container stopped with exit code {c}")).unwrap_or_else(|| "; the container was still running".to_string()),
        indent_or_empty(logs)
    )]
    NotHealthy {
        url: String,
        seconds: u64,
        last: String,
        hint: String,
        exit_code: Option<i64>,
        logs: Vec<String>,
    },

    #[error(
        "`{command}` {problem}.\nLast lines of the log:\n{}",
        indent_or_empty(logs)
    )]
    ComposeFailed {
        command: String,
        problem: String,
        logs: Vec<String>,
    },

    #[error("no doctor rule `{key}`: give an id such as `SD302` or a name such as `no-module-download` (the README lists them all)")]
    UnknownRule { key: String },
    #[error(
        "could not write the fix to `{}`: {source}. That file is unchanged: a fix is written to a temporary file beside it and renamed over it only when complete{}",
        path.display(),
        already_fixed(written)
    )]
    FixNotWritten {
        path: PathBuf,
        source: io::Error,
        /// What was fixed before it, as `--fix` reports each change.
        written: Vec<String>,
    },

    #[error(
        "`doctor --fix --verify`: {dockerfile} built before the fix and fails after it{}, so the fix was rolled back ({}){}.\nLast lines of the build log:\n{}",
        step.as_ref().map(|s| format!(" at `{s}`")).unwrap_or_default(),
        restore_note(restored, not_restored),
        if not_restored.is_empty() { String::new() } else { format!("; NOT restored: {}", not_restored.join("; ")) },
        indent_or_empty(tail)
    )]
    FixBrokeBuild {
        dockerfile: String,
        step: Option<String>,
        tail: Vec<String>,
        /// The files put back byte for byte.
        restored: Vec<String>,
        not_restored: Vec<String>,
    },

    #[error(
        "`doctor --fix --verify`: no image the fix touches builds before the fix ({}), so it cannot be verified; nothing was changed. Fix the build first, or run `doctor --fix` without --verify",
        failures.join("; ")
    )]
    FixNotVerifiable { failures: Vec<String> },
    /// verify: an engine command that did not end within its deadline (a daemon that
    /// accepts connections and never answers); it was killed.
    #[error(
        "`{command}` got no answer: the daemon did not answer in {} s. Check that it runs and responds \
         (`docker info`, DOCKER_HOST, `docker context ls`), or give it longer with SCAFFOLD_ENGINE_TIMEOUT=SECONDS",
        seconds_text(*seconds)
    )]
    EngineNoAnswer { command: String, seconds: f64 },

    /// A file that must not be read as it is: a FIFO, a device, too large, not UTF-8.
    #[error("`{}` {problem}", path.display())]
    UnreadableInput { path: PathBuf, problem: String },

    /// verify: the builder could not parse the Dockerfile; the line it named, if any.
    #[error(
        "`{}`{} does not parse: {message}{}\nThe project is unchanged; fix the Dockerfile and run `scaffold verify` again.",
        path.display(),
        line.map(|n| format!(" line {n}")).unwrap_or_default(),
        text.as_ref().map(|t| format!("\n    {} | {t}", line.unwrap_or_default())).unwrap_or_default()
    )]
    DockerfileInvalid {
        path: PathBuf,
        line: Option<usize>,
        text: Option<String>,
        message: String,
    },
    /// An input scaffold reads (a template, an answers file) that is a FIFO, device or
    /// socket: reading it could block for ever.
    #[error("`{}` is {kind}, not a regular file: {what} must be plain files", path.display())]
    NotARegularFile {
        path: PathBuf,
        kind: &'static str,
        what: &'static str,
    },

    #[error("`{}` is larger than {limit_mib} MiB, the limit for {what}", path.display())]
    InputTooLarge {
        path: PathBuf,
        limit_mib: u64,
        what: &'static str,
    },

    /// A template set that asks for more than scaffold gives any one project.
    #[error("templates: {0}; nothing was written")]
    TemplateLimit(String),

    /// A destination scaffold refuses before writing, with what to do instead.
    #[error("`{}` {reason}; nothing was written", path.display())]
    DestinationRefused { path: PathBuf, reason: String },

    /// `new --verify` that cannot verify the project it would make.
    #[error("{0}")]
    VerifyImpossible(String),
    #[error(
        "`{}` is not in a git repository: update reads the pristine render it last merged from git history and commits the merge, so `git checkout .` can undo it. Run `git init && git add -A && git commit -m 'Project from scaffold'` first (the first commit then counts as the pristine render)",
        path.display()
    )]
    UpdateNeedsGit { path: PathBuf },

    #[error(
        "`{}` has no {record}: update works on projects made by `scaffold new`; pass the project folder: `scaffold update path/to/project`",
        path.display()
    )]
    NotAScaffoldProject { path: PathBuf, record: &'static str },

    #[error(
        "the working tree has uncommitted changes ({}); nothing was written. Commit or stash them (`git stash -u`) so the update can be undone with `git checkout .`, or pass --allow-dirty",
        list(paths)
    )]
    DirtyTree { paths: Vec<String> },

    #[error("the baseline render {what}; nothing was written. {fix}")]
    BaselineMissing { what: String, fix: String },

    /// `verify --hardened`: the image does not run the way its Deployment runs it.
    #[error("verify --hardened: {check} failed: {problem}")]
    HardenedFailed { check: String, problem: String },
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::InvalidAnswer(_)
            | Error::MissingAnswer { .. }
            | Error::Config { .. }
            | Error::DestinationIsAFile { .. }
            | Error::DestinationNotEmpty { .. }
            | Error::WouldOverwrite { .. }
            | Error::OutsideDestination { .. }
            | Error::UnsafeTemplatePath { .. }
            | Error::UnknownRule { .. } => ExitStatus::Usage,
            Error::NotARegularFile { .. }
            | Error::InputTooLarge { .. }
            | Error::TemplateLimit(_)
            | Error::DestinationRefused { .. }
            | Error::VerifyImpossible(_) => ExitStatus::Usage,
            Error::Interrupted => ExitStatus::Interrupted,
            Error::NoDockerfile { .. } | Error::NoComposeFile { .. } => ExitStatus::Usage,
            Error::NotAProjectFolder { .. } => ExitStatus::Usage,
            Error::EngineNotInstalled(_) | Error::ComposeNotInstalled(_) => {
                ExitStatus::EngineMissing
            }
            Error::EngineUnreachable(_) => ExitStatus::EngineUnreachable,
            Error::BuildKitMissing(_) => ExitStatus::BuildKitMissing,
            Error::EngineCommand { .. }
            | Error::BuildFailed { .. }
            | Error::ContainerFailed { .. }
            | Error::NotHealthy { .. }
            | Error::HardenedFailed { .. }
            | Error::ComposeFailed { .. } => ExitStatus::Failure,
            Error::FixNotWritten { .. }
            | Error::FixBrokeBuild { .. }
            | Error::FixNotVerifiable { .. } => ExitStatus::Failure,
            Error::EngineNoAnswer { .. } => ExitStatus::EngineUnreachable,
            Error::UnreadableInput { .. } => ExitStatus::Usage,
            Error::DockerfileInvalid { .. } => ExitStatus::Failure,
            Error::Template { .. }
            | Error::TemplateSet(_)
            | Error::TemplateFetch { .. }
            | Error::Io { .. }
            | Error::Git { .. }
            | Error::Prompt(_) => ExitStatus::Failure,
            Error::UpdateNeedsGit { .. }
            | Error::NotAScaffoldProject { .. }
            | Error::DirtyTree { .. }
            | Error::BaselineMissing { .. } => ExitStatus::Usage,
        }
    }

    /// verify could not even start: no engine, no daemon, no BuildKit. `scaffold new`
    /// then still succeeds with a warning, unless verify was asked for explicitly.
    pub fn is_engine_unavailable(&self) -> bool {
        matches!(
            self,
            Error::EngineNotInstalled(_)
                | Error::EngineUnreachable(_)
                | Error::BuildKitMissing(_)
                | Error::ComposeNotInstalled(_)
        )
    }

    /// Shorthand for the common case of an I/O error on a path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    pub fn git(action: &'static str) -> impl FnOnce(git2::Error) -> Error {
        move |source| Error::Git { action, source }
    }
}

/// `5` for whole seconds, else `0.5`.
fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}")
    } else {
        format!("{seconds:.1}")
    }
}

/// Log lines, indented under the message.
fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn indent_or_empty(lines: &[String]) -> String {
    if lines.is_empty() {
        "    (empty)".to_string()
    } else {
        indent(lines)
    }
}

/// The end of a `FixNotWritten` message: what was fixed before the failure.
fn already_fixed(written: &[String]) -> String {
    if written.is_empty() {
        "; no file was changed".to_string()
    } else {
        format!(". Fixed before it: {}", written.join("; "))
    }
}

fn restore_note(restored: &[String], not_restored: &[String]) -> String {
    if restored.is_empty() && not_restored.is_empty() {
        "nothing had been written".to_string()
    } else {
        format!("restored byte for byte: {}", list(restored))
    }
}

/// `a`, `b` and `c` (and N more): short enough for one line of an error.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let quoted: Vec<String> = items.iter().take(SHOWN).map(|i| format!("`{i}`")).collect();
    let mut text = quoted.join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_shortened() {
        let items: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
        assert_eq!(
            list(&items),
            "`f0`, `f1`, `f2`, `f3`, `f4`, `f5`, `f6`, `f7` and 2 more"
        );
    }
}
