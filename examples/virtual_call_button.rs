//! A call-button box without hardware: type a table number (1 to 4) and press Enter, and it
//! publishes `{"table":N}` on `<id>/calls` with QoS 1, like a press on the Pico W's buttons.
//! Run `call_monitor` beside it to see the calls.
//!
//! ```sh
//! cargo run --example virtual_call_button -- --broker 127.0.0.1:1883
//! ```

mod common;

use std::time::Duration as StdDuration;

use common::{Args, connect, device_options, qos};
use embassy_futures::select::{Either, select};
use embassy_time::Duration;
use picomqtt::{Backoff, Error, Session};
use picomqtt_demo::{
    CALLS_QOS, Call, FIRST_TABLE, LAST_TABLE, STATUS_OFFLINE, STATUS_ONLINE, STATUS_QOS, Topics,
};
use tokio::io::AsyncBufReadExt;

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
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = device_options(&topics);
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    println!("type a table number ({FIRST_TABLE} to {LAST_TABLE}) and press Enter; Ctrl-D quits");
    loop {
        let mut client = match connect(&broker, &mut session, &options).await {
            Ok(client) => client,
            Err(e) => {
                println!("cannot connect: {e}; retrying");
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        let online = client.publish(
            topics.status(),
            STATUS_ONLINE.as_bytes(),
            qos(STATUS_QOS),
            true,
        );
        if let Err(e) = online.await {
            println!("connection lost: {e}");
            continue;
        }
        let result: Result<(), Error> = async {
            loop {
                match select(client.poll(), lines.next_line()).await {
                    Either::First(event) => {
                        event?;
                    }
                    Either::Second(Ok(Some(line))) => {
                        let Ok(table) = line.trim().parse::<u8>() else {
                            println!("not a table number: {line:?}");
                            continue;
                        };
                        let mut json = [0u8; Call::MAX_ENCODED_LEN];
                        match (Call { table }).encode(&mut json) {
                            Ok(n) => {
                                client
                                    .publish(topics.calls(), &json[..n], qos(CALLS_QOS), false)
                                    .await?;
                                println!("called for table {table}");
                            }
                            Err(e) => println!("table {table}: {e}"),
                        }
                    }
                    // End of input: leave cleanly, so the broker does not publish the will.
                    Either::Second(_) => {
                        tokio::time::sleep(StdDuration::from_millis(100)).await;
                        return Ok(());
                    }
                }
            }
        }
        .await;
        match result {
            Ok(()) => {
                // A clean exit says so itself: the will is only for connections that break.
                let offline = STATUS_OFFLINE.as_bytes();
                let _ = client
                    .publish(topics.status(), offline, qos(STATUS_QOS), true)
                    .await;
                let _ = client.disconnect().await;
                return;
            }
            Err(e) => println!("connection lost: {e}; reconnecting"),
        }
        backoff.wait().await;
    }
}
