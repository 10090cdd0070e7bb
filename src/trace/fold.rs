//! ASCII case-insensitive substring search without lower-casing the haystack.
//!
//! The prefilter looks at two bytes of the needle (the rarest pair, chosen with memchr's
//! frequency ranking) at their offsets in eight candidate positions at a time: each 8-byte
//! word is OR-ed with `0x20` (which folds ASCII letters; other bytes may fold onto each other,
//! which only adds candidates) and tested for equal bytes with the classic zero-byte bit
//! trick. Every candidate is then verified with `eq_ignore_ascii_case`. No false negatives.
//! On x86_64 the same test runs on 32 bytes at a time with AVX2 (detected at run time) or
//! 16 with SSE2.

// The crate denies unsafe code; this module is the one exception: the AVX2 and SSE2 paths call
// `std::arch` intrinsics (unsafe by nature) and a `#[target_feature]` function, each used only
// after the CPU feature has been detected, and each load stays inside the haystack.
#![allow(unsafe_code)]

use memchr::arch::all::packedpair::Pair;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const FOLD: u64 = 0x2020_2020_2020_2020;

/// High bit set in every byte of `x` that is zero (and possibly in some bytes above a zero
/// byte: callers verify).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

#[inline(always)]
fn word(hay: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&hay[at..at + 8]);
    u64::from_le_bytes(w)
}

/// A case-insensitive (ASCII) finder for one needle.
#[derive(Debug, Clone)]
pub struct FoldedFinder {
    needle: Vec<u8>,
    i1: usize,
    i2: usize,
    b1: u64,
    b2: u64,
    avx2: bool,
}

impl FoldedFinder {
    /// `needle` is searched ignoring ASCII case; it must not be empty.
    pub fn new(needle: &[u8]) -> FoldedFinder {
        let needle = needle.to_ascii_lowercase();
        let (i1, i2) = match Pair::new(&needle) {
            Some(p) => (usize::from(p.index1()), usize::from(p.index2())),
            None => (0, 0),
        };
        let splat = |i: usize| LO * u64::from(needle.get(i).copied().unwrap_or(0) | 0x20);
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        FoldedFinder {
            avx2,
            b1: splat(i1),
            b2: splat(i2),
            i1,
            i2,
            needle,
        }
    }

    pub fn needle(&self) -> &[u8] {
        &self.needle
    }

    #[inline(always)]
    fn verify(&self, hay: &[u8], at: usize) -> bool {
        hay[at..at + self.needle.len()].eq_ignore_ascii_case(&self.needle)
    }

    /// Position of the first match at or after `start`.
    pub fn find_from(&self, hay: &[u8], start: usize) -> Option<usize> {
        let n = self.needle.len();
        if n == 0 {
            return Some(start.min(hay.len()));
        }
        if hay.len() < n || start > hay.len() - n {
            return None;
        }
        // Candidate starts are start..=last.
        let last = hay.len() - n;
        let mut s = start;
        #[cfg(target_arch = "x86_64")]
        {
            if self.avx2 {
                // SAFETY: the CPU supports AVX2 (checked at construction).
                match unsafe { self.find_avx2(hay, s, last) } {
                    Ok(found) => return Some(found),
                    Err(resume) => s = resume,
                }
            }
            match self.find_sse2(hay, s, last) {
                Ok(found) => return Some(found),
                Err(resume) => s = resume,
            }
        }
        // Two words per offset per round: 16 candidate starts.
        while s + 16 <= last + 1 {
            let m1 = zero_bytes((word(hay, s + self.i1) | FOLD) ^ self.b1)
                & zero_bytes((word(hay, s + self.i2) | FOLD) ^ self.b2);
            let m2 = zero_bytes((word(hay, s + 8 + self.i1) | FOLD) ^ self.b1)
                & zero_bytes((word(hay, s + 8 + self.i2) | FOLD) ^ self.b2);
            if (m1 | m2) != 0 {
                for (base, mut m) in [(s, m1), (s + 8, m2)] {
                    while m != 0 {
                        let c = base + (m.trailing_zeros() / 8) as usize;
                        if self.verify(hay, c) {
                            return Some(c);
                        }
                        m &= m - 1;
                    }
                }
            }
            s += 16;
        }
        while s + 8 <= last + 1 {
            let mut m = zero_bytes((word(hay, s + self.i1) | FOLD) ^ self.b1)
                & zero_bytes((word(hay, s + self.i2) | FOLD) ^ self.b2);
            while m != 0 {
                let c = s + (m.trailing_zeros() / 8) as usize;
                if self.verify(hay, c) {
                    return Some(c);
                }
                m &= m - 1;
            }
            s += 8;
        }
        (s..=last).find(|&c| self.verify(hay, c))
    }

