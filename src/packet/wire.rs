//! Checked cursors over packet bytes. Every access is bounds-checked by construction (slice
//! splitting that returns `Option`), so no input can make decoding or encoding panic.

use super::{DecodeError, EncodeError, MAX_REMAINING_LENGTH, PacketId, PacketType};

/// Reads the variable-length remaining length at the front of `buf` (section 2.2.3).
///
/// Returns the value and the number of bytes it used, `Ok(None)` if `buf` ends before the last
/// byte of the encoding, or an error if a fourth byte still has the continuation bit.
///
/// Inlined at both callers, the fixed-header parser and the session's store walk
/// (`ci/size/measure.py`: 20 B).
#[inline(always)]
pub(crate) fn read_remaining_length(buf: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&byte) = buf.get(i) else {
            return Ok(None);
        };
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Err(DecodeError::InvalidRemainingLength)
}

/// The number of bytes the remaining length `len` takes on the wire (4 for anything larger).
///
/// Three comparisons added up, without branches: as small inlined at every caller as a loop
/// out of line, and as fast as the `if` chain it replaced (`ci/size/measure.py`,
/// `cargo bench --bench codec`).
pub(crate) const fn remaining_length_len(len: usize) -> usize {
    1 + (len >= 128) as usize + (len >= 16_384) as usize + (len >= 2_097_152) as usize
}

/// The length of the fixed header of a packet whose remaining length is `remaining`.
pub(crate) const fn fixed_header_len(remaining: usize) -> usize {
    1 + remaining_length_len(remaining)
}

/// The size of a whole packet with `remaining` bytes after its fixed header, or
/// `PacketTooLarge` past the largest remaining length (section 2.2.3).
pub(crate) const fn packet_len(remaining: usize) -> Result<usize, EncodeError> {
    if remaining > MAX_REMAINING_LENGTH {
        return Err(EncodeError::PacketTooLarge);
    }
    Ok(fixed_header_len(remaining) + remaining)
}

/// A forward-only reader over the bytes of one packet body.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(body: &'a [u8]) -> Self {
        Self { rest: body }
    }

    /// Inlined everywhere, like [`Reader::u16`] (`ci/size/measure.py`: 40 B).
    #[inline(always)]
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&b, rest) = self.rest.split_first().ok_or(DecodeError::UnexpectedEnd)?;
        self.rest = rest;
        Ok(b)
    }

    /// Inlined everywhere: two bytes read in place are smaller than the call
    /// (`ci/size/measure.py`: 60 B).
    #[inline(always)]
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let (&[hi, lo], rest) = self
            .rest
            .split_first_chunk::<2>()
            .ok_or(DecodeError::UnexpectedEnd)?;
        self.rest = rest;
        Ok(u16::from_be_bytes([hi, lo]))
    }

    pub(crate) fn packet_id(&mut self) -> Result<PacketId, DecodeError> {
        PacketId::new(self.u16()?).ok_or(DecodeError::ZeroPacketId)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or(DecodeError::UnexpectedEnd)?;
        self.rest = rest;
        Ok(head)
    }

    /// Binary data: a two-byte length, then that many bytes (section 1.5.3).
    pub(crate) fn binary(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        self.bytes(usize::from(len))
    }

    /// A UTF-8 encoded string without U+0000 [MQTT-1.5.3-1], [MQTT-1.5.3-2].
    pub(crate) fn str(&mut self) -> Result<&'a str, DecodeError> {
        let bytes = self.binary()?;
        let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
        if crate::topic::has_nul(bytes) {
            return Err(DecodeError::NullCharacter);
        }
        Ok(s)
    }

    /// Everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails if any byte is left unread.
    pub(crate) const fn finish(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// A writer for exactly one packet. [`Writer::new`] checks once that the whole packet fits, so
/// the `put_*` calls that follow cannot run out of space.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    /// Where the next byte goes.
    at: usize,
    len: usize,
}

impl<'a> Writer<'a> {
    /// Starts a packet of `remaining` bytes after the fixed header, writing the fixed header.
    pub(crate) fn new(
        buf: &'a mut [u8],
        packet_type: PacketType,
        flags: u8,
        remaining: usize,
    ) -> Result<Self, EncodeError> {
        if remaining > MAX_REMAINING_LENGTH {
            return Err(EncodeError::PacketTooLarge);
        }
        let len = 1 + remaining_length_len(remaining) + remaining;
        let Some(packet) = buf.get_mut(..len) else {
            return Err(EncodeError::BufferTooSmall { needed: len });
        };
        Ok(Self::head(packet, packet_type, flags, remaining))
    }

