//! The codec and the topic matcher, side by side with the peers in one criterion run, so the
//! comparison is a ratio measured on the same machine at the same time:
//!
//! * rumqttc 0.25 (its MQTT 3.1.1 codec, `rumqttc::mqttbytes::v4`) and mqttbytes 0.6: decode
//!   from a `BytesMut` into owned packets, encode into a `BytesMut`;
//! * mqttrs 0.4: zero-copy decode from `&[u8]`, encode into `&mut [u8]`;
//! * mountain-mqtt 0.2: an MQTT 5 codec, so it decodes the MQTT 5 form of each packet (the
//!   same fields with empty property lists); decode only.
//!
//! Every v3.1.1 encoder is first checked to produce exactly the bytes picomqtt produces, and
//! every decoder to accept them, so all rows measure the same work. Decoders that consume a
//! `BytesMut` get a fresh copy from `iter_batched` setup, which criterion does not time.
//! `memcpy` of the payload is the physical limit for encoding a PUBLISH. For decoding the
//! packets that carry strings, `floor` is the limit for a decoder without `unsafe` that returns
//! `&str`: it only finds the strings and checks their UTF-8 with `core::str::from_utf8` (see
//! [`floor`]).
//!
//! `cargo bench --bench codec`, then `python3 benches/report.py` prints the tables of
//! `benches/RESULTS.md` from criterion's estimates.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use picomqtt::packet::{
    self, Connect, Decoded, Packet, PacketId, PubAck, Publish, QoS, SubAck, Subscribe,
    SubscribeFilters, SubscribeReturnCodes, Will,
};
use picomqtt::{TopicFilter, TopicName};

const CLIENT_ID: &str = "nightlight-1";
const WILL_TOPIC: &str = "nightlight-1/status";
const USERNAME: &str = "picomqtt";
const PASSWORD: &str = "secret";
const TELEMETRY: &str = "nightlight-1/telemetry";
const LIGHT: &[u8] = br#"{"light":412}"#;
const FILTER_A: &str = "nightlight-1/commands";
const FILTER_B: &str = "+/status";
const PUBLISH_ID: u16 = 10;
const SUBSCRIBE_ID: u16 = 11;

fn id(n: u16) -> PacketId {
    PacketId::new(n).expect("non-zero")
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

/// One packet in every codec's own representation.
struct Case {
    name: &'static str,
    /// picomqtt's packet (borrowing the case's data).
    ours: Packet<'static>,
    rumqttc: rumqttc::Packet,
    mqttbytes: mqttbytes::v4::Packet,
    mqttrs: mqttrs::Packet<'static>,
    /// The MQTT 5 form, for mountain-mqtt's decoder.
    v5: Vec<u8>,
    /// For PUBLISH: the payload, for the memcpy reference and byte throughput.
    payload: Option<&'static [u8]>,
}

fn leak<T: ?Sized>(value: Box<T>) -> &'static T {
    Box::leak(value)
}

fn publish_case(name: &'static str, qos1: bool, body: &'static [u8]) -> Case {
    let (qos, packet_id) = if qos1 {
        (QoS::AtLeastOnce, PacketId::new(PUBLISH_ID))
    } else {
        (QoS::AtMostOnce, None)
    };
    let ours = Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: TopicName::new(TELEMETRY).expect("valid"),
        packet_id,
        payload: body,
    });
    let mut rumqttc = rumqttc::Publish::new(
        TELEMETRY,
        if qos1 {
            rumqttc::QoS::AtLeastOnce
        } else {
            rumqttc::QoS::AtMostOnce
        },
        body.to_vec(),
    );
    let mut mqttbytes = mqttbytes::v4::Publish::new(
        TELEMETRY,
        if qos1 {
            mqttbytes::QoS::AtLeastOnce
        } else {
            mqttbytes::QoS::AtMostOnce
        },
        body.to_vec(),
    );
    if qos1 {
        rumqttc.pkid = PUBLISH_ID;
        mqttbytes.pkid = PUBLISH_ID;
    }
    let mqttrs = mqttrs::Packet::Publish(mqttrs::Publish {
        dup: false,
        qospid: if qos1 {
            mqttrs::QosPid::AtLeastOnce(mqttrs::Pid::try_from(PUBLISH_ID).expect("non-zero"))
        } else {
            mqttrs::QosPid::AtMostOnce
        },
        retain: false,
        topic_name: TELEMETRY,
        payload: body,
    });
    let mut v5 = string(TELEMETRY);
    if qos1 {
        v5.extend(PUBLISH_ID.to_be_bytes());
    }
    v5.push(0); // no properties
    v5.extend(body);
    Case {
        name,
        ours,
        rumqttc: rumqttc::Packet::Publish(rumqttc),
        mqttbytes: mqttbytes::v4::Packet::Publish(mqttbytes),
        mqttrs,
        v5: with_fixed_header(if qos1 { 0x32 } else { 0x30 }, v5),
        payload: Some(body),
    }
}

