//! Pitfall 2, CRLF line endings: a script checked out on Windows with CRLF fails in the
//! container (`/bin/sh^M: bad interpreter`, `exec format error`). A Dockerfile with
//! CRLF builds (BuildKit strips the `\r` from instructions), except inside heredoc
//! bodies, which reach the script or file as written. The lasting fix is
//! `.gitattributes`, which wins over each developer's `core.autocrlf`.

use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::fix::Fix;
use crate::doctor::project::{is_under, join, LfKind, Project, TextFile};

pub static CRLF_IN_SCRIPT: Rule = Rule {
    id: "SD201",
    name: "crlf-in-script",
    severity: Severity::Error,
    summary: "CRLF line endings in a shell script or entrypoint, or inside a Dockerfile heredoc.",
    why: "Linux reads the `\\r` as part of each line: `/bin/sh^M: bad interpreter`, `exec format error` at container start, `\\r` inside heredoc scripts and files (BuildKit strips it only from instructions).",
    fix: "Convert the file to LF (`scaffold doctor --fix` does), and pin LF in .gitattributes so the next Windows checkout keeps it.",
    example: "Trips: `docker-entrypoint.sh` saved with CRLF and run by `ENTRYPOINT [\"/docker-entrypoint.sh\"]`; a heredoc body (`RUN <<EOF`) with CRLF.\nDoes not trip: the same script with LF; a CRLF Dockerfile without heredocs (BuildKit strips the `\\r` from instructions: at most a warning).",
    confidence: Confidence::Certain,
    fixable: true,
    check: crlf_in_script,
};

pub static CRLF_IN_SOURCE: Rule = Rule {
    id: "SD202",
    name: "crlf-in-source",
    severity: Severity::Warning,
    summary: "CRLF line endings in a Go source, go.mod/go.sum, compose file or Dockerfile (outside heredocs).",
    why: "The files differ byte for byte between Windows and Linux checkouts: gofmt rewrites every line, diffs and checksums disagree, and multi-line strings and embedded files carry `\\r` into the binary.",
    fix: "Convert the file to LF (`scaffold doctor --fix` does), and pin LF in .gitattributes.",
    example: "Trips: `main.go` or `go.sum` with CRLF.\nDoes not trip: the same files with LF.",
    confidence: Confidence::Certain,
    fixable: true,
    check: crlf_in_source,
};

pub static GITATTRIBUTES_MISSING: Rule = Rule {
    id: "SD203",
    name: "gitattributes-missing",
    severity: Severity::Warning,
    summary: "No .gitattributes: line endings depend on each machine's git settings.",
    why: "Git for Windows installs with `core.autocrlf=true`, so every clone on Windows turns scripts and Dockerfiles into CRLF, which breaks them inside Linux containers.",
    fix: "Add a .gitattributes with `* text=auto eol=lf` (and `eol=crlf` for .bat/.cmd/.ps1); `scaffold doctor --fix` writes one. Then `git add --renormalize .` and commit.",
    example: "Trips: a project with a Dockerfile and `*.sh` scripts and no .gitattributes.\nDoes not trip: a .gitattributes with `* text=auto eol=lf`.",
    confidence: Confidence::Likely,
    fixable: true,
    check: gitattributes_missing,
};

pub static GITATTRIBUTES_WEAK: Rule = Rule {
    id: "SD204",
    name: "gitattributes-weak",
    severity: Severity::Warning,
    summary: ".gitattributes does not pin LF for files that must keep it.",
    why: "Without `eol=lf` (e.g. only `* text=auto`), `core.autocrlf=true` still checks those files out with CRLF on Windows, and they break in the container.",
    fix: "Add `eol=lf` for them, e.g. `* text=auto eol=lf`; `scaffold doctor --fix` appends a line per kind of file. Then `git add --renormalize .` and commit.",
    example: "Trips: .gitattributes with only `* text=auto`.\nDoes not trip: `* text=auto eol=lf`, or `*.sh text eol=lf` for each kind of file that must keep LF.",
    confidence: Confidence::Likely,
    fixable: true,
    check: gitattributes_weak,
};

