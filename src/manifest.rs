//! `scaffold-template.toml`: what a template set says about itself beyond its files.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Error;

/// The manifest's file name, at the root of a template set. It is never rendered.
pub const MANIFEST_FILE: &str = "scaffold-template.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Template path → the yes/no answer that must be true for the file to be made,
    /// e.g. the redis client only when `redis` is on.
    #[serde(default)]
    pub when: BTreeMap<String, String>,
}

impl Manifest {
    pub fn parse(text: &str, origin: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|error| Error::Template {
            file: origin.to_string(),
            message: error.to_string(),
        })
    }

    /// The answer a template depends on, if any.
    pub fn condition(&self, template_path: &str) -> Option<&str> {
        self.when.get(template_path).map(String::as_str)
    }
}
