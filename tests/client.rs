//! The async client against a scripted broker on the other end of an in-memory pipe.
//!
//! Each test plays the broker with raw bytes, so what the client writes is checked byte for byte,
//! including what happens when futures are dropped part-way and when the broker misbehaves.

use std::time::Duration as StdDuration;

use embassy_futures::select::{Either, select};
use embassy_time::{Duration, Timer};
use picomqtt::packet::PacketType;
use picomqtt::{Client, ConnectOptions, Error, Event, ProtocolError, QoS, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

/// One end of an in-memory connection, seen by the client as an embedded-io-async transport.
/// `max_write` limits each write, to expose partial writes; dropping it closes the pipe.
/// After `budget` bytes its writes (or, with `stall_flush`, its flushes) never complete, like a
/// TCP socket whose send buffer is full towards a dead peer.
struct Pipe {
    io: DuplexStream,
    max_write: usize,
    budget: usize,
    stall_flush: bool,
}

impl embedded_io_async::ErrorType for Pipe {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.io.read(buf).await
    }
}

impl embedded_io_async::Write for Pipe {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if self.budget == 0 && !self.stall_flush {
            std::future::pending::<()>().await;
        }
        // Yield first, so a write is a point where the future can be dropped.
        tokio::task::yield_now().await;
        let n = buf.len().min(self.max_write);
        let n = self.io.write(&buf[..n]).await?;
        self.budget = self.budget.saturating_sub(n);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        if self.budget == 0 && self.stall_flush {
            std::future::pending::<()>().await;
        }
        self.io.flush().await
    }
}

/// The broker's end: reads exactly what the client must have sent, and sends scripted bytes.
struct Broker {
    io: DuplexStream,
}

impl Broker {
    async fn expect(&mut self, expected: &[u8]) {
        let mut got = vec![0u8; expected.len()];
        timeout(StdDuration::from_secs(5), self.io.read_exact(&mut got))
            .await
            .expect("the client sent nothing in time")
            .expect("the client closed the connection");
        assert_eq!(got, expected);
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.unwrap();
    }

    /// Whether the client closed its end: a read gives end of stream.
    async fn sees_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            timeout(StdDuration::from_secs(5), self.io.read(&mut byte)).await,
            Ok(Ok(0))
        )
    }
}

fn pipe(max_write: usize) -> (Pipe, Broker) {
    let (client, broker) = tokio::io::duplex(4096);
    (
        Pipe {
            io: client,
            max_write,
            budget: usize::MAX,
            stall_flush: false,
        },
        Broker { io: broker },
    )
}

const CONNECT_C1: [u8; 16] = [
    0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 2, b'c', b'1',
];
const CONNACK: [u8; 4] = [0x20, 2, 0, 0];

/// Asserts that at least `min` passed since `started`, and much less than the test's limit.
fn assert_took_at_least(started: std::time::Instant, min: StdDuration) {
    let elapsed = started.elapsed();
    assert!(elapsed >= min, "{elapsed:?}");
    assert!(elapsed < StdDuration::from_secs(5), "{elapsed:?}");
}

/// Runs the client side and the broker side of a test to completion, concurrently.
async fn run(client: impl Future<Output = ()>, broker: impl Future<Output = ()>) {
    let both = async {
        tokio::join!(client, broker);
    };
    timeout(StdDuration::from_secs(20), both)
        .await
        .expect("test took longer than 20 s");
}

#[tokio::test]
async fn connect_then_publish_subscribe_and_receive_over_a_transport() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            assert!(!client.session_present());
            let sub = client
                .subscribe(&[("cmd/+", QoS::AtLeastOnce)])
                .await
                .unwrap();
            let id = client
                .publish("t", b"42", QoS::AtLeastOnce, false)
                .await
                .unwrap()
                .unwrap();
            let mut seen = Vec::new();
            for _ in 0..3 {
                match client.poll().await.unwrap() {
                    Event::Subscribed(ack) => {
                        assert_eq!(ack.packet_id, sub);
                        seen.push("suback");
                    }
                    Event::Published(acked) => {
                        assert_eq!(acked, id);
                        seen.push("puback");
                    }
                    Event::Message(m) => {
                        assert_eq!((m.topic, m.payload), ("cmd/led", &b"on"[..]));
                        assert_eq!(m.subscription(), Some("cmd/+"));
                        seen.push("message");
                    }
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(seen, ["suback", "puback", "message"]);
            client.disconnect().await.unwrap();
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            broker
                .expect(&[0x82, 10, 0, 1, 0, 5, b'c', b'm', b'd', b'/', b'+', 1])
                .await;
            broker
                .expect(&[0x32, 7, 0, 1, b't', 0, 2, b'4', b'2'])
                .await;
            broker.send(&[0x90, 3, 0, 1, 1]).await;
            broker.send(&[0x40, 2, 0, 2]).await;
            broker
                .send(&[
                    0x32, 13, 0, 7, b'c', b'm', b'd', b'/', b'l', b'e', b'd', 0, 9, b'o', b'n',
                ])
                .await;
            // The PUBACK of the message comes once the application is done with it.
            broker.expect(&[0x40, 2, 0, 9]).await;
            broker.expect(&[0xE0, 0]).await;
            assert!(broker.sees_closed().await);
        },
    )
    .await;
}

