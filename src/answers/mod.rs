//! The answers a new project is made from. Each is validated once, where it enters (a
//! flag, a prompt or the defaults), into a type that cannot hold an invalid value, so
//! nothing downstream checks again.

mod go_version;
mod goproxy;
mod module_path;
mod name;
mod port;
mod runtime;

pub use go_version::{GoVersion, DEFAULT_GO_VERSION};
pub use goproxy::{GoProxy, DEFAULT_GOPROXY};
pub use module_path::ModulePath;
pub use name::ProjectName;
pub use port::{Port, DEFAULT_PORT};
pub use runtime::Runtime;

use std::str::FromStr;

use crate::error::Error;

/// The module prefix used when neither `--module` nor a configured prefix says otherwise.
pub const DEFAULT_MODULE_PREFIX: &str = "example.com";

/// Every answer, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub name: ProjectName,
    pub module: ModulePath,
    pub go_version: GoVersion,
    pub port: Port,
    pub runtime: Runtime,
    pub redis: bool,
    pub goproxy: GoProxy,
}

/// The answers given up front (flags); any may be missing.
#[derive(Debug, Clone, Default)]
pub struct GivenAnswers {
    pub name: Option<ProjectName>,
    pub module: Option<ModulePath>,
    pub go_version: Option<GoVersion>,
    pub port: Option<Port>,
    pub runtime: Option<Runtime>,
    pub redis: Option<bool>,
    pub goproxy: Option<GoProxy>,
}

/// Asks a person for an answer. The terminal implementation lives in `prompt`; tests
/// use a scripted one.
pub trait Ask {
    /// Free text, re-asked until `validate` accepts it.
    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, Error>;
    /// One of `choices`; returns its index.
    fn choose(&mut self, question: &str, choices: &[&str], default: usize) -> Result<usize, Error>;
    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, Error>;
}

/// Where missing answers come from.
pub enum Fill<'a> {
    /// A person at a terminal is asked.
    Ask(&'a mut dyn Ask),
    /// Defaults are taken; an answer without a default is an error naming its flag.
    Defaults,
}

impl GivenAnswers {
    /// Completes the answers: asks for what is missing, or takes defaults.
    pub fn complete(self, fill: Fill<'_>, module_prefix: &str) -> Result<Answers, Error> {
        match fill {
            Fill::Ask(ask) => self.ask_missing(ask, module_prefix),
            Fill::Defaults => self.with_defaults(module_prefix),
        }
    }

    fn with_defaults(self, module_prefix: &str) -> Result<Answers, Error> {
        let name = self.name.ok_or(Error::MissingAnswer {
            what: "the project name",
            fix: "pass it as the first argument, e.g. `scaffold new my-service --yes`",
        })?;
        let module = match self.module {
            Some(module) => module,
            None => ModulePath::with_prefix(module_prefix, name.as_str())
                .map_err(Error::InvalidAnswer)?,
        };
        Ok(Answers {
            module,
            name,
            go_version: self.go_version.unwrap_or_default(),
            port: self.port.unwrap_or_default(),
            runtime: self.runtime.unwrap_or_default(),
            redis: self.redis.unwrap_or(true),
            goproxy: self.goproxy.unwrap_or_default(),
        })
    }

    fn ask_missing(self, ask: &mut dyn Ask, module_prefix: &str) -> Result<Answers, Error> {
        let name: ProjectName = given_or_ask(self.name, ask, "Project name", None)?;
        let default_module = format!("{}/{name}", module_prefix.trim_end_matches('/'));
        let module = given_or_ask(self.module, ask, "Go module path", Some(&default_module))?;
        let go_version =
            given_or_ask(self.go_version, ask, "Go version", Some(DEFAULT_GO_VERSION))?;
        let port = given_or_ask(self.port, ask, "Port", Some(&DEFAULT_PORT.to_string()))?;
        let runtime = match self.runtime {
            Some(runtime) => runtime,
            None => ask_runtime(ask)?,
        };
        let redis = match self.redis {
            Some(redis) => redis,
            None => ask.confirm("Add redis (compose service and /readyz check)?", true)?,
        };
        let goproxy = given_or_ask(self.goproxy, ask, "GOPROXY", Some(DEFAULT_GOPROXY))?;
        Ok(Answers {
            name,
            module,
            go_version,
            port,
            runtime,
            redis,
            goproxy,
        })
    }
}

