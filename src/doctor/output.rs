//! Findings as text for people (grouped by file, coloured when wanted), JSON for
//! scripts, and SARIF 2.1.0 for code hosts (GitHub code scanning and others). Returns
//! strings; `report` prints them.

use console::style;
use serde_json::{json, Value};

use crate::doctor::finding::{Finding, Rule, Severity};
use crate::doctor::rules;
use crate::doctor::skipped::Skipped;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Grouped by file, with why and how to fix each finding.
    #[default]
    Text,
    /// One object with every finding and a summary, for scripts.
    Json,
    /// SARIF 2.1.0, for code scanning on code hosts.
    Sarif,
}

const TOOL: &str = "scaffold doctor";
const WIDTH: usize = 100;

pub fn render(format: Format, findings: &[Finding], threshold: Severity, color: bool) -> String {
    match format {
        Format::Text => text(findings, threshold, color),
        Format::Json => json(findings),
        Format::Sarif => sarif(findings),
    }
}

/// Findings that break the build or the container first, each with why and how to
/// fix it; then the rest, each with what and how to fix it (`--explain` has the why).
pub fn text(findings: &[Finding], threshold: Severity, color: bool) -> String {
    if findings.is_empty() {
        return format!(
            "{} no findings ({} rules: path case, line endings, module downloads, layer cache, cgo, base image, permissions, WSL placement).",
            paint(color, style("ok:").green().bold()),
            rules::ALL.len()
        );
    }
    let (breaking, rest): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|finding| finding.breaks());
    let mut out = String::new();
    if !breaking.is_empty() {
        let heading = format!("Breaks the build or the container ({}):", breaking.len());
        out.push_str(&paint(color, style(heading).red().bold()));
        out.push_str("\n\n");
        out.push_str(&by_file(&breaking, true, color));
    }
    if !rest.is_empty() {
        if !breaking.is_empty() {
            out.push('\n');
        }
        let heading = format!("Other findings ({}):", rest.len());
        out.push_str(&paint(color, style(heading).bold()));
        out.push_str("\n\n");
        out.push_str(&by_file(&rest, false, color));
    }
    out.push('\n');
    out.push_str(&summary(findings, threshold, color));
    if !rest.is_empty() {
        out.push_str(&format!(
            "\n`scaffold doctor --explain {}` says why a rule matters, with an example.",
            rest[0].rule.id
        ));
    }
    out
}

/// Findings grouped under their file, in the order given; `why` adds the rule's
/// rationale to each.
fn by_file(findings: &[&Finding], why: bool, color: bool) -> String {
    let mut out = String::new();
    let mut current_file: Option<Option<&str>> = None;
    for finding in findings {
        let file = finding.location.file.as_deref();
        if current_file != Some(file) {
            if current_file.is_some() {
                out.push('\n');
            }
            let heading = file.unwrap_or("(project)");
            out.push_str(&paint(color, style(heading).bold()));
            out.push('\n');
            current_file = Some(file);
        }
        out.push_str(&headline(finding, color));
        out.push_str(&wrap(&finding.message, "    ", "    "));
        if why {
            out.push_str(&wrap(finding.rule.why, "    why: ", "         "));
        }
        let mut fix = finding.fix_text().to_string();
        if finding.repair.is_some() && finding.hint.is_some() {
            fix.push_str(" (--fix does this)");
        }
        out.push_str(&wrap(&fix, "    fix: ", "         "));
    }
    out
}

/// `  line 12  warning SD401 context-copied-before-download (certain)`: the place
/// always ends in a space, however long the line number.
fn headline(finding: &Finding, color: bool) -> String {
    let place = match finding.location.line {
        Some(line) => format!("line {line}"),
        None => String::new(),
    };
    format!(
        "  {place:<8} {} {} {} {}\n",
        severity_label(finding.severity, color),
        paint(color, style(finding.rule.id).bold()),
        paint(color, style(finding.rule.name).dim()),
        paint(color, style(format!("({})", finding.confidence)).dim()),
    )
}

/// `--explain`: what a rule finds, why it matters, an example and the fix.
pub fn explain(rule: &Rule) -> String {
    let mut out = format!(
        "{} {} ({}, pitfall {}{})\n{}\n\n",
        rule.id,
        rule.name,
        rule.severity,
        rule.pitfall(),
        if rule.fixable {
            ", --fix repairs it"
        } else {
            ""
        },
        rule.summary
    );
    out.push_str(&wrap(rule.why, "Why: ", "     "));
    out.push('\n');
    out.push_str("Example:\n");
    for line in rule.example.lines() {
        out.push_str(&wrap(line, "  ", "    "));
    }
    out.push('\n');
    out.push_str(&wrap(rule.fix, "Fix: ", "     "));
    out
}

fn summary(findings: &[Finding], threshold: Severity, color: bool) -> String {
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    let mut parts = Vec::new();
    for (severity, singular, plural) in [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ] {
        let n = count(severity);
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { singular } else { plural }));
        }
    }
    let fixable = findings.iter().filter(|f| f.repair.is_some()).count();
    let mut line = format!(
        "{} finding{}: {}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if fixable > 0 {
        line.push_str(&format!(
            "; {fixable} can be fixed with `scaffold doctor --fix`"
        ));
    }
    let failing = findings.iter().any(|f| f.severity >= threshold);
    if !failing {
        line.push_str(&format!(" (none at or above --fail-on {threshold})"));
    }
    line.push('.');
    paint(color, style(line).bold())
}

pub(crate) fn severity_label(severity: Severity, color: bool) -> String {
    let label = format!("{:<7}", severity.as_str());
    let styled = match severity {
        Severity::Error => style(label).red().bold(),
        Severity::Warning => style(label).yellow().bold(),
        Severity::Info => style(label).cyan(),
    };
    paint(color, styled)
}

