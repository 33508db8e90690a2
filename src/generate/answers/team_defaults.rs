//! The default answers a team's template manifest sets (`[defaults]`). They are raw
//! text here; `Defaults::layered` validates each one like the flag it stands for.

use serde::Deserialize;

/// Default answers a team sets instead of scaffold's; each still goes through the
/// answer's own validation, and a flag still wins.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TeamDefaults {
    pub module_prefix: Option<String>,
    pub go_version: Option<String>,
    pub port: Option<u16>,
    pub runtime: Option<String>,
    pub redis: Option<bool>,
    pub goproxy: Option<String>,
    pub ci: Option<String>,
    pub k8s: Option<bool>,
    /// Image overrides, e.g. a company registry mirror of golang or distroless.
    pub go_image: Option<String>,
    pub runtime_image: Option<String>,
    pub redis_image: Option<String>,
    /// A PEM file with the company's root CA for builds, relative to the current folder.
    pub ca_cert: Option<String>,
    pub build_proxy: Option<bool>,
}
