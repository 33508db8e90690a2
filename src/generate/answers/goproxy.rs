//! The GOPROXY value baked into the Dockerfile as a build-arg default: the answer to
//! "module downloads fail behind a corporate proxy or in mainland China".

use std::fmt;
use std::str::FromStr;

pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoProxy(String);

impl GoProxy {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for GoProxy {
    fn default() -> Self {
        GoProxy(DEFAULT_GOPROXY.to_string())
    }
}

impl fmt::Display for GoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for GoProxy {
    type Err = String;

    /// Go's syntax: proxies separated by `,` (fall through on 404/410) or `|` (on any
    /// error), each a URL or the keywords `direct` and `off`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(format!(
                "GOPROXY is empty: pass a proxy URL list such as `{DEFAULT_GOPROXY}`"
            ));
        }
        for entry in text.split([',', '|']) {
            let is_url = ["https://", "http://", "file://"]
                .iter()
                .any(|scheme| entry.len() > scheme.len() && entry.starts_with(scheme));
            let valid = (is_url || entry == "direct" || entry == "off")
                && !entry.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'');
            if !valid {
                return Err(format!(
                    "GOPROXY entry `{entry}` in `{text}` is not a URL, `direct` or `off`: e.g. `https://goproxy.cn,direct`"
                ));
            }
        }
        Ok(GoProxy(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_proxy_lists() {
        for ok in [
            DEFAULT_GOPROXY,
            "https://goproxy.cn,direct",
            "off",
            "https://a|https://b,direct",
        ] {
            assert!(ok.parse::<GoProxy>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_entries_that_are_not_proxies() {
        for bad in [
            "",
            "proxy.golang.org",
            "https://",
            "https://a,,direct",
            "https://a b",
        ] {
            assert!(bad.parse::<GoProxy>().is_err(), "{bad:?} was accepted");
        }
    }
}
