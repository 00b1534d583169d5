//! Board bring-up shared by the two demo binaries (`nightlight`, `call_button`) on a
//! Raspberry Pi Pico W: build-time settings, the CYW43439 WiFi chip over PIO SPI, WiFi
//! join with retry, DHCP, DNS resolution of the broker and a TCP connection with a
//! timeout, and the MQTT settings both devices share. The application logic lives in the
//! `picomqtt-demo` crate (`../app`).

#![no_std]

use cyw43::{JoinOptions, PowerManagementMode};
use cyw43_pio::{DEFAULT_CLOCK_DIVIDER, PioSpi};
use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_net::dns::DnsQueryType;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Config, IpAddress, IpEndpoint, Stack, StackResources};
use embassy_rp::Peri;
use embassy_rp::clocks::RoscRng;
use embassy_rp::dma;
use embassy_rp::gpio::{Level, Output};
use embassy_rp::interrupt::typelevel::{Binding, DMA_IRQ_0, PIO0_IRQ_0};
use embassy_rp::peripherals::{DMA_CH0, PIN_23, PIN_24, PIN_25, PIN_29, PIO0};
use embassy_rp::pio::{self, Pio};
use embassy_time::{Duration, Timer, with_timeout};
use picomqtt::{Backoff, Client, ConnectOptions, QoS, Session, TopicName, Will};
use picomqtt_demo::{STATUS_OFFLINE, STATUS_ONLINE, STATUS_QOS, STATUS_RETAIN, Topics};
use static_cell::StaticCell;

pub mod config {
    //! Settings fixed at build time from environment variables, for example
    //! `WIFI_SSID=home WIFI_PASSWORD=secret cargo build --release`.
    //!
    //! rustc tracks the variables read with `option_env!`, so changing one rebuilds.
    //! The password ends up in plain text in the flash image.

    /// `value`, or `default` when the variable was not set.
    pub const fn env_or(value: Option<&'static str>, default: &'static str) -> &'static str {
        match value {
            Some(value) => value,
            None => default,
        }
    }

    /// Network name to join (`WIFI_SSID`).
    pub const WIFI_SSID: &str = env_or(option_env!("WIFI_SSID"), "picomqtt-demo");

    /// WPA2 passphrase (`WIFI_PASSWORD`); empty joins an open network.
    pub const WIFI_PASSWORD: &str = env_or(option_env!("WIFI_PASSWORD"), "");

    /// Broker host name or IPv4 address (`MQTT_HOST`).
    pub const MQTT_HOST: &str = env_or(option_env!("MQTT_HOST"), "test.mosquitto.org");

    /// Broker TCP port (`MQTT_PORT`); a value that is not a port number fails the build.
    pub const MQTT_PORT: u16 = match parse_port(env_or(option_env!("MQTT_PORT"), "1883")) {
        Some(port) => port,
        None => panic!("MQTT_PORT must be a number in 1..=65535"),
    };

    /// Parses a decimal TCP port (1..=65535) at compile time.
    pub const fn parse_port(text: &str) -> Option<u16> {
        let bytes = text.as_bytes();
        if bytes.is_empty() || bytes.len() > 5 {
            return None;
        }
        let mut value: u32 = 0;
        let mut i = 0;
        while i < bytes.len() {
            let digit = bytes[i];
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + (digit - b'0') as u32;
            i += 1;
        }
        if value == 0 || value > u16::MAX as u32 {
            return None;
        }
        Some(value as u16)
    }
}

/// How long one TCP connection attempt to the broker may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one DNS query may take.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest pause between two WiFi join attempts.
const MAX_JOIN_BACKOFF_SECS: u64 = 30;

/// The CYW43439's WiFi firmware and its country table (CLM), from the `cyw43-firmware`
/// crate; the board's NVRAM table is vendored in `cyw43-firmware/` (see its README).
static FIRMWARE: &cyw43::Aligned<cyw43::A4, [u8]> = &cyw43::Aligned(*cyw43_firmware::CYW43_43439A0);
static CLM: &cyw43::Aligned<cyw43::A4, [u8]> = &cyw43::Aligned(*cyw43_firmware::CYW43_43439A0_CLM);

type WifiSpi = cyw43::SpiBus<Output<'static>, PioSpi<'static, PIO0, 0>>;

#[embassy_executor::task]
async fn wifi_task(runner: cyw43::Runner<'static, WifiSpi>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, cyw43::NetDriver<'static>>) -> ! {
    runner.run().await
}

