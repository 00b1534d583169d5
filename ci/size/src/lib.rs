//! What both size binaries share, so that their difference is the client alone: a time driver,
//! a transport, a one-future executor and the panic handler.
#![no_std]

use core::future::Future;
use core::hint::black_box;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

/// A clock that the optimiser cannot see through.
pub struct OpaqueClock;

impl embassy_time_driver::Driver for OpaqueClock {
    fn now(&self) -> u64 {
        black_box(0)
    }
    fn schedule_wake(&self, at: u64, waker: &Waker) {
        black_box((at, waker));
    }
}

embassy_time_driver::time_driver_impl!(static CLOCK: OpaqueClock = OpaqueClock);

/// A transport whose reads and writes the optimiser cannot predict.
pub struct OpaqueTransport;

impl embedded_io_async::ErrorType for OpaqueTransport {
    type Error = embedded_io_async::ErrorKind;
}

impl embedded_io_async::Read for OpaqueTransport {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = black_box(buf.len());
        for b in buf.iter_mut().take(n) {
            *b = black_box(0);
        }
        if black_box(false) {
            Err(embedded_io_async::ErrorKind::Other)
        } else {
            Ok(n)
        }
    }
}

impl embedded_io_async::Write for OpaqueTransport {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        black_box(buf);
        if black_box(false) {
            Err(embedded_io_async::ErrorKind::Other)
        } else {
            Ok(buf.len())
        }
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        if black_box(false) {
            Err(embedded_io_async::ErrorKind::Other)
        } else {
            Ok(())
        }
    }
}

/// Polls `future` forever with a waker that does nothing.
pub fn run(future: impl Future<Output = ()>) -> ! {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(()) = future.as_mut().poll(&mut cx) {
            black_box(());
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        black_box(());
    }
}
