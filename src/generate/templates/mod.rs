//! The template set a project renders from: the built-in set embedded in the binary,
//! layered with a team's set from a folder or a git repository, and its manifest.

pub mod folder;
pub mod git_source;
pub mod loader;
pub mod manifest;
pub mod paths;
pub mod set;
pub mod source;
pub mod text;