pub static AUTOCRLF_TRUE: Rule = Rule {
    id: "SD205",
    name: "autocrlf-true",
    severity: Severity::Warning,
    summary: "git's core.autocrlf is true for this repository.",
    why: "Git then writes every text file with CRLF on checkout, unless .gitattributes says otherwise: scripts and Dockerfiles reach the container with `\\r`.",
    fix: "Pin LF in .gitattributes (it wins over core.autocrlf for everyone), or set `git config core.autocrlf input` in this repository.",
    example: "Trips: `git config core.autocrlf true` in a repository whose .gitattributes does not pin LF.\nDoes not trip: `core.autocrlf input`, or a .gitattributes with `* text=auto eol=lf`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: autocrlf_true,
};

const GITATTRIBUTES: &str = "\
# Files that run in Linux containers keep LF on every checkout, whatever
# core.autocrlf says on the machine; Windows scripts keep CRLF.
* text=auto eol=lf
*.bat text eol=crlf
*.cmd text eol=crlf
*.ps1 text eol=crlf
";

const APPENDED_HEADER: &str =
    "# Added by scaffold doctor: these run in Linux containers and must keep LF.";

fn crlf_in_script(project: &Project) -> Vec<Finding> {
    crlf_findings(project)
        .into_iter()
        .filter(|finding| finding.rule.id == CRLF_IN_SCRIPT.id)
        .collect()
}

fn crlf_in_source(project: &Project) -> Vec<Finding> {
    crlf_findings(project)
        .into_iter()
        .filter(|finding| finding.rule.id == CRLF_IN_SOURCE.id)
        .collect()
}

/// One finding per file with CRLF lines, under the rule and severity that fit what the
/// `\r` does there.
fn crlf_findings(project: &Project) -> Vec<Finding> {
    project
        .text_files
        .iter()
        .filter(|file| file.crlf_lines > 0)
        .map(|file| {
            let location = match file.first_crlf_line {
                Some(line) => Location::line(&file.path, line),
                None => Location::file(&file.path),
            };
            let described = format!(
                "{} with CRLF line endings ({} line{})",
                file.kind.describe(),
                file.crlf_lines,
                if file.crlf_lines == 1 { "" } else { "s" }
            );
            let finding = match file.kind {
                LfKind::Dockerfile => dockerfile_crlf(project, file, described),
                LfKind::Script | LfKind::Entrypoint => {
                    script_crlf(project, file, location, described)
                }
                _ => Finding::new(&CRLF_IN_SOURCE, location, described),
            };
            finding.repair(Fix::CrlfToLf {
                path: file.path.clone(),
            })
        })
        .collect()
}

/// CRLF in a heredoc body breaks the script or file it writes; elsewhere BuildKit
/// strips it and the Dockerfile builds.
fn dockerfile_crlf(project: &Project, file: &TextFile, described: String) -> Finding {
    let bytes = std::fs::read(project.root.join(&file.path)).unwrap_or_default();
    let crlf = crlf_line_numbers(&bytes);
    let in_heredoc = project
        .dockerfiles
        .iter()
        .find(|view| view.path == file.path)
        .and_then(|view| view.parsed.as_ref().ok())
        .and_then(|dockerfile| {
            dockerfile
                .instructions
                .iter()
                .flat_map(|i| &i.heredocs)
                .find_map(|heredoc| {
                    let body = heredoc.line..heredoc.line + heredoc.body.lines().count();
                    crlf.iter()
                        .find(|line| body.contains(line))
                        .map(|line| (*line, heredoc))
                })
        });
    match in_heredoc {
        Some((line, heredoc)) => Finding::new(
            &CRLF_IN_SCRIPT,
            Location::line(&file.path, line),
            format!(
                "{described}, inside the heredoc `<<{}`: its lines reach the script or file with `\\r`",
                heredoc.name
            ),
        ),
        None => Finding::new(
            &CRLF_IN_SOURCE,
            Location::line(&file.path, file.first_crlf_line.unwrap_or(1)),
            format!("{described}; BuildKit strips the `\\r` from instructions, so it builds, but a heredoc added later would carry it"),
        )
        .severity(Severity::Info),
    }
}

