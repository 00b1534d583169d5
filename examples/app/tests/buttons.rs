//! `Buttons` and `Debouncer` driven by scripted mock pins on a virtual clock.
//!
//! Each mock pin follows a script of level changes (in milliseconds of virtual time,
//! starting low). A tiny executor polls the future under test and, whenever it is
//! pending, jumps the clock to the next scripted level change or the next delay
//! deadline, whichever comes first. When neither exists the future can never make
//! progress again and the run ends. Every loop is bounded: the executor by a step
//! count, the mocks by a call count (which also catches busy polling).

use core::convert::Infallible;
use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::cell::{Cell, RefCell};

use picomqtt_demo::{Buttons, DEFAULT_DEBOUNCE_MS, Debouncer};

const NS_PER_MS: u64 = 1_000_000;
const MAX_STEPS: u32 = 100_000;
const MAX_MOCK_CALLS: u32 = 100_000;

/// The virtual world: clock, pin scripts and the earliest pending delay.
struct Sim {
    now: Cell<u64>,
    /// Per pin: (time in ns, new level), in increasing time.
    scripts: [Vec<(u64, bool)>; 4],
    next_deadline: Cell<Option<u64>>,
    calls: Cell<u32>,
}

impl Sim {
    fn new(scripts: [&[(u64, bool)]; 4]) -> Self {
        Self {
            now: Cell::new(0),
            scripts: scripts.map(|s| {
                s.iter()
                    .map(|&(ms, level)| (ms * NS_PER_MS, level))
                    .collect()
            }),
            next_deadline: Cell::new(None),
            calls: Cell::new(0),
        }
    }

    fn count_call(&self) {
        let calls = self.calls.get() + 1;
        assert!(
            calls <= MAX_MOCK_CALLS,
            "more than {MAX_MOCK_CALLS} mock calls: busy loop?"
        );
        self.calls.set(calls);
    }

    fn level(&self, pin: usize, at: u64) -> bool {
        self.scripts[pin]
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .is_some_and(|&(_, level)| level)
    }

    /// Whether `pin` went to `level` in (since, now].
    fn changed_to(&self, pin: usize, level: bool, since: u64) -> bool {
        let now = self.now.get();
        self.scripts[pin]
            .iter()
            .any(|&(t, l)| l == level && t > since && t <= now)
    }

    fn next_change_after(&self, at: u64) -> Option<u64> {
        self.scripts
            .iter()
            .flat_map(|s| s.iter().map(|(t, _)| *t))
            .filter(|t| *t > at)
            .min()
    }

    fn register_deadline(&self, deadline: u64) {
        let next = self
            .next_deadline
            .get()
            .map_or(deadline, |d| d.min(deadline));
        self.next_deadline.set(Some(next));
    }

    fn now_ms(&self) -> u64 {
        self.now.get() / NS_PER_MS
    }
}

/// Polls `future` until it completes (`Some`) or can never progress again (`None`).
fn run<F: Future>(sim: &Sim, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..MAX_STEPS {
        sim.next_deadline.set(None);
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        let now = sim.now.get();
        let next = match (sim.next_change_after(now), sim.next_deadline.get()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        };
        assert!(next > now, "the clock must advance");
        sim.now.set(next);
    }
    panic!("more than {MAX_STEPS} executor steps");
}

struct MockPin<'a> {
    sim: &'a Sim,
    index: usize,
}

