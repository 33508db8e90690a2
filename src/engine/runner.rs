//! How engine commands are run: a trait, so the preflight checks can be tested with
//! faked answers, and the real implementation on `std::process::Command` (arguments as
//! a list, never a shell string, so no value can become a shell word).
//!
//! Every command has a deadline and is watched while it runs: a daemon that accepts
//! connections and never answers makes the client wait for ever, and the client runs
//! in its own process group (see `detach_from_terminal_signals`), so it never sees
//! Ctrl-C. The watcher notices the interrupt flag and the deadline and kills the
//! client's whole process group (plugins such as `docker compose` included).

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::interrupt;

/// The variable that sets how long one short engine command may take, in seconds.
pub const TIMEOUT_VARIABLE: &str = "SCAFFOLD_ENGINE_TIMEOUT";

/// How long one short engine command may take when `SCAFFOLD_ENGINE_TIMEOUT` is not set:
/// far longer than any healthy daemon needs for `inspect`, `run --detach` or `rm -f`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to wait for the rest of a command's output once it has exited (a
/// grandchild could keep the pipe open).
pub const DRAIN: Duration = Duration::from_secs(2);

/// What a finished command said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Answer {
    /// The most useful line of what went wrong: the first non-empty line of stderr
    /// (engines print the reason first), else of stdout. podman logs side issues
    /// first (`time="…" level=error msg="unable to get systemd connection…"` without
    /// systemd), so such log lines count only when there is nothing else.
    pub fn reason(&self) -> String {
        first_line(&self.stderr, false)
            .or_else(|| first_line(&self.stdout, false))
            .or_else(|| first_line(&self.stderr, true))
            .unwrap_or_else(|| "no output".to_string())
    }
}

fn first_line(text: &str, log_lines_too: bool) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| log_lines_too || !is_log_line(line))
        .find(|line| !line.is_empty())
        .map(str::to_string)
}

/// A line of the engine's own log (logrus' text format), not its answer.
fn is_log_line(line: &str) -> bool {
    line.starts_with("time=\"") && line.contains(" level=")
}

/// What Ctrl-C does to a command that is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInterrupt {
    /// Stops it: the normal case.
    Stop,
    /// Lets it finish (within its deadline): the clean-up that runs *because* of a
    /// Ctrl-C must still remove what verify started.
    Finish,
}

/// Why a command gave no answer.
#[derive(Debug)]
pub enum Failure {
    /// It could not be started (a missing program, no permission).
    Start(io::Error),
    /// It did not end within this deadline; it was killed.
    NoAnswer(Duration),
    /// Ctrl-C (or SIGTERM) while it ran; it was killed.
    Interrupted,
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
        on_interrupt: OnInterrupt,
    ) -> Result<Answer, Failure>;
}

/// The real thing, with the deadline of every short command.
#[derive(Debug, Clone, Copy)]
pub struct SystemRunner {
    pub deadline: Duration,
}

impl Default for SystemRunner {
    fn default() -> Self {
        SystemRunner {
            deadline: DEFAULT_TIMEOUT,
        }
    }
}

impl SystemRunner {
    /// With the deadline from `SCAFFOLD_ENGINE_TIMEOUT` (seconds), else the default.
    pub fn from_env() -> Result<SystemRunner, Error> {
        let Ok(text) = std::env::var(TIMEOUT_VARIABLE) else {
            return Ok(SystemRunner::default());
        };
        parse_timeout(&text)
            .map(|deadline| SystemRunner { deadline })
            .ok_or_else(|| {
                Error::InvalidAnswer(format!(
                    "{TIMEOUT_VARIABLE}=`{text}` is not a number of seconds from 1 to 3600: \
                     set it to how long one engine command may take, e.g. {TIMEOUT_VARIABLE}=60, or unset it"
                ))
            })
    }
}

/// Whole seconds, 1 to 3600.
fn parse_timeout(text: &str) -> Option<Duration> {
    let seconds: u64 = text.trim().parse().ok()?;
    (1..=3600)
        .contains(&seconds)
        .then(|| Duration::from_secs(seconds))
}

impl Runner for SystemRunner {
    fn locate(&self, program: &str) -> Option<PathBuf> {
        locate_on_path(program)
    }

    fn output(
        &self,
        program: &Path,
        args: &[OsString],
        env: &[(String, String)],
        on_interrupt: OnInterrupt,
    ) -> Result<Answer, Failure> {
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        detach_from_terminal_signals(&mut command);
        let mut child = command.spawn().map_err(Failure::Start)?;
        let stdout = read_all(child.stdout.take());
        let stderr = read_all(child.stderr.take());
        let status =
            watch(&mut child, Instant::now() + self.deadline, on_interrupt).map_err(|stopped| {
                match stopped {
                    Stopped::Deadline => Failure::NoAnswer(self.deadline),
                    Stopped::Interrupted => Failure::Interrupted,
                }
            })?;
        Ok(Answer {
            success: status.success(),
            stdout: collected(stdout),
            stderr: collected(stderr),
        })
    }
}

