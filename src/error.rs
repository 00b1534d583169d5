//! The client's error type.

use core::fmt;

use embedded_io_async::ErrorKind;

use crate::packet::{ConnectReturnCode, DecodeError, EncodeError, PacketId, PacketType};
use crate::topic::TopicError;

/// Everything that can go wrong in a [`Session`](crate::Session) or a [`Client`](crate::Client).
///
/// Errors come in two kinds, told apart by [`Error::is_fatal`]:
///
/// * **Fatal**: the network connection is unusable or was closed by the client because the broker
///   broke the protocol [MQTT-4.8.0-1]. The client has dropped its transport; reconnect with
///   [`Client::connect`](crate::Client::connect). The session (subscriptions and QoS 1 messages
///   in flight) survives for the next connection.
/// * **Not fatal**: the request was refused but the connection is fine, for example a topic with
///   a wildcard, a message that does not fit the TX buffer now, or an incoming packet that was too
///   large for the RX buffer and was skipped.
///
/// ```no_run
/// # async fn example<T: embedded_io_async::Read + embedded_io_async::Write>(
/// #     mut client: picomqtt::Client<'_, '_, T>,
/// # ) {
/// use picomqtt::{Error, Event};
///
/// loop {
///     match client.poll().await {
///         Ok(Event::Message(message)) => { /* act on message.topic and message.payload */ }
///         Ok(_) => {}
///         // Skipped (and acknowledged if it was QoS 1); the connection goes on.
///         Err(Error::PacketTooLarge { len, .. }) => { /* log that `len` bytes were dropped */ }
///         // The connection is closed: leave the loop and reconnect.
///         Err(e) if e.is_fatal() => break,
///         Err(_) => {}
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (fatal).
    Transport(ErrorKind),
    /// The transport reached the end of the stream: the broker or the network closed the
    /// connection (fatal).
    ConnectionClosed,
    /// The broker answered CONNECT with a refusal (fatal).
    ConnectionRefused(ConnectReturnCode),
    /// No CONNACK arrived within the response timeout (fatal).
    ConnAckTimeout,
    /// The connection is dead: no PINGRESP within the response timeout after a PINGREQ, or the
    /// transport accepted no bytes for that long (fatal).
    KeepAliveTimeout,
    /// The broker sent something MQTT 3.1.1 forbids; the client closed the connection (fatal).
    Protocol(ProtocolError),
    /// The client is not connected: it was never connected, or an earlier fatal error or a
    /// DISCONNECT closed it.
    NotConnected,
    /// A received packet was larger than the RX buffer. It was skipped without desynchronising
    /// the stream (a QoS 1 PUBLISH is still acknowledged when its header fits, so the broker does
    /// not redeliver it forever). Not fatal.
    ///
    /// The packet's type goes to the `defmt` or `log` output, not into the error: with it,
    /// `Error` would grow from 8 to 12 bytes on a 32-bit target, and every function that returns
    /// one would grow with it (236 B more flash for the complete client, `ci/size/measure.py`).
    PacketTooLarge {
        /// Its size on the wire.
        len: usize,
    },
    /// The TX buffer has no room for this packet now, because QoS 1 messages in flight (or the
    /// in-flight limit) hold it. Poll the client so PUBACKs free space, then retry. Not fatal.
    InFlightFull,
    /// The packet can never fit in the TX buffer: it needs `needed` bytes plus the space that
    /// subscriptions take. Not fatal.
    BufferTooSmall {
        /// The size of the packet.
        needed: usize,
    },
    /// A topic name or filter is not valid. Not fatal.
    InvalidTopic(TopicError),
    /// A field could not be encoded, such as a client id containing U+0000. Not fatal.
    Encode(EncodeError),
    /// QoS 2 was requested; the client publishes and subscribes with QoS 0 and 1. Not fatal.
    UnsupportedQoS,
    /// Too many SUBSCRIBE or UNSUBSCRIBE requests are waiting for their acknowledgement. Poll the
    /// client, then retry. Not fatal.
    TooManyPending,
}

/// How the broker broke the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ProtocolError {
    /// A malformed packet.
    Malformed(DecodeError),
    /// A well-formed packet that the broker may not send now: anything before CONNACK, a second
    /// CONNACK, a packet only clients send, or a QoS 2 flow the client never started.
    UnexpectedPacket(PacketType),
    /// An acknowledgement for a packet identifier that is not waiting for one.
    UnknownPacketId {
        /// The acknowledgement's type.
        packet_type: PacketType,
        /// Its packet identifier.
        packet_id: PacketId,
    },
    /// A SUBACK whose number of return codes differs from the number of filters subscribed.
    SubAckCountMismatch,
    /// A PUBLISH with QoS 2, which the client never subscribes to.
    UnexpectedQoS2,
}

impl Error {
    /// Whether the connection is gone (see the [type documentation](Error)).
    pub const fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Transport(_)
                | Error::ConnectionClosed
                | Error::ConnectionRefused(_)
                | Error::ConnAckTimeout
                | Error::KeepAliveTimeout
                | Error::Protocol(_)
                | Error::NotConnected
        )
    }

    pub(crate) fn transport<E: embedded_io_async::Error>(e: E) -> Self {
        Error::Transport(e.kind())
    }
}

impl From<TopicError> for Error {
    fn from(e: TopicError) -> Self {
        Error::InvalidTopic(e)
    }
}

/// A malformed packet from the broker.
impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Protocol(ProtocolError::Malformed(e))
    }
}

impl From<DecodeError> for ProtocolError {
    fn from(e: DecodeError) -> Self {
        ProtocolError::Malformed(e)
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::BufferTooSmall { needed } => Error::BufferTooSmall { needed },
            e => Error::Encode(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(kind) => write!(f, "transport error: {kind:?}"),
            Error::ConnectionClosed => f.write_str("the connection was closed by the peer"),
            Error::ConnectionRefused(code) => write!(f, "connection refused: {code}"),
            Error::ConnAckTimeout => f.write_str("no CONNACK within the response timeout"),
            Error::KeepAliveTimeout => f.write_str("keep alive timed out: the connection is dead"),
            Error::Protocol(e) => write!(f, "protocol violation by the broker: {e}"),
            Error::NotConnected => f.write_str("not connected"),
            Error::PacketTooLarge { len } => {
                write!(
                    f,
                    "skipped a packet of {len} bytes: larger than the RX buffer"
                )
            }
            Error::InFlightFull => f.write_str("no room in the TX buffer until PUBACKs arrive"),
            Error::BufferTooSmall { needed } => {
                write!(f, "a packet of {needed} bytes cannot fit in the TX buffer")
            }
            Error::InvalidTopic(e) => write!(f, "invalid topic: {e}"),
            Error::Encode(e) => write!(f, "cannot encode: {e}"),
            Error::UnsupportedQoS => f.write_str("QoS 2 is not supported by the client"),
            Error::TooManyPending => f.write_str("too many SUBSCRIBE/UNSUBSCRIBE awaiting acks"),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Malformed(e) => write!(f, "malformed packet: {e}"),
            ProtocolError::UnexpectedPacket(t) => write!(f, "unexpected {t:?}"),
            ProtocolError::UnknownPacketId {
                packet_type,
                packet_id,
            } => {
                write!(f, "{packet_type:?} for unknown packet id {packet_id}")
            }
            ProtocolError::SubAckCountMismatch => f.write_str("SUBACK return code count mismatch"),
            ProtocolError::UnexpectedQoS2 => f.write_str("PUBLISH with QoS 2"),
        }
    }
}

impl core::error::Error for Error {}
impl core::error::Error for ProtocolError {}
