//! Application logic of picomqtt's two demo systems, shared by the Raspberry Pi Pico W
//! firmware (`examples/pico-w`) and the PC host programs.
//!
//! * **Nightlight**: a light sensor publishes telemetry; a server answers with commands
//!   that switch an LED.
//! * **Call buttons**: a box with four buttons, one per restaurant table; each press
//!   publishes one message that the staff watch.
//!
//! The crate is `no_std`, allocation-free and does not depend on picomqtt: it only knows
//! the message contract, so both the firmware and the host programs (and picomqtt's own
//! examples) can use it without a dependency cycle.
//!
//! # Message contract
//!
//! | what | topic | payload | QoS | retained |
//! |---|---|---|---|---|
//! | telemetry, every [`TELEMETRY_INTERVAL_SECS`] s | `<id>/telemetry` | `{"light":412}` | [`TELEMETRY_QOS`] = 0 | no |
//! | LED command (subscribed) | `<id>/commands` | `{"led_on":true}` | [`COMMANDS_QOS`] = 1 | no |
//! | button press | `<id>/calls` | `{"table":3}` | [`CALLS_QOS`] = 1 | no |
//! | presence (will) | `<id>/status` | `offline` | [`STATUS_QOS`] = 1 | yes |
//! | presence (after connecting) | `<id>/status` | `online` | [`STATUS_QOS`] = 1 | yes |
//!
//! The server rule is [`led_should_be_on`]: the LED is on while `light` is below
//! [`LIGHT_THRESHOLD`] (300 on a 0..=1023 scale). A command that is malformed JSON, has an
//! unknown or missing field or a value of the wrong type decodes to a [`DecodeError`]; the
//! device logs it and leaves the LED as it was ([`Nightlight::handle`]).
//!
//! ```
//! use picomqtt_demo::{Command, Nightlight, Reaction, Telemetry, Topics};
//!
//! let topics = Topics::new("nightlight-1")?;
//! assert_eq!(topics.telemetry(), "nightlight-1/telemetry");
//!
//! // Device side: publish a reading.
//! let mut buf = [0u8; Telemetry::MAX_ENCODED_LEN];
//! let n = Telemetry { light: 120 }.encode(&mut buf)?;
//! assert_eq!(&buf[..n], br#"{"light":120}"#);
//!
//! // Server side: decode it and answer with the rule.
//! let reading = Telemetry::decode(&buf[..n])?;
//! let mut out = [0u8; Command::MAX_ENCODED_LEN];
//! let n = Command::for_light(reading.light).encode(&mut out)?;
//! assert_eq!(&out[..n], br#"{"led_on":true}"#);
//!
//! // Device side again: apply the command.
//! let mut nightlight = Nightlight::new();
//! assert_eq!(
//!     nightlight.handle_payload(&out[..n]),
//!     Reaction::Led { on: true, changed: true }
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buttons;
mod contract;
mod light;
mod messages;

pub use buttons::{Buttons, DEFAULT_DEBOUNCE_MS, Debouncer};
pub use contract::{
    CALLS_QOS, COMMANDS_QOS, DeviceIdError, MAX_DEVICE_ID_LEN, MAX_TOPIC_LEN, STATUS_OFFLINE,
    STATUS_ONLINE, STATUS_QOS, STATUS_RETAIN, TELEMETRY_INTERVAL_SECS, TELEMETRY_QOS, Topics,
    check_device_id,
};
pub use light::{
    ADC_MAX, LIGHT_MAX, LIGHT_THRESHOLD, Nightlight, ParseLevelError, Reaction, adc_to_light,
    led_should_be_on, parse_level, simulated_light,
};
pub use messages::{Call, Command, DecodeError, EncodeError, FIRST_TABLE, LAST_TABLE, Telemetry};