    /// Writes the fixed header of a packet with `remaining` bytes after it into `buf` without
    /// requiring room for the whole packet: for writing a header in front of a payload that is
    /// already in place. Writes past the end of `buf` are dropped.
    pub(crate) fn head(
        buf: &'a mut [u8],
        packet_type: PacketType,
        flags: u8,
        remaining: usize,
    ) -> Self {
        let len = 1 + remaining_length_len(remaining) + remaining;
        let mut w = Writer { buf, at: 0, len };
        w.put_u8(((packet_type as u8) << 4) | flags);
        let mut x = remaining;
        loop {
            let byte = (x & 0x7F) as u8;
            x >>= 7;
            if x == 0 {
                w.put_u8(byte);
                break;
            }
            w.put_u8(byte | 0x80);
        }
        w
    }

    pub(crate) fn put_u8(&mut self, b: u8) {
        if let Some(dst) = self.buf.get_mut(self.at) {
            *dst = b;
        }
        self.at = self.at.wrapping_add(1);
    }

    pub(crate) fn put_u16(&mut self, v: u16) {
        self.put_bytes(&v.to_be_bytes());
    }

    pub(crate) fn put_bytes(&mut self, src: &[u8]) {
        let end = self.at.wrapping_add(src.len());
        if let Some(dst) = self.buf.get_mut(self.at..end) {
            dst.copy_from_slice(src);
        }
        self.at = end;
    }

    /// A two-byte length followed by the bytes. The caller has checked the length with
    /// [`field_len`].
    pub(crate) fn put_binary(&mut self, src: &[u8]) {
        self.put_u16(src.len() as u16);
        self.put_bytes(src);
    }

    /// The length of the packet, once every field is written.
    pub(crate) fn finish(&mut self) -> usize {
        self.len
    }
}

/// The wire size of a length-prefixed string or binary field, checking the 65,535-byte limit.
pub(crate) fn field_len(bytes: &[u8]) -> Result<usize, EncodeError> {
    if bytes.len() > usize::from(u16::MAX) {
        return Err(EncodeError::FieldTooLong);
    }
    Ok(2 + bytes.len())
}

/// The wire size of a UTF-8 string field, checking its length and the U+0000 rule.
pub(crate) fn str_len(s: &str) -> Result<usize, EncodeError> {
    if crate::topic::has_nul(s.as_bytes()) {
        return Err(EncodeError::NullCharacter);
    }
    field_len(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_boundaries_of_section_2_2_3() {
        // Table 2.4: the smallest and largest value of each encoded size.
        let cases: &[(usize, &[u8])] = &include!("table_2_4.in");
        for &(value, bytes) in cases {
            assert_eq!(
                read_remaining_length(bytes),
                Ok(Some((value, bytes.len()))),
                "{value}"
            );
            assert_eq!(remaining_length_len(value), bytes.len(), "{value}");
            // The Writer emits the same bytes: a packet of that remaining length, header only.
            let mut buf = vec![0u8; 1 + bytes.len() + value];
            let mut w = Writer::new(&mut buf, PacketType::Publish, 0, value).unwrap();
            assert_eq!(w.finish(), buf.len());
            assert_eq!(&buf[1..1 + bytes.len()], bytes, "{value}");
        }
        // Past the largest remaining length (refused by every caller), still 4, never more.
        for value in [MAX_REMAINING_LENGTH + 1, u32::MAX as usize, usize::MAX] {
            assert_eq!(remaining_length_len(value), 4, "{value}");
        }
    }

    #[test]
    fn remaining_length_with_fifth_byte_is_malformed_mqtt_2_2_3() {
        assert_eq!(
            read_remaining_length(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(DecodeError::InvalidRemainingLength)
        );
        assert_eq!(read_remaining_length(&[0x80, 0x80, 0x80]), Ok(None));
    }

    #[test]
    fn writer_refuses_a_buffer_one_byte_short() {
        let mut buf = [0u8; 3];
        assert_eq!(
            Writer::new(&mut buf, PacketType::PubAck, 0, 2).err(),
            Some(EncodeError::BufferTooSmall { needed: 4 })
        );
        assert_eq!(
            Writer::new(&mut buf, PacketType::PubAck, 0, MAX_REMAINING_LENGTH + 1).err(),
            Some(EncodeError::PacketTooLarge)
        );
    }
}
