//! The drill's mail relay on 127.0.0.1, for the update channels to send through: it speaks
//! SMTP with STARTTLS (a throwaway certificate made at start, signed by a throwaway CA whose
//! certificate the drill's channel trusts with `ca_file`) and requires AUTH PLAIN or LOGIN after
//! it, like a cloud mail service's submission port. Each accepted mail is written to
//! `<drill dir>/mail/NNN.eml`.
//!
//! Also [`throwaway_certs`], the CA and server certificate made for it (tests use them too).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest command line read.
const MAX_LINE: u64 = 4096;
/// Largest message accepted.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;
/// A session that takes longer is dropped.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A throwaway CA and a server certificate it signed for `localhost` and `127.0.0.1`.
pub struct ThrowawayCerts {
    /// The CA certificate, PEM (what a client trusts: `ca_file`).
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub cert_pem: String,
    /// The server's private key, PKCS#8 PEM.
    pub key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for ThrowawayCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThrowawayCerts { .. }")
    }
}

/// Makes a fresh CA and a server certificate for `localhost` / `127.0.0.1`.
pub fn throwaway_certs() -> Result<ThrowawayCerts, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "warroom throwaway CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = leaf.signed_by(&key, &issuer)?;
    Ok(ThrowawayCerts {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    })
}

impl ThrowawayCerts {
    /// A TLS server config presenting the server certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![self.cert_der.clone()], key)?;
        Ok(Arc::new(config))
    }
}

/// What the relay accepts.
#[derive(Debug, Clone)]
pub struct RelayLogin {
    pub username: String,
    pub password: String,
}

/// Binds 127.0.0.1:0 and serves in the background; mails go to `mail_dir` (created). Returns
/// the port.
pub async fn start(
    certs: &ThrowawayCerts,
    login: RelayLogin,
    mail_dir: PathBuf,
) -> std::io::Result<u16> {
    std::fs::create_dir_all(&mail_dir)?;
    let config = certs.server_config().map_err(std::io::Error::other)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let counter = Arc::new(AtomicU64::new(0));
    let login = Arc::new(login);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, login, dir, counter) = (
                acceptor.clone(),
                login.clone(),
                mail_dir.clone(),
                counter.clone(),
            );
            tokio::spawn(async move {
                let session = session(stream, acceptor, &login, &dir, &counter);
                match tokio::time::timeout(SESSION_TIMEOUT, session).await {
                    Ok(Err(e)) => tracing::debug!("drill relay session ended: {e}"),
                    Err(_) => tracing::debug!("drill relay session timed out"),
                    Ok(Ok(())) => {}
                }
            });
        }
    });
    Ok(port)
}

/// Reads one line (CRLF or LF), at most [`MAX_LINE`] bytes; `None` at the end.
async fn line<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *r).take(MAX_LINE).read_until(b'\n', &mut buf).await?;
    if n == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.flush().await
}

/// The address in `FROM:<a@b> BODY=8BITMIME` or `TO:<a@b>`.
fn address_of(arg: &str) -> String {
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_string(),
        _ => arg
            .split_once(':')
            .map_or(arg, |(_, r)| r)
            .trim()
            .to_string(),
    }
}

