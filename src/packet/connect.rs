//! CONNECT (section 3.1) and CONNACK (section 3.2).

use core::fmt;

use super::wire::{field_len, str_len};
use super::{DecodeError, EncodeError, PacketType, QoS, Reader, Writer};
use crate::topic::TopicName;

/// The protocol name and level of MQTT 3.1.1: `00 04 'M' 'Q' 'T' 'T' 04`.
const PROTOCOL: [u8; 7] = [0, 4, b'M', b'Q', b'T', b'T', 4];

const FLAG_USERNAME: u8 = 0x80;
const FLAG_PASSWORD: u8 = 0x40;
const FLAG_WILL_RETAIN: u8 = 0x20;
const FLAG_WILL: u8 = 0x04;
const FLAG_CLEAN_SESSION: u8 = 0x02;
const FLAG_RESERVED: u8 = 0x01;

/// The will message: published by the server for the client when the network connection closes
/// without a DISCONNECT (section 3.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Will<'a> {
    /// Where the will message is published.
    pub topic: TopicName<'a>,
    /// The will message.
    pub payload: &'a [u8],
    /// The QoS it is published with.
    pub qos: QoS,
    /// Whether it is published as a retained message.
    pub retain: bool,
}

/// CONNECT: the first packet a client sends (section 3.1), always at protocol level 4 (3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Connect<'a> {
    /// Start a new session and discard any earlier one (section 3.1.2.4).
    pub clean_session: bool,
    /// The keep alive interval in seconds; 0 turns keep alive off (section 3.1.2.10).
    pub keep_alive: u16,
    /// The client identifier; may be empty together with a clean session [MQTT-3.1.3-7].
    pub client_id: &'a str,
    /// The will message, if any.
    pub will: Option<Will<'a>>,
    /// The user name, if any.
    pub username: Option<&'a str>,
    /// The password, if any; it needs a user name [MQTT-3.1.2-22].
    pub password: Option<&'a [u8]>,
}

impl<'a> Connect<'a> {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let name = r.binary()?;
        if name != b"MQTT" {
            return Err(DecodeError::InvalidProtocolName);
        }
        let level = r.u8()?;
        if level != 4 {
            return Err(DecodeError::UnsupportedProtocolLevel(level));
        }
        let flags = r.u8()?;
        if flags & FLAG_RESERVED != 0 {
            return Err(DecodeError::ConnectReservedFlag);
        }
        let has_will = flags & FLAG_WILL != 0;
        let will_qos = QoS::from_bits((flags >> 3) & 0b11).ok_or(DecodeError::InvalidQoS)?;
        let will_retain = flags & FLAG_WILL_RETAIN != 0;
        if !has_will && (will_qos != QoS::AtMostOnce || will_retain) {
            return Err(DecodeError::InvalidWillFlags);
        }
        if flags & FLAG_PASSWORD != 0 && flags & FLAG_USERNAME == 0 {
            return Err(DecodeError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16()?;
        let client_id = r.str()?;
        let will = if has_will {
            // One pass for U+0000 and wildcards, not a string check and then a topic check.
            let topic = super::decode_topic_name(r.binary()?)?;
            let payload = r.binary()?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
            })
        } else {
            None
        };
        let username = if flags & FLAG_USERNAME != 0 {
            Some(r.str()?)
        } else {
            None
        };
        let password = if flags & FLAG_PASSWORD != 0 {
            Some(r.binary()?)
        } else {
            None
        };
        Ok(Connect {
            clean_session: flags & FLAG_CLEAN_SESSION != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
        })
    }

    pub(crate) fn remaining_len(&self) -> Result<usize, EncodeError> {
        if self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::PasswordWithoutUsername);
        }
        let mut len = PROTOCOL.len() + 1 + 2 + str_len(self.client_id)?;
        if let Some(will) = &self.will {
            len += 2 + will.topic.as_str().len() + field_len(will.payload)?;
        }
        if let Some(username) = self.username {
            len += str_len(username)?;
        }
        if let Some(password) = self.password {
            len += field_len(password)?;
        }
        Ok(len)
    }

    /// The size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let remaining = self.remaining_len()?;
        super::packet_len(remaining)
    }

    /// Encodes the packet at the start of `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let w = Writer::new(buf, PacketType::Connect, 0, self.remaining_len()?)?;
        Ok(self.write(w))
    }

    /// Writes the variable header and payload after the fixed header `w` holds; the caller has
    /// checked the fields with [`Connect::remaining_len`]. Returns the packet length.
    pub(crate) fn write(&self, mut w: Writer<'_>) -> usize {
        let mut flags = 0;
        if self.clean_session {
            flags |= FLAG_CLEAN_SESSION;
        }
        if let Some(will) = &self.will {
            flags |= FLAG_WILL | ((will.qos as u8) << 3);
            if will.retain {
                flags |= FLAG_WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= FLAG_USERNAME;
        }
        if self.password.is_some() {
            flags |= FLAG_PASSWORD;
        }
        w.put_bytes(&PROTOCOL);
        w.put_u8(flags);
        w.put_u16(self.keep_alive);
        w.put_binary(self.client_id.as_bytes());
        if let Some(will) = &self.will {
            w.put_binary(will.topic.as_str().as_bytes());
            w.put_binary(will.payload);
        }
        if let Some(username) = self.username {
            w.put_binary(username.as_bytes());
        }
        if let Some(password) = self.password {
            w.put_binary(password);
        }
        w.finish()
    }
}

