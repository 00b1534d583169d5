//! The whole nightlight system on one PC, in one process: an MQTT broker (rumqttd, in-process on
//! 127.0.0.1), the nightlight server, and a virtual nightlight whose light sensor follows a
//! scripted day and night. Telemetry goes out, the server's command comes back, and the LED is
//! on in the dark and off in the light.
//!
//! ```sh
//! cargo run --example nightlight                         # until Ctrl-C
//! cargo run --example nightlight -- --cycles 12          # 12 round trips, then exit
//! cargo run --example nightlight -- --broker 127.0.0.1:1883   # use a running broker instead
//! ```

mod common;

use std::time::Duration;

use common::{Args, DeviceReport, LightSource, follows_rule, run_server, run_virtual_nightlight};
use picomqtt_demo::{LIGHT_THRESHOLD, Topics};
use tokio::sync::{Notify, mpsc};

const USAGE: &str = "\
Runs the nightlight system on this PC: broker, nightlight server and a virtual nightlight.

usage: cargo run --example nightlight -- [options]
  --broker HOST:PORT  use this MQTT broker instead of starting one in-process
  --id ID             device id of the virtual nightlight (default nightlight-1)
  --interval SECONDS  seconds between readings (default 1: a time-lapse of the 5 s device)
  --day SECONDS       length of the simulated day and night (default 20)
  --cycles N          stop after N round trips (reading out, command back); default: run
                      until Ctrl-C. Exits with status 1 if the LED ever disobeyed the rule.";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse(USAGE, &["broker", "id", "interval", "day", "cycles"], &[]);
    let interval = Duration::from_secs(args.number("interval", 1, USAGE).max(1));
    let day = args.number("day", 20, USAGE).clamp(1, u64::from(u32::MAX)) as u32;
    let cycles = args.get("cycles").map(|_| args.number("cycles", 0, USAGE));
    let topics = match Topics::new(args.get("id").unwrap_or("nightlight-1")) {
        Ok(topics) => topics,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let broker = match args.get("broker") {
        Some(broker) => broker.to_string(),
        None => {
            let addr = common::start_local_broker();
            println!("MQTT broker (rumqttd, in-process) listening on {addr}");
            addr.to_string()
        }
    };
    println!(
        "device {} sends {{\"light\":N}} every {}s; the server answers {{\"led_on\":true}} below {}",
        topics.device_id(),
        interval.as_secs(),
        LIGHT_THRESHOLD
    );

    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    // The device starts once the server's subscription is in place, so that the first reading
    // already gets its answer.
    let server_subscribed = Notify::new();
    let server = run_server(&broker, "nightlight-server", Some(&server_subscribed));
    let device = async {
        server_subscribed.notified().await;
        run_virtual_nightlight(
            &broker,
            &topics,
            interval,
            LightSource::Curve { day },
            reports_tx,
        )
        .await
    };
    let watch = async {
        let (mut done, mut wrong, mut light) = (0u64, 0u64, None);
        loop {
            let report = tokio::select! {
                report = reports.recv() => report,
                _ = tokio::signal::ctrl_c() => None,
            };
            match report {
                Some(DeviceReport::Telemetry { light: level }) => {
                    light = Some(level);
                    println!(
                        "[device {}] light {level:4} -> telemetry",
                        topics.device_id()
                    );
                }
                Some(DeviceReport::Led { on }) => {
                    let ok = light.is_some_and(|l| follows_rule(l, on));
                    let state = if on { "ON  (dark)" } else { "off (light)" };
                    println!("[device {}] LED {state}", topics.device_id());
                    if !ok {
                        wrong += 1;
                        println!("  ^ does not follow the rule for the last reading");
                    }
                    done += 1;
                    if cycles.is_some_and(|n| done >= n) {
                        break;
                    }
                }
                None => break,
            }
        }
        reports.close();
        (done, wrong)
    };
    let (done, wrong) = tokio::select! {
        result = watch => result,
        _ = device => (0, 0),
        error = server => {
            eprintln!("server stopped: {error:?}");
            std::process::exit(1);
        }
    };
    println!("{done} round trips, {wrong} where the LED disobeyed the rule");
    if wrong > 0 || cycles.is_some_and(|n| done < n) {
        std::process::exit(1);
    }
}
