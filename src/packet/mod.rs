//! The MQTT 3.1.1 wire format: every control packet, encoded into and decoded from byte slices.
//!
//! This module is pure code: no I/O, no allocation, no `unsafe`, and no panic for any input.
//!
//! * [`decode`] reads one packet from the front of a byte slice. It returns
//!   [`Decoded::Complete`] with a [`Packet`] that borrows its strings and payload from the input
//!   (zero-copy: decoding a PUBLISH costs the same for a 16 KiB payload as for 16 bytes),
//!   [`Decoded::Incomplete`] when more bytes are needed, or a [`DecodeError`] that names what is
//!   malformed.
//! * Every packet type has `encoded_len()` and `encode(&mut [u8])`, which writes the complete
//!   packet or returns an [`EncodeError`]; a buffer that is too small is never written past or
//!   truncated.
//!
//! ```
//! use picomqtt::packet::{decode, Decoded, Packet, Publish, QoS, PacketId};
//! use picomqtt::TopicName;
//!
//! let publish = Publish {
//!     dup: false,
//!     qos: QoS::AtLeastOnce,
//!     retain: false,
//!     topic: TopicName::new("nightlight-1/telemetry")?,
//!     packet_id: PacketId::new(7),
//!     payload: br#"{"light":412}"#,
//! };
//! let mut buf = [0u8; 64];
//! let len = publish.encode(&mut buf)?;
//!
//! match decode(&buf[..len])? {
//!     Decoded::Complete { packet: Packet::Publish(p), len: used } => {
//!         assert_eq!(used, len);
//!         assert_eq!(p.topic.as_str(), "nightlight-1/telemetry");
//!         assert_eq!(p.payload, br#"{"light":412}"#);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! // A prefix of a packet asks for more bytes instead of failing.
//! assert_eq!(decode(&buf[..5])?, Decoded::Incomplete { needed: len - 5 });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod connect;
mod publish;
mod subscribe;
mod wire;

pub use connect::{ConnAck, Connect, ConnectReturnCode, Will};
pub(crate) use publish::decode_topic_name;
pub use publish::{PubAck, PubComp, PubRec, PubRel, Publish};
pub use subscribe::{
    SubAck, Subscribe, SubscribeFilters, SubscribeReturnCode, SubscribeReturnCodes, UnsubAck,
    Unsubscribe, UnsubscribeFilters,
};
pub(crate) use wire::{Reader, Writer, fixed_header_len, packet_len, read_remaining_length};

use core::fmt;
use core::num::NonZeroU16;

use crate::topic::TopicError;

/// The largest remaining length the 4-byte variable length encoding can express (256 MiB - 1).
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;

/// The largest fixed header: one type-and-flags byte plus four remaining-length bytes.
pub const MAX_FIXED_HEADER_LEN: usize = 5;

/// Quality of service of a PUBLISH, a will message or a subscription (MQTT 3.1.1 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum QoS {
    /// QoS 0: delivered at most once, no acknowledgement.
    AtMostOnce = 0,
    /// QoS 1: delivered at least once, acknowledged with PUBACK.
    AtLeastOnce = 1,
    /// QoS 2: delivered exactly once (PUBREC/PUBREL/PUBCOMP). The codec handles it; the
    /// [`Client`](crate::Client) publishes and receives QoS 0 and 1 only.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for a two-bit value, or `None` for the reserved value 3 [MQTT-3.3.1-4].
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0 => Some(Self::AtMostOnce),
            1 => Some(Self::AtLeastOnce),
            2 => Some(Self::ExactlyOnce),
            _ => None,
        }
    }
}

