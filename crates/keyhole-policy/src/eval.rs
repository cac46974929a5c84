//! The concrete evaluator: request + policies → `Allowed`, `ImplicitlyDenied` or
//! `ExplicitlyDenied`, with the statements that decided it.
//!
//! Models AWS's documented policy evaluation logic (IAM User Guide, "Policy evaluation logic",
//! "Cross-account policy evaluation logic", "How permissions boundaries work", "Session
//! policies", and the KMS and STS guides for the resources whose resource policy must allow
//! explicitly):
//! 1. an applicable `Deny` in any layer wins: identity, resource, permissions boundary, session,
//!    SCPs, RCPs, VPC endpoint policy;
//! 2. the *core grant*: in the same account an identity-policy Allow or a resource-policy Allow
//!    that names the caller (its ARN, the role of its session, or `*`) suffices; across
//!    accounts both the caller's identity policy and the resource policy must allow (the
//!    resource policy may name the caller's account); role trust policies and KMS key
//!    policies must allow explicitly, and identity policies count only when the key or trust
//!    policy trusts the caller's account;
//! 3. guardrails can only take away: every SCP level must allow, the permissions boundary must
//!    allow (except for a same-account resource-policy Allow that names the caller exactly), a
//!    session policy must allow, a VPC endpoint policy must allow; RCPs carry AWS's
//!    `RCPFullAWSAccess`, so only their Denies restrict;
//! 4. anonymous callers and service principals are granted only by resource policies; identity,
//!    session, boundary and SCP layers do not apply to them.

use crate::ast::{Effect, Policy, Principal, PrincipalType, Statement};
use crate::condition::{KeyState, Truth, evaluate_entry};
use crate::pattern::{Case, Glob, wildcard_match};
use crate::request::{ContextValue, Request, RequestPrincipal};
use crate::variables::{Substituted, VariableValue, substitute};
use serde::Serialize;

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// Some policy allows and nothing denies.
    Allowed,
    /// Nothing allows (or a required layer does not allow), and nothing denies explicitly.
    ImplicitlyDenied,
    /// A `Deny` statement applies.
    ExplicitlyDenied,
}

/// Where a policy sits in the evaluation chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Layer {
    /// Identity-based policies of the caller.
    Identity,
    /// The resource-based policy (bucket policy, key policy, role trust policy, …).
    Resource,
    /// The caller's permissions boundary.
    PermissionBoundary,
    /// The session policy of a role or federated-user session.
    Session,
    /// Service control policies of the caller's account (one list per organization level).
    Scp,
    /// Resource control policies of the resource's account (one list per level).
    Rcp,
    /// The VPC endpoint policy the request passes through.
    VpcEndpoint,
}

impl Layer {
    /// The layer's name in output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Resource => "resource",
            Layer::PermissionBoundary => "permissionBoundary",
            Layer::Session => "session",
            Layer::Scp => "scp",
            Layer::Rcp => "rcp",
            Layer::VpcEndpoint => "vpcEndpoint",
        }
    }
}

/// The policies that apply to a request.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    /// Identity-based policies.
    pub identity: Vec<Policy>,
    /// The resource-based policy.
    pub resource: Option<Policy>,
    /// Permissions boundary documents (together they form one boundary); empty means none.
    pub permission_boundary: Vec<Policy>,
    /// Session policy.
    pub session: Option<Policy>,
    /// SCPs, one list per organization level from the root down to the account; empty means the
    /// account is not governed by SCPs.
    pub scps: Vec<Vec<Policy>>,
    /// RCPs, one list per level from the root down to the resource's account.
    pub rcps: Vec<Vec<Policy>>,
    /// VPC endpoint policy documents (together one policy); empty means no endpoint.
    pub vpc_endpoint: Vec<Policy>,
}

