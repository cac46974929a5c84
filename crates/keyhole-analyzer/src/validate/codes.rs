//! The registry of checks: every issue code keyhole reports, with its finding type and what it
//! checks. Codes and types are AWS's (IAM User Guide, "IAM policy validation check reference").

use serde::Serialize;

use super::FindingType;

/// Declares [`IssueCode`], [`ALL_CHECKS`], and the code's name, type and summary from one list,
/// so that they cannot drift apart.
macro_rules! issue_codes {
    ($($code:ident: $ty:ident, $summary:literal;)*) => {
        /// An issue code of `ValidatePolicy` (variant names are AWS's codes).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[expect(non_camel_case_types, missing_docs, reason = "variant names are AWS's issue codes")]
        pub enum IssueCode {
            $($code,)*
        }

        /// Every check keyhole implements, in the order of `docs/validate.md`.
        pub const ALL_CHECKS: &[IssueCode] = &[$(IssueCode::$code),*];

        impl IssueCode {
            /// The code as AWS writes it, e.g. `INVALID_ACTION`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(IssueCode::$code => stringify!($code),)*
                }
            }

            /// The type of the findings this check reports.
            #[must_use]
            pub fn finding_type(self) -> FindingType {
                match self {
                    $(IssueCode::$code => FindingType::$ty,)*
                }
            }

            /// What the check looks for, one sentence.
            #[must_use]
            pub fn summary(self) -> &'static str {
                match self {
                    $(IssueCode::$code => $summary,)*
                }
            }
        }
    };
}

impl Serialize for IssueCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl IssueCode {
    /// The check's section of the IAM User Guide's policy validation check reference, as
    /// Access Analyzer's `learnMoreLink`.
    #[must_use]
    pub fn learn_more_link(self) -> String {
        format!(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-{}-{}",
            self.finding_type().slug(),
            self.as_str().to_ascii_lowercase().replace('_', "-")
        )
    }
}

impl std::fmt::Display for IssueCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IssueCode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_CHECKS
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

