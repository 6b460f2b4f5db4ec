//! 客户导入 (INT-4): the big-data platform's daily extract of customers, a UTF-8 CSV file with a
//! header row (docs/customers.md names the columns), streamed into a staging table with COPY and
//! never held whole. Each line's personal fields are checked and sealed as the line is read
//! (personal data reaches the database only sealed, the staging table included); the rest is
//! checked set-based in the staging table — the customer number's form, the org (known and in
//! the importer's scope), a customer served by an org outside it, customer numbers repeated
//! within the file — and the good rows are upserted: a row equal to what is stored (the record's
//! digest, the org, status and opening date) is not written, so the same file twice changes
//! nothing. Each run is a batch log row (`customer_import`) and a `customer_imports` row with the
//! report: the refused lines by number, field and reason, never their content.

use super::keys::{CustomerKeys, Field};
use super::{PersonalData, Sealed, Status, checks};
use crate::audit::{self, Entry};
use crate::batch::{self, Job};
use crate::campaign::customer_file::{cells, copy_field};
use crate::clock::Clock;
use crate::identity::scope::{DataScope, scope_params};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool};

/// The longest line an extract may have.
pub const MAX_LINE: usize = 8192;

/// How many refused lines a report names (the count covers them all).
pub const REPORT_LINES: usize = 1000;

/// A column of the extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    CustomerNo,
    OrgCode,
    Name,
    Phone,
    IdNumber,
    Cards,
    Status,
    OpenedOn,
}

impl Column {
    /// The column a header cell names: the English names of docs/customers.md or the bank's
    /// Chinese titles.
    fn named(cell: &str) -> Option<Column> {
        let key = cell.trim().to_lowercase();
        Some(match key.as_str() {
            "customer_no" | "客户号" => Column::CustomerNo,
            "org_code" | "机构号" | "机构代码" => Column::OrgCode,
            "name" | "姓名" | "客户姓名" => Column::Name,
            "phone" | "手机号" | "手机号码" => Column::Phone,
            "id_number" | "证件号码" | "身份证号" => Column::IdNumber,
            "card_numbers" | "卡号" => Column::Cards,
            "status" | "状态" | "客户状态" => Column::Status,
            "opened_on" | "开户日期" => Column::OpenedOn,
            _ => return None,
        })
    }
}

/// A refused line: its number in the file, the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CustomerImportReject)]
pub struct Reject {
    /// Counted from 1, the header being line 1.
    pub line: i64,
    pub field: String,
    /// `QY-CUST-01nn` (docs/customers.md).
    pub code: String,
    pub reason: String,
}

/// The reason of each report code.
fn reason(code: &str) -> &'static str {
    match code {
        "QY-CUST-0101" => "列数与表头不符",
        "QY-CUST-0102" => "客户号须为 6–32 位字母或数字",
        "QY-CUST-0103" => "机构号不存在或不在导入人的数据范围内",
        "QY-CUST-0104" => "姓名须为 1–50 个字符，不含控制字符",
        "QY-CUST-0105" => "手机号须为 11 位大陆手机号码",
        "QY-CUST-0106" => "证件号码须为 18 位身份证号，出生日期和校验位正确",
        "QY-CUST-0107" => "卡号须为 12–19 位数字且校验位正确，最多 20 张",
        "QY-CUST-0108" => "状态须为 active、dormant 或 closed",
        "QY-CUST-0109" => "开户日期须为 YYYY-MM-DD",
        "QY-CUST-0110" => "客户号在文件中重复出现，各行均未导入",
        "QY-CUST-0111" => "该行不是 UTF-8 文本或含有控制字符",
        "QY-CUST-0112" => "该客户归属的机构不在导入人的数据范围内",
        _ => "未知错误",
    }
}

fn field_code(field: Field) -> &'static str {
    match field {
        Field::Name => "QY-CUST-0104",
        Field::Phone => "QY-CUST-0105",
        Field::IdNumber => "QY-CUST-0106",
        Field::Cards => "QY-CUST-0107",
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CustomerImportReport)]
pub struct ImportReport {
    /// The batch log row of the run.
    pub batch_run_id: i64,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
    /// Data lines read (the header and blank lines not counted).
    pub total_rows: i64,
    pub inserted: i64,
    pub updated: i64,
    /// Good lines equal to what was stored: nothing written.
    pub unchanged: i64,
    pub rejected: i64,
    /// The first 1,000 refused lines, by line.
    pub rejects: Vec<Reject>,
}

