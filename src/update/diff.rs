//! The unified diff an update would apply, for `--dry-run`: per file, the user's file
//! now against what the update would write (conflict markers included).

use similar::TextDiff;

use crate::update::merge::FilePlan;

/// The diff of every file the update writes, `git diff` style.
pub fn unified(plans: &[FilePlan]) -> String {
    let mut text = String::new();
    for plan in plans {
        let Some(after) = &plan.after else { continue };
        let before = plan.before.as_deref().unwrap_or_default();
        let (old, new) = (
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(after),
        );
        let old_name = match plan.before {
            Some(_) => format!("a/{}", plan.path),
            None => "/dev/null".to_string(),
        };
        let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
        text.push_str(&format!("diff {} ({})\n", plan.path, plan.status.name()));
        text.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &format!("b/{}", plan.path))
                .to_string(),
        );
    }
    text
}

/// Lines coloured as `git diff` does; console leaves them plain unless stdout is a
/// terminal that wants colour (NO_COLOR, CLICOLOR are honoured).
pub fn coloured(text: &str) -> String {
    use console::style;
    text.lines()
        .map(|line| {
            let styled = match line.as_bytes().first() {
                _ if line.starts_with("diff ") => style(line).bold(),
                _ if line.starts_with("+++") || line.starts_with("---") => style(line).bold(),
                Some(b'+') => style(line).green(),
                Some(b'-') => style(line).red(),
                Some(b'@') => style(line).cyan(),
                _ => style(line),
            };
            format!("{styled}\n")
        })
        .collect()
}
