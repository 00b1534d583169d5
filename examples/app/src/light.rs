//! The nightlight: light scale, server rule, simulated sensor and the LED state machine.

use core::fmt;
use core::num::IntErrorKind;

use crate::messages::{Command, DecodeError};

/// Highest value of the light scale (0 = dark ..= 1023 = bright), the scale of the
/// tutorial's analog light sensor.
pub const LIGHT_MAX: u16 = 1023;

/// The LED is on while the light level is *below* this value.
pub const LIGHT_THRESHOLD: u16 = 300;

/// Highest reading of the RP2040's 12-bit ADC.
pub const ADC_MAX: u16 = 4095;

/// The server rule: the LED should be on while `light` is below [`LIGHT_THRESHOLD`].
///
/// ```
/// use picomqtt_demo::led_should_be_on;
///
/// assert!(led_should_be_on(299));
/// assert!(!led_should_be_on(300));
/// ```
pub const fn led_should_be_on(light: u16) -> bool {
    light < LIGHT_THRESHOLD
}

/// Scales a 12-bit ADC reading (0..=4095) to the light scale (0..=1023).
///
/// The reading is divided by 4 (rounding down), so each light level covers exactly four
/// ADC codes and both ends map to both ends. Readings above [`ADC_MAX`], which a 12-bit
/// ADC cannot produce, give [`LIGHT_MAX`].
///
/// ```
/// use picomqtt_demo::adc_to_light;
///
/// assert_eq!(adc_to_light(0), 0);
/// assert_eq!(adc_to_light(1650), 412);
/// assert_eq!(adc_to_light(4095), 1023);
/// ```
pub const fn adc_to_light(raw: u16) -> u16 {
    if raw > ADC_MAX { LIGHT_MAX } else { raw / 4 }
}

/// A deterministic day/night light curve for running the nightlight without a sensor.
///
/// The curve is a triangle wave with period `period_seconds`: `t = 0` is midnight
/// (light 0), it rises linearly to noon at `t = period/2` (light [`LIGHT_MAX`]) and falls
/// linearly back to 0 at `t = period`, then repeats. It is below [`LIGHT_THRESHOLD`]
/// (LED on) for the first and last ~14.7 % of each period, so every period crosses the
/// threshold once upwards (dawn) and once downwards (dusk). A period of 0 is treated as
/// 1, which is always dark.
///
/// ```
/// use picomqtt_demo::{LIGHT_MAX, led_should_be_on, simulated_light};
///
/// assert_eq!(simulated_light(0, 60), 0);
/// assert_eq!(simulated_light(30, 60), LIGHT_MAX);
/// assert_eq!(simulated_light(15, 60), 511);
/// assert_eq!(simulated_light(45, 60), 511);
/// assert_eq!(simulated_light(60, 60), 0);
/// assert!(led_should_be_on(simulated_light(5, 60)));
/// assert!(!led_should_be_on(simulated_light(10, 60)));
/// ```
pub fn simulated_light(t_seconds: u32, period_seconds: u32) -> u16 {
    let period = u64::from(period_seconds.max(1));
    let phase = u64::from(t_seconds) % period;
    let from_midnight = phase.min(period - phase);
    // from_midnight <= period / 2, so the quotient is at most LIGHT_MAX.
    let level = 2 * u64::from(LIGHT_MAX) * from_midnight / period;
    u16::try_from(level).unwrap_or(LIGHT_MAX)
}

/// Why a typed light level was rejected by [`parse_level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseLevelError {
    /// The input is empty or only whitespace.
    Empty,
    /// The input is not a decimal integer.
    NotANumber,
    /// The number is outside 0..=[`LIGHT_MAX`].
    OutOfRange,
}

impl ParseLevelError {
    /// A short description, for messages to the user.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "no light level given",
            Self::NotANumber => "the light level is not a whole number",
            Self::OutOfRange => "the light level must be between 0 and 1023",
        }
    }
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for ParseLevelError {}

/// Parses a light level typed by a user (for example one line of stdin): a decimal
/// integer in 0..=[`LIGHT_MAX`], with surrounding whitespace allowed.
///
/// ```
/// use picomqtt_demo::{ParseLevelError, parse_level};
///
/// assert_eq!(parse_level(" 412\n"), Ok(412));
/// assert_eq!(parse_level("1024"), Err(ParseLevelError::OutOfRange));
/// assert_eq!(parse_level("-1"), Err(ParseLevelError::OutOfRange));
/// assert_eq!(parse_level("dark"), Err(ParseLevelError::NotANumber));
/// assert_eq!(parse_level("  "), Err(ParseLevelError::Empty));
/// ```
pub fn parse_level(input: &str) -> Result<u16, ParseLevelError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(ParseLevelError::Empty);
    }
    let value: i32 = input
        .parse()
        .map_err(|e: core::num::ParseIntError| match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => ParseLevelError::OutOfRange,
            _ => ParseLevelError::NotANumber,
        })?;
    u16::try_from(value)
        .ok()
        .filter(|level| *level <= LIGHT_MAX)
        .ok_or(ParseLevelError::OutOfRange)
}

/// What [`Nightlight::handle`] did with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// A valid command: the LED must now be `on`; `changed` says whether that differs
    /// from before (the firmware may skip driving the pin when it did not).
    Led {
        /// The new LED state.
        on: bool,
        /// Whether the state changed.
        changed: bool,
    },
    /// The command could not be decoded; the LED keeps its state. Log the error.
    Ignored(DecodeError),
}

/// The nightlight's LED state, driven only by valid commands.
///
/// ```
/// use picomqtt_demo::{DecodeError, Nightlight, Reaction};
///
/// let mut nightlight = Nightlight::new();
/// assert!(!nightlight.led_on());
/// assert_eq!(
///     nightlight.handle_payload(br#"{"led_on":true}"#),
///     Reaction::Led { on: true, changed: true }
/// );
/// assert_eq!(
///     nightlight.handle_payload(br#"{"led_on":false,"blink":true}"#),
///     Reaction::Ignored(DecodeError::UnknownField)
/// );
/// assert!(nightlight.led_on());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nightlight {
    led_on: bool,
}

impl Nightlight {
    /// A nightlight with the LED off, the state at power-up.
    pub const fn new() -> Self {
        Self { led_on: false }
    }

    /// Whether the LED is on.
    pub const fn led_on(&self) -> bool {
        self.led_on
    }

    /// Applies a decoded command, or ignores a decode error without touching the LED.
    pub fn handle(&mut self, command: Result<Command, DecodeError>) -> Reaction {
        match command {
            Ok(Command { led_on }) => {
                let changed = led_on != self.led_on;
                self.led_on = led_on;
                Reaction::Led {
                    on: led_on,
                    changed,
                }
            }
            Err(error) => Reaction::Ignored(error),
        }
    }

    /// Decodes a payload received on `<id>/commands` and applies it.
    pub fn handle_payload(&mut self, payload: &[u8]) -> Reaction {
        self.handle(Command::decode(payload))
    }
}
