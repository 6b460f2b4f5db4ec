//! Reading a customer list as staff send it: a CSV or text file in whatever encoding Excel or the
//! bank's systems wrote (UTF-8 with or without a BOM, GBK/GB18030, UTF-16 with a BOM), or an
//! Excel workbook (`.xlsx`, its first sheet). Either way the file becomes rows of cells, read one
//! at a time and never held whole as text: the first row that is not blank may be a header, which
//! names the customer-number column (`客户号`, `客户编号`, `customer_no` …); every other row gives
//! the number in that column, or the first. Each row is checked and kept as a COPY line for the
//! staging table, the refused ones reported with the whole line.

use super::{LineError, REPORT_ERRORS, UploadError, UploadReport};
use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};
use quanyi_workflows::domain::CustomerNo;

/// The longest line an upload may have: a customer number and some columns beside it.
pub const MAX_LINE: usize = 4096;

/// How much of a text file is looked at to tell its encoding when it has no BOM.
const SNIFF: usize = 64 * 1024;

/// The cells of one CSV line: split at commas outside double quotes, each trimmed and unquoted
/// (`""` inside quotes is one quote). A line is one record: quoted line breaks are not supported.
pub(crate) fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

/// Whether a header cell names the customer-number column, as the bank's systems and Excel
/// exports spell it (`customer_no`, `客户号`, `客户编号`, …).
fn names_customer_no(cell: &str) -> bool {
    let key = cell.to_lowercase().replace(['_', '-', ' ', '.'], "");
    matches!(
        key.as_str(),
        "customerno"
            | "custno"
            | "customernumber"
            | "customerid"
            | "客户号"
            | "客户编号"
            | "客户号码"
            | "客户id"
            | "客户代码"
    )
}

/// What the first row that is not blank is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FirstRow {
    /// A header naming the customer-number column.
    Header(usize),
    /// A header of other words (`序号,姓名`, `姓名,手机`): numbers are read from the first column.
    Words,
    /// Data, read from the first column.
    Data,
}

/// A first row is a header when a cell names the customer-number column; or when no cell of it
/// is a customer number and a cell holds Han characters (an Excel export's titles).
pub(super) fn first_row(row: &[String]) -> FirstRow {
    if let Some(i) = row.iter().position(|c| names_customer_no(c)) {
        return FirstRow::Header(i);
    }
    let any_number = row.iter().any(|c| CustomerNo::parse(c).is_ok());
    let words = row
        .iter()
        .any(|c| c.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)));
    if !any_number && words {
        FirstRow::Words
    } else {
        FirstRow::Data
    }
}

/// `text` escaped for a field of COPY's text format.
pub(crate) fn copy_field(text: &str, out: &mut Vec<u8>) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

/// The rows of an upload as they come: the customer-number column found, each number checked,
/// the valid ones written as COPY rows (`line<TAB>number<TAB>content`) and the others reported.
#[derive(Default)]
pub(super) struct Rows {
    /// The customer-number column, once the first row said whether it is a header.
    column: Option<usize>,
    /// COPY text not yet sent.
    pub rows: Vec<u8>,
    pub report: UploadReport,
}

impl Rows {
    /// One row: its number in the file, its cells, and the line as the report shows it.
    pub fn row(&mut self, line: i64, row: &[String], content: &str) {
        if row.iter().all(|c| c.is_empty()) {
            return;
        }
        let index = match self.column {
            Some(index) => index,
            None => match first_row(row) {
                FirstRow::Header(index) => {
                    self.column = Some(index);
                    return;
                }
                FirstRow::Words => {
                    self.column = Some(0);
                    return;
                }
                FirstRow::Data => {
                    self.column = Some(0);
                    0
                }
            },
        };
        let value = row.get(index).map_or("", String::as_str);
        self.report.total_rows += 1;
        if let Ok(no) = CustomerNo::parse(value) {
            self.rows
                .extend_from_slice(format!("{line}\t{no}\t").as_bytes());
            copy_field(content, &mut self.rows);
            self.rows.push(b'\n');
        } else {
            self.report.invalid += 1;
            if self.report.errors.len() < REPORT_ERRORS {
                self.report.errors.push(LineError {
                    line,
                    value: value.chars().take(40).collect(),
                    content: content.to_owned(),
                    code: "QY-CAMP-0101".into(),
                    message: "客户号应为 6–32 位字母或数字".into(),
                });
            }
        }
    }
}

/// A text file's lines as its chunks arrive, decoded in the encoding its first bytes tell.
#[derive(Default)]
pub(super) struct Lines {
    /// Bytes held while the encoding is not known yet.
    sniffed: Vec<u8>,
    decoder: Option<encoding_rs::Decoder>,
    /// The encoding the file was read in, once known.
    pub encoding: Option<&'static Encoding>,
    /// Decoded text of a line not yet ended.
    pending: String,
    line_no: i64,
    pub rows: Rows,
}

