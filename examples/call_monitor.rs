//! The restaurant's call monitor: subscribes to `+/calls` and `+/status` and prints
//! "table 3 needs service" for each button press, and which call boxes are online.
//!
//! ```sh
//! cargo run --example call_monitor -- --broker 127.0.0.1:1883
//! ```

mod common;

use common::Args;

const USAGE: &str = "\
The call monitor: prints every table's call (<id>/calls) and every box's presence (<id>/status).

usage: cargo run --example call_monitor -- [options]
  --broker HOST:PORT  MQTT broker (default 127.0.0.1:1883)
  --id ID             client id of the monitor (default call-monitor)";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse(USAGE, &["broker", "id"], &[]);
    let broker = args.get("broker").unwrap_or("127.0.0.1:1883");
    let id = args.get("id").unwrap_or("call-monitor");
    tokio::select! {
        result = common::run_call_monitor(broker, id, None) => eprintln!("{result:?}"),
        _ = tokio::signal::ctrl_c() => {}
    }
}
