//! The values templates see. Everything computed lives here, in Rust, so templates stay
//! small: a template asks for `runtime_image`, it does not work it out.

use std::collections::BTreeMap;

use tera::Context;

use crate::error::Error;
use crate::generate::answers::TeamDefaults;
use crate::generate::answers::{Answers, Ci, BUILD_CA_PATH};
use crate::host::WslSuggestion;

/// The user id the service runs as: distroless's `nonroot`, used numerically so
/// Kubernetes' runAsNonRoot can check it and bind mounts can be chowned to it.
pub const SERVICE_UID: u32 = 65532;

/// How long the service lets in-flight requests finish after SIGTERM (`shutdownTimeout`
/// in internal/server): the Kubernetes grace period and verify's stop check wait longer.
pub const SHUTDOWN_SECONDS: u32 = 8;

/// The redis image of the compose file, pinned to a major version.
pub const REDIS_IMAGE: &str = "redis:7-alpine";

pub fn template_context(answers: &Answers, wsl: WslSuggestion) -> Context {
    let mut context = Context::new();
    context.insert("name", answers.name.as_str());
    context.insert("module", answers.module.as_str());
    context.insert("go_version", &answers.go_version.to_string());
    context.insert("go_image", &answers.go_version.builder_image());
    context.insert("port", &answers.port.get());
    context.insert("runtime", answers.runtime.as_str());
    context.insert("runtime_image", answers.runtime.image());
    context.insert("redis", &answers.redis);
    context.insert("redis_image", REDIS_IMAGE);
    context.insert("goproxy", answers.goproxy.as_str());
    context.insert("ci", answers.ci.as_str());
    context.insert("ci_github", &(answers.ci == Ci::Github));
    context.insert("ci_gitlab", &(answers.ci == Ci::Gitlab));
    context.insert("k8s", &answers.k8s);
    context.insert("k8s_redis", &(answers.k8s && answers.redis));
    context.insert("shutdown_seconds", &SHUTDOWN_SECONDS);
    context.insert("uid", &SERVICE_UID);
    context.insert("wsl_memory_gb", &wsl.memory_gb);
    context.insert("wsl_processors", &wsl.processors);
    context.insert("wsl_swap_gb", &wsl.swap_gb);
    context.insert("scaffold_version", env!("CARGO_PKG_VERSION"));
    context.insert("ca_cert", &answers.ca_cert.is_some());
    context.insert("ca_cert_path", BUILD_CA_PATH);
    context.insert("build_proxy", &answers.build_proxy);
    context
}

/// Adds a team's extra variables and image overrides (e.g. a registry mirror).
pub fn with_team_values(
    mut context: Context,
    variables: &BTreeMap<String, String>,
    team: &TeamDefaults,
) -> Result<Context, Error> {
    for (name, value) in variables {
        context.insert(name.as_str(), value);
    }
    let images = [
        ("go_image", &team.go_image),
        ("runtime_image", &team.runtime_image),
        ("redis_image", &team.redis_image),
    ];
    for (key, image) in images {
        if let Some(image) = image {
            check_image_reference(key, image)?;
            context.insert(key, image);
        }
    }
    Ok(context)
}

/// An image reference lands in a Dockerfile FROM line: refuse what would break it.
fn check_image_reference(key: &str, image: &str) -> Result<(), Error> {
    let valid = !image.is_empty()
        && !image.starts_with('-')
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "./:_-@${}".contains(c));
    if !valid {
        return Err(Error::InvalidAnswer(format!(
            "team template [defaults]: {key} `{image}` is not an image reference such as `registry.example.com/golang:1.27-alpine`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::answers::{Fill, GivenAnswers};
    use crate::generate::variables::BUILTIN_VARIABLES;
    use crate::host::{HostResources, WslSuggestion};

    #[test]
    fn the_builtin_list_names_every_context_variable() {
        let answers = GivenAnswers {
            name: Some("demo".parse().unwrap()),
            ..Default::default()
        }
        .complete(
            &mut Fill::Defaults,
            &crate::generate::answers::Defaults::default(),
        )
        .unwrap();
        let wsl = WslSuggestion::for_host(HostResources {
            memory_gib: 8,
            cores: 4,
        });
        let context = template_context(&answers, wsl).into_json();
        let mut keys: Vec<&str> = context
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = BUILTIN_VARIABLES.to_vec();
        keys.sort();
        listed.sort();
        assert_eq!(keys, listed);
    }
}
