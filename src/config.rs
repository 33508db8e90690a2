//! The user's own settings: `scaffold.toml` in the platform's config folder
//! (`$XDG_CONFIG_HOME/scaffold` on Linux, `%APPDATA%\scaffold` on Windows,
//! `~/Library/Application Support/scaffold` on macOS).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

pub const CONFIG_FILE: &str = "scaffold.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A template source used when neither --templates nor SCAFFOLD_TEMPLATES is set.
    pub templates: Option<String>,
    /// The module prefix for new services, e.g. `github.com/acme`.
    pub module_prefix: Option<String>,
}

impl Config {
    /// Where the config file lives on this platform.
    pub fn path() -> Option<PathBuf> {
        dirs::config_dir().map(|dir| dir.join("scaffold").join(CONFIG_FILE))
    }

    /// The user's config; none at all is the empty config.
    pub fn load() -> Result<Self, Error> {
        match Self::path() {
            Some(path) if path.is_file() => Self::read(&path),
            _ => Ok(Config::default()),
        }
    }

    pub fn read(path: &Path) -> Result<Self, Error> {
        let text =
            std::fs::read_to_string(path).map_err(Error::io("read the config file", path))?;
        toml::from_str(&text).map_err(|error| Error::Config {
            path: path.to_path_buf(),
            message: error.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_keys_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, "module_prefix = \"github.com/acme\"\n").unwrap();
        assert_eq!(
            Config::read(&path).unwrap().module_prefix.as_deref(),
            Some("github.com/acme")
        );
        std::fs::write(&path, "modul_prefix = \"x\"\n").unwrap();
        let error = Config::read(&path).unwrap_err().to_string();
        assert!(
            error.contains("modul_prefix") && error.contains(CONFIG_FILE),
            "{error}"
        );
    }
}
