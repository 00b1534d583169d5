//! Restaurant call box: four buttons on GP16..GP19 (tables 1..4, pressed = high, internal
//! pull-downs); each debounced press publishes `{"table":N}` on `<id>/calls` with QoS 1.
//!
//! A button task debounces the four buttons and queues each press; the MQTT loop publishes
//! the queue. Presses made while the connection is down wait in the queue (16 of them) and
//! go out after the reconnect; calls in flight when the connection dropped are resent by
//! the persistent session, so no press is lost to a broker restart. The keep alive keeps an
//! idle box connected (and notices a dead connection) however long nobody calls.

#![no_std]
#![no_main]

use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_rp::bind_interrupts;
use embassy_rp::dma;
use embassy_rp::gpio::{Input, Pull};
use embassy_rp::peripherals::{DMA_CH0, PIO0};
use embassy_rp::pio;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_time::Delay;
use picomqtt::{Client, Error, Event, Session};
use picomqtt_demo::{Buttons, CALLS_QOS, Call, DEFAULT_DEBOUNCE_MS, Topics, check_device_id};
use picomqtt_pico_w::config::env_or;
use picomqtt_pico_w::{
    Network, WifiPeripherals, announce_online, device_options, qos, reconnect_backoff,
};
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
});

/// Device id (`DEVICE_ID`); the build fails if it cannot be a topic level.
const DEVICE_ID: &str = env_or(option_env!("DEVICE_ID"), "callbox-1");
const _: () = assert!(
    check_device_id(DEVICE_ID).is_ok(),
    "DEVICE_ID must be 1..=32 bytes without '/', '+', '#', control characters or a leading '$'"
);

/// Presses (table numbers) from the button task to the MQTT loop.
static PRESSES: Channel<CriticalSectionRawMutex, u8, 16> = Channel::new();

type CallButtons = Buttons<Input<'static>, Delay>;

/// Waits for presses without busy polling (`Wait` on the pins) and queues them.
#[embassy_executor::task]
async fn button_task(mut buttons: CallButtons) -> ! {
    loop {
        let Ok(table) = buttons.next_press().await;
        info!("table {=u8} pressed", table);
        if PRESSES.try_send(table).is_err() {
            warn!("call queue full: press of table {=u8} dropped", table);
        }
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    let topics = match Topics::new(DEVICE_ID) {
        Ok(topics) => topics,
        Err(error) => defmt::panic!("{=str}", error.as_str()),
    };
    info!("call box {=str}", topics.device_id());

    // One button per table between 3V3 and the pin; the internal pull-down keeps the pin
    // low while the button is open.
    let pins = [
        Input::new(p.PIN_16, Pull::Down),
        Input::new(p.PIN_17, Pull::Down),
        Input::new(p.PIN_18, Pull::Down),
        Input::new(p.PIN_19, Pull::Down),
    ];
    let buttons = Buttons::new(pins, Delay).with_debounce_ms(DEFAULT_DEBOUNCE_MS);
    spawner.spawn(defmt::unwrap!(button_task(buttons)));

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

    // TCP socket buffers, and picomqtt's. The TX buffer holds each QoS 1 call until its
    // PUBACK: 512 B is room for about 20 calls in flight.
    let (mut tcp_rx, mut tcp_tx) = ([0u8; 1024], [0u8; 1024]);
    let (mut mqtt_rx, mut mqtt_tx) = ([0u8; 256], [0u8; 512]);
    // The session outlives each connection: it holds the calls in flight.
    let mut session = Session::new(&mut mqtt_rx, &mut mqtt_tx);
    let options = device_options(&topics);
    let mut backoff = reconnect_backoff();
    // A press taken from the queue but not yet accepted by the client.
    let mut pending: Option<u8> = None;
    loop {
        network.ensure_up().await;
        let mut socket = TcpSocket::new(network.stack, &mut tcp_rx, &mut tcp_tx);
        let Some(mut client) = network.open_mqtt(&mut socket, &mut session, &options).await else {
            socket.abort();
            backoff.wait().await;
            continue;
        };
        if let Err(error) = announce_online(&mut client, &topics, &[]).await {
            warn!("connection lost: {}", error);
        } else {
            backoff.reset();
            network.set_onboard_led(true).await;
            let error = run_connected(&mut client, &topics, &mut pending).await;
            warn!("connection lost: {}", error);
            network.set_onboard_led(false).await;
        }
        socket.abort();
        backoff.wait().await;
    }
}

/// One connection's work: publishes queued presses and answers the broker (PUBACKs, keep
/// alive). Returns the fatal error that ended the connection.
async fn run_connected<T>(
    client: &mut Client<'_, '_, T>,
    topics: &Topics,
    pending: &mut Option<u8>,
) -> Error
where
    T: embedded_io_async::Read + embedded_io_async::Write,
{
    loop {
        if let Some(table) = *pending {
            let mut json = [0u8; Call::MAX_ENCODED_LEN];
            match (Call { table }).encode(&mut json) {
                Ok(len) => match client
                    .publish(topics.calls(), &json[..len], qos(CALLS_QOS), false)
                    .await
                {
                    Ok(_) => {
                        info!("call from table {=u8} sent", table);
                        *pending = None;
                    }
                    // Too many calls waiting for their PUBACK: poll below frees space.
                    Err(Error::InFlightFull) => {}
                    Err(error) if error.is_fatal() => return error,
                    Err(error) => {
                        warn!("call from table {=u8} dropped: {}", table, error);
                        *pending = None;
                    }
                },
                Err(error) => {
                    warn!("call not encoded: {=str}", error.as_str());
                    *pending = None;
                }
            }
        }
        // Take the next press only when the last one was accepted. Both `poll` and
        // `Channel::receive` are cancel-safe, so whichever loses the race loses nothing.
        let event = if pending.is_none() {
            match select(client.poll(), PRESSES.receive()).await {
                Either::First(event) => event,
                Either::Second(table) => {
                    *pending = Some(table);
                    continue;
                }
            }
        } else {
            client.poll().await
        };
        match event {
            Ok(Event::Published(id)) => info!("broker acknowledged call {}", id),
            Ok(_) => {}
            Err(error) if error.is_fatal() => return error,
            Err(error) => warn!("{}", error),
        }
    }
}
