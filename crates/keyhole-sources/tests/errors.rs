//! Every kind of bad input is a `SourceError` that names the file, line and column (from 1) and
//! the problem. One case per entry: `(input, expected message)`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keyhole_policy::JsonErrorKind;
use keyhole_sources::{
    ReadLimits, SourceErrorKind, read_bytes, read_path, read_str, read_str_with,
};
use std::path::Path;

const CASES: &[(&str, &str)] = &[
    // --- the file as a whole ---
    (
        "{\"resources\": [\n  {\"arn\": \"x\",}\n]}",
        "r.json:2:15: invalid JSON: unexpected character, expected a key in double quotes",
    ),
    (
        "{\"resources\": [",
        "r.json:1:16: invalid JSON: unexpected end of input",
    ),
    (
        "42",
        "r.json:1:1: not a keyhole resource file or AWS Config output",
    ),
    (
        "{\"items\": []}",
        "r.json:1:1: not a keyhole resource file or AWS Config output",
    ),
    (
        "[1]",
        "r.json:1:2: not a keyhole resource file or AWS Config output",
    ),
    (
        "{\"resources\": [], \"extra\": 1}",
        "r.json:1:19: unknown field `extra` in a keyhole resource file",
    ),
    (
        "{\"resources\": {}}",
        "r.json:1:15: `resources` must be an array, found object",
    ),
    // --- JSON lines ---
    (
        "{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:a\", \"resourceType\": \"AWS::SQS::Queue\"}\n\n{\"arn\": tru}\n",
        "r.json:3:9: invalid JSON: unexpected character, expected a value",
    ),
    (
        "{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:a\", \"resourceType\": \"AWS::SQS::Queue\"}\n{\n  \"arn\": \"x\"\n}\n",
        "r.json:2:2: invalid JSON: unexpected end of input",
    ),
    // --- the resource object ---
    (
        "{\"resources\": [\n  {\"resourceType\": \"AWS::SQS::Queue\"}\n]}",
        "r.json:2:3: missing field `arn`",
    ),
    (
        "{\"resources\": [\n  {\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\"}\n]}",
        "r.json:2:3: missing field `resourceType`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:foo:us-east-1:111122223333:x\", \"resourceType\": \"AWS::Foo::Bar\"}]}",
        "r.json:1:80: unknown resource type `AWS::Foo::Bar`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"Configuration\": {}}]}",
        "r.json:1:99: unknown field `Configuration` in a resource",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"arn\": \"x\", \"resourceType\": \"AWS::SQS::Queue\"}]}",
        "r.json:1:64: duplicate field `arn`",
    ),
    (
        "{\"resources\": [{\"arn\": 7, \"resourceType\": \"AWS::SQS::Queue\"}]}",
        "r.json:1:24: `arn` must be a string, found number",
    ),
    (
        "{\"resources\": [{\"arn\": \"sqs-queue\", \"resourceType\": \"AWS::SQS::Queue\"}]}",
        "r.json:1:24: `arn` must be an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`), found `sqs-queue`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sns:us-east-1:111122223333:t\", \"resourceType\": \"AWS::SQS::Queue\"}]}",
        "r.json:1:24: `arn` must be the ARN of an `AWS::SQS::Queue` (`arn:<partition>:sqs:…:…`), found `arn:aws:sns:us-east-1:111122223333:t`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b/key\", \"resourceType\": \"AWS::S3::Bucket\"}]}",
        "r.json:1:24: `arn` must be the ARN of an `AWS::S3::Bucket` (`arn:<partition>:s3:::<bucket>`), found `arn:aws:s3:::b/key`",
    ),
    (
        "{\"resources\": [\n  {\"arn\": \"arn:aws:s3:::b\", \"resourceType\": \"AWS::S3::Bucket\"}\n]}",
        "r.json:2:3: missing field `account`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"account\": \"444455556666\"}]}",
        "r.json:1:110: `account` must be the account of the ARN, `111122223333`, found `444455556666`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"resourceType\": \"AWS::S3::Bucket\", \"account\": \"1234\"}]}",
        "r.json:1:88: `account` must be a 12-digit account id, found `1234`",
    ),
    // --- configurations ---
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\",\n \"configuration\": {\"bucketPolicyy\": {}}}]}",
        "r.json:2:20: unknown field `bucketPolicyy` in an `AWS::S3::Bucket` configuration",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"bucketAclGrants\": [\n    {\"permission\": \"READ\", \"grantee\": {\"id\": \"abc\"}},\n    {\"permission\": \"read\", \"grantee\": {\"id\": \"abc\"}}\n  ]}}]}",
        "r.json:4:20: `bucketAclGrants[1].permission` must be one of `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`, `FULL_CONTROL`, found `read`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"bucketAclGrants\": [{\"permission\": \"READ\"}]}}]}",
        "r.json:2:23: missing field `grantee` in `bucketAclGrants[0]`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"bucketAclGrants\": [{\"permission\": \"READ\", \"grantee\": {\"id\": \"a\", \"uri\": \"u\"}}]}}]}",
        "r.json:2:57: `bucketAclGrants[0].grantee` must be exactly one of `id` (a canonical user id) and `uri` (a group URI), found `{\"id\": \"a\", \"uri\": \"u\"}`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"bucketAclGrants\": {}}}]}",
        "r.json:2:22: `bucketAclGrants` must be an array, found object",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"bucketPublicAccessBlock\": {\"ignorePublicAcls\": \"yes\"}}}]}",
        "r.json:2:51: `bucketPublicAccessBlock.ignorePublicAcls` must be a boolean, found string",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"accessPoints\": {\"my-ap\": {}}}}]}",
        "r.json:2:20: `accessPoints` must be keyed by access point ARNs (`arn:<partition>:s3:<region>:<account>:accesspoint/<name>`), found `my-ap`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"account\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"configuration\": {\n  \"accessPoints\": {\"arn:aws:s3:us-east-1:111122223333:accesspoint/a\": {\"networkOrigin\": {\"vpcConfiguration\": {}}}}}}]}",
        "r.json:2:110: missing field `vpcId` in `accessPoints.arn:aws:s3:us-east-1:111122223333:accesspoint/a.networkOrigin.vpcConfiguration`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"configuration\": {\"queuePolicy\": 42}}]}",
        "r.json:1:132: `queuePolicy` must be a policy (an object or a JSON string), found number",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"configuration\": {\"topicPolicy\": {}}}]}",
        "r.json:1:117: unknown field `topicPolicy` in an `AWS::SQS::Queue` configuration",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:kms:us-east-1:111122223333:key/k\", \"resourceType\": \"AWS::KMS::Key\", \"configuration\": {\"grants\": [\n  {\"granteePrincipal\": \"p\", \"issuingAccount\": \"111122223333\", \"operations\": [\"Decrypt\", \"Decrypts\"]}]}}]}",
        "r.json:2:89: `grants[0].operations[1]` must be one of `CreateGrant`, `Decrypt`, `DescribeKey`, `Encrypt`, `GenerateDataKey`, `GenerateDataKeyPair`, `GenerateDataKeyPairWithoutPlaintext`, `GenerateDataKeyWithoutPlaintext`, `GetPublicKey`, `ReEncryptFrom`, `ReEncryptTo`, `RetireGrant`, `Sign`, `Verify`, found `Decrypts`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:kms:us-east-1:111122223333:key/k\", \"resourceType\": \"AWS::KMS::Key\", \"configuration\": {\"grants\": [\n  {\"operations\": [\"Decrypt\"], \"issuingAccount\": \"111122223333\"}]}}]}",
        "r.json:2:3: missing field `granteePrincipal` in `grants[0]`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:ec2:us-east-1:111122223333:snapshot/snap-1\", \"resourceType\": \"AWS::EC2::Snapshot\", \"configuration\": {\n  \"groups\": [\"everyone\"]}}]}",
        "r.json:2:14: `groups[0]` must be `all`, found `everyone`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:ec2:us-east-1:111122223333:snapshot/snap-1\", \"resourceType\": \"AWS::EC2::Snapshot\", \"configuration\": {\n  \"userIds\": [\"all\"]}}]}",
        "r.json:2:15: `userIds[0]` must be a 12-digit account id, found `all`",
    ),
    (
        "{\"resources\": [{\"arn\": \"arn:aws:rds:us-east-1:111122223333:snapshot:s\", \"resourceType\": \"AWS::RDS::DBSnapshot\", \"configuration\": {\n  \"attributes\": {\"restore\": [\"4444\"]}}}]}",
        "r.json:2:30: `attributes.restore[0]` must be a 12-digit account id or `all`, found `4444`",
    ),
    (
        "{\"resources\": [1]}",
        "r.json:1:16: `resources[0]` must be an object, found number",
    ),
    (
        "{\"resources\": [{\"resourceType\": \"AWS::S3::AccountPublicAccessBlock\", \"account\": \"111122223333\", \"arn\": \"x\"}]}",
        "r.json:1:97: unknown field `arn` in an `AWS::S3::AccountPublicAccessBlock` entry",
    ),
    // --- AWS Config ---
    (
        "{\"configurationItems\": [\n  {\"resourceType\": \"AWS::SQS::Queue\", \"ARN\": \"arn:aws:sqs:us-east-1:111122223333:q\"}]}",
        "r.json:2:3: missing field `awsAccountId`",
    ),
    (
        "{\"configurationItems\": [\n  {\"awsAccountId\": \"111122223333\", \"resourceType\": \"AWS::SQS::Queue\"}]}",
        "r.json:2:3: missing field `ARN`",
    ),
    (
        "{\"configurationItems\": [{\"accountId\": \"111122223333\", \"resourceType\": \"AWS::SQS::Queue\", \"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\",\n  \"configuration\": \"{\\\"Policy\\\": }\"}]}",
        "r.json:2:34: invalid JSON: unexpected character, expected a value",
    ),
    (
        "{\"configurationItems\": [{\"accountId\": \"111122223333\", \"resourceType\": \"AWS::S3::Bucket\", \"arn\": \"arn:aws:s3:::b\",\n  \"supplementaryConfiguration\": {\"AccessControlList\": \"{\\\"grantList\\\": [{\\\"grantee\\\": \\\"AllUsers\\\", \\\"permission\\\": \\\"Everything\\\"}]}\"}}]}",
        "r.json:2:117: `supplementaryConfiguration.AccessControlList.grantList[0].permission` must be one of `FullControl`, `Read`, `Write`, `ReadAcp`, `WriteAcp`, found `Everything`",
    ),
];

