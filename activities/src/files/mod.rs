//! SEC-7 files: licences, ID photos, shop photos and inspection evidence. An upload is streamed
//! through [`Intake`] — its kind told by its content, markup looked for in every byte, its size
//! counted against the cap — into a spool file, never whole in memory; an image is then read back
//! to drop its metadata ([`content::strip`]). What passes goes to the object store under a random
//! key and into the `files` table under an opaque id with its owner (a staff user or an
//! onboarding application); the key and the store's paths are never shown. A refused upload
//! leaves nothing behind.

pub mod content;

use crate::audit::{self, Entry};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use content::{FileKind, MarkupScan, Refusal};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

/// The default upload cap: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// How many bytes [`FileKind::sniff`] is given (or the whole file, when shorter).
const HEAD: usize = 512;

/// S3-compatible object storage, by configuration.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// Another service than AWS (MinIO, a bank's own object storage): its URL.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub access_key_id: String,
    #[serde(serialize_with = "redacted")]
    pub secret_access_key: SecretString,
    /// Only for a test endpoint on plain http.
    #[serde(default)]
    pub allow_http: bool,
}

fn redacted<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

/// Where files are kept, and the largest accepted.
#[derive(Clone)]
pub struct FileStore {
    objects: Arc<dyn ObjectStore>,
    max_bytes: u64,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileStore({}, max {} bytes)",
            self.objects, self.max_bytes
        )
    }
}

impl FileStore {
    /// Files under `dir` on the local filesystem (made if missing).
    pub fn local(dir: &Path, max_bytes: u64) -> Result<FileStore, object_store::Error> {
        std::fs::create_dir_all(dir).map_err(|e| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        })?;
        let objects = object_store::local::LocalFileSystem::new_with_prefix(dir)?
            .with_automatic_cleanup(true);
        Ok(FileStore {
            objects: Arc::new(objects),
            max_bytes,
        })
    }

    /// Files in an S3-compatible bucket.
    pub fn s3(settings: &S3Settings, max_bytes: u64) -> Result<FileStore, object_store::Error> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_allow_http(settings.allow_http);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        Ok(FileStore {
            objects: Arc::new(builder.build()?),
            max_bytes,
        })
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// A kept file's bytes as a stream.
    pub async fn open(
        &self,
        object_key: &str,
    ) -> Result<
        futures::stream::BoxStream<'static, Result<Bytes, object_store::Error>>,
        object_store::Error,
    > {
        let found = self.objects.get(&ObjectPath::from(object_key)).await?;
        Ok(found.into_stream())
    }

    /// Keeps `checked` under a new random key, which it answers.
    async fn keep(&self, checked: Checked) -> Result<String, IntakeError> {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        let key = format!(
            "{}/{}",
            checked.uploaded_at.format("%Y/%m"),
            hex::encode(random)
        );
        let path = ObjectPath::from(key.as_str());
        match checked.body {
            Body::Bytes(bytes) => {
                self.objects.put(&path, PutPayload::from(bytes)).await?;
            }
            Body::Spool(mut spool) => {
                spool.rewind().await?;
                let mut writer = WriteMultipart::new(self.objects.put_multipart(&path).await?);
                let mut buffer = vec![0u8; 256 * 1024];
                loop {
                    let read = match spool.read(&mut buffer).await {
                        Ok(0) => break,
                        Ok(read) => read,
                        Err(e) => {
                            let _ = writer.abort().await;
                            return Err(e.into());
                        }
                    };
                    if let Err(e) = writer.wait_for_capacity(2).await {
                        let _ = writer.abort().await;
                        return Err(e.into());
                    }
                    writer.write(&buffer[..read]);
                }
                writer.finish().await?;
            }
        }
        Ok(key)
    }

    async fn forget(&self, object_key: &str) {
        if let Err(e) = self.objects.delete(&ObjectPath::from(object_key)).await {
            tracing::warn!(error = %e, "cannot delete an unrecorded file from the object store");
        }
    }
}

/// What went wrong with an upload: a refusal of its content, or the machinery.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("spool: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<Refusal> for IntakeError {
    fn from(refusal: Refusal) -> Self {
        IntakeError::Refused(refusal)
    }
}

/// An upload on its way in: fed chunk by chunk, refused as soon as it shows what it is.
pub struct Intake {
    name: String,
    max_bytes: u64,
    size: u64,
    head: Vec<u8>,
    kind: Option<FileKind>,
    scan: MarkupScan,
    /// Markup was seen: a polyglot once the kind is known (what the file is comes first).
    markup: bool,
    hasher: Sha256,
    spool: tokio::fs::File,
}

impl Intake {
    /// Starts an upload named `raw_name` by the client (refused at once if the name is bad).
    pub fn start(store: &FileStore, raw_name: Option<&str>) -> Result<Intake, IntakeError> {
        let name = content::checked_name(raw_name)?;
        // an unnamed file, gone with its handle whatever happens
        let spool = tokio::fs::File::from_std(tempfile::tempfile()?);
        Ok(Intake {
            name,
            max_bytes: store.max_bytes,
            size: 0,
            head: Vec::with_capacity(HEAD),
            kind: None,
            scan: MarkupScan::default(),
            markup: false,
            hasher: Sha256::new(),
            spool,
        })
    }

