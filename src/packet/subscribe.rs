//! SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (sections 3.8 to 3.11).
//!
//! The lists in these packets are either a slice the caller built (to encode) or the raw bytes of
//! a received packet (decoded zero-copy: validated once, then iterated without allocation).

use core::fmt;

use super::publish::encode_ack;
use super::wire::field_len;
use super::{DecodeError, EncodeError, PacketId, PacketType, QoS, Reader, Writer};
use crate::topic::{TopicError, TopicFilter};

/// Reads one topic filter, validated: UTF-8 [MQTT-1.5.3-1], then the filter rules, which
/// include U+0000 [MQTT-1.5.3-2], so the bytes are scanned for it once.
fn read_filter<'a>(r: &mut Reader<'a>) -> Result<TopicFilter<'a>, DecodeError> {
    let filter = core::str::from_utf8(r.binary()?).map_err(|_| DecodeError::InvalidUtf8)?;
    TopicFilter::new(filter).map_err(|e| match e {
        TopicError::NullCharacter => DecodeError::NullCharacter,
        e => DecodeError::InvalidTopic(e),
    })
}

/// The topic filters of a SUBSCRIBE, each with its requested QoS.
#[derive(Clone, Copy)]
pub struct SubscribeFilters<'a>(Filters<'a, (TopicFilter<'a>, QoS)>);

/// The topic filters of an UNSUBSCRIBE.
#[derive(Clone, Copy)]
pub struct UnsubscribeFilters<'a>(Filters<'a, TopicFilter<'a>>);

#[derive(Clone, Copy)]
enum Filters<'a, T> {
    /// Built by the caller, to be encoded.
    Slice(&'a [T]),
    /// The validated payload of a received packet.
    Wire(&'a [u8]),
}

impl<'a> SubscribeFilters<'a> {
    /// Filters to encode into a SUBSCRIBE.
    pub const fn new(filters: &'a [(TopicFilter<'a>, QoS)]) -> Self {
        Self(Filters::Slice(filters))
    }

    /// The filters and their requested QoS, in packet order.
    pub fn iter(&self) -> impl Iterator<Item = (TopicFilter<'a>, QoS)> + 'a {
        let (slice, wire): (&'a [_], &'a [u8]) = match self.0 {
            Filters::Slice(s) => (s, &[]),
            Filters::Wire(w) => (&[], w),
        };
        let mut r = Reader::new(wire);
        slice.iter().copied().chain(core::iter::from_fn(move || {
            // Validated when the packet was decoded; a failure here only ends the iteration.
            let filter = TopicFilter::new_unchecked(r.str().ok()?);
            Some((filter, QoS::from_bits(r.u8().ok()?)?))
        }))
    }

    /// The number of filters.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no filters (never true for a decoded packet).
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<'a> UnsubscribeFilters<'a> {
    /// Filters to encode into an UNSUBSCRIBE.
    pub const fn new(filters: &'a [TopicFilter<'a>]) -> Self {
        Self(Filters::Slice(filters))
    }

    /// The filters, in packet order.
    pub fn iter(&self) -> impl Iterator<Item = TopicFilter<'a>> + 'a {
        let (slice, wire): (&'a [_], &'a [u8]) = match self.0 {
            Filters::Slice(s) => (s, &[]),
            Filters::Wire(w) => (&[], w),
        };
        let mut r = Reader::new(wire);
        slice.iter().copied().chain(core::iter::from_fn(move || {
            Some(TopicFilter::new_unchecked(r.str().ok()?))
        }))
    }

    /// The number of filters.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no filters (never true for a decoded packet).
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl PartialEq for SubscribeFilters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for SubscribeFilters<'_> {}

impl PartialEq for UnsubscribeFilters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for UnsubscribeFilters<'_> {}

impl fmt::Debug for SubscribeFilters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Debug for UnsubscribeFilters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SubscribeFilters<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "[");
        for (filter, qos) in self.iter() {
            defmt::write!(f, "({}, {}) ", filter, qos);
        }
        defmt::write!(f, "]");
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for UnsubscribeFilters<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "[");
        for filter in self.iter() {
            defmt::write!(f, "{} ", filter);
        }
        defmt::write!(f, "]");
    }
}

/// SUBSCRIBE: a request for messages on one or more topic filters (section 3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Subscribe<'a> {
    /// The packet identifier the SUBACK will carry.
    pub packet_id: PacketId,
    /// The filters, at least one [MQTT-3.8.3-3].
    pub filters: SubscribeFilters<'a>,
}

impl<'a> Subscribe<'a> {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let packet_id = r.packet_id()?;
        let wire = r.rest();
        let mut check = Reader::new(wire);
        if check.is_empty() {
            return Err(DecodeError::NoTopicFilters);
        }
        while !check.is_empty() {
            read_filter(&mut check)?;
            let options = check.u8()?;
            // The upper six bits are reserved [MQTT-3.8.3-4]; QoS 3 is malformed.
            if options & !0b11 != 0 {
                return Err(DecodeError::InvalidSubscribeOptions(options));
            }
            QoS::from_bits(options).ok_or(DecodeError::InvalidQoS)?;
        }
        Ok(Subscribe {
            packet_id,
            filters: SubscribeFilters(Filters::Wire(wire)),
        })
    }

    fn remaining_len(&self) -> Result<usize, EncodeError> {
        let mut len = 2;
        let mut any = false;
        for (filter, _) in self.filters.iter() {
            len += field_len(filter.as_str().as_bytes())? + 1;
            any = true;
        }
        if any {
            Ok(len)
        } else {
            Err(EncodeError::NoTopicFilters)
        }
    }

    /// The size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let remaining = self.remaining_len()?;
        super::packet_len(remaining)
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf, PacketType::Subscribe, 0b0010, self.remaining_len()?)?;
        w.put_u16(self.packet_id.get());
        for (filter, qos) in self.filters.iter() {
            w.put_binary(filter.as_str().as_bytes());
            w.put_u8(qos as u8);
        }
        Ok(w.finish())
    }
}

