//! picomqtt's client on a Cortex-M0 under QEMU, against scripted brokers.
//!
//! The host tests run the same protocol on a 64-bit PC; this binary runs it on the RP2040's
//! instruction set, with 32-bit `usize`, a 64-bit tick clock that the core has no instructions
//! for, and overflow checks on. Each test is a script of the exact bytes the client must write
//! and the bytes the broker answers; a wrong byte, a read where a write was due, or any panic
//! fails the run (semihosting exit status 1).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Waker;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprint, hprintln};
use embassy_futures::{block_on, yield_now};
use embassy_time::Duration;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use picomqtt::packet::SubscribeReturnCode;
use picomqtt::{Client, ConnectOptions, Error, Event, QoS, Session, TopicFilter, TopicName};

// --- a clock that moves only when a script says so ----------------------------------------------

/// Milliseconds since start. The core has no 64-bit atomics; tests stay far below 49 days.
static NOW_MS: AtomicU32 = AtomicU32::new(0);

struct ScriptClock;

impl embassy_time_driver::Driver for ScriptClock {
    fn now(&self) -> u64 {
        u64::from(NOW_MS.load(Ordering::Relaxed)) * embassy_time::TICK_HZ / 1000
    }

    fn schedule_wake(&self, _at: u64, waker: &Waker) {
        // `block_on` polls again at once anyway; time moves only through `Step::Wait`.
        waker.wake_by_ref();
    }
}

embassy_time_driver::time_driver_impl!(static CLOCK: ScriptClock = ScriptClock);

// --- the scripted broker -----------------------------------------------------------------------

