//! Topic names, topic filters and wildcard matching (MQTT 3.1.1 section 4.7).
//!
//! A [`TopicName`] is what a PUBLISH is sent to: no wildcards. A [`TopicFilter`] is what a
//! SUBSCRIBE asks for: `+` matches exactly one level (an empty one too), `#` matches the parent
//! level and any number of child levels. Both are validated once, when they are made, so that
//! [`TopicFilter::matches`] can be a single forward scan with no error path.
//!
//! ```
//! use picomqtt::{TopicFilter, TopicName};
//!
//! let filter = TopicFilter::new("sport/tennis/+")?;
//! assert!(filter.matches(TopicName::new("sport/tennis/player1")?));
//! assert!(!filter.matches(TopicName::new("sport/tennis/player1/ranking")?));
//!
//! // `#` also matches the parent level.
//! assert!(TopicFilter::new("sport/#")?.matches(TopicName::new("sport")?));
//! // Wildcards in the first level do not match topics that begin with `$` [MQTT-4.7.2-1].
//! assert!(!TopicFilter::new("#")?.matches(TopicName::new("$SYS/uptime")?));
//! # Ok::<(), picomqtt::TopicError>(())
//! ```

use core::fmt;

/// Why a string is not a valid topic name or topic filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TopicError {
    /// Topic names and filters must be at least one character long [MQTT-4.7.3-1].
    Empty,
    /// Longer than 65,535 bytes [MQTT-4.7.3-3].
    TooLong,
    /// Contains U+0000 [MQTT-4.7.3-2].
    NullCharacter,
    /// A topic name contains `+` or `#` [MQTT-3.3.2-2], [MQTT-4.7.3-1].
    WildcardInTopicName,
    /// A `+` or `#` that does not occupy a whole level, or a `#` that is not the last character
    /// [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.1-3].
    MisplacedWildcard,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TopicError::Empty => "topic is empty",
            TopicError::TooLong => "topic is longer than 65,535 bytes",
            TopicError::NullCharacter => "topic contains U+0000",
            TopicError::WildcardInTopicName => "topic name contains a wildcard",
            TopicError::MisplacedWildcard => "wildcard does not occupy a whole level",
        })
    }
}

impl core::error::Error for TopicError {}

/// A validated topic name: non-empty, at most 65,535 bytes, no U+0000, no wildcards.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicName<'a>(&'a str);

/// A validated topic filter: non-empty, at most 65,535 bytes, no U+0000, and every `+` or `#`
/// occupies a whole level, with `#` only as the last level.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicFilter<'a>(&'a str);

const WORD: usize = 8;
const ONES: u64 = u64::from_ne_bytes([0x01; WORD]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; WORD]);

/// The bytes of the word that are zero, as their high bits (the classic SWAR test; exact for the
/// question "is any byte zero").
#[inline(always)]
const fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Whether any byte of the word is U+0000, `+` or `#`, without branches.
#[inline(always)]
const fn word_has_nul_or_wildcard(x: u64) -> bool {
    const PLUS: u64 = u64::from_ne_bytes([b'+'; WORD]);
    const HASH: u64 = u64::from_ne_bytes([b'#'; WORD]);
    (zero_bytes(x) | zero_bytes(x ^ PLUS) | zero_bytes(x ^ HASH)) != 0
}

/// Whether `bytes` contains U+0000, `+` or `#`, eight bytes at a time: the hosts' fast path for
/// valid names and filters. Firmware checks byte by byte instead (`TopicName::new`,
/// `check_filter`), which is smaller and, without 64-bit registers, about as fast.
#[inline]
fn has_nul_or_wildcard(bytes: &[u8]) -> bool {
    let Some(last) = bytes.last_chunk::<WORD>() else {
        return bytes.iter().any(|&b| is_nul_or_wildcard(b));
    };
    let (words, _) = bytes.as_chunks::<WORD>();
    // The whole words, then the last eight bytes, which overlap them when the length is not a
    // multiple of eight: looking at a byte twice is harmless for "contains".
    words
        .iter()
        .any(|w| word_has_nul_or_wildcard(u64::from_ne_bytes(*w)))
        || word_has_nul_or_wildcard(u64::from_ne_bytes(*last))
}

/// Whether `bytes` contains U+0000 [MQTT-1.5.3-2]: eight bytes at a time on 64-bit targets, a
/// byte loop elsewhere. (`<[u8]>::contains` would link a 150-byte memchr into firmware for
/// strings that are a few bytes long.)
#[inline]
#[allow(clippy::manual_contains)]
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    match bytes.last_chunk::<WORD>() {
        Some(last) if cfg!(target_pointer_width = "64") => {
            let (words, _) = bytes.as_chunks::<WORD>();
            // As in `has_nul_or_wildcard_words`, the last word may overlap the others.
            words
                .iter()
                .any(|w| zero_bytes(u64::from_ne_bytes(*w)) != 0)
                || zero_bytes(u64::from_ne_bytes(*last)) != 0
        }
        _ => bytes.iter().any(|&b| b == 0),
    }
}

