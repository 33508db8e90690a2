//! The rules' judgement on real-world shapes (tests/fixtures/doctor/<shape>/), through
//! the real binary: each shape that must trip a rule, and the look-alikes that must
//! not (issue 9: CRLF Dockerfiles, module stages and cache mounts, privilege-dropping
//! entrypoints and known images, ARG placeholders, compose binds, images and targets,
//! test-only Dockerfiles, TLS evidence for scratch, downloads hidden behind make or a
//! script, old vendored modules), plus the output: confidence, the breaking-first text
//! layout, `--explain`.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::scaffold;

/// `scaffold doctor --format json` on a copy of the fixture `shape`: its findings.
fn findings(shape: &str) -> Vec<Value> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/doctor")
        .join(shape);
    assert!(source.is_dir(), "missing fixture {}", source.display());
    let temp = tempfile::tempdir().unwrap();
    for (path, bytes) in support::read_tree(&source) {
        let target = temp.path().join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
    findings_in(temp.path(), &[])
}

fn findings_in(dir: &Path, args: &[&str]) -> Vec<Value> {
    let output = doctor()
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    json["findings"].as_array().unwrap().clone()
}

fn doctor() -> assert_cmd::Command {
    let mut command = scaffold();
    let home = std::env::temp_dir().join("scaffold-tests-doctor-rules-home");
    fs::create_dir_all(&home).unwrap();
    command
        .arg("doctor")
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env_remove("WSL_DISTRO_NAME");
    command
}

/// The findings of one rule.
fn of<'a>(findings: &'a [Value], rule: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["rule"] == rule).collect()
}

/// `file:line severity confidence` of each finding of `rule`.
fn places(findings: &[Value], rule: &str) -> Vec<String> {
    of(findings, rule)
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f["file"].as_str().unwrap_or("-"),
                f["line"].as_u64().map_or("-".into(), |l| l.to_string()),
                f["severity"].as_str().unwrap(),
                f["confidence"].as_str().unwrap()
            )
        })
        .collect()
}

fn message<'a>(findings: &'a [Value], rule: &str) -> &'a str {
    of(findings, rule)
        .first()
        .unwrap_or_else(|| panic!("no {rule} in {findings:#?}"))["message"]
        .as_str()
        .unwrap()
}

// 9.4: CRLF in Dockerfiles.

#[test]
fn a_crlf_dockerfile_with_continuations_and_json_cmd_builds_so_it_is_only_info() {
    let found = findings("crlf-dockerfile-with-continuations-and-json-cmd");
    assert!(of(&found, "SD201").is_empty(), "{found:#?}");
    assert_eq!(places(&found, "SD202"), ["Dockerfile:1 info certain"]);
    assert!(message(&found, "SD202").contains("BuildKit strips"));
}

#[test]
fn crlf_inside_a_heredoc_body_is_an_error_at_its_line() {
    let found = findings("crlf-heredoc-script-in-dockerfile");
    assert_eq!(places(&found, "SD201"), ["Dockerfile:3 error certain"]);
    assert!(message(&found, "SD201").contains("heredoc `<<EOF`"));
}

#[test]
fn a_crlf_script_is_an_error_where_the_image_runs_it_and_a_warning_elsewhere() {
    let found = findings("crlf-entrypoint-copied-into-image");
    assert_eq!(
        places(&found, "SD201"),
        ["docker-entrypoint.sh:1 error certain"]
    );
    assert!(message(&found, "SD201").contains("run by the image that `Dockerfile` builds"));
    let found = findings("crlf-dev-script-no-image-runs");
    assert_eq!(
        places(&found, "SD201"),
        ["scripts/dev-setup.sh:1 warning likely"]
    );
}

// 9.5: modules kept by a modules stage or a cache mount on /go/pkg.

#[test]
fn a_modules_stage_copied_into_the_build_keeps_the_modules() {
    let found = findings("modules-stage-copied-into-build");
    assert!(of(&found, "SD301").is_empty(), "{found:#?}");
    assert!(of(&found, "SD302").is_empty(), "{found:#?}");
}

