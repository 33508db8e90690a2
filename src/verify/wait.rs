//! Waiting for a starting service to answer 200: a request every 50 ms with short
//! timeouts (so verify adds little to the time the service itself needs), a look at
//! whether its container still runs every 250 ms, Ctrl-C checked on every turn.

use std::time::{Duration, Instant};

use super::probe::{self, Response, Target, Timeouts};
use crate::error::Error;
use crate::interrupt;

const POLL_EVERY: Duration = Duration::from_millis(50);
const STATE_EVERY: Duration = Duration::from_millis(250);

/// How the wait ended.
#[derive(Debug)]
pub enum Waited {
    Answered(Response),
    /// The container stopped before the path answered 200.
    Exited,
    /// The deadline passed; the last thing the service said (or why it said nothing).
    TimedOut {
        last: String,
    },
}

/// What a failed try means, in words that point at the cause.
fn describe(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
            "the published port accepted the connection and closed it: nothing listens on the \
             container's port (is the service listening on the port the image EXPOSEs, on 0.0.0.0?)"
                .to_string()
        }
        // The probe's own timeout says how long it waited and how much came.
        ErrorKind::TimedOut if error.get_ref().is_some() => error.to_string(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => "no answer (timed out)".to_string(),
        _ => error.to_string(),
    }
}

/// Polls `path` on `target` until it answers 200, `running` says the container
/// stopped, or `deadline`.
pub fn until_ok(
    target: &Target,
    path: &str,
    deadline: Instant,
    mut running: impl FnMut() -> Result<bool, Error>,
) -> Result<Waited, Error> {
    let mut next_state_check = Instant::now() + STATE_EVERY;
    loop {
        interrupt::check()?;
        let last = match probe::get(target, path, Timeouts::POLL.ending_by(deadline)) {
            Ok(response) if response.status == 200 => return Ok(Waited::Answered(response)),
            Ok(response) => format!(
                "status {}{}",
                response.status,
                response
                    .body
                    .lines()
                    .next()
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default()
            ),
            Err(error) => describe(&error),
        };
        let now = Instant::now();
        if now >= next_state_check {
            if !running()? {
                return Ok(Waited::Exited);
            }
            next_state_check = now + STATE_EVERY;
        }
        if now >= deadline {
            return Ok(Waited::TimedOut { last });
        }
        std::thread::sleep(POLL_EVERY.min(deadline.saturating_duration_since(now)));
    }
}
