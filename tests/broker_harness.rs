//! Proves the real-broker test harness in `tests/support` against mosquitto and rumqttd, using
//! only the raw observer client (picomqtt's codec, not its client), so the client's integration
//! tests can rely on the brokers, the observer and the fault-injecting proxy.

mod support;

use std::time::Duration;

use picomqtt::QoS;
use support::{
    Mosquitto, MosquittoOptions, Observer, ObserverOptions, Proxy, TestBroker, on_both_brokers,
};

/// How long to wait for something that must happen.
const WAIT: Duration = Duration::from_secs(3);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(300);

async fn retained_message_reaches_late_subscriber_with_retain_set(broker: &dyn TestBroker) {
    let port = broker.port();
    let mut existing = Observer::connect(port, "retain-existing").await;
    existing
        .subscribe("harness/retained", QoS::AtLeastOnce)
        .await;
    let mut publisher = Observer::connect(port, "retain-publisher").await;
    publisher
        .publish("harness/retained", b"21.5", QoS::AtLeastOnce, true)
        .await;
    publisher.disconnect().await;

    // Sent to an established subscription: RETAIN 0 [MQTT-3.3.1-9].
    let live = existing.expect_publish(WAIT).await;
    assert_eq!(
        (live.topic.as_str(), live.payload.as_slice(), live.retain),
        ("harness/retained", &b"21.5"[..], false),
        "{}",
        broker.name()
    );

    // A new subscription gets the retained message [MQTT-3.3.1-6], with RETAIN 1 [MQTT-3.3.1-8].
    let mut late = Observer::connect(port, "retain-late").await;
    late.subscribe("harness/#", QoS::AtLeastOnce).await;
    let retained = late.expect_publish(WAIT).await;
    assert_eq!(
        (
            retained.topic.as_str(),
            retained.payload.as_slice(),
            retained.retain
        ),
        ("harness/retained", &b"21.5"[..], true),
        "{}",
        broker.name()
    );
    late.expect_no_publish(QUIET).await;
}
on_both_brokers!(retained_message_reaches_late_subscriber_with_retain_set);

async fn qos1_publish_is_acknowledged_with_its_packet_id(broker: &dyn TestBroker) {
    let port = broker.port();
    let mut subscriber = Observer::connect(port, "qos1-subscriber").await;
    assert_eq!(
        subscriber.subscribe("harness/qos1", QoS::AtLeastOnce).await,
        Some(QoS::AtLeastOnce)
    );
    let mut publisher = Observer::connect(port, "qos1-publisher").await;
    // `publish` waits for a PUBACK carrying the PUBLISH's packet id [MQTT-2.3.1-6] and
    // returns that id; the ids are 1 and 2 because the observer counts from 1.
    assert_eq!(
        publisher
            .publish("harness/qos1", b"first", QoS::AtLeastOnce, false)
            .await,
        Some(1)
    );
    assert_eq!(
        publisher
            .publish("harness/qos1", b"second", QoS::AtLeastOnce, false)
            .await,
        Some(2)
    );
    for expected in [&b"first"[..], b"second"] {
        let received = subscriber.expect_publish(WAIT).await;
        assert_eq!(received.payload, expected, "{}", broker.name());
        assert_eq!(received.qos, QoS::AtLeastOnce, "{}", broker.name());
        assert!(received.packet_id.is_some(), "QoS 1 carries a packet id");
        assert!(!received.dup, "first delivery");
    }
    subscriber.expect_no_publish(QUIET).await;
}
on_both_brokers!(qos1_publish_is_acknowledged_with_its_packet_id);

