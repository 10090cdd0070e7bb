//! Loopback servers for the update channels: an HTTP server that records every POST, and a
//! small SMTP server that speaks just enough of the protocol. Both listen on 127.0.0.1 only.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::health::{Server, start};

/// One POST the hook server received.
#[derive(Debug, Clone)]
pub struct Posted {
    pub path: String,
    pub content_type: String,
    pub body: serde_json::Value,
}

pub type Posts = Arc<Mutex<Vec<Posted>>>;

/// `POST /ok/<name>` answers 200; `POST /fail/<name>` answers 500 with a body. Every request is
/// recorded.
pub async fn hook_server() -> (Server, Posts) {
    let posts: Posts = Arc::default();
    async fn handle(
        State(posts): State<Posts>,
        Path((mode, name)): Path<(String, String)>,
        headers: axum::http::HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        posts.lock().unwrap().push(Posted {
            path: format!("/{mode}/{name}"),
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body,
        });
        if mode == "fail" {
            (StatusCode::INTERNAL_SERVER_ERROR, "boom")
        } else {
            (StatusCode::OK, "1")
        }
    }
    let router = Router::new()
        .route("/{mode}/{name}", post(handle))
        .with_state(posts.clone());
    (start(router).await, posts)
}

/// What the SMTP server saw.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub commands: Vec<String>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section as sent (CRLF line ends), without the final `.` line.
    pub data: String,
}

pub type Mails = Arc<Mutex<Vec<Mail>>>;

/// An SMTP server on 127.0.0.1 that accepts every mail; returns its port.
pub async fn smtp_server() -> (u16, Mails, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Mails = Arc::default();
    let store = mails.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let mut mail = Mail::default();
                if w.write_all(b"220 loopback ESMTP test\r\n").await.is_err() {
                    return;
                }
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_string();
                    mail.commands.push(cmd.clone());
                    let upper = cmd.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-loopback\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        mail.mail_from = cmd[10..].to_string();
                        b"250 2.1.0 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        mail.rcpt_to.push(cmd[8..].to_string());
                        b"250 2.1.5 ok\r\n"
                    } else if upper == "DATA" {
                        w.write_all(b"354 go ahead\r\n").await.ok();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if r.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        mail.data = data;
                        store.lock().unwrap().push(mail.clone());
                        b"250 2.0.0 queued\r\n"
                    } else if upper == "QUIT" {
                        if let Some(last) = store.lock().unwrap().last_mut() {
                            last.commands = mail.commands.clone();
                        }
                        w.write_all(b"221 bye\r\n").await.ok();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, mails, task)
}

/// Parses `[updates]` TOML the way the config loader does.
pub fn updates_config(toml_text: &str) -> warroom::domain::updates::UpdatesConfig {
    toml::from_str(toml_text).expect("valid [updates] config")
}
