//! Reading files and folders: format detection from content, JSON lines, limits, duplicates.
//!
//! A file is one of (decided from its content, never its name):
//! - a keyhole resource file: `{"resources": [...]}`;
//! - AWS Config output: `{"configurationItems": [...]}` (snapshot and history files delivered to
//!   S3, `get-resource-config-history`), `{"baseConfigurationItems": [...]}`
//!   (`batch-get-resource-config`), `{"configurationItem": {...}}` (a rule's invoking event), or
//!   one configuration item;
//! - a JSON array of resource objects and/or configuration items;
//! - JSON lines: one record per line (any of the above), blank lines allowed.

use crate::config::{is_item, read_item};
use crate::doc::{Doc, FileCtx};
use crate::err::{SourceError, SourceErrorKind, Warning, WarningKind};
use crate::keyhole::{Record, read_resource};
use crate::model::{AccountPublicAccessBlock, Origin, Resource};
use crate::text::{Layer, LineIndex, OffsetMap};
use keyhole_policy::json::{Json, JsonKind, JsonLimits, parse_json};
use keyhole_policy::{JsonErrorKind, Location, Span};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bounds on what one read accepts. A limit hit is a [`SourceError`] naming the file; nothing is
/// returned for any input of that read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most bytes over all files of one read (256 MiB by default). Checked before each file is
    /// read, from its size, and while reading it.
    pub max_total_bytes: u64,
    /// Most JSON values in one document: a whole file, one line of a JSON lines file, or a JSON
    /// document inside a string (10,000,000 by default; reading needs about 100 bytes of memory
    /// per value, so about 1 GiB at the limit).
    pub max_values_per_document: usize,
    /// Deepest nesting of arrays and objects in one document (64 by default; a policy inside is
    /// further bounded by keyhole-policy's own limits, and a policy over them is kept as an
    /// invalid policy, not a file error).
    pub max_depth: usize,
    /// Deepest folder nesting followed when reading a folder (32 by default).
    pub max_folder_depth: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_total_bytes: 256 << 20,
            max_values_per_document: 10_000_000,
            max_depth: 64,
            max_folder_depth: 32,
        }
    }
}

/// What was read: resources in input order (files in sorted order, records in file order),
/// account-level S3 Block Public Access by account, and warnings.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The resources; at most one per ARN (the first read).
    pub resources: Vec<Resource>,
    /// Account-level S3 Block Public Access, by account id (the first read for each account).
    pub account_public_access_blocks: BTreeMap<String, AccountPublicAccessBlock>,
    /// Warnings, in the order they arose.
    pub warnings: Vec<Warning>,
}

impl Loaded {
    /// The resource with this ARN.
    #[must_use]
    pub fn resource(&self, arn: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.arn == arn)
    }

    /// Adds what `other` read after what this one read: a resource whose ARN is already here, and
    /// a second Block Public Access entry for an account, are dropped with a warning.
    pub fn merge(&mut self, other: Loaded) {
        let mut seen = self.index();
        self.merge_with(other, None, &mut seen);
    }

    /// The position of each resource by ARN.
    fn index(&self) -> HashMap<String, usize> {
        self.resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.arn.clone(), i))
            .collect()
    }

    /// [`Loaded::merge`] with the index of this one's resources kept up to date in `seen`;
    /// `index` is `other`'s, when known.
    fn merge_with(
        &mut self,
        other: Loaded,
        index: Option<HashMap<String, usize>>,
        seen: &mut HashMap<String, usize>,
    ) {
        let Loaded {
            resources,
            account_public_access_blocks,
            warnings,
        } = other;
        self.warnings.extend(warnings);
        if self.resources.is_empty() {
            // The first file: its resources are already unique; keep its vector and index.
            match index {
                Some(index) => *seen = index,
                None => {
                    seen.clear();
                    seen.reserve(resources.len());
                    for (i, r) in resources.iter().enumerate() {
                        seen.entry(r.arn.clone()).or_insert(i);
                    }
                }
            }
            self.resources = resources;
        } else {
            self.resources.reserve(resources.len());
            for r in resources {
                push_unique(self, seen, r);
            }
        }
        for (_, block) in account_public_access_blocks {
            push_block(self, block);
        }
    }
}

fn push_unique(loaded: &mut Loaded, seen: &mut HashMap<String, usize>, resource: Resource) {
    if let Some(first) = seen
        .get(&resource.arn)
        .and_then(|&i| loaded.resources.get(i))
    {
        loaded.warnings.push(Warning {
            origin: resource.origin.clone(),
            kind: WarningKind::DuplicateArn {
                arn: resource.arn.clone(),
                first: first.origin.clone(),
            },
        });
        return;
    }
    seen.insert(resource.arn.clone(), loaded.resources.len());
    loaded.resources.push(resource);
}

