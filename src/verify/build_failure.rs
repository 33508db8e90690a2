//! Why a build failed, when its log says so plainly: the machine's network, not the
//! project. Behind a TLS-intercepting company proxy, on a VPN that breaks DNS inside
//! containers, or with the engine's clock off after sleep, `go mod download` fails in
//! the build only, and its log line alone does not say what to do.

use std::sync::OnceLock;

use regex::Regex;

/// What the project already does about the network, so the advice is the next step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildNetwork {
    /// The project trusts a build CA (`scaffold new --ca-cert`).
    pub ca_cert: bool,
    /// verify passed the caller's proxy variables to the build.
    pub proxy_passed: bool,
    /// HTTP(S)_PROXY is set where verify runs.
    pub proxy_in_env: bool,
}

/// A cause found in the log, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildCause {
    /// The kind, for tests and scripts: `unknown-authority`, `clock`, `dns`.
    pub kind: &'static str,
    /// The log line that shows it.
    pub evidence: String,
    pub cause: String,
    pub fix: String,
}

impl BuildCause {
    /// As the error shows it, after the failing step.
    pub fn describe(&self) -> String {
        format!(
            "Cause: {}\n  seen in: {}\nFix: {}",
            self.cause,
            self.evidence.trim(),
            self.fix
        )
    }
}

const DOCTOR_HOST: &str =
    "`scaffold doctor --host` checks this machine's proxy settings, DNS and clock";

/// The first network cause in a failed build's log (BuildKit, classic or buildah).
pub fn diagnose(lines: &[String], network: BuildNetwork) -> Option<BuildCause> {
    lines
        .iter()
        .find_map(|line| clock(line).or_else(|| authority(line, network)))
        .or_else(|| lines.iter().find_map(|line| dns(line, network)))
}

fn clock(line: &str) -> Option<BuildCause> {
    let seen = line.contains("certificate has expired or is not yet valid")
        || line.contains("certificate is not yet valid");
    seen.then(|| BuildCause {
        kind: "clock",
        evidence: line.to_string(),
        cause: "a TLS certificate was not valid at the builder's time: the clock of the engine (the Docker Desktop or WSL 2 virtual machine, after sleep) is probably off".into(),
        fix: format!(
            "set the clock right and build again: restart Docker Desktop, or run `wsl --shutdown` (inside WSL `sudo hwclock -s`); {DOCTOR_HOST}"
        ),
    })
}

fn authority(line: &str, network: BuildNetwork) -> Option<BuildCause> {
    let unknown = line.contains("x509: certificate signed by unknown authority");
    let other_name = line.contains("x509: certificate is valid for")
        || line.contains("x509: certificate is not valid for any names");
    if !unknown && !other_name {
        return None;
    }
    let cause = if other_name {
        "a download during the build was answered with a certificate for another name: a company proxy intercepts TLS"
    } else {
        "a download during the build (`go mod download`) was answered with a certificate the builder does not trust: a company proxy that intercepts TLS, or an in-house GOPROXY"
    };
    let fix = if network.ca_cert {
        "the project trusts certs/build-ca.pem, but not the certificate shown: replace that file with the company's root CA (not an intermediate or a server certificate) and build again; or point the build at a GOPROXY it trusts with `--build-arg GOPROXY=https://…`".to_string()
    } else {
        format!(
            "make the build trust the company's root CA: `scaffold update --ca-cert FILE` (new projects: `scaffold new --ca-cert FILE`), which the build stage trusts and the final image never holds; or point the build at a GOPROXY it trusts with `--build-arg GOPROXY=https://…`; {DOCTOR_HOST}"
        )
    };
    Some(BuildCause {
        kind: "unknown-authority",
        evidence: line.to_string(),
        cause: cause.into(),
        fix,
    })
}

