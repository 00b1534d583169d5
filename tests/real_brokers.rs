//! picomqtt's client against real brokers: Eclipse Mosquitto (Debian's package, started by the
//! test) and rumqttd (in process). Every test runs on both, through `on_both_brokers!`, except
//! those that need what only mosquitto offers here: killing and restarting the broker, and a
//! TLS listener. The raw `Observer` from `tests/support` checks what the broker really did.

mod support;

use std::time::{Duration as StdDuration, Instant as StdInstant};

use embassy_futures::select::{Either, select};
use embassy_time::{Duration, Timer};
use embedded_io_adapters::tokio_1::FromTokio;
use embedded_io_async::{Read, Write};
use picomqtt::packet::Will;
use picomqtt::{Backoff, Client, ConnectOptions, Error, Event, QoS, Session, TopicName};
use support::{Mosquitto, MosquittoOptions, Observer, Proxy, TestBroker, on_both_brokers};
use tokio::net::TcpStream;

/// How long to wait for something that must happen.
const WAIT: StdDuration = StdDuration::from_secs(5);
/// How long to watch for something that must not happen.
const QUIET: StdDuration = StdDuration::from_millis(500);

type Transport = FromTokio<TcpStream>;

/// A received message, owned, with the filter picomqtt routed it to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Received {
    topic: String,
    payload: Vec<u8>,
    qos: QoS,
    retain: bool,
    dup: bool,
    subscription: Option<String>,
}

async fn connect<'s, 'b>(
    port: u16,
    session: &'s mut Session<'b>,
    options: &ConnectOptions<'_>,
) -> Result<Client<'s, 'b, Transport>, Error> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|_| Error::ConnectionClosed)?;
    stream.set_nodelay(true).unwrap();
    Client::connect(session, FromTokio::new(stream), options).await
}

/// Polls until a message arrives (acknowledgements and SUBACKs are passed over), or `None`
/// after `limit`.
async fn next_message(
    client: &mut Client<'_, '_, impl Read + Write>,
    limit: StdDuration,
) -> Option<Received> {
    let deadline = StdInstant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(StdInstant::now())?;
        match tokio::time::timeout(left, client.poll()).await.ok()? {
            Ok(Event::Message(m)) => {
                return Some(Received {
                    topic: m.topic.to_string(),
                    payload: m.payload.to_vec(),
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                    subscription: m.subscription().map(str::to_string),
                });
            }
            Ok(Event::Subscribed(ack)) => {
                let failed = ack
                    .return_codes
                    .iter()
                    .any(|c| c == picomqtt::packet::SubscribeReturnCode::Failure);
                assert!(!failed, "the broker refused a subscription: {ack:?}");
            }
            Ok(_) => {}
            Err(e) => panic!("poll failed: {e}"),
        }
    }
}

/// Polls until the broker acknowledged every SUBSCRIBE and QoS 1 PUBLISH sent so far.
async fn settle(client: &mut Client<'_, '_, impl Read + Write>, mut subacks: usize) {
    let deadline = StdInstant::now() + WAIT;
    while subacks > 0 || client.session().in_flight() > 0 {
        let left = deadline
            .checked_duration_since(StdInstant::now())
            .expect("no acks in time");
        match tokio::time::timeout(left, client.poll())
            .await
            .expect("no acks in time")
        {
            Ok(Event::Subscribed(_)) => subacks -= 1,
            Ok(Event::Message(m)) => panic!("unexpected message on {}", m.topic),
            Ok(_) => {}
            Err(e) => panic!("poll failed: {e}"),
        }
    }
}

async fn retained_message_reaches_a_later_subscription(broker: &dyn TestBroker) {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions::new("it-retain");
    let mut client = connect(broker.port(), &mut session, &options)
        .await
        .unwrap();
    client
        .publish("it/retained", b"21.5", QoS::AtLeastOnce, true)
        .await
        .unwrap();
    settle(&mut client, 0).await;
    // A subscription made afterwards gets the retained message with RETAIN set [MQTT-3.3.1-8].
    client
        .subscribe(&[("it/#", QoS::AtLeastOnce)])
        .await
        .unwrap();
    let got = next_message(&mut client, WAIT)
        .await
        .expect("the retained message");
    assert_eq!(
        (got.topic.as_str(), got.payload.as_slice()),
        ("it/retained", &b"21.5"[..])
    );
    assert!(
        got.retain,
        "{}: retained message without RETAIN",
        broker.name()
    );
    assert_eq!(got.subscription.as_deref(), Some("it/#"));
    // Retained messages are cleared by an empty retained message.
    client
        .publish("it/retained", b"", QoS::AtLeastOnce, true)
        .await
        .unwrap();
}
on_both_brokers!(retained_message_reaches_a_later_subscription);

