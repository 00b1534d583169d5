//! The sans-I/O protocol core, driven byte by byte by a scripted broker: no sockets, no clock.

use embassy_time::{Duration, Instant};
use picomqtt::packet::{ConnectReturnCode, DecodeError, PacketId, PacketType, Will};
use picomqtt::{ConnectOptions, Error, Event, ProtocolError, QoS, Session, TopicName};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

/// Everything the session wants to send, as the transport would write it.
fn sent(s: &mut Session<'_>, now: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let Some(data) = s.transmit_data() else { break };
        let data = data.to_vec();
        out.extend_from_slice(&data);
        s.transmitted(data.len(), now);
    }
    out
}

/// Delivers `bytes` from the broker, as fast as the RX buffer takes them.
fn feed(s: &mut Session<'_>, bytes: &[u8]) {
    let buf = s.receive_buffer();
    assert!(
        buf.len() >= bytes.len(),
        "RX buffer too small for the script"
    );
    buf[..bytes.len()].copy_from_slice(bytes);
    s.received(bytes.len());
}

/// `process` until it reports an event or wants more bytes.
fn step<'s>(s: &'s mut Session<'_>) -> Result<Option<Event<'s>>, Error> {
    if s.process()? {
        Ok(s.event())
    } else {
        Ok(None)
    }
}

const CONNACK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];
const CONNACK_SESSION_PRESENT: [u8; 4] = [0x20, 0x02, 0x01, 0x00];

/// CONNECT for client id "c1" with the given clean-session flag and keep alive 60.
fn connect_bytes(clean: bool) -> Vec<u8> {
    vec![
        0x10,
        14,
        0,
        4,
        b'M',
        b'Q',
        b'T',
        b'T',
        4,
        if clean { 0x02 } else { 0x00 },
        0,
        60,
        0,
        2,
        b'c',
        b'1',
    ]
}

fn connected<'b>(rx: &'b mut [u8], tx: &'b mut [u8]) -> Session<'b> {
    let mut s = Session::new(rx, tx);
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    assert_eq!(sent(&mut s, at(0)), connect_bytes(true));
    feed(&mut s, &CONNACK);
    assert!(!s.process().unwrap());
    assert!(s.is_connected());
    s
}

#[test]
fn connect_sends_the_connect_packet_byte_for_byte() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 30,
        will: Some(Will {
            topic: TopicName::new("d/status").unwrap(),
            payload: b"offline",
            qos: QoS::AtLeastOnce,
            retain: true,
        }),
        username: Some("u"),
        password: Some(b"p"),
        ..ConnectOptions::new("d")
    };
    s.connect(&options, at(0)).unwrap();
    let expected = [
        0x10,
        38, // CONNECT, remaining length
        0,
        4,
        b'M',
        b'Q',
        b'T',
        b'T',
        4,           // protocol name and level 4
        0b1110_1110, // user name, password, will retain, will QoS 1, will, clean session
        0,
        30, // keep alive
        0,
        1,
        b'd', // client id
        0,
        8,
        b'd',
        b'/',
        b's',
        b't',
        b'a',
        b't',
        b'u',
        b's', // will topic
        0,
        7,
        b'o',
        b'f',
        b'f',
        b'l',
        b'i',
        b'n',
        b'e', // will message
        0,
        1,
        b'u',
        0,
        1,
        b'p', // user name, password
    ];
    assert_eq!(sent(&mut s, at(0)), expected);
    assert!(!s.is_connected(), "not connected before the CONNACK");
}

#[test]
fn empty_client_id_with_clean_session_is_sent_as_a_zero_length_string_mqtt_3_1_3_7() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(&ConnectOptions::new(""), at(0)).unwrap();
    let out = sent(&mut s, at(0));
    assert_eq!(&out[out.len() - 2..], &[0, 0]);
}

#[test]
fn connack_accepted_connects_and_exposes_session_present() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(
        &ConnectOptions {
            clean_session: false,
            ..ConnectOptions::new("c1")
        },
        at(0),
    )
    .unwrap();
    assert_eq!(sent(&mut s, at(0)), connect_bytes(false));
    feed(&mut s, &CONNACK_SESSION_PRESENT);
    assert_eq!(s.process(), Ok(false));
    assert!(s.is_connected());
    assert!(s.session_present());
}

