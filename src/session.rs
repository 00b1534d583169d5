//! The sans-I/O protocol core: packet identifiers, QoS 1 messages in flight, subscriptions,
//! keep alive deadlines, and what every received packet means.
//!
//! [`Session`] does no I/O and reads no clock: bytes and the current time go in, bytes to send and
//! events come out. The async [`Client`](crate::Client) is a thin loop around it; another driver
//! (blocking, RTIC, a test) can use it the same way:
//!
//! 1. Send [`Session::transmit_data`] and report the bytes written with
//!    [`Session::transmitted`]; repeat until it returns `None`.
//! 2. Call [`Session::process`]. When it returns `true`, [`Session::event`] is the next event;
//!    the packet behind it is released on the next call to `process`.
//! 3. Otherwise read from the network into [`Session::receive_buffer`], report the count with
//!    [`Session::received`], and go to 1. When [`Session::poll_timeout`] passes first, call
//!    [`Session::handle_timeout`].
//!
//! Here the "network" is two byte vectors, so every byte on the wire can be checked:
//!
//! ```
//! use embassy_time::Instant;
//! use picomqtt::{ConnectOptions, Event, QoS, Session};
//!
//! /// Step 1: everything the session wants to send.
//! fn sent(session: &mut Session<'_>, now: Instant) -> Vec<u8> {
//!     let mut wire = Vec::new();
//!     while let Some(data) = session.transmit_data() {
//!         wire.extend_from_slice(data);
//!         let n = data.len();
//!         session.transmitted(n, now);
//!     }
//!     wire
//! }
//!
//! /// Step 3: bytes arrive from the broker.
//! fn receive(session: &mut Session<'_>, bytes: &[u8]) {
//!     session.receive_buffer()[..bytes.len()].copy_from_slice(bytes);
//!     session.received(bytes.len());
//! }
//!
//! let now = Instant::from_ticks(0);
//! let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
//! let mut session = Session::new(&mut rx, &mut tx);
//!
//! session.connect(&ConnectOptions::new("dev"), now)?;
//! assert_eq!(sent(&mut session, now), b"\x10\x0f\0\x04MQTT\x04\x02\0\x3c\0\x03dev");
//! receive(&mut session, b"\x20\x02\0\0"); // CONNACK: accepted
//! assert!(!session.process()?); // connected; no event
//! assert!(session.is_connected());
//!
//! let id = session.subscribe(&[("dev/+", QoS::AtLeastOnce)])?;
//! assert_eq!(sent(&mut session, now), b"\x82\x0a\0\x01\0\x05dev/+\x01");
//! receive(&mut session, b"\x90\x03\0\x01\x01"); // SUBACK: QoS 1 granted
//! assert!(session.process()?);
//! assert!(matches!(session.event(), Some(Event::Subscribed(ack)) if ack.packet_id == id));
//!
//! // A QoS 1 message, packet identifier 5: delivered, with the subscription it matched...
//! receive(&mut session, b"\x32\x0b\0\x05dev/a\0\x05on");
//! assert!(session.process()?);
//! let Some(Event::Message(message)) = session.event() else { panic!() };
//! assert_eq!((message.topic, message.payload), ("dev/a", &b"on"[..]));
//! assert_eq!(message.subscription(), Some("dev/+"));
//! // ...and acknowledged once the application had it.
//! assert!(!session.process()?);
//! assert_eq!(sent(&mut session, now), b"\x40\x02\0\x05");
//! # Ok::<(), picomqtt::Error>(())
//! ```
//!
//! # Memory
//!
//! The session borrows two caller buffers and allocates nothing:
//!
//! * **RX** holds received bytes. It must fit the largest packet you want to receive: a PUBLISH
//!   takes 5 + 2 + topic + 2 + payload bytes. A larger packet is skipped and reported as
//!   [`Error::PacketTooLarge`]; the stream stays in sync.
//! * **TX** holds, from its start, every QoS 1 PUBLISH sent but not yet acknowledged (its
//!   encoded size, kept for resending after a reconnect) and the packet being sent now, and at
//!   its end the topic filters you subscribed to (3 bytes + filter each). When a QoS 1 message
//!   does not fit beside the ones in flight, publishing returns [`Error::InFlightFull`]; a
//!   packet larger than the buffer minus the filters gives [`Error::BufferTooSmall`]. A TX
//!   buffer is used up to 268,435,460 bytes, the largest packet MQTT can encode.

use embassy_time::{Duration, Instant};

use crate::error::{Error, ProtocolError};
use crate::packet::{
    self, ConnAck, Connect, ConnectReturnCode, EncodeError, FixedHeader, PacketId, PacketType, QoS,
    SubAck, Will,
};
use crate::topic::{TopicFilter, TopicName};

/// How many SUBSCRIBE and UNSUBSCRIBE requests may wait for their acknowledgement at once.
pub const MAX_PENDING_REQUESTS: usize = 4;

/// The bytes a subscription record adds to its filter: a two-byte length in front, the QoS byte
/// after. That is the wire format of a SUBSCRIBE payload, so resubscribing copies the records.
const RECORD_OVERHEAD: usize = 3;
/// The DUP flag in the first byte of a PUBLISH.
const DUP: u8 = 0b1000;

/// How and where to connect: the fields of CONNECT plus the client's response timeout.
///
/// ```
/// use picomqtt::{ConnectOptions, QoS, TopicName};
/// use picomqtt::packet::Will;
/// use embassy_time::Duration;
///
/// let options = ConnectOptions {
///     keep_alive: 30,
///     clean_session: false,
///     will: Some(Will {
///         topic: TopicName::new("nightlight-1/status")?,
///         payload: b"offline",
///         qos: QoS::AtLeastOnce,
///         retain: true,
///     }),
///     response_timeout: Duration::from_secs(5),
///     ..ConnectOptions::new("nightlight-1")
/// };
/// # Ok::<(), picomqtt::TopicError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnectOptions<'a> {
    /// The client identifier. It may be empty only with `clean_session` [MQTT-3.1.3-7].
    pub client_id: &'a str,
    /// Discard any earlier session, here and at the broker [MQTT-3.1.2-6]. Default `true`.
    pub clean_session: bool,
    /// Keep alive interval in seconds; 0 turns keep alive off. Default 60.
    pub keep_alive: u16,
    /// The message the broker publishes if the connection closes without DISCONNECT.
    pub will: Option<Will<'a>>,
    /// User name for the broker, if it asks for one.
    pub username: Option<&'a str>,
    /// Password; needs a user name [MQTT-3.1.2-22].
    pub password: Option<&'a [u8]>,
    /// How long to wait for CONNACK, for PINGRESP after a PINGREQ, and for the transport to
    /// accept bytes, before the connection is declared dead. Default 10 s.
    pub response_timeout: Duration,
}

