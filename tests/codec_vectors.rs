//! Byte-exact vectors for every MQTT 3.1.1 control packet, in both directions, and the exact
//! error for each kind of malformed input.
//!
//! Every byte string below is written out by hand from the OASIS MQTT 3.1.1 specification
//! (section numbers and statement ids such as [MQTT-3.3.1-4] are cited next to each vector or
//! test); none is produced by the encoder under test.

use picomqtt::packet::{
    ConnAck, Connect, ConnectReturnCode, DecodeError, Decoded, EncodeError, MAX_REMAINING_LENGTH,
    Packet, PacketType, PubAck, PubComp, PubRec, PubRel, Publish, SubAck, Subscribe,
    SubscribeFilters, SubscribeReturnCode, SubscribeReturnCodes, UnsubAck, Unsubscribe,
    UnsubscribeFilters, Will, decode,
};
use picomqtt::{PacketId, QoS, TopicError, TopicFilter, TopicName};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn topic(s: &'static str) -> TopicName<'static> {
    TopicName::new(s).unwrap()
}

fn filter(s: &'static str) -> TopicFilter<'static> {
    TopicFilter::new(s).unwrap()
}

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

/// Vectors are `'static`; the few that need owned storage leak it (test process only).
fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// Concatenates hand-written pieces of a packet.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A packet with the first byte `first` and `body`, for bodies under 128 bytes: the remaining
/// length is then the single byte `body.len()` (section 2.2.3, table 2.4).
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    assert!(
        body.len() < 128,
        "helper only writes one-byte remaining lengths"
    );
    let mut v = vec![first, body.len() as u8];
    v.extend_from_slice(body);
    v
}

/// A two-byte big-endian length followed by the bytes (section 1.5.3).
fn lstr(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

/// Deterministic payload bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The header length and remaining length of a complete fixed header at the front of `bytes`,
/// read with an independent implementation of section 2.2.3.
fn header_of(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for i in 0..4 {
        let b = *bytes.get(1 + i)?;
        value += usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some((2 + i, value));
        }
    }
    None
}

struct Vector {
    name: &'static str,
    bytes: Vec<u8>,
    packet: Packet<'static>,
}

fn v(name: &'static str, bytes: Vec<u8>, packet: Packet<'static>) -> Vector {
    Vector {
        name,
        bytes,
        packet,
    }
}

/// The protocol name and level of every MQTT 3.1.1 CONNECT (section 3.1.2.1, 3.1.2.2).
const MQTT4: &[u8] = &[0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04];

fn all_vectors() -> Vec<Vector> {
    let mut out = Vec::new();

    // ---- CONNECT (section 3.1) ----------------------------------------------------------
    let connect = |clean_session, keep_alive, client_id| Connect {
        clean_session,
        keep_alive,
        client_id,
        will: None,
        username: None,
        password: None,
    };
    out.push(v(
        "CONNECT clean session, empty client id [MQTT-3.1.3-6], keep alive 60",
        cat(&[&[0x10, 0x0C], MQTT4, &[0x02, 0x00, 0x3C, 0x00, 0x00]]),
        Packet::Connect(connect(true, 60, "")),
    ));
    out.push(v(
        "CONNECT clean session off, keep alive off",
        cat(&[
            &[0x10, 0x11],
            MQTT4,
            &[0x00, 0x00, 0x00, 0x00, 0x05],
            b"picow",
        ]),
        Packet::Connect(connect(false, 0, "picow")),
    ));
    out.push(v(
        // Section 3.1.2.11 example: user name, password, will QoS 1, will flag, clean session
        // (flags 0xCE) and keep alive 10 (3.1.2.10 example).
        "CONNECT flags 0xCE: will QoS 1, user name, password, keep alive 10",
        cat(&[
            &[0x10, 0x1F],
            MQTT4,
            &[0xCE, 0x00, 0x0A],
            &[0x00, 0x02],
            b"c1",
            &[0x00, 0x03],
            b"w/t",
            &[0x00, 0x03],
            b"bye",
            &[0x00, 0x01],
            b"u",
            &[0x00, 0x02],
            b"pw",
        ]),
        Packet::Connect(Connect {
            clean_session: true,
            keep_alive: 10,
            client_id: "c1",
            will: Some(Will {
                topic: topic("w/t"),
                payload: b"bye",
                qos: QoS::AtLeastOnce,
                retain: false,
            }),
            username: Some("u"),
            password: Some(b"pw"),
        }),
    ));
    out.push(v(
        "CONNECT will QoS 2 retained with an empty will message (flags 0x36)",
        cat(&[
            &[0x10, 0x12],
            MQTT4,
            &[0x36, 0x00, 0x1E],
            &[0x00, 0x01],
            b"a",
            &[0x00, 0x01],
            b"t",
            &[0x00, 0x00],
        ]),
        Packet::Connect(Connect {
            will: Some(Will {
                topic: topic("t"),
                payload: b"",
                qos: QoS::ExactlyOnce,
                retain: true,
            }),
            ..connect(true, 30, "a")
        }),
    ));
    out.push(v(
        "CONNECT will QoS 0, not retained (flags 0x06)",
        cat(&[
            &[0x10, 0x1D],
            MQTT4,
            &[0x06, 0x00, 0x3C],
            &[0x00, 0x00],
            &[0x00, 0x06],
            b"status",
            &[0x00, 0x07],
            b"offline",
        ]),
        Packet::Connect(Connect {
            will: Some(Will {
                topic: topic("status"),
                payload: b"offline",
                qos: QoS::AtMostOnce,
                retain: false,
            }),
            ..connect(true, 60, "")
        }),
    ));
    out.push(v(
        "CONNECT user name without password (flags 0x82)",
        cat(&[
            &[0x10, 0x14],
            MQTT4,
            &[0x82, 0x00, 0x3C],
            &[0x00, 0x02],
            b"id",
            &[0x00, 0x04],
            b"user",
        ]),
        Packet::Connect(Connect {
            username: Some("user"),
            ..connect(true, 60, "id")
        }),
    ));
    out.push(v(
        "CONNECT user name and empty password, clean session off (flags 0xC0)",
        cat(&[
            &[0x10, 0x12],
            MQTT4,
            &[0xC0, 0x00, 0x05],
            &[0x00, 0x01],
            b"x",
            &[0x00, 0x01],
            b"u",
            &[0x00, 0x00],
        ]),
        Packet::Connect(Connect {
            username: Some("u"),
            password: Some(b""),
            ..connect(false, 5, "x")
        }),
    ));
    out.push(v(
        // Section 1.5.3.1, figure 1.1: "A\u{2A6D4}" is 0x00 0x05 0x41 0xF0 0xAA 0x9B 0x94.
        "CONNECT client id A\u{2A6D4} (string example of section 1.5.3.1)",
        cat(&[
            &[0x10, 0x11],
            MQTT4,
            &[0x02, 0x00, 0x3C],
            &[0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94],
        ]),
        Packet::Connect(connect(true, 60, "A\u{2A6D4}")),
    ));
    let long_id: &'static str = Box::leak("c".repeat(200).into_boxed_str());
    out.push(v(
        "CONNECT with a 200-byte client id: remaining length 212 = 0xD4 0x01",
        cat(&[
            &[0x10, 0xD4, 0x01],
            MQTT4,
            &[0x02, 0x00, 0x3C],
            &[0x00, 0xC8],
            long_id.as_bytes(),
        ]),
        Packet::Connect(connect(true, 60, long_id)),
    ));

    // ---- CONNACK (section 3.2) ----------------------------------------------------------
    let codes = [
        (
            "CONNACK 0x00 connection accepted",
            0x00,
            ConnectReturnCode::Accepted,
        ),
        (
            "CONNACK 0x01 unacceptable protocol version",
            0x01,
            ConnectReturnCode::UnacceptableProtocolVersion,
        ),
        (
            "CONNACK 0x02 identifier rejected",
            0x02,
            ConnectReturnCode::IdentifierRejected,
        ),
        (
            "CONNACK 0x03 server unavailable",
            0x03,
            ConnectReturnCode::ServerUnavailable,
        ),
        (
            "CONNACK 0x04 bad user name or password",
            0x04,
            ConnectReturnCode::BadUserNameOrPassword,
        ),
        (
            "CONNACK 0x05 not authorized",
            0x05,
            ConnectReturnCode::NotAuthorized,
        ),
    ];
    for (name, code, return_code) in codes {
        out.push(v(
            name,
            vec![0x20, 0x02, 0x00, code],
            Packet::ConnAck(ConnAck {
                session_present: false,
                return_code,
            }),
        ));
    }
    out.push(v(
        "CONNACK accepted with session present",
        vec![0x20, 0x02, 0x01, 0x00],
        Packet::ConnAck(ConnAck {
            session_present: true,
            return_code: ConnectReturnCode::Accepted,
        }),
    ));

    // ---- PUBLISH (section 3.3) ----------------------------------------------------------
    let publish = |qos, dup, retain, t, packet_id: Option<u16>, payload| {
        Packet::Publish(Publish {
            dup,
            qos,
            retain,
            topic: topic(t),
            packet_id: packet_id.map(id),
            payload,
        })
    };
    out.push(v(
        "PUBLISH QoS 0 to a/b",
        cat(&[&[0x30, 0x07, 0x00, 0x03], b"a/b", b"hi"]),
        publish(QoS::AtMostOnce, false, false, "a/b", None, b"hi"),
    ));
    out.push(v(
        "PUBLISH QoS 0 retained, empty payload",
        cat(&[&[0x31, 0x05, 0x00, 0x03], b"a/b"]),
        publish(QoS::AtMostOnce, false, true, "a/b", None, b""),
    ));
    out.push(v(
        // Section 3.3.2.3, figure 3.11: topic "a/b", packet identifier 10.
        "PUBLISH QoS 1 a/b packet id 10 (example of section 3.3.2.3)",
        cat(&[&[0x32, 0x09, 0x00, 0x03], b"a/b", &[0x00, 0x0A, 0x01, 0x02]]),
        publish(QoS::AtLeastOnce, false, false, "a/b", Some(10), &[1, 2]),
    ));
    out.push(v(
        "PUBLISH QoS 1 DUP, empty payload",
        cat(&[&[0x3A, 0x07, 0x00, 0x03], b"a/b", &[0x00, 0x0A]]),
        publish(QoS::AtLeastOnce, true, false, "a/b", Some(10), b""),
    ));
    out.push(v(
        "PUBLISH QoS 1 DUP retained",
        cat(&[&[0x3B, 0x08, 0x00, 0x03], b"a/b", &[0x00, 0x01], b"x"]),
        publish(QoS::AtLeastOnce, true, true, "a/b", Some(1), b"x"),
    ));
    out.push(v(
        "PUBLISH QoS 2",
        cat(&[&[0x34, 0x0A, 0x00, 0x03], b"a/b", &[0x00, 0x01], b"abc"]),
        publish(QoS::ExactlyOnce, false, false, "a/b", Some(1), b"abc"),
    ));
    out.push(v(
        "PUBLISH QoS 2 DUP retained, packet id 65535",
        cat(&[&[0x3D, 0x07, 0x00, 0x03], b"a/b", &[0xFF, 0xFF]]),
        publish(QoS::ExactlyOnce, true, true, "a/b", Some(65535), b""),
    ));
    out.push(v(
        "PUBLISH to $SYS/\u{20AC}: a $ topic with a 3-byte UTF-8 character",
        cat(&[
            &[0x30, 0x0B, 0x00, 0x08],
            &[0x24, 0x53, 0x59, 0x53, 0x2F, 0xE2, 0x82, 0xAC],
            b"1",
        ]),
        publish(QoS::AtMostOnce, false, false, "$SYS/\u{20AC}", None, b"1"),
    ));
    out.push(v(
        // Section 4.7.3: "/" is a valid topic name of two empty levels.
        "PUBLISH to / (two empty levels)",
        vec![0x30, 0x03, 0x00, 0x01, 0x2F],
        publish(QoS::AtMostOnce, false, false, "/", None, b""),
    ));
    // Remaining-length boundaries of table 2.4, carried by a topic "t" (3 bytes) + payload.
    let sizes: [(&'static str, &'static [u8], usize); 4] = [
        ("PUBLISH remaining length 127: one byte 0x7F", &[0x7F], 127),
        (
            "PUBLISH remaining length 128: two bytes 0x80 0x01",
            &[0x80, 0x01],
            128,
        ),
        (
            "PUBLISH remaining length 16383: two bytes 0xFF 0x7F",
            &[0xFF, 0x7F],
            16_383,
        ),
        (
            "PUBLISH remaining length 16384: three bytes 0x80 0x80 0x01",
            &[0x80, 0x80, 0x01],
            16_384,
        ),
    ];
    for (name, rl, remaining) in sizes {
        let payload = leak(pattern(remaining - 3));
        out.push(v(
            name,
            cat(&[&[0x30], rl, &[0x00, 0x01], b"t", payload]),
            publish(QoS::AtMostOnce, false, false, "t", None, payload),
        ));
    }
    let payload = leak(pattern(16_384 - 5));
    out.push(v(
        "PUBLISH QoS 1 with a three-byte remaining length",
        cat(&[
            &[0x32, 0x80, 0x80, 0x01, 0x00, 0x01],
            b"t",
            &[0x12, 0x34],
            payload,
        ]),
        publish(QoS::AtLeastOnce, false, false, "t", Some(0x1234), payload),
    ));

    // ---- PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4 to 3.7) --------------------------
    out.push(v(
        "PUBACK packet id 10",
        vec![0x40, 0x02, 0x00, 0x0A],
        Packet::PubAck(PubAck { packet_id: id(10) }),
    ));
    out.push(v(
        "PUBACK packet id 65535",
        vec![0x40, 0x02, 0xFF, 0xFF],
        Packet::PubAck(PubAck {
            packet_id: id(65535),
        }),
    ));
    out.push(v(
        "PUBREC packet id 10",
        vec![0x50, 0x02, 0x00, 0x0A],
        Packet::PubRec(PubRec { packet_id: id(10) }),
    ));
    out.push(v(
        // Fixed-header flags 0b0010 [MQTT-3.6.1-1].
        "PUBREL packet id 10, flags 0b0010",
        vec![0x62, 0x02, 0x00, 0x0A],
        Packet::PubRel(PubRel { packet_id: id(10) }),
    ));
    out.push(v(
        "PUBCOMP packet id 258",
        vec![0x70, 0x02, 0x01, 0x02],
        Packet::PubComp(PubComp { packet_id: id(258) }),
    ));

    // ---- SUBSCRIBE, SUBACK (sections 3.8, 3.9) ------------------------------------------
    let subs = leak(vec![
        (filter("a/b"), QoS::AtLeastOnce),
        (filter("c/d"), QoS::ExactlyOnce),
    ]);
    out.push(v(
        // Section 3.8.3.1, figure 3.22: "a/b" QoS 1 and "c/d" QoS 2; packet id 10 (3.8.2.1).
        "SUBSCRIBE a/b QoS 1, c/d QoS 2 (example of section 3.8.3.1)",
        cat(&[
            &[0x82, 0x0E, 0x00, 0x0A],
            &[0x00, 0x03],
            b"a/b",
            &[0x01],
            &[0x00, 0x03],
            b"c/d",
            &[0x02],
        ]),
        Packet::Subscribe(Subscribe {
            packet_id: id(10),
            filters: SubscribeFilters::new(subs),
        }),
    ));
    let subs = leak(vec![
        (filter("sport/#"), QoS::AtMostOnce),
        (filter("+/+"), QoS::AtLeastOnce),
        (filter("#"), QoS::ExactlyOnce),
    ]);
    out.push(v(
        "SUBSCRIBE three wildcard filters with QoS 0, 1, 2",
        cat(&[
            &[0x82, 0x16, 0x00, 0x01],
            &[0x00, 0x07],
            b"sport/#",
            &[0x00],
            &[0x00, 0x03],
            b"+/+",
            &[0x01],
            &[0x00, 0x01],
            b"#",
            &[0x02],
        ]),
        Packet::Subscribe(Subscribe {
            packet_id: id(1),
            filters: SubscribeFilters::new(subs),
        }),
    ));
    let subs = leak(vec![(filter("$SYS/#"), QoS::AtMostOnce)]);
    out.push(v(
        "SUBSCRIBE $SYS/# QoS 0",
        cat(&[&[0x82, 0x0B, 0x12, 0x34, 0x00, 0x06], b"$SYS/#", &[0x00]]),
        Packet::Subscribe(Subscribe {
            packet_id: id(0x1234),
            filters: SubscribeFilters::new(subs),
        }),
    ));
    out.push(v(
        // Section 3.9.3, figure 3.26 lists the return codes 0x00, 0x01, 0x02 and 0x80.
        "SUBACK return codes 0x00 0x01 0x02 0x80",
        vec![0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80],
        Packet::SubAck(SubAck {
            packet_id: id(10),
            return_codes: SubscribeReturnCodes::new(&[0x00, 0x01, 0x02, 0x80]).unwrap(),
        }),
    ));
    out.push(v(
        "SUBACK single failure 0x80",
        vec![0x90, 0x03, 0x00, 0x01, 0x80],
        Packet::SubAck(SubAck {
            packet_id: id(1),
            return_codes: SubscribeReturnCodes::new(&[0x80]).unwrap(),
        }),
    ));

    // ---- UNSUBSCRIBE, UNSUBACK (sections 3.10, 3.11) ------------------------------------
    let unsubs = leak(vec![filter("a/b"), filter("c/d")]);
    out.push(v(
        // Section 3.10.3.1, figure 3.30: "a/b" and "c/d"; packet id 10.
        "UNSUBSCRIBE a/b, c/d (example of section 3.10.3.1)",
        cat(&[
            &[0xA2, 0x0C, 0x00, 0x0A],
            &[0x00, 0x03],
            b"a/b",
            &[0x00, 0x03],
            b"c/d",
        ]),
        Packet::Unsubscribe(Unsubscribe {
            packet_id: id(10),
            filters: UnsubscribeFilters::new(unsubs),
        }),
    ));
    let unsubs = leak(vec![filter("+/#")]);
    out.push(v(
        "UNSUBSCRIBE +/#",
        cat(&[&[0xA2, 0x07, 0x00, 0x02, 0x00, 0x03], b"+/#"]),
        Packet::Unsubscribe(Unsubscribe {
            packet_id: id(2),
            filters: UnsubscribeFilters::new(unsubs),
        }),
    ));
    out.push(v(
        "UNSUBACK packet id 10",
        vec![0xB0, 0x02, 0x00, 0x0A],
        Packet::UnsubAck(UnsubAck { packet_id: id(10) }),
    ));

    // ---- PINGREQ, PINGRESP, DISCONNECT (sections 3.12 to 3.14) --------------------------
    out.push(v("PINGREQ", vec![0xC0, 0x00], Packet::PingReq));
    out.push(v("PINGRESP", vec![0xD0, 0x00], Packet::PingResp));
    out.push(v("DISCONNECT", vec![0xE0, 0x00], Packet::Disconnect));
    out
}

/// Encode gives exactly the bytes, writes nothing past them, and fails with the exact size for
/// every smaller buffer; decode gives exactly the packet and its length.
fn check_vector(vector: &Vector) {
    let Vector {
        name,
        bytes,
        packet,
    } = vector;
    let len = bytes.len();
    assert_eq!(packet.encoded_len(), Ok(len), "{name}: encoded_len");

    let mut buf = vec![0xA5u8; len + 8];
    assert_eq!(packet.encode(&mut buf), Ok(len), "{name}: encode");
    assert_eq!(&buf[..len], &bytes[..], "{name}: encoded bytes");
    assert!(
        buf[len..].iter().all(|&b| b == 0xA5),
        "{name}: encode wrote past the packet"
    );

    assert_eq!(
        decode(bytes),
        Ok(Decoded::Complete {
            packet: *packet,
            len
        }),
        "{name}: decode"
    );
}

fn check_type(packet_type: PacketType) {
    let vectors = all_vectors();
    let mut n = 0;
    for vector in vectors
        .iter()
        .filter(|v| v.packet.packet_type() == packet_type)
    {
        check_vector(vector);
        n += 1;
    }
    assert!(n > 0, "no vector for {packet_type:?}");
}

// ---------------------------------------------------------------------------------------------
// 1. Vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn every_one_of_the_14_control_packet_types_has_a_vector() {
    let vectors = all_vectors();
    for nibble in 1..=14u8 {
        let t = PacketType::from_nibble(nibble).unwrap();
        assert!(
            vectors.iter().any(|v| v.packet.packet_type() == t),
            "{t:?} has no vector"
        );
        // The first byte carries the type in its high nibble (section 2.2.1).
        for v in vectors.iter().filter(|v| v.packet.packet_type() == t) {
            assert_eq!(v.bytes[0] >> 4, nibble, "{}", v.name);
        }
    }
}