/// The given answer, or one asked for and parsed by the same rules as the flag.
fn given_or_ask<T>(
    given: Option<T>,
    ask: &mut dyn Ask,
    question: &str,
    default: Option<&str>,
) -> Result<T, Error>
where
    T: FromStr<Err = String>,
{
    if let Some(value) = given {
        return Ok(value);
    }
    let validate = |text: &str| text.parse::<T>().map(|_| ());
    let text = ask.text(question, default, &validate)?;
    text.parse().map_err(Error::InvalidAnswer)
}

fn ask_runtime(ask: &mut dyn Ask) -> Result<Runtime, Error> {
    let choices: Vec<&str> = Runtime::ALL.iter().map(|r| r.summary()).collect();
    let default = Runtime::ALL
        .iter()
        .position(|r| *r == Runtime::default())
        .unwrap_or(0);
    let index = ask.choose("Runtime image", &choices, default)?;
    Ok(Runtime::ALL[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers questions from a script, in order; checks each against its validator.
    struct Scripted(Vec<&'static str>);

    impl Ask for Scripted {
        fn text(
            &mut self,
            _question: &str,
            default: Option<&str>,
            validate: &dyn Fn(&str) -> Result<(), String>,
        ) -> Result<String, Error> {
            loop {
                let reply = self.0.remove(0);
                let reply = if reply.is_empty() { default.unwrap_or("") } else { reply };
                if validate(reply).is_ok() {
                    return Ok(reply.to_string());
                }
            }
        }
        fn choose(&mut self, _: &str, _: &[&str], default: usize) -> Result<usize, Error> {
            let reply = self.0.remove(0);
            Ok(reply.parse().unwrap_or(default))
        }
        fn confirm(&mut self, _: &str, default: bool) -> Result<bool, Error> {
            let reply = self.0.remove(0);
            Ok(if reply.is_empty() { default } else { reply == "y" })
        }
    }

    #[test]
    fn defaults_need_a_name() {
        let error = GivenAnswers::default()
            .complete(Fill::Defaults, DEFAULT_MODULE_PREFIX)
            .unwrap_err();
        assert!(error.to_string().contains("first argument"), "{error}");
    }

    #[test]
    fn defaults_fill_everything_else() {
        let given = GivenAnswers {
            name: Some("demo".parse().unwrap()),
            ..Default::default()
        };
        let answers = given.complete(Fill::Defaults, "github.com/acme").unwrap();
        assert_eq!(answers.module.as_str(), "github.com/acme/demo");
        assert_eq!(answers.port.get(), DEFAULT_PORT);
        assert_eq!(answers.runtime, Runtime::Distroless);
        assert!(answers.redis);
    }

    #[test]
    fn asking_re_asks_invalid_answers_and_keeps_given_ones() {
        let mut script = Scripted(vec!["Bad Name", "good", "", "99999", "9000", "2", "n", ""]);
        let given = GivenAnswers {
            go_version: Some("1.26".parse().unwrap()),
            ..Default::default()
        };
        let answers = given
            .complete(Fill::Ask(&mut script), DEFAULT_MODULE_PREFIX)
            .unwrap();
        assert_eq!(answers.name.as_str(), "good");
        assert_eq!(answers.module.as_str(), "example.com/good");
        assert_eq!(answers.go_version.to_string(), "1.26");
        assert_eq!(answers.port.get(), 9000);
        assert_eq!(answers.runtime, Runtime::Scratch);
        assert!(!answers.redis);
        assert_eq!(answers.goproxy.as_str(), DEFAULT_GOPROXY);
        assert!(script.0.is_empty());
    }
}
