//! Which paths a project may hold: the one checker for template paths (before
//! rendering) and for rendered paths (after). A path must stay inside the project,
//! must never reach git's own folder (a planted `.git/config` runs code on the user's
//! first `git status`), and must check out on Windows, macOS and Linux alike.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::generate::answers::name::is_windows_reserved;

/// A template or rendered path must be a plain relative path whose every segment is a
/// name Windows, macOS and Linux all accept, and none of which is git's folder.
/// Segments still holding a Tera expression get the rules that cannot depend on it;
/// the rendered path is checked again in full.
pub fn check_template_path(path: &str) -> Result<(), Error> {
    let refuse = |reason: String| {
        Err(Error::UnsafeTemplatePath {
            path: path.escape_debug().to_string(),
            reason,
        })
    };
    if path.starts_with('/') {
        return refuse("is absolute: template paths are relative to the project".into());
    }
    for segment in path.split('/') {
        if let Err(reason) = check_segment(segment) {
            return refuse(reason);
        }
    }
    Ok(())
}

fn check_segment(segment: &str) -> Result<(), String> {
    if segment.is_empty() || segment == "." || segment == ".." {
        return Err("has an empty, `.` or `..` part, which could write outside the project".into());
    }
    if let Some(c) = segment.chars().find(|c| c.is_control()) {
        return Err(format!(
            "holds the control character U+{:04X}, which no file name on Windows may hold",
            u32::from(c)
        ));
    }
    if segment.contains('\\') {
        return Err("contains `\\`, a path separator on Windows only".into());
    }
    if is_git_folder(segment) {
        return Err(format!(
            "has the part `{segment}`, which is git's own folder: a template must never write into the repository's configuration or hooks"
        ));
    }
    if segment.contains("{{") || segment.contains("{%") {
        return Ok(());
    }
    if segment.contains(':') {
        return Err("contains `:`, which names a drive or stream on Windows".into());
    }
    if let Some(c) = segment.chars().find(|c| "<>\"|?*".contains(*c)) {
        return Err(format!(
            "contains `{c}`, which Windows forbids in file names"
        ));
    }
    if segment.ends_with(['.', ' ']) {
        return Err(format!(
            "has the part `{segment}`, which ends in a dot or space: Windows drops it, so the file would get another name"
        ));
    }
    if is_windows_reserved(segment) {
        return Err(format!(
            "has the part `{segment}`, a device name on Windows (with any extension): it cannot be created there"
        ));
    }
    Ok(())
}

/// `.git` as Windows, macOS or git itself could read it: in any case, with trailing
/// dots or spaces (Windows drops them), with characters HFS+ ignores, or as the 8.3
/// short name `GIT~1`.
pub fn is_git_folder(segment: &str) -> bool {
    let visible: String = segment
        .chars()
        .filter(|c| !is_hfs_ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    let name = visible.trim_end_matches(['.', ' ']);
    name == ".git" || name == "git~1"
}

/// Code points HFS+ leaves out when it compares names (git's `is_hfs_dotgit` list).
fn is_hfs_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
    )
}

/// What a path prefix is in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Folder,
}

/// Refuses paths that would collide on some OS: every prefix is compared, so folders
/// differing only in case (`cmd/App/x`, `cmd/app/y`), a file beside a same-named
/// folder (`notes`, `Notes/x`) and two files at one path are all caught. Used on
/// template paths and again on rendered ones, since a variable in a path can make two
/// of them collide.
pub fn refuse_colliding_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    let mut seen: BTreeMap<String, (String, Kind)> = BTreeMap::new();
    for path in paths {
        let parts: Vec<&str> = path.split('/').collect();
        for end in 1..=parts.len() {
            let prefix = parts[..end].join("/");
            let kind = if end == parts.len() {
                Kind::File
            } else {
                Kind::Folder
            };
            let key = prefix.to_lowercase();
            let Some((other, other_kind)) = seen.get(&key) else {
                seen.insert(key, (prefix, kind));
                continue;
            };
            let reason = if *other != prefix {
                format!(
                    "has `{prefix}`, which differs from `{other}` only in case: they would be one name on Windows and macOS"
                )
            } else if kind != *other_kind {
                format!("has `{prefix}` both as a file and as a folder")
            } else if kind == Kind::File {
                format!("is made twice: two templates render to `{prefix}`")
            } else {
                continue;
            };
            return Err(Error::UnsafeTemplatePath {
                path: path.to_string(),
                reason,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_folder_in_every_spelling_is_refused() {
        for bad in [
            ".git/config",
            "a/.GIT/hooks/pre-commit",
            ".git./config",
            ".git /config",
            "GIT~1/config",
            ".g\u{200c}it/config",
            ".git",
        ] {
            let error = check_template_path(bad).unwrap_err().to_string();
            assert!(error.contains("git's own folder"), "{bad:?}: {error}");
        }
        for fine in [
            ".gitignore",
            ".github/workflows/ci.yml",
            "git/x",
            ".gitattributes",
        ] {
            check_template_path(fine).unwrap();
        }
    }

    #[test]
    fn names_windows_cannot_hold_are_refused() {
        for bad in [
            "CON",
            "x/aux.txt",
            "nul",
            "a./b",
            "a /b",
            "a\nb",
            "a\0b",
            "a\tb",
            "a<b",
            "a|b",
            "C:/x",
            "a\\b",
            "a//b",
            "./x",
            "../x",
            "/etc/passwd",
        ] {
            assert!(
                matches!(
                    check_template_path(bad),
                    Err(Error::UnsafeTemplatePath { .. })
                ),
                "{bad:?} passed"
            );
        }
        check_template_path("cmd/{{ name | lower }}/main.go.tera").unwrap();
        check_template_path("{{ \".\" }}git/config").unwrap();
    }

    fn collision(paths: &[&str]) -> String {
        refuse_colliding_paths(paths.iter().copied())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_prefix_is_compared() {
        assert!(collision(&["cmd/App/a.go", "cmd/app/b.go"]).contains("only in case"));
        assert!(collision(&["notes", "Notes/x"]).contains("only in case"));
        assert!(collision(&["notes", "notes/x"]).contains("both as a file and as a folder"));
        assert!(collision(&["x/y", "x/y"]).contains("made twice"));
        assert!(
            collision(&[".scaffold/ANSWERS.toml", ".scaffold/answers.toml"])
                .contains("only in case")
        );
        refuse_colliding_paths(["cmd/a/x", "cmd/a/y", "cmd/b"]).unwrap();
    }
}
