//! `scaffold-template.toml`: what a template set says about itself beyond its files.
//! The built-in set uses `when`; a team's set may also drop built-in files, declare
//! extra variables and change default answers.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Error;
use crate::generate::answers::TeamDefaults;
use crate::generate::variables::{Variable, VariableSpec};

/// The manifest's file name, at the root of a template set. It is never rendered.
pub const MANIFEST_FILE: &str = "scaffold-template.toml";

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Template path → the yes/no answer that must be true for the file to be made,
    /// e.g. the redis client only when `redis` is on.
    pub when: BTreeMap<String, String>,
    /// Built-in template paths a team leaves out.
    pub drop: Vec<String>,
    pub variables: Vec<Variable>,
    pub defaults: TeamDefaults,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    #[serde(default)]
    when: BTreeMap<String, String>,
    #[serde(default)]
    drop: Vec<String>,
    #[serde(default)]
    variables: Vec<VariableSpec>,
    #[serde(default)]
    defaults: TeamDefaults,
}

impl Manifest {
    /// Parses a manifest; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, Error> {
        let file: ManifestFile = toml::from_str(text).map_err(|error| Error::Template {
            file: origin.to_string(),
            message: error.to_string(),
        })?;
        let variables = file
            .variables
            .into_iter()
            .map(|spec| Variable::from_spec(spec, origin))
            .collect::<Result<Vec<_>, _>>()?;
        let mut names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(Error::Template {
                file: origin.to_string(),
                message: format!("variable `{}` is declared twice", pair[0]),
            });
        }
        Ok(Manifest {
            when: file.when,
            drop: file.drop,
            variables,
            defaults: file.defaults,
        })
    }

    /// The answer a template depends on, if any.
    pub fn condition(&self, template_path: &str) -> Option<&str> {
        self.when.get(template_path).map(String::as_str)
    }

    /// This manifest with a team's laid over it: the team's conditions, variables and
    /// defaults are added; `drop` is applied by the template set.
    pub fn layered(mut self, team: Manifest) -> Manifest {
        self.when.extend(team.when);
        self.drop = team.drop;
        self.variables.extend(team.variables);
        self.defaults = team.defaults;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_team_manifest() {
        let manifest = Manifest::parse(
            r#"
            drop = [".wslconfig.tera"]
            [defaults]
            module_prefix = "github.com/acme"
            port = 9000
            [[variables]]
            name = "team"
            choices = ["platform", "payments"]
            default = "platform"
            "#,
            "team",
        )
        .unwrap();
        assert_eq!(manifest.drop, [".wslconfig.tera"]);
        assert_eq!(manifest.defaults.port, Some(9000));
        assert_eq!(manifest.variables[0].name, "team");
    }

    #[test]
    fn unknown_keys_name_the_manifest() {
        let error = Manifest::parse("hooks = ['rm -rf /']", "team/scaffold-template.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("team/scaffold-template.toml"), "{error}");
        assert!(error.contains("hooks"), "{error}");
    }

    #[test]
    fn duplicate_variables_are_refused() {
        let text = "[[variables]]\nname = \"a\"\n[[variables]]\nname = \"a\"\n";
        assert!(Manifest::parse(text, "m").is_err());
    }
}
