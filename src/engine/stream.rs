//! Long engine commands (a build, `compose up`) whose output is shown as it comes and
//! kept for the error message, and which Ctrl-C must be able to stop. The child runs in
//! its own process group (it never sees the terminal's Ctrl-C): scaffold notices the
//! interrupt flag within 50 ms, stops the child, and lets its caller clean up.

use std::io::{BufRead, BufReader, Read};
use std::process::Command;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::runner::{self, DRAIN};
use crate::error::Error;
use crate::interrupt;

/// How often the interrupt flag is looked at while waiting for output.
const TICK: Duration = Duration::from_millis(50);

/// A finished command: whether it succeeded, and every line it printed, in order.
#[derive(Debug, Clone)]
pub struct Finished {
    pub success: bool,
    pub code: Option<i32>,
    pub lines: Vec<String>,
}

/// Runs `command` (made by `Tool::command`) to its end, handing each line of stdout
/// and stderr to `on_line` as it arrives.
pub fn run(
    mut command: Command,
    description: &str,
    mut on_line: impl FnMut(&str),
) -> Result<Finished, Error> {
    let mut child = command.spawn().map_err(|source| Error::EngineCommand {
        command: description.to_string(),
        message: source.to_string(),
    })?;
    let (sender, lines_in) = mpsc::channel::<String>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(forward_lines(out, sender.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(forward_lines(err, sender.clone()));
    }
    drop(sender);

    let mut lines = Vec::new();
    let mut exited_at: Option<Instant> = None;
    loop {
        if interrupt::check().is_err() {
            runner::kill_group(&mut child);
            return Err(Error::Interrupted);
        }
        match lines_in.recv_timeout(TICK) {
            Ok(line) => {
                on_line(&line);
                lines.push(line);
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if exited_at.is_none() && matches!(child.try_wait(), Ok(Some(_))) {
                    exited_at = Some(Instant::now());
                }
                if exited_at.is_some_and(|at| at.elapsed() > DRAIN) {
                    break;
                }
            }
        }
    }
    let status = child.wait().map_err(|source| Error::EngineCommand {
        command: description.to_string(),
        message: source.to_string(),
    })?;
    if exited_at.is_none() {
        for reader in readers {
            let _ = reader.join();
        }
    }
    Ok(Finished {
        success: status.success(),
        code: status.code(),
        lines,
    })
}

/// Sends each line read from `pipe` (lossily decoded, without its line ending).
fn forward_lines(
    pipe: impl Read + Send + 'static,
    sender: mpsc::Sender<String>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

// Unix only: the test runs `sh` to write to both pipes, and Windows has no `sh`; the
// reading code is the same on both.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn lines_from_both_pipes_arrive_and_the_status_is_kept() {
        let mut command = Command::new("sh");
        command
            .args(["-c", "echo one; echo two >&2; exit 3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut seen = Vec::new();
        let finished = run(command, "sh", |line| seen.push(line.to_string())).unwrap();
        assert!(!finished.success);
        assert_eq!(finished.code, Some(3));
        seen.sort();
        assert_eq!(seen, ["one", "two"]);
        assert_eq!(finished.lines.len(), 2);
    }
}
