//! The scanning half of a run: which files to read and from where (the plan), and reading one
//! file from its offset to its end in blocks, parsing only the lines the prefilter selects.

use super::*;

impl TraceScan {
    /// Lists the files, withdraws the ones gone, truncated or replaced, and makes a job for
    /// every file with bytes to read.
    pub(super) fn plan(&mut self) -> Result<(Vec<Job>, Vec<ScanWarning>), TraceError> {
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut listed: Vec<(usize, PathBuf, std::fs::Metadata)> = Vec::new();
        for (i, s) in self.sources.iter().enumerate() {
            match s.files() {
                Ok(fs) if fs.is_empty() => problems.push((
                    s.name.clone(),
                    format!("nothing matches {}", s.path.display()),
                )),
                Ok(fs) => {
                    for path in fs {
                        match std::fs::metadata(&path) {
                            Ok(m) => listed.push((i, path, m)),
                            Err(e) => {
                                problems.push((s.name.clone(), format!("{}: {e}", path.display())))
                            }
                        }
                    }
                }
                Err(e) => problems.push((s.name.clone(), format!("{}: {e}", s.path.display()))),
            }
        }
        if listed.is_empty() {
            return Err(TraceError::NoFiles(if problems.is_empty() {
                "no sources configured".to_string()
            } else {
                problems
                    .iter()
                    .map(|(s, p)| format!("{s}: {p}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            }));
        }
        let mut seen: HashSet<usize> = HashSet::new();
        let mut jobs = Vec::new();
        for (source, path, meta) in listed {
            let id = file_id(&path, &meta);
            let len = meta.len();
            let modified = meta.modified().ok();
            let slot = match self.by_id.get(&(source, id.clone())).copied() {
                Some(slot) if !seen.contains(&slot) => {
                    let keep = self.slots[slot]
                        .as_ref()
                        .is_some_and(|e| still_valid(e, &path, len, modified));
                    if keep {
                        slot
                    } else {
                        self.retract(slot);
                        self.new_entry(source, &path, id, len, modified)
                    }
                }
                Some(_) => continue,
                None => self.new_entry(source, &path, id, len, modified),
            };
            seen.insert(slot);
            let format = self.sources[source].kind.format();
            let reference = self.sources[source]
                .year_reference
                .unwrap_or_else(|| modified.map_or_else(Utc::now, DateTime::<Utc>::from));
            let Some(e) = self.slots[slot].as_mut() else {
                continue;
            };
            if e.path != path {
                // Renamed (rotation): same file, new name.
                e.path = path.clone();
                e.file = Arc::new(path.clone());
                if let Some(p) = e.parser.as_mut() {
                    p.set_file(Arc::clone(&e.file));
                }
            }
            e.len = len;
            e.modified = modified;
            let unread = len.saturating_sub(e.offset);
            if e.rejected.is_some() || unread == 0 {
                continue;
            }
            let mut parser = e
                .parser
                .take()
                .unwrap_or_else(|| FileParser::new(format, Arc::clone(&e.file), source, reference));
            parser.set_reference(reference);
            jobs.push(Job {
                slot,
                source,
                path: path.clone(),
                file: Arc::clone(&e.file),
                offset: e.offset,
                next_line: e.next_line,
                size: unread,
                started: e.started,
                format,
                parser,
            });
        }
        let gone: Vec<usize> = (0..self.slots.len())
            .filter(|s| self.slots[*s].is_some() && !seen.contains(s))
            .collect();
        for s in gone {
            self.retract(s);
        }
        jobs.sort_by_key(|j| std::cmp::Reverse(j.size));
        let warnings = problems
            .into_iter()
            .map(|(source, message)| ScanWarning {
                source,
                file: None,
                line: None,
                message,
            })
            .collect();
        Ok((jobs, warnings))
    }
}

/// The file is the one read before and was only appended to.
pub(super) fn still_valid(
    e: &FileEntry,
    path: &Path,
    len: u64,
    modified: Option<SystemTime>,
) -> bool {
    if e.gz {
        return len == e.len && modified == e.modified;
    }
    if len < e.offset {
        return false;
    }
    if len == e.len && modified.is_some() && modified == e.modified {
        // Not written since it was last seen.
        return true;
    }
    let (head, tail) = signatures(path, e.offset, false);
    head == e.head_sig && tail == e.tail_sig
}

/// The first bytes of a file and the bytes just before `offset` (empty for gzip files).
pub(super) fn signatures(path: &Path, offset: u64, gz: bool) -> (Vec<u8>, Vec<u8>) {
    if gz {
        return (Vec::new(), Vec::new());
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return (Vec::new(), Vec::new());
    };
    let n = SIG.min(offset);
    let mut read = |at: u64| -> Vec<u8> {
        let mut buf = vec![0u8; n as usize];
        let ok = file
            .seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut buf));
        if ok.is_ok() { buf } else { Vec::new() }
    };
    let head = read(0);
    let tail = read(offset - n);
    (head, tail)
}

/// Reads one job's file ([`read_file`]) on this thread; a panic inside is the file's failure,
/// not the scan's.
pub(super) fn run_job(
    job: Job,
    sources: &[ScanSource],
    needles: &Needles,
    cancel: &AtomicBool,
    out: &mut dyn FnMut(WorkerMsg) -> bool,
    buf: &mut Vec<u8>,
) -> WorkerMsg {
    let slot = job.slot;
    let src = &sources[job.source];
    match catch_unwind(AssertUnwindSafe(|| {
        read_file(job, src, needles, cancel, out, buf)
    })) {
        Ok(done) => WorkerMsg::Done(Box::new(done)),
        Err(_) => WorkerMsg::Failed(slot, INTERNAL.into()),
    }
}

/// Reads one file from the job's offset to its current end.
pub(super) fn read_file(
    job: Job,
    src: &ScanSource,
    needles: &Needles,
    cancel: &AtomicBool,
    out: &mut dyn FnMut(WorkerMsg) -> bool,
    buf: &mut Vec<u8>,
) -> JobDone {
    let mut done = JobDone {
        slot: job.slot,
        parser: job.parser,
        offset: job.offset,
        next_line: job.next_line,
        started: job.started,
        gz: false,
        rejected: None,
        overlong: Vec::new(),
        read_error: None,
        unterminated: None,
        provisional: Vec::new(),
    };
    let (reader, counter, gz) = match files::open_log_from(&job.path, job.offset) {
        Ok(r) => r,
        Err(e) => {
            done.read_error = Some(format!("cannot open: {e}"));
            return done;
        }
    };
    done.gz = gz;
    let (start, first_line) = if gz {
        // A compressed file is read from its start every time it changes.
        done.parser = FileParser::new(
            job.format,
            Arc::clone(&job.file),
            job.source,
            src.year_reference.unwrap_or_else(|| mtime(&job.path)),
        );
        done.started = false;
        (0, 1)
    } else {
        (job.offset, job.next_line)
    };
    let mut chunker = Chunker::with_buffer(reader, std::mem::take(buf)).resume(start, first_line);
    let mut reported = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let block = match chunker.next_block() {
            Ok(b) => b,
            Err(e) => {
                done.read_error =
                    Some(format!("read error ({e}); the rest of the file is skipped"));
                break;
            }
        };
        let mut events = Vec::new();
        let mut lines = 0;
        match block {
            Block::End => break,
            Block::Overlong(line) => done.overlong.push(line),
            Block::Unterminated(_, line) => done.unterminated = Some(line),
            Block::Lines(data, first) => {
                if !done.started {
                    done.started = true;
                    if let Some(reason) = reject_start(job.format, data) {
                        done.rejected = Some(reason);
                        break;
                    }
                }
                lines = done.parser.block(data, first, needles, &mut events);
                if !events.is_empty() {
                    out(WorkerMsg::Parsed(events.len() as u64));
                }
            }
        }
        chunker.advance_lines(lines);
        let now = counter.load(Ordering::Relaxed);
        if now > reported {
            out(WorkerMsg::Read(now - reported));
            reported = now;
        }
        if !events.is_empty() && !out(WorkerMsg::Events(job.slot, events)) {
            break;
        }
    }
    done.offset = if gz { 0 } else { chunker.consumed() };
    done.next_line = chunker.next_line();
    if done.unterminated.is_some() {
        // The cut-off line is read again next time, under the same number.
        done.next_line = done.next_line.saturating_sub(1).max(1);
    }
    *buf = chunker.into_buffer();
    done.parser.provisional(&mut done.provisional);
    let now = counter.load(Ordering::Relaxed);
    if now > reported {
        out(WorkerMsg::Read(now - reported));
    }
    if gz {
        // Remember it as read whole (the size and time decide if it changed).
        done.offset = std::fs::metadata(&job.path).map_or(0, |m| m.len());
    }
    done
}

pub(super) fn mtime(path: &Path) -> DateTime<Utc> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now())
}