#[inline]
fn is_nul_or_wildcard(b: u8) -> bool {
    b == 0 || b == b'+' || b == b'#'
}

fn check_len(len: usize) -> Result<(), TopicError> {
    match len {
        0 => Err(TopicError::Empty),
        1..=65_535 => Ok(()),
        _ => Err(TopicError::TooLong),
    }
}

/// The rules of a topic filter, on its bytes: length, no U+0000, and each wildcard fills its
/// level, with `#` only as the last character.
pub(crate) fn check_filter(bytes: &[u8]) -> Result<(), TopicError> {
    check_len(bytes.len())?;
    // On hosts, most filters have no wildcard and are accepted a word at a time; firmware
    // keeps the one byte loop below, which is smaller.
    if cfg!(target_pointer_width = "64") && !has_nul_or_wildcard(bytes) {
        return Ok(());
    }
    let mut level_start = true;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            0 => return Err(TopicError::NullCharacter),
            b'+' | b'#' => {
                let next = bytes.get(i + 1);
                if !level_start || next.is_some() && (b == b'#' || next != Some(&b'/')) {
                    return Err(TopicError::MisplacedWildcard);
                }
            }
            _ => {}
        }
        level_start = b == b'/';
    }
    Ok(())
}

impl<'a> TopicName<'a> {
    /// Wraps a name that was already validated.
    pub(crate) const fn new_unchecked(name: &'a str) -> Self {
        Self(name)
    }

    /// Validates `name` as a topic name.
    pub fn new(name: &'a str) -> Result<Self, TopicError> {
        check_len(name.len())?;
        // As in `check_filter`: hosts accept most names a word at a time; firmware keeps the one
        // byte loop, which is smaller. U+0000 is reported before a wildcard.
        if cfg!(target_pointer_width = "64") && !has_nul_or_wildcard(name.as_bytes()) {
            return Ok(Self(name));
        }
        let mut wildcard = false;
        for &b in name.as_bytes() {
            match b {
                0 => return Err(TopicError::NullCharacter),
                b'+' | b'#' => wildcard = true,
                _ => {}
            }
        }
        if wildcard {
            Err(TopicError::WildcardInTopicName)
        } else {
            Ok(Self(name))
        }
    }

    /// The topic name as a string slice, borrowed from where it was made.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }
}

impl<'a> TopicFilter<'a> {
    /// Validates `filter` as a topic filter.
    pub fn new(filter: &'a str) -> Result<Self, TopicError> {
        check_filter(filter.as_bytes()).map(|()| Self(filter))
    }

    /// Wraps a filter that was already validated (it came out of a checked SUBSCRIBE).
    pub(crate) const fn new_unchecked(filter: &'a str) -> Self {
        Self(filter)
    }

    /// The topic filter as a string slice, borrowed from where it was made.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether the filter contains `+` or `#`.
    pub fn has_wildcards(&self) -> bool {
        self.0.bytes().any(|b| b == b'+' || b == b'#')
    }

    /// Whether a message published to `topic` matches this filter (section 4.7).
    ///
    /// * `+` matches exactly one level, including an empty one: `+/+` matches `/finance`.
    /// * `#` matches the parent level and any number of child levels: `sport/#` matches `sport`.
    /// * A filter that starts with `+` or `#` does not match a topic that starts with `$`
    ///   [MQTT-4.7.2-1]; `$SYS/#` does.
    ///
    /// The cost is one pass over the common prefix, without splitting into levels.
    pub fn matches(&self, topic: TopicName<'_>) -> bool {
        matches(self.0.as_bytes(), topic.0.as_bytes())
    }
}

fn matches(filter: &[u8], topic: &[u8]) -> bool {
    if let (Some(b'+' | b'#'), Some(b'$')) = (filter.first(), topic.first()) {
        return false;
    }
    let (mut f, mut t) = (filter, topic);
    loop {
        // Topic names cannot hold wildcards, so the first difference is either the place of a
        // wildcard in the filter or a real mismatch.
        let same = common_prefix_len(f, t);
        // `same` is at most the length of either slice.
        f = f.get(same..).unwrap_or_default();
        t = t.get(same..).unwrap_or_default();
        match f.split_first() {
            None => return t.is_empty(),
            // Validation put `#` at the start of the last level: it matches what is left.
            Some((b'#', _)) => return true,
            // `+` is a whole level: skip one topic level, empty or not.
            Some((b'+', rest)) => {
                f = rest;
                let level = t.iter().position(|&b| b == b'/').unwrap_or(t.len());
                t = t.get(level..).unwrap_or_default();
            }
            // The topic ended at a level boundary where the filter goes on with "/#":
            // `#` also matches the parent level.
            Some((b'/', b"#")) => return t.is_empty(),
            Some(_) => return false,
        }
    }
}

