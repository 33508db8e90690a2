//! How scaffold ends, as the exit code scripts and CI see. Written down in the README.

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success = 0,
    /// The work failed: a write, git, a doctor finding; or verify's build, run or
    /// health check (the image did not build, the container stopped, no 200 in time).
    Failure = 1,
    /// The input was wrong: a flag, an answer, a destination; nothing was written.
    Usage = 2,
    /// verify: no container engine (docker, podman) or compose tool is installed.
    EngineMissing = 3,
    /// verify: the engine is installed but its daemon does not answer (stopped, Docker
    /// Desktop not running, WSL integration off, no permission on the socket).
    EngineUnreachable = 4,
    /// verify: the Dockerfile needs BuildKit (`RUN --mount`) and the engine has none.
    BuildKitMissing = 5,
    /// Ctrl-C: what was started was undone.
    Interrupted = 130,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}