/// UNSUBSCRIBE: a request to stop messages on one or more topic filters (section 3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Unsubscribe<'a> {
    /// The packet identifier the UNSUBACK will carry.
    pub packet_id: PacketId,
    /// The filters, at least one [MQTT-3.10.3-2].
    pub filters: UnsubscribeFilters<'a>,
}

impl<'a> Unsubscribe<'a> {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let packet_id = r.packet_id()?;
        let wire = r.rest();
        let mut check = Reader::new(wire);
        if check.is_empty() {
            return Err(DecodeError::NoTopicFilters);
        }
        while !check.is_empty() {
            read_filter(&mut check)?;
        }
        Ok(Unsubscribe {
            packet_id,
            filters: UnsubscribeFilters(Filters::Wire(wire)),
        })
    }

    fn remaining_len(&self) -> Result<usize, EncodeError> {
        let mut len = 2;
        let mut any = false;
        for filter in self.filters.iter() {
            len += field_len(filter.as_str().as_bytes())?;
            any = true;
        }
        if any {
            Ok(len)
        } else {
            Err(EncodeError::NoTopicFilters)
        }
    }

    /// The size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let remaining = self.remaining_len()?;
        super::packet_len(remaining)
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf, PacketType::Unsubscribe, 0b0010, self.remaining_len()?)?;
        w.put_u16(self.packet_id.get());
        for filter in self.filters.iter() {
            w.put_binary(filter.as_str().as_bytes());
        }
        Ok(w.finish())
    }
}

/// One SUBACK return code (section 3.9.3): the QoS granted, or a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SubscribeReturnCode {
    /// 0x00, 0x01 or 0x02: subscribed, with this maximum QoS.
    Success(QoS),
    /// 0x80: the server refused the subscription.
    Failure,
}

impl SubscribeReturnCode {
    /// The return code of a byte, or `None` for anything but 0x00, 0x01, 0x02 and 0x80.
    pub const fn from_u8(code: u8) -> Option<Self> {
        match code {
            0x80 => Some(Self::Failure),
            _ => match QoS::from_bits(code) {
                Some(qos) if code < 3 => Some(Self::Success(qos)),
                _ => None,
            },
        }
    }

    /// The byte on the wire.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Success(qos) => qos as u8,
            Self::Failure => 0x80,
        }
    }
}

/// The return codes of a SUBACK, one per filter of the SUBSCRIBE, in the same order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SubscribeReturnCodes<'a>(&'a [u8]);

impl<'a> SubscribeReturnCodes<'a> {
    /// Checks that every byte of `codes` is 0x00, 0x01, 0x02 or 0x80.
    pub fn new(codes: &'a [u8]) -> Result<Self, DecodeError> {
        if codes.is_empty() {
            return Err(DecodeError::NoTopicFilters);
        }
        match codes
            .iter()
            .find(|&&c| SubscribeReturnCode::from_u8(c).is_none())
        {
            Some(&bad) => Err(DecodeError::InvalidSubAckReturnCode(bad)),
            None => Ok(Self(codes)),
        }
    }

    /// Wraps return codes that [`SubscribeReturnCodes::new`] accepted before.
    pub(crate) const fn new_unchecked(codes: &'a [u8]) -> Self {
        Self(codes)
    }

    /// The return codes in order.
    pub fn iter(&self) -> impl Iterator<Item = SubscribeReturnCode> + 'a {
        self.0
            .iter()
            .filter_map(|&c| SubscribeReturnCode::from_u8(c))
    }

    /// The return code for the `index`-th filter of the SUBSCRIBE.
    pub fn get(&self, index: usize) -> Option<SubscribeReturnCode> {
        self.0
            .get(index)
            .and_then(|&c| SubscribeReturnCode::from_u8(c))
    }

    /// The number of return codes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a valid SUBACK has at least one return code.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl fmt::Debug for SubscribeReturnCodes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SubscribeReturnCodes<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=[u8]:#x}", self.0)
    }
}

/// SUBACK: the answer to SUBSCRIBE (section 3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SubAck<'a> {
    /// The packet identifier of the SUBSCRIBE being answered.
    pub packet_id: PacketId,
    /// One return code per requested filter.
    pub return_codes: SubscribeReturnCodes<'a>,
}

impl<'a> SubAck<'a> {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let packet_id = r.packet_id()?;
        let return_codes = SubscribeReturnCodes::new(r.rest())?;
        Ok(SubAck {
            packet_id,
            return_codes,
        })
    }

    /// The size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let remaining = 2 + self.return_codes.len();
        super::packet_len(remaining)
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.return_codes.is_empty() {
            return Err(EncodeError::NoTopicFilters);
        }
        let mut w = Writer::new(buf, PacketType::SubAck, 0, 2 + self.return_codes.len())?;
        w.put_u16(self.packet_id.get());
        w.put_bytes(self.return_codes.as_bytes());
        Ok(w.finish())
    }
}

/// UNSUBACK: the answer to UNSUBSCRIBE (section 3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnsubAck {
    /// The packet identifier of the UNSUBSCRIBE being answered.
    pub packet_id: PacketId,
}

impl UnsubAck {
    /// Encodes the packet at the start of `buf` and returns its length (always 4).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode_ack(PacketType::UnsubAck, 0, self.packet_id, buf)
    }
}
