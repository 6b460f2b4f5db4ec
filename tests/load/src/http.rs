//! One keep-alive HTTP/1.1 connection per load task, on hyper's low-level client: no pool
//! between tasks, so N tasks hold exactly N connections, and a failed connection is visible
//! (reopened and counted) instead of being hidden by a pool's retry.
//!
//! `https://` URLs (the scale-out test drives the API through nginx, as a client on the network
//! would) speak TLS with rustls, trusting the certificate authorities given by `--ca-cert` only.

use crate::sign::Signer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpStream;

/// Where the API listens: plain HTTP next to the server, or HTTPS through a reverse proxy.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    /// For `https://`: the connector and the name the certificate must carry (also the SNI).
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("addr", &self.addr)
            .field("host", &self.host)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// The certificate authorities `https://` targets are checked against (`--ca-cert`), set once
/// before any target is parsed.
static TRUSTED: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();

/// Trusts the certificates of the PEM file `path` (and nothing else) for `https://` targets.
pub fn trust(path: &std::path::Path) -> anyhow::Result<()> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
    {
        roots.add(cert.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)?;
    }
    anyhow::ensure!(!roots.is_empty(), "{} holds no certificate", path.display());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    TRUSTED
        .set(Arc::new(config))
        .map_err(|_| anyhow::anyhow!("the trusted certificates are set once"))
}

impl Target {
    /// From `http://host:port` or `https://host:port` (a path, if any, is ignored: the contract
    /// fixes the paths).
    pub async fn parse(base: &str) -> anyhow::Result<Self> {
        let (rest, https) = match (base.strip_prefix("http://"), base.strip_prefix("https://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => anyhow::bail!("--base-url must start with http:// or https://"),
        };
        let host = rest.split('/').next().unwrap_or(rest).to_owned();
        let with_port = if host.contains(':') {
            host.clone()
        } else if https {
            format!("{host}:443")
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{host} resolves to no address"))?;
        let tls = if https {
            let config = TRUSTED.get().ok_or_else(|| {
                anyhow::anyhow!("an https:// URL needs --ca-cert (the certificate to trust)")
            })?;
            let name = host
                .rsplit_once(':')
                .map_or(host.as_str(), |(name, _)| name);
            let name = rustls::pki_types::ServerName::try_from(name.to_owned())
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Some((tokio_rustls::TlsConnector::from(config.clone()), name))
        } else {
            None
        };
        Ok(Self { addr, host, tls })
    }
}

/// An answer: status, headers and body.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The session cookie the answer sets, as `name=value` for a `Cookie` header.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get(hyper::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }
}

pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
    opened: u64,
}

impl Conn {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            sender: None,
            opened: 0,
        }
    }

    /// How many times a connection was opened after the first.
    pub fn reconnects(&self) -> u64 {
        self.opened.saturating_sub(1)
    }

    /// Opens the connection unless an open one is ready.
    pub async fn connect(&mut self) -> Result<(), String> {
        if self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            return Ok(());
        }
        self.sender = None;
        let stream = TcpStream::connect(self.target.addr)
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let sender = match &self.target.tls {
            None => handshake(stream).await?,
            Some((connector, name)) => {
                let stream = connector
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|e| format!("tls: {}", e.kind()))?;
                handshake(stream).await?
            }
        };
        self.sender = Some(sender);
        self.opened += 1;
        Ok(())
    }

    /// Sends one signed POST and reads the whole answer.
    pub async fn post(
        &mut self,
        signer: &Signer,
        path: &str,
        body: String,
    ) -> Result<Answer, String> {
        let signed = signer.sign("POST", path, body.as_bytes());
        let request = hyper::Request::post(path)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("x-qy-client", signed.client)
            .header("x-qy-timestamp", signed.timestamp)
            .header("x-qy-nonce", signed.nonce)
            .header("x-qy-signature", signed.signature)
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request");
        self.send(request).await
    }

    /// Sends one request (the `Host` header is added here) and reads the whole answer. On any
    /// transport failure the connection is dropped, and the next call opens a new one.
    pub async fn send(
        &mut self,
        mut request: hyper::Request<Full<Bytes>>,
    ) -> Result<Answer, String> {
        self.connect().await?;
        request.headers_mut().insert(
            hyper::header::HOST,
            self.target
                .host
                .parse()
                .map_err(|_| format!("{} is not a host header", self.target.host))?,
        );
        let sender = self.sender.as_mut().expect("connected above");
        let result = async {
            sender
                .ready()
                .await
                .map_err(|e| format!("not ready: {e}"))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("send: {e}"))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("read body: {e}"))?
                .to_bytes();
            Ok(Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

/// HTTP/1.1 over an open stream; the connection's I/O runs beside the task and ends when the
/// sender is dropped.
async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
