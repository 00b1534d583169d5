//! What the PC programs share: command-line options, the broker connection over tokio, an
//! in-process broker, and the three roles of the demo systems (virtual nightlight, nightlight
//! server, call monitor). The application logic itself (message types, the light rule,
//! debouncing) is the `picomqtt-demo` crate, the same code the Pico W firmware runs.
#![allow(dead_code)] // Each example uses part of this module.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream as StdTcpStream};
use std::time::Duration as StdDuration;

use embassy_futures::select::{Either, select};
use embassy_time::Duration;
use embedded_io_adapters::tokio_1::FromTokio;
use picomqtt::packet::Will;
use picomqtt::{Backoff, Client, ConnectOptions, Error, Event, QoS, Session, TopicName};
use picomqtt_demo::{
    CALLS_QOS, COMMANDS_QOS, Call, Command, Nightlight, Reaction, STATUS_OFFLINE, STATUS_ONLINE,
    STATUS_QOS, STATUS_RETAIN, TELEMETRY_QOS, Telemetry, Topics, led_should_be_on, simulated_light,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

/// The transport every PC program uses: a tokio socket through `embedded-io-adapters`.
pub type Transport = FromTokio<TcpStream>;

/// Command-line options: `--name value` pairs and `--flag`s, nothing more.
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    /// Parses the process arguments; `usage` is printed for `--help` and for unknown options.
    pub fn parse(usage: &str, valued: &[&str], flags: &[&str]) -> Args {
        let mut args = Args {
            values: HashMap::new(),
            flags: Vec::new(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let name = arg.trim_start_matches("--");
            if arg == "--help" || arg == "-h" {
                println!("{usage}");
                std::process::exit(0);
            } else if valued.contains(&name) && arg.starts_with("--") {
                match it.next() {
                    Some(value) => {
                        args.values.insert(name.to_string(), value);
                    }
                    None => fail(usage, &format!("{arg} needs a value")),
                }
            } else if flags.contains(&name) && arg.starts_with("--") {
                args.flags.push(name.to_string());
            } else {
                fail(usage, &format!("unknown argument {arg}"));
            }
        }
        args
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// A numeric option, or `default`; exits with the usage on a bad number.
    pub fn number(&self, name: &str, default: u64, usage: &str) -> u64 {
        match self.get(name) {
            None => default,
            Some(text) => text
                .parse()
                .unwrap_or_else(|_| fail(usage, &format!("--{name} expects a whole number"))),
        }
    }
}

fn fail(usage: &str, message: &str) -> ! {
    eprintln!("error: {message}\n\n{usage}");
    std::process::exit(2);
}

/// Starts an MQTT 3.1.1 broker (rumqttd) inside this process on a free 127.0.0.1 port and
/// returns its address once it accepts connections. It runs until the process exits.
pub fn start_local_broker() -> SocketAddr {
    // Take a free port from the OS, then hand it to the broker (rumqttd cannot report the
    // port it bound to).
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut broker = rumqttd::Broker::new(broker_config(addr));
    std::thread::spawn(move || {
        if let Err(e) = broker.start() {
            eprintln!("broker stopped: {e}");
        }
    });
    for _ in 0..500 {
        if StdTcpStream::connect(addr).is_ok() {
            return addr;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("the in-process broker did not start listening on {addr}");
}

fn broker_config(listen: SocketAddr) -> rumqttd::Config {
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 5000,
        max_payload_size: 20 * 1024,
        max_inflight_count: 100,
        auth: None,
        external_auth: None,
        // Needed so that a PUBLISH to a topic nobody subscribed to yet is accepted.
        dynamic_filters: true,
    };
    let server = rumqttd::ServerSettings {
        name: "picomqtt-demo".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 64,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("demo".to_string(), server)])),
        ..Default::default()
    }
}

/// Opens a TCP connection to `broker` ("host:port") and connects the MQTT session over it.
pub async fn connect<'s, 'b>(
    broker: &str,
    session: &'s mut Session<'b>,
    options: &ConnectOptions<'_>,
) -> Result<Client<'s, 'b, Transport>, String> {
    let stream = tokio::time::timeout(StdDuration::from_secs(10), TcpStream::connect(broker))
        .await
        .map_err(|_| format!("{broker}: TCP connect timed out"))?
        .map_err(|e| format!("{broker}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Client::connect(session, FromTokio::new(stream), options)
        .await
        .map_err(|e| format!("{broker}: {e}"))
}

/// The CONNECT options of a device: presence will on `<id>/status`, a persistent session.
pub fn device_options<'a>(topics: &'a Topics) -> ConnectOptions<'a> {
    ConnectOptions {
        clean_session: false,
        keep_alive: 30,
        will: Some(Will {
            topic: TopicName::new(topics.status()).expect("valid by Topics"),
            payload: STATUS_OFFLINE.as_bytes(),
            qos: qos(STATUS_QOS),
            retain: STATUS_RETAIN,
        }),
        ..ConnectOptions::new(topics.device_id())
    }
}

