//! Document uploads, shared by trips (tickets, boarding passes) and vehicles
//! (registration, insurance): a presigned S3 PUT bound to the declared type
//! and size, and the check after upload (size and magic bytes) that accepts
//! or rejects the file. The document item lives in its owner's partition.
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_sdk_s3::presigning::PresigningConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

use super::clock::now_rfc3339;
use super::crypto::new_id;
use super::http::{ApiRequest, Problem, Reply};
use super::store::{put_new, put_versioned, Record, Table};
use crate::domain::documents::{
    check_upload, DocStatus, DocType, Document, FileType, MAX_BYTES, MIN_BYTES, UPLOAD_URL_SECONDS,
};
use crate::domain::validation::Errors;
use crate::keys::{self, entity};

pub struct Files {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

/// How long a presigned link to a stored file works (15 minutes).
pub const VIEW_URL_SECONDS: u64 = UPLOAD_URL_SECONDS;

/// At most this many documents (pending or accepted) per trip or vehicle.
pub const MAX_DOCUMENTS: usize = 10;

/// A request to upload a document.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// ticket or boarding_pass (trips); registration or insurance (vehicles);
    /// photo (shipments, where it may be left out).
    #[serde(rename = "type", default)]
    pub doc_type: Option<String>,
    /// application/pdf, image/jpeg or image/png; photos image/jpeg, image/png or image/webp.
    pub content_type: String,
    pub size_bytes: u64,
}

/// A pending document and where to PUT its file.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct UploadAnswer {
    pub document: Document,
    pub upload: UploadUrl,
}

/// A presigned upload: send these headers with the file's bytes.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct UploadUrl {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