/// Why an import stopped (nothing of it written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The first line is not a header naming `customer_no` and `org_code` (and only known
    /// columns, each once).
    #[error("the header must name customer_no and org_code, known columns once each: {0}")]
    Header(String),
    #[error("line {0} is longer than {MAX_LINE} bytes")]
    LineTooLong(i64),
    #[error("the file holds no data line")]
    Empty,
    #[error("the file could not be read: {0}")]
    Body(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// The staging table's columns, in COPY order.
const STAGE: &str = "CREATE TEMP TABLE customer_stage (
        line bigint NOT NULL, customer_no text NOT NULL, org_code text, status text,
        opened_on date, pseudonym text, name_sealed bytea, phone_sealed bytea,
        id_number_sealed bytea, cards_sealed bytea, phone_index bytea, digest bytea,
        field text, code text) ON COMMIT DROP";

fn push_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

fn push_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => copy_field(t, out),
        None => push_null(out),
    }
}

fn push_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        // bytea's hex form, its backslash escaped for COPY's text format
        Some(b) => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(hex::encode(b).as_bytes());
        }
        None => push_null(out),
    }
}

/// The lines of the file as they arrive, each turned into a staging row.
struct Reader<'k> {
    keys: &'k CustomerKeys,
    columns: Option<Vec<Column>>,
    pending: Vec<u8>,
    line_no: i64,
    total: i64,
    /// COPY text not yet sent.
    rows: Vec<u8>,
    hasher: Sha256,
}

impl<'k> Reader<'k> {
    fn new(keys: &'k CustomerKeys) -> Self {
        Self {
            keys,
            columns: None,
            pending: Vec::new(),
            line_no: 0,
            total: 0,
            rows: Vec::new(),
            hasher: Sha256::new(),
        }
    }

    /// Takes the next chunk, or `None` at the end, and reads every line it completes.
    fn feed(&mut self, chunk: Option<&[u8]>) -> Result<(), ImportError> {
        match chunk {
            Some(chunk) => {
                self.hasher.update(chunk);
                self.pending.extend_from_slice(chunk);
            }
            None if !self.pending.is_empty() => self.pending.push(b'\n'),
            None => {}
        }
        let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') else {
            if self.pending.len() > MAX_LINE {
                return Err(ImportError::LineTooLong(self.line_no + 1));
            }
            return Ok(());
        };
        let rest = self.pending.split_off(last + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        for line in complete[..complete.len() - 1].split(|&b| b == b'\n') {
            self.line_no += 1;
            if line.len() > MAX_LINE {
                return Err(ImportError::LineTooLong(self.line_no));
            }
            self.line(line)?;
        }
        if self.pending.len() > MAX_LINE {
            return Err(ImportError::LineTooLong(self.line_no + 1));
        }
        Ok(())
    }