/// The Pico W pins and peripherals wired to (or used for) the CYW43439.
pub struct WifiPeripherals {
    /// WL_ON, GP23: powers the chip.
    pub power: Peri<'static, PIN_23>,
    /// SPI data in/out, GP24.
    pub dio: Peri<'static, PIN_24>,
    /// SPI chip select, GP25.
    pub cs: Peri<'static, PIN_25>,
    /// SPI clock, GP29.
    pub clk: Peri<'static, PIN_29>,
    /// The PIO block that runs the half-duplex SPI program.
    pub pio: Peri<'static, PIO0>,
    /// The DMA channel that feeds the PIO state machine.
    pub dma: Peri<'static, DMA_CH0>,
}

/// Why the broker could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum NetError {
    /// The DNS query failed or returned no IPv4 address.
    Dns,
    /// The DNS query took longer than [`DNS_TIMEOUT`].
    DnsTimeout,
    /// The broker refused or reset the connection, or the network is down.
    Connect,
    /// The TCP handshake took longer than [`CONNECT_TIMEOUT`].
    ConnectTimeout,
}

/// The running network: IP stack plus control of the WiFi chip (and its LED).
pub struct Network {
    /// The IP stack, for sockets.
    pub stack: Stack<'static>,
    /// Control of the CYW43439: joining, and its GPIO 0, the Pico W's on-board LED.
    pub control: cyw43::Control<'static>,
}

impl Network {
    /// Starts the WiFi chip and the IP stack, joins [`config::WIFI_SSID`] (retrying with
    /// backoff until it succeeds) and waits for a DHCP lease.
    ///
    /// `irqs` is the binary's `bind_interrupts!` struct; it must bind `PIO0_IRQ_0` and
    /// `DMA_IRQ_0`. Call this once: it spawns the two driver tasks.
    pub async fn start<I>(spawner: Spawner, wifi: WifiPeripherals, irqs: I) -> Self
    where
        I: Binding<PIO0_IRQ_0, pio::InterruptHandler<PIO0>>
            + Binding<DMA_IRQ_0, dma::InterruptHandler<DMA_CH0>>
            + Copy
            + 'static,
    {
        let nvram = cyw43::aligned_bytes!("../cyw43-firmware/nvram_rp2040.bin");

        let power = Output::new(wifi.power, Level::Low);
        let cs = Output::new(wifi.cs, Level::High);
        let mut pio = Pio::new(wifi.pio, irqs);
        let spi = PioSpi::new(
            &mut pio.common,
            pio.sm0,
            DEFAULT_CLOCK_DIVIDER,
            pio.irq0,
            cs,
            wifi.dio,
            wifi.clk,
            dma::Channel::new(wifi.dma, irqs),
        );

        static STATE: StaticCell<cyw43::State> = StaticCell::new();
        let (device, mut control, runner) =
            cyw43::new(STATE.init(cyw43::State::new()), power, spi, FIRMWARE, nvram).await;
        spawner.spawn(defmt::unwrap!(wifi_task(runner)));
        control.init(CLM).await;
        control
            .set_power_management(PowerManagementMode::PowerSave)
            .await;

        static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
        let seed = RoscRng.next_u64();
        let (stack, runner) = embassy_net::new(
            device,
            Config::dhcpv4(Default::default()),
            RESOURCES.init(StackResources::new()),
            seed,
        );
        spawner.spawn(defmt::unwrap!(net_task(runner)));

        let mut network = Self { stack, control };
        network.ensure_up().await;
        network
    }

    /// Joins the WiFi network again if the link was lost, then waits for an IPv4
    /// configuration. Retries forever, waiting 2, 4, 8, ... up to 30 s between attempts.
    pub async fn ensure_up(&mut self) {
        let mut backoff_secs = 2;
        while !self.stack.is_link_up() {
            let options = if config::WIFI_PASSWORD.is_empty() {
                JoinOptions::new_open()
            } else {
                JoinOptions::new(config::WIFI_PASSWORD.as_bytes())
            };
            info!("joining WiFi {=str}", config::WIFI_SSID);
            match self.control.join(config::WIFI_SSID, options).await {
                Ok(()) => {
                    self.stack.wait_link_up().await;
                }
                Err(error) => {
                    warn!("join failed ({}); retry in {} s", error, backoff_secs);
                    Timer::after_secs(backoff_secs).await;
                    backoff_secs = (backoff_secs * 2).min(MAX_JOIN_BACKOFF_SECS);
                }
            }
        }
        self.stack.wait_config_up().await;
        if let Some(ip) = self.stack.config_v4() {
            info!("network up: {}", ip.address);
        }
    }

