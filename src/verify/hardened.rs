//! `verify --hardened`: the container runs the way the generated Deployment runs it in
//! a cluster — read-only root filesystem with a tmpfs /tmp, no capabilities, no
//! privilege escalation, a numeric non-root user, the Deployment's memory and CPU
//! limits — then readiness is asked and SIGTERM must end it cleanly within the grace
//! period. An image that only works with more than that fails here, not in the cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use yaml_rust2::{Yaml, YamlLoader};

use super::probe::Target;
use super::wait::{self, Waited};
use crate::engine::Engine;
use crate::error::Error;
use crate::generate::context::{SERVICE_UID, SHUTDOWN_SECONDS};

/// Where the generated Deployment lives; its limits and user win over the defaults.
pub const DEPLOYMENT: &str = "deploy/k8s/base/deployment.yaml";

/// What the container is run under, as the Deployment declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restrictions {
    /// `UID:GID`.
    pub user: String,
    /// Docker's form of the memory limit, e.g. `64m`.
    pub memory: String,
    /// CPUs, e.g. `0.5`.
    pub cpus: String,
    /// How long SIGTERM may take before the kubelet kills the pod.
    pub grace_seconds: u64,
    /// Where the values come from: the Deployment, or scaffold's defaults.
    pub source: String,
}

impl Restrictions {
    /// The project's Deployment when it has one (values it does not set keep the
    /// defaults), otherwise the values scaffold generates.
    pub fn for_project(dir: &Path) -> Restrictions {
        let defaults = Restrictions {
            user: format!("{SERVICE_UID}:{SERVICE_UID}"),
            memory: "64m".to_string(),
            cpus: "0.5".to_string(),
            grace_seconds: u64::from(SHUTDOWN_SECONDS) + 7,
            source: "scaffold's defaults (no deploy/k8s/base/deployment.yaml)".to_string(),
        };
        let Ok(text) = std::fs::read_to_string(dir.join(DEPLOYMENT)) else {
            return defaults;
        };
        from_deployment(&text).unwrap_or(defaults)
    }