/// A string field: two-byte length, then the bytes.
fn string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend(s.as_bytes());
    out
}

fn with_fixed_header(first: u8, body: Vec<u8>) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let byte = (len % 128) as u8;
        len /= 128;
        out.push(if len > 0 { byte | 0x80 } else { byte });
        if len == 0 {
            break;
        }
    }
    out.extend(body);
    out
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // CONNECT with a will and credentials, as a device sends it.
    let will = Will {
        topic: TopicName::new(WILL_TOPIC).expect("valid"),
        payload: b"offline",
        qos: QoS::AtLeastOnce,
        retain: true,
    };
    let mut rumqttc_connect = rumqttc::Connect::new(CLIENT_ID);
    rumqttc_connect.keep_alive = 60;
    rumqttc_connect.last_will = Some(rumqttc::LastWill::new(
        WILL_TOPIC,
        "offline",
        rumqttc::QoS::AtLeastOnce,
        true,
    ));
    rumqttc_connect.set_login(USERNAME, PASSWORD);
    let mut mqttbytes_connect = mqttbytes::v4::Connect::new(CLIENT_ID);
    mqttbytes_connect.keep_alive = 60;
    mqttbytes_connect.last_will = Some(mqttbytes::v4::LastWill::new(
        WILL_TOPIC,
        "offline",
        mqttbytes::QoS::AtLeastOnce,
        true,
    ));
    mqttbytes_connect.login = Some(mqttbytes::v4::Login::new(USERNAME, PASSWORD));
    let mut v5 = string("MQTT");
    v5.extend([5, 0b1110_1110, 0, 60, 0]); // level, flags, keep alive, no properties
    v5.extend(string(CLIENT_ID));
    v5.push(0); // no will properties
    v5.extend(string(WILL_TOPIC));
    v5.extend(string("offline"));
    v5.extend(string(USERNAME));
    v5.extend(string(PASSWORD));
    cases.push(Case {
        name: "connect",
        ours: Packet::Connect(Connect {
            clean_session: true,
            keep_alive: 60,
            client_id: CLIENT_ID,
            will: Some(will),
            username: Some(USERNAME),
            password: Some(PASSWORD.as_bytes()),
        }),
        rumqttc: rumqttc::Packet::Connect(rumqttc_connect),
        mqttbytes: mqttbytes::v4::Packet::Connect(mqttbytes_connect),
        mqttrs: mqttrs::Packet::Connect(mqttrs::Connect {
            protocol: mqttrs::Protocol::MQTT311,
            keep_alive: 60,
            client_id: CLIENT_ID,
            clean_session: true,
            last_will: Some(mqttrs::LastWill {
                topic: WILL_TOPIC,
                message: b"offline",
                qos: mqttrs::QoS::AtLeastOnce,
                retain: true,
            }),
            username: Some(USERNAME),
            password: Some(PASSWORD.as_bytes()),
        }),
        v5: with_fixed_header(0x10, v5),
        payload: None,
    });

    cases.push(publish_case("publish_qos0_13B", false, LIGHT));
    cases.push(publish_case(
        "publish_qos1_1KiB",
        true,
        leak(payload(1024).into_boxed_slice()),
    ));
    cases.push(publish_case(
        "publish_qos1_16KiB",
        true,
        leak(payload(16 * 1024).into_boxed_slice()),
    ));

    // SUBSCRIBE with two filters.
    let filters: &'static [(TopicFilter<'static>, QoS)] = leak(Box::new([
        (TopicFilter::new(FILTER_A).expect("valid"), QoS::AtLeastOnce),
        (TopicFilter::new(FILTER_B).expect("valid"), QoS::AtMostOnce),
    ]));
    let mut rumqttc_subscribe = rumqttc::Subscribe::new_many([
        rumqttc::SubscribeFilter::new(FILTER_A.into(), rumqttc::QoS::AtLeastOnce),
        rumqttc::SubscribeFilter::new(FILTER_B.into(), rumqttc::QoS::AtMostOnce),
    ]);
    rumqttc_subscribe.pkid = SUBSCRIBE_ID;
    let mut mqttbytes_subscribe = mqttbytes::v4::Subscribe::new_many([
        mqttbytes::v4::SubscribeFilter::new(FILTER_A.into(), mqttbytes::QoS::AtLeastOnce),
        mqttbytes::v4::SubscribeFilter::new(FILTER_B.into(), mqttbytes::QoS::AtMostOnce),
    ]);
    mqttbytes_subscribe.pkid = SUBSCRIBE_ID;
    let mut v5 = SUBSCRIBE_ID.to_be_bytes().to_vec();
    v5.push(0);
    v5.extend(string(FILTER_A));
    v5.push(1);
    v5.extend(string(FILTER_B));
    v5.push(0);
    cases.push(Case {
        name: "subscribe_2",
        ours: Packet::Subscribe(Subscribe {
            packet_id: id(SUBSCRIBE_ID),
            filters: SubscribeFilters::new(filters),
        }),
        rumqttc: rumqttc::Packet::Subscribe(rumqttc_subscribe),
        mqttbytes: mqttbytes::v4::Packet::Subscribe(mqttbytes_subscribe),
        mqttrs: mqttrs::Packet::Subscribe(mqttrs::Subscribe {
            pid: mqttrs::Pid::try_from(SUBSCRIBE_ID).expect("non-zero"),
            topics: vec![
                mqttrs::SubscribeTopic {
                    topic_path: FILTER_A.into(),
                    qos: mqttrs::QoS::AtLeastOnce,
                },
                mqttrs::SubscribeTopic {
                    topic_path: FILTER_B.into(),
                    qos: mqttrs::QoS::AtMostOnce,
                },
            ],
        }),
        v5: with_fixed_header(0x82, v5),
        payload: None,
    });

    // SUBACK granting QoS 1 and QoS 0.
    let mut v5 = SUBSCRIBE_ID.to_be_bytes().to_vec();
    v5.extend([0, 1, 0]);
    cases.push(Case {
        name: "suback_2",
        ours: Packet::SubAck(SubAck {
            packet_id: id(SUBSCRIBE_ID),
            return_codes: SubscribeReturnCodes::new(&[1, 0]).expect("valid codes"),
        }),
        rumqttc: rumqttc::Packet::SubAck(rumqttc::SubAck::new(
            SUBSCRIBE_ID,
            vec![
                rumqttc::SubscribeReasonCode::Success(rumqttc::QoS::AtLeastOnce),
                rumqttc::SubscribeReasonCode::Success(rumqttc::QoS::AtMostOnce),
            ],
        )),
        mqttbytes: mqttbytes::v4::Packet::SubAck(mqttbytes::v4::SubAck::new(
            SUBSCRIBE_ID,
            vec![
                mqttbytes::v4::SubscribeReasonCode::Success(mqttbytes::QoS::AtLeastOnce),
                mqttbytes::v4::SubscribeReasonCode::Success(mqttbytes::QoS::AtMostOnce),
            ],
        )),
        mqttrs: mqttrs::Packet::Suback(mqttrs::Suback {
            pid: mqttrs::Pid::try_from(SUBSCRIBE_ID).expect("non-zero"),
            return_codes: vec![
                mqttrs::SubscribeReturnCodes::Success(mqttrs::QoS::AtLeastOnce),
                mqttrs::SubscribeReturnCodes::Success(mqttrs::QoS::AtMostOnce),
            ],
        }),
        v5: with_fixed_header(0x90, v5),
        payload: None,
    });

    cases.push(Case {
        name: "puback",
        ours: Packet::PubAck(PubAck {
            packet_id: id(PUBLISH_ID),
        }),
        rumqttc: rumqttc::Packet::PubAck(rumqttc::PubAck::new(PUBLISH_ID)),
        mqttbytes: mqttbytes::v4::Packet::PubAck(mqttbytes::v4::PubAck::new(PUBLISH_ID)),
        mqttrs: mqttrs::Packet::Puback(mqttrs::Pid::try_from(PUBLISH_ID).expect("non-zero")),
        v5: with_fixed_header(0x40, PUBLISH_ID.to_be_bytes().to_vec()),
        payload: None,
    });

    cases.push(Case {
        name: "pingreq",
        ours: Packet::PingReq,
        rumqttc: rumqttc::Packet::PingReq,
        mqttbytes: mqttbytes::v4::Packet::PingReq,
        mqttrs: mqttrs::Packet::Pingreq,
        v5: vec![0xC0, 0],
        payload: None,
    });
    cases
}

