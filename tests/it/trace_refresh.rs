//! The refresh that reads only what grew: a scan kept across runs gives, after appends (a line
//! cut in half included), a rotation (rename, then compression) and a truncation, exactly the
//! rows of a full scan of the same files; and it reads only the new bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use chrono::{TimeZone, Utc};
use warroom::domain::trace::{TraceQuery, TraceRow, TraceStatus};
use warroom::trace::{ScanMsg, ScanSource, ScanStats, TraceScan, collect_query};

fn fixture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trace")
        .join(rel);
    std::fs::read_to_string(p).unwrap()
}

fn sources(dir: &Path) -> Vec<ScanSource> {
    let mut pf = ScanSource::postfix("mx1", dir.join("mail.log*"));
    pf.year_reference = Some(Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap());
    vec![
        pf,
        ScanSource::exchange_logs("ex01", dir.join("ex01")),
        ScanSource::exchange_logs("ex02", dir.join("ex02")),
    ]
}

type Rows = BTreeMap<(String, String), TraceRow>;

/// The consumer's side: rows as the messages of every run left them.
struct Live {
    scan: TraceScan,
    rows: Rows,
}

impl Live {
    fn run(&mut self, q: &TraceQuery, delta: bool) -> ScanStats {
        let rows = &mut self.rows;
        if !delta {
            rows.clear();
        }
        self.scan
            .run(
                q,
                delta,
                |m| match m {
                    ScanMsg::Row(r) => {
                        rows.insert((r.key.clone(), r.recipient.to_lowercase()), r);
                    }
                    ScanMsg::Remove { key, recipient } => {
                        rows.remove(&(key, recipient.to_lowercase()));
                    }
                    _ => {}
                },
                &AtomicBool::new(false),
            )
            .unwrap()
    }
}

fn full(dir: &Path, q: &TraceQuery) -> Rows {
    let (rows, _, _) = collect_query(&sources(dir), q, &AtomicBool::new(false)).unwrap();
    rows.into_iter()
        .map(|r| ((r.key.clone(), r.recipient.to_lowercase()), r))
        .collect()
}

fn append(path: &Path, text: &str) -> u64 {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    text.len() as u64
}

fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

fn same(live: &Live, dir: &Path, q: &TraceQuery, step: &str) {
    let expected = full(dir, q);
    assert!(
        !expected.is_empty() || step == "start",
        "{step}: nothing found"
    );
    if live.rows != expected {
        let a: Vec<_> = live.rows.keys().collect();
        let b: Vec<_> = expected.keys().collect();
        for (k, r) in &expected {
            if live.rows.get(k) != Some(r) {
                eprintln!(
                    "{step}: differs at {k:?}:\nlive {:#?}\nfull {r:#?}",
                    live.rows.get(k)
                );
            }
        }
        panic!("{step}: refresh {a:#?}\nfull scan {b:#?}");
    }
}

fn scenario(q: TraceQuery) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("ex01")).unwrap();
    std::fs::create_dir_all(d.join("ex02")).unwrap();
    let pf = lines(&fixture("postfix/maillog-amavis.log"));
    let ex1 = lines(&fixture("exchange/shadow/EX01/MSGTRK2026030310-1.LOG"));
    let ex2 = lines(&fixture("exchange/shadow/EX02/MSGTRK2026030310-1.LOG"));
    let mail = d.join("mail.log");
    let ex1f = d.join("ex01/MSGTRK2026030310-1.LOG");
    let ex2f = d.join("ex02/MSGTRK2026030310-1.LOG");
    // Start: the first third of everything.
    append(&mail, &pf[..30].concat());
    append(&ex1f, &ex1[..8].concat());
    append(&ex2f, &ex2[..10].concat());
    let mut live = Live {
        scan: TraceScan::new(&sources(d), &q),
        rows: Rows::new(),
    };
    let first = live.run(&q, false);
    same(&live, d, &q, "start");
    assert_eq!(first.files, 3);

    // Appends, the last Postfix line cut in half: only the new bytes are read.
    let (half_a, half_b) = pf[50].split_at(40);
    let grown = append(&mail, &(pf[30..50].concat() + half_a))
        + append(&ex1f, &ex1[8..11].concat())
        + append(&ex2f, &ex2[10..16].concat());
    let st = live.run(&q, true);
    same(&live, d, &q, "appended");
    assert_eq!(st.files, 3);
    // The cut-off line was read again, not the rest.
    assert!(
        st.bytes >= grown && st.bytes < grown + 200,
        "{} of {grown}",
        st.bytes
    );
    let st = live.run(&q, true);
    same(&live, d, &q, "nothing new");
    assert!(st.bytes < 200, "read {} bytes with nothing new", st.bytes);

    // The cut line completed; then rotation: mail.log becomes mail.log.1, a new mail.log.
    append(&mail, &(half_b.to_string() + &pf[51..60].concat()));
    std::fs::rename(&mail, d.join("mail.log.1")).unwrap();
    let new = append(&mail, &pf[60..80].concat());
    let st = live.run(&q, true);
    same(&live, d, &q, "rotated");
    assert!(
        st.bytes < new + 4096,
        "read {} bytes after rotation",
        st.bytes
    );

    // The next rotation compresses the older file (a new file whose text was read before).
    let old = std::fs::read(d.join("mail.log.1")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(d.join("mail.log.2.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&old).unwrap();
    gz.finish().unwrap();
    std::fs::remove_file(d.join("mail.log.1")).unwrap();
    std::fs::rename(&mail, d.join("mail.log.1")).unwrap();
    append(&mail, &pf[80..].concat());
    append(&ex1f, &ex1[11..].concat());
    live.run(&q, true);
    same(&live, d, &q, "compressed");

    // A new Exchange file, and one truncated and written again, longer than before: same
    // header, so only the bytes before the old offset tell.
    let before = std::fs::metadata(&ex2f).unwrap().len();
    append(
        &d.join("ex02/MSGTRK2026030311-1.LOG"),
        &(ex2[..5].concat() + &ex2[10..12].concat()),
    );
    std::fs::write(
        &ex2f,
        ex2[..5].concat() + &ex2[16..].concat() + &ex2[5..16].concat(),
    )
    .unwrap();
    assert!(std::fs::metadata(&ex2f).unwrap().len() > before);
    live.run(&q, true);
    same(&live, d, &q, "rewritten");
    // Truncated to less than was read.
    std::fs::write(&ex2f, ex2[..7].concat()).unwrap();
    live.run(&q, true);
    same(&live, d, &q, "truncated");

    // A query over the same terms with other bounds reuses the state.
    let mut later = q.clone();
    later.since = Some(Utc.with_ymd_and_hms(2026, 3, 3, 10, 5, 0).unwrap());
    assert!(live.scan.fits(&sources(d), &later));
    live.run(&later, true);
    same(&live, d, &later, "other window");
    let mut failed = q.clone();
    failed.status = Some(TraceStatus::Failed);
    live.run(&failed, false);
    same(&live, d, &failed, "other status");
}

#[test]
fn refresh_equals_a_full_scan_for_every_row() {
    scenario(TraceQuery::default());
}

#[test]
fn refresh_equals_a_full_scan_with_a_prefiltered_query() {
    scenario(TraceQuery {
        sender: Some("alerts@fabrikam.com".into()),
        ..Default::default()
    });
    scenario(TraceQuery {
        recipient: Some("@contoso.com".into()),
        ..Default::default()
    });
}
