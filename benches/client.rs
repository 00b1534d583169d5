//! The client's own cost per message over an in-memory transport that is always ready: what
//! picomqtt adds on top of the network, for QoS 0 publish, QoS 1 publish + PUBACK, and receive +
//! PUBACK. `memcpy` of the same payload is the physical-limit reference.

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use embassy_futures::block_on;
use picomqtt::{Client, ConnectOptions, Event, QoS, Session};

/// A broker stand-in that answers at once: CONNACK to CONNECT, PUBACK to each QoS 1 PUBLISH,
/// and in `feed` mode an endless stream of QoS 1 PUBLISH packets.
struct Loopback {
    incoming: VecDeque<u8>,
    feed: Option<Vec<u8>>,
    next_id: u16,
}

impl Loopback {
    fn new(feed: Option<Vec<u8>>) -> Self {
        Loopback {
            incoming: VecDeque::new(),
            feed,
            next_id: 1,
        }
    }
}

impl embedded_io_async::ErrorType for Loopback {
    type Error = embedded_io_async::ErrorKind;
}

impl embedded_io_async::Read for Loopback {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.incoming.is_empty()
            && let Some(packet) = &self.feed
        {
            // A QoS 1 PUBLISH with a fresh packet identifier at bytes 12..14 (topic "bench/in").
            let mut packet = packet.clone();
            packet[12..14].copy_from_slice(&self.next_id.to_be_bytes());
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            self.incoming.extend(packet);
        }
        let n = buf.len().min(self.incoming.len());
        for (dst, src) in buf.iter_mut().zip(self.incoming.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl embedded_io_async::Write for Loopback {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        match buf.first().map(|b| b >> 4) {
            Some(1) => self.incoming.extend([0x20, 2, 0, 0]),
            // QoS 1 PUBLISH: its packet identifier follows the topic.
            Some(3) if buf[0] & 0b0110 == 0b0010 => {
                let at = 2 + 2 + usize::from(u16::from_be_bytes([buf[2], buf[3]]));
                self.incoming.extend([0x40, 2, buf[at], buf[at + 1]]);
            }
            _ => {}
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn bench_client(c: &mut Criterion) {
    let payload = br#"{"light":412}"#;
    let mut group = c.benchmark_group("client");
    group.throughput(Throughput::Elements(1));

    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let options = ConnectOptions::new("bench");
    let mut client =
        block_on(Client::connect(&mut session, Loopback::new(None), &options)).unwrap();
    group.bench_function("publish QoS 0 (13 B)", |b| {
        b.iter(|| {
            block_on(client.publish("bench/out", black_box(payload), QoS::AtMostOnce, false))
                .unwrap()
        })
    });
    group.bench_function("publish QoS 1 + PUBACK (13 B)", |b| {
        b.iter(|| {
            block_on(async {
                client
                    .publish("bench/out", black_box(payload), QoS::AtLeastOnce, false)
                    .await?;
                match client.poll().await? {
                    Event::Published(id) => Ok(id),
                    _ => Err(picomqtt::Error::NotConnected),
                }
            })
            .unwrap()
        })
    });
    drop(client);

    let mut publish = vec![0x32, 2 + 8 + 2 + payload.len() as u8, 0, 8];
    publish.extend_from_slice(b"bench/in");
    publish.extend([0, 0]);
    publish.extend_from_slice(payload);
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut session = Session::new(&mut rx, &mut tx);
    let transport = Loopback::new(Some(publish));
    let mut client = block_on(Client::connect(&mut session, transport, &options)).unwrap();
    group.bench_function("receive QoS 1 + PUBACK (13 B)", |b| {
        b.iter(|| {
            block_on(async {
                match client.poll().await? {
                    Event::Message(m) => Ok(black_box(m.payload.len())),
                    _ => Err(picomqtt::Error::NotConnected),
                }
            })
            .unwrap()
        })
    });
    let mut copy = [0u8; 13];
    group.bench_function("memcpy (13 B)", |b| {
        b.iter(|| copy.copy_from_slice(black_box(payload)))
    });
    group.finish();
}

criterion_group!(benches, bench_client);
criterion_main!(benches);
