//! Where a team's templates come from: a folder, or a git repository at an optional
//! ref and subfolder. Written `URL[#REF][:SUBFOLDER]`, e.g.
//! `https://git.example.com/platform/templates.git#v2:go-service` or
//! `file:///srv/templates.git#:go`. A ref can never contain `:` (git forbids it), so
//! the split is unambiguous.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    Folder(PathBuf),
    Git(GitSource),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    pub url: String,
    /// A branch, tag or commit; the remote's default branch when absent.
    pub reference: Option<String>,
    /// The folder inside the repository that holds the templates.
    pub subfolder: Option<String>,
}

impl FromStr for TemplateSource {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().is_empty() {
            return Err("template source is empty: pass a folder or a git URL".into());
        }
        if !is_git_url(text) {
            return Ok(TemplateSource::Folder(PathBuf::from(text)));
        }
        let (url, selector) = match text.split_once('#') {
            Some((url, selector)) => (url, Some(selector)),
            None => (text, None),
        };
        let (reference, subfolder) = match selector.map(|s| s.split_once(':').unwrap_or((s, ""))) {
            Some((reference, subfolder)) => (non_empty(reference), non_empty(subfolder)),
            None => (None, None),
        };
        if let Some(reference) = &reference {
            check_reference(text, reference)?;
        }
        if let Some(subfolder) = &subfolder {
            check_subfolder(text, subfolder)?;
        }
        Ok(TemplateSource::Git(GitSource {
            url: url.to_string(),
            reference,
            subfolder,
        }))
    }
}

impl fmt::Display for TemplateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateSource::Folder(path) => write!(f, "{}", path.display()),
            TemplateSource::Git(git) => {
                write!(f, "{}", git.url)?;
                if git.reference.is_some() || git.subfolder.is_some() {
                    write!(f, "#{}", git.reference.as_deref().unwrap_or(""))?;
                }
                if let Some(subfolder) = &git.subfolder {
                    write!(f, ":{subfolder}")?;
                }
                Ok(())
            }
        }
    }
}

/// https, http, ssh, git and file URLs, and scp-like `user@host:path`.
fn is_git_url(text: &str) -> bool {
    let schemes = [
        "https://",
        "http://",
        "ssh://",
        "git://",
        "file://",
        "git+ssh://",
    ];
    if schemes.iter().any(|scheme| text.starts_with(scheme)) {
        return true;
    }
    match (text.find('@'), text.find(':')) {
        (Some(at), Some(colon)) => at < colon && !text[..at].contains('/'),
        _ => false,
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// A ref reaches git2 as data, but refuse option-like and malformed ones early anyway.
fn check_reference(source: &str, reference: &str) -> Result<(), String> {
    let bad = reference.starts_with('-')
        || reference.contains("..")
        || reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^?*[\\".contains(c));
    if bad {
        return Err(format!(
            "template source `{source}`: `{reference}` is not a valid git branch, tag or commit"
        ));
    }
    Ok(())
}

fn check_subfolder(source: &str, subfolder: &str) -> Result<(), String> {
    let escapes = subfolder.starts_with('/')
        || subfolder.contains('\\')
        || subfolder.split('/').any(|part| part == ".." || part == ".");
    if escapes {
        return Err(format!(
            "template source `{source}`: subfolder `{subfolder}` must be a plain relative path inside the repository"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(text: &str) -> GitSource {
        match text.parse().unwrap() {
            TemplateSource::Git(git) => git,
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    #[test]
    fn folders_are_anything_that_is_not_a_url() {
        assert_eq!(
            "../team-templates".parse::<TemplateSource>().unwrap(),
            TemplateSource::Folder("../team-templates".into())
        );
        assert!(matches!(
            "C:\\templates".parse::<TemplateSource>().unwrap(),
            TemplateSource::Folder(_)
        ));
    }

    #[test]
    fn git_urls_with_ref_and_subfolder() {
        let plain = git("https://git.example.com/t.git");
        assert_eq!((plain.reference, plain.subfolder), (None, None));
        let full = git("https://git.example.com/t.git#v2:go/service");
        assert_eq!(full.url, "https://git.example.com/t.git");
        assert_eq!(full.reference.as_deref(), Some("v2"));
        assert_eq!(full.subfolder.as_deref(), Some("go/service"));
        let only_folder = git("file:///srv/t.git#:go");
        assert_eq!(only_folder.reference, None);
        assert_eq!(only_folder.subfolder.as_deref(), Some("go"));
        assert_eq!(
            git("git@example.com:team/t.git#main").reference.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn round_trips_through_display() {
        for text in [
            "https://h/t.git",
            "https://h/t.git#v1",
            "file:///t#:sub",
            "ssh://h/t#a:b",
        ] {
            assert_eq!(text.parse::<TemplateSource>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn refuses_option_like_refs_and_escaping_subfolders() {
        assert!("https://h/t.git#--upload-pack=x"
            .parse::<TemplateSource>()
            .is_err());
        assert!("https://h/t.git#main:../x"
            .parse::<TemplateSource>()
            .is_err());
        assert!("https://h/t.git#main:/etc"
            .parse::<TemplateSource>()
            .is_err());
    }
}
