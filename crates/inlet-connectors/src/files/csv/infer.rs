//! Column types inferred from a sample of a CSV file's rows.

use std::io::Read;
use std::path::Path;

use inlet_core::connector::ConnectorError;
use inlet_core::model::schema::ColumnInfo;

use super::{Options, SAMPLE_ROWS};

/// Reads a file's sample and infers its columns.
pub(super) fn infer(path: &Path, opts: Options) -> Result<Vec<ColumnInfo>, ConnectorError> {
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
