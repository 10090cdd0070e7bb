//! A generator of realistic Exchange 2016/2019 message tracking logs, for benchmarks and
//! load tests: 30-column `#Fields`, CRLF, files rolled at 10 MiB like Exchange's default,
//! a mix of RECEIVE / SUBMIT / AGENTINFO / DELIVER / SEND / DEFER / FAIL with quoted subjects.
//! Deterministic for a given seed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};

/// Files roll over at this size, as Exchange's default `MessageTrackingLogMaxFileSize`.
pub const FILE_BYTES: u64 = 10 * 1024 * 1024;

/// A sender that appears in about one message in 2000: a selective query.
pub const RARE_SENDER: &str = "audit.bot@northwindtraders.com";

const FIELDS: &str = "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version";

const DOMAINS: [&str; 8] = [
    "contoso.com",
    "fabrikam.com",
    "tailspintoys.com",
    "wingtiptoys.com",
    "litwareinc.com",
    "adventure-works.com",
    "northwindtraders.com",
    "woodgrovebank.com",
];
const FIRST: [&str; 12] = [
    "alex", "sam", "jordan", "taylor", "morgan", "casey", "riley", "jamie", "avery", "quinn",
    "drew", "blake",
];
const SUBJECTS: [&str; 10] = [
    "Nightly batch report",
    "Invoice 2026-03",
    "Re: Contract draft",
    "Status update",
    "Meeting notes, action items",
    "FW: \"Urgent\" password expiry",
    "Weekly digest",
    "Your order has shipped",
    "Q4 ledger, final",
    "Out of office",
];
const SERVERS: [&str; 3] = ["EX01", "EX02", "EX03"];

/// What [`write_msgtrk`] wrote.
#[derive(Debug, Clone, Default)]
pub struct GenStats {
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    pub messages: u64,
    pub lines: u64,
    /// Messages sent by [`RARE_SENDER`].
    pub rare_messages: u64,
    /// Rows (message × recipient) of those messages.
    pub rare_rows: u64,
}

/// A line written later: its time, a tie-breaking sequence number, its fields.
type Delayed = (DateTime<Utc>, u64, Vec<String>);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn csv(field: &str) -> String {
    if field.contains([',', '"']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Writes MSGTRK lines into hourly files (shared with the drill's growing log folder).
pub(crate) struct Writer {
    dir: PathBuf,
    out: Option<BufWriter<File>>,
    written: u64,
    hour: String,
    seq: u32,
    stats: GenStats,
}

impl Writer {
    /// A writer that creates its files in `dir` (which must exist).
    pub(crate) fn new(dir: &Path) -> Self {
        Writer {
            dir: dir.to_path_buf(),
            out: None,
            written: 0,
            hour: String::new(),
            seq: 0,
            stats: GenStats::default(),
        }
    }

    /// Pushes buffered lines to the file so that readers see whole lines.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(o) => o.flush(),
            None => Ok(()),
        }
    }

    /// Lines written so far.
    pub(crate) fn lines(&self) -> u64 {
        self.stats.lines
    }

    /// Opens the file a line at `time` goes to (rolling by hour and size), with its header.
    pub(crate) fn ensure_file(&mut self, time: DateTime<Utc>) -> io::Result<()> {
        // Files are named by hour; a late line (a retry written after the hour turned) stays
        // in the current file, as on a real server.
        let hour = time.format("%Y%m%d%H").to_string().max(self.hour.clone());
        if self.out.is_none() || self.written >= FILE_BYTES || hour != self.hour {
            if let Some(mut o) = self.out.take() {
                o.flush()?;
            }
            if hour != self.hour {
                self.hour = hour;
                self.seq = 0;
            }
            self.seq += 1;
            let path = self
                .dir
                .join(format!("MSGTRK{}-{}.LOG", self.hour, self.seq));
            let mut o = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let header = format!(
                "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: Message Tracking Log\r\n#Date: {}\r\n#Fields: {FIELDS}\r\n",
                time.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
            o.write_all(header.as_bytes())?;
            self.written = header.len() as u64;
            self.stats.bytes += header.len() as u64;
            self.stats.files.push(path);
            self.out = Some(o);
        }
        Ok(())
    }

    pub(crate) fn line(&mut self, time: DateTime<Utc>, fields: &[String]) -> io::Result<()> {
        self.ensure_file(time)?;
        let mut text = String::with_capacity(700);
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&csv(f));
        }
        text.push_str("\r\n");
        if let Some(o) = self.out.as_mut() {
            o.write_all(text.as_bytes())?;
        }
        self.written += text.len() as u64;
        self.stats.bytes += text.len() as u64;
        self.stats.lines += 1;
        Ok(())
    }
}

pub(crate) struct Msg {
    pub(crate) internal: u64,
    pub(crate) message_id: String,
    pub(crate) network_id: String,
    pub(crate) sender: String,
    pub(crate) recipients: Vec<String>,
    pub(crate) subject: String,
    pub(crate) size: u64,
    pub(crate) incoming: bool,
    pub(crate) client_ip: String,
}

