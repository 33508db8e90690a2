//! The Go module path, checked by the rules of Go's `golang.org/x/mod/module.CheckPath`,
//! so `go build` never rejects the go.mod we write. One difference: like `go mod init`,
//! a first element without a dot (`demo`) is accepted; it builds, it just cannot be
//! fetched by others.

use std::fmt;
use std::str::FromStr;

use super::name::is_windows_reserved;

/// A validated Go module path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulePath(String);

impl ModulePath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The conventional default: `PREFIX/NAME`.
    pub fn with_prefix(prefix: &str, name: &str) -> Result<Self, String> {
        format!("{}/{name}", prefix.trim_end_matches('/')).parse()
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ModulePath {
    type Err = String;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        if path.is_empty() {
            return Err("module path is empty: pass one such as `example.com/my-service`".into());
        }
        if path.starts_with('/') || path.ends_with('/') {
            return Err(format!(
                "module path `{path}` starts or ends with `/`: write it as `{}`",
                path.trim_matches('/')
            ));
        }
        let elements: Vec<&str> = path.split('/').collect();
        first_element(path, elements[0])?;
        for element in &elements {
            check_element(path, element)?;
        }
        major_version_suffix(path, elements.last().copied().unwrap_or_default())?;
        Ok(ModulePath(path.to_string()))
    }
}

fn first_element(path: &str, first: &str) -> Result<(), String> {
    if first.starts_with('-') {
        return Err(format!(
            "module path `{path}`: the first element `{first}` starts with `-`; Go reads it as a flag"
        ));
    }
    if let Some(c) = first
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')))
    {
        return Err(format!(
            "module path `{path}`: the first element `{first}` (the domain) contains `{c}`; Go allows lower-case letters, digits, `.` and `-` there, e.g. `example.com/my-service`"
        ));
    }
    Ok(())
}

fn check_element(path: &str, element: &str) -> Result<(), String> {
    if element.is_empty() {
        return Err(format!(
            "module path `{path}` has an empty element (`//`): remove the extra slash"
        ));
    }
    if element.starts_with('.') || element.ends_with('.') {
        return Err(format!(
            "module path `{path}`: element `{element}` starts or ends with a dot, which Go refuses"
        ));
    }
    if let Some(c) = element
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        return Err(format!(
            "module path `{path}`: element `{element}` contains `{c}`; Go allows letters, digits, `-`, `.`, `_` and `~`"
        ));
    }
    if is_windows_reserved(element) {
        return Err(format!(
            "module path `{path}`: element `{element}` is a Windows device name, which Go refuses in module paths"
        ));
    }
    if is_windows_short_name(element) {
        return Err(format!(
            "module path `{path}`: element `{element}` looks like a Windows short name (`~` and digits), which Go refuses"
        ));
    }
    Ok(())
}

/// `GOPRO~1`-style names alias real folders on Windows; Go rejects them.
fn is_windows_short_name(element: &str) -> bool {
    match element.rfind('~') {
        Some(at) => {
            let digits = &element[at + 1..];
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn major_version_suffix(path: &str, last: &str) -> Result<(), String> {
    if path.contains('/') && (last == "v0" || last == "v1") {
        return Err(format!(
            "module path `{path}` ends in `/{last}`: Go only allows major version suffixes from /v2 on; drop `/{last}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(path: &str) -> String {
        path.parse::<ModulePath>().unwrap_err()
    }

    #[test]
    fn accepts_go_module_paths() {
        for ok in [
            "example.com/demo",
            "github.com/Org/repo",
            "demo",
            "gitlab.example.com/group/sub/svc/v2",
            "example.com/a_b~c.d",
        ] {
            assert_eq!(ok.parse::<ModulePath>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        let cases = [
            ("", "empty"),
            ("/example.com/x", "starts or ends"),
            ("example.com/x/", "starts or ends"),
            ("example.com//x", "empty element"),
            ("Example.com/x", "the first element"),
            ("-x.com/x", "starts with `-`"),
            ("example.com/.x", "dot"),
            ("example.com/x y", "contains ` `"),
            ("example.com/con", "Windows device"),
            ("example.com/GOPRO~1", "short name"),
            ("example.com/x/v1", "major version"),
        ];
        for (path, expected) in cases {
            let message = error(path);
            assert!(message.contains(expected), "{path:?}: {message}");
        }
    }

    #[test]
    fn prefix_and_name_join_with_one_slash() {
        let path = ModulePath::with_prefix("github.com/acme/", "demo").unwrap();
        assert_eq!(path.as_str(), "github.com/acme/demo");
    }
}
