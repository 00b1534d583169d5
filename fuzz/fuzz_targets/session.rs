//! The broker is the attacker: after a normal CONNECT/CONNACK, the input is what the broker
//! sends, cut into reads of sizes the input also picks, interleaved with publishes,
//! subscribes (to filters the input also picks), resubscribes and reconnects. Nothing may panic,
//! the session must never emit a packet the codec rejects, its subscription records must stay
//! valid filters, and after a fatal error it must stay disconnected.
#![no_main]

use embassy_time::Instant;
use libfuzzer_sys::fuzz_target;
use picomqtt::packet::{Decoded, decode};
use picomqtt::{ConnectOptions, QoS, Session, TopicFilter};

/// Sends everything queued, checking that it is a stream of valid packets.
fn drain(session: &mut Session<'_>) {
    let mut out = Vec::new();
    for _ in 0..64 {
        let Some(data) = session.transmit_data() else {
            break;
        };
        let data = data.to_vec();
        session.transmitted(data.len(), Instant::from_ticks(0));
        out.extend_from_slice(&data);
    }
    let mut rest = &out[..];
    while !rest.is_empty() {
        match decode(rest) {
            Ok(Decoded::Complete { len, .. }) => rest = &rest[len..],
            other => panic!("the session sent an invalid packet: {other:?} in {out:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("fuzz")
    };
    session.connect(&options, Instant::from_ticks(0)).unwrap();
    drain(&mut session);
    let connack = [0x20, 2, 0, 0];
    session.receive_buffer()[..4].copy_from_slice(&connack);
    session.received(4);
    assert_eq!(session.process(), Ok(false));
    assert!(session.is_connected());

    let mut input = data;
    let mut ever_failed = false;
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        match op % 12 {
            0 => {
                let _ =
                    session.publish("t/a", &input[..input.len().min(9)], QoS::AtLeastOnce, true);
            }
            1 => {
                let _ = session.subscribe(&[("t/+", QoS::AtLeastOnce), ("#", QoS::AtMostOnce)]);
            }
            2 => {
                let _ = session.unsubscribe(&["t/+"]);
            }
            3 => {
                let _ = session.handle_timeout(Instant::from_ticks(u64::from(op) << 40));
            }
            4 => {
                let _ = session.resubscribe();
            }
            5 => {
                // A filter of up to 15 bytes from the input, made of level characters, `/`, `+`
                // and `#`: the session refuses the misplaced wildcards.
                let n = usize::from(op / 16).min(input.len());
                let filter: String = input[..n]
                    .iter()
                    .map(|b| ['a', 'b', '/', '+', '#'][usize::from(*b) % 5])
                    .collect();
                input = &input[n..];
                let _ = session.subscribe(&[(filter.as_str(), QoS::AtLeastOnce)]);
            }
            6 => {
                // The connection drops and comes back, continuing the session or not; the
                // broker's CONNACK arrives among the later bytes, or never.
                session.close();
                let options = ConnectOptions {
                    clean_session: op & 0x10 != 0,
                    ..ConnectOptions::new("fuzz")
                };
                let _ = session.connect(&options, Instant::from_ticks(0));
            }
            _ => {
                // The broker sends up to `op / 8` bytes.
                let buf = session.receive_buffer();
                let n = usize::from(op / 8).min(input.len()).min(buf.len());
                buf[..n].copy_from_slice(&input[..n]);
                session.received(n);
                input = &input[n..];
            }
        }
        drain(&mut session);
        for (filter, _) in session.subscriptions() {
            assert!(
                TopicFilter::new(filter).is_ok(),
                "invalid record {filter:?}"
            );
        }
        for _ in 0..64 {
            match session.process() {
                Ok(true) => {
                    if let Some(picomqtt::Event::Message(m)) = session.event() {
                        let _ = (m.topic, m.payload, m.subscription());
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    if e.is_fatal() {
                        ever_failed = true;
                        break;
                    }
                }
            }
            drain(&mut session);
        }
        if ever_failed {
            assert!(
                !session.is_connected(),
                "a fatal error must leave the session disconnected"
            );
            return;
        }
    }
});