/// How to evaluate.
#[derive(Clone, Debug, Default)]
pub struct EvalOptions {
    /// The action takes no resource (it supports only `"Resource": "*"`), so for a request on
    /// `*` only a policy `Resource` of exactly `*` matches. `None`: look the action up in the
    /// service catalog.
    pub wildcard_only_action: Option<bool>,
    /// What-if evaluation: "could this request be allowed under some conditions?". Every
    /// context key is *unknown* (whatever the request lists) unless [`EvalOptions::known_keys`]
    /// declares it known; an Allow whose conditions are unknown counts, a Deny whose conditions
    /// are unknown does not.
    pub what_if: bool,
    /// In what-if evaluation, the keys the request is authoritative about.
    pub known_keys: Vec<KnownKey>,
}

/// A context key (or a wildcard pattern of keys) whose presence, and possibly value, the
/// request states authoritatively in what-if evaluation.
#[derive(Clone, Debug)]
pub struct KnownKey {
    /// The key name, case-insensitive, with `*` and `?` wildcards.
    pub pattern: String,
    /// Whether the request says whether the key is present.
    pub presence_known: bool,
    /// Whether the request's value is authoritative (implies `presence_known`).
    pub value_known: bool,
}

/// A statement that applied to the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedStatement {
    /// Its layer.
    pub layer: Layer,
    /// The organization level (SCPs and RCPs), root = 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// Which policy of the layer (0-based).
    pub policy_index: usize,
    /// Which statement of the policy (0-based).
    pub statement_index: usize,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
}

/// The result of evaluating a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// Every statement that applied, in layer order.
    pub matched: Vec<MatchedStatement>,
    /// Why the decision is what it is, one sentence per reason.
    pub reasons: Vec<String>,
}

/// How a resource-policy statement's principal names the caller; later variants are stronger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    /// It does not.
    None,
    /// It names the caller's account (`123456789012` or `arn:aws:iam::123456789012:root`).
    Account,
    /// It names the role (or IAM user) whose session the caller is.
    SessionParent,
    /// It names the caller exactly, by `*`, or by `NotPrincipal` that excludes others.
    Exact,
    /// What-if only: it names a session of the caller's role, and the caller's session name is
    /// unknown. As strong as `Exact` when it holds, but not certain to hold.
    PossibleSession,
}

/// Result of one layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LayerResult {
    Denied,
    Allowed,
    NotAllowed,
}

struct Evaluator<'a> {
    request: &'a Request,
    options: &'a EvalOptions,
    has_boundary: bool,
    wildcard_only: bool,
    matched: Vec<MatchedStatement>,
}

/// Whether the request's action takes no resource: as the options say, else as the service
/// catalog says.
fn is_wildcard_only(request: &Request, options: &EvalOptions) -> bool {
    options.wildcard_only_action.unwrap_or_else(|| {
        crate::catalog::service_catalog()
            .action(&request.action)
            .is_some_and(|(_, a)| a.is_wildcard_only())
    })
}

/// Evaluates `request` against `policies`.
#[must_use]
pub fn evaluate(request: &Request, policies: &PolicySet, options: &EvalOptions) -> Evaluation {
    let wildcard_only = is_wildcard_only(request, options);
    let mut ev = Evaluator {
        request,
        options,
        has_boundary: !policies.permission_boundary.is_empty()
            && matches!(request.principal, RequestPrincipal::Aws { .. }),
        wildcard_only,
        matched: Vec::new(),
    };
    ev.run(policies)
}

/// Evaluates one policy on its own, as a policy of `layer`: `ExplicitlyDenied` when a Deny
/// statement applies, `Allowed` when an Allow does, else `ImplicitlyDenied`. For resource-based
/// layers a statement applies when its `Principal` names the caller in any way (its ARN, its
/// role, its account, or `*`). None of the chain's rules (same- vs cross-account, guardrails,
/// AWS-owned resources) is applied: this is the meaning of "the policy allows the request" in
/// policy comparisons.
#[must_use]
pub fn evaluate_policy(
    policy: &Policy,
    layer: Layer,
    request: &Request,
    options: &EvalOptions,
) -> Decision {
    let wildcard_only = is_wildcard_only(request, options);
    let mut ev = Evaluator {
        request,
        options,
        has_boundary: false,
        wildcard_only,
        matched: Vec::new(),
    };
    match ev.layer(layer, None, std::slice::from_ref(policy)).0 {
        LayerResult::Denied => Decision::ExplicitlyDenied,
        LayerResult::Allowed => Decision::Allowed,
        LayerResult::NotAllowed => Decision::ImplicitlyDenied,
    }
}