/// One step of a conversation, from the broker's side.
#[derive(Clone, Copy)]
enum Step {
    /// The client must write exactly these bytes next, in as many writes as it likes.
    Expect(&'static [u8]),
    /// The broker sends these bytes.
    Send(&'static [u8]),
    /// The broker stays silent while this many milliseconds pass.
    Wait(u32),
    /// The broker closes the connection: the next read returns 0.
    Close,
}

/// A transport that plays a script and panics on the first deviation from it.
struct Broker {
    name: &'static str,
    steps: &'static [Step],
    at: usize,
    offset: usize,
}

impl Broker {
    fn new(name: &'static str, steps: &'static [Step]) -> Self {
        Self {
            name,
            steps,
            at: 0,
            offset: 0,
        }
    }

    fn next_step(&mut self) {
        self.at += 1;
        self.offset = 0;
    }

    /// Panics unless every step was played.
    fn assert_done(&self) {
        assert!(
            self.at == self.steps.len(),
            "{}: script stopped at step {} of {}",
            self.name,
            self.at,
            self.steps.len()
        );
    }
}

impl ErrorType for Broker {
    type Error = ErrorKind;
}

impl Read for Broker {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        loop {
            match self.steps.get(self.at).copied() {
                Some(Step::Send(bytes)) => {
                    let rest = &bytes[self.offset..];
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.offset += n;
                    if self.offset == bytes.len() {
                        self.next_step();
                    }
                    return Ok(n);
                }
                Some(Step::Wait(ms)) => {
                    NOW_MS.store(NOW_MS.load(Ordering::Relaxed) + ms, Ordering::Relaxed);
                    self.next_step();
                    // Stay silent for a few polls, so that the client's timer sees the new time
                    // before more bytes come: an embassy-time `Timer` is pending on its first
                    // poll even when it is already due.
                    for _ in 0..3 {
                        yield_now().await;
                    }
                }
                Some(Step::Close) => {
                    self.next_step();
                    return Ok(0);
                }
                Some(Step::Expect(bytes)) => panic!(
                    "{}: the client reads, but step {} expects it to write {:02x?}",
                    self.name,
                    self.at,
                    &bytes[self.offset..]
                ),
                None => panic!("{}: the client reads after the script ended", self.name),
            }
        }
    }
}

impl Write for Broker {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let Some(Step::Expect(bytes)) = self.steps.get(self.at).copied() else {
            panic!(
                "{}: the client writes {:02x?} at step {}, which expects no write",
                self.name, buf, self.at
            );
        };
        let rest = &bytes[self.offset..];
        let n = rest.len().min(buf.len());
        assert_eq!(
            &buf[..n],
            &rest[..n],
            "{}: wrong bytes at step {}, offset {}",
            self.name,
            self.at,
            self.offset
        );
        self.offset += n;
        if self.offset == bytes.len() {
            self.next_step();
        }
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

// --- packets, byte by byte from the specification ----------------------------------------------

/// CONNECT, client id "m0", keep alive 60 s, clean session.
const CONNECT_CLEAN: &[u8] = &[
    0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 2, b'm', b'0',
];
/// The same without clean session.
const CONNECT_PERSISTENT: &[u8] = &[
    0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x00, 0, 60, 0, 2, b'm', b'0',
];
/// CONNECT, client id "m0", keep alive 5 s, clean session.
const CONNECT_KEEP_ALIVE_5: &[u8] = &[
    0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 5, 0, 2, b'm', b'0',
];
const CONNACK: &[u8] = &[0x20, 2, 0, 0];
const CONNACK_SESSION_PRESENT: &[u8] = &[0x20, 2, 1, 0];
/// SUBSCRIBE id 1 to "m0/cmd" at QoS 1, and its SUBACK granting QoS 1.
const SUBSCRIBE: &[u8] = &[0x82, 11, 0, 1, 0, 6, b'm', b'0', b'/', b'c', b'm', b'd', 1];
const SUBACK: &[u8] = &[0x90, 3, 0, 1, 1];
/// PUBLISH QoS 1, retain, id 2, "on" to "m0/status", and its PUBACK.
const PUBLISH_STATUS: &[u8] = &[
    0x33, 15, 0, 9, b'm', b'0', b'/', b's', b't', b'a', b't', b'u', b's', 0, 2, b'o', b'n',
];
const PUBACK_2: &[u8] = &[0x40, 2, 0, 2];
/// PUBLISH QoS 1 from the broker, id 7, `{"led_on":true}` to "m0/cmd", and the client's PUBACK.
const PUBLISH_COMMAND: &[u8] = &[
    0x32, 25, 0, 6, b'm', b'0', b'/', b'c', b'm', b'd', 0, 7, b'{', b'"', b'l', b'e', b'd', b'_',
    b'o', b'n', b'"', b':', b't', b'r', b'u', b'e', b'}',
];
const PUBACK_7: &[u8] = &[0x40, 2, 0, 7];
/// PUBLISH QoS 1, id 1, "x" to "m0/t"; then the same resent with DUP set.
const PUBLISH_X: &[u8] = &[0x32, 9, 0, 4, b'm', b'0', b'/', b't', 0, 1, b'x'];
const PUBLISH_X_DUP: &[u8] = &[0x3A, 9, 0, 4, b'm', b'0', b'/', b't', 0, 1, b'x'];
const PUBACK_1: &[u8] = &[0x40, 2, 0, 1];
const PINGREQ: &[u8] = &[0xC0, 0];
const PINGRESP: &[u8] = &[0xD0, 0];
const DISCONNECT: &[u8] = &[0xE0, 0];
/// A QoS 1 PUBLISH of 100 bytes (id 9, topic "m0/cmd", 88 bytes of payload), too large for a
/// 64-byte RX buffer, then a small QoS 0 one.
const BIG_PUBLISH: &[u8] = &{
    let mut p = [b'.'; 100];
    let head = [0x32, 98, 0, 6, b'm', b'0', b'/', b'c', b'm', b'd', 0, 9];
    let mut i = 0;
    while i < head.len() {
        p[i] = head[i];
        i += 1;
    }
    p
};
/// What fits in the RX buffer, and the rest.
const BIG_PUBLISH_HEAD: &[u8] = BIG_PUBLISH.split_at(64).0;
const BIG_PUBLISH_TAIL: &[u8] = BIG_PUBLISH.split_at(64).1;
const PUBACK_9: &[u8] = &[0x40, 2, 0, 9];
const SMALL_PUBLISH: &[u8] = &[
    0x30, 10, 0, 6, b'm', b'0', b'/', b'c', b'm', b'd', b'h', b'i',
];
/// SUBSCRIBE id 1 to "m0/+/light" at QoS 0 and "m0/#" at QoS 1, and its SUBACK.
const SUBSCRIBE_WILDCARDS: &[u8] = &[
    0x82, 22, 0, 1, 0, 10, b'm', b'0', b'/', b'+', b'/', b'l', b'i', b'g', b'h', b't', 0, 0, 4,
    b'm', b'0', b'/', b'#', 1,
];
const SUBACK_WILDCARDS: &[u8] = &[0x90, 4, 0, 1, 0, 1];
/// PUBLISH QoS 0 "1" to "m0/k/light", and "2" to "m0/x".
const PUBLISH_LIGHT: &[u8] = &[
    0x30, 13, 0, 10, b'm', b'0', b'/', b'k', b'/', b'l', b'i', b'g', b'h', b't', b'1',
];
const PUBLISH_OTHER: &[u8] = &[0x30, 7, 0, 4, b'm', b'0', b'/', b'x', b'2'];
/// PUBLISH QoS 0 `{"light":412}` to "m0/telemetry", and `{"led_on":true}` to "m0/cmd".
const PUBLISH_TELEMETRY: &[u8] = &[
    0x30, 27, 0, 12, b'm', b'0', b'/', b't', b'e', b'l', b'e', b'm', b'e', b't', b'r', b'y', b'{',
    b'"', b'l', b'i', b'g', b'h', b't', b'"', b':', b'4', b'1', b'2', b'}',
];
const PUBLISH_COMMAND_QOS0: &[u8] = &[
    0x30, 23, 0, 6, b'm', b'0', b'/', b'c', b'm', b'd', b'{', b'"', b'l', b'e', b'd', b'_', b'o',
    b'n', b'"', b':', b't', b'r', b'u', b'e', b'}',
];
/// A PUBLISH with QoS 3 in its flags: malformed [MQTT-3.3.1-4].
const PUBLISH_QOS_3: &[u8] = &[0x36, 9, 0, 4, b'm', b'0', b'/', b't', 0, 1, b'x'];

// --- the tests ---------------------------------------------------------------------------------

async fn connects_subscribes_publishes_and_receives() {
    static SCRIPT: [Step; 9] = [
        Step::Expect(CONNECT_CLEAN),
        Step::Send(CONNACK),
        Step::Expect(SUBSCRIBE),
        Step::Send(SUBACK),
        Step::Expect(PUBLISH_STATUS),
        Step::Send(PUBACK_2),
        Step::Send(PUBLISH_COMMAND),
        Step::Expect(PUBACK_7),
        Step::Expect(DISCONNECT),
    ];
    let mut broker = Broker::new("connects_subscribes_publishes_and_receives", &SCRIPT);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = Client::connect(&mut session, &mut broker, &ConnectOptions::new("m0"))
        .await
        .expect("connect");
    assert!(!client.session_present());
    let id = client
        .subscribe(&[("m0/cmd", QoS::AtLeastOnce)])
        .await
        .expect("subscribe");
    match client.poll().await.expect("SUBACK") {
        Event::Subscribed(ack) => {
            assert_eq!(ack.packet_id, id);
            assert_eq!(
                ack.return_codes.get(0),
                Some(SubscribeReturnCode::Success(QoS::AtLeastOnce))
            );
        }
        _ => panic!("expected the SUBACK"),
    }
    let sent = client
        .publish("m0/status", b"on", QoS::AtLeastOnce, true)
        .await
        .expect("publish");
    match client.poll().await.expect("PUBACK") {
        Event::Published(acked) => assert_eq!(Some(acked), sent),
        _ => panic!("expected the PUBACK"),
    }
    match client.poll().await.expect("PUBLISH") {
        Event::Message(message) => {
            assert_eq!(message.topic, "m0/cmd");
            assert_eq!(message.payload, br#"{"led_on":true}"#);
            assert_eq!(message.qos, QoS::AtLeastOnce);
            assert_eq!(message.subscription(), Some("m0/cmd"));
        }
        _ => panic!("expected the command"),
    }
    // Sends the PUBACK of the command first, then DISCONNECT.
    client.disconnect().await.expect("disconnect");
    broker.assert_done();
}

async fn pings_when_idle_and_reports_a_silent_broker_dead() {
    static SCRIPT: [Step; 8] = [
        Step::Expect(CONNECT_KEEP_ALIVE_5),
        Step::Send(CONNACK),
        Step::Wait(5_000),
        Step::Expect(PINGREQ),
        Step::Send(PINGRESP),
        Step::Wait(5_000),
        Step::Expect(PINGREQ),
        // No PINGRESP within the 10 s response timeout.
        Step::Wait(10_000),
    ];
    let mut broker = Broker::new("pings_when_idle_and_reports_a_silent_broker_dead", &SCRIPT);
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    // The script's last wait is this response timeout.
    let keep_alive_5 = ConnectOptions {
        keep_alive: 5,
        response_timeout: Duration::from_secs(10),
        ..ConnectOptions::new("m0")
    };
    let mut client = Client::connect(&mut session, &mut broker, &keep_alive_5)
        .await
        .expect("connect");
    let error = client.poll().await.err();
    assert_eq!(error, Some(Error::KeepAliveTimeout));
    assert!(!client.is_connected());
    broker.assert_done();
}

async fn resends_unacknowledged_qos1_with_dup_after_reconnecting() {
    static FIRST: [Step; 4] = [
        Step::Expect(CONNECT_PERSISTENT),
        Step::Send(CONNACK),
        Step::Expect(PUBLISH_X),
        Step::Close,
    ];
    static SECOND: [Step; 5] = [
        Step::Expect(CONNECT_PERSISTENT),
        Step::Send(CONNACK_SESSION_PRESENT),
        Step::Expect(PUBLISH_X_DUP),
        Step::Send(PUBACK_1),
        Step::Expect(DISCONNECT),
    ];
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let persistent = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("m0")
    };
    let mut first = Broker::new("resends (first connection)", &FIRST);
    {
        let mut client = Client::connect(&mut session, &mut first, &persistent)
            .await
            .expect("connect");
        let id = client
            .publish("m0/t", b"x", QoS::AtLeastOnce, false)
            .await
            .expect("publish");
        assert_eq!(id.map(|id| id.get()), Some(1));
        assert_eq!(client.poll().await.err(), Some(Error::ConnectionClosed));
    }
    first.assert_done();
    let mut second = Broker::new("resends (second connection)", &SECOND);
    let mut client = Client::connect(&mut session, &mut second, &persistent)
        .await
        .expect("reconnect");
    assert!(client.session_present());
    match client.poll().await.expect("PUBACK of the resent message") {
        Event::Published(id) => assert_eq!(id.get(), 1),
        _ => panic!("expected the PUBACK"),
    }
    client.disconnect().await.expect("disconnect");
    second.assert_done();
}

async fn skips_a_packet_larger_than_the_rx_buffer_and_stays_in_step() {
    static SCRIPT: [Step; 8] = [
        Step::Expect(CONNECT_CLEAN),
        Step::Send(CONNACK),
        Step::Send(BIG_PUBLISH_HEAD),
        // The skipped QoS 1 message is still acknowledged, so it is not redelivered forever;
        // the client does that as soon as it has the packet identifier.
        Step::Expect(PUBACK_9),
        Step::Send(BIG_PUBLISH_TAIL),
        Step::Send(SMALL_PUBLISH),
        Step::Send(PUBLISH_QOS_3),
        Step::Close,
    ];
    let mut broker = Broker::new(
        "skips_a_packet_larger_than_the_rx_buffer_and_stays_in_step",
        &SCRIPT,
    );
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = Client::connect(&mut session, &mut broker, &ConnectOptions::new("m0"))
        .await
        .expect("connect");
    match client.poll().await {
        Err(Error::PacketTooLarge { len, .. }) => assert_eq!(len, 100),
        other => panic!("expected PacketTooLarge, got {:?}", other.err()),
    }
    match client.poll().await.expect("the next message") {
        Event::Message(message) => assert_eq!(message.payload, b"hi"),
        _ => panic!("expected the small message"),
    }
    // A malformed packet closes the connection and reaches the application only as an error.
    match client.poll().await {
        Err(Error::Protocol(_)) => {}
        other => panic!("expected a protocol error, got {:?}", other.err()),
    }
    assert!(!client.is_connected());
    // The transport was dropped without reading the rest of the script.
    assert_eq!(broker.at, SCRIPT.len() - 1);
}

async fn routes_messages_to_wildcard_subscriptions_by_section_4_7() {
    // The examples of section 4.7, and its rules for where wildcards may stand.
    let examples: [(&str, &str, bool); 17] = [
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        (
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking",
            true,
        ),
        (
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon",
            true,
        ),
        ("sport/#", "sport", true),
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        ("#", "$SYS/x", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/monitor/Clients", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("ACCOUNTS", "Accounts", false),
        ("/finance", "finance", false),
    ];
    for (filter, topic, expected) in examples {
        let filter = TopicFilter::new(filter).expect("a valid filter");
        let topic = TopicName::new(topic).expect("a valid topic name");
        assert_eq!(
            filter.matches(topic),
            expected,
            "{:?} ~ {:?}",
            filter,
            topic
        );
    }
    for bad in [
        "sport/tennis#",
        "sport/tennis/#/ranking",
        "sport+",
        "",
        "a\0b",
    ] {
        assert!(TopicFilter::new(bad).is_err(), "filter {:?}", bad);
    }
    for bad in ["", "a/+", "a/#", "a\0b"] {
        assert!(TopicName::new(bad).is_err(), "topic name {:?}", bad);
    }

    // A received message names the first subscription that matches it.
    static SCRIPT: [Step; 7] = [
        Step::Expect(CONNECT_CLEAN),
        Step::Send(CONNACK),
        Step::Expect(SUBSCRIBE_WILDCARDS),
        Step::Send(SUBACK_WILDCARDS),
        Step::Send(PUBLISH_LIGHT),
        Step::Send(PUBLISH_OTHER),
        Step::Expect(DISCONNECT),
    ];
    let mut broker = Broker::new("routes_messages_to_wildcard_subscriptions", &SCRIPT);
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = Client::connect(&mut session, &mut broker, &ConnectOptions::new("m0"))
        .await
        .expect("connect");
    client
        .subscribe(&[("m0/+/light", QoS::AtMostOnce), ("m0/#", QoS::AtLeastOnce)])
        .await
        .expect("subscribe");
    assert!(matches!(client.poll().await, Ok(Event::Subscribed(_))));
    for (topic, subscription) in [("m0/k/light", "m0/+/light"), ("m0/x", "m0/#")] {
        match client.poll().await.expect("a message") {
            Event::Message(message) => {
                assert_eq!(message.topic, topic);
                assert_eq!(message.subscription(), Some(subscription));
            }
            _ => panic!("expected a message on {}", topic),
        }
    }
    client.disconnect().await.expect("disconnect");
    broker.assert_done();
}

async fn publishes_and_decodes_json_payloads() {
    #[derive(serde::Serialize)]
    struct Telemetry {
        light: u16,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Command {
        led_on: bool,
    }
    static SCRIPT: [Step; 5] = [
        Step::Expect(CONNECT_CLEAN),
        Step::Send(CONNACK),
        Step::Expect(PUBLISH_TELEMETRY),
        Step::Send(PUBLISH_COMMAND_QOS0),
        Step::Expect(DISCONNECT),
    ];
    let mut broker = Broker::new("publishes_and_decodes_json_payloads", &SCRIPT);
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = Client::connect(&mut session, &mut broker, &ConnectOptions::new("m0"))
        .await
        .expect("connect");
    let reading = Telemetry { light: 412 };
    client
        .publish_json("m0/telemetry", &reading, QoS::AtMostOnce, false)
        .await
        .expect("publish JSON");
    match client.poll().await.expect("a command") {
        Event::Message(message) => {
            assert_eq!(message.json::<Command>(), Ok(Command { led_on: true }));
        }
        _ => panic!("expected the command"),
    }
    client.disconnect().await.expect("disconnect");
    broker.assert_done();
}

async fn decodes_every_remaining_length_boundary_of_table_2_4() {
    use picomqtt::packet::{self, DecodeError, Decoded, Packet};
    // The smallest and largest value of each encoded size, on a 32-bit `usize`.
    let table: [(usize, &[u8]); 8] = include!("../../../src/packet/table_2_4.in");
    for (value, length) in table {
        // A PINGREQ fixed header claiming `value` bytes of body, none of them here yet.
        let mut header = [0xC0, 0, 0, 0, 0];
        header[1..=length.len()].copy_from_slice(length);
        let header = &header[..=length.len()];
        match packet::decode(header) {
            Ok(Decoded::Complete {
                packet: Packet::PingReq,
                len,
            }) if value == 0 => assert_eq!(len, 2),
            Ok(Decoded::Incomplete { needed }) if value > 0 => assert_eq!(needed, value),
            other => panic!("remaining length {}: {:?}", value, other),
        }
    }
    // A fifth length byte is malformed [MQTT-2.2.3].
    assert_eq!(
        packet::decode(&[0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
        Err(DecodeError::InvalidRemainingLength)
    );
}

/// Prints the RAM that awaiting each client call takes in the application's task on this
/// target, with this file's transport (whose read and write futures are a few bytes: a real
/// socket's add theirs). A measurement, not a test.
fn print_future_sizes() {
    static SCRIPT: [Step; 2] = [Step::Expect(CONNECT_CLEAN), Step::Send(CONNACK)];
    let mut broker = Broker::new("future sizes", &SCRIPT);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    let opts = ConnectOptions::new("m0");
    let connect = Client::connect(&mut session, &mut broker, &opts);
    let connect_size = core::mem::size_of_val(&connect);
    let mut client = block_on(connect).expect("connect");
    let poll_size = core::mem::size_of_val(&client.poll());
    let publish_size = core::mem::size_of_val(&client.publish("t", b"", QoS::AtMostOnce, false));
    let subscribe_size = core::mem::size_of_val(&client.subscribe(&[]));
    hprintln!(
        "future sizes on thumbv6m: connect {} B, poll {} B, publish {} B, subscribe {} B",
        connect_size,
        poll_size,
        publish_size,
        subscribe_size
    );
}

// --- a harness in the style of libtest ---------------------------------------------------------

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("FAILED: {}", info);
    exit(debug::EXIT_FAILURE)
}

/// Ends QEMU with `status` as its exit status.
fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    // Not reached under QEMU, whose semihosting exit stops the machine.
    loop {
        cortex_m::asm::wfi();
    }
}

#[entry]
fn main() -> ! {
    // Each async test, by name, run to completion by `block_on`.
    macro_rules! tests {
        ($($test:ident),* $(,)?) => {
            [$((stringify!($test), (|| block_on($test())) as fn())),*]
        };
    }
    let tests = tests![
        connects_subscribes_publishes_and_receives,
        pings_when_idle_and_reports_a_silent_broker_dead,
        resends_unacknowledged_qos1_with_dup_after_reconnecting,
        skips_a_packet_larger_than_the_rx_buffer_and_stays_in_step,
        routes_messages_to_wildcard_subscriptions_by_section_4_7,
        publishes_and_decodes_json_payloads,
        decodes_every_remaining_length_boundary_of_table_2_4,
    ];
    hprintln!(
        "running {} tests on a Cortex-M0 (QEMU microbit)",
        tests.len()
    );
    print_future_sizes();
    for (name, test) in tests {
        // A failure finishes the line with the panic message.
        hprint!("test {} ... ", name);
        test();
        hprintln!("ok");
    }
    hprintln!("{} passed, 0 failed", tests.len());
    exit(debug::EXIT_SUCCESS)
}
