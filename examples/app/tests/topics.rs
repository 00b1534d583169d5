//! Device ids and the topics built from them.

use picomqtt_demo::{
    DeviceIdError, MAX_DEVICE_ID_LEN, MAX_TOPIC_LEN, STATUS_OFFLINE, STATUS_ONLINE, Topics,
    check_device_id,
};

#[test]
fn topics_follow_the_contract() {
    let topics = Topics::new("nightlight-1").unwrap();
    assert_eq!(topics.device_id(), "nightlight-1");
    assert_eq!(topics.telemetry(), "nightlight-1/telemetry");
    assert_eq!(topics.commands(), "nightlight-1/commands");
    assert_eq!(topics.calls(), "nightlight-1/calls");
    assert_eq!(topics.status(), "nightlight-1/status");
    assert_eq!((STATUS_ONLINE, STATUS_OFFLINE), ("online", "offline"));
}

#[test]
fn longest_device_id_is_accepted_and_fills_the_longest_topic() {
    let id = "x".repeat(MAX_DEVICE_ID_LEN);
    let topics = Topics::new(&id).unwrap();
    assert_eq!(topics.telemetry().len(), MAX_TOPIC_LEN);
    assert_eq!(topics.telemetry(), format!("{id}/telemetry"));
}

#[test]
fn device_id_one_byte_too_long_is_rejected() {
    let id = "x".repeat(MAX_DEVICE_ID_LEN + 1);
    assert_eq!(Topics::new(&id), Err(DeviceIdError::TooLong));
    // The limit counts bytes: 16 two-byte characters fit, 17 do not.
    assert!(Topics::new(&"é".repeat(16)).is_ok());
    assert_eq!(Topics::new(&"é".repeat(17)), Err(DeviceIdError::TooLong));
}

#[test]
fn empty_device_id_is_rejected() {
    assert_eq!(Topics::new(""), Err(DeviceIdError::Empty));
}

#[test]
fn device_id_with_a_level_separator_is_rejected() {
    assert_eq!(Topics::new("kitchen/1"), Err(DeviceIdError::Separator));
    assert_eq!(Topics::new("/x"), Err(DeviceIdError::Separator));
}

#[test]
fn device_id_with_wildcards_is_rejected_mqtt_3_3_2_2() {
    assert_eq!(Topics::new("table+1"), Err(DeviceIdError::Wildcard));
    assert_eq!(Topics::new("#"), Err(DeviceIdError::Wildcard));
}

#[test]
fn device_id_with_nul_is_rejected_mqtt_1_5_3_2() {
    assert_eq!(Topics::new("box\0one"), Err(DeviceIdError::Control));
}

#[test]
fn device_id_with_control_characters_is_rejected() {
    for id in ["a\nb", "a\tb", "a\u{7f}b", "a\u{80}b", "a\u{9f}b"] {
        assert_eq!(Topics::new(id), Err(DeviceIdError::Control), "{id:?}");
    }
    // U+00A0 and U+00E9 share the 0xC2 / 0xC3 lead bytes but are not control characters.
    assert!(Topics::new("a\u{a0}b").is_ok());
    assert!(Topics::new("café").is_ok());
}

#[test]
fn device_id_starting_with_dollar_is_rejected() {
    assert_eq!(Topics::new("$SYS"), Err(DeviceIdError::LeadingDollar));
    assert!(Topics::new("price$").is_ok());
}

#[test]
fn check_device_id_runs_at_compile_time() {
    const GOOD: Result<(), DeviceIdError> = check_device_id("callbox-1");
    const BAD: Result<(), DeviceIdError> = check_device_id("call/box");
    assert_eq!(GOOD, Ok(()));
    assert_eq!(BAD, Err(DeviceIdError::Separator));
}

#[test]
fn device_id_errors_describe_themselves() {
    assert_eq!(
        DeviceIdError::TooLong.to_string(),
        "device id is longer than 32 bytes"
    );
    assert_eq!(
        DeviceIdError::Wildcard.as_str(),
        "device id contains a wildcard ('+' or '#')"
    );
}
