//! `Action` and `NotAction` (IAM User Guide, "IAM JSON policy elements: Action"): services and
//! actions against the service catalog, the SCP wildcard rule, redundant actions, and the
//! `iam:PassRole` / `iam:CreateServiceLinkedRole` permission checks.

use keyhole_policy::pattern::{Case, Glob, has_wildcard, tokens_cover, wildcard_match};

use super::catalog;
use super::condition;
use super::ctx::{Ctx, Str, strings};
use super::statement::Statement;
use super::{IssueCode, PolicyType, ValidateResourceType};

/// The most values of one element compared pairwise for redundancy.
const MAX_PAIRWISE: usize = 300;

/// Checks the statement's `Action` or `NotAction`.
pub(crate) fn check(cx: &mut Ctx<'_>, s: &Statement<'_>) {
    let Some(a) = &s.action else {
        return;
    };
    let values = strings(&a.member.value, &a.path);
    for v in &values {
        action_value(cx, v);
    }
    redundant(cx, &values);
    sensitive(cx, s, &values, a.negated);
}

fn action_value(cx: &mut Ctx<'_>, v: &Str<'_>) {
    let text = v.text;
    if text == "*" || text.contains("${") {
        return;
    }
    if cx.policy_type == PolicyType::ServiceControlPolicy {
        let body = text.strip_suffix('*').unwrap_or(text);
        if body.contains(['*', '?']) {
            cx.report_at(
                IssueCode::SCP_SYNTAX_ERROR_ACTION_WILDCARD,
                format!("SCP actions can include wildcards (*) only at the end of a string. Update {text}."),
                &v.path,
                v.json.span,
            );
        }
    }
    let Some((prefix, name)) = text.split_once(':') else {
        let suggestion = catalog::closest_prefix(text).map(|p| format!("{p}:*"));
        invalid_action(cx, v, suggestion);
        return;
    };
    if has_wildcard(prefix) {
        if prefix != "*" {
            cx.report_at(
                IssueCode::WILDCARD_IN_SERVICE_NAME,
                "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names."
                    .to_owned(),
                &v.path,
                v.json.span,
            );
        }
        if cx.budget.expansions > 0 {
            cx.budget.expansions -= 1;
            let any = keyhole_policy::catalog::service_catalog()
                .services()
                .any(|svc| {
                    wildcard_match(prefix, svc.prefix(), Case::Insensitive)
                        && svc
                            .actions()
                            .iter()
                            .any(|act| wildcard_match(name, act.name(), Case::Insensitive))
                });
            if !any {
                invalid_action(cx, v, None);
            }
        }
        return;
    }
    let Some(service) = catalog::service(prefix) else {
        let suggestion = if cx.budget.suggestions > 0 {
            cx.budget.suggestions -= 1;
            catalog::closest_prefix(prefix)
        } else {
            None
        };
        cx.report_at(
            IssueCode::INVALID_SERVICE_IN_ACTION,
            match suggestion {
                Some(s) => format!(
                    "The service {prefix} specified in the action does not exist. Did you mean {s}?"
                ),
                None => format!("The service {prefix} specified in the action does not exist."),
            },
            &v.path,
            v.json.span,
        );
        return;
    };
    let exists = if has_wildcard(name) {
        service
            .actions()
            .iter()
            .any(|act| wildcard_match(name, act.name(), Case::Insensitive))
    } else {
        service.action(name).is_some()
    };
    if !exists {
        let suggestion = if cx.budget.suggestions > 0 {
            cx.budget.suggestions -= 1;
            let bare = name.replace(['*', '?'], "");
            catalog::closest(&bare, service.actions().iter().map(|a| a.name()))
                .map(|best| format!("{}:{best}", service.prefix()))
        } else {
            None
        };
        invalid_action(cx, v, suggestion);
        return;
    }
    if let Some(rt) = cx.resource_type {
        let allowed: &[&str] = match rt {
            ValidateResourceType::S3Bucket
            | ValidateResourceType::S3AccessPoint
            | ValidateResourceType::S3MultiRegionAccessPoint => &["s3"],
            ValidateResourceType::S3ObjectLambdaAccessPoint => &["s3-object-lambda"],
            ValidateResourceType::DynamoDbTable => &["dynamodb"],
            ValidateResourceType::IamAssumeRolePolicyDocument => &["sts"],
        };
        if !allowed.iter().any(|p| p.eq_ignore_ascii_case(prefix)) {
            cx.report_at(
                IssueCode::UNSUPPORTED_ACTION_IN_POLICY,
                format!(
                    "The action {text} is not supported for the resource-based policy attached to the resource type {}.",
                    rt.display_name()
                ),
                &v.path,
                v.json.span,
            );
        }
    }
}

