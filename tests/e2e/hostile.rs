//! The hostile-input table (issue 13): the same hostile values — NUL and other control characters,
//! lone surrogates, 10,000-deep nesting, `1e400`, ±2^63, duplicate keys, empty and 100 KB strings —
//! sent to every write route of the live OpenAPI document, to the signed channel API and to the ESB
//! gateway, plus hostile query strings and path segments on every route that takes them. Each is
//! refused with a 4xx and a `QY-`/`GW-`/`BIZ-` code (the ESB: HTTP 200, a refusing `retCode` and a
//! log row for every message), and none writes a row.

use chrono::{Duration, Utc};
use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use quanyi_activities::audit::Entry;
use quanyi_activities::benefits::admin::{self, NewTemplate};
use quanyi_activities::benefits::clients::{self, ClientKind, NewClient};
use quanyi_activities::esb::{self as esb_store, NewConsumer};
use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{Browser, TestApp, data_key, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use uuid::Uuid;

/// Tables a refused request may write to by design, each for its reason; every other table of the
/// public schema must be exactly as it was (row count and newest row version) after a refusal.
const MAY_CHANGE: &[(&str, &str)] = &[
    (
        "audit_log",
        "a log: security events and refused attempts are recorded",
    ),
    (
        "audit_unsealed",
        "the audit rows waiting for their seal: a refused attempt's row queues there",
    ),
    (
        "audit_seals",
        "the audit chain: the sealer seals the audit rows of refused attempts too",
    ),
    (
        "login_log",
        "a log: every sign-in attempt is recorded, whatever its outcome",
    ),
    (
        "login_locks",
        "counts failed sign-ins: a refused sign-in counts by design",
    ),
    (
        "esb_messages",
        "a log: every ESB message is logged (asserted: one row each)",
    ),
    (
        "esb_exchanges",
        "an ESB serial number keeps its first answer, a BIZ-C refusal too (docs/esb.md)",
    ),
    (
        "sessions",
        "every request touches its session's last-seen time",
    ),
    ("captchas", "a sign-in spends its captcha"),
    (
        "ledger_requests",
        "a ledger request id keeps its first answer, a ledger refusal too (docs/ledger.md)",
    ),
    (
        "api_nonces",
        "the gateway spends a nonce before it reads the envelope; signed reads spend theirs",
    ),
    (
        "batch_runs",
        "a log: every customer import is a batch run, a refused file's run too (failed)",
    ),
];

/// A hostile value as JSON text, and the class of answer it must get.
struct Hostile {
    name: &'static str,
    json: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Control,
    Surrogate,
    Long,
    Empty,
    /// A number: sent into every field, whatever its type.
    Number,
}

fn hostile_values() -> Vec<Hostile> {
    let h = |name, json: &str, kind| Hostile {
        name,
        json: json.to_owned(),
        kind,
    };
    vec![
        h("NUL", r#""a\u0000b""#, Kind::Control),
        h("ESC", r#""a\u001bb""#, Kind::Control),
        h("a lone high surrogate", r#""a\ud800b""#, Kind::Surrogate),
        h("a lone low surrogate", r#""\udc00b""#, Kind::Surrogate),
        Hostile {
            name: "a 100 KB string",
            json: format!("\"{}\"", "a".repeat(100 * 1024)),
            kind: Kind::Long,
        },
        h("an empty string", r#""""#, Kind::Empty),
        h("2^63", "9223372036854775808", Kind::Number),
        h("-2^63-1", "-9223372036854775809", Kind::Number),
        h("1e400", "1e400", Kind::Number),
    ]
}

/// What must come of a hostile request.
#[derive(Clone, Debug)]
enum Want {
    /// Refused with this status (ignored for the ESB) and code, naming `field` when given.
    Exactly {
        status: u16,
        code: &'static str,
        field: Option<String>,
    },
    /// Any 4xx with a `QY-`/`GW-`/`BIZ-` code (the ESB: any `GW-C-`/`BIZ-C-` retCode).
    Refused,
    /// Refused as above, or taken: an empty string is a fair value for some fields.
    RefusedOrAccepted,
}

fn exactly(status: u16, code: &'static str, field: Option<String>) -> Want {
    Want::Exactly {
        status,
        code,
        field,
    }
}

/// One request's body and what must come of it.
struct Case {
    name: String,
    body: Vec<u8>,
    want: Want,
}

// ---------------------------------------------------------------------------------------------
// JSON bodies: a valid-shaped body from the schema, every leaf, and substitution by raw text.

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A path as the API names a field (serde_path_to_error's form: `rules[0].name`).
fn show_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{r} resolves")),
        ),
        None => schema,
    }
}

/// The schema's type, the first that is not `null`.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ if schema.get("properties").is_some() => Some("object"),
        _ => None,
    }
}

/// A valid-shaped value for `schema`: the hint for the field's name, the schema's example, its
/// first enum value, or a plain value of its type and format.
fn sample(doc: &Value, schema: &Value, name: &str, hints: &Map<String, Value>, depth: u8) -> Value {
    let s = resolve(doc, schema);
    if let Some(hint) = hints.get(name) {
        return hint.clone();
    }
    if depth > 8 {
        return Value::Null;
    }
    if let Some(example) = s.get("example") {
        return example.clone();
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(m) = sample(doc, part, name, hints, depth + 1) {
                merged.extend(m);
            }
        }
        return Value::Object(merged);
    }
    if let Some(one) = s
        .get("oneOf")
        .or_else(|| s.get("anyOf"))
        .and_then(Value::as_array)
    {
        let pick = one
            .iter()
            .find(|alt| {
                type_of(resolve(doc, alt)) != Some("null")
                    && resolve(doc, alt) != &json!({"type": "null"})
            })
            .unwrap_or(&Value::Null);
        return sample(doc, pick, name, hints, depth + 1);
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    match type_of(s) {
        Some("object") => Value::Object(
            s.get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, sub)| (k.clone(), sample(doc, sub, k, hints, depth + 1)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Some("array") => match s.get("items") {
            Some(items) => json!([sample(doc, items, name, hints, depth + 1)]),
            None => json!([]),
        },
        Some("string") => Value::String(match s.get("format").and_then(Value::as_str) {
            Some("uuid") => Uuid::new_v4().to_string(),
            Some("date-time") => "2030-12-06T00:00:00Z".into(),
            Some("date") => "2030-12-06".into(),
            _ => {
                let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(1);
                "x".repeat(usize::try_from(min.clamp(1, 64)).unwrap_or(1))
            }
        }),
        Some("integer") => json!(s.get("minimum").and_then(Value::as_i64).unwrap_or(1).max(1)),
        Some("number") => json!(1),
        Some("boolean") => json!(false),
        _ => json!({}),
    }
}

/// Every leaf of `value` with whether it holds text.
fn leaves(value: &Value, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, bool)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Seg::Key(k.clone()));
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::String(_) => out.push((path.clone(), true)),
        _ => out.push((path.clone(), false)),
    }
}

fn at<'a>(value: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(value, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

const MARK: &str = "@@hostile-value@@";

/// `base` as JSON text with the value at `path` replaced by the raw JSON text `raw` (which a
/// `serde_json::Value` could not hold: a lone surrogate, 1e400).
fn with_raw(base: &Value, path: &[Seg], raw: &str) -> Vec<u8> {
    let mut value = base.clone();
    *at(&mut value, path) = Value::String(MARK.into());
    let text = serde_json::to_string(&value).expect("serializes");
    text.replacen(&format!("\"{MARK}\""), raw, 1).into_bytes()
}