#[test]
fn every_connack_refusal_code_is_its_own_error() {
    let codes = [
        (1, ConnectReturnCode::UnacceptableProtocolVersion),
        (2, ConnectReturnCode::IdentifierRejected),
        (3, ConnectReturnCode::ServerUnavailable),
        (4, ConnectReturnCode::BadUserNameOrPassword),
        (5, ConnectReturnCode::NotAuthorized),
    ];
    for (byte, code) in codes {
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
        let mut s = Session::new(&mut rx, &mut tx);
        s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
        sent(&mut s, at(0));
        feed(&mut s, &[0x20, 0x02, 0x00, byte]);
        assert_eq!(s.process(), Err(Error::ConnectionRefused(code)));
        assert!(!s.is_connected());
    }
}

#[test]
fn connack_return_code_above_5_is_malformed() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &[0x20, 0x02, 0x00, 6]);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::Malformed(
            DecodeError::InvalidConnectReturnCode(6)
        )))
    );
}

#[test]
fn publish_before_connack_is_a_protocol_violation_mqtt_3_2_0_1() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &[0x30, 0x04, 0, 1, b't', b'x']);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::UnexpectedPacket(
            PacketType::Publish
        )))
    );
    assert!(!s.is_connected());
}

#[test]
fn a_second_connack_or_one_before_connect_is_a_protocol_violation() {
    for connect_first in [true, false] {
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
        let mut s = if connect_first {
            connected(&mut rx, &mut tx)
        } else {
            Session::new(&mut rx, &mut tx)
        };
        feed(&mut s, &CONNACK);
        assert_eq!(
            s.process(),
            Err(Error::Protocol(ProtocolError::UnexpectedPacket(
                PacketType::ConnAck
            ))),
            "connected first: {connect_first}"
        );
        assert!(!s.is_connected());
    }
}

#[test]
fn connack_timeout_is_reported_when_the_deadline_passes() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        response_timeout: Duration::from_secs(3),
        ..ConnectOptions::new("c1")
    };
    s.connect(&options, at(1000)).unwrap();
    sent(&mut s, at(1000));
    assert_eq!(s.poll_timeout(), Some(at(4000)));
    assert_eq!(s.handle_timeout(at(3999)), Ok(()));
    assert_eq!(s.handle_timeout(at(4000)), Err(Error::ConnAckTimeout));
    assert!(!s.is_connected());
}

#[test]
fn qos0_publish_is_sent_byte_for_byte_with_retain() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    assert_eq!(s.publish("a/b", b"hi", QoS::AtMostOnce, true), Ok(None));
    assert_eq!(
        sent(&mut s, at(0)),
        [0x31, 7, 0, 3, b'a', b'/', b'b', b'h', b'i']
    );
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn qos1_publish_completes_when_its_puback_arrives() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    assert_eq!(
        s.publish("a", b"x", QoS::AtLeastOnce, false),
        Ok(Some(id(1)))
    );
    assert_eq!(sent(&mut s, at(0)), [0x32, 6, 0, 1, b'a', 0, 1, b'x']);
    assert_eq!(s.in_flight(), 1);
    feed(&mut s, &[0x40, 2, 0, 1]);
    assert_eq!(step(&mut s), Ok(Some(Event::Published(id(1)))));
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn several_qos1_messages_are_in_flight_at_once_and_acked_in_any_order() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    for n in 1..=3 {
        assert_eq!(
            s.publish("a", &[n as u8], QoS::AtLeastOnce, false),
            Ok(Some(id(n)))
        );
        sent(&mut s, at(0));
    }
    assert_eq!(s.in_flight(), 3);
    for n in [2, 3, 1] {
        feed(&mut s, &[0x40, 2, 0, n as u8]);
        assert_eq!(step(&mut s), Ok(Some(Event::Published(id(n)))));
    }
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn puback_with_an_unknown_packet_id_is_a_protocol_violation() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(&mut s, &[0x40, 2, 0, 9]);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::UnknownPacketId {
            packet_type: PacketType::PubAck,
            packet_id: id(9)
        }))
    );
    assert!(!s.is_connected());
}

#[test]
fn received_qos1_publish_is_delivered_then_acknowledged() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(&mut s, &[0x33, 8, 0, 3, b'a', b'/', b'b', 0x12, 0x34, b'!']);
    match step(&mut s) {
        Ok(Some(Event::Message(m))) => {
            assert_eq!(m.topic, "a/b");
            assert_eq!(m.payload, b"!");
            assert_eq!(m.qos, QoS::AtLeastOnce);
            assert!(m.retain);
            assert!(!m.dup);
            assert_eq!(m.subscription(), None);
        }
        other => panic!("{other:?}"),
    }
    // The PUBACK is sent after the application had the message [MQTT-4.3.2-2].
    assert_eq!(sent(&mut s, at(0)), [0x40, 2, 0x12, 0x34]);
}

