//! Feeds opaque bytes to `picomqtt::packet::decode` and the topic functions, touching every
//! field of the result, on `thumbv6m-none-eabi`. The panic handler calls a symbol that no object
//! defines: if the optimiser could not remove every panic path, the link fails.
#![no_std]
#![no_main]

use core::hint::black_box;

use picomqtt::packet::{Decoded, Packet, decode};
use picomqtt::{TopicFilter, TopicName};

/// The input: its contents and length are hidden from the optimiser by `black_box`.
static INPUT: [u8; 256] = [0; 256];

fn input() -> &'static [u8] {
    let all: &'static [u8; 256] = black_box(&INPUT);
    all.get(..black_box(256)).unwrap_or_default()
}

fn walk(packet: &Packet<'_>) {
    match packet {
        Packet::Connect(c) => {
            black_box((
                c.clean_session,
                c.keep_alive,
                c.client_id,
                c.username,
                c.password,
            ));
            if let Some(will) = &c.will {
                black_box((will.topic.as_str(), will.payload, will.qos, will.retain));
            }
        }
        Packet::ConnAck(a) => {
            black_box((a.session_present, a.return_code));
        }
        Packet::Publish(p) => {
            black_box((
                p.dup,
                p.qos,
                p.retain,
                p.topic.as_str(),
                p.packet_id,
                p.payload,
            ));
        }
        Packet::PubAck(a) => {
            black_box(a.packet_id);
        }
        Packet::PubRec(a) => {
            black_box(a.packet_id);
        }
        Packet::PubRel(a) => {
            black_box(a.packet_id);
        }
        Packet::PubComp(a) => {
            black_box(a.packet_id);
        }
        Packet::Subscribe(s) => {
            black_box(s.packet_id);
            for (filter, qos) in s.filters.iter() {
                black_box((filter.as_str(), qos));
            }
        }
        Packet::SubAck(s) => {
            black_box(s.packet_id);
            for code in s.return_codes.iter() {
                black_box(code);
            }
            black_box(s.return_codes.get(black_box(3)));
        }
        Packet::Unsubscribe(u) => {
            black_box(u.packet_id);
            for filter in u.filters.iter() {
                black_box(filter.as_str());
            }
        }
        Packet::UnsubAck(a) => {
            black_box(a.packet_id);
        }
        Packet::PingReq | Packet::PingResp | Packet::Disconnect => {}
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    loop {
        // A stream of packets, as a client reads them.
        let mut rest = input();
        while let Ok(Decoded::Complete { packet, len }) = decode(rest) {
            walk(&packet);
            rest = rest.get(len..).unwrap_or_default();
        }
        if let Ok(Decoded::Incomplete { needed }) = decode(input()) {
            black_box(needed);
        }
        // Topics and matching.
        if let Ok(text) = core::str::from_utf8(input()) {
            let (filter, topic) = text.split_at_checked(black_box(7)).unwrap_or((text, text));
            if let (Ok(filter), Ok(topic)) = (TopicFilter::new(filter), TopicName::new(topic)) {
                black_box(filter.matches(topic));
            }
        }
        #[cfg(feature = "prove-it-fails")]
        black_box(input()[black_box(1000)]);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: referencing it makes any surviving panic path a link error.
        fn picomqtt_has_a_reachable_panic() -> !;
    }
    // SAFETY: never runs; the link fails if this handler is reachable at all.
    unsafe { picomqtt_has_a_reachable_panic() }
}
