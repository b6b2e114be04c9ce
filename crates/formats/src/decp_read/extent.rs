//! Where a JSON object or list ends, found 64 bytes at a time: the scanner's shortcut for the
//! common record, which it would otherwise walk byte by byte.
//!
//! Each block of 64 bytes is turned into bit masks (one bit per byte: quotes, brackets, bytes
//! to look at); the bytes inside strings are those after an odd number of quotes (a prefix
//! XOR of the quote mask), and only the brackets outside strings move the depth. This holds
//! when no string has an escape, so a value holding a backslash gives up, as does one with
//! `N`, `I` or `-` outside strings (a `NaN`, `Infinity` or negative number, which the scanner
//! rewrites or must look at): the caller then walks the value byte by byte as before. Giving
//! up is always allowed; an extent returned is the one the byte-by-byte walk finds.

/// The length of the object or list that starts at `bytes[0]` (`{` or `[`), when it ends
/// within `bytes` and has neither a backslash nor, outside strings, `N`, `I` or `-`.
pub(super) fn value_len(bytes: &[u8]) -> Option<usize> {
    if !matches!(bytes.first(), Some(b'{' | b'[')) {
        return None;
    }
    let mut depth: u32 = 0;
    // All ones when the previous block ended inside a string.
    let mut in_string_carry: u64 = 0;
    let mut blocks = bytes.chunks_exact(64);
    let mut at = 0;
    let mut end = None;
    for block in &mut blocks {
        end = block_end(block_masks(block), &mut in_string_carry, &mut depth, block)?;
        if end.is_some() {
            break;
        }
        at += 64;
    }
    if end.is_none() {
        // The last bytes, padded with spaces (which change nothing).
        let rest = blocks.remainder();
        let mut tail = [b' '; 64];
        tail[..rest.len()].copy_from_slice(rest);
        end = block_end(block_masks(&tail), &mut in_string_carry, &mut depth, &tail)?
            .filter(|&len| len <= rest.len());
    }
    let len = at + end?;
    // An escape before the end could have hidden a quote: the walk decides. (Escapes after
    // the end found cannot have moved it.)
    match memchr::memchr(b'\\', &bytes[..len]) {
        Some(_) => None,
        None => Some(len),
    }
}

/// One bit per byte of a block: quotes, brackets, and `N`, `I`, `-` or `\` (to give up on
/// when outside strings).
struct Masks {
    quote: u64,
    bracket: u64,
    special: u64,
}

/// Written so that the compiler compares 16 bytes at a time: one code per byte, then each
/// code bit gathered from 8 bytes at a time into a mask byte.
fn block_masks(block: &[u8]) -> Masks {
    let mut codes = [0u8; 64];
    for (code, &b) in codes.iter_mut().zip(block) {
        let lower = b | 0x20;
        *code = u8::from(b == b'"')
            | u8::from(lower == b'{' || lower == b'}') << 1
            | u8::from(b == b'N' || b == b'I' || b == b'-' || b == b'\\') << 2;
    }
    let mut masks = Masks {
        quote: 0,
        bracket: 0,
        special: 0,
    };
    for (w, word) in codes.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes);
        masks.quote |= gather(x) << (8 * w);
        masks.bracket |= gather(x >> 1) << (8 * w);
        masks.special |= gather(x >> 2) << (8 * w);
    }
    masks
}

/// Bit 0 of each of the 8 bytes of `x`, as 8 bits.
fn gather(x: u64) -> u64 {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    (x & LOW_BITS).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Moves the string state and depth over one block; `Some(Some(len))` when the value ends in
/// it (`len` bytes into the block), `None` to give up.
fn block_end(
    masks: Masks,
    carry: &mut u64,
    depth: &mut u32,
    block: &[u8],
) -> Option<Option<usize>> {
    let in_string = prefix_xor(masks.quote) ^ *carry;
    *carry = ((in_string as i64) >> 63) as u64;
    let mut brackets = masks.bracket & !in_string;
    let special = masks.special & !in_string;
    while brackets != 0 {
        let at = brackets.trailing_zeros();
        if special & ((1u64 << at) - 1) != 0 {
            return None;
        }
        brackets &= brackets - 1;
        if block[at as usize] | 0x20 == b'{' {
            *depth += 1;
        } else {
            *depth -= 1;
            if *depth == 0 {
                return Some(Some(at as usize + 1));
            }
        }
    }
    if special != 0 {
        return None;
    }
    Some(None)
}

/// Bit `i` is the XOR of bits `0..=i`: set between an opening quote (included) and its
/// closing quote (excluded).
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The extent found byte by byte, as the scanner walks a value without escapes.
    fn walked(bytes: &[u8]) -> Option<usize> {
        let mut depth = 0u32;
        let mut in_string = false;
        for (i, &b) in bytes.iter().enumerate() {
            match (in_string, b) {
                (_, b'\\') => return None,
                (true, b'"') => in_string = false,
                (true, _) => {}
                (false, b'"') => in_string = true,
                (false, b'N' | b'I' | b'-') => return None,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                (false, _) => {}
            }
        }
        None
    }

    #[test]
    fn a_record_ends_at_its_closing_brace_whatever_the_strings_hold() {
        let record =
            br#"{"id": "a}b]", "acheteur": {"id": "21380185500015"}, "l": ["{", "["]} ,{"x": 1}"#;
        assert_eq!(value_len(record), Some(record.len() - 10));
        assert_eq!(value_len(b"[1, [2, {\"a\": []}]]tail"), Some(19));
    }

    #[test]
    fn gives_up_on_escapes_literals_negative_numbers_and_unfinished_values() {
        assert_eq!(value_len(br#"{"a": "x\"y"}"#), None);
        assert_eq!(value_len(br#"{"a": NaN}"#), None);
        assert_eq!(value_len(br#"{"a": -1}"#), None);
        assert_eq!(value_len(br#"{"a": {"b": 1}"#), None);
        assert_eq!(value_len(br#""a""#), None);
        // Inside strings, the same bytes are ordinary; after the end, nothing counts.
        assert_eq!(value_len(br#"{"N": "-I"}"#), Some(11));
        assert_eq!(value_len(br#"{"a": 1}, NaN, "\""#), Some(8));
    }

    #[test]
    fn agrees_with_the_byte_by_byte_walk_across_blocks() {
        // Values of every length around the block size, strings straddling block ends.
        let pieces: [&[u8]; 12] = [
            b"{",
            b"}",
            b"[",
            b"]",
            br#""s{]""#,
            br#""""#,
            b"12, ",
            br#""a long string without brackets that spans one block end or more, easily""#,
            b"\n",
            br#""-NI""#,
            b"-",
            br#""\"""#,
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..40_000 {
            let mut text = b"{".to_vec();
            let len = (seed >> 58) as usize * 4;
            // Half the values without the pieces that make both sides give up.
            let kinds = if round % 2 == 0 { 10 } else { pieces.len() };
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.extend_from_slice(pieces[(seed % kinds as u64) as usize]);
            }
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            assert_eq!(
                value_len(&text),
                walked(&text),
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}
