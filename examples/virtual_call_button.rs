//! A call-button box without hardware: type a table number (1 to 4) and press Enter, and it
//! publishes `{"table":N}` on `<id>/calls` with QoS 1, like a press on the Pico W's buttons.
//! Run `call_monitor` beside it to see the calls.
//!
//! ```sh
//! cargo run --example virtual_call_button -- --broker 127.0.0.1:1883
//! ```

mod common;

use common::{Args, run_virtual_call_button};
use picomqtt_demo::{FIRST_TABLE, LAST_TABLE, Topics};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

const USAGE: &str = "\
A virtual call-button box: type a table number and press Enter to call for service.

usage: cargo run --example virtual_call_button -- [options]
  --broker HOST:PORT  MQTT broker (default 127.0.0.1:1883)
  --id ID             device id (default callbox-1)";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse(USAGE, &["broker", "id"], &[]);
    let broker = args.get("broker").unwrap_or("127.0.0.1:1883").to_string();
    let topics = Topics::new(args.get("id").unwrap_or("callbox-1")).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    // Each line typed is a press; end of input (Ctrl-D) closes the channel and the box leaves
    // cleanly.
    let (presses, pressed) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match line.trim().parse::<u8>() {
                Ok(table) if (FIRST_TABLE..=LAST_TABLE).contains(&table) => {
                    if presses.send(table).is_err() {
                        break;
                    }
                }
                _ => println!("not a table number ({FIRST_TABLE} to {LAST_TABLE}): {line:?}"),
            }
        }
    });
    println!("type a table number ({FIRST_TABLE} to {LAST_TABLE}) and press Enter; Ctrl-D quits");
    tokio::select! {
        () = run_virtual_call_button(&broker, &topics, pressed) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
