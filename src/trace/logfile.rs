//! Reading one log file: the per-file parse state of each format, fed blocks of whole lines
//! in order, that a later run picks up where the last one stopped.
//!
//! Both parsers look only at the lines the query's terms select (see [`super::scan`] for the
//! prefilter rules), skip lines that hold NUL bytes (a syslog file after a crash) and count
//! them, and keep what they need to go on from the next byte: the `#Fields` map of an Exchange
//! file, the lines of the Postfix messages still open.
//!
//! A Postfix message handed to a content filter comes back under a new queue id. The prefilter
//! treats the two ids as one message: when either is selected, both are sent. A complete
//! message that took part in such a hop is held (a bounded number of them) until its partner's
//! outcome is known.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::RawEvent;
use super::exchange_logs::{self, FileState, LineError};
use super::fold::FoldedFinder;
use super::postfix;

/// Lines kept per open Postfix message; beyond that the oldest retries are dropped (the
/// first [`KEEP_FIRST_LINES`] lines, which carry sender and message id, always stay).
pub const MAX_LINES_PER_MESSAGE: usize = 64;
const KEEP_FIRST_LINES: usize = 16;
/// Complete Postfix messages held while the outcome of their content-filter partner is open.
const MAX_HELD: usize = 4096;
/// Content-filter links and sent linked messages remembered.
const MAX_LINKS: usize = 16384;

/// The query's terms as case-insensitive finders.
#[derive(Debug, Clone)]
pub(crate) struct Needles {
    pub finders: Vec<FoldedFinder>,
    /// The terms, normalised, as given.
    pub terms: Vec<String>,
}

impl Needles {
    pub fn new(terms: Vec<String>) -> Needles {
        let mut bytes: Vec<Vec<u8>> = terms
            .iter()
            .map(|t| {
                // The raw CSV line doubles quotes and the query may carry them: search for
                // the longest quote-free piece.
                t.split('"')
                    .max_by_key(|p| p.len())
                    .unwrap_or("")
                    .as_bytes()
                    .to_vec()
            })
            .filter(|t| !t.is_empty())
            .collect();
        // Longest (usually most selective) first: it drives the block search.
        bytes.sort_by_key(|b| std::cmp::Reverse(b.len()));
        Needles {
            finders: bytes.iter().map(|b| FoldedFinder::new(b)).collect(),
            terms,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }
}

/// Which format a file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Exchange,
    Postfix,
}

/// Why a file is not read at all, judged on its first block.
pub(crate) fn reject_start(format: Format, data: &[u8]) -> Option<String> {
    if data.starts_with(&[0xff, 0xfe]) || data.starts_with(&[0xfe, 0xff]) {
        return Some(
            "UTF-16 text, not UTF-8: convert it first (iconv -f UTF-16 -t UTF-8)".to_string(),
        );
    }
    if looks_binary(data) {
        return Some("binary data, not a text log".into());
    }
    if format == Format::Exchange {
        let first = data.iter().position(|&b| b != 0).map(|i| data[i]);
        if first != Some(b'#') {
            return Some("not a message tracking log (no #Software/#Fields header)".into());
        }
    }
    None
}

/// Binary rather than text with NUL runs: among the first 8 KiB, NUL bytes left aside, more
/// than one byte in 16 is another control character (text logs have none; random or
/// compressed data about one in eight).
fn looks_binary(data: &[u8]) -> bool {
    let sample = &data[..data.len().min(8192)];
    let mut other = 0usize;
    let mut control = 0usize;
    for &b in sample {
        match b {
            0 => {}
            b'\n' | b'\r' | b'\t' | 0x1b | 0x0c => other += 1,
            0x01..=0x1f | 0x7f => {
                control += 1;
                other += 1;
            }
            _ => other += 1,
        }
    }
    other > 0 && control * 16 > other
}

/// The parse state of one file.
pub(crate) enum FileParser {
    Exchange(Box<ExchangeFile>),
    Postfix(Box<PostfixFile>),
}

impl FileParser {
    pub fn new(
        format: Format,
        file: Arc<PathBuf>,
        source: usize,
        reference: DateTime<Utc>,
    ) -> FileParser {
        match format {
            Format::Exchange => FileParser::Exchange(Box::new(ExchangeFile::new(file, source))),
            Format::Postfix => {
                FileParser::Postfix(Box::new(PostfixFile::new(file, source, reference)))
            }
        }
    }

