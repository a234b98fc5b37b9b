//! A tiny UDP DNS responder that answers A queries from a fixed table, or every query with one
//! response code, or never.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::UdpSocket;

use super::{Background, MAX_ACCEPTS};

/// A DNS server on 127.0.0.1 (UDP) that knows only the names in its table.
///
/// A known name gets its A record (TTL 60) and an empty NOERROR for any other type; an
/// unknown name gets NXDOMAIN. Malformed packets and responses are ignored.
pub struct DnsServer {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    _task: Background,
}

const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u16 = 3;
/// The server failed (RFC 1035).
pub const RCODE_SERVFAIL: u16 = 2;
/// The server refuses to answer (RFC 1035).
pub const RCODE_REFUSED: u16 = 5;
/// No error; with no records, "the name exists but has no record of that type".
pub const RCODE_NOERROR: u16 = 0;

/// How the server answers.
enum Mode {
    /// A records from the table, NXDOMAIN for other names.
    Table(HashMap<String, Ipv4Addr>),
    /// Every query gets this response code and no records.
    Rcode(u16),
    /// Queries are counted and never answered.
    Silent,
}

impl DnsServer {
    /// Starts a responder for `table` (names are case-insensitive; a trailing dot is optional).
    pub async fn start(table: &[(&str, Ipv4Addr)]) -> DnsServer {
        let table: HashMap<String, Ipv4Addr> = table
            .iter()
            .map(|&(name, ip)| (normalize(name), ip))
            .collect();
        Self::with_mode(Mode::Table(table)).await
    }

    /// Starts a server that answers every query with `rcode` (e.g. [`RCODE_SERVFAIL`]) and no
    /// records.
    pub async fn answering(rcode: u16) -> DnsServer {
        Self::with_mode(Mode::Rcode(rcode)).await
    }

    /// Starts a server that receives queries and never answers them.
    pub async fn silent() -> DnsServer {
        Self::with_mode(Mode::Silent).await
    }

    async fn with_mode(mode: Mode) -> DnsServer {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("loopback can bind port 0");
        let addr = socket.local_addr().expect("a bound socket has an address");
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&queries);
        let task = Background::spawn(async move {
            let mut buf = [0u8; 1500];
            for _ in 0..MAX_ACCEPTS {
                let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Some(reply) = answer(&buf[..len], &mode) else {
                    continue;
                };
                counter.fetch_add(1, Ordering::Relaxed);
                if matches!(mode, Mode::Silent) {
                    continue;
                }
                let _ = socket.send_to(&reply, peer).await;
            }
        });
        DnsServer {
            addr,
            queries,
            _task: task,
        }
    }

    /// The UDP address to send queries to (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many well-formed queries the server received (and answered, unless silent).
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Builds the reply to one query: header, the question echoed, and at most one A record.
fn answer(packet: &[u8], mode: &Mode) -> Option<Vec<u8>> {
    let header = packet.get(..12)?;
    let id = &header[..2];
    let flags = u16::from_be_bytes([header[2], header[3]]);
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    let is_query = flags & 0x8000 == 0;
    let opcode = (flags >> 11) & 0xf;
    if !is_query || opcode != 0 || qdcount != 1 {
        return None;
    }
    let (name, question_end) = read_name(packet, 12)?;
    let fixed = packet.get(question_end..question_end + 4)?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
    let question = &packet[12..question_end + 4];

    let (record, rcode) = match mode {
        Mode::Table(table) => {
            let known = table.get(&name);
            let record = known.filter(|_| qtype == TYPE_A && qclass == CLASS_IN);
            (record, if known.is_some() { 0 } else { RCODE_NXDOMAIN })
        }
        Mode::Rcode(rcode) => (None, *rcode & 0xf),
        Mode::Silent => (None, 0),
    };
    // QR, the query's RD bit, RA, and the rcode.
    let reply_flags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode;

    let mut reply = Vec::with_capacity(question.len() + 32);
    reply.extend_from_slice(id);
    reply.extend_from_slice(&reply_flags.to_be_bytes());
    reply.extend_from_slice(&1u16.to_be_bytes());
    reply.extend_from_slice(&u16::from(record.is_some()).to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(question);
    if let Some(ip) = record {
        reply.extend_from_slice(&[0xc0, 0x0c]); // pointer to the question's name
        reply.extend_from_slice(&TYPE_A.to_be_bytes());
        reply.extend_from_slice(&CLASS_IN.to_be_bytes());
        reply.extend_from_slice(&60u32.to_be_bytes());
        reply.extend_from_slice(&4u16.to_be_bytes());
        reply.extend_from_slice(&ip.octets());
    }
    Some(reply)
}

/// Reads an uncompressed name at `start`; returns it lowercased and the offset after it.
fn read_name(packet: &[u8], start: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut pos = start;
    // A name has at most 127 labels.
    for _ in 0..128 {
        let len = usize::from(*packet.get(pos)?);
        if len == 0 {
            return Some((labels.join(".").to_ascii_lowercase(), pos + 1));
        }
        if len > 63 {
            return None; // compression pointers do not occur in a question
        }
        let label = packet.get(pos + 1..pos + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        pos += 1 + len;
    }
    None
}