impl Evaluator<'_> {
    fn run(&mut self, policies: &PolicySet) -> Evaluation {
        let req = self.request;
        let mut reasons = Vec::new();
        let authenticated = matches!(req.principal, RequestPrincipal::Aws { .. });

        // Layers, each evaluated once (every applicable statement is recorded).
        let identity = if authenticated {
            self.layer(Layer::Identity, None, &policies.identity).0
        } else {
            LayerResult::NotAllowed
        };
        let (resource, resource_match) = match &policies.resource {
            Some(p) => self.layer(Layer::Resource, None, std::slice::from_ref(p)),
            None => (LayerResult::NotAllowed, PrincipalMatch::None),
        };
        let boundary = (authenticated && !policies.permission_boundary.is_empty()).then(|| {
            self.layer(
                Layer::PermissionBoundary,
                None,
                &policies.permission_boundary,
            )
            .0
        });
        let session = policies
            .session
            .as_ref()
            .filter(|_| authenticated)
            .map(|p| self.layer(Layer::Session, None, std::slice::from_ref(p)).0);
        let scps: Vec<LayerResult> = if authenticated {
            policies
                .scps
                .iter()
                .enumerate()
                .map(|(level, ps)| self.layer(Layer::Scp, Some(level), ps).0)
                .collect()
        } else {
            Vec::new()
        };
        // RCPs restrict every caller, service principals included (AWS's data-perimeter RCPs
        // exempt services explicitly with `aws:PrincipalIsAWSService`).
        let rcps: Vec<LayerResult> = policies
            .rcps
            .iter()
            .enumerate()
            .map(|(level, ps)| self.layer(Layer::Rcp, Some(level), ps).0)
            .collect();
        let endpoint = (!policies.vpc_endpoint.is_empty()).then(|| {
            self.layer(Layer::VpcEndpoint, None, &policies.vpc_endpoint)
                .0
        });

        let finish = |decision, matched: Vec<MatchedStatement>, reasons| Evaluation {
            decision,
            matched,
            reasons,
        };

        if authenticated && is_get_caller_identity(&req.action) {
            reasons.push(
                "`sts:GetCallerIdentity` is always allowed for authenticated callers".to_owned(),
            );
            return finish(
                Decision::Allowed,
                std::mem::take(&mut self.matched),
                reasons,
            );
        }

        // 1. Explicit deny anywhere.
        let all: Vec<LayerResult> = [Some(identity), Some(resource), boundary, session, endpoint]
            .into_iter()
            .flatten()
            .chain(scps.iter().copied())
            .chain(rcps.iter().copied())
            .collect();
        if all.contains(&LayerResult::Denied) {
            reasons.push("a Deny statement applies".to_owned());
            return finish(
                Decision::ExplicitlyDenied,
                std::mem::take(&mut self.matched),
                reasons,
            );
        }

        if let Some(why) = aws_owned_resource(req) {
            reasons.push(why);
            return finish(
                Decision::ImplicitlyDenied,
                std::mem::take(&mut self.matched),
                reasons,
            );
        }

        // 2. Core grant.
        let same_account = self.same_account();
        let resource_allows = resource == LayerResult::Allowed;
        let identity_allows = identity == LayerResult::Allowed;
        let grant = match &req.principal {
            RequestPrincipal::Aws { .. } => {
                let explicit = self.requires_resource_policy_trust(policies);
                if same_account {
                    let direct = resource_allows && resource_match >= PrincipalMatch::SessionParent;
                    let via_identity = identity_allows
                        && match explicit {
                            Trust::NotRequired => true,
                            Trust::Required => {
                                resource_allows && resource_match >= PrincipalMatch::Account
                            }
                        };
                    if !direct && !via_identity {
                        reasons.push(match explicit {
                            Trust::Required if identity_allows => {
                                "the resource policy must trust the caller or its account, and it does not".to_owned()
                            }
                            _ => "no identity-based or resource-based policy allows the request".to_owned(),
                        });
                    }
                    direct || via_identity
                } else {
                    if !identity_allows {
                        reasons.push("cross-account access needs an identity-based policy that allows, and none does".to_owned());
                    }
                    if !(resource_allows && resource_match >= PrincipalMatch::Account) {
                        reasons.push("cross-account access needs a resource-based policy that allows the caller, and none does".to_owned());
                    }
                    identity_allows && resource_allows && resource_match >= PrincipalMatch::Account
                }
            }
            _ => {
                if !resource_allows {
                    reasons.push(
                        "only a resource-based policy can allow this caller, and none does"
                            .to_owned(),
                    );
                }
                resource_allows
            }
        };

        // 3. Guardrails.
        let mut allowed = grant;
        if let Some(s) = session
            && s != LayerResult::Allowed
        {
            reasons.push("the session policy does not allow the request".to_owned());
            allowed = false;
        }
        for (level, r) in scps.iter().enumerate() {
            if *r != LayerResult::Allowed {
                reasons.push(format!(
                    "no service control policy at organization level {level} allows the request"
                ));
                allowed = false;
            }
        }
        if let Some(b) = boundary {
            let exempt = same_account
                && resource_allows
                && resource_match == PrincipalMatch::Exact
                && self.boundary_exempt(policies);
            if b != LayerResult::Allowed && !exempt {
                reasons.push("the permissions boundary does not allow the request".to_owned());
                allowed = false;
            }
        }
        if let Some(e) = endpoint
            && e != LayerResult::Allowed
        {
            reasons.push("the VPC endpoint policy does not allow the request".to_owned());
            allowed = false;
        }
        let decision = if allowed {
            Decision::Allowed
        } else {
            Decision::ImplicitlyDenied
        };
        finish(decision, std::mem::take(&mut self.matched), reasons)
    }

    /// Whether the caller and the resource are in the same account. The resource account comes
    /// from the request, else from the resource ARN; with neither, same-account is assumed.
    fn same_account(&self) -> bool {
        let req = self.request;
        let Some(caller) = req.principal.account() else {
            return false;
        };
        let owner = req
            .resource_account
            .clone()
            .or_else(|| crate::arn::Arn::account_of(&req.resource));
        owner.is_none_or(|o| o == caller)
    }

    /// Resource types whose resource policy must allow explicitly: KMS keys (key policy) and
    /// IAM roles being assumed (trust policy).
    fn requires_resource_policy_trust(&self, policies: &PolicySet) -> Trust {
        let req = self.request;
        let (service, action) = req
            .action
            .split_once(':')
            .unwrap_or((req.action.as_str(), ""));
        if service.eq_ignore_ascii_case("kms") {
            if req.resource == "*" {
                return Trust::NotRequired;
            }
            let is_key = crate::arn::Arn::parse(&req.resource)
                .is_some_and(|a| a.resource.starts_with("key/"));
            return if is_key {
                Trust::Required
            } else {
                Trust::NotRequired
            };
        }
        if service.eq_ignore_ascii_case("sts")
            && action.to_ascii_lowercase().starts_with("assumerole")
            && policies.resource.is_some()
        {
            return Trust::Required;
        }
        Trust::NotRequired
    }

    /// A same-account resource-policy Allow lifts the boundary only when it names the caller's
    /// own ARN (or `*`); when the caller is a role itself, only `*` does.
    fn boundary_exempt(&self, policies: &PolicySet) -> bool {
        // In what-if evaluation a role caller stands for one of its sessions.
        let is_role = !self.options.what_if
            && self
                .request
                .principal
                .arn()
                .is_some_and(|a| a.resource.starts_with("role/"));
        if !is_role {
            return true;
        }
        policies.resource.as_ref().is_some_and(|p| {
            p.statements.iter().any(|s| {
                s.value
                    .effect
                    .as_ref()
                    .is_some_and(|e| e.value == Effect::Allow)
                    && s.value.principal.as_ref().is_some_and(|pe| {
                        !pe.value.negated && is_wildcard_principal(&pe.value.principal)
                    })
                    && self.statement_applies(Layer::Resource, p, &s.value).0
            })
        })
    }

    /// Evaluates the policies of one layer (together as one), recording applicable statements.
    /// For resource-based layers also returns the strongest principal match of an applicable Allow.
    fn layer(
        &mut self,
        layer: Layer,
        level: Option<usize>,
        policies: &[Policy],
    ) -> (LayerResult, PrincipalMatch) {
        let mut denied = false;
        let mut allowed = matches!(layer, Layer::Rcp);
        let mut best = PrincipalMatch::None;
        for (pi, policy) in policies.iter().enumerate() {
            for (si, st) in policy.statements.iter().enumerate() {
                let Some(effect) = st.value.effect.as_ref().map(|e| e.value) else {
                    continue;
                };
                let (applies, pm) = self.statement_applies_for(layer, policy, &st.value, effect);
                if !applies {
                    continue;
                }
                self.matched.push(MatchedStatement {
                    layer,
                    level,
                    policy_index: pi,
                    statement_index: si,
                    sid: st.value.sid.as_ref().map(|s| s.value.clone()),
                    effect,
                });
                match effect {
                    Effect::Deny => denied = true,
                    Effect::Allow => {
                        allowed = true;
                        best = best.max(pm);
                    }
                }
            }
        }
        let result = if denied {
            LayerResult::Denied
        } else if allowed {
            LayerResult::Allowed
        } else {
            LayerResult::NotAllowed
        };
        (result, best)
    }

    fn statement_applies_for(
        &self,
        layer: Layer,
        policy: &Policy,
        st: &Statement,
        effect: Effect,
    ) -> (bool, PrincipalMatch) {
        let (truth, pm) = self.statement_truth(layer, policy, st, effect);
        // An unknown condition counts for an Allow (it may hold) but not for a Deny.
        let applies = matches!(
            (truth, effect),
            (Truth::True, _) | (Truth::Unknown, Effect::Allow)
        );
        (applies, pm)
    }

    fn statement_applies(
        &self,
        layer: Layer,
        policy: &Policy,
        st: &Statement,
    ) -> (bool, PrincipalMatch) {
        let effect = st.effect.as_ref().map_or(Effect::Allow, |e| e.value);
        self.statement_applies_for(layer, policy, st, effect)
    }

    fn statement_truth(
        &self,
        layer: Layer,
        policy: &Policy,
        st: &Statement,
        effect: Effect,
    ) -> (Truth, PrincipalMatch) {
        let req = self.request;
        // Principal: checked only where policies name principals.
        let pm = match layer {
            Layer::Resource | Layer::VpcEndpoint | Layer::Rcp => match &st.principal {
                Some(pe) => {
                    let m =
                        principal_match(&pe.value.principal, &req.principal, self.options.what_if);
                    if pe.value.negated
                        && effect == Effect::Deny
                        && layer == Layer::Resource
                        && self.has_boundary
                    {
                        // AWS: a resource-policy Deny with NotPrincipal always applies to a
                        // principal that has a permissions boundary, even one it names
                        // (IAM User Guide, "Permissions boundaries for IAM entities").
                        PrincipalMatch::Exact
                    } else if pe.value.negated {
                        if m == PrincipalMatch::None {
                            PrincipalMatch::Exact
                        } else {
                            PrincipalMatch::None
                        }
                    } else {
                        m
                    }
                }
                // A resource policy statement must name a principal; without one it applies to
                // no one. Endpoint policies and RCPs default to everyone.
                None if layer == Layer::Resource => PrincipalMatch::None,
                None => PrincipalMatch::Exact,
            },
            _ => PrincipalMatch::Exact,
        };
        if pm == PrincipalMatch::None {
            return (Truth::False, pm);
        }
        let (pm, principal_truth) = if pm == PrincipalMatch::PossibleSession {
            (PrincipalMatch::Exact, Truth::Unknown)
        } else {
            (pm, Truth::True)
        };
        let action_ok = st.action.as_ref().is_some_and(|a| {
            let any = a
                .value
                .values
                .iter()
                .any(|v| wildcard_match(&v.value, &req.action, Case::Insensitive));
            any != a.value.negated
        });
        if !action_ok {
            return (Truth::False, pm);
        }
        let vars = policy.supports_variables();
        let resource = match &st.resource {
            None => Truth::True,
            Some(r) => {
                let mut any = Truth::False;
                for v in r.value.values.iter() {
                    any = any.or(self.resource_value_matches(
                        layer,
                        &v.value,
                        vars,
                        effect,
                        r.value.negated,
                    ));
                }
                if r.value.negated { any.negate() } else { any }
            }
        };
        if resource == Truth::False {
            return (Truth::False, pm);
        }
        let mut truth = resource.and(principal_truth);
        if let Some(clauses) = &st.condition {
            for clause in &clauses.value {
                for entry in &clause.entries {
                    let key = self.key_state(&entry.key.value);
                    let values: Vec<&str> =
                        entry.values.iter().map(|v| v.value.text.as_str()).collect();
                    truth = truth.and(evaluate_entry(
                        clause.operator.value,
                        key,
                        &values,
                        vars,
                        &|k| self.variable(k),
                    ));
                    if truth == Truth::False {
                        return (truth, pm);
                    }
                }
            }
        }
        (truth, pm)
    }

    /// What is known about a key: `(presence known, value known)`.
    fn knowledge(&self, key: &str) -> (bool, bool) {
        if !self.options.what_if {
            return (true, true);
        }
        self.options
            .known_keys
            .iter()
            .filter(|k| wildcard_match(&k.pattern, key, Case::Insensitive))
            .fold((false, false), |(p, v), k| {
                (p || k.presence_known || k.value_known, v || k.value_known)
            })
    }

    fn key_state(&self, key: &str) -> KeyState<'_> {
        let (presence, value) = self.knowledge(key);
        match self.request.context.get(key) {
            Some(v) if value => KeyState::Present(v),
            Some(_) if presence => KeyState::PresentValueUnknown,
            None if presence => KeyState::Absent,
            _ => KeyState::Unknown,
        }
    }

    fn variable(&self, key: &str) -> VariableValue<'_> {
        let (presence, value) = self.knowledge(key);
        match self.request.context.get(key) {
            Some(ContextValue::Single(v)) if value => VariableValue::Single(v),
            Some(ContextValue::Multi(_)) if value => VariableValue::MultiValued,
            None if presence => VariableValue::Missing,
            _ => VariableValue::Unknown,
        }
    }

    /// Whether one `Resource` value matches the request's resource. `negated_element` tells
    /// whether it sits in `NotResource`, which flips what a request *pattern* must satisfy.
    fn resource_value_matches(
        &self,
        layer: Layer,
        value: &str,
        vars: bool,
        effect: Effect,
        negated_element: bool,
    ) -> Truth {
        let resource = self.request.resource.as_str();
        if value == "*" {
            return Truth::True;
        }
        // The common case, read in place: a value without variables (which `substitute` would
        // only compile), of six segments (which padding leaves alone), on a concrete resource
        // (neither `*` nor a what-if pattern): the ARN match below.
        if !crate::variables::needs_substitution(value, vars)
            && !crate::pattern::has_wildcard(resource)
            && let Some(matched) = crate::pattern::wildcard_match_arn(value, resource)
        {
            return if matched { Truth::True } else { Truth::False };
        }
        let glob = match substitute(value, vars, |k| self.variable(k)) {
            Substituted::Pattern(g) => g,
            Substituted::NoValue { .. } => return Truth::False,
            Substituted::Unknown { .. } => return Truth::Unknown,
        };
        let Some(glob) = pad_short_arn(glob, layer) else {
            return Truth::False;
        };
        if resource == "*" && self.wildcard_only {
            return Truth::False;
        }
        if crate::pattern::has_wildcard(resource) {
            // A request on a resource pattern (what-if): an Allow matches when some resource
            // of the pattern is covered, a Deny when all are; `NotResource` mirrors this.
            let request = Glob::parse(resource);
            let need_cover = (effect == Effect::Deny) != negated_element;
            let ok = if need_cover {
                glob_covers_arn(&glob, &request)
            } else {
                globs_overlap_arn(&glob, &request)
            };
            return if ok { Truth::True } else { Truth::False };
        }
        if glob.matches_arn(resource) {
            Truth::True
        } else {
            Truth::False
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trust {
    Required,
    NotRequired,
}

fn is_get_caller_identity(action: &str) -> bool {
    action.eq_ignore_ascii_case("sts:GetCallerIdentity")
}

/// Resources AWS owns and nobody may change: AWS-managed policies, AWS-managed KMS aliases, and
/// roles under `role/aws-reserved/`.
fn aws_owned_resource(req: &Request) -> Option<String> {
    let arn = crate::arn::Arn::parse(&req.resource)?;
    let action = req.action.to_ascii_lowercase();
    let (service, name) = action.split_once(':')?;
    let owned = match service {
        "iam" if arn.account == "aws" && arn.resource.starts_with("policy/") => matches!(
            name,
            "createpolicy"
                | "createpolicyversion"
                | "deletepolicy"
                | "deletepolicyversion"
                | "setdefaultpolicyversion"
                | "tagpolicy"
                | "untagpolicy"
        ),
        "iam" if arn.resource.starts_with("role/aws-reserved/") => matches!(
            name,
            "attachrolepolicy"
                | "detachrolepolicy"
                | "putrolepolicy"
                | "deleterolepolicy"
                | "createrole"
                | "deleterole"
                | "updaterole"
                | "updateroledescription"
                | "passrole"
                | "tagrole"
                | "untagrole"
                | "putrolepermissionsboundary"
                | "deleterolepermissionsboundary"
                | "updateassumerolepolicy"
                | "createservicelinkedrole"
                | "deleteservicelinkedrole"
        ),
        "kms" if arn.resource.starts_with("alias/aws/") => {
            matches!(name, "createalias" | "updatealias" | "deletealias")
        }
        _ => false,
    };
    owned.then(|| {
        format!(
            "`{}` is owned by AWS and cannot be changed by `{}`",
            req.resource, req.action
        )
    })
}

fn is_wildcard_principal(p: &Principal) -> bool {
    match p {
        Principal::Wildcard => true,
        Principal::AwsShorthand(v) => v.value == "*",
        Principal::Typed(entries) => entries
            .iter()
            .any(|(t, vs)| t.value == PrincipalType::Aws && vs.iter().any(|v| v.value == "*")),
    }
}

/// How a `Principal` element names the caller.
fn principal_match(p: &Principal, caller: &RequestPrincipal, what_if: bool) -> PrincipalMatch {
    let entries = match p {
        Principal::Wildcard => return PrincipalMatch::Exact,
        Principal::AwsShorthand(v) => {
            return match caller {
                _ if v.value == "*" => PrincipalMatch::Exact,
                RequestPrincipal::Aws { arn } => aws_principal_match(&v.value, arn, what_if),
                _ => PrincipalMatch::None,
            };
        }
        Principal::Typed(entries) => entries,
    };
    let mut best = PrincipalMatch::None;
    for (ty, values) in entries {
        for v in values.iter() {
            let v = v.value.as_str();
            let m = match (ty.value, caller) {
                (PrincipalType::Aws, _) if v == "*" => PrincipalMatch::Exact,
                (PrincipalType::Aws, RequestPrincipal::Aws { arn }) => {
                    aws_principal_match(v, arn, what_if)
                }
                (PrincipalType::Service, RequestPrincipal::Service(s))
                | (PrincipalType::Federated, RequestPrincipal::Federated(s))
                | (PrincipalType::CanonicalUser, RequestPrincipal::CanonicalUser(s)) => {
                    if v.eq_ignore_ascii_case(s) || v == "*" {
                        PrincipalMatch::Exact
                    } else {
                        PrincipalMatch::None
                    }
                }
                _ => PrincipalMatch::None,
            };
            best = best.max(m);
        }
    }
    best
}

/// How an `AWS` principal value names the caller. In what-if evaluation a role caller stands for
/// any of its sessions, so a value naming one session of the role matches too.
fn aws_principal_match(value: &str, caller: &crate::arn::Arn, what_if: bool) -> PrincipalMatch {
    if value == caller.to_string() {
        // In what-if evaluation a role caller stands for one of its sessions, which the role's
        // ARN names only as their parent.
        let role_as_session =
            what_if && caller.service == "iam" && caller.resource.starts_with("role/");
        return if role_as_session {
            PrincipalMatch::SessionParent
        } else {
            PrincipalMatch::Exact
        };
    }
    if crate::arn::is_account_id(value) {
        return if value == caller.account {
            PrincipalMatch::Account
        } else {
            PrincipalMatch::None
        };
    }
    let Some(named) = crate::arn::Arn::parse(value) else {
        return PrincipalMatch::None;
    };
    if named.account != caller.account || named.partition != caller.partition {
        return PrincipalMatch::None;
    }
    if named.service == "iam" && named.resource == "root" {
        return if caller.resource == "root" {
            PrincipalMatch::Exact
        } else {
            PrincipalMatch::Account
        };
    }
    // A role names its sessions: arn:…:iam::A:role/path/R ↔ arn:…:sts::A:assumed-role/R/S.
    if named.service == "iam" && caller.service == "sts" {
        let name = |prefix: &str, r: &str| {
            r.strip_prefix(prefix)
                .map(|rest| rest.rsplit('/').next().unwrap_or(rest).to_owned())
        };
        if let (Some(role), Some(session_role)) = (
            name("role/", &named.resource),
            caller
                .resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next()),
        ) && role == session_role
        {
            return PrincipalMatch::SessionParent;
        }
        if let (Some(user), Some(fed)) = (
            name("user/", &named.resource),
            caller.resource.strip_prefix("federated-user/"),
        ) && user == fed
        {
            return PrincipalMatch::SessionParent;
        }
    }
    if what_if && named.service == "sts" {
        // The caller's session name is unknown: a role (or any of its sessions) may be the
        // session the policy names.
        let caller_role = match caller.service.as_str() {
            "iam" => caller
                .resource
                .strip_prefix("role/")
                .map(|r| r.rsplit('/').next().unwrap_or(r)),
            _ => caller
                .resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next()),
        };
        let session_role = named
            .resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next());
        if caller_role.is_some() && caller_role == session_role {
            return PrincipalMatch::PossibleSession;
        }
    }
    PrincipalMatch::None
}