#[test]
fn acks_are_sent_in_the_order_the_publishes_arrived_mqtt_4_6_0_2() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(
        &mut s,
        &[0x32, 5, 0, 1, b'a', 0, 7, 0x32, 5, 0, 1, b'a', 0, 3],
    );
    let mut acks = Vec::new();
    for _ in 0..2 {
        assert!(matches!(step(&mut s), Ok(Some(Event::Message(_)))));
        acks.extend(sent(&mut s, at(0)));
    }
    assert_eq!(acks, [0x40, 2, 0, 7, 0x40, 2, 0, 3]);
}

#[test]
fn qos0_publish_with_dup_set_is_malformed_and_closes_mqtt_3_3_1_2() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(&mut s, &[0x38, 3, 0, 1, b'a']);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::Malformed(
            DecodeError::DupWithQoS0
        )))
    );
    assert!(!s.is_connected());
}

#[test]
fn reserved_flag_bits_close_the_connection_mqtt_2_2_2_2() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(&mut s, &[0x41, 2, 0, 1]);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::Malformed(
            DecodeError::InvalidFlags {
                packet_type: PacketType::PubAck,
                flags: 1
            }
        )))
    );
}

#[test]
fn publish_with_qos2_from_the_broker_is_a_protocol_violation() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    feed(&mut s, &[0x34, 5, 0, 1, b'a', 0, 1]);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::UnexpectedQoS2))
    );
}

#[test]
fn packets_only_clients_send_are_protocol_violations() {
    for packet in [
        &[0xC0u8, 0][..],
        &[0xE0, 0],
        &[0x82, 6, 0, 1, 0, 1, b'a', 0],
    ] {
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
        let mut s = connected(&mut rx, &mut tx);
        feed(&mut s, packet);
        assert!(
            matches!(
                s.process(),
                Err(Error::Protocol(ProtocolError::UnexpectedPacket(_)))
            ),
            "{packet:?}"
        );
    }
}

#[test]
fn a_packet_larger_than_the_rx_buffer_is_skipped_and_the_stream_stays_in_sync() {
    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    // A QoS 0 PUBLISH of 2 + 24 bytes, then a small one; delivered 16 bytes at a time.
    let mut stream = vec![0x30, 24, 0, 1, b'a'];
    stream.extend([b'x'; 21]);
    stream.extend([0x30, 4, 0, 1, b'b', b'!']);
    let mut errors = Vec::new();
    let mut messages = Vec::new();
    let mut rest = &stream[..];
    for _ in 0..10 {
        let space = s.receive_buffer().len().min(rest.len());
        feed(&mut s, &rest[..space]);
        rest = &rest[space..];
        loop {
            match s.process() {
                Ok(true) => {
                    if let Some(Event::Message(m)) = s.event() {
                        messages.push((m.topic.to_string(), m.payload.to_vec()));
                    }
                }
                Ok(false) => break,
                Err(e) => errors.push(e),
            }
        }
        if rest.is_empty() {
            break;
        }
    }
    assert_eq!(errors, [Error::PacketTooLarge { len: 26 }]);
    assert!(!errors[0].is_fatal());
    assert_eq!(messages, [("b".to_string(), b"!".to_vec())]);
    assert!(s.is_connected());
}

#[test]
fn an_oversized_qos1_publish_is_still_acknowledged_so_it_is_not_redelivered_forever() {
    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    let mut packet = vec![0x32, 30, 0, 1, b'a', 0, 5];
    packet.extend([b'x'; 25]);
    feed(&mut s, &packet[..16]);
    assert_eq!(s.process(), Err(Error::PacketTooLarge { len: 32 }));
    assert_eq!(sent(&mut s, at(0)), [0x40, 2, 0, 5]);
    feed(&mut s, &packet[16..]);
    assert_eq!(s.process(), Ok(false));
    assert!(s.is_connected());
}

