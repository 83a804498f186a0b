//! `json`: the project's own record, as `--format json` has always printed it, plus the event's
//! id, time and host.

use serde::Serialize;

use crate::clock::rfc3339_millis;
use crate::report::event::{Event, Origin};
use crate::report::Record;

#[derive(Serialize)]
struct JsonEvent<'a> {
    #[serde(flatten)]
    record: &'a Record,
    event_id: String,
    time: String,
    host: &'a str,
}

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    super::to_json_line(&JsonEvent {
        record: event.record,
        event_id: event.id.to_string(),
        time: rfc3339_millis(event.time),
        host: &origin.host_name,
    })
}