#[tokio::test]
async fn no_connack_within_the_response_timeout_is_conn_ack_timeout() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        response_timeout: Duration::from_millis(200),
        ..ConnectOptions::new("c1")
    };
    run(
        async {
            let started = std::time::Instant::now();
            let result = Client::connect(&mut session, transport, &options).await;
            assert_eq!(result.err(), Some(Error::ConnAckTimeout));
            assert!(started.elapsed() >= StdDuration::from_millis(200));
        },
        async {
            broker.expect(&CONNECT_C1).await;
            assert!(
                broker.sees_closed().await,
                "the client drops the connection"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_transport_that_takes_no_bytes_for_the_response_timeout_is_a_dead_connection() {
    for stall_flush in [false, true] {
        let (mut transport, mut broker) = pipe(usize::MAX);
        // CONNECT goes through; what comes after it does not.
        transport.budget = CONNECT_C1.len() + usize::from(stall_flush) * 4;
        transport.stall_flush = stall_flush;
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
        let mut session = Session::new(&mut rx, &mut tx);
        let options = ConnectOptions {
            response_timeout: Duration::from_millis(200),
            ..ConnectOptions::new("c1")
        };
        run(
            async {
                let mut client = Client::connect(&mut session, transport, &options)
                    .await
                    .unwrap();
                let started = std::time::Instant::now();
                let result = client.publish("t", b"!", QoS::AtMostOnce, false).await;
                assert_eq!(result, Err(Error::KeepAliveTimeout), "flush: {stall_flush}");
                assert_took_at_least(started, StdDuration::from_millis(200));
                assert!(!client.is_connected());
            },
            async {
                broker.expect(&CONNECT_C1).await;
                broker.send(&CONNACK).await;
                if stall_flush {
                    // The PUBLISH is written; the flush after it never ends.
                    broker.expect(&[0x30, 4, 0, 1, b't', b'!']).await;
                }
                assert!(broker.sees_closed().await, "flush: {stall_flush}");
            },
        )
        .await;
    }
}

#[tokio::test]
async fn idle_connection_sends_pingreq_and_reports_a_dead_broker() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 1,
        response_timeout: Duration::from_millis(300),
        ..ConnectOptions::new("c1")
    };
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &options)
                .await
                .unwrap();
            let started = std::time::Instant::now();
            // The first PINGREQ is answered; the second is not.
            let result = client.poll().await;
            assert_eq!(result.err(), Some(Error::KeepAliveTimeout));
            assert_took_at_least(started, StdDuration::from_millis(2300));
            assert!(!client.is_connected());
            assert_eq!(client.poll().await.err(), Some(Error::NotConnected));
        },
        async {
            broker
                .expect(&[
                    0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 1, 0, 2, b'c', b'1',
                ])
                .await;
            broker.send(&CONNACK).await;
            broker.expect(&[0xC0, 0]).await;
            broker.send(&[0xD0, 0]).await;
            broker.expect(&[0xC0, 0]).await;
            assert!(broker.sees_closed().await);
        },
    )
    .await;
}

#[tokio::test]
async fn a_protocol_violation_closes_the_network_connection_mqtt_4_8_0_1() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            assert_eq!(
                client.poll().await.err(),
                Some(Error::Protocol(ProtocolError::UnexpectedPacket(
                    PacketType::ConnAck
                )))
            );
            assert!(!client.is_connected());
            assert_eq!(
                client.publish("t", b"", QoS::AtMostOnce, false).await,
                Err(Error::NotConnected)
            );
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            broker.send(&CONNACK).await;
            assert!(broker.sees_closed().await);
        },
    )
    .await;
}

