//! A complete client: connect (with will and resend of QoS 1 in flight), subscribe and
//! resubscribe, publish QoS 1 with retain and QoS 0, receive with PUBACK, keep alive.
//! RX 512 B and TX 1024 B are the buffers `measure.py` adds to the state for the RAM figure.
#![no_std]
#![no_main]

use core::hint::black_box;

use picomqtt::packet::Will;
use picomqtt::{Client, ConnectOptions, Event, QoS, Session, TopicName};
use picomqtt_size::{OpaqueTransport, run};

/// The RAM the client's own state takes on this target, read back by `measure.py`.
#[unsafe(no_mangle)]
pub static PICOMQTT_STATE_SIZES: [u32; 2] = [
    size_of::<Session<'static>>() as u32,
    size_of::<Client<'static, 'static, OpaqueTransport>>() as u32,
];

/// Every function that returns a `Result` carries an `Error`; at 12 bytes instead of 8 the
/// client grew by 236 B. Keep it at two words.
const _: () = assert!(size_of::<picomqtt::Error>() <= 8);

/// The buffers this program gives the session.
const RX: usize = 512;
const TX: usize = 1024;

#[cortex_m_rt::entry]
fn main() -> ! {
    black_box(&PICOMQTT_STATE_SIZES);
    run(async {
        let mut rx = [0u8; RX];
        let mut tx = [0u8; TX];
        let mut session = Session::new(&mut rx, &mut tx);
        let options = ConnectOptions {
            clean_session: false,
            keep_alive: 60,
            will: TopicName::new("dev/status").ok().map(|topic| Will {
                topic,
                payload: b"offline",
                qos: QoS::AtLeastOnce,
                retain: true,
            }),
            ..ConnectOptions::new("dev")
        };
        loop {
            let Ok(mut client) = Client::connect(&mut session, OpaqueTransport, &options).await
            else {
                continue;
            };
            if !client.session_present() && black_box(true) {
                let _ = client.resubscribe().await;
            }
            let _ = client
                .subscribe(&[("dev/commands", QoS::AtLeastOnce)])
                .await;
            let _ = client
                .publish("dev/status", b"online", QoS::AtLeastOnce, true)
                .await;
            let _ = client
                .publish("dev/telemetry", black_box(b"{}"), QoS::AtMostOnce, false)
                .await;
            while let Ok(event) = client.poll().await {
                if let Event::Message(message) = event {
                    black_box((message.topic, message.payload));
                }
            }
        }
    })
}