    fn line(&mut self, raw: &[u8]) -> Result<(), ImportError> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = if self.line_no == 1 {
            raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
        } else {
            raw
        };
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let Some(columns) = self.columns.clone() else {
            self.columns = Some(header(raw)?);
            return Ok(());
        };
        self.total += 1;
        let line = self.line_no;
        let text = match std::str::from_utf8(raw) {
            Ok(text) if !text.chars().any(|c| c.is_control() && c != '\t') => text,
            _ => {
                self.reject(line, "", "line", "QY-CUST-0111");
                return Ok(());
            }
        };
        let row = cells(text);
        if row.len() != columns.len() {
            let no = row.first().map_or("", String::as_str).to_owned();
            self.reject(line, &no, "line", "QY-CUST-0101");
            return Ok(());
        }
        let get = |column: Column| {
            columns
                .iter()
                .position(|c| *c == column)
                .map(|i| row[i].as_str())
                .filter(|v| !v.is_empty())
        };
        let customer_no = get(Column::CustomerNo).unwrap_or("").to_owned();
        let status = match get(Column::Status).map(Status::parse) {
            None => Status::Active,
            Some(Some(status)) => status,
            Some(None) => {
                self.reject(line, &customer_no, "status", "QY-CUST-0108");
                return Ok(());
            }
        };
        let opened_on =
            match get(Column::OpenedOn).map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
                None => None,
                Some(Ok(date)) => Some(date),
                Some(Err(_)) => {
                    self.reject(line, &customer_no, "opened_on", "QY-CUST-0109");
                    return Ok(());
                }
            };
        let personal = PersonalData {
            name: get(Column::Name).map(str::to_owned),
            phone: get(Column::Phone).map(str::to_owned),
            id_number: get(Column::IdNumber).map(str::to_uppercase),
            card_numbers: get(Column::Cards)
                .map(checks::split_cards)
                .unwrap_or_default(),
        };
        if let Some(field) = personal.invalid_field() {
            self.reject(line, &customer_no, field.as_str(), field_code(field));
            return Ok(());
        }
        let org_code = get(Column::OrgCode).map(str::to_owned);
        let sealed = Sealed::of(self.keys, &customer_no, &personal);
        let pseudonym = self.keys.pseudonym(&customer_no);
        let out = &mut self.rows;
        out.extend_from_slice(format!("{line}\t").as_bytes());
        copy_field(&customer_no, out);
        out.push(b'\t');
        push_text(out, org_code.as_deref());
        out.push(b'\t');
        push_text(out, Some(status.as_str()));
        out.push(b'\t');
        push_text(out, opened_on.map(|d| d.to_string()).as_deref());
        out.push(b'\t');
        push_text(out, Some(&pseudonym));
        for sealed in [
            sealed.name.as_deref(),
            sealed.phone.as_deref(),
            sealed.id_number.as_deref(),
            sealed.cards.as_deref(),
            sealed.phone_index.as_deref(),
            Some(sealed.digest.as_slice()),
        ] {
            out.push(b'\t');
            push_bytes(out, sealed);
        }
        out.extend_from_slice(b"\t\\N\t\\N\n");
        Ok(())
    }

    /// A line refused as it was read: staged with its code, nothing of its personal data.
    fn reject(&mut self, line: i64, customer_no: &str, field: &str, code: &str) {
        let out = &mut self.rows;
        out.extend_from_slice(format!("{line}\t").as_bytes());
        copy_field(customer_no, out);
        out.extend_from_slice(b"\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t");
        copy_field(field, out);
        out.push(b'\t');
        copy_field(code, out);
        out.push(b'\n');
    }
}

/// The columns the header names: `customer_no` and `org_code` at least, each column once.
fn header(raw: &[u8]) -> Result<Vec<Column>, ImportError> {
    let text = std::str::from_utf8(raw)
        .map_err(|_| ImportError::Header("the header is not UTF-8 text".into()))?;
    let mut columns = Vec::new();
    for cell in cells(text) {
        let column = Column::named(&cell).ok_or_else(|| {
            ImportError::Header(format!(
                "unknown column {:?}",
                cell.chars().take(40).collect::<String>()
            ))
        })?;
        if columns.contains(&column) {
            return Err(ImportError::Header(format!("{cell:?} appears twice")));
        }
        columns.push(column);
    }
    for needed in [Column::CustomerNo, Column::OrgCode] {
        if !columns.contains(&needed) {
            return Err(ImportError::Header(format!("no {needed:?} column")));
        }
    }
    Ok(columns)
}

/// Who imports, and under which scope: the orgs a row may name.
pub struct Importer {
    /// The batch log's `triggered_by`: `cli`, `staff` or `test`.
    pub triggered_by: &'static str,
    pub scope: DataScope,
    /// The audit row's actor.
    pub by: Entry,
}

