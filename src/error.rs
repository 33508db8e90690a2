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
            | Error::UnsafeTemplatePath { .. } => ExitStatus::Usage,
            Error::Interrupted => ExitStatus::Interrupted,
            Error::Template { .. }
            | Error::TemplateSet(_)
            | Error::TemplateFetch { .. }
            | Error::Io { .. }
            | Error::Git { .. }
            | Error::Prompt(_) => ExitStatus::Failure,
        }
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
