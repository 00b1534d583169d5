//! The three JSON payloads of the contract and their encoding and decoding.
//!
//! Each message is a JSON object with exactly one field. [`Telemetry::decode`],
//! [`Command::decode`] and [`Call::decode`] parse it in one pass with serde-json-core and
//! tell apart *why* a payload was rejected (see [`DecodeError`]). The serde derives
//! (`deny_unknown_fields`) accept the same JSON structure, for code that prefers to call
//! a serde deserializer itself; only the helpers check the value ranges of the contract.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::light::{LIGHT_MAX, led_should_be_on};

/// The first table number of the call-button box.
pub const FIRST_TABLE: u8 = 1;

/// The last table number of the call-button box (four buttons: tables 1..=4).
pub const LAST_TABLE: u8 = 4;

/// Why a payload could not be decoded.
///
/// The variants are told apart exactly, without looking at error messages:
///
/// | payload (for `Command`) | error |
/// |---|---|
/// | `{"led_on":tru}`, `{"led_on":true`, `[true]`, `""`, `{"led_on":true}x` | [`Malformed`](Self::Malformed) |
/// | `{"led_on":true,"colour":"red"}` | [`UnknownField`](Self::UnknownField) |
/// | `{}` | [`MissingField`](Self::MissingField) |
/// | `{"led_on":true,"led_on":false}` | [`DuplicateField`](Self::DuplicateField) |
/// | `{"led_on":"true"}`, `{"led_on":1}`, `{"led_on":null}` | [`WrongType`](Self::WrongType) |
/// | `{"light":-1}`, `{"light":1024}`, `{"table":0}`, `{"table":5}` | [`OutOfRange`](Self::OutOfRange) |
///
/// Limits of the parser (serde-json-core 0.7): a number with a fraction or exponent, such
/// as `{"light":4.5}`, is reported as `Malformed`; a field value that is no JSON value at
/// all, such as `{"led_on":on}`, is reported as `WrongType` (the parser decides on its
/// first byte); object keys are compared without unescaping, so `{"led\u005fon":true}` is
/// an unknown field. Whitespace around tokens is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a well-formed JSON object: bad syntax, truncated, trailing bytes, or another
    /// JSON value than an object.
    Malformed,
    /// The object has a field the message does not define.
    UnknownField,
    /// The object lacks the message's field.
    MissingField,
    /// The object has the message's field twice.
    DuplicateField,
    /// The field's value has the wrong JSON type (e.g. a string or `null` for `led_on`).
    WrongType,
    /// The field is an integer outside the contract's range: `light` above
    /// [`LIGHT_MAX`], `table` outside [`FIRST_TABLE`]..=[`LAST_TABLE`], or negative.
    OutOfRange,
}

impl DecodeError {
    /// A short description, for logs (also usable with `defmt`'s `{=str}`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed JSON",
            Self::UnknownField => "unknown field",
            Self::MissingField => "missing field",
            Self::DuplicateField => "duplicate field",
            Self::WrongType => "field has the wrong type",
            Self::OutOfRange => "value out of range",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for DecodeError {}

/// Why a message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The buffer is shorter than the JSON text; a buffer of the type's
    /// `MAX_ENCODED_LEN` bytes is always enough.
    BufferTooSmall,
    /// The value is outside the contract's range (the receiver would reject it).
    OutOfRange,
}

impl EncodeError {
    /// A short description, for logs (also usable with `defmt`'s `{=str}`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BufferTooSmall => "buffer too small",
            Self::OutOfRange => "value out of range",
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for EncodeError {}

/// A nightlight reading, published on `<id>/telemetry`: `{"light":412}`.
///
/// `light` is on the 0..=[`LIGHT_MAX`] scale (see [`adc_to_light`](crate::adc_to_light)).
///
/// ```
/// use picomqtt_demo::{DecodeError, Telemetry};
///
/// let mut buf = [0u8; Telemetry::MAX_ENCODED_LEN];
/// let n = Telemetry { light: 412 }.encode(&mut buf)?;
/// assert_eq!(&buf[..n], br#"{"light":412}"#);
/// assert_eq!(Telemetry::decode(br#"{"light":412}"#), Ok(Telemetry { light: 412 }));
/// assert_eq!(Telemetry::decode(br#"{"light":2000}"#), Err(DecodeError::OutOfRange));
/// # Ok::<(), picomqtt_demo::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    /// Light level, 0 (dark) ..= 1023 (bright).
    pub light: u16,
}

impl Telemetry {
    /// Length of the longest encoding, `{"light":1023}`.
    pub const MAX_ENCODED_LEN: usize = 14;

    /// Writes the JSON text into `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.light > LIGHT_MAX {
            return Err(EncodeError::OutOfRange);
        }
        encode(self, buf)
    }

    /// Parses a payload; see [`DecodeError`] for what is rejected.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let light: u16 = decode_field(payload, "light")?;
        if light > LIGHT_MAX {
            return Err(DecodeError::OutOfRange);
        }
        Ok(Self { light })
    }
}

