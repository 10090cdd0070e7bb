//! The drill's SMTP listener on 127.0.0.1: it answers like a healthy MX (220 banner, 250 EHLO
//! offering STARTTLS), or — for the scenario's share (`rate`) of connections — with a 421
//! banner, a 451 to EHLO, or by closing the connection at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::DrillShared;
use super::scenario::SmtpMode;

/// Binds 127.0.0.1:0, serves in the background, returns the port.
pub async fn start(shared: Arc<DrillShared>) -> std::io::Result<u16> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let counter = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let st = shared.state();
            // Deterministic share: connection n is affected when floor(n*rate) steps up.
            let hit = (n as f64 * st.smtp_rate).floor() > ((n - 1) as f64 * st.smtp_rate).floor();
            let mode = if hit { st.smtp_mode } else { SmtpMode::Ok };
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    converse(stream, mode),
                )
                .await;
            });
        }
    });
    Ok(port)
}

async fn converse(stream: TcpStream, mode: SmtpMode) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    match mode {
        SmtpMode::Refuse => return Ok(()),
        SmtpMode::Busy421 => {
            w.write_all(
                b"421 4.3.2 Service not available, closing transmission channel [drill]\r\n",
            )
            .await?;
            return Ok(());
        }
        _ => {}
    }
    w.write_all(b"220 mx.drill.invalid Microsoft ESMTP MAIL Service ready [drill]\r\n")
        .await?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match (verb.as_str(), mode) {
            ("EHLO" | "HELO", SmtpMode::Temp451) => {
                b"451 4.7.500 Server busy. Please try again later. (AS761) [drill]\r\n"
            }
            ("EHLO", _) => b"250-mx.drill.invalid Hello [127.0.0.1]\r\n250-SIZE 37748736\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            ("HELO", _) => b"250 mx.drill.invalid Hello\r\n",
            ("QUIT", _) => {
                w.write_all(b"221 2.0.0 Service closing transmission channel\r\n")
                    .await?;
                return Ok(());
            }
            _ => b"502 5.3.3 Command not implemented\r\n",
        };
        w.write_all(reply).await?;
    }
}
