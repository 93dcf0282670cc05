//! One stored entry in the file: `expires (u64 LE, ms since the Unix
//! epoch, 0 = never) | written (u64 LE, the writer's sequence number, which
//! orders entries for `capacity`) | value bytes (postcard)`.

use crate::tier::store::{Stored, WallTime};

const HEADER: usize = 16;

/// The bytes of an entry.
pub(crate) fn encode(value: &[u8], expires: Option<WallTime>, written: u64) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER + value.len());
    record.extend_from_slice(&expires.map_or(0, |e| e.0.max(1)).to_le_bytes());
    record.extend_from_slice(&written.to_le_bytes());
    record.extend_from_slice(value);
    record
}

/// The expiry of a record; `Err` for one too short to be an entry.
pub(crate) fn expires(record: &[u8]) -> Result<Option<WallTime>, Malformed> {
    let bytes: [u8; 8] = record
        .get(..8)
        .ok_or(Malformed)?
        .try_into()
        .map_err(|_| Malformed)?;
    Ok(match u64::from_le_bytes(bytes) {
        0 => None,
        ms => Some(WallTime(ms)),
    })
}

/// The sequence number a record was written with.
pub(crate) fn written(record: &[u8]) -> Result<u64, Malformed> {
    let bytes: [u8; 8] = record
        .get(8..HEADER)
        .ok_or(Malformed)?
        .try_into()
        .map_err(|_| Malformed)?;
    Ok(u64::from_le_bytes(bytes))
}

/// Whether a record has expired at `now`; a malformed one counts as
/// expired, so sweeps delete it.
pub(crate) fn is_expired(record: &[u8], now: WallTime) -> bool {
    match expires(record) {
        Ok(expires) => expires.is_some_and(|e| e <= now),
        Err(Malformed) => true,
    }
}

/// The entry a record holds.
pub(crate) fn decode(record: &[u8]) -> Result<Stored, Malformed> {
    let expires = expires(record)?;
    written(record)?;
    Ok(Stored {
        value: record[HEADER..].to_vec(),
        expires,
    })
}

/// A record too short to be one.
#[derive(Debug)]
pub(crate) struct Malformed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_short_one_is_malformed() {
        let record = encode(b"abc", Some(WallTime(5)), 9);
        assert_eq!(
            decode(&record).unwrap(),
            Stored {
                value: b"abc".to_vec(),
                expires: Some(WallTime(5))
            }
        );
        assert_eq!(written(&record).unwrap(), 9);
        assert!(is_expired(&record, WallTime(5)));
        assert!(!is_expired(&record, WallTime(4)));
        assert!(!is_expired(&encode(b"", None, 0), WallTime(u64::MAX)));
        assert!(decode(&record[..10]).is_err());
        assert!(is_expired(&record[..3], WallTime(0)));
    }
}
