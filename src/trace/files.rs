//! Finding log files (a folder, a file or a small glob) and reading them in large chunks of
//! whole lines, transparently decompressing gzip.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

/// Matches `name` against a glob of `*` (any run), `?` (one character) and `[abc]` / `[a-z]` /
/// `[!x]` classes. Case-sensitive, like the file system.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with backtracking to the last `*`.
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, n[ni])
                        && matched
                    {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `[...]` at `start`: whether `c` is in it and the index after `]`; `None` if unterminated.
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((found != negate, i + 1));
        }
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                found = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                found = true;
            }
            i += 1;
        }
        first = false;
    }
    None
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Lists the files named by `path`:
/// - an existing folder: its regular files accepted by `in_folder` (sorted by name);
/// - an existing file: that file;
/// - otherwise a glob in the last path component (`/var/log/mail.log*`); folders above it
///   are taken literally.
pub fn list_files(path: &Path, in_folder: impl Fn(&str) -> bool) -> io::Result<Vec<PathBuf>> {
    if path.is_dir() {
        return list_dir(path, |name| in_folder(name));
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if let Ok(meta) = std::fs::metadata(path) {
        // It exists but is neither a folder nor a file: never open it (a FIFO would block).
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({}): give a log file, a folder of logs or a glob such as /var/log/mail.log*",
                kind_of(&meta.file_type())
            ),
        ));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !has_glob(name) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no such file or folder",
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if dir.to_str().is_some_and(has_glob) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "wildcards are only supported in the file name, not in folder names",
        ));
    }
    list_dir(&dir, |n| glob_match(name, n))
}

/// What a file that is not a regular file is.
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
    }
    let _ = ft;
    "a special file"
}

fn list_dir(dir: &Path, keep: impl Fn(&str) -> bool) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(ft) = entry.file_type() else { continue };
        let path = entry.path();
        let is_file = ft.is_file() || (ft.is_symlink() && path.is_file());
        if !is_file {
            continue;
        }
        if let Some(name) = entry.file_name().to_str()
            && keep(name)
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// A reader that counts the raw (possibly compressed) bytes it has read.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a log file, decompressing it when it starts with the gzip magic. Returns the reader
/// and a counter of raw bytes read (for progress).
pub fn open_log(path: &Path) -> io::Result<(Box<dyn Read + Send>, Arc<AtomicU64>)> {
    open_log_from(path, 0).map(|(r, count, _)| (r, count))
}

/// Opens a log file to read from byte `offset` on (whole lines, as a [`Chunker`] consumed
/// them). A gzip file (by its magic) is always read from its start: `gz` says so and the
/// caller must pass 0. Returns the reader, a counter of raw bytes read, and `gz`.
pub fn open_log_from(
    path: &Path,
    offset: u64,
) -> io::Result<(Box<dyn Read + Send>, Arc<AtomicU64>, bool)> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut magic = Vec::with_capacity(2);
    (&mut file).take(2).read_to_end(&mut magic)?;
    let gz = magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(if gz { 0 } else { offset }))?;
    let count = Arc::new(AtomicU64::new(0));
    let raw = Counting {
        inner: file,
        count: Arc::clone(&count),
    };
    let reader: Box<dyn Read + Send> = if gz {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            256 * 1024,
            raw,
        )))
    } else {
        Box::new(raw)
    };
    Ok((reader, count, gz))
}

/// Chunk size for reads: large, so system-call and per-chunk costs vanish.
pub const CHUNK: usize = 512 * 1024;