/// The 30 fields of one MSGTRK line.
#[allow(clippy::too_many_arguments)]
pub(crate) fn event(
    t: DateTime<Utc>,
    m: &Msg,
    server: &str,
    source: &str,
    event_id: &str,
    rcpts: &[String],
    statuses: &[String],
    context: &str,
    connector: &str,
    log_seq: u64,
) -> Vec<String> {
    let ts = t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let (client_ip, client_host) = if event_id == "RECEIVE" && m.incoming {
        (
            m.client_ip.clone(),
            format!("mail.{}", m.sender.split('@').nth(1).unwrap_or("")),
        )
    } else {
        (String::new(), String::new())
    };
    vec![
        ts,
        client_ip,
        client_host,
        "10.0.0.5".into(),
        server.into(),
        context.into(),
        connector.into(),
        source.into(),
        event_id.into(),
        m.internal.to_string(),
        m.message_id.clone(),
        m.network_id.clone(),
        rcpts.join(";"),
        statuses.join(";"),
        m.size.to_string(),
        rcpts.len().to_string(),
        String::new(),
        String::new(),
        m.subject.clone(),
        m.sender.clone(),
        m.sender.clone(),
        String::new(),
        if m.incoming {
            "Incoming"
        } else {
            "Originating"
        }
        .into(),
        String::new(),
        String::new(),
        String::new(),
        if event_id == "AGENTINFO" {
            "S:AMA=SUM|action=p|error=|atch=0;S:CompCost=|ETR=0;S:DeliveryPriority=Normal".into()
        } else {
            "S:DeliveryPriority=Normal;S:AccountForest=contoso.com".into()
        },
        "Email".into(),
        format!("c3a1f9d2-5b7e-4e11-9a0b-{log_seq:012x}"),
        "15.02.1544.004".into(),
    ]
}

