//! The JSON payloads of the contract: exact bytes, and every kind of rejected input.

use picomqtt_demo::{
    Call, Command, DecodeError, EncodeError, LIGHT_MAX, Nightlight, Reaction, Telemetry,
};

fn encoded<const N: usize>(
    encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
) -> Vec<u8> {
    let mut buf = [0u8; N];
    let len = encode(&mut buf).expect("encodes");
    buf[..len].to_vec()
}

#[test]
fn telemetry_encodes_to_the_exact_contract_bytes() {
    let json = encoded::<{ Telemetry::MAX_ENCODED_LEN }>(|b| Telemetry { light: 412 }.encode(b));
    assert_eq!(json, br#"{"light":412}"#);
}

#[test]
fn command_encodes_to_the_exact_contract_bytes() {
    let on = encoded::<{ Command::MAX_ENCODED_LEN }>(|b| Command { led_on: true }.encode(b));
    let off = encoded::<{ Command::MAX_ENCODED_LEN }>(|b| Command { led_on: false }.encode(b));
    assert_eq!(on, br#"{"led_on":true}"#);
    assert_eq!(off, br#"{"led_on":false}"#);
}

#[test]
fn call_encodes_to_the_exact_contract_bytes() {
    let json = encoded::<{ Call::MAX_ENCODED_LEN }>(|b| Call { table: 3 }.encode(b));
    assert_eq!(json, br#"{"table":3}"#);
}

#[test]
fn max_encoded_len_is_exactly_the_longest_encoding() {
    let mut buf = [0u8; 32];
    assert_eq!(
        Telemetry { light: LIGHT_MAX }.encode(&mut buf),
        Ok(Telemetry::MAX_ENCODED_LEN)
    );
    assert_eq!(
        Command { led_on: false }.encode(&mut buf),
        Ok(Command::MAX_ENCODED_LEN)
    );
    assert_eq!(
        Call { table: 4 }.encode(&mut buf),
        Ok(Call::MAX_ENCODED_LEN)
    );
}

#[test]
fn encoding_into_a_buffer_one_byte_short_is_buffer_too_small() {
    let mut buf = [0u8; 32];
    assert_eq!(
        Telemetry { light: LIGHT_MAX }.encode(&mut buf[..Telemetry::MAX_ENCODED_LEN - 1]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(
        Command { led_on: false }.encode(&mut buf[..Command::MAX_ENCODED_LEN - 1]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(
        Call { table: 4 }.encode(&mut buf[..Call::MAX_ENCODED_LEN - 1]),
        Err(EncodeError::BufferTooSmall)
    );
}

#[test]
fn encoding_values_outside_the_contract_is_refused() {
    let mut buf = [0u8; 32];
    assert_eq!(
        Telemetry { light: 1024 }.encode(&mut buf),
        Err(EncodeError::OutOfRange)
    );
    assert_eq!(
        Telemetry { light: 4095 }.encode(&mut buf),
        Err(EncodeError::OutOfRange)
    );
    assert_eq!(
        Call { table: 0 }.encode(&mut buf),
        Err(EncodeError::OutOfRange)
    );
    assert_eq!(
        Call { table: 5 }.encode(&mut buf),
        Err(EncodeError::OutOfRange)
    );
}

#[test]
fn every_valid_value_round_trips() {
    let mut buf = [0u8; 32];
    for light in 0..=LIGHT_MAX {
        let n = Telemetry { light }.encode(&mut buf).unwrap();
        assert_eq!(Telemetry::decode(&buf[..n]), Ok(Telemetry { light }));
    }
    for led_on in [false, true] {
        let n = Command { led_on }.encode(&mut buf).unwrap();
        assert_eq!(Command::decode(&buf[..n]), Ok(Command { led_on }));
    }
    for table in 1..=4 {
        let n = Call { table }.encode(&mut buf).unwrap();
        assert_eq!(Call::decode(&buf[..n]), Ok(Call { table }));
    }
}

#[test]
fn decoding_accepts_whitespace_between_tokens() {
    assert_eq!(
        Command::decode(b" { \"led_on\" :\ttrue }\n"),
        Ok(Command { led_on: true })
    );
    assert_eq!(
        Telemetry::decode(b"{\"light\": 0}"),
        Ok(Telemetry { light: 0 })
    );
}

#[test]
fn malformed_json_is_malformed() {
    for payload in [
        &b""[..],
        b"   ",
        b"led on",
        br#"{"led_on":tru}"#,
        br#"{"led_on":true"#,
        br#"{"led_on" true}"#,
        br#"{"led_on":true,}"#,
        br#"{"led_on":true}}"#,
        br#"{"led_on":true} x"#,
        br#"{led_on:true}"#,
        br#"[true]"#,
        br#""led_on""#,
        b"true",
        b"{\"led\xff\":true}",
    ] {
        assert_eq!(
            Command::decode(payload),
            Err(DecodeError::Malformed),
            "{:?}",
            String::from_utf8_lossy(payload)
        );
    }
    assert_eq!(
        Telemetry::decode(br#"{"light":4.5}"#),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn unknown_field_is_unknown_field_wherever_it_appears() {
    assert_eq!(
        Command::decode(br#"{"led_on":true,"colour":"red"}"#),
        Err(DecodeError::UnknownField)
    );
    assert_eq!(
        Command::decode(br#"{"colour":"red","led_on":true}"#),
        Err(DecodeError::UnknownField)
    );
    assert_eq!(
        Command::decode(br#"{"LED_ON":true}"#),
        Err(DecodeError::UnknownField)
    );
    assert_eq!(
        Telemetry::decode(br#"{"lux":3}"#),
        Err(DecodeError::UnknownField)
    );
    assert_eq!(
        Call::decode(br#"{"table":3,"urgent":true}"#),
        Err(DecodeError::UnknownField)
    );
}

#[test]
fn missing_field_is_missing_field() {
    assert_eq!(Command::decode(b"{}"), Err(DecodeError::MissingField));
    assert_eq!(Telemetry::decode(b" { } "), Err(DecodeError::MissingField));
    assert_eq!(Call::decode(b"{}"), Err(DecodeError::MissingField));
}

#[test]
fn duplicate_field_is_duplicate_field() {
    assert_eq!(
        Command::decode(br#"{"led_on":true,"led_on":false}"#),
        Err(DecodeError::DuplicateField)
    );
    assert_eq!(
        Call::decode(br#"{"table":1,"table":1}"#),
        Err(DecodeError::DuplicateField)
    );
}

#[test]
fn value_of_the_wrong_type_is_wrong_type() {
    for payload in [
        &br#"{"led_on":"true"}"#[..],
        br#"{"led_on":1}"#,
        br#"{"led_on":null}"#,
        br#"{"led_on":{}}"#,
        br#"{"led_on":[true]}"#,
    ] {
        assert_eq!(
            Command::decode(payload),
            Err(DecodeError::WrongType),
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
    assert_eq!(
        Telemetry::decode(br#"{"light":"412"}"#),
        Err(DecodeError::WrongType)
    );
    assert_eq!(
        Telemetry::decode(br#"{"light":true}"#),
        Err(DecodeError::WrongType)
    );
    assert_eq!(
        Call::decode(br#"{"table":"3"}"#),
        Err(DecodeError::WrongType)
    );
    // The parser decides on the value's first byte, so a token that is no JSON value at
    // all, where a bool or integer is expected, is also a wrong type (documented).
    assert_eq!(
        Command::decode(br#"{"led_on":on}"#),
        Err(DecodeError::WrongType)
    );
    assert_eq!(
        Command::decode(b"{\"led_on\":\xff}"),
        Err(DecodeError::WrongType)
    );
}

#[test]
fn integers_outside_the_contract_are_out_of_range() {
    assert_eq!(
        Telemetry::decode(br#"{"light":1023}"#),
        Ok(Telemetry { light: 1023 })
    );
    assert_eq!(
        Telemetry::decode(br#"{"light":1024}"#),
        Err(DecodeError::OutOfRange)
    );
    assert_eq!(
        Telemetry::decode(br#"{"light":65536}"#),
        Err(DecodeError::OutOfRange)
    );
    assert_eq!(
        Telemetry::decode(br#"{"light":-1}"#),
        Err(DecodeError::OutOfRange)
    );
    assert_eq!(
        Call::decode(br#"{"table":0}"#),
        Err(DecodeError::OutOfRange)
    );
    assert_eq!(
        Call::decode(br#"{"table":5}"#),
        Err(DecodeError::OutOfRange)
    );
    assert_eq!(
        Call::decode(br#"{"table":256}"#),
        Err(DecodeError::OutOfRange)
    );
}

#[test]
fn serde_derive_accepts_the_same_structure_as_decode() {
    // The derives (deny_unknown_fields) and `decode` agree on which JSON objects are
    // well-formed messages; only `decode` checks the ranges.
    for payload in [
        &br#"{"led_on":true}"#[..],
        br#"{"led_on":true,"x":1}"#,
        br#"{"x":1}"#,
        b"{}",
        br#"{"led_on":true,"led_on":true}"#,
        br#"{"led_on":"true"}"#,
        br#"{"led_on":true"#,
    ] {
        assert_eq!(
            serde_json_core::from_slice::<Command>(payload).is_ok(),
            Command::decode(payload).is_ok(),
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
    let (telemetry, _) = serde_json_core::from_slice::<Telemetry>(br#"{"light":412}"#).unwrap();
    assert_eq!(telemetry, Telemetry { light: 412 });
}

#[test]
fn errors_describe_themselves() {
    assert_eq!(DecodeError::UnknownField.to_string(), "unknown field");
    assert_eq!(DecodeError::Malformed.as_str(), "malformed JSON");
    assert_eq!(EncodeError::BufferTooSmall.to_string(), "buffer too small");
}

#[test]
fn rejected_commands_leave_the_led_unchanged() {
    for initial in [false, true] {
        let mut nightlight = Nightlight::new();
        nightlight.handle(Ok(Command { led_on: initial }));
        let opposite = !initial;
        for (payload, error) in [
            (format!(r#"{{"led_on":{opposite}"#), DecodeError::Malformed),
            (
                format!(r#"{{"led_on":{opposite},"x":1}}"#),
                DecodeError::UnknownField,
            ),
            ("{}".to_string(), DecodeError::MissingField),
            (
                format!(r#"{{"led_on":"{opposite}"}}"#),
                DecodeError::WrongType,
            ),
            (
                format!(r#"{{"led_on":{opposite},"led_on":{opposite}}}"#),
                DecodeError::DuplicateField,
            ),
        ] {
            assert_eq!(
                nightlight.handle_payload(payload.as_bytes()),
                Reaction::Ignored(error),
                "{payload}"
            );
            assert_eq!(nightlight.led_on(), initial, "{payload}");
        }
    }
}