impl<'a> ConnectOptions<'a> {
    /// Options with the given client id and defaults for the rest: clean session, keep alive
    /// 60 s, no will, no credentials, 10 s response timeout.
    pub const fn new(client_id: &'a str) -> Self {
        ConnectOptions {
            client_id,
            clean_session: true,
            keep_alive: 60,
            will: None,
            username: None,
            password: None,
            response_timeout: Duration::from_secs(10),
        }
    }
}

/// A received application message. Topic and payload borrow the RX buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The topic it was published to.
    pub topic: &'a str,
    /// The payload.
    pub payload: &'a [u8],
    /// The QoS it was delivered with (0 or 1).
    pub qos: QoS,
    /// Whether it is a retained message sent because of a new subscription [MQTT-3.3.1-9].
    pub retain: bool,
    /// Whether the broker marked it as a possible re-delivery.
    pub dup: bool,
    /// The session's subscription records, for [`Message::subscription`].
    records: &'a [u8],
}

impl<'a> Message<'a> {
    /// A message as the client would deliver it, for testing your own message handling; it
    /// matches no subscription.
    pub const fn new(topic: &'a str, payload: &'a [u8], qos: QoS, retain: bool, dup: bool) -> Self {
        Message {
            topic,
            payload,
            qos,
            retain,
            dup,
            records: &[],
        }
    }

    /// The first of the session's subscription filters that matches the topic, if any: which
    /// subscription brought this message. Computed on demand, so routing costs no flash in
    /// programs that do not ask.
    pub fn subscription(&self) -> Option<&'a str> {
        let topic = TopicName::new_unchecked(self.topic);
        Subscriptions(self.records)
            .map(|(filter, _)| filter)
            .find(|filter| TopicFilter::new_unchecked(filter).matches(topic))
    }

    /// Whether the message's topic matches `filter` (section 4.7).
    pub fn matches(&self, filter: TopicFilter<'_>) -> bool {
        filter.matches(TopicName::new_unchecked(self.topic))
    }
}

impl core::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Message")
            .field("topic", &self.topic)
            .field("payload", &self.payload)
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .field("dup", &self.dup)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Message<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Message {{ topic: {=str}, payload: {=[u8]}, qos: {}, retain: {=bool}, dup: {=bool} }}",
            self.topic,
            self.payload,
            self.qos,
            self.retain,
            self.dup
        )
    }
}