/// mountain-mqtt's generic packet with room for 4 properties, 4 will properties and 4
/// subscriptions beyond the first.
type MountainPacket<'a> = mountain_mqtt::packets::packet_generic::PacketGeneric<'a, 4, 4, 4>;

fn mountain_decode(bytes: &[u8]) -> Option<MountainPacket<'_>> {
    use mountain_mqtt::codec::mqtt_reader::MqttBufReader;
    use mountain_mqtt::codec::read::Read;
    MountainPacket::read(&mut MqttBufReader::new(bytes)).ok()
}

fn our_decode(bytes: &[u8]) -> Option<Packet<'_>> {
    match packet::decode(bytes) {
        Ok(Decoded::Complete { packet, .. }) => Some(packet),
        _ => None,
    }
}

/// mqttbytes 0.6 encodes per packet type; its `Packet` enum has no `write`.
fn mqttbytes_write(
    packet: &mqttbytes::v4::Packet,
    stream: &mut BytesMut,
) -> Result<usize, mqttbytes::Error> {
    use mqttbytes::v4::Packet as P;
    match packet {
        P::Connect(p) => p.write(stream),
        P::Publish(p) => p.write(stream),
        P::Subscribe(p) => p.write(stream),
        P::SubAck(p) => p.write(stream),
        P::PubAck(p) => p.write(stream),
        P::PingReq => mqttbytes::v4::PingReq.write(stream),
        other => unimplemented!("not benchmarked: {other:?}"),
    }
}