fn push_block(loaded: &mut Loaded, block: AccountPublicAccessBlock) {
    if let Some(first) = loaded.account_public_access_blocks.get(&block.account) {
        loaded.warnings.push(Warning {
            origin: block.origin.clone(),
            kind: WarningKind::DuplicateAccountPublicAccessBlock {
                account: block.account.clone(),
                first: first.origin.clone(),
            },
        });
        return;
    }
    loaded
        .account_public_access_blocks
        .insert(block.account.clone(), block);
}

/// What reading one file produced so far.
pub(crate) struct FileOut {
    loaded: Loaded,
    seen: HashMap<String, usize>,
    /// Skipped AWS Config types: count and where the first was.
    skipped_types: BTreeMap<String, (usize, Origin)>,
    skipped_deleted: Option<(usize, Origin)>,
}

impl FileOut {
    fn new() -> Self {
        FileOut {
            loaded: Loaded::default(),
            seen: HashMap::new(),
            skipped_types: BTreeMap::new(),
            skipped_deleted: None,
        }
    }

    pub(crate) fn push_resource(&mut self, resource: Resource) {
        push_unique(&mut self.loaded, &mut self.seen, resource);
    }

    pub(crate) fn push_account_block(&mut self, block: AccountPublicAccessBlock) {
        push_block(&mut self.loaded, block);
    }

    pub(crate) fn warn(&mut self, origin: Origin, kind: WarningKind) {
        self.loaded.warnings.push(Warning { origin, kind });
    }

    pub(crate) fn skip_type(&mut self, resource_type: &str, origin: Origin) {
        self.skipped_types
            .entry(resource_type.to_owned())
            .or_insert((0, origin))
            .0 += 1;
    }

    pub(crate) fn skip_deleted(&mut self, origin: Origin) {
        self.skipped_deleted.get_or_insert((0, origin)).0 += 1;
    }

    /// What was read, and the position of each resource by ARN.
    fn finish(mut self, file: &Path) -> (Loaded, HashMap<String, usize>) {
        let skipped = std::mem::take(&mut self.skipped_types);
        for (resource_type, (count, origin)) in skipped {
            self.warn(
                origin,
                WarningKind::SkippedConfigType {
                    resource_type,
                    count,
                },
            );
        }
        if let Some((count, origin)) = self.skipped_deleted.take() {
            self.warn(origin, WarningKind::SkippedDeletedResources { count });
        }
        let nothing_skipped = !self.loaded.warnings.iter().any(|w| {
            matches!(
                w.kind,
                WarningKind::SkippedConfigType { .. } | WarningKind::SkippedDeletedResources { .. }
            )
        });
        if self.loaded.resources.is_empty()
            && self.loaded.account_public_access_blocks.is_empty()
            && nothing_skipped
        {
            self.warn(start_of(file), WarningKind::Empty);
        }
        (self.loaded, self.seen)
    }
}

fn start_of(file: &Path) -> Origin {
    Origin {
        file: file.to_path_buf(),
        location: Location {
            line: 1,
            column: 0,
            offset: 0,
        },
    }
}

/// Reads a file, or every `*.json`, `*.jsonl` and `*.ndjson` file under a folder, with the default
/// [`ReadLimits`].
///
/// # Errors
/// The first problem of any input, naming the file, line and column.
pub fn read_path(path: &Path) -> Result<Loaded, SourceError> {
    read_paths([path], ReadLimits::default())
}

/// Reads several files or folders, in the order given, into one [`Loaded`] (a resource read again
/// from a later input is dropped with a warning).
///
/// Folders are walked recursively in sorted order of their paths; entries whose name starts with
/// `.` and symbolic links to folders are skipped; only files named `*.json`, `*.jsonl` or
/// `*.ndjson` (any case) are read. A file given directly is read whatever its name.
///
/// # Errors
/// The first problem of any input, naming the file, line and column; or a limit exceeded.
pub fn read_paths<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    limits: ReadLimits,
) -> Result<Loaded, SourceError> {
    let mut loaded = Loaded::default();
    let mut seen = HashMap::new();
    let mut budget = limits.max_total_bytes;
    for path in paths {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        let files = if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, 0, limits.max_folder_depth, &mut files)?;
            files.sort();
            if files.is_empty() {
                loaded.warnings.push(Warning {
                    origin: start_of(path),
                    kind: WarningKind::Empty,
                });
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let bytes = read_file(&file, &mut budget, limits.max_total_bytes)?;
            let (other, index) = read_bytes_indexed(&file, &bytes, limits)?;
            loaded.merge_with(other, Some(index), &mut seen);
        }
    }
    Ok(loaded)
}

