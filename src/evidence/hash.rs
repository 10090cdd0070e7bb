//! SHA-256 of evidence, read in pieces (a multi-gigabyte log is never held in memory).

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of bytes in memory, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Hashes everything read from `r`: its length and SHA-256 in hex.
pub fn sha256_reader(mut r: impl Read) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

/// The size and SHA-256 of a file.
pub fn sha256_file(path: &Path) -> io::Result<(u64, String)> {
    sha256_reader(std::fs::File::open(path)?)
}

/// A writer that hashes what passes through it on its way to `inner`.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    total: u64,
}

impl<W: io::Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            total: 0,
        }
    }

    /// The length and SHA-256 in hex of what was written.
    pub fn finish(self) -> (u64, String) {
        (self.total, hex(&self.hasher.finalize()))
    }
}

impl<W: io::Write> io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.total += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn known_digests() {
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn streaming_and_in_memory_agree() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            sha256_reader(&data[..]).unwrap(),
            (data.len() as u64, sha256_hex(&data))
        );
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(&data).unwrap();
        assert_eq!(w.finish(), (data.len() as u64, sha256_hex(&data)));
    }
}
