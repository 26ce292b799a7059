//! The CLI's own output to the terminal (the server logs through tracing).

use std::io::Write;

/// Writes `text` to standard output.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe is not worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes `text` to standard error.
pub fn stderr(text: &str) {
    let mut out = std::io::stderr().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// An aligned table: a header row, then one row per item, columns padded
/// to their widest cell (by characters) and two spaces apart. `paint`
/// may wrap a body cell in an ANSI colour (given the column and the cell);
/// the codes go around the padded text, so alignment holds.
pub fn table(
    headers: &[&str],
    rows: &[Vec<String>],
    paint: impl Fn(usize, &str) -> Option<&'static str>,
) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>, header: bool| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = w - cell.chars().count();
            match paint(i, cell).filter(|_| !header) {
                Some(code) => text.push_str(&format!("\x1b[{code}m{cell}\x1b[0m")),
                None => text.push_str(cell),
            }
            text.extend(std::iter::repeat_n(' ', pad));
        }
        let mut text = text.trim_end().to_owned();
        text.push('\n');
        text
    };
    let mut out = line(&mut headers.iter().copied(), true);
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_the_widest_cell() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["sc_1".into(), "orders".into()],
                vec!["sc_10".into(), "é".into()],
            ],
            |_, _| None,
        );
        assert_eq!(t, "ID     NAME\nsc_1   orders\nsc_10  é\n");
    }

    #[test]
    fn colour_wraps_the_cell_and_keeps_the_columns() {
        let t = table(&["ST", "N"], &[vec!["ok".into(), "1".into()]], |col, _| {
            (col == 0).then_some("32")
        });
        assert_eq!(t, "ST  N\n\x1b[32mok\x1b[0m  1\n");
    }
}
