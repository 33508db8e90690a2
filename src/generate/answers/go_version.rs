//! The Go release the service targets: `1.N` or `1.N.P`, the forms a go.mod `go`
//! directive and the official golang image tags share.

use std::fmt;
use std::str::FromStr;

/// The Go release a new service targets unless told otherwise: the newest stable
/// release when this version of scaffold was made.
pub const DEFAULT_GO_VERSION: &str = "1.27";

/// Oldest release we generate for: the service uses `log/slog` (1.21).
const OLDEST_MINOR: u32 = 21;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion {
    minor: u32,
    patch: Option<u32>,
}

impl GoVersion {
    /// The builder image for this release on Alpine, the smallest official golang image.
    pub fn builder_image(&self) -> String {
        format!("golang:{self}-alpine")
    }
}

impl Default for GoVersion {
    fn default() -> Self {
        DEFAULT_GO_VERSION
            .parse()
            .expect("the default Go version is valid")
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(patch) => write!(f, "1.{}.{patch}", self.minor),
            None => write!(f, "1.{}", self.minor),
        }
    }
}

impl FromStr for GoVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "Go version `{text}` is not a Go release: write it as `1.N` or `1.N.P`, e.g. `{DEFAULT_GO_VERSION}`"
            )
        };
        let bare = text.strip_prefix("go").unwrap_or(text);
        let mut parts = bare.split('.');
        let (Some("1"), Some(minor), patch, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let minor = plain_number(minor).ok_or_else(invalid)?;
        let patch = patch
            .map(|patch| plain_number(patch).ok_or_else(invalid))
            .transpose()?;
        if minor < OLDEST_MINOR {
            return Err(format!(
                "Go version `{text}` is too old: the service uses log/slog, which needs Go 1.{OLDEST_MINOR} or later"
            ));
        }
        Ok(GoVersion { minor, patch })
    }
}

/// Digits without a leading zero, as Go release numbers are written.
fn plain_number(part: &str) -> Option<u32> {
    let plain = !part.is_empty()
        && part.chars().all(|c| c.is_ascii_digit())
        && (part == "0" || !part.starts_with('0'));
    plain.then(|| part.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_minor_and_patch_releases() {
        assert_eq!("1.27".parse::<GoVersion>().unwrap().to_string(), "1.27");
        assert_eq!("1.26.2".parse::<GoVersion>().unwrap().to_string(), "1.26.2");
        assert_eq!(
            "go1.25.0".parse::<GoVersion>().unwrap().to_string(),
            "1.25.0"
        );
    }

    #[test]
    fn builder_image_follows_the_version() {
        let version: GoVersion = "1.26.2".parse().unwrap();
        assert_eq!(version.builder_image(), "golang:1.26.2-alpine");
    }

    #[test]
    fn rejects_other_forms() {
        for bad in [
            "", "1", "2.0", "1.x", "1.22.", "1.22.3.4", "1.022", "latest", "1.20",
        ] {
            assert!(bad.parse::<GoVersion>().is_err(), "{bad:?} was accepted");
        }
        assert!("1.20".parse::<GoVersion>().unwrap_err().contains("too old"));
    }
}
