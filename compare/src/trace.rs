//! Block-access traces from the ARC trace set (`../shared/traces/*.lis.zst`).
//!
//! After zstd decompression each line reads `start nblocks ignored reqno`
//! and stands for `nblocks` requests, of keys `start .. start + nblocks`.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use ruzstd::decoding::StreamingDecoder;

/// Where the traces are: `$MEMOKIT_TRACES`, else `../shared/traces` beside
/// the repository.
pub fn dir() -> PathBuf {
    std::env::var_os("MEMOKIT_TRACES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces"),
        PathBuf::from,
    )
}

/// Reads a `.lis.zst` trace into its sequence of requested keys.
pub fn read(path: &Path) -> io::Result<Vec<u64>> {
    let file = File::open(path)?;
    let decoder = StreamingDecoder::new(BufReader::new(file)).map_err(io::Error::other)?;
    parse(BufReader::new(decoder))
}

/// Expands the lines of a decompressed trace into keys.
pub fn parse(input: impl BufRead) -> io::Result<Vec<u64>> {
    let mut keys = Vec::new();
    for line in input.lines() {
        let line = line?;
        let mut fields = line.split_whitespace();
        let (Some(start), Some(blocks)) = (fields.next(), fields.next()) else {
            continue; // blank line
        };
        let start: u64 = start.parse().map_err(|e| bad(&line, e))?;
        let blocks: u64 = blocks.parse().map_err(|e| bad(&line, e))?;
        keys.extend(start..start + blocks);
    }
    Ok(keys)
}

fn bad(line: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("`{line}`: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_stands_for_consecutive_blocks() {
        let keys = super::parse("7 3 0 0\n\n2 1 0 1\n".as_bytes()).unwrap();
        assert_eq!(keys, [7, 8, 9, 2]);
    }
}