issue_codes! {
    // Document and JSON grammar.
    JSON_SYNTAX_ERROR: Error, "the text is not JSON";
    DATA_TYPE_MISMATCH: Error, "an element has the wrong JSON type (e.g. a number where a string is expected)";
    INVALID_POLICY_ELEMENT: Error, "an unknown element at policy or statement level (names are case-sensitive)";
    MISSING_VERSION: Warning, "no `Version` element";
    INVALID_VERSION: Error, "`Version` other than `2012-10-17` or `2008-10-17`";
    MISSING_STATEMENT: Error, "no `Statement` element, or an empty statement array";
    MISSING_EFFECT: Error, "a statement without `Effect`";
    INVALID_EFFECT: Error, "`Effect` other than `Allow` or `Deny`";
    MISSING_ACTION: Error, "a statement without `Action` or `NotAction`";
    MISSING_RESOURCE: Error, "a statement without `Resource` or `NotResource` (all policy types but role trust policies)";
    MISSING_PRINCIPAL: Error, "a resource policy statement without `Principal` or `NotPrincipal`";
    UNSUPPORTED_ELEMENT_COMBINATION: Error, "`Principal`/`NotPrincipal`, `Action`/`NotAction` or `Resource`/`NotResource` together in one statement";
    UNSUPPORTED_PRINCIPAL: Error, "`Principal` or `NotPrincipal` in an identity policy";
    EMPTY_SID_VALUE: Suggestion, "`\"Sid\": \"\"`";
    UNSUPPORTED_SID: Error, "a `Sid` with characters other than ASCII letters and digits in IAM policies, SCPs and RCPs";
    UNIQUE_SIDS_REQUIRED: Error, "a repeated `Sid` in IAM policies (identity and trust), SCPs and RCPs";
    UNIQUE_SIDS_RECOMMENDED: Warning, "a repeated `Sid` in other resource policies";
    EMPTY_ARRAY_ACTION: Suggestion, "`\"Action\": []`";
    EMPTY_ARRAY_RESOURCE: Suggestion, "`\"Resource\": []`";
    EMPTY_ARRAY_PRINCIPAL: Suggestion, "a principal key with an empty array";
    EMPTY_OBJECT_PRINCIPAL: Suggestion, "`\"Principal\": {}`";
    EMPTY_OBJECT_CONDITION: Suggestion, "an empty `Condition` element or operator block";
    REDUNDANT_STATEMENT: Suggestion, "a statement identical to an earlier one (ignoring `Sid`, the order of values and repeated values)";
    POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA: Warning, "an identity policy above 6,144 non-whitespace characters";
    POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA: Warning, "an S3 or DynamoDB resource policy above 20,480 characters";
    POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA: Warning, "a role trust policy above 2,048 non-whitespace characters (the default quota)";
    POLICY_SIZE_EXCEEDS_SCP_QUOTA: Error, "an SCP above 5,120 non-whitespace characters";
    // Actions.
    INVALID_SERVICE_IN_ACTION: Error, "an action whose service prefix is not in the service catalog";
    INVALID_ACTION: Error, "an action (or action pattern) that names no action of its service";
    WILDCARD_IN_SERVICE_NAME: Suggestion, "a wildcard inside the service part of an action or resource ARN (`*code*`)";
    REDUNDANT_ACTION: Suggestion, "an action of a statement already granted by another action pattern of the same element";
    UNSUPPORTED_ACTION_IN_POLICY: Error, "an action of another service in a policy for a given resource type";
    PASS_ROLE_WITH_STAR_IN_RESOURCE: SecurityWarning, "Allow `iam:PassRole` on `*` or all roles, without `iam:PassedToService`";
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE: SecurityWarning, "Allow an action pattern covering `iam:PassRole` on `*` or all roles";
    PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION: SecurityWarning, "Allow `NotAction` not excluding `iam:PassRole` on `*` or all roles";
    PASS_ROLE_WITH_NOT_RESOURCE: SecurityWarning, "Allow `iam:PassRole` with `NotResource`";
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE: SecurityWarning, "Allow an action pattern covering `iam:PassRole` with `NotResource`";
    PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE: SecurityWarning, "Allow `NotAction` not excluding `iam:PassRole` with `NotResource`";
    CREATE_SLR_WITH_STAR_IN_RESOURCE: Warning, "Allow `iam:CreateServiceLinkedRole` on `*` or all roles";
    CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE: Warning, "Allow an action pattern covering `iam:CreateServiceLinkedRole` on `*` or all roles";
    CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION: Warning, "Allow `NotAction` not excluding `iam:CreateServiceLinkedRole` on `*` or all roles";
    CREATE_SLR_WITH_NOT_RESOURCE: Warning, "Allow `iam:CreateServiceLinkedRole` with `NotResource`";
    CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE: Warning, "Allow an action pattern covering `iam:CreateServiceLinkedRole` with `NotResource`";
    CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE: Warning, "Allow `NotAction` not excluding `iam:CreateServiceLinkedRole` with `NotResource`";
    // Resources.
    INVALID_ARN_PREFIX: Error, "a resource that is neither `*` nor starts with `arn:`";
    MISSING_ARN_FIELD: Error, "a resource ARN with fewer than six `:`-separated fields";
    INVALID_PARTITION: Error, "a resource ARN partition other than aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc";
    INVALID_ARN_SERVICE_CASE: Error, "a resource ARN service in upper case";
    INVALID_ARN_RESOURCE: Error, "a resource ARN whose resource part matches no resource type of its service";
    ARN_REGION_NOT_ALLOWED: Error, "a Region in the ARN of a resource type without Regions (S3 buckets, IAM)";
    MISSING_ARN_REGION: Error, "no Region in the ARN of a resource type that has one";
    INVALID_ARN_REGION: Error, "an unknown Region in a resource ARN";
    ARN_ACCOUNT_NOT_ALLOWED: Error, "an account in the ARN of a resource type without accounts (S3 buckets)";
    INVALID_ARN_ACCOUNT: Error, "a resource ARN account that is not 12 digits (or `aws`)";
    REDUNDANT_RESOURCE: Suggestion, "a resource ARN of a statement already covered by another of the same element";
    UNSUPPORTED_RESOURCE_ARN_IN_POLICY: Error, "a resource ARN of another resource type in a policy for a given resource type";
    // Principals.
    INVALID_PRINCIPAL_FORMAT: Error, "a `Principal` that is neither `\"*\"` nor an object";
    INVALID_PRINCIPAL_KEY: Error, "a principal key other than AWS, Service, Federated, CanonicalUser";
    UNSUPPORTED_WILDCARD_IN_PRINCIPAL: Error, "a wildcard in a principal value other than `\"AWS\": \"*\"`";
    INVALID_SERVICE_PRINCIPAL_FORMAT: Error, "a service principal not of the form `service-name.amazonaws.com`";
    INVALID_ROLE_REFERENCE: Warning, "a role unique id (`AROA…`) as a principal";
    INVALID_USER_REFERENCE: Warning, "a user unique id (`AIDA…`) as a principal";
    ALLOW_WITH_NOT_PRINCIPAL: SecurityWarning, "`\"Effect\": \"Allow\"` with `NotPrincipal`";
    FEDERATED_PRINCIPAL_NOT_SUPPORTED: Error, "a `Federated` principal in a policy for an S3 or DynamoDB resource";
    RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL: SecurityWarning, "a resource policy allowing a service principal without `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID` or `aws:SourceOrgPaths`";
    RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL: Suggestion, "a service principal scoped by `aws:SourceOwner` instead of `aws:SourceArn`/`aws:SourceAccount`";
    UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL: Error, "a statement naming only service principals that tests keys of IAM callers (`aws:PrincipalArn`, `aws:PrincipalOrgID`, …)";
    // Role trust policies (`AWS::IAM::AssumeRolePolicyDocument`).
    ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL: Error, "`NotPrincipal` in a role trust policy";
    ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL: Error, "`\"Principal\": \"*\"` in a role trust policy";
    ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE: Error, "`Resource` or `NotResource` in a role trust policy";
    INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY: Error, "a `Federated` principal that is neither a domain name nor a SAML/OIDC provider ARN";
    MISMATCHED_ACTION_FOR_PRINCIPAL: Error, "an assume-role action that no principal of the statement can call (e.g. `sts:AssumeRole` with only federated principals)";
    MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY: Error, "`rolesanywhere.amazonaws.com` without all of `sts:AssumeRole`, `sts:SetSourceIdentity`, `sts:TagSession`";
    MISSING_ACTION_FOR_CONDITION_KEY: Error, "a key set by `sts:TagSession` or `sts:SetSourceIdentity` without that action";
    MISSING_GITHUB_REPO_CONDITION_KEY: SecurityWarning, "the GitHub OIDC provider without a `token.actions.githubusercontent.com:sub` condition";
    MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL: SecurityWarning, "another OIDC provider without a condition on one of its keys";
    SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED: Warning, "a wildcard in a `token.actions.githubusercontent.com:sub` value";
    REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY: Suggestion, "an assumed-role session principal next to its role";
    CONFIRM_AUDIENCE_CLAIM_TYPE: Suggestion, "an OIDC `aud` key tested with a set qualifier";
    // SCPs.
    SCP_SYNTAX_ERROR_ACTION_WILDCARD: Error, "an SCP action with a wildcard other than one `*` at the end";
    SCP_SYNTAX_ERROR_ALLOW_CONDITION: Error, "an SCP Allow statement with `Condition`";
    SCP_SYNTAX_ERROR_ALLOW_NOTACTION: Error, "an SCP Allow statement with `NotAction`";
    SCP_SYNTAX_ERROR_ALLOW_RESOURCE: Error, "an SCP Allow statement with a resource other than `*`";
    SCP_SYNTAX_ERROR_NOTRESOURCE: Error, "`NotResource` in an SCP";
    SCP_SYNTAX_ERROR_PRINCIPAL: Error, "`Principal` or `NotPrincipal` in an SCP";
    // Conditions.
    INVALID_CONDITION_OPERATOR: Error, "an unknown condition operator";
    NULL_WITH_IF_EXISTS: Error, "`NullIfExists`";
    NULL_WITH_QUALIFIER: Suggestion, "`ForAllValues:Null` or `ForAnyValue:Null`";
    INVALID_CONDITION_KEY_FORMAT: Error, "a condition key not of the form `service:name`";
    INVALID_GLOBAL_CONDITION_KEY: Error, "an `aws:` key that is not a global condition key";
    INVALID_SERVICE: Error, "a condition key whose service prefix is not in the service catalog";
    INVALID_SERVICE_CONDITION_KEY: Error, "a condition key its service does not define";
    MISSING_TAG_KEY_IN_CONDITION: Error, "a tag key such as `aws:ResourceTag` without `/tag-key`";
    UNSUPPORTED_GLOBAL_CONDITION_KEY: Error, "`aws:ARN` in a resource-based policy";
    DEPRECATED_GLOBAL_CONDITION_KEY: Warning, "`aws:ARN` in an identity policy or SCP";
    DUPLICATE_KEYS_WITH_DIFFERENT_CASE: Error, "one condition key twice in an operator block, with different capitalization";
    EMPTY_ARRAY_CONDITION: Suggestion, "a condition key with an empty array of values";
    EMPTY_ARRAY_CONDITION_FORALLVALUES: Suggestion, "`ForAllValues:` with an empty array of values";
    EMPTY_ARRAY_CONDITION_FORANYVALUE: Suggestion, "`ForAnyValue:` with an empty array of values";
    EMPTY_ARRAY_CONDITION_IFEXISTS: Suggestion, "`…IfExists` with an empty array of values";
    INVALID_CONDITION_DATA_TYPE: Error, "condition values of different JSON types for one key";
    TYPE_MISMATCH: Warning, "an operator of the wrong type for the key's type in the service catalog";
    TYPE_MISMATCH_NUMBER: Warning, "a `Numeric…` value that is not a decimal number";
    TYPE_MISMATCH_DATE: Warning, "a `Date…` value that is not an ISO 8601 date or epoch time";
    INVALID_DATE_VALUE: Warning, "a `Date…` value given as epoch time";
    TYPE_MISMATCH_BOOLEAN: Warning, "a `Bool` value other than true or false";
    TYPE_MISMATCH_STRING: Warning, "a `BinaryEquals` value that is not base64";
    TYPE_MISMATCH_IP_RANGE: Warning, "an `IpAddress`/`NotIpAddress` value that is not an address or CIDR block";
    IMPROVE_IP_RANGE: Suggestion, "a CIDR block with bits set after the prefix";
    INVALID_CONDITION_MULTIPLE_BOOLEAN: Error, "several values for a `Bool` condition";
    INVALID_VARIABLE_FOR_OPERATOR: Error, "a policy variable with an operator other than String and ARN ones";
    MISSING_QUALIFIER: Error, "a multivalued key without `ForAllValues:` or `ForAnyValue:`";
    FORALLVALUES_WITH_SINGLE_VALUED_KEY: SecurityWarning, "`ForAllValues:` with a single-valued key";
    WILDCARD_WITHOUT_LIKE_OPERATOR: Warning, "`*` or `?` in a value of a String operator without `Like`";
    REDUNDANT_CONDITION_VALUE_NUM: Suggestion, "several values of a `Numeric` less-than or greater-than operator";
    PRIVATE_IP_ADDRESS: Error, "`IpAddress` on `aws:SourceIp` with only private ranges";
    PRIVATE_NOT_IP_ADDRESS: Error, "`NotIpAddress` on `aws:SourceIp` with only private ranges";
    PRIVATE_IP_ADDRESS_SUBSET: Suggestion, "`IpAddress` on `aws:SourceIp` mixing private and public ranges";
    PRIVATE_NOT_IP_ADDRESS_SUBSET: Suggestion, "`NotIpAddress` on `aws:SourceIp` mixing private and public ranges";
    INVALID_VPC_FORMAT: Error, "an `aws:SourceVpc` value not of the form `vpc-` and 8 or 17 characters";
    INVALID_VPCE_FORMAT: Error, "an `aws:SourceVpce` value not of the form `vpce-` and 8 or 17 characters";
    INVALID_REGION: Error, "an `aws:RequestedRegion` value that is not a Region";
    UNSUPPORTED_ACTION_FOR_CONDITION_KEY: Error, "a service condition key that some actions of the statement do not support";
    MISSING_PAIRED_CONDITION_KEYS: SecurityWarning, "`aws:VpcSourceIp` without `aws:SourceVpc` or `aws:SourceVpce`";
    IRRELEVANT_CONDITION_KEY_IN_POLICY: Suggestion, "`aws:ResourceAccount`/`aws:ResourceOrgID`/`aws:ResourceOrgPaths` in a policy for a given resource";
    ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE: Suggestion, "Allow with `aws:ResourceTag` and actions of services that do not support it";
    DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE: SecurityWarning, "Deny with `aws:ResourceTag` and actions of services that do not support it";
    ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE: Suggestion, "Allow with `NotAction` and `aws:ResourceTag`";
    DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE: SecurityWarning, "Deny with `NotAction` and `aws:ResourceTag`";
    // Policy variables.
    MISSING_BRACE_IN_VARIABLE: Error, "`${` without its closing `}`";
    EMPTY_VARIABLE: Error, "`${}`";
    UNSUPPORTED_SPACE_IN_VARIABLE: Error, "a space in a variable name";
    MISSING_QUOTE_IN_VARIABLE: Error, "a variable default value not in single quotes";
    VARIABLE_UNSUPPORTED_IN_ELEMENT: Error, "a policy variable outside `Resource` and `Condition`";
    VARIABLE_UNSUPPORTED_IN_VERSION: Error, "a policy variable without `\"Version\": \"2012-10-17\"`";
}
