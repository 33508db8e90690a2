//! What verify found, as data: printed as a few lines for people, or as JSON
//! (`--json`) for scripts and CI.

use std::path::PathBuf;

use serde::Serialize;

use super::probe::Response;
use crate::engine::EngineKind;

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub project: String,
    pub dir: PathBuf,
    pub engine: EngineKind,
    pub engine_version: String,
    /// What verify did differently on this engine than on docker, and why (podman:
    /// the build format, rootful or rootless, health checks, the compose provider).
    pub engine_notes: Vec<String>,
    pub image: String,
    /// False with `--rm-image`.
    pub image_kept: bool,
    pub image_size_bytes: Option<u64>,
    pub build_seconds: f64,
    /// `container` (one `docker run`) or `compose`.
    pub mode: &'static str,
    /// The container that answered (already removed unless `--keep`).
    pub container: String,
    /// The compose project name, with `--compose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compose_project: Option<String>,
    /// The port the service listens on inside the container, and why that one.
    pub container_port: u16,
    pub port_reason: &'static str,
    pub health_url: String,
    pub health: Response,
    /// From `run` (or `compose up`) to the first 200.
    pub start_to_healthy_seconds: f64,
    /// The image's USER; empty means root.
    pub user: String,
    pub runs_as_root: bool,
    /// `GET /`; `None` with `front_page_error` when it could not be read.
    pub front_page: Option<Response>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_page_error: Option<String>,
    /// What `--hardened` proved, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardened: Option<super::hardened::Hardened>,
    /// With `--keep`: the commands that stop what was left running.
    pub kept_running: Vec<String>,
    pub total_seconds: f64,
}

impl VerifyReport {
    /// Label and text of each line of the human report from the health check on
    /// (the build was reported as it ended), shown before the clean-up.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![(
            "Healthy",
            format!(
                "{} answered {} after {:.2} s{}",
                self.health_url,
                self.health.status,
                self.start_to_healthy_seconds,
                match &self.compose_project {
                    Some(project) => format!(" (compose project {project})"),
                    None => String::new(),
                }
            ),
        )];
        lines.push((
            "Response",
            match (&self.front_page, &self.front_page_error) {
                (Some(response), _) => {
                    format!("GET / → {} {}", response.status, one_line(&response.body))
                }
                (None, Some(error)) => format!("GET / failed: {error}"),
                (None, None) => "GET / was not asked".to_string(),
            },
        ));
        if let Some(hardened) = &self.hardened {
            lines.push((
                "Ready",
                format!(
                    "/readyz answered {} under the restrictions",
                    hardened.ready_status
                ),
            ));
            lines.push((
                "Stopped",
                format!(
                    "on SIGTERM in {:.2} s, exit code 0 (grace period {} s)",
                    hardened.stop_seconds, hardened.restrictions.grace_seconds
                ),
            ));
        }
        lines.push((
            "User",
            if self.user.is_empty() {
                "root (the image sets no USER)".to_string()
            } else {
                self.user.clone()
            },
        ));
        lines
    }

    /// The closing line, after the clean-up.
    pub fn verdict(&self) -> String {
        format!(
            "{} builds, starts and answers ({:.1} s in all)",
            self.project, self.total_seconds
        )
    }
}

/// The line that reports a finished build.
pub fn built_line(tag: &str, seconds: f64, size_bytes: Option<u64>) -> String {
    let size = size_bytes
        .map(|b| format!(", {}", human_size(b)))
        .unwrap_or_default();
    format!("{tag} in {seconds:.1} s{size}")
}

/// Whether a Dockerfile USER means root: none, `root`, `0`, with or without a group.
pub fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default().trim();
    name.is_empty() || name == "root" || name == "0"
}

/// Sizes as docker prints them (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A body on one line, cut to fit a terminal.
fn one_line(body: &str) -> String {
    let joined = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 120 {
        format!("{}…", joined.chars().take(120).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_recognised_in_every_spelling() {
        for user in ["", "root", "0", "0:0", "root:root"] {
            assert!(is_root(user), "{user:?}");
        }
        for user in ["65532", "65532:65532", "nonroot", "app:app"] {
            assert!(!is_root(user), "{user:?}");
        }
    }

    #[test]
    fn sizes_read_like_dockers() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(9_812_345), "9.8 MB");
        assert_eq!(human_size(1_540_000_000), "1.5 GB");
    }
}
