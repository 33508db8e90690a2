//! Answers as a TOML file: read with `--answers FILE` for automation, and written into
//! every generated project as `.scaffold/answers.toml`, so the same project (and later
//! an update) can be made from it: `scaffold new --answers .scaffold/answers.toml --yes`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::generate::answers::{Answers, BuildCa, GivenAnswers, RECORDED_BUILD_CA};
use crate::generate::input_file::read_regular;
use crate::generate::render::RenderedFile;

/// Where the answers are recorded in a generated project.
pub const RECORD_PATH: &str = ".scaffold/answers.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    /// The scaffold that wrote the file (informational).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaffold_version: Option<String>,
    /// The team template source the project was made from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
    /// The commit of a git template source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templates_commit: Option<String>,
    #[serde(default)]
    pub answers: AnswerValues,
    /// Values of the team template's extra variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// A content hash of a folder template source (git sources have their commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates_hash: Option<String>,
    /// The commit holding the pristine render `scaffold update` last merged; absent in
    /// a project fresh from `new`, whose first commit is that render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// The built-in answers, as plain values; each is validated when read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnswerValues {
    pub name: Option<String>,
    pub module: Option<String>,
    pub go_version: Option<String>,
    pub port: Option<u16>,
    pub runtime: Option<String>,
    pub redis: Option<bool>,
    pub goproxy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k8s: Option<bool>,
    /// A PEM file relative to this answers file; absent: no build CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_proxy: Option<bool>,
}