#[test]
fn connect_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::Connect);
}

#[test]
fn connack_vectors_for_all_six_return_codes_and_session_present_encode_and_decode_byte_exact() {
    check_type(PacketType::ConnAck);
}

#[test]
fn publish_vectors_for_qos_0_1_2_retain_dup_and_long_payloads_encode_and_decode_byte_exact() {
    check_type(PacketType::Publish);
}

#[test]
fn puback_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::PubAck);
}

#[test]
fn pubrec_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::PubRec);
}

#[test]
fn pubrel_vectors_with_flags_0b0010_encode_and_decode_byte_exact_mqtt_3_6_1_1() {
    check_type(PacketType::PubRel);
}

#[test]
fn pubcomp_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::PubComp);
}

#[test]
fn subscribe_vectors_with_flags_0b0010_encode_and_decode_byte_exact_mqtt_3_8_1_1() {
    check_type(PacketType::Subscribe);
}

#[test]
fn suback_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::SubAck);
}

#[test]
fn unsubscribe_vectors_with_flags_0b0010_encode_and_decode_byte_exact_mqtt_3_10_1_1() {
    check_type(PacketType::Unsubscribe);
}

#[test]
fn unsuback_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::UnsubAck);
}

#[test]
fn pingreq_pingresp_and_disconnect_vectors_encode_and_decode_byte_exact() {
    check_type(PacketType::PingReq);
    check_type(PacketType::PingResp);
    check_type(PacketType::Disconnect);
}

