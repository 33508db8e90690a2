//! The TCP port the service listens on inside the container.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

pub const DEFAULT_PORT: u16 = 8080;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(NonZeroU16);

impl Port {
    pub fn get(self) -> u16 {
        self.0.get()
    }
}

impl Default for Port {
    fn default() -> Self {
        Port(NonZeroU16::new(DEFAULT_PORT).expect("the default port is not zero"))
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Port {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.trim()
            .parse::<NonZeroU16>()
            .map(Port)
            .map_err(|_| format!("port `{text}` is not a TCP port: use a number from 1 to 65535, e.g. {DEFAULT_PORT}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_tcp_range() {
        assert_eq!("1".parse::<Port>().unwrap().get(), 1);
        assert_eq!("65535".parse::<Port>().unwrap().get(), 65535);
    }

    #[test]
    fn rejects_outside_the_range() {
        for bad in ["0", "65536", "-1", "http", ""] {
            let message = bad.parse::<Port>().unwrap_err();
            assert!(message.contains("1 to 65535"), "{bad:?}: {message}");
        }
    }
}
