//! Extra variables a team template declares in its manifest: each becomes a prompt, a
//! `--set KEY=VALUE` flag and an answers-file key, validated by the same rules
//! wherever it comes from.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::error::Error;

/// The names the built-in context defines (`context::template_context`); a team
/// variable may not take one. Kept here, beside the rule that enforces it, so the
/// variable rules need nothing from the context.
pub const BUILTIN_VARIABLES: &[&str] = &[
    "name",
    "module",
    "go_version",
    "go_image",
    "port",
    "runtime",
    "runtime_image",
    "redis",
    "redis_image",
    "goproxy",
    "ci",
    "ci_github",
    "ci_gitlab",
    "k8s",
    "k8s_redis",
    "shutdown_seconds",
    "uid",
    "wsl_memory_gb",
    "wsl_processors",
    "wsl_swap_gb",
    "scaffold_version",
    "ca_cert",
    "ca_cert_path",
    "build_proxy",
];
/// One variable as declared in `scaffold-template.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    pub name: String,
    /// The question asked at the terminal; the name when absent.
    pub prompt: Option<String>,
    pub default: Option<String>,
    /// When present, the value must be one of these (a menu at the terminal).
    #[serde(default)]
    pub choices: Vec<String>,
    /// When present, the whole value must match it.
    pub regex: Option<String>,
}

/// A declared variable, checked: its rule compiled, its default valid.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub prompt: String,
    pub default: Option<String>,
    pub choices: Vec<String>,
    pattern: Option<Regex>,
}

impl Variable {
    pub fn from_spec(spec: VariableSpec, manifest: &str) -> Result<Self, Error> {
        let invalid = |message: String| Error::Template {
            file: manifest.to_string(),
            message: format!("variable `{}`: {message}", spec.name),
        };
        let well_formed = Regex::new("^[a-z][a-z0-9_]*$").expect("a valid pattern");
        if !well_formed.is_match(&spec.name) {
            return Err(invalid(
                "names use lower-case letters, digits and `_`, starting with a letter".into(),
            ));
        }
        if BUILTIN_VARIABLES.contains(&spec.name.as_str()) {
            return Err(invalid(
                "is a built-in variable; set built-in answers under [defaults] instead".into(),
            ));
        }
        let pattern = match &spec.regex {
            Some(regex) => Some(
                Regex::new(&format!("^(?:{regex})$"))
                    .map_err(|error| invalid(format!("regex does not compile: {error}")))?,
            ),
            None => None,
        };
        let variable = Variable {
            prompt: spec.prompt.clone().unwrap_or_else(|| spec.name.clone()),
            name: spec.name.clone(),
            default: spec.default.clone(),
            choices: spec.choices.clone(),
            pattern,
        };
        if let Some(default) = &variable.default {
            variable
                .check(default)
                .map_err(|message| invalid(format!("its default is invalid: {message}")))?;
        }
        Ok(variable)
    }

    /// Whether `value` is acceptable, with the reason when not.
    pub fn check(&self, value: &str) -> Result<(), String> {
        if !self.choices.is_empty() && !self.choices.iter().any(|choice| choice == value) {
            return Err(format!(
                "`{value}` is not a choice for `{}`: use one of {}",
                self.name,
                self.choices.join(", ")
            ));
        }
        if let Some(pattern) = &self.pattern {
            if !pattern.is_match(value) {
                return Err(format!(
                    "`{value}` does not match the pattern of `{}`: {}",
                    self.name,
                    pattern.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// Parses `KEY=VALUE` from `--set`.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!(
            "`{text}` is not KEY=VALUE: write e.g. `--set team=payments`"
        )),
    }
}

/// Checks given values against the declarations: an unknown key is an error (a typo
/// must not be ignored), and every value must pass its variable's rule.
pub fn check_given(
    variables: &[Variable],
    given: &BTreeMap<String, String>,
    origin: &str,
) -> Result<(), Error> {
    for (key, value) in given {
        let Some(variable) = variables.iter().find(|v| &v.name == key) else {
            let known: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
            return Err(Error::InvalidAnswer(format!(
                "{origin}: the templates declare no variable `{key}`; they declare {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        variable
            .check(value)
            .map_err(|message| Error::InvalidAnswer(format!("{origin}: {message}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> VariableSpec {
        VariableSpec {
            name: name.into(),
            prompt: None,
            default: None,
            choices: vec![],
            regex: None,
        }
    }

    #[test]
    fn choices_and_regex_are_enforced() {
        let team = Variable::from_spec(
            VariableSpec {
                choices: vec!["platform".into(), "payments".into()],
                ..spec("team")
            },
            "m",
        )
        .unwrap();
        assert!(team.check("payments").is_ok());
        assert!(team
            .check("sales")
            .unwrap_err()
            .contains("platform, payments"));
        let code = Variable::from_spec(
            VariableSpec {
                regex: Some("[A-Z]{3}".into()),
                ..spec("code")
            },
            "m",
        )
        .unwrap();
        assert!(code.check("ABC").is_ok());
        assert!(
            code.check("ABCD").is_err(),
            "the regex must match the whole value"
        );
    }

    #[test]
    fn bad_declarations_are_refused() {
        assert!(Variable::from_spec(spec("Bad-Name"), "m").is_err());
        assert!(Variable::from_spec(spec("__scaffold_text_0"), "m").is_err());
        assert!(Variable::from_spec(spec("port"), "m").is_err());
        let bad_default = VariableSpec {
            default: Some("x".into()),
            choices: vec!["y".into()],
            ..spec("v")
        };
        assert!(Variable::from_spec(bad_default, "m").is_err());
        let bad_regex = VariableSpec {
            regex: Some("(".into()),
            ..spec("v")
        };
        assert!(Variable::from_spec(bad_regex, "m").is_err());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let variables = vec![Variable::from_spec(spec("team"), "m").unwrap()];
        let given = BTreeMap::from([("tema".to_string(), "x".to_string())]);
        let error = check_given(&variables, &given, "--set").unwrap_err();
        assert!(error.to_string().contains("no variable `tema`"), "{error}");
    }

    #[test]
    fn assignments_need_a_key() {
        assert_eq!(
            parse_assignment("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_assignment("=x").is_err());
        assert!(parse_assignment("novalue").is_err());
    }
}
