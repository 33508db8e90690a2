//! Proxies: a company proxy set in this shell (`HTTPS_PROXY`…) reaches `docker pull`
//! through the daemon's own settings, never the `RUN` steps of a build: those see a
//! proxy only through docker's config `proxies` (which docker passes as build args) or
//! `--build-arg`. Go's module settings (`GOPROXY`, `GOPRIVATE`, `GOSUMDB`) are the same:
//! a build uses the Dockerfile's, whatever `go env` says here.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde_json::Value;

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::dockerfile::{self, Arguments};
use crate::doctor::Severity;
use crate::engine::{Runner, Tool};

pub const CHECK: &str = "proxy";

pub static PROXY_NOT_PASSED: HostRule = HostRule {
    id: "SH401",
    name: "proxy-not-passed-to-builds",
    severity: Severity::Warning,
    summary: "HTTP(S)_PROXY is set on this machine, and docker passes no proxy to builds.",
    why: "A build's RUN steps (`go mod download`, `apk add`) do not see this shell's variables; behind a proxy that is the only way out, they fail with timeouts or `dial tcp: lookup proxy.golang.org` while everything on the host works.",
    fix: "Add a `proxies` section to the docker config (`{\"proxies\": {\"default\": {\"httpProxy\": …, \"httpsProxy\": …, \"noProxy\": …}}}`), which docker passes to every build and container, or pass `--build-arg HTTPS_PROXY` (and HTTP_PROXY, NO_PROXY) to each build.",
};

pub static GO_SETTING_NOT_IN_BUILD: HostRule = HostRule {
    id: "SH402",
    name: "go-setting-not-in-build",
    severity: Severity::Warning,
    summary: "Go's GOPROXY, GOPRIVATE or GOSUMDB is set here, and the Dockerfile has no ARG to take it.",
    why: "The build's `go mod download` uses Go's defaults (proxy.golang.org, sum.golang.org): behind a company module proxy, or with private modules, it fails (`410 Gone`, `verifying module: … not found`) although `go build` works on the host.",
    fix: "Declare `ARG GOPROXY`, `ARG GOPRIVATE`, `ARG GOSUMDB` in the build stage (scaffold's Dockerfile does) and build with `--build-arg GOPROXY=…`.",
};

pub static GO_SETTING_NEEDS_BUILD_ARG: HostRule = HostRule {
    id: "SH403",
    name: "go-setting-needs-build-arg",
    severity: Severity::Info,
    summary: "Go's GOPROXY, GOPRIVATE or GOSUMDB differs from the Dockerfile's ARG default.",
    why: "The Dockerfile takes the setting as a build arg, and a build without `--build-arg` uses the default written there, not this machine's value.",
    fix: "Build with `--build-arg NAME=VALUE` (compose: `build.args`), or change the ARG's default.",
};

/// The shell's proxy variables, upper and lower case (curl and Go read both): the
/// same names Docker predefines as build args.
pub use crate::verify::build::PROXY_BUILD_ARGS as PROXY_VARIABLES;

/// Go's settings that decide where modules come from, with Go's defaults.
pub const GO_SETTINGS: [(&str, &str); 3] = [
    ("GOPROXY", "https://proxy.golang.org,direct"),
    ("GOPRIVATE", ""),
    ("GOSUMDB", "sum.golang.org"),
];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// Proxy variables set (non-empty) in this environment.
    pub proxy_env: Vec<(String, String)>,
    pub docker_config: PathBuf,
    pub docker_config_text: Option<String>,
    /// Go's settings here, and where they were read (`go env` or the environment).
    pub go: Vec<(String, String)>,
    pub go_source: &'static str,
    /// The project's Dockerfile: its name and text.
    pub dockerfile: Option<(String, String)>,
}

pub fn gather(dir: &Path, runner: &Arc<dyn Runner>) -> Facts {
    let proxy_env = PROXY_VARIABLES
        .iter()
        .filter_map(|name| {
            let value = std::env::var(name).ok().filter(|v| !v.trim().is_empty())?;
            Some((name.to_string(), value))
        })
        .collect();
    let docker_config = super::docker_config_path();
    let (go, go_source) = match go_env(runner) {
        Some(go) => (go, "go env"),
        None => (
            GO_SETTINGS
                .iter()
                .filter_map(|(name, _)| Some((name.to_string(), std::env::var(name).ok()?)))
                .collect(),
            "the environment (no go on PATH)",
        ),
    };
    let dockerfile = ["Dockerfile", "Containerfile"]
        .iter()
        .find_map(|name| Some((name.to_string(), super::read_small(&dir.join(name))?)));
    Facts {
        proxy_env,
        docker_config_text: super::read_small(&docker_config),
        docker_config,
        go,
        go_source,
        dockerfile,
    }
}