fn io_error(path: &Path, e: &std::io::Error) -> SourceError {
    SourceError {
        file: path.to_path_buf(),
        location: None,
        span: None,
        kind: Box::new(SourceErrorKind::Io(e.to_string())),
        help: None,
    }
}

fn too_large(path: &Path, limit: u64) -> SourceError {
    SourceError {
        file: path.to_path_buf(),
        location: None,
        span: None,
        kind: Box::new(SourceErrorKind::TooLarge { limit }),
        help: Some("read fewer files at once, or raise `ReadLimits::max_total_bytes`".to_owned()),
    }
}

fn read_file(path: &Path, budget: &mut u64, limit: u64) -> Result<Vec<u8>, SourceError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let size = file.metadata().map_err(|e| io_error(path, &e))?.len();
    if size > *budget {
        return Err(too_large(path, limit));
    }
    let mut bytes = Vec::new();
    // One byte more than the budget, to notice a file that grew since its size was read.
    file.take(budget.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e))?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > *budget {
        return Err(too_large(path, limit));
    }
    *budget -= read;
    Ok(bytes)
}

fn walk(
    dir: &Path,
    depth: usize,
    max_depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), SourceError> {
    if depth > max_depth {
        return Err(SourceError {
            file: dir.to_path_buf(),
            location: None,
            span: None,
            kind: Box::new(SourceErrorKind::Io(format!(
                "folders nested deeper than {max_depth}"
            ))),
            help: None,
        });
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, &e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| io_error(&path, &e))?;
        if kind.is_dir() {
            walk(&path, depth + 1, max_depth, out)?;
        } else if (kind.is_file() || (kind.is_symlink() && path.is_file())) && is_data_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_data_file(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["json", "jsonl", "ndjson"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// Reads the bytes of one file named `file` (used in messages only) with the default limits.
///
/// # Errors
/// The first problem, with its line and column.
pub fn read_bytes(file: &Path, bytes: &[u8]) -> Result<Loaded, SourceError> {
    read_bytes_with(file, bytes, ReadLimits::default())
}

/// Reads the bytes of one file named `file` with the given limits.
///
/// # Errors
/// The first problem, with its line and column.
pub fn read_bytes_with(
    file: &Path,
    bytes: &[u8],
    limits: ReadLimits,
) -> Result<Loaded, SourceError> {
    read_bytes_indexed(file, bytes, limits).map(|(loaded, _)| loaded)
}

/// [`read_bytes_with`], with the position of each resource by ARN.
fn read_bytes_indexed(
    file: &Path,
    bytes: &[u8],
    limits: ReadLimits,
) -> Result<(Loaded, HashMap<String, usize>), SourceError> {
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_total_bytes {
        return Err(too_large(file, limits.max_total_bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => read_str_indexed(file, text, limits),
        Err(e) => {
            let valid = bytes
                .get(..e.valid_up_to())
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default();
            let at = Location::of(valid, valid.len());
            Err(SourceError {
                file: file.to_path_buf(),
                location: Some(at),
                span: Some(Span::new(at.offset, at.offset + 1)),
                kind: Box::new(SourceErrorKind::NotUtf8),
                help: None,
            })
        }
    }
}

/// Reads the text of one file named `file` (used in messages only) with the default limits.
///
/// # Errors
/// The first problem, with its line and column.
pub fn read_str(file: &Path, text: &str) -> Result<Loaded, SourceError> {
    read_str_with(file, text, ReadLimits::default())
}

/// Reads the text of one file named `file` with the given limits.
///
/// # Errors
/// The first problem, with its line and column.
pub fn read_str_with(file: &Path, text: &str, limits: ReadLimits) -> Result<Loaded, SourceError> {
    read_str_indexed(file, text, limits).map(|(loaded, _)| loaded)
}

/// [`read_str_with`], with the position of each resource by ARN.
fn read_str_indexed(
    file: &Path,
    text: &str,
    limits: ReadLimits,
) -> Result<(Loaded, HashMap<String, usize>), SourceError> {
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > limits.max_total_bytes {
        return Err(too_large(file, limits.max_total_bytes));
    }
    let ctx = FileCtx {
        path: file,
        lines: LineIndex::new(text),
        limits: JsonLimits {
            max_bytes: usize::try_from(limits.max_total_bytes).unwrap_or(usize::MAX),
            max_depth: limits.max_depth,
            max_values: limits.max_values_per_document,
        },
    };
    let mut out = FileOut::new();
    let identity = OffsetMap::identity();
    let whole = Doc {
        file: &ctx,
        text,
        map: &identity,
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Ok(out.finish(file));
    }
    match parse_json(text, ctx.limits) {
        Ok(json) => document(whole, &json, &mut out)?,
        Err(e) if e.kind == JsonErrorKind::TrailingCharacters => json_lines(&ctx, text, &mut out)?,
        Err(e) => return Err(whole.json_error(&e)),
    }
    Ok(out.finish(file))
}

/// JSON lines: each non-blank line is one document.
fn json_lines(ctx: &FileCtx<'_>, text: &str, out: &mut FileOut) -> Result<(), SourceError> {
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while start < text.len() {
        let end = text
            .get(start..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |i| start + i);
        let line = text.get(start..end).unwrap_or_default();
        if !line.trim().is_empty() {
            let map = OffsetMap::identity().inner(Layer::shift(start));
            let doc = Doc {
                file: ctx,
                text: line,
                map: &map,
            };
            match parse_json(line, ctx.limits) {
                Ok(json) => document(doc, &json, out)?,
                Err(e) => {
                    let mut err = doc.json_error(&e);
                    err.help = Some(
                        "the file has several JSON values, so it is read as JSON lines: one resource or AWS Config document per line".to_owned(),
                    );
                    return Err(err);
                }
            }
        }
        start = end + 1;
    }
    Ok(())
}

/// One JSON document: a whole file, or one line of a JSON lines file.
fn document(doc: Doc<'_>, json: &Json, out: &mut FileOut) -> Result<(), SourceError> {
    match &json.kind {
        JsonKind::Object(members) => {
            let has = |k: &str| members.iter().any(|m| m.key == k);
            if has("resources") {
                let obj = doc.object(json, "")?;
                obj.only(&["resources"], "a keyhole resource file")?;
                let list = obj.required("resources", None)?;
                for (i, item) in doc.array(list, "resources")?.iter().enumerate() {
                    record(doc, item, &format!("resources[{i}]"), out, false)?;
                }
                Ok(())
            } else if has("configurationItems") || has("baseConfigurationItems") {
                let obj = doc.object(json, "")?;
                for key in ["configurationItems", "baseConfigurationItems"] {
                    if let Some(list) = obj.get(key) {
                        for (i, item) in doc.array(list, key)?.iter().enumerate() {
                            read_item(doc, item, &format!("{key}[{i}]"), out)?;
                        }
                    }
                }
                Ok(())
            } else if has("configurationItem") && !is_item(members) {
                let obj = doc.object(json, "")?;
                match obj.get("configurationItem") {
                    Some(item) => read_item(doc, item, "configurationItem", out),
                    None => Ok(()),
                }
            } else {
                record(doc, json, "resource", out, true)
            }
        }
        JsonKind::Array(items) => {
            for item in items {
                record(doc, item, "resource", out, true)?;
            }
            Ok(())
        }
        _ => Err(unrecognized(doc, json)),
    }
}

/// One record: a keyhole resource object, or (when `config_allowed`) a configuration item.
/// `field` names it in a type error.
fn record(
    doc: Doc<'_>,
    json: &Json,
    field: &str,
    out: &mut FileOut,
    config_allowed: bool,
) -> Result<(), SourceError> {
    if config_allowed {
        let JsonKind::Object(members) = &json.kind else {
            return Err(unrecognized(doc, json));
        };
        if is_item(members) {
            return read_item(doc, json, field, out);
        }
        if !members
            .iter()
            .any(|m| matches!(m.key.as_str(), "resourceType" | "type" | "arn"))
        {
            return Err(unrecognized(doc, json));
        }
    }
    match read_resource(doc, json, field)? {
        Record::Resource(r) => out.push_resource(*r),
        Record::AccountBlock(b) => out.push_account_block(b),
    }
    Ok(())
}

fn unrecognized(doc: Doc<'_>, json: &Json) -> SourceError {
    let mut err = doc.error(
        Span::new(json.span.start, json.span.start + 1),
        SourceErrorKind::UnrecognizedFormat,
    );
    err.help = Some(
        "expected `{\"resources\": [...]}`, resource objects (one per line or in an array), or AWS Config output (`configurationItems`, `baseConfigurationItems`, or a configuration item); see docs/resources.md".to_owned(),
    );
    err
}