/// A non-zero packet identifier [MQTT-2.3.1-1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The packet identifier `id`, or `None` for zero, which MQTT reserves.
    pub const fn new(id: u16) -> Option<Self> {
        match NonZeroU16::new(id) {
            Some(id) => Some(Self(id)),
            None => None,
        }
    }

    /// The identifier as a number, never zero.
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Display for PacketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The control packet type: the high nibble of the first byte (MQTT 3.1.1 section 2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum PacketType {
    /// Client request to connect to a server.
    Connect = 1,
    /// Connect acknowledgment.
    ConnAck = 2,
    /// Publish message.
    Publish = 3,
    /// Publish acknowledgment (QoS 1).
    PubAck = 4,
    /// Publish received (QoS 2, part 1).
    PubRec = 5,
    /// Publish release (QoS 2, part 2).
    PubRel = 6,
    /// Publish complete (QoS 2, part 3).
    PubComp = 7,
    /// Client subscribe request.
    Subscribe = 8,
    /// Subscribe acknowledgment.
    SubAck = 9,
    /// Client unsubscribe request.
    Unsubscribe = 10,
    /// Unsubscribe acknowledgment.
    UnsubAck = 11,
    /// PING request.
    PingReq = 12,
    /// PING response.
    PingResp = 13,
    /// Client is disconnecting.
    Disconnect = 14,
}

impl PacketType {
    /// The packet type of a high nibble, or `None` for the reserved values 0 and 15.
    pub const fn from_nibble(nibble: u8) -> Option<Self> {
        Some(match nibble {
            1 => Self::Connect,
            2 => Self::ConnAck,
            3 => Self::Publish,
            4 => Self::PubAck,
            5 => Self::PubRec,
            6 => Self::PubRel,
            7 => Self::PubComp,
            8 => Self::Subscribe,
            9 => Self::SubAck,
            10 => Self::Unsubscribe,
            11 => Self::UnsubAck,
            12 => Self::PingReq,
            13 => Self::PingResp,
            14 => Self::Disconnect,
            _ => return None,
        })
    }

    /// The fixed-header flags this type must carry, or `None` for PUBLISH, whose flags are
    /// DUP, QoS and RETAIN [MQTT-2.2.2-1].
    const fn required_flags(self) -> Option<u8> {
        // PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010, the others 0: a bit mask by type,
        // which compiles to a shift instead of a table lookup.
        const FLAGS_0010: u16 = 1 << 6 | 1 << 8 | 1 << 10;
        match self {
            Self::Publish => None,
            t if FLAGS_0010 & (1 << t as u16) != 0 => Some(0b0010),
            _ => Some(0),
        }
    }
}

/// The fixed header of a control packet: type, flags and remaining length (section 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FixedHeader {
    /// The control packet type.
    pub packet_type: PacketType,
    /// The low nibble of the first byte, already checked against the rules of `packet_type`.
    pub flags: u8,
    /// The number of bytes after the fixed header.
    pub remaining_len: usize,
    /// The size of the fixed header itself: 2 to 5 bytes.
    pub header_len: usize,
}

impl FixedHeader {
    /// Reads the fixed header at the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` ends inside the header. The first byte is checked as soon as
    /// it is there, so a stream that starts with garbage fails early.
    #[inline]
    pub fn parse(buf: &[u8]) -> Result<Option<Self>, DecodeError> {
        let Some((&first, rest)) = buf.split_first() else {
            return Ok(None);
        };
        let packet_type = PacketType::from_nibble(first >> 4)
            .ok_or(DecodeError::InvalidPacketType(first >> 4))?;
        let flags = first & 0x0F;
        match packet_type.required_flags() {
            Some(required) if flags != required => {
                return Err(DecodeError::InvalidFlags { packet_type, flags });
            }
            Some(_) => {}
            None => {
                // PUBLISH: QoS 3 is malformed [MQTT-3.3.1-4]; DUP must be 0 for QoS 0 [MQTT-3.3.1-2].
                let qos = (flags >> 1) & 0b11;
                if qos == 3 {
                    return Err(DecodeError::InvalidQoS);
                }
                if qos == 0 && flags & 0b1000 != 0 {
                    return Err(DecodeError::DupWithQoS0);
                }
            }
        }
        Ok(
            read_remaining_length(rest)?.map(|(remaining_len, n)| FixedHeader {
                packet_type,
                flags,
                remaining_len,
                header_len: 1 + n,
            }),
        )
    }

    /// The size of the whole packet: fixed header plus remaining length.
    pub const fn packet_len(&self) -> usize {
        self.header_len + self.remaining_len
    }
}

/// What [`decode`] found at the front of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<'a> {
    /// A complete, valid packet that occupies the first `len` bytes of the input.
    Complete {
        /// The packet, borrowing from the input.
        packet: Packet<'a>,
        /// How many bytes of the input it occupies.
        len: usize,
    },
    /// The input is a valid prefix of a packet; at least `needed` more bytes must follow.
    Incomplete {
        /// The number of bytes still missing (exact once the fixed header is complete).
        needed: usize,
    },
}

