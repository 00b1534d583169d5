//! Property tests of the codec (src/packet) and the topic rules (src/topic.rs).
//!
//! * Every valid packet of all 14 types survives encode -> decode unchanged, with
//!   `len == encoded_len()`, and every smaller buffer fails with the exact size.
//! * Arbitrary and mutated bytes never panic `decode`, and what it returns is self-consistent
//!   and canonical.
//! * `TopicName::new` / `TopicFilter::new` agree with a plain reading of section 4.7, and
//!   `TopicFilter::matches` agrees with a reference matcher that splits on '/'.

use picomqtt::packet::{
    ConnAck, Connect, ConnectReturnCode, Decoded, EncodeError, FixedHeader, Packet, PubAck,
    PubComp, PubRec, PubRel, Publish, SubAck, Subscribe, SubscribeFilters, SubscribeReturnCodes,
    UnsubAck, Unsubscribe, UnsubscribeFilters, Will, decode,
};
use picomqtt::{PacketId, QoS, TopicError, TopicFilter, TopicName};
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------
// An owned model of every packet, so that strategies can generate the borrowed `Packet`.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct WillModel {
    topic: String,
    payload: Vec<u8>,
    qos: QoS,
    retain: bool,
}

#[derive(Debug, Clone)]
enum Model {
    Connect {
        clean_session: bool,
        keep_alive: u16,
        client_id: String,
        will: Option<WillModel>,
        username: Option<String>,
        password: Option<Vec<u8>>,
    },
    ConnAck {
        session_present: bool,
        return_code: ConnectReturnCode,
    },
    Publish {
        dup: bool,
        qos: QoS,
        retain: bool,
        topic: String,
        packet_id: Option<PacketId>,
        payload: Vec<u8>,
    },
    PubAck(PacketId),
    PubRec(PacketId),
    PubRel(PacketId),
    PubComp(PacketId),
    Subscribe(PacketId, Vec<(String, QoS)>),
    SubAck(PacketId, Vec<u8>),
    Unsubscribe(PacketId, Vec<String>),
    UnsubAck(PacketId),
    PingReq,
    PingResp,
    Disconnect,
}

fn name(s: &str) -> TopicName<'_> {
    TopicName::new(s).expect("strategy made a valid name")
}

fn filter(s: &str) -> TopicFilter<'_> {
    TopicFilter::new(s).expect("strategy made a valid filter")
}