#[tokio::test]
async fn the_broker_closing_the_connection_is_reported_as_connection_closed() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            assert_eq!(client.poll().await.err(), Some(Error::ConnectionClosed));
            assert!(client.poll().await.unwrap_err().is_fatal());
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            drop(broker);
        },
    )
    .await;
}

#[tokio::test]
async fn an_oversized_packet_is_reported_and_skipped_and_the_next_message_arrives() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 32], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            assert_eq!(
                client.poll().await.err(),
                Some(Error::PacketTooLarge { len: 102 })
            );
            assert!(client.is_connected());
            match client.poll().await.unwrap() {
                Event::Message(m) => assert_eq!((m.topic, m.payload), ("small", &b"ok"[..])),
                other => panic!("{other:?}"),
            }
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            let mut big = vec![0x30, 100, 0, 3, b'b', b'i', b'g'];
            big.extend([b'x'; 95]);
            broker.send(&big).await;
            broker
                .send(&[0x30, 9, 0, 5, b's', b'm', b'a', b'l', b'l', b'o', b'k'])
                .await;
        },
    )
    .await;
}

#[tokio::test]
async fn dropping_poll_in_the_middle_of_a_packet_loses_nothing() {
    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    let (half_sent_tx, half_sent_rx) = tokio::sync::oneshot::channel();
    let (go_on_tx, go_on_rx) = tokio::sync::oneshot::channel::<()>();
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            half_sent_rx.await.unwrap();
            // Poll until a timer wins: the half packet is read and the poll future dropped.
            for _ in 0..3 {
                match select(client.poll(), Timer::after(Duration::from_millis(50))).await {
                    Either::First(event) => panic!("no whole packet yet: {event:?}"),
                    Either::Second(()) => {}
                }
            }
            go_on_tx.send(()).unwrap();
            match client.poll().await.unwrap() {
                Event::Message(m) => assert_eq!((m.topic, m.payload), ("topic", &b"payload"[..])),
                other => panic!("{other:?}"),
            }
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            let packet = [
                0x30, 14, 0, 5, b't', b'o', b'p', b'i', b'c', b'p', b'a', b'y', b'l', b'o', b'a',
                b'd',
            ];
            broker.send(&packet[..6]).await;
            half_sent_tx.send(()).unwrap();
            go_on_rx.await.unwrap();
            broker.send(&packet[6..]).await;
        },
    )
    .await;
}

#[tokio::test]
async fn dropping_publish_mid_write_still_sends_the_whole_packet_before_the_next() {
    // One byte per write: the publish future is dropped after a few bytes went out.
    let (transport, mut broker) = pipe(1);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut session = Session::new(&mut rx, &mut tx);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
                .await
                .unwrap();
            let first = client.publish("a", b"first", QoS::AtLeastOnce, false);
            let cut = select(first, tokio::task::yield_now()).await;
            assert!(
                matches!(cut, Either::Second(())),
                "the publish was still writing"
            );
            client
                .publish("b", b"second", QoS::AtMostOnce, false)
                .await
                .unwrap();
            match client.poll().await.unwrap() {
                Event::Published(id) => assert_eq!(id.get(), 1),
                other => panic!("{other:?}"),
            }
        },
        async {
            broker.expect(&CONNECT_C1).await;
            broker.send(&CONNACK).await;
            // The first packet arrives whole, then the second: the stream is intact.
            broker
                .expect(&[0x32, 10, 0, 1, b'a', 0, 1, b'f', b'i', b'r', b's', b't'])
                .await;
            broker
                .expect(&[0x30, 9, 0, 1, b'b', b's', b'e', b'c', b'o', b'n', b'd'])
                .await;
            broker.send(&[0x40, 2, 0, 1]).await;
        },
    )
    .await;
}

