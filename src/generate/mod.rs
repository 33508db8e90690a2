//! The generator: templates (built-in, layered with a team's) and validated answers
//! become the project's files, in memory. `new` writes them; `update` merges them into
//! a project made earlier. Nothing here touches the destination.

pub mod answers;
pub mod context;
pub mod input_file;
pub mod prompt;
pub mod record;
pub mod render;
pub mod revision;
pub mod template_functions;
pub mod templates;
pub mod variables;

use std::collections::BTreeMap;

use crate::error::Error;
use crate::host::{HostResources, WslSuggestion};
use answers::Answers;
use context::{template_context, with_team_values};
use record::AnswersFile;
use render::{render, RenderedFile};
use templates::loader::LoadedTemplates;
use templates::paths::refuse_colliding_paths;

/// The project's files, in memory, including the record of its answers.
pub fn render_project(
    answers: &Answers,
    values: &BTreeMap<String, String>,
    templates: &LoadedTemplates,
) -> Result<Vec<RenderedFile>, Error> {
    let wsl = WslSuggestion::for_host(HostResources::detect());
    let context = with_team_values(
        template_context(answers, wsl),
        values,
        &templates.set.manifest.defaults,
    )?;
    let mut files = render(&templates.set, &context)?;
    if let Some(ca) = &answers.ca_cert {
        files.push(RenderedFile {
            path: answers::BUILD_CA_PATH.to_string(),
            contents: ca.pem().as_bytes().to_vec(),
        });
    }
    let mut record = AnswersFile::record(
        answers,
        values,
        templates.source.clone(),
        templates.commit.clone(),
    );
    if templates.source.is_some() && templates.commit.is_none() {
        record.templates_hash = Some(revision::team_files_hash(&templates.set));
    }
    files.push(record.to_rendered_file());
    // The record too: a team's `.scaffold/ANSWERS.toml` is the same file on Windows.
    refuse_colliding_paths(files.iter().map(|file| file.path.as_str()))?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use answers::{Defaults, Fill, GivenAnswers, Runtime};
    use templates::loader;

    #[test]
    fn every_builtin_template_renders_with_default_answers() {
        let templates = loader::load(None, false).unwrap();
        for redis in [true, false] {
            for runtime in Runtime::ALL {
                let answers = GivenAnswers {
                    name: Some("demo".parse().unwrap()),
                    runtime: Some(runtime),
                    redis: Some(redis),
                    ..Default::default()
                }
                .complete(&mut Fill::Defaults, &Defaults::default())
                .unwrap();
                let files = render_project(&answers, &BTreeMap::new(), &templates).unwrap();
                assert!(files.len() > 1, "{runtime} redis={redis}: {files:?}");
            }
        }
    }
}