impl Model {
    /// Builds the borrowed packet and hands it to `f`.
    fn with_packet<R>(&self, f: impl FnOnce(Packet<'_>) -> R) -> R {
        match self {
            Model::Connect {
                clean_session,
                keep_alive,
                client_id,
                will,
                username,
                password,
            } => f(Packet::Connect(Connect {
                clean_session: *clean_session,
                keep_alive: *keep_alive,
                client_id,
                will: will.as_ref().map(|w| Will {
                    topic: name(&w.topic),
                    payload: &w.payload,
                    qos: w.qos,
                    retain: w.retain,
                }),
                username: username.as_deref(),
                password: password.as_deref(),
            })),
            Model::ConnAck {
                session_present,
                return_code,
            } => f(Packet::ConnAck(ConnAck {
                session_present: *session_present,
                return_code: *return_code,
            })),
            Model::Publish {
                dup,
                qos,
                retain,
                topic,
                packet_id,
                payload,
            } => f(Packet::Publish(Publish {
                dup: *dup,
                qos: *qos,
                retain: *retain,
                topic: name(topic),
                packet_id: *packet_id,
                payload,
            })),
            Model::PubAck(id) => f(Packet::PubAck(PubAck { packet_id: *id })),
            Model::PubRec(id) => f(Packet::PubRec(PubRec { packet_id: *id })),
            Model::PubRel(id) => f(Packet::PubRel(PubRel { packet_id: *id })),
            Model::PubComp(id) => f(Packet::PubComp(PubComp { packet_id: *id })),
            Model::Subscribe(id, filters) => {
                let filters: Vec<(TopicFilter<'_>, QoS)> =
                    filters.iter().map(|(s, q)| (filter(s), *q)).collect();
                f(Packet::Subscribe(Subscribe {
                    packet_id: *id,
                    filters: SubscribeFilters::new(&filters),
                }))
            }
            Model::SubAck(id, codes) => f(Packet::SubAck(SubAck {
                packet_id: *id,
                return_codes: SubscribeReturnCodes::new(codes).expect("valid codes"),
            })),
            Model::Unsubscribe(id, filters) => {
                let filters: Vec<TopicFilter<'_>> = filters.iter().map(|s| filter(s)).collect();
                f(Packet::Unsubscribe(Unsubscribe {
                    packet_id: *id,
                    filters: UnsubscribeFilters::new(&filters),
                }))
            }
            Model::UnsubAck(id) => f(Packet::UnsubAck(UnsubAck { packet_id: *id })),
            Model::PingReq => f(Packet::PingReq),
            Model::PingResp => f(Packet::PingResp),
            Model::Disconnect => f(Packet::Disconnect),
        }
    }

    fn encode(&self) -> Vec<u8> {
        self.with_packet(|p| {
            let mut buf = vec![0u8; p.encoded_len().unwrap()];
            let n = p.encode(&mut buf).unwrap();
            assert_eq!(n, buf.len());
            buf
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn packet_id() -> impl Strategy<Value = PacketId> {
    prop_oneof![Just(1u16), Just(u16::MAX), 1..=u16::MAX].prop_map(|n| PacketId::new(n).unwrap())
}

/// One character allowed in a topic level: anything but U+0000, '/', '+' and '#'.
fn level_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => Just('$'),
        1 => Just(' '),
        1 => Just('\u{e9}'),     // 2-byte UTF-8
        1 => Just('\u{20AC}'),   // 3-byte UTF-8
        1 => Just('\u{1F600}'),  // 4-byte UTF-8
        2 => any::<char>(),
    ]
    .prop_filter("not a separator, wildcard or U+0000", |c| {
        !matches!(c, '\0' | '/' | '+' | '#')
    })
}

/// One topic level, possibly empty, possibly longer than a machine word.
fn level() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(level_char(), 0..6).prop_map(String::from_iter),
        1 => Just(String::new()),
        1 => Just("$SYS".to_string()),
        1 => proptest::collection::vec(level_char(), 8..20).prop_map(String::from_iter),
    ]
}

/// A valid topic name: levels joined by '/', including `$` topics and empty levels.
fn topic_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(level(), 1..6)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("a topic name is not empty", |s| !s.is_empty())
}

/// A valid topic filter: levels that are literal or '+', optionally ending with '#'.
fn topic_filter() -> impl Strategy<Value = String> {
    let filter_level = prop_oneof![3 => level(), 1 => Just("+".to_string())];
    (proptest::collection::vec(filter_level, 0..5), any::<bool>())
        .prop_map(|(mut levels, hash)| {
            if hash || levels.is_empty() {
                levels.push("#".to_string());
            }
            levels.join("/")
        })
        .prop_filter("a topic filter is not empty", |s| !s.is_empty())
}

/// A UTF-8 string without U+0000, as CONNECT strings must be.
fn mqtt_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("no U+0000", |&c| c != '\0'),
        0..max,
    )
    .prop_map(String::from_iter)
}

/// Payloads: mostly short, sometimes long enough for 2-byte remaining lengths.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(any::<u8>(), 100..4096),
    ]
}

fn connect() -> impl Strategy<Value = Model> {
    let will = (topic_name(), payload(), qos(), any::<bool>()).prop_map(
        |(topic, payload, qos, retain)| WillModel {
            topic,
            payload,
            qos,
            retain,
        },
    );
    let credentials = prop_oneof![
        Just((None, None)),
        mqtt_string(16).prop_map(|u| (Some(u), None)),
        (
            mqtt_string(16),
            proptest::collection::vec(any::<u8>(), 0..32)
        )
            .prop_map(|(u, p)| (Some(u), Some(p))),
    ];
    (
        any::<bool>(),
        any::<u16>(),
        mqtt_string(24),
        proptest::option::of(will),
        credentials,
    )
        .prop_map(
            |(clean_session, keep_alive, client_id, will, (username, password))| Model::Connect {
                clean_session,
                keep_alive,
                client_id,
                will,
                username,
                password,
            },
        )
}