/// `go env -json GOPROXY GOPRIVATE GOSUMDB`, when go is installed.
fn go_env(runner: &Arc<dyn Runner>) -> Option<Vec<(String, String)>> {
    let go = Tool::new(runner.locate("go")?, &[], Arc::clone(runner));
    let mut args = vec!["env", "-json"];
    args.extend(GO_SETTINGS.iter().map(|(name, _)| *name));
    let answer = go.output(&args).ok().filter(|answer| answer.success)?;
    let value: Value = serde_json::from_str(&answer.stdout).ok()?;
    Some(
        GO_SETTINGS
            .iter()
            .filter_map(|(name, _)| {
                Some((name.to_string(), value.get(name)?.as_str()?.to_string()))
            })
            .collect(),
    )
}

pub fn check(facts: &Facts) -> Report {
    let mut findings = Vec::new();
    let mut seen = vec![proxies(facts, &mut findings)];
    seen.push(go_settings(facts, &mut findings));
    Report::checked(CHECK, seen.join("; "), findings)
}

/// The proxy keys set in any entry of the docker config's `proxies`.
pub fn docker_proxy_keys(config: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(config) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = value
        .get("proxies")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|entries| entries.values())
        .filter_map(Value::as_object)
        .flat_map(|entry| entry.iter())
        .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn proxies(facts: &Facts, findings: &mut Vec<HostFinding>) -> String {
    let set: Vec<&str> = facts
        .proxy_env
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !name.eq_ignore_ascii_case("NO_PROXY"))
        .collect();
    if set.is_empty() {
        return "no HTTP(S)_PROXY set here".to_string();
    }
    let keys = facts
        .docker_config_text
        .as_deref()
        .map(docker_proxy_keys)
        .unwrap_or_default();
    let passed = keys.iter().any(|k| k == "httpProxy" || k == "httpsProxy");
    if passed {
        return format!(
            "{} set here; the docker config passes {}",
            set.join(", "),
            keys.join(", ")
        );
    }
    let config = facts.docker_config.display();
    let no_proxy = facts
        .proxy_env
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("NO_PROXY"))
        .map(|(_, value)| format!(", \"noProxy\": \"{value}\""))
        .unwrap_or_default();
    let value_of = |wanted: &str| {
        facts
            .proxy_env
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| without_password(v))
    };
    let https = value_of("HTTPS_PROXY")
        .or(value_of("HTTP_PROXY"))
        .unwrap_or_default();
    let http = value_of("HTTP_PROXY")
        .or(value_of("HTTPS_PROXY"))
        .unwrap_or_default();
    findings.push(
        HostFinding::new(
            &PROXY_NOT_PASSED,
            format!(
                "{} {} set in this environment, and {config} has no `proxies`, so builds and containers get no proxy",
                set.join(", "),
                if set.len() == 1 { "is" } else { "are" }
            ),
        )
        .hint(format!(
            "add to {config}: {{\"proxies\": {{\"default\": {{\"httpProxy\": \"{http}\", \"httpsProxy\": \"{https}\"{no_proxy}}}}}}} \
             (Docker Desktop: Settings → Resources → Proxies), or pass `--build-arg HTTPS_PROXY --build-arg HTTP_PROXY --build-arg NO_PROXY` to each build"
        )),
    );
    format!("{} set here; no proxy in the docker config", set.join(", "))
}

/// A proxy URL fit to print: `http://user:secret@proxy:3128` keeps its user and loses
/// its password (findings end up in CI logs and issue reports).
fn without_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let user = rest[..at].split(':').next().unwrap_or_default();
    format!("{}{user}:***{}", &url[..scheme_end], &rest[at..])
}

/// What the Dockerfile does with Go's settings: the ARGs it declares (name → default)
/// and ENVs it sets, and whether any RUN runs `go`.
struct GoInBuild {
    args: Vec<(String, String)>,
    envs: Vec<String>,
    runs_go: bool,
}