/// Any MQTT 3.1.1 control packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub enum Packet<'a> {
    Connect(Connect<'a>),
    ConnAck(ConnAck),
    Publish(Publish<'a>),
    PubAck(PubAck),
    PubRec(PubRec),
    PubRel(PubRel),
    PubComp(PubComp),
    Subscribe(Subscribe<'a>),
    SubAck(SubAck<'a>),
    Unsubscribe(Unsubscribe<'a>),
    UnsubAck(UnsubAck),
    PingReq,
    PingResp,
    Disconnect,
}

/// Decodes the packet at the front of `buf`.
///
/// Bytes after the first packet are left alone; [`Decoded::Complete::len`] says where the next
/// packet starts. See the [module documentation](self) for an example.
pub fn decode(buf: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let Some(header) = FixedHeader::parse(buf)? else {
        // Every packet is at least two bytes; a partial remaining length needs at least one more.
        return Ok(Decoded::Incomplete {
            needed: 2usize.saturating_sub(buf.len()).max(1),
        });
    };
    let len = header.packet_len();
    let Some(body) = buf.get(header.header_len..len) else {
        return Ok(Decoded::Incomplete {
            needed: len - buf.len(),
        });
    };
    // Acknowledgements and pings are decoded here, the packets with strings out of line: this
    // function stays small enough that the short packets pay for no more than they use.
    if header.packet_type == PacketType::Publish {
        return decode_publish(header.flags, body, len);
    }
    match short_packet(header.packet_type, body)? {
        Some(packet) => Ok(Decoded::Complete { packet, len }),
        None => decode_long(&header, body, len),
    }
}

#[inline(never)]
fn decode_publish(flags: u8, body: &[u8], len: usize) -> Result<Decoded<'_>, DecodeError> {
    let mut r = Reader::new(body);
    Ok(Decoded::Complete {
        packet: Packet::Publish(Publish::decode(flags, &mut r)?),
        len,
    })
}

#[inline(never)]
fn decode_long<'a>(
    header: &FixedHeader,
    body: &'a [u8],
    len: usize,
) -> Result<Decoded<'a>, DecodeError> {
    Ok(Decoded::Complete {
        packet: decode_body(header, body)?,
        len,
    })
}

/// Decodes the variable header and payload of a packet whose fixed header was already parsed.
///
/// `body` must be exactly `header.remaining_len` bytes long.
#[inline]
pub fn decode_body<'a>(header: &FixedHeader, body: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    let mut r = Reader::new(body);
    let packet = match header.packet_type {
        PacketType::Connect => Packet::Connect(Connect::decode(&mut r)?),
        PacketType::Publish => Packet::Publish(Publish::decode(header.flags, &mut r)?),
        PacketType::Subscribe => Packet::Subscribe(Subscribe::decode(&mut r)?),
        PacketType::SubAck => Packet::SubAck(SubAck::decode(&mut r)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::decode(&mut r)?),
        short => {
            // Every other type is one `short_packet` decodes.
            return short_packet(short, body)?.ok_or(DecodeError::InvalidPacketType(short as u8));
        }
    };
    r.finish()?;
    Ok(packet)
}

/// Decodes the packets without strings (acknowledgements, pings, DISCONNECT); `None` for the
/// other types.
#[inline(always)]
fn short_packet(packet_type: PacketType, body: &[u8]) -> Result<Option<Packet<'_>>, DecodeError> {
    let mut r = Reader::new(body);
    let packet = match packet_type {
        PacketType::ConnAck => Packet::ConnAck(ConnAck::decode(&mut r)?),
        PacketType::PubAck => Packet::PubAck(PubAck {
            packet_id: r.packet_id()?,
        }),
        PacketType::PubRec => Packet::PubRec(PubRec {
            packet_id: r.packet_id()?,
        }),
        PacketType::PubRel => Packet::PubRel(PubRel {
            packet_id: r.packet_id()?,
        }),
        PacketType::PubComp => Packet::PubComp(PubComp {
            packet_id: r.packet_id()?,
        }),
        PacketType::UnsubAck => Packet::UnsubAck(UnsubAck {
            packet_id: r.packet_id()?,
        }),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => Packet::Disconnect,
        PacketType::Connect
        | PacketType::Publish
        | PacketType::Subscribe
        | PacketType::SubAck
        | PacketType::Unsubscribe => return Ok(None),
    };
    r.finish()?;
    Ok(Some(packet))
}

