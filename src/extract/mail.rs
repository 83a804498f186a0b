//! E-mail: `.eml` messages and `.mbox` mailboxes, with MIME parts decoded (quoted-printable,
//! base64, character sets) by mail-parser. The subject, the people and the text bodies (HTML bodies
//! as text) are scanned; attachments, including attached messages, are read as members.
//!
//! A mailbox is streamed one message at a time; each message is held in memory while it is parsed
//! (bounded by the file size cap), and messages over the member cap are skipped as partial.

use std::io::{BufReader, Read};

use mail_parser::{Address, MessageParser, MimeHeaders};

use super::{read_member, Ctx, PartialReason};

/// Reads one message held in memory.
pub(super) fn read_message(raw: &[u8], member: Option<&str>, depth: u32, ctx: &mut Ctx<'_, '_>) {
    let Some(message) = MessageParser::default().parse(raw) else {
        ctx.mark(PartialReason::UnreadablePart);
        return;
    };
    let mut text = String::new();
    if let Some(subject) = message.subject() {
        text.push_str(&format!("Subject: {subject}\n"));
    }
    for (label, people) in [("From", message.from()), ("To", message.to()), ("Cc", message.cc())] {
        if let Some(people) = people {
            text.push_str(&format!("{label}: {}\n", addresses(people)));
        }
    }
    for i in 0..message.text_body_count() {
        if let Some(body) = message.body_text(i) {
            text.push_str(&body);
            text.push('\n');
        }
    }
    ctx.emit(&text, member);
    for (i, attachment) in message.attachments().enumerate() {
        if ctx.exhausted() {
            break;
        }
        let name = attachment.attachment_name().map_or_else(|| format!("attachment-{}", i + 1), str::to_string);
        let path = super::member_path(member, &name);
        if depth + 1 > ctx.limits.max_depth {
            ctx.mark(PartialReason::NestingDepth);
            break;
        }
        match attachment.message() {
            Some(inner) => read_message(inner.raw_message(), Some(&path), depth + 1, ctx),
            None => read_member(attachment.contents(), None, &path, depth + 1, ctx),
        }
    }
}

fn addresses(address: &Address<'_>) -> String {
    address
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (None, Some(addr)) => addr.to_string(),
            (Some(name), None) => name.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a mailbox message by message. Each message is named by its position (`message-3`).
pub(super) fn read_mailbox(reader: &mut dyn Read, depth: u32, ctx: &mut Ctx<'_, '_>) {
    let cap = ctx.limits.max_member_bytes;
    let messages = mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(reader));
    for (i, message) in messages.enumerate() {
        if ctx.exhausted() {
            break;
        }
        let Ok(message) = message else {
            ctx.mark(PartialReason::UnreadablePart);
            break;
        };
        let contents = message.contents();
        if contents.len() as u64 > cap {
            ctx.mark(PartialReason::ExpandedBytes);
            continue;
        }
        read_message(contents, Some(&format!("message-{}", i + 1)), depth, ctx);
    }
}
