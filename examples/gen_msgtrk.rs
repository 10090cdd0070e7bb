//! Writes realistic Exchange 2016/2019 message tracking logs.
//!
//! `cargo run --release --example gen_msgtrk -- <dir> <size: 64M | 1G | bytes> [seed]`

use std::path::PathBuf;
use std::process::ExitCode;

use warroom::trace::r#gen::{RARE_SENDER, write_msgtrk};

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(size)) = (args.first(), args.get(1).and_then(|s| parse_size(s))) else {
        eprintln!("usage: gen_msgtrk <dir> <size: 64M | 1G | bytes> [seed]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    match write_msgtrk(&dir, size, seed) {
        Ok(s) => {
            println!(
                "{} files, {} bytes, {} lines, {} messages; {} messages ({} rows) from {RARE_SENDER}",
                s.files.len(),
                s.bytes,
                s.lines,
                s.messages,
                s.rare_messages,
                s.rare_rows
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("writing {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