impl MockPin<'_> {
    /// Pending until `done(since)` holds, where `since` is the time of the call.
    async fn until(&self, done: impl Fn(&Sim, u64) -> bool) -> Result<(), Infallible> {
        self.sim.count_call();
        let since = self.sim.now.get();
        poll_fn(|_| {
            if done(self.sim, since) {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

impl embedded_hal::digital::ErrorType for MockPin<'_> {
    type Error = Infallible;
}

impl embedded_hal_async::digital::Wait for MockPin<'_> {
    async fn wait_for_high(&mut self) -> Result<(), Infallible> {
        // Like an interrupt-driven pin: also completes for a pulse between two polls.
        let i = self.index;
        self.until(|sim, since| sim.level(i, since) || sim.changed_to(i, true, since))
            .await
    }

    async fn wait_for_low(&mut self) -> Result<(), Infallible> {
        let i = self.index;
        self.until(|sim, since| !sim.level(i, since) || sim.changed_to(i, false, since))
            .await
    }

    async fn wait_for_rising_edge(&mut self) -> Result<(), Infallible> {
        let i = self.index;
        self.until(|sim, since| sim.changed_to(i, true, since))
            .await
    }

    async fn wait_for_falling_edge(&mut self) -> Result<(), Infallible> {
        let i = self.index;
        self.until(|sim, since| sim.changed_to(i, false, since))
            .await
    }

    async fn wait_for_any_edge(&mut self) -> Result<(), Infallible> {
        let i = self.index;
        self.until(|sim, since| sim.changed_to(i, true, since) || sim.changed_to(i, false, since))
            .await
    }
}

#[derive(Clone)]
struct MockDelay<'a> {
    sim: &'a Sim,
}

impl embedded_hal_async::delay::DelayNs for MockDelay<'_> {
    async fn delay_ns(&mut self, ns: u32) {
        self.sim.count_call();
        let deadline = self.sim.now.get() + u64::from(ns);
        poll_fn(|_| {
            if self.sim.now.get() >= deadline {
                Poll::Ready(())
            } else {
                self.sim.register_deadline(deadline);
                Poll::Pending
            }
        })
        .await
    }
}

fn pins(sim: &Sim) -> [MockPin<'_>; 4] {
    [0, 1, 2, 3].map(|index| MockPin { sim, index })
}

/// Runs `next_press` in a loop until nothing can happen any more; returns every
/// reported (table, virtual time in ms) and the number of mock calls made.
fn presses_with(debounce_ms: u32, scripts: [&[(u64, bool)]; 4]) -> (Vec<(u8, u64)>, u32) {
    let sim = Sim::new(scripts);
    let seen = RefCell::new(Vec::new());
    let mut buttons =
        Buttons::new(pins(&sim), MockDelay { sim: &sim }).with_debounce_ms(debounce_ms);
    let ended = run(&sim, async {
        loop {
            let Ok(table) = buttons.next_press().await;
            seen.borrow_mut().push((table, sim.now_ms()));
        }
    });
    assert!(ended.is_none());
    (seen.into_inner(), sim.calls.get())
}

fn presses(scripts: [&[(u64, bool)]; 4]) -> Vec<(u8, u64)> {
    presses_with(DEFAULT_DEBOUNCE_MS, scripts).0
}

const IDLE: &[(u64, bool)] = &[];

#[test]
fn default_debounce_interval_is_20_ms() {
    let sim = Sim::new([IDLE; 4]);
    let buttons = Buttons::new(pins(&sim), MockDelay { sim: &sim });
    assert_eq!(buttons.debounce_ms(), 20);
}

#[test]
fn clean_press_is_reported_once_a_debounce_interval_after_it_began() {
    let press: &[(u64, bool)] = &[(100, true), (300, false)];
    assert_eq!(presses([IDLE, IDLE, press, IDLE]), vec![(3, 120)]);
}

#[test]
fn bouncing_press_and_release_give_exactly_one_event() {
    let bouncy: &[(u64, bool)] = &[
        // press: 4 ms of contact bounce
        (100, true),
        (101, false),
        (102, true),
        (103, false),
        (104, true),
        // release: 3 ms of contact bounce
        (400, false),
        (401, true),
        (403, false),
    ];
    // Confirmed 20 ms after the last bounce of the press.
    assert_eq!(presses([bouncy, IDLE, IDLE, IDLE]), vec![(1, 124)]);
}

#[test]
fn two_presses_of_one_button_give_two_events() {
    let twice: &[(u64, bool)] = &[(100, true), (300, false), (500, true), (700, false)];
    assert_eq!(presses([IDLE, twice, IDLE, IDLE]), vec![(2, 120), (2, 520)]);
}

