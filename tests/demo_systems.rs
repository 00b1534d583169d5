//! The demo systems end to end, as the PC examples run them, against Eclipse Mosquitto and the
//! in-process broker (rumqttd): the nightlight's LED follows the server's rule, the call monitor
//! sees every press exactly once, and a device survives its broker being killed.

#[path = "../examples/common/mod.rs"]
mod common;
mod support;

use std::time::Duration;

use common::{
    DeviceReport, LightSource, MonitorReport, run_call_monitor, run_server,
    run_virtual_call_button, run_virtual_nightlight,
};
use embassy_futures::join::join;
use picomqtt::QoS;
use picomqtt_demo::Topics;
use support::{Mosquitto, Observer, TestBroker, on_both_brokers};
use tokio::sync::mpsc;

/// How long to wait for something that must happen.
const WAIT: Duration = Duration::from_secs(5);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(500);

/// The next report within [`WAIT`], or a failure naming what was awaited.
async fn next<T>(reports: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, reports.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
        .unwrap_or_else(|| panic!("the reporter stopped before {what}"))
}

/// Feeds `level` every 200 ms until the device reports the LED `on`, at most 50 times: the
/// first readings can go out before the server has subscribed (QoS 0 is not stored), or while
/// the device or the server is reconnecting.
async fn until_led(
    levels: &mpsc::UnboundedSender<u16>,
    reports: &mut mpsc::UnboundedReceiver<DeviceReport>,
    level: u16,
    on: bool,
) {
    for _ in 0..50 {
        levels.send(level).unwrap();
        while let Ok(Some(report)) =
            tokio::time::timeout(Duration::from_millis(200), reports.recv()).await
        {
            if report == (DeviceReport::Led { on }) {
                return;
            }
        }
    }
    panic!("the LED never turned {}", if on { "on" } else { "off" });
}

async fn nightlight_led_is_on_below_300_and_off_from_300(broker: &dyn TestBroker) {
    let addr = broker.addr().to_string();
    let topics = Topics::new("nightlight-test").unwrap();
    let (levels_tx, levels) = mpsc::unbounded_channel();
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let server = run_server(&addr, "nightlight-server-test", None);
    let device = run_virtual_nightlight(
        &addr,
        &topics,
        Duration::from_secs(3600),
        LightSource::Typed(levels),
        reports_tx,
    );
    let script = async {
        until_led(&levels_tx, &mut reports, 120, true).await;
        let mut seen = Vec::new();
        // Bright, just below and at the threshold (300: off), pitch dark.
        for level in [800, 299, 300, 0] {
            levels_tx.send(level).unwrap();
            // Each reading goes out, and its command comes back before the next one.
            seen.push(next(&mut reports, "telemetry").await);
            seen.push(next(&mut reports, "an LED command").await);
        }
        reports.close();
        seen
    };
    let seen = tokio::select! {
        seen = script => seen,
        () = device => panic!("the device stopped"),
        error = server => panic!("the server stopped: {error:?}"),
    };
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
        ],
        "{}",
        broker.name()
    );
}
on_both_brokers!(
    nightlight_led_is_on_below_300_and_off_from_300,
    limit_secs = 30
);