#[test]
fn decoded_subscribe_filters_and_suback_codes_iterate_in_packet_order() {
    let bytes = cat(&[
        &[0x82, 0x0E, 0x00, 0x0A],
        &[0x00, 0x03],
        b"a/b",
        &[0x01],
        &[0x00, 0x03],
        b"c/d",
        &[0x02],
    ]);
    let Ok(Decoded::Complete {
        packet: Packet::Subscribe(s),
        ..
    }) = decode(&bytes)
    else {
        panic!("not a SUBSCRIBE");
    };
    let got: Vec<(&str, QoS)> = s.filters.iter().map(|(f, q)| (f.as_str(), q)).collect();
    assert_eq!(got, [("a/b", QoS::AtLeastOnce), ("c/d", QoS::ExactlyOnce)]);
    assert_eq!(s.filters.len(), 2);

    let bytes = [0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80];
    let Ok(Decoded::Complete {
        packet: Packet::SubAck(a),
        ..
    }) = decode(&bytes)
    else {
        panic!("not a SUBACK");
    };
    let got: Vec<_> = a.return_codes.iter().collect();
    assert_eq!(
        got,
        [
            SubscribeReturnCode::Success(QoS::AtMostOnce),
            SubscribeReturnCode::Success(QoS::AtLeastOnce),
            SubscribeReturnCode::Success(QoS::ExactlyOnce),
            SubscribeReturnCode::Failure,
        ]
    );
    assert_eq!(a.return_codes.get(3), Some(SubscribeReturnCode::Failure));
    assert_eq!(a.return_codes.get(4), None);

    let bytes = cat(&[
        &[0xA2, 0x0C, 0x00, 0x0A, 0x00, 0x03],
        b"a/b",
        &[0x00, 0x03],
        b"c/d",
    ]);
    let Ok(Decoded::Complete {
        packet: Packet::Unsubscribe(u),
        ..
    }) = decode(&bytes)
    else {
        panic!("not an UNSUBSCRIBE");
    };
    let got: Vec<&str> = u.filters.iter().map(|f| f.as_str()).collect();
    assert_eq!(got, ["a/b", "c/d"]);
}