/// Something the broker told the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// An application message on a subscribed topic. A QoS 1 message is acknowledged (PUBACK)
    /// on the next call to the client, after you handled it.
    Message(Message<'a>),
    /// The broker acknowledged (PUBACK) the QoS 1 PUBLISH with this packet identifier.
    Published(PacketId),
    /// The broker answered a SUBSCRIBE: one return code per filter, granted QoS or failure.
    Subscribed(SubAck<'a>),
    /// The broker acknowledged the UNSUBSCRIBE with this packet identifier.
    Unsubscribed(PacketId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not connected: before the first connect, or after DISCONNECT or a fatal error.
    Idle,
    /// CONNECT queued or sent; only a CONNACK may come now.
    Connecting { deadline: Instant },
    /// CONNACK accepted.
    Connected,
    /// The CONNACK refused the connection; [`Session::process`] reports it and goes to `Idle`.
    Refused(ConnectReturnCode),
}

const _: () = assert!(size_of::<Result<bool, ProtocolError>>() <= 4);

/// The event behind the packet that [`Session::process`] accepted, as offsets into the packet,
/// so that [`Session::event`] can borrow from the RX buffer without decoding again.
#[derive(Debug, Clone, Copy)]
enum Ready {
    Message {
        /// Where the topic's length prefix starts: the size of the fixed header.
        body: usize,
        topic_len: usize,
    },
    Published(PacketId),
    /// The packet identifier and the size of the fixed header.
    Subscribed(PacketId, usize),
    Unsubscribed(PacketId),
}

const FIRST_PACKET_ID: PacketId = match PacketId::new(1) {
    Some(id) => id,
    None => panic!(),
};

/// The state of one MQTT session; see the [module documentation](self).
///
/// Subscriptions and QoS 1 messages in flight outlive connections: make the session once, then
/// connect, lose the connection and connect again with the same session.
pub struct Session<'b> {
    rx: &'b mut [u8],
    /// `rx[rx_start..rx_end]` is received and not yet processed.
    rx_start: usize,
    rx_end: usize,
    /// The size of the packet behind the current event, released by the next `process`; 0
    /// when there is no event.
    rx_ready: usize,
    /// What the packet behind the current event is; meaningless while `rx_ready` is 0.
    ready: Ready,
    /// Bytes of an oversized packet still to be discarded from the stream.
    rx_skip: usize,

    tx: &'b mut [u8],
    /// `tx[..store_len]` holds the QoS 1 PUBLISH packets in flight.
    store_len: usize,
    /// `tx[records..]` holds the subscription records, at the end of the buffer.
    records: usize,
    /// `tx[out_start..out_end]` is the rest of the packet being sent.
    out_start: usize,
    out_end: usize,
    /// After a CONNACK: the store offset from which to look for in-flight PUBLISHes to resend.
    resend: Option<usize>,
    /// Bytes were written that the transport has not been asked to flush.
    unflushed: bool,

    state: State,
    session_present: bool,
    last_packet_id: u16,
    /// SUBSCRIBE (with its number of filters) and UNSUBSCRIBE (0) waiting for their answer.
    requests: [Option<(PacketId, usize)>; MAX_PENDING_REQUESTS],
    in_flight: usize,
    max_in_flight: usize,
    keep_alive: Duration,
    response_timeout: Duration,
    last_sent: Instant,
    ping_deadline: Option<Instant>,
}

impl<'b> Session<'b> {
    /// A new, empty session over the caller's receive and transmit buffers.
    ///
    /// See the [module documentation](self#memory) for how to size them.
    pub fn new(rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        // No packet is larger than this, and so every packet that passes `check_space` has a
        // remaining length MQTT can encode: the encoders need not check it again.
        let max = 5 + packet::MAX_REMAINING_LENGTH;
        let tx = if tx.len() > max {
            tx.get_mut(..max).unwrap_or_default()
        } else {
            tx
        };
        let records = tx.len();
        Session {
            rx,
            rx_start: 0,
            rx_end: 0,
            rx_ready: 0,
            ready: Ready::Published(FIRST_PACKET_ID),
            rx_skip: 0,
            tx,
            store_len: 0,
            records,
            out_start: 0,
            out_end: 0,
            resend: None,
            unflushed: false,
            state: State::Idle,
            session_present: false,
            last_packet_id: 0,
            requests: [None; MAX_PENDING_REQUESTS],
            in_flight: 0,
            max_in_flight: usize::MAX,
            keep_alive: Duration::from_ticks(0),
            response_timeout: Duration::from_ticks(0),
            last_sent: Instant::from_ticks(0),
            ping_deadline: None,
        }
    }

    /// Limits how many QoS 1 messages may wait for PUBACK at once (default: as many as fit in
    /// the TX buffer). Publishing QoS 1 past the limit returns [`Error::InFlightFull`].
    pub fn set_max_in_flight(&mut self, max: usize) {
        self.max_in_flight = max;
    }

    /// Whether a CONNACK accepted the connection and no fatal error happened since.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The session-present flag of the last CONNACK: `true` when the broker resumed a stored
    /// session, subscriptions included; `false` when the subscriptions must be made again, which
    /// [`Session::resubscribe`] does.
    pub fn session_present(&self) -> bool {
        self.session_present
    }

    /// How many QoS 1 messages wait for their PUBACK.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The response timeout of the current connection, from its [`ConnectOptions`]; zero
    /// before the first [`Session::connect`].
    pub fn response_timeout(&self) -> Duration {
        self.response_timeout
    }

    // ----- connection --------------------------------------------------------------------------

    /// Starts a new connection: queues CONNECT, to be sent before anything else.
    ///
    /// Forgets everything about the previous connection (bytes half sent or received, requests
    /// waiting for acknowledgements). With `clean_session`, also discards the QoS 1 messages in
    /// flight [MQTT-3.1.2-6]; without it they are resent after the CONNACK with DUP set
    /// [MQTT-4.4.0-1]. Subscription records are kept either way: they are what
    /// [`Session::resubscribe`] sends.
    // Out of line, like the two record helpers below: inlined into the client's state machine
    // they cost more flash than the call (`ci/size/measure.py`: -96 B for the three).
    #[inline(never)]
    pub fn connect(&mut self, options: &ConnectOptions<'_>, now: Instant) -> Result<(), Error> {
        let connect = Connect {
            clean_session: options.clean_session,
            keep_alive: options.keep_alive,
            client_id: options.client_id,
            will: options.will,
            username: options.username,
            password: options.password,
        };
        // Check that CONNECT can be encoded before changing any state.
        let remaining = connect.remaining_len()?;
        // Its fields are at most 65,535 bytes each, so CONNECT is far below the largest
        // remaining length.
        let needed = packet::fixed_header_len(remaining) + remaining;
        if options.clean_session {
            self.discard_in_flight();
        }
        self.reset_connection();
        self.check_space(needed)?;
        let start = self.store_len;
        let dst = self
            .tx
            .get_mut(start..start + needed)
            .ok_or(Error::InFlightFull)?;
        connect.write(packet::Writer::head(dst, PacketType::Connect, 0, remaining));
        self.queue_output(needed);
        self.keep_alive = seconds(options.keep_alive);
        self.response_timeout = options.response_timeout;
        self.state = State::Connecting {
            deadline: now.saturating_add(self.response_timeout),
        };
        Ok(())
    }

    /// Queues DISCONNECT and leaves the connected state; the session is kept for later.
    pub fn disconnect(&mut self) -> Result<(), Error> {
        self.ensure_ready_to_send()?;
        self.queue_bytes(&[(PacketType::Disconnect as u8) << 4, 0])?;
        self.state = State::Idle;
        Ok(())
    }

    /// Records that the network connection is gone (a fatal error, or the transport was
    /// dropped). The session is kept for the next [`Session::connect`].
    pub fn close(&mut self) {
        self.state = State::Idle;
    }

    fn reset_connection(&mut self) {
        self.rx_start = 0;
        self.rx_end = 0;
        self.rx_ready = 0;
        self.rx_skip = 0;
        self.out_start = self.store_len;
        self.out_end = self.store_len;
        self.resend = None;
        self.unflushed = false;
        self.requests = [None; MAX_PENDING_REQUESTS];
        self.ping_deadline = None;
        self.session_present = false;
    }

    fn discard_in_flight(&mut self) {
        self.store_len = 0;
        self.in_flight = 0;
    }

    /// Closes the connection state because of a fatal error.
    fn fail(&mut self, error: Error) -> Error {
        warn!("closing the connection: {:?}", error);
        self.state = State::Idle;
        error
    }

    // ----- sending -----------------------------------------------------------------------------

    /// The bytes to send next, if any: the rest of the current packet, or after a CONNACK that
    /// continues a session, the next QoS 1 message to resend with DUP set.
    pub fn transmit_data(&mut self) -> Option<&[u8]> {
        if self.out_start >= self.out_end {
            self.next_resend();
        }
        if self.out_start < self.out_end {
            self.tx.get(self.out_start..self.out_end)
        } else {
            None
        }
    }

    /// Reports that the first `n` bytes of [`Session::transmit_data`] were written at `now`.
    pub fn transmitted(&mut self, n: usize, now: Instant) {
        let n = n.min(self.out_end.saturating_sub(self.out_start));
        if n == 0 {
            return;
        }
        self.out_start += n;
        self.unflushed = true;
        if self.out_start == self.out_end {
            // A whole packet went out: keep alive counts from here [MQTT-3.1.2-23].
            self.last_sent = now;
            self.out_start = self.store_len;
            self.out_end = self.store_len;
        }
    }

    /// Whether bytes were written since the transport was last flushed.
    pub fn needs_flush(&self) -> bool {
        self.unflushed
    }

    /// Reports that the transport was flushed.
    pub fn flushed(&mut self) {
        self.unflushed = false;
    }

    /// Queues the next in-flight PUBLISH of a resend sweep.
    fn next_resend(&mut self) {
        let Some(at) = self.resend.take() else {
            return;
        };
        let (len, _) = self.stored(at);
        if len > 0
            && let Some(first) = self.tx.get_mut(at)
        {
            // Re-delivery of a QoS 1 PUBLISH: DUP=1, same packet identifier [MQTT-3.3.1-1],
            // [MQTT-4.4.0-1].
            *first |= DUP;
            self.resend = Some(at + len);
            self.out_start = at;
            self.out_end = at + len;
        }
    }

    /// Whether bytes wait to be sent: call [`Session::transmit_data`].
    pub fn output_pending(&self) -> bool {
        self.out_start < self.out_end || self.resend.is_some()
    }

    /// Every request needs a connection and no packet half-way out: drivers send
    /// [`Session::transmit_data`] before anything else.
    fn ensure_ready_to_send(&self) -> Result<(), Error> {
        if self.state != State::Connected {
            Err(Error::NotConnected)
        } else if self.output_pending() {
            Err(Error::InFlightFull)
        } else {
            Ok(())
        }
    }

    /// Queues a packet that is a few fixed bytes.
    fn queue_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.check_space(bytes.len())?;
        let start = self.store_len;
        let dst = self
            .tx
            .get_mut(start..start + bytes.len())
            .ok_or(Error::InFlightFull)?;
        dst.copy_from_slice(bytes);
        self.queue_output(bytes.len());
        Ok(())
    }

    /// Whether `needed` more bytes fit after the store.
    fn check_space(&self, needed: usize) -> Result<(), Error> {
        // Every addition to the store or the records is checked here first, so the store never
        // reaches into the records and the difference does not wrap. (`wrapping_sub` rather
        // than `saturating_sub`, which costs 56 B inlined at the callers.)
        if needed <= self.records.wrapping_sub(self.store_len) {
            Ok(())
        } else if needed > self.records {
            Err(Error::BufferTooSmall { needed })
        } else {
            Err(Error::InFlightFull)
        }
    }

    fn queue_output(&mut self, len: usize) {
        self.out_start = self.store_len;
        self.out_end = self.store_len + len;
    }

    fn allocate_packet_id(&mut self) -> PacketId {
        // Skip identifiers still in use [MQTT-2.3.1-2]. Far fewer than 65,535 can be in use,
        // so this ends after a few steps.
        for _ in 0..=u16::MAX {
            // The last identifier given out is kept; 0 is never one [MQTT-2.3.1-1].
            self.last_packet_id = self.last_packet_id.wrapping_add(1);
            if let Some(id) = PacketId::new(self.last_packet_id)
                && !self.packet_id_in_use(id)
            {
                return id;
            }
        }
        FIRST_PACKET_ID
    }

    fn packet_id_in_use(&self, id: PacketId) -> bool {
        self.requests.iter().flatten().any(|(pid, _)| *pid == id) || self.find_publish(id).1 > 0
    }

    /// Queues a PUBLISH of `payload` to `topic`.
    ///
    /// A QoS 1 message stays in the TX buffer until its PUBACK, is resent after a reconnect that
    /// continues the session, and its packet identifier is returned.
    pub fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Result<Option<PacketId>, Error> {
        let topic = TopicName::new(topic)?;
        self.check_publish(qos)?;
        let remaining = publish_remaining(topic, qos, payload.len());
        let len = packet::fixed_header_len(remaining).saturating_add(remaining);
        self.check_space(len)?;
        let packet_id = self.publish_id(qos);
        let start = self.store_len;
        let dst = self
            .tx
            .get_mut(start..start + len)
            .ok_or(Error::InFlightFull)?;
        let (head_dst, payload_dst) = dst
            .split_at_mut_checked(len - payload.len())
            .ok_or(Error::InFlightFull)?;
        write_publish_head(head_dst, topic, qos, retain, packet_id, remaining);
        payload_dst.copy_from_slice(payload);
        self.queue_publish(qos, len);
        Ok(packet_id)
    }

    /// Queues a PUBLISH whose payload `write` produces in place, into the slice it is given.
    ///
    /// With `len: Some(n)` the slice is exactly `n` bytes; with `None` it is all the free space
    /// and `write` returns how much it used. `write` returns `None` when the payload does not
    /// fit, which gives [`Error::InFlightFull`] or [`Error::BufferTooSmall`]. This is how
    /// JSON is serialised straight into the TX buffer.
    ///
    /// ```
    /// # use embassy_time::Instant;
    /// # use picomqtt::{ConnectOptions, QoS, Session};
    /// # let now = Instant::from_ticks(0);
    /// # let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    /// # let mut session = Session::new(&mut rx, &mut tx);
    /// # session.connect(&ConnectOptions::new("dev"), now)?;
    /// # while let Some(data) = session.transmit_data() {
    /// #     let n = data.len();
    /// #     session.transmitted(n, now);
    /// # }
    /// # session.receive_buffer()[..4].copy_from_slice(b"\x20\x02\0\0");
    /// # session.received(4);
    /// # session.process()?;
    /// // A reading written digit by digit into the TX buffer, with no buffer of its own.
    /// let mut light: u16 = 412;
    /// session.publish_with("dev/light", QoS::AtMostOnce, false, None, |area| {
    ///     let digits = 1 + light.checked_ilog10().unwrap_or(0) as usize;
    ///     let area = area.get_mut(..digits)?;
    ///     for byte in area.iter_mut().rev() {
    ///         *byte = b'0' + (light % 10) as u8;
    ///         light /= 10;
    ///     }
    ///     Some(digits)
    /// })?;
    /// assert_eq!(session.transmit_data(), Some(&b"\x30\x0e\0\x09dev/light412"[..]));
    /// # Ok::<(), picomqtt::Error>(())
    /// ```
    pub fn publish_with(
        &mut self,
        topic: &str,
        qos: QoS,
        retain: bool,
        len: Option<usize>,
        write: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<PacketId>, Error> {
        let topic = TopicName::new(topic)?;
        let (offset, area) = self.begin_publish(topic, qos, len)?;
        let area_len = area.len();
        match write(area) {
            Some(n) if n <= area_len => self.commit_publish(topic, qos, retain, offset, n),
            _ => Err(self.no_room_for_payload(topic, qos, area_len)),
        }
    }

    fn no_room_for_payload(&self, topic: TopicName<'_>, qos: QoS, area: usize) -> Error {
        // The payload was larger than the free space; tell whether it could ever fit.
        let needed = payload_offset(topic, qos, area + 1) + area + 1;
        self.check_space(needed)
            .err()
            .unwrap_or(Error::InFlightFull)
    }

    /// Reserves room for a PUBLISH and returns the payload area and its offset from the end of
    /// the store.
    fn begin_publish(
        &mut self,
        topic: TopicName<'_>,
        qos: QoS,
        len: Option<usize>,
    ) -> Result<(usize, &mut [u8]), Error> {
        self.check_publish(qos)?;
        let free = self.records.saturating_sub(self.store_len);
        let (offset, area) = match len {
            Some(n) => {
                let offset = payload_offset(topic, qos, n);
                self.check_space(offset.saturating_add(n))?;
                (offset, n)
            }
            None => {
                // Size the header for the largest payload that could fit.
                let offset = payload_offset(topic, qos, free);
                (offset, free.saturating_sub(offset))
            }
        };
        let start = self.store_len + offset;
        let area = self
            .tx
            .get_mut(start..start + area)
            .ok_or(Error::InFlightFull)?;
        Ok((offset, area))
    }

    /// Writes the header in front of the payload that `begin_publish` placed `offset` bytes
    /// after the store, and queues it.
    fn commit_publish(
        &mut self,
        topic: TopicName<'_>,
        qos: QoS,
        retain: bool,
        offset: usize,
        payload_len: usize,
    ) -> Result<Option<PacketId>, Error> {
        let packet_id = self.publish_id(qos);
        let remaining = publish_remaining(topic, qos, payload_len);
        let len = packet::fixed_header_len(remaining) + remaining;
        let payload_start = self.store_len + offset;
        // The header goes right in front of the payload; it is never longer than the reserved
        // space, because the reservation was sized for a payload at least this long.
        let start = (payload_start + payload_len)
            .checked_sub(len)
            .ok_or(Error::InFlightFull)?;
        let head_dst = self
            .tx
            .get_mut(start..payload_start)
            .ok_or(Error::InFlightFull)?;
        write_publish_head(head_dst, topic, qos, retain, packet_id, remaining);
        if start != self.store_len {
            shift_left(self.tx, start, self.store_len, len);
        }
        self.queue_publish(qos, len);
        Ok(packet_id)
    }

    /// Whether a PUBLISH with `qos` may be queued now.
    fn check_publish(&self, qos: QoS) -> Result<(), Error> {
        self.ensure_ready_to_send()?;
        if qos == QoS::ExactlyOnce {
            Err(Error::UnsupportedQoS)
        } else if qos == QoS::AtLeastOnce && self.in_flight >= self.max_in_flight {
            Err(Error::InFlightFull)
        } else {
            Ok(())
        }
    }

    /// A fresh packet identifier for QoS 1, none for QoS 0.
    fn publish_id(&mut self, qos: QoS) -> Option<PacketId> {
        (qos != QoS::AtMostOnce).then(|| self.allocate_packet_id())
    }

    /// Queues the PUBLISH of `len` bytes written at the end of the store.
    fn queue_publish(&mut self, qos: QoS, len: usize) {
        if qos == QoS::AtLeastOnce {
            // The packet becomes a record of the store and is sent from there.
            self.out_start = self.store_len;
            self.store_len += len;
            self.out_end = self.store_len;
            self.in_flight += 1;
        } else {
            self.queue_output(len);
        }
    }

    /// Queues a SUBSCRIBE for `filters`, each with the maximum QoS to receive (0 or 1), and
    /// records them for routing ([`Message::subscription`]) and for [`Session::resubscribe`].
    ///
    /// The answer arrives as [`Event::Subscribed`] with the same packet identifier.
    pub fn subscribe(&mut self, filters: &[(&str, QoS)]) -> Result<PacketId, Error> {
        self.request(Filters::Subscribe(filters))?
            .ok_or(Error::Encode(EncodeError::NoTopicFilters))
    }

    /// Queues one SUBSCRIBE for every filter this session has recorded, or returns `None` when
    /// there are none. Call it after connecting when [`Session::session_present`] is `false`:
    /// the broker has no subscriptions for this client then.
    pub fn resubscribe(&mut self) -> Result<Option<PacketId>, Error> {
        self.request(Filters::Recorded)
    }

    /// Queues an UNSUBSCRIBE for `filters` and forgets them. The answer arrives as
    /// [`Event::Unsubscribed`] with the same packet identifier.
    pub fn unsubscribe(&mut self, filters: &[&str]) -> Result<PacketId, Error> {
        self.ensure_ready_to_send()?;
        let mut payload = 0;
        for filter in filters {
            crate::topic::check_filter(filter.as_bytes())?;
            payload += 2 + filter.len();
        }
        if filters.is_empty() {
            return Err(Error::Encode(EncodeError::NoTopicFilters));
        }
        // A count of 0 marks the request as an UNSUBSCRIBE.
        let id = self.queue_request(PacketType::Unsubscribe, payload, 0, 0, |w, _| {
            for filter in filters {
                w.put_binary(filter.as_bytes());
            }
        })?;
        for filter in filters {
            let (at, len) = self.find_subscription(filter.as_bytes());
            if len > 0 {
                self.remove_subscription(at, len);
            }
        }
        Ok(id)
    }

    /// Queues a SUBSCRIBE of `filters` and records them, or of every recorded filter for
    /// [`Filters::Recorded`]; `None` when there are none. UNSUBSCRIBE has a path of its own,
    /// [`Session::unsubscribe`], so that programs that never unsubscribe do not link it.
    pub(crate) fn request(&mut self, filters: Filters<'_>) -> Result<Option<PacketId>, Error> {
        self.ensure_ready_to_send()?;
        let list = match filters {
            Filters::Subscribe(list) => list,
            Filters::Recorded => &[],
        };
        // Check every filter and size the packet and the records it adds before changing
        // anything.
        let (mut payload, mut record_bytes) = (0, 0);
        for &(filter, qos) in list {
            let filter = filter.as_bytes();
            crate::topic::check_filter(filter)?;
            if qos == QoS::ExactlyOnce {
                return Err(Error::UnsupportedQoS);
            }
            payload += RECORD_OVERHEAD + filter.len();
            if self.find_subscription(filter).1 == 0 {
                record_bytes += RECORD_OVERHEAD + filter.len();
            }
        }
        let mut count = list.len();
        if let Filters::Recorded = filters {
            // The records are a SUBSCRIBE payload already.
            payload = self.tx.len() - self.records;
            let mut records = Subscriptions(self.records());
            while records.next_record().is_some() {
                count += 1;
            }
        }
        if count == 0 {
            return Ok(None);
        }
        let id = self.queue_request(
            PacketType::Subscribe,
            payload,
            record_bytes,
            count,
            |w, records| {
                if let Filters::Recorded = filters {
                    w.put_bytes(records);
                }
                for &(filter, qos) in list {
                    w.put_binary(filter.as_bytes());
                    w.put_u8(qos as u8);
                }
            },
        )?;
        for &(filter, qos) in list {
            self.record_subscription(filter.as_bytes(), qos);
        }
        Ok(Some(id))
    }

    /// Queues a SUBSCRIBE or UNSUBSCRIBE whose `payload` bytes after the packet identifier
    /// `write` puts, given the records, and which `count` filters the answer must match. `extra`
    /// more bytes must stay free, for the records a SUBSCRIBE adds.
    fn queue_request(
        &mut self,
        packet_type: PacketType,
        payload: usize,
        extra: usize,
        count: usize,
        write: impl FnOnce(&mut packet::Writer<'_>, &[u8]),
    ) -> Result<PacketId, Error> {
        let slot = self.free_request_slot()?;
        let remaining = 2 + payload;
        self.check_space(extra + packet::fixed_header_len(remaining) + remaining)?;
        let packet_id = self.allocate_packet_id();
        let (head, records) = self
            .tx
            .split_at_mut_checked(self.records)
            .ok_or(Error::InFlightFull)?;
        let scratch = head.get_mut(self.store_len..).unwrap_or_default();
        let mut w = packet::Writer::head(scratch, packet_type, 0b0010, remaining);
        w.put_u16(packet_id.get());
        write(&mut w, records);
        let len = w.finish();
        self.queue_output(len);
        self.requests[slot] = Some((packet_id, count));
        Ok(packet_id)
    }

    fn free_request_slot(&self) -> Result<usize, Error> {
        self.requests
            .iter()
            .position(Option::is_none)
            .ok_or(Error::TooManyPending)
    }

    // ----- the store: QoS 1 messages in flight, and the subscription records -----------------

    /// The length and packet identifier of the in-flight PUBLISH at `at`; length 0 if none
    /// starts there.
    fn stored(&self, at: usize) -> (usize, u16) {
        stored(self.tx.get(..self.store_len).unwrap_or_default(), at)
    }

    /// Removes the in-flight PUBLISH of `len` bytes at `at`.
    fn remove_stored(&mut self, at: usize, len: usize) {
        let end = self.store_len;
        if at + len <= end {
            shift_left(self.tx, at + len, at, end - at - len);
            self.store_len -= len;
            self.out_start = self.store_len;
            self.out_end = self.store_len;
        }
    }

    /// The offset and length of the in-flight PUBLISH with packet identifier `id`; length 0 if
    /// there is none.
    ///
    /// This and the other store lookups answer with a pair and a zero length rather than an
    /// `Option`: a pair comes back in two registers, an `Option` of one through memory
    /// (`ci/size/measure.py`: 44 B for `stored`, `find_publish` and `find_subscription`).
    fn find_publish(&self, id: PacketId) -> (usize, usize) {
        let store = self.tx.get(..self.store_len).unwrap_or_default();
        let mut at = 0;
        loop {
            let (len, stored_id) = stored(store, at);
            if len == 0 || stored_id == id.get() {
                return (at, len);
            }
            at += len;
        }
    }

    /// The subscription filters recorded, with their QoS.
    pub fn subscriptions(&self) -> impl Iterator<Item = (&str, QoS)> {
        Subscriptions(self.records())
    }

    /// The subscription records: each filter as in a SUBSCRIBE payload, length, bytes, QoS.
    // A slice of the TX buffer is smaller where it is used than as a call
    // (`ci/size/measure.py`: 24 B).
    #[inline(always)]
    fn records(&self) -> &[u8] {
        self.tx.get(self.records..).unwrap_or_default()
    }

    /// The offset and length of the record of `filter`; length 0 if there is none.
    fn find_subscription(&self, filter: &[u8]) -> (usize, usize) {
        let mut records = Subscriptions(self.records());
        let mut at = self.records;
        while let Some(record) = records.next_record() {
            let len = record.len();
            if record.get(2..len - 1) == Some(filter) {
                return (at, len);
            }
            at += len;
        }
        (at, 0)
    }

    /// Records `filter` after the others (or updates its QoS); the space was checked by the
    /// caller.
    #[inline(never)]
    fn record_subscription(&mut self, filter: &[u8], qos: QoS) {
        let (at, len) = self.find_subscription(filter);
        if len > 0 {
            if let Some(q) = self.tx.get_mut(at + len - 1) {
                *q = qos as u8;
            }
            return;
        }
        let len = RECORD_OVERHEAD + filter.len();
        let (end, records) = (self.tx.len(), self.records);
        let Some(start) = records.checked_sub(len) else {
            return;
        };
        // Move the records down, keeping their order, and put this one last.
        shift_left(self.tx, records, start, end - records);
        if let Some((length, rest)) = self
            .tx
            .get_mut(end - len..)
            .and_then(|r| r.split_first_chunk_mut::<2>())
            && let Some((bytes, last)) = rest.split_at_mut_checked(filter.len())
        {
            *length = (filter.len() as u16).to_be_bytes();
            bytes.copy_from_slice(filter);
            if let Some(q) = last.first_mut() {
                *q = qos as u8;
            }
            self.records = start;
        }
    }

    /// Removes the record of `len` bytes at `at`: the records before it move up.
    #[inline(never)]
    fn remove_subscription(&mut self, at: usize, len: usize) {
        if let Some(region) = self.tx.get_mut(self.records..at + len) {
            let before = region.len() - len;
            // A `Range` for the same reason as in `shift_left`.
            region.copy_within(0..before, len);
            self.records += len;
        }
    }

    // ----- receiving ---------------------------------------------------------------------------

    /// The free space at the end of the RX buffer, to read network bytes into.
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        if self.rx_start > 0 {
            shift_left(self.rx, self.rx_start, 0, self.rx_end - self.rx_start);
            self.rx_end -= self.rx_start;
            self.rx_start = 0;
        }
        self.rx.get_mut(self.rx_end..).unwrap_or_default()
    }

    /// Reports that `n` bytes were read into [`Session::receive_buffer`].
    pub fn received(&mut self, n: usize) {
        self.rx_end = self.rx_end.saturating_add(n).min(self.rx.len());
    }

    /// Processes received bytes until an event is ready (`Ok(true)`) or more bytes are needed
    /// (`Ok(false)`). Acknowledgements are queued as output; send them before calling again.
    ///
    /// The packet behind the previous event is released first. A fatal error closes the
    /// connection state; [`Error::PacketTooLarge`] is not fatal and processing can go on.
    pub fn process(&mut self) -> Result<bool, Error> {
        self.rx_start += self.rx_ready;
        self.rx_ready = 0;
        loop {
            if self.output_pending() {
                return Ok(false);
            }
            let skipped = self.rx_skip.min(self.rx_end - self.rx_start);
            self.rx_start += skipped;
            self.rx_skip -= skipped;
            if self.rx_skip > 0 {
                return Ok(false);
            }
            let data = self.rx.get(self.rx_start..self.rx_end).unwrap_or_default();
            let header = match FixedHeader::parse(data) {
                Ok(Some(header)) => header,
                Ok(None) => return Ok(false),
                Err(e) => return Err(self.fail(e.into())),
            };
            let len = header.packet_len();
            if len > self.rx.len() {
                return self.oversized(&header);
            }
            if data.len() < len {
                return Ok(false);
            }
            let connecting = self.state != State::Connected;
            match self.receive(&header) {
                Ok(true) => {
                    self.rx_ready = len;
                    return Ok(true);
                }
                Ok(false) => self.rx_start += len,
                Err(e) => return Err(self.fail(Error::Protocol(e))),
            }
            if connecting {
                if let State::Refused(code) = self.state {
                    return Err(self.fail(Error::ConnectionRefused(code)));
                }
                // A CONNACK: stop, so the caller learns of the connection before later packets.
                return Ok(false);
            }
        }
    }

    /// Decodes and acts on the packet at `rx_start`; `true` when it is an event, which it
    /// leaves in `ready`.
    ///
    /// It returns a `ProtocolError`, not an `Error`: every failure here is one, and at 4 bytes
    /// `Result<bool, ProtocolError>` comes back in a register, where the 8-byte `Error` goes
    /// through memory at each of the many error sites (`ci/size/measure.py`: about 100 B).
    /// A refused CONNACK is not an error of the broker's: it leaves `State::Refused`.
    fn receive(&mut self, header: &FixedHeader) -> Result<bool, ProtocolError> {
        let start = self.rx_start + header.header_len;
        // All of the packet, or of an oversized one the part that is in.
        let end = self.rx_end.min(self.rx_start + header.packet_len());
        let body = self.rx.get(start..end).unwrap_or_default();
        let mut r = packet::Reader::new(body);
        let ready = match (self.state, header.packet_type) {
            (State::Connecting { .. }, PacketType::ConnAck) => {
                let connack = ConnAck::decode(&mut r)?;
                r.finish()?;
                self.on_connack(connack);
                return Ok(false);
            }
            (State::Connected, PacketType::Publish) => {
                // FixedHeader::parse refused QoS 3 and DUP with QoS 0.
                let flags = header.flags;
                let qos = match (flags >> 1) & 0b11 {
                    0 => QoS::AtMostOnce,
                    1 => QoS::AtLeastOnce,
                    _ => return Err(ProtocolError::UnexpectedQoS2),
                };
                let topic_len = packet::decode_topic_name(r.binary()?)?.as_str().len();
                if qos == QoS::AtLeastOnce {
                    let id = r.packet_id()?;
                    self.queue_puback(id);
                }
                Ready::Message {
                    body: header.header_len,
                    topic_len,
                }
            }
            (
                State::Connected,
                t @ (PacketType::PubAck | PacketType::SubAck | PacketType::UnsubAck),
            ) => {
                // One arm for the three acknowledgements (56 B less than three): a packet
                // identifier, then for a SUBACK one return code per filter of its SUBSCRIBE. A
                // pending UNSUBSCRIBE is recorded with 0 filters, which its UNSUBACK matches.
                let id = r.packet_id()?;
                let mut codes = 0;
                if t == PacketType::SubAck {
                    codes = packet::SubscribeReturnCodes::new(r.rest())?.len();
                }
                r.finish()?;
                if t == PacketType::PubAck {
                    let (at, len) = self.find_publish(id);
                    if len == 0 {
                        return Err(unknown_id(t, id));
                    }
                    self.remove_stored(at, len);
                    // The message was in flight, so the count is at least 1.
                    self.in_flight = self.in_flight.wrapping_sub(1);
                    Ready::Published(id)
                } else {
                    match self.take_request(id) {
                        Some(n) if (n == 0) == (t == PacketType::UnsubAck) => {
                            if n != codes {
                                return Err(ProtocolError::SubAckCountMismatch);
                            }
                            if n == 0 {
                                Ready::Unsubscribed(id)
                            } else {
                                Ready::Subscribed(id, header.header_len)
                            }
                        }
                        _ => return Err(unknown_id(t, id)),
                    }
                }
            }
            (State::Connected, PacketType::PingResp) => {
                r.finish()?;
                self.ping_deadline = None;
                return Ok(false);
            }
            // Nothing but CONNACK may come first [MQTT-3.2.0-1], and only once; nothing while
            // not connected; the packets only clients send never.
            (_, t) => return Err(ProtocolError::UnexpectedPacket(t)),
        };
        self.ready = ready;
        Ok(true)
    }

    fn on_connack(&mut self, connack: ConnAck) {
        if connack.return_code != ConnectReturnCode::Accepted {
            // Reported by `process`, which then leaves the state.
            self.state = State::Refused(connack.return_code);
            return;
        }
        self.state = State::Connected;
        self.session_present = connack.session_present;
        if self.in_flight > 0 {
            debug!("resending {} QoS 1 messages with DUP", self.in_flight);
            self.resend = Some(0);
        }
    }

    /// Takes the pending request with packet identifier `id`: its number of filters, 0 for an
    /// UNSUBSCRIBE.
    fn take_request(&mut self, id: PacketId) -> Option<usize> {
        let slot = self
            .requests
            .iter_mut()
            .find(|r| matches!(r, Some((pid, _)) if *pid == id))?;
        slot.take().map(|(_, n)| n)
    }

    fn queue_puback(&mut self, packet_id: PacketId) {
        // Four bytes always fit: every buffer that could hold the CONNECT has room for them.
        let [hi, lo] = packet_id.get().to_be_bytes();
        let _ = self.queue_bytes(&[(PacketType::PubAck as u8) << 4, 2, hi, lo]);
    }

    /// A packet larger than the RX buffer: skip it. A PUBLISH first goes through `receive` with
    /// the part that fits, like any other: a malformed one closes the connection, and a QoS 1
    /// one is acknowledged if its packet identifier fits, so the broker does not redeliver it
    /// forever.
    fn oversized(&mut self, header: &FixedHeader) -> Result<bool, Error> {
        let len = header.packet_len();
        if header.packet_type == PacketType::Publish {
            // The part that fits: the topic is checked and a QoS 1 PUBLISH acknowledged as
            // usual, unless the topic and packet identifier are longer than the buffer.
            match self.receive(header) {
                Err(ProtocolError::Malformed(packet::DecodeError::UnexpectedEnd)) => {
                    if self.rx_end < self.rx.len() {
                        return Ok(false);
                    }
                    warn!("oversized PUBLISH: topic too long to check or acknowledge");
                }
                Err(e) => return Err(self.fail(Error::Protocol(e))),
                Ok(_) => {}
            }
        }
        warn!(
            "skipping a {:?} of {} bytes: larger than the RX buffer",
            header.packet_type, len
        );
        self.rx_skip = len;
        let skipped = self.rx_skip.min(self.rx_end - self.rx_start);
        self.rx_start += skipped;
        self.rx_skip -= skipped;
        Err(Error::PacketTooLarge { len })
    }

    /// The event that [`Session::process`] found, borrowing the RX buffer.
    pub fn event(&self) -> Option<Event<'_>> {
        if self.rx_ready == 0 {
            return None;
        }
        let packet = self.rx.get(self.rx_start..self.rx_start + self.rx_ready)?;
        Some(match self.ready {
            Ready::Message { body, topic_len } => {
                // DUP, QoS (0 or 1: `receive` refused 2) and RETAIN are read back from the first
                // byte, which is still in the RX buffer, rather than kept in `Ready`.
                let flags = *packet.first()?;
                let qos = if flags & 0b10 != 0 {
                    QoS::AtLeastOnce
                } else {
                    QoS::AtMostOnce
                };
                let (retain, dup) = (flags & 1 != 0, flags & DUP != 0);
                let topic_end = body + 2 + topic_len;
                let id_len = if qos == QoS::AtMostOnce { 0 } else { 2 };
                Event::Message(Message {
                    topic: core::str::from_utf8(packet.get(body + 2..topic_end)?).ok()?,
                    payload: packet.get(topic_end + id_len..)?,
                    qos,
                    retain,
                    dup,
                    records: self.records(),
                })
            }
            Ready::Published(id) => Event::Published(id),
            Ready::Subscribed(packet_id, body) => Event::Subscribed(SubAck {
                packet_id,
                return_codes: packet::SubscribeReturnCodes::new_unchecked(packet.get(body + 2..)?),
            }),
            Ready::Unsubscribed(id) => Event::Unsubscribed(id),
        })
    }

    // ----- time --------------------------------------------------------------------------------

    /// When [`Session::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Idle | State::Refused(_) => None,
            State::Connecting { deadline } => Some(deadline),
            State::Connected => match self.ping_deadline {
                Some(deadline) => Some(deadline),
                None if self.keep_alive.as_ticks() == 0 => None,
                None => Some(self.keep_alive_due()),
            },
        }
    }

    /// When a PINGREQ is due if nothing else is sent before [MQTT-3.1.2-23].
    fn keep_alive_due(&self) -> Instant {
        // A keep alive is at most 65,535 s, so the sum does not wrap for hundreds of years
        // even at a 1 GHz tick rate; `saturating_add` costs more flash at each use.
        Instant::from_ticks(
            self.last_sent
                .as_ticks()
                .wrapping_add(self.keep_alive.as_ticks()),
        )
    }

    /// Acts on the passage of time: queues PINGREQ when nothing was sent for the keep alive
    /// interval [MQTT-3.1.2-23], and fails when CONNACK or PINGRESP is overdue.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Idle | State::Refused(_) => {}
            State::Connecting { deadline } => {
                if now >= deadline {
                    self.state = State::Idle;
                    return Err(Error::ConnAckTimeout);
                }
            }
            State::Connected => match self.ping_deadline {
                Some(deadline) if now >= deadline => {
                    warn!("no PINGRESP in time: the connection is dead");
                    self.state = State::Idle;
                    return Err(Error::KeepAliveTimeout);
                }
                Some(_) => {}
                None => {
                    if self.keep_alive.as_ticks() > 0
                        && now >= self.keep_alive_due()
                        && !self.output_pending()
                    {
                        self.queue_bytes(&[(PacketType::PingReq as u8) << 4, 0])?;
                        self.ping_deadline = Some(now.saturating_add(self.response_timeout));
                    }
                }
            },
        }
        Ok(())
    }
}