async fn qos1_messages_flow_both_ways(broker: &dyn TestBroker) {
    let port = broker.port();
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = connect(port, &mut session, &ConnectOptions::new("it-qos1"))
        .await
        .unwrap();
    exchange_qos1_both_ways(&mut client, port, "it", "it-qos1-observer").await;
}

/// Subscribes `client` to `<prefix>/in` and checks, through an observer on the plain `port`,
/// one QoS 1 message each way: broker to client (acknowledged by the client's PUBACK), and
/// client to broker on `<prefix>/out` (completed by the broker's PUBACK).
async fn exchange_qos1_both_ways(
    client: &mut Client<'_, '_, impl Read + Write>,
    port: u16,
    prefix: &str,
    observer_id: &str,
) {
    let (topic_in, topic_out) = (format!("{prefix}/in"), format!("{prefix}/out"));
    client
        .subscribe(&[(&topic_in, QoS::AtLeastOnce)])
        .await
        .unwrap();
    settle(client, 1).await;

    // Broker -> client, QoS 1; the client's PUBACK lets the observer's flow complete.
    let mut observer = Observer::connect(port, observer_id).await;
    observer.subscribe(&topic_out, QoS::AtLeastOnce).await;
    observer
        .publish(&topic_in, b"to device", QoS::AtLeastOnce, false)
        .await;
    let got = next_message(client, WAIT).await.expect("a QoS 1 message");
    assert_eq!(
        (got.payload.as_slice(), got.qos),
        (&b"to device"[..], QoS::AtLeastOnce)
    );

    // Client -> broker, QoS 1, completed by the broker's PUBACK.
    let id = client
        .publish(&topic_out, b"from device", QoS::AtLeastOnce, false)
        .await
        .unwrap();
    let deadline = StdInstant::now() + WAIT;
    loop {
        assert!(StdInstant::now() < deadline, "no PUBACK");
        if let Event::Published(acked) = client.poll().await.unwrap() {
            assert_eq!(Some(acked), id);
            break;
        }
    }
    let seen = observer.expect_publish(WAIT).await;
    assert_eq!(
        (seen.payload.as_slice(), seen.qos),
        (&b"from device"[..], QoS::AtLeastOnce)
    );
}
on_both_brokers!(qos1_messages_flow_both_ways);

async fn wildcard_subscriptions_deliver_and_name_their_filter(broker: &dyn TestBroker) {
    let port = broker.port();
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = connect(port, &mut session, &ConnectOptions::new("it-wild"))
        .await
        .unwrap();
    client
        .subscribe(&[
            ("it/+/temperature", QoS::AtLeastOnce),
            ("it/alarms/#", QoS::AtMostOnce),
        ])
        .await
        .unwrap();
    settle(&mut client, 1).await;
    let mut observer = Observer::connect(port, "it-wild-observer").await;
    for topic in [
        "it/kitchen/temperature",
        "it/alarms",
        "it/alarms/fire/floor2",
        "it/kitchen/humidity",
    ] {
        observer
            .publish(topic, topic.as_bytes(), QoS::AtLeastOnce, false)
            .await;
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = next_message(&mut client, WAIT)
            .await
            .expect("a matching message");
        got.push((m.topic, m.subscription.unwrap_or_default()));
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("it/alarms".to_string(), "it/alarms/#".to_string()),
            (
                "it/alarms/fire/floor2".to_string(),
                "it/alarms/#".to_string()
            ),
            (
                "it/kitchen/temperature".to_string(),
                "it/+/temperature".to_string()
            ),
        ]
    );
    // "it/kitchen/humidity" matches neither filter.
    assert_eq!(next_message(&mut client, QUIET).await, None);
}
on_both_brokers!(wildcard_subscriptions_deliver_and_name_their_filter);

