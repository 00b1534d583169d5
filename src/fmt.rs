//! Logging macros that forward to `defmt` or `log` when one of those features is on, and compile to
//! nothing otherwise (the arguments are still type-checked, so a log line cannot rot).
#![allow(unused_macros)]

// With both `defmt` and `log` on, `defmt` is used.

macro_rules! debug {
    ($($arg:expr),* $(,)?) => {{
        #[cfg(feature = "defmt")]
        ::defmt::debug!($($arg),*);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::debug!($($arg),*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        { $( let _ = &$arg; )* }
    }};
}

macro_rules! warn {
    ($($arg:expr),* $(,)?) => {{
        #[cfg(feature = "defmt")]
        ::defmt::warn!($($arg),*);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::warn!($($arg),*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        { $( let _ = &$arg; )* }
    }};
}