#[test]
fn every_strict_prefix_of_every_vector_is_incomplete_with_the_exact_number_of_missing_bytes() {
    for Vector { name, bytes, .. } in &all_vectors() {
        let (header_len, remaining) = header_of(bytes).unwrap();
        let total = header_len + remaining;
        assert_eq!(total, bytes.len(), "{name}: vector length");
        for k in 0..total {
            let got = decode(&bytes[..k]);
            let Ok(Decoded::Incomplete { needed }) = got else {
                panic!("{name}: prefix of {k} bytes gave {got:?}");
            };
            if k >= header_len {
                // Fixed header complete: the count is exact.
                assert_eq!(needed, total - k, "{name}: prefix of {k} bytes");
            } else {
                // Inside the fixed header: at least one more, never more than the packet has.
                assert!(needed >= 1, "{name}: prefix of {k} bytes asks for 0");
                assert!(k + needed <= total, "{name}: prefix of {k} overshoots");
            }
        }
    }
}

#[test]
fn bytes_after_the_first_packet_are_ignored() {
    // What follows is garbage (0xFF is reserved packet type 15) or another packet.
    let tails: [&[u8]; 3] = [&[0xFF, 0xFF, 0xFF], &[0xC0, 0x00], &[0x30]];
    for Vector {
        name,
        bytes,
        packet,
    } in &all_vectors()
    {
        for tail in tails {
            let input = cat(&[bytes, tail]);
            assert_eq!(
                decode(&input),
                Ok(Decoded::Complete {
                    packet: *packet,
                    len: bytes.len()
                }),
                "{name} followed by {tail:02X?}"
            );
        }
    }
}

#[test]
fn two_packets_back_to_back_decode_one_after_the_other() {
    let input = [0x40, 0x02, 0x00, 0x0A, 0xD0, 0x00];
    let Ok(Decoded::Complete { packet, len }) = decode(&input) else {
        panic!()
    };
    assert_eq!(
        (packet, len),
        (Packet::PubAck(PubAck { packet_id: id(10) }), 4)
    );
    assert_eq!(
        decode(&input[len..]),
        Ok(Decoded::Complete {
            packet: Packet::PingResp,
            len: 2
        })
    );
}