async fn call_monitor_sees_every_press_exactly_once(broker: &dyn TestBroker) {
    let addr = broker.addr().to_string();
    let topics = Topics::new("callbox-test").unwrap();
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let monitor = run_call_monitor(&addr, "call-monitor-test", Some(reports_tx));
    let (presses, pressed) = mpsc::unbounded_channel();
    let device = run_virtual_call_button(&addr, &topics, pressed);
    // 40 presses in a burst, every table, repeats included.
    let pressed_tables: Vec<u8> = (0..40).map(|i| [1, 2, 3, 4, 3, 3, 1][i % 7]).collect();
    let script = async {
        while next(&mut reports, "the SUBACK").await != MonitorReport::Watching {}
        for &table in &pressed_tables {
            presses.send(table).unwrap();
        }
        let mut calls = Vec::new();
        let mut online = false;
        while calls.len() < pressed_tables.len() {
            match next(&mut reports, "a call").await {
                MonitorReport::Call { device, table } => {
                    assert_eq!(device, "callbox-test");
                    calls.push(table);
                }
                MonitorReport::Presence { online: true, .. } => online = true,
                _ => {}
            }
        }
        // No call twice: nothing more arrives.
        if let Ok(Some(MonitorReport::Call { table, .. })) =
            tokio::time::timeout(QUIET, reports.recv()).await
        {
            panic!("a call for table {table} arrived twice");
        }
        assert!(online, "the box never said it was online");
        // The box leaves cleanly: the monitor sees it go offline.
        drop(presses);
        loop {
            if let MonitorReport::Presence {
                device,
                online: false,
                ..
            } = next(&mut reports, "offline").await
            {
                assert_eq!(device, "callbox-test");
                break;
            }
        }
        calls
    };
    let calls = tokio::select! {
        (calls, ()) = join(script, device) => calls,
        error = monitor => panic!("the monitor stopped: {error:?}"),
    };
    assert_eq!(calls, pressed_tables, "{}", broker.name());
}
on_both_brokers!(call_monitor_sees_every_press_exactly_once, limit_secs = 30);

#[test]
fn nightlight_reconnects_and_resumes_telemetry_after_the_broker_is_killed() {
    let Some(mut broker) = Mosquitto::start_default() else {
        return;
    };
    let addr = broker.addr().to_string();
    let port = broker.port();
    support::run_test("nightlight_reconnects_after_kill", 40, async {
        let topics = Topics::new("nightlight-kill").unwrap();
        let (levels_tx, levels) = mpsc::unbounded_channel();
        let (reports_tx, mut reports) = mpsc::unbounded_channel();
        let server = run_server(&addr, "nightlight-server-kill", None);
        let device = run_virtual_nightlight(
            &addr,
            &topics,
            Duration::from_secs(3600),
            LightSource::Typed(levels),
            reports_tx,
        );
        let script = async {
            until_led(&levels_tx, &mut reports, 100, true).await;
            broker.kill();
            broker.restart();
            // Telemetry reaches the restarted broker, and the server's answer reaches the
            // device again: both sides reconnected.
            let mut observer = Observer::connect(port, "nightlight-kill-observer").await;
            observer
                .subscribe(topics.telemetry(), QoS::AtMostOnce)
                .await;
            until_led(&levels_tx, &mut reports, 900, false).await;
            let mut seen_by_broker = Vec::new();
            for _ in 0..20 {
                levels_tx.send(901).unwrap();
                if let Some(publish) = observer.recv_publish(Duration::from_millis(250)).await {
                    seen_by_broker.push(publish.payload_str());
                    if seen_by_broker.last().unwrap() == r#"{"light":901}"# {
                        break;
                    }
                }
            }
            assert_eq!(
                seen_by_broker.last().map(String::as_str),
                Some(r#"{"light":901}"#),
                "telemetry after the restart: {seen_by_broker:?}"
            );
            until_led(&levels_tx, &mut reports, 50, true).await;
            reports.close();
        };
        tokio::select! {
            () = script => {}
            () = device => panic!("the device stopped"),
            error = server => panic!("the server stopped: {error:?}"),
        }
    });
}

#[test]
fn call_box_without_a_broker_leaves_once_input_ends_and_no_call_is_owed() {
    // A port nobody listens on: every connect is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    support::run_test("call_box_leaves_without_broker", 20, async {
        let topics = Topics::new("callbox-offline").unwrap();
        let (presses, pressed) = mpsc::unbounded_channel::<u8>();
        drop(presses);
        // Returning at all is the assertion: the run_test limit fails a box that retries on.
        run_virtual_call_button(&addr, &topics, pressed).await;
    });
}
