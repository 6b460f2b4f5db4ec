//! SEC-7 files over HTTP: what is refused (each with its code, nothing kept), what is kept
//! (metadata gone, an opaque id), and who may download it.

use quanyi_activities::seed::DEMO_PASSWORD;
use quanyi_tests::harness::{ApiErrorBody, AppOptions, Browser, TestApp, spawn_app_with};
use reqwest::StatusCode;
use serde::Deserialize;
use std::path::Path;

/// The upload cap of these tests.
const CAP: u64 = 64 * 1024;

#[derive(Debug, Deserialize)]
struct FileView {
    id: uuid::Uuid,
    name: String,
    content_type: String,
    size_bytes: i64,
}

/// A multipart form with one part `file`, its `filename` parameter written as given.
pub fn form(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "qyBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(
    browser: &Browser,
    path: &str,
    filename: &str,
    content: &[u8],
) -> reqwest::Response {
    let (content_type, body) = form(filename, content);
    browser
        .http
        .post(browser.url(path))
        .header("x-requested-with", "quanyi")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::default();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.0.to_be_bytes());
    out
}

/// CRC-32 as PNG computes it (enough for test images).
#[derive(Default)]
struct Crc(u32);

impl Crc {
    fn update(&mut self, bytes: &[u8]) {
        let mut c = !self.0;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        self.0 = !c;
    }
}

/// A 1×1 PNG with a text chunk naming a place, and `after` past its IEND chunk.
pub fn png(after: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    out.extend(chunk(b"tEXt", b"Location\0GPS 31.2304N 121.4737E"));
    out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1]));
    out.extend(chunk(b"IEND", b""));
    out.extend_from_slice(after);
    out
}

/// A JPEG with EXIF (a GPS position) in APP1.
fn jpeg() -> Vec<u8> {
    let mut out = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
    let exif = b"Exif\0\0MM\0*GPSLatitude 31.2304N";
    out.extend_from_slice(&[0xFF, 0xE1, 0, u8::try_from(exif.len() + 2).unwrap()]);
    out.extend_from_slice(exif);
    out.extend_from_slice(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00\x12\x34\xFF\x00\x56\xFF\xD9");
    out
}

fn pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
    // big enough to go through the spool in several chunks
    out.extend(std::iter::repeat_n(b'%', 40 * 1024));
    out.extend_from_slice(b"\n%%EOF\n");
    out
}