#[test]
fn an_oversized_qos1_publish_waits_for_its_packet_identifier_before_the_puback() {
    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    let mut packet = vec![0x32, 30, 0, 1, b'a', 0, 5];
    packet.extend([b'x'; 25]);
    // The topic is in, the packet identifier is not: nothing can be acknowledged yet.
    feed(&mut s, &packet[..5]);
    assert_eq!(s.process(), Ok(false));
    assert_eq!(s.transmit_data(), None);
    feed(&mut s, &packet[5..16]);
    assert_eq!(s.process(), Err(Error::PacketTooLarge { len: 32 }));
    assert_eq!(sent(&mut s, at(0)), [0x40, 2, 0, 5]);
    feed(&mut s, &packet[16..]);
    assert_eq!(s.process(), Ok(false));
    assert!(s.is_connected());
}

#[test]
fn an_oversized_publish_whose_topic_fills_the_rx_buffer_is_skipped_without_a_puback() {
    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    // Topic of 20 bytes: its packet identifier can never be in the buffer at once.
    let mut packet = vec![0x32, 2 + 20 + 2 + 1, 0, 20];
    packet.extend([b'a'; 20]);
    packet.extend([0, 5, b'!']);
    packet.extend([0x30, 4, 0, 1, b'b', b'?']);
    feed(&mut s, &packet[..16]);
    assert_eq!(s.process(), Err(Error::PacketTooLarge { len: 27 }));
    assert_eq!(s.transmit_data(), None);
    feed(&mut s, &packet[16..27]);
    assert_eq!(s.process(), Ok(false));
    feed(&mut s, &packet[27..]);
    match step(&mut s) {
        Ok(Some(Event::Message(m))) => assert_eq!((m.topic, m.payload), ("b", &b"?"[..])),
        other => panic!("{other:?}"),
    }
    assert!(s.is_connected());
}

#[test]
fn an_oversized_publish_with_a_malformed_topic_closes_the_connection_mqtt_4_8_0_1() {
    for first in [0x30, 0x32] {
        let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
        let mut s = connected(&mut rx, &mut tx);
        // Topic "a/+": a wildcard in a topic name [MQTT-3.3.2-2].
        let mut packet = vec![first, 40, 0, 3, b'a', b'/', b'+', 0, 5];
        packet.extend([b'x'; 7]);
        feed(&mut s, &packet);
        let e = s.process().unwrap_err();
        assert!(
            matches!(
                e,
                Error::Protocol(ProtocolError::Malformed(DecodeError::InvalidTopic(_)))
            ),
            "{first:#x}: {e:?}"
        );
        assert!(e.is_fatal());
        assert!(!s.is_connected());
        assert_eq!(s.transmit_data(), None, "{first:#x}: no PUBACK");
    }
}

#[test]
fn an_oversized_packet_before_the_connack_is_unexpected_and_an_oversized_suback_is_skipped() {
    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &[0x30, 40, 0, 1, b'a']);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::UnexpectedPacket(
            PacketType::Publish
        )))
    );
    assert!(!s.is_connected());

    let (mut rx, mut tx) = ([0u8; 16], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("a", QoS::AtMostOnce)]).unwrap();
    sent(&mut s, at(0));
    // A SUBACK of 30 return codes cannot fit; it is skipped like any other packet.
    let mut suback = vec![0x90, 32, 0, 1];
    suback.extend([0; 30]);
    feed(&mut s, &suback[..16]);
    assert_eq!(s.process(), Err(Error::PacketTooLarge { len: 34 }));
    feed(&mut s, &suback[16..32]);
    assert_eq!(s.process(), Ok(false));
    feed(&mut s, &suback[32..]);
    assert_eq!(s.process(), Ok(false));
    assert!(s.is_connected());
}