/// `secs` seconds in ticks, like `Duration::from_secs`, without a 64-bit multiplication: the
/// Cortex-M0 has none, so that would link `__aeabi_lmul` (74 B) for this one use. The tick
/// rate is taken 16 bits at a time; each piece times a `u16` fits in a `u32`.
fn seconds(secs: u16) -> Duration {
    const HZ: u64 = embassy_time::TICK_HZ;
    const _: () = assert!(HZ < 1 << 48, "tick rate beyond three 16-bit pieces");
    let secs = u32::from(secs);
    let piece = |shift: u32| u64::from(secs * ((HZ >> shift) & 0xFFFF) as u32) << shift;
    Duration::from_ticks(piece(0) + piece(16) + piece(32))
}

fn unknown_id(packet_type: PacketType, packet_id: PacketId) -> ProtocolError {
    ProtocolError::UnknownPacketId {
        packet_type,
        packet_id,
    }
}

/// The offset of the payload in a PUBLISH of `payload_len` bytes: fixed header, topic, and
/// packet identifier.
fn payload_offset(topic: TopicName<'_>, qos: QoS, payload_len: usize) -> usize {
    let variable = publish_remaining(topic, qos, 0);
    packet::fixed_header_len(variable.saturating_add(payload_len)) + variable
}

