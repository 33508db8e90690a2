//! Files doctor did not check, and why, so a clean report never hides them: `ok: no
//! findings` means nothing when the Dockerfile was 9 MB or unreadable.

use std::fmt;
use std::io;

/// Files larger than this are not read: no script, Dockerfile or Go file is this big.
pub const MAX_READ: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative to the project, `/`-separated.
    pub path: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than `MAX_READ`.
    TooLarge { bytes: u64 },
    /// NUL bytes: not text.
    Binary,
    /// Reading failed (permissions, a name too long for the system…): the error.
    Unreadable(String),
    /// A FIFO, socket or device: reading it could block or never end.
    SpecialFile,
    /// A symbolic link leading out of the project (or nowhere): not followed.
    LinkOutside,
    /// A folder doctor could not list (or a link loop): nothing in it was checked.
    UnreadableFolder(String),
}

impl SkipReason {
    pub fn from_io(error: &io::Error) -> SkipReason {
        SkipReason::Unreadable(describe_io(error))
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { bytes } => write!(
                f,
                "larger than {} MB ({:.1} MB)",
                MAX_READ / (1024 * 1024),
                *bytes as f64 / (1024.0 * 1024.0)
            ),
            SkipReason::Binary => f.write_str("binary: holds NUL bytes"),
            SkipReason::Unreadable(error) => write!(f, "unreadable: {error}"),
            SkipReason::SpecialFile => f.write_str("a FIFO, socket or device, not a regular file"),
            SkipReason::LinkOutside => {
                f.write_str("symbolic link leading out of the project, not followed")
            }
            SkipReason::UnreadableFolder(error) => write!(f, "folder not read: {error}"),
        }
    }
}

/// The OS error without Rust's "(os error N)" suffix.
fn describe_io(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The path and error of a walk step that could not read a folder or file; None for
/// errors that hide nothing (a bad pattern in a `.gitignore`).
pub fn walk_error(error: &ignore::Error) -> Option<(Option<std::path::PathBuf>, String)> {
    match error {
        ignore::Error::WithPath { path, err } => {
            let (_, text) = walk_error(err)?;
            Some((Some(path.clone()), text))
        }
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::Loop { child, .. } => {
            Some((Some(child.clone()), "a symbolic link loop".to_string()))
        }
        ignore::Error::Io(error) => Some((None, describe_io(error))),
        _ => None,
    }
}
