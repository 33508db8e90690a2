//! The set of template files a project is rendered from: the built-in set embedded in
//! the binary (so scaffold works offline and as a single file), with a team's set laid
//! over it. A team file at the same path replaces the built-in one; new files are
//! added; the team's manifest may drop built-in files. Every built-in template also
//! stays reachable as `builtin/PATH`, so a team template can
//! `{% extends "builtin/Dockerfile.tera" %}` and override only some blocks.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};

use crate::error::Error;
use crate::generate::templates::manifest::{Manifest, MANIFEST_FILE};
use crate::generate::templates::paths::{check_template_path, refuse_colliding_paths};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Files ending in this are rendered with Tera (and lose the suffix); every other file
/// is copied byte for byte, so Go templates or `${{ }}` in CI files pass through untouched.
pub const TEMPLATE_SUFFIX: &str = ".tera";

/// The prefix under which built-in templates stay reachable for `{% extends %}`.
pub const BUILTIN_PREFIX: &str = "builtin/";

/// Where a template file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    Team,
    /// A team file that replaces the built-in file at the same path.
    Overridden,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::BuiltIn => "built-in",
            Origin::Team => "team",
            Origin::Overridden => "team (overrides built-in)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// Relative path with `/` separators, as in the template folder.
    pub path: String,
    pub contents: Vec<u8>,
    pub origin: Origin,
}

impl TemplateFile {
    pub fn is_template(&self) -> bool {
        self.path.ends_with(TEMPLATE_SUFFIX)
    }
}

#[derive(Debug, Clone)]
pub struct TemplateSet {
    pub files: Vec<TemplateFile>,
    pub manifest: Manifest,
    /// The built-in templates, for `builtin/PATH` in `{% extends %}`.
    pub bases: Vec<TemplateFile>,
    /// Built-in files the team's manifest dropped, for `templates list`.
    pub dropped: Vec<String>,
}

impl TemplateSet {
    /// The templates compiled into this binary.
    pub fn builtin() -> Result<Self, Error> {
        let mut files = Vec::new();
        collect_embedded(&BUILTIN, &mut files);
        let (files, manifest) = split_manifest(files, "built-in templates")?;
        Ok(TemplateSet {
            // Only a team layer can extend built-ins; parsing them twice would double
            // the cost of every plain `scaffold new`.
            bases: Vec::new(),
            files,
            manifest,
            dropped: Vec::new(),
        })
    }

    /// The raw built-in files, manifest included, for `templates export`.
    pub fn builtin_files() -> Vec<TemplateFile> {
        let mut files = Vec::new();
        collect_embedded(&BUILTIN, &mut files);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    /// This set with a team's files and manifest laid over it. The built-in files stay
    /// reachable as `builtin/PATH` for `{% extends %}`.
    pub fn layered(self, team: Vec<(String, Vec<u8>)>, origin: &str) -> Result<Self, Error> {
        let bases = self.files.clone();
        let mut team_files = Vec::new();
        for (path, contents) in team {
            check_template_path(&path)?;
            team_files.push(TemplateFile {
                path,
                contents,
                origin: Origin::Team,
            });
        }
        let (team_files, team_manifest) =
            split_manifest(team_files, &format!("{origin}/{MANIFEST_FILE}"))?;
        let mut by_path: BTreeMap<String, TemplateFile> = self
            .files
            .into_iter()
            .map(|file| (file.path.clone(), file))
            .collect();
        let dropped = drop_files(&mut by_path, &team_manifest.drop, origin)?;
        for mut file in team_files {
            if by_path.contains_key(&file.path) {
                file.origin = Origin::Overridden;
            }
            by_path.insert(file.path.clone(), file);
        }
        let files: Vec<TemplateFile> = by_path.into_values().collect();
        refuse_colliding_paths(files.iter().map(|file| file.path.as_str()))?;
        refuse_unknown_conditions(&team_manifest, &files, origin)?;
        Ok(TemplateSet {
            files,
            manifest: self.manifest.layered(team_manifest),
            bases,
            dropped,
        })
    }
}

fn split_manifest(
    mut files: Vec<TemplateFile>,
    origin: &str,
) -> Result<(Vec<TemplateFile>, Manifest), Error> {
    let manifest = match files.iter().position(|f| f.path == MANIFEST_FILE) {
        Some(index) => {
            let file = files.remove(index);
            Manifest::parse(&String::from_utf8_lossy(&file.contents), origin)?
        }
        None => Manifest::default(),
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, manifest))
}