    /// The path lines are reported under (a renamed file keeps its state).
    pub fn set_file(&mut self, file: Arc<PathBuf>) {
        match self {
            FileParser::Exchange(f) => f.file = file,
            FileParser::Postfix(f) => f.file = file,
        }
    }

    /// The time the year of classic syslog stamps is inferred from.
    pub fn set_reference(&mut self, reference: DateTime<Utc>) {
        if let FileParser::Postfix(f) = self {
            f.reference = reference;
        }
    }

    /// Processes a block of whole lines; returns how many lines it held.
    pub fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        match self {
            FileParser::Exchange(f) => f.block(data, first_line, needles, out),
            FileParser::Postfix(f) => f.block(data, first_line, needles, out),
        }
    }

    /// Events of what is still open at the current end of the file: sent with every result but
    /// not part of the state (the rest of such a message may arrive later).
    pub fn provisional(&self, out: &mut Vec<RawEvent>) {
        if let FileParser::Postfix(f) = self {
            f.provisional(out);
        }
    }

    /// Warnings about the lines read so far.
    pub fn warnings(&self) -> Vec<(Option<u64>, String)> {
        match self {
            FileParser::Exchange(f) => f.warnings(),
            FileParser::Postfix(f) => f.warnings(),
        }
    }
}

/// Lines holding NUL bytes: counted, the first remembered.
#[derive(Debug, Clone, Default)]
struct NulLines {
    count: u64,
    first: Option<u64>,
}

impl NulLines {
    fn note(&mut self, line: u64) {
        self.count += 1;
        self.first.get_or_insert(line);
    }

    fn warning(&self) -> Option<(Option<u64>, String)> {
        (self.count > 0).then(|| {
            (
                self.first,
                format!(
                    "{} line{} holding NUL bytes skipped (a crash can leave them in a log); the other lines were read",
                    self.count,
                    if self.count == 1 { "" } else { "s" }
                ),
            )
        })
    }
}

pub(crate) struct ExchangeFile {
    state: FileState,
    past_header: bool,
    file: Arc<PathBuf>,
    source: usize,
    bad: u64,
    first_bad: Option<(u64, LineError)>,
    nul: NulLines,
}

impl ExchangeFile {
    fn new(file: Arc<PathBuf>, source: usize) -> Self {
        ExchangeFile {
            state: FileState::default(),
            past_header: false,
            file,
            source,
            bad: 0,
            first_bad: None,
            nul: NulLines::default(),
        }
    }

    fn line(&mut self, line: &[u8], no: u64, out: &mut Vec<RawEvent>) {
        if memchr::memchr(0, line).is_some() {
            self.nul.note(no);
            return;
        }
        if line.first() == Some(&b'#') {
            self.state.apply_header(line);
            return;
        }
        if exchange_logs::trim_cr(line).is_empty() {
            return;
        }
        match self.state.parse(line) {
            Ok(rec) => {
                if let Some(ev) = exchange_logs::to_event(rec, self.source, &self.file, no) {
                    out.push(ev);
                }
            }
            Err(e) => {
                self.bad += 1;
                if self.first_bad.is_none() {
                    self.first_bad = Some((no, e));
                }
            }
        }
    }