/// The length of the longest common prefix: a word at a time on 64-bit targets, a byte loop on
/// 32-bit microcontrollers.
#[inline]
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    if cfg!(target_pointer_width = "64") {
        common_prefix_len_words(a, b)
    } else {
        common_prefix_len_bytes(a, b)
    }
}

#[inline]
fn common_prefix_len_words(a: &[u8], b: &[u8]) -> usize {
    let (aw, _) = a.as_chunks::<WORD>();
    let (bw, _) = b.as_chunks::<WORD>();
    let mut n = 0;
    for (x, y) in aw.iter().zip(bw) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += WORD;
    }
    let (a, b) = (
        a.get(n..).unwrap_or_default(),
        b.get(n..).unwrap_or_default(),
    );
    n + common_prefix_len_bytes(a, b)
}

fn common_prefix_len_bytes(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl fmt::Debug for TopicName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for TopicName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for TopicFilter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for TopicFilter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for TopicName<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.0)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for TopicFilter<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.0)
    }
}

impl<'a> TryFrom<&'a str> for TopicName<'a> {
    type Error = TopicError;
    fn try_from(s: &'a str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl<'a> TryFrom<&'a str> for TopicFilter<'a> {
    type Error = TopicError;
    fn try_from(s: &'a str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl AsRef<str> for TopicName<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for TopicFilter<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_at_a_time_scans_find_every_forbidden_byte_at_every_position_and_nothing_else() {
        for len in 0..=33 {
            let clean = [b'a'; 33];
            assert!(!has_nul(&clean[..len]), "len {len}");
            assert!(!has_nul_or_wildcard(&clean[..len]), "len {len}");
            for at in 0..len {
                for forbidden in [0, b'+', b'#'] {
                    let mut bytes = clean;
                    bytes[at] = forbidden;
                    assert!(has_nul_or_wildcard(&bytes[..len]), "len {len} at {at}");
                    assert_eq!(has_nul(&bytes[..len]), forbidden == 0, "len {len} at {at}");
                }
                // Bytes next to the forbidden ones in value are not mistaken for them.
                for near in [1, b'*', b',', b'"', b'$', 0x80, 0xFF] {
                    let mut bytes = clean;
                    bytes[at] = near;
                    assert!(!has_nul_or_wildcard(&bytes[..len]), "len {len} at {at}");
                    assert!(!has_nul(&bytes[..len]), "len {len} at {at}");
                }
            }
        }
    }

    fn m(filter: &str, topic: &str) -> bool {
        TopicFilter::new(filter)
            .unwrap()
            .matches(TopicName::new(topic).unwrap())
    }

    #[test]
    fn multi_level_wildcard_examples_of_section_4_7_1_2() {
        // "sport/tennis/player1/#" would receive messages published using these topic names.
        assert!(m("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(m("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
        assert!(m(
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon"
        ));
        // "sport/#" also matches the singular "sport", since # includes the parent level.
        assert!(m("sport/#", "sport"));
        // "#" is valid and will receive every application message.
        assert!(m("#", "sport/tennis/player1"));
        assert!(m("#", "a"));
        assert!(m("#", "/"));
        // "sport/tennis/#" is valid; "sport/tennis#" and "sport/tennis/#/ranking" are not.
        assert!(TopicFilter::new("sport/tennis/#").is_ok());
        assert_eq!(
            TopicFilter::new("sport/tennis#"),
            Err(TopicError::MisplacedWildcard)
        );
        assert_eq!(
            TopicFilter::new("sport/tennis/#/ranking"),
            Err(TopicError::MisplacedWildcard)
        );
    }

    #[test]
    fn single_level_wildcard_examples_of_section_4_7_1_3() {
        // "sport/tennis/+" matches "sport/tennis/player1" and "sport/tennis/player2", but not
        // "sport/tennis/player1/ranking".
        assert!(m("sport/tennis/+", "sport/tennis/player1"));
        assert!(m("sport/tennis/+", "sport/tennis/player2"));
        assert!(!m("sport/tennis/+", "sport/tennis/player1/ranking"));
        // "sport/+" does not match "sport" but does match "sport/".
        assert!(!m("sport/+", "sport"));
        assert!(m("sport/+", "sport/"));
        // "+", "+/tennis/#" and "sport/+/player1" are valid; "sport+" is not.
        assert!(TopicFilter::new("+").is_ok());
        assert!(TopicFilter::new("+/tennis/#").is_ok());
        assert!(TopicFilter::new("sport/+/player1").is_ok());
        assert_eq!(
            TopicFilter::new("sport+"),
            Err(TopicError::MisplacedWildcard)
        );
        // "/finance" matches "+/+" and "/+", but not "+".
        assert!(m("+/+", "/finance"));
        assert!(m("/+", "/finance"));
        assert!(!m("+", "/finance"));
    }

    #[test]
    fn dollar_topics_examples_of_section_4_7_2_mqtt_4_7_2_1() {
        // "#" does not receive messages published to topics beginning with "$".
        assert!(!m("#", "$SYS/broker/clients"));
        // "+/monitor/Clients" does not receive messages published to "$SYS/monitor/Clients".
        assert!(!m("+/monitor/Clients", "$SYS/monitor/Clients"));
        // "$SYS/#" does, and so does "$SYS/monitor/+".
        assert!(m("$SYS/#", "$SYS/monitor/Clients"));
        assert!(m("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(m("$SYS/#", "$SYS"));
    }

    #[test]
    fn topic_semantic_examples_of_section_4_7_3() {
        // Leading and trailing "/" make distinct topics; a level may be empty; case matters.
        assert!(!m("/finance", "finance"));
        assert!(!m("finance", "/finance"));
        assert!(m("a//b", "a//b"));
        assert!(m("a/+/b", "a//b"));
        assert!(!m("ACCOUNTS", "Accounts"));
        // A space is a valid character.
        assert!(m("Accounts payable", "Accounts payable"));
        // "/" alone is a valid topic with two empty levels.
        assert!(m("+/+", "/"));
        assert!(!m("+", "/"));
    }

    #[test]
    fn exact_filters_compare_every_byte_across_word_boundaries() {
        let long = "a/b/c/d/e/f/g/h/sensor/temperature";
        assert!(m(long, long));
        for i in 0..long.len() {
            let mut changed = long.as_bytes().to_vec();
            changed[i] = if changed[i] == b'x' { b'y' } else { b'x' };
            let changed = core::str::from_utf8(&changed).unwrap();
            assert!(!m(long, changed), "byte {i} differs");
        }
        assert!(!m(long, &long[..long.len() - 1]));
        assert!(!m(&long[..long.len() - 1], long));
    }

    #[test]
    fn topic_name_rejects_empty_nul_and_wildcards_mqtt_4_7_3_1_and_3_3_2_2() {
        assert_eq!(TopicName::new(""), Err(TopicError::Empty));
        assert_eq!(TopicName::new("a\0b"), Err(TopicError::NullCharacter));
        assert_eq!(
            TopicName::new("a/+/b"),
            Err(TopicError::WildcardInTopicName)
        );
        assert_eq!(TopicName::new("a/#"), Err(TopicError::WildcardInTopicName));
        assert_eq!(
            TopicName::new("abcdefgh/ijklmno#"),
            Err(TopicError::WildcardInTopicName)
        );
        assert_eq!(TopicFilter::new(""), Err(TopicError::Empty));
        assert_eq!(TopicFilter::new("a/\0/#"), Err(TopicError::NullCharacter));
        assert_eq!(
            TopicFilter::new("abcdefgh/\0"),
            Err(TopicError::NullCharacter)
        );
    }

    #[test]
    fn topic_length_limit_is_65535_bytes_mqtt_4_7_3_3() {
        let max = "a".repeat(65_535);
        assert!(TopicName::new(&max).is_ok());
        assert!(TopicFilter::new(&max).is_ok());
        let over = "a".repeat(65_536);
        assert_eq!(TopicName::new(&over), Err(TopicError::TooLong));
        assert_eq!(TopicFilter::new(&over), Err(TopicError::TooLong));
    }

    #[test]
    fn word_and_byte_scans_agree_for_every_position_and_length() {
        let base = b"abcdefghijklmnopqrstuvwxyz0123456789/ABCDEFGH".to_vec();
        for len in 0..base.len() {
            for at in 0..len {
                for special in [0u8, b'+', b'#', b'/'] {
                    let mut bytes = base[..len].to_vec();
                    bytes[at] = special;
                    let bytewise = bytes.iter().any(|&b| is_nul_or_wildcard(b));
                    assert_eq!(has_nul_or_wildcard(&bytes), bytewise, "{bytes:?}");
                    let other = &base[..len];
                    assert_eq!(
                        common_prefix_len_words(&bytes, other),
                        common_prefix_len_bytes(&bytes, other),
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn plus_matches_an_empty_last_level() {
        assert!(m("sport/tennis/+", "sport/tennis/"));
        assert!(m("+/+/+", "//"));
        assert!(!m("+/+/+", "/"));
        assert!(!m("#", "$"));
        assert!(!m("+", "$"));
        assert!(m("$", "$"));
    }
}