async fn ten_thousand_qos1_messages_reach_a_subscriber_that_reads_late(broker: &dyn TestBroker) {
    const COUNT: usize = 10_000;
    let port = broker.port();
    let mut subscriber = Observer::connect(port, "bulk-subscriber").await;
    subscriber.subscribe("harness/bulk", QoS::AtLeastOnce).await;
    let mut publisher = Observer::connect(port, "bulk-publisher").await;
    let started = std::time::Instant::now();
    // The subscriber reads nothing meanwhile: the broker must hold what the TCP buffers cannot
    // (mosquitto's max_queued_messages, rumqttd's segments) and drop nothing.
    for i in 0..COUNT {
        publisher
            .publish(
                "harness/bulk",
                i.to_string().as_bytes(),
                QoS::AtLeastOnce,
                false,
            )
            .await;
    }
    let published = started.elapsed();
    // In order: one topic, one publisher, one QoS [MQTT-4.6.0-6].
    for i in 0..COUNT {
        let received = subscriber.expect_publish(WAIT).await;
        assert_eq!(
            (received.payload_str(), received.qos),
            (i.to_string(), QoS::AtLeastOnce),
            "{}",
            broker.name()
        );
    }
    subscriber.expect_no_publish(QUIET).await;
    eprintln!(
        "{}: {COUNT} QoS 1 messages published in {published:?}, all received after {:?}",
        broker.name(),
        started.elapsed()
    );
}
on_both_brokers!(
    ten_thousand_qos1_messages_reach_a_subscriber_that_reads_late,
    limit_secs = 10
);

async fn wildcard_subscription_receives_exactly_the_matching_topics(broker: &dyn TestBroker) {
    let port = broker.port();
    let mut subscriber = Observer::connect(port, "wildcard-subscriber").await;
    subscriber.subscribe("wild/+/temp/#", QoS::AtMostOnce).await;
    let mut publisher = Observer::connect(port, "wildcard-publisher").await;
    let topics = [
        ("wild/kitchen/temp", true), // `#` also matches the parent level
        ("wild/kitchen/humidity", false),
        ("wild/hall/temp/max", true),
        ("wild/temp", false),     // `+` needs a level
        ("wild/a/b/temp", false), // `+` is one level only
        ("other/kitchen/temp", false),
        ("wild/cellar/temp/min/day", true),
    ];
    for (topic, _) in topics {
        publisher
            .publish(topic, topic.as_bytes(), QoS::AtLeastOnce, false)
            .await;
    }
    let mut expected: Vec<&str> = topics.iter().filter(|t| t.1).map(|t| t.0).collect();
    let mut received = Vec::new();
    for _ in 0..expected.len() {
        let publish = subscriber.expect_publish(WAIT).await;
        assert_eq!(publish.payload, publish.topic.as_bytes());
        received.push(publish.topic);
    }
    subscriber.expect_no_publish(QUIET).await;
    // rumqttd keeps one log per topic, so the order across topics is not fixed.
    received.sort();
    expected.sort();
    assert_eq!(received, expected, "{}", broker.name());
}
on_both_brokers!(wildcard_subscription_receives_exactly_the_matching_topics);

async fn will_is_published_when_client_drops_without_disconnect(broker: &dyn TestBroker) {
    let port = broker.port();
    let mut watcher = Observer::connect(port, "will-watcher").await;
    watcher.subscribe("harness/will/#", QoS::AtLeastOnce).await;
    let client = Observer::connect_with(
        port,
        ObserverOptions::new("will-client").will(
            "harness/will/status",
            b"offline",
            QoS::AtLeastOnce,
            false,
        ),
    )
    .await;
    watcher.expect_no_publish(QUIET).await;
    client.drop_abruptly();
    // [MQTT-3.1.2-8]
    let will = watcher.expect_publish(WAIT).await;
    assert_eq!(
        (will.topic.as_str(), will.payload.as_slice(), will.qos),
        ("harness/will/status", &b"offline"[..], QoS::AtLeastOnce),
        "{}",
        broker.name()
    );
    watcher.expect_no_publish(QUIET).await;
}
on_both_brokers!(will_is_published_when_client_drops_without_disconnect);

async fn will_is_not_published_after_disconnect(broker: &dyn TestBroker) {
    let port = broker.port();
    let mut watcher = Observer::connect(port, "will-watcher").await;
    watcher.subscribe("harness/will/#", QoS::AtLeastOnce).await;
    let client = Observer::connect_with(
        port,
        ObserverOptions::new("will-client").will(
            "harness/will/status",
            b"offline",
            QoS::AtLeastOnce,
            false,
        ),
    )
    .await;
    // Returns once the broker closed the connection, i.e. processed the DISCONNECT.
    client.disconnect().await;
    watcher.expect_no_publish(QUIET).await;
    // A marker on the same topic: it must be the first and only message [MQTT-3.14.4-3].
    let mut publisher = Observer::connect(port, "will-marker").await;
    publisher
        .publish("harness/will/status", b"marker", QoS::AtLeastOnce, false)
        .await;
    let first = watcher.expect_publish(WAIT).await;
    assert_eq!(first.payload, b"marker", "{}", broker.name());
    watcher.expect_no_publish(QUIET).await;
}
on_both_brokers!(will_is_not_published_after_disconnect);

