//! The async client: a thin driver that moves bytes between a [`Session`] and any
//! `embedded_io_async` transport, and sleeps with `embassy-time`.
//!
//! # Cancel safety
//!
//! Embassy programs `select` between the client and their own timers and channels, so every
//! method may be dropped part-way without corrupting the byte stream:
//!
//! * Outgoing packets are encoded into the TX buffer first and written from there; the session
//!   remembers how much was written. If a future is dropped in the middle of a packet, the next
//!   call on the client finishes that packet before it sends or reads anything else.
//! * [`Client::poll`] is fully cancel-safe: received bytes are kept in the RX buffer until they
//!   form a whole packet, so dropping it loses nothing (given a transport whose `read` is
//!   cancel-safe, as embassy-net's `TcpSocket` and tokio's `TcpStream` are).
//! * [`Client::publish`], [`Client::subscribe`] and [`Client::unsubscribe`]: if dropped before
//!   the request was queued, nothing was sent; if dropped after, the request is sent in full by
//!   the next call, and its acknowledgement arrives as an [`Event`] as usual.
//!
//! # One task receives, others publish
//!
//! The client is a single object that needs `&mut` for everything, so it is owned by one task.
//! Other tasks hand it work through a channel (for example `embassy_sync::channel::Channel`), and
//! the owning task waits for whichever comes first:
//!
//! ```no_run
//! # async fn example<T: embedded_io_async::Read + embedded_io_async::Write>(
//! #     mut client: picomqtt::Client<'_, '_, T>,
//! #     telemetry: &embassy_sync::channel::Channel<
//! #         embassy_sync::blocking_mutex::raw::NoopRawMutex, u16, 4>,
//! # ) -> Result<(), picomqtt::Error> {
//! use embassy_futures::select::{select, Either};
//! use picomqtt::{Event, QoS};
//!
//! loop {
//!     match select(client.poll(), telemetry.receive()).await {
//!         // A command arrived from the broker.
//!         Either::First(event) => {
//!             if let Event::Message(msg) = event? {
//!                 // ... act on msg.topic and msg.payload ...
//!             }
//!         }
//!         // Another task produced a reading: publish it.
//!         Either::Second(light) => {
//!             let mut json = [0u8; 32];
//!             let n = picomqtt_json(light, &mut json);
//!             client.publish("nightlight-1/telemetry", &json[..n], QoS::AtMostOnce, false).await?;
//!         }
//!     }
//! }
//! # fn picomqtt_json(_: u16, _: &mut [u8]) -> usize { 0 }
//! # }
//! ```
//!
//! Dropping the `poll` future when the channel wins is safe (see above), so no message is lost.

use core::future::Future;

use embassy_time::{Instant, with_deadline};
use embedded_io_async::{Read, Write};

use crate::error::Error;
use crate::packet::{EncodeError, PacketId, QoS};
use crate::session::{ConnectOptions, Event, Filters, Session};

/// An MQTT connection over transport `T`, driving a [`Session`].
///
/// `T` is any `embedded_io_async::Read + Write`: an embassy-net `TcpSocket`, a TLS stream, or a
/// tokio `TcpStream` wrapped in `embedded_io_adapters::tokio_1::FromTokio`. Pass `&mut socket` to
/// keep ownership of the socket (to close or abort it yourself after an error); pass the socket
/// itself to let the client drop it, which closes it, on a fatal error or DISCONNECT.
///
/// ```no_run
/// # async fn example<T: embedded_io_async::Read + embedded_io_async::Write>(socket: T)
/// #     -> Result<(), picomqtt::Error> {
/// use picomqtt::{Client, ConnectOptions, Event, QoS, Session};
///
/// let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
/// let mut session = Session::new(&mut rx, &mut tx);
///
/// let mut client = Client::connect(&mut session, socket, &ConnectOptions::new("nightlight-1")).await?;
/// client.subscribe(&[("nightlight-1/commands", QoS::AtLeastOnce)]).await?;
/// client.publish("nightlight-1/status", b"online", QoS::AtLeastOnce, true).await?;
/// loop {
///     match client.poll().await? {
///         Event::Message(msg) => { /* msg.topic, msg.payload borrow the RX buffer */ }
///         Event::Published(id) => { /* the broker has the QoS 1 message `id` */ }
///         Event::Subscribed(suback) => { /* suback.return_codes: granted QoS or failure */ }
///         Event::Unsubscribed(_) => {}
///     }
/// }
/// # }
/// ```
pub struct Client<'s, 'b, T> {
    session: &'s mut Session<'b>,
    /// `None` once a fatal error or DISCONNECT closed the connection.
    transport: Option<T>,
}