/// A command for the nightlight, received on `<id>/commands`: `{"led_on":true}`.
///
/// ```
/// use picomqtt_demo::{Command, DecodeError};
///
/// assert_eq!(Command::decode(br#"{"led_on":true}"#), Ok(Command { led_on: true }));
/// assert_eq!(Command::decode(br#"{"led_on":true,"x":1}"#), Err(DecodeError::UnknownField));
/// assert_eq!(Command::decode(br#"{"led_on":"yes"}"#), Err(DecodeError::WrongType));
/// assert_eq!(Command::decode(b"led on"), Err(DecodeError::Malformed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Whether the LED should be lit.
    pub led_on: bool,
}

impl Command {
    /// Length of the longest encoding, `{"led_on":false}`.
    pub const MAX_ENCODED_LEN: usize = 16;

    /// The server's answer to a reading: [`led_should_be_on`] applied to `light`.
    ///
    /// ```
    /// use picomqtt_demo::Command;
    ///
    /// assert_eq!(Command::for_light(299), Command { led_on: true });
    /// assert_eq!(Command::for_light(300), Command { led_on: false });
    /// ```
    pub const fn for_light(light: u16) -> Self {
        Self {
            led_on: led_should_be_on(light),
        }
    }

    /// Writes the JSON text into `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        encode(self, buf)
    }

    /// Parses a payload; see [`DecodeError`] for what is rejected.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self {
            led_on: decode_field(payload, "led_on")?,
        })
    }
}

/// A button press of the call box, published on `<id>/calls`: `{"table":3}`.
///
/// `table` is [`FIRST_TABLE`]..=[`LAST_TABLE`].
///
/// ```
/// use picomqtt_demo::{Call, DecodeError, EncodeError};
///
/// let mut buf = [0u8; Call::MAX_ENCODED_LEN];
/// let n = Call { table: 3 }.encode(&mut buf)?;
/// assert_eq!(&buf[..n], br#"{"table":3}"#);
/// assert_eq!(Call { table: 0 }.encode(&mut buf), Err(EncodeError::OutOfRange));
/// assert_eq!(Call::decode(br#"{"table":5}"#), Err(DecodeError::OutOfRange));
/// # Ok::<(), EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Table number, 1..=4.
    pub table: u8,
}

impl Call {
    /// Length of the longest encoding, `{"table":4}`.
    pub const MAX_ENCODED_LEN: usize = 11;

    /// Writes the JSON text into `buf` and returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if !(FIRST_TABLE..=LAST_TABLE).contains(&self.table) {
            return Err(EncodeError::OutOfRange);
        }
        encode(self, buf)
    }

    /// Parses a payload; see [`DecodeError`] for what is rejected.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let table: u8 = decode_field(payload, "table")?;
        if !(FIRST_TABLE..=LAST_TABLE).contains(&table) {
            return Err(DecodeError::OutOfRange);
        }
        Ok(Self { table })
    }
}

fn encode<T: Serialize>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    // serde-json-core's only serialization error is a full buffer.
    serde_json_core::to_slice(value, buf).map_err(|_| EncodeError::BufferTooSmall)
}

/// What the visitor saw before the parser failed; serde-json-core reports unknown,
/// missing and duplicate fields all as one `CustomError`, so the visitor records them.
#[derive(Default)]
struct Seen {
    problem: Option<DecodeError>,
    in_value: bool,
}

impl Seen {
    fn classify(&self, error: serde_json_core::de::Error) -> DecodeError {
        use serde_json_core::de::Error as E;
        if let Some(problem) = self.problem {
            return problem;
        }
        match error {
            // Only the field's value can have the wrong type once the object was opened;
            // before that, `InvalidType` means the payload is not an object at all.
            E::InvalidType if self.in_value => DecodeError::WrongType,
            // For the unsigned fields, `InvalidNumber` means negative or overflowing.
            E::InvalidNumber if self.in_value => DecodeError::OutOfRange,
            _ => DecodeError::Malformed,
        }
    }
}

/// Deserializes an object whose only field is `name`, recording what went wrong in `seen`.
struct OneField<'s, V> {
    name: &'static str,
    seen: &'s mut Seen,
    value: PhantomData<V>,
}

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for OneField<'_, V> {
    type Value = V;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<V, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for OneField<'_, V> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with the single field `{}`", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V, A::Error> {
        let mut value = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key != self.name {
                self.seen.problem = Some(DecodeError::UnknownField);
                return Err(de::Error::unknown_field(key, &[]));
            }
            if value.is_some() {
                self.seen.problem = Some(DecodeError::DuplicateField);
                return Err(de::Error::duplicate_field(self.name));
            }
            self.seen.in_value = true;
            value = Some(map.next_value::<V>()?);
            self.seen.in_value = false;
        }
        match value {
            Some(value) => Ok(value),
            None => {
                self.seen.problem = Some(DecodeError::MissingField);
                Err(de::Error::missing_field(self.name))
            }
        }
    }
}

fn decode_field<'de, V: Deserialize<'de>>(
    payload: &'de [u8],
    name: &'static str,
) -> Result<V, DecodeError> {
    let mut seen = Seen::default();
    let mut deserializer = serde_json_core::de::Deserializer::new(payload, None);
    let seed = OneField {
        name,
        seen: &mut seen,
        value: PhantomData,
    };
    let result = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|_| value));
    result.map_err(|error| seen.classify(error))
}