/// Subscribes `persist-sub` with a persistent session, disconnects it, queues one QoS 1
/// message for it, waits until mosquitto saved it (when persistent), kills and restarts
/// mosquitto, and returns the reconnected subscriber.
async fn queue_message_then_kill_and_restart(broker: &mut Mosquitto) -> Observer {
    let port = broker.port();
    let persistent = ObserverOptions::new("persist-sub").persistent();
    let mut subscriber = Observer::connect_with(port, persistent.clone()).await;
    assert!(!subscriber.session_present(), "no session yet");
    subscriber
        .subscribe("harness/persist", QoS::AtLeastOnce)
        .await;
    subscriber.disconnect().await;

    let mut publisher = Observer::connect(port, "persist-pub").await;
    let saves = broker.saves();
    publisher
        .publish("harness/persist", b"kept", QoS::AtLeastOnce, false)
        .await;
    if broker.options().persistence {
        broker.wait_until_saved(saves).await;
    }
    broker.kill();
    assert!(!broker.is_running());
    publisher.expect_closed(WAIT).await;
    broker.restart();
    Observer::connect_with(port, persistent).await
}

#[test]
fn mosquitto_persistent_session_keeps_queued_qos1_message_across_kill_and_restart() {
    let options = MosquittoOptions {
        persistence: true,
        ..MosquittoOptions::default()
    };
    let Some(mut broker) = Mosquitto::start(options) else {
        return;
    };
    support::run_test("mosquitto_persistent_session", 8, async {
        let mut subscriber = queue_message_then_kill_and_restart(&mut broker).await;
        // The session was stored [MQTT-3.2.2-2], with the QoS 1 message that arrived while
        // the subscriber was offline [MQTT-3.1.2-5].
        assert!(subscriber.session_present());
        let kept = subscriber.expect_publish(WAIT).await;
        assert_eq!(
            (kept.topic.as_str(), kept.payload.as_slice(), kept.qos),
            ("harness/persist", &b"kept"[..], QoS::AtLeastOnce)
        );
        // The subscription survived as well.
        let mut publisher = Observer::connect(broker.port(), "persist-pub-2").await;
        publisher
            .publish("harness/persist", b"live", QoS::AtLeastOnce, false)
            .await;
        assert_eq!(subscriber.expect_publish(WAIT).await.payload, b"live");
        subscriber.expect_no_publish(QUIET).await;
    });
}

/// The control for the test above: without persistence the same kill loses the session, so the
/// harness's persistence option is what keeps it.
#[test]
fn mosquitto_without_persistence_loses_the_session_on_kill() {
    let Some(mut broker) = Mosquitto::start(MosquittoOptions::default()) else {
        return;
    };
    support::run_test("mosquitto_without_persistence", 8, async {
        let mut subscriber = queue_message_then_kill_and_restart(&mut broker).await;
        assert!(!subscriber.session_present());
        subscriber.expect_no_publish(QUIET).await;
    });
    assert_eq!(broker.saves(), 0);
}

#[test]
fn brokers_helper_starts_every_available_broker() {
    let brokers = support::brokers();
    let names: Vec<&str> = brokers.iter().map(|b| b.name()).collect();
    assert!(names.contains(&"rumqttd"));
    assert_eq!(
        names.contains(&"mosquitto"),
        Mosquitto::binary().is_some(),
        "{names:?}"
    );
    support::run_test("brokers_helper", 8, async {
        for broker in &brokers {
            let mut observer = Observer::connect(broker.port(), "brokers-helper").await;
            observer.ping().await;
            observer.disconnect().await;
        }
    });
}

