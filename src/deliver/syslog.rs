//! Syslog: RFC 5424 messages over UDP, TCP with octet-counting framing (RFC 6587), or TLS
//! (RFC 5425, which requires octet counting).
//!
//! The message is `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [dlp@PEN ...] BOM PAYLOAD`,
//! the payload being the event in the sink's format (CEF or a JSON object). Built when the event
//! is spooled; framing is added when it is sent. Not here: retry and acknowledgement
//! (`sender.rs`).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::sender::{SendError, Transport};
use crate::clock::rfc3339_millis;
use crate::policy::Severity;
use crate::report::event::{Event, Origin};
use crate::report::Record;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How syslog messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyslogTransport {
    /// One datagram per message; nothing confirms receipt.
    Udp,
    /// TCP, octet-counting framing.
    Tcp,
    /// TLS over TCP, server certificate verified, octet-counting framing.
    Tls,
}

/// The header fields a sink puts on its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogHeader {
    /// Facility number (0-23); `local0` is 16.
    pub facility: u8,
    /// APP-NAME.
    pub app_name: String,
    /// The IANA Private Enterprise Number in the structured-data id.
    pub enterprise_id: u32,
}

/// Facility names as syslog.conf spells them.
pub fn facility_named(name: &str) -> Option<u8> {
    const NAMES: [&str; 24] = [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "ntp",
        "security",
        "console",
        "solaris-cron",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
    ];
    NAMES.iter().position(|&n| n == name).map(|i| i as u8)
}

/// Syslog severity: 2 critical, 3 error, 4 warning, 5 notice, 6 informational.
fn severity(event: &Event) -> u8 {
    match (event.record, event.severity()) {
        (_, Some(Severity::Critical)) => 2,
        (_, Some(Severity::High)) => 3,
        (_, Some(Severity::Medium)) | (Record::Error(_), None) => 4,
        (Record::Agent(a), None) if a.status.is_some_and(|s| s != "ok") => 4,
        (_, Some(Severity::Low)) => 5,
        (_, None) => 6,
    }
}

/// Printable US-ASCII only, at most `max` characters, `-` when empty (RFC 5424 header fields).
fn header_field(value: &str, max: usize) -> String {
    let field: String = value.chars().filter(|c| c.is_ascii_graphic()).take(max).collect();
    if field.is_empty() {
        "-".to_string()
    } else {
        field
    }
}