fn read_dockerfile(text: &str) -> Option<GoInBuild> {
    static GO: OnceLock<Regex> = OnceLock::new();
    let go = GO.get_or_init(|| {
        Regex::new(r"(^|[\s;&|(])go\s+(mod|build|install|get|run|test|generate|vet|work|list)\b")
            .unwrap()
    });
    let parsed = dockerfile::parse(text).ok()?;
    let mut found = GoInBuild {
        args: Vec::new(),
        envs: Vec::new(),
        runs_go: false,
    };
    for instruction in &parsed.instructions {
        match instruction.keyword.as_str() {
            "ARG" => {
                found
                    .args
                    .extend(instruction.words().into_iter().map(
                        |word| match word.split_once('=') {
                            Some((name, value)) => (name.to_string(), value.to_string()),
                            None => (word, String::new()),
                        },
                    ))
            }
            "ENV" => found.envs.extend(
                dockerfile::env_pairs(instruction)
                    .into_iter()
                    .map(|(name, _)| name),
            ),
            "RUN" => {
                found.runs_go |= matches!(instruction.args, Arguments::Exec(ref words) if words.first().is_some_and(|w| w == "go"))
                    || instruction
                        .scripts()
                        .iter()
                        .any(|script| go.is_match(script))
            }
            _ => {}
        }
    }
    Some(found)
}