async fn overlapping_subscriptions_deliver_at_the_highest_qos(broker: &dyn TestBroker) {
    let port = broker.port();
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = connect(port, &mut session, &ConnectOptions::new("it-overlap"))
        .await
        .unwrap();
    client
        .subscribe(&[
            ("it/overlap/#", QoS::AtMostOnce),
            ("it/overlap/x", QoS::AtLeastOnce),
        ])
        .await
        .unwrap();
    settle(&mut client, 1).await;
    let mut observer = Observer::connect(port, "it-overlap-observer").await;
    observer
        .publish("it/overlap/x", b"once", QoS::AtLeastOnce, false)
        .await;
    // At least one copy at the maximum QoS of the matching subscriptions [MQTT-3.3.5-1]; the
    // broker may add one copy per further matching subscription.
    let mut copies = Vec::new();
    while let Some(m) =
        next_message(&mut client, if copies.is_empty() { WAIT } else { QUIET }).await
    {
        assert_eq!(m.payload, b"once");
        assert_eq!(
            m.subscription.as_deref(),
            Some("it/overlap/#"),
            "first matching filter"
        );
        copies.push(m.qos);
        assert!(
            copies.len() <= 2,
            "{}: more copies than subscriptions",
            broker.name()
        );
    }
    assert!(
        copies.contains(&QoS::AtLeastOnce),
        "{}: copies {copies:?}",
        broker.name()
    );
}
on_both_brokers!(overlapping_subscriptions_deliver_at_the_highest_qos);

/// Connects `client_id` with a will on `it/<client_id>/status`.
fn with_will<'a>(client_id: &'a str, topic: &'static str) -> ConnectOptions<'a> {
    ConnectOptions {
        will: Some(Will {
            topic: TopicName::new(topic).unwrap(),
            payload: b"offline",
            qos: QoS::AtLeastOnce,
            retain: false,
        }),
        ..ConnectOptions::new(client_id)
    }
}

async fn will_is_published_when_the_connection_breaks_and_not_after_disconnect(
    broker: &dyn TestBroker,
) {
    let port = broker.port();
    let mut observer = Observer::connect(port, "it-will-observer").await;
    observer.subscribe("it/will/+", QoS::AtLeastOnce).await;

    // The connection breaks (the client and its socket are dropped, no DISCONNECT).
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    let client = connect(port, &mut session, &with_will("it-will-a", "it/will/a"))
        .await
        .unwrap();
    drop(client);
    let will = observer.expect_publish(WAIT).await;
    assert_eq!(
        (will.topic.as_str(), will.payload.as_slice()),
        ("it/will/a", &b"offline"[..])
    );

    // A clean DISCONNECT discards the will [MQTT-3.14.4-3].
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    let client = connect(port, &mut session, &with_will("it-will-b", "it/will/b"))
        .await
        .unwrap();
    client.disconnect().await.unwrap();
    observer.expect_no_publish(QUIET).await;
}
on_both_brokers!(will_is_published_when_the_connection_breaks_and_not_after_disconnect);

async fn persistent_session_receives_qos1_messages_published_while_offline(
    broker: &dyn TestBroker,
) {
    let port = broker.port();
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("it-persistent")
    };
    // A fresh persistent session: subscribe, then go away.
    {
        let mut client = connect(port, &mut session, &options).await.unwrap();
        client
            .subscribe(&[("it/offline", QoS::AtLeastOnce)])
            .await
            .unwrap();
        settle(&mut client, 1).await;
        client.disconnect().await.unwrap();
    }
    let mut observer = Observer::connect(port, "it-persistent-observer").await;
    for n in 1..=3u8 {
        observer
            .publish("it/offline", &[n], QoS::AtLeastOnce, false)
            .await;
    }
    // Back again: the broker kept the session and queued the messages.
    let mut client = connect(port, &mut session, &options).await.unwrap();
    assert!(
        client.session_present(),
        "{}: session not resumed",
        broker.name()
    );
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            next_message(&mut client, WAIT)
                .await
                .expect("a queued message")
                .payload[0],
        );
    }
    assert_eq!(got, [1, 2, 3]);
}
on_both_brokers!(persistent_session_receives_qos1_messages_published_while_offline);