/// An SD-PARAM value: `"`, `\` and `]` escaped.
fn sd_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The RFC 5424 message for an event whose encoded form is `payload`.
pub fn message(event: &Event, origin: &Origin, header: &SyslogHeader, format: &str, payload: &[u8]) -> Vec<u8> {
    let pri = u32::from(header.facility) * 8 + u32::from(severity(event));
    let head = format!(
        "<{pri}>1 {} {} {} {} {} [dlp@{} eventId=\"{}\" format=\"{}\"] \u{feff}",
        rfc3339_millis(event.time),
        header_field(&origin.host_name, 255),
        header_field(&header.app_name, 48),
        std::process::id(),
        header_field(event.action().as_str(), 32),
        header.enterprise_id,
        sd_value(&event.id.to_string()),
        sd_value(format),
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(payload);
    out
}

fn resolve(address: &str) -> Result<std::net::SocketAddr, SendError> {
    address
        .to_socket_addrs()
        .map_err(|e| SendError::Retry(format!("{address}: {e}")))?
        .next()
        .ok_or_else(|| SendError::Retry(format!("{address}: no address")))
}

/// One datagram per message.
pub struct UdpTransport {
    address: String,
    socket: Option<UdpSocket>,
    sent: u64,
}

impl UdpTransport {
    /// A transport to `host:port`; nothing is resolved until the first send.
    pub fn new(address: String) -> UdpTransport {
        UdpTransport { address, socket: None, sent: 0 }
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, batch: &[Vec<u8>]) -> Result<u64, SendError> {
        if self.socket.is_none() {
            let target = resolve(&self.address)?;
            let local = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
            let socket = UdpSocket::bind(local).map_err(|e| SendError::Retry(e.to_string()))?;
            // Connected, so an ICMP "port unreachable" surfaces as an error on a later send.
            socket.connect(target).map_err(|e| SendError::Retry(e.to_string()))?;
            self.socket = Some(socket);
        }
        let socket = self.socket.as_ref().expect("just made");
        let mut bytes = 0;
        for message in batch {
            socket.send(message).map_err(|e| SendError::Retry(format!("{}: {e}", self.address)))?;
            bytes += message.len() as u64;
        }
        self.sent += bytes;
        Ok(bytes)
    }

    fn acknowledged(&mut self) -> Result<u64, SendError> {
        Ok(self.sent)
    }

    fn needs_settling(&self) -> bool {
        false
    }

    fn reset(&mut self) {
        self.socket = None;
        self.sent = 0;
    }
}

enum Connection {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Connection {
    fn tcp(&self) -> &TcpStream {
        match self {
            Connection::Plain(s) => s,
            Connection::Tls(s) => &s.sock,
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Connection::Plain(s) => s,
            Connection::Tls(s) => s.as_mut(),
        }
    }

    /// False once the receiver has closed or reset the connection. A syslog receiver never
    /// sends application data, so anything readable is the end (or TLS housekeeping).
    fn is_open(&mut self) -> bool {
        if self.tcp().set_nonblocking(true).is_err() {
            return false;
        }
        let mut buf = [0u8; 512];
        let state = match self {
            Connection::Plain(s) => s.peek(&mut buf),
            Connection::Tls(s) => s.read(&mut buf),
        };
        let open = match state {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        open && self.tcp().set_nonblocking(false).is_ok()
    }
}

/// TCP or TLS with octet-counting framing.
pub struct StreamTransport {
    address: String,
    tls: Option<(Arc<rustls::ClientConfig>, rustls::pki_types::ServerName<'static>)>,
    connection: Option<Connection>,
    written: u64,
    /// `written` when the send queue was last seen empty (TLS adds bytes of its own, so only an
    /// empty queue says exactly how much of ours has arrived).
    acknowledged: u64,
}

impl StreamTransport {
    /// Plain TCP to `host:port`.
    pub fn tcp(address: String) -> StreamTransport {
        StreamTransport { address, tls: None, connection: None, written: 0, acknowledged: 0 }
    }

    /// TLS to `host:port`, verifying the certificate for `server_name`.
    pub fn tls(
        address: String,
        config: Arc<rustls::ClientConfig>,
        server_name: &str,
    ) -> Result<StreamTransport, crate::error::DeliveryError> {
        let name = rustls::pki_types::ServerName::try_from(server_name.to_string())
            .map_err(|e| crate::error::DeliveryError::Address(format!("{server_name}: {e}")))?;
        Ok(StreamTransport { address, tls: Some((config, name)), connection: None, written: 0, acknowledged: 0 })
    }

    fn connect(&mut self) -> Result<Connection, SendError> {
        let target = resolve(&self.address)?;
        let tcp = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT)
            .map_err(|e| SendError::Retry(format!("{}: {e}", self.address)))?;
        let _ = tcp.set_nodelay(true);
        tcp.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(|e| SendError::Retry(e.to_string()))?;
        tcp.set_read_timeout(Some(WRITE_TIMEOUT)).map_err(|e| SendError::Retry(e.to_string()))?;
        match &self.tls {
            None => Ok(Connection::Plain(tcp)),
            Some((config, name)) => {
                let client = rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(|e| SendError::Retry(e.to_string()))?;
                let mut stream = rustls::StreamOwned::new(client, tcp);
                // Complete the handshake now, so a certificate problem is reported as such.
                while stream.conn.is_handshaking() {
                    stream
                        .conn
                        .complete_io(&mut stream.sock)
                        .map_err(|e| SendError::Retry(format!("{}: TLS: {e}", self.address)))?;
                }
                Ok(Connection::Tls(Box::new(stream)))
            }
        }
    }
}

impl Transport for StreamTransport {
    fn send(&mut self, batch: &[Vec<u8>]) -> Result<u64, SendError> {
        let mut connection = match self.connection.take() {
            Some(mut c) => {
                if !c.is_open() {
                    return Err(SendError::Retry(format!("{}: the receiver closed the connection", self.address)));
                }
                c
            }
            None => {
                self.written = 0;
                self.acknowledged = 0;
                self.connect()?
            }
        };
        let mut framed = Vec::with_capacity(batch.iter().map(|m| m.len() + 8).sum());
        for message in batch {
            framed.extend_from_slice(message.len().to_string().as_bytes());
            framed.push(b' ');
            framed.extend_from_slice(message);
        }
        let writer = connection.writer();
        writer
            .write_all(&framed)
            .and_then(|()| writer.flush())
            .map_err(|e| SendError::Retry(format!("{}: {e}", self.address)))?;
        self.written += framed.len() as u64;
        self.connection = Some(connection);
        Ok(framed.len() as u64)
    }

    fn acknowledged(&mut self) -> Result<u64, SendError> {
        let Some(connection) = self.connection.as_mut() else {
            return Err(SendError::Retry(format!("{}: not connected", self.address)));
        };
        if !connection.is_open() {
            self.connection = None;
            return Err(SendError::Retry(format!("{}: the receiver closed the connection", self.address)));
        }
        let unacknowledged = crate::platform::unacknowledged_bytes(connection.tcp());
        match (&connection, unacknowledged) {
            (_, 0) => self.acknowledged = self.written,
            (Connection::Plain(_), n) => self.acknowledged = self.written.saturating_sub(n),
            (Connection::Tls(_), _) => {}
        }
        Ok(self.acknowledged)
    }

    fn needs_settling(&self) -> bool {
        true
    }

    fn reset(&mut self) {
        self.connection = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::encode::tests::sample_file_record;

    #[test]
    fn a_message_has_the_rfc5424_header_and_escaped_structured_data() {
        let record = sample_file_record();
        let event = Event::stamp(&record);
        let origin = Origin { host_name: "lt 0042".to_string(), os_type: "linux" };
        let header = SyslogHeader { facility: 16, app_name: "dlp-scan".to_string(), enterprise_id: 32473 };
        let msg = message(&event, &origin, &header, "c\"e]f", b"CEF:0|x");
        let text = String::from_utf8(msg).unwrap();
        // local0 (16) * 8 + error (3: a high-severity violation)
        assert!(text.starts_with("<131>1 "), "{text}");
        let fields: Vec<&str> = text.splitn(7, ' ').collect();
        assert_eq!(fields[2], "lt0042", "header fields are printable ASCII without spaces");
        assert_eq!(fields[3], "dlp-scan");
        assert_eq!(fields[5], "policy-violation");
        assert!(text.contains("format=\"c\\\"e\\]f\"]"), "{text}");
        assert!(text.ends_with("] \u{feff}CEF:0|x"));
    }

    #[test]
    fn facilities_are_known_by_name() {
        assert_eq!(facility_named("local0"), Some(16));
        assert_eq!(facility_named("auth"), Some(4));
        assert_eq!(facility_named("local9"), None);
    }
}