    /// SSE2 (always present on x86_64) version of the pair test, 16 candidate starts a step.
    /// `Ok(position)` of a match, or `Err(s)`: no match in the candidates before `s`.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn find_sse2(&self, hay: &[u8], mut s: usize, last: usize) -> Result<usize, usize> {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        let (i1, i2) = (self.i1, self.i2);
        // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are always
        // available. The loads: i1, i2 < needle.len() = hay.len() - last and s + 16 <= last + 1,
        // so both 16-byte loads end at or before hay.len(); loadu needs no alignment.
        unsafe {
            let fold = _mm_set1_epi8(0x20);
            let v1 = _mm_set1_epi8(self.b1 as u8 as i8);
            let v2 = _mm_set1_epi8(self.b2 as u8 as i8);
            while s + 16 <= last + 1 {
                let a = _mm_loadu_si128(hay.as_ptr().add(s + i1).cast::<__m128i>());
                let b = _mm_loadu_si128(hay.as_ptr().add(s + i2).cast::<__m128i>());
                let eq = _mm_and_si128(
                    _mm_cmpeq_epi8(_mm_or_si128(a, fold), v1),
                    _mm_cmpeq_epi8(_mm_or_si128(b, fold), v2),
                );
                let mut m = _mm_movemask_epi8(eq) as u32;
                while m != 0 {
                    let c = s + m.trailing_zeros() as usize;
                    if self.verify(hay, c) {
                        return Ok(c);
                    }
                    m &= m - 1;
                }
                s += 16;
            }
        }
        Err(s)
    }

    /// AVX2 version: 32 candidate starts a step. Same contract as `find_sse2`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, hay: &[u8], mut s: usize, last: usize) -> Result<usize, usize> {
        use std::arch::x86_64::{
            __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
            _mm256_or_si256, _mm256_set1_epi8,
        };
        let (i1, i2) = (self.i1, self.i2);
        let fold = _mm256_set1_epi8(0x20);
        let v1 = _mm256_set1_epi8(self.b1 as u8 as i8);
        let v2 = _mm256_set1_epi8(self.b2 as u8 as i8);
        while s + 32 <= last + 1 {
            // SAFETY: i1, i2 < needle.len() = hay.len() - last and s + 32 <= last + 1, so
            // both 32-byte loads end at or before hay.len(); loadu needs no alignment.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(hay.as_ptr().add(s + i1).cast::<__m256i>()),
                    _mm256_loadu_si256(hay.as_ptr().add(s + i2).cast::<__m256i>()),
                )
            };
            let eq = _mm256_and_si256(
                _mm256_cmpeq_epi8(_mm256_or_si256(a, fold), v1),
                _mm256_cmpeq_epi8(_mm256_or_si256(b, fold), v2),
            );
            let mut m = _mm256_movemask_epi8(eq) as u32;
            while m != 0 {
                let c = s + m.trailing_zeros() as usize;
                if self.verify(hay, c) {
                    return Ok(c);
                }
                m &= m - 1;
            }
            s += 32;
        }
        Err(s)
    }

    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        self.find_from(hay, 0)
    }

    /// Every (possibly overlapping) match position.
    pub fn find_iter<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
        let mut next = 0usize;
        std::iter::from_fn(move || {
            let at = self.find_from(hay, next)?;
            next = at + 1;
            Some(at)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(hay: &[u8], needle: &[u8]) -> Vec<usize> {
        if needle.len() > hay.len() {
            return vec![];
        }
        (0..=hay.len() - needle.len())
            .filter(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
            .collect()
    }

    #[test]
    fn matches_naive_search_everywhere() {
        let mut x = 0x1234_5678u64;
        let alphabet = b"aAbB@.-xyzXYZ\n\r, 0\x00\xff";
        for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 31, 64, 200, 1000] {
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            for needle in [
                &b"a"[..],
                b"ab",
                b"aB@",
                b"xyz",
                b"A.b-X",
                b"@",
                b"\xff",
                b"zzzzzzzzzz",
            ] {
                let f = FoldedFinder::new(needle);
                // With and without the AVX2 path.
                let mut no_avx2 = f.clone();
                no_avx2.avx2 = false;
                for f in [f, no_avx2] {
                    assert_eq!(
                        f.find_iter(&hay).collect::<Vec<_>>(),
                        naive(&hay, needle),
                        "len {len} needle {:?}",
                        String::from_utf8_lossy(needle)
                    );
                }
            }
        }
    }

    #[test]
    fn finds_mixed_case_address() {
        let hay = b"2026-03-02,x,ALERTS@Fabrikam.COM,y,alerts@fabrikam.com\r\n";
        let f = FoldedFinder::new(b"alerts@fabrikam.com");
        assert_eq!(f.find_iter(hay).collect::<Vec<_>>(), [13, 35]);
        assert_eq!(f.find_from(hay, 14), Some(35));
        assert_eq!(f.find_from(hay, 36), None);
        assert_eq!(f.find_from(hay, 1000), None);
    }
}
