//! One keep-alive HTTP/1.1 connection per load task, on hyper's low-level client: no pool
//! between tasks, so N tasks hold exactly N connections, and a failed connection is visible
//! (reopened and counted) instead of being hidden by a pool's retry.

use crate::sign::Signer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// Where the API listens (plain http: the load runs next to the server; TLS is the ingress's job).
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

impl Target {
    /// From `http://host:port` (a path, if any, is ignored: the contract fixes the paths).
    pub async fn parse(base: &str) -> anyhow::Result<Self> {
        let rest = base.strip_prefix("http://").ok_or_else(|| {
            anyhow::anyhow!(
                "--base-url must start with http:// (the load generator speaks plain HTTP/1.1)"
            )
        })?;
        let host = rest.split('/').next().unwrap_or(rest).to_owned();
        let with_port = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{host} resolves to no address"))?;
        Ok(Self { addr, host })
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
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        // The connection's I/O runs beside the task; it ends when `sender` is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
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