#[test]
fn a_cache_mount_on_go_pkg_keeps_the_modules_but_one_on_the_build_cache_does_not() {
    assert!(of(&findings("cache-mount-on-go-pkg"), "SD302").is_empty());
    let found = findings("cache-mount-on-build-cache-only");
    assert_eq!(places(&found, "SD302"), ["Dockerfile:6 warning likely"]);
}

// 9.6: root, privilege drops and known images.

#[test]
fn user_root_with_an_entrypoint_that_drops_privileges_is_not_root() {
    assert!(of(&findings("root-entrypoint-drops-with-su-exec"), "SD701").is_empty());
    assert!(of(&findings("gosu-in-entrypoint-line"), "SD701").is_empty());
    let found = findings("root-entrypoint-without-drop");
    assert_eq!(places(&found, "SD701"), ["Dockerfile:4 warning certain"]);
}

#[test]
fn a_base_image_with_its_own_non_root_user_is_not_root_and_an_unknown_one_is_unknown() {
    assert!(of(&findings("k6-extension-image"), "SD701").is_empty());
    let found = findings("unlisted-company-base-image");
    assert_eq!(places(&found, "SD701"), ["Dockerfile:1 info possible"]);
    assert!(message(&found, "SD701").contains("does not know which user"));
}

// 9.7: ARG placeholders.

#[test]
fn placeholder_base_images_are_judged_unknown_not_latest_or_root() {
    let found = findings("arg-placeholder-base-images");
    for rule in ["SD602", "SD701", "SD603", "SD501"] {
        assert!(of(&found, rule).is_empty(), "{rule}: {found:#?}");
    }
    // A real default is still judged, less surely: a --build-arg may replace it.
    let found = findings("arg-default-floating-base");
    assert_eq!(places(&found, "SD602"), ["Dockerfile:2 warning likely"]);
}

// 9.8: compose binds.

#[test]
fn relative_and_writable_binds_are_fine_but_pwd_is_not() {
    let found = findings("compose-relative-data-binds");
    assert!(
        found.iter().all(|f| f["rule"].as_str().unwrap() < "SD700"),
        "{found:#?}"
    );
    let found = findings("compose-pwd-bind");
    assert_eq!(
        places(&found, "SD705"),
        [
            "docker-compose.yml:5 warning certain",
            "docker-compose.yml:6 warning certain"
        ]
    );
    assert!(message(&found, "SD705").contains("PowerShell"));
    assert!(scaffold::doctor::rules::find("SD703").is_none());
    assert!(scaffold::doctor::rules::find("relative-bind-mount").is_none());
}

// 9.9: test-only Dockerfiles and the evidence for certificates.

#[test]
fn test_runner_dockerfiles_are_not_production_images() {
    let found = findings("integration-test-runner");
    for rule in ["SD601", "SD603", "SD604", "SD701"] {
        assert!(of(&found, rule).is_empty(), "{rule}: {found:#?}");
    }
}

#[test]
fn scratch_without_certificates_needs_evidence_of_tls_calls() {
    assert!(of(&findings("scratch-service-without-tls-calls"), "SD604").is_empty());
    let found = findings("scratch-service-calling-https-api");
    assert_eq!(places(&found, "SD604"), ["Dockerfile:6 warning likely"]);
    assert!(message(&found, "SD604")
        .contains("`main.go` uses net/http as a client (`http.Get`) with an https:// URL"));
    let found = findings("scratch-service-using-aws-sdk");
    assert!(message(&found, "SD604").contains("github.com/aws/aws-sdk-go-v2/config"));
}

// 9.10: downloads hidden behind make or a script.

#[test]
fn a_module_download_hidden_behind_make_or_a_script_is_found() {
    let found = findings("make-build-after-copy-all");
    assert_eq!(places(&found, "SD302"), ["Dockerfile:5 warning likely"]);
    assert!(
        message(&found, "SD302").contains("run by `make build` (Makefile line 6)"),
        "{found:#?}"
    );
    let found = findings("build-script-after-copy-all");
    assert_eq!(places(&found, "SD302"), ["Dockerfile:5 warning likely"]);
    assert!(message(&found, "SD302").contains("`scripts/build.sh`"));
    assert!(of(&findings("make-build-after-module-download"), "SD302").is_empty());
}