impl<'s, 'b, T: Read + Write> Client<'s, 'b, T> {
    /// Connects: sends CONNECT over `transport`, which must already be connected to the broker,
    /// and waits up to `options.response_timeout` for the CONNACK.
    ///
    /// Every refusal is its own error, [`Error::ConnectionRefused`] with the return code. If the
    /// session continues (`clean_session: false`), the QoS 1 messages that were in flight are
    /// resent with DUP set and their original packet identifiers before this returns
    /// [MQTT-4.4.0-1]. Check [`Client::session_present`]: when it is `false`, the broker has no
    /// subscriptions for this client, and [`Client::resubscribe`] makes them again.
    pub async fn connect(
        session: &'s mut Session<'b>,
        transport: T,
        options: &ConnectOptions<'_>,
    ) -> Result<Self, Error> {
        session.connect(options, Instant::now())?;
        let mut client = Client {
            session,
            transport: Some(transport),
        };
        client.run(Goal::Connected).await?;
        debug!(
            "connected, session present: {}",
            client.session.session_present()
        );
        Ok(client)
    }

    /// The session-present flag of the CONNACK (section 3.2.2.2).
    pub fn session_present(&self) -> bool {
        self.session.session_present()
    }

    /// Whether the connection is still up: no fatal error and no DISCONNECT so far.
    pub fn is_connected(&self) -> bool {
        self.transport.is_some() && self.session.is_connected()
    }