fn invalid_action(cx: &mut Ctx<'_>, v: &Str<'_>, suggestion: Option<String>) {
    cx.report_at(
        IssueCode::INVALID_ACTION,
        match suggestion {
            Some(s) => format!("The action {} does not exist. Did you mean {s}?", v.text),
            None => format!("The action {} does not exist.", v.text),
        },
        &v.path,
        v.json.span,
    );
}

/// The actions an action pattern names, from the cache or the catalog (`None` when the budget
/// for expansions over every service is spent).
fn expansion(cx: &mut Ctx<'_>, pattern: &str) -> Option<Vec<String>> {
    let lower = pattern.to_ascii_lowercase();
    if let Some(found) = cx.expanded.get(&lower) {
        return found.clone();
    }
    let global = pattern.split_once(':').is_none_or(|(p, _)| has_wildcard(p));
    let result = if global && cx.budget.expansions == 0 {
        None
    } else {
        if global {
            cx.budget.expansions -= 1;
        }
        Some(expand(&lower, pattern))
    };
    cx.expanded.insert(lower, result.clone());
    result
}

/// The catalog's expansion of an action pattern, shared by every policy this thread validates
/// (a bounded cache: `*` and `s3:*` recur in most policies, and expanding a pattern over every
/// service matches it against all of the catalog's actions). The budget above is spent the same
/// way on a hit, so findings never depend on what was validated before.
fn expand(lower: &str, pattern: &str) -> Vec<String> {
    thread_local! {
        static EXPANDED: std::cell::RefCell<std::collections::HashMap<String, Vec<String>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    const CAPACITY: usize = 512;
    EXPANDED.with(|cache| {
        if let Some(found) = cache.borrow().get(lower) {
            return found.clone();
        }
        let found = keyhole_policy::catalog::service_catalog().expand_action_pattern(pattern);
        let mut cache = cache.borrow_mut();
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(lower.to_owned(), found.clone());
        found
    })
}

/// Values of one element already covered by another value of it.
fn redundant(cx: &mut Ctx<'_>, values: &[Str<'_>]) {
    if values.len() < 2 || values.len() > MAX_PAIRWISE {
        return;
    }
    let usable: Vec<&Str<'_>> = values
        .iter()
        .filter(|v| v.text.contains(':') || v.text == "*")
        .filter(|v| !v.text.contains("${"))
        .collect();
    // Each value once: its pattern (lower-cased) and the actions it names.
    let globs: Vec<Glob> = usable
        .iter()
        .map(|v| Glob::parse(&v.text.to_ascii_lowercase()))
        .collect();
    let expanded: Vec<Option<Vec<String>>> = usable.iter().map(|v| expansion(cx, v.text)).collect();
    let covers = |general: usize, specific: usize| {
        let (Some(g), Some(s)) = (globs.get(general), globs.get(specific)) else {
            return false;
        };
        if tokens_cover(g.tokens(), s.tokens()) {
            return true;
        }
        match (expanded.get(specific), expanded.get(general)) {
            (Some(Some(small)), Some(Some(big))) => {
                !small.is_empty() && small.iter().all(|a| big.binary_search(a).is_ok())
            }
            _ => false,
        }
    };
    let mut found: Vec<&Str<'_>> = Vec::new();
    for (i, a) in usable.iter().enumerate() {
        // Of two values naming the same actions, the later one is the redundant one.
        let is_redundant =
            (0..usable.len()).any(|j| j != i && covers(j, i) && (j < i || !covers(i, j)));
        if is_redundant {
            found.push(a);
        }
    }
    if found.is_empty() {
        return;
    }
    let names: Vec<&str> = found.iter().map(|v| v.text).collect();
    let locations = found.iter().map(|v| cx.loc(&v.path, v.json.span)).collect();
    cx.report(
        IssueCode::REDUNDANT_ACTION,
        format!(
            "The {} action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: {}.",
            found.len(),
            names.join(", ")
        ),
        locations,
    );
}

/// How a statement's actions grant a sensitive action.
enum Grant<'a, 'j> {
    /// Named literally.
    Named(&'a Str<'j>),
    /// Through a wildcard pattern.
    Star(&'a Str<'j>),
    /// Through `NotAction`.
    NotAction,
}

/// Whether a `Resource` value stands for every role: `*`, or an ARN whose resource part is `*`
/// or `role/*`. Names with a fixed prefix (`role/Service*`) are deliberate and not reported.
fn every_role(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    match keyhole_policy::arn::split_arn(value) {
        Some([_, _, service, _, _, resource]) => {
            matches!(service, "iam" | "*")
                && (resource == "*" || resource.starts_with("role/*") || resource.starts_with("*"))
        }
        None => false,
    }
}