/// An error where an image runs the script (copied by name, or named by ENTRYPOINT,
/// CMD or RUN in a Dockerfile that copies it); a warning elsewhere, since it still
/// fails wherever Linux runs it.
fn script_crlf(
    project: &Project,
    file: &TextFile,
    location: Location,
    described: String,
) -> Finding {
    match image_running(project, &file.path) {
        Some(dockerfile) => Finding::new(
            &CRLF_IN_SCRIPT,
            location,
            format!("{described}, run by the image that `{dockerfile}` builds"),
        ),
        None => Finding::new(
            &CRLF_IN_SCRIPT,
            location,
            format!("{described}; no Dockerfile here runs it, but it fails wherever Linux does"),
        )
        .severity(Severity::Warning)
        .confidence(Confidence::Likely),
    }
}

/// The Dockerfile whose image runs the script at `path`.
fn image_running(project: &Project, path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    project.parsed_dockerfiles().find_map(|(view, dockerfile)| {
        let mut copied_by_name = false;
        let mut copied = false;
        let mut named = false;
        for instruction in &dockerfile.instructions {
            let words = instruction.words();
            match instruction.keyword.as_str() {
                "COPY" | "ADD" if instruction.flag("from").is_none() => {
                    let Some((_, sources)) = words.split_last() else {
                        continue;
                    };
                    for source in sources {
                        let Some(source) = join(&view.context, source) else {
                            continue;
                        };
                        copied_by_name |= source.eq_ignore_ascii_case(path);
                        copied |= is_under(path, &source) || source == view.context;
                    }
                }
                "ENTRYPOINT" | "CMD" | "RUN" => {
                    named |= words
                        .iter()
                        .any(|word| word.split(['/', ' ', ';', '&']).any(|part| part == name));
                }
                _ => {}
            }
        }
        (copied_by_name || (copied && named)).then(|| view.path.clone())
    })
}

/// 1-based numbers of the lines that end in CRLF.
fn crlf_line_numbers(bytes: &[u8]) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'\n' {
            if index > 0 && bytes[index - 1] == b'\r' {
                lines.push(line);
            }
            line += 1;
        }
    }
    lines
}

fn gitattributes_missing(project: &Project) -> Vec<Finding> {
    if project.gitattributes.is_some() || project.text_files.is_empty() {
        return Vec::new();
    }
    vec![Finding::new(
        &GITATTRIBUTES_MISSING,
        Location::file(".gitattributes"),
        format!(
            "no .gitattributes, so a Windows checkout may turn {} into CRLF",
            examples(project.text_files.iter().collect())
        ),
    )
    .repair(Fix::Create {
        path: ".gitattributes".to_string(),
        contents: GITATTRIBUTES.to_string(),
    })]
}

fn gitattributes_weak(project: &Project) -> Vec<Finding> {
    if project.gitattributes.is_none() {
        return Vec::new();
    }
    let unpinned = unpinned(project);
    if unpinned.is_empty() {
        return Vec::new();
    }
    let mut finding = Finding::new(
        &GITATTRIBUTES_WEAK,
        Location::file(".gitattributes"),
        format!("LF is not pinned for {}", examples(unpinned.clone())),
    );
    let patterns: Option<Vec<String>> = unpinned.iter().map(|file| pattern_for(file)).collect();
    if let Some(mut patterns) = patterns {
        patterns.dedup();
        let mut lines = vec![APPENDED_HEADER.to_string()];
        let mut seen = Vec::new();
        for pattern in patterns {
            if !seen.contains(&pattern) {
                lines.push(format!("{pattern} text eol=lf"));
                seen.push(pattern);
            }
        }
        finding = finding.repair(Fix::Append {
            path: ".gitattributes".to_string(),
            lines,
        });
    }
    vec![finding]
}

/// Reported at .gitattributes: the lasting fix goes there, and code hosts need a file
/// to attach a SARIF result to.
fn autocrlf_true(project: &Project) -> Vec<Finding> {
    let Some(setting) = project.git.as_ref().and_then(|git| git.autocrlf.as_ref()) else {
        return Vec::new();
    };
    if !matches!(
        setting.value.to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1"
    ) {
        return Vec::new();
    }
    let unpinned = unpinned(project);
    let message = format!("core.autocrlf={} in {}", setting.value, setting.origin);
    if unpinned.is_empty() {
        // .gitattributes covers every file that matters: worth knowing, not failing.
        return vec![Finding::new(
            &AUTOCRLF_TRUE,
            Location::file(".gitattributes"),
            format!("{message}; .gitattributes keeps the files that must be LF safe from it"),
        )
        .severity(Severity::Info)
        .hint("Nothing to do for the build; `git config core.autocrlf input` keeps other text files LF too.")];
    }
    let hint = if setting.local {
        "Pin LF in .gitattributes (see SD203/SD204), or run `git config core.autocrlf input` in this repository."
    } else {
        "Pin LF in .gitattributes (see SD203/SD204): it wins over the setting on every machine."
    };
    vec![Finding::new(
        &AUTOCRLF_TRUE,
        Location::file(".gitattributes"),
        format!(
            "{message}: {} will be checked out with CRLF",
            examples(unpinned)
        ),
    )
    .hint(hint)]
}

