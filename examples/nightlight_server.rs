//! The nightlight server of the tutorial: subscribes to `+/telemetry`, prints each reading, and
//! publishes `{"led_on":true}` to `<id>/commands` when the light is below 300 (false otherwise).
//!
//! ```sh
//! cargo run --example nightlight_server -- --broker 127.0.0.1:1883
//! ```

mod common;

use common::Args;

const USAGE: &str = "\
The nightlight server: <id>/telemetry in, {\"led_on\": light < 300} out on <id>/commands.

usage: cargo run --example nightlight_server -- [options]
  --broker HOST:PORT  MQTT broker (default 127.0.0.1:1883)
  --id ID             client id of the server (default nightlight-server)";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse(USAGE, &["broker", "id"], &[]);
    let broker = args.get("broker").unwrap_or("127.0.0.1:1883");
    let id = args.get("id").unwrap_or("nightlight-server");
    tokio::select! {
        result = common::run_server(broker, id, None) => eprintln!("{result:?}"),
        _ = tokio::signal::ctrl_c() => {}
    }
}