#[test]
fn largest_remaining_length_asks_for_exactly_268435455_more_bytes_section_2_2_3() {
    // Table 2.4: 0xFF 0xFF 0xFF 0x7F is 268,435,455, the largest value.
    assert_eq!(
        decode(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]),
        Ok(Decoded::Incomplete {
            needed: MAX_REMAINING_LENGTH
        })
    );
    assert_eq!(
        decode(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]),
        Ok(Decoded::Incomplete {
            needed: MAX_REMAINING_LENGTH - 1
        })
    );
    // Three continuation bytes: the header is not complete yet.
    let got = decode(&[0x30, 0xFF, 0xFF, 0xFF]);
    assert!(
        matches!(got, Ok(Decoded::Incomplete { needed }) if needed >= 1),
        "{got:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Malformed input
// ---------------------------------------------------------------------------------------------

/// Asserts the exact error, also when more bytes follow the malformed packet.
fn malformed(bytes: &[u8], expected: DecodeError) {
    assert_eq!(decode(bytes), Err(expected), "{bytes:02X?}");
    let longer = cat(&[bytes, &[0x00, 0xC0, 0x00]]);
    assert_eq!(decode(&longer), Err(expected), "{bytes:02X?} + more");
}

/// One valid packet of every type except PUBLISH, with the flags its type requires.
fn valid_non_publish_packets() -> Vec<(PacketType, u8, Vec<u8>)> {
    all_vectors()
        .into_iter()
        .filter(|v| v.packet.packet_type() != PacketType::Publish)
        .map(|v| {
            let required = v.bytes[0] & 0x0F;
            (v.packet.packet_type(), required, v.bytes)
        })
        .collect()
}

#[test]
fn reserved_fixed_header_flags_of_every_non_publish_type_are_malformed_mqtt_2_2_2_1_and_2_2_2_2() {
    let mut types_seen = std::collections::BTreeSet::new();
    for (packet_type, required, bytes) in valid_non_publish_packets() {
        types_seen.insert(packet_type as u8);
        let expected_required = match packet_type {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => 0b0010,
            _ => 0,
        };
        assert_eq!(required, expected_required, "{packet_type:?}");
        assert!(decode(&bytes).is_ok());
        for flags in (0..16u8).filter(|&f| f != required) {
            let mut bad = bytes.clone();
            bad[0] = (bad[0] & 0xF0) | flags;
            let expected = DecodeError::InvalidFlags { packet_type, flags };
            malformed(&bad, expected);
            // The first byte alone is enough to know the stream is bad.
            assert_eq!(
                decode(&bad[..1]),
                Err(expected),
                "{packet_type:?} {flags:#06b}"
            );
        }
    }
    assert_eq!(types_seen.len(), 13, "every type but PUBLISH");
}

#[test]
fn pubrel_subscribe_unsubscribe_with_flags_0000_are_malformed_mqtt_3_6_1_1_3_8_1_1_3_10_1_1() {
    malformed(
        &[0x60, 0x02, 0x00, 0x0A],
        DecodeError::InvalidFlags {
            packet_type: PacketType::PubRel,
            flags: 0,
        },
    );
    malformed(
        &cat(&[&[0x80, 0x08, 0x00, 0x0A, 0x00, 0x03], b"a/b", &[0x01]]),
        DecodeError::InvalidFlags {
            packet_type: PacketType::Subscribe,
            flags: 0,
        },
    );
    malformed(
        &cat(&[&[0xA0, 0x07, 0x00, 0x0A, 0x00, 0x03], b"a/b"]),
        DecodeError::InvalidFlags {
            packet_type: PacketType::Unsubscribe,
            flags: 0,
        },
    );
}

#[test]
fn reserved_packet_types_0_and_15_are_malformed_section_2_2_1() {
    for flags in 0..16u8 {
        malformed(&[flags, 0x00], DecodeError::InvalidPacketType(0));
        malformed(&[0xF0 | flags, 0x00], DecodeError::InvalidPacketType(15));
        assert_eq!(decode(&[flags]), Err(DecodeError::InvalidPacketType(0)));
        assert_eq!(
            decode(&[0xF0 | flags]),
            Err(DecodeError::InvalidPacketType(15))
        );
    }
}

#[test]
fn remaining_length_with_a_fifth_byte_is_malformed_section_2_2_3() {
    malformed(
        &[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
        DecodeError::InvalidRemainingLength,
    );
    malformed(
        &[0xC0, 0x80, 0x80, 0x80, 0x80, 0x00],
        DecodeError::InvalidRemainingLength,
    );
    // Known as soon as the fourth length byte arrives with its continuation bit set.
    assert_eq!(
        decode(&[0x40, 0x80, 0x80, 0x80, 0x80]),
        Err(DecodeError::InvalidRemainingLength)
    );
}

#[test]
fn a_field_running_past_the_remaining_length_is_unexpected_end() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Topic length 5, but only 1 byte of the packet left.
        ("PUBLISH topic", vec![0x30, 0x03, 0x00, 0x05, b'a']),
        ("PUBLISH topic length", vec![0x30, 0x01, 0x00]),
        (
            "PUBLISH QoS 1 without packet id",
            cat(&[&[0x32, 0x05, 0x00, 0x03], b"a/b"]),
        ),
        (
            "PUBLISH QoS 2 with half a packet id",
            cat(&[&[0x34, 0x06, 0x00, 0x03], b"a/b", &[0x01]]),
        ),
        ("PUBACK one byte", vec![0x40, 0x01, 0x00]),
        ("PUBACK empty", vec![0x40, 0x00]),
        ("PUBREC one byte", vec![0x50, 0x01, 0x00]),
        ("PUBREL one byte", vec![0x62, 0x01, 0x00]),
        ("PUBCOMP one byte", vec![0x70, 0x01, 0x00]),
        ("UNSUBACK one byte", vec![0xB0, 0x01, 0x00]),
        ("CONNACK one byte", vec![0x20, 0x01, 0x00]),
        ("CONNACK empty", vec![0x20, 0x00]),
        ("SUBACK one byte", vec![0x90, 0x01, 0x00]),
        ("CONNECT empty", vec![0x10, 0x00]),
        (
            "CONNECT protocol name",
            vec![0x10, 0x04, 0x00, 0x04, b'M', b'Q'],
        ),
        (
            "CONNECT without flags",
            packet(0x10, &[0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04]),
        ),
        (
            "CONNECT half keep alive",
            packet(0x10, &cat(&[MQTT4, &[0x02, 0x00]])),
        ),
        (
            "CONNECT client id",
            packet(0x10, &cat(&[MQTT4, &[0x02, 0x00, 0x3C, 0x00, 0x05, b'a']])),
        ),
        (
            "CONNECT will message missing",
            packet(
                0x10,
                &cat(&[MQTT4, &[0x06, 0x00, 0x3C], &lstr(b"c"), &lstr(b"t")]),
            ),
        ),
        (
            "CONNECT user name missing",
            packet(0x10, &cat(&[MQTT4, &[0x82, 0x00, 0x3C], &lstr(b"c")])),
        ),
        (
            "CONNECT password missing",
            packet(
                0x10,
                &cat(&[MQTT4, &[0xC2, 0x00, 0x3C], &lstr(b"c"), &lstr(b"u")]),
            ),
        ),
        (
            "CONNECT password too short",
            packet(
                0x10,
                &cat(&[
                    MQTT4,
                    &[0xC2, 0x00, 0x3C],
                    &lstr(b"c"),
                    &lstr(b"u"),
                    &[0x00, 0x09, 0x01],
                ]),
            ),
        ),
        ("SUBSCRIBE without packet id", vec![0x82, 0x01, 0x00]),
        (
            "SUBSCRIBE filter without QoS byte",
            packet(0x82, &cat(&[&[0x00, 0x01], &lstr(b"a/b")])),
        ),
        (
            "SUBSCRIBE filter length past the end",
            packet(0x82, &[0x00, 0x01, 0x00, 0x09, b'a', 0x00]),
        ),
        (
            "SUBSCRIBE half a filter length",
            packet(0x82, &[0x00, 0x01, 0x00]),
        ),
        (
            "UNSUBSCRIBE filter length past the end",
            packet(0xA2, &[0x00, 0x01, 0x00, 0x04, b'a']),
        ),
        ("UNSUBSCRIBE without packet id", vec![0xA2, 0x00]),
    ];
    for (name, bytes) in cases {
        assert_eq!(decode(&bytes), Err(DecodeError::UnexpectedEnd), "{name}");
    }
}

#[test]
fn bytes_after_the_last_field_are_trailing_bytes() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("CONNACK", vec![0x20, 0x03, 0x00, 0x00, 0x00]),
        ("PUBACK", vec![0x40, 0x03, 0x00, 0x0A, 0x00]),
        ("PUBREC", vec![0x50, 0x03, 0x00, 0x0A, 0x00]),
        ("PUBREL", vec![0x62, 0x03, 0x00, 0x0A, 0x00]),
        ("PUBCOMP", vec![0x70, 0x04, 0x00, 0x0A, 0x00, 0x00]),
        ("UNSUBACK", vec![0xB0, 0x03, 0x00, 0x0A, 0x00]),
        ("PINGREQ", vec![0xC0, 0x01, 0x00]),
        ("PINGRESP", vec![0xD0, 0x01, 0x00]),
        ("DISCONNECT", vec![0xE0, 0x01, 0x00]),
        (
            "CONNECT",
            packet(
                0x10,
                &cat(&[MQTT4, &[0x02, 0x00, 0x3C], &lstr(b"c"), &[0x00]]),
            ),
        ),
        (
            "CONNECT with will, user name and password",
            packet(
                0x10,
                &cat(&[
                    MQTT4,
                    &[0xCE, 0x00, 0x0A],
                    &lstr(b"c1"),
                    &lstr(b"w/t"),
                    &lstr(b"bye"),
                    &lstr(b"u"),
                    &lstr(b"pw"),
                    &[0xFF],
                ]),
            ),
        ),
    ];
    for (name, bytes) in cases {
        assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes), "{name}");
        malformed(&bytes, DecodeError::TrailingBytes);
    }
}

/// Where a UTF-8 encoded string appears in a packet.
#[derive(Debug, Clone, Copy)]
enum StringAt {
    PublishTopic,
    ClientId,
    Username,
    WillTopic,
    SubscribeFilter,
    UnsubscribeFilter,
}

const STRING_PLACES: [StringAt; 6] = [
    StringAt::PublishTopic,
    StringAt::ClientId,
    StringAt::Username,
    StringAt::WillTopic,
    StringAt::SubscribeFilter,
    StringAt::UnsubscribeFilter,
];

