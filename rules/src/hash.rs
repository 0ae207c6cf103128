//! A stable 64-bit hasher (xxh3) for cache keys that may be written to disk.

use std::hash::Hasher;

/// `std::hash::Hasher` over xxh3: stable across runs and platforms of the same
/// endianness, unlike `DefaultHasher`, so digests can key the on-disk cache.
#[derive(Default)]
pub struct Hasher64(xxhash_rust::xxh3::Xxh3);

impl Hasher for Hasher64 {
    fn finish(&self) -> u64 {
        self.0.digest()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Digest of a byte string.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Combine digests in order.
pub fn combine(parts: &[u64]) -> u64 {
    let mut h = Hasher64::default();
    for p in parts {
        h.write_u64(*p);
    }
    h.finish()
}