impl Files {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { s3, bucket: bucket.into() }
    }

    /// POST …/documents: records a pending document and answers 201 with a
    /// URL to PUT the file to (content type and length are signed in). The
    /// owner's `existing` documents count towards [`MAX_DOCUMENTS`].
    pub async fn request_upload(
        &self,
        owner_partition: &str,
        req: &ApiRequest,
        allowed: &[DocType],
        existing: &[Document],
    ) -> Result<Reply, Problem> {
        let body: UploadRequest = req.json()?;
        if existing.iter().filter(|d| d.status != DocStatus::Rejected).count() >= MAX_DOCUMENTS {
            return Err(Problem::conflict(
                "too-many-documents",
                format!("at most {MAX_DOCUMENTS} documents (pending or accepted) are kept; complete or replace one"),
            ));
        }
        let mut errors = Errors::new();
        let doc_type = match (body.doc_type.as_deref(), allowed) {
            (None, [only]) => Some(*only),
            (None, _) => {
                errors.push("type", "is required");
                None
            }
            (Some(t), _) => errors.check("type", DocType::parse_for(t, allowed)),
        };
        let file_type = errors.check("content_type", body.content_type.parse::<FileType>());
        if let (Some(d), Some(f)) = (doc_type, file_type) {
            if !d.accepts(f) {
                errors.push("content_type", format!("a {} cannot be {}", d.as_str(), f.media_type()));
            }
        }
        if !(MIN_BYTES..=MAX_BYTES).contains(&body.size_bytes) {
            errors.push("size_bytes", format!("must be from {MIN_BYTES} to {MAX_BYTES} bytes"));
        }
        let (doc_type, file_type) = errors.finish((|| Some((doc_type?, file_type?)))())?;
        let document_id = new_id();
        let doc = Document {
            object_key: format!("documents/{}/{document_id}", owner_partition.replace('#', "/").to_lowercase()),
            document_id,
            doc_type,
            file_type,
            size_bytes: body.size_bytes,
            status: DocStatus::Pending,
            reason: None,
            sha256: None,
            created_at: now_rfc3339(),
        };
        let presigned = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&doc.object_key)
            .content_type(file_type.media_type())
            .content_length(body.size_bytes as i64)
            .presigned(
                PresigningConfig::expires_in(Duration::from_secs(UPLOAD_URL_SECONDS))
                    .map_err(|_| Problem::internal())?,
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "presign failed");
                Problem::unavailable()
            })?;
        let headers = presigned.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let record = Record::new(keys::document(owner_partition, &doc.document_id), entity::DOCUMENT, doc.clone());
        let upload = UploadUrl {
            method: "PUT".into(),
            url: presigned.uri().to_string(),
            headers,
            expires_in_seconds: UPLOAD_URL_SECONDS,
        };
        Ok(Reply::json(201, &UploadAnswer { document: doc, upload }).write(put_new(&record), None))
    }

    /// POST …/documents/{document_id}/complete: checks what was uploaded
    /// (size as declared, PDF/JPEG/PNG as declared, by its first bytes) and
    /// accepts or rejects the document. An accepted file is copied to a key
    /// of its own (`accepted/…`, conditional on the ETag checked) and the
    /// upload deleted, so the upload URL can no longer change it; a rejected
    /// file is deleted. Checking again answers the decision already made.
    /// `also` adds writes to the same transaction when the file is accepted
    /// (a shipment records its accepted photos).
    pub async fn complete_upload(
        &self,
        table: &Table,
        current: Record<Document>,
        also: impl FnOnce(&Document) -> Vec<TransactWriteItem>,
    ) -> Result<Reply, Problem> {
        if current.data.status != DocStatus::Pending {
            return Ok(Reply::ok(&current.data));
        }
        let key = current.data.object_key.clone();
        let (size, etag) = match self.s3.head_object().bucket(&self.bucket).key(&key).send().await {
            Ok(h) => (h.content_length().map(|n| n as u64), h.e_tag().map(str::to_string)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => (None, None),
            Err(e) => {
                tracing::warn!(error = ?e, "HeadObject failed");
                return Err(Problem::unavailable());
            }
        };
        let changed =
            || Problem::conflict("document-changed", "the file was replaced while it was checked; complete again");
        // A photo is read whole: its hash is what a delivery proof names.
        let whole = current.data.doc_type == crate::domain::documents::DocType::Photo;
        let head = match size {
            Some(_) => {
                let o = self
                    .s3
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .set_range((!whole).then(|| "bytes=0-15".to_string()))
                    .set_if_match(etag.clone())
                    .send()
                    .await
                    .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
                        Some(412) => changed(),
                        _ => {
                            tracing::warn!(error = ?e, "GetObject failed");
                            Problem::unavailable()
                        }
                    })?;
                o.body.collect().await.map_err(|_| Problem::unavailable())?.into_bytes().to_vec()
            }
            None => Vec::new(),
        };
        let mut doc = current.data.clone();
        match check_upload(&doc, size, &head) {
            None => {
                // An accepted file is immutable: it is copied (exactly the
                // version checked) to a key no upload URL was ever issued for.
                let accepted = format!("accepted/{key}");
                self.s3
                    .copy_object()
                    .bucket(&self.bucket)
                    .key(&accepted)
                    .copy_source(format!("{}/{key}", self.bucket))
                    .set_copy_source_if_match(etag)
                    .send()
                    .await
                    .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
                        Some(412) => changed(),
                        _ => {
                            tracing::warn!(error = ?e, "CopyObject failed");
                            Problem::unavailable()
                        }
                    })?;
                doc.status = DocStatus::Accepted;
                doc.object_key = accepted;
                doc.sha256 = whole.then(|| super::crypto::sha256_hex(&head));
            }
            Some(reason) if size.is_none() => return Err(Problem::conflict("document-not-uploaded", reason)),
            Some(reason) => {
                doc.status = DocStatus::Rejected;
                doc.reason = Some(reason);
            }
        }
        // The decision is recorded first; a failed delete leaves only an unused object.
        let mut writes = vec![put_versioned(&current.next(doc.clone()))];
        if doc.status == DocStatus::Accepted {
            writes.extend(also(&doc));
        }
        table.write_all(writes).await.map_err(|e| match e {
            super::store::StoreError::ConditionFailed { .. } => {
                Problem::conflict("document-changed", "the document or its owner changed meanwhile; complete again")
            }
            e => e.into(),
        })?;
        if let Err(e) = self.s3.delete_object().bucket(&self.bucket).key(&key).send().await {
            tracing::warn!(error = ?e, key = %key, "could not delete the uploaded file");
        }
        Ok(Reply::ok(&doc))
    }

    /// A presigned GET URL of a stored file (presigning makes no call).
    pub async fn view_url(&self, object_key: &str) -> Result<String, Problem> {
        let config =
            PresigningConfig::expires_in(Duration::from_secs(VIEW_URL_SECONDS)).map_err(|_| Problem::internal())?;
        let p = self.s3.get_object().bucket(&self.bucket).key(object_key).presigned(config).await.map_err(|e| {
            tracing::error!(error = %e, "presign failed");
            Problem::unavailable()
        })?;
        Ok(p.uri().to_string())
    }

    /// Stores a file the platform made (a rendered PDF) under `object_key`.
    pub async fn store(
        &self,
        object_key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), super::store::StoreError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(object_key)
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| super::store::StoreError::Unavailable(Box::new(e)))
    }

    /// Deletes stored files, best effort (a failure leaves an unused object).
    pub async fn remove(&self, object_keys: &[String]) {
        for key in object_keys {
            if let Err(e) = self.s3.delete_object().bucket(&self.bucket).key(key).send().await {
                tracing::warn!(error = ?e, key, "could not delete a file");
            }
        }
    }
}