/// A packet that carries `s` (with its length prefix) at `place`, and is valid otherwise.
fn with_string_at(place: StringAt, s: &[u8]) -> Vec<u8> {
    match place {
        StringAt::PublishTopic => packet(0x30, &cat(&[&lstr(s), b"payload"])),
        StringAt::ClientId => packet(0x10, &cat(&[MQTT4, &[0x02, 0x00, 0x3C], &lstr(s)])),
        StringAt::Username => packet(
            0x10,
            &cat(&[MQTT4, &[0x82, 0x00, 0x3C], &lstr(b"c"), &lstr(s)]),
        ),
        StringAt::WillTopic => packet(
            0x10,
            &cat(&[
                MQTT4,
                &[0x06, 0x00, 0x3C],
                &lstr(b"c"),
                &lstr(s),
                &lstr(b""),
            ]),
        ),
        StringAt::SubscribeFilter => packet(0x82, &cat(&[&[0x00, 0x01], &lstr(s), &[0x01]])),
        StringAt::UnsubscribeFilter => packet(0xA2, &cat(&[&[0x00, 0x01], &lstr(s)])),
    }
}

fn assert_string_error(s: &[u8], expected: DecodeError) {
    for place in STRING_PLACES {
        // The same packet with a plain string in that place is valid.
        let control = with_string_at(place, b"ok");
        assert!(decode(&control).is_ok(), "{place:?}: control packet");
        malformed(&with_string_at(place, s), expected);
    }
}

#[test]
fn encoded_surrogate_u_d800_is_malformed_mqtt_1_5_3_1() {
    // U+D800 and U+DFFF encoded as if they were characters (CESU-style).
    assert_string_error(&[0xED, 0xA0, 0x80], DecodeError::InvalidUtf8);
    assert_string_error(b"a/\xED\xA0\x80/b", DecodeError::InvalidUtf8);
    assert_string_error(&[0xED, 0xBF, 0xBF], DecodeError::InvalidUtf8);
}

#[test]
fn overlong_utf8_encodings_are_malformed_mqtt_1_5_3_1() {
    let overlong: [&[u8]; 5] = [
        &[0xC0, 0x80],             // U+0000 in two bytes
        &[0xC0, 0xAF],             // '/' in two bytes
        &[0xC1, 0xBF],             // U+007F in two bytes
        &[0xE0, 0x80, 0xAF],       // '/' in three bytes
        &[0xF0, 0x80, 0x80, 0xAF], // '/' in four bytes
    ];
    for s in overlong {
        assert_string_error(s, DecodeError::InvalidUtf8);
    }
}

#[test]
fn other_ill_formed_utf8_is_malformed_mqtt_1_5_3_1() {
    let bad: [&[u8]; 6] = [
        &[0x80],                   // lone continuation byte
        &[b'a', 0xE2, 0x82],       // truncated 3-byte sequence
        &[0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
        &[0xF5, 0x80, 0x80, 0x80], // never valid lead byte
        &[0xFF],
        &[0xFE, 0xFF],
    ];
    for s in bad {
        assert_string_error(s, DecodeError::InvalidUtf8);
    }
}

#[test]
fn u_0000_in_topic_client_id_user_name_and_filters_is_malformed_mqtt_1_5_3_2() {
    assert_string_error(&[0x00], DecodeError::NullCharacter);
    assert_string_error(b"a\0b", DecodeError::NullCharacter);
    assert_string_error(b"a/b\0", DecodeError::NullCharacter);
}

#[test]
fn wildcards_in_a_publish_topic_are_malformed_mqtt_3_3_2_2() {
    for t in ["a/+", "+", "#", "a/#", "a/b#", "sp+rt", "+/+"] {
        malformed(
            &with_string_at(StringAt::PublishTopic, t.as_bytes()),
            DecodeError::InvalidTopic(TopicError::WildcardInTopicName),
        );
    }
}

#[test]
fn wildcards_in_a_will_topic_are_malformed_mqtt_4_7_1_1() {
    for t in ["a/+", "#"] {
        malformed(
            &with_string_at(StringAt::WillTopic, t.as_bytes()),
            DecodeError::InvalidTopic(TopicError::WildcardInTopicName),
        );
    }
}

#[test]
fn empty_topic_names_and_filters_are_malformed_mqtt_4_7_3_1() {
    for place in [
        StringAt::PublishTopic,
        StringAt::WillTopic,
        StringAt::SubscribeFilter,
        StringAt::UnsubscribeFilter,
    ] {
        malformed(
            &with_string_at(place, b""),
            DecodeError::InvalidTopic(TopicError::Empty),
        );
    }
}

#[test]
fn publish_with_qos_3_is_malformed_mqtt_3_3_1_4() {
    for first in [0x36, 0x37, 0x3E, 0x3F] {
        malformed(
            &cat(&[&[first, 0x07, 0x00, 0x03], b"a/b", &[0x00, 0x01]]),
            DecodeError::InvalidQoS,
        );
        assert_eq!(decode(&[first]), Err(DecodeError::InvalidQoS));
    }
}

#[test]
fn will_qos_3_is_malformed_mqtt_3_1_2_14() {
    for flags in [0x1E, 0x1C, 0x3E] {
        malformed(
            &packet(
                0x10,
                &cat(&[
                    MQTT4,
                    &[flags, 0x00, 0x3C],
                    &lstr(b"c"),
                    &lstr(b"t"),
                    &lstr(b"m"),
                ]),
            ),
            DecodeError::InvalidQoS,
        );
    }
}

#[test]
fn subscription_with_qos_3_is_malformed_mqtt_3_8_3_4() {
    malformed(
        &packet(0x82, &cat(&[&[0x00, 0x01], &lstr(b"a/b"), &[0x03]])),
        DecodeError::InvalidQoS,
    );
    // In the second filter too.
    malformed(
        &packet(
            0x82,
            &cat(&[&[0x00, 0x01], &lstr(b"a/b"), &[0x00], &lstr(b"c"), &[0x03]]),
        ),
        DecodeError::InvalidQoS,
    );
}

#[test]
fn dup_on_a_qos_0_publish_is_malformed_mqtt_3_3_1_2() {
    for first in [0x38, 0x39] {
        malformed(
            &cat(&[&[first, 0x05, 0x00, 0x03], b"a/b"]),
            DecodeError::DupWithQoS0,
        );
    }
}

#[test]
fn zero_packet_id_is_malformed_mqtt_2_3_1_1() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "PUBLISH QoS 1",
            cat(&[&[0x32, 0x07, 0x00, 0x03], b"a/b", &[0x00, 0x00]]),
        ),
        (
            "PUBLISH QoS 2",
            cat(&[&[0x34, 0x07, 0x00, 0x03], b"a/b", &[0x00, 0x00]]),
        ),
        ("PUBACK", vec![0x40, 0x02, 0x00, 0x00]),
        ("PUBREC", vec![0x50, 0x02, 0x00, 0x00]),
        ("PUBREL", vec![0x62, 0x02, 0x00, 0x00]),
        ("PUBCOMP", vec![0x70, 0x02, 0x00, 0x00]),
        (
            "SUBSCRIBE",
            packet(0x82, &cat(&[&[0x00, 0x00], &lstr(b"a/b"), &[0x00]])),
        ),
        ("SUBACK", vec![0x90, 0x03, 0x00, 0x00, 0x00]),
        (
            "UNSUBSCRIBE",
            packet(0xA2, &cat(&[&[0x00, 0x00], &lstr(b"a/b")])),
        ),
        ("UNSUBACK", vec![0xB0, 0x02, 0x00, 0x00]),
    ];
    for (name, bytes) in cases {
        assert_eq!(decode(&bytes), Err(DecodeError::ZeroPacketId), "{name}");
        // With the identifier 1 the same packet is valid.
        let mut fixed = bytes.clone();
        let at = match bytes[0] >> 4 {
            3 => 8,
            _ => 3,
        };
        fixed[at] = 1;
        assert!(
            decode(&fixed).is_ok(),
            "{name} with id 1: {:?}",
            decode(&fixed)
        );
    }
}

