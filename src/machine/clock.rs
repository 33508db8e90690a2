//! The engine's clock against this machine's. Containers read the clock of the
//! engine's VM (Docker Desktop's, WSL2's, a podman machine's), which stops while the
//! laptop sleeps and can lag minutes behind: TLS then fails inside builds with
//! `x509: certificate has expired or is not yet valid`, and `go mod download` with it.
//! A tiny container from an image that is already here prints its `date +%s`; nothing
//! is pulled.

use std::time::{SystemTime, UNIX_EPOCH};

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::Severity;
use crate::engine::Engine;
use crate::error::Error;

pub const CHECK: &str = "clock";

/// How far the clocks may differ, beyond the time the container took to start.
pub const TOLERANCE_SECONDS: i64 = 5;

pub static DRIFT: HostRule = HostRule {
    id: "SH501",
    name: "engine-clock-drift",
    severity: Severity::Warning,
    summary: "The engine's clock differs from this machine's by more than a few seconds.",
    why: "Containers and builds read the engine VM's clock, which lags after sleep; TLS checks there fail (`x509: certificate has expired or is not yet valid`), and so do `go mod download`, `apk add` and pulls inside builds, plus any token with an expiry.",
    fix: "Resync the VM's clock: restart Docker Desktop, or `wsl --shutdown` (WSL2), or `sudo hwclock -s` inside WSL; on Linux enable NTP (`timedatectl set-ntp true`).",
};

/// Images that have `date` and run it as `date +%s`, best first (busybox and alpine
/// start fastest). Distroless and scratch images have no `date`.
const IMAGES_WITH_DATE: [&str; 6] = ["busybox", "alpine", "golang", "debian", "ubuntu", "redis"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    /// No engine answers; why.
    NoEngine(String),
    /// No local image with `date`.
    NoImage,
    Ran {
        image: String,
        /// This machine's clock before and after the container ran (Unix seconds).
        before: i64,
        after: i64,
        /// What the container printed, or why it did not run.
        engine: Result<i64, String>,
    },
}

pub fn gather(engine: Option<&Engine>) -> Result<Facts, Error> {
    let Some(engine) = engine else {
        return Ok(Facts::NoEngine(
            "no engine answers (see the engine check)".into(),
        ));
    };
    let listing = engine.output(&["images", "--format", "{{.Repository}}:{{.Tag}}"])?;
    let Some(image) = pick_image(&listing.stdout) else {
        return Ok(Facts::NoImage);
    };
    let name = format!(
        "scaffold-clock-{}-{}",
        std::process::id(),
        now() % 1_000_000
    );
    let before = now();
    let answer = engine.output(&[
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        "none",
        "--name",
        &name,
        "--entrypoint",
        "date",
        &image,
        "+%s",
    ])?;
    let after = now();
    let engine = if answer.success {
        answer
            .stdout
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("`date +%s` printed `{}`", answer.stdout.trim()))
    } else {
        Err(answer.reason())
    };
    Ok(Facts::Ran {
        image,
        before,
        after,
        engine,
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The first image of `docker images --format '{{.Repository}}:{{.Tag}}'` known to
/// have `date`, in the order of `IMAGES_WITH_DATE`.
pub fn pick_image(listing: &str) -> Option<String> {
    let images: Vec<&str> = listing
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.contains("<none>"))
        .collect();
    IMAGES_WITH_DATE.iter().find_map(|wanted| {
        images
            .iter()
            .find(|image| {
                let repository = image.rsplit_once(':').map_or(**image, |(r, _)| r);
                let last = repository.rsplit('/').next().unwrap_or(repository);
                last == *wanted
            })
            .map(|image| image.to_string())
    })
}

pub fn check(facts: &Facts) -> Report {
    match facts {
        Facts::NoEngine(why) => Report::not_applicable(CHECK, why.clone()),
        Facts::NoImage => Report::not_applicable(
            CHECK,
            "no local image with `date` (busybox, alpine, golang, debian, ubuntu, redis) and nothing is pulled",
        ),
        Facts::Ran { image, engine: Err(why), .. } => {
            Report::not_applicable(CHECK, format!("a container from {image} did not tell its time: {why}"))
        }
        Facts::Ran { image, before, after, engine: Ok(engine) } => {
            // `date` has whole seconds; the container ran somewhere in [before, after].
            let drift = if *engine < before - 1 {
                engine - (before - 1)
            } else if *engine > after + 1 {
                engine - (after + 1)
            } else {
                0
            };
            let seen = format!(
                "the engine's clock is within {} s of this machine's (a container from {image})",
                drift.abs().max(1)
            );
            if drift.abs() <= TOLERANCE_SECONDS {
                return Report::checked(CHECK, seen, Vec::new());
            }
            let direction = if drift < 0 { "behind" } else { "ahead of" };
            let finding = HostFinding::new(
                &DRIFT,
                format!("the engine's clock is {} s {direction} this machine's (a container from {image} printed {engine})", drift.abs()),
            );
            Report::checked(CHECK, format!("the engine's clock is {} s {direction} this machine's", drift.abs()), vec![finding])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docker images --format '{{.Repository}}:{{.Tag}}'` on a developer's machine.
    const LISTING: &str = "orders:verify\n<none>:<none>\ngcr.io/distroless/static-debian12:nonroot\nredis:7-alpine\ngolang:1.22-alpine\nlibrary/alpine:3.20\n";

    fn ran(engine: i64) -> Facts {
        Facts::Ran {
            image: "alpine:3.20".into(),
            before: 1_764_640_000,
            after: 1_764_640_001,
            engine: Ok(engine),
        }
    }

    #[test]
    fn images_with_date_are_chosen_and_distroless_never() {
        assert_eq!(pick_image(LISTING).as_deref(), Some("library/alpine:3.20"));
        assert_eq!(
            pick_image("orders:verify\nredis:7\n").as_deref(),
            Some("redis:7")
        );
        assert_eq!(
            pick_image("gcr.io/distroless/static:nonroot\nscratch:latest\n"),
            None
        );
        assert_eq!(
            pick_image("localhost:5000/alpine:3.20\n").as_deref(),
            Some("localhost:5000/alpine:3.20")
        );
    }

    #[test]
    fn a_vm_clock_that_lags_after_sleep() {
        let report = check(&ran(1_764_640_000 - 95));
        assert_eq!(report.findings.len(), 1);
        assert!(
            report.findings[0].message.contains("94 s behind"),
            "{report:?}"
        );
        assert!(check(&ran(1_764_640_001 + 30)).findings[0]
            .message
            .contains("ahead of"));
    }

    #[test]
    fn a_clock_within_tolerance_and_the_start_up_time() {
        for engine in [
            1_764_640_000,
            1_764_640_002,
            1_764_640_000 - 6,
            1_764_640_001 + 6,
        ] {
            assert!(check(&ran(engine)).findings.is_empty(), "{engine}");
        }
    }

    #[test]
    fn without_engine_image_or_answer_it_does_not_apply() {
        use super::super::finding::State;
        for facts in [
            Facts::NoEngine("no engine".into()),
            Facts::NoImage,
            Facts::Ran {
                image: "alpine:3.20".into(),
                before: 0,
                after: 1,
                engine: Err("no such image".into()),
            },
        ] {
            assert!(
                matches!(check(&facts).state, State::NotApplicable(_)),
                "{facts:?}"
            );
        }
    }
}