/// Files that must keep LF and that .gitattributes leaves to core.autocrlf.
fn unpinned(project: &Project) -> Vec<&TextFile> {
    project
        .text_files
        .iter()
        .filter(|file| !project.pins_lf(&file.path))
        .collect()
}

/// A .gitattributes pattern covering files like this one; None when the path cannot
/// be written as a plain pattern (spaces, quotes).
fn pattern_for(file: &TextFile) -> Option<String> {
    if file.path.contains([' ', '"', '\t', '\\', '[', '*', '?']) {
        return None;
    }
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let extension = name.rsplit_once('.').map(|(_, ext)| ext);
    let pattern = match file.kind {
        LfKind::Dockerfile if name.starts_with("Dockerfile.") => "Dockerfile.*".to_string(),
        LfKind::Dockerfile | LfKind::GoModule | LfKind::Compose => {
            if name.contains('.') && file.kind == LfKind::Dockerfile {
                format!("*.{}", extension.unwrap_or("Dockerfile"))
            } else {
                name.to_string()
            }
        }
        LfKind::Go => "*.go".to_string(),
        LfKind::Script if matches!(extension, Some("sh" | "bash")) => {
            format!("*.{}", extension.unwrap_or("sh"))
        }
        LfKind::Script | LfKind::Entrypoint => format!("/{}", file.path),
    };
    Some(pattern)
}

/// `a`, `b`, `c` and N more.
fn examples(files: Vec<&TextFile>) -> String {
    const SHOWN: usize = 3;
    let names: Vec<String> = files
        .iter()
        .take(SHOWN)
        .map(|file| format!("`{}`", file.path))
        .collect();
    let more = files.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, kind: LfKind) -> TextFile {
        TextFile {
            path: path.to_string(),
            kind,
            crlf_lines: 0,
            first_crlf_line: None,
        }
    }

    #[test]
    fn crlf_lines_are_numbered_from_one() {
        assert_eq!(crlf_line_numbers(b"a\r\nb\nc\r\n"), [1, 3]);
    }

    #[test]
    fn patterns_per_kind() {
        let cases = [
            ("Dockerfile", LfKind::Dockerfile, "Dockerfile"),
            ("build/Dockerfile.prod", LfKind::Dockerfile, "Dockerfile.*"),
            ("api.Dockerfile", LfKind::Dockerfile, "*.Dockerfile"),
            ("go.sum", LfKind::GoModule, "go.sum"),
            ("deploy/compose.yaml", LfKind::Compose, "compose.yaml"),
            ("cmd/x/main.go", LfKind::Go, "*.go"),
            ("scripts/run.sh", LfKind::Script, "*.sh"),
            ("tools/entry", LfKind::Script, "/tools/entry"),
            (
                "docker-entrypoint",
                LfKind::Entrypoint,
                "/docker-entrypoint",
            ),
        ];
        for (path, kind, pattern) in cases {
            assert_eq!(
                pattern_for(&file(path, kind)).as_deref(),
                Some(pattern),
                "{path}"
            );
        }
        assert_eq!(pattern_for(&file("my scripts/a.sh", LfKind::Script)), None);
    }

    #[test]
    fn the_written_gitattributes_pins_every_kind() {
        let attributes = crate::doctor::gitattributes::Gitattributes::parse(GITATTRIBUTES);
        for path in [
            "Dockerfile",
            "a/b.sh",
            "main.go",
            "go.sum",
            "compose.yaml",
            "entry",
        ] {
            assert!(attributes.pins_lf(path), "{path}");
        }
    }
}
