//! Finds the templates for a run: the built-in set, with the team's source (flag,
//! SCAFFOLD_TEMPLATES, answers file or config) laid over it.

use crate::cli::TemplateSourceArgs;
use crate::error::Error;
use crate::generate::templates::folder::read_folder;
use crate::generate::templates::git_source;
use crate::generate::templates::set::TemplateSet;
use crate::generate::templates::source::TemplateSource;

/// A template set and where it came from.
pub struct LoadedTemplates {
    pub set: TemplateSet,
    /// The team source as written, recorded in the project.
    pub source: Option<String>,
    /// The commit of a git source.
    pub commit: Option<String>,
    /// A fetch that failed while a cached copy was used.
    pub warning: Option<String>,
}

/// The templates named by the flag (or SCAFFOLD_TEMPLATES), else by the first of
/// `fallbacks` that names any (an answers file, then the user's config).
pub fn load_chosen(
    args: &TemplateSourceArgs,
    fallbacks: &[Option<&str>],
) -> Result<LoadedTemplates, Error> {
    let fallback = match &args.templates {
        Some(_) => None,
        None => fallbacks
            .iter()
            .flatten()
            .next()
            .map(|text| text.parse::<TemplateSource>().map_err(Error::InvalidAnswer))
            .transpose()?,
    };
    load(args.templates.as_ref().or(fallback.as_ref()), args.refresh)
}

pub fn load(source: Option<&TemplateSource>, refresh: bool) -> Result<LoadedTemplates, Error> {
    let builtin = TemplateSet::builtin()?;
    let Some(source) = source else {
        return Ok(LoadedTemplates {
            set: builtin,
            source: None,
            commit: None,
            warning: None,
        });
    };
    let label = source.to_string();
    let (files, commit, warning) = match source {
        TemplateSource::Folder(path) => (read_folder(path)?, None, None),
        TemplateSource::Git(git) => {
            let fetched = git_source::load(git, &git_source::default_cache_root(), refresh)?;
            (fetched.files, Some(fetched.commit), fetched.warning)
        }
    };
    Ok(LoadedTemplates {
        set: builtin.layered(files, &label)?,
        source: Some(label),
        commit,
        warning,
    })
}
