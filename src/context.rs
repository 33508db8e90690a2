//! The values templates see. Everything computed lives here, in Rust, so templates stay
//! small: a template asks for `runtime_image`, it does not work it out.

use tera::Context;

use crate::answers::Answers;
use crate::host::WslSuggestion;

/// The user id the service runs as: distroless's `nonroot`, used numerically so
/// Kubernetes' runAsNonRoot can check it and bind mounts can be chowned to it.
pub const SERVICE_UID: u32 = 65532;

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
    context.insert("uid", &SERVICE_UID);
    context.insert("wsl_memory_gb", &wsl.memory_gb);
    context.insert("wsl_processors", &wsl.processors);
    context.insert("wsl_swap_gb", &wsl.swap_gb);
    context.insert("scaffold_version", env!("CARGO_PKG_VERSION"));
    context
}