    /// The name the file is kept under (checked).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next bytes of the upload.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), IntakeError> {
        self.size += chunk.len() as u64;
        if self.size > self.max_bytes {
            return Err(Refusal::TooLarge.into());
        }
        if self.kind.is_none() {
            let wanted = HEAD - self.head.len();
            self.head
                .extend_from_slice(&chunk[..chunk.len().min(wanted)]);
            if self.head.len() == HEAD {
                self.kind = Some(FileKind::sniff(&self.head).ok_or(Refusal::KindNotAllowed)?);
            }
        }
        self.markup |= self.scan.found_in(chunk);
        if self.markup && self.kind.is_some() {
            return Err(Refusal::Polyglot.into());
        }
        self.hasher.update(chunk);
        self.spool.write_all(chunk).await?;
        Ok(())
    }

    /// The whole upload, checked: an image with its metadata dropped, a PDF as it came.
    async fn finish(mut self, now: DateTime<Utc>) -> Result<Checked, IntakeError> {
        if self.size == 0 {
            return Err(Refusal::Empty.into());
        }
        let kind = match self.kind {
            Some(kind) => kind,
            None => FileKind::sniff(&self.head).ok_or(Refusal::KindNotAllowed)?,
        };
        if self.markup {
            return Err(Refusal::Polyglot.into());
        }
        self.spool.flush().await?;
        if kind.is_image() {
            // an image is at most the cap: read it back whole to rewrite its segments
            self.spool.rewind().await?;
            let mut whole = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
            self.spool.read_to_end(&mut whole).await?;
            let stripped = content::strip(kind, Bytes::from(whole))?;
            return Ok(Checked {
                name: self.name,
                kind,
                size: stripped.len() as u64,
                sha256: hex::encode(Sha256::digest(&stripped)),
                uploaded_at: now,
                body: Body::Bytes(stripped),
            });
        }
        Ok(Checked {
            name: self.name,
            kind,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            uploaded_at: now,
            body: Body::Spool(self.spool),
        })
    }
}

/// An upload that passed every check, ready to keep.
struct Checked {
    name: String,
    kind: FileKind,
    size: u64,
    sha256: String,
    uploaded_at: DateTime<Utc>,
    body: Body,
}

enum Body {
    Bytes(Bytes),
    Spool(tokio::fs::File),
}

/// Who a file belongs to: who may read it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User(Uuid),
    Application(Uuid),
}

/// A kept file, as the table has it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileRecord {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    #[serde(skip)]
    pub object_key: String,
    #[serde(skip)]
    pub owner_user_id: Option<Uuid>,
    #[serde(skip)]
    pub owner_application_id: Option<Uuid>,
}

impl FileRecord {
    pub fn owner(&self) -> Option<Owner> {
        match (self.owner_user_id, self.owner_application_id) {
            (Some(user), _) => Some(Owner::User(user)),
            (None, Some(application)) => Some(Owner::Application(application)),
            (None, None) => None,
        }
    }
}

/// Finishes `intake`, keeps the file and records it for `owner`, audited (`file.file.upload`) as
/// `by`. A refusal keeps nothing; a row that cannot be written takes its object away again.
pub async fn keep(
    pool: &PgPool,
    store: &FileStore,
    intake: Intake,
    owner: Owner,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<FileRecord, IntakeError> {
    let checked = intake.finish(now).await?;
    let (name, kind, size, sha256) = (
        checked.name.clone(),
        checked.kind,
        checked.size,
        checked.sha256.clone(),
    );
    let object_key = store.keep(checked).await?;
    let id = Uuid::new_v4();
    let (owner_user_id, owner_application_id) = match owner {
        Owner::User(user) => (Some(user), None),
        Owner::Application(application) => (None, Some(application)),
    };
    let record = FileRecord {
        id,
        name,
        content_type: kind.mime().to_owned(),
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        sha256,
        uploaded_at: now,
        object_key,
        owner_user_id,
        owner_application_id,
    };
    let written = async {
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "INSERT INTO files (id, object_key, original_name, content_type, size_bytes, sha256,
                                owner_user_id, owner_application_id, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            record.id,
            record.object_key,
            record.name,
            record.content_type,
            record.size_bytes,
            record.sha256,
            record.owner_user_id,
            record.owner_application_id,
            now
        )
        .execute(&mut *tx)
        .await?;
        let entry = Entry {
            action: "file.file.upload",
            target: Some(id.to_string()),
            after: Some(serde_json::json!({
                "name": record.name,
                "content_type": record.content_type,
                "size_bytes": record.size_bytes,
                "sha256": record.sha256,
                "owner_application_id": record.owner_application_id,
            })),
            ..by
        };
        audit::append(&mut tx, now, entry).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        store.forget(&record.object_key).await;
        return Err(e.into());
    }
    Ok(record)
}

/// Records a refused upload in the audit log (nothing of the file is kept).
pub async fn audit_refusal(
    pool: &PgPool,
    now: DateTime<Utc>,
    code: &str,
    name: Option<&str>,
    by: Entry,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let entry = Entry {
        action: "file.file.upload",
        refused: true,
        after: Some(serde_json::json!({
            "code": code,
            "name": name.map(crate::text::escape),
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await
}

/// The file `id`, whoever owns it (the caller checks that the reader may see it).
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<FileRecord>, sqlx::Error> {
    sqlx::query_as!(
        FileRecord,
        r#"SELECT id, original_name AS name, content_type, size_bytes, sha256, uploaded_at,
                  object_key, owner_user_id, owner_application_id
           FROM files WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// The files of an onboarding application, oldest first.
pub async fn of_application(
    pool: &PgPool,
    application_id: Uuid,
) -> Result<Vec<FileRecord>, sqlx::Error> {
    sqlx::query_as!(
        FileRecord,
        r#"SELECT id, original_name AS name, content_type, size_bytes, sha256, uploaded_at,
                  object_key, owner_user_id, owner_application_id
           FROM files WHERE owner_application_id = $1 ORDER BY uploaded_at, id"#,
        application_id
    )
    .fetch_all(pool)
    .await
}
