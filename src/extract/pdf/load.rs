//! Loading a document with lopdf without the objects the text pass never reads: link
//! annotations (ISO 32000-1, 12.5.6.5), which hold only a URI and can be most of a file (one of
//! pdf.js's test files has 65,542 of them in a 13 MB object stream, which cost a worker 200 MB).
//!
//! lopdf parses every object of an object stream before its load filter sees any of them, so the
//! filter also rewrites each object stream's index (7.5.7) to leave the links out before lopdf
//! parses it.

use std::cell::Cell;

use lopdf::{Document, Object, ObjectId, Stream};

thread_local! {
    /// The largest decoded size of one stream, for the load filter (a plain function).
    static STREAM_BYTES: Cell<usize> = const { Cell::new(0) };
}

/// Loads the document with an empty password, streams decoded within `stream_bytes`, without
/// link annotations. lopdf rebuilds a damaged file's cross-reference data only for a load
/// without a filter, so a filtered load that finds no page tree is done again without one.
pub(super) fn load(bytes: &[u8], stream_bytes: usize) -> lopdf::Result<Document> {
    let options = |filter: Option<lopdf::FilterFunc>| {
        let mut options = lopdf::LoadOptions::with_password("");
        options.max_decompressed_size = Some(stream_bytes);
        options.filter = filter;
        options
    };
    STREAM_BYTES.set(stream_bytes);
    let doc = Document::load_mem_with_options(bytes, options(Some(without_links)))?;
    if has_page_tree(&doc) {
        return Ok(doc);
    }
    drop(doc);
    Document::load_mem_with_options(bytes, options(None))
}

/// lopdf's load filter: every object but link annotations, object streams without theirs.
fn without_links(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let link = object.as_dict().is_ok_and(|dict| {
        let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).ok();
        name(b"Subtype") == Some(b"Link") && name(b"Type").is_none_or(|t| t == b"Annot")
    });
    if link {
        return None;
    }
    // lopdf keeps a top-level object as the filter leaves it and drops what it returns, but keeps
    // what it returns for an object stream's members, which are never streams (7.5.7).
    match object {
        Object::Stream(stream) => {
            if stream.dict.has_type(b"ObjStm") {
                prune_object_stream(stream);
            }
            Some((id, Object::Null))
        }
        member => Some((id, member.clone())),
    }
}

/// Leaves the link annotations out of an object stream's index (pairs of object number and
/// offset before `/First`), so lopdf never parses them; the objects' bytes stay where they are.
/// A stream that cannot be decoded within the cap, or holds no link, is left as it is.
fn prune_object_stream(stream: &mut Stream) {
    let Ok(content) = stream.get_plain_content_with_limit(STREAM_BYTES.get()) else { return };
    let Some(first) = stream.dict.get(b"First").and_then(Object::as_i64).ok().and_then(|f| usize::try_from(f).ok())
    else {
        return;
    };
    let Some(index) = content.get(..first).and_then(|i| std::str::from_utf8(i).ok()) else { return };
    let Some(entries) = index_entries(index, content.len() - first) else { return };
    let body = &content[first..];
    let kept: Vec<&(u32, usize, usize)> =
        entries.iter().filter(|(_, start, end)| !is_link_annotation(&body[*start..*end])).collect();
    if kept.len() == entries.len() {
        return;
    }
    let index: String = kept.iter().map(|(number, start, _)| format!("{number} {start} ")).collect();
    let mut pruned = index.into_bytes();
    let first = pruned.len();
    pruned.extend_from_slice(body);
    stream.dict.set("N", kept.len() as i64);
    stream.dict.set("First", first as i64);
    stream.set_plain_content(pruned);
}

/// The objects of an object stream's index as (number, start, end) in its body of `body_len`
/// bytes, each ending where the next begins; `None` when the index is not pairs of numbers.
fn index_entries(index: &str, body_len: usize) -> Option<Vec<(u32, usize, usize)>> {
    let numbers: Vec<usize> = index.split_ascii_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
    let mut entries: Vec<(u32, usize, usize)> = numbers
        .chunks_exact(2)
        .map(|pair| Some((u32::try_from(pair[0]).ok()?, pair[1], body_len)))
        .collect::<Option<_>>()?;
    let mut starts: Vec<usize> = entries.iter().map(|e| e.1).collect();
    starts.sort_unstable();
    for entry in &mut entries {
        let next = starts.partition_point(|&s| s <= entry.1);
        entry.2 = starts.get(next).copied().unwrap_or(body_len);
        if entry.1 > entry.2 {
            return None;
        }
    }
    Some(entries)
}

/// Whether an object's bytes are a link annotation's dictionary.
fn is_link_annotation(object: &[u8]) -> bool {
    let Some(dict) = super::dictionary_at(super::skip_whitespace(object)) else { return false };
    let is_name = |key: &[u8], name: &[u8]| {
        super::entry(dict, key).is_some_and(|v| {
            v.strip_prefix(b"/")
                .and_then(|v| v.strip_prefix(name))
                .is_some_and(|rest| rest.first().is_none_or(|&b| super::is_delimiter(b)))
        })
    };
    is_name(b"Subtype", b"Link") && (super::entry(dict, b"Type").is_none() || is_name(b"Type", b"Annot"))
}

/// Whether the catalog leads to the root of a page tree: a dictionary with `/Kids` (7.7.3.2).
fn has_page_tree(doc: &Document) -> bool {
    doc.catalog()
        .and_then(|catalog| catalog.get_deref(b"Pages", doc))
        .and_then(Object::as_dict)
        .and_then(|root| root.get_deref(b"Kids", doc))
        .and_then(Object::as_array)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_annotations_are_left_out_of_object_streams() {
        let objects = [
            "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.com/) >> >>",
            "<< /Type /Annot /Subtype /Widget /FT /Tx /V (CONFIDENTIAL) >>",
            "<< /Subtype /Link /Rect [0 0 9 9] >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Linked true >>",
        ];
        let mut body = String::new();
        let mut index = String::new();
        for (n, object) in objects.iter().enumerate() {
            index.push_str(&format!("{} {} ", n + 10, body.len()));
            body.push_str(object);
            body.push('\n');
        }
        let dict = lopdf::dictionary! { "Type" => "ObjStm", "N" => 4, "First" => index.len() as i64 };
        let mut stream =
            Object::Stream(Stream::new(dict, format!("{index}{body}").into_bytes()).with_compression(false));
        STREAM_BYTES.set(1 << 20);
        // lopdf keeps a top-level stream where the filter left it.
        assert!(matches!(without_links((5, 0), &mut stream), Some(((5, 0), Object::Null))));
        let Object::Stream(pruned) = stream else { panic!("the stream stays in place") };
        let members = lopdf::ObjectStream::new(&pruned).unwrap().objects;
        assert_eq!(members.keys().copied().collect::<Vec<_>>(), [(11, 0), (13, 0)]);
        let link = Object::Dictionary(lopdf::dictionary! { "Type" => "Annot", "Subtype" => "Link" });
        assert!(without_links((7, 0), &mut link.clone()).is_none());
    }
}