/// The contract's QoS numbers as picomqtt's QoS.
pub fn qos(level: u8) -> QoS {
    if level == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

/// Where the virtual nightlight's light readings come from.
pub enum LightSource {
    /// The scripted day/night curve of `simulated_light`, one "day" every `day` seconds.
    Curve { day: u32 },
    /// Levels typed on standard input, one per line (0 ..= 1023).
    Typed(mpsc::UnboundedReceiver<u16>),
}

/// What the virtual nightlight reports to the program that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceReport {
    /// A reading went out as telemetry.
    Telemetry { light: u16 },
    /// A command came back and the LED follows it.
    Led { on: bool },
}

/// The nightlight device without hardware: publishes telemetry every `interval`, obeys
/// commands, keeps the connection alive, and reconnects with backoff when it drops.
/// Returns when `reports` is closed by the receiver.
pub async fn run_virtual_nightlight(
    broker: &str,
    topics: &Topics,
    interval: StdDuration,
    mut source: LightSource,
    reports: mpsc::UnboundedSender<DeviceReport>,
) {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = device_options(topics);
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    let mut nightlight = Nightlight::new();
    let started = std::time::Instant::now();
    while !reports.is_closed() {
        let mut client = match connect(broker, &mut session, &options).await {
            Ok(client) => client,
            Err(e) => {
                println!(
                    "[device {}] cannot connect: {e}; retrying",
                    topics.device_id()
                );
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        let setup = async {
            client
                .publish(
                    topics.status(),
                    STATUS_ONLINE.as_bytes(),
                    qos(STATUS_QOS),
                    true,
                )
                .await?;
            if !client.session_present() {
                client
                    .subscribe(&[(topics.commands(), qos(COMMANDS_QOS))])
                    .await?;
            }
            Ok::<_, Error>(())
        };
        if let Err(e) = setup.await {
            println!("[device {}] connection lost: {e}", topics.device_id());
            continue;
        }
        let mut ticker = tokio::time::interval(interval);
        loop {
            let next_reading = async {
                match &mut source {
                    LightSource::Curve { day } => {
                        ticker.tick().await;
                        simulated_light(started.elapsed().as_secs() as u32, *day)
                    }
                    LightSource::Typed(levels) => match levels.recv().await {
                        Some(level) => level,
                        None => std::future::pending().await,
                    },
                }
            };
            match select(client.poll(), next_reading).await {
                Either::First(Ok(Event::Message(msg))) => {
                    match nightlight.handle_payload(msg.payload) {
                        Reaction::Led { on, .. } => {
                            let _ = reports.send(DeviceReport::Led { on });
                        }
                        Reaction::Ignored(e) => {
                            println!("[device {}] ignored a command: {e}", topics.device_id())
                        }
                    }
                }
                Either::First(Ok(_)) => {}
                Either::First(Err(e)) if !e.is_fatal() => {
                    println!("[device {}] {e}", topics.device_id())
                }
                Either::First(Err(e)) => {
                    println!(
                        "[device {}] connection lost: {e}; reconnecting",
                        topics.device_id()
                    );
                    break;
                }
                Either::Second(light) => {
                    let mut json = [0u8; Telemetry::MAX_ENCODED_LEN];
                    let Ok(n) = (Telemetry { light }).encode(&mut json) else {
                        continue;
                    };
                    let published = client
                        .publish(topics.telemetry(), &json[..n], qos(TELEMETRY_QOS), false)
                        .await;
                    if let Err(e) = published {
                        println!("[device {}] connection lost: {e}", topics.device_id());
                        break;
                    }
                    if reports.send(DeviceReport::Telemetry { light }).is_err() {
                        return go_offline(client, topics).await;
                    }
                }
            }
            if reports.is_closed() {
                return go_offline(client, topics).await;
            }
        }
        backoff.wait().await;
    }
}

/// A clean shutdown: say `offline` (retained) first, since the broker drops the will on
/// DISCONNECT.
async fn go_offline(mut client: Client<'_, '_, Transport>, topics: &Topics) {
    let offline = STATUS_OFFLINE.as_bytes();
    let _ = client
        .publish(topics.status(), offline, qos(STATUS_QOS), STATUS_RETAIN)
        .await;
    let _ = client.disconnect().await;
}

/// The nightlight server of the tutorial: subscribes to every device's telemetry, prints each
/// reading, and answers with `{"led_on": light < 300}` on that device's commands topic.
/// `subscribed` is notified each time the broker acknowledges the subscription.
pub async fn run_server(
    broker: &str,
    client_id: &str,
    subscribed: Option<&Notify>,
) -> Result<(), String> {
    run_reconnecting(broker, client_id, "[server] ", async |client| {
        serve(client, subscribed).await
    })
    .await
}

/// Connects a client that is not a device (clean session, keep alive 30 s) and runs `work` on
/// each connection until the connection fails, then reconnects with backoff, forever.
async fn run_reconnecting(
    broker: &str,
    client_id: &str,
    log_prefix: &str,
    mut work: impl AsyncFnMut(&mut Client<'_, '_, Transport>) -> Result<(), Error>,
) -> Result<(), String> {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions {
        keep_alive: 30,
        ..ConnectOptions::new(client_id)
    };
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        let mut client = match connect(broker, &mut session, &options).await {
            Ok(client) => client,
            Err(e) => {
                println!("{log_prefix}cannot connect: {e}; retrying");
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        if let Err(e) = work(&mut client).await {
            println!("{log_prefix}connection lost: {e}; reconnecting");
        }
        backoff.wait().await;
    }
}

async fn serve(
    client: &mut Client<'_, '_, Transport>,
    subscribed: Option<&Notify>,
) -> Result<(), Error> {
    client
        .subscribe(&[("+/telemetry", qos(TELEMETRY_QOS))])
        .await?;
    loop {
        let msg = match client.poll().await? {
            Event::Message(msg) => msg,
            Event::Subscribed(_) => {
                if let Some(subscribed) = subscribed {
                    subscribed.notify_one();
                }
                continue;
            }
            _ => continue,
        };
        let Some(device) = msg.topic.strip_suffix("/telemetry") else {
            continue;
        };
        let topics = match Topics::new(device) {
            Ok(topics) => topics,
            Err(e) => {
                println!("[server] ignoring {}: {e}", msg.topic);
                continue;
            }
        };
        let reading = match Telemetry::decode(msg.payload) {
            Ok(reading) => reading,
            Err(e) => {
                println!("[server] {device}: bad telemetry ({e})");
                continue;
            }
        };
        let command = Command::for_light(reading.light);
        let mut json = [0u8; Command::MAX_ENCODED_LEN];
        let Ok(n) = command.encode(&mut json) else {
            continue;
        };
        println!(
            "[server] {device}: light {:4} -> led_on {}",
            reading.light, command.led_on
        );
        client
            .publish(topics.commands(), &json[..n], qos(COMMANDS_QOS), false)
            .await?;
    }
}

/// What the call monitor saw, for a program (or test) that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorReport {
    /// The broker acknowledged the subscriptions: calls from now on are seen.
    Watching,
    /// A call for service from `device`.
    Call { device: String, table: u8 },
    /// `device` is online or offline (`retained`: the last known state, sent on subscribing).
    Presence {
        device: String,
        online: bool,
        retained: bool,
    },
}

/// The restaurant's call monitor: prints every call and every device's presence, and sends
/// what it saw to `reports` when given one.
pub async fn run_call_monitor(
    broker: &str,
    client_id: &str,
    reports: Option<mpsc::UnboundedSender<MonitorReport>>,
) -> Result<(), String> {
    run_reconnecting(broker, client_id, "", async |client| {
        monitor(client, reports.as_ref()).await
    })
    .await
}

async fn monitor(
    client: &mut Client<'_, '_, Transport>,
    reports: Option<&mpsc::UnboundedSender<MonitorReport>>,
) -> Result<(), Error> {
    let report = |r: MonitorReport| {
        if let Some(reports) = reports {
            let _ = reports.send(r);
        }
    };
    client
        .subscribe(&[("+/calls", qos(CALLS_QOS)), ("+/status", qos(STATUS_QOS))])
        .await?;
    loop {
        let msg = match client.poll().await? {
            Event::Message(msg) => msg,
            Event::Subscribed(_) => {
                println!("watching +/calls and +/status");
                report(MonitorReport::Watching);
                continue;
            }
            _ => continue,
        };
        if let Some(device) = msg.topic.strip_suffix("/calls") {
            match Call::decode(msg.payload) {
                Ok(call) => {
                    println!("table {} needs service ({device})", call.table);
                    report(MonitorReport::Call {
                        device: device.to_string(),
                        table: call.table,
                    });
                }
                Err(e) => println!("{device}: bad call message ({e})"),
            }
        } else if let Some(device) = msg.topic.strip_suffix("/status") {
            let state = String::from_utf8_lossy(msg.payload);
            let retained = if msg.retain { " (last known)" } else { "" };
            println!("{device} is {state}{retained}");
            report(MonitorReport::Presence {
                device: device.to_string(),
                online: msg.payload == STATUS_ONLINE.as_bytes(),
                retained: msg.retain,
            });
        }
    }
}

/// The call-button box without hardware: publishes `{"table":N}` on `<id>/calls` (QoS 1) for
/// every table number that arrives on `presses`, with the presence contract, reconnecting with
/// backoff when the connection breaks. When `presses` closes, it says `offline` and
/// disconnects cleanly.
pub async fn run_virtual_call_button(
    broker: &str,
    topics: &Topics,
    mut presses: mpsc::UnboundedReceiver<u8>,
) {
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = device_options(topics);
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    // A press taken from the channel but not yet handed to the client.
    let mut pending: Option<u8> = None;
    loop {
        let mut client = match connect(broker, &mut session, &options).await {
            Ok(client) => client,
            Err(e) => {
                // Input has ended and every call was delivered: nothing is left to send.
                if pending.is_none()
                    && presses.is_closed()
                    && presses.is_empty()
                    && session.in_flight() == 0
                {
                    println!(
                        "[callbox {}] cannot connect: {e}; no calls left to send, leaving",
                        topics.device_id()
                    );
                    return;
                }
                println!(
                    "[callbox {}] cannot connect: {e}; retrying",
                    topics.device_id()
                );
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        let result: Result<bool, Error> = async {
            client
                .publish(
                    topics.status(),
                    STATUS_ONLINE.as_bytes(),
                    qos(STATUS_QOS),
                    STATUS_RETAIN,
                )
                .await?;
            loop {
                if let Some(table) = pending {
                    let mut json = [0u8; Call::MAX_ENCODED_LEN];
                    match (Call { table }).encode(&mut json) {
                        Ok(n) => match client
                            .publish(topics.calls(), &json[..n], qos(CALLS_QOS), false)
                            .await
                        {
                            Ok(_) => {
                                println!(
                                    "[callbox {}] called for table {table}",
                                    topics.device_id()
                                );
                                pending = None;
                            }
                            // Too many calls await their PUBACK: poll below frees room.
                            Err(Error::InFlightFull) => {}
                            Err(e) => return Err(e),
                        },
                        Err(e) => {
                            println!("[callbox {}] table {table}: {e}", topics.device_id());
                            pending = None;
                        }
                    }
                }
                if pending.is_none() {
                    match select(client.poll(), presses.recv()).await {
                        Either::First(event) => {
                            event?;
                        }
                        Either::Second(Some(table)) => pending = Some(table),
                        // No more presses: leave cleanly once every call is acknowledged.
                        Either::Second(None) => return Ok(true),
                    }
                } else {
                    client.poll().await?;
                }
            }
        }
        .await;
        match result {
            Ok(_) => {
                while client.session().in_flight() > 0 {
                    if client.poll().await.is_err() {
                        break;
                    }
                }
                return go_offline(client, topics).await;
            }
            Err(e) => println!(
                "[callbox {}] connection lost: {e}; reconnecting",
                topics.device_id()
            ),
        }
        backoff.wait().await;
    }
}

/// Reads light levels typed on standard input, one per line, into a channel.
pub fn typed_levels() -> mpsc::UnboundedReceiver<u16> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match picomqtt_demo::parse_level(line.trim()) {
                Ok(level) => {
                    if tx.send(level).is_err() {
                        break;
                    }
                }
                Err(e) => eprintln!("{e}: type a light level from 0 to 1023"),
            }
        }
    });
    rx
}

/// Whether an LED state is what the server rule asks for this reading.
pub fn follows_rule(light: u16, led_on: bool) -> bool {
    led_should_be_on(light) == led_on
}
