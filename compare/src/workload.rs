//! A deterministic synthetic workload: Zipf-distributed keys interrupted by
//! periodic scans of keys never seen before (the pattern that flushes an
//! LRU).

/// `len` requests: Zipf(`exponent`) over `keys` keys, with a scan of
/// `scan_len` keys never requested before after every `scan_every` Zipf
/// requests.
/// The same arguments always give the same sequence.
pub fn zipf_with_scans(
    keys: usize,
    exponent: f64,
    len: usize,
    scan_every: usize,
    scan_len: usize,
    seed: u64,
) -> Vec<u64> {
    let cdf = zipf_cdf(keys, exponent);
    let mut rng = SplitMix(seed);
    let mut next_scan_key = 1 << 40;
    let mut out = Vec::with_capacity(len + len / scan_every.max(1) * scan_len);
    let mut since_scan = 0;
    while out.len() < len {
        if since_scan == scan_every && scan_len > 0 {
            out.extend(next_scan_key..next_scan_key + scan_len as u64);
            next_scan_key += scan_len as u64;
            since_scan = 0;
        }
        let u = rng.unit();
        let rank = cdf.partition_point(|&c| c < u).min(keys - 1);
        // Scatter ranks so that popularity does not follow key order.
        out.push(mix(rank as u64 ^ seed));
        since_scan += 1;
    }
    out
}

/// `len` requests: Zipf(`exponent`) over `keys` keys, and after every
/// `every` of them one request of a loop over `loop_len` other keys (the
/// pattern that defeats LRU and ARC when the loop is larger than the cache).
pub fn zipf_with_loop(
    keys: usize,
    exponent: f64,
    len: usize,
    every: usize,
    loop_len: usize,
    seed: u64,
) -> Vec<u64> {
    let zipf = zipf_with_scans(
        keys,
        exponent,
        len * every / (every + 1),
        usize::MAX,
        0,
        seed,
    );
    let mut out = Vec::with_capacity(len);
    let mut step = 0;
    for (i, k) in zipf.into_iter().enumerate() {
        out.push(k);
        if i % every == every - 1 {
            out.push((1 << 50) + step % loop_len as u64);
            step += 1;
        }
    }
    out
}

/// Cumulative distribution of Zipf(`exponent`) over ranks `0..keys`, normalised to 1.
fn zipf_cdf(keys: usize, exponent: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=keys)
        .map(|rank| {
            acc += (rank as f64).powf(-exponent);
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

/// SplitMix64: small, fast, and good enough to sample a distribution.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_skewed() {
        let a = zipf_with_scans(1000, 0.99, 10_000, 5_000, 100, 7);
        assert_eq!(a, zipf_with_scans(1000, 0.99, 10_000, 5_000, 100, 7));
        assert_eq!(a.len(), 10_000);
        assert_eq!(
            a[5_000..5_100],
            (1 << 40..(1 << 40) + 100).collect::<Vec<u64>>()
        );
        let top = mix(7);
        let top_share = a.iter().filter(|&&k| k == top).count() as f64 / a.len() as f64;
        assert!(top_share > 0.1, "rank 0 has {top_share}");
    }
}