#[test]
fn goproxy_set_inline_before_make_is_fixed_even_with_an_arg() {
    let found = findings("goproxy-hardcoded-before-make");
    assert_eq!(places(&found, "SD301"), ["Dockerfile:5 warning likely"]);
    assert!(message(&found, "SD301").contains("fixed to `https://goproxy.cn,direct`"));
    assert!(of(&found, "SD302").is_empty(), "make deps downloads first");
}

// 9.11: vendor/ with an old go line.

#[test]
fn vendored_modules_need_go_1_14_or_mod_vendor() {
    let found = findings("vendor-ignored/bad");
    assert_eq!(places(&found, "SD303"), ["Dockerfile:5 warning certain"]);
    assert!(message(&found, "SD303").contains("says `go 1.13`"));
    assert!(of(&findings("vendor-ignored/good"), "SD303").is_empty());
    let found = findings("vendored-old-go-with-mod-vendor-flag");
    assert!(
        of(&found, "SD303").is_empty() && of(&found, "SD302").is_empty(),
        "{found:#?}"
    );
}

// 9.13 and 9.14: compose images and build targets.

#[test]
fn compose_images_without_a_tag_are_unpinned_unless_compose_builds_them() {
    let found = findings("compose-unpinned-service-images");
    assert_eq!(
        places(&found, "SD602"),
        [
            "docker-compose.yml:6 warning certain",
            "docker-compose.yml:8 warning certain"
        ]
    );
    assert!(message(&found, "SD602").starts_with("service `redis`: `image: redis` has no tag"));
}

#[test]
fn a_compose_build_target_is_judged_as_the_container_it_runs() {
    let found = findings("compose-dev-target-builder");
    assert_eq!(places(&found, "SD603"), ["Dockerfile:1 warning certain"]);
    assert!(message(&found, "SD603")
        .contains("`compose.yaml` service `app` builds with `build.target: builder`"));
    assert_eq!(places(&found, "SD701"), ["Dockerfile:1 warning certain"]);
}

// Output.

#[test]
fn every_finding_says_how_sure_it_is_in_json_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine\nCOPY app /app\n",
    )
    .unwrap();
    let found = findings_in(dir.path(), &[]);
    assert!(!found.is_empty());
    for finding in &found {
        assert!(
            ["certain", "likely", "possible"].contains(&finding["confidence"].as_str().unwrap())
        );
    }
    let output = doctor()
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let confidence = result["properties"]["confidence"].as_str().unwrap();
        let rank = result["rank"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&rank), "{result}");
        assert_eq!(confidence == "certain", rank == 100.0, "{result}");
    }
}

#[test]
fn text_leads_with_what_breaks_and_long_line_numbers_keep_their_space() {
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = "# padding\n".repeat(10_003);
    dockerfile.push_str("FROM alpine:latest\nCOPY Main.go /app\n");
    fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    fs::write(dir.path().join("main.go"), "package main\n").unwrap();
    let output = doctor().arg(dir.path()).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("  line 10004 warning SD602 unpinned-base-image (certain)\n"),
        "{text}"
    );
    let breaking = text
        .find("Breaks the build or the container (1):")
        .expect(&text);
    let rest = text.find("Other findings (").expect(&text);
    let copy = text.find("SD101 copy-path-case").unwrap();
    assert!(breaking < copy && copy < rest, "{text}");
    // The rest is summarised: no why.
    assert_eq!(text.matches("    why: ").count(), 1, "{text}");
}

