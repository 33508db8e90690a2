//! The parts of a `.go` file doctor needs, read without a full Go parser: the import
//! paths (the import section is the only place they can be) and the `//go:embed`
//! patterns, each with its line.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoSource {
    /// (line, import path).
    pub imports: Vec<(usize, String)>,
    /// (line, patterns of one `//go:embed` directive).
    pub embeds: Vec<(usize, Vec<String>)>,
    /// The `package` clause's name (`main` for a command).
    pub package: Option<String>,
    /// Where it listens, for the listen-on-loopback rule; read only from a file that
    /// may say (see `may_listen`), and filled in for the rest of its package later.
    pub listen: super::golisten::ListenFacts,
    pub listen_read: bool,
}

pub fn parse(text: &str) -> GoSource {
    let listen_read = may_listen(text);
    let mut source = GoSource {
        listen: if listen_read {
            super::golisten::facts(text)
        } else {
            super::golisten::ListenFacts::default()
        },
        listen_read,
        ..GoSource::default()
    };
    let mut in_comment = false;
    let mut in_import_block = false;
    let mut imports_done = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim();
        if let Some(directive) = trimmed.strip_prefix("//go:embed") {
            if !in_comment && directive.starts_with([' ', '\t']) {
                source.embeds.push((number, embed_patterns(directive)));
            }
            continue;
        }
        if imports_done {
            // Only the comment state matters now, for the `//go:embed` check above.
            if in_comment || raw.contains("/*") {
                strip_comments(raw, &mut in_comment);
            }
            continue;
        }
        let line = strip_comments(raw, &mut in_comment);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if in_import_block {
            if line.starts_with(')') {
                in_import_block = false;
            } else {
                source
                    .imports
                    .extend(quoted_paths(line).into_iter().map(|path| (number, path)));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("import") {
            let rest = rest.trim_start();
            if rest.starts_with('(') {
                in_import_block = !rest.contains(')');
                source
                    .imports
                    .extend(quoted_paths(rest).into_iter().map(|path| (number, path)));
            } else {
                source
                    .imports
                    .extend(quoted_paths(rest).into_iter().map(|path| (number, path)));
            }
        } else if let Some(name) = line.strip_prefix("package ") {
            source.package = Some(name.trim().to_string());
        } else {
            // The first declaration ends the import section.
            imports_done = true;
        }
    }
    source
}

/// Whether a file can name a listen address or a loopback host: reading the
/// listen facts of every line costs more than the rest of doctor on a large
/// project, and most files hold neither.
pub fn may_listen(text: &str) -> bool {
    [
        "Listen",
        "Addr",
        ".Run(",
        ".Start(",
        "127.",
        "localhost",
        "::1",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

/// The line without `//` and `/* … */` comments (strings are rare enough in the
/// import section to ignore).
pub(crate) fn strip_comments<'a>(line: &'a str, in_comment: &mut bool) -> Cow<'a, str> {
    if !*in_comment && !line.contains('/') {
        return Cow::Borrowed(line);
    }
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *in_comment {
            match rest.find("*/") {
                Some(end) => {
                    *in_comment = false;
                    rest = &rest[end + 2..];
                }
                None => return Cow::Owned(out),
            }
        }
        let line_comment = rest.find("//");
        let block_comment = rest.find("/*");
        match (line_comment, block_comment) {
            (Some(l), Some(b)) if b < l => {
                out.push_str(&rest[..b]);
                *in_comment = true;
                rest = &rest[b + 2..];
            }
            (None, Some(b)) => {
                out.push_str(&rest[..b]);
                *in_comment = true;
                rest = &rest[b + 2..];
            }
            (Some(l), _) => {
                out.push_str(&rest[..l]);
                return Cow::Owned(out);
            }
            (None, None) => {
                out.push_str(rest);
                return Cow::Owned(out);
            }
        }
    }
}

/// `"fmt"`, `` `fmt` ``, `name "path"`, several separated by `;`.
fn quoted_paths(line: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else {
            break;
        };
        paths.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    paths
}

/// Space-separated patterns, each possibly `"quoted"` or `` `raw` ``.
fn embed_patterns(directive: &str) -> Vec<String> {
    let mut patterns = Vec::new();
    let mut rest = directive.trim();
    while !rest.is_empty() {
        let first = rest.chars().next().unwrap_or(' ');
        if first == '"' || first == '`' {
            let after = &rest[1..];
            let end = after.find(first).unwrap_or(after.len());
            patterns.push(after[..end].replace("\\\\", "\\"));
            rest = after.get(end + 1..).unwrap_or_default().trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            patterns.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    patterns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_in_every_form_with_their_lines() {
        let source = parse(
            "// Package x.\npackage x\n\nimport \"fmt\"\nimport (\n\t\"net/http\" // why\n\tsvc \"example.com/app/Services\"\n\t/* old: \"example.com/app/gone\" */\n\t_ \"embed\"\n)\nimport (\"os\"; \"io\")\n\nfunc main() {\n\tx := `\nimport \"not/an/import\"\n`\n}\n",
        );
        let paths: Vec<_> = source
            .imports
            .iter()
            .map(|(line, path)| format!("{line}:{path}"))
            .collect();
        assert_eq!(
            paths,
            [
                "4:fmt",
                "6:net/http",
                "7:example.com/app/Services",
                "9:embed",
                "11:os",
                "11:io"
            ]
        );
    }

    #[test]
    fn embed_directives() {
        let source = parse(
            "package web\n\nimport \"embed\"\n\n//go:embed Static/*.html \"with space.txt\" all:assets\nvar files embed.FS\n\n  //go:embed version.txt\n  var v string\n//go:embedded is not one\n",
        );
        assert_eq!(
            source.embeds,
            vec![
                (
                    5,
                    vec![
                        "Static/*.html".to_string(),
                        "with space.txt".into(),
                        "all:assets".into()
                    ]
                ),
                (8, vec!["version.txt".to_string()])
            ]
        );
    }
}
