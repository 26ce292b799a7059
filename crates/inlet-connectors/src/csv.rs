//! The CSV connector: a `.csv` file, or a folder of them, under an allowed
//! root. Column types are inferred from a sample of rows.

use std::io::Read;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadItem, ReadMode, ReadRequest, Record, RecordSender,
    RecordStream, SourceConfig, TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{ColumnInfo, DiscoveredSchema, FileInfo};
use serde_json::{Map, Value};

use crate::files;

/// Rows read to infer column types.
const SAMPLE_ROWS: usize = 200;
/// Files listed from one folder at most.
const MAX_FILES: usize = 1000;

/// CSV files.
pub struct Csv {
    spec: SourceType,
}

impl Default for Csv {
    fn default() -> Self {
        Self::new()
    }
}

/// Parsing options from the connection's configuration.
#[derive(Clone, Copy)]
struct Options {
    delimiter: u8,
    has_header: bool,
    latin1: bool,
}

impl Csv {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_csv",
                name: "CSV",
                short_name: "csv",
                description: "Read a CSV file, or a folder of .csv files, under an allowed root",
                auth_methods: &["none"],
                labels: &["file"],
                supports_continuous: false,
                auth_fields: vec![
                    FieldSpec::new("path", FieldType::String, true)
                        .describe("A .csv file or a folder of them, under INLET_FILE_ROOTS"),
                ],
                config_fields: vec![
                    FieldSpec::new("delimiter", FieldType::String, false)
                        .describe("One-character field delimiter (default ,)"),
                    FieldSpec::new("hasHeader", FieldType::Boolean, false)
                        .describe("First row holds column names (default true)"),
                    FieldSpec::new("encoding", FieldType::String, false)
                        .one_of(&["utf-8", "latin1"])
                        .describe("Text encoding (default utf-8)"),
                    FieldSpec::new("keyColumns", FieldType::Array, false).describe(
                        "Columns whose values identify a row (several: their JSON array); \
                         without them a row's key is its line number, which is fragile: \
                         inserting or removing a line changes the key of every row after it",
                    ),
                    crate::common::refresh_field(),
                ]
                .into_iter()
                .chain(crate::common::schedule_fields())
                .collect(),
            },
        }
    }

    fn options(source: &SourceConfig) -> Result<Options, ConnectorError> {
        let delimiter = match source.config_str("delimiter") {
            None => b',',
            Some("\\t" | "\t") => b'\t',
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            Some(_) => {
                return Err(ConnectorError::Invalid(
                    "config.delimiter must be a single ASCII character".into(),
                ));
            }
        };
        Ok(Options {
            delimiter,
            has_header: source.config_flag("hasHeader").unwrap_or(true),
            latin1: source.config_str("encoding") == Some("latin1"),
        })
    }

    /// The CSV files the source covers.
    fn targets(path: &Path) -> Result<Vec<PathBuf>, ConnectorError> {
        if path.is_file() {
            return Ok(vec![path.to_path_buf()]);
        }
        let mut out: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| ConnectorError::Failed(format!("cannot list {}: {e}", path.display())))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && !p.is_symlink()
                    && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            })
            .collect();
        out.sort();
        out.truncate(MAX_FILES);
        Ok(out)
    }
}

/// Reads a file's sample and infers its columns.
fn infer(path: &Path, opts: Options) -> Result<Vec<ColumnInfo>, ConnectorError> {
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(4 * 1024 * 1024).read_to_end(&mut raw))
        .map_err(|e| ConnectorError::Failed(format!("cannot read {}: {e}", path.display())))?;
    let text = if opts.latin1 {
        raw.iter().map(|&b| char::from(b)).collect::<String>()
    } else {
        String::from_utf8(raw).map_err(|_| {
            ConnectorError::Failed(format!(
                "{} is not valid UTF-8 (set config.encoding to latin1?)",
                path.display()
            ))
        })?
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let bad = |e: csv::Error| ConnectorError::Failed(format!("{}: {e}", path.display()));
    let first = match records.next() {
        Some(r) => r.map_err(bad)?,
        None => return Ok(Vec::new()),
    };
    let mut names: Vec<String> = if opts.has_header {
        first.iter().map(|s| s.trim().to_owned()).collect()
    } else {
        (1..=first.len()).map(|i| format!("column_{i}")).collect()
    };
    let mut kinds: Vec<Kind> = vec![Kind::default(); names.len()];
    let observe = |rec: &csv::StringRecord, kinds: &mut Vec<Kind>, names: &mut Vec<String>| {
        for (i, cell) in rec.iter().enumerate() {
            if i >= kinds.len() {
                kinds.push(Kind::default());
                names.push(format!("column_{}", i + 1));
            }
            kinds[i].observe(cell);
        }
    };
    if !opts.has_header {
        observe(&first, &mut kinds, &mut names);
    }
    for rec in records.take(SAMPLE_ROWS) {
        observe(&rec.map_err(bad)?, &mut kinds, &mut names);
    }
    Ok(names
        .into_iter()
        .zip(kinds)
        .map(|(name, k)| ColumnInfo {
            name,
            data_type: k.name().into(),
            nullable: k.empty,
            default: None,
            primary_key: false,
        })
        .collect())
}