#[test]
fn explain_prints_why_an_example_and_the_fix() {
    let output = doctor().args(["--explain", "SD302"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for part in [
        "SD302 no-module-download",
        "Why: ",
        "Example:",
        "Trips:",
        "Does not trip:",
        "Fix: ",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    let by_name = doctor()
        .args(["--explain", "no-module-download"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(by_name.stdout).unwrap(), text);
    doctor()
        .args(["--explain", "SD704"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no doctor rule `SD704`"));
}

#[test]
fn a_bake_target_is_judged_as_the_container_it_runs() {
    let found = findings("bake-dev-target-builder");
    assert_eq!(places(&found, "SD603"), ["Dockerfile:1 warning certain"]);
    assert!(message(&found, "SD603").contains("`docker-bake.hcl` target `dev`"));
}

// cgo: Go 1.20+ turns cgo off where the builder has no C compiler (golang:alpine).

#[test]
fn an_alpine_builder_without_gcc_builds_static_binaries_by_itself() {
    assert!(of(&findings("alpine-builder-to-scratch-without-gcc"), "SD501").is_empty());
    let found = findings("alpine-builder-with-gcc-to-scratch");
    assert_eq!(places(&found, "SD501"), ["Dockerfile:5 error certain"]);
}

// The 127.0.0.1 trap: a containerised service listening on loopback (SD706).

#[test]
fn a_service_listening_only_on_localhost_is_an_error_at_its_listen_call() {
    let found = findings("listen-localhost-only-service");
    assert_eq!(
        places(&found, "SD706"),
        ["cmd/api/main.go:12 error certain"]
    );
    let text = message(&found, "SD706");
    assert!(text.contains("loopback port 8080"), "{text}");
    assert!(text.contains("the port `Dockerfile` EXPOSEs"), "{text}");
    // A constant used as an http.Server Addr in a package the main imports.
    let found = findings("listen-on-loopback/bad");
    assert_eq!(
        places(&found, "SD706"),
        ["internal/web/server.go:10 error certain"]
    );
}

#[test]
fn deliberate_local_listeners_and_unbuilt_code_are_not_flagged() {
    for shape in [
        "listen-localhost-pprof-beside-public",
        "listen-localhost-in-test-file",
        "listen-localhost-in-tools-main",
        "listen-addr-from-env-set-in-dockerfile",
        "listen-addr-from-flag-set-in-cmd",
        "listen-localhost-pprof-only-visible-listener",
        "listen-localhost-admin-beside-exposed-port",
        // Overridden by a variable doctor does not follow: unknown, so silent.
        "listen-default-reassigned-from-env",
        // ...in another file of the package, one that names no listener or host.
        "listen-default-reassigned-in-sibling-file",
    ] {
        let found = findings(shape);
        assert_eq!(places(&found, "SD706"), Vec::<String>::new(), "{shape}");
    }
}

#[test]
fn a_localhost_default_nothing_overrides_is_a_likely_warning() {
    let found = findings("listen-addr-from-env-default-localhost");
    assert_eq!(
        places(&found, "SD706"),
        ["cmd/api/main.go:14 warning likely"]
    );
    let text = message(&found, "SD706");
    assert!(text.contains("the env variable `ADDR`"), "{text}");
    assert!(
        text.contains("neither the Dockerfile nor compose sets it"),
        "{text}"
    );
}

#[test]
fn the_loopback_finding_shows_in_text_and_sarif_and_explains_itself() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/doctor/listen-localhost-only-service");
    let text = doctor().arg(&source).output().unwrap();
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("line 12  error   SD706 listen-on-loopback (certain)"),
        "{text}"
    );
    let sarif = doctor()
        .arg(&source)
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "SD706")
        .unwrap_or_else(|| panic!("{sarif:#}"));
    assert_eq!(result["level"], "error", "{result}");
    let explained = doctor().args(["--explain", "SD706"]).output().unwrap();
    assert_eq!(explained.status.code(), Some(0));
    let explained = String::from_utf8(explained.stdout).unwrap();
    assert!(
        explained.contains("SD706 listen-on-loopback"),
        "{explained}"
    );
    assert!(explained.contains("localhost:6060"), "{explained}");
}

#[test]
fn the_only_listener_on_loopback_is_a_warning_without_expose_and_an_error_when_compose_publishes_it(
) {
    let found = findings("listen-gin-run-localhost-no-expose");
    assert_eq!(
        places(&found, "SD706"),
        ["cmd/api/main.go:8 warning likely"]
    );
    assert!(message(&found, "SD706").contains("which EXPOSEs no port"));
    let found = findings("listen-localhost-compose-published");
    assert_eq!(
        places(&found, "SD706"),
        ["cmd/api/main.go:10 error certain"]
    );
    assert!(message(&found, "SD706").contains("the container port compose publishes"));
}