/// `base` (an object) as JSON text with `"key": raw` first.
fn prepend(base: &Value, key_raw: &str, raw: &str) -> Vec<u8> {
    let text = serde_json::to_string(base).expect("serializes");
    let rest = &text[1..];
    let sep = if rest == "}" { "" } else { "," };
    format!("{{{key_raw}:{raw}{sep}{rest}").into_bytes()
}

/// `base` (an object) as JSON text with its first key written again at the end.
fn duplicated(base: &Value) -> (Vec<u8>, String) {
    let map = base.as_object().expect("an object");
    let (key, value) = map
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_else(|| ("zz_twice".to_owned(), json!(1)));
    let text = if map.is_empty() {
        format!("{{\"{key}\":1,\"{key}\":1}}")
    } else {
        let text = serde_json::to_string(base).expect("serializes");
        format!(
            "{},{}:{}}}",
            &text[..text.len() - 1],
            serde_json::to_string(&key).expect("a key"),
            serde_json::to_string(&value).expect("a value")
        )
    };
    (text.into_bytes(), key)
}

fn deep(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// The cases of the staff and channel APIs for one JSON body: every hostile value in every leaf
/// (text values into text fields, numbers into every field), then the whole-body cases.
fn json_cases(base: &Value) -> Vec<Case> {
    let mut out = Vec::new();
    let mut found = Vec::new();
    leaves(base, &mut Vec::new(), &mut found);
    for (path, text) in &found {
        let field = show_path(path);
        for h in hostile_values() {
            if h.kind != Kind::Number && !text {
                continue;
            }
            let want = match h.kind {
                Kind::Control => exactly(422, "QY-REQ-0012", Some(field.clone())),
                Kind::Surrogate => exactly(400, "QY-REQ-0001", None),
                Kind::Long => Want::Refused,
                Kind::Empty => Want::RefusedOrAccepted,
                Kind::Number => exactly(422, "QY-REQ-0002", Some(field.clone())),
            };
            out.push(Case {
                name: format!("{} in {field}", h.name),
                body: with_raw(base, path, &h.json),
                want,
            });
        }
    }
    let (twice, key) = duplicated(base);
    out.extend([
        Case {
            name: "10,000-deep nesting as the body".into(),
            body: deep(10_000).into_bytes(),
            want: exactly(400, "QY-REQ-0001", None),
        },
        Case {
            name: "10,000-deep nesting in an extra field".into(),
            body: prepend(base, "\"zz_deep\"", &deep(10_000)),
            want: exactly(400, "QY-REQ-0001", None),
        },
        Case {
            name: format!("the key {key} twice"),
            body: twice,
            want: exactly(422, "QY-REQ-0013", Some(key)),
        },
        Case {
            name: "NUL in a key".into(),
            body: prepend(base, r#""a\u0000b""#, "1"),
            want: exactly(422, "QY-REQ-0012", None),
        },
        Case {
            name: "1e400 in an extra field".into(),
            body: prepend(base, "\"zz_unknown\"", "1e400"),
            want: exactly(422, "QY-REQ-0002", Some("zz_unknown".into())),
        },
        Case {
            name: "an array for the object".into(),
            body: b"[]".to_vec(),
            want: Want::Refused,
        },
    ]);
    out
}

// ---------------------------------------------------------------------------------------------
// Judging answers, and the row check.

fn coded(code: &str) -> bool {
    ["QY-", "GW-", "BIZ-"].iter().any(|prefix| {
        code.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    })
}

fn names(fields: &Value, field: &str) -> bool {
    fields
        .as_array()
        .is_some_and(|fs| fs.iter().any(|f| f["field"] == field))
}

/// Whether the answer is what `want` asks: `Ok(true)` when the request was taken (allowed).
fn judge(want: &Want, status: StatusCode, body: &[u8]) -> Result<bool, String> {
    if status.is_success() {
        return match want {
            Want::RefusedOrAccepted => Ok(true),
            _ => Err("taken".into()),
        };
    }
    if !status.is_client_error() {
        return Err("not a 4xx".into());
    }
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return Err("not JSON".into());
    };
    let code = answer["code"].as_str().unwrap_or_default();
    if !coded(code) {
        return Err("no QY-/GW-/BIZ- code".into());
    }
    if let Want::Exactly {
        status: s,
        code: c,
        field,
    } = want
    {
        if status.as_u16() != *s || code != *c {
            return Err(format!("wanted {s} {c}"));
        }
        if let Some(field) = field
            && !names(&answer["fields"], field)
        {
            return Err(format!("wanted the field `{field}` named"));
        }
    }
    Ok(false)
}

/// The same for an ESB answer: HTTP 200, an envelope, a `GW-C-`/`BIZ-C-` retCode.
fn judge_esb(want: &Want, status: StatusCode, body: &[u8]) -> Result<bool, String> {
    if status != StatusCode::OK {
        return Err("not HTTP 200".into());
    }
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return Err("not JSON".into());
    };
    let code = answer["sysHead"]["retCode"].as_str().unwrap_or_default();
    if code == "000000" {
        return match want {
            Want::RefusedOrAccepted => Ok(true),
            _ => Err("taken (000000)".into()),
        };
    }
    if !(code.starts_with("GW-C-") || code.starts_with("BIZ-C-")) {
        return Err(format!(
            "{code:?} is not a refusal of the request (GW-C-/BIZ-C-)"
        ));
    }
    if let Want::Exactly { code: c, field, .. } = want {
        if code != *c {
            return Err(format!("wanted {c}"));
        }
        if let Some(field) = field
            && !names(&answer["body"]["fields"], field)
        {
            return Err(format!("wanted the field `{field}` named in body.fields"));
        }
    }
    Ok(false)
}

fn shown(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}

/// Every table of the public schema but [`MAY_CHANGE`]: its rows and newest row version.
type Print = BTreeMap<String, (i64, i64)>;

/// The run: what was sent, what went wrong, and the database's fingerprint after the last request.
struct Run {
    db: sqlx::PgConnection,
    print_sql: String,
    last: Print,
    failures: Vec<String>,
    taken: Vec<String>,
    /// How long each route took.
    slowest: Vec<(std::time::Duration, String)>,
    /// Routes no seeded user may call.
    unpermitted: Vec<String>,
    /// Per door: routes and requests.
    sent: BTreeMap<&'static str, (usize, usize)>,
}

impl Run {
    async fn new(app: &TestApp) -> Run {
        let mut db = app.owner_connection().await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&mut db)
        .await
        .expect("tables");
        let print_sql = tables
            .iter()
            .filter(|t| !MAY_CHANGE.iter().any(|(name, _)| name == t))
            .map(|t| {
                format!(
                    "SELECT '{t}'::text, count(*)::bigint, \
                     coalesce(max(xmin::text::bigint), 0)::bigint FROM \"{t}\""
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut run = Run {
            db,
            print_sql,
            last: Print::new(),
            failures: Vec::new(),
            taken: Vec::new(),
            unpermitted: Vec::new(),
            slowest: Vec::new(),
            sent: BTreeMap::new(),
        };
        run.last = run.print().await;
        run
    }

    async fn print(&mut self) -> Print {
        sqlx::query_as::<_, (String, i64, i64)>(&self.print_sql)
            .fetch_all(&mut self.db)
            .await
            .expect("fingerprint")
            .into_iter()
            .map(|(t, n, x)| (t, (n, x)))
            .collect()
    }

    /// The tables written since the last call.
    async fn written(&mut self) -> Vec<String> {
        let now = self.print().await;
        let changed = now
            .iter()
            .filter(|(t, v)| self.last.get(*t) != Some(v))
            .map(|(t, _)| t.clone())
            .collect();
        self.last = now;
        changed
    }

    async fn logged(&mut self, seqs: &[String]) -> HashMap<String, String> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT provider_seq_no, ret_code FROM esb_messages WHERE provider_seq_no = ANY($1)",
        )
        .bind(seqs)
        .fetch_all(&mut self.db)
        .await
        .expect("the ESB log")
        .into_iter()
        .collect()
    }