    /// Processes a block of whole lines; returns how many lines it held.
    fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        if needles.is_empty() {
            let mut start = 0;
            let mut lines = 0;
            for (no, nl) in (first_line..).zip(memchr::memchr_iter(b'\n', data)) {
                self.line(&data[start..nl], no, out);
                start = nl + 1;
                lines += 1;
            }
            return lines;
        }
        let mut no = first_line;
        let mut p = 0usize;
        // The header at the top of the file (never a candidate: it has no query term).
        if !self.past_header {
            while p < data.len() && data[p] == b'#' {
                let e = memchr::memchr(b'\n', &data[p..]).map_or(data.len(), |x| p + x);
                self.state.apply_header(&data[p..e]);
                p = e + 1;
                no += 1;
            }
            self.past_header = p < data.len();
        }
        let mut counted = p;
        let Some((primary, others)) = needles.finders.split_first() else {
            return 0;
        };
        while p < data.len() {
            let Some(pos) = primary.find_from(data, p) else {
                break;
            };
            let ls = memchr::memrchr(b'\n', &data[..pos]).map_or(0, |x| x + 1);
            let le = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |x| pos + x);
            p = le + 1;
            let cand = &data[ls..le];
            if data[ls] != b'#' && !others.iter().all(|f| f.find(cand).is_some()) {
                continue;
            }
            no += memchr::memchr_iter(b'\n', &data[counted..ls]).count() as u64;
            counted = ls;
            if self.field_count_differs(cand) {
                // A writer restarted inside this file: pick up the nearest #Fields above.
                if let Some(h) = memchr::memmem::rfind(&data[..ls], b"\n#Fields:") {
                    let he =
                        memchr::memchr(b'\n', &data[h + 1..]).map_or(data.len(), |x| h + 1 + x);
                    self.state.apply_header(&data[h + 1..he]);
                }
            }
            self.line(cand, no, out);
        }
        no += memchr::memchr_iter(b'\n', &data[counted..]).count() as u64;
        no - first_line
    }

    /// Cheap check before parsing: does the line have another number of commas outside
    /// quotes than the map expects? (Only consulted to look for a new header.)
    fn field_count_differs(&self, line: &[u8]) -> bool {
        let Some(map) = &self.state.map else {
            return true;
        };
        let mut fields = 1usize;
        let mut quoted = false;
        for &b in line {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => fields += 1,
                _ => {}
            }
        }
        fields != map.count
    }

    fn warnings(&self) -> Vec<(Option<u64>, String)> {
        let mut out: Vec<(Option<u64>, String)> = match &self.first_bad {
            Some((line, e)) if self.bad == 1 => vec![(Some(*line), format!("skipped: {e}"))],
            Some((line, e)) => vec![(
                Some(*line),
                format!("{} lines skipped; the first: {e}", self.bad),
            )],
            None => vec![],
        };
        out.extend(self.nul.warning());
        out
    }
}

/// A Postfix message whose `removed` has not been read yet (or that is held).
#[derive(Debug, Clone, Default)]
struct OpenMessage {
    lines: Vec<(u64, Box<[u8]>)>,
    /// A line holds a query term, or a message linked to it was sent.
    hit: bool,
    /// Its first line (`client=`, `uid=`) is in this file.
    started: bool,
    /// Started by a client on this host: perhaps a content filter's re-injection.
    loopback: bool,
    elided: u32,
    /// Queue ids it was handed on to by a content filter.
    children: Vec<Box<[u8]>>,
}

pub(crate) struct PostfixFile {
    open: HashMap<Box<[u8]>, OpenMessage>,
    /// Complete messages kept until their content-filter partner's outcome is known.
    held: HashMap<Box<[u8]>, OpenMessage>,
    held_order: VecDeque<Box<[u8]>>,
    /// Content-filter links seen: the id a message went on under → the id it had.
    parent_of: HashMap<Box<[u8]>, Box<[u8]>>,
    parent_order: VecDeque<Box<[u8]>>,
    /// Linked messages already sent, so a late partner is sent too.
    sent: HashSet<Box<[u8]>>,
    sent_order: VecDeque<Box<[u8]>>,
    file: Arc<PathBuf>,
    source: usize,
    reference: DateTime<Utc>,
    lines_seen: u64,
    postfix_lines: u64,
    bad: u64,
    first_bad: Option<u64>,
    elided: u64,
    nul: NulLines,
}

impl PostfixFile {
    fn new(file: Arc<PathBuf>, source: usize, reference: DateTime<Utc>) -> Self {
        PostfixFile {
            open: HashMap::new(),
            held: HashMap::new(),
            held_order: VecDeque::new(),
            parent_of: HashMap::new(),
            parent_order: VecDeque::new(),
            sent: HashSet::new(),
            sent_order: VecDeque::new(),
            file,
            source,
            reference,
            lines_seen: 0,
            postfix_lines: 0,
            bad: 0,
            first_bad: None,
            elided: 0,
            nul: NulLines::default(),
        }
    }

    /// Parses one line into `out`; `None` when it could not be read.
    fn parse(&self, no: u64, raw: &[u8], out: &mut Vec<RawEvent>) -> bool {
        match postfix::parse_line(raw, self.reference) {
            Some(rec) => {
                out.push(postfix::to_event(rec, self.source, &self.file, no, raw));
                true
            }
            None => false,
        }
    }

