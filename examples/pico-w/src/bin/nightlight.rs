//! IoT nightlight: a light sensor on GP26 (ADC0) reports `{"light":N}` on
//! `<id>/telemetry` every 5 s; commands `{"led_on":bool}` from `<id>/commands` switch the
//! LED on GP15.
//!
//! The device keeps one persistent MQTT session across reconnects: a lost WiFi link, a
//! broker restart or a dead connection (noticed by the keep alive) ends in a reconnect with
//! backoff, and the broker keeps the commands subscription meanwhile.

#![no_std]
#![no_main]

use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_rp::adc::{self, Adc};
use embassy_rp::bind_interrupts;
use embassy_rp::dma;
use embassy_rp::gpio::{Level, Output, Pull};
use embassy_rp::peripherals::{DMA_CH0, PIO0};
use embassy_rp::pio;
use embassy_time::{Duration, Ticker};
use picomqtt::{Client, Event, Session};
use picomqtt_demo::{
    COMMANDS_QOS, Nightlight, Reaction, TELEMETRY_INTERVAL_SECS, TELEMETRY_QOS, Telemetry, Topics,
    adc_to_light, check_device_id,
};
use picomqtt_pico_w::config::env_or;
use picomqtt_pico_w::{
    Network, WifiPeripherals, announce_online, device_options, qos, reconnect_backoff,
};
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
    ADC_IRQ_FIFO => adc::InterruptHandler;
});

/// Device id (`DEVICE_ID`); the build fails if it cannot be a topic level.
const DEVICE_ID: &str = env_or(option_env!("DEVICE_ID"), "nightlight-1");
const _: () = assert!(
    check_device_id(DEVICE_ID).is_ok(),
    "DEVICE_ID must be 1..=32 bytes without '/', '+', '#', control characters or a leading '$'"
);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    let topics = match Topics::new(DEVICE_ID) {
        Ok(topics) => topics,
        Err(error) => defmt::panic!("{=str}", error.as_str()),
    };
    info!("nightlight {=str}", topics.device_id());

    // Application peripherals: LED on GP15 (through a resistor to GND), light sensor on
    // GP26 = ADC0 (photoresistor divider, brighter = higher voltage).
    let mut led = Output::new(p.PIN_15, Level::Low);
    let mut adc = Adc::new(p.ADC, Irqs, adc::Config::default());
    let mut sensor = adc::Channel::new_pin(p.PIN_26, Pull::None);
    let mut nightlight = Nightlight::new();

    let mut network = Network::start(
        spawner,
        WifiPeripherals {
            power: p.PIN_23,
            dio: p.PIN_24,
            cs: p.PIN_25,
            clk: p.PIN_29,
            pio: p.PIO0,
            dma: p.DMA_CH0,
        },
        Irqs,
    )
    .await;

    // TCP socket buffers, and picomqtt's: commands and acknowledgements are tiny, so 256 B
    // to receive is plenty; the TX buffer also holds QoS 1 messages until their PUBACK.
    let (mut tcp_rx, mut tcp_tx) = ([0u8; 1024], [0u8; 1024]);
    let (mut mqtt_rx, mut mqtt_tx) = ([0u8; 256], [0u8; 512]);
    // The session outlives each connection: it holds the subscriptions and the QoS 1
    // messages in flight.
    let mut session = Session::new(&mut mqtt_rx, &mut mqtt_tx);
    let options = device_options(&topics);
    let mut backoff = reconnect_backoff();
    let commands = [(topics.commands(), qos(COMMANDS_QOS))];
    let mut ticker = Ticker::every(Duration::from_secs(u64::from(TELEMETRY_INTERVAL_SECS)));
    loop {
        network.ensure_up().await;
        let mut socket = TcpSocket::new(network.stack, &mut tcp_rx, &mut tcp_tx);
        let Some(mut client) = network.open_mqtt(&mut socket, &mut session, &options).await else {
            socket.abort();
            backoff.wait().await;
            continue;
        };
        if let Err(error) = announce_online(&mut client, &topics, &commands).await {
            warn!("connection lost: {}", error);
        } else {
            backoff.reset();
            network.set_onboard_led(true).await;
            let error = run_connected(
                &mut client,
                &topics,
                &mut ticker,
                &mut nightlight,
                &mut led,
                &mut adc,
                &mut sensor,
            )
            .await;
            warn!("connection lost: {}", error);
            network.set_onboard_led(false).await;
        }
        socket.abort();
        backoff.wait().await;
    }
}

/// One connection's work: a reading every tick goes out as telemetry, and every command
/// that arrives switches the LED. Returns the fatal error that ended the connection.
async fn run_connected<T>(
    client: &mut Client<'_, '_, T>,
    topics: &Topics,
    ticker: &mut Ticker,
    nightlight: &mut Nightlight,
    led: &mut Output<'_>,
    adc: &mut Adc<'_, adc::Async>,
    sensor: &mut adc::Channel<'_>,
) -> picomqtt::Error
where
    T: embedded_io_async::Read + embedded_io_async::Write,
{
    loop {
        // `poll` is cancel-safe: when the ticker wins, nothing received is lost.
        match select(client.poll(), ticker.next()).await {
            Either::First(Ok(Event::Message(message))) => {
                if message.topic == topics.commands() {
                    apply_command(nightlight, led, message.payload);
                } else {
                    warn!("message on {=str} ignored", message.topic);
                }
            }
            Either::First(Ok(_)) => {}
            Either::First(Err(error)) if error.is_fatal() => return error,
            Either::First(Err(error)) => warn!("{}", error),
            Either::Second(()) => {
                let light = match adc.read(sensor).await {
                    Ok(raw) => adc_to_light(raw),
                    Err(error) => {
                        warn!("ADC read failed: {}", error);
                        continue;
                    }
                };
                let mut json = [0u8; Telemetry::MAX_ENCODED_LEN];
                let len = match (Telemetry { light }).encode(&mut json) {
                    Ok(len) => len,
                    Err(error) => {
                        warn!("telemetry not encoded: {=str}", error.as_str());
                        continue;
                    }
                };
                let telemetry = &json[..len];
                match client
                    .publish(topics.telemetry(), telemetry, qos(TELEMETRY_QOS), false)
                    .await
                {
                    Ok(_) => info!("{=str} {=[u8]:a}", topics.telemetry(), telemetry),
                    Err(error) if error.is_fatal() => return error,
                    Err(error) => warn!("telemetry not sent: {}", error),
                }
            }
        }
    }
}

/// Applies a payload received on `<id>/commands`; a bad one is logged and ignored.
fn apply_command(nightlight: &mut Nightlight, led: &mut Output<'_>, payload: &[u8]) {
    match nightlight.handle_payload(payload) {
        Reaction::Led { on, changed } => {
            led.set_level(Level::from(on));
            if changed {
                info!("LED {=str}", if on { "on" } else { "off" });
            }
        }
        Reaction::Ignored(error) => {
            warn!("command {=[u8]:a} ignored: {=str}", payload, error.as_str());
        }
    }
}
