//! Debounced call buttons: one message per physical press.

use embassy_futures::select::{Either, Either4, select, select4};
use embedded_hal_async::delay::DelayNs;
use embedded_hal_async::digital::Wait;

use crate::messages::FIRST_TABLE;

/// Default debounce interval in milliseconds.
///
/// Mechanical push buttons bounce for a few milliseconds; 20 ms is well above that and
/// far below the length of a deliberate press (around 100 ms).
pub const DEFAULT_DEBOUNCE_MS: u32 = 20;

/// The time-free decision core of one button's debouncing.
///
/// The caller watches the pin for [`awaited_level`](Self::awaited_level) and, once the
/// pin reached it, checks that it *stays* there for the whole debounce interval. Only then
/// it calls [`settled`](Self::settled), which says whether that completed a press.
///
/// A button counts as pressed until it was seen released for a whole interval, and a
/// new debouncer starts pressed: a button that is held (or stuck) at power-up is
/// reported only after it was released and pressed again.
///
/// ```
/// use picomqtt_demo::Debouncer;
///
/// let mut button = Debouncer::new();
/// assert!(!button.awaited_level()); // first wait for a release (low)
/// assert!(!button.settled(false)); // released for the whole interval
/// assert!(button.awaited_level()); // now wait for a press (high)
/// assert!(button.settled(true)); // held high for the whole interval: one press
/// assert!(!button.awaited_level()); // no further press until released again
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debouncer {
    pressed: bool,
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new()
    }
}

impl Debouncer {
    /// A button that must first be seen released.
    pub const fn new() -> Self {
        Self { pressed: true }
    }

    /// The level to wait for: `true` (high, a press) while released, `false` (low, a
    /// release) while pressed.
    pub const fn awaited_level(&self) -> bool {
        !self.pressed
    }

    /// The pin stayed at `high` for a whole debounce interval. Returns `true` exactly when
    /// that is a new press (released -> held high).
    pub fn settled(&mut self, high: bool) -> bool {
        let new_press = high && !self.pressed;
        self.pressed = high;
        new_press
    }
}

/// Four debounced call buttons, one per table, read through `embedded-hal-async`.
///
/// Each pin has a pull-down and reads high while its button is pressed. `pins[0]` is
/// table 1, ..., `pins[3]` is table 4. The delay is cloned once per button, because the
/// four buttons are debounced concurrently (`embassy_time::Delay` is a `Clone` unit
/// struct).
///
/// ```
/// # async fn demo<P, D>(pins: [P; 4], delay: D) -> Result<(), P::Error>
/// # where
/// #     P: embedded_hal_async::digital::Wait,
/// #     D: embedded_hal_async::delay::DelayNs + Clone,
/// # {
/// use picomqtt_demo::{Buttons, Call};
///
/// let mut buttons = Buttons::new(pins, delay).with_debounce_ms(30);
/// loop {
///     let table = buttons.next_press().await?;
///     let mut json = [0u8; Call::MAX_ENCODED_LEN];
///     let _len = Call { table }.encode(&mut json);
///     // publish `json` on `<id>/calls` with QoS 1
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Buttons<P, D> {
    pins: [P; 4],
    delay: D,
    debounce_ms: u32,
    state: [Debouncer; 4],
}

impl<P, D> Buttons<P, D>
where
    P: Wait,
    D: DelayNs + Clone,
{
    /// Watches `pins` (table 1..=4) with a [`DEFAULT_DEBOUNCE_MS`] interval.
    pub fn new(pins: [P; 4], delay: D) -> Self {
        Self {
            pins,
            delay,
            debounce_ms: DEFAULT_DEBOUNCE_MS,
            state: [Debouncer::new(); 4],
        }
    }

    /// Sets the debounce interval in milliseconds.
    pub fn with_debounce_ms(mut self, debounce_ms: u32) -> Self {
        self.debounce_ms = debounce_ms;
        self
    }

    /// The debounce interval in milliseconds.
    pub fn debounce_ms(&self) -> u32 {
        self.debounce_ms
    }

    /// Gives the pins and the delay back.
    pub fn release(self) -> ([P; 4], D) {
        (self.pins, self.delay)
    }

    /// Waits for the next press of any button and returns its table number (1..=4).
    ///
    /// All four buttons are watched at once with `select4`, each by waiting on its pin
    /// (no polling loop). When a pin goes high it must stay high for the whole debounce
    /// interval, otherwise it was a bounce or a glitch and is ignored. After a press
    /// the same button is reported again only once it was low for a whole interval,
    /// so one physical press, with any contact bounce, gives exactly one result, and a
    /// button held down gives one result.
    ///
    /// The rising edge is awaited with `wait_for_high` on a pin known to be low: unlike
    /// `wait_for_rising_edge`, this level-triggered wait cannot miss an edge that
    /// happened while the pin was not being watched (between two calls, or just after a
    /// bounce).
    ///
    /// Cancel-safe: if the future is dropped, for example because it lost a `select`
    /// against the network, no confirmed press is lost; a press that was still being
    /// confirmed is confirmed afresh by the next call. The same happens to the other
    /// buttons when a call returns one press, so a press that overlaps another one must
    /// be held for up to two debounce intervals (40 ms by default) to count.
    ///
    /// The buttons are only watched while this future is polled. A new `Buttons` treats
    /// every button as pressed until it was seen released for an interval, so a button
    /// held at power-up is not reported.
    pub async fn next_press(&mut self) -> Result<u8, P::Error> {
        let ms = self.debounce_ms;
        let [p1, p2, p3, p4] = &mut self.pins;
        let [s1, s2, s3, s4] = &mut self.state;
        let (index, result) = match select4(
            watch(p1, self.delay.clone(), ms, s1),
            watch(p2, self.delay.clone(), ms, s2),
            watch(p3, self.delay.clone(), ms, s3),
            watch(p4, self.delay.clone(), ms, s4),
        )
        .await
        {
            Either4::First(result) => (0, result),
            Either4::Second(result) => (1, result),
            Either4::Third(result) => (2, result),
            Either4::Fourth(result) => (3, result),
        };
        result?;
        Ok(FIRST_TABLE + index)
    }
}

/// Debounces one pin until it completes a press.
async fn watch<P: Wait, D: DelayNs>(
    pin: &mut P,
    mut delay: D,
    debounce_ms: u32,
    state: &mut Debouncer,
) -> Result<(), P::Error> {
    loop {
        let level = state.awaited_level();
        wait_for(pin, level).await?;
        // The pin reached `level`; it counts only if it does not leave it for an interval.
        match select(wait_for(pin, !level), delay.delay_ms(debounce_ms)).await {
            Either::First(result) => result?,
            Either::Second(()) => {
                if state.settled(level) {
                    return Ok(());
                }
            }
        }
    }
}

async fn wait_for<P: Wait>(pin: &mut P, high: bool) -> Result<(), P::Error> {
    if high {
        pin.wait_for_high().await
    } else {
        pin.wait_for_low().await
    }
}