async fn idle_connection_survives_three_keep_alive_intervals(broker: &dyn TestBroker) {
    let port = broker.port();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    // 2 s: mosquitto checks keep alive on a coarse clock and drops a silent client with keep
    // alive 1 or 2 only after about 5 s, so the idle time below must be longer than that.
    let options = ConnectOptions {
        keep_alive: 2,
        ..ConnectOptions::new("it-idle")
    };
    let mut client = connect(port, &mut session, &options).await.unwrap();
    client
        .subscribe(&[("it/idle", QoS::AtLeastOnce)])
        .await
        .unwrap();
    settle(&mut client, 1).await;
    // 3.25 keep alive intervals without any traffic of the application: poll must ping.
    let idle_until = StdInstant::now() + StdDuration::from_millis(6500);
    while let Some(left) = idle_until.checked_duration_since(StdInstant::now()) {
        if let Ok(result) = tokio::time::timeout(left, client.poll()).await {
            panic!("nothing should arrive while idle: {result:?}");
        }
    }
    // The broker (which drops clients silent for 1.5 x keep alive) still delivers to us.
    let mut observer = Observer::connect(port, "it-idle-observer").await;
    observer
        .publish("it/idle", b"still there?", QoS::AtLeastOnce, false)
        .await;
    let got = next_message(&mut client, WAIT)
        .await
        .expect("the connection survived");
    assert_eq!(got.payload, b"still there?");
    if broker.name() == "mosquitto" {
        // One PINGREQ per keep alive interval of silence [MQTT-3.1.2-23].
        let pings = broker
            .log()
            .matches("Received PINGREQ from it-idle")
            .count();
        assert!(pings >= 3, "mosquitto saw {pings} PINGREQ");
    }
}
on_both_brokers!(
    idle_connection_survives_three_keep_alive_intervals,
    limit_secs = 15
);

async fn dead_connection_is_reported_by_keep_alive(broker: &dyn TestBroker) {
    let proxy = Proxy::start(broker.port());
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 1,
        response_timeout: Duration::from_millis(500),
        ..ConnectOptions::new("it-dead")
    };
    let mut client = connect(proxy.port(), &mut session, &options).await.unwrap();
    // The network silently stops delivering anything, both ways.
    proxy.black_hole();
    let started = StdInstant::now();
    let result = tokio::time::timeout(StdDuration::from_secs(5), client.poll()).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Ok(Err(Error::KeepAliveTimeout))),
        "{result:?}"
    );
    // PINGREQ after 1 s of silence, PINGRESP overdue 0.5 s later.
    assert!(elapsed < StdDuration::from_millis(2500), "{elapsed:?}");
    assert!(!client.is_connected());
}
on_both_brokers!(dead_connection_is_reported_by_keep_alive);

/// The reconnect loop of an application: connect through `port` with backoff, resubscribe when
/// the broker lost the session, and return the first message on `it/back`.
async fn reconnect_and_receive(session: &mut Session<'_>, port: u16) -> Received {
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("it-reconnect")
    };
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(400));
    for _ in 0..100 {
        let mut client = match connect(port, session, &options).await {
            Ok(client) => client,
            Err(_) => {
                backoff.wait().await;
                continue;
            }
        };
        if !client.session_present() {
            client.resubscribe().await.unwrap();
        }
        if let Some(m) = next_message(&mut client, WAIT).await {
            return m;
        }
    }
    panic!("no reconnect within 100 attempts");
}

async fn cut_connection_is_reported_and_the_client_reconnects(broker: &dyn TestBroker) {
    let proxy = Proxy::start(broker.port());
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("it-reconnect")
    };
    {
        let mut client = connect(proxy.port(), &mut session, &options).await.unwrap();
        client
            .subscribe(&[("it/back", QoS::AtLeastOnce)])
            .await
            .unwrap();
        settle(&mut client, 1).await;
        proxy.cut();
        let error = tokio::time::timeout(WAIT, client.poll())
            .await
            .expect("reported in time");
        let error = error.expect_err("the cut is an error");
        assert!(error.is_fatal(), "{error:?}");
    }
    let mut observer = Observer::connect(broker.port(), "it-reconnect-observer").await;
    let publishing = async {
        // Publish until the reconnected client has it (it may not be subscribed yet).
        for _ in 0..50 {
            observer
                .publish("it/back", b"welcome back", QoS::AtLeastOnce, false)
                .await;
            Timer::after(Duration::from_millis(100)).await;
        }
    };
    let got = match select(
        reconnect_and_receive(&mut session, proxy.port()),
        publishing,
    )
    .await
    {
        Either::First(got) => got,
        Either::Second(()) => panic!("the client did not get a message after reconnecting"),
    };
    assert_eq!(got.payload, b"welcome back");
}
on_both_brokers!(
    cut_connection_is_reported_and_the_client_reconnects,
    limit_secs = 15
);