/// Encodes the case with every v3.1.1 codec and checks that they all agree with picomqtt, and
/// that every decoder accepts the bytes.
fn encoded(case: &Case) -> Vec<u8> {
    let mut ours = vec![0u8; case.ours.encoded_len().expect("encodable")];
    let n = case.ours.encode(&mut ours).expect("fits");
    assert_eq!(n, ours.len());

    let mut rumqttc = BytesMut::new();
    case.rumqttc
        .write(&mut rumqttc, usize::MAX)
        .expect("rumqttc encodes");
    assert_eq!(
        &rumqttc[..],
        &ours[..],
        "{}: rumqttc bytes differ",
        case.name
    );
    let mut mqttbytes = BytesMut::new();
    mqttbytes_write(&case.mqttbytes, &mut mqttbytes).expect("mqttbytes encodes");
    assert_eq!(
        &mqttbytes[..],
        &ours[..],
        "{}: mqttbytes bytes differ",
        case.name
    );
    let mut mqttrs = vec![0u8; ours.len() + 16];
    let n = mqttrs::encode_slice(&case.mqttrs, &mut mqttrs).expect("mqttrs encodes");
    assert_eq!(
        &mqttrs[..n],
        &ours[..],
        "{}: mqttrs bytes differ",
        case.name
    );

    assert_eq!(
        our_decode(&ours),
        Some(case.ours),
        "{}: picomqtt",
        case.name
    );
    let decoded = rumqttc::Packet::read(&mut BytesMut::from(&ours[..]), usize::MAX);
    assert_eq!(
        decoded.expect("rumqttc decodes"),
        case.rumqttc,
        "{}",
        case.name
    );
    let decoded = mqttbytes::v4::read(&mut BytesMut::from(&ours[..]), usize::MAX);
    assert_eq!(
        decoded.expect("mqttbytes decodes"),
        case.mqttbytes,
        "{}",
        case.name
    );
    let decoded = mqttrs::decode_slice(&ours).expect("mqttrs decodes");
    assert_eq!(decoded, Some(case.mqttrs.clone()), "{}", case.name);
    assert!(
        mountain_decode(&case.v5).is_some(),
        "{}: mountain-mqtt",
        case.name
    );
    ours
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(50);
    if let Some(body) = case.payload {
        group.throughput(Throughput::Bytes(body.len() as u64));
    }
}