    /// Resolves [`config::MQTT_HOST`] (an IPv4 literal needs no DNS server) and opens
    /// `socket` to it on [`config::MQTT_PORT`], each step bounded by a timeout.
    pub async fn connect_broker(&self, socket: &mut TcpSocket<'_>) -> Result<IpEndpoint, NetError> {
        let address = self.resolve(config::MQTT_HOST).await?;
        let endpoint = IpEndpoint::new(address, config::MQTT_PORT);
        info!("connecting to {=str} ({})", config::MQTT_HOST, endpoint);
        match with_timeout(CONNECT_TIMEOUT, socket.connect(endpoint)).await {
            Ok(Ok(())) => Ok(endpoint),
            Ok(Err(error)) => {
                warn!("TCP connect failed: {}", error);
                Err(NetError::Connect)
            }
            Err(_) => {
                socket.abort();
                Err(NetError::ConnectTimeout)
            }
        }
    }

    /// Connects `socket` to the broker and opens the MQTT connection of `session` over it
    /// (CONNECT, CONNACK). Logs why when it fails and returns `None`; abort the socket then.
    pub async fn open_mqtt<'s, 'b, 'a, 'k>(
        &self,
        socket: &'a mut TcpSocket<'k>,
        session: &'s mut Session<'b>,
        options: &ConnectOptions<'_>,
    ) -> Option<Client<'s, 'b, &'a mut TcpSocket<'k>>> {
        if let Err(error) = self.connect_broker(socket).await {
            warn!("broker unreachable: {}", error);
            return None;
        }
        match Client::connect(session, socket, options).await {
            Ok(client) => Some(client),
            Err(error) => {
                warn!("MQTT connect failed: {}", error);
                None
            }
        }
    }

    /// The first IPv4 address of `host`.
    pub async fn resolve(&self, host: &str) -> Result<IpAddress, NetError> {
        match with_timeout(DNS_TIMEOUT, self.stack.dns_query(host, DnsQueryType::A)).await {
            Ok(Ok(addresses)) => addresses.first().copied().ok_or(NetError::Dns),
            Ok(Err(error)) => {
                warn!("DNS query for {=str} failed: {}", host, error);
                Err(NetError::Dns)
            }
            Err(_) => Err(NetError::DnsTimeout),
        }
    }

    /// Switches the Pico W's on-board LED (wired to the CYW43439's GPIO 0).
    pub async fn set_onboard_led(&mut self, on: bool) {
        self.control.gpio_set(0, on).await;
    }
}

/// Keep alive interval: an idle device (a call box nobody presses for days) sends PINGREQ
/// this often, and a connection that stops answering is noticed within this plus
/// picomqtt's 10 s response timeout.
pub const KEEP_ALIVE_SECS: u16 = 60;

/// CONNECT options for a demo device: client id = device id, a persistent session (QoS 1
/// messages in flight survive a reconnect and are resent; the broker keeps the
/// subscriptions), and the will `<id>/status` = `offline` (retained), so a dashboard sees a
/// device that dropped off.
pub fn device_options(topics: &Topics) -> ConnectOptions<'_> {
    let will_topic = match TopicName::new(topics.status()) {
        Ok(topic) => topic,
        // `Topics::new` already checked the device id, so the status topic is valid.
        Err(_) => defmt::panic!("invalid status topic"),
    };
    ConnectOptions {
        clean_session: false,
        keep_alive: KEEP_ALIVE_SECS,
        will: Some(Will {
            topic: will_topic,
            payload: STATUS_OFFLINE.as_bytes(),
            qos: qos(STATUS_QOS),
            retain: STATUS_RETAIN,
        }),
        ..ConnectOptions::new(topics.device_id())
    }
}

/// The message contract's QoS numbers (0 or 1) as picomqtt's [`QoS`].
pub const fn qos(level: u8) -> QoS {
    if level == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

/// Reconnect pauses: 1, 2, 4, ... up to 30 s, each shortened by up to a quarter at random so
/// that devices restarted together (after a power cut) do not reconnect in lockstep.
pub fn reconnect_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
        .with_jitter(RoscRng.next_u64() as u32)
}

/// What a device does right after CONNACK: publishes `<id>/status` = `online` (retained)
/// and, when the broker has no session for it (first connection, or the broker lost it),
/// subscribes to `subscriptions`.
pub async fn announce_online<T>(
    client: &mut Client<'_, '_, T>,
    topics: &Topics,
    subscriptions: &[(&str, QoS)],
) -> Result<(), picomqtt::Error>
where
    T: embedded_io_async::Read + embedded_io_async::Write,
{
    client
        .publish(
            topics.status(),
            STATUS_ONLINE.as_bytes(),
            qos(STATUS_QOS),
            STATUS_RETAIN,
        )
        .await?;
    if !client.session_present() && !subscriptions.is_empty() {
        client.subscribe(subscriptions).await?;
    }
    info!(
        "MQTT connected as {=str} (session present: {=bool})",
        topics.device_id(),
        client.session_present()
    );
    Ok(())
}
