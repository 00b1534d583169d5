//! Decodes the input as a stream of packets. Nothing may panic, and every packet that decodes
//! must survive encode -> decode unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picomqtt::packet::{Decoded, decode};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let mut buf = vec![0u8; data.len() + 8];
    while let Ok(Decoded::Complete { packet, len }) = decode(rest) {
        assert!(len <= rest.len());
        let encoded_len = packet
            .encoded_len()
            .expect("a decoded packet can be encoded");
        // A decoded packet is never longer re-encoded (the input may have used a longer
        // remaining-length encoding than needed).
        assert!(encoded_len <= len);
        let n = packet
            .encode(&mut buf)
            .expect("a decoded packet can be encoded");
        assert_eq!(n, encoded_len);
        match decode(&buf[..n]) {
            Ok(Decoded::Complete {
                packet: again,
                len: again_len,
            }) => {
                assert_eq!(again, packet);
                assert_eq!(again_len, n);
            }
            other => panic!("re-encoded {packet:?} decodes as {other:?}"),
        }
        rest = &rest[len..];
    }
});