/// The CONNACK return code (section 3.2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ConnectReturnCode {
    /// 0x00: connection accepted.
    Accepted = 0,
    /// 0x01: the server does not support MQTT 3.1.1.
    UnacceptableProtocolVersion = 1,
    /// 0x02: the client identifier is not allowed.
    IdentifierRejected = 2,
    /// 0x03: the MQTT service is unavailable.
    ServerUnavailable = 3,
    /// 0x04: the user name or password is malformed or wrong.
    BadUserNameOrPassword = 4,
    /// 0x05: the client is not authorized to connect.
    NotAuthorized = 5,
}

impl ConnectReturnCode {
    /// The return code of a byte, or `None` for the reserved values 6 to 255.
    pub const fn from_u8(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Accepted,
            1 => Self::UnacceptableProtocolVersion,
            2 => Self::IdentifierRejected,
            3 => Self::ServerUnavailable,
            4 => Self::BadUserNameOrPassword,
            5 => Self::NotAuthorized,
            _ => return None,
        })
    }
}

impl fmt::Display for ConnectReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Accepted => "connection accepted",
            Self::UnacceptableProtocolVersion => "unacceptable protocol version",
            Self::IdentifierRejected => "identifier rejected",
            Self::ServerUnavailable => "server unavailable",
            Self::BadUserNameOrPassword => "bad user name or password",
            Self::NotAuthorized => "not authorized",
        })
    }
}

/// CONNACK: the server's answer to CONNECT (section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnAck {
    /// Whether the server resumed a stored session (section 3.2.2.2).
    pub session_present: bool,
    /// Whether the connection was accepted, and if not, why.
    pub return_code: ConnectReturnCode,
}

impl ConnAck {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let flags = r.u8()?;
        if flags & !1 != 0 {
            return Err(DecodeError::InvalidConnAckFlags(flags));
        }
        let code = r.u8()?;
        let return_code =
            ConnectReturnCode::from_u8(code).ok_or(DecodeError::InvalidConnectReturnCode(code))?;
        let session_present = flags == 1;
        if session_present && return_code != ConnectReturnCode::Accepted {
            return Err(DecodeError::SessionPresentWithRefusal);
        }
        Ok(ConnAck {
            session_present,
            return_code,
        })
    }

    /// Encodes the packet at the start of `buf` and returns its length (always 4).
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.session_present && self.return_code != ConnectReturnCode::Accepted {
            return Err(EncodeError::SessionPresentWithRefusal);
        }
        let mut w = Writer::new(buf, PacketType::ConnAck, 0, 2)?;
        w.put_u8(u8::from(self.session_present));
        w.put_u8(self.return_code as u8);
        Ok(w.finish())
    }
}
