//! A Server-Sent Events reader: bytes in as they arrive, whole events out
//! (the `text/event-stream` format of the HTML standard: `event:`, `data:`
//! and `id:` fields, comments, an empty line ending each event).

/// One event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its type (`message` when the stream names none).
    pub name: String,
    /// Its data lines, joined with `\n`.
    pub data: String,
    /// The last event id seen so far in the stream.
    pub id: Option<String>,
}

/// Collects bytes into events.
#[derive(Default)]
pub struct Parser {
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    name: String,
    data: Vec<String>,
    last_id: Option<String>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &b in chunk {
            if b != b'\n' {
                self.partial.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        events
    }

    /// One line: a field, a comment, or the empty line that dispatches.
    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let data = std::mem::take(&mut self.data);
            let name = std::mem::take(&mut self.name);
            if data.is_empty() {
                return None;
            }
            return Some(Event {
                name: if name.is_empty() {
                    "message".into()
                } else {
                    name
                },
                data: data.join("\n"),
                id: self.last_id.clone(),
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_across_chunks_with_comments_and_crlf() {
        let mut p = Parser::default();
        assert!(
            p.feed(b": keep-alive\n\nevent: progress\nid: 17")
                .is_empty()
        );
        let got = p.feed(b"\r\ndata: {\"a\":\ndata: 1}\r\n\r\nevent: end\ndata:x\n\n");
        assert_eq!(
            got,
            vec![
                Event {
                    name: "progress".into(),
                    data: "{\"a\":\n1}".into(),
                    id: Some("17".into())
                },
                Event {
                    name: "end".into(),
                    data: "x".into(),
                    id: Some("17".into())
                },
            ]
        );
        assert_eq!(p.feed(b"data: plain\n\n")[0].name, "message");
    }
}