    /// The session this client drives.
    pub fn session(&self) -> &Session<'b> {
        self.session
    }

    /// Publishes `payload` to `topic`.
    ///
    /// Returns once the packet is written to the transport. QoS 0 returns `None`. QoS 1 returns
    /// the packet identifier; the message is complete when [`Event::Published`] with that
    /// identifier comes out of [`Client::poll`]. Several QoS 1 messages can be in flight at once,
    /// as many as fit in the TX buffer (or [`Session::set_max_in_flight`]); past that this
    /// returns [`Error::InFlightFull`] until PUBACKs free space.
    pub fn publish<'f>(
        &'f mut self,
        topic: &'f str,
        payload: &'f [u8],
        qos: QoS,
        retain: bool,
    ) -> impl Future<Output = Result<Option<PacketId>, Error>> + 'f {
        self.run(Goal::Request(Request::Publish {
            topic,
            payload,
            qos,
            retain,
        }))
    }

    /// Publishes `value` serialised as JSON, written straight into the TX buffer.
    #[cfg(feature = "json")]
    pub async fn publish_json<V: serde::Serialize>(
        &mut self,
        topic: &str,
        value: &V,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<PacketId>, Error> {
        self.send_queued(|session| session.publish_json(topic, value, qos, retain))
            .await
    }

    /// Subscribes to `filters`, each with the maximum QoS to receive (0 or 1).
    ///
    /// Returns the packet identifier once SUBSCRIBE is written; the broker's answer arrives as
    /// [`Event::Subscribed`], with the granted QoS or a failure for each filter. The filters are
    /// recorded in the session, so [`Message::subscription`](crate::Message::subscription) can
    /// name the one that matched and [`Client::resubscribe`] can repeat them.
    pub async fn subscribe(&mut self, filters: &[(&str, QoS)]) -> Result<PacketId, Error> {
        self.run(Goal::Request(Request::Filters(Filters::Subscribe(filters))))
            .await?
            .ok_or(Error::Encode(EncodeError::NoTopicFilters))
    }

    /// Subscribes again to every filter the session recorded, in one SUBSCRIBE; `None` if there
    /// are none. Use it after [`Client::connect`] when [`Client::session_present`] is `false`.
    pub fn resubscribe(&mut self) -> impl Future<Output = Result<Option<PacketId>, Error>> + '_ {
        self.run(Goal::Request(Request::Filters(Filters::Recorded)))
    }

    /// Unsubscribes from `filters` and forgets them. The answer arrives as
    /// [`Event::Unsubscribed`].
    pub async fn unsubscribe(&mut self, filters: &[&str]) -> Result<PacketId, Error> {
        self.send_queued(|session| session.unsubscribe(filters))
            .await
    }

    /// Waits for the next event from the broker, keeping the connection alive meanwhile.
    ///
    /// Sends what is pending (the PUBACK of the previous message, a PINGREQ when nothing was
    /// sent for the keep alive interval), then reads. Returns [`Error::KeepAliveTimeout`] when a
    /// PINGRESP does not come back within the response timeout, so a dead connection is
    /// reported instead of waiting forever. Call it continuously (for example in a `select`
    /// with your own work): it is what answers the broker. Cancel-safe.
    pub async fn poll(&mut self) -> Result<Event<'_>, Error> {
        self.run(Goal::Event).await?;
        // `run` returned Ok with an event ready.
        self.session.event().ok_or(Error::NotConnected)
    }

    /// Sends DISCONNECT and closes the connection. The broker discards the will message
    /// [MQTT-3.14.4-3]; the session is kept for the next [`Client::connect`].
    pub async fn disconnect(mut self) -> Result<(), Error> {
        let result = self.send_queued(Session::disconnect).await;
        self.transport = None;
        self.session.close();
        result.map(drop)
    }

    /// Sends what is pending, queues a packet with `queue`, and sends it. The calls that use
    /// this instead of a [`Goal::Request`] are linked only into programs that make them: every
    /// request kind is reachable from `run`'s dispatch, and so linked into every program.
    async fn send_queued<R>(
        &mut self,
        queue: impl FnOnce(&mut Session<'b>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.run(Goal::Sent).await?;
        let queued = queue(self.session);
        let queued = self.check(queued)?;
        self.run(Goal::Sent).await?;
        Ok(queued)
    }

    /// The one loop that moves bytes, for every call: write what the session queued, flush,
    /// then act towards `goal` (queue the request, or read until the CONNACK or an event).
    /// Writing and flushing share one await point (see [`send`]), reading has the other: the
    /// state machine holds no more futures than that. (Reading through the same await point
    /// too measured 168 B larger, `ci/size/measure.py`.) Both have a deadline: the session's
    /// for reading, the response timeout from the start of the write or flush for sending.
    ///
    /// A fatal error drops the transport, closing the connection [MQTT-4.8.0-1].
    async fn run(&mut self, mut goal: Goal<'_>) -> Result<Option<PacketId>, Error> {
        let mut id = None;
        // When the last write of this call began.
        let mut wrote_at = None;
        loop {
            let step: Result<bool, Error> = 'step: {
                let Some(transport) = self.transport.as_mut() else {
                    break 'step Err(Error::NotConnected);
                };
                let session = &mut *self.session;
                let timeout = session.response_timeout();
                // Asked twice because the borrow checker will not let the first answer's borrow
                // end in the other branches; the second call only re-slices the same bytes.
                let io = if session.transmit_data().is_some() {
                    Some(session.transmit_data().unwrap_or_default())
                } else if session.needs_flush() {
                    None
                } else {
                    // Everything queued is out.
                    match goal {
                        Goal::Sent => break 'step Ok(true),
                        Goal::Request(request) => {
                            goal = Goal::Sent;
                            break 'step request.queue(session).map(|queued| {
                                id = queued;
                                false
                            });
                        }
                        Goal::Connected if session.is_connected() => break 'step Ok(true),
                        Goal::Connected | Goal::Event => {}
                    }
                    match session.process() {
                        Ok(true) => break 'step Ok(true),
                        // Send the acknowledgement or the resends first.
                        Ok(false)
                            if session.output_pending()
                                || matches!(goal, Goal::Connected) && session.is_connected() =>
                        {
                            break 'step Ok(false);
                        }
                        Ok(false) => {}
                        Err(e) => break 'step Err(e),
                    }
                    let deadline = session.poll_timeout().unwrap_or(Instant::MAX);
                    break 'step match with_deadline(
                        deadline,
                        transport.read(session.receive_buffer()),
                    )
                    .await
                    {
                        Ok(Ok(0)) => Err(Error::ConnectionClosed),
                        Ok(Ok(n)) => {
                            session.received(n);
                            Ok(false)
                        }
                        Ok(Err(e)) => Err(Error::transport(e)),
                        Err(_) => session.handle_timeout(Instant::now()).map(|()| false),
                    };
                };
                // One clock reading per write, for its deadline and for when the bytes went out:
                // taken before the write, it can only make the next PINGREQ early, never late.
                // The flush that follows a write in this call shares that write's deadline, so
                // a message costs one reading, as it did when a timer was armed only for a write
                // that was pending (which measured 72 B larger).
                let now = match (io, wrote_at) {
                    (None, Some(at)) => at,
                    _ => Instant::now(),
                };
                wrote_at = Some(now);
                match with_deadline(now.saturating_add(timeout), send(transport, io)).await {
                    Ok(Ok(Some(0))) => Err(Error::ConnectionClosed),
                    Ok(Ok(Some(n))) => {
                        session.transmitted(n, now);
                        Ok(false)
                    }
                    Ok(Ok(None)) => {
                        session.flushed();
                        Ok(false)
                    }
                    Ok(Err(e)) => Err(Error::transport(e)),
                    // No progress for the response timeout: the peer is gone.
                    Err(_) => Err(Error::KeepAliveTimeout),
                }
            };
            match step {
                Ok(true) => return Ok(id),
                Ok(false) => {}
                Err(e) => return self.check(Err(e)),
            }
        }
    }

    /// Closes the connection on a fatal error [MQTT-4.8.0-1]: the transport is dropped.
    fn check<R>(&mut self, result: Result<R, Error>) -> Result<R, Error> {
        if let Err(e) = &result
            && e.is_fatal()
        {
            warn!("connection closed: {:?}", e);
            self.transport = None;
            self.session.close();
        }
        result
    }
}