fn decode(c: &mut Criterion) {
    for case in cases() {
        let bytes = encoded(&case);
        let mut group = c.benchmark_group(format!("decode/{}", case.name));
        configure(&mut group, &case);
        // Every decoder's own entry point, its result returned as is.
        group.bench_function("picomqtt", |b| b.iter(|| packet::decode(black_box(&bytes))));
        // The floor of the packets with strings, checked to accept the packet like the peers.
        macro_rules! floor {
            ($decode:path) => {{
                assert!($decode(&bytes).is_some(), "floor accepts {}", case.name);
                group.bench_function("floor", |b| b.iter(|| $decode(black_box(&bytes))));
            }};
        }
        match bytes[0] >> 4 {
            1 => floor!(floor::connect),
            3 => floor!(floor::publish),
            8 => floor!(floor::subscribe),
            _ => {}
        }
        group.bench_function("rumqttc", |b| {
            b.iter_batched(
                || BytesMut::from(&bytes[..]),
                |mut stream| rumqttc::Packet::read(&mut stream, usize::MAX),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("mqttbytes", |b| {
            b.iter_batched(
                || BytesMut::from(&bytes[..]),
                |mut stream| mqttbytes::v4::read(&mut stream, usize::MAX),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("mqttrs", |b| {
            b.iter(|| mqttrs::decode_slice(black_box(&bytes)))
        });
        group.bench_function("mountain-mqtt (v5)", |b| {
            b.iter(|| {
                use mountain_mqtt::codec::mqtt_reader::MqttBufReader;
                use mountain_mqtt::codec::read::Read;
                MountainPacket::read(&mut MqttBufReader::new(black_box(&case.v5)))
            })
        });
        group.finish();
    }
}

fn encode(c: &mut Criterion) {
    for case in cases() {
        let len = encoded(&case).len();
        let mut group = c.benchmark_group(format!("encode/{}", case.name));
        configure(&mut group, &case);
        let mut slice = vec![0u8; len + 16];
        group.bench_function("picomqtt", |b| {
            b.iter(|| black_box(&case.ours).encode(black_box(&mut slice)))
        });
        let mut stream = BytesMut::with_capacity(len + 16);
        group.bench_function("rumqttc", |b| {
            b.iter(|| {
                stream.clear();
                black_box(&case.rumqttc).write(&mut stream, usize::MAX)
            })
        });
        group.bench_function("mqttbytes", |b| {
            b.iter(|| {
                stream.clear();
                mqttbytes_write(black_box(&case.mqttbytes), &mut stream)
            })
        });
        group.bench_function("mqttrs", |b| {
            b.iter(|| mqttrs::encode_slice(black_box(&case.mqttrs), black_box(&mut slice)))
        });
        if let Some(body) = case.payload {
            let mut copy = vec![0u8; body.len()];
            group.bench_function("memcpy payload", |b| {
                b.iter(|| black_box(&mut copy[..]).copy_from_slice(black_box(body)))
            });
        }
        group.finish();
    }
}

fn matching(c: &mut Criterion) {
    const EXACT: &str = "site/building-3/floor-2/room-17/desk-4/sensor-9/temperature/celsius";
    let cases = [
        ("plus_telemetry", "+/telemetry", TELEMETRY),
        ("hash_a", "a/#", "a/b/c/d"),
        ("exact_8_levels", EXACT, EXACT),
    ];
    for (name, filter_text, topic_text) in cases {
        let filter = TopicFilter::new(filter_text).expect("valid filter");
        let topic = TopicName::new(topic_text).expect("valid topic");
        assert!(filter.matches(topic));
        assert!(rumqttc::matches(topic_text, filter_text));
        assert!(mqttbytes::matches(topic_text, filter_text));
        let mut group = c.benchmark_group(format!("match/{name}"));
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(1))
            .sample_size(50);
        group.bench_function("picomqtt", |b| {
            b.iter(|| black_box(filter).matches(black_box(topic)))
        });
        group.bench_function("rumqttc", |b| {
            b.iter(|| rumqttc::matches(black_box(topic_text), black_box(filter_text)))
        });
        group.bench_function("mqttbytes", |b| {
            b.iter(|| mqttbytes::matches(black_box(topic_text), black_box(filter_text)))
        });
        // What validating both strings costs on top, when they do not come from the decoder.
        group.bench_function("picomqtt incl. validation", |b| {
            b.iter(|| {
                let filter = TopicFilter::new(black_box(filter_text));
                let topic = TopicName::new(black_box(topic_text));
                matches!((filter, topic), (Ok(f), Ok(t)) if f.matches(t))
            })
        });
        group.finish();
    }
}

/// The least work a decoder without `unsafe` must do for a packet that carries strings when it
/// returns them as `&str` (picomqtt and mqttrs do): find each string, check that it is UTF-8
/// [MQTT-1.5.3-1] with `core::str::from_utf8`, the only safe way from bytes to a `&str`, and
/// return the fields.
/// It skips every other check a decoder owes (flags, QoS, U+0000, wildcards, trailing bytes),
/// so it is a lower bound for the `decode` rows, not a decoder.
mod floor {
    use core::str::from_utf8;

    /// The body after the fixed header (remaining length of up to four bytes) and the length
    /// of the whole packet, which a decoder reports so that the caller can move past it.
    fn body(packet: &[u8]) -> Option<(&[u8], usize)> {
        let mut len = 0;
        for (i, &byte) in packet.iter().enumerate().skip(1).take(4) {
            len |= usize::from(byte & 0x7f) << (7 * (i - 1));
            if byte & 0x80 == 0 {
                return Some((packet.get(i + 1..i + 1 + len)?, i + 1 + len));
            }
        }
        None
    }

    /// A field with a two-byte length prefix, and what follows it.
    fn field(rest: &[u8]) -> Option<(&[u8], &[u8])> {
        let (len, rest) = rest.split_first_chunk::<2>()?;
        rest.split_at_checked(usize::from(u16::from_be_bytes(*len)))
    }

    fn string(rest: &[u8]) -> Option<(&str, &[u8])> {
        let (bytes, rest) = field(rest)?;
        Some((from_utf8(bytes).ok()?, rest))
    }

    /// Topic, payload, flags (QoS, DUP, retain) and packet identifier of a PUBLISH, and its
    /// length.
    #[inline(never)]
    pub fn publish(packet: &[u8]) -> Option<(&str, &[u8], u8, u16, usize)> {
        let flags = packet.first()? & 0x0f;
        let (body, len) = body(packet)?;
        let (topic, rest) = string(body)?;
        let (id, payload) = match flags & 0b0110 {
            0 => (0, rest),
            _ => {
                let (id, payload) = rest.split_first_chunk::<2>()?;
                (u16::from_be_bytes(*id), payload)
            }
        };
        Some((topic, payload, flags, id, len))
    }

    /// Client id, will topic and payload, user name and password of a CONNECT that has them
    /// all, with its flags and keep alive.
    #[inline(never)]
    #[allow(clippy::type_complexity)]
    pub fn connect(packet: &[u8]) -> Option<(&str, &str, &[u8], &str, &[u8], u8, u16, usize)> {
        let (body, len) = body(packet)?;
        let (head, rest) = body.split_first_chunk::<10>()?;
        let (client_id, rest) = string(rest)?;
        let (will_topic, rest) = string(rest)?;
        let (will_payload, rest) = field(rest)?;
        let (username, rest) = string(rest)?;
        let (password, _) = field(rest)?;
        let keep_alive = u16::from_be_bytes([head[8], head[9]]);
        let flags = head[7];
        Some((
            client_id,
            will_topic,
            will_payload,
            username,
            password,
            flags,
            keep_alive,
            len,
        ))
    }

    /// Packet identifier and the first two filters of a SUBSCRIBE, with their QoS bytes, and
    /// its length.
    #[inline(never)]
    #[allow(clippy::type_complexity)]
    pub fn subscribe(packet: &[u8]) -> Option<(u16, [(&str, u8); 2], usize)> {
        let (body, len) = body(packet)?;
        let (id, rest) = body.split_first_chunk::<2>()?;
        let (a, rest) = string(rest)?;
        let (&qos_a, rest) = rest.split_first()?;
        let (b, rest) = string(rest)?;
        let &qos_b = rest.first()?;
        Some((u16::from_be_bytes(*id), [(a, qos_a), (b, qos_b)], len))
    }
}

criterion_group!(benches, decode, encode, matching);
criterion_main!(benches);
