//! The nightlight device without hardware: a simulated light sensor (a scripted day/night curve,
//! or levels typed on standard input) publishes telemetry; commands from the server switch a
//! virtual LED, which is printed.
//!
//! ```sh
//! cargo run --example virtual_nightlight -- --broker 127.0.0.1:1883
//! cargo run --example virtual_nightlight -- --broker 127.0.0.1:1883 --stdin   # type levels
//! ```

mod common;

use std::time::Duration;

use common::{Args, DeviceReport, LightSource, run_virtual_nightlight};
use picomqtt_demo::{TELEMETRY_INTERVAL_SECS, Topics};
use tokio::sync::mpsc;

const USAGE: &str = "\
A virtual nightlight: simulated light sensor -> <id>/telemetry, <id>/commands -> LED.

usage: cargo run --example virtual_nightlight -- [options]
  --broker HOST:PORT  MQTT broker (default 127.0.0.1:1883)
  --id ID             device id (default nightlight-1)
  --interval SECONDS  seconds between readings (default 5)
  --day SECONDS       length of the simulated day and night (default 120)
  --stdin             read light levels (0..=1023) typed on standard input instead";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse(USAGE, &["broker", "id", "interval", "day"], &["stdin"]);
    let broker = args.get("broker").unwrap_or("127.0.0.1:1883").to_string();
    let interval = args
        .number("interval", u64::from(TELEMETRY_INTERVAL_SECS), USAGE)
        .max(1);
    let day = args.number("day", 120, USAGE).clamp(1, u64::from(u32::MAX)) as u32;
    let topics = Topics::new(args.get("id").unwrap_or("nightlight-1")).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let source = if args.flag("stdin") {
        println!("type a light level (0 = dark .. 1023 = bright) and press Enter");
        LightSource::Typed(common::typed_levels())
    } else {
        LightSource::Curve { day }
    };
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let device = run_virtual_nightlight(
        &broker,
        &topics,
        Duration::from_secs(interval),
        source,
        reports_tx,
    );
    let print = async {
        while let Some(report) = reports.recv().await {
            match report {
                DeviceReport::Telemetry { light } => println!("telemetry: light {light}"),
                DeviceReport::Led { on } => println!("LED {}", if on { "ON" } else { "off" }),
            }
        }
    };
    tokio::select! {
        _ = device => {}
        _ = print => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
