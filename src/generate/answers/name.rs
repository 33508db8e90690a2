//! The project name: one string that must work as a directory on Windows, macOS and
//! Linux, as a Docker image name and as a Go binary name. Modelled on cargo's
//! `restricted_names`: one function per rule, each message says what to type instead.

use std::fmt;
use std::str::FromStr;

use heck::ToKebabCase;

/// Longest name we accept: a DNS label, so the name also works as a compose project
/// and a container hostname.
const MAX_LEN: usize = 63;

/// Names Windows reserves for devices in every folder, with or without an extension.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// One naming rule: an error message when the name breaks it.
type Rule = fn(&str) -> Result<(), String>;

/// A validated project name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ProjectName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let checks: [Rule; 12] = [
            not_empty,
            not_too_long,
            ascii_only,
            no_whitespace,
            no_path_separator,
            not_dot_or_dash_first,
            no_trailing_dot,
            not_windows_reserved,
            lower_case_only,
            allowed_characters,
            ends_with_letter_or_digit,
            no_triple_underscore,
        ];
        for check in checks {
            check(name)?;
        }
        Ok(ProjectName(name.to_string()))
    }
}

/// What the user probably meant: lower-case words joined by dashes.
fn suggestion(name: &str) -> String {
    let kebab: String = name
        .to_kebab_case()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let short: String = kebab.trim_matches('-').chars().take(MAX_LEN).collect();
    let short = short.trim_end_matches('-');
    if short.is_empty() {
        "my-service".to_string()
    } else if is_windows_reserved(short) {
        // Lower-casing `CON` must not suggest `con`, which is refused in turn.
        format!("{short}-service")
    } else {
        short.to_string()
    }
}

/// A Windows device name, in any case and with any extension (`NUL.txt`). Go refuses
/// them in module paths too, so `module_path` asks here, and so do template paths.
pub(crate) fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    WINDOWS_RESERVED.contains(&stem.as_str())
}

fn not_empty(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("name is empty: pass a name such as `my-service`".into());
    }
    Ok(())
}

fn not_too_long(name: &str) -> Result<(), String> {
    if name.len() > MAX_LEN {
        return Err(format!(
            "name `{name}` is {} characters long: the limit is {MAX_LEN} (a DNS label, so it works as a container hostname); try `{}`",
            name.len(),
            suggestion(name)
        ));
    }
    Ok(())
}

fn ascii_only(name: &str) -> Result<(), String> {
    if let Some(c) = name.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "name `{name}` contains the non-ASCII character `{c}`: Docker image names and Go binaries need ASCII; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn no_whitespace(name: &str) -> Result<(), String> {
    if name.chars().any(char::is_whitespace) {
        return Err(format!(
            "name `{name}` has a space: Docker image names cannot; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn no_path_separator(name: &str) -> Result<(), String> {
    if name.contains(['/', '\\']) || name.contains("..") {
        return Err(format!(
            "name `{name}` contains a path separator or `..`: the name is one folder; use --dir to choose where it goes, and a name such as `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn not_dot_or_dash_first(name: &str) -> Result<(), String> {
    if name.starts_with(['.', '-', '_']) {
        return Err(format!(
            "name `{name}` starts with `{}`: a leading dot hides the folder, a leading dash reads as a flag, and Docker image names must start with a letter or digit; try `{}`",
            &name[..1],
            suggestion(name)
        ));
    }
    Ok(())
}

fn no_trailing_dot(name: &str) -> Result<(), String> {
    if name.ends_with('.') {
        return Err(format!(
            "name `{name}` ends with a dot: Windows silently drops it, so the folder would not match; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn lower_case_only(name: &str) -> Result<(), String> {
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "name `{name}` has upper case: Docker image names must be lower case, and names that differ only in case collide on Windows and macOS; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn not_windows_reserved(name: &str) -> Result<(), String> {
    if is_windows_reserved(name) {
        return Err(format!(
            "name `{name}` is reserved on Windows (a device name): the folder cannot be created there; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn allowed_characters(name: &str) -> Result<(), String> {
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')))
    {
        return Err(format!(
            "name `{name}` contains `{c}`: use lower-case letters, digits, `-` and `_` only (compose project names allow no more); try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn ends_with_letter_or_digit(name: &str) -> Result<(), String> {
    if name.ends_with(['-', '_']) {
        return Err(format!(
            "name `{name}` ends with a separator: Docker image names must end with a letter or digit; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

fn no_triple_underscore(name: &str) -> Result<(), String> {
    if name.contains("___") {
        return Err(format!(
            "name `{name}` has three underscores in a row: Docker image names allow at most two; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(name: &str) -> String {
        name.parse::<ProjectName>().unwrap_err()
    }

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["demo", "my-service", "svc_2", "a", "a1__b", &"a".repeat(63)] {
            assert_eq!(ok.parse::<ProjectName>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn upper_case_suggests_kebab_case() {
        assert!(
            error("MyApp").contains("try `my-app`"),
            "{}",
            error("MyApp")
        );
    }

    #[test]
    fn space_suggests_kebab_case() {
        let message = error("My App");
        assert!(message.contains("has a space"), "{message}");
        assert!(message.contains("try `my-app`"), "{message}");
    }

    #[test]
    fn rejects_each_rule_with_its_own_message() {
        let cases = [
            ("", "empty"),
            ("a/b", "path separator"),
            ("a\\b", "path separator"),
            ("..", "path separator"),
            ("-x", "starts with `-`"),
            (".x", "starts with `.`"),
            ("x.", "ends with a dot"),
            ("con", "reserved on Windows"),
            ("nul.txt", "reserved on Windows"),
            ("com1", "reserved on Windows"),
            ("café", "non-ASCII"),
            ("a+b", "contains `+`"),
            ("api.v2", "contains `.`"),
            ("svc-", "ends with a separator"),
            ("a___b", "three underscores"),
        ];
        for (name, expected) in cases {
            let message = error(name);
            assert!(message.contains(expected), "{name:?}: {message}");
        }
        assert!(error(&"a".repeat(64)).contains("64 characters"));
        assert!(
            error("CON").contains("reserved on Windows"),
            "{}",
            error("CON")
        );
    }

    #[test]
    fn every_suggestion_is_a_valid_name() {
        let long_with_dash_at_the_cut = format!("{}-b{}", "a".repeat(62), "c".repeat(5));
        for name in [
            "MyApp",
            "My App",
            "CON",
            "Nul",
            "nul.txt",
            "COM1.log",
            "Con!",
            "a/b",
            "..",
            "-x",
            ".x",
            "x.",
            "café",
            "a+b",
            "api.v2",
            "svc-",
            "a___b",
            &long_with_dash_at_the_cut,
        ] {
            let message = error(name);
            // Each message ends with its suggestion in backticks.
            let suggested = message
                .rsplit('`')
                .nth(1)
                .unwrap_or_else(|| panic!("{name:?}: no suggestion in {message}"));
            assert!(
                suggested.parse::<ProjectName>().is_ok(),
                "{name:?} suggests `{suggested}`, which is refused: {message}"
            );
        }
    }
}