    /// The `run` arguments that apply them.
    pub fn run_args(&self) -> Vec<String> {
        [
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--user",
            &self.user,
            "--memory",
            &self.memory,
            "--cpus",
            &self.cpus,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        format!(
            "read-only root, tmpfs /tmp, no capabilities, no-new-privileges, user {}, memory {}, {} CPU (from {})",
            self.user, self.memory, self.cpus, self.source
        )
    }
}

/// The values a Deployment manifest declares for its first container.
fn from_deployment(text: &str) -> Option<Restrictions> {
    let docs = YamlLoader::load_from_str(text).ok()?;
    let deployment = docs
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Deployment"))?;
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let uid = integer(&container["securityContext"]["runAsUser"])
        .or_else(|| integer(&pod["securityContext"]["runAsUser"]))
        .unwrap_or(i64::from(SERVICE_UID));
    let gid = integer(&container["securityContext"]["runAsGroup"])
        .or_else(|| integer(&pod["securityContext"]["runAsGroup"]))
        .unwrap_or(uid);
    let limits = &container["resources"]["limits"];
    Some(Restrictions {
        user: format!("{uid}:{gid}"),
        memory: limits["memory"]
            .as_str()
            .and_then(docker_memory)
            .unwrap_or_else(|| "64m".to_string()),
        cpus: scalar(&limits["cpu"])
            .and_then(|cpu| docker_cpus(&cpu))
            .unwrap_or_else(|| "0.5".to_string()),
        grace_seconds: integer(&pod["terminationGracePeriodSeconds"])
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(30),
        source: DEPLOYMENT.to_string(),
    })
}

fn integer(value: &Yaml) -> Option<i64> {
    value.as_i64()
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) | Yaml::Real(text) => Some(text.clone()),
        Yaml::Integer(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Kubernetes' `64Mi` / `1Gi` / `512M` as docker's `--memory` (whose k, m, g are
/// binary, like Ki, Mi, Gi).
fn docker_memory(quantity: &str) -> Option<String> {
    let digits = quantity.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let number: u64 = digits.parse().ok()?;
    let bytes = match &quantity[digits.len()..] {
        "" => number,
        "Ki" => number << 10,
        "Mi" => number << 20,
        "Gi" => number << 30,
        "k" => number * 1000,
        "M" => number * 1_000_000,
        "G" => number * 1_000_000_000,
        _ => return None,
    };
    Some(format!("{}k", bytes.div_ceil(1024)))
}

/// Kubernetes' `500m` / `1` / `1.5` CPUs as docker's `--cpus`.
fn docker_cpus(quantity: &str) -> Option<String> {
    if let Some(milli) = quantity.strip_suffix('m') {
        let milli: u64 = milli.parse().ok()?;
        return Some(format!("{}", milli as f64 / 1000.0));
    }
    let cpus: f64 = quantity.parse().ok()?;
    (cpus > 0.0).then(|| format!("{cpus}"))
}

/// What the hardened run showed beyond health.
#[derive(Debug, Clone, Serialize)]
pub struct Hardened {
    pub restrictions: Restrictions,
    /// `/readyz` answered 200.
    pub ready_status: u16,
    /// From SIGTERM (`stop`) to the process's exit.
    pub stop_seconds: f64,
}

/// Readiness too, not only liveness: the Deployment's readiness probe asks `/readyz`.
pub fn check_ready(target: &Target, path: &str, timeout: Duration) -> Result<u16, Error> {
    let deadline = Instant::now() + timeout;
    let last = match wait::until_ok(target, path, deadline, || Ok(true))? {
        Waited::Answered(response) => return Ok(response.status),
        Waited::TimedOut { last } => last,
        Waited::Exited => "the container stopped".to_string(),
    };
    Err(Error::HardenedFailed {
        check: format!("readiness ({path})"),
        problem: format!(
            "did not answer 200 within {} s (last: {last})",
            timeout.as_secs()
        ),
    })
}

/// SIGTERM, as the kubelet sends it: the service must exit 0 before the grace period
/// ends (after which the engine, like the kubelet, kills it).
pub fn stop_within_grace(
    engine: &Engine,
    container: &str,
    grace_seconds: u64,
) -> Result<f64, Error> {
    let started = Instant::now();
    let grace = grace_seconds.to_string();
    engine.checked(&["stop", "--time", &grace, container])?;
    let seconds = started.elapsed().as_secs_f64();
    let code = engine.checked(&["inspect", "--format", "{{.State.ExitCode}}", container])?;
    match code.trim() {
        "0" => Ok(seconds),
        code => Err(Error::HardenedFailed {
            check: "shutdown on SIGTERM".to_string(),
            problem: if seconds >= grace_seconds as f64 {
                format!(
                    "the service ignored SIGTERM: it was killed after the {grace_seconds} s grace period ({seconds:.1} s, exit code {code}); handle SIGTERM and shut down within it"
                )
            } else {
                format!("the service exited with code {code} after {seconds:.1} s instead of 0")
            },
        }),
    }
}

/// A container that died under the restrictions: say which one it needed.
pub fn explain_failure(error: Error) -> Error {
    let logs = match &error {
        Error::ContainerFailed { logs, .. } | Error::NotHealthy { logs, .. } => logs.join("\n"),
        _ => return error,
    };
    let lower = logs.to_lowercase();
    let needed = if lower.contains("read-only file system") {
        "it writes to its root filesystem, which is read-only under --hardened as in the Deployment (readOnlyRootFilesystem): write to /tmp or a mounted volume"
    } else if lower.contains("operation not permitted") || lower.contains("permission denied") {
        "it needs a capability, root, or privilege escalation, which the Deployment does not allow: run as a non-root user without extra privileges"
    } else if lower.contains("out of memory") || lower.contains("oom") {
        "it needs more memory than the Deployment's limit"
    } else {
        return error;
    };
    Error::HardenedFailed {
        check: "the service under the Deployment's restrictions".to_string(),
        problem: format!("{needed}.\n{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_become_docker_flags() {
        assert_eq!(docker_memory("64Mi").as_deref(), Some("65536k"));
        assert_eq!(docker_memory("1Gi").as_deref(), Some("1048576k"));
        assert_eq!(docker_memory("500M").as_deref(), Some("488282k"));
        assert_eq!(docker_memory("lots"), None);
        assert_eq!(docker_cpus("500m").as_deref(), Some("0.5"));
        assert_eq!(docker_cpus("2").as_deref(), Some("2"));
        assert_eq!(docker_cpus("0"), None);
    }

    #[test]
    fn a_deployment_sets_user_limits_and_grace() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 20\n      securityContext:\n        runAsUser: 1000\n      containers:\n        - name: x\n          resources:\n            limits:\n              cpu: \"1\"\n              memory: 128Mi\n";
        let restrictions = from_deployment(text).unwrap();
        assert_eq!(restrictions.user, "1000:1000");
        assert_eq!(restrictions.memory, "131072k");
        assert_eq!(restrictions.cpus, "1");
        assert_eq!(restrictions.grace_seconds, 20);
        assert!(restrictions.run_args().contains(&"--read-only".to_string()));
    }

    #[test]
    fn without_a_deployment_the_generated_values_apply() {
        let dir = tempfile::tempdir().unwrap();
        let restrictions = Restrictions::for_project(dir.path());
        assert_eq!(restrictions.user, "65532:65532");
        assert_eq!(restrictions.grace_seconds, 15);
    }
}