fn verb_of(cmd: &str) -> String {
    cmd.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

async fn session(
    stream: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    login: &RelayLogin,
    dir: &std::path::Path,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let mut plain = BufReader::new(stream);
    reply(
        plain.get_mut(),
        "220 relay.drill.invalid ESMTP warroom drill relay\r\n",
    )
    .await?;
    loop {
        let Some(cmd) = line(&mut plain).await? else {
            return Ok(());
        };
        let answer = match verb_of(&cmd).as_str() {
            "EHLO" => {
                "250-relay.drill.invalid\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
            }
            "HELO" => "250 relay.drill.invalid\r\n",
            "STARTTLS" => {
                reply(plain.get_mut(), "220 2.0.0 Ready to start TLS\r\n").await?;
                break;
            }
            "NOOP" | "RSET" => "250 2.0.0 Ok\r\n",
            "QUIT" => {
                reply(plain.get_mut(), "221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "530 5.7.0 Must issue a STARTTLS command first\r\n",
        };
        reply(plain.get_mut(), answer).await?;
    }
    // Anything the client pipelined after STARTTLS is dropped, as RFC 3207 asks.
    let tls = acceptor.accept(plain.into_inner()).await?;
    secure_session(BufReader::new(tls), login, dir, counter).await
}

/// Checks `\0user\0password` (AUTH PLAIN's decoded response).
fn plain_ok(b64: &str, login: &RelayLogin) -> bool {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let mut parts = raw.split(|b| *b == 0);
    let _authzid = parts.next();
    let user = parts.next().unwrap_or_default();
    let pass = parts.next().unwrap_or_default();
    user == login.username.as_bytes() && pass == login.password.as_bytes()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap_or_default()
}

async fn secure_session<S: AsyncRead + AsyncWrite + Unpin>(
    mut r: BufReader<S>,
    login: &RelayLogin,
    dir: &std::path::Path,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let mut authed = false;
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let Some(cmd) = line(&mut r).await? else {
            return Ok(());
        };
        let verb = verb_of(&cmd);
        let arg = cmd.get(verb.len()..).unwrap_or("").trim().to_string();
        let answer: String = match verb.as_str() {
            "EHLO" => {
                from = None;
                rcpts.clear();
                "250-relay.drill.invalid\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n".into()
            }
            "HELO" => "250 relay.drill.invalid\r\n".into(),
            "AUTH" if authed => "503 5.5.1 Already authenticated\r\n".into(),
            "AUTH" => {
                let mut words = arg.split_whitespace();
                let mech = words.next().unwrap_or("").to_ascii_uppercase();
                let initial = words.next().map(str::to_string);
                let ok = match mech.as_str() {
                    "PLAIN" => {
                        let resp = match initial {
                            Some(i) => i,
                            None => {
                                reply(r.get_mut(), "334 \r\n").await?;
                                line(&mut r).await?.unwrap_or_default()
                            }
                        };
                        plain_ok(&resp, login)
                    }
                    "LOGIN" => {
                        let user = match initial {
                            Some(i) => b64(&i),
                            None => {
                                reply(r.get_mut(), "334 VXNlcm5hbWU6\r\n").await?;
                                b64(&line(&mut r).await?.unwrap_or_default())
                            }
                        };
                        reply(r.get_mut(), "334 UGFzc3dvcmQ6\r\n").await?;
                        let pass = b64(&line(&mut r).await?.unwrap_or_default());
                        user == login.username.as_bytes() && pass == login.password.as_bytes()
                    }
                    _ => {
                        reply(
                            r.get_mut(),
                            "504 5.5.4 Unrecognized authentication type\r\n",
                        )
                        .await?;
                        continue;
                    }
                };
                authed = ok;
                if ok {
                    "235 2.7.0 Authentication successful\r\n".into()
                } else {
                    "535 5.7.8 Authentication credentials invalid\r\n".into()
                }
            }
            "MAIL" if !authed => "530 5.7.0 Authentication required\r\n".into(),
            "MAIL" => {
                from = Some(address_of(&arg));
                rcpts.clear();
                "250 2.1.0 Ok\r\n".into()
            }
            "RCPT" if from.is_none() => "503 5.5.1 Need MAIL first\r\n".into(),
            "RCPT" => {
                rcpts.push(address_of(&arg));
                "250 2.1.5 Ok\r\n".into()
            }
            "DATA" if rcpts.is_empty() => "503 5.5.1 Need RCPT first\r\n".into(),
            "DATA" => {
                reply(r.get_mut(), "354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = String::new();
                loop {
                    let Some(l) = line(&mut r).await? else {
                        return Ok(());
                    };
                    if l == "." {
                        break;
                    }
                    let l = l.strip_prefix('.').unwrap_or(&l);
                    if data.len() + l.len() > MAX_MESSAGE {
                        reply(r.get_mut(), "552 5.3.4 Message too big\r\n").await?;
                        return Ok(());
                    }
                    data.push_str(l);
                    data.push_str("\r\n");
                }
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let path = dir.join(format!("{n:03}.eml"));
                let envelope = format!(
                    "X-Drill-Envelope-From: {}\r\nX-Drill-Envelope-To: {}\r\n",
                    from.take().unwrap_or_default(),
                    rcpts.join(", ")
                );
                rcpts.clear();
                match std::fs::write(&path, format!("{envelope}{data}")) {
                    Ok(()) => format!("250 2.0.0 Ok: queued as drill-{n:03}\r\n"),
                    Err(e) => {
                        tracing::warn!("drill relay could not write {}: {e}", path.display());
                        "451 4.3.0 Could not store the message\r\n".into()
                    }
                }
            }
            "RSET" => {
                from = None;
                rcpts.clear();
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => {
                reply(r.get_mut(), "221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized\r\n".into(),
        };
        reply(r.get_mut(), &answer).await?;
    }
}