/// What [`Chunker::next_block`] found.
pub enum Block<'a> {
    /// Whole lines (each ending in `\n`), and the 1-based number of the first one. The
    /// caller must report how many lines it held with [`Chunker::advance_lines`].
    Lines(&'a [u8], u64),
    /// A line longer than the buffer was dropped; its 1-based line number.
    Overlong(u64),
    /// The input ended in a line without `\n`: probably cut off, or still being written.
    Unterminated(&'a [u8], u64),
    End,
}

/// Reads whole lines in large blocks; keeps only one buffer of memory whatever the input size.
pub struct Chunker<R> {
    r: R,
    buf: Vec<u8>,
    /// Length of the block handed out last; moved out at the next call.
    handed: usize,
    filled: usize,
    next_line: u64,
    eof: bool,
    at_start: bool,
    skipping_overlong: bool,
    /// Input offset of `buf[0]`.
    base: u64,
    /// Input bytes consumed: whole lines handed out or skipped.
    consumed: u64,
}

impl<R: Read> Chunker<R> {
    pub fn new(r: R) -> Self {
        Self::with_capacity(r, CHUNK)
    }

    pub fn with_capacity(r: R, cap: usize) -> Self {
        Self::with_buffer(r, vec![0; cap.max(4)])
    }

    /// Reuses `buf` (its length is the chunk size) to avoid allocating per file.
    pub fn with_buffer(r: R, mut buf: Vec<u8>) -> Self {
        if buf.len() < 4 {
            buf.resize(CHUNK, 0);
        }
        Chunker {
            r,
            buf,
            handed: 0,
            filled: 0,
            next_line: 1,
            eof: false,
            at_start: true,
            skipping_overlong: false,
            base: 0,
            consumed: 0,
        }
    }

    /// Continues a file from input offset `offset` (a line start), numbering lines from
    /// `next_line`; no byte-order mark is looked for.
    pub fn resume(mut self, offset: u64, next_line: u64) -> Self {
        self.base = offset;
        self.consumed = offset;
        self.next_line = next_line.max(1);
        self.at_start = offset == 0;
        self
    }

    /// Input bytes consumed so far: the offset to resume from (an incomplete last line is not
    /// consumed).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The number the next line will get.
    pub fn next_line(&self) -> u64 {
        self.next_line
    }

    /// Gives the buffer back for the next file.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Counts the lines of the last [`Block::Lines`].
    pub fn advance_lines(&mut self, n: u64) {
        self.next_line += n;
    }

    /// The next block of whole lines. A UTF-8 byte-order mark at the very start is dropped.
    pub fn next_block(&mut self) -> io::Result<Block<'_>> {
        loop {
            // Move the incomplete tail of the last block to the front.
            if self.handed > 0 {
                self.buf.copy_within(self.handed..self.filled, 0);
                self.filled -= self.handed;
                self.base += self.handed as u64;
                self.handed = 0;
            }
            // Fill the buffer (several reads: pipes and decoders return little at a time).
            while !self.eof && self.filled < self.buf.len() {
                let n = match self.r.read(&mut self.buf[self.filled..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    self.eof = true;
                } else {
                    self.filled += n;
                }
            }
            if self.at_start && self.filled >= 3 {
                self.at_start = false;
                if self.buf[..3] == [0xef, 0xbb, 0xbf] {
                    self.buf.copy_within(3..self.filled, 0);
                    self.filled -= 3;
                    self.base += 3;
                    self.consumed = self.base;
                }
            } else if self.at_start && self.eof {
                self.at_start = false;
            }
            if self.filled == 0 {
                return Ok(Block::End);
            }
            match memchr::memrchr(b'\n', &self.buf[..self.filled]) {
                Some(last) => {
                    let end = last + 1;
                    self.handed = end;
                    if self.skipping_overlong {
                        // Drop the rest of the overlong line, then go on.
                        self.skipping_overlong = false;
                        let first_nl = memchr::memchr(b'\n', &self.buf[..end]).unwrap_or(last);
                        self.buf.copy_within(first_nl + 1..self.filled, 0);
                        self.filled -= first_nl + 1;
                        self.base += (first_nl + 1) as u64;
                        self.consumed = self.base;
                        self.handed = 0;
                        self.next_line += 1;
                        continue;
                    }
                    self.consumed = self.base + end as u64;
                    // The consumer counts the lines (it walks them anyway) and reports back
                    // through `advance_lines`: one pass instead of two.
                    return Ok(Block::Lines(&self.buf[..end], self.next_line));
                }
                None if self.eof => {
                    let len = self.filled;
                    self.handed = len;
                    if self.skipping_overlong {
                        self.skipping_overlong = false;
                        continue;
                    }
                    let line = self.next_line;
                    self.next_line += 1;
                    return Ok(Block::Unterminated(&self.buf[..len], line));
                }
                None => {
                    // A whole buffer without a newline: drop it and the rest of that line.
                    let line = self.next_line;
                    self.handed = self.filled;
                    self.consumed = self.base + self.filled as u64;
                    let was_skipping = self.skipping_overlong;
                    self.skipping_overlong = true;
                    if !was_skipping {
                        return Ok(Block::Overlong(line));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("mail.log*", "mail.log"));
        assert!(glob_match("mail.log*", "mail.log.2.gz"));
        assert!(!glob_match("mail.log*", "xmail.log"));
        assert!(glob_match("MSGTRK*-?.LOG", "MSGTRK2026030213-1.LOG"));
        assert!(glob_match("a[0-9]b", "a5b"));
        assert!(!glob_match("a[!0-9]b", "a5b"));
        assert!(glob_match("*.*.gz", "mail.log.1.gz"));
        assert!(!glob_match("*.gz", "mail.log"));
    }

    fn collect(input: &[u8], cap: usize) -> Vec<String> {
        let mut c = Chunker::with_capacity(input, cap);
        let mut out = Vec::new();
        loop {
            let mut lines = 0;
            match c.next_block().unwrap() {
                Block::Lines(b, first) => {
                    lines = memchr::memchr_iter(b'\n', b).count() as u64;
                    for (i, l) in b
                        .split(|x| *x == b'\n')
                        .filter(|l| !l.is_empty())
                        .enumerate()
                    {
                        out.push(format!(
                            "{}:{}",
                            first + i as u64,
                            String::from_utf8_lossy(l)
                        ));
                    }
                }
                Block::Overlong(l) => out.push(format!("{l}:OVERLONG")),
                Block::Unterminated(b, l) => {
                    out.push(format!("{l}:PARTIAL:{}", String::from_utf8_lossy(b)))
                }
                Block::End => return out,
            }
            c.advance_lines(lines);
        }
    }

    #[test]
    fn chunker_lines_bom_partial_and_overlong() {
        let input = b"\xef\xbb\xbfone\ntwo\nthree";
        assert_eq!(collect(input, 8), ["1:one", "2:two", "3:PARTIAL:three"]);
        let long = b"a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nc\n";
        assert_eq!(collect(long, 8), ["1:a", "2:OVERLONG", "3:c"]);
        assert_eq!(collect(b"", 8), Vec::<String>::new());
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mail.log.1");
        let mut enc = GzEncoder::new(File::create(&p).unwrap(), Compression::fast());
        enc.write_all(b"hello\nworld\n").unwrap();
        enc.finish().unwrap();
        let (mut r, count) = open_log(&p).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello\nworld\n");
        assert_eq!(
            count.load(Ordering::Relaxed),
            std::fs::metadata(&p).unwrap().len()
        );
    }
}
