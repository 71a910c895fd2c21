"""`python -m deploy`: the merge template, the literal IAM policy, the package check.

python -m deploy merge-template --stage dev --output build/merge-template-dev.json
python -m deploy merge-template --stage dev --example-network --output build/merge-...-private.json
python -m deploy policy --stage dev --account 123456789012 --region eu-west-1
python -m deploy check-package build/dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deploy.merge_template import merge_template
from deploy.package_check import zip_problems
from deploy.policy import PolicyInputError, literal_policy, write_policy
from deploy.stages import EXAMPLE_NETWORK, StageConfigError, load_config, read_stage


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    try:
        return int(options.run(options))
    except (StageConfigError, PolicyInputError, ValueError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 2


def _merge_template(options: argparse.Namespace) -> int:
    stage = read_stage(load_config(), options.stage)
    if options.example_network:
        stage = stage.on_network(EXAMPLE_NETWORK)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(merge_template(stage), indent=2) + "\n", encoding="utf-8")
    return 0


def _policy(options: argparse.Namespace) -> int:
    stage = read_stage(load_config(), options.stage)
    document = literal_policy(
        stage, account=options.account, region=options.region, vpc_endpoint=options.vpc_endpoint
    )
    output = options.output or stage.policy_file
    write_policy(document, output)
    print(f"deploy: wrote {output} for account {options.account} in {options.region}")
    return 0


def _check_package(options: argparse.Namespace) -> int:
    zip_path = options.directory / "deployment.zip"
    problems = zip_problems(zip_path)
    for problem in problems:
        print(f"deploy: {problem}", file=sys.stderr)
    if not problems:
        print(f"deploy: {zip_path} holds app.py, chalicelib/ and Chalice's runtime only")
    return 1 if problems else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="command")
    merge = commands.add_parser("merge-template", help="write the stage's merge template")
    merge.add_argument("--stage", required=True)
    merge.add_argument("--output", type=Path, required=True)
    merge.add_argument(
        "--example-network",
        action="store_true",
        help="as if the stage were on the private path, with example ids (for the checks)",
    )
    merge.set_defaults(run=_merge_template)
    policy = commands.add_parser("policy", help="write .chalice/policy-<stage>.json, literal ARNs")
    policy.add_argument("--stage", required=True)
    policy.add_argument("--account", required=True, help="the 12-digit AWS account id")
    policy.add_argument("--region", required=True, help="the region to deploy to")
    policy.add_argument("--output", type=Path, help="default: the stage's iam_policy_file")
    policy.add_argument(
        "--vpc-endpoint", help="a private stage's SageMaker Runtime VPC endpoint id (vpce-...)"
    )
    policy.set_defaults(run=_policy)
    check = commands.add_parser("check-package", help="check a `chalice package` directory")
    check.add_argument("directory", type=Path)
    check.set_defaults(run=_check_package)
    return parser


if __name__ == "__main__":
    sys.exit(main())
