//! Rows as a table reader produces them: keys and positions taken from the
//! engine's own JSON text, and the tasks that read each table and send its
//! records into the stream.

use super::*;

/// A JSON value's text: a string's content, or the JSON text of anything else.
fn text_of(raw: &RawValue) -> String {
    let s = raw.get();
    if s.starts_with('"') {
        serde_json::from_str::<String>(s).unwrap_or_else(|_| s.to_owned())
    } else {
        s.to_owned()
    }
}

/// What a row's JSON says about the record: its key, primary key values and
/// cursor value (as text).
#[derive(Debug, PartialEq)]
pub struct RowKey {
    /// The record key.
    pub key: String,
    /// The primary key values as text.
    pub pk: Vec<String>,
    /// The cursor value as text (`None` when NULL or no cursor column).
    pub cursor: Option<String>,
}

/// Reads key, primary key values and cursor out of a row's JSON text without
/// turning numbers into floats. One key column: its value as text; several:
/// the JSON array of their values; none: the SHA-256 of the row.
pub fn row_key(plan: &TablePlan, json: &str) -> Result<RowKey, String> {
    let fields: HashMap<String, &RawValue> = serde_json::from_str(json)
        .map_err(|e| format!("the engine's JSON for this row does not parse ({e})"))?;
    let get = |c: &str| {
        fields
            .get(c)
            .copied()
            .ok_or_else(|| format!("column {c} is missing from the row's JSON"))
    };
    let raws = plan
        .pk
        .iter()
        .map(|c| get(c))
        .collect::<Result<Vec<_>, _>>()?;
    let pk: Vec<String> = raws.iter().map(|r| text_of(r)).collect();
    let key = match pk.len() {
        0 => inlet_core::digest::sha256_hex(json.as_bytes()),
        1 => pk[0].clone(),
        _ => serde_json::to_string(&raws).map_err(|e| e.to_string())?,
    };
    let cursor = match &plan.cursor {
        Some((c, _)) => Some(get(c)?).filter(|r| r.get() != "null").map(text_of),
        None => None,
    };
    Ok(RowKey { key, pk, cursor })
}

/// Base64 (standard alphabet, padded) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A rendered row: its JSON text, or why it could not be rendered.
pub type Rendered = Result<String, String>;

/// Reads one table into the channel; `Ok(false)` when the consumer left.
pub type TableReader<C> = for<'a> fn(
    &'a Context,
    &'a mut C,
    &'a TablePlan,
    &'a Scan,
    &'a RecordSender,
) -> BoxFuture<'a, Result<bool, ConnectorError>>;

/// Reads `plans` one after another in a task of their own, over `conn`,
/// keeping `guard` (an SSH tunnel) alive until the read ends. Streams named
/// in `request.skip` are not read.
pub fn spawn_tables<C: Send + 'static, G: Send + 'static>(
    ctx: &Context,
    mut conn: C,
    guard: G,
    plans: Vec<TablePlan>,
    request: ReadRequest,
    read: TableReader<C>,
) -> RecordStream {
    let (tx, stream) = RecordStream::channel();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let _guard = guard;
        for p in &plans {
            let name = p.stream();
            if request.skip.contains(&name) {
                continue;
            }
            let s = scan(
                p,
                previous(&request.cursors, &name),
                request.positions.get(&name).filter(|v| !v.is_null()),
            );
            let begin = ReadItem::Begin {
                stream: name.clone(),
                mode: s.mode,
            };
            if tx.send(Ok(begin)).await.is_err() {
                return;
            }
            if p.pk.is_empty() && p.cursor.is_none() {
                let note = ReadItem::Note {
                    stream: name,
                    message:
                        "no primary key: rows are keyed by their content hash (identical rows \
                              are one document) and an interrupted read starts the table over"
                            .into(),
                };
                if tx.send(Ok(note)).await.is_err() {
                    return;
                }
            }
            match read(&ctx, &mut conn, p, &s, &tx).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    stream
}

/// Sends every rendered row of `rows` for `plan` (each fetch bounded by the
/// context's timeout) as a record, or a skip when it could not be rendered,
/// then the checkpoint; `Ok(false)` when the consumer left.
pub async fn drain<S>(
    ctx: &Context,
    what: &str,
    mut rows: S,
    plan: &TablePlan,
    scan: &Scan,
    tx: &RecordSender,
    err: fn(sqlx::Error) -> ConnectorError,
) -> Result<bool, ConnectorError>
where
    S: futures_util::Stream<Item = Result<Rendered, sqlx::Error>> + Unpin,
{
    use futures_util::TryStreamExt;
    let stream = plan.stream();
    let mut last = match &scan.order {
        Order::Cursor { start } => start.clone(),
        _ => None,
    };
    let mut n = 0u64;
    while let Some(rendered) =
        crate::net::timed(ctx, what, async { rows.try_next().await.map_err(err) }).await?
    {
        n += 1;
        let row = rendered.and_then(|json| row_key(plan, &json).map(|k| (json, k)));
        let item = match row {
            Err(reason) => ReadItem::Skipped {
                stream: stream.clone(),
                reason: format!("row {n} of {stream}: {reason}"),
            },
            Ok((data, k)) => {
                let position = match &scan.order {
                    Order::Cursor { .. } => {
                        if k.cursor.is_some() {
                            last = k.cursor;
                        }
                        last.clone().map(Value::String)
                    }
                    Order::Key { .. } => {
                        Some(Value::Array(k.pk.into_iter().map(Value::String).collect()))
                    }
                    Order::Unordered => None,
                };
                ReadItem::Record(Record {
                    stream: stream.clone(),
                    key: k.key,
                    data,
                    position,
                })
            }
        };
        if tx.send(Ok(item)).await.is_err() {
            return Ok(false);
        }
    }
    let cursor = match (&scan.order, last) {
        (Order::Cursor { .. }, Some(c)) => Value::String(c),
        _ => Value::Null,
    };
    Ok(tx
        .send(Ok(ReadItem::Checkpoint { stream, cursor }))
        .await
        .is_ok())
}
