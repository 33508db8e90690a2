//! The answers a new project is made from. Each is validated once, where it enters (a
//! flag, a prompt or the defaults), into a type that cannot hold an invalid value, so
//! nothing downstream checks again.

/// `FromStr` by the flag's own names (through clap's `ValueEnum`, any case) and
/// `Display` as `as_str`: how a choice is read from and written to answer files and
/// team defaults. `$what` and `$names` make the error: "ci `x` is not github, …".
macro_rules! named_choice {
    ($choice:ty, $what:literal, $names:literal) => {
        impl std::str::FromStr for $choice {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$choice as clap::ValueEnum>::from_str(text, true)
                    .map_err(|_| format!(concat!($what, " `{}` is not ", $names), text))
            }
        }

        impl std::fmt::Display for $choice {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod build_ca;
mod ci;
mod go_version;
mod goproxy;
mod module_path;
pub(crate) mod name;
mod port;
mod runtime;
mod team_defaults;

pub use build_ca::{parse_ca_cert_flag, BuildCa, BUILD_CA_PATH, RECORDED_BUILD_CA};
pub use ci::Ci;
pub use go_version::{GoVersion, DEFAULT_GO_VERSION};
pub use goproxy::{GoProxy, DEFAULT_GOPROXY};
pub use module_path::ModulePath;
pub use name::ProjectName;
pub use port::{Port, DEFAULT_PORT};
pub use runtime::Runtime;
pub use team_defaults::TeamDefaults;

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::Error;
use crate::generate::variables::Variable;

/// The module prefix used when neither `--module` nor a configured prefix says otherwise.
pub const DEFAULT_MODULE_PREFIX: &str = "example.com";

/// The defaults offered for missing answers: scaffold's own, changed by a team's
/// manifest and the user's configured module prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub module_prefix: String,
    pub go_version: GoVersion,
    pub port: Port,
    pub runtime: Runtime,
    pub redis: bool,
    pub goproxy: GoProxy,
    pub ci: Ci,
    pub k8s: bool,
    pub ca_cert: Option<BuildCa>,
    pub build_proxy: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            module_prefix: DEFAULT_MODULE_PREFIX.to_string(),
            go_version: GoVersion::default(),
            port: Port::default(),
            runtime: Runtime::default(),
            redis: true,
            goproxy: GoProxy::default(),
            ci: Ci::default(),
            k8s: false,
            ca_cert: None,
            build_proxy: false,
        }
    }
}