/// Imports the extract streamed in `body`, named `file_name` in the report: all of it or, when
/// the file cannot be read to its end, nothing. Recorded in the batch log whatever the outcome.
#[tracing::instrument(skip_all)]
pub async fn import<S, E>(
    pool: &PgPool,
    keys: &CustomerKeys,
    importer: Importer,
    file_name: &str,
    body: S,
    clock: &dyn Clock,
) -> Result<ImportReport, ImportError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let run = batch::start(
        pool,
        Job::CustomerImport,
        importer.triggered_by,
        clock.now(),
    )
    .await?;
    let outcome = run_import(pool, keys, &importer, run, file_name, body, clock.now()).await;
    let recorded = match &outcome {
        Ok(report) => Ok(report.inserted + report.updated),
        Err(e) => Err(e.to_string()),
    };
    batch::finish(pool, run, recorded, clock.now()).await?;
    if let Ok(report) = &outcome {
        tracing::info!(
            file_name,
            total = report.total_rows,
            inserted = report.inserted,
            updated = report.updated,
            unchanged = report.unchanged,
            rejected = report.rejected,
            "customers imported"
        );
    }
    outcome
}

async fn run_import<S, E>(
    pool: &PgPool,
    keys: &CustomerKeys,
    importer: &Importer,
    run: i64,
    file_name: &str,
    mut body: S,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut tx = pool.begin().await?;
    sqlx::query(STAGE).execute(&mut *tx).await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY customer_stage (line, customer_no, org_code, status, opened_on, pseudonym,
                                  name_sealed, phone_sealed, id_number_sealed, cards_sealed,
                                  phone_index, digest, field, code) FROM STDIN",
        )
        .await?;
    let (total, sha) = match stage(&mut copy, keys, &mut body).await {
        Ok(read) => read,
        Err(e) => {
            if !matches!(e, ImportError::Store(_)) {
                copy.abort(e.to_string()).await.ok();
            }
            return Err(e);
        }
    };
    copy.finish().await?;
    if total == 0 {
        return Err(ImportError::Empty);
    }
    validate(&mut tx, &importer.scope).await?;
    let (inserted, updated) = upsert(&mut tx, now).await?;
    let (rejected, rejects) = rejects(&mut tx).await?;
    let report = ImportReport {
        batch_run_id: run,
        file_sha256: sha,
        total_rows: total,
        inserted,
        updated,
        unchanged: total - rejected - inserted - updated,
        rejected,
        rejects,
    };
    let name: String = file_name.chars().take(255).collect();
    let name = if name.trim().is_empty() {
        "upload.csv".to_owned()
    } else {
        name
    };
    sqlx::query(
        "INSERT INTO customer_imports (batch_run_id, file_name, file_sha256, total_rows, inserted,
                                       updated, unchanged, rejected, rejects)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(run)
    .bind(&name)
    .bind(&report.file_sha256)
    .bind(report.total_rows)
    .bind(report.inserted)
    .bind(report.updated)
    .bind(report.unchanged)
    .bind(report.rejected)
    .bind(serde_json::to_value(&report.rejects).expect("rejects serialize"))
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "customer.customer.import",
        target: Some(name),
        after: Some(serde_json::json!({
            "batch_run_id": run, "total_rows": report.total_rows, "inserted": report.inserted,
            "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
        })),
        ..importer.by.clone()
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(report)
}

/// Streams `body` into the staging table; the data lines read and the file's SHA-256.
async fn stage<S, E>(
    copy: &mut PgCopyIn<&mut PgConnection>,
    keys: &CustomerKeys,
    body: &mut S,
) -> Result<(i64, String), ImportError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut reader = Reader::new(keys);
    loop {
        let chunk = match body.next().await {
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(e)) => return Err(ImportError::Body(e.to_string())),
            None => None,
        };
        let finished = chunk.is_none();
        reader.feed(chunk.as_deref())?;
        if reader.rows.len() >= 256 * 1024 || (finished && !reader.rows.is_empty()) {
            copy.send(reader.rows.as_slice()).await?;
            reader.rows.clear();
        }
        if finished {
            if reader.columns.is_none() {
                return Err(ImportError::Empty);
            }
            return Ok((reader.total, hex::encode(reader.hasher.finalize())));
        }
    }
}

