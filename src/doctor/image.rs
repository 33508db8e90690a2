//! Image references (`registry/repo:tag@digest`) and what doctor knows about the
//! common base images: which carry a Go toolchain, which are static (no glibc), which
//! run as a non-root user by default (see `known_images`).

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag and digest: `gcr.io/distroless/static-debian12`.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(reference: &str) -> ImageRef {
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_string())),
            None => (reference, None),
        };
        // A colon after the last slash is a tag; before it, a registry port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(colon) => (
                &rest[..last_slash + colon],
                Some(rest[last_slash + colon + 1..].to_string()),
            ),
            None => (rest, None),
        };
        ImageRef {
            name: name.to_ascii_lowercase(),
            tag,
            digest,
        }
    }

    /// The last path segment: `golang` for `docker.io/library/golang`.
    pub fn repository(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// Untagged and undigested (so `:latest`), or tagged `latest`.
    pub fn is_floating(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|tag| tag == "latest")
    }

    /// A full Go toolchain image (compiler, shell, package manager).
    pub fn is_go_toolchain(&self) -> bool {
        self.repository() == "golang"
    }

    /// An image with neither glibc nor a dynamic loader for one: a binary linked
    /// against glibc by cgo fails there with "not found".
    pub fn is_static_runtime(&self) -> bool {
        self.is_distroless_static() || self.is_musl()
    }

    pub fn is_distroless_static(&self) -> bool {
        self.name.contains("distroless/static") || self.name.ends_with("chainguard/static")
    }

    /// Alpine and images built on it (musl libc).
    pub fn is_musl(&self) -> bool {
        self.repository() == "alpine"
            || self
                .tag
                .as_deref()
                .is_some_and(|tag| tag.contains("alpine"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registry_ports_tags_and_digests() {
        let image = ImageRef::parse("localhost:5000/team/golang:1.22-alpine@sha256:abc");
        assert_eq!(image.name, "localhost:5000/team/golang");
        assert_eq!(image.tag.as_deref(), Some("1.22-alpine"));
        assert_eq!(image.digest.as_deref(), Some("sha256:abc"));
        assert!(image.is_go_toolchain() && image.is_musl() && !image.is_floating());
        let image = ImageRef::parse("localhost:5000/app");
        assert_eq!(
            (image.name.as_str(), image.tag.as_deref()),
            ("localhost:5000/app", None)
        );
        assert!(image.is_floating());
    }

    #[test]
    fn knows_the_common_runtimes() {
        let distroless = ImageRef::parse("gcr.io/distroless/static-debian12:nonroot");
        assert!(distroless.is_static_runtime());
        assert!(!ImageRef::parse("gcr.io/distroless/base-debian12").is_static_runtime());
        assert!(ImageRef::parse("alpine:3.20").is_static_runtime());
        assert!(!ImageRef::parse("debian:12-slim").is_static_runtime());
        assert!(ImageRef::parse("alpine:latest").is_floating());
    }
}
