//! Where podman differs from docker in what verify does, in one place. verify takes
//! the same steps on both engines; where podman needs other arguments, or where
//! podman behaves differently in a way that changes what the proof means, verify says
//! so (`engine_notes` in the report, a `Podman` line in the text) instead of behaving
//! differently in silence. Learnt from podman 4.3 (Debian 12) run for real.

use std::path::Path;

use crate::engine::endpoint::{Endpoint, PortHost};
use crate::engine::{self, Engine, EngineKind};
use crate::error::Error;

/// Extra `build` arguments. podman builds OCI images by default, and the OCI image
/// format has no HEALTHCHECK: buildah drops it with a warning. `--format docker` keeps
/// the image the Dockerfile describes, as docker builds it.
pub fn build_args(kind: EngineKind) -> &'static [&'static str] {
    match kind {
        EngineKind::Docker => &[],
        EngineKind::Podman => &["--format", "docker"],
    }
}

/// A container label in a `ps --format` template: docker has a `Label` function;
/// podman 4's `ps` has none (the template fails on the first container listed) and
/// exposes `Labels` as a map.
pub fn label_field(kind: EngineKind, key: &str) -> String {
    match kind {
        EngineKind::Docker => format!("{{{{.Label \"{key}\"}}}}"),
        EngineKind::Podman => format!("{{{{index .Labels \"{key}\"}}}}"),
    }
}

/// `rm` of containers that may depend on each other. podman-compose starts a service
/// with `--requires` on those it depends on, and podman refuses to remove a container
/// another one requires ("has dependent containers which must be removed before it")
/// unless `--depend` removes the dependents with it; docker has no such link.
pub fn remove_containers(kind: EngineKind) -> &'static [&'static str] {
    match kind {
        EngineKind::Docker => &["rm", "-f", "-v"],
        EngineKind::Podman => &["rm", "-f", "-v", "--depend"],
    }
}

/// Whether `rmi` failed only because the image is not there (docker: "No such
/// image", podman: "image not known").
pub fn image_is_missing(stderr: &str) -> bool {
    let lower = stderr.to_lowercase();
    lower.contains("no such image") || lower.contains("image not known")
}

/// What verify does differently on this engine, known before anything is built.
pub fn engine_notes(engine: &Engine, endpoint: &Endpoint) -> Result<Vec<String>, Error> {
    if engine.kind != EngineKind::Podman {
        return Ok(Vec::new());
    }
    let rootless =
        engine::known(engine.checked(&["info", "--format", "{{.Host.Security.Rootless}}"]))?;
    let local_without_systemd = cfg!(target_os = "linux")
        && endpoint.ports == PortHost::Local
        && endpoint.address == "default"
        && !Path::new("/run/systemd/system").is_dir();
    Ok(podman_notes(rootless.as_deref(), local_without_systemd))
}

fn podman_notes(rootless: Option<&str>, local_without_systemd: bool) -> Vec<String> {
    let mut notes = Vec::new();
    match rootless.map(str::trim) {
        Some("true") => notes.push(
            "rootless podman: containers run in your user namespace (root inside is you, USER 65532 a \
             subordinate UID from /etc/subuid); verify passes no --userns"
                .to_string(),
        ),
        Some("false") => notes.push(
            "rootful podman (run as root): no user namespace, as with docker; rootless podman was not checked"
                .to_string(),
        ),
        _ => {}
    }
    notes.push(
        "built with `podman build --format docker`: podman's default OCI format drops the Dockerfile's HEALTHCHECK; \
         the build stage stays as untagged images, podman's layer cache (`podman image prune` removes them)"
            .to_string(),
    );
    if local_without_systemd {
        notes.push(
            "no systemd here: podman runs HEALTHCHECK only through systemd timers, so `podman ps` shows the \
             container `starting` for ever; verify does not read the health status, it probes the health path itself"
                .to_string(),
        );
    }
    notes
}

/// What the compose provider said it did differently, from its output: podman-compose
/// on podman 4.3 starts a service without waiting for `depends_on: condition:
/// service_healthy` and says so.
pub fn compose_notes(tool: &str, lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line.trim())
        .filter_map(|line| line.find("Ignored").map(|start| &line[start..]))
        .filter(|said| said.contains("condition"))
        .map(|said| {
            format!(
                "{tool} did not wait for `depends_on: condition: service_healthy` (it said: {said}); verify waited \
                 for the readiness path itself, which answers only when the dependencies do"
            )
        })
        .collect()
}