/// `iam:PassRole` and `iam:CreateServiceLinkedRole` granted on too many resources.
fn sensitive(cx: &mut Ctx<'_>, s: &Statement<'_>, actions: &[Str<'_>], negated: bool) {
    if !s.allows()
        || !matches!(
            cx.policy_type,
            PolicyType::IdentityPolicy | PolicyType::ResourcePolicy
        )
        || cx.is_trust()
    {
        return;
    }
    let Some(r) = &s.resource else {
        return;
    };
    let resources = strings(&r.member.value, &r.path);
    let passed_to_service = condition::entries(s)
        .iter()
        .any(|e| e.key.eq_ignore_ascii_case("iam:PassedToService"));
    for (name, codes) in [
        (
            "iam:PassRole",
            [
                IssueCode::PASS_ROLE_WITH_STAR_IN_RESOURCE,
                IssueCode::PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
                IssueCode::PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION,
                IssueCode::PASS_ROLE_WITH_NOT_RESOURCE,
                IssueCode::PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                IssueCode::PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE,
            ],
        ),
        (
            "iam:CreateServiceLinkedRole",
            [
                IssueCode::CREATE_SLR_WITH_STAR_IN_RESOURCE,
                IssueCode::CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE,
                IssueCode::CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION,
                IssueCode::CREATE_SLR_WITH_NOT_RESOURCE,
                IssueCode::CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                IssueCode::CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE,
            ],
        ),
    ] {
        if name == "iam:PassRole" && passed_to_service {
            continue;
        }
        let grant = if negated {
            (!actions
                .iter()
                .any(|a| wildcard_match(a.text, name, Case::Insensitive)))
            .then_some(Grant::NotAction)
        } else {
            actions
                .iter()
                .find(|a| !has_wildcard(a.text) && a.text.eq_ignore_ascii_case(name))
                .map(Grant::Named)
                .or_else(|| {
                    actions
                        .iter()
                        .find(|a| {
                            has_wildcard(a.text) && wildcard_match(a.text, name, Case::Insensitive)
                        })
                        .map(Grant::Star)
                })
        };
        let Some(grant) = grant else {
            continue;
        };
        let [
            named_star,
            star_star,
            not_star,
            named_not,
            star_not,
            not_not,
        ] = codes;
        let (code, resource_loc) = if r.negated {
            let excludes_roles = resources.iter().any(|v| {
                wildcard_match(
                    v.text,
                    "arn:aws:iam::123456789012:role/any-role",
                    Case::Sensitive,
                )
            });
            if excludes_roles {
                continue;
            }
            let code = match grant {
                Grant::Named(_) => named_not,
                Grant::Star(_) => star_not,
                Grant::NotAction => not_not,
            };
            (code, cx.loc(&r.path, r.member.value.span))
        } else {
            let Some(star) = resources.iter().find(|v| every_role(v.text)) else {
                continue;
            };
            let code = match grant {
                Grant::Named(_) => named_star,
                Grant::Star(_) => star_star,
                Grant::NotAction => not_star,
            };
            (code, cx.loc(&star.path, star.json.span))
        };
        let action_loc = match &grant {
            Grant::Named(a) | Grant::Star(a) => cx.loc(&a.path, a.json.span),
            Grant::NotAction => match &s.action {
                Some(a) => cx.loc(&a.path, a.member.value.span),
                None => continue,
            },
        };
        cx.report(
            code,
            sensitive_message(code),
            vec![action_loc, resource_loc],
        );
    }
}

fn sensitive_message(code: IssueCode) -> String {
    use IssueCode::*;
    let passed = "We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.";
    let arns = "We recommend that you specify resource ARNs instead.";
    match code {
        PASS_ROLE_WITH_STAR_IN_RESOURCE => format!(
            "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. {passed}"
        ),
        PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE => format!(
            "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. {passed}"
        ),
        PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION => format!(
            "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. {passed}"
        ),
        PASS_ROLE_WITH_NOT_RESOURCE => format!(
            "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. {arns}"
        ),
        PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE => format!(
            "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. {arns}"
        ),
        PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE => format!(
            "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources.. {arns}"
        ),
        CREATE_SLR_WITH_STAR_IN_RESOURCE => format!(
            "Using the iam:CreateServiceLinkedRole action with wildcards (*) in the resource can allow creation of unintended service-linked roles. {arns}"
        ),
        CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE => format!(
            "Using wildcards (*) in the action and the resource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. {arns}"
        ),
        CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION => format!(
            "Using a resource with wildcards (*) and NotAction can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. {arns}"
        ),
        CREATE_SLR_WITH_NOT_RESOURCE => format!(
            "Using the iam:CreateServiceLinkedRole action with NotResource can allow creation of unintended service-linked roles for multiple resources. {arns}"
        ),
        CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE => format!(
            "Using an action with a wildcard(*) and NotResource can allow creation of unintended service-linked roles because it can allow iam:CreateServiceLinkedRole permissions on multiple resources. {arns}"
        ),
        _ => format!(
            "Using NotAction with NotResource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on multiple resources. {arns}"
        ),
    }
}