/// The set-based checks, each marking the rows still good that fail it.
async fn validate(tx: &mut PgConnection, scope: &DataScope) -> Result<(), sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    // the staging table exists only in this transaction: these statements are checked by the
    // tests (tests/e2e/customers.rs), not by sqlx's offline data
    sqlx::query("ANALYZE customer_stage")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE customer_stage SET field = 'customer_no', code = 'QY-CUST-0102'
          WHERE code IS NULL AND customer_no !~ '^[0-9A-Za-z]{6,32}$'",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE customer_stage s SET field = 'customer_no', code = 'QY-CUST-0110'
           FROM (SELECT customer_no FROM customer_stage
                  WHERE customer_no ~ '^[0-9A-Za-z]{6,32}$'
                  GROUP BY customer_no HAVING count(*) > 1) d
          WHERE s.customer_no = d.customer_no AND s.code IS NULL",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE customer_stage s SET field = 'org_code', code = 'QY-CUST-0103'
          WHERE s.code IS NULL
            AND NOT EXISTS (SELECT 1 FROM orgs o
                             WHERE o.code = s.org_code
                               AND ($1 OR o.path LIKE $2 || '%' OR o.id = $3))",
    )
    .bind(all)
    .bind(&path)
    .bind(org)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE customer_stage s SET field = 'customer_no', code = 'QY-CUST-0112'
          WHERE s.code IS NULL
            AND EXISTS (SELECT 1 FROM customers c JOIN orgs o ON o.id = c.org_id
                         WHERE c.customer_no = s.customer_no
                           AND NOT ($1 OR o.path LIKE $2 || '%' OR o.id = $3))",
    )
    .bind(all)
    .bind(&path)
    .bind(org)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Upserts the good rows; how many customers were inserted and how many changed.
async fn upsert(tx: &mut PgConnection, now: DateTime<Utc>) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query(
        "CREATE TEMP TABLE customer_changed (customer_no text PRIMARY KEY, inserted boolean NOT NULL)
             ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH up AS (
             INSERT INTO customers AS c (customer_no, org_id, status, opened_on, pseudonym, source,
                                         created_at, updated_at)
             SELECT s.customer_no, o.id, s.status, s.opened_on, s.pseudonym, 'import', $1, $1
               FROM customer_stage s JOIN orgs o ON o.code = s.org_code
              WHERE s.code IS NULL
             ON CONFLICT (customer_no) DO UPDATE
                SET org_id = EXCLUDED.org_id, status = EXCLUDED.status,
                    opened_on = EXCLUDED.opened_on, source = 'import',
                    updated_at = EXCLUDED.updated_at
              WHERE (c.org_id, c.status, c.opened_on)
                    IS DISTINCT FROM (EXCLUDED.org_id, EXCLUDED.status, EXCLUDED.opened_on)
             RETURNING c.customer_no, c.xmax = 0 AS inserted)
         INSERT INTO customer_changed SELECT customer_no, inserted FROM up",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH up AS (
             INSERT INTO pii.customer_personal_data AS p
                    (customer_no, name_sealed, phone_sealed, id_number_sealed, cards_sealed,
                     phone_index, digest, updated_at)
             SELECT customer_no, name_sealed, phone_sealed, id_number_sealed, cards_sealed,
                    phone_index, digest, $1
               FROM customer_stage WHERE code IS NULL
             ON CONFLICT (customer_no) DO UPDATE
                SET name_sealed = EXCLUDED.name_sealed, phone_sealed = EXCLUDED.phone_sealed,
                    id_number_sealed = EXCLUDED.id_number_sealed,
                    cards_sealed = EXCLUDED.cards_sealed, phone_index = EXCLUDED.phone_index,
                    digest = EXCLUDED.digest, updated_at = EXCLUDED.updated_at
              WHERE p.digest IS DISTINCT FROM EXCLUDED.digest
             RETURNING p.customer_no)
         INSERT INTO customer_changed SELECT customer_no, false FROM up
         ON CONFLICT (customer_no) DO NOTHING",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (inserted, updated): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
           FROM customer_changed",
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((inserted, updated))
}

