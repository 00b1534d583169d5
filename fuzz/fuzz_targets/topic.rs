//! Splits the input into a topic filter and a topic name at the first newline. Validation must
//! never panic, and `matches` must agree with a plain reading of MQTT 3.1.1 section 4.7.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picomqtt::{TopicFilter, TopicName};

/// Section 4.7, level by level: `+` is one whole level, `#` the rest including the parent,
/// and filters starting with a wildcard do not match topics starting with `$`.
fn reference(filter: &str, topic: &str) -> bool {
    if (filter.starts_with('+') || filter.starts_with('#')) && topic.starts_with('$') {
        return false;
    }
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    for (i, level) in f.iter().enumerate() {
        match *level {
            "#" => return true,
            "+" if i < t.len() => {}
            exact if i < t.len() && t[i] == exact => {}
            _ => return false,
        }
    }
    // Also `a/#` matches `a`: the loop ended on the filter, so the topic must be used up,
    // or the filter ends with "/#" right after the last topic level.
    f.len() == t.len() || (f.len() == t.len() + 1 && f.last() == Some(&"#"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (filter, topic) = text.split_once('\n').unwrap_or((text, text));
    let name = TopicName::new(topic);
    let filt = TopicFilter::new(filter);
    if let (Ok(filt), Ok(name)) = (filt, name) {
        assert_eq!(
            filt.matches(name),
            reference(filter, topic),
            "{filter:?} {topic:?}"
        );
    }
    // A valid topic name is also a valid filter that matches exactly itself.
    if let Ok(name) = TopicName::new(topic) {
        let as_filter = TopicFilter::new(topic).expect("a topic name is a valid filter");
        assert!(as_filter.matches(name));
    }
});