/// The encoding of a text file's first bytes: its BOM's; UTF-8 when they are UTF-8 (an ending
/// cut inside a character allowed); else what `chardetng` makes of them, for a Chinese bank
/// (GBK, read as GB18030, for an Excel CSV saved on a Chinese Windows).
pub(super) fn sniff(head: &[u8], whole: bool) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        Err(e) if e.error_len().is_none() && !whole => return UTF_8,
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, whole);
    let guess = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Deny);
    // a Western single-byte guess is taken for what a Chinese bank's files are: GB18030, whose
    // strict decoding refuses a file that is no text at all
    if guess.is_single_byte() {
        GB18030
    } else {
        guess
    }
}

impl Lines {
    /// Takes the next chunk, or `None` at the end (which ends a last line without a newline),
    /// and reads every line it completes.
    pub fn feed(&mut self, chunk: Option<&[u8]>) -> Result<(), UploadError> {
        let last = chunk.is_none();
        let started = self.decoder.is_some();
        let bytes: Vec<u8> = match (started, chunk) {
            (false, Some(chunk)) => {
                self.sniffed.extend_from_slice(chunk);
                if self.sniffed.len() < SNIFF {
                    return Ok(());
                }
                self.start(false);
                std::mem::take(&mut self.sniffed)
            }
            (false, None) => {
                self.start(true);
                std::mem::take(&mut self.sniffed)
            }
            (true, Some(chunk)) => chunk.to_vec(),
            (true, None) => Vec::new(),
        };
        self.decode(&bytes, last)?;
        if last && !self.pending.is_empty() {
            self.pending.push('\n');
        }
        self.lines()?;
        if self.pending.len() > MAX_LINE {
            return Err(UploadError::LineTooLong(self.line_no + 1));
        }
        Ok(())
    }

    fn start(&mut self, whole: bool) {
        let head = &self.sniffed[..self.sniffed.len().min(SNIFF)];
        let encoding = sniff(head, whole && self.sniffed.len() <= SNIFF);
        self.encoding = Some(encoding);
        self.decoder = Some(encoding.new_decoder_with_bom_removal());
    }

    /// Decodes `bytes` onto the pending text; a byte sequence the encoding does not have stops
    /// the upload at its line.
    fn decode(&mut self, mut bytes: &[u8], last: bool) -> Result<(), UploadError> {
        let decoder = self.decoder.as_mut().expect("started");
        loop {
            let room = decoder
                .max_utf8_buffer_length_without_replacement(bytes.len())
                .unwrap_or(bytes.len() * 3 + 16);
            self.pending.reserve(room);
            let (result, read) =
                decoder.decode_to_string_without_replacement(bytes, &mut self.pending, last);
            bytes = &bytes[read..];
            match result {
                DecoderResult::InputEmpty => return Ok(()),
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(_, _) => {
                    let newlines = self.pending.bytes().filter(|&b| b == b'\n').count() as i64;
                    return Err(UploadError::NotText(self.line_no + newlines + 1));
                }
            }
        }
    }

