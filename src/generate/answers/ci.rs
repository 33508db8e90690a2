//! The CI service whose workflow file the project gets, if any.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Ci {
    /// No CI file: the project's own CI is set up by hand.
    #[default]
    None,
    /// GitHub Actions: `.github/workflows/ci.yml`, image pushed to ghcr.io.
    Github,
    /// GitLab CI: `.gitlab-ci.yml`, image pushed to the project's container registry.
    Gitlab,
}

impl Ci {
    pub const ALL: [Ci; 3] = [Ci::None, Ci::Github, Ci::Gitlab];

    pub fn as_str(self) -> &'static str {
        match self {
            Ci::None => "none",
            Ci::Github => "github",
            Ci::Gitlab => "gitlab",
        }
    }

    /// One line for prompts and help.
    pub fn summary(self) -> &'static str {
        match self {
            Ci::None => "none",
            Ci::Github => "GitHub Actions (tests, hadolint, multi-arch image to ghcr.io)",
            Ci::Gitlab => "GitLab CI (tests, hadolint, multi-arch image to the project registry)",
        }
    }
}

named_choice!(Ci, "ci", "github, gitlab or none");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_like_the_flag() {
        for ci in Ci::ALL {
            assert_eq!(ci.as_str().parse::<Ci>(), Ok(ci));
        }
        assert!("jenkins".parse::<Ci>().unwrap_err().contains("`jenkins`"));
    }
}
