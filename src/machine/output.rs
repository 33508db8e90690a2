//! `doctor --host` reports as text (each check on a line, then the findings with why
//! and what to do) and JSON, in the same shapes and words as project findings
//! (doctor's `output` wraps and colours both).

use console::style;
use serde_json::{json, Value};

use super::finding::{HostFinding, HostRule, Report, State};
use crate::doctor::output::{paint, severity_label, wrap, Format};
use crate::doctor::Severity;

const TOOL: &str = "scaffold doctor --host";

pub fn render(
    format: Format,
    dir: &str,
    reports: &[Report],
    threshold: Severity,
    color: bool,
) -> String {
    match format {
        Format::Json => json(dir, reports),
        _ => text(dir, reports, threshold, color),
    }
}

/// Every finding with its check, the ones that break something first (as doctor's
/// text leads with them), in check order within a severity.
fn findings(reports: &[Report]) -> Vec<(&'static str, &HostFinding)> {
    let mut found: Vec<(&'static str, &HostFinding)> = reports
        .iter()
        .flat_map(|report| {
            report
                .findings
                .iter()
                .map(move |finding| (report.check, finding))
        })
        .collect();
    found.sort_by_key(|(_, finding)| std::cmp::Reverse(finding.severity));
    found
}

pub fn text(dir: &str, reports: &[Report], threshold: Severity, color: bool) -> String {
    let mut out = paint(
        color,
        style(format!("This machine, for the project in {dir}:")).bold(),
    );
    out.push_str("\n\n");
    for report in reports {
        let (status, detail) = match &report.state {
            State::NotApplicable(why) => ("n/a", why.as_str()),
            State::Checked(seen) if report.findings.is_empty() => ("ok", seen.as_str()),
            State::Checked(seen) => ("found", seen.as_str()),
        };
        let status = match status {
            "ok" => paint(color, style(format!("{status:<6}")).green()),
            "found" => paint(color, style(format!("{status:<6}")).yellow().bold()),
            _ => paint(color, style(format!("{status:<6}")).dim()),
        };
        let first = format!("  {:<12} {status} ", report.check);
        out.push_str(&wrap(detail, &first, &" ".repeat(22)));
    }
    let found = findings(reports);
    out.push('\n');
    if found.is_empty() {
        let ran = reports
            .iter()
            .filter(|r| matches!(r.state, State::Checked(_)))
            .count();
        out.push_str(&format!(
            "{} no findings on this machine ({ran} checks ran, {} not applicable here).",
            paint(color, style("ok:").green().bold()),
            reports.len() - ran
        ));
        return out;
    }
    out.push_str(&paint(
        color,
        style(format!("Findings ({}):", found.len())).bold(),
    ));
    out.push_str("\n\n");
    for (check, finding) in &found {
        out.push_str(&format!(
            "  {} {} {} {}\n",
            severity_label(finding.severity, color),
            paint(color, style(finding.rule.id).bold()),
            paint(color, style(finding.rule.name).dim()),
            paint(color, style(format!("({check})")).dim()),
        ));
        out.push_str(&wrap(&finding.message, "    ", "    "));
        out.push_str(&wrap(finding.rule.why, "    why: ", "         "));
        out.push_str(&wrap(finding.fix_text(), "    fix: ", "         "));
    }
    out.push('\n');
    out.push_str(&summary(&found, threshold, color));
    out.push_str(&format!(
        "\n`scaffold doctor --explain {}` says what a host rule finds and why.",
        found[0].1.rule.id
    ));
    out
}

fn summary(found: &[(&str, &HostFinding)], threshold: Severity, color: bool) -> String {
    let mut parts = Vec::new();
    for (severity, singular, plural) in [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ] {
        let n = found.iter().filter(|(_, f)| f.severity == severity).count();
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { singular } else { plural }));
        }
    }
    let mut line = format!(
        "{} finding{}: {}",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if !found.iter().any(|(_, f)| f.severity >= threshold) {
        line.push_str(&format!(" (none at or above --fail-on {threshold})"));
    }
    line.push('.');
    paint(color, style(line).bold())
}

pub fn json(dir: &str, reports: &[Report]) -> String {
    let found = findings(reports);
    let count = |severity: Severity| found.iter().filter(|(_, f)| f.severity == severity).count();
    let checks: Vec<Value> = reports
        .iter()
        .map(|report| {
            let (status, detail) = match &report.state {
                State::NotApplicable(why) => ("not-applicable", why),
                State::Checked(seen) if report.findings.is_empty() => ("ok", seen),
                State::Checked(seen) => ("findings", seen),
            };
            json!({ "check": report.check, "status": status, "detail": detail })
        })
        .collect();
    let value = json!({
        "tool": { "name": TOOL, "version": env!("CARGO_PKG_VERSION") },
        "dir": dir,
        "checks": checks,
        "findings": found.iter().map(|(check, finding)| json!({
            "rule": finding.rule.id,
            "name": finding.rule.name,
            "check": check,
            "severity": finding.severity.as_str(),
            "message": finding.message,
            "why": finding.rule.why,
            "fix": finding.fix_text(),
        })).collect::<Vec<_>>(),
        "summary": {
            "total": found.len(),
            "error": count(Severity::Error),
            "warning": count(Severity::Warning),
            "info": count(Severity::Info),
            "not_applicable": reports.iter().filter(|r| matches!(r.state, State::NotApplicable(_))).count(),
        },
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// `--explain SH601`: what a host rule finds, why it matters and what to do.
pub fn explain(rule: &HostRule) -> String {
    let mut out = format!(
        "{} {} ({}, checked by `scaffold doctor --host`)\n{}\n\n",
        rule.id, rule.name, rule.severity, rule.summary
    );
    out.push_str(&wrap(rule.why, "Why: ", "     "));
    out.push('\n');
    out.push_str(&wrap(rule.fix, "Fix: ", "     "));
    out
}