fn connack() -> impl Strategy<Value = Model> {
    (0u8..=5, any::<bool>()).prop_map(|(code, present)| {
        let return_code = ConnectReturnCode::from_u8(code).unwrap();
        Model::ConnAck {
            // Session present only with an accepted connection [MQTT-3.2.2-4].
            session_present: present && code == 0,
            return_code,
        }
    })
}

fn publish() -> impl Strategy<Value = Model> {
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic_name(),
        packet_id(),
        payload(),
    )
        .prop_map(|(qos, dup, retain, topic, id, payload)| {
            let qos0 = qos == QoS::AtMostOnce;
            Model::Publish {
                // DUP and a packet id only with QoS 1 or 2 [MQTT-3.3.1-2], [MQTT-2.3.1-5].
                dup: dup && !qos0,
                qos,
                retain,
                topic,
                packet_id: if qos0 { None } else { Some(id) },
                payload,
            }
        })
}

fn any_packet() -> impl Strategy<Value = Model> {
    prop_oneof![
        connect(),
        connack(),
        publish(),
        packet_id().prop_map(Model::PubAck),
        packet_id().prop_map(Model::PubRec),
        packet_id().prop_map(Model::PubRel),
        packet_id().prop_map(Model::PubComp),
        (
            packet_id(),
            proptest::collection::vec((topic_filter(), qos()), 1..6)
        )
            .prop_map(|(id, f)| Model::Subscribe(id, f)),
        (
            packet_id(),
            proptest::collection::vec(
                prop_oneof![Just(0x00u8), Just(0x01), Just(0x02), Just(0x80)],
                1..8
            )
        )
            .prop_map(|(id, c)| Model::SubAck(id, c)),
        (packet_id(), proptest::collection::vec(topic_filter(), 1..6))
            .prop_map(|(id, f)| Model::Unsubscribe(id, f)),
        packet_id().prop_map(Model::UnsubAck),
        Just(Model::PingReq),
        Just(Model::PingResp),
        Just(Model::Disconnect),
    ]
}

// ---------------------------------------------------------------------------------------------
// Independent references
// ---------------------------------------------------------------------------------------------

/// Header length and remaining length of a complete fixed header (section 2.2.3), if the
/// remaining-length bytes end within four bytes; flags and type are not looked at.
fn reference_header(bytes: &[u8]) -> Option<(usize, usize)> {
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

/// The number of bytes the shortest encoding of `remaining` takes.
fn minimal_length_bytes(remaining: usize) -> usize {
    match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Section 4.7 as written: a topic name is non-empty, has no U+0000 and no wildcard.
fn reference_valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 65_535 && !s.contains(['\0', '+', '#'])
}

/// A topic filter is non-empty, has no U+0000, and each '+' or '#' is a whole level, '#' only
/// the last one [MQTT-4.7.1-2], [MQTT-4.7.1-3].
fn reference_valid_filter(s: &str) -> bool {
    if s.is_empty() || s.len() > 65_535 || s.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = s.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "+" => true,
        "#" => i == levels.len() - 1,
        other => !other.contains(['+', '#']),
    })
}

