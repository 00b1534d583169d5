#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
//! MQTT 3.1.1 for microcontrollers: `no_std`, no allocator, no `unsafe`, and no panic reachable
//! from anything the broker sends.
//!
//! picomqtt runs over any [`embedded_io_async`] transport (an embassy-net `TcpSocket` on a
//! Raspberry Pi Pico W, a TLS stream, a tokio socket through `embedded-io-adapters`) and keeps
//! all its memory in two buffers you own.
//!
//! | layer | what it is |
//! |---|---|
//! | [`packet`] | the wire format: all 14 control packets, encoded into `&mut [u8]`, decoded zero-copy from `&[u8]` |
//! | [`topic`] | validated [`TopicName`] and [`TopicFilter`], and `+`/`#` wildcard matching |
//! | [`session`] | the sans-I/O protocol core: packet identifiers, QoS 1 in flight, keep alive, resend after reconnect |
//! | [`client`] | the async [`Client`]: moves bytes between a [`Session`] and a transport, sleeps with `embassy-time`; cancel safety and the multi-task pattern |
//!
//! # Example
//!
//! ```no_run
//! use picomqtt::{Client, ConnectOptions, Event, QoS, Session};
//!
//! # async fn example<T: embedded_io_async::Read + embedded_io_async::Write>(socket: T)
//! #     -> Result<(), picomqtt::Error> {
//! // The session lives as long as your program; connections come and go.
//! let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
//! let mut session = Session::new(&mut rx, &mut tx);
//!
//! // `socket` is any connected embedded_io_async::{Read, Write}.
//! let mut client = Client::connect(&mut session, socket, &ConnectOptions::new("nightlight-1")).await?;
//! client.subscribe(&[("nightlight-1/commands", QoS::AtLeastOnce)]).await?;
//! client.publish("nightlight-1/telemetry", br#"{"light":412}"#, QoS::AtMostOnce, false).await?;
//!
//! loop {
//!     if let Event::Message(msg) = client.poll().await? {
//!         // topic and payload borrow the RX buffer: no copy, no allocation.
//!         let _ = (msg.topic, msg.payload);
//!     }
//! }
//! # }
//! ```
//!
//! # Sizing the buffers
//!
//! * **RX** must hold the largest packet you want to receive (a PUBLISH is 5 + 2 + topic +
//!   2 + payload bytes at most). A larger one is skipped and reported as
//!   [`Error::PacketTooLarge`]; the connection stays usable.
//! * **TX** holds your subscriptions (3 bytes + filter each), every QoS 1 message still waiting
//!   for its PUBACK (kept so it can be resent after a reconnect), and the packet being sent.
//!   When it is full of messages in flight, publishing returns [`Error::InFlightFull`] until
//!   PUBACKs arrive; a packet that could never fit returns [`Error::BufferTooSmall`].
//!
//! # Features
//!
//! * `json`: `Client::publish_json` and `Message::json` with serde-json-core.
//! * `defmt`: log through `defmt` (firmware). `log`: log through the `log` crate (host). Neither
//!   is on by default; with both, `defmt` is used.
//!
//! On a PC, `embassy-time` needs its `std` driver: depend on `embassy-time` with the features
//! `std` and `generic-queue-64`.

#[macro_use]
mod fmt;

mod backoff;
pub mod client;
mod error;
#[cfg(feature = "json")]
mod json;
pub mod packet;
pub mod session;
pub mod topic;

pub use backoff::Backoff;
pub use client::Client;
pub use error::{Error, ProtocolError};
pub use packet::{PacketId, QoS, Will};
pub use session::{ConnectOptions, Event, Message, Session};
pub use topic::{TopicError, TopicFilter, TopicName};

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