impl Packet<'_> {
    /// The type of this packet.
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect => PacketType::Disconnect,
        }
    }

    /// The size of the encoded packet, fixed header included.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        match self {
            Packet::Connect(p) => p.encoded_len(),
            Packet::ConnAck(_) => Ok(4),
            Packet::Publish(p) => p.encoded_len(),
            Packet::PubAck(_)
            | Packet::PubRec(_)
            | Packet::PubRel(_)
            | Packet::PubComp(_)
            | Packet::UnsubAck(_) => Ok(4),
            Packet::Subscribe(p) => p.encoded_len(),
            Packet::SubAck(p) => p.encoded_len(),
            Packet::Unsubscribe(p) => p.encoded_len(),
            Packet::PingReq | Packet::PingResp | Packet::Disconnect => Ok(2),
        }
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Packet::Connect(p) => p.encode(buf),
            Packet::ConnAck(p) => p.encode(buf),
            Packet::Publish(p) => p.encode(buf),
            Packet::PubAck(p) => p.encode(buf),
            Packet::PubRec(p) => p.encode(buf),
            Packet::PubRel(p) => p.encode(buf),
            Packet::PubComp(p) => p.encode(buf),
            Packet::Subscribe(p) => p.encode(buf),
            Packet::SubAck(p) => p.encode(buf),
            Packet::Unsubscribe(p) => p.encode(buf),
            Packet::UnsubAck(p) => p.encode(buf),
            Packet::PingReq => encode_empty(PacketType::PingReq, buf),
            Packet::PingResp => encode_empty(PacketType::PingResp, buf),
            Packet::Disconnect => encode_empty(PacketType::Disconnect, buf),
        }
    }
}

/// Encodes a packet that is only a fixed header (PINGREQ, PINGRESP, DISCONNECT).
fn encode_empty(packet_type: PacketType, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut w = Writer::new(buf, packet_type, 0, 0)?;
    Ok(w.finish())
}

/// Why bytes are not a valid MQTT 3.1.1 packet.
///
/// Each variant names the rule that was broken; the statement ids are those of the OASIS MQTT
/// 3.1.1 specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeError {
    /// Packet type 0 or 15, which are reserved (section 2.2.1).
    InvalidPacketType(u8),
    /// Fixed-header flags that the packet type does not allow [MQTT-2.2.2-1], [MQTT-2.2.2-2].
    InvalidFlags {
        /// The packet type whose flags are wrong.
        packet_type: PacketType,
        /// The flags that were received.
        flags: u8,
    },
    /// A remaining length whose fourth byte still has the continuation bit set (section 2.2.3).
    InvalidRemainingLength,
    /// A field runs past the end of the remaining length (section 2.2.3).
    UnexpectedEnd,
    /// Bytes left over after the last field the packet type defines.
    TrailingBytes,
    /// A string that is not well-formed UTF-8 [MQTT-1.5.3-1].
    InvalidUtf8,
    /// A string containing U+0000 [MQTT-1.5.3-2].
    NullCharacter,
    /// A topic name or topic filter that breaks the topic rules (section 4.7).
    InvalidTopic(TopicError),
    /// QoS 3 in a PUBLISH, will or subscription [MQTT-3.3.1-4], [MQTT-3.1.2-14].
    InvalidQoS,
    /// DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2].
    DupWithQoS0,
    /// A packet identifier of zero [MQTT-2.3.1-1].
    ZeroPacketId,
    /// A CONNECT whose protocol name is not "MQTT" [MQTT-3.1.2-1].
    InvalidProtocolName,
    /// A CONNECT with a protocol level other than 4 (MQTT 3.1.1) [MQTT-3.1.2-2].
    UnsupportedProtocolLevel(u8),
    /// A CONNECT with the reserved flag set [MQTT-3.1.2-3].
    ConnectReservedFlag,
    /// Will QoS or will retain set without the will flag [MQTT-3.1.2-11], [MQTT-3.1.2-13],
    /// [MQTT-3.1.2-15].
    InvalidWillFlags,
    /// The password flag set without the user name flag [MQTT-3.1.2-22].
    PasswordWithoutUsername,
    /// A CONNACK with reserved acknowledge flags set (section 3.2.2.1).
    InvalidConnAckFlags(u8),
    /// A CONNACK with a return code above 5 (section 3.2.2.3).
    InvalidConnectReturnCode(u8),
    /// A CONNACK that refuses the connection but claims a session [MQTT-3.2.2-4].
    SessionPresentWithRefusal,
    /// A SUBSCRIBE or UNSUBSCRIBE without any topic filter [MQTT-3.8.3-3], [MQTT-3.10.3-2],
    /// or a SUBACK without any return code.
    NoTopicFilters,
    /// A SUBSCRIBE requested-QoS byte with reserved bits set [MQTT-3.8.3-4].
    InvalidSubscribeOptions(u8),
    /// A SUBACK return code other than 0x00, 0x01, 0x02 or 0x80 (section 3.9.3).
    InvalidSubAckReturnCode(u8),
}