/// Why a container could not be started, when the engine's words are obscure: rootful
/// podman sets every container's open-files and process limits to 1048576 and 4194304,
/// and runc cannot raise them above this machine's hard limits without
/// CAP_SYS_RESOURCE (root inside a container lacks it).
pub fn explain_start_failure(kind: EngineKind, reason: &str) -> Option<String> {
    (kind == EngineKind::Podman && reason.contains("error setting rlimit")).then(|| {
        "podman gives every container 1048576 open files and 4194304 processes, more than this machine's hard \
         limits (`ulimit -Hn`, `ulimit -Hu`), and root here may not raise them (no CAP_SYS_RESOURCE, e.g. root inside \
         a container): cap them in /etc/containers/containers.conf, section [containers], \
         `default_ulimits = [\"nofile=N:N\", \"nproc=M:M\"]` with N and M at most those limits"
            .to_string()
    })
}

/// Why `podman-compose config` failed, when the reason is the provider's age: Debian
/// 12 ships podman-compose 1.0.3, which has no `config` command (verify reads the
/// normalized compose file through it).
pub fn explain_compose_config_failure(tool: &str, stderr: &str) -> Option<String> {
    stderr.contains("invalid choice: 'config'").then(|| {
        format!(
            "--compose reads the compose file through `{tool} config`, and this {tool} has no `config` command \
             (podman-compose before 1.0.6, such as Debian 12's 1.0.3): install a newer one with \
             `pip install podman-compose`, or verify without --compose"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_gets_its_own_arguments_and_docker_none() {
        assert!(build_args(EngineKind::Docker).is_empty());
        assert_eq!(build_args(EngineKind::Podman), ["--format", "docker"]);
        assert_eq!(label_field(EngineKind::Docker, "a.b"), "{{.Label \"a.b\"}}");
        assert_eq!(
            label_field(EngineKind::Podman, "a.b"),
            "{{index .Labels \"a.b\"}}"
        );
        assert_eq!(remove_containers(EngineKind::Docker), ["rm", "-f", "-v"]);
        assert_eq!(
            remove_containers(EngineKind::Podman).last(),
            Some(&"--depend")
        );
    }

    #[test]
    fn a_missing_image_is_recognised_in_both_engines_words() {
        assert!(image_is_missing("Error: No such image: p-worker:verify"));
        assert!(image_is_missing("Error: p-worker:verify: image not known"));
        assert!(!image_is_missing("Error: image is in use by a container"));
    }

    #[test]
    fn podman_notes_say_rootful_or_rootless_the_format_and_the_health_checks() {
        let rootful = podman_notes(Some("false\n"), true);
        assert!(rootful[0].starts_with("rootful podman"), "{rootful:?}");
        assert!(rootful[1].contains("--format docker"), "{rootful:?}");
        assert!(rootful[2].contains("systemd"), "{rootful:?}");
        let rootless = podman_notes(Some("true"), false);
        assert!(rootless[0].starts_with("rootless podman"), "{rootless:?}");
        assert_eq!(rootless.len(), 2, "systemd runs: {rootless:?}");
        assert_eq!(podman_notes(None, false).len(), 1);
    }

    /// The line podman-compose 1.6.0 prints on podman 4.3.1.
    #[test]
    fn an_ignored_health_condition_is_reported() {
        let lines = [
            "scaffold-verify-p-1_redis_1".to_string(),
            "WARNING:podman_compose:Ignored redis condition check due to podman 4.3.1 doesn't support healthy!"
                .to_string(),
        ];
        let notes = compose_notes("podman-compose", &lines);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("(it said: Ignored redis condition check due to podman 4.3.1"),
            "{notes:?}"
        );
        assert!(compose_notes("podman-compose", &lines[..1]).is_empty());
    }

    /// The words runc says as root inside a container (this CI machine).
    #[test]
    fn rlimit_failures_are_explained_for_podman_only() {
        let reason = "Error: runc: runc create failed: unable to start container process: error during container \
                      init: error setting rlimits for ready process: error setting rlimit type 7: operation not \
                      permitted: OCI permission denied";
        let hint = explain_start_failure(EngineKind::Podman, reason).unwrap();
        assert!(hint.contains("default_ulimits"), "{hint}");
        assert!(explain_start_failure(EngineKind::Docker, reason).is_none());
        assert!(explain_start_failure(EngineKind::Podman, "port is already allocated").is_none());
    }

    /// What Debian 12's podman-compose 1.0.3 prints for `config`.
    #[test]
    fn an_old_podman_compose_is_named_as_the_cause() {
        let stderr = "usage: podman-compose [-h] [-v] [-f file] [-p PROJECT_NAME]\npodman-compose: error: argument \
                      command: invalid choice: 'config' (choose from 'help', 'version', 'pull', 'push', 'build', 'up', \
                      'down', 'ps', 'run', 'exec', 'start', 'stop', 'restart', 'logs')";
        let hint = explain_compose_config_failure("podman-compose", stderr).unwrap();
        assert!(hint.contains("pip install podman-compose"), "{hint}");
        assert!(explain_compose_config_failure("podman-compose", "yaml: line 3").is_none());
    }
}