/// A `[when]` entry for a file the set does not have would silently do nothing: most
/// likely a typo, or the `.tera` suffix left out.
fn refuse_unknown_conditions(
    manifest: &Manifest,
    files: &[TemplateFile],
    origin: &str,
) -> Result<(), Error> {
    for path in manifest.when.keys() {
        if !files.iter().any(|file| &file.path == path) {
            return Err(Error::Template {
                file: format!("{origin}/{MANIFEST_FILE}"),
                message: format!(
                    "`[when]` names `{path}`, which is not a template of the set (template paths include their `.tera` suffix; see `scaffold templates list`)"
                ),
            });
        }
    }
    Ok(())
}

fn drop_files(
    by_path: &mut BTreeMap<String, TemplateFile>,
    drop: &[String],
    origin: &str,
) -> Result<Vec<String>, Error> {
    for (index, path) in drop.iter().enumerate() {
        if drop[..index].contains(path) {
            return Err(Error::Template {
                file: format!("{origin}/{MANIFEST_FILE}"),
                message: format!("`drop` lists `{path}` twice: list each file once"),
            });
        }
        if by_path.remove(path).is_none() {
            return Err(Error::Template {
                file: format!("{origin}/{MANIFEST_FILE}"),
                message: format!(
                    "`drop` names `{path}`, which is not a built-in template (see `scaffold templates list`)"
                ),
            });
        }
    }
    Ok(drop.to_vec())
}

fn collect_embedded(dir: &Dir<'static>, files: &mut Vec<TemplateFile>) {
    for file in dir.files() {
        files.push(TemplateFile {
            path: slash_path(file.path()),
            contents: file.contents().to_vec(),
            origin: Origin::BuiltIn,
        });
    }
    for sub in dir.dirs() {
        collect_embedded(sub, files);
    }
}

/// A relative path with `/` separators whatever the OS.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(files: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn builtin_templates_have_no_carriage_returns() {
        // include_dir embeds bytes as checked out: a CRLF checkout must not leak out.
        for file in TemplateSet::builtin().unwrap().files {
            assert!(
                !file.contents.contains(&b'\r'),
                "{} has CR bytes",
                file.path
            );
        }
    }

    #[test]
    fn every_condition_names_an_existing_template() {
        let set = TemplateSet::builtin().unwrap();
        for path in set.manifest.when.keys() {
            assert!(
                set.files.iter().any(|f| &f.path == path),
                "{MANIFEST_FILE} names `{path}`, which is not a template"
            );
        }
    }

    #[test]
    fn team_files_override_add_and_drop() {
        let builtin = TemplateSet::builtin().unwrap();
        let some_builtin = builtin.files[0].path.clone();
        let manifest = format!("drop = [\"{}\"]", builtin.files[1].path);
        let set = builtin
            .layered(
                team(&[
                    (&some_builtin, "mine"),
                    ("extra.txt", "new"),
                    (MANIFEST_FILE, &manifest),
                ]),
                "team",
            )
            .unwrap();
        let origin = |path: &str| set.files.iter().find(|f| f.path == path).map(|f| f.origin);
        assert_eq!(origin(&some_builtin), Some(Origin::Overridden));
        assert_eq!(origin("extra.txt"), Some(Origin::Team));
        assert_eq!(set.dropped.len(), 1);
        assert_eq!(origin(&set.dropped[0]), None);
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "../x",
            "/etc/passwd",
            "C:/x",
            "a\\b",
            "a//b",
            "./x",
            "nul.txt",
            "con/main.go",
            "docs/AUX.md.tera",
            "com1",
        ] {
            let error = TemplateSet::builtin()
                .unwrap()
                .layered(team(&[(bad, "")]), "team")
                .unwrap_err();
            assert!(
                matches!(error, Error::UnsafeTemplatePath { .. }),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn case_twins_are_refused() {
        let error = TemplateSet::builtin()
            .unwrap()
            .layered(team(&[("Notes.md", ""), ("notes.md", "")]), "team")
            .unwrap_err();
        assert!(error.to_string().contains("only in case"), "{error}");
    }

    #[test]
    fn dropping_an_unknown_file_is_an_error() {
        let error = TemplateSet::builtin()
            .unwrap()
            .layered(team(&[(MANIFEST_FILE, "drop = [\"nope\"]")]), "team")
            .unwrap_err();
        assert!(error.to_string().contains("`nope`"), "{error}");
    }

    #[test]
    fn dropping_twice_and_unknown_conditions_are_named() {
        let error = TemplateSet::builtin()
            .unwrap()
            .layered(
                team(&[(MANIFEST_FILE, "drop = [\"go.mod.tera\", \"go.mod.tera\"]")]),
                "team",
            )
            .unwrap_err();
        assert!(error.to_string().contains("twice"), "{error}");
        let error = TemplateSet::builtin()
            .unwrap()
            .layered(
                team(&[(MANIFEST_FILE, "[when]\n\"nope.txt\" = \"redis\"\n")]),
                "team",
            )
            .unwrap_err();
        assert!(error.to_string().contains("`nope.txt`"), "{error}");
    }
}