async fn proxy_forwards_both_directions(broker: &dyn TestBroker) {
    let proxy = Proxy::start(broker.port());
    let mut subscriber = Observer::connect(proxy.port(), "proxied-subscriber").await;
    subscriber
        .subscribe("harness/proxy/data", QoS::AtLeastOnce)
        .await;
    let mut publisher = Observer::connect(proxy.port(), "proxied-publisher").await;
    publisher
        .publish("harness/proxy/data", b"through", QoS::AtLeastOnce, false)
        .await;
    assert_eq!(subscriber.expect_publish(WAIT).await.payload, b"through");
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(proxy.open_connections(), 2);
    let (to_broker, to_client, discarded) = proxy.bytes();
    assert!(to_broker > 0 && to_client > 0, "{:?}", proxy.bytes());
    assert_eq!(discarded, 0);
}
on_both_brokers!(proxy_forwards_both_directions);

async fn proxy_cut_closes_client_and_broker_sides(broker: &dyn TestBroker) {
    let port = broker.port();
    let proxy = Proxy::start(port);
    let mut watcher = Observer::connect(port, "cut-watcher").await;
    watcher
        .subscribe("harness/proxy/will", QoS::AtLeastOnce)
        .await;
    let mut client = Observer::connect_with(
        proxy.port(),
        ObserverOptions::new("cut-client").will(
            "harness/proxy/will",
            b"cut",
            QoS::AtLeastOnce,
            false,
        ),
    )
    .await;
    client.ping().await;

    proxy.cut();
    assert_eq!(proxy.open_connections(), 0);
    // The client sees its connection closed...
    client.expect_closed(WAIT).await;
    // ...and the broker saw the client vanish without DISCONNECT, so it published the will.
    let will = watcher.expect_publish(WAIT).await;
    assert_eq!(will.payload, b"cut", "{}", broker.name());

    // New connections go through again.
    let mut again = Observer::connect(proxy.port(), "cut-client").await;
    again.ping().await;
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(proxy.open_connections(), 1);
}
on_both_brokers!(proxy_cut_closes_client_and_broker_sides);

async fn proxy_black_hole_drops_bytes_but_keeps_both_sockets_open(broker: &dyn TestBroker) {
    let port = broker.port();
    let proxy = Proxy::start(port);
    let mut watcher = Observer::connect(port, "hole-watcher").await;
    watcher
        .subscribe("harness/proxy/will", QoS::AtLeastOnce)
        .await;
    let mut client = Observer::connect_with(
        proxy.port(),
        ObserverOptions::new("hole-client").will(
            "harness/proxy/will",
            b"hole",
            QoS::AtLeastOnce,
            false,
        ),
    )
    .await;
    client
        .subscribe("harness/proxy/data", QoS::AtMostOnce)
        .await;

    proxy.black_hole();
    let mut publisher = Observer::connect(port, "hole-publisher").await;
    publisher
        .publish("harness/proxy/data", b"lost", QoS::AtLeastOnce, false)
        .await;
    // Broker to client: dropped.
    assert_eq!(client.recv_publish(QUIET).await, None);
    // Client to broker: dropped (no PINGRESP), yet the client's socket is open...
    assert!(!client.ping_within(QUIET).await);
    assert!(!client.is_closed());
    // ...and so is the broker's: no will.
    watcher.expect_no_publish(QUIET).await;
    let (_, _, discarded) = proxy.bytes();
    assert!(discarded > 0, "{:?}", proxy.bytes());
    assert_eq!(proxy.open_connections(), 1);

    // Cutting the black-holed connection finally shows the broker the client is gone.
    proxy.cut();
    client.expect_closed(WAIT).await;
    assert_eq!(watcher.expect_publish(WAIT).await.payload, b"hole");
}
on_both_brokers!(proxy_black_hole_drops_bytes_but_keeps_both_sockets_open);

async fn proxy_refuses_new_connections_until_told_to_accept(broker: &dyn TestBroker) {
    let proxy = Proxy::start(broker.port());
    let mut existing = Observer::connect(proxy.port(), "refuse-existing").await;

    proxy.refuse_connections();
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", proxy.port())).await;
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionRefused)
    );
    // Connections made before are not touched.
    existing.ping().await;

    proxy.accept_connections();
    let mut fresh = Observer::connect(proxy.port(), "refuse-fresh").await;
    fresh.ping().await;
    assert_eq!(proxy.accepted(), 2);
}
on_both_brokers!(proxy_refuses_new_connections_until_told_to_accept);
