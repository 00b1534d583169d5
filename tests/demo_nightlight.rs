//! The PC nightlight system end to end, as `cargo run --example nightlight` runs it: rumqttd in
//! process, the nightlight server, and the virtual nightlight, here fed scripted light levels.

#[path = "../examples/common/mod.rs"]
mod common;

use std::time::Duration;

use common::{DeviceReport, LightSource, run_server, run_virtual_nightlight, start_local_broker};
use picomqtt_demo::Topics;
use tokio::sync::mpsc;

#[tokio::test]
async fn the_led_is_on_in_the_dark_and_off_in_the_light() {
    let broker = start_local_broker().to_string();
    let topics = Topics::new("nightlight-test").unwrap();
    let (levels_tx, levels) = mpsc::unbounded_channel();
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let server = run_server(&broker, "nightlight-server-test");
    let device = run_virtual_nightlight(
        &broker,
        &topics,
        Duration::from_secs(3600),
        LightSource::Typed(levels),
        reports_tx,
    );
    let script = async {
        // The server may not have subscribed yet when the first reading goes out (QoS 0 is
        // not stored): repeat a dark reading until its command comes back.
        let mut warmed_up = false;
        for _ in 0..50 {
            levels_tx.send(120).unwrap();
            while let Ok(Some(report)) =
                tokio::time::timeout(Duration::from_millis(200), reports.recv()).await
            {
                warmed_up |= report == DeviceReport::Led { on: true };
            }
            if warmed_up {
                break;
            }
        }
        assert!(warmed_up, "no command came back within 10 s");
        let mut seen = Vec::new();
        // Bright, just below and at the threshold (300: off), pitch dark.
        for level in [800, 299, 300, 0] {
            levels_tx.send(level).unwrap();
            // Each reading goes out, and its command comes back before the next one.
            for _ in 0..2 {
                let report = tokio::time::timeout(Duration::from_secs(5), reports.recv())
                    .await
                    .expect("no report within 5 s")
                    .expect("the device stopped");
                seen.push(report);
            }
        }
        reports.close();
        seen
    };
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::select! {
            seen = script => seen,
            _ = device => panic!("the device stopped"),
            error = server => panic!("the server stopped: {error:?}"),
        }
    })
    .await
    .expect("the demo took longer than 30 s");
    use DeviceReport::*;
    assert_eq!(
        seen,
        [
            Telemetry { light: 800 },
            Led { on: false },
            Telemetry { light: 299 },
            Led { on: true },
            Telemetry { light: 300 },
            Led { on: false },
            Telemetry { light: 0 },
            Led { on: true },
        ]
    );
}
