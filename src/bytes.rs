//! Byte searches eight bytes at a time (SWAR) for the hot scans: the end
//! of a quoted value in the lexer, a needle's first byte in `-contains`,
//! and the end of plain string text in the JSON Lines scanner. Short texts
//! dominate all three, where `memchr`'s setup costs more than the scan.
//!
//! A scan is given as a `hits` function from eight bytes (little-endian)
//! to `0x80` in exactly the bytes that belong to the set, built from
//! [`eq_bytes`] and [`bytes_below`]. Because each byte's flag is exact,
//! the same function tests a lone byte too (`hits(u64::from(b)) & 0x80`),
//! which is how the tails shorter than eight bytes are scanned: one
//! definition of the set serves both paths.

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// `0x80` in exactly the bytes of `x` that are zero. The sum stays within
/// each byte, so no bit leaks into its neighbour and there are no false
/// hits (unlike the shorter `(x - ONES) & !x` form, whose borrow marks
/// bytes after a real hit, so only its lowest flag can be trusted).
#[inline]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// `0x80` in exactly the bytes of `x` that equal `b`.
#[inline]
pub(crate) fn eq_bytes(x: u64, b: u8) -> u64 {
    zero_bytes(x ^ (u64::from(b) * ONES))
}

/// `0x80` in exactly the bytes of `x` below `n`, for `n` up to `0x80`. For
/// a byte under `0x80`, adding `0x80 - n` sets its high bit exactly when it
/// is at least `n`, without carrying into the next byte.
#[inline]
pub(crate) fn bytes_below(x: u64, n: u8) -> u64 {
    debug_assert!(n <= 0x80);
    !(((x & LOW7) + u64::from(0x80 - n) * ONES) | x | LOW7)
}

/// The eight bytes at the start of `word`, little-endian.
#[inline]
pub(crate) fn load(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&word[..8]);
    u64::from_le_bytes(bytes)
}

/// The index of the first byte of `hay` in the set that `hits` flags (see
/// the module docs).
#[inline]
pub(crate) fn find_first(hay: &[u8], hits: impl Fn(u64) -> u64) -> Option<usize> {
    let mut at = 0;
    while at + 8 <= hay.len() {
        let flags = hits(load(&hay[at..]));
        if flags != 0 {
            return Some(at + flags.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    hay[at..]
        .iter()
        .position(|&c| hits(u64::from(c)) & 0x80 != 0)
        .map(|p| at + p)
}

/// The indices of every byte of `hay` in the set that `hits` flags, in
/// order: each word is tested once and its flags are read off one by one.
pub(crate) fn positions<F: Fn(u64) -> u64>(hay: &[u8], hits: F) -> Positions<'_, F> {
    Positions {
        hay,
        next: 0,
        base: 0,
        flags: 0,
        hits,
    }
}

/// The iterator of [`positions`].
pub(crate) struct Positions<'a, F> {
    hay: &'a [u8],
    /// Where the next word to test starts.
    next: usize,
    /// Where the word that `flags` came from starts.
    base: usize,
    /// The flags of that word not yet returned.
    flags: u64,
    hits: F,
}

impl<F: Fn(u64) -> u64> Iterator for Positions<'_, F> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.flags == 0 {
            let rest = &self.hay[self.next..];
            if rest.is_empty() {
                return None;
            }
            self.base = self.next;
            if rest.len() >= 8 {
                self.flags = (self.hits)(load(rest));
                self.next += 8;
            } else {
                // The tail, a byte at a time, into the flags of a word.
                self.flags = rest.iter().enumerate().fold(0, |flags, (j, &c)| {
                    flags | ((self.hits)(u64::from(c)) & 0x80) << (8 * j)
                });
                self.next = self.hay.len();
            }
        }
        let i = self.base + self.flags.trailing_zeros() as usize / 8;
        self.flags &= self.flags - 1;
        Some(i)
    }
}

/// The index of the first byte of `hay` that is `a` or `b`.
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    find_first(hay, |w| eq_bytes(w, a) | eq_bytes(w, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, as the scans see it on its own and inside a word.
    #[test]
    fn the_set_builders_are_exact_for_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                // The other lanes hold the byte's neighbours, the likeliest
                // to leak a borrow or carry into it.
                let mut word = [b.wrapping_add(1); 8];
                word[lane] = b;
                if lane > 0 {
                    word[lane - 1] = b.wrapping_sub(1);
                }
                let w = u64::from_le_bytes(word);
                let flag = |x: u64| x >> (8 * lane) & 0xff;
                assert_eq!(
                    flag(zero_bytes(w)),
                    if b == 0 { 0x80 } else { 0 },
                    "{b} {lane}"
                );
                for n in [0u8, 1, 0x20, 0x22, 0x7f, 0x80] {
                    let expect = if b < n { 0x80 } else { 0 };
                    assert_eq!(flag(bytes_below(w, n)), expect, "{b} < {n}, lane {lane}");
                }
                for t in [0u8, b'"', b'\\', 0x80, 0xff] {
                    let expect = if b == t { 0x80 } else { 0 };
                    assert_eq!(flag(eq_bytes(w, t)), expect, "{b} == {t}, lane {lane}");
                }
            }
        }
    }

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

    /// `"`, `\` or a control: the JSON scanner's set, with a range.
    fn special(w: u64) -> u64 {
        eq_bytes(w, b'"') | eq_bytes(w, b'\\') | bytes_below(w, 0x20)
    }

    #[test]
    fn find_first_finds_a_range_member_at_every_offset() {
        for len in 0..30 {
            for at in 0..len {
                for hit in [0u8, 0x1f, b'"', b'\\'] {
                    // 0x20 and 0xa0 sit just past the range and its high-bit
                    // twin; they are not hits, before or after the real one.
                    let mut hay: Vec<u8> = (0..len).map(|i| [0x20, 0xa0, b'a'][i % 3]).collect();
                    hay[at] = hit;
                    if at + 1 < len {
                        hay[at + 1] = 0;
                    }
                    assert_eq!(find_first(&hay, special), Some(at), "{len} {at} {hit}");
                }
            }
            let hay: Vec<u8> = (0..len).map(|i| [0x20, 0xa0, 0x9f][i % 3]).collect();
            assert_eq!(find_first(&hay, special), None, "{len}");
        }
    }

    #[test]
    fn positions_lists_every_member_at_every_offset() {
        for len in 0..30 {
            for a in 0..len {
                for b in a..len {
                    let mut hay = vec![b'"' ^ 0x80; len];
                    hay[a] = b'"';
                    hay[b] = b'"';
                    let found: Vec<usize> = positions(&hay, |w| eq_bytes(w, b'"')).collect();
                    let expect = if a == b { vec![a] } else { vec![a, b] };
                    assert_eq!(found, expect, "{len} {a} {b}");
                }
            }
            let all = vec![b'"'; len];
            assert!(positions(&all, |w| eq_bytes(w, b'"')).eq(0..len), "{len}");
        }
    }
}
