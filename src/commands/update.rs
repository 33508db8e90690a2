//! `scaffold update`: runs the update and reports it, as text or JSON.

use crate::cli::UpdateArgs;
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::report::Reporter;
use crate::update::merge::Status;
use crate::update::{self, diff, Ending, Outcome};

pub fn run(args: &UpdateArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let outcome = update::update(args)?;
    if let Some(warning) = &outcome.warning {
        reporter.warn(warning);
    }
    if args.json {
        reporter.output(json(&outcome));
    } else {
        if outcome.ending == Ending::DryRun {
            reporter.output(diff::coloured(&diff::unified(&outcome.files)).trim_end());
        }
        report(reporter, &outcome);
    }
    Ok(if outcome.conflicts().next().is_some() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn json(outcome: &Outcome) -> String {
    let files: Vec<_> = outcome
        .files
        .iter()
        .map(|f| serde_json::json!({ "path": f.path, "status": f.status }))
        .collect();
    let value = serde_json::json!({
        "outcome": outcome.ending,
        "from": outcome.from,
        "to": outcome.to,
        "baseline": outcome.baseline,
        "render": outcome.render,
        "commit": outcome.commit,
        "changed_answers": outcome.changed_answers,
        "files": files,
    });
    serde_json::to_string_pretty(&value).expect("the report serialises")
}

fn report(reporter: &Reporter, outcome: &Outcome) {
    if outcome.ending == Ending::NothingToDo {
        reporter.status(
            "Up to date",
            format!(
                "{} renders as it did ({}); nothing to do",
                outcome.dir.display(),
                outcome.to
            ),
        );
        return;
    }
    for change in &outcome.changed_answers {
        reporter.status("Answer", change);
    }
    for file in &outcome.files {
        let (label, note) = match file.status {
            Status::Unchanged => continue,
            Status::Updated => ("Updated", ""),
            Status::Added => ("Added", ""),
            Status::Conflict => ("Conflict", ""),
            Status::KeptDeleted => (
                "Kept",
                " deleted (you deleted it; --restore-deleted brings it back)",
            ),
            Status::DroppedByTemplates => (
                "Dropped",
                " by the templates (the file stays; delete it if you do not need it)",
            ),
        };
        reporter.status(label, format!("{}{note}", file.path));
    }
    let summary = if outcome.from == outcome.to {
        format!("with {}", outcome.to)
    } else {
        format!("from {} to {}", outcome.from, outcome.to)
    };
    match outcome.ending {
        Ending::DryRun => reporter.status("Dry run", format!("{summary}; nothing was written")),
        Ending::Committed => reporter.status(
            "Committed",
            format!(
                "{} (merge of the render {}) {summary}",
                short(outcome.commit.as_deref()),
                short(outcome.render.as_deref())
            ),
        ),
        Ending::Written => reporter.note(format!(
            "Updated {summary}, not committed: check with `git diff`, then `git add -A && git commit` (it records the update as a merge; `git reset --hard` undoes it)"
        )),
        Ending::Conflicts => reporter.note(conflict_listing(outcome)),
        Ending::NothingToDo => {}
    }
}

/// The conflicts, last, so they are what the user sees.
fn conflict_listing(outcome: &Outcome) -> String {
    let conflicts: Vec<String> = outcome
        .conflicts()
        .map(|f| format!("  {}", f.path))
        .collect();
    format!(
        "\n{} file(s) have conflicts, marked <<<<<<< yours … ======= … >>>>>>> templates:\n{}\n\
         Resolve them (search for `<<<<<<<`), then `git add -A && git commit`: the commit records the update \
         from {} to {} as a merge. To undo the update instead: `git reset --hard` (and delete the files it added).",
        conflicts.len(),
        conflicts.join("\n"),
        outcome.from,
        outcome.to,
    )
}

fn short(id: Option<&str>) -> &str {
    id.map(|id| &id[..id.len().min(7)]).unwrap_or("")
}