#[test]
fn two_bouncing_presses_give_two_events() {
    let twice: &[(u64, bool)] = &[
        (100, true),
        (102, false),
        (103, true),
        (300, false),
        (301, true),
        (302, false),
        (500, true),
        (501, false),
        (505, true),
        (700, false),
    ];
    assert_eq!(presses([IDLE, IDLE, IDLE, twice]), vec![(4, 123), (4, 525)]);
}

#[test]
fn glitch_shorter_than_the_debounce_interval_gives_no_event() {
    let glitch: &[(u64, bool)] = &[(100, true), (110, false)];
    assert_eq!(presses([glitch, IDLE, IDLE, IDLE]), vec![]);
}

#[test]
fn pulse_of_exactly_the_debounce_interval_is_not_a_press_but_one_ms_longer_is() {
    let exactly: &[(u64, bool)] = &[(100, true), (120, false)];
    let longer: &[(u64, bool)] = &[(100, true), (121, false)];
    assert_eq!(presses([exactly, IDLE, IDLE, IDLE]), vec![]);
    assert_eq!(presses([longer, IDLE, IDLE, IDLE]), vec![(1, 120)]);
}

#[test]
fn each_pin_reports_its_own_table_number() {
    let press: &[(u64, bool)] = &[(100, true), (300, false)];
    for pin in 0..4 {
        let mut scripts = [IDLE; 4];
        scripts[pin] = press;
        let table = u8::try_from(pin + 1).unwrap();
        assert_eq!(presses(scripts), vec![(table, 120)], "pin index {pin}");
    }
}

#[test]
fn held_button_is_reported_once() {
    let held: &[(u64, bool)] = &[(100, true), (60_000, false)];
    assert_eq!(presses([held, IDLE, IDLE, IDLE]), vec![(1, 120)]);
}

#[test]
fn dropout_shorter_than_the_debounce_interval_while_held_does_not_repeat_the_press() {
    let dropout: &[(u64, bool)] = &[(100, true), (200, false), (215, true), (400, false)];
    assert_eq!(presses([IDLE, dropout, IDLE, IDLE]), vec![(2, 120)]);
}

#[test]
fn button_held_at_power_up_is_reported_only_after_release_and_new_press() {
    let stuck: &[(u64, bool)] = &[(0, true), (500, false), (700, true), (900, false)];
    assert_eq!(presses([IDLE, IDLE, stuck, IDLE]), vec![(3, 720)]);
}

#[test]
fn overlapping_presses_on_different_buttons_are_each_reported_once() {
    // Returning table 1 at 120 ends the call; the presses of tables 2 and 4, still being
    // confirmed then, are confirmed afresh by the following calls (120..140, 140..160).
    let long: &[(u64, bool)] = &[(100, true), (1_000, false)];
    let second: &[(u64, bool)] = &[(110, true), (300, false)];
    let fourth: &[(u64, bool)] = &[(115, true), (116, false), (117, true), (400, false)];
    assert_eq!(
        presses([long, second, IDLE, fourth]),
        vec![(1, 120), (2, 140), (4, 160)]
    );
}

#[test]
fn press_held_for_two_intervals_is_not_lost_while_another_is_reported() {
    // Table 2 is held for 25 ms, starting 1 ms before table 1 is reported.
    let first: &[(u64, bool)] = &[(100, true), (500, false)];
    let short: &[(u64, bool)] = &[(119, true), (144, false)];
    assert_eq!(
        presses([first, short, IDLE, IDLE]),
        vec![(1, 120), (2, 140)]
    );
}

#[test]
fn configured_debounce_interval_is_used() {
    let medium_glitch: &[(u64, bool)] = &[(100, true), (140, false)];
    let press: &[(u64, bool)] = &[(100, true), (300, false)];
    assert_eq!(
        presses_with(50, [medium_glitch, IDLE, IDLE, IDLE]).0,
        vec![]
    );
    assert_eq!(
        presses_with(50, [IDLE, press, IDLE, IDLE]).0,
        vec![(2, 150)]
    );
    // The same 40 ms pulse is a press with the default 20 ms.
    assert_eq!(presses([medium_glitch, IDLE, IDLE, IDLE]), vec![(1, 120)]);
}