fn connect_with_flags(flags: u8) -> Vec<u8> {
    packet(0x10, &cat(&[MQTT4, &[flags, 0x00, 0x3C], &lstr(b"c")]))
}

#[test]
fn connect_reserved_flag_is_malformed_mqtt_3_1_2_3() {
    malformed(&connect_with_flags(0x01), DecodeError::ConnectReservedFlag);
    malformed(&connect_with_flags(0x03), DecodeError::ConnectReservedFlag);
    assert!(decode(&connect_with_flags(0x02)).is_ok());
}

#[test]
fn will_qos_without_will_flag_is_malformed_mqtt_3_1_2_11_and_3_1_2_13() {
    malformed(
        &connect_with_flags(0x08 | 0x02),
        DecodeError::InvalidWillFlags,
    );
    malformed(
        &connect_with_flags(0x10 | 0x02),
        DecodeError::InvalidWillFlags,
    );
}

#[test]
fn will_retain_without_will_flag_is_malformed_mqtt_3_1_2_11_and_3_1_2_15() {
    malformed(
        &connect_with_flags(0x20 | 0x02),
        DecodeError::InvalidWillFlags,
    );
    malformed(&connect_with_flags(0x20), DecodeError::InvalidWillFlags);
}

#[test]
fn password_without_user_name_is_malformed_mqtt_3_1_2_22() {
    malformed(
        &packet(
            0x10,
            &cat(&[MQTT4, &[0x42, 0x00, 0x3C], &lstr(b"c"), &lstr(b"pw")]),
        ),
        DecodeError::PasswordWithoutUsername,
    );
}

#[test]
fn a_protocol_name_other_than_mqtt_is_rejected_mqtt_3_1_2_1() {
    let names: [&[u8]; 5] = [b"MQIsdp", b"mqtt", b"MQTT ", b"MQT", b""];
    for name in names {
        malformed(
            &packet(
                0x10,
                &cat(&[&lstr(name), &[0x04, 0x02, 0x00, 0x3C], &lstr(b"c")]),
            ),
            DecodeError::InvalidProtocolName,
        );
    }
}

#[test]
fn a_protocol_level_other_than_4_is_reported_mqtt_3_1_2_2() {
    for level in (0..=255u8).filter(|&l| l != 4) {
        malformed(
            &packet(
                0x10,
                &cat(&[&lstr(b"MQTT"), &[level, 0x02, 0x00, 0x3C], &lstr(b"c")]),
            ),
            DecodeError::UnsupportedProtocolLevel(level),
        );
    }
}

#[test]
fn subscribe_without_a_topic_filter_is_malformed_mqtt_3_8_3_3() {
    malformed(&[0x82, 0x02, 0x00, 0x01], DecodeError::NoTopicFilters);
}

#[test]
fn unsubscribe_without_a_topic_filter_is_malformed_mqtt_3_10_3_2() {
    malformed(&[0xA2, 0x02, 0x00, 0x01], DecodeError::NoTopicFilters);
}

#[test]
fn suback_without_a_return_code_is_malformed_section_3_9_3() {
    malformed(&[0x90, 0x02, 0x00, 0x01], DecodeError::NoTopicFilters);
}

#[test]
fn subscribe_options_with_reserved_bits_are_malformed_mqtt_3_8_3_4() {
    for options in 4..=255u8 {
        malformed(
            &packet(0x82, &cat(&[&[0x00, 0x01], &lstr(b"a/b"), &[options]])),
            DecodeError::InvalidSubscribeOptions(options),
        );
        malformed(
            &packet(
                0x82,
                &cat(&[&[0x00, 0x01], &lstr(b"a"), &[0x01], &lstr(b"b"), &[options]]),
            ),
            DecodeError::InvalidSubscribeOptions(options),
        );
    }
}

#[test]
fn misplaced_wildcards_in_subscribe_and_unsubscribe_filters_are_malformed_mqtt_4_7_1_2_and_4_7_1_3()
{
    let bad = [
        "a#",
        "#a",
        "##",
        "#/a",
        "a/#/b",
        "sport/tennis#",
        "a+",
        "+a",
        "++",
        "a/b+",
        "a/+b/c",
        "+#",
        "#+",
    ];
    for f in bad {
        for place in [StringAt::SubscribeFilter, StringAt::UnsubscribeFilter] {
            malformed(
                &with_string_at(place, f.as_bytes()),
                DecodeError::InvalidTopic(TopicError::MisplacedWildcard),
            );
        }
    }
    for f in ["#", "+", "a/#", "+/+/#", "/+", "+/", "$SYS/#"] {
        assert!(
            decode(&with_string_at(StringAt::SubscribeFilter, f.as_bytes())).is_ok(),
            "{f}"
        );
    }
}

#[test]
fn suback_return_codes_other_than_0x00_0x01_0x02_0x80_are_malformed_section_3_9_3() {
    for code in 0..=255u8 {
        let bytes = [0x90, 0x04, 0x00, 0x01, 0x00, code];
        if matches!(code, 0x00 | 0x01 | 0x02 | 0x80) {
            assert!(decode(&bytes).is_ok(), "{code:#04x}");
        } else {
            malformed(&bytes, DecodeError::InvalidSubAckReturnCode(code));
            assert_eq!(
                SubscribeReturnCodes::new(&[0x00, code]),
                Err(DecodeError::InvalidSubAckReturnCode(code))
            );
        }
    }
}

#[test]
fn connack_return_codes_above_5_are_malformed_section_3_2_2_3() {
    for code in 6..=255u8 {
        malformed(
            &[0x20, 0x02, 0x00, code],
            DecodeError::InvalidConnectReturnCode(code),
        );
    }
}

#[test]
fn connack_reserved_acknowledge_flags_are_malformed_section_3_2_2_1() {
    for flags in 2..=255u8 {
        malformed(
            &[0x20, 0x02, flags, 0x00],
            DecodeError::InvalidConnAckFlags(flags),
        );
    }
}

