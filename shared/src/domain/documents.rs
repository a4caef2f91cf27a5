//! Uploaded documents (tickets, boarding passes, vehicle registration and
//! insurance): which types exist, what files they accept, and the check made
//! on the bytes once uploaded.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The largest document accepted.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The smallest: anything shorter is not a real scan or PDF.
pub const MIN_BYTES: u64 = 16;
/// How long an upload URL stays valid.
pub const UPLOAD_URL_SECONDS: u64 = 900;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    Ticket,
    BoardingPass,
    Registration,
    Insurance,
    /// A photo of a shipment's parcel.
    Photo,
    /// A file sent with a message: a photo or a PDF.
    Attachment,
}

impl DocType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Ticket => "ticket",
            DocType::BoardingPass => "boarding_pass",
            DocType::Registration => "registration",
            DocType::Insurance => "insurance",
            DocType::Photo => "photo",
            DocType::Attachment => "attachment",
        }
    }
    /// The file types this kind of document may be.
    pub fn accepts(self, f: FileType) -> bool {
        match self {
            DocType::Photo => f != FileType::Pdf,
            DocType::Attachment => true,
            _ => f != FileType::Webp,
        }
    }
    pub const FOR_TRIPS: &'static [DocType] = &[DocType::Ticket, DocType::BoardingPass];
    pub const FOR_VEHICLES: &'static [DocType] = &[DocType::Registration, DocType::Insurance];
    pub const FOR_SHIPMENTS: &'static [DocType] = &[DocType::Photo];
    pub const FOR_MESSAGES: &'static [DocType] = &[DocType::Attachment];

    /// Parses a type allowed in `allowed`.
    pub fn parse_for(raw: &str, allowed: &[DocType]) -> Result<Self, String> {
        let names: Vec<&str> = allowed.iter().map(|d| d.as_str()).collect();
        allowed
            .iter()
            .copied()
            .find(|d| d.as_str() == raw.trim())
            .ok_or_else(|| format!("must be one of {}", names.join(", ")))
    }
}

/// The file types accepted, by their media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub enum FileType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
}

impl FileType {
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
        }
    }
    /// What the first bytes of a file say it is.
    pub fn sniff(head: &[u8]) -> Option<FileType> {
        if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileType::Png)
        } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(FileType::Webp)
        } else {
            None
        }
    }
}

impl FromStr for FileType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "application/pdf" => Ok(FileType::Pdf),
            "image/jpeg" => Ok(FileType::Jpeg),
            "image/png" => Ok(FileType::Png),
            "image/webp" => Ok(FileType::Webp),
            _ => Err("must be application/pdf, image/jpeg, image/png or image/webp".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// The upload URL was issued; the file is not checked yet.
    Pending,
    Accepted,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Document {
    pub document_id: String,
    pub doc_type: DocType,
    pub file_type: FileType,
    pub size_bytes: u64,
    pub status: DocStatus,
    /// The object key in the files bucket.
    pub object_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// SHA-256 (hex) of an accepted photo's file: what a delivery proof names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub created_at: String,
}

/// Checks what was uploaded against what was declared: `None` if it is
/// acceptable, or why not.
pub fn check_upload(doc: &Document, stored_size: Option<u64>, head: &[u8]) -> Option<String> {
    let Some(size) = stored_size else {
        return Some("nothing was uploaded".into());
    };
    if size != doc.size_bytes {
        return Some(format!("{size} bytes were uploaded, {} were declared", doc.size_bytes));
    }
    match FileType::sniff(head) {
        Some(t) if t == doc.file_type => None,
        Some(t) => Some(format!("the file is {}, {} was declared", t.media_type(), doc.file_type.media_type())),
        None => Some("the file is not a PDF, JPEG, PNG or WebP".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn doc() -> Document {
        Document {
            document_id: "d".into(),
            doc_type: DocType::Ticket,
            file_type: FileType::Pdf,
            size_bytes: 20,
            status: DocStatus::Pending,
            object_key: "k".into(),
            reason: None,
            sha256: None,
            created_at: "t".into(),
        }
    }
    #[test]
    fn uploads_are_checked_by_size_and_content() {
        assert_eq!(check_upload(&doc(), Some(20), b"%PDF-1.7\n...."), None);
        assert!(check_upload(&doc(), None, b"").unwrap().contains("nothing"));
        assert!(check_upload(&doc(), Some(21), b"%PDF-1.7").unwrap().contains("declared"));
        assert!(check_upload(&doc(), Some(20), &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap().contains("image/jpeg"));
        assert!(check_upload(&doc(), Some(20), b"MZ\x90\x00").unwrap().contains("not a PDF"));
        assert_eq!(DocType::parse_for("ticket", DocType::FOR_TRIPS), Ok(DocType::Ticket));
        assert!(DocType::parse_for("insurance", DocType::FOR_TRIPS).is_err());
        assert_eq!(FileType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert!(DocType::Photo.accepts(FileType::Webp) && !DocType::Photo.accepts(FileType::Pdf));
        assert!(!DocType::Ticket.accepts(FileType::Webp));
    }
}