#[test]
fn a_packet_split_into_single_bytes_gives_the_same_event() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    let packet = [0x30, 6, 0, 2, b'h', b'i', b'y', b'o'];
    for (i, byte) in packet.iter().enumerate() {
        feed(&mut s, &[*byte]);
        let ready = s.process().unwrap();
        assert_eq!(ready, i == packet.len() - 1, "byte {i}");
    }
    match s.event() {
        Some(Event::Message(m)) => assert_eq!((m.topic, m.payload), ("hi", &b"yo"[..])),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pingreq_is_sent_when_nothing_was_sent_for_the_keep_alive_interval_mqtt_3_1_2_23() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 10,
        response_timeout: Duration::from_secs(2),
        ..ConnectOptions::new("c1")
    };
    s.connect(&options, at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    // A publish at t=4 s moves the deadline.
    s.publish("a", b"", QoS::AtMostOnce, false).unwrap();
    sent(&mut s, at(4000));
    assert_eq!(s.poll_timeout(), Some(at(14_000)));
    s.handle_timeout(at(13_999)).unwrap();
    assert_eq!(s.transmit_data(), None, "too early");
    s.handle_timeout(at(14_000)).unwrap();
    assert_eq!(sent(&mut s, at(14_000)), [0xC0, 0]);
    // The PINGRESP must come within the response timeout.
    assert_eq!(s.poll_timeout(), Some(at(16_000)));
    feed(&mut s, &[0xD0, 0]);
    assert_eq!(s.process(), Ok(false));
    assert_eq!(s.poll_timeout(), Some(at(24_000)));
}

#[test]
fn missing_pingresp_reports_the_connection_dead() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 1,
        response_timeout: Duration::from_millis(500),
        ..ConnectOptions::new("c1")
    };
    s.connect(&options, at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    s.handle_timeout(at(1000)).unwrap();
    assert_eq!(sent(&mut s, at(1000)), [0xC0, 0]);
    assert_eq!(s.handle_timeout(at(1499)), Ok(()));
    assert_eq!(s.handle_timeout(at(1500)), Err(Error::KeepAliveTimeout));
    assert!(!s.is_connected());
}

#[test]
fn keep_alive_zero_turns_pings_off() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = Session::new(&mut rx, &mut tx);
    s.connect(
        &ConnectOptions {
            keep_alive: 0,
            ..ConnectOptions::new("c1")
        },
        at(0),
    )
    .unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(at(10_000_000)).unwrap();
    assert_eq!(s.transmit_data(), None);
}

#[test]
fn unacknowledged_qos1_is_resent_with_dup_and_the_same_id_after_reconnect_mqtt_4_4_0_1() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = Session::new(&mut rx, &mut tx);
    let persistent = ConnectOptions {
        clean_session: false,
        ..ConnectOptions::new("c1")
    };
    s.connect(&persistent, at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    s.publish("a", b"1", QoS::AtLeastOnce, true).unwrap();
    sent(&mut s, at(0));
    s.publish("b", b"2", QoS::AtLeastOnce, false).unwrap();
    sent(&mut s, at(0));
    // The connection drops; reconnect and resume the session.
    s.close();
    s.connect(&persistent, at(0)).unwrap();
    assert_eq!(sent(&mut s, at(0)), connect_bytes(false));
    feed(&mut s, &CONNACK_SESSION_PRESENT);
    s.process().unwrap();
    // Both messages come again, DUP set, same identifiers, before anything new.
    assert_eq!(
        sent(&mut s, at(0)),
        [
            0x3B, 6, 0, 1, b'a', 0, 1, b'1', 0x3A, 6, 0, 1, b'b', 0, 2, b'2'
        ]
    );
    s.publish("c", b"3", QoS::AtLeastOnce, false).unwrap();
    assert_eq!(sent(&mut s, at(0)), [0x32, 6, 0, 1, b'c', 0, 3, b'3']);
    for n in 1..=3 {
        feed(&mut s, &[0x40, 2, 0, n]);
        assert_eq!(step(&mut s), Ok(Some(Event::Published(id(n.into())))));
    }
}

#[test]
fn clean_session_discards_messages_in_flight_and_resends_nothing_mqtt_3_1_2_6() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.publish("a", b"1", QoS::AtLeastOnce, false).unwrap();
    sent(&mut s, at(0));
    s.close();
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    assert_eq!(sent(&mut s, at(0)), connect_bytes(true));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    assert_eq!(s.in_flight(), 0);
    assert_eq!(s.transmit_data(), None);
}

#[test]
fn subscribe_reports_granted_qos_and_failure_per_filter() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    assert_eq!(
        s.subscribe(&[("a/+", QoS::AtLeastOnce), ("b", QoS::AtMostOnce)]),
        Ok(id(1))
    );
    assert_eq!(
        sent(&mut s, at(0)),
        [0x82, 12, 0, 1, 0, 3, b'a', b'/', b'+', 1, 0, 1, b'b', 0]
    );
    feed(&mut s, &[0x90, 4, 0, 1, 0x01, 0x80]);
    match step(&mut s) {
        Ok(Some(Event::Subscribed(ack))) => {
            assert_eq!(ack.packet_id, id(1));
            use picomqtt::packet::SubscribeReturnCode::*;
            assert_eq!(
                ack.return_codes.iter().collect::<Vec<_>>(),
                [Success(QoS::AtLeastOnce), Failure]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn suback_with_the_wrong_number_of_codes_is_a_protocol_violation() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("a", QoS::AtLeastOnce), ("b", QoS::AtLeastOnce)])
        .unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &[0x90, 3, 0, 1, 0x01]);
    assert_eq!(
        s.process(),
        Err(Error::Protocol(ProtocolError::SubAckCountMismatch))
    );
}