/// Pads a policy ARN with fewer than six segments, as AWS's evaluation treats such short ARNs:
/// identity-side policies pad with `*` segments; resource and endpoint policies only when the
/// pattern has a wildcard; SCPs only when it ends with `*`; RCPs never.
fn pad_short_arn(glob: Glob, layer: Layer) -> Option<Glob> {
    if glob.arn_segments().is_some() {
        return Some(glob);
    }
    let pad = match layer {
        Layer::Identity | Layer::Session | Layer::PermissionBoundary => true,
        Layer::Resource | Layer::VpcEndpoint => glob.has_wildcard(),
        Layer::Scp => glob.tokens().last() == Some(&crate::pattern::Token::Star),
        Layer::Rcp => false,
    };
    if !pad {
        return None;
    }
    let mut g = glob;
    while g.arn_segments().is_none() {
        g.push_pattern(":*");
    }
    Some(g)
}

/// Applies a pattern-pair test segment by segment when both sides are ARN patterns (so wildcards
/// in the first five segments stay inside their segment), else to the whole strings.
fn per_arn_segment(
    policy: &Glob,
    request: &Glob,
    test: fn(&[crate::pattern::Token], &[crate::pattern::Token]) -> bool,
) -> bool {
    match (policy.arn_segments(), request.arn_segments()) {
        (Some(p), Some(r)) => p.iter().zip(r.iter()).all(|(a, b)| test(a, b)),
        _ => test(policy.tokens(), request.tokens()),
    }
}

fn globs_overlap_arn(policy: &Glob, request: &Glob) -> bool {
    per_arn_segment(policy, request, crate::pattern::tokens_overlap)
}

fn glob_covers_arn(policy: &Glob, request: &Glob) -> bool {
    per_arn_segment(policy, request, crate::pattern::tokens_cover)
}
