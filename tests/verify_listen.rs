//! `scaffold verify` of a service that listens on 127.0.0.1 inside its container (the
//! port is published, nothing ever answers): verify looks inside the running
//! container and names the bind address and the fix instead of a bare timeout, in
//! text and with `--json`, and leaves nothing behind. Real engine, real Go build.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{project_in_temp, require_docker, scaffold, unique, verify_leftovers};

/// Edits the generated main.go as a user would: `":" + port` → `"127.0.0.1:" + port`.
fn listen_on_loopback(dir: &Path, name: &str) {
    let main = dir.join("cmd").join(name).join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    let public = "Addr: \":\" + port";
    assert!(
        source.contains(public),
        "no `{public}` in {}",
        main.display()
    );
    std::fs::write(&main, source.replace(public, "Addr: \"127.0.0.1:\" + port")).unwrap();
}

/// `verify --timeout 3` must fail with exit 1 (the service never answered) and say why.
fn verify_fails_naming_loopback(dir: &Path, extra: &[&str]) -> String {
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
    assert!(
        stderr.contains("the service listens on 127.0.0.1 inside the container (127.0.0.1:8080"),
        "{stderr}"
    );
    assert!(stderr.contains("listen on 0.0.0.0 (`:8080`)"), "{stderr}");
    assert!(!stderr.contains("raise --timeout"), "{stderr}");
    assert!(stderr.contains("Removed container"), "{stderr}");
    stderr
}

#[test]
fn a_service_bound_to_loopback_is_named_with_the_fix() {
    if !require_docker() {
        return;
    }
    let name = &unique("vl-loopback");
    let (_tmp, dir) = project_in_temp(name, &[]);
    listen_on_loopback(&dir, name);
    verify_fails_naming_loopback(&dir, &[]);
    assert!(
        verify_leftovers(name).is_empty(),
        "{:?}",
        verify_leftovers(name)
    );
    let stderr = verify_fails_naming_loopback(&dir, &["--json", "--rm-image"]);
    assert!(stderr.contains("Removed image"), "{stderr}");
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}

/// A service on another port than the one the image EXPOSEs: verify names both.
#[test]
fn a_service_on_another_port_is_named_with_the_port_verify_publishes() {
    if !require_docker() {
        return;
    }
    let name = &unique("vl-otherport");
    let (_tmp, dir) = project_in_temp(name, &[]);
    let main = dir.join("cmd").join(name).join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace("Addr: \":\" + port", "Addr: \":9090\""),
    )
    .unwrap();
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--timeout", "3", "--rm-image"])
        .timeout(Duration::from_secs(900))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the service listens on :9090 inside the container"),
        "{stderr}"
    );
    assert!(stderr.contains("verify publishes port 8080"), "{stderr}");
    assert!(stderr.contains("pass --port 9090"), "{stderr}");
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}