#[test]
fn received_messages_name_the_subscription_filter_they_matched() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("dev/+/cmd", QoS::AtLeastOnce), ("dev/#", QoS::AtMostOnce)])
        .unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &[0x90, 4, 0, 1, 1, 0]);
    step(&mut s).unwrap();
    feed(
        &mut s,
        &[
            0x30, 12, 0, 9, b'd', b'e', b'v', b'/', b'1', b'/', b'c', b'm', b'd', b'x',
        ],
    );
    match step(&mut s) {
        Ok(Some(Event::Message(m))) => assert_eq!(m.subscription(), Some("dev/+/cmd")),
        other => panic!("{other:?}"),
    }
    feed(
        &mut s,
        &[0x30, 9, 0, 6, b'd', b'e', b'v', b'/', b'z', b'z', b'x'],
    );
    match step(&mut s) {
        Ok(Some(Event::Message(m))) => assert_eq!(m.subscription(), Some("dev/#")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resubscribe_repeats_every_recorded_filter_in_one_subscribe() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    assert_eq!(s.resubscribe(), Ok(None));
    s.subscribe(&[("a", QoS::AtLeastOnce)]).unwrap();
    s.subscribe(&[("b", QoS::AtMostOnce)]).unwrap_err(); // output still pending
    sent(&mut s, at(0));
    s.subscribe(&[("b", QoS::AtMostOnce), ("a", QoS::AtMostOnce)])
        .unwrap();
    sent(&mut s, at(0));
    s.close();
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    assert!(!s.session_present());
    assert_eq!(s.resubscribe(), Ok(Some(id(3))));
    // "a" was updated to QoS 0 by the second SUBSCRIBE; it is recorded once.
    assert_eq!(
        sent(&mut s, at(0)),
        [0x82, 10, 0, 3, 0, 1, b'a', 0, 0, 1, b'b', 0]
    );
}

#[test]
fn a_subscription_keeps_3_bytes_plus_its_filter_of_the_tx_buffer() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("abc", QoS::AtLeastOnce)]).unwrap();
    sent(&mut s, at(0));
    // 64 - (3 + 3) = 58 bytes are left for QoS 1 messages in flight: a PUBLISH to "t" is
    // 2 (fixed header) + 3 (topic) + 2 (packet id) + payload.
    assert_eq!(
        s.publish("t", &[0; 52], QoS::AtLeastOnce, false),
        Err(Error::BufferTooSmall { needed: 59 })
    );
    assert_eq!(
        s.publish("t", &[0; 51], QoS::AtLeastOnce, false),
        Ok(Some(id(2)))
    );
    sent(&mut s, at(0));
    // Unsubscribing gives the 6 bytes back.
    s.unsubscribe(&["abc"]).unwrap_err(); // the TX buffer is full of the message in flight
    feed(&mut s, &[0x40, 2, 0, 2]);
    assert_eq!(step(&mut s), Ok(Some(Event::Published(id(2)))));
    s.unsubscribe(&["abc"]).unwrap();
    sent(&mut s, at(0));
    assert_eq!(
        s.publish("t", &[0; 57], QoS::AtLeastOnce, false),
        Ok(Some(id(4)))
    );
    assert_eq!(s.subscriptions().count(), 0);
}

#[test]
fn unsubscribe_sends_unsubscribe_and_forgets_the_filter() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("a", QoS::AtLeastOnce), ("b/#", QoS::AtMostOnce)])
        .unwrap();
    sent(&mut s, at(0));
    assert_eq!(s.unsubscribe(&["b/#"]), Ok(id(2)));
    assert_eq!(sent(&mut s, at(0)), [0xA2, 7, 0, 2, 0, 3, b'b', b'/', b'#']);
    assert_eq!(
        s.subscriptions().collect::<Vec<_>>(),
        [("a", QoS::AtLeastOnce)]
    );
    feed(&mut s, &[0xB0, 2, 0, 2]);
    assert_eq!(step(&mut s), Ok(Some(Event::Unsubscribed(id(2)))));
}

