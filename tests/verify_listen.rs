//! `scaffold verify` of a service whose published port never answers because of
//! where it listens inside its container: on 127.0.0.1 (the port is mapped, nothing
//! ever answers), or on another port. verify looks inside the running container and
//! names the address and the fix instead of a bare timeout, in text and with
//! `--json`, and leaves nothing behind. Real engine, real Go build.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{project_in_temp, require_docker, scaffold, unique, verify_leftovers};

/// The generated main.go's listen address, as the template writes it.
const PUBLIC_ADDR: &str = "Addr: \":\" + port";

/// Edits the generated main.go as a user would: its listen address becomes `addr`.
fn listen_on(dir: &Path, name: &str, addr: &str) {
    let main = dir.join("cmd").join(name).join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    assert!(
        source.contains(PUBLIC_ADDR),
        "no `{PUBLIC_ADDR}` in {}",
        main.display()
    );
    std::fs::write(&main, source.replace(PUBLIC_ADDR, addr)).unwrap();
}

/// `verify --timeout 3 EXTRA…` must fail with exit 1 (the service never answered),
/// remove its container and say why instead of suggesting a longer wait. Its stderr.
fn verify_times_out(dir: &Path, extra: &[&str]) -> String {
    let out = scaffold()
        .arg("verify")
        .arg(dir)
        .args(["--timeout", "3"])
        .args(extra)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("did not answer 200 within 3 s"), "{stderr}");
    assert!(!stderr.contains("raise --timeout"), "{stderr}");
    assert!(stderr.contains("Removed container"), "{stderr}");
    stderr
}

fn assert_nothing_left(name: &str) {
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}

#[test]
fn a_service_bound_to_loopback_is_named_with_the_fix() {
    if !require_docker() {
        return;
    }
    let name = &unique("vl-loopback");
    let (_tmp, dir) = project_in_temp(name, &[]);
    listen_on(&dir, name, "Addr: \"127.0.0.1:\" + port");
    for extra in [&[][..], &["--json", "--rm-image"][..]] {
        let stderr = verify_times_out(&dir, extra);
        assert!(
            stderr
                .contains("the service listens on 127.0.0.1 inside the container (127.0.0.1:8080"),
            "{stderr}"
        );
        assert!(stderr.contains("listen on 0.0.0.0 (`:8080`)"), "{stderr}");
        assert_nothing_left(name);
    }
}

/// A service on another port than the one the image EXPOSEs: verify names both.
#[test]
fn a_service_on_another_port_is_named_with_the_port_verify_publishes() {
    if !require_docker() {
        return;
    }
    let name = &unique("vl-otherport");
    let (_tmp, dir) = project_in_temp(name, &[]);
    listen_on(&dir, name, "Addr: \":9090\"");
    let stderr = verify_times_out(&dir, &["--rm-image"]);
    assert!(
        stderr.contains("the service listens on :9090 inside the container"),
        "{stderr}"
    );
    assert!(stderr.contains("verify publishes port 8080"), "{stderr}");
    assert!(stderr.contains("pass --port 9090"), "{stderr}");
    assert_nothing_left(name);
}

/// The same trap under `verify --compose`: the app service's container is looked into
/// as well, and compose's own clean-up leaves nothing.
#[test]
fn a_compose_service_bound_to_loopback_is_named_with_the_fix() {
    if !require_docker() {
        return;
    }
    let name = &unique("vl-compose");
    let (_tmp, dir) = project_in_temp(name, &["--no-redis"]);
    listen_on(&dir, name, "Addr: \"127.0.0.1:\" + port");
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--compose", "--timeout", "3", "--rm-image"])
        .timeout(Duration::from_secs(900))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("did not answer 200 within 3 s"), "{stderr}");
    assert!(
        stderr.contains("the service listens on 127.0.0.1 inside the container"),
        "{stderr}"
    );
    assert!(stderr.contains("listen on 0.0.0.0 (`:8080`)"), "{stderr}");
    assert_nothing_left(name);
}