/// How many lines were refused, and the first [`REPORT_LINES`] of them by line.
async fn rejects(tx: &mut PgConnection) -> Result<(i64, Vec<Reject>), sqlx::Error> {
    let rejected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM customer_stage WHERE code IS NOT NULL")
            .fetch_one(&mut *tx)
            .await?;
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT line, field, code FROM customer_stage WHERE code IS NOT NULL
          ORDER BY line LIMIT $1",
    )
    .bind(REPORT_LINES as i64)
    .fetch_all(&mut *tx)
    .await?;
    let rejects = rows
        .into_iter()
        .map(|(line, field, code)| Reject {
            line,
            field,
            reason: reason(&code).to_owned(),
            code,
        })
        .collect();
    Ok((rejected, rejects))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> CustomerKeys {
        let (pii, mapping) = CustomerKeys::generate_base64();
        CustomerKeys::from_base64(&pii, &mapping).unwrap()
    }

    fn read(keys: &CustomerKeys, chunks: &[&[u8]]) -> Result<(String, i64), ImportError> {
        let mut reader = Reader::new(keys);
        for chunk in chunks {
            reader.feed(Some(chunk))?;
        }
        reader.feed(None)?;
        Ok((String::from_utf8(reader.rows).unwrap(), reader.total))
    }

    #[test]
    fn the_header_names_the_columns_in_any_order() {
        assert_eq!(
            header(b"org_code,customer_no").unwrap(),
            [Column::OrgCode, Column::CustomerNo]
        );
        assert_eq!(header("客户号,机构号,手机号".as_bytes()).unwrap().len(), 3);
        assert!(matches!(
            header(b"customer_no"),
            Err(ImportError::Header(_))
        ));
        assert!(matches!(
            header(b"customer_no,org_code,colour"),
            Err(ImportError::Header(_))
        ));
        assert!(matches!(
            header(b"customer_no,org_code,customer_no"),
            Err(ImportError::Header(_))
        ));
    }

    #[test]
    fn a_good_line_is_staged_sealed_and_a_bad_one_with_its_code_and_nothing_personal() {
        let keys = keys();
        let (rows, total) = read(
            &keys,
            &[
                "\u{feff}customer_no,org_code,name,phone,id_number\r\nC10000001,HO,张三,138123"
                    .as_bytes(),
                "45678,110101199003074477\r\n\nC10000002,HO,李四,12345,\n".as_bytes(),
            ],
        )
        .unwrap();
        assert_eq!(total, 2);
        let lines: Vec<&str> = rows.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("2\tC10000001\tHO\tactive\t\\N\t"));
        assert!(lines[0].ends_with("\t\\N\t\\N"));
        assert!(!rows.contains("张三") && !rows.contains("13812345678"));
        assert!(!rows.contains("110101199003074477") && !rows.contains("李四"));
        assert!(lines[1].starts_with("4\tC10000002\t\\N"));
        assert!(lines[1].ends_with("\tphone\tQY-CUST-0105"));
    }

    #[test]
    fn lines_with_other_columns_counts_statuses_or_dates_are_refused_by_line() {
        let keys = keys();
        let (rows, total) = read(
            &keys,
            &[b"customer_no,org_code,status,opened_on\nC1,HO\nC10000003,HO,gone,\nC10000004,HO,,2026-13-01\nC10000005,HO,closed,2020-02-29\n"],
        )
        .unwrap();
        assert_eq!(total, 4);
        let lines: Vec<&str> = rows.lines().collect();
        assert!(lines[0].starts_with("2\tC1\t") && lines[0].ends_with("line\tQY-CUST-0101"));
        assert!(lines[1].ends_with("status\tQY-CUST-0108"));
        assert!(lines[2].ends_with("opened_on\tQY-CUST-0109"));
        assert!(lines[3].starts_with("5\tC10000005\tHO\tclosed\t2020-02-29\t"));
    }

    #[test]
    fn a_line_past_the_limit_stops_the_import_at_its_number() {
        let keys = keys();
        let long = vec![b'x'; MAX_LINE + 1];
        let stopped = read(&keys, &[b"customer_no,org_code\n", &long]);
        assert!(
            matches!(stopped, Err(ImportError::LineTooLong(2))),
            "{stopped:?}"
        );
    }
}
