//! The image the service runs on: the final stage of the Dockerfile.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Runtime {
    /// distroless static, nonroot: no shell, no package manager, CA certificates and tzdata.
    #[default]
    Distroless,
    /// Alpine: a shell for debugging, at the cost of a larger attack surface.
    Alpine,
    /// scratch: nothing but the binary, plus CA certificates and zoneinfo copied in.
    Scratch,
}

impl Runtime {
    pub const ALL: [Runtime; 3] = [Runtime::Distroless, Runtime::Alpine, Runtime::Scratch];

    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Distroless => "distroless",
            Runtime::Alpine => "alpine",
            Runtime::Scratch => "scratch",
        }
    }

    /// The pinned base image of the runtime stage.
    pub fn image(self) -> &'static str {
        match self {
            Runtime::Distroless => "gcr.io/distroless/static-debian12:nonroot",
            Runtime::Alpine => "alpine:3.22",
            Runtime::Scratch => "scratch",
        }
    }

    /// One line for prompts and help.
    pub fn summary(self) -> &'static str {
        match self {
            Runtime::Distroless => "distroless static, nonroot (smallest safe default)",
            Runtime::Alpine => "alpine (has a shell for debugging)",
            Runtime::Scratch => "scratch (only the binary, certificates and zoneinfo)",
        }
    }
}

named_choice!(Runtime, "runtime", "distroless, alpine or scratch");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_like_the_flag() {
        for runtime in Runtime::ALL {
            assert_eq!(runtime.as_str().parse::<Runtime>(), Ok(runtime));
        }
        assert!("ubuntu"
            .parse::<Runtime>()
            .unwrap_err()
            .contains("`ubuntu`"));
    }
}
