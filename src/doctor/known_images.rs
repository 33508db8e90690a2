//! The default user of well-known images, for "does this container run as root?"
//! when a Dockerfile sets no USER. Doctor cannot pull an image to look, so this is a
//! short table of images whose USER is documented and stable; every other image is
//! `Unknown`, and rules say so instead of guessing root.
//!
//! Sources: each image's published Dockerfile or documentation. Add an image only when
//! its default user is documented and the same for every tag listed.

use crate::doctor::image::ImageRef;

/// Who an image runs as when the Dockerfile built on it sets no USER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultUser {
    Root,
    /// A non-root user, as the image's own USER line gives it.
    NonRoot(&'static str),
    /// Not in the table: only the image itself can tell.
    Unknown,
}

/// Images whose own Dockerfile sets a non-root USER, by repository name (registry
/// included where it is part of the name), with that USER.
const NON_ROOT: &[(&str, &str)] = &[
    // k6's Dockerfile: `USER k6` (uid 12345).
    ("grafana/k6", "12345"),
    // Grafana's Dockerfile: `USER "$GF_UID"` (472).
    ("grafana/grafana", "472"),
    ("grafana/grafana-oss", "472"),
    // Prometheus and its exporters: `USER nobody`.
    ("prom/prometheus", "nobody"),
    ("prom/alertmanager", "nobody"),
    ("prom/node-exporter", "nobody"),
    ("prom/pushgateway", "nobody"),
    ("quay.io/prometheus/prometheus", "nobody"),
    // nginx's unprivileged variant: `USER 101`.
    ("nginxinc/nginx-unprivileged", "101"),
    // Chainguard's runtime images run as nonroot (65532).
    ("cgr.dev/chainguard/static", "65532"),
    ("cgr.dev/chainguard/glibc-dynamic", "65532"),
];

/// Official images (and distroless without a `nonroot` tag) that run as root.
const ROOT: &[&str] = &[
    "alpine",
    "busybox",
    "debian",
    "ubuntu",
    "golang",
    "fedora",
    "centos",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "archlinux",
    "oraclelinux",
    "photon",
    "opensuse/leap",
    "opensuse/tumbleweed",
    "registry.access.redhat.com/ubi8/ubi-minimal",
    "registry.access.redhat.com/ubi9/ubi-minimal",
    "registry.access.redhat.com/ubi8/ubi",
    "registry.access.redhat.com/ubi9/ubi",
];

pub fn default_user(image: &ImageRef) -> DefaultUser {
    let name = short_name(&image.name);
    let tag = image.tag.as_deref().unwrap_or("latest");
    if name.starts_with("gcr.io/distroless/") {
        // distroless: `nonroot` and `debug-nonroot` tags run as 65532, the others as root.
        return if tag.ends_with("nonroot") {
            DefaultUser::NonRoot("65532")
        } else {
            DefaultUser::Root
        };
    }
    if let Some((_, user)) = NON_ROOT.iter().find(|(known, _)| *known == name) {
        return DefaultUser::NonRoot(user);
    }
    if ROOT.contains(&name) {
        return DefaultUser::Root;
    }
    DefaultUser::Unknown
}

/// `docker.io/library/alpine` → `alpine`, `index.docker.io/grafana/k6` → `grafana/k6`.
fn short_name(name: &str) -> &str {
    let name = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(name);
    name.strip_prefix("library/").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(reference: &str) -> DefaultUser {
        default_user(&ImageRef::parse(reference))
    }

    #[test]
    fn the_table() {
        assert_eq!(user("grafana/k6:0.49.0"), DefaultUser::NonRoot("12345"));
        assert_eq!(user("docker.io/grafana/k6"), DefaultUser::NonRoot("12345"));
        assert_eq!(
            user("gcr.io/distroless/static-debian12:nonroot"),
            DefaultUser::NonRoot("65532")
        );
        assert_eq!(user("gcr.io/distroless/static-debian12"), DefaultUser::Root);
        assert_eq!(user("docker.io/library/alpine:3.20"), DefaultUser::Root);
        assert_eq!(user("debian:12-slim"), DefaultUser::Root);
        assert_eq!(user("example.com/team/base:1"), DefaultUser::Unknown);
        assert_eq!(user("cgr.dev/chainguard/go"), DefaultUser::Unknown);
    }
}
