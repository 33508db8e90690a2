//! Every doctor rule, one file per pitfall of pitfalls.md, registered here.
//!
//! Ids are stable: the hundreds digit is the pitfall (1 path case, 2 line endings,
//! 3 module downloads, 4 layer cache, 5 cgo, 6 base image, 7 permissions and how the
//! service runs in its container (SD706 listen-on-loopback), 8 WSL placement; 0 for
//! files doctor cannot read). A rule is never renumbered or reused; a retired rule
//! keeps its id out of use: see `RETIRED`.
//!
//! To add a rule: write a `pub static NAME: Rule` (with its `--explain` example and
//! default confidence) and its check function in the file of its pitfall, add it to
//! `ALL` below, and add a fixture pair under
//! `tests/fixtures/doctor/<rule name>/{bad,good}/` (tests/doctor.rs finds it by name).

use crate::doctor::finding::Rule;

pub mod base_image;
pub mod cgo;
pub mod layer_cache;
pub mod line_endings;
pub mod listen_address;
pub mod modules;
pub mod path_case;
pub mod permissions;
pub mod stages;
pub mod syntax;
pub mod wsl;

/// Every rule, in id order.
pub static ALL: &[&Rule] = &[
    &syntax::DOCKERFILE_SYNTAX,
    &syntax::COMPOSE_SYNTAX,
    &path_case::COPY_PATH_CASE,
    &path_case::EMBED_PATH_CASE,
    &path_case::IMPORT_PATH_CASE,
    &path_case::CASE_ONLY_DUPLICATE,
    &line_endings::CRLF_IN_SCRIPT,
    &line_endings::CRLF_IN_SOURCE,
    &line_endings::GITATTRIBUTES_MISSING,
    &line_endings::GITATTRIBUTES_WEAK,
    &line_endings::AUTOCRLF_TRUE,
    &modules::GOPROXY_NOT_SETTABLE,
    &modules::NO_MODULE_DOWNLOAD,
    &modules::VENDOR_IGNORED,
    &layer_cache::CONTEXT_COPIED_BEFORE_DOWNLOAD,
    &layer_cache::DOCKERIGNORE_MISSING,
    &layer_cache::GIT_IN_CONTEXT,
    &layer_cache::ENV_IN_CONTEXT,
    &cgo::CGO_WITH_STATIC_RUNTIME,
    &base_image::SINGLE_STAGE,
    &base_image::UNPINNED_BASE_IMAGE,
    &base_image::TOOLCHAIN_RUNTIME,
    &base_image::SCRATCH_WITHOUT_CERTIFICATES,
    &permissions::RUNS_AS_ROOT,
    &permissions::NON_NUMERIC_USER,
    &permissions::HOST_SPECIFIC_BIND_PATH,
    &listen_address::LISTEN_ON_LOOPBACK,
    &wsl::PROJECT_ON_WINDOWS_DRIVE,
];

/// Ids no rule may take again, with why each was retired.
pub static RETIRED: &[(&str, &str)] = &[
    (
        "SD703",
        "bind-mount-without-mode: data and log mounts must be writable; a bind without `:ro` was never a risk by itself",
    ),
    (
        "SD704",
        "relative-bind-mount: relative binds are the portable form (they resolve against the compose file on every machine)",
    ),
];

/// A rule by id (`SD501`) or name (`cgo-with-static-runtime`).
pub fn find(key: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.id.eq_ignore_ascii_case(key) || rule.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_ordered_and_name_their_pitfall() {
        let ids: Vec<&str> = ALL.iter().map(|rule| rule.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "keep ALL in id order");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        for (retired, _) in RETIRED {
            assert!(
                !ids.contains(retired),
                "{retired} is retired: never reuse it"
            );
        }
        let names: HashSet<&str> = ALL.iter().map(|rule| rule.name).collect();
        assert_eq!(names.len(), ALL.len());
        for rule in ALL {
            assert!(
                rule.id.len() == 5 && rule.id.starts_with("SD") && rule.pitfall() <= 8,
                "{}",
                rule.id
            );
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{}",
                rule.name
            );
            for text in [rule.summary, rule.why, rule.fix] {
                assert!(
                    !text.is_empty() && text.ends_with(['.', ')']),
                    "{}: {text}",
                    rule.id
                );
            }
        }
        assert_eq!(
            find("sd501").map(|r| r.name),
            Some("cgo-with-static-runtime")
        );
    }

    #[test]
    fn every_rule_has_an_explanation_with_an_example_both_ways() {
        for rule in ALL {
            let explained = crate::doctor::output::explain(rule);
            for part in [
                rule.summary,
                "Why:",
                "Example:",
                "Trips:",
                "Does not trip:",
                "Fix:",
            ] {
                assert!(
                    explained.contains(part),
                    "{}: no `{part}` in\n{explained}",
                    rule.id
                );
            }
        }
    }
}
