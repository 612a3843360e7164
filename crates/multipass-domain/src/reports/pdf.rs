//! A report as a PDF: a title, then the table with its header repeated on every page.
//! Uses the standard Helvetica font (no embedding), so text outside Latin-1 prints as `?`.

use super::render::{ReportTable, cell_text};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const PAGE_WIDTH: f32 = 842.0; // A4 landscape: report tables are wide.
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 36.0;
const FONT_SIZE: f32 = 8.0;
const LEADING: f32 = 12.0;
const TITLE_SIZE: f32 = 14.0;
/// Helvetica's average advance is a little over half its size; this keeps cells apart.
const CHAR_WIDTH: f32 = FONT_SIZE * 0.56;

fn rows_per_page() -> usize {
    // Title, a gap and the header row take the top of each page.
    let usable = PAGE_HEIGHT - 2.0 * MARGIN - TITLE_SIZE - 2.0 * LEADING;
    (usable / LEADING).floor().max(1.0) as usize
}

/// WinAnsi bytes for `text`: Latin-1 passes, anything else (and control characters) is `?`.
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b) if (0x20..0x7f).contains(&b) || b >= 0xa0 => b,
            _ => b'?',
        })
        .collect()
}

/// Cuts `text` to what fits in `width` points, marking a cut with `~`.
fn fit(text: &str, width: f32) -> String {
    let max = ((width / CHAR_WIDTH).floor() as usize).max(1);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('~');
        cut
    }
}

fn row_line(content: &mut Content, y: f32, cells: &[String], column_width: f32) {
    for (index, cell) in cells.iter().enumerate() {
        let x = MARGIN + index as f32 * column_width;
        let text = encode(&fit(cell, column_width - 4.0));
        content
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y])
            .show(Str(&text));
    }
}

pub fn to_pdf(table: &ReportTable, title: &str) -> Vec<u8> {
    let per_page = rows_per_page();
    let chunks: Vec<&[Vec<serde_json::Value>]> = if table.rows.is_empty() {
        vec![&[]]
    } else {
        table.rows.chunks(per_page).collect()
    };
    let page_count = chunks.len();
    let column_width = (PAGE_WIDTH - 2.0 * MARGIN) / table.columns.len().max(1) as f32;

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let font = Name(b"F1");
    let bold = Name(b"F2");
    let page_ids: Vec<Ref> = (0..page_count)
        .map(|i| Ref::new(5 + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_count as i32);
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    for (index, rows) in chunks.iter().enumerate() {
        let page_id = page_ids[index];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(font, font_id)
            .pair(bold, bold_id);
        page.finish();

        let mut content = Content::new();
        content.begin_text();
        let mut y = PAGE_HEIGHT - MARGIN - TITLE_SIZE;
        let heading = format!("{title}   (page {} of {page_count})", index + 1);
        content
            .set_font(bold, TITLE_SIZE)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, MARGIN, y])
            .show(Str(&encode(&heading)));
        y -= 2.0 * LEADING;
        content.set_font(bold, FONT_SIZE);
        row_line(&mut content, y, &table.columns, column_width);
        content.set_font(font, FONT_SIZE);
        for row in rows.iter() {
            y -= LEADING;
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            row_line(&mut content, y, &cells, column_width);
        }
        if table.rows.is_empty() {
            y -= LEADING;
            content
                .set_text_matrix([1.0, 0.0, 0.0, 1.0, MARGIN, y])
                .show(Str(b"(no rows)"));
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_tables_take_several_pages() {
        let table = ReportTable {
            columns: vec!["n".into()],
            rows: (0..(rows_per_page() * 2 + 1))
                .map(|i| vec![json!(i)])
                .collect(),
        };
        let bytes = to_pdf(&table, "Numbers");
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Count 3"), "three pages");
    }

    #[test]
    fn text_is_cut_to_the_column_and_encoded() {
        assert_eq!(fit("abcdefghij", CHAR_WIDTH * 4.0), "abc~");
        assert_eq!(fit("a\nb", 100.0), "a b");
        assert_eq!(encode("é→x"), vec![0xe9, b'?', b'x']);
    }
}