#[test]
fn waiting_for_presses_does_not_poll() {
    // One press in a virtual hour: a sampling loop would call the delay thousands of
    // times; waiting on the pins needs a handful of calls.
    let press: &[(u64, bool)] = &[(1_800_000, true), (1_800_200, false), (3_600_000, false)];
    let (seen, calls) = presses_with(DEFAULT_DEBOUNCE_MS, [IDLE, press, IDLE, IDLE]);
    assert_eq!(seen, vec![(2, 1_800_020)]);
    assert!(calls < 60, "{calls} mock calls");
}

#[test]
fn next_press_dropped_while_confirming_loses_no_press() {
    // The caller races next_press against a timeout, as firmware might against the
    // network. The press that began at 100 is still being confirmed when the second race
    // is lost at 110; the next call confirms it afresh (110..130).
    let sim = Sim::new([&[(100, true), (400, false)], IDLE, IDLE, IDLE]);
    let mut buttons = Buttons::new(pins(&sim), MockDelay { sim: &sim });
    let mut timer = MockDelay { sim: &sim };
    let outcome = run(&sim, async {
        use embassy_futures::select::{Either, select};
        use embedded_hal_async::delay::DelayNs;
        // 0..50: the power-up release confirmation completes, no press.
        let race = select(buttons.next_press(), timer.delay_ms(50)).await;
        assert!(matches!(race, Either::Second(())), "no press before 50 ms");
        let race = select(buttons.next_press(), timer.delay_ms(60)).await;
        assert!(
            matches!(race, Either::Second(())),
            "no press confirmed by 110 ms"
        );
        let Ok(table) = buttons.next_press().await;
        (table, sim.now_ms())
    });
    assert_eq!(outcome, Some((1, 130)));
}

/// A pin whose waits fail, to show that errors reach the caller.
struct BrokenPin;

#[derive(Debug, PartialEq)]
struct PinFault;

impl embedded_hal::digital::Error for PinFault {
    fn kind(&self) -> embedded_hal::digital::ErrorKind {
        embedded_hal::digital::ErrorKind::Other
    }
}

impl embedded_hal::digital::ErrorType for BrokenPin {
    type Error = PinFault;
}

impl embedded_hal_async::digital::Wait for BrokenPin {
    async fn wait_for_high(&mut self) -> Result<(), PinFault> {
        Err(PinFault)
    }
    async fn wait_for_low(&mut self) -> Result<(), PinFault> {
        Err(PinFault)
    }
    async fn wait_for_rising_edge(&mut self) -> Result<(), PinFault> {
        Err(PinFault)
    }
    async fn wait_for_falling_edge(&mut self) -> Result<(), PinFault> {
        Err(PinFault)
    }
    async fn wait_for_any_edge(&mut self) -> Result<(), PinFault> {
        Err(PinFault)
    }
}

#[test]
fn pin_error_is_returned_by_next_press() {
    let sim = Sim::new([IDLE; 4]);
    let mut buttons = Buttons::new(
        [BrokenPin, BrokenPin, BrokenPin, BrokenPin],
        MockDelay { sim: &sim },
    );
    assert_eq!(run(&sim, buttons.next_press()), Some(Err(PinFault)));
}

#[test]
fn debouncer_starts_pressed_and_waits_for_a_release() {
    let button = Debouncer::new();
    assert!(!button.awaited_level());
    assert_eq!(Debouncer::default(), button);
}

#[test]
fn debouncer_reports_a_press_only_after_a_settled_release() {
    let mut button = Debouncer::new();
    assert!(!button.settled(true), "held at power-up is not a press");
    assert!(!button.settled(false));
    assert!(button.awaited_level());
    assert!(button.settled(true), "released -> held is a press");
    assert!(!button.awaited_level());
    assert!(!button.settled(true), "still held is not a new press");
    assert!(!button.settled(false));
    assert!(button.settled(true), "second press");
}
