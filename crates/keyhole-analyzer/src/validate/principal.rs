//! `Principal` and `NotPrincipal` (IAM User Guide, "AWS JSON policy elements: Principal"), the
//! rules of role trust policies (`AWS::IAM::AssumeRolePolicyDocument`), and the confused-deputy
//! checks of statements that grant access to AWS service principals.

use keyhole_policy::json::JsonKind;
use keyhole_policy::pattern::{Case, has_wildcard, wildcard_match};

use super::condition::{self, Entry};
use super::ctx::{Ctx, Str, key, strings};
use super::statement::{Statement, string_list};
use super::{IssueCode, PolicyType};

/// The principal keys IAM defines.
const KEYS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

/// The keys that scope a service principal to the resources of one account or organization.
const SOURCE_KEYS: [&str; 4] = [
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
];

/// Keys that describe an IAM caller, absent from the requests of AWS service principals.
const CALLER_KEYS: [&str; 7] = [
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principaltype",
    "aws:userid",
    "aws:username",
];

/// One principal value with its key (`*` for `"Principal": "*"`).
pub(crate) struct Named<'j> {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*`.
    pub kind: &'j str,
    /// The value.
    pub value: Str<'j>,
}

/// The principal values of a statement's `Principal` or `NotPrincipal`.
pub(crate) fn principals<'j>(s: &Statement<'j>) -> Vec<Named<'j>> {
    let Some(p) = &s.principal else {
        return Vec::new();
    };
    match &p.member.value.kind {
        JsonKind::String(v) if v == "*" => strings(&p.member.value, &p.path)
            .into_iter()
            .map(|value| Named { kind: "*", value })
            .collect(),
        JsonKind::Object(members) => members
            .iter()
            .filter(|m| KEYS.contains(&m.key.as_str()))
            .flat_map(|m| {
                strings(&m.value, &key(&p.path, &m.key))
                    .into_iter()
                    .map(|value| Named {
                        kind: m.key.as_str(),
                        value,
                    })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the statement's principals.
pub(crate) fn check(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    let Some(p) = &s.principal else {
        return;
    };
    let value = &p.member.value;
    match cx.policy_type {
        PolicyType::IdentityPolicy => {
            cx.report_at(
                IssueCode::UNSUPPORTED_PRINCIPAL,
                format!(
                    "The policy type {} does not support the Principal element. Remove the Principal element.",
                    cx.policy_type
                ),
                &p.path,
                value.span,
            );
            return;
        }
        PolicyType::ServiceControlPolicy => {
            cx.report_at(
                IssueCode::SCP_SYNTAX_ERROR_PRINCIPAL,
                "SCPs do not support specifying principals. Remove the Principal or NotPrincipal element."
                    .to_owned(),
                &p.path,
                value.span,
            );
            return;
        }
        _ => {}
    }
    if p.negated {
        if cx.is_trust() {
            cx.report_at(
                IssueCode::ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL,
                "Role trust policies do not support NotPrincipal. Update the policy to use a Principal element instead."
                    .to_owned(),
                &p.path,
                value.span,
            );
        } else if s.allows() {
            cx.report_at(
                IssueCode::ALLOW_WITH_NOT_PRINCIPAL,
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead."
                    .to_owned(),
                &p.path,
                value.span,
            );
        }
    }
    match &value.kind {
        JsonKind::String(v) if v == "*" => {
            if cx.is_trust() && !p.negated {
                cx.report_at(
                    IssueCode::ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
                    "\"Principal:\" \"*\" is not supported in the principal element of a role trust policy. Replace the wildcard with a valid principal value."
                        .to_owned(),
                    &p.path,
                    value.span,
                );
            }
        }
        JsonKind::Object(members) => {
            if members.is_empty() {
                cx.report_at(
                    IssueCode::EMPTY_OBJECT_PRINCIPAL,
                    "This statement includes no principals and does not affect the policy. Specify principals."
                        .to_owned(),
                    &p.path,
                    value.span,
                );
            }
            for m in members {
                let path = key(&p.path, &m.key);
                if !KEYS.contains(&m.key.as_str()) {
                    cx.report_at(
                        IssueCode::INVALID_PRINCIPAL_KEY,
                        format!("The principal key {} is not valid.", m.key),
                        &path,
                        m.value.span,
                    );
                } else if string_list(cx, &m.value, &path) {
                    cx.report_at(
                        IssueCode::EMPTY_ARRAY_PRINCIPAL,
                        "This statement includes no principals and does not affect the policy. Specify principals."
                            .to_owned(),
                        &path,
                        m.value.span,
                    );
                }
            }
        }
        _ => cx.report_at(
            IssueCode::INVALID_PRINCIPAL_FORMAT,
            "The Principal element contents are not valid. Specify a key-value pair in the Principal element."
                .to_owned(),
            &p.path,
            value.span,
        ),
    }
    for n in principals(s) {
        value_rules(cx, &n);
    }
    if !p.negated {
        let entries = condition::entries(s);
        service_principal_rules(cx, s, &entries);
        if cx.is_trust()
            || (cx.policy_type == PolicyType::ResourcePolicy && cx.resource_type.is_none())
        {
            federated_rules(cx, s, &entries);
        }
        if cx.is_trust() {
            trust_rules(cx, s);
        }
    }
}

/// Rules on one principal value.
fn value_rules(cx: &mut Ctx<'_>, n: &Named<'_>) {
    let v = n.value.text;
    if n.kind == "*" {
        return;
    }
    if has_wildcard(v) && !(n.kind == "AWS" && v == "*") {
        cx.report_at(
            IssueCode::UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
            format!(
                "Wildcards (*, ?) are not supported with the principal key {}. Replace the wildcard with a valid principal value.",
                n.kind
            ),
            &n.value.path,
            n.value.json.span,
        );
        return;
    }
    match n.kind {
        "AWS" => {
            let unique_id = |prefix: &str| {
                v.strip_prefix(prefix).is_some_and(|rest| {
                    rest.len() >= 16
                        && rest
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                })
            };
            if unique_id("AROA") {
                cx.report_at(
                    IssueCode::INVALID_ROLE_REFERENCE,
                    format!("The Principal element includes the IAM role ID {v}. We recommend that you use a role ARN instead."),
                    &n.value.path,
                    n.value.json.span,
                );
            } else if unique_id("AIDA") {
                cx.report_at(
                    IssueCode::INVALID_USER_REFERENCE,
                    format!("The Principal element includes the IAM user ID {v}. We recommend that you use a user ARN instead."),
                    &n.value.path,
                    n.value.json.span,
                );
            }
        }
        "Service" if !is_service_principal(v) => {
            cx.report_at(
                IssueCode::INVALID_SERVICE_PRINCIPAL_FORMAT,
                "The service principal does not match the expected format. Use the format service-name.amazonaws.com."
                    .to_owned(),
                &n.value.path,
                n.value.json.span,
            );
        }
        "Federated" => {
            if cx.resource_type.is_some() && !cx.is_trust() {
                cx.report_at(
                    IssueCode::FEDERATED_PRINCIPAL_NOT_SUPPORTED,
                    "The policy type does not support a federated identity provider in the principal element. Use a supported principal."
                        .to_owned(),
                    &n.value.path,
                    n.value.json.span,
                );
            } else if cx.is_trust() && federation(v).is_none() {
                cx.report_at(
                    IssueCode::INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY,
                    "The principal value specifies a federated principal that does not match the expected format. Update the federated principal to a domain name or a SAML metadata ARN."
                        .to_owned(),
                    &n.value.path,
                    n.value.json.span,
                );
            }
        }
        _ => {}
    }
}

/// Whether `v` is a service principal: DNS labels ending in an AWS service domain.
pub(crate) fn is_service_principal(v: &str) -> bool {
    const SUFFIXES: [&str; 5] = [
        ".amazonaws.com",
        ".amazonaws.com.cn",
        ".amazon.com",
        ".c2s.ic.gov",
        ".sc2s.sgov.gov",
    ];
    SUFFIXES.iter().any(|suffix| {
        v.strip_suffix(suffix)
            .is_some_and(|name| !name.is_empty() && name.split('.').all(is_dns_label))
    })
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// How a federated principal signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Federation {
    /// A SAML provider ARN.
    Saml,
    /// An OIDC provider: its host (from an `oidc-provider/` ARN, or a domain such as
    /// `cognito-identity.amazonaws.com`).
    Oidc(String),
}

/// What a `Federated` value is, if it is well-formed.
pub(crate) fn federation(v: &str) -> Option<Federation> {
    if let Some(arn) = keyhole_policy::arn::Arn::parse(v) {
        let ok = arn.service == "iam"
            && arn.region.is_empty()
            && keyhole_policy::arn::is_account_id(&arn.account);
        if !ok {
            return None;
        }
        if let Some(name) = arn.resource.strip_prefix("saml-provider/") {
            return (!name.is_empty()).then_some(Federation::Saml);
        }
        return arn
            .resource
            .strip_prefix("oidc-provider/")
            .filter(|host| !host.is_empty())
            .map(|host| Federation::Oidc(host.to_owned()));
    }
    let labels: Vec<&str> = v.split('.').collect();
    (labels.len() >= 2 && labels.iter().all(|l| is_dns_label(l)))
        .then(|| Federation::Oidc(v.to_owned()))
}

/// Confused-deputy checks for statements that grant access to service principals.
fn service_principal_rules(cx: &mut Ctx<'_>, s: &Statement<'_>, entries: &[Entry<'_>]) {
    if cx.policy_type != PolicyType::ResourcePolicy {
        return;
    }
    let all = principals(s);
    let services: Vec<&Named<'_>> = all.iter().filter(|n| n.kind == "Service").collect();
    if services.is_empty() {
        return;
    }
    let keys: Vec<String> = entries.iter().map(|e| e.key.to_ascii_lowercase()).collect();
    if services.len() == all.len() {
        let mut unsupported: Vec<&str> = entries
            .iter()
            .filter(|e| {
                let k = e.key.to_ascii_lowercase();
                CALLER_KEYS.contains(&k.as_str()) || k.starts_with("aws:principaltag/")
            })
            .map(|e| e.key)
            .collect();
        unsupported.sort_unstable();
        unsupported.dedup();
        if !unsupported.is_empty() {
            let locations = entries
                .iter()
                .filter(|e| unsupported.contains(&e.key))
                .map(|e| cx.loc(&e.path, e.member.value.span))
                .collect();
            cx.report(
                IssueCode::UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL,
                format!(
                    "The following condition keys are not supported when used with the service principal: {}.",
                    unsupported.join(", ")
                ),
                locations,
            );
        }
    }
    if cx.is_trust() || !s.allows() || keys.iter().any(|k| SOURCE_KEYS.contains(&k.as_str())) {
        return;
    }
    let owner = entries
        .iter()
        .find(|e| e.key.eq_ignore_ascii_case("aws:SourceOwner"));
    for n in services {
        match owner {
            Some(e) => {
                let prefix = n.value.text.split('.').next().unwrap_or_default();
                cx.report(
                    IssueCode::RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL,
                    format!(
                        "To restrict access to the service principal {prefix} operating on your behalf, we recommend aws:SourceArn or aws:SourceAccount instead of {}.",
                        e.key
                    ),
                    vec![cx.loc(&e.path, e.member.value.span)],
                );
            }
            None => cx.report_at(
                IssueCode::RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL,
                "Granting access to a service principal without specifying a source is overly permissive. Use aws:SourceArn or aws:SourceAccount condition key and scope access to a specific source to grant fine-grained access."
                    .to_owned(),
                &n.value.path,
                n.value.json.span,
            ),
        }
    }
}

/// OIDC providers must be scoped by their own condition keys.
fn federated_rules(cx: &mut Ctx<'_>, s: &Statement<'_>, entries: &[Entry<'_>]) {
    if !s.allows() {
        return;
    }
    let keys: Vec<String> = entries.iter().map(|e| e.key.to_ascii_lowercase()).collect();
    for n in principals(s).iter().filter(|n| n.kind == "Federated") {
        let Some(Federation::Oidc(host)) = federation(n.value.text) else {
            continue;
        };
        let host = host.to_ascii_lowercase();
        if host == "token.actions.githubusercontent.com" {
            if !keys
                .iter()
                .any(|k| k == "token.actions.githubusercontent.com:sub")
            {
                cx.report_at(
                    IssueCode::MISSING_GITHUB_REPO_CONDITION_KEY,
                    "Granting a federated GitHub principal permissions without a condition key can allow more sources to assume the role than you intended. Add the token.actions.githubusercontent.com:sub condition key and specify the branch and repository name in the value."
                        .to_owned(),
                    &n.value.path,
                    n.value.json.span,
                );
            }
        } else if !keys.iter().any(|k| {
            k.strip_prefix(host.as_str())
                .is_some_and(|r| r.starts_with(':'))
        }) {
            cx.report_at(
                IssueCode::MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL,
                "Using an Open ID Connect principal without a condition can be overly permissive. Add condition keys with a prefix that matches your federated OIDC principals to ensure that only the intended identity provider assumes the role."
                    .to_owned(),
                &n.value.path,
                n.value.json.span,
            );
        }
    }
}

/// Which principals can call an assume-role action.
fn compatible(action: &str, n: &Named<'_>) -> bool {
    match (action, n.kind) {
        (_, "*") => true,
        ("sts:assumerole", kind) => kind == "AWS" || kind == "Service",
        ("sts:assumerolewithsaml", "Federated") => {
            federation(n.value.text) == Some(Federation::Saml)
        }
        ("sts:assumerolewithwebidentity", "Federated") => {
            matches!(federation(n.value.text), Some(Federation::Oidc(_)))
        }
        _ => false,
    }
}

/// The action rules of role trust policies.
fn trust_rules(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    if let Some(r) = &s.resource {
        cx.report_at(
            IssueCode::ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE,
            "Role trust policies apply to the role that they are attached to. You cannot specify a resource. Remove the Resource or NotResource element."
                .to_owned(),
            &r.path,
            r.member.value.span,
        );
    }
    let all = principals(s);
    redundant_sessions(cx, &all);
    if !s.allows() {
        return;
    }
    let Some(a) = s.action.as_ref().filter(|a| !a.negated) else {
        return;
    };
    let actions = strings(&a.member.value, &a.path);
    for act in &actions {
        let lower = act.text.to_ascii_lowercase();
        if !matches!(
            lower.as_str(),
            "sts:assumerole" | "sts:assumerolewithsaml" | "sts:assumerolewithwebidentity"
        ) || all.is_empty()
            || all.iter().any(|n| compatible(&lower, n))
        {
            continue;
        }
        let names: Vec<&str> = all.iter().map(|n| n.value.text).collect();
        let mut locations = vec![cx.loc(&act.path, act.json.span)];
        locations.extend(all.iter().map(|n| cx.loc(&n.value.path, n.value.json.span)));
        cx.report(
            IssueCode::MISMATCHED_ACTION_FOR_PRINCIPAL,
            format!(
                "The {} action is invalid with the following principal(s): {}. Use a SAML provider principal with the sts:AssumeRoleWithSAML action or use an OIDC provider principal with the sts:AssumeRoleWithWebIdentity action. Ensure the provider is Federated if you use either of the two options.",
                act.text,
                names.join(", ")
            ),
            locations,
        );
    }
    let covers = |name: &str| {
        actions
            .iter()
            .any(|a| wildcard_match(a.text, name, Case::Insensitive))
    };
    for n in all.iter().filter(|n| {
        n.kind == "Service"
            && n.value
                .text
                .eq_ignore_ascii_case("rolesanywhere.amazonaws.com")
    }) {
        if !["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
            .iter()
            .all(|name| covers(name))
        {
            cx.report_at(
                IssueCode::MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY,
                "The rolesanywhere.amazonaws.com service principal requires the sts:AssumeRole, sts:SetSourceIdentity, and sts:TagSession permissions to assume a role. Add the missing permissions to the policy."
                    .to_owned(),
                &n.value.path,
                n.value.json.span,
            );
        }
    }
    for e in condition::entries(s) {
        let k = e.key.to_ascii_lowercase();
        let needed = if k == "sts:sourceidentity" {
            "sts:SetSourceIdentity"
        } else if k.starts_with("aws:requesttag/")
            || k == "aws:tagkeys"
            || k == "sts:transitivetagkeys"
        {
            "sts:TagSession"
        } else {
            continue;
        };
        if !covers(needed) {
            cx.report_at(
                IssueCode::MISSING_ACTION_FOR_CONDITION_KEY,
                format!(
                    "The {needed} action must be in the action block to allow setting values for the condition key {}. Add {needed} to the action block.",
                    e.key
                ),
                &e.path,
                e.member.value.span,
            );
        }
    }
}

/// `arn:aws:sts::A:assumed-role/R/S` next to `arn:aws:iam::A:role/…/R`.
fn redundant_sessions(cx: &mut Ctx<'_>, all: &[Named<'_>]) {
    let roles: Vec<(String, String, &str)> = all
        .iter()
        .filter(|n| n.kind == "AWS")
        .filter_map(|n| {
            let arn = keyhole_policy::arn::Arn::parse(n.value.text)?;
            let name = arn
                .resource
                .strip_prefix("role/")?
                .rsplit('/')
                .next()?
                .to_owned();
            (arn.service == "iam").then_some((arn.account, name, n.value.text))
        })
        .collect();
    for n in all.iter().filter(|n| n.kind == "AWS") {
        let Some(arn) = keyhole_policy::arn::Arn::parse(n.value.text) else {
            continue;
        };
        let Some((role, _session)) = arn
            .resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split_once('/'))
        else {
            continue;
        };
        if arn.service != "sts" {
            continue;
        }
        if let Some((_, _, parent)) = roles
            .iter()
            .find(|(account, name, _)| *account == arn.account && name == role)
        {
            cx.report_at(
                IssueCode::REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY,
                format!(
                    "The assumed-role principal {} is redundant with its parent role {parent}. Remove the assumed-role principal.",
                    n.value.text
                ),
                &n.value.path,
                n.value.json.span,
            );
        }
    }
}
