//! Document uploads, shared by trips (tickets, boarding passes) and vehicles
//! (registration, insurance): a presigned S3 PUT bound to the declared type
//! and size, and the check after upload (size and magic bytes) that accepts
//! or rejects the file. The document item lives in its owner's partition.
use aws_sdk_s3::presigning::PresigningConfig;
use serde::Deserialize;
use serde_json::json;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    #[serde(rename = "type")]
    doc_type: String,
    content_type: String,
    size_bytes: u64,
}

impl Files {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { s3, bucket: bucket.into() }
    }

    /// POST …/documents: records a pending document and answers 201 with a
    /// URL to PUT the file to (content type and length are signed in).
    pub async fn request_upload(
        &self,
        owner_partition: &str,
        req: &ApiRequest,
        allowed: &[DocType],
    ) -> Result<Reply, Problem> {
        let body: UploadRequest = req.json()?;
        let mut errors = Errors::new();
        let doc_type = errors.check("type", DocType::parse_for(&body.doc_type, allowed));
        let file_type = errors.check("content_type", body.content_type.parse::<FileType>());
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
        let headers: serde_json::Map<String, serde_json::Value> =
            presigned.headers().map(|(k, v)| (k.to_string(), json!(v))).collect();
        let record = Record::new(keys::document(owner_partition, &doc.document_id), entity::DOCUMENT, doc.clone());
        let body = json!({
            "document": doc,
            "upload": { "method": "PUT", "url": presigned.uri(), "headers": headers, "expires_in_seconds": UPLOAD_URL_SECONDS },
        });
        Ok(Reply::json(201, &body).write(put_new(&record), None))
    }

    /// POST …/documents/{document_id}/complete: checks what was uploaded
    /// (size as declared, PDF/JPEG/PNG as declared, by its first bytes) and
    /// accepts or rejects the document; a rejected file is deleted. Checking
    /// again answers the decision already made.
    pub async fn complete_upload(&self, table: &Table, current: Record<Document>) -> Result<Reply, Problem> {
        if current.data.status != DocStatus::Pending {
            return Ok(Reply::ok(&current.data));
        }
        let size = match self.s3.head_object().bucket(&self.bucket).key(&current.data.object_key).send().await {
            Ok(h) => h.content_length().map(|n| n as u64),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => None,
            Err(e) => {
                tracing::warn!(error = ?e, "HeadObject failed");
                return Err(Problem::unavailable());
            }
        };
        let head = match size {
            Some(_) => {
                let o = self
                    .s3
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&current.data.object_key)
                    .range("bytes=0-15")
                    .send()
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = ?e, "GetObject failed");
                        Problem::unavailable()
                    })?;
                o.body.collect().await.map_err(|_| Problem::unavailable())?.into_bytes().to_vec()
            }
            None => Vec::new(),
        };
        let mut doc = current.data.clone();
        match check_upload(&doc, size, &head) {
            None => doc.status = DocStatus::Accepted,
            Some(reason) if size.is_none() => return Err(Problem::conflict("document-not-uploaded", reason)),
            Some(reason) => {
                doc.status = DocStatus::Rejected;
                doc.reason = Some(reason);
            }
        }
        // The decision is recorded first; a failed delete leaves only an unused object.
        table.write_one(put_versioned(&current.next(doc.clone()))).await?;
        if doc.status == DocStatus::Rejected {
            if let Err(e) = self.s3.delete_object().bucket(&self.bucket).key(&doc.object_key).send().await {
                tracing::warn!(error = ?e, key = %doc.object_key, "could not delete a rejected upload");
            }
        }
        Ok(Reply::ok(&doc))
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
