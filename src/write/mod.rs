//! The disk side of `new`: the destination is checked, the project is staged beside it,
//! committed, and moved into place in one step. Nothing here renders.

pub mod destination;
pub mod git;
pub mod no_replace;
pub mod staging;