/// Writes `data`, or flushes when it is `None`: the bytes written, or `None` for a flush.
async fn send<T: Write>(transport: &mut T, data: Option<&[u8]>) -> Result<Option<usize>, T::Error> {
    match data {
        Some(data) => transport.write(data).await.map(Some),
        None => transport.flush().await.map(|()| None),
    }
}

/// What [`Client::run`] drives towards.
#[derive(Clone, Copy)]
enum Goal<'r> {
    /// The CONNACK is in and the resends are out.
    Connected,
    /// An event is ready.
    Event,
    /// Everything queued is written and flushed.
    Sent,
    /// Queue this request, then send it.
    Request(Request<'r>),
}

/// What the application asked for.
#[derive(Clone, Copy)]
enum Request<'r> {
    Publish {
        topic: &'r str,
        payload: &'r [u8],
        qos: QoS,
        retain: bool,
    },
    /// SUBSCRIBE or a resubscription.
    Filters(Filters<'r>),
}

impl Request<'_> {
    /// Queues the request's packet in `session`.
    fn queue(self, session: &mut Session<'_>) -> Result<Option<PacketId>, Error> {
        match self {
            Request::Publish {
                topic,
                payload,
                qos,
                retain,
            } => session.publish(topic, payload, qos, retain),
            Request::Filters(filters) => session.request(filters),
        }
    }
}
