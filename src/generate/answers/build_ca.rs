//! The company root CA the build stage trusts (`--ca-cert FILE`): behind a
//! TLS-intercepting proxy `go mod download` fails with `x509: certificate signed by
//! unknown authority` inside `docker build` only, because the builder image does not
//! know the CA the host trusts. The project carries a copy of the certificate, which
//! the Dockerfile's build stage copies into its trust store; no runtime stage ever
//! copies it.

use std::path::{Path, PathBuf};

use crate::generate::input_file::read_regular;

/// Where the project keeps the certificate (a root CA certificate is public: it holds
/// no key, so it may be committed).
pub const BUILD_CA_PATH: &str = "certs/build-ca.pem";

/// How `.scaffold/answers.toml` names the project's copy: paths in an answers file are
/// relative to the file, so `update` and `new --answers` read the project's own copy.
pub const RECORDED_BUILD_CA: &str = "../certs/build-ca.pem";

/// Certificates a build stage may trust: one or more PEM `CERTIFICATE` blocks, and
/// nothing else (no key, no text around them), with LF line endings.
#[derive(Debug, Clone)]
pub struct BuildCa {
    /// Where it was read from, as given (for the equivalent command).
    pub source: PathBuf,
    pem: String,
}

/// Two answers are the same when they trust the same certificates, wherever read from.
impl PartialEq for BuildCa {
    fn eq(&self, other: &Self) -> bool {
        self.pem == other.pem
    }
}

impl Eq for BuildCa {}

impl BuildCa {
    /// Reads and checks `path`; the error says which file, what is wrong and how to fix it.
    pub fn read(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let bytes = read_regular(path, 1, "CA certificates").map_err(|error| error.to_string())?;
        let text = String::from_utf8(bytes).map_err(|_| {
            format!(
                "`{shown}` is not PEM text (a binary DER file?): convert it with \
                 `openssl x509 -inform der -in {shown} -out ca.pem`, or on Windows \
                 `certutil -encode {shown} ca.pem`, and pass ca.pem"
            )
        })?;
        Self::from_pem_text(&text)
            .map(|pem| BuildCa {
                source: path.to_path_buf(),
                pem,
            })
            .map_err(|problem| format!("`{shown}` {problem}"))
    }

    /// The certificates, re-encoded: PEM blocks only, LF line endings.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    fn from_pem_text(text: &str) -> Result<String, String> {
        let blocks = pem::parse_many(text).map_err(|error| {
            format!("is not valid PEM ({error}): export the CA certificate again as Base-64 (PEM)")
        })?;
        if blocks
            .iter()
            .any(|block| block.tag().contains("PRIVATE KEY"))
        {
            return Err(
                "holds a private key: pass only the CA's certificate (`-----BEGIN CERTIFICATE-----`); \
                 a key must never enter a project or an image"
                    .into(),
            );
        }
        let certificates: Vec<pem::Pem> = blocks
            .into_iter()
            .filter(|block| block.tag() == "CERTIFICATE")
            .collect();
        if certificates.is_empty() {
            return Err(
                "has no `-----BEGIN CERTIFICATE-----` block: pass the company's root CA certificate \
                 in PEM form (e.g. exported from the browser or the system trust store as Base-64)"
                    .into(),
            );
        }
        // Block after block, as `cat a.pem b.pem` makes them: a file that is already
        // clean reads back byte for byte, so `update` sees no change in it.
        let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        Ok(certificates
            .iter()
            .map(|block| pem::encode_config(block, config))
            .collect())
    }
}

/// For the flag: read and checked where it enters, so clap reports a bad file with exit code 2.
pub fn parse_ca_cert_flag(text: &str) -> Result<BuildCa, String> {
    BuildCa::read(Path::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "MIIBszCCAVmgAwIBAgIUWm9vdA==";

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn certificates_are_kept_and_everything_else_dropped() {
        let text = format!(
            "Bag Attributes\r\n-----BEGIN CERTIFICATE-----\r\n{BODY}\r\n-----END CERTIFICATE-----\r\n\
             -----BEGIN CERTIFICATE-----\n{BODY}\n-----END CERTIFICATE-----\n"
        );
        let (_dir, path) = write(&text);
        let ca = BuildCa::read(&path).unwrap();
        assert_eq!(ca.pem().matches("BEGIN CERTIFICATE").count(), 2);
        assert!(!ca.pem().contains('\r') && !ca.pem().contains("Bag"));
        assert!(ca.pem().contains(BODY));
        let (_dir, clean) = write(ca.pem());
        assert_eq!(BuildCa::read(&clean).unwrap().pem(), ca.pem());
    }

    #[test]
    fn what_is_not_a_certificate_is_refused_with_the_file_and_the_fix() {
        let key = format!("-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n");
        let cases = [
            ("just text\n", "no `-----BEGIN CERTIFICATE-----` block"),
            (key.as_str(), "private key"),
            (
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                "not valid PEM",
            ),
        ];
        for (text, expected) in cases {
            let (_dir, path) = write(text);
            let error = BuildCa::read(&path).unwrap_err();
            assert!(
                error.contains(expected) && error.contains("ca.pem"),
                "{error}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let der = dir.path().join("ca.cer");
        std::fs::write(&der, [0x30, 0x82, 0xff, 0xfe]).unwrap();
        assert!(BuildCa::read(&der).unwrap_err().contains("openssl x509"));
        assert!(BuildCa::read(&dir.path().join("absent.pem"))
            .unwrap_err()
            .contains("absent.pem"));
    }
}