/// Why `watch` stopped a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Deadline,
    Interrupted,
}

/// Waits for `child` to exit; kills its process group at `deadline`, or on Ctrl-C when
/// `on_interrupt` says so. Short commands end in milliseconds, so the wait between
/// looks starts at 1 ms and grows to 50 ms.
pub fn watch(
    child: &mut Child,
    deadline: Instant,
    on_interrupt: OnInterrupt,
) -> Result<ExitStatus, Stopped> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(status);
        }
        let stopped = if on_interrupt == OnInterrupt::Stop && interrupt::check().is_err() {
            Some(Stopped::Interrupted)
        } else if Instant::now() >= deadline {
            Some(Stopped::Deadline)
        } else {
            None
        };
        if let Some(stopped) = stopped {
            kill_group(child);
            return Err(stopped);
        }
        thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Kills `child` and everything in its process group (it leads one, see
/// `detach_from_terminal_signals`), then reaps it.
pub fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group; it touches
        // no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe to its end on a thread of its own.
fn read_all(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sender.send(bytes);
        });
    }
    receiver
}

/// What the pipe's reader collected, waiting at most `DRAIN` after the child ended.
fn collected(receiver: mpsc::Receiver<Vec<u8>>) -> String {
    receiver
        .recv_timeout(DRAIN)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
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
    /// is recorded in `calls`; one in `silent` never answers (as a hung daemon: it
    /// fails with `Failure::NoAnswer` after "7 s").
    #[derive(Debug, Default)]
    pub struct FakeRunner {
        pub programs: Vec<String>,
        pub answers: BTreeMap<String, Answer>,
        pub silent: Vec<String>,
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

        /// `command` hangs until its deadline.
        pub fn never_answers(mut self, command: &str) -> Self {
            self.silent.push(command.to_string());
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
            _on_interrupt: OnInterrupt,
        ) -> Result<Answer, Failure> {
            let mut key = program.display().to_string();
            for arg in args {
                key.push(' ');
                key.push_str(&arg.to_string_lossy());
            }
            self.calls.lock().unwrap().push(key.clone());
            if self.silent.contains(&key) {
                return Err(Failure::NoAnswer(Duration::from_secs(7)));
            }
            self.answers
                .get(&key)
                .cloned()
                .ok_or_else(|| Failure::Start(io::Error::new(io::ErrorKind::NotFound, key)))
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> (PathBuf, Vec<OsString>) {
        (
            PathBuf::from("sh"),
            vec![OsString::from("-c"), OsString::from(script)],
        )
    }

    #[test]
    fn output_and_status_are_kept() {
        let (program, args) = sh("echo out; echo err >&2; exit 3");
        let answer = SystemRunner::default()
            .output(&program, &args, &[], OnInterrupt::Stop)
            .unwrap();
        assert!(!answer.success);
        assert_eq!(answer.stdout, "out\n");
        assert_eq!(answer.stderr, "err\n");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_command_that_never_ends_is_killed_with_its_group_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
        let (program, args) = sh(&script);
        let runner = SystemRunner {
            deadline: Duration::from_millis(500),
        };
        let started = Instant::now();
        let failure = runner
            .output(&program, &args, &[], OnInterrupt::Stop)
            .unwrap_err();
        assert!(matches!(failure, Failure::NoAnswer(d) if d == Duration::from_millis(500)));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        // Dead, or a zombie nobody has reaped yet (state Z).
        let alive = || {
            std::fs::read_to_string(format!("/proc/{}/stat", grandchild.trim())).is_ok_and(|stat| {
                !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
        };
        let waited = Instant::now();
        while alive() && waited.elapsed() < Duration::from_secs(2) {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !alive(),
            "the grandchild {grandchild} outlived the deadline"
        );
    }

    /// What podman 4.3 prints when `run` fails on a machine without systemd, for an
    /// image with a HEALTHCHECK.
    #[test]
    fn the_reason_skips_podmans_log_lines() {
        let answer = Answer {
            success: false,
            stdout: String::new(),
            stderr: "time=\"2026-12-02T02:40:19Z\" level=error msg=\"Removing timer for container f7c4 healthcheck: \
                     unable to get systemd connection to remove healthchecks\"\nError: runc: runc create failed: \
                     error setting rlimit type 7: operation not permitted\n"
                .to_string(),
        };
        assert!(
            answer.reason().starts_with("Error: runc"),
            "{}",
            answer.reason()
        );
        let only_logs = Answer {
            stderr: "time=\"x\" level=warning msg=\"m\"\n".to_string(),
            ..Answer::default()
        };
        assert_eq!(only_logs.reason(), "time=\"x\" level=warning msg=\"m\"");
    }

    #[test]
    fn the_timeout_variable_takes_whole_seconds() {
        assert_eq!(parse_timeout("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_timeout(" 3600 "), Some(Duration::from_secs(3600)));
        for bad in ["0", "3601", "-1", "1.5", "soon", ""] {
            assert_eq!(parse_timeout(bad), None, "{bad:?}");
        }
    }
}
