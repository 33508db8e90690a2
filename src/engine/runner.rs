//! How engine commands are run: a trait, so the preflight checks can be tested with
//! faked answers, and the real implementation on `std::process::Command` (arguments as
//! a list, never a shell string, so no value can become a shell word).

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a finished command said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Answer {
    /// The most useful line of what went wrong: the first non-empty line of stderr
    /// (engines print the reason first), else of stdout.
    pub fn reason(&self) -> String {
        first_line(&self.stderr)
            .or_else(|| first_line(&self.stdout))
            .unwrap_or_else(|| "no output".to_string())
    }
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_string)
}

/// Finds programs and runs short commands to completion.
pub trait Runner: Send + Sync {
    /// Where `program` is on PATH, if anywhere.
    fn locate(&self, program: &str) -> Option<PathBuf>;

    /// Runs `program args…` with `env` added, with no input, capturing its output.
    fn output(
        &self,
        program: &Path,
        args: &[OsString],
        env: &[(String, String)],
    ) -> io::Result<Answer>;
}

/// The real thing.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn locate(&self, program: &str) -> Option<PathBuf> {
        locate_on_path(program)
    }

    fn output(
        &self,
        program: &Path,
        args: &[OsString],
        env: &[(String, String)],
    ) -> io::Result<Answer> {
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        detach_from_terminal_signals(&mut command);
        let output = command.output()?;
        Ok(Answer {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Puts the child in its own process group, so Ctrl-C at the terminal reaches only
/// scaffold: scaffold then stops the child itself and removes what it started, instead
/// of the engine's client dying half-way with the container still running.
pub fn detach_from_terminal_signals(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        command.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
}

/// `which`: the first executable named `program` on PATH (with PATHEXT on Windows).
fn locate_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let extensions: Vec<String> = if cfg!(windows) {
        std::env::var("PATHEXT")
            .unwrap_or_else(|_| ".EXE;.CMD;.BAT;.COM".to_string())
            .split(';')
            .map(str::to_string)
            .collect()
    } else {
        vec![String::new()]
    };
    std::env::split_paths(&path).find_map(|dir| {
        extensions.iter().find_map(|ext| {
            let candidate = dir.join(format!("{program}{ext}"));
            is_executable(&candidate).then_some(candidate)
        })
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
pub mod fake {
    //! A runner that answers from a script, for unit tests.

    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Programs it "finds", and answers keyed by `program arg arg…`; a command not in
    /// the script fails to start, as a missing program would. Every command asked for
    /// is recorded in `calls`.
    #[derive(Debug, Default)]
    pub struct FakeRunner {
        pub programs: Vec<String>,
        pub answers: BTreeMap<String, Answer>,
        pub calls: Mutex<Vec<String>>,
    }

    impl FakeRunner {
        pub fn with_programs(programs: &[&str]) -> Self {
            FakeRunner {
                programs: programs.iter().map(|p| p.to_string()).collect(),
                ..FakeRunner::default()
            }
        }

        pub fn answer(mut self, command: &str, success: bool, stdout: &str, stderr: &str) -> Self {
            self.answers.insert(
                command.to_string(),
                Answer {
                    success,
                    stdout: stdout.to_string(),
                    stderr: stderr.to_string(),
                },
            );
            self
        }
    }

    impl Runner for FakeRunner {
        fn locate(&self, program: &str) -> Option<PathBuf> {
            self.programs
                .iter()
                .any(|p| p == program)
                .then(|| PathBuf::from(program))
        }

        fn output(
            &self,
            program: &Path,
            args: &[OsString],
            _env: &[(String, String)],
        ) -> io::Result<Answer> {
            let mut key = program.display().to_string();
            for arg in args {
                key.push(' ');
                key.push_str(&arg.to_string_lossy());
            }
            self.calls.lock().unwrap().push(key.clone());
            self.answers
                .get(&key)
                .cloned()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, key))
        }
    }
}