    async fn esb_messages(&mut self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM esb_messages")
            .fetch_one(&mut self.db)
            .await
            .expect("the ESB log")
    }

    /// Sends one route's shots — the ones that must be refused [`BATCH`] at a time, the ones that
    /// may be taken alone (so that what they write is theirs) — and judges every answer, the rows
    /// written after each batch, and for the ESB the log rows.
    async fn fire(&mut self, door: &'static str, esb: bool, shots: Vec<Shot<'_>>) {
        let started = Instant::now();
        let route = shots
            .first()
            .map(|s| s.what.split(" · ").next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        self.last = self.print().await;
        self.sent.entry(door).or_default().0 += 1;
        let (alone, together): (Vec<_>, Vec<_>) = shots
            .into_iter()
            .partition(|s| matches!(s.want, Want::RefusedOrAccepted));
        let mut batches: Vec<Vec<Shot>> = Vec::new();
        let mut together = together.into_iter().peekable();
        while together.peek().is_some() {
            batches.push(together.by_ref().take(BATCH).collect());
        }
        batches.extend(alone.into_iter().map(|s| vec![s]));
        for batch in batches {
            let logged_before = if esb { self.esb_messages().await } else { 0 };
            let mut cases = Vec::new();
            let mut sends = Vec::new();
            for shot in batch {
                cases.push((shot.what, shot.want));
                sends.push(shot.send);
            }
            let answers = join_all(sends).await;
            self.sent.entry(door).or_default().1 += answers.len();
            let written = self.written().await;
            let logged = if esb {
                let seqs: Vec<String> = answers
                    .iter()
                    .filter_map(|(_, body)| {
                        let answer: Value = serde_json::from_slice(body).ok()?;
                        answer["sysHead"]["providerSeqNo"]
                            .as_str()
                            .map(str::to_owned)
                    })
                    .collect();
                let count = self.esb_messages().await - logged_before;
                if count != answers.len() as i64 {
                    self.failures.push(format!(
                        "{door}: {count} log rows for {} messages ({})",
                        answers.len(),
                        cases
                            .iter()
                            .map(|(w, _)| w.as_str())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ));
                }
                self.logged(&seqs).await
            } else {
                HashMap::new()
            };
            let mut taken = false;
            for ((what, want), (status, body)) in cases.iter().zip(&answers) {
                let verdict = if esb {
                    judge_esb(want, *status, body).and_then(|taken| {
                        let answer: Value = serde_json::from_slice(body).unwrap_or_default();
                        let head = &answer["sysHead"];
                        let seq = head["providerSeqNo"].as_str().unwrap_or_default();
                        match logged.get(seq) {
                            Some(code) if head["retCode"] == code.as_str() => Ok(taken),
                            other => Err(format!("logged as {other:?}")),
                        }
                    })
                } else {
                    judge(want, *status, body)
                };
                match verdict {
                    Err(problem) => self.failures.push(format!(
                        "{door} {what}: {problem}; answered {status} {}",
                        shown(body)
                    )),
                    Ok(true) => {
                        taken = true;
                        self.taken.push(format!("{door} {what}: {status}"));
                    }
                    Ok(false) => {}
                }
            }
            if !written.is_empty() && !taken {
                // the writer: a request answered 2xx if there is one, else one of the batch
                let answered_2xx: Vec<&str> = cases
                    .iter()
                    .zip(&answers)
                    .filter(|(_, (status, _))| status.is_success())
                    .map(|((what, _), _)| what.as_str())
                    .collect();
                let suspects = if answered_2xx.is_empty() {
                    cases.iter().map(|(what, _)| what.as_str()).collect()
                } else {
                    answered_2xx
                };
                self.failures.push(format!(
                    "{door}: rows were written in {written:?} by one of: {}",
                    suspects.join(" | ")
                ));
            }
        }
        self.slowest.push((started.elapsed(), route));
    }
}

/// An answer: status and body.
type Answer = (StatusCode, Vec<u8>);

/// One hostile request, ready to send.
struct Shot<'a> {
    what: String,
    want: Want,
    send: BoxFuture<'a, Answer>,
}

/// How many requests go at once; the database is checked after each batch.
const BATCH: usize = 16;

// ---------------------------------------------------------------------------------------------
// Senders.

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the request is answered");
    let status = response.status();
    (status, response.bytes().await.expect("a body").to_vec())
}

static NONCE: AtomicU64 = AtomicU64::new(0);

fn nonce() -> String {
    format!(
        "h{:015}-{}",
        NONCE.fetch_add(1, Ordering::Relaxed),
        Uuid::new_v4().simple()
    )
}

/// A registered client of the signed channel API or the ESB.
struct Signer {
    code: String,
    secret: Vec<u8>,
    base: String,
    http: reqwest::Client,
}

