//! Files doctor cannot read. Every Dockerfile rule needs the parsed file, so a syntax
//! error is reported once here instead of silently skipping the other checks.

use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::project::Project;

pub static DOCKERFILE_SYNTAX: Rule = Rule {
    id: "SD001",
    name: "dockerfile-syntax",
    severity: Severity::Error,
    summary: "A Dockerfile that does not parse.",
    why: "The builder stops at the same place; doctor cannot check the rest of the file either.",
    fix: "Correct the instruction named in the message, then run doctor again.",
    example: "Trips: `RUNN go build` (no such instruction).\nDoes not trip: `RUN go build`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: dockerfile_syntax,
};

pub static COMPOSE_SYNTAX: Rule = Rule {
    id: "SD002",
    name: "compose-syntax",
    severity: Severity::Error,
    summary: "A compose file that is not valid YAML.",
    why: "`docker compose` refuses the file; doctor cannot check its services and volumes either.",
    fix: "Correct the YAML at the place named in the message (indentation is the usual cause).",
    example: "Trips: `services:` / `  app: [` (an unclosed flow sequence).\nDoes not trip: `services:` / `  app:` / `    build: .`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: compose_syntax,
};

fn dockerfile_syntax(project: &Project) -> Vec<Finding> {
    project
        .dockerfiles
        .iter()
        .filter_map(|view| {
            let error = view.parsed.as_ref().err()?;
            Some(Finding::new(
                &DOCKERFILE_SYNTAX,
                Location::line(&view.path, error.line),
                error.message.clone(),
            ))
        })
        .collect()
}

fn compose_syntax(project: &Project) -> Vec<Finding> {
    project
        .compose_files
        .iter()
        .filter_map(|view| {
            let error = view.parsed.as_ref().err()?;
            Some(Finding::new(
                &COMPOSE_SYNTAX,
                Location::file(&view.path),
                error.clone(),
            ))
        })
        .collect()
}