    fn parse_counted(&mut self, no: u64, raw: &[u8], out: &mut Vec<RawEvent>) {
        if !self.parse(no, raw, out) {
            self.bad += 1;
            self.first_bad.get_or_insert(no);
        }
    }

    /// Sends a message's lines.
    fn flush(&mut self, qid: &[u8], msg: OpenMessage, out: &mut Vec<RawEvent>) {
        self.elided += u64::from(msg.elided);
        if !msg.children.is_empty() || msg.loopback || self.parent_of.contains_key(qid) {
            remember(&mut self.sent, &mut self.sent_order, qid.into(), MAX_LINKS);
        }
        for (no, raw) in &msg.lines {
            self.parse_counted(*no, raw, out);
        }
    }

    /// The messages linked to `qid` by a content-filter hop: its children and its parent.
    fn partners(&self, qid: &[u8], msg: &OpenMessage) -> Vec<Box<[u8]>> {
        let mut p: Vec<Box<[u8]>> = msg.children.clone();
        if let Some(parent) = self.parent_of.get(qid) {
            p.push(parent.clone());
        }
        p
    }

    /// `qid` is selected: a held partner is sent now, an open one will be.
    fn release(&mut self, qid: Box<[u8]>, out: &mut Vec<RawEvent>) {
        let mut work = vec![qid];
        while let Some(q) = work.pop() {
            if let Some(msg) = self.held.remove(&q) {
                let partners = self.partners(&q, &msg);
                self.flush(&q, msg, out);
                work.extend(partners);
            } else if let Some(msg) = self.open.get_mut(&q)
                && !msg.hit
            {
                msg.hit = true;
                let partners = self.partners(&q, &self.open[&q]);
                work.extend(partners);
            }
        }
    }

    /// A complete message whose group had no hit: it and its held partners are dropped.
    fn drop_group(&mut self, qid: &[u8], msg: &OpenMessage) {
        let mut work = self.partners(qid, msg);
        while let Some(q) = work.pop() {
            if let Some(m) = self.held.remove(&q) {
                work.extend(self.partners(&q, &m));
            }
        }
    }

    fn complete(&mut self, qid: &[u8], out: &mut Vec<RawEvent>) {
        let Some(msg) = self.open.remove(qid) else {
            return;
        };
        if msg.hit || !msg.started {
            let partners = self.partners(qid, &msg);
            self.flush(qid, msg, out);
            for p in partners {
                self.release(p, out);
            }
            return;
        }
        let partners = self.partners(qid, &msg);
        let open_partner = partners.iter().any(|p| self.open.contains_key(p));
        let awaiting_parent = msg.loopback && !self.parent_of.contains_key(qid);
        if open_partner || awaiting_parent {
            self.hold(qid.into(), msg);
        } else if !partners.is_empty() {
            self.drop_group(qid, &msg);
        }
    }

    fn hold(&mut self, qid: Box<[u8]>, msg: OpenMessage) {
        self.held.insert(qid.clone(), msg);
        self.held_order.push_back(qid);
        while self.held.len() > MAX_HELD {
            match self.held_order.pop_front() {
                Some(old) => {
                    self.held.remove(&old);
                }
                None => break,
            }
        }
        if self.held_order.len() > 4 * MAX_HELD {
            let held = &self.held;
            self.held_order.retain(|q| held.contains_key(q));
        }
    }

    fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        let mut lines = 0u64;
        // Sorted positions of every term occurrence in the block.
        let mut hits: Vec<usize> = Vec::new();
        if !needles.is_empty() {
            for f in &needles.finders {
                hits.extend(f.find_iter(data));
            }
            hits.sort_unstable();
        }
        let has_nul = memchr::memchr(0, data).is_some();
        let all = needles.is_empty();
        let mut hi = 0usize;
        let mut start = 0usize;
        for (line_no, nl) in (first_line..).zip(memchr::memchr_iter(b'\n', data)) {
            lines += 1;
            let line = &data[start..nl];
            let line_start = start;
            start = nl + 1;
            let mut line_hit = all;
            while hi < hits.len() && hits[hi] < nl {
                if hits[hi] >= line_start {
                    line_hit = true;
                }
                hi += 1;
            }
            self.lines_seen += 1;
            if has_nul && memchr::memchr(0, line).is_some() {
                self.nul.note(line_no);
                continue;
            }
            let Some(h) = postfix::head(line) else {
                continue;
            };
            self.postfix_lines += 1;
            let Some(qid) = h.qid else { continue };
            if qid == b"NOQUEUE" {
                if line_hit {
                    self.parse_counted(line_no, line, out);
                }
                continue;
            }
            let removed = !h.amavis && postfix::is_removed(h.body);
            let link = postfix::link_of(&h);
            if !self.open.contains_key(qid) {
                self.held.remove(qid);
                self.open.insert(
                    qid.into(),
                    OpenMessage {
                        started: postfix::is_start(h.body),
                        loopback: postfix::is_loopback_start(h.body),
                        ..OpenMessage::default()
                    },
                );
            }
            let mut newly_hit = false;
            if let Some(msg) = self.open.get_mut(qid) {
                newly_hit = line_hit && !msg.hit;
                msg.hit |= line_hit;
                if msg.lines.len() >= MAX_LINES_PER_MESSAGE {
                    msg.lines.remove(KEEP_FIRST_LINES);
                    msg.elided += 1;
                }
                msg.lines.push((line_no, line.into()));
                if let Some(c) = link
                    && !msg.children.iter().any(|x| **x == *c)
                {
                    msg.children.push(c.into());
                }
            }
            if let Some(c) = link {
                if self.parent_of.get(c).is_none_or(|p| **p != *qid) {
                    self.parent_of.insert(c.into(), qid.into());
                    self.parent_order.push_back(c.into());
                    while self.parent_order.len() > MAX_LINKS {
                        if let Some(old) = self.parent_order.pop_front() {
                            self.parent_of.remove(&old);
                        }
                    }
                }
                if self.sent.contains(c) {
                    self.release(qid.into(), out);
                } else if self.open.get(qid).is_some_and(|m| m.hit) {
                    self.release(c.into(), out);
                }
            }
            if newly_hit {
                // Partners of a newly selected message are selected too.
                let partners = self.partners(qid, &self.open[qid]);
                for p in partners {
                    self.release(p, out);
                }
            }
            if removed {
                self.complete(qid, out);
            }
        }
        lines
    }

    fn provisional(&self, out: &mut Vec<RawEvent>) {
        let mut ids: Vec<&Box<[u8]>> = self.open.keys().collect();
        // Held messages waiting on an open partner go with it.
        for (q, m) in &self.held {
            if self
                .partners(q, m)
                .iter()
                .any(|p| self.open.contains_key(p))
            {
                ids.push(q);
            }
        }
        ids.sort();
        for q in ids {
            let Some(m) = self.open.get(q).or_else(|| self.held.get(q)) else {
                continue;
            };
            for (no, raw) in &m.lines {
                self.parse(*no, raw, out);
            }
        }
    }

    fn warnings(&self) -> Vec<(Option<u64>, String)> {
        let mut warnings = Vec::new();
        if self.lines_seen > self.nul.count && self.postfix_lines == 0 {
            warnings.push((None, "no Postfix lines found".to_string()));
        }
        if let Some(first) = self.first_bad {
            warnings.push((
                Some(first),
                format!("{} Postfix lines could not be read, skipped", self.bad),
            ));
        }
        let elided = self.elided + self.open.values().map(|m| u64::from(m.elided)).sum::<u64>();
        if elided > 0 {
            warnings.push((
                None,
                format!("{elided} lines of very long-lived messages were left out of their chains"),
            ));
        }
        warnings.extend(self.nul.warning());
        warnings
    }
}

fn remember(
    set: &mut HashSet<Box<[u8]>>,
    order: &mut VecDeque<Box<[u8]>>,
    id: Box<[u8]>,
    cap: usize,
) {
    if set.insert(id.clone()) {
        order.push_back(id);
        while order.len() > cap {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_told_from_text_with_nul_runs() {
        let mut text = vec![0u8; 300];
        text.extend_from_slice(b"Mar  2 13:05:01 mx1 postfix/smtpd[1]: connect from x[1.2.3.4]\n");
        assert!(!looks_binary(&text));
        assert!(!looks_binary(&[0u8; 9000]));
        let noise: Vec<u8> = (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        assert!(looks_binary(&noise));
        assert!(reject_start(Format::Postfix, b"\xff\xfeM\0a\0").is_some());
        assert!(reject_start(Format::Exchange, b"\0\0\0#Software: x\n").is_none());
    }
}
