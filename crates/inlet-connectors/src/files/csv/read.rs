//! Reading CSV files: opened as UTF-8 or Latin-1, rows keyed by line number
//! or key columns, and a file's version for incremental reads.

use std::io::Read;
use std::path::Path;

use inlet_core::connector::{
    ConnectorError, ReadItem, ReadMode, ReadRequest, Record, RecordSender,
};
use serde_json::{Map, Value};

use super::Options;

/// A file's version for incremental reads: modification time and size.
pub(super) fn version(path: &Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}:{}", modified.as_nanos(), m.len()))
}

/// The column indexes of `config.keyColumns` among a file's column names
/// (the header's, or `column_N` without a header).
pub(super) fn key_indexes(
    stream: &str,
    headers: &[String],
    keys: &[String],
) -> Result<Vec<usize>, ConnectorError> {
    keys.iter()
        .map(|k| {
            headers
                .iter()
                .position(|h| h == k)
                .or_else(|| {
                    k.strip_prefix("column_")
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n >= 1 && (headers.is_empty() || *n > headers.len()))
                        .map(|n| n - 1)
                })
                .ok_or_else(|| {
                    ConnectorError::Invalid(format!(
                        "config.keyColumns: {stream} has no column {k}"
                    ))
                })
        })
        .collect()
}

/// A reader over a file in the configured encoding.
pub(super) fn open(
    path: &Path,
    stream: &str,
    opts: Options,
) -> Result<csv::Reader<Box<dyn Read>>, ConnectorError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ConnectorError::Failed(format!("cannot read {stream}: {e}")))?;
    let reader: Box<dyn Read> = if opts.latin1 {
        Box::new(Latin1(std::io::BufReader::new(file), Vec::new()))
    } else {
        Box::new(file)
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader))
}

/// The header row's names (empty without a header).
pub(super) fn headers(
    path: &Path,
    stream: &str,
    opts: Options,
) -> Result<Vec<String>, ConnectorError> {
    if !opts.has_header {
        return Ok(Vec::new());
    }
    let mut record = csv::ByteRecord::new();
    open(path, stream, opts)?
        .read_byte_record(&mut record)
        .map_err(|e| ConnectorError::Failed(format!("{stream}: {e}")))?;
    Ok(record
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect())
}

/// Streams one file's rows as JSON objects keyed by line number or by the
/// key columns; a file whose version equals the previous cursor is an
/// incremental read with nothing in it.
pub(super) fn read_file(
    path: &Path,
    stream: &str,
    opts: Options,
    keys: &[String],
    request: &ReadRequest,
    tx: &RecordSender,
) -> Result<bool, ConnectorError> {
    let version = version(path);
    let previous = request.cursors.get(stream).and_then(Value::as_str);
    let send = |item: ReadItem| tx.blocking_send(Ok(item)).is_ok();
    let checkpoint = |version: Option<String>| ReadItem::Checkpoint {
        stream: stream.to_owned(),
        cursor: version.map_or(Value::Null, Value::String),
    };
    if version.is_some() && previous == version.as_deref() {
        return Ok(send(ReadItem::Begin {
            stream: stream.to_owned(),
            mode: ReadMode::Incremental,
        }) && send(checkpoint(version)));
    }
    if !send(ReadItem::Begin {
        stream: stream.to_owned(),
        mode: ReadMode::Full,
    }) {
        return Ok(false);
    }
    if !send_rows(path, stream, opts, keys, &send)? {
        return Ok(false);
    }
    Ok(send(checkpoint(version)))
}

/// Sends every row of a file: the header (when there is one) names the
/// columns and places the key columns; a line not in UTF-8 is skipped, a
/// header not in UTF-8 fails. False when the receiver has gone.
fn send_rows(
    path: &Path,
    stream: &str,
    opts: Options,
    keys: &[String],
    send: &impl Fn(ReadItem) -> bool,
) -> Result<bool, ConnectorError> {
    let mut csv = open(path, stream, opts)?;
    let mut headers: Vec<String> = Vec::new();
    // With a header, the key columns are found once it is read.
    let mut key_at = if opts.has_header {
        Vec::new()
    } else {
        key_indexes(stream, &headers, keys)?
    };
    let mut first = true;
    for rec in csv.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { pos, .. } => {
                    let line = pos.as_ref().map_or(0, csv::Position::line);
                    if first && opts.has_header {
                        return Err(ConnectorError::Failed(format!(
                            "{stream}: the header is not valid UTF-8 (set config.encoding to latin1?)"
                        )));
                    }
                    first = false;
                    if !send(ReadItem::Skipped {
                        stream: stream.to_owned(),
                        reason: format!("line {line} of {stream} is not valid UTF-8"),
                    }) {
                        return Ok(false);
                    }
                    continue;
                }
                _ => return Err(ConnectorError::Failed(format!("{stream}: {e}"))),
            },
        };
        if first && opts.has_header {
            first = false;
            headers = rec.iter().map(|h| h.trim().to_owned()).collect();
            key_at = key_indexes(stream, &headers, keys)?;
            continue;
        }
        first = false;
        if !send(row_item(stream, &headers, &key_at, &rec)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What one data row becomes: a record of its cells named by the header
/// (`column_N` past it), keyed by its key columns or else its line number;
/// or a skip when it lacks a key column.
fn row_item(
    stream: &str,
    headers: &[String],
    key_at: &[usize],
    rec: &csv::StringRecord,
) -> ReadItem {
    let line = rec.position().map_or(0, csv::Position::line);
    let mut data = Map::new();
    for (i, cell) in rec.iter().enumerate() {
        let name = headers
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column_{}", i + 1));
        data.insert(name, Value::String(cell.to_owned()));
    }
    let key = match key_at
        .iter()
        .map(|&i| rec.get(i).map(str::to_owned))
        .collect::<Option<Vec<_>>>()
    {
        None => {
            return ReadItem::Skipped {
                stream: stream.to_owned(),
                reason: format!("line {line} of {stream} lacks a key column"),
            };
        }
        Some(values) if values.is_empty() => line.to_string(),
        Some(mut values) if values.len() == 1 => values.remove(0),
        Some(values) => Value::from(values).to_string(),
    };
    ReadItem::Record(Record {
        stream: stream.to_owned(),
        key,
        data: Value::Object(data).to_string(),
        position: None,
    })
}

/// Decodes ISO-8859-1 to UTF-8 on the fly.
pub(super) struct Latin1<R>(R, Vec<u8>);

impl<R: std::io::BufRead> Read for Latin1<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.1.is_empty() {
            let chunk = self.0.fill_buf()?;
            if chunk.is_empty() {
                return Ok(0);
            }
            let n = chunk.len().min(4096);
            let decoded: String = chunk[..n].iter().map(|&b| char::from(b)).collect();
            self.0.consume(n);
            self.1 = decoded.into_bytes();
        }
        let n = out.len().min(self.1.len());
        out[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}