#[test]
fn connack_refusal_with_session_present_is_malformed_mqtt_3_2_2_4() {
    for code in 1..=5u8 {
        malformed(
            &[0x20, 0x02, 0x01, code],
            DecodeError::SessionPresentWithRefusal,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2b. Encode errors
// ---------------------------------------------------------------------------------------------

#[test]
fn encoding_into_a_buffer_one_byte_short_reports_the_exact_size_for_every_packet_type() {
    let mut types_seen = std::collections::BTreeSet::new();
    for Vector {
        name,
        bytes,
        packet,
    } in &all_vectors()
    {
        types_seen.insert(packet.packet_type() as u8);
        let len = bytes.len();
        let mut buf = vec![0u8; len];
        for short in [len - 1, 0] {
            assert_eq!(
                packet.encode(&mut buf[..short]),
                Err(EncodeError::BufferTooSmall { needed: len }),
                "{name}: buffer of {short}"
            );
        }
    }
    assert_eq!(types_seen.len(), 14);
}

type EncodeFn = fn(&mut [u8]) -> Result<usize, EncodeError>;

#[test]
fn every_smaller_buffer_fails_with_buffer_too_small_for_the_concrete_packet_structs() {
    // The structs' own `encode`, not only the `Packet` dispatch.
    let ack_cases: [(u8, EncodeFn); 5] = [
        (0x40, |b| PubAck { packet_id: id(7) }.encode(b)),
        (0x50, |b| PubRec { packet_id: id(7) }.encode(b)),
        (0x62, |b| PubRel { packet_id: id(7) }.encode(b)),
        (0x70, |b| PubComp { packet_id: id(7) }.encode(b)),
        (0xB0, |b| UnsubAck { packet_id: id(7) }.encode(b)),
    ];
    for (first, encode) in ack_cases {
        let mut buf = [0u8; 4];
        for short in 0..4 {
            assert_eq!(
                encode(&mut buf[..short]),
                Err(EncodeError::BufferTooSmall { needed: 4 })
            );
        }
        assert_eq!(encode(&mut buf), Ok(4));
        assert_eq!(buf, [first, 0x02, 0x00, 0x07]);
    }
    let connack = ConnAck {
        session_present: true,
        return_code: ConnectReturnCode::Accepted,
    };
    let mut buf = [0u8; 4];
    assert_eq!(
        connack.encode(&mut buf[..3]),
        Err(EncodeError::BufferTooSmall { needed: 4 })
    );
    assert_eq!(connack.encode(&mut buf), Ok(4));
    assert_eq!(buf, [0x20, 0x02, 0x01, 0x00]);
}

fn publish_packet(qos: QoS, dup: bool, packet_id: Option<u16>) -> Publish<'static> {
    Publish {
        dup,
        qos,
        retain: false,
        topic: topic("a/b"),
        packet_id: packet_id.map(id),
        payload: b"x",
    }
}

#[test]
fn publish_packet_id_must_match_its_qos_mqtt_2_3_1_5() {
    let cases = [
        publish_packet(QoS::AtMostOnce, false, Some(1)),
        publish_packet(QoS::AtLeastOnce, false, None),
        publish_packet(QoS::ExactlyOnce, false, None),
    ];
    let mut buf = [0u8; 64];
    for p in cases {
        assert_eq!(
            p.encode(&mut buf),
            Err(EncodeError::PacketIdMismatch),
            "{p:?}"
        );
        assert_eq!(p.encoded_len(), Err(EncodeError::PacketIdMismatch), "{p:?}");
    }
}

#[test]
fn publish_with_dup_on_qos_0_cannot_be_encoded_mqtt_3_3_1_2() {
    let p = publish_packet(QoS::AtMostOnce, true, None);
    let mut buf = [0u8; 64];
    assert_eq!(p.encode(&mut buf), Err(EncodeError::DupWithQoS0));
    assert_eq!(p.encoded_len(), Err(EncodeError::DupWithQoS0));
}

fn plain_connect(client_id: &str) -> Connect<'_> {
    Connect {
        clean_session: true,
        keep_alive: 60,
        client_id,
        will: None,
        username: None,
        password: None,
    }
}

#[test]
fn fields_longer_than_65535_bytes_cannot_be_encoded_section_1_5_3() {
    let long = "x".repeat(65_536);
    let max = "x".repeat(65_535);
    let mut buf = vec![0u8; 5 * 65_536];
    let base = plain_connect("c");

    let too_long = [
        Connect {
            client_id: &long,
            ..base
        },
        Connect {
            username: Some(&long),
            ..base
        },
        Connect {
            username: Some("u"),
            password: Some(long.as_bytes()),
            ..base
        },
        Connect {
            will: Some(Will {
                topic: topic("t"),
                payload: long.as_bytes(),
                qos: QoS::AtMostOnce,
                retain: false,
            }),
            ..base
        },
    ];
    for c in too_long {
        assert_eq!(c.encode(&mut buf), Err(EncodeError::FieldTooLong));
        assert_eq!(c.encoded_len(), Err(EncodeError::FieldTooLong));
    }

    // 65,535 bytes is the largest allowed, and survives a round trip.
    let at_limit = [
        Connect {
            client_id: &max,
            ..base
        },
        Connect {
            username: Some(&max),
            password: Some(max.as_bytes()),
            will: Some(Will {
                topic: TopicName::new(&max).unwrap(),
                payload: max.as_bytes(),
                qos: QoS::AtLeastOnce,
                retain: true,
            }),
            ..base
        },
    ];
    for c in at_limit {
        let len = c.encode(&mut buf).unwrap();
        assert_eq!(c.encoded_len(), Ok(len));
        assert_eq!(
            decode(&buf[..len]),
            Ok(Decoded::Complete {
                packet: Packet::Connect(c),
                len
            })
        );
    }
}

#[test]
fn u_0000_in_client_id_or_user_name_cannot_be_encoded_mqtt_1_5_3_2() {
    let mut buf = [0u8; 64];
    let cases = [
        plain_connect("a\0b"),
        Connect {
            username: Some("\0"),
            ..plain_connect("c")
        },
    ];
    for c in cases {
        assert_eq!(c.encode(&mut buf), Err(EncodeError::NullCharacter));
        assert_eq!(c.encoded_len(), Err(EncodeError::NullCharacter));
    }
}

#[test]
fn password_without_user_name_cannot_be_encoded_mqtt_3_1_2_22() {
    let c = Connect {
        password: Some(b"pw"),
        ..plain_connect("c")
    };
    let mut buf = [0u8; 64];
    assert_eq!(
        c.encode(&mut buf),
        Err(EncodeError::PasswordWithoutUsername)
    );
    assert_eq!(c.encoded_len(), Err(EncodeError::PasswordWithoutUsername));
}

#[test]
fn subscribe_and_unsubscribe_without_filters_cannot_be_encoded_mqtt_3_8_3_3_and_3_10_3_2() {
    let mut buf = [0u8; 64];
    let s = Subscribe {
        packet_id: id(1),
        filters: SubscribeFilters::new(&[]),
    };
    assert_eq!(s.encode(&mut buf), Err(EncodeError::NoTopicFilters));
    assert_eq!(s.encoded_len(), Err(EncodeError::NoTopicFilters));
    let u = Unsubscribe {
        packet_id: id(1),
        filters: UnsubscribeFilters::new(&[]),
    };
    assert_eq!(u.encode(&mut buf), Err(EncodeError::NoTopicFilters));
    assert_eq!(u.encoded_len(), Err(EncodeError::NoTopicFilters));
    // An empty SUBACK cannot even be built.
    assert_eq!(
        SubscribeReturnCodes::new(&[]),
        Err(DecodeError::NoTopicFilters)
    );
}

#[test]
fn publish_above_the_largest_remaining_length_cannot_be_encoded_section_2_2_3() {
    // A zeroed allocation is not touched by encoded_len or by a failing encode, so the 256 MiB
    // stay virtual.
    let payload = vec![0u8; MAX_REMAINING_LENGTH + 1 - 3];
    let over = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: topic("t"),
        packet_id: None,
        payload: &payload,
    };
    let mut buf = [0u8; 16];
    assert_eq!(over.encode(&mut buf), Err(EncodeError::PacketTooLarge));
    assert_eq!(over.encoded_len(), Err(EncodeError::PacketTooLarge));

    // One byte less is exactly the largest packet: 5-byte fixed header.
    let at_max = Publish {
        payload: &payload[1..],
        ..over
    };
    assert_eq!(at_max.encoded_len(), Ok(5 + MAX_REMAINING_LENGTH));
    assert_eq!(
        at_max.encode(&mut buf),
        Err(EncodeError::BufferTooSmall {
            needed: 5 + MAX_REMAINING_LENGTH
        })
    );
}

#[test]
fn connack_refusing_with_session_present_cannot_be_encoded_mqtt_3_2_2_4() {
    let connack = ConnAck {
        session_present: true,
        return_code: ConnectReturnCode::NotAuthorized,
    };
    assert_eq!(
        connack.encode(&mut [0u8; 4]),
        Err(EncodeError::SessionPresentWithRefusal)
    );
}
