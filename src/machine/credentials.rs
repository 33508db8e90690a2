//! Docker's credential helpers: `credsStore` and `credHelpers` in the docker config
//! name programs `docker-credential-NAME` that docker runs for every pull and every
//! build that pulls. Docker Desktop writes `"credsStore": "desktop.exe"` into the
//! config WSL shares, and inside WSL that program is only on PATH through the Windows
//! PATH: then every pull fails with `docker-credential-desktop.exe: executable file
//! not found in $PATH`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::Severity;
use crate::engine::Runner;

pub const CHECK: &str = "credentials";

pub static HELPER_MISSING: HostRule = HostRule {
    id: "SH301",
    name: "credential-helper-missing",
    severity: Severity::Error,
    summary: "The docker config names a credential helper that is not on PATH.",
    why: "docker runs `docker-credential-NAME` for every pull, also of public images in a build's FROM; when it is not found the pull fails (`error getting credentials - err: exec: \"docker-credential-desktop.exe\": executable file not found in $PATH`).",
    fix: "Install the helper or put it on PATH (inside WSL: Docker Desktop's WSL integration, or appendWindowsPath); or remove the `credsStore`/`credHelpers` entry from the docker config and `docker login` again.",
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub config: PathBuf,
    /// Its text, when there is one.
    pub text: Option<String>,
    /// The helper programs it names that are on PATH.
    pub on_path: BTreeSet<String>,
}

pub fn gather(runner: &Arc<dyn Runner>) -> Facts {
    let config = super::docker_config_path();
    let text = super::read_small(&config);
    let on_path = text
        .as_deref()
        .map(helpers)
        .unwrap_or_default()
        .into_iter()
        .map(|(_, program)| program)
        .filter(|program| runner.locate(program).is_some())
        .collect();
    Facts {
        config,
        text,
        on_path,
    }
}

/// Where each helper is named (`credsStore`, `credHelpers."gcr.io"`) and its program.
pub fn helpers(config: &str) -> Vec<(String, String)> {
    let Ok(value) = serde_json::from_str::<Value>(config) else {
        return Vec::new();
    };
    let program = |name: &str| format!("docker-credential-{name}");
    let mut named = Vec::new();
    if let Some(store) = value
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        named.push(("credsStore".to_string(), program(store)));
    }
    if let Some(helpers) = value.get("credHelpers").and_then(Value::as_object) {
        for (registry, helper) in helpers {
            if let Some(name) = helper.as_str().filter(|s| !s.is_empty()) {
                named.push((format!("credHelpers.\"{registry}\""), program(name)));
            }
        }
    }
    named
}

pub fn check(facts: &Facts) -> Report {
    let Some(text) = &facts.text else {
        return Report::not_applicable(
            CHECK,
            format!(
                "no docker config at {} (docker uses no credential helper)",
                facts.config.display()
            ),
        );
    };
    if serde_json::from_str::<Value>(text).is_err() {
        return Report::checked(
            CHECK,
            format!(
                "{} is not valid JSON (docker will refuse it too)",
                facts.config.display()
            ),
            Vec::new(),
        );
    }
    let named = helpers(text);
    if named.is_empty() {
        return Report::checked(
            CHECK,
            format!("{}: no credential helper", facts.config.display()),
            Vec::new(),
        );
    }
    let findings = named
        .iter()
        .filter(|(_, program)| !facts.on_path.contains(program))
        .map(|(key, program)| {
            HostFinding::new(
                &HELPER_MISSING,
                format!("`{key}` in {} names `{program}`, which is not on PATH", facts.config.display()),
            )
            .hint(format!(
                "put `{program}` on PATH{}, or remove `{key}` from {} and `docker login` again",
                if program.ends_with(".exe") { " (inside WSL: turn on Docker Desktop's WSL integration for this distro, or appendWindowsPath in /etc/wsl.conf)" } else { "" },
                facts.config.display()
            ))
        })
        .collect();
    let list: Vec<&str> = named.iter().map(|(_, program)| program.as_str()).collect();
    Report::checked(
        CHECK,
        format!("{} names {}", facts.config.display(), list.join(", ")),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Docker Desktop writes into the config WSL shares.
    pub const DESKTOP_CONFIG: &str = r#"{
	"auths": {
		"https://index.docker.io/v1/": {}
	},
	"credsStore": "desktop.exe",
	"currentContext": "default"
}"#;

    const CLOUD_CONFIG: &str = r#"{"auths":{},"credHelpers":{"gcr.io":"gcloud","123456789012.dkr.ecr.eu-west-1.amazonaws.com":"ecr-login"}}"#;

    fn facts(text: &str, on_path: &[&str]) -> Facts {
        Facts {
            config: PathBuf::from("/home/me/.docker/config.json"),
            text: Some(text.to_string()),
            on_path: on_path.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn desktop_exe_from_wsl_without_the_windows_path() {
        let report = check(&facts(DESKTOP_CONFIG, &[]));
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.rule.id, "SH301");
        assert!(
            finding.message.contains("`docker-credential-desktop.exe`"),
            "{finding:?}"
        );
        assert!(
            finding.fix_text().contains("WSL integration"),
            "{finding:?}"
        );
    }

    #[test]
    fn a_helper_that_is_there_is_fine() {
        assert!(
            check(&facts(DESKTOP_CONFIG, &["docker-credential-desktop.exe"]))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn per_registry_helpers_each_count() {
        let report = check(&facts(CLOUD_CONFIG, &["docker-credential-gcloud"]));
        assert_eq!(report.findings.len(), 1);
        assert!(
            report.findings[0]
                .message
                .contains("docker-credential-ecr-login"),
            "{report:?}"
        );
    }

    #[test]
    fn no_config_or_no_helper() {
        let none = Facts {
            text: None,
            ..facts("", &[])
        };
        assert!(matches!(
            check(&none).state,
            super::super::finding::State::NotApplicable(_)
        ));
        assert!(check(&facts(r#"{"auths":{}}"#, &[])).findings.is_empty());
        assert!(check(&facts(r#"{"credsStore":""}"#, &[]))
            .findings
            .is_empty());
    }
}
