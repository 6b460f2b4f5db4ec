//! What an uploaded file is, told by its content and never by its name or declared type (the
//! `infer` crate reads the magic bytes): JPEG, PNG and PDF are kept, anything else is refused. A
//! file of an accepted kind that also carries markup a browser would run (`<script`, `<html`,
//! `<svg` …, anywhere in its bytes) or, for a PNG, bytes after its IEND chunk is a polyglot and
//! refused too. JPEG and PNG metadata (EXIF with its GPS position, XMP, text chunks, comments) is
//! dropped with `img-parts`, which rewrites the file's segments and chunks without decoding the
//! pixels.

use aho_corasick::AhoCorasick;
use bytes::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;
use std::sync::OnceLock;

/// The kinds of file Quanyi keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    /// The kind the first bytes of a file say it is; `None` for anything not on the list.
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        match infer::get(head)?.mime_type() {
            "image/jpeg" => Some(FileKind::Jpeg),
            "image/png" => Some(FileKind::Png),
            "application/pdf" => Some(FileKind::Pdf),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileKind> {
        [FileKind::Jpeg, FileKind::Png, FileKind::Pdf]
            .into_iter()
            .find(|k| k.mime() == mime)
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Pdf => "pdf",
        }
    }

    /// Whether the file's metadata is stripped before it is kept.
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png)
    }
}

/// Why an upload was refused; each has its own `QY-FILE-` code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Zero bytes.
    Empty,
    /// Larger than the configured cap.
    TooLarge,
    /// Not a JPEG, PNG or PDF by its content (an HTML page named `.jpg`, an SVG …).
    KindNotAllowed,
    /// An accepted kind that also holds markup or script, or data after the image's end.
    Polyglot,
    /// The file name is empty, too long, or holds a path (`/`, `\`, `..`) or a control character.
    BadName,
    /// The image's structure cannot be read (truncated or corrupt).
    Damaged,
}

/// Markup a browser would render or run, looked for in every byte of every upload, whatever the
/// letter case.
const MARKUP: &[&str] = &[
    "<script",
    "<html",
    "<svg",
    "<iframe",
    "<body",
    "<!doctype",
    "<object",
    "<embed",
    "<meta",
    "javascript:",
    "/javascript",
];

fn markup() -> &'static AhoCorasick {
    static MATCHER: OnceLock<AhoCorasick> = OnceLock::new();
    MATCHER.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(MARKUP)
            .expect("fixed patterns build")
    })
}

/// Looks for [`MARKUP`] in a stream of chunks, across chunk boundaries.
#[derive(Debug, Default)]
pub struct MarkupScan {
    /// The last bytes of what was seen, shorter than the longest pattern.
    carry: Vec<u8>,
}

impl MarkupScan {
    /// Whether markup begins in `chunk` or across the boundary with the chunks before it.
    pub fn found_in(&mut self, chunk: &[u8]) -> bool {
        let keep = MARKUP.iter().map(|p| p.len()).max().unwrap_or(1) - 1;
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        let found = markup().is_match(&window);
        let from = window.len().saturating_sub(keep);
        self.carry = window.split_off(from);
        found
    }
}

/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The name a client gave a file, checked and percent-decoded (browsers send `"` as `%22` and a
/// line break as `%0A`, so `%00` is a NUL): no path (`/`, `\`, `..`), no control character, 1–200
/// characters; a file sent without a name is called `file`.
pub fn checked_name(raw: Option<&str>) -> Result<String, Refusal> {
    let Some(raw) = raw else {
        return Ok("file".to_owned());
    };
    let name = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::BadName)?;
    let name = name.trim();
    let count = name.chars().count();
    if count == 0
        || count > MAX_NAME_CHARS
        || name.contains(['/', '\\'])
        || name.contains("..")
        || name.chars().any(char::is_control)
        || name.contains(['\u{FFFE}', '\u{FFFF}'])
    {
        return Err(Refusal::BadName);
    }
    Ok(name.to_owned())
}

/// PNG chunks kept: what the picture needs to look as it did; text, EXIF, time and every private
/// chunk go.
const PNG_KEPT: &[[u8; 4]] = &[
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"iCCP",
    *b"sBIT", *b"bKGD", *b"pHYs",
];

/// `image` without its metadata. A PNG with bytes after IEND is a polyglot; a JPEG keeps APP0
/// (JFIF), its ICC profile (APP2 `ICC_PROFILE`) and APP14 (Adobe colour), loses every other APPn
/// segment (EXIF and XMP are APP1) and comments, and ends at its end-of-image marker (what phones
/// append after it goes).
pub fn strip(kind: FileKind, image: Bytes) -> Result<Bytes, Refusal> {
    match kind {
        FileKind::Png => strip_png(image),
        FileKind::Jpeg => strip_jpeg(image),
        FileKind::Pdf => Ok(image),
    }
}

fn strip_png(image: Bytes) -> Result<Bytes, Refusal> {
    let length = image.len();
    let mut png = Png::from_bytes(image).map_err(|_| Refusal::Damaged)?;
    if png.chunks().last().map(|c| c.kind()) != Some(*b"IEND") {
        return Err(Refusal::Damaged);
    }
    if png.len() != length {
        return Err(Refusal::Polyglot);
    }
    png.chunks_mut().retain(|c| PNG_KEPT.contains(&c.kind()));
    Ok(png.encoder().bytes())
}