impl AnswersFile {
    /// Reads an answers file: a regular file (a FIFO would block for ever) of at most
    /// 1 MiB, in UTF-8.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let bytes = read_regular(path, 1, "answers files")?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::InvalidAnswer(format!(
                "answers file `{}` is not UTF-8 text: save it as UTF-8",
                path.display()
            ))
        })?;
        toml::from_str(&text).map_err(|error| {
            Error::InvalidAnswer(format!("answers file `{}`: {error}", path.display()))
        })
    }

    /// The built-in answers it gives, validated by the same rules as the flags.
    pub fn given_answers(&self, path: &Path) -> Result<GivenAnswers, Error> {
        let values = &self.answers;
        let invalid = |message: String| {
            Error::InvalidAnswer(format!("answers file `{}`: {message}", path.display()))
        };
        fn parse<T: std::str::FromStr<Err = String>>(
            text: &Option<String>,
            invalid: &dyn Fn(String) -> Error,
        ) -> Result<Option<T>, Error> {
            text.as_deref().map(str::parse).transpose().map_err(invalid)
        }
        Ok(GivenAnswers {
            name: parse(&values.name, &invalid)?,
            module: parse(&values.module, &invalid)?,
            go_version: parse(&values.go_version, &invalid)?,
            port: parse(&values.port.map(|p| p.to_string()), &invalid)?,
            runtime: parse(&values.runtime, &invalid)?,
            redis: values.redis,
            goproxy: parse(&values.goproxy, &invalid)?,
            ci: parse(&values.ci, &invalid)?,
            k8s: values.k8s,
            ca_cert: values
                .ca_cert
                .as_deref()
                .map(|file| {
                    let base = path.parent().unwrap_or(Path::new("."));
                    BuildCa::read(&base.join(file)).map(Some)
                })
                .transpose()
                .map_err(|message| invalid(format!("ca_cert: {message}")))?,
            build_proxy: values.build_proxy,
        })
    }

    /// The record of a generated project.
    pub fn record(
        answers: &Answers,
        variables: &BTreeMap<String, String>,
        templates: Option<String>,
        templates_commit: Option<String>,
    ) -> Self {
        AnswersFile {
            scaffold_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            templates,
            templates_commit,
            answers: AnswerValues {
                name: Some(answers.name.to_string()),
                module: Some(answers.module.to_string()),
                go_version: Some(answers.go_version.to_string()),
                port: Some(answers.port.get()),
                runtime: Some(answers.runtime.to_string()),
                redis: Some(answers.redis),
                goproxy: Some(answers.goproxy.to_string()),
                ci: Some(answers.ci.to_string()),
                k8s: Some(answers.k8s),
                // Only when set, so the records of projects without them stay as they were.
                ca_cert: answers
                    .ca_cert
                    .as_ref()
                    .map(|_| RECORDED_BUILD_CA.to_string()),
                build_proxy: answers.build_proxy.then_some(true),
            },
            variables: variables.clone(),
            templates_hash: None,
            baseline: None,
        }
    }

    /// The record as `to_rendered_file` wrote it.
    pub fn from_rendered(file: &RenderedFile) -> Result<Self, Error> {
        let text = String::from_utf8_lossy(&file.contents);
        toml::from_str(&text)
            .map_err(|error| Error::InvalidAnswer(format!("`{}`: {error}", file.path)))
    }

    /// As a file of the project.
    pub fn to_rendered_file(&self) -> RenderedFile {
        let body = toml::to_string(self).expect("answers serialise to TOML");
        let text = format!(
            "# The answers this project was made from, written by scaffold.\n\
             # Make it again with: scaffold new --answers {RECORD_PATH} --dir OTHER --yes\n\n{body}"
        );
        RenderedFile {
            path: RECORD_PATH.to_string(),
            contents: text.into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::answers::{Defaults, Fill};

    /// The answers with scaffold's defaults for the rest.
    fn completed(given: GivenAnswers) -> Answers {
        given
            .complete(&mut Fill::Defaults, &Defaults::default())
            .unwrap()
    }

    #[test]
    fn a_record_reads_back_as_the_same_answers() {
        let answers = GivenAnswers {
            name: Some("demo".parse().unwrap()),
            port: Some("9000".parse().unwrap()),
            ..Default::default()
        }
        .complete(&mut Fill::Defaults, &Defaults::default())
        .unwrap();
        let variables = BTreeMap::from([("team".to_string(), "platform".to_string())]);
        let file = AnswersFile::record(&answers, &variables, None, None).to_rendered_file();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.toml");
        std::fs::write(&path, &file.contents).unwrap();
        let read = AnswersFile::read(&path).unwrap();
        let again = completed(read.given_answers(&path).unwrap());
        assert_eq!(again, answers);
        assert_eq!(read.variables, variables);
    }

    #[test]
    fn the_build_ca_is_recorded_as_the_projects_copy_relative_to_the_record() {
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/certs/test-root-ca.pem"
        );
        let answers = GivenAnswers {
            name: Some("demo".parse().unwrap()),
            ca_cert: Some(Some(BuildCa::read(Path::new(fixture)).unwrap())),
            build_proxy: Some(true),
            ..Default::default()
        }
        .complete(&mut Fill::Defaults, &Defaults::default())
        .unwrap();
        let record = AnswersFile::record(&answers, &BTreeMap::new(), None, None);
        assert_eq!(record.answers.ca_cert.as_deref(), Some(RECORDED_BUILD_CA));
        let project = tempfile::tempdir().unwrap();
        let path = project.path().join(RECORD_PATH);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, record.to_rendered_file().contents).unwrap();
        let read = AnswersFile::read(&path).unwrap();
        let error = read.given_answers(&path).unwrap_err().to_string();
        assert!(
            error.contains("ca_cert") && error.contains("build-ca.pem"),
            "{error}"
        );
        std::fs::create_dir_all(project.path().join("certs")).unwrap();
        std::fs::copy(
            fixture,
            project.path().join(crate::generate::answers::BUILD_CA_PATH),
        )
        .unwrap();
        let again = completed(read.given_answers(&path).unwrap());
        assert_eq!(again, answers);
    }

    #[test]
    fn invalid_values_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "[answers]\nname = \"Bad Name\"\n").unwrap();
        let error = AnswersFile::read(&path)
            .unwrap()
            .given_answers(&path)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a.toml") && error.contains("has a space"),
            "{error}"
        );
        std::fs::write(&path, "[answers]\nnme = \"x\"\n").unwrap();
        assert!(AnswersFile::read(&path)
            .unwrap_err()
            .to_string()
            .contains("nme"));
    }
}