/// Whether `filter` matches `topic`, level by level (section 4.7).
fn reference_matches(filter: &str, topic: &str) -> bool {
    // [MQTT-4.7.2-1]: a wildcard first level never matches a topic starting with '$'.
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    let mut i = 0;
    loop {
        match (f.get(i), t.get(i)) {
            // '#' matches what is left, including nothing: `a/#` matches `a`.
            (Some(&"#"), _) => return true,
            (None, None) => return true,
            (Some(&"+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
        i += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

/// What any `decode` result must satisfy for the input it came from.
fn check_decode_consistency(input: &[u8]) -> Result<(), TestCaseError> {
    let result = decode(input);
    let header = reference_header(input);
    match result {
        Ok(Decoded::Complete { packet, len }) => {
            prop_assert!(len <= input.len());
            let (header_len, remaining) = header.expect("complete packet has a header");
            prop_assert_eq!(len, header_len + remaining);
            // The packet is all in input[..len]: decoding just that gives the same.
            prop_assert_eq!(decode(&input[..len]), Ok(Decoded::Complete { packet, len }));
            // And the packet type is the high nibble of the first byte.
            prop_assert_eq!(packet.packet_type() as u8, input[0] >> 4);
            // Canonical: every bit of a valid packet is represented in `Packet`, so encoding
            // it again gives the same bytes, unless the sender used a longer remaining-length
            // encoding than needed (section 2.2.3 allows it in 3.1.1).
            if header_len - 1 == minimal_length_bytes(remaining) {
                prop_assert_eq!(packet.encoded_len(), Ok(len));
                let mut buf = vec![0u8; len];
                prop_assert_eq!(packet.encode(&mut buf), Ok(len));
                prop_assert_eq!(&buf[..], &input[..len]);
            }
        }
        Ok(Decoded::Incomplete { needed }) => {
            prop_assert!(needed >= 1);
            if let Some((header_len, remaining)) = header {
                // The fixed header is complete: the count is exact.
                prop_assert_eq!(input.len() + needed, header_len + remaining);
            }
        }
        Err(e) => {
            // An error never depends on what follows the packet.
            let mut longer = input.to_vec();
            longer.extend_from_slice(&[0x00, 0xFF, 0x30]);
            prop_assert_eq!(decode(&longer), Err(e));
        }
    }
    // FixedHeader::parse agrees with the reference on where the header ends.
    if let Ok(Some(h)) = FixedHeader::parse(input) {
        prop_assert_eq!(Some((h.header_len, h.remaining_len)), header);
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // The default 256 cases (PROPTEST_CASES overrides it); failure persistence files are
        // kept out of the source tree: a failure prints its minimal input instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_valid_packet_round_trips_with_len_equal_to_encoded_len(model in any_packet()) {
        model.with_packet(|p| -> Result<(), TestCaseError> {
            let len = p.encoded_len().unwrap();
            let mut buf = vec![0u8; len + 3];
            prop_assert_eq!(p.encode(&mut buf), Ok(len));
            prop_assert_eq!(decode(&buf[..len]), Ok(Decoded::Complete { packet: p, len }));
            // What follows the packet is not read.
            buf[len..].copy_from_slice(&[0xFF, 0x00, 0x12]);
            prop_assert_eq!(decode(&buf), Ok(Decoded::Complete { packet: p, len }));
            // Every strict prefix asks for more, exactly once the header is complete.
            let (header_len, _) = reference_header(&buf).unwrap();
            for k in 0..len {
                match decode(&buf[..k]) {
                    Ok(Decoded::Incomplete { needed }) if k >= header_len => {
                        prop_assert_eq!(needed, len - k);
                    }
                    Ok(Decoded::Incomplete { needed }) => {
                        prop_assert!(needed >= 1 && k + needed <= len);
                    }
                    other => prop_assert!(false, "prefix {} of {}: {:?}", k, len, other),
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn encoding_into_every_smaller_buffer_fails_with_buffer_too_small(model in any_packet()) {
        model.with_packet(|p| -> Result<(), TestCaseError> {
            let len = p.encoded_len().unwrap();
            let mut buf = vec![0u8; len];
            for size in 0..len {
                prop_assert_eq!(
                    p.encode(&mut buf[..size]),
                    Err(EncodeError::BufferTooSmall { needed: len })
                );
            }
            prop_assert_eq!(p.encode(&mut buf), Ok(len));
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_decode_and_its_result_is_self_consistent(
        input in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        check_decode_consistency(&input)?;
        // Every prefix too.
        for k in 0..input.len() {
            check_decode_consistency(&input[..k])?;
        }
    }

    #[test]
    fn arbitrary_bytes_after_a_plausible_header_are_self_consistent(
        first in prop_oneof![
            // Mostly a first byte whose type and flags are valid, so the body decoders run.
            3 => prop::sample::select(vec![
                0x10u8, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x3A, 0x3B, 0x3C, 0x3D, 0x40,
                0x50, 0x62, 0x70, 0x82, 0x90, 0xA2, 0xB0, 0xC0, 0xD0, 0xE0,
            ]),
            1 => any::<u8>(),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..40),
        extra in proptest::collection::vec(any::<u8>(), 0..4),
    ) {
        // A one-byte remaining length that covers `body` exactly: most inputs reach the body
        // decoders instead of stopping at the fixed header.
        let mut input = vec![first, body.len() as u8];
        input.extend_from_slice(&body);
        input.extend_from_slice(&extra);
        check_decode_consistency(&input)?;
    }

    #[test]
    fn mutated_valid_packets_never_panic_decode_and_stay_self_consistent(
        model in any_packet(),
        edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        cut in any::<Index>(),
    ) {
        let mut bytes = model.encode();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        check_decode_consistency(&bytes)?;
        let end = cut.index(bytes.len() + 1);
        check_decode_consistency(&bytes[..end])?;
    }

    #[test]
    fn arbitrary_strings_never_panic_topic_validation_and_agree_with_section_4_7(
        s in prop_oneof![
            any::<String>(),
            "[a/+#$\u{0} ]{0,12}",
            "[ab/+#]{0,12}[\u{0}]?[ab/+#]{0,12}",
            // One forbidden byte anywhere in a longer name: every position of the word-at-a-time
            // scan, including the overlapping last word.
            "[a-z/]{0,40}[+#\u{0}][a-z/]{0,40}",
        ],
    ) {
        let name = TopicName::new(&s);
        prop_assert_eq!(name.is_ok(), reference_valid_name(&s), "name {:?}: {:?}", s, name);
        if let Err(e) = name {
            let expected = if s.is_empty() {
                TopicError::Empty
            } else if s.contains('\0') {
                TopicError::NullCharacter
            } else {
                TopicError::WildcardInTopicName
            };
            prop_assert_eq!(e, expected, "name {:?}", s);
        }

        let filter = TopicFilter::new(&s);
        prop_assert_eq!(filter.is_ok(), reference_valid_filter(&s), "filter {:?}: {:?}", s, filter);
        if let Err(e) = filter {
            if s.is_empty() {
                prop_assert_eq!(e, TopicError::Empty);
            } else if !s.contains('\0') {
                prop_assert_eq!(e, TopicError::MisplacedWildcard, "filter {:?}", s);
            } else {
                prop_assert!(
                    matches!(e, TopicError::NullCharacter | TopicError::MisplacedWildcard),
                    "filter {:?}: {:?}", s, e
                );
                let without_nul = s.replace('\0', "x");
                if reference_valid_filter(&without_nul) {
                    prop_assert_eq!(e, TopicError::NullCharacter, "filter {:?}", s);
                }
            }
        }
        if let Ok(f) = filter {
            prop_assert_eq!(f.as_str(), s.as_str());
            prop_assert_eq!(f.has_wildcards(), s.contains(['+', '#']));
        }
    }

    #[test]
    fn matches_agrees_with_a_level_by_level_reference(
        filter in topic_filter(),
        topic in topic_name(),
    ) {
        let f = TopicFilter::new(&filter).unwrap();
        let t = TopicName::new(&topic).unwrap();
        prop_assert_eq!(f.matches(t), reference_matches(&filter, &topic), "{:?} {:?}", filter, topic);
    }

    #[test]
    fn matches_agrees_with_the_reference_on_related_filters_and_topics(
        levels in proptest::collection::vec(
            prop_oneof![
                Just(""), Just("a"), Just("b"), Just("$"), Just("$SYS"),
                Just("abcdefghi"), Just("abcdefghij"), Just("\u{e9}t\u{e9}"),
            ],
            1..7,
        ),
        // How to turn the topic into a filter: per level keep, '+', or a different level;
        // then maybe cut it off with '#'.
        edits in proptest::collection::vec(0u8..6, 7),
        hash_at in proptest::option::of(0usize..8),
    ) {
        let topic = levels.join("/");
        prop_assume!(!topic.is_empty());
        let mut f: Vec<&str> = levels
            .iter()
            .zip(&edits)
            .map(|(level, edit)| match edit {
                0 => "+",
                1 => "b",
                _ => level,
            })
            .collect();
        if let Some(at) = hash_at {
            f.truncate(at.min(f.len()));
            f.push("#");
        }
        let filter = f.join("/");
        prop_assume!(!filter.is_empty());
        let fl = TopicFilter::new(&filter).unwrap();
        let t = TopicName::new(&topic).unwrap();
        prop_assert_eq!(fl.matches(t), reference_matches(&filter, &topic), "{:?} {:?}", filter, topic);
    }
}

// ---------------------------------------------------------------------------------------------
// Exhaustive checks over a small alphabet (deterministic complements to the properties)
// ---------------------------------------------------------------------------------------------

/// Every string of 1 to 3 levels drawn from `alphabet`.
fn all_joined(alphabet: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for a in alphabet {
        out.push(a.to_string());
        for b in alphabet {
            out.push(format!("{a}/{b}"));
            for c in alphabet {
                out.push(format!("{a}/{b}/{c}"));
            }
        }
    }
    out
}

#[test]
fn matches_agrees_with_the_reference_for_every_filter_and_topic_of_up_to_3_levels() {
    let topic_levels = ["", "a", "$", "$a", "abcdefghi", "abcdefghj"];
    let filter_levels = ["", "a", "$", "$a", "abcdefghi", "abcdefghj", "+", "#"];
    let topics: Vec<String> = all_joined(&topic_levels)
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let filters: Vec<String> = all_joined(&filter_levels)
        .into_iter()
        .filter(|f| reference_valid_filter(f))
        .collect();
    let (mut matched, mut not_matched) = (0, 0);
    for filter in &filters {
        let f = TopicFilter::new(filter).unwrap();
        for topic in &topics {
            let t = TopicName::new(topic).unwrap();
            let expected = reference_matches(filter, topic);
            assert_eq!(f.matches(t), expected, "filter {filter:?} topic {topic:?}");
            if expected {
                matched += 1;
            } else {
                not_matched += 1;
            }
        }
    }
    // Both outcomes are well represented, so the comparison means something.
    assert!(
        matched > 1_000 && not_matched > 10_000,
        "{matched} / {not_matched}"
    );
}

#[test]
fn topic_validation_agrees_with_the_reference_for_every_string_of_up_to_3_levels() {
    let levels = ["", "a", "+", "#", "a+", "#a", "++", "\0", "a\0"];
    for s in all_joined(&levels) {
        assert_eq!(
            TopicName::new(&s).is_ok(),
            reference_valid_name(&s),
            "name {s:?}"
        );
        assert_eq!(
            TopicFilter::new(&s).is_ok(),
            reference_valid_filter(&s),
            "filter {s:?}"
        );
    }
}

#[test]
fn reference_matcher_follows_the_examples_of_section_4_7() {
    // The reference is the yardstick, so check it against the spec's own examples.
    let yes = [
        ("sport/tennis/player1/#", "sport/tennis/player1"),
        (
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon",
        ),
        ("sport/#", "sport"),
        ("#", "sport/tennis"),
        ("sport/tennis/+", "sport/tennis/player1"),
        ("sport/+", "sport/"),
        ("+/+", "/finance"),
        ("/+", "/finance"),
        ("$SYS/#", "$SYS/monitor/Clients"),
        ("$SYS/monitor/+", "$SYS/monitor/Clients"),
        ("a/#", "a"),
    ];
    let no = [
        ("sport/tennis/+", "sport/tennis/player1/ranking"),
        ("sport/+", "sport"),
        ("+", "/finance"),
        ("#", "$SYS/broker"),
        ("+/monitor/Clients", "$SYS/monitor/Clients"),
        ("ACCOUNTS", "Accounts"),
        ("/finance", "finance"),
    ];
    for (f, t) in yes {
        assert!(reference_matches(f, t), "{f} {t}");
        assert!(
            TopicFilter::new(f)
                .unwrap()
                .matches(TopicName::new(t).unwrap()),
            "{f} {t}"
        );
    }
    for (f, t) in no {
        assert!(!reference_matches(f, t), "{f} {t}");
        assert!(
            !TopicFilter::new(f)
                .unwrap()
                .matches(TopicName::new(t).unwrap()),
            "{f} {t}"
        );
    }
}