/// Every file under `dir`.
fn kept(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

async fn rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM files")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn uploads_are_refused_by_content_each_with_its_code_and_nothing_is_kept() {
    let app = spawn_app_with(AppOptions {
        max_file_bytes: CAP,
        ..Default::default()
    })
    .await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();
    let over = {
        let mut big = png(b"");
        big.extend(std::iter::repeat_n(0u8, usize::try_from(CAP).unwrap()));
        big
    };
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>".to_vec();
    let html_as_jpg =
        b"<!doctype html><html><body><script>fetch('/api/v1/auth/me')</script></body></html>"
            .to_vec();
    let big_html = {
        let mut page = b"<html><body>".to_vec();
        page.extend(std::iter::repeat_n(b'x', 4096));
        page
    };
    let png_with_script = {
        // markup inside a chunk, not after the end
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        out.extend(chunk(b"tEXt", b"c\0<SCRIPT>alert(1)</SCRIPT>"));
        out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1]));
        out.extend(chunk(b"IEND", b""));
        out
    };
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "HTML named .jpg",
            "photo.jpg",
            html_as_jpg,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "QY-FILE-0003",
        ),
        (
            "a long HTML page named .png",
            "shop.png",
            big_html,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "QY-FILE-0003",
        ),
        (
            "SVG with a script",
            "logo.svg",
            svg,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "QY-FILE-0003",
        ),
        (
            "a GIF",
            "a.gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "QY-FILE-0003",
        ),
        (
            "PNG/HTML polyglot: HTML after IEND",
            "licence.png",
            png(b"<html><script>alert(1)</script></html>"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0004",
        ),
        (
            "PNG with a script in a chunk",
            "licence.png",
            png_with_script,
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0004",
        ),
        (
            "PNG with other data after IEND",
            "licence.png",
            png(b"PK\x03\x04zip"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0004",
        ),
        (
            "zero bytes",
            "empty.jpg",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0001",
        ),
        (
            "over the cap",
            "big.png",
            over,
            StatusCode::PAYLOAD_TOO_LARGE,
            "QY-FILE-0002",
        ),
        (
            "a name with ../",
            "../../etc/cron.d/x.jpg",
            jpeg(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0005",
        ),
        (
            "a name with a backslash path",
            "..\\..\\boot.png",
            png(b""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0005",
        ),
        (
            "a name with NUL",
            "id%00.jpg",
            jpeg(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0005",
        ),
        (
            "a truncated PNG",
            "cut.png",
            png(b"")[..40].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "QY-FILE-0006",
        ),
    ];
    for (what, name, content, status, code) in &cases {
        let response = upload(&app, "/api/v1/files", name, content).await;
        assert_eq!(response.status(), *status, "{what}");
        let error: ApiErrorBody = response.json().await.expect("the error shape");
        assert_eq!(&error.code, code, "{what}");
    }
    // not a form at all, and a form without the field
    let response = app
        .http
        .post(app.url("/api/v1/files"))
        .header("x-requested-with", "quanyi")
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<ApiErrorBody>().await.unwrap().code,
        "QY-FILE-0008"
    );

    assert_eq!(rows(&app).await, 0, "no refused file is recorded");
    assert!(
        kept(&app.files_dir).is_empty(),
        "no refused file is stored: {:?}",
        kept(&app.files_dir)
    );
    let refusals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'file.file.upload' AND result = 'refused'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        refusals,
        i64::try_from(cases.len()).unwrap(),
        "each refusal is on the record"
    );
}

#[tokio::test]
async fn a_kept_file_loses_its_metadata_and_only_its_owner_downloads_it_as_an_attachment() {
    let app = spawn_app_with(AppOptions {
        max_file_bytes: CAP,
        ..Default::default()
    })
    .await;
    app.login("planner", DEMO_PASSWORD).await.unwrap();

    let response = upload(&app, "/api/v1/files", "营业执照.png", &png(b"")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let image: FileView = response.json().await.unwrap();
    assert_eq!(
        (image.name.as_str(), image.content_type.as_str()),
        ("营业执照.png", "image/png")
    );
    let response = upload(&app, "/api/v1/files", "id.jpg", &jpeg()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let photo: FileView = response.json().await.unwrap();
    assert_eq!(photo.content_type, "image/jpeg");
    let response = upload(&app, "/api/v1/files", "contract.pdf", &pdf()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let contract: FileView = response.json().await.unwrap();
    assert_eq!(contract.content_type, "application/pdf");
    assert_eq!(contract.size_bytes, i64::try_from(pdf().len()).unwrap());

    // stored under random names: no original name, no extension, no id anywhere on disk
    let stored = kept(&app.files_dir);
    assert_eq!(stored.len(), 3, "{stored:?}");
    for path in &stored {
        let text = path.to_string_lossy();
        assert!(!text.contains("营业执照") && !text.contains(".png") && !text.contains(".pdf"));
        assert!(!text.contains(&image.id.to_string()));
    }

    // the owner downloads it: an attachment, not sniffed, metadata gone
    let response = app
        .http
        .get(app.url(&format!("/api/v1/files/{}", image.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E8%90%A5"),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    assert!(
        !String::from_utf8_lossy(&bytes).contains("GPS"),
        "the text chunk is gone"
    );
    assert_eq!(i64::try_from(bytes.len()).unwrap(), image.size_bytes);
    let bytes = app
        .http
        .get(app.url(&format!("/api/v1/files/{}", photo.id)))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(b"\xFF\xD8") && bytes.ends_with(b"\xFF\xD9"));
    assert!(
        !String::from_utf8_lossy(&bytes).contains("GPS"),
        "EXIF is gone"
    );

    // someone else's file is not there for them; no session is no session
    let other = app.browser();
    other.login("reviewer1", DEMO_PASSWORD).await.unwrap();
    let response = other
        .http
        .get(other.url(&format!("/api/v1/files/{}", image.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<ApiErrorBody>().await.unwrap().code,
        "QY-FILE-0007"
    );
    let anonymous = app.browser();
    let response = anonymous
        .http
        .get(anonymous.url(&format!("/api/v1/files/{}", image.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<ApiErrorBody>().await.unwrap().code,
        "QY-AUTH-0001"
    );
    let response = upload(&anonymous, "/api/v1/files", "x.png", &png(b"")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .http
        .get(app.url(&format!("/api/v1/files/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // each upload is audited with who, what and its digest
    let audited: Vec<(Option<String>, serde_json::Value)> = sqlx::query_as(
        "SELECT username, after FROM audit_log WHERE action = 'file.file.upload' AND result = 'ok' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 3);
    assert_eq!(audited[0].0.as_deref(), Some("planner"));
    assert_eq!(audited[0].1["name"], "营业执照.png");
    assert_eq!(audited[0].1["sha256"].as_str().unwrap().len(), 64);
}