fn strip_jpeg(image: Bytes) -> Result<Bytes, Refusal> {
    let mut jpeg = Jpeg::from_bytes(image.clone()).map_err(|_| Refusal::Damaged)?;
    jpeg.segments_mut().retain(|s| match s.marker() {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => s.contents().starts_with(b"ICC_PROFILE\0"),
        m if (markers::APP1..=markers::APP15).contains(&m) => false,
        markers::COM => false,
        _ => true,
    });
    let Some(position) = jpeg
        .segments()
        .iter()
        .position(|s| s.marker() == markers::SOS && s.has_entropy())
    else {
        return Err(Refusal::Damaged);
    };
    let sos = &jpeg.segments()[position];
    // the parser keeps the rest of the file after the start-of-scan header as its entropy
    let rest = sos.len_with_entropy() - sos.len();
    let entropy = image.slice(image.len() - rest..);
    // The entropy-coded data holds no 0xFF 0xD9 but the end-of-image marker (0xFF is stuffed
    // with 0x00 there), so the image ends at the first one after the start of scan.
    let Some(end) = entropy.windows(2).position(|w| w == [0xFF, markers::EOI]) else {
        return Err(Refusal::Damaged);
    };
    let ended = JpegSegment::new_with_entropy(
        markers::SOS,
        sos.contents().clone(),
        entropy.slice(..end + 2),
    );
    jpeg.segments_mut()[position] = ended;
    jpeg.segments_mut().truncate(position + 1);
    Ok(jpeg.encoder().bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_told_by_the_content() {
        assert_eq!(
            FileKind::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(FileKind::Jpeg)
        );
        assert_eq!(
            FileKind::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(FileKind::Png)
        );
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"<html><body>hi</body></html>"), None);
        assert_eq!(
            FileKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            None
        );
        assert_eq!(FileKind::sniff(b"GIF89a\x01\0\x01\0"), None);
    }

    #[test]
    fn markup_is_found_across_chunks_in_any_case() {
        let mut scan = MarkupScan::default();
        assert!(!scan.found_in(b"\x89PNG binary <scr"));
        assert!(scan.found_in(b"IPT>alert(1)"));
        let mut scan = MarkupScan::default();
        assert!(scan.found_in(b"..<HtMl>"));
        let mut scan = MarkupScan::default();
        assert!(!scan.found_in(b"%PDF-1.7 << /Type /Catalog >> <x:xmpmeta>"));
    }

    #[test]
    fn names_with_a_path_or_a_control_character_are_refused() {
        assert_eq!(checked_name(Some("营业执照.jpg")).unwrap(), "营业执照.jpg");
        assert_eq!(checked_name(Some("a%22b.pdf")).unwrap(), "a\"b.pdf");
        assert_eq!(checked_name(None).unwrap(), "file");
        for bad in [
            "../etc/passwd",
            "..\\boot.ini",
            "a/b.jpg",
            "a%00.jpg",
            "a\u{0}.jpg",
            "a%0A.jpg",
            "",
            "  ",
            "%FF.jpg",
        ] {
            assert_eq!(checked_name(Some(bad)), Err(Refusal::BadName), "{bad:?}");
        }
        assert_eq!(checked_name(Some(&"名".repeat(201))), Err(Refusal::BadName));
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
        out
    }

    /// A 1×1 PNG with a text chunk and an eXIf chunk, and `after` past IEND.
    fn png(after: &[u8]) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        out.extend(chunk(b"tEXt", b"Comment\0GPS 31.2N 121.5E"));
        out.extend(chunk(b"eXIf", b"MM\0*\0\0\0\x08GPSLatitude"));
        out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1]));
        out.extend(chunk(b"IEND", b""));
        out.extend_from_slice(after);
        out
    }

    #[test]
    fn png_metadata_is_dropped_and_data_after_iend_refused() {
        let stripped = strip(FileKind::Png, Bytes::from(png(b""))).unwrap();
        let text = String::from_utf8_lossy(&stripped);
        assert!(!text.contains("GPS") && !text.contains("tEXt") && !text.contains("eXIf"));
        assert!(text.contains("IDAT") && text.contains("IEND"));
        assert_eq!(
            strip(FileKind::Png, Bytes::from(png(b"trailing"))),
            Err(Refusal::Polyglot)
        );
        assert_eq!(
            strip(
                FileKind::Png,
                Bytes::from_static(b"\x89PNG\r\n\x1a\n\0\0\0")
            ),
            Err(Refusal::Damaged)
        );
    }

    #[test]
    fn jpeg_exif_and_comments_are_dropped_and_the_image_ends_at_eoi() {
        let mut jpeg = b"\xFF\xD8".to_vec();
        jpeg.extend_from_slice(b"\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let exif = b"Exif\0\0MM\0*GPS 31.2N";
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0, (exif.len() + 2) as u8]);
        jpeg.extend_from_slice(exif);
        let comment = b"taken at home";
        jpeg.extend_from_slice(&[0xFF, 0xFE, 0, (comment.len() + 2) as u8]);
        jpeg.extend_from_slice(comment);
        jpeg.extend_from_slice(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00");
        jpeg.extend_from_slice(b"\x12\x34\xFF\x00\x56\xFF\xD9appended by the phone");
        let stripped = strip(FileKind::Jpeg, Bytes::from(jpeg)).unwrap();
        let text = String::from_utf8_lossy(&stripped);
        assert!(text.contains("JFIF"));
        assert!(!text.contains("GPS") && !text.contains("taken at home"));
        assert!(stripped.ends_with(b"\x56\xFF\xD9"), "{stripped:?}");
    }
}