#[test]
fn packet_ids_skip_zero_and_ids_still_in_flight_mqtt_2_3_1_1() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 256]);
    let mut s = connected(&mut rx, &mut tx);
    // Id 1 stays in flight while the counter goes round all 65,535 identifiers.
    assert_eq!(
        s.publish("a", b"", QoS::AtLeastOnce, false),
        Ok(Some(id(1)))
    );
    sent(&mut s, at(0));
    let mut last = 1;
    for _ in 0..65_534 {
        let next = s
            .publish("a", b"", QoS::AtLeastOnce, false)
            .unwrap()
            .unwrap();
        sent(&mut s, at(0));
        let [hi, lo] = next.get().to_be_bytes();
        feed(&mut s, &[0x40, 2, hi, lo]);
        assert_eq!(step(&mut s), Ok(Some(Event::Published(next))));
        last = next.get();
    }
    assert_eq!(last, 65_535);
    // Wrapping around skips 0 and the id 1 still in flight.
    assert_eq!(
        s.publish("a", b"", QoS::AtLeastOnce, false),
        Ok(Some(id(2)))
    );
}

#[test]
fn tx_space_held_by_messages_in_flight_gives_in_flight_full_until_a_puback() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 40]);
    let mut s = connected(&mut rx, &mut tx);
    // Each message is 2 + 2 + 1 + 2 + 10 = 17 bytes: two fit in 40, a third does not.
    let payload = [7u8; 10];
    assert!(s.publish("a", &payload, QoS::AtLeastOnce, false).is_ok());
    sent(&mut s, at(0));
    assert!(s.publish("a", &payload, QoS::AtLeastOnce, false).is_ok());
    sent(&mut s, at(0));
    assert_eq!(
        s.publish("a", &payload, QoS::AtLeastOnce, false),
        Err(Error::InFlightFull)
    );
    assert!(!Error::InFlightFull.is_fatal());
    feed(&mut s, &[0x40, 2, 0, 1]);
    step(&mut s).unwrap();
    assert_eq!(
        s.publish("a", &payload, QoS::AtLeastOnce, false),
        Ok(Some(id(3)))
    );
}

#[test]
fn a_message_larger_than_the_tx_buffer_is_buffer_too_small() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 32]);
    let mut s = connected(&mut rx, &mut tx);
    assert_eq!(
        s.publish("a", &[0u8; 40], QoS::AtMostOnce, false),
        Err(Error::BufferTooSmall { needed: 45 })
    );
    // A message that fits exactly is fine.
    assert!(s.publish("a", &[0u8; 27], QoS::AtMostOnce, false).is_ok());
    assert_eq!(sent(&mut s, at(0)).len(), 32);
}

#[test]
fn max_in_flight_limits_qos1_messages_waiting_for_puback() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.set_max_in_flight(1);
    s.publish("a", b"", QoS::AtLeastOnce, false).unwrap();
    sent(&mut s, at(0));
    assert_eq!(
        s.publish("a", b"", QoS::AtLeastOnce, false),
        Err(Error::InFlightFull)
    );
    // QoS 0 is not limited.
    assert_eq!(s.publish("a", b"", QoS::AtMostOnce, false), Ok(None));
}

#[test]
fn requests_are_refused_with_typed_errors_before_anything_is_sent() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = Session::new(&mut rx, &mut tx);
    assert_eq!(
        s.publish("a", b"", QoS::AtMostOnce, false),
        Err(Error::NotConnected)
    );
    assert_eq!(s.unsubscribe(&["a"]), Err(Error::NotConnected));
    s.connect(&ConnectOptions::new("c1"), at(0)).unwrap();
    sent(&mut s, at(0));
    feed(&mut s, &CONNACK);
    s.process().unwrap();
    assert!(
        !s.publish("a/+", b"", QoS::AtMostOnce, false)
            .unwrap_err()
            .is_fatal()
    );
    assert!(matches!(
        s.publish("a/#", b"", QoS::AtMostOnce, false),
        Err(Error::InvalidTopic(_))
    ));
    assert_eq!(
        s.publish("a", b"", QoS::ExactlyOnce, false),
        Err(Error::UnsupportedQoS)
    );
    assert_eq!(
        s.subscribe(&[("a", QoS::ExactlyOnce)]),
        Err(Error::UnsupportedQoS)
    );
    assert!(matches!(
        s.subscribe(&[("a#", QoS::AtMostOnce)]),
        Err(Error::InvalidTopic(_))
    ));
    assert!(matches!(s.subscribe(&[]), Err(Error::Encode(_))));
    assert!(matches!(
        s.unsubscribe(&["a", "#/b"]),
        Err(Error::InvalidTopic(_))
    ));
    assert!(matches!(s.unsubscribe(&[]), Err(Error::Encode(_))));
    assert_eq!(s.transmit_data(), None);
}