    /// Reads the complete lines of the pending text.
    fn lines(&mut self) -> Result<(), UploadError> {
        let Some(last_newline) = self.pending.rfind('\n') else {
            return Ok(());
        };
        let rest = self.pending.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        for line in complete[..complete.len() - 1].split('\n') {
            self.line_no += 1;
            if line.len() > MAX_LINE {
                return Err(UploadError::LineTooLong(self.line_no));
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = line.trim_start_matches('\u{feff}');
            if line.trim().is_empty() {
                continue;
            }
            self.rows.row(self.line_no, &cells(line), line);
        }
        Ok(())
    }
}

/// Whether a file's first bytes are a ZIP archive's (an `.xlsx` workbook).
pub(super) fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// A cell's text as staff see it: a whole number without `.0` (Excel keeps customer numbers
/// typed as numbers as floats), a date as Excel's ISO text.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_owned()
        }
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Reads the first sheet of the workbook in `file` row by row (cells streamed out of the sheet's
/// XML, not loaded as a range), handing each batch of COPY rows to `send`; what it read.
pub(super) fn read_xlsx(
    file: Vec<u8>,
    mut send: impl FnMut(Vec<u8>) -> bool,
) -> Result<UploadReport, UploadError> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(file))
        .map_err(|e| UploadError::NotWorkbook(e.to_string()))?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(UploadError::NotWorkbook("no sheet".into()));
    };
    let mut cells_in = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| UploadError::NotWorkbook(e.to_string()))?;
    let mut rows = Rows::default();
    let mut current: Option<u32> = None;
    let mut row: Vec<String> = Vec::new();
    let flush = |rows: &mut Rows, at: u32, row: &mut Vec<String>| {
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
        let content = row.join(",");
        rows.row(i64::from(at) + 1, row, &content);
        row.clear();
    };
    loop {
        let cell = cells_in
            .next_cell()
            .map_err(|e| UploadError::NotWorkbook(e.to_string()))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(at) = current {
                flush(&mut rows, at, &mut row);
            }
            current = Some(r);
        }
        let c = c as usize;
        if c >= 256 {
            return Err(UploadError::LineTooLong(i64::from(r) + 1));
        }
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = cell_text(cell.get_value());
        if rows.rows.len() >= 48 * 1024 && !send(std::mem::take(&mut rows.rows)) {
            return Err(UploadError::Body("the upload was given up".into()));
        }
    }
    if let Some(at) = current {
        flush(&mut rows, at, &mut row);
    }
    if !rows.rows.is_empty() && !send(std::mem::take(&mut rows.rows)) {
        return Err(UploadError::Body("the upload was given up".into()));
    }
    Ok(rows.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_split_at_commas_outside_quotes() {
        assert_eq!(cells("1, C000000001 ,张三"), ["1", "C000000001", "张三"]);
        assert_eq!(
            cells(r#""2","C000000002","王,""五""""#),
            ["2", "C000000002", r#"王,"五""#]
        );
        assert_eq!(cells("C000000003"), ["C000000003"]);
    }

    #[test]
    fn a_header_names_the_customer_number_column_as_the_bank_spells_it() {
        let first = |line: &str| first_row(&cells(line));
        assert_eq!(first("序号,客户号,客户姓名"), FirstRow::Header(1));
        assert_eq!(first("customer_no"), FirstRow::Header(0));
        assert_eq!(first("No.,Customer No,Name"), FirstRow::Header(1));
        assert_eq!(first("客户编号"), FirstRow::Header(0));
        // titles that name no customer-number column: a header all the same, numbers in column 1
        assert_eq!(first("姓名,手机"), FirstRow::Words);
        // data: read from the first column
        assert_eq!(first("C000000001,张三"), FirstRow::Data);
        assert_eq!(first("bad"), FirstRow::Data);
    }

    fn read_all(chunks: &[&[u8]]) -> Lines {
        let mut lines = Lines::default();
        for chunk in chunks {
            lines.feed(Some(chunk)).unwrap();
        }
        lines.feed(None).unwrap();
        lines
    }

    #[test]
    fn lines_cut_across_chunks_are_read_whole_and_numbered_as_in_the_file() {
        let lines = read_all(&[
            "\u{feff}序号,客户号\r\n1,C0000".as_bytes(),
            "00001\r\n2,bad\n\n3,C000000003".as_bytes(),
        ]);
        assert_eq!(
            String::from_utf8(lines.rows.rows).unwrap(),
            "2\tC000000001\t1,C000000001\n5\tC000000003\t3,C000000003\n"
        );
        let report = lines.rows.report;
        assert_eq!((report.total_rows, report.invalid), (3, 1));
        assert_eq!(report.errors[0].line, 3);
        assert_eq!(report.errors[0].value, "bad");
        assert_eq!(report.errors[0].content, "2,bad");
    }

    #[test]
    fn a_gbk_file_is_read_in_gbk_whatever_the_chunks() {
        let (gbk, _, _) = encoding_rs::GBK.encode("客户号,姓名\nC000000001,张三\n短,李四\n");
        for cut in [1, 7, 12, gbk.len() - 1] {
            let lines = read_all(&[&gbk[..cut], &gbk[cut..]]);
            assert_eq!(lines.encoding, Some(encoding_rs::GBK), "cut at {cut}");
            let report = &lines.rows.report;
            assert_eq!((report.total_rows, report.invalid), (2, 1), "cut at {cut}");
            assert_eq!(report.errors[0].content, "短,李四");
        }
    }

    #[test]
    fn a_line_past_the_limit_or_not_text_stops_the_upload_at_its_number() {
        let mut long = Lines::default();
        long.feed(Some(b"C000000001\n")).unwrap();
        let stopped = long
            .feed(Some(&[b'C'; SNIFF + MAX_LINE]))
            .and_then(|()| long.feed(None));
        assert!(
            matches!(stopped, Err(UploadError::LineTooLong(2))),
            "{stopped:?}"
        );
        // UTF-8 at first, then a byte that is no UTF-8
        let mut text = "C000000001\n".repeat(SNIFF / 11 + 1).into_bytes();
        let lines_before = (SNIFF / 11 + 1) as i64;
        text.extend_from_slice(b"\xff\xfe\xfd\n");
        let mut broken = Lines::default();
        let stopped = broken.feed(Some(&text)).and_then(|()| broken.feed(None));
        assert!(
            matches!(stopped, Err(UploadError::NotText(n)) if n == lines_before + 1),
            "{stopped:?}"
        );
    }
}
