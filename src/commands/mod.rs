//! One module per subcommand: each turns its parsed arguments into work.

pub mod completions;
pub mod doctor;
pub mod new;
pub mod templates;
pub mod update;
pub mod verify;