/// Writes about `total_bytes` of MSGTRK logs into `dir` (which must exist).
pub fn write_msgtrk(dir: &Path, total_bytes: u64, seed: u64) -> io::Result<GenStats> {
    let mut rng = Rng(seed ^ 0x5eed_0f7a_1100);
    let mut w = Writer::new(dir);
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut now = start;
    // Later events (retries, expiries) wait here until their time comes.
    let mut delayed: BinaryHeap<Reverse<Delayed>> = BinaryHeap::new();
    let mut delayed_seq = 0u64;
    let mut internal = 73_014_444_000u64;
    while w.stats.bytes < total_bytes {
        now += Duration::milliseconds(50 + rng.below(400) as i64);
        while delayed.peek().is_some_and(|Reverse((t, _, _))| *t <= now) {
            if let Some(Reverse((t, _, f))) = delayed.pop() {
                w.line(t, &f)?;
            }
        }
        internal += 1;
        let sender = if rng.below(2000) == 0 {
            w.stats.rare_messages += 1;
            RARE_SENDER.to_string()
        } else {
            format!(
                "{}.{}{}@{}",
                rng.pick(&FIRST),
                rng.pick(&FIRST),
                rng.below(300),
                rng.pick(&DOMAINS)
            )
        };
        let n_rcpt = 1 + (rng.below(10) / 7) as usize + (rng.below(20) / 19) as usize;
        let recipients: Vec<String> = (0..n_rcpt)
            .map(|_| {
                format!(
                    "{}{}@{}",
                    rng.pick(&FIRST),
                    rng.below(500),
                    rng.pick(&DOMAINS)
                )
            })
            .collect();
        let mut recipients = recipients;
        recipients.sort();
        recipients.dedup();
        if sender == RARE_SENDER {
            w.stats.rare_rows += recipients.len() as u64;
        }
        let domain = sender
            .split('@')
            .nth(1)
            .unwrap_or("contoso.com")
            .to_string();
        let m = Msg {
            internal,
            message_id: format!("<{:016x}{:08x}@{}>", rng.next(), rng.next() as u32, domain),
            network_id: format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                rng.next() as u32,
                rng.next() as u16,
                rng.below(0xfff),
                rng.below(0xfff),
                rng.next() & 0xffff_ffff_ffff
            ),
            sender,
            recipients,
            subject: rng.pick(&SUBJECTS).to_string(),
            size: 2_000 + rng.below(2_000_000),
            incoming: rng.below(2) == 0,
            client_ip: format!("203.0.113.{}", rng.below(250) + 1),
        };
        w.stats.messages += 1;
        let server = rng.pick(&SERVERS);
        let mut t = now;
        let to: Vec<String> = m.recipients.iter().map(|_| "To".to_string()).collect();
        if m.incoming {
            let ctx = format!(
                "08DE5A1B{:08X};{};0",
                rng.next() as u32,
                t.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
            let f = event(
                t,
                &m,
                server,
                "SMTP",
                "RECEIVE",
                &m.recipients,
                &to,
                &ctx,
                &format!("{server}\\Default Frontend {server}"),
                w.stats.lines,
            );
            w.line(t, &f)?;
        } else {
            let f = event(
                t,
                &m,
                server,
                "STOREDRIVER",
                "RECEIVE",
                &m.recipients,
                &to,
                "MDB:61914740-3f1b-4ddb-94e0-557196870cfa, ClientType:OWA",
                "",
                w.stats.lines,
            );
            w.line(t, &f)?;
            t += Duration::milliseconds(20);
            let f = event(
                t,
                &m,
                server,
                "STOREDRIVER",
                "SUBMIT",
                &m.recipients,
                &to,
                "MDB:61914740-3f1b-4ddb-94e0-557196870cfa",
                "",
                w.stats.lines,
            );
            w.line(t, &f)?;
        }
        if rng.below(10) < 3 {
            t += Duration::milliseconds(15);
            let f = event(
                t,
                &m,
                server,
                "AGENT",
                "AGENTINFO",
                &m.recipients,
                &to,
                "",
                "",
                w.stats.lines,
            );
            w.line(t, &f)?;
        }
        for r in &m.recipients {
            let one = std::slice::from_ref(r);
            let roll = rng.below(100);
            t += Duration::milliseconds(30 + rng.below(300) as i64);
            let external = !r.ends_with("@contoso.com");
            if roll < 82 {
                let (src, ev, st, ctx) = if external {
                    (
                        "SMTP",
                        "SEND",
                        "250 2.0.0 OK",
                        "250 2.6.0 Queued mail for delivery",
                    )
                } else {
                    (
                        "STOREDRIVER",
                        "DELIVER",
                        "250 2.1.5 Recipient OK",
                        "ClientType:MOMT",
                    )
                };
                let f = event(
                    t,
                    &m,
                    server,
                    src,
                    ev,
                    one,
                    &[st.to_string()],
                    ctx,
                    "",
                    w.stats.lines,
                );
                w.line(t, &f)?;
            } else if roll < 94 {
                let defer = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError.\" Attempted failover to alternate host, but that did not succeed.";
                let f = event(
                    t,
                    &m,
                    server,
                    "SMTP",
                    "DEFER",
                    one,
                    &[defer.to_string()],
                    "",
                    "Intra-Organization SMTP Send Connector",
                    w.stats.lines,
                );
                w.line(t, &f)?;
                let later = t + Duration::minutes(5 + rng.below(30) as i64);
                let f = event(
                    later,
                    &m,
                    server,
                    "STOREDRIVER",
                    "DELIVER",
                    one,
                    &["250 2.1.5 Recipient OK".to_string()],
                    "ClientType:MOMT",
                    "",
                    w.stats.lines,
                );
                delayed_seq += 1;
                delayed.push(Reverse((later, delayed_seq, f)));
            } else if roll < 97 {
                let f = event(t, &m, server, "SMTP", "DEFER", one, &["451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761)".to_string()], "", "Outbound to Office 365", w.stats.lines);
                w.line(t, &f)?;
                let later = t + Duration::minutes(40 + rng.below(20) as i64);
                let f = event(
                    later,
                    &m,
                    server,
                    "SMTP",
                    "FAIL",
                    one,
                    &["550 4.4.7 QUEUE.Expired; message expired".to_string()],
                    "",
                    "",
                    w.stats.lines,
                );
                delayed_seq += 1;
                delayed.push(Reverse((later, delayed_seq, f)));
            } else {
                let f = event(
                    t,
                    &m,
                    server,
                    "ROUTING",
                    "FAIL",
                    one,
                    &["550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found".to_string()],
                    "",
                    "",
                    w.stats.lines,
                );
                w.line(t, &f)?;
            }
        }
    }
    while let Some(Reverse((t, _, f))) = delayed.pop() {
        w.line(t, &f)?;
    }
    if let Some(mut o) = w.out.take() {
        o.flush()?;
    }
    Ok(w.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_unique() {
        let d = tempfile::tempdir().unwrap();
        let s = write_msgtrk(d.path(), 40 << 20, 3).unwrap();
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), s.files.len());
        let on_disk: u64 = s
            .files
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        assert_eq!(on_disk, s.bytes);
    }

    #[test]
    fn deterministic_and_sized() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = write_msgtrk(a.path(), 200_000, 7).unwrap();
        let sb = write_msgtrk(b.path(), 200_000, 7).unwrap();
        assert!(sa.bytes >= 200_000 && sa.bytes < 220_000, "{}", sa.bytes);
        assert_eq!(sa.lines, sb.lines);
        let fa = std::fs::read(&sa.files[0]).unwrap();
        let fb = std::fs::read(&sb.files[0]).unwrap();
        assert_eq!(fa, fb);
        assert!(fa.starts_with(b"#Software: Microsoft Exchange Server\r\n"));
    }
}
