//! The functions a template may call. A project must follow from its answers alone:
//! the same answers give the same files on any machine, and nothing of the machine
//! (its environment, CI secrets, the clock) can land in a generated file or its first
//! commit. So Tera's functions that read outside the answers are replaced by ones that
//! fail with why, and `range` is bounded so a template cannot exhaust memory or time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tera::{Tera, Value};

/// The most numbers all `range` calls of one render may produce together: nested
/// loops count in full, so `range(end=100000000)` and three nested `range(end=1000)` both
/// stop here. The built-in templates produce none.
pub const RANGE_BUDGET: u64 = 1_000_000;

/// Tera functions that read the machine rather than the answers, and why each is refused.
const REFUSED: [(&str, &str); 3] = [
    (
        "get_env",
        "it reads the environment of the machine running scaffold, so CI secrets could land in the project and its first commit; declare a [[variables]] entry in scaffold-template.toml and pass it with --set instead",
    ),
    (
        "now",
        "it reads the clock, so the same answers would make a different project each time",
    ),
    (
        "get_random",
        "it makes the same answers give a different project each time",
    ),
];

/// Replaces Tera's functions on `tera` with scaffold's.
pub fn install(tera: &mut Tera) {
    for (name, why) in REFUSED {
        tera.register_function(name, move |_: &HashMap<String, Value>| {
            Err(tera::Error::msg(format!(
                "the function `{name}` is not available to templates: {why}"
            )))
        });
    }
    let budget = Arc::new(AtomicU64::new(RANGE_BUDGET));
    tera.register_function("range", move |args: &HashMap<String, Value>| {
        bounded_range(args, &budget)
    });
}

fn bounded_range(args: &HashMap<String, Value>, budget: &AtomicU64) -> tera::Result<Value> {
    let number = |name: &str, default: Option<u64>| -> tera::Result<u64> {
        match args.get(name) {
            None => default.ok_or_else(|| {
                tera::Error::msg(format!("the function `range` needs an `{name}` argument"))
            }),
            Some(value) => value
                .as_u64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| {
                    tera::Error::msg(format!(
                        "the function `range` got {name}={value}, which is not a whole number"
                    ))
                }),
        }
    };
    let start = number("start", Some(0))?;
    let end = number("end", None)?;
    let step = number("step_by", Some(1))?.max(1);
    if start > end {
        return Err(tera::Error::msg(
            "the function `range` got a `start` greater than its `end`",
        ));
    }
    let count = (end - start).div_ceil(step);
    let left = budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(count)
        })
        .is_ok();
    if !left {
        return Err(tera::Error::msg(format!(
            "the function `range` would produce more than {RANGE_BUDGET} numbers in this project (nested loops count in full); a project template needs far fewer"
        )));
    }
    Ok(Value::from(
        (start..end).step_by(step as usize).collect::<Vec<u64>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> Result<String, String> {
        let mut tera = Tera::default();
        install(&mut tera);
        tera.render_str(template, &tera::Context::new())
            .map_err(|error| {
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    message.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                message
            })
    }

    #[test]
    fn functions_that_read_the_machine_are_refused_with_why() {
        for (call, why) in [
            ("get_env(name=\"HOME\")", "environment"),
            ("now()", "clock"),
            ("get_random(end=9)", "different project"),
        ] {
            let error = render(&format!("{{{{ {call} }}}}")).unwrap_err();
            let name = call.split('(').next().unwrap();
            assert!(
                error.contains(&format!("`{name}`")) && error.contains(why),
                "{call}: {error}"
            );
        }
    }

    #[test]
    fn range_works_and_is_bounded() {
        assert_eq!(
            render("{% for i in range(start=1, end=7, step_by=2) %}{{ i }}{% endfor %}").unwrap(),
            "135"
        );
        let started = std::time::Instant::now();
        let error = render("{% for i in range(end=100000000) %}{% endfor %}").unwrap_err();
        assert!(error.contains("more than 1000000"), "{error}");
        let nested = "{% for i in range(end=1000) %}{% for j in range(end=1000) %}{% for k in range(end=1000) %}{% endfor %}{% endfor %}{% endfor %}";
        assert!(render(nested).unwrap_err().contains("nested loops"));
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }
}