impl Signer {
    /// `method path` (the path as sent, query string included) with `body`, signed.
    async fn send(
        &self,
        method: Method,
        path: String,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Answer {
        let timestamp = Utc::now().timestamp().to_string();
        let nonce = nonce();
        let message = clients::string_to_sign(&timestamp, &nonce, method.as_str(), &path, &body);
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-qy-client", &self.code)
            .header("x-qy-timestamp", timestamp)
            .header("x-qy-nonce", nonce)
            .header("x-qy-signature", clients::sign(&self.secret, &message));
        if !body.is_empty() || content_type.starts_with("application/json") {
            request = request.header("content-type", content_type).body(body);
        }
        send(request).await
    }
}

// ---------------------------------------------------------------------------------------------
// The bank the requests are aimed at: real ids, signed clients, signed-in staff.

struct Bank {
    /// Field name → a value that makes a body's other fields valid where one can.
    hints: Map<String, Value>,
    /// `{param}` of a route → a real value.
    params: HashMap<(&'static str, &'static str), String>,
    campaign: Uuid,
    coupon: String,
    channel: Signer,
    merchant: Signer,
    consumer: Signer,
    /// Signed-in staff, in the order a route's user is looked for.
    staff: Vec<(&'static str, Browser)>,
    /// For `/auth/*` (a wrong password there counts against the user: not the others' sessions).
    auth: Browser,
    anonymous: Browser,
    org: HashMap<&'static str, Uuid>,
}

fn by() -> Entry {
    Entry {
        username: Some("hostile-test".into()),
        ..Entry::default()
    }
}

async fn scalar<T>(app: &TestApp, sql: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    sqlx::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A browser with a merchant applicant's session for `phone`.
async fn applicant(app: &TestApp, phone: &str) -> Browser {
    let browser = app.browser();
    let (captcha_id, answer) = browser.captcha().await;
    browser
        .post_empty(
            "/api/v1/onboarding/codes",
            json!({"phone": phone, "captcha_id": captcha_id, "captcha_answer": answer}),
        )
        .await
        .unwrap();
    let code = crate::onboarding::sealed_code(app, phone).await;
    browser
        .post_empty(
            "/api/v1/onboarding/sessions",
            json!({"phone": phone, "code": code}),
        )
        .await
        .unwrap();
    browser
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser
        .login(username, DEMO_PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{username} signs in: {e:?}"));
    browser
}

/// A registered client of the signed channel API.
async fn client(app: &TestApp, code: &str, kind: ClientKind, merchant_id: Option<Uuid>) -> Signer {
    let secret = format!("{code:-<32}").into_bytes();
    clients::register_with_secret(
        &app.pool,
        &app.state.settings.data_key,
        NewClient {
            code: code.into(),
            name: code.into(),
            kind,
            merchant_id,
        },
        secret.clone(),
        Utc::now(),
        by(),
    )
    .await
    .unwrap()
    .unwrap();
    Signer {
        code: code.into(),
        secret,
        base: app.url(""),
        http: reqwest::Client::new(),
    }
}

async fn bank(app: &TestApp) -> Bank {
    let now = Utc::now();
    let mut org = HashMap::new();
    for code in ["HO", "BR01", "SB0101", "SB0102", "SB0201"] {
        org.insert(
            code,
            scalar::<Uuid>(app, &format!("SELECT id FROM orgs WHERE code = '{code}'")).await,
        );
    }
    let t01 = admin::create_merchant(
        &app.pool,
        "T01",
        "测试商户一",
        org["HO"],
        &[("A".into(), "门店A".into())],
        now,
        by(),
    )
    .await
    .unwrap()
    .unwrap();
    let template = NewTemplate {
        code: "T001".try_into().unwrap(),
        item_code: None,
        name: "模板T001".into(),
        kind: "threshold".into(),
        face_value: 2000,
        threshold: 10000,
        discount_permille: None,
        claim_from: now - Duration::hours(1),
        claim_to: now + Duration::days(1),
        valid_from: None,
        valid_to: None,
        valid_days: Some(7),
        initial_stock: 100,
        shards: 1,
        limit_per_day: None,
        limit_total: None,
        limit_per_campaign: None,
        limit_per_merchant_day: None,
        merchant_codes: vec!["T01".into()],
        active: true,
    };
    admin::create_template(&app.pool, &template, org["HO"], now, by())
        .await
        .unwrap()
        .unwrap();
    let channel = client(app, "mobile", ClientKind::Channel, None).await;
    let merchant = client(app, "pos-t01", ClientKind::Merchant, Some(t01)).await;
    // two coupons, one redeemed: a live coupon for the redemption's body, a redemption to reverse
    let mut coupons = Vec::new();
    for i in 0..2 {
        let body = json!({"request_id": format!("setup-{i}"), "template_code": "T001",
                          "customer_no": "C10000001"});
        let (status, answer) = channel
            .send(
                Method::POST,
                "/api/channel/v1/claims".into(),
                "application/json",
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", shown(&answer));
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        coupons.push(answer["coupon_code"].as_str().unwrap().to_owned());
    }
    let body = json!({"request_id": "setup-r", "coupon_code": coupons[1], "store_code": "A",
                      "order_amount": 12800, "order_ref": "POS-SETUP"});
    let (status, answer) = merchant
        .send(
            Method::POST,
            "/api/channel/v1/redemptions".into(),
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", shown(&answer));
    let redemption: Value = serde_json::from_slice(&answer).unwrap();
    let redemption = redemption["redemption_id"].as_str().unwrap().to_owned();

    let (consumer_id, secret) = esb_store::register(
        &app.pool,
        &data_key(),
        NewConsumer {
            code: "hostile".into(),
            name: "hostile 系统".into(),
            services: [
                "campaign.plan.submit",
                "process.query",
                "process.result.deliver",
                "channel.campaigns.query",
                "points.earn",
                "points.hold",
                "points.transaction",
                "customer.upsert",
                "customer.query",
                "merchant.apply",
                "merchant.application.query",
            ]
            .map(str::to_owned)
            .to_vec(),
            source_networks: None,
            rate_per_second: 10_000,
            burst: 10_000,
            acting_username: "planner".into(),
        },
        now,
        by(),
    )
    .await
    .unwrap()
    .unwrap();
    let consumer = Signer {
        code: "hostile".into(),
        secret,
        base: app.url(""),
        http: reqwest::Client::new(),
    };

    let mut staff = Vec::new();
    for username in [
        "admin",
        "planner",
        "merchant_manager",
        "reviewer2",
        "monitor",
        "clerk",
        "m001_admin",
        "inspector1",
        "auditor",
    ] {
        staff.push((username, signed_in(app, username).await));
    }
    // a supplier's administrator, with a draft product of its own
    staff.push((
        "gy01_admin",
        crate::listing::supplier(app, "GY01", "gy01_admin").await,
    ));
    let product = hostile_product(app).await;
    // last: the merchant applicant's door (a phone proved by SMS code, no staff account)
    staff.push(("applicant", applicant(app, "13800001111").await));
    let auth = signed_in(app, "reviewer1").await;
    let anonymous = app.browser();

    // a draft campaign of the planner's with a customer list
    let start = now + Duration::days(10);
    let planner = &staff[1].1;
    let draft = json!({
        "name": "抗扰测试活动", "type": "grant", "org_id": org["SB0101"],
        "channels": ["mobile_banking"], "start_at": start, "end_at": start + Duration::days(30),
        "success_criteria": "", "description": "",
        "rules": [{"name": "立减金", "budget_fen": 1_000_000, "template_code": "T001"}]
    });
    let created: Value = planner
        .post_json("/api/v1/campaigns", draft)
        .await
        .unwrap_or_else(|e| panic!("the draft is created: {e:?}"));
    let campaign: Uuid = created["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id: {created}"));
    let (status, answer) = send(
        planner
            .http
            .post(planner.url(&format!("/api/v1/campaigns/{campaign}/customers")))
            .header("x-requested-with", "quanyi")
            .header("content-type", "text/csv; charset=utf-8")
            .body("客户号\nC10000001\nC10000002\nC10000003\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", shown(&answer));

    let monitor: Uuid = scalar(app, "SELECT id FROM users WHERE username = 'monitor'").await;
    let monitor_role: Uuid = scalar(app, "SELECT id FROM roles WHERE code = 'monitor'").await;
    let menu: Uuid = scalar(app, "SELECT id FROM menus ORDER BY key LIMIT 1").await;
    let parameter = "security.login.lock_minutes".to_owned();
    let (dict_type, dict_code): (String, String) = sqlx::query_as(
        "SELECT type_code, code FROM dictionary_items ORDER BY type_code, code LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (process_type, variant): (String, String) =
        sqlx::query_as("SELECT process_type, variant FROM approval_policies ORDER BY 1, 2 LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut params = HashMap::new();
    for (key, value) in [
        (("/api/v1/approval-policies/", "process_type"), process_type),
        (("/api/v1/approval-policies/", "variant"), variant),
        (("/api/v1/benefits/templates/", "code"), "T001".into()),
        (("/api/v1/benefits/merchants/", "code"), "T01".into()),
        (("/api/v1/benefits/merchants/", "store"), "A".into()),
        (("/api/v1/campaigns/", "id"), campaign.to_string()),
        // submitting starts the process, which waits for a worker this test does not run: an
        // empty comment (a fair value) would be taken and time out
        (
            ("/api/v1/campaigns/{id}/submit", "id"),
            Uuid::new_v4().to_string(),
        ),
        (("/api/v1/channels/", "code"), "mobile_banking".into()),
        (("/api/v1/esb/consumers/", "id"), consumer_id.to_string()),
        (("/api/v1/esb/messages/", "id"), "1".into()),
        (
            ("/api/v1/processes/", "workflow_id"),
            format!("campaign-{campaign}"),
        ),
        (("/api/v1/system/dictionaries/", "type"), dict_type),
        (("/api/v1/system/dictionaries/", "code"), dict_code),
        (("/api/v1/system/locks/", "username"), "clerk".into()),
        (("/api/v1/system/menus/", "id"), menu.to_string()),
        (("/api/v1/system/orgs/", "id"), org["SB0102"].to_string()),
        (("/api/v1/system/parameters/", "key"), parameter),
        (("/api/v1/system/roles/", "id"), monitor_role.to_string()),
        (("/api/v1/system/users/", "id"), monitor.to_string()),
        (("/api/v1/system/users/", "role"), "monitor".into()),
        (
            ("/api/v1/points/accounts/", "customer_no"),
            "C10000001".into(),
        ),
        (("/api/v1/supplier/products/", "code"), product.clone()),
        (("/api/v1/mall/products/", "code"), product),
        (("/api/v1/mall/categories/", "code"), "tea".into()),
        (("/api/v1/catalogue/categories/", "code"), "tea".into()),
        (("/api/channel/v1/redemptions/", "id"), redemption),
        (
            ("/api/channel/v1/channels/", "code"),
            "mobile_banking".into(),
        ),
    ] {
        params.insert(key, value);
    }

    let hints = json!({
        "org_id": org["SB0101"], "parent_id": org["HO"], "channels": ["mobile_banking"],
        "type": "grant", "start_at": start, "end_at": start + Duration::days(30),
        "template_code": "T001", "acting_username": "planner", "services": ["process.query"],
        "merchant_code": "T01", "coupon_code": coupons[0], "store_code": "A",
        "order_amount": 12800, "budget_fen": 1_000_000, "quantity": 10,
        "customer_no": "C10000001", "channel_code": "mobile_banking",
        "process_type": "campaign", "business_key": campaign,
        "password": DEMO_PASSWORD, "current_password": DEMO_PASSWORD,
        "new_password": "Hostile@2026-new", "username": "hostile_user",
        "result_type": "evaluation", "summary": "网格评估",
        // a hold taken stays open through the run: the sweeper's expiry would be a write no
        // request of the batch made
        "timeout_seconds": 2_592_000,
    });
    Bank {
        hints: hints.as_object().unwrap().clone(),
        params,
        campaign,
        coupon: coupons[0].clone(),
        channel,
        merchant,
        consumer,
        staff,
        auth,
        anonymous,
        org,
    }
}

/// A category `tea` and a draft product of the supplier GY01 in it: the product's code.
async fn hostile_product(app: &TestApp) -> String {
    use quanyi_activities::mall::catalogue::{self, CategoryDraft};
    use quanyi_activities::mall::products::{self, ProductDraft, SkuDraft};
    let now = Utc::now();
    let category = CategoryDraft {
        code: "tea".into(),
        parent_code: None,
        name: "茶叶".into(),
        sort: 0,
        hidden: false,
    };
    catalogue::save_category(&app.pool, &category, false, now, by())
        .await
        .unwrap()
        .unwrap();
    let supplier: Uuid = scalar(app, "SELECT id FROM merchants WHERE code = 'GY01'").await;
    let draft = ProductDraft {
        category_code: "tea".into(),
        name: "抗扰测试商品".into(),
        subtitle: None,
        description: String::new(),
        images: Vec::new(),
        tags: Vec::new(),
        skus: vec![SkuDraft {
            code: "STD".into(),
            spec: "标准装".into(),
            price_points: 100,
            price_fen: 0,
            market_price_fen: None,
            stock: 10,
        }],
    };
    products::create(&app.pool, supplier, &draft, now, by())
        .await
        .unwrap()
        .unwrap()
}

impl Bank {
    /// A real value for `{param}` of `route`, or a random UUID.
    fn param(&self, route: &str, param: &str) -> String {
        self.params
            .iter()
            .filter(|((prefix, name), _)| route.starts_with(prefix) && *name == param)
            .max_by_key(|((prefix, _), _)| prefix.len())
            .map_or_else(|| Uuid::new_v4().to_string(), |(_, v)| v.clone())
    }

    /// `route` with its parameters filled in, `hostile` (raw, already escaped) in one of them.
    fn fill(&self, route: &str, hostile: Option<(&str, &str)>) -> String {
        let mut out = String::new();
        let mut rest = route;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("a closed parameter") + open;
            let name = &rest[open + 1..close];
            out.push_str(&rest[..open]);
            match hostile {
                Some((param, raw)) if param == name => out.push_str(raw),
                _ => out.push_str(&self.param(route, name)),
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn path_params(op: &Value) -> Vec<String> {
    params_in(op, "path")
}

fn params_in(op: &Value, place: &str) -> Vec<String> {
    op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == place)
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The doors.

/// The first signed-in user whose request `probe` makes is not refused for want of a permission
/// (401/403), or none. A probe never changes anything: it carries a `%00` path segment or a
/// malformed body, refused after the permission check.
async fn permitted(
    bank: &Bank,
    probe: impl Fn(&Browser) -> reqwest::RequestBuilder,
) -> Option<&Browser> {
    for (_, browser) in &bank.staff {
        let (status, _) = send(probe(browser)).await;
        if status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED {
            return Some(browser);
        }
    }
    None
}

/// Where no seeded user may call a route, its refusal for want of a permission is all there is to
/// see: any coded 4xx will do.
fn unless_unpermitted(want: Want, permitted: bool) -> Want {
    if permitted { want } else { Want::Refused }
}

/// The staff API: every operation of the document under `/api/v1` with a body or a path
/// parameter, sent by the first signed-in user the route does not refuse.
async fn staff_writes(app: &TestApp, doc: &Value, bank: &Bank, run: &mut Run) {
    const DOOR: &str = "staff";
    for (route, item) in doc["paths"].as_object().expect("paths") {
        if !route.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().expect("operations") {
            let method = match method.as_str() {
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let content = &op["requestBody"]["content"];
            let json_schema = content.get("application/json").map(|c| &c["schema"]);
            let csv = content.get("text/csv").is_some();
            let multipart = content.get("multipart/form-data").is_some();
            let params = path_params(op);
            if json_schema.is_none() && !csv && !multipart && params.is_empty() {
                continue; // nothing to make hostile (logout, TOTP enrolment, …)
            }
            let content_type = if csv {
                "text/csv; charset=utf-8"
            } else if multipart {
                MULTIPART
            } else {
                "application/json"
            };
            let probe_path = match params.first() {
                Some(p) => bank.fill(route, Some((p, "%00"))),
                None => bank.fill(route, None),
            };
            let (browser, allowed) = if route == "/api/v1/auth/login" {
                (&bank.anonymous, true)
            } else if route.starts_with("/api/v1/auth/") {
                (&bank.auth, true)
            } else {
                let found = permitted(bank, |b| {
                    b.http
                        .request(method.clone(), app.url(&probe_path))
                        .header("x-requested-with", "quanyi")
                        .header("content-type", content_type)
                        .body(if csv { "\u{0}" } else { "{" })
                })
                .await;
                match found {
                    Some(browser) => (browser, true),
                    None => {
                        run.unpermitted.push(format!("{method} {route}"));
                        (&bank.staff[0].1, false)
                    }
                }
            };
            let base = json_schema.map(|schema| sample(doc, schema, "", &bank.hints, 0));
            let base_body = match &base {
                Some(base) => serde_json::to_vec(base).unwrap(),
                None if csv => b"C10000009\n".to_vec(),
                None => Vec::new(),
            };
            let mut cases = Vec::new();
            for param in &params {
                cases.push((
                    bank.fill(route, Some((param, "%00"))),
                    Case {
                        name: format!("%00 as {{{param}}}"),
                        body: base_body.clone(),
                        want: exactly(422, "QY-REQ-0012", Some(param.clone())),
                    },
                ));
            }
            let path = bank.fill(route, None);
            if let Some(base) = &base {
                cases.extend(json_cases(base).into_iter().map(|c| (path.clone(), c)));
            }
            if csv {
                cases.extend(csv_cases().into_iter().map(|c| (path.clone(), c)));
            }
            if multipart {
                // behind a path parameter (an application's uploads) the random id is refused
                // first: any coded refusal will do there
                cases.extend(multipart_cases().into_iter().map(|mut c| {
                    if !params.is_empty() {
                        c.want = Want::Refused;
                    }
                    (path.clone(), c)
                }));
            }
            let shots = cases
                .into_iter()
                .map(|(path, case)| {
                    let mut request = browser
                        .http
                        .request(method.clone(), app.url(&path))
                        .header("x-requested-with", "quanyi");
                    if !case.body.is_empty() {
                        request = request.header("content-type", content_type).body(case.body);
                    }
                    Shot {
                        what: format!("{method} {route} · {}", case.name),
                        want: unless_unpermitted(case.want, allowed),
                        send: send(request).boxed(),
                    }
                })
                .collect();
            run.fire(DOOR, false, shots).await;
        }
    }
}

const MULTIPART: &str = "multipart/form-data; boundary=qyHostileBoundary";

/// Uploads with a hostile file name or form: each refused, and no file kept.
fn multipart_cases() -> Vec<Case> {
    let part = |name: &str, filename: &str| {
        let mut body = format!(
            "--qyHostileBoundary\r\nContent-Disposition: form-data; name=\"{name}\"; \
             filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        body.extend_from_slice(b"\r\n--qyHostileBoundary--\r\n");
        body
    };
    let case = |name: &str, body: Vec<u8>, want: Want| Case {
        name: name.into(),
        body,
        want,
    };
    let bad_name = || exactly(422, "QY-FILE-0005", None);
    vec![
        case("a file name with %00", part("file", "a%00.png"), bad_name()),
        case("a file name with ESC", part("file", "a%1B.png"), bad_name()),
        case(
            "a file name with a path",
            part("file", "../../a.png"),
            bad_name(),
        ),
        case("an empty file name", part("file", ""), bad_name()),
        case(
            "a 100 KB file name",
            part("file", &"a".repeat(100 * 1024)),
            Want::Refused,
        ),
        case(
            "a lone surrogate in the file name (CESU-8 bytes, percent-encoded)",
            part("file", "a%ED%A0%80.png"),
            bad_name(),
        ),
        case(
            "no part named file",
            part("picture", "a.png"),
            exactly(400, "QY-FILE-0008", None),
        ),
        case(
            "a body that is not multipart",
            b"{}".to_vec(),
            exactly(400, "QY-FILE-0008", None),
        ),
    ]
}

/// Customer lists whose every line is hostile: refused, and the list kept.
fn csv_cases() -> Vec<Case> {
    let csv = |name: &str, body: Vec<u8>| Case {
        name: name.into(),
        body,
        want: Want::Refused,
    };
    let mut long = b"C".to_vec();
    long.resize(100 * 1024, b'1');
    long.push(b'\n');
    vec![
        csv("a CSV line with NUL", b"C10000\x0001\n".to_vec()),
        csv("a CSV line with ESC", b"C10000\x1b01\n".to_vec()),
        csv(
            "a CSV line with a lone surrogate (CESU-8 bytes)",
            b"C1000\xed\xa0\x80001\n".to_vec(),
        ),
        csv("a 100 KB CSV line", long),
        csv("a CSV header and no line", "客户号\n".as_bytes().to_vec()),
        csv("a CSV of blank lines", b"\n\n\n".to_vec()),
    ]
}

/// Hostile query strings and path segments on every documented `GET` of the staff API.
async fn staff_reads(app: &TestApp, doc: &Value, bank: &Bank, run: &mut Run) {
    const DOOR: &str = "staff queries";
    for (route, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        if !route.starts_with("/api/v1/") {
            continue;
        }
        let query = params_in(op, "query");
        let params = path_params(op);
        if query.is_empty() && params.is_empty() {
            continue;
        }
        let path = bank.fill(route, None);
        let (browser, allowed) = match permitted(bank, |b| b.http.get(app.url(&path))).await {
            Some(browser) => (browser, true),
            None => {
                run.unpermitted.push(format!("GET {route}"));
                (&bank.staff[0].1, false)
            }
        };
        let mut cases: Vec<(String, String, Want)> = Vec::new();
        if query.iter().any(|q| q == "page") {
            for q in [
                "page=5441474081252591616",
                "page=0",
                "page=-1",
                "page_size=101",
                "page_size=0",
                "page=abc",
            ] {
                cases.push((
                    format!("{path}?{q}"),
                    q.into(),
                    exactly(400, "QY-REQ-0011", None),
                ));
            }
        }
        for q in query.iter().filter(|q| *q != "page" && *q != "page_size") {
            cases.push((
                format!("{path}?{q}=a%00b"),
                format!("{q}=a%00b"),
                exactly(422, "QY-REQ-0012", Some(q.clone())),
            ));
        }
        for p in &params {
            cases.push((
                bank.fill(route, Some((p, "%00"))),
                format!("%00 as {{{p}}}"),
                exactly(422, "QY-REQ-0012", Some(p.clone())),
            ));
        }
        let shots = cases
            .into_iter()
            .map(|(url, name, want)| Shot {
                what: format!("GET {route} · {name}"),
                want: unless_unpermitted(want, allowed),
                send: send(browser.http.get(app.url(&url))).boxed(),
            })
            .collect();
        run.fire(DOOR, false, shots).await;
    }
}

/// The signed channel API: its operations in the document, each signed by the client kind it
/// serves; the signed read with a hostile query and path.
async fn channel_api(doc: &Value, bank: &Bank, run: &mut Run) {
    const DOOR: &str = "channel";
    for (route, item) in doc["paths"].as_object().expect("paths") {
        if !route.starts_with("/api/channel/v1/") {
            continue;
        }
        if let Some(op) = item.get("post") {
            let signer = if route.contains("/redemptions") {
                &bank.merchant
            } else {
                &bank.channel
            };
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let mut base = sample(doc, schema, "", &bank.hints, 0);
            if let Some(id) = base.get_mut("request_id") {
                *id = json!("hostile-1");
            }
            let mut cases = Vec::new();
            for param in path_params(op) {
                cases.push((
                    bank.fill(route, Some((&param, "%00"))),
                    Case {
                        name: format!("%00 as {{{param}}}"),
                        body: serde_json::to_vec(&base).unwrap(),
                        want: exactly(422, "QY-REQ-0012", Some(param.clone())),
                    },
                ));
            }
            let path = bank.fill(route, None);
            cases.extend(json_cases(&base).into_iter().map(|c| (path.clone(), c)));
            let shots = cases
                .into_iter()
                .map(|(path, case)| Shot {
                    what: format!("POST {route} · {}", case.name),
                    want: case.want,
                    send: signer
                        .send(Method::POST, path, "application/json", case.body)
                        .boxed(),
                })
                .collect();
            run.fire(DOOR, false, shots).await;
        }
        if let Some(op) = item.get("get") {
            let path = bank.fill(route, None);
            let mut cases = vec![(
                format!("{path}?customer=C1000%00001"),
                "customer=C1000%00001".to_owned(),
                exactly(422, "QY-REQ-0012", Some("customer".into())),
            )];
            for p in path_params(op) {
                cases.push((
                    format!("{}?customer=C10000001", bank.fill(route, Some((&p, "%00")))),
                    format!("%00 as {{{p}}}"),
                    exactly(422, "QY-REQ-0012", Some(p.clone())),
                ));
            }
            let shots = cases
                .into_iter()
                .map(|(url, name, want)| Shot {
                    what: format!("GET {route} · {name}"),
                    want,
                    send: bank.channel.send(Method::GET, url, "", Vec::new()).boxed(),
                })
                .collect();
            run.fire(DOOR, false, shots).await;
        }
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn envelope(service: &str, body: Value) -> Value {
    json!({
        "sysHead": {"serviceCode": service, "consumerId": "hostile",
                    "consumerSeqNo": format!("H-{}", SEQ.fetch_add(1, Ordering::Relaxed)),
                    "tranDate": "20261126", "tranTime": "083000"},
        "appHead": {"branchId": "0101"},
        "body": body,
    })
}

/// The ESB gateway: every service's documented body, every field of the envelope, the
/// whole-envelope cases. Each message: HTTP 200, a `GW-C-`/`BIZ-C-` retCode, one log row with
/// that code, no business row.
async fn esb_gateway(bank: &Bank, run: &mut Run) {
    const DOOR: &str = "ESB";
    let start = Utc::now() + Duration::days(10);
    let services = [
        (
            "campaign.plan.submit",
            // an org outside the acting planner's scope: every field is read and checked, then the
            // plan is refused (a fair empty value would otherwise start a process)
            json!({"name": "网格化营销 存款有礼", "type": "grant", "org_id": bank.org["SB0201"],
                   "channels": ["mobile_banking"], "start_at": start,
                   "end_at": start + Duration::days(30), "success_criteria": "", "description": "",
                   "rules": [{"name": "立减金", "budget_fen": 1_000_000, "template_code": null}],
                   "delivery": {"priority": 80, "entry_title": "存款有礼",
                                "entry_link": "/mobile/deposit-gift",
                                "benefit_summary": "存 5 万送 50 元立减金", "frequency_cap": 3},
                   "customer_nos": ["C10000001"], "comment": "网格化营销平台推送"}),
        ),
        (
            "process.query",
            json!({"process_type": "campaign", "business_key": bank.campaign}),
        ),
        (
            "process.result.deliver",
            json!({"process_type": "campaign", "business_key": bank.campaign,
                   "result_type": "evaluation", "summary": "网格评估：覆盖 1200 户"}),
        ),
        (
            "channel.campaigns.query",
            json!({"channel_code": "mobile_banking", "customer_no": "C10000001"}),
        ),
        (
            "points.earn",
            // an org outside the acting planner's scope: every field is read and checked, then
            // the earning is refused (a fair empty memo would otherwise give points)
            json!({"customer_no": "C10000001", "org_id": bank.org["SB0201"], "points": 100,
                   "memo": "刷卡"}),
        ),
        (
            "points.hold",
            // taken, or refused when the customer lacks the points (a refusal is the serial
            // number's answer, kept in esb_exchanges and ledger_requests); a hold taken stays
            // open through the run, so the sweeper writes nothing meanwhile
            json!({"customer_no": "C10000001", "points": 100, "timeout_seconds": 2_592_000,
                   "memo": "订单"}),
        ),
        (
            "points.transaction",
            // every field is read and checked: an empty string is refused in each, so nothing is
            // earned or recorded
            json!({"txn_id": "HOSTILE-0001", "customer_no": "C10000001", "txn_type": "card_spend",
                   "amount_fen": 12800, "occurred_at": Utc::now(), "merchant_code": "T01"}),
        ),
        (
            "customer.upsert",
            // an org outside the acting planner's scope: every field is read and checked, then
            // the change is refused (a fair empty value would otherwise write a customer)
            json!({"customer_no": "C10000001", "org_code": "SB0201", "status": "active",
                   "opened_on": "2015-03-02", "customer_name": "张三", "phone": "13812345678",
                   "id_number": "110101199003074477", "card_numbers": ["6222021234567890128"]}),
        ),
        ("customer.query", json!({"customer_no": "C10000001"})),
        (
            "merchant.apply",
            // a branch outside the acting planner's scope: every field is read and checked, then
            // the application is refused (a fair value would otherwise start a process)
            json!({"phone": "13812345678", "org_code": "BR02", "legal_name": "城东鲜果商行有限公司",
                   "credit_code": "91310000MA1FL0000N", "legal_rep": "张三",
                   "id_number": "11010519491231002X", "contact_phone": "13911112222",
                   "business_category": "零售", "address": "人民路 1 号",
                   "stores": [{"code": "S001", "name": "人民路店", "address": "人民路 1 号"}],
                   "bank_name": "城东银行", "account_name": "城东鲜果商行有限公司",
                   "account_no": "6222020200112233445"}),
        ),
        (
            "merchant.application.query",
            json!({"application_no": "RZ20261209000001"}),
        ),
    ];
    for (service, body) in services {
        let mut cases: Vec<(String, Case)> = Vec::new();
        let path = format!("/esb/v1/{service}");
        // every leaf of the envelope, each message with a serial number of its own
        let shape = envelope(service, body.clone());
        let mut found = Vec::new();
        leaves(&shape, &mut Vec::new(), &mut found);
        for (leaf, text) in &found {
            let field = show_path(leaf);
            let in_body = field.starts_with("body.");
            let in_sys = field.starts_with("sysHead.");
            let body_field = field.strip_prefix("body.").map(str::to_owned);
            for h in hostile_values() {
                if h.kind != Kind::Number && !text {
                    continue;
                }
                let want = match (h.kind, in_body, in_sys) {
                    (Kind::Control, true, _) => exactly(200, "BIZ-C-0001", body_field.clone()),
                    (Kind::Control, false, _) => exactly(200, "GW-C-0006", None),
                    (Kind::Surrogate, ..) => exactly(200, "GW-C-0003", None),
                    (Kind::Long, ..) => exactly(200, "GW-C-0002", None),
                    (Kind::Empty, _, true) => exactly(200, "GW-C-0004", None),
                    (Kind::Empty, ..) => Want::RefusedOrAccepted,
                    (Kind::Number, true, _) => exactly(200, "BIZ-C-0001", body_field.clone()),
                    (Kind::Number, _, true) if h.name == "1e400" => exactly(200, "GW-C-0006", None),
                    (Kind::Number, _, true) => exactly(200, "GW-C-0004", None),
                    // appHead is the consumer's, echoed as sent
                    (Kind::Number, ..) if h.name == "1e400" => exactly(200, "GW-C-0006", None),
                    (Kind::Number, ..) => Want::RefusedOrAccepted,
                };
                cases.push((
                    path.clone(),
                    Case {
                        name: format!("{} in {field}", h.name),
                        body: with_raw(&envelope(service, body.clone()), leaf, &h.json),
                        want,
                    },
                ));
            }
        }
        // whole-envelope cases
        let fresh = || envelope(service, body.clone());
        let text = |v: &Value| serde_json::to_string(v).unwrap();
        let sys_text = |v: &Value| text(&v["sysHead"]);
        let e = fresh();
        let twice_sys = {
            let whole = text(&e);
            format!(
                "{},\"sysHead\":{}}}",
                &whole[..whole.len() - 1],
                sys_text(&fresh())
            )
        };
        let mut with_body = |name: &str, body_bytes: Vec<u8>, want: Want| {
            let mut e = fresh();
            e["body"] = Value::String(MARK.into());
            let raw = String::from_utf8(body_bytes).unwrap();
            cases.push((
                path.clone(),
                Case {
                    name: name.into(),
                    body: text(&e)
                        .replacen(&format!("\"{MARK}\""), &raw, 1)
                        .into_bytes(),
                    want,
                },
            ));
        };
        let (twice_body, key) = duplicated(&body);
        with_body(
            &format!("the body key {key} twice"),
            twice_body,
            exactly(200, "BIZ-C-0001", Some(key)),
        );
        with_body(
            "NUL in an extra body field",
            prepend(&body, "\"zz_unknown\"", r#""a\u0000b""#),
            exactly(200, "BIZ-C-0001", Some("zz_unknown".into())),
        );
        with_body(
            "NUL in a body key",
            prepend(&body, r#""a\u0000b""#, "1"),
            exactly(200, "BIZ-C-0001", None),
        );
        with_body(
            "1e400 in an extra body field",
            prepend(&body, "\"zz_unknown\"", "1e400"),
            exactly(200, "BIZ-C-0001", Some("zz_unknown".into())),
        );
        with_body(
            "10,000-deep nesting in an extra body field",
            prepend(&body, "\"zz_deep\"", &deep(10_000)),
            exactly(200, "GW-C-0003", None),
        );
        with_body(
            "an array for the body",
            b"[]".to_vec(),
            exactly(200, "GW-C-0003", None),
        );
        let mut e = fresh();
        e["sysHead"]["zzUnknown"] = Value::String(MARK.into());
        let nul_sys = text(&e).replacen(&format!("\"{MARK}\""), r#""a\u0000b""#, 1);
        let mut e = fresh();
        e["sysHead"] = Value::String(MARK.into());
        let twice_seq = {
            let sys = sys_text(&fresh());
            let seq = format!(
                "\"consumerSeqNo\":\"H-{}\"",
                SEQ.fetch_add(1, Ordering::Relaxed)
            );
            let sys = format!("{},{seq}}}", &sys[..sys.len() - 1]);
            text(&e).replacen(&format!("\"{MARK}\""), &sys, 1)
        };
        for (name, bytes, want) in [
            (
                "two sysHead objects",
                twice_sys,
                exactly(200, "GW-C-0006", None),
            ),
            (
                "a sysHead key twice",
                twice_seq,
                exactly(200, "GW-C-0006", None),
            ),
            (
                "NUL in an extra sysHead field",
                nul_sys,
                exactly(200, "GW-C-0006", None),
            ),
            (
                "10,000-deep nesting as the envelope",
                deep(10_000),
                exactly(200, "GW-C-0003", None),
            ),
        ] {
            cases.push((
                path.clone(),
                Case {
                    name: name.into(),
                    body: bytes.into_bytes(),
                    want,
                },
            ));
        }
        // a NUL in the service code of the URL (signed as sent)
        cases.push((
            format!("/esb/v1/{service}%00"),
            Case {
                name: "%00 in the URL's service code".into(),
                body: serde_json::to_vec(&fresh()).unwrap(),
                want: Want::Refused,
            },
        ));
        let shots = cases
            .into_iter()
            .map(|(path, case)| Shot {
                what: format!("{service} · {}", case.name),
                want: case.want,
                send: bank
                    .consumer
                    .send(
                        Method::POST,
                        path,
                        "application/json; charset=utf-8",
                        case.body,
                    )
                    .boxed(),
            })
            .collect();
        run.fire(DOOR, true, shots).await;
    }
}

/// Issue 13: the same hostile values at every door; each refused with its code, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_are_refused_with_a_code_at_every_door_and_write_nothing() {
    let started = Instant::now();
    let app = spawn_app().await;
    let bank = bank(&app).await;
    let doc: Value = app.get_json("/api/openapi.json").await.unwrap();
    let mut run = Run::new(&app).await;
    // the row check sees a write: one claim, a coupon
    let claim = json!({"request_id": "fingerprint", "template_code": "T001",
                       "customer_no": "C10000002"});
    let (status, _) = bank
        .channel
        .send(
            Method::POST,
            "/api/channel/v1/claims".into(),
            "application/json",
            serde_json::to_vec(&claim).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let written = run.written().await;
    assert!(
        written.contains(&"coupons".to_owned()),
        "the row check sees a claim: {written:?}"
    );
    let setup = started.elapsed();
    staff_writes(&app, &doc, &bank, &mut run).await;
    staff_reads(&app, &doc, &bank, &mut run).await;
    channel_api(&doc, &bank, &mut run).await;
    esb_gateway(&bank, &mut run).await;
    // the coupon the redemption bodies aimed at is still unused, the list is still three
    let unused: i64 =
        sqlx::query_scalar("SELECT count(*) FROM coupons WHERE code = $1 AND status = 'unused'")
            .bind(&bank.coupon)
            .fetch_one(&app.pool)
            .await
            .unwrap_or(-1);
    if unused != 1 {
        run.failures
            .push(format!("the live coupon is no longer unused ({unused})"));
    }

    let mut summary = format!(
        "hostile table in {:.1?} (setup {setup:.1?}):\n",
        started.elapsed()
    );
    for (door, (routes, requests)) in &run.sent {
        let _ = writeln!(summary, "  {door}: {routes} routes, {requests} requests");
    }
    let _ = writeln!(
        summary,
        "  taken (a fair value there: an empty string, or anything in the free-form appHead): {}",
        run.taken.len()
    );
    for taken in &run.taken {
        let _ = writeln!(summary, "    {taken}");
    }
    let _ = writeln!(
        summary,
        "  no seeded user may call (only the permission refusal is seen): {:?}",
        run.unpermitted
    );
    run.slowest.sort();
    for (took, route) in run.slowest.iter().rev().take(8) {
        let _ = writeln!(summary, "  {took:.1?} {route}");
    }
    eprintln!("{summary}");
    assert!(
        run.failures.is_empty(),
        "{} hostile requests were not refused as they must be:\n{}",
        run.failures.len(),
        run.failures.join("\n")
    );
}