fn dns(line: &str, network: BuildNetwork) -> Option<BuildCause> {
    static LOOKUP: OnceLock<Regex> = OnceLock::new();
    let lookup = LOOKUP.get_or_init(|| {
        Regex::new(
            r"lookup ([A-Za-z0-9.-]+)(?: on [^\s:]+(?::\d+)?)?(?:: (?:read|write|dial) udp \S+)?: (no such host|server misbehaving|i/o timeout|Temporary failure in name resolution)",
        )
        .unwrap()
    });
    let caps = lookup.captures(line)?;
    let host = &caps[1];
    if line.contains("proxyconnect") {
        return Some(BuildCause {
            kind: "dns",
            evidence: line.to_string(),
            cause: format!(
                "the builder could not resolve the proxy `{host}` named by HTTP(S)_PROXY ({})",
                &caps[2]
            ),
            fix: format!(
                "check the proxy address in HTTPS_PROXY/HTTP_PROXY (a name only the host's VPN resolves does not work inside containers: use the proxy's IP address), and list hosts reached directly in NO_PROXY; {DOCTOR_HOST}"
            ),
        });
    }
    let proxy = match (network.proxy_passed, network.proxy_in_env) {
        (false, true) => "your shell sets HTTP(S)_PROXY but the build did not get it: make the project pass it with `scaffold update --build-proxy` (or build with `--build-arg HTTP_PROXY --build-arg HTTPS_PROXY --build-arg NO_PROXY`); ",
        (false, false) => "if the network needs a proxy, set HTTPS_PROXY and pass it with `scaffold update --build-proxy`; ",
        (true, _) => "",
    };
    Some(BuildCause {
        kind: "dns",
        evidence: line.to_string(),
        cause: format!(
            "the builder could not resolve `{host}` ({}): DNS inside containers fails (a VPN often breaks it in WSL 2 and Docker Desktop), or only a proxy reaches the internet",
            &caps[2]
        ),
        fix: format!(
            "{proxy}or use a module proxy the build can reach with `--build-arg GOPROXY=https://…`; {DOCTOR_HOST}"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    /// docker 20.10's BuildKit, `go mod download` behind an intercepting proxy.
    const BUILDKIT_X509: &str = "\
#11 [build 5/8] RUN --mount=type=cache,target=/go/pkg/mod go mod download
#11 0.731 go: example.com/greet@v1.0.0: Get \"https://127.0.0.1:40123/example.com/greet/@v/v1.0.0.mod\": tls: failed to verify certificate: x509: certificate signed by unknown authority
#11 ERROR: executor failed running [/bin/sh -c go mod download]: exit code: 1
------
 > [build 5/8] RUN --mount=type=cache,target=/go/pkg/mod go mod download:
------
executor failed running [/bin/sh -c go mod download]: exit code: 1";

    /// podman 4 (buildah), DNS broken by a VPN.
    const BUILDAH_DNS: &str = "\
[1/2] STEP 9/13: RUN --mount=type=cache,target=/go/pkg/mod go mod download
go: github.com/redis/go-redis/v9@v9.5.1: Get \"https://proxy.golang.org/github.com/redis/go-redis/v9/@v/v9.5.1.mod\": dial tcp: lookup proxy.golang.org on 10.0.2.3:53: server misbehaving
Error: building at STEP \"RUN --mount=type=cache,target=/go/pkg/mod go mod download\": while running runtime: exit status 1";

    #[test]
    fn an_unknown_authority_names_the_ca_flag() {
        let cause = diagnose(&log(BUILDKIT_X509), BuildNetwork::default()).unwrap();
        assert_eq!(cause.kind, "unknown-authority");
        assert!(cause.fix.contains("--ca-cert") && cause.fix.contains("doctor --host"));
        assert!(cause.evidence.contains("#11 0.731"));
        let with_ca = BuildNetwork {
            ca_cert: true,
            ..Default::default()
        };
        let cause = diagnose(&log(BUILDKIT_X509), with_ca).unwrap();
        assert!(cause.fix.contains("replace that file"), "{}", cause.fix);
    }

    #[test]
    fn a_certificate_for_another_name_is_interception() {
        let line = "#9 1.2 go: Get \"https://proxy.golang.org/x/@v/list\": x509: certificate is valid for *.corp.example, not proxy.golang.org";
        assert_eq!(
            diagnose(&log(line), BuildNetwork::default()).unwrap().kind,
            "unknown-authority"
        );
    }

    #[test]
    fn a_certificate_not_yet_valid_is_the_clock() {
        let line = "go: example.com/m@v1.0.0: Get \"https://proxy.golang.org/example.com/m/@v/v1.0.0.mod\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2019-01-01T00:00:00Z is before 2024-05-01T00:00:00Z";
        let cause = diagnose(&log(line), BuildNetwork::default()).unwrap();
        assert_eq!(cause.kind, "clock");
        assert!(cause.fix.contains("wsl --shutdown"));
    }

    #[test]
    fn dns_failures_name_the_host_and_the_proxy_flag_when_the_shell_has_one() {
        let cause = diagnose(&log(BUILDAH_DNS), BuildNetwork::default()).unwrap();
        assert_eq!(cause.kind, "dns");
        assert!(cause
            .cause
            .contains("`proxy.golang.org` (server misbehaving)"));
        assert!(cause.fix.contains("GOPROXY") && cause.fix.contains("doctor --host"));
        let in_env = BuildNetwork {
            proxy_in_env: true,
            ..Default::default()
        };
        let cause = diagnose(&log(BUILDAH_DNS), in_env).unwrap();
        assert!(cause.fix.contains("did not get it") && cause.fix.contains("--build-proxy"));
        let passed = BuildNetwork {
            proxy_passed: true,
            proxy_in_env: true,
            ..Default::default()
        };
        assert!(!diagnose(&log(BUILDAH_DNS), passed)
            .unwrap()
            .fix
            .contains("--build-proxy"));
        for line in [
            "#10 0.3 go: example.com/m@v1.0.0: Get \"https://proxy.golang.org/example.com/m/@v/v1.0.0.mod\": dial tcp: lookup proxy.golang.org: no such host",
            "#10 10.0 dial tcp: lookup proxy.golang.org on 192.168.65.7:53: read udp 172.17.0.2:41234->192.168.65.7:53: i/o timeout",
            "#10 5.0 dial tcp: lookup proxy.golang.org on 10.0.2.3:53: i/o timeout",
        ] {
            let found = diagnose(&log(line), BuildNetwork::default()).unwrap();
            assert!(found.cause.contains("`proxy.golang.org`"), "{line}");
        }
    }

    #[test]
    fn a_proxy_that_does_not_resolve_is_named_as_the_proxy() {
        let line = "#11 0.8 go: example.test/greet@v1.0.0: Get \"https://proxy.golang.org/example.test/greet/@v/v1.0.0.mod\": proxyconnect tcp: dial tcp: lookup proxy.corp.invalid on 10.255.255.53:53: no such host";
        let cause = diagnose(&log(line), BuildNetwork::default()).unwrap();
        assert!(
            cause.cause.contains("the proxy `proxy.corp.invalid`"),
            "{}",
            cause.cause
        );
        assert!(cause.fix.contains("NO_PROXY"));
    }

    #[test]
    fn other_failures_have_no_network_cause() {
        let compile = "#12 0.2 cmd/demo/main.go:4:2: undefined: x\n#12 ERROR: executor failed running [/bin/sh -c go build]: exit code: 1";
        assert_eq!(diagnose(&log(compile), BuildNetwork::default()), None);
    }
}
