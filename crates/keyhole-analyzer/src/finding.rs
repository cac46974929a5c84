//! Findings in Access Analyzer's `Finding` shape, plus keyhole's `witness` and `statements`.

use std::collections::BTreeMap;

use serde::Serialize;

/// Finding status, as Access Analyzer's `FindingStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Access that exists and was not archived.
    Active,
    /// Access an archive rule (or a user) set aside.
    Archived,
    /// Access that no longer exists.
    Resolved,
}

impl Status {
    /// `ACTIVE`, `ARCHIVED`, `RESOLVED`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Archived => "ARCHIVED",
            Status::Resolved => "RESOLVED",
        }
    }
}

/// How the access is granted (Access Analyzer's `FindingSource`, S3 only).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingSource {
    /// `POLICY`, `BUCKET_ACL`, `S3_ACCESS_POINT` or `S3_ACCESS_POINT_ACCOUNT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The access point, for access-point sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<BTreeMap<String, String>>,
}

/// A statement that grants a finding's witness.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementRef {
    /// Which policy of the resource (`bucketPolicy`, `trustPolicy`, `keyPolicies.default`, …).
    pub policy: String,
    /// The statement's index in that policy, from 0.
    pub index: usize,
    /// Its `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// One external-access finding (or an error finding, with `error` set and no principal).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// A stable id: the UUID v5 of the finding's canonical key (resource, principal,
    /// condition, actions, sources).
    pub id: String,
    /// The external principal (`{"AWS": "*"}`, `{"AWS": "444455556666"}`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<String, String>>,
    /// The actions the principal can perform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Vec<String>>,
    /// The resource ARN.
    pub resource: String,
    /// Whether the access is public (S3's definition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// The resource type (`AWS::S3::Bucket`, …).
    pub resource_type: String,
    /// The scoping condition keys and their policy values; `{}` when unconditional.
    pub condition: BTreeMap<String, String>,
    /// When the finding was first seen.
    pub created_at: String,
    /// When the resource was last analysed.
    pub analyzed_at: String,
    /// When the finding last changed.
    pub updated_at: String,
    /// `ACTIVE`, `ARCHIVED` or `RESOLVED`.
    pub status: Status,
    /// The account that owns the resource.
    pub resource_owner_account: String,
    /// Why the resource could not be analysed (error findings only): `INVALID_POLICY`,
    /// `ACCESS_DENIED` (a KMS key policy that shuts Access Analyzer out), `UNDECIDED` (a
    /// construct the engine does not decide exactly, or a budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// keyhole: the detail behind `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<String>,
    /// How the access is granted (S3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<FindingSource>>,
    /// keyhole: a concrete request that the concrete evaluator allows, proving the access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<serde_json::Value>,
    /// keyhole: the statements that grant the witness.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementRef>,
}

/// keyhole's namespace for finding ids (a fixed random UUID).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b65_7968_6f6c_6541_a7e1_3f0c_9d2b_5e11);

/// The stable id of a finding with these parts: the UUID v5 (RFC 9562 §5.5) of the parts joined
/// by U+001F, in keyhole's namespace.
#[must_use]
pub fn finding_id(parts: &[&str]) -> String {
    use sha1::Digest;
    let mut hash = sha1::Sha1::new();
    hash.update(NAMESPACE.as_bytes());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash.update("\u{1f}".as_bytes());
        }
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_sha1_bytes(first)
        .into_uuid()
        .to_string()
}

impl Finding {
    /// The finding's canonical key, as hashed into its id.
    #[must_use]
    pub fn canonical_key(&self) -> Vec<String> {
        let mut key = vec![self.resource.clone()];
        if let Some(p) = &self.principal {
            key.extend(p.iter().map(|(k, v)| format!("principal.{k}={v}")));
        }
        key.extend(
            self.condition
                .iter()
                .map(|(k, v)| format!("condition.{k}={v}")),
        );
        if let Some(actions) = &self.action {
            key.push(format!("action={}", actions.join(",")));
        }
        for s in self.sources.iter().flatten() {
            key.push(format!("source={}", s.kind));
            for (k, v) in s.detail.iter().flatten() {
                key.push(format!("source.{k}={v}"));
            }
        }
        if let Some(e) = &self.error {
            key.push(format!("error={e}"));
        }
        key
    }

    /// Sets `id` from the canonical key.
    pub fn assign_id(&mut self) {
        let key = self.canonical_key();
        let parts: Vec<&str> = key.iter().map(String::as_str).collect();
        self.id = finding_id(&parts);
    }
}

#[cfg(test)]
mod tests {
    use super::finding_id;

    /// The ids are RFC 9562 UUID v5 (the values below are Python's `uuid.uuid5` in keyhole's
    /// namespace): they stay stable across keyhole versions and hash implementations.
    #[test]
    fn finding_ids_are_uuid_v5_of_the_joined_parts() {
        assert_eq!(
            finding_id(&["arn:aws:s3:::b", "principal.AWS=*", "action=s3:GetObject"]),
            "24b4db6f-433f-5929-8cbd-11edd8e5c660"
        );
        assert_eq!(finding_id(&[]), "72510d9c-b4c5-5dd3-90f6-be5fe944e865");
        assert_eq!(finding_id(&["é"]), "cad50899-330f-590e-ae7d-70949085c230");
    }
}