impl Defaults {
    /// scaffold's defaults, then the team's, then the user's module prefix. Each value
    /// is validated like the flag it stands for.
    pub fn layered(team: &TeamDefaults, user_module_prefix: Option<&str>) -> Result<Self, Error> {
        let invalid =
            |message: String| Error::InvalidAnswer(format!("team template [defaults]: {message}"));
        let mut defaults = Defaults::default();
        if let Some(prefix) = user_module_prefix.or(team.module_prefix.as_deref()) {
            ModulePath::with_prefix(prefix, "x").map_err(invalid)?;
            defaults.module_prefix = prefix.to_string();
        }
        if let Some(version) = &team.go_version {
            defaults.go_version = version.parse().map_err(invalid)?;
        }
        if let Some(port) = team.port {
            defaults.port = port.to_string().parse().map_err(invalid)?;
        }
        if let Some(runtime) = &team.runtime {
            defaults.runtime = runtime.parse().map_err(invalid)?;
        }
        if let Some(redis) = team.redis {
            defaults.redis = redis;
        }
        if let Some(goproxy) = &team.goproxy {
            defaults.goproxy = goproxy.parse().map_err(invalid)?;
        }
        if let Some(ci) = &team.ci {
            defaults.ci = ci.parse().map_err(invalid)?;
        }
        if let Some(k8s) = team.k8s {
            defaults.k8s = k8s;
        }
        // A path on the machine that runs scaffold (a platform team installs the CA at
        // the same place everywhere); relative to the current folder.
        if let Some(path) = &team.ca_cert {
            defaults.ca_cert = Some(BuildCa::read(std::path::Path::new(path)).map_err(invalid)?);
        }
        if let Some(build_proxy) = team.build_proxy {
            defaults.build_proxy = build_proxy;
        }
        Ok(defaults)
    }
}

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
    pub ci: Ci,
    /// Kubernetes manifests (kustomize base and overlays) under deploy/k8s.
    pub k8s: bool,
    /// The company root CA the build stage trusts, copied to certs/build-ca.pem.
    pub ca_cert: Option<BuildCa>,
    /// Builds get the caller's HTTP(S)_PROXY/NO_PROXY (compose args, README commands, verify).
    pub build_proxy: bool,
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
    pub ci: Option<Ci>,
    pub k8s: Option<bool>,
    /// `Some(None)`: no build CA, even where a team default names one (`--no-ca-cert`).
    pub ca_cert: Option<Option<BuildCa>>,
    pub build_proxy: Option<bool>,
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
    /// These answers, with any missing one taken from `other` (flags over a file).
    pub fn or(self, other: GivenAnswers) -> GivenAnswers {
        GivenAnswers {
            name: self.name.or(other.name),
            module: self.module.or(other.module),
            go_version: self.go_version.or(other.go_version),
            port: self.port.or(other.port),
            runtime: self.runtime.or(other.runtime),
            redis: self.redis.or(other.redis),
            goproxy: self.goproxy.or(other.goproxy),
            ci: self.ci.or(other.ci),
            k8s: self.k8s.or(other.k8s),
            ca_cert: self.ca_cert.or(other.ca_cert),
            build_proxy: self.build_proxy.or(other.build_proxy),
        }
    }

    /// Completes the answers: asks for what is missing, or takes defaults.
    pub fn complete(self, fill: &mut Fill<'_>, defaults: &Defaults) -> Result<Answers, Error> {
        match fill {
            Fill::Ask(ask) => self.ask_missing(*ask, defaults),
            Fill::Defaults => self.with_defaults(defaults),
        }
    }

    fn with_defaults(self, defaults: &Defaults) -> Result<Answers, Error> {
        let name = self.name.ok_or_else(|| Error::MissingAnswer {
            what: "the project name".into(),
            fix: "pass it as the first argument, e.g. `scaffold new my-service --yes`".into(),
        })?;
        let module = match self.module {
            Some(module) => module,
            None => ModulePath::with_prefix(&defaults.module_prefix, name.as_str())
                .map_err(Error::InvalidAnswer)?,
        };
        Ok(Answers {
            module,
            name,
            go_version: self.go_version.unwrap_or(defaults.go_version.clone()),
            port: self.port.unwrap_or(defaults.port),
            runtime: self.runtime.unwrap_or(defaults.runtime),
            redis: self.redis.unwrap_or(defaults.redis),
            goproxy: self.goproxy.unwrap_or(defaults.goproxy.clone()),
            ci: self.ci.unwrap_or(defaults.ci),
            k8s: self.k8s.unwrap_or(defaults.k8s),
            ca_cert: self.ca_cert.unwrap_or(defaults.ca_cert.clone()),
            build_proxy: self.build_proxy.unwrap_or(defaults.build_proxy),
        })
    }

    fn ask_missing(self, ask: &mut dyn Ask, defaults: &Defaults) -> Result<Answers, Error> {
        let name: ProjectName = given_or_ask(self.name, ask, "Project name", None)?;
        let default_module = format!("{}/{name}", defaults.module_prefix.trim_end_matches('/'));
        let module = given_or_ask(self.module, ask, "Go module path", Some(&default_module))?;
        let go_version = given_or_ask(
            self.go_version,
            ask,
            "Go version",
            Some(&defaults.go_version.to_string()),
        )?;
        let port = given_or_ask(self.port, ask, "Port", Some(&defaults.port.to_string()))?;
        let runtime = given_or_chosen(
            self.runtime,
            ask,
            "Runtime image",
            &Runtime::ALL,
            Runtime::summary,
            defaults.runtime,
        )?;
        let redis = given_or_confirmed(
            self.redis,
            ask,
            "Add redis (compose service and /readyz check)?",
            defaults.redis,
        )?;
        let goproxy = given_or_ask(
            self.goproxy,
            ask,
            "GOPROXY",
            Some(defaults.goproxy.as_str()),
        )?;
        let ci = given_or_chosen(
            self.ci,
            ask,
            "CI workflow",
            &Ci::ALL,
            Ci::summary,
            defaults.ci,
        )?;
        let k8s = given_or_confirmed(
            self.k8s,
            ask,
            "Add Kubernetes manifests (deploy/k8s, kustomize)?",
            defaults.k8s,
        )?;
        // Machine settings, never asked: a flag, the answers file or the team's default.
        Ok(Answers {
            name,
            module,
            go_version,
            port,
            runtime,
            redis,
            goproxy,
            ci,
            k8s,
            ca_cert: self.ca_cert.unwrap_or(defaults.ca_cert.clone()),
            build_proxy: self.build_proxy.unwrap_or(defaults.build_proxy),
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

/// The given answer, or one picked from a menu of `all` (each shown by `summary`).
fn given_or_chosen<T: Copy + PartialEq>(
    given: Option<T>,
    ask: &mut dyn Ask,
    question: &str,
    all: &[T],
    summary: fn(T) -> &'static str,
    default: T,
) -> Result<T, Error> {
    if let Some(value) = given {
        return Ok(value);
    }
    let choices: Vec<&str> = all.iter().map(|value| summary(*value)).collect();
    let default = all.iter().position(|value| *value == default).unwrap_or(0);
    let index = ask.choose(question, &choices, default)?;
    Ok(all[index])
}

/// The given yes/no answer, or one asked for.
fn given_or_confirmed(
    given: Option<bool>,
    ask: &mut dyn Ask,
    question: &str,
    default: bool,
) -> Result<bool, Error> {
    match given {
        Some(value) => Ok(value),
        None => ask.confirm(question, default),
    }
}

/// Values for a team's extra variables: given ones (already checked), then asked for
/// or defaulted. A variable without a default needs `--set` when nobody can be asked.
pub fn complete_variables(
    variables: &[Variable],
    mut given: BTreeMap<String, String>,
    fill: &mut Fill<'_>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut values = BTreeMap::new();
    for variable in variables {
        let value = match given.remove(&variable.name) {
            Some(value) => value,
            None => match fill {
                Fill::Ask(ask) => ask_variable(*ask, variable)?,
                Fill::Defaults => variable
                    .default
                    .clone()
                    .ok_or_else(|| Error::MissingAnswer {
                        what: format!("the template variable `{}`", variable.name),
                        fix: format!("pass `--set {}=VALUE`", variable.name),
                    })?,
            },
        };
        values.insert(variable.name.clone(), value);
    }
    Ok(values)
}

fn ask_variable(ask: &mut dyn Ask, variable: &Variable) -> Result<String, Error> {
    if variable.choices.is_empty() {
        return ask.text(&variable.prompt, variable.default.as_deref(), &|text| {
            variable.check(text)
        });
    }
    let choices: Vec<&str> = variable.choices.iter().map(String::as_str).collect();
    let default = variable
        .default
        .as_ref()
        .and_then(|d| variable.choices.iter().position(|c| c == d))
        .unwrap_or(0);
    let index = ask.choose(&variable.prompt, &choices, default)?;
    Ok(variable.choices[index].clone())
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
                let reply = if reply.is_empty() {
                    default.unwrap_or("")
                } else {
                    reply
                };
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
            Ok(if reply.is_empty() {
                default
            } else {
                reply == "y"
            })
        }
    }

    #[test]
    fn defaults_need_a_name() {
        let error = GivenAnswers::default()
            .complete(&mut Fill::Defaults, &Defaults::default())
            .unwrap_err();
        assert!(error.to_string().contains("first argument"), "{error}");
    }

    #[test]
    fn defaults_fill_everything_else() {
        let given = GivenAnswers {
            name: Some("demo".parse().unwrap()),
            ..Default::default()
        };
        let defaults =
            Defaults::layered(&TeamDefaults::default(), Some("github.com/acme")).unwrap();
        let answers = given.complete(&mut Fill::Defaults, &defaults).unwrap();
        assert_eq!(answers.module.as_str(), "github.com/acme/demo");
        assert_eq!(answers.port.get(), DEFAULT_PORT);
        assert_eq!(answers.runtime, Runtime::Distroless);
        assert!(answers.redis);
    }

    #[test]
    fn asking_re_asks_invalid_answers_and_keeps_given_ones() {
        let mut script = Scripted(vec![
            "Bad Name", "good", "", "99999", "9000", "2", "n", "", "2", "y",
        ]);
        let given = GivenAnswers {
            go_version: Some("1.26".parse().unwrap()),
            ..Default::default()
        };
        let answers = given
            .complete(&mut Fill::Ask(&mut script), &Defaults::default())
            .unwrap();
        assert_eq!(answers.name.as_str(), "good");
        assert_eq!(answers.module.as_str(), "example.com/good");
        assert_eq!(answers.go_version.to_string(), "1.26");
        assert_eq!(answers.port.get(), 9000);
        assert_eq!(answers.runtime, Runtime::Scratch);
        assert!(!answers.redis);
        assert_eq!(answers.goproxy.as_str(), DEFAULT_GOPROXY);
        assert_eq!(answers.ci, Ci::Gitlab);
        assert!(answers.k8s);
        assert!(script.0.is_empty());
    }

    #[test]
    fn team_defaults_are_validated_and_used() {
        let team = TeamDefaults {
            port: Some(9000),
            runtime: Some("alpine".into()),
            redis: Some(false),
            ..Default::default()
        };
        let defaults = Defaults::layered(&team, None).unwrap();
        assert_eq!(
            (defaults.port.get(), defaults.runtime, defaults.redis),
            (9000, Runtime::Alpine, false)
        );
        let bad = TeamDefaults {
            go_version: Some("2.0".into()),
            ..Default::default()
        };
        assert!(Defaults::layered(&bad, None)
            .unwrap_err()
            .to_string()
            .contains("[defaults]"));
    }

    #[test]
    fn a_team_sets_the_build_ca_and_proxy_and_a_flag_turns_the_ca_off() {
        let ca = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/certs/test-root-ca.pem"
        );
        let team = TeamDefaults {
            ca_cert: Some(ca.into()),
            build_proxy: Some(true),
            ..Default::default()
        };
        let defaults = Defaults::layered(&team, None).unwrap();
        let named = |ca_cert| GivenAnswers {
            name: Some("demo".parse().unwrap()),
            ca_cert,
            ..Default::default()
        };
        let answers = named(None)
            .complete(&mut Fill::Defaults, &defaults)
            .unwrap();
        assert!(answers.ca_cert.is_some() && answers.build_proxy);
        let off = named(Some(None))
            .complete(&mut Fill::Defaults, &defaults)
            .unwrap();
        assert_eq!(off.ca_cert, None);
        let missing = TeamDefaults {
            ca_cert: Some("/nonexistent/root.pem".into()),
            ..Default::default()
        };
        let error = Defaults::layered(&missing, None).unwrap_err().to_string();
        assert!(
            error.contains("[defaults]") && error.contains("/nonexistent/root.pem"),
            "{error}"
        );
    }

    #[test]
    fn variables_come_from_given_asked_or_default() {
        use crate::generate::variables::VariableSpec;
        let spec = |name: &str, default: Option<&str>| VariableSpec {
            name: name.into(),
            prompt: None,
            default: default.map(String::from),
            choices: vec![],
            regex: Some("[a-z]+".into()),
        };
        let variables = vec![
            Variable::from_spec(spec("team", Some("platform")), "m").unwrap(),
            Variable::from_spec(spec("owner", None), "m").unwrap(),
        ];
        let error =
            complete_variables(&variables, BTreeMap::new(), &mut Fill::Defaults).unwrap_err();
        assert!(error.to_string().contains("--set owner=VALUE"), "{error}");
        let given = BTreeMap::from([("owner".to_string(), "ana".to_string())]);
        let values = complete_variables(&variables, given, &mut Fill::Defaults).unwrap();
        assert_eq!(values["team"], "platform");
        let mut script = Scripted(vec!["", "BAD", "bob"]);
        let values =
            complete_variables(&variables, BTreeMap::new(), &mut Fill::Ask(&mut script)).unwrap();
        assert_eq!(
            (values["team"].as_str(), values["owner"].as_str()),
            ("platform", "bob")
        );
    }
}
