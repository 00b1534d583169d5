#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! picomqtt: MQTT 3.1.1 for microcontrollers.

#[macro_use]
mod fmt;
pub mod packet;
pub mod topic;

pub use packet::{PacketId, QoS};
pub use topic::{TopicError, TopicFilter, TopicName};
mod error;
pub mod session;

pub use error::{Error, ProtocolError};
pub use session::{ConnectOptions, Event, Message, Session};
mod client;
pub use client::Client;
#[cfg(feature = "json")]
mod json;