#[test]
fn more_than_four_unanswered_subscribes_or_unsubscribes_are_refused_until_an_ack() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    for n in 1..=4 {
        s.subscribe(&[("a", QoS::AtMostOnce)]).unwrap();
        sent(&mut s, at(0));
        let _ = n;
    }
    assert_eq!(
        s.subscribe(&[("a", QoS::AtMostOnce)]),
        Err(Error::TooManyPending)
    );
    assert_eq!(s.unsubscribe(&["a"]), Err(Error::TooManyPending));
    assert_eq!(s.transmit_data(), None);
    assert_eq!(s.subscriptions().count(), 1);
    feed(&mut s, &[0x90, 3, 0, 2, 0]);
    step(&mut s).unwrap();
    assert_eq!(s.subscribe(&[("a", QoS::AtMostOnce)]), Ok(id(5)));
}

#[test]
fn disconnect_sends_disconnect_and_leaves_the_session_for_later() {
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 128]);
    let mut s = connected(&mut rx, &mut tx);
    s.subscribe(&[("a", QoS::AtMostOnce)]).unwrap();
    sent(&mut s, at(0));
    s.disconnect().unwrap();
    assert_eq!(sent(&mut s, at(0)), [0xE0, 0]);
    assert!(!s.is_connected());
    assert_eq!(s.subscriptions().count(), 1);
}

#[cfg(feature = "json")]
#[test]
fn publish_json_serialises_into_the_tx_buffer_behind_the_header() {
    #[derive(serde::Serialize)]
    struct Telemetry {
        light: u16,
    }
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut s = connected(&mut rx, &mut tx);
    s.publish_json("t", &Telemetry { light: 412 }, QoS::AtLeastOnce, false)
        .unwrap();
    let mut expected = vec![0x32, 18, 0, 1, b't', 0, 1];
    expected.extend_from_slice(br#"{"light":412}"#);
    assert_eq!(sent(&mut s, at(0)), expected);
    // While the message is in flight, a value too large for the free space may fit later.
    let long = "x".repeat(70);
    assert_eq!(
        s.publish_json("t", &long.as_str(), QoS::AtMostOnce, false),
        Err(Error::InFlightFull)
    );
    feed(&mut s, &[0x40, 2, 0, 1]);
    step(&mut s).unwrap();
    // With the whole buffer free it can never fit: refused without sending anything.
    let long = "x".repeat(70);
    assert!(matches!(
        s.publish_json("t", &long.as_str(), QoS::AtMostOnce, false),
        Err(Error::BufferTooSmall { .. })
    ));
    assert_eq!(s.transmit_data(), None);
}

#[test]
fn a_tx_buffer_larger_than_any_packet_never_lets_through_a_remaining_length_mqtt_cannot_encode() {
    // Pages are only touched where written, so these large buffers cost little.
    let max = picomqtt::packet::MAX_REMAINING_LENGTH;
    let (mut rx, mut tx) = (vec![0u8; 64], vec![0u8; max + 1024]);
    let mut s = connected(&mut rx, &mut tx);
    // Topic "t" and a QoS 0 payload that make the remaining length one more than MQTT allows.
    let payload = vec![0u8; max - 2];
    assert_eq!(
        s.publish("t", &payload, QoS::AtMostOnce, false),
        Err(Error::BufferTooSmall { needed: max + 6 })
    );
    // One byte less is the largest packet there is, and it is sent.
    assert_eq!(
        s.publish("t", &payload[1..], QoS::AtMostOnce, false),
        Ok(None)
    );
    let data = s.transmit_data().unwrap();
    assert_eq!(
        (data.len(), &data[..5]),
        (max + 5, &[0x30, 0xFF, 0xFF, 0xFF, 0x7F][..])
    );
}
