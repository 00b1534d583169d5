//! The baseline: the same runtime, clock and transport, moving bytes without MQTT. It also uses
//! memcpy, memmove and memset, which every firmware links anyway (the C peers' size tables do
//! not count libc either), so that the difference is picomqtt's own code.
#![no_std]
#![no_main]

use core::hint::black_box;

use embedded_io_async::{Read, Write};
use picomqtt_size::{OpaqueTransport, run};

#[cortex_m_rt::entry]
fn main() -> ! {
    run(async {
        let mut transport = OpaqueTransport;
        let mut buf = [0u8; 64];
        let mut copy = [0u8; 64];
        loop {
            let now = embassy_time::Instant::now();
            let n = transport.read(&mut buf).await.unwrap_or(0).min(buf.len());
            let at = black_box(n / 2);
            buf.copy_within(at..n, 0);
            copy[..n].copy_from_slice(&buf[..n]);
            copy[black_box(0)..black_box(n)].fill(0);
            let _ = transport.write(&copy[..n]).await;
            let _ = transport.flush().await;
            black_box(now);
        }
    })
}