pub(crate) fn paint<D: std::fmt::Display>(color: bool, styled: console::StyledObject<D>) -> String {
    styled.force_styling(color).to_string()
}

/// Word-wraps `text` to WIDTH columns: `first` before the first line, `rest` before
/// the others.
pub(crate) fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

pub fn json(findings: &[Finding]) -> String {
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    let value = json!({
        "tool": { "name": TOOL, "version": env!("CARGO_PKG_VERSION") },
        "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
        "summary": {
            "total": findings.len(),
            "error": count(Severity::Error),
            "warning": count(Severity::Warning),
            "info": count(Severity::Info),
            "fixable": findings.iter().filter(|f| f.repair.is_some()).count(),
        },
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn finding_json(finding: &Finding) -> Value {
    json!({
        "rule": finding.rule.id,
        "name": finding.rule.name,
        "pitfall": finding.rule.pitfall(),
        "severity": finding.severity.as_str(),
        "confidence": finding.confidence.as_str(),
        "file": finding.location.file,
        "line": finding.location.line,
        "message": finding.message,
        "why": finding.rule.why,
        "fix": finding.fix_text(),
        "fixable": finding.repair.is_some(),
    })
}

pub fn sarif(findings: &[Finding]) -> String {
    let results: Vec<Value> = findings.iter().map(sarif_result).collect();
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules::ALL.iter().map(|rule| sarif_rule(rule)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn sarif_rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.why },
        "help": { "text": format!("{}\n\nExample:\n{}", rule.fix, rule.example) },
        "defaultConfiguration": { "level": rule.severity.sarif_level() },
        "properties": {
            "pitfall": rule.pitfall(),
            "fixable": rule.fixable,
            "confidence": rule.confidence.as_str(),
            "tags": ["go", "docker", "portability"],
        },
    })
}

fn sarif_result(finding: &Finding) -> Value {
    let rule_index = rules::ALL
        .iter()
        .position(|rule| rule.id == finding.rule.id)
        .unwrap_or_default();
    let mut result = json!({
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level(),
        "rank": finding.confidence.sarif_rank(),
        "message": { "text": format!("{}. Fix: {}", finding.message, finding.fix_text()) },
        "properties": { "confidence": finding.confidence.as_str() },
    });
    if let Some(file) = &finding.location.file {
        let mut location = json!({
            "physicalLocation": {
                "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
            }
        });
        if let Some(line) = finding.location.line {
            location["physicalLocation"]["region"] = json!({ "startLine": line });
        }
        result["locations"] = json!([location]);
    }
    result
}

/// Like `render`, and says which files were not checked: a line in text (a clean
/// report over skipped files is not a clean project), a `skipped` array in JSON, tool
/// execution notifications in SARIF.
pub fn render_with_skipped(
    format: Format,
    findings: &[Finding],
    skipped: &[Skipped],
    threshold: Severity,
    color: bool,
) -> String {
    let rendered = render(format, findings, threshold, color);
    if format == Format::Text {
        return match skipped_line(skipped) {
            Some(line) => {
                let wrapped = wrap(&line, "", "    ");
                format!(
                    "{rendered}\n{}",
                    paint(color, style(wrapped.trim_end()).yellow())
                )
            }
            None => rendered,
        };
    }
    let Ok(mut value) = serde_json::from_str::<Value>(&rendered) else {
        return rendered;
    };
    let entries: Vec<Value> = skipped
        .iter()
        .map(|skip| json!({ "path": skip.path, "reason": skip.reason.to_string() }))
        .collect();
    match format {
        Format::Json => value["skipped"] = Value::Array(entries),
        _ if skipped.is_empty() => return rendered,
        _ => {
            let notifications: Vec<Value> = skipped
                .iter()
                .map(|skip| {
                    json!({
                        "level": "warning",
                        "message": { "text": format!("not checked: {} ({})", skip.path, skip.reason) },
                        "locations": [{ "physicalLocation": { "artifactLocation": { "uri": skip.path, "uriBaseId": "%SRCROOT%" } } }],
                    })
                })
                .collect();
            value["runs"][0]["invocations"] = json!([{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }]);
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or(rendered)
}

/// A path short enough for one line: its start and end around `…` when long (a folder
/// past PATH_MAX is thousands of characters).
fn short_path(path: &str) -> String {
    const KEEP: usize = 30;
    let chars: Vec<char> = path.chars().collect();
    if path.is_empty() {
        ".".to_string()
    } else if chars.len() <= 2 * KEEP + 1 {
        path.to_string()
    } else {
        let start: String = chars[..KEEP].iter().collect();
        let end: String = chars[chars.len() - KEEP..].iter().collect();
        format!("{start}…{end}")
    }
}

/// `skipped 2 files (not checked): a (why), b (why)`, the first few named.
fn skipped_line(skipped: &[Skipped]) -> Option<String> {
    const NAMED: usize = 5;
    if skipped.is_empty() {
        return None;
    }
    let mut named: Vec<String> = skipped
        .iter()
        .take(NAMED)
        .map(|skip| format!("{} ({})", short_path(&skip.path), skip.reason))
        .collect();
    if skipped.len() > NAMED {
        named.push(format!(
            "and {} more (see --format json)",
            skipped.len() - NAMED
        ));
    }
    Some(format!(
        "skipped {} file{} (not checked): {}.",
        skipped.len(),
        if skipped.len() == 1 { "" } else { "s" },
        named.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_hanging_indent() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text, "  why: ", "       ");
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        assert!(lines[0].starts_with("  why: word") && lines[1].starts_with("       word"));
    }
}