/// The remaining length of a PUBLISH: topic, packet identifier (QoS 1) and payload.
fn publish_remaining(topic: TopicName<'_>, qos: QoS, payload_len: usize) -> usize {
    let id = if qos == QoS::AtMostOnce { 0 } else { 2 };
    (2 + topic.as_str().len() + id).saturating_add(payload_len)
}

/// Writes the fixed header, topic and packet identifier of a PUBLISH with `remaining` bytes
/// after its fixed header into `dst`, which is exactly as long as they are.
fn write_publish_head(
    dst: &mut [u8],
    topic: TopicName<'_>,
    qos: QoS,
    retain: bool,
    packet_id: Option<PacketId>,
    remaining: usize,
) {
    let flags = ((qos as u8) << 1) | u8::from(retain);
    let mut w = packet::Writer::head(dst, PacketType::Publish, flags, remaining);
    w.put_binary(topic.as_str().as_bytes());
    if let Some(id) = packet_id {
        w.put_u16(id.get());
    }
}

/// Moves `count` bytes at `from` down to `to` (`to <= from`), like `copy_within`, but with the
/// bounds checked by slicing so that no panic path is left in the binary.
fn shift_left(buf: &mut [u8], from: usize, to: usize, count: usize) {
    let Some(distance) = from.checked_sub(to) else {
        return;
    };
    if let Some(region) = buf
        .get_mut(to..)
        .and_then(|r| r.get_mut(..distance + count))
    {
        // A `Range`, not `distance..`: other range types go through `into_slice_range`, which
        // costs 72 B of flash for its overflow checks.
        region.copy_within(distance..region.len(), 0);
    }
}