impl From<TopicError> for DecodeError {
    fn from(e: TopicError) -> Self {
        DecodeError::InvalidTopic(e)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidPacketType(t) => write!(f, "reserved packet type {t}"),
            DecodeError::InvalidFlags { packet_type, flags } => {
                write!(
                    f,
                    "invalid fixed-header flags {flags:#06b} for {packet_type:?}"
                )
            }
            DecodeError::InvalidRemainingLength => {
                f.write_str("remaining length longer than 4 bytes")
            }
            DecodeError::UnexpectedEnd => f.write_str("field runs past the end of the packet"),
            DecodeError::TrailingBytes => f.write_str("unexpected bytes at the end of the packet"),
            DecodeError::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            DecodeError::NullCharacter => f.write_str("string contains U+0000"),
            DecodeError::InvalidTopic(e) => write!(f, "invalid topic: {e}"),
            DecodeError::InvalidQoS => f.write_str("QoS 3 is reserved"),
            DecodeError::DupWithQoS0 => f.write_str("DUP set on a QoS 0 PUBLISH"),
            DecodeError::ZeroPacketId => f.write_str("packet identifier is zero"),
            DecodeError::InvalidProtocolName => f.write_str("protocol name is not \"MQTT\""),
            DecodeError::UnsupportedProtocolLevel(l) => write!(f, "unsupported protocol level {l}"),
            DecodeError::ConnectReservedFlag => f.write_str("CONNECT reserved flag is set"),
            DecodeError::InvalidWillFlags => f.write_str("will QoS or retain without will flag"),
            DecodeError::PasswordWithoutUsername => f.write_str("password flag without user name"),
            DecodeError::InvalidConnAckFlags(b) => write!(f, "reserved CONNACK flags {b:#04x}"),
            DecodeError::InvalidConnectReturnCode(c) => write!(f, "CONNACK return code {c}"),
            DecodeError::SessionPresentWithRefusal => {
                f.write_str("CONNACK refuses the connection but sets session present")
            }
            DecodeError::NoTopicFilters => f.write_str("no topic filters or return codes"),
            DecodeError::InvalidSubscribeOptions(b) => write!(f, "requested QoS byte {b:#04x}"),
            DecodeError::InvalidSubAckReturnCode(c) => write!(f, "SUBACK return code {c:#04x}"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is smaller than the packet; nothing useful was written.
    BufferTooSmall {
        /// The size of the encoded packet.
        needed: usize,
    },
    /// The remaining length would exceed 268,435,455 bytes (section 2.2.3).
    PacketTooLarge,
    /// A string or binary field is longer than 65,535 bytes (section 1.5.3).
    FieldTooLong,
    /// A string contains U+0000 [MQTT-1.5.3-2].
    NullCharacter,
    /// A packet identifier is missing where the QoS needs one, or present where it must not be
    /// [MQTT-2.3.1-5].
    PacketIdMismatch,
    /// DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2].
    DupWithQoS0,
    /// A SUBSCRIBE, UNSUBSCRIBE or SUBACK with an empty list [MQTT-3.8.3-3], [MQTT-3.10.3-2].
    NoTopicFilters,
    /// A password without a user name [MQTT-3.1.2-22].
    PasswordWithoutUsername,
    /// A CONNACK that refuses the connection but claims a session [MQTT-3.2.2-4].
    SessionPresentWithRefusal,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "buffer too small: the packet needs {needed} bytes")
            }
            EncodeError::PacketTooLarge => f.write_str("remaining length above 268,435,455"),
            EncodeError::FieldTooLong => f.write_str("string or binary field above 65,535 bytes"),
            EncodeError::NullCharacter => f.write_str("string contains U+0000"),
            EncodeError::PacketIdMismatch => f.write_str("packet identifier does not fit the QoS"),
            EncodeError::DupWithQoS0 => f.write_str("DUP set on a QoS 0 PUBLISH"),
            EncodeError::NoTopicFilters => f.write_str("empty topic filter or return code list"),
            EncodeError::PasswordWithoutUsername => f.write_str("password without user name"),
            EncodeError::SessionPresentWithRefusal => {
                f.write_str("CONNACK refuses the connection but sets session present")
            }
        }
    }
}

impl core::error::Error for EncodeError {}