#[test]
fn killed_broker_is_reported_and_the_client_reconnects_after_its_restart() {
    let Some(mut broker) = Mosquitto::start_default() else {
        return;
    };
    support::run_test(
        "killed_broker_is_reported_and_the_client_reconnects",
        20,
        async {
            let port = broker.port();
            let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
            let mut session = Session::new(&mut rx, &mut tx);
            let options = ConnectOptions {
                clean_session: false,
                ..ConnectOptions::new("it-reconnect")
            };
            {
                let mut client = connect(port, &mut session, &options).await.unwrap();
                client
                    .subscribe(&[("it/back", QoS::AtLeastOnce)])
                    .await
                    .unwrap();
                settle(&mut client, 1).await;
                broker.kill();
                let error = tokio::time::timeout(WAIT, client.poll())
                    .await
                    .expect("reported in time");
                assert!(error.expect_err("a killed broker is an error").is_fatal());
            }
            broker.restart();
            // Without persistence the restarted broker has no session: the loop resubscribes.
            let mut observer = Observer::connect(port, "it-reconnect-observer").await;
            let publishing = async {
                for _ in 0..50 {
                    observer
                        .publish("it/back", b"welcome back", QoS::AtLeastOnce, false)
                        .await;
                    Timer::after(Duration::from_millis(100)).await;
                }
            };
            let got = match select(reconnect_and_receive(&mut session, port), publishing).await {
                Either::First(got) => got,
                Either::Second(()) => panic!("the client did not get a message after reconnecting"),
            };
            assert_eq!(got.payload, b"welcome back");
        },
    );
}

async fn ten_thousand_qos1_messages_round_trip_exactly_once(broker: &dyn TestBroker) {
    const COUNT: usize = 10_000;
    const WINDOW: usize = 64;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 4096]);
    let mut session = Session::new(&mut rx, &mut tx);
    let mut client = connect(broker.port(), &mut session, &ConnectOptions::new("it-10k"))
        .await
        .unwrap();
    client
        .subscribe(&[("it/10k", QoS::AtLeastOnce)])
        .await
        .unwrap();
    settle(&mut client, 1).await;

    let mut received = vec![0u32; COUNT];
    let (mut sent, mut acked, mut delivered, mut duplicates) = (0usize, 0usize, 0usize, 0usize);
    let deadline = StdInstant::now() + StdDuration::from_secs(50);
    // Each step publishes one message or handles one event: bounded in count and time.
    for _ in 0..(4 * COUNT + 1000) {
        if acked == COUNT && delivered == COUNT {
            break;
        }
        assert!(
            StdInstant::now() < deadline,
            "sent {sent}, acked {acked}, got {delivered}"
        );
        if sent < COUNT && client.session().in_flight() < WINDOW {
            let payload = (sent as u32).to_be_bytes();
            match client
                .publish("it/10k", &payload, QoS::AtLeastOnce, false)
                .await
            {
                Ok(_) => sent += 1,
                Err(Error::InFlightFull) => {}
                Err(e) => panic!("publish {sent}: {e}"),
            }
            continue;
        }
        match client.poll().await {
            Ok(Event::Published(_)) => acked += 1,
            Ok(Event::Message(m)) => {
                let index = u32::from_be_bytes(m.payload.try_into().unwrap()) as usize;
                received[index] += 1;
                delivered += 1;
                duplicates += usize::from(m.dup);
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => panic!("poll: {e}"),
        }
    }
    assert_eq!((sent, acked), (COUNT, COUNT), "every message acknowledged");
    let lost = received.iter().filter(|&&n| n == 0).count();
    let doubled = received.iter().filter(|&&n| n > 1).count();
    assert_eq!((lost, doubled, duplicates), (0, 0, 0), "{}", broker.name());
}
on_both_brokers!(
    ten_thousand_qos1_messages_round_trip_exactly_once,
    limit_secs = 60
);

