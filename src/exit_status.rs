//! How scaffold ends, as the exit code scripts and CI see. Written down in the README.

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success = 0,
    /// The work failed: a write, git, or (later) a verify or doctor finding.
    Failure = 1,
    /// The input was wrong: a flag, an answer, a destination; nothing was written.
    Usage = 2,
    /// Ctrl-C: what was started was undone.
    Interrupted = 130,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}
