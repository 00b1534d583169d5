//! Topic names and the fixed parts of the message contract.

use core::fmt;

use heapless::String;

/// Interval between two telemetry messages of the nightlight, in seconds.
pub const TELEMETRY_INTERVAL_SECS: u32 = 5;

/// QoS of `<id>/telemetry` publications (0: a lost reading is replaced 5 s later).
pub const TELEMETRY_QOS: u8 = 0;

/// QoS the nightlight subscribes to `<id>/commands` with.
pub const COMMANDS_QOS: u8 = 1;

/// QoS of `<id>/calls` publications (1: a guest's call must not be lost).
pub const CALLS_QOS: u8 = 1;

/// QoS of the presence messages on `<id>/status`, for both the will and `online`.
///
/// The contract does not fix it; 1 is used so that the retained state reaches the broker.
pub const STATUS_QOS: u8 = 1;

/// The presence messages on `<id>/status` are retained, so a late subscriber sees the
/// current state at once.
pub const STATUS_RETAIN: bool = true;

/// Payload of the will on `<id>/status`, set in CONNECT.
pub const STATUS_OFFLINE: &str = "offline";

/// Payload published (retained) on `<id>/status` right after connecting.
pub const STATUS_ONLINE: &str = "online";

/// Longest accepted device id, in bytes of UTF-8.
pub const MAX_DEVICE_ID_LEN: usize = 32;

const TELEMETRY_SUFFIX: &str = "/telemetry";
const COMMANDS_SUFFIX: &str = "/commands";
const CALLS_SUFFIX: &str = "/calls";
const STATUS_SUFFIX: &str = "/status";

/// Longest topic built by [`Topics`], in bytes: a [`MAX_DEVICE_ID_LEN`] id plus
/// `/telemetry`, the longest suffix.
pub const MAX_TOPIC_LEN: usize = MAX_DEVICE_ID_LEN + TELEMETRY_SUFFIX.len();

/// Why a device id was rejected by [`check_device_id`] or [`Topics::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceIdError {
    /// The id is empty (the topics would start with `/`).
    Empty,
    /// The id is longer than [`MAX_DEVICE_ID_LEN`] bytes.
    TooLong,
    /// The id contains `/`, which would add topic levels.
    Separator,
    /// The id contains `+` or `#`, which topic names must not contain
    /// (MQTT 3.1.1 [MQTT-3.3.2-2]).
    Wildcard,
    /// The id contains U+0000 (forbidden in MQTT strings, [MQTT-1.5.3-2]) or another
    /// control character (U+0001..U+001F, U+007F..U+009F, which MQTT 3.1.1 section 1.5.3
    /// says should not be used).
    Control,
    /// The id starts with `$`: such topics are reserved for the broker and are not
    /// matched by `#` or `+` subscriptions (MQTT 3.1.1 section 4.7.2).
    LeadingDollar,
}

impl DeviceIdError {
    /// A short description, for logs (also usable with `defmt`'s `{=str}`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "device id is empty",
            Self::TooLong => "device id is longer than 32 bytes",
            Self::Separator => "device id contains '/'",
            Self::Wildcard => "device id contains a wildcard ('+' or '#')",
            Self::Control => "device id contains NUL or a control character",
            Self::LeadingDollar => "device id starts with '$'",
        }
    }
}

impl fmt::Display for DeviceIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for DeviceIdError {}

/// Checks that `id` can be used as the first level of the demo topics.
///
/// It is a `const fn`, so firmware can reject a bad build-time id at compile time:
///
/// ```
/// use picomqtt_demo::{DeviceIdError, check_device_id};
///
/// const DEVICE_ID: &str = "callbox-1";
/// const _: () = assert!(check_device_id(DEVICE_ID).is_ok());
///
/// assert_eq!(check_device_id("kitchen/1"), Err(DeviceIdError::Separator));
/// assert_eq!(check_device_id("table#1"), Err(DeviceIdError::Wildcard));
/// assert_eq!(check_device_id(""), Err(DeviceIdError::Empty));
/// ```
pub const fn check_device_id(id: &str) -> Result<(), DeviceIdError> {
    let bytes = id.as_bytes();
    if bytes.is_empty() {
        return Err(DeviceIdError::Empty);
    }
    if bytes.len() > MAX_DEVICE_ID_LEN {
        return Err(DeviceIdError::TooLong);
    }
    if bytes[0] == b'$' {
        return Err(DeviceIdError::LeadingDollar);
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' => return Err(DeviceIdError::Separator),
            b'+' | b'#' => return Err(DeviceIdError::Wildcard),
            0x00..=0x1F | 0x7F => return Err(DeviceIdError::Control),
            // U+0080..U+009F are encoded as 0xC2 0x80..=0x9F.
            0xC2 if i + 1 < bytes.len() && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9F => {
                return Err(DeviceIdError::Control);
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The four topics of one device, built once from its id.
///
/// ```
/// use picomqtt_demo::Topics;
///
/// let topics = Topics::new("callbox-1")?;
/// assert_eq!(topics.device_id(), "callbox-1");
/// assert_eq!(topics.telemetry(), "callbox-1/telemetry");
/// assert_eq!(topics.commands(), "callbox-1/commands");
/// assert_eq!(topics.calls(), "callbox-1/calls");
/// assert_eq!(topics.status(), "callbox-1/status");
///
/// assert!(Topics::new("a-much-too-long-device-identifier-x").is_err());
/// # Ok::<(), picomqtt_demo::DeviceIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    device_id: String<MAX_DEVICE_ID_LEN>,
    telemetry: String<MAX_TOPIC_LEN>,
    commands: String<MAX_TOPIC_LEN>,
    calls: String<MAX_TOPIC_LEN>,
    status: String<MAX_TOPIC_LEN>,
}

impl Topics {
    /// Builds the topics of `device_id`, after checking it with [`check_device_id`].
    pub fn new(device_id: &str) -> Result<Self, DeviceIdError> {
        check_device_id(device_id)?;
        Ok(Self {
            device_id: join(device_id, "")?,
            telemetry: join(device_id, TELEMETRY_SUFFIX)?,
            commands: join(device_id, COMMANDS_SUFFIX)?,
            calls: join(device_id, CALLS_SUFFIX)?,
            status: join(device_id, STATUS_SUFFIX)?,
        })
    }

    /// The device id the topics were built from.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// `<id>/telemetry`: the nightlight's readings, `{"light":412}`.
    pub fn telemetry(&self) -> &str {
        &self.telemetry
    }

    /// `<id>/commands`: commands for the nightlight, `{"led_on":true}`.
    pub fn commands(&self) -> &str {
        &self.commands
    }

    /// `<id>/calls`: one message per button press, `{"table":3}`.
    pub fn calls(&self) -> &str {
        &self.calls
    }

    /// `<id>/status`: retained presence, [`STATUS_ONLINE`] or [`STATUS_OFFLINE`] (the will).
    pub fn status(&self) -> &str {
        &self.status
    }
}

fn join<const N: usize>(id: &str, suffix: &str) -> Result<String<N>, DeviceIdError> {
    let mut topic = String::new();
    topic.push_str(id).map_err(|_| DeviceIdError::TooLong)?;
    topic.push_str(suffix).map_err(|_| DeviceIdError::TooLong)?;
    Ok(topic)
}