/// A file's version for incremental reads: modification time and size.
fn version(path: &Path) -> Option<String> {
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
fn key_indexes(
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
fn open(
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
fn headers(path: &Path, stream: &str, opts: Options) -> Result<Vec<String>, ConnectorError> {
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
fn read_file(
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
                if !send(ReadItem::Skipped {
                    stream: stream.to_owned(),
                    reason: format!("line {line} of {stream} lacks a key column"),
                }) {
                    return Ok(false);
                }
                continue;
            }
            Some(values) if values.is_empty() => line.to_string(),
            Some(mut values) if values.len() == 1 => values.remove(0),
            Some(values) => Value::from(values).to_string(),
        };
        let record = Record {
            stream: stream.to_owned(),
            key,
            data: Value::Object(data).to_string(),
            position: None,
        };
        if !send(ReadItem::Record(record)) {
            return Ok(false);
        }
    }
    Ok(send(checkpoint(version)))
}

/// Decodes ISO-8859-1 to UTF-8 on the fly.
struct Latin1<R>(R, Vec<u8>);

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

/// What a column's sampled cells could all be.
#[derive(Clone)]
struct Kind {
    integer: bool,
    number: bool,
    boolean: bool,
    seen: bool,
    empty: bool,
}

impl Default for Kind {
    fn default() -> Self {
        Self {
            integer: true,
            number: true,
            boolean: true,
            seen: false,
            empty: false,
        }
    }
}

impl Kind {
    fn observe(&mut self, cell: &str) {
        let v = cell.trim();
        if v.is_empty() {
            self.empty = true;
            return;
        }
        self.seen = true;
        self.integer &= v.parse::<i64>().is_ok();
        self.number &= v.parse::<f64>().is_ok();
        self.boolean &= matches!(v.to_ascii_lowercase().as_str(), "true" | "false");
    }

    fn name(&self) -> &'static str {
        match self {
            Kind { seen: false, .. } => "string",
            Kind { integer: true, .. } => "integer",
            Kind { number: true, .. } => "number",
            Kind { boolean: true, .. } => "boolean",
            _ => "string",
        }
    }
}

#[async_trait]
impl Connector for Csv {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        self.discover(ctx, source)
            .await
            .map(|_| TestReport::default())
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let (_, path) = files::source_path(ctx, source)?;
        let opts = Self::options(source)?;
        let ctx2 = ctx.clone();
        files::blocking(ctx, "reading CSV files", move || {
            let mut out = Vec::new();
            for file in Csv::targets(&path)? {
                // Entries of a folder must resolve inside the roots too.
                let file = files::resolve(&ctx2, &file.to_string_lossy())?;
                let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                out.push(FileInfo {
                    path: files::display(&ctx2, &file),
                    size,
                    columns: infer(&file, opts)?,
                });
            }
            Ok(DiscoveredSchema {
                files: out,
                ..Default::default()
            })
        })
        .await
    }

    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let (_, path) = files::source_path(ctx, source)?;
        let opts = Self::options(source)?;
        let targets = Csv::targets(&path)?
            .into_iter()
            .map(|f| files::resolve(ctx, &f.to_string_lossy()))
            .collect::<Result<Vec<_>, _>>()?;
        let keys = source.config_list("keyColumns");
        let targets: Vec<(PathBuf, String)> = targets
            .into_iter()
            .map(|f| {
                let name = files::display(ctx, &f);
                (f, name)
            })
            .filter(|(_, name)| !request.skip.contains(name))
            .collect();
        if !keys.is_empty() {
            let (targets, keys) = (targets.clone(), keys.clone());
            files::blocking(ctx, "reading CSV headers", move || {
                for (file, name) in &targets {
                    key_indexes(name, &headers(file, name, opts)?, &keys)?;
                }
                Ok(())
            })
            .await?;
        }
        let (tx, stream) = RecordStream::channel();
        tokio::task::spawn_blocking(move || {
            for (file, name) in targets {
                match read_file(&file, &name, opts, &keys, &request, &tx) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_and_nulls() {
        let dir = std::env::temp_dir().join(format!("inlet-csv-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.csv");
        std::fs::write(
            &f,
            "id;price;ok;name\n1;2.5;true;a\n2;;false;b\n3;4;TRUE;\n",
        )
        .unwrap();
        let cols = infer(
            &f,
            Options {
                delimiter: b';',
                has_header: true,
                latin1: false,
            },
        )
        .unwrap();
        let got: Vec<(&str, &str, bool)> = cols
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable))
            .collect();
        assert_eq!(
            got,
            [
                ("id", "integer", false),
                ("price", "number", true),
                ("ok", "boolean", false),
                ("name", "string", true)
            ]
        );
        std::fs::write(&f, b"caf\xe9,2\n").unwrap();
        let opts = Options {
            delimiter: b',',
            has_header: false,
            latin1: true,
        };
        let cols = infer(&f, opts).unwrap();
        assert_eq!(cols[0].name, "column_1");
        assert_eq!(cols[1].data_type, "integer");
        assert!(
            infer(
                &f,
                Options {
                    latin1: false,
                    ..opts
                }
            )
            .is_err()
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