#[test]
fn every_error_names_file_line_column_and_problem() {
    let mut failures = Vec::new();
    for (i, (input, expected)) in CASES.iter().enumerate() {
        match read_str(Path::new("r.json"), input) {
            Ok(loaded) => failures.push(format!("case {i}: read without error: {loaded:?}")),
            Err(e) => {
                let got = e.to_string();
                if got != *expected {
                    failures.push(format!(
                        "case {i}:\n  expected {expected}\n  got      {got}"
                    ));
                }
                // The span, when there is one, starts at the location.
                if let (Some(span), Some(at)) = (e.span, e.location) {
                    assert_eq!(span.start, at.offset, "case {i}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_have_help_where_it_helps() {
    let e = read_str(
        Path::new("r.json"),
        "{\"resources\": [{\"arn\": \"arn:aws:s3:::b\", \"resourceType\": \"AWS::S3::Bucket\"}]}",
    )
    .unwrap_err();
    assert_eq!(
        e.help.as_deref(),
        Some(
            "the ARN of an `AWS::S3::Bucket` names no account; give the owner's 12-digit account id"
        )
    );
    let e = read_str(
        Path::new("r.json"),
        "{\"resources\": [{\"arn\": \"x\", \"resourceType\": \"AWS::Foo\"}]}",
    )
    .unwrap_err();
    assert!(e.help.unwrap().contains("`AWS::S3::Bucket`"));
    let e = read_str(Path::new("r.json"), "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\", \"configuration\": {\"x\": 1}}]}").unwrap_err();
    assert_eq!(e.help.as_deref(), Some("expected `queuePolicy`"));
}

#[test]
fn not_utf8_names_the_first_bad_byte() {
    let e = read_bytes(Path::new("r.json"), b"{\"resources\": [\n  \"\xff\"]}").unwrap_err();
    assert_eq!(e.to_string(), "r.json:2:4: the file is not UTF-8 text");
    assert_eq!(*e.kind, SourceErrorKind::NotUtf8);
}

#[test]
fn missing_file_is_an_io_error_without_position() {
    let e = read_path(Path::new("/nonexistent/keyhole/r.json")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/keyhole/r.json: cannot read: "),
        "{e}"
    );
    assert_eq!(e.location, None);
}

#[test]
fn limits_are_errors_not_crashes() {
    let text = "{\"resources\": [{\"arn\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"resourceType\": \"AWS::SQS::Queue\"}]}";
    let small = ReadLimits {
        max_total_bytes: 10,
        ..ReadLimits::default()
    };
    let e = read_str_with(Path::new("r.json"), text, small).unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.json: the input is larger than the limit of 10 bytes"
    );
    let few = ReadLimits {
        max_values_per_document: 4,
        ..ReadLimits::default()
    };
    let e = read_str_with(Path::new("r.json"), text, few).unwrap_err();
    assert_eq!(
        *e.kind,
        SourceErrorKind::Json(JsonErrorKind::TooManyValues { limit: 4 })
    );
    let shallow = ReadLimits {
        max_depth: 2,
        ..ReadLimits::default()
    };
    let e = read_str_with(Path::new("r.json"), text, shallow).unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.json:1:16: invalid JSON: nesting deeper than the limit of 2"
    );
    // Total size over several files.
    let dir = std::env::temp_dir().join(format!("keyhole-sources-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.json"), text).unwrap();
    std::fs::write(dir.join("b.json"), text).unwrap();
    let e = keyhole_sources::read_paths(
        [&dir],
        ReadLimits {
            max_total_bytes: 150,
            ..ReadLimits::default()
        },
    )
    .unwrap_err();
    assert!(e.file.ends_with("b.json"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the input is larger than the limit of 150 bytes",
            dir.join("b.json").display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
