//! Each variant of the generated project, held to the bar in `support/bar.rs`: the real
//! tools a Go developer would run (gofmt, go vet, go test, hadolint, docker-compose
//! config), LF bytes and `scaffold doctor`, and the CI and Kubernetes files' validators. No container engine is needed;
//! `verify_e2e.rs` builds and runs the images. `update.rs` holds updated projects to
//! the same bar.

mod support;

fn check_variant(variant: &'static str, flags: &[&str]) {
    let temp = tempfile::tempdir().unwrap();
    let project = temp.path().join("demo");
    support::new_project(&project, "demo", flags);
    support::bar::Checked::new(variant, &project).check_all();
}

#[test]
fn default_project_passes_the_tools() {
    check_variant("default", &[]);
}

#[test]
fn alpine_project_passes_the_tools() {
    check_variant("alpine", &["--runtime", "alpine"]);
}

#[test]
fn scratch_project_passes_the_tools() {
    check_variant("scratch", &["--runtime", "scratch"]);
}

#[test]
fn no_redis_project_passes_the_tools() {
    check_variant("no-redis", &["--no-redis"]);
}

#[test]
fn other_answers_pass_the_tools() {
    check_variant(
        "custom answers",
        &[
            "--module",
            "github.com/acme/demo/v2",
            "--go-version",
            "1.26",
            "--port",
            "9000",
        ],
    );
}

#[test]
fn kubernetes_and_github_project_passes_the_tools() {
    check_variant("k8s + github", &["--k8s", "--ci", "github"]);
}

#[test]
fn kubernetes_and_gitlab_project_without_redis_passes_the_tools() {
    check_variant(
        "k8s + gitlab, no redis",
        &[
            "--k8s",
            "--ci",
            "gitlab",
            "--no-redis",
            "--runtime",
            "alpine",
        ],
    );
}

#[test]
fn company_proxy_project_passes_the_tools() {
    let ca = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/certs/test-root-ca.pem"
    );
    check_variant(
        "ca-cert + build-proxy, scratch",
        &["--ca-cert", ca, "--build-proxy", "--runtime", "scratch"],
    );
}