fn go_settings(facts: &Facts, findings: &mut Vec<HostFinding>) -> String {
    let changed: Vec<(&str, &str)> = facts
        .go
        .iter()
        .filter(|(name, value)| {
            GO_SETTINGS.iter().any(|(known, default)| {
                known == name && value.trim() != *default && !value.trim().is_empty()
            })
        })
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    if changed.is_empty() {
        return format!(
            "Go's module settings are the defaults (from {})",
            facts.go_source
        );
    }
    let listed = changed
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some((name, text)) = &facts.dockerfile else {
        return format!(
            "{listed} here (from {}); no Dockerfile to compare",
            facts.go_source
        );
    };
    let Some(build) = read_dockerfile(text) else {
        return format!("{listed} here; {name} does not parse");
    };
    if !build.runs_go {
        return format!("{listed} here; {name} runs no `go` command");
    }
    for (setting, value) in &changed {
        if build.envs.iter().any(|env| env == setting) {
            continue; // the Dockerfile decides, on purpose
        }
        let declared = |wanted: &str| build.args.iter().any(|(arg, _)| arg == wanted);
        if *setting == "GOSUMDB" && !declared("GOSUMDB") && declared("GONOSUMDB") {
            // GONOSUMDB (module patterns) is how such a Dockerfile skips the checksum
            // database for private modules: the build can be told, no edit needed.
            findings.push(
                HostFinding::new(
                    &GO_SETTING_NEEDS_BUILD_ARG,
                    format!("GOSUMDB={value} here, and {name} takes `ARG GONOSUMDB` (no `ARG GOSUMDB`)"),
                )
                .hint("build with `--build-arg GONOSUMDB=PATTERNS` (or `--build-arg GOPRIVATE=PATTERNS`) naming the modules the checksum database must skip"),
            );
            continue;
        }
        match build.args.iter().find(|(arg, _)| arg == setting) {
            None => findings.push(
                HostFinding::new(
                    &GO_SETTING_NOT_IN_BUILD,
                    format!("{setting}={value} here (from {}), and {name} declares no `ARG {setting}`: its `go` steps use Go's default", facts.go_source),
                )
                .hint(format!("add `ARG {setting}` to the build stage of {name} before `go mod download`, and build with `--build-arg {setting}={value}`")),
            ),
            Some((_, default)) if default != value => findings.push(
                HostFinding::new(
                    &GO_SETTING_NEEDS_BUILD_ARG,
                    match default.as_str() {
                        "" => format!("{setting}={value} here, and {name} declares `ARG {setting}` with no default"),
                        _ => format!("{setting}={value} here, and {name} defaults `ARG {setting}` to `{default}`"),
                    },
                )
                .hint(format!("build with `--build-arg {setting}={value}` (compose: `build.args`)")),
            ),
            Some(_) => {}
        }
    }
    format!(
        "{listed} here (from {}); compared with {name}",
        facts.go_source
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build stage of the Dockerfile scaffold generates.
    pub const SCAFFOLD_DOCKERFILE: &str = "ARG GO_IMAGE=golang:1.22-alpine\nFROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build\nARG TARGETOS\nARG TARGETARCH\nARG GOPROXY=https://proxy.golang.org,direct\nARG GOPRIVATE=\nARG GONOSUMDB=\nARG GOFLAGS=\nWORKDIR /src\nCOPY go.mod go.sum* ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app ./cmd/app\nFROM scratch\nCOPY --from=build /out/app /app\n";

    /// A Dockerfile of the common blog-post shape, without build args.
    const PLAIN_DOCKERFILE: &str = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go mod download && go build -o /app .\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n";

    fn facts() -> Facts {
        Facts {
            proxy_env: Vec::new(),
            docker_config: PathBuf::from("/home/me/.docker/config.json"),
            docker_config_text: Some(r#"{"auths":{}}"#.into()),
            go: vec![
                ("GOPROXY".into(), "https://proxy.golang.org,direct".into()),
                ("GOPRIVATE".into(), "".into()),
                ("GOSUMDB".into(), "sum.golang.org".into()),
            ],
            go_source: "go env",
            dockerfile: Some(("Dockerfile".into(), SCAFFOLD_DOCKERFILE.into())),
        }
    }

    fn ids(facts: &Facts) -> Vec<&'static str> {
        check(facts).findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn a_proxy_in_the_shell_and_none_for_builds() {
        let mut facts = facts();
        facts.proxy_env = vec![
            (
                "HTTPS_PROXY".into(),
                "http://proxy.corp.example:3128".into(),
            ),
            ("NO_PROXY".into(), "localhost,.corp.example".into()),
        ];
        let report = check(&facts);
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.rule.id, "SH401");
        assert!(finding.fix_text().contains(r#""httpsProxy": "http://proxy.corp.example:3128", "noProxy": "localhost,.corp.example""#), "{finding:?}");
        facts.docker_config_text = None;
        assert_eq!(ids(&facts), ["SH401"]);
    }

    #[test]
    fn a_proxy_the_docker_config_passes_on() {
        let mut facts = facts();
        facts.proxy_env = vec![("https_proxy".into(), "http://proxy:3128".into())];
        facts.docker_config_text = Some(
            r#"{"proxies":{"default":{"httpsProxy":"http://proxy:3128","noProxy":"localhost"}}}"#
                .into(),
        );
        assert!(ids(&facts).is_empty());
        facts.proxy_env = vec![("NO_PROXY".into(), "localhost".into())];
        facts.docker_config_text = None;
        assert!(ids(&facts).is_empty(), "NO_PROXY alone needs no proxy");
    }

    #[test]
    fn a_company_goproxy_and_a_dockerfile_without_the_arg() {
        let mut facts = facts();
        facts.go[0].1 = "https://goproxy.corp.example,direct".into();
        facts.go[1].1 = "git.corp.example/*".into();
        facts.go[2].1 = "off".into();
        facts.dockerfile = Some(("Dockerfile".into(), PLAIN_DOCKERFILE.into()));
        assert_eq!(ids(&facts), ["SH402", "SH402", "SH402"]);
    }

    #[test]
    fn scaffolds_dockerfile_takes_the_args_and_needs_them_passed() {
        let mut facts = facts();
        facts.go[0].1 = "https://goproxy.corp.example,direct".into();
        let report = check(&facts);
        assert_eq!(
            report
                .findings
                .iter()
                .map(|f| f.rule.id)
                .collect::<Vec<_>>(),
            ["SH403"]
        );
        assert!(report.findings[0]
            .fix_text()
            .contains("--build-arg GOPROXY=https://goproxy.corp.example,direct"));
        facts.go[2].1 = "off".into();
        assert_eq!(
            ids(&facts),
            ["SH403", "SH403"],
            "scaffold's Dockerfile takes GONOSUMDB instead"
        );
    }

    #[test]
    fn look_alikes_that_must_stay_silent() {
        assert!(ids(&facts()).is_empty(), "Go's defaults");
        let mut facts = facts();
        facts.go[0].1 = "https://goproxy.cn,direct".into();
        facts.dockerfile = Some((
            "Dockerfile".into(),
            "FROM alpine\nCOPY app /app\nRUN apk add ca-certificates\n".into(),
        ));
        assert!(ids(&facts).is_empty(), "no go in the build");
        facts.dockerfile = Some((
            "Dockerfile".into(),
            "FROM golang:1.22\nENV GOPROXY=https://goproxy.cn,direct\nRUN go build .\n".into(),
        ));
        assert!(ids(&facts).is_empty(), "the Dockerfile sets it itself");
        facts.dockerfile = Some((
            "Dockerfile".into(),
            "FROM golang:1.22\nARG GOPROXY=https://goproxy.cn,direct\nRUN go build .\n".into(),
        ));
        assert!(
            ids(&facts).is_empty(),
            "the ARG default is this machine's value"
        );
        facts.dockerfile = None;
        assert!(ids(&facts).is_empty(), "no Dockerfile");
    }

    #[test]
    fn a_proxy_password_is_never_printed() {
        assert_eq!(
            without_password("http://jo:s3cr@t@proxy.corp:3128/"),
            "http://jo:***@proxy.corp:3128/"
        );
        assert_eq!(
            without_password("http://proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        assert_eq!(without_password("proxy.corp:3128"), "proxy.corp:3128");
    }
}