async fn unacknowledged_qos1_is_resent_after_reconnecting(broker: &dyn TestBroker) {
    let proxy = Proxy::start(broker.port());
    let mut observer = Observer::connect(broker.port(), "it-resend-observer").await;
    observer.subscribe("it/resend", QoS::AtLeastOnce).await;
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("it-resend")
    };
    let id = {
        let mut client = connect(proxy.port(), &mut session, &options).await.unwrap();
        // The PUBLISH is lost on the way, then the connection breaks.
        proxy.black_hole();
        let id = client
            .publish("it/resend", b"must arrive", QoS::AtLeastOnce, false)
            .await;
        proxy.cut();
        assert!(
            tokio::time::timeout(WAIT, client.poll())
                .await
                .unwrap()
                .is_err()
        );
        id.unwrap().unwrap()
    };
    observer.expect_no_publish(QUIET).await;
    proxy.forward();
    // Reconnecting resends it (DUP set, same packet identifier) before anything else.
    let mut client = connect(proxy.port(), &mut session, &options).await.unwrap();
    let deadline = StdInstant::now() + WAIT;
    loop {
        assert!(
            StdInstant::now() < deadline,
            "no PUBACK for the resent message"
        );
        if let Event::Published(acked) = client.poll().await.unwrap() {
            assert_eq!(acked, id);
            break;
        }
    }
    let got = observer.expect_publish(WAIT).await;
    assert_eq!(got.payload, b"must arrive");
    observer.expect_no_publish(QUIET).await;
}
on_both_brokers!(unacknowledged_qos1_is_resent_after_reconnecting);

async fn empty_client_id_with_clean_session_connects_and_receives(broker: &dyn TestBroker) {
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    // The broker assigns an identifier of its own [MQTT-3.1.3-6].
    let options = ConnectOptions::new("");
    let mut client = connect(broker.port(), &mut session, &options)
        .await
        .unwrap_or_else(|e| panic!("{}: empty client id refused: {e:?}", broker.name()));
    assert!(!client.session_present());
    client
        .subscribe(&[("it/anonymous", QoS::AtLeastOnce)])
        .await
        .unwrap();
    settle(&mut client, 1).await;
    client
        .publish("it/anonymous", b"hello", QoS::AtLeastOnce, false)
        .await
        .unwrap();
    let got = next_message(&mut client, WAIT)
        .await
        .expect("the message published to ourselves");
    assert_eq!(got.payload.as_slice(), b"hello");
}
on_both_brokers!(empty_client_id_with_clean_session_connects_and_receives);

async fn empty_client_id_without_clean_session_is_refused_mqtt_3_1_3_8(broker: &dyn TestBroker) {
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("")
    };
    let result = connect(broker.port(), &mut session, &options).await;
    assert!(
        matches!(
            result,
            Err(Error::ConnectionRefused(
                picomqtt::packet::ConnectReturnCode::IdentifierRejected
            ))
        ),
        "{}: {:?}",
        broker.name(),
        result.map(|_| ())
    );
}
on_both_brokers!(empty_client_id_without_clean_session_is_refused_mqtt_3_1_3_8);

/// TLS to mosquitto's TLS listener with tokio-rustls, verifying its certificate against the
/// test CA in `tests/tls` for the name `localhost`.
async fn tls_connect(port: u16) -> FromTokio<tokio_rustls::client::TlsStream<TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let ca =
        CertificateDer::from_pem_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/ca.crt"))
            .expect("read tests/tls/ca.crt");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("the test CA is a valid root");
    // Deprecated only for lacking post-quantum key exchange, which a localhost test does not
    // need; aws-lc-rs, the provider that has it, needs cmake to build.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("TCP to the TLS listener");
    stream.set_nodelay(true).unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await
        .expect("TLS handshake with mosquitto, its certificate verified against the test CA");
    FromTokio::new(tls)
}

/// The client needs nothing TLS-specific: a TLS stream is one more `Read + Write`. The broker's
/// TLS listener refuses plain MQTT, so the messages below did travel encrypted.
#[test]
fn client_runs_unchanged_over_tls_to_mosquitto() {
    let options = MosquittoOptions {
        tls: true,
        ..MosquittoOptions::default()
    };
    let Some(broker) = Mosquitto::start(options) else {
        return;
    };
    support::run_test("client_runs_unchanged_over_tls_to_mosquitto", 20, async {
        let tls_port = broker.tls_port().expect("started with a TLS listener");
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
        let mut session = Session::new(&mut rx, &mut tx);

        // Plain MQTT to the TLS listener gets nowhere.
        let plain = tokio::time::timeout(
            WAIT,
            connect(tls_port, &mut session, &ConnectOptions::new("it-tls-plain")),
        )
        .await;
        assert!(
            !matches!(plain, Ok(Ok(_))),
            "the TLS listener accepted plain MQTT"
        );

        let transport = tls_connect(tls_port).await;
        let mut client = Client::connect(&mut session, transport, &ConnectOptions::new("it-tls"))
            .await
            .expect("CONNECT over TLS");
        exchange_qos1_both_ways(&mut client, broker.port(), "it/tls", "it-tls-observer").await;
        client.disconnect().await.expect("DISCONNECT over TLS");
    });
}
