//! PUBLISH (section 3.3) and its acknowledgements PUBACK, PUBREC, PUBREL and PUBCOMP.

use super::{DecodeError, EncodeError, PacketId, PacketType, QoS, Reader, Writer};
use crate::topic::{TopicError, TopicName};

const FLAG_DUP: u8 = 0b1000;
const FLAG_RETAIN: u8 = 0b0001;

/// PUBLISH: an application message (section 3.3).
///
/// Decoding borrows `topic` and `payload` from the input; it checks the topic (UTF-8, no U+0000,
/// no wildcards) but never touches the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Publish<'a> {
    /// Whether this is a re-delivery of an earlier attempt (section 3.3.1.1); QoS 0 never sets it.
    pub dup: bool,
    /// The quality of service.
    pub qos: QoS,
    /// Whether the server should keep this message for future subscribers (section 3.3.1.3).
    pub retain: bool,
    /// Where the message is published.
    pub topic: TopicName<'a>,
    /// Present exactly when `qos` is 1 or 2 [MQTT-2.3.1-5].
    pub packet_id: Option<PacketId>,
    /// The application message; any bytes, possibly empty.
    pub payload: &'a [u8],
}

impl<'a> Publish<'a> {
    #[inline]
    pub(crate) fn decode(flags: u8, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        // The fixed-header flags were checked by FixedHeader::parse.
        let qos = QoS::from_bits((flags >> 1) & 0b11).ok_or(DecodeError::InvalidQoS)?;
        let topic = decode_topic_name(r.binary()?)?;
        let packet_id = if qos == QoS::AtMostOnce {
            None
        } else {
            Some(r.packet_id()?)
        };
        Ok(Publish {
            dup: flags & FLAG_DUP != 0,
            qos,
            retain: flags & FLAG_RETAIN != 0,
            topic,
            packet_id,
            payload: r.rest(),
        })
    }

    fn check(&self) -> Result<usize, EncodeError> {
        if (self.qos == QoS::AtMostOnce) != self.packet_id.is_none() {
            return Err(EncodeError::PacketIdMismatch);
        }
        if self.dup && self.qos == QoS::AtMostOnce {
            return Err(EncodeError::DupWithQoS0);
        }
        let id_len = if self.packet_id.is_some() { 2 } else { 0 };
        Ok(2 + self.topic.as_str().len() + id_len + self.payload.len())
    }

    /// The size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let remaining = self.check()?;
        super::packet_len(remaining)
    }

    /// The first byte of the fixed header.
    pub(crate) fn flags(&self) -> u8 {
        let mut flags = (self.qos as u8) << 1;
        if self.dup {
            flags |= FLAG_DUP;
        }
        if self.retain {
            flags |= FLAG_RETAIN;
        }
        flags
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf, PacketType::Publish, self.flags(), self.check()?)?;
        w.put_binary(self.topic.as_str().as_bytes());
        if let Some(id) = self.packet_id {
            w.put_u16(id.get());
        }
        w.put_bytes(self.payload);
        Ok(w.finish())
    }
}

/// A received topic name: UTF-8 [MQTT-1.5.3-1], then the topic rules, which include U+0000
/// [MQTT-1.5.3-2] and wildcards [MQTT-3.3.2-2].
pub(crate) fn decode_topic_name(bytes: &[u8]) -> Result<TopicName<'_>, DecodeError> {
    let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
    TopicName::new(s).map_err(|e| match e {
        TopicError::NullCharacter => DecodeError::NullCharacter,
        e => DecodeError::InvalidTopic(e),
    })
}

macro_rules! ack_packet {
    ($(#[$doc:meta])* $name:ident, $ty:expr, $flags:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name {
            /// The packet identifier being acknowledged.
            pub packet_id: PacketId,
        }

        impl $name {
            /// Encodes the packet at the start of `buf` and returns its length (always 4).
            pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
                encode_ack($ty, $flags, self.packet_id, buf)
            }
        }
    };
}

/// Encodes a packet that is a fixed header and a packet identifier.
pub(super) fn encode_ack(
    packet_type: PacketType,
    flags: u8,
    id: PacketId,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut w = Writer::new(buf, packet_type, flags, 2)?;
    w.put_u16(id.get());
    Ok(w.finish())
}

ack_packet!(
    /// PUBACK: the answer to a QoS 1 PUBLISH (section 3.4).
    PubAck, PacketType::PubAck, 0
);
ack_packet!(
    /// PUBREC: the first answer to a QoS 2 PUBLISH (section 3.5).
    PubRec, PacketType::PubRec, 0
);
ack_packet!(
    /// PUBREL: the answer to PUBREC (section 3.6); its fixed-header flags are 0b0010.
    PubRel, PacketType::PubRel, 0b0010
);
ack_packet!(
    /// PUBCOMP: the answer to PUBREL (section 3.7).
    PubComp, PacketType::PubComp, 0
);
