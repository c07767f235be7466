//! Byte searches eight bytes at a time (SWAR) for the two hot scans: the
//! end of a quoted value in the lexer and a needle's first byte in
//! `-contains`. Short texts dominate both, where `memchr`'s setup costs
//! more than the scan.

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// `0x80` in exactly the bytes of `x` that are zero. The sum stays within
/// each byte, so no bit leaks into its neighbour and there are no false
/// hits (unlike the shorter `(x - ONES) & !x` form).
#[inline]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The eight bytes at the start of `word`, little-endian.
#[inline]
pub(crate) fn load(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&word[..8]);
    u64::from_le_bytes(bytes)
}

/// The index of the first byte of `hay` that is `a` or `b`.
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (u64::from(a) * ONES, u64::from(b) * ONES);
    let mut at = 0;
    while at + 8 <= hay.len() {
        let w = load(&hay[at..]);
        let hits = zero_bytes(w ^ pa) | zero_bytes(w ^ pb);
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    hay[at..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find2_finds_the_first_of_either_byte_at_every_offset() {
        for len in 0..30 {
            for at in 0..len {
                for (x, y) in [(b'"', b'\\'), (b'\\', b'"')] {
                    let mut hay = vec![b'a' ^ 0x80; len];
                    hay[at] = x;
                    if at + 1 < len {
                        hay[at + 1] = y;
                    }
                    assert_eq!(find2(&hay, b'"', b'\\'), Some(at), "{len} {at}");
                }
            }
            // Bytes that differ from the targets by one bit, or by the high
            // bit, are not hits.
            let hay: Vec<u8> = (0..len)
                .map(|i| [b'"' ^ 1, b'\\' ^ 0x80, 0][i % 3])
                .collect();
            assert_eq!(find2(&hay, b'"', b'\\'), None, "{len}");
        }
    }
}