#[tokio::test]
async fn one_task_publishes_telemetry_while_the_client_task_waits_for_commands() {
    use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    use embassy_sync::channel::Channel;

    let (transport, mut broker) = pipe(usize::MAX);
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let telemetry: Channel<NoopRawMutex, u16, 4> = Channel::new();
    let commands: Channel<NoopRawMutex, bool, 4> = Channel::new();

    // The sensor task: produces readings on its own schedule.
    let sensor = async {
        for light in [100, 200, 300] {
            Timer::after(Duration::from_millis(20)).await;
            telemetry.send(light).await;
        }
    };
    // The MQTT task: owns the client, publishes readings, receives commands.
    let mqtt = async {
        let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("c1"))
            .await
            .unwrap();
        client
            .subscribe(&[("c1/commands", QoS::AtLeastOnce)])
            .await
            .unwrap();
        let (mut published, mut received) = (0, 0);
        while published < 3 || received < 2 {
            match select(client.poll(), telemetry.receive()).await {
                Either::First(event) => {
                    if let Event::Message(m) = event.unwrap() {
                        commands.send(m.payload == b"on").await;
                        received += 1;
                    }
                }
                Either::Second(light) => {
                    let payload = light.to_string();
                    client
                        .publish("c1/telemetry", payload.as_bytes(), QoS::AtMostOnce, false)
                        .await
                        .unwrap();
                    published += 1;
                }
            }
        }
    };
    // The LED task: obeys commands.
    let led = async {
        let first = commands.receive().await;
        let second = commands.receive().await;
        assert_eq!((first, second), (true, false));
    };
    let broker_side = async {
        broker.expect(&CONNECT_C1).await;
        broker.send(&CONNACK).await;
        broker.expect(&[0x82, 16, 0, 1, 0, 11]).await;
        broker.expect(b"c1/commands\x01").await;
        broker.send(&[0x90, 3, 0, 1, 1]).await;
        let command = |payload: &[u8], id: u8| {
            let mut p = vec![0x32, (2 + 11 + 2 + payload.len()) as u8, 0, 11];
            p.extend_from_slice(b"c1/commands");
            p.extend([0, id]);
            p.extend_from_slice(payload);
            p
        };
        broker.send(&command(b"on", 1)).await;
        // Telemetry, the first PUBACK, a second command: order depends on the timing, so
        // collect the bytes of the exchange and check what must be there.
        let mut got = Vec::new();
        for light in [b"100", b"200"] {
            let mut packet = vec![0x30, 17, 0, 12];
            packet.extend_from_slice(b"c1/telemetry");
            packet.extend_from_slice(light);
            got.push(packet);
        }
        let mut stream = vec![0u8; 2 * 19 + 4];
        timeout(StdDuration::from_secs(5), broker.io.read_exact(&mut stream))
            .await
            .unwrap()
            .unwrap();
        let puback = [0x40, 2, 0, 1];
        let without_ack: Vec<u8> = match stream.windows(4).position(|w| w == puback) {
            Some(at) => [&stream[..at], &stream[at + 4..]].concat(),
            None => panic!("no PUBACK for the command in {stream:?}"),
        };
        assert_eq!(without_ack, got.concat());
        broker.send(&command(b"off", 2)).await;
        broker.expect(&[0x40, 2, 0, 2]).await;
        let mut last = vec![0x30, 17, 0, 12];
        last.extend_from_slice(b"c1/telemetry300");
        broker.expect(&last).await;
    };
    let all = async {
        tokio::join!(sensor, mqtt, led, broker_side);
    };
    timeout(StdDuration::from_secs(20), all)
        .await
        .expect("test took longer than 20 s");
}

#[tokio::test]
async fn reconnect_resends_unacknowledged_qos1_with_dup_before_new_messages() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("c1")
    };
    let persistent_connect = [
        0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x00, 0, 60, 0, 2, b'c', b'1',
    ];

    let (transport, mut broker) = pipe(usize::MAX);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &options)
                .await
                .unwrap();
            client
                .publish("a", b"1", QoS::AtLeastOnce, false)
                .await
                .unwrap();
            assert_eq!(client.poll().await.err(), Some(Error::ConnectionClosed));
        },
        async {
            broker.expect(&persistent_connect).await;
            broker.send(&CONNACK).await;
            broker.expect(&[0x32, 6, 0, 1, b'a', 0, 1, b'1']).await;
            drop(broker);
        },
    )
    .await;

    let (transport, mut broker) = pipe(usize::MAX);
    run(
        async {
            let mut client = Client::connect(&mut session, transport, &options)
                .await
                .unwrap();
            assert!(client.session_present());
            client
                .publish("b", b"2", QoS::AtLeastOnce, false)
                .await
                .unwrap();
            for expected in [1, 2] {
                match client.poll().await.unwrap() {
                    Event::Published(id) => assert_eq!(id.get(), expected),
                    other => panic!("{other:?}"),
                }
            }
        },
        async {
            broker.expect(&persistent_connect).await;
            broker.send(&[0x20, 2, 1, 0]).await;
            broker.expect(&[0x3A, 6, 0, 1, b'a', 0, 1, b'1']).await;
            broker.expect(&[0x32, 6, 0, 1, b'b', 0, 2, b'2']).await;
            broker.send(&[0x40, 2, 0, 1, 0x40, 2, 0, 2]).await;
        },
    )
    .await;
}
