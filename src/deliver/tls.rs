//! TLS client settings for the network sinks: which certificate authorities to trust and which
//! client certificate to present. Loaded once at start, so a missing or malformed file is a
//! start-up error, not a silent plain-text fallback.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::DeliveryError;

/// Certificate files named in a sink's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM bundle of authorities to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain, for receivers that ask for one.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub client_key: Option<PathBuf>,
}

/// Loaded certificates, ready for rustls (syslog) or ureq (HTTP).
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// Trusted authorities.
    pub roots: Vec<CertificateDer<'static>>,
    /// Client certificate, if configured.
    pub client: Option<ClientIdentity>,
}

/// A client certificate chain and its key.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The key, parsed.
    pub key: Arc<PrivateKeyDer<'static>>,
    /// The key file as read (ureq takes keys as PEM).
    pub key_pem: Arc<Vec<u8>>,
}

fn bad(path: &Path, what: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Tls(format!("{}: {what}", path.display()))
}

/// Reads one of our TLS files (certificates, key) whole, capped: they are small, and a file that
/// is not must not take the program's memory.
fn read_capped(path: &Path) -> Result<Vec<u8>, DeliveryError> {
    crate::fsutil::read_small_bytes(path).map_err(|e| bad(path, e))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, DeliveryError> {
    let pem = read_capped(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).collect::<Result<_, _>>().map_err(|e| bad(path, e))?;
    if certs.is_empty() {
        return Err(bad(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

impl TlsFiles {
    /// Reads the files: the CA bundle if named, else the operating system's trust store.
    pub fn load(&self) -> Result<TlsMaterial, DeliveryError> {
        let roots = match &self.ca_file {
            Some(path) => certificates(path)?,
            None => {
                let found = rustls_native_certs::load_native_certs();
                if found.certs.is_empty() {
                    return Err(DeliveryError::Tls("no trusted certificates in the system store; set ca_file".into()));
                }
                found.certs
            }
        };
        let client = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let chain = certificates(cert)?;
                let key_pem = read_capped(key)?;
                let parsed = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| bad(key, e))?;
                Some(ClientIdentity { chain, key: Arc::new(parsed), key_pem: Arc::new(key_pem) })
            }
            (None, None) => None,
            _ => return Err(DeliveryError::Tls("client_cert and client_key go together".into())),
        };
        Ok(TlsMaterial { roots, client })
    }
}

impl TlsMaterial {
    /// A rustls client configuration (TLS 1.2 and 1.3, ring provider, server verified).
    pub fn rustls_config(&self) -> Result<Arc<rustls::ClientConfig>, DeliveryError> {
        let mut store = rustls::RootCertStore::empty();
        let (_, ignored) = store.add_parsable_certificates(self.roots.iter().cloned());
        if store.is_empty() {
            return Err(DeliveryError::Tls(format!("none of the {ignored} trusted certificates could be used")));
        }
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| DeliveryError::Tls(e.to_string()))?
            .with_root_certificates(store);
        let config = match &self.client {
            Some(identity) => builder
                .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
                .map_err(|e| DeliveryError::Tls(format!("client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_certificate_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'A'; 5 << 20]).unwrap();
        let ca = TlsFiles { ca_file: Some(big.clone()), ..TlsFiles::default() };
        let Err(err) = ca.load() else { panic!("an oversized CA file is refused") };
        assert_eq!(err.to_string(), format!("TLS: {}: file is larger than 4 MiB", big.display()));
    }
}
