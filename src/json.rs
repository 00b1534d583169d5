//! JSON payloads with serde-json-core (feature `json`), without allocation.
//!
//! Values are serialised straight into the TX buffer behind the PUBLISH header, and received
//! payloads are deserialised from the RX buffer; `&str` fields borrow from it.
//!
//! ```
//! use picomqtt::{Message, QoS};
//!
//! #[derive(serde::Deserialize)]
//! struct Command {
//!     led_on: bool,
//! }
//!
//! let msg = Message::new("nightlight-1/commands", br#"{"led_on":true}"#, QoS::AtLeastOnce, false, false);
//! let command: Command = msg.json()?;
//! assert!(command.led_on);
//! # Ok::<(), serde_json_core::de::Error>(())
//! ```

use crate::error::Error;
use crate::packet::{PacketId, QoS};
use crate::session::{Message, Session};

impl<'a> Message<'a> {
    /// Deserialises the payload as JSON. Trailing whitespace is allowed; anything else after the
    /// value, malformed JSON, or a mismatch with `T` is an error.
    pub fn json<T: serde::Deserialize<'a>>(&self) -> Result<T, serde_json_core::de::Error> {
        serde_json_core::from_slice(self.payload).map(|(value, _)| value)
    }
}

impl Session<'_> {
    /// Queues a PUBLISH of `value` serialised as JSON; see [`Session::publish`].
    pub fn publish_json<V: serde::Serialize>(
        &mut self,
        topic: &str,
        value: &V,
        qos: QoS,
        retain: bool,
    ) -> Result<Option<PacketId>, Error> {
        self.publish_with(topic, qos, retain, None, |buf| {
            serde_json_core::to_slice(value, buf).ok()
        })
    }
}