/// The length and packet identifier of the stored QoS 1 PUBLISH at `at` in `store`; length 0
/// unless a whole one starts there.
fn stored(store: &[u8], at: usize) -> (usize, u16) {
    stored_parts(store, at).unwrap_or_default()
}

#[inline(always)]
fn stored_parts(store: &[u8], at: usize) -> Option<(usize, u16)> {
    let rest = store.get(at..)?;
    let (remaining, n) = packet::read_remaining_length(rest.get(1..)?).ok()??;
    let len = 1 + n + remaining;
    // The variable header: the topic's length and bytes, then the packet identifier.
    let header = rest.get(1 + n..len)?;
    let (topic_len, header) = header.split_first_chunk::<2>()?;
    let header = header.get(usize::from(u16::from_be_bytes(*topic_len))..)?;
    Some((len, u16::from_be_bytes(*header.first_chunk::<2>()?)))
}

/// Iterates subscription records: filter and QoS, in the wire format of a SUBSCRIBE payload.
#[derive(Clone)]
struct Subscriptions<'s>(&'s [u8]);

impl<'s> Subscriptions<'s> {
    /// The next subscription record, whole: the filter's two-byte length, the filter, the QoS
    /// byte.
    /// Inlined into its few callers (`ci/size/measure.py`: 20 B).
    #[inline(always)]
    fn next_record(&mut self) -> Option<&'s [u8]> {
        let (len, _) = self.0.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len)) + RECORD_OVERHEAD;
        let (record, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        Some(record)
    }
}

impl<'s> Iterator for Subscriptions<'s> {
    type Item = (&'s str, QoS);

    fn next(&mut self) -> Option<Self::Item> {
        let (&qos, record) = self.next_record()?.split_last()?;
        let filter = record.get(2..)?;
        Some((core::str::from_utf8(filter).ok()?, QoS::from_bits(qos)?))
    }
}

/// The filters of a SUBSCRIBE or UNSUBSCRIBE request.
#[derive(Clone, Copy)]
pub(crate) enum Filters<'f> {
    Subscribe(&'f [(&'f str, QoS)]),
    /// Every filter recorded in the store.
    Recorded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_equals_duration_from_secs_for_every_keep_alive() {
        for secs in 0..=u16::MAX {
            assert_eq!(
                seconds(secs),
                Duration::from_secs(u64::from(secs)),
                "{secs} s"
            );
        }
    }
}
