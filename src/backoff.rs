//! Exponential backoff for the reconnect loop.
//!
//! ```no_run
//! # async fn open_socket() -> Result<impl embedded_io_async::Read + embedded_io_async::Write, ()> {
//! #     Err::<embedded_io_adapters::tokio_1::FromTokio<tokio::net::TcpStream>, ()>(())
//! # }
//! use embassy_time::Duration;
//! use picomqtt::{Backoff, Client, ConnectOptions, Event, QoS, Session};
//!
//! # async fn run() {
//! let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
//! let mut session = Session::new(&mut rx, &mut tx);
//! let options = ConnectOptions { clean_session: false, ..ConnectOptions::new("callbox-1") };
//! let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
//!
//! loop {
//!     let Ok(socket) = open_socket().await else {
//!         backoff.wait().await;
//!         continue;
//!     };
//!     let mut client = match Client::connect(&mut session, socket, &options).await {
//!         Ok(client) => client,
//!         Err(_) => {
//!             backoff.wait().await;
//!             continue;
//!         }
//!     };
//!     backoff.reset();
//!     if !client.session_present() {
//!         // First connection, or the broker lost the session: subscribe (again).
//!         let _ = client.subscribe(&[("callbox-1/commands", QoS::AtLeastOnce)]).await;
//!     }
//!     while let Ok(event) = client.poll().await {
//!         // ... handle the event ...
//! #       let _ = event;
//!     }
//!     // The connection died: loop around and reconnect after a pause.
//!     backoff.wait().await;
//! }
//! # }
//! ```

use embassy_time::{Duration, Timer};

/// Delays that double after each failure, from `min` up to `max`, with optional jitter so that
/// many devices restarted together do not reconnect in lockstep.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
    /// xorshift32 state for jitter; 0 means no jitter.
    seed: u32,
}

impl Backoff {
    /// Starts at `min` and doubles up to `max`, without jitter.
    pub const fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
            seed: 0,
        }
    }

    /// Takes up to a quarter off each delay, pseudo-randomly from `seed` (for example a value
    /// from the chip's random number generator). A seed of 0 turns jitter off.
    pub const fn with_jitter(mut self, seed: u32) -> Self {
        self.seed = seed;
        self
    }

    /// The delay to wait now; the one after it is twice as long, up to the maximum.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = match delay.checked_add(delay) {
            Some(doubled) if doubled < self.max => doubled,
            _ => self.max,
        };
        if self.seed == 0 {
            return delay;
        }
        // xorshift32, then scale a quarter of the delay by a 16-bit fraction: no division.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        let quarter = delay.as_ticks() >> 2;
        let cut = quarter.wrapping_mul(u64::from(self.seed & 0xFFFF)) >> 16;
        Duration::from_ticks(delay.as_ticks() - cut)
    }

    /// Sleeps for [`Backoff::next_delay`].
    pub async fn wait(&mut self) {
        Timer::after(self.next_delay()).await;
    }

    /// Back to the minimum delay, after a connection succeeded.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_and_reset_to_the_minimum() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let delays: Vec<u64> = (0..6).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn jitter_takes_at_most_a_quarter_off_and_varies() {
        let mut b = Backoff::new(Duration::from_secs(8), Duration::from_secs(8)).with_jitter(12345);
        let delays: Vec<Duration> = (0..50).map(|_| b.next_delay()).collect();
        for d in &delays {
            assert!(
                *d <= Duration::from_secs(8) && *d >= Duration::from_secs(6),
                "{d:?}"
            );
        }
        assert!(
            delays.windows(2).any(|w| w[0] != w[1]),
            "jitter should vary"
        );
    }
}
