"""The README and the docs site, kept true: every command in them runs or parses, every answer
shown is the one the API gives, every picture shows what the code makes now.

How each command is checked is told in docs/internals/testing.md ("The docs"). In short: a
`curl` and the batch client run against the local stack and a curl's answer is compared with the
`#` lines under it; the project's Python tools run their own command line up to where the
arguments are checked, then stop; `make` runs as `make -n`; the AWS CLI reads each `aws` command
and sends it to a closed port of 127.0.0.1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from unittest import mock

import click
import pytest
from chalice.test import Client
from PIL import Image

from chalicelib.application import create_app
from chalicelib.contract import parse_contract
from chalicelib.settings import Settings
from devserver import screenshots
from devserver.__main__ import model_settings
from devserver.gateway import stage_environment
from tests.support.local_stack import PROJECT_DIR, RunningStack
from tests.support.rows import WDBC

README = PROJECT_DIR / "README.md"
DOCS_DIR = PROJECT_DIR / "docs"
PAGES = [README, *sorted(DOCS_DIR.rglob("*.md"))]
# Every command line of the training and deployment tools is on this one page: one page to edit
# when one changes. Each tool is a click group, by the module that holds it.
COMMANDS_PAGE = DOCS_DIR / "aws.md"
PROJECT_TOOLS = {"python -m training": "training.cli", "python -m deploy": "deploy.cli"}
LOCAL_API = "http://127.0.0.1:8000"
DOCS_BIN = PROJECT_DIR / ".venv-docs" / "bin"
# What the pages' `NAME=$(aws ...)` steps would read from an AWS account; the deployed API's
# address (API_URL) is the local stack's.
FROM_AWS = {
    "ACCOUNT": "123456789012",
    "KEY_ID": "a1b2c3d4e5",
    "KEY": "a-key-of-the-stage",
    "REST_API_ID": "f6g7h8i9j0",
    "PLAN_ID": "k1l2m3",
    "TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:wdbc-predictor-dev-AlarmTopic",
}
# The files the steps before a command would have written, stood in (by path in the tree).
WRITTEN_BY_EARLIER_STEPS = {
    "build/dev/sam.json": json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        }
    ),
    "artifacts/sagemaker/wdbc/metrics.json": (PROJECT_DIR / "models/wdbc/metrics.json").read_text(),
    "rows.csv": "".join(",".join(map(repr, e.values)) + "\n" for e in WDBC.examples),
}
CANNOT_CONNECT = "Could not connect to the endpoint URL"


# --- Reading the pages --------------------------------------------------------------------


class Block(NamedTuple):
    page: Path
    line: int  # of the opening fence
    language: str
    body: str


class Command(NamedTuple):
    page: Path
    line: int
    text: str  # as written, continuation lines included
    answer: str | None  # the `#` lines right under a curl

    def where(self) -> str:
        return f"{self.page.relative_to(PROJECT_DIR)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, match.start()) + 1, match["language"], match["body"])
        for match in re.finditer(
            r"^```(?P<language>\w*)\n(?P<body>.*?)^```$", text, re.MULTILINE | re.DOTALL
        )
    ]


def commands(page: Path) -> list[Command]:
    """The commands of a page's `sh` blocks, in order; a curl's answer is the `#` lines under
    it, other `#` lines are comments."""
    found: list[Command] = []
    for block in blocks(page):
        if block.language != "sh":
            continue
        lines = block.body.splitlines()
        index = 0
        while index < len(lines):
            line, start = lines[index], index
            index += 1
            if not line.strip() or line.startswith("#"):
                continue
            while line.rstrip().endswith(("\\", "|")) and index < len(lines):
                line += "\n" + lines[index]
                index += 1
            text = (line.split("  # ", 1)[0] if "\n" not in line else line).rstrip()
            answer = []
            while "curl " in text and index < len(lines) and lines[index].startswith("#"):
                answer.append(lines[index].removeprefix("#").strip())
                index += 1
            command = Command(page, block.line + 1 + start, text, "\n".join(answer) or None)
            found.append(command)
    return found


# --- Judging an answer ----------------------------------------------------------------------

_DECIMAL = re.compile(r"-?\d+\.\d+")


def answer_problem(shown: str, actual: str) -> str | None:
    """Why `actual` is not the answer the docs show, or None. The text must be as written; a
    decimal number shown must be the actual one rounded to the digits shown; `…` stands for
    anything (a request id); a run of blanks or line ends stands for any, or none."""
    pattern, numbers = [], []
    for piece in re.split(r"(-?\d+\.\d+|…|\s+)", shown.strip()):
        if piece == "…":
            pattern.append(".*?")
        elif piece.isspace():
            pattern.append(r"\s*")
        elif _DECIMAL.fullmatch(piece):
            pattern.append(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
            numbers.append(piece)
        elif piece:
            pattern.append(re.escape(piece))
    match = re.fullmatch("".join(pattern), actual.strip(), re.DOTALL)
    if match is None:
        return f"the answer is\n{actual}\nnot\n{shown}"
    for got, number in zip(match.groups(), numbers, strict=True):
        digits = len(number.split(".")[1])
        if abs(float(got) - float(number)) > 0.5 * 10**-digits:
            return f"{got} does not round to {number}, in\n{actual}"
    return None


def test_an_answer_is_judged_to_the_digits_shown() -> None:
    assert answer_problem('{"p": 0.2257}', '{"p": 0.22571363060084387}') is None
    assert answer_problem('{"p": 0.2257}', '{"p": 0.2258}') is not None
    assert answer_problem('{"p": 0.2257}', '{"q": 0.2257}') is not None
    assert answer_problem('{"id": "…", "n": 30}', '{"id": "9f-3", "n": 30}') is None
    assert answer_problem('{"id": "…", "n": 30}', '{"id": "9f-3", "n": 31}') is not None
    assert answer_problem('{"a": 1,\n "b": 2}', '{"a": 1, "b": 2}') is None
    assert answer_problem("B", "M") is not None


# --- Running a command ----------------------------------------------------------------------


class Stopped(Exception):
    """A command line has been read and checked; the command itself does not run."""


@contextmanager
def stopped_after_parsing() -> Iterator[list[str]]:
    """argparse and click read and check the arguments as ever, then stop before the work;
    the list yielded names the parser that got there (a tool may swallow the stop)."""
    parse_args, invoke = argparse.ArgumentParser.parse_args, click.Command.invoke
    reached: list[str] = []

    def parse_then_stop(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        parse_args(self, *args, **kwargs)
        reached.append(self.prog)
        raise Stopped

    def run_groups_only(self: click.Command, context: click.Context) -> Any:
        if isinstance(self, click.Group):  # a group's own callback, then its subcommand's
            return invoke(self, context)
        reached.append(context.command_path)
        raise Stopped

    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", parse_then_stop),
        mock.patch.object(click.Command, "invoke", run_groups_only),
    ):
        yield reached


def shell_words(text: str, environment: dict[str, str]) -> list[str]:
    """The words bash makes of `text`: its quoting, continuations and variables, not ours."""
    result = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {text}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split("\0")[:-1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Page:
    """One page's commands run in order in a checkout of symlinks (`tree`), where the steps'
    own files land without touching the project."""

    def __init__(self, page: Path, tree: Path, stack: RunningStack) -> None:
        self.page, self.tree, self.stack = page, tree, stack
        self.environment = {**os.environ, "PATH": f"{DOCS_BIN}{os.pathsep}{os.environ['PATH']}"}
        self.assigned: set[str] = set()
        self.from_aws = {**FROM_AWS, "API_URL": f"{stack.api_url}/"}

    def run(self, command: Command) -> None:
        used = set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", command.text))
        assert used <= self.assigned, f"{command.where()}: set {used - self.assigned} first"
        # Only a sole assignment: `NAME=value command` is a command with its environment.
        assignment = re.fullmatch(
            r"(?:export )?([A-Z_][A-Z0-9_]*)=(\$\(.*\)|[^\s$`]*(?:\$[A-Z_{}]+[^\s$`]*)*)",
            command.text,
            re.DOTALL,
        )
        if assignment is None:
            self.check(command, command.text)
            return
        name, value = assignment.groups()
        inner = re.fullmatch(r"\$\((.*)\)", value, re.DOTALL)
        if inner is not None:
            self.check(command, inner[1])
            assert name in self.from_aws, f"{command.where()}: what would AWS say for {name}?"
            self.environment[name] = self.from_aws[name]
        else:
            self.environment[name] = self.bash(f'{name}={value}; printf %s "${name}"').stdout
        self.assigned.add(name)

    def check(self, command: Command, text: str) -> None:
        if "curl " in text:
            self.curl(command, text)
        elif text.startswith("aws "):
            self.aws(command, text)
        elif text.startswith("make "):
            result = self.bash(text.replace("make ", "make -n ", 1))
            assert result.returncode == 0, f"{command.where()}: {result.stderr}"
        elif ".venv/bin/python -m client " in text:
            result = self.bash(text.replace(LOCAL_API, self.stack.api_url))
            assert result.returncode == 0, f"{command.where()}: {result.stderr}"
        elif re.match(r"(?:[A-Z_]+=\S+ )*\.venv/bin/", text):
            self.parse(command, shell_words(text, self.environment))
        else:
            raise AssertionError(f"{command.where()}: the docs test does not know {text!r}")

    def bash(self, text: str, environment: dict[str, str] | None = None) -> Any:
        return subprocess.run(
            ["bash", "-c", text],
            cwd=self.tree,
            env=environment or self.environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def curl(self, command: Command, text: str) -> None:
        assert command.answer is not None, f"{command.where()}: show the curl's answer under it"
        result = self.bash(text.replace(LOCAL_API, self.stack.api_url))
        assert result.returncode == 0, f"{command.where()}: {result.stderr}"
        problem = answer_problem(command.answer, result.stdout)
        assert problem is None, f"{command.where()}: {problem}"

    def aws(self, command: Command, text: str) -> None:
        if not (DOCS_BIN / "aws").exists():
            pytest.skip("no AWS CLI in .venv-docs: make .venv-docs/bin/mkdocs installs it")
        environment = {
            **self.environment,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
            "AWS_MAX_ATTEMPTS": "1",
        }
        result = self.bash(text, environment)
        assert result.returncode == 0 or CANNOT_CONNECT in result.stderr, (
            f"{command.where()}: the AWS CLI refused it: {result.stderr}"
        )

    def parse(self, command: Command, words: list[str]) -> None:
        """A tool of .venv, run in this process up to where its arguments have been checked."""
        settings = [word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=.*", word)]
        program, *arguments = words[len(settings) :]
        tool = program.removeprefix(".venv/bin/")
        module = None
        if tool.startswith("python"):
            assert arguments[:1] == ["-m"], f"{command.where()}: python -m MODULE ..."
            module, *arguments = arguments[1:]
            # A package's __main__ runs afresh, as under `python -m`.
            sys.modules.pop(f"{module}.__main__", None)
        with (
            mock.patch.dict(os.environ, dict(settings)),
            mock.patch.object(sys, "argv", [module or tool, *arguments]),
            stopped_after_parsing() as reached,
            _in(self.tree),
        ):
            try:
                if module is not None:
                    runpy.run_module(module, run_name="__main__", alter_sys=True)
                else:
                    (script,) = entry_points(group="console_scripts", name=tool)
                    script.load()()
            except Stopped:
                pass
            except SystemExit as error:
                raise AssertionError(f"{command.where()}: its arguments were refused") from error
        assert reached, f"{command.where()}: its command line was never read to the end"


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as symlinks, with what the steps before each command would have written."""
    tree = tmp_path_factory.mktemp("checkout")
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in {"build", "artifacts", ".git", "rows.csv", "scored.csv"}:
            (tree / entry.name).symlink_to(entry)
    for path, content in WRITTEN_BY_EARLIER_STEPS.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(content, encoding="utf-8")
    return tree


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(PROJECT_DIR)) for p in PAGES])
def test_every_command_of_the_page_runs(page: Path, tree: Path, stack: RunningStack) -> None:
    found = commands(page)
    runner = Page(page, tree, stack)
    for command in found:
        runner.run(command)


# --- What the pages hold --------------------------------------------------------------------


def test_the_pages_hold_the_commands_new_users_need() -> None:
    readme = commands(README)
    assert [c.text for c in readme[:2]] == ["make run", "make test"]
    assert readme[2].text.startswith(f"curl -s -X POST {LOCAL_API}{WDBC.route}")
    assert "..." not in "".join(c.text for page in PAGES for c in commands(page))
    steps = re.findall(r"^## (\d+)\. ", COMMANDS_PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    assert steps == [str(n) for n in range(1, len(steps) + 1)]
    assert len(steps) >= 10


def test_the_training_and_deployment_command_lines_are_on_one_page() -> None:
    elsewhere = [
        f"{page.relative_to(PROJECT_DIR)}: {tool}"
        for page in PAGES
        if page != COMMANDS_PAGE
        for tool in PROJECT_TOOLS
        if tool in page.read_text(encoding="utf-8")
    ]
    assert elsewhere == [], "keep them in docs/aws.md, so that changing one is one edit"
    on_page = [c.text for c in commands(COMMANDS_PAGE)]
    assert all(any(tool in text for text in on_page) for tool in PROJECT_TOOLS)


def _mentions(page: Path) -> list[str]:
    """The code spans of a page's prose that name a project tool (`python -m deploy status`); the
    commands of its `sh` blocks are run, not read here."""
    prose = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    tools = "|".join(map(re.escape, PROJECT_TOOLS))
    return re.findall(rf"`((?:\.venv/bin/)?(?:{tools})\b[^`\n]*)`", prose)


def mention_problem(mention: str) -> str | None:
    """What a mention names that its tool lacks: a subcommand (`a|b` names both) where the
    tool has a group, or an option of the command it reached; None if all is there."""
    tool = next(tool for tool in PROJECT_TOOLS if tool in mention)
    reached: list[click.Command] = [importlib.import_module(PROJECT_TOOLS[tool]).cli]
    for word in mention.split(tool, 1)[1].split():
        if word.startswith("-"):
            known = {
                name
                for command in reached
                for parameter in command.get_params(click.Context(command))
                for name in parameter.opts
            }
            if word.split("=", 1)[0] not in known:
                return f"{word} is no option of {tool} ... {reached[0].name}"
        elif all(isinstance(command, click.Group) for command in reached):
            groups = [command for command in reached if isinstance(command, click.Group)]
            names = word.split("|")
            missing = [name for group in groups for name in names if name not in group.commands]
            if missing:
                return f"{tool} has no command {missing[0]!r} there"
            reached = [group.commands[name] for group in groups for name in names]
    return None


def test_every_mention_of_a_tools_command_names_what_it_has() -> None:
    mentions = [(page, mention) for page in PAGES for mention in _mentions(page)]
    assert len(mentions) >= 5, "the pages name the tools' commands: are they still read?"
    problems = [
        f"{page.relative_to(PROJECT_DIR)}: `{mention}`: {problem}"
        for page, mention in mentions
        if (problem := mention_problem(mention))
    ]
    assert problems == []


def test_a_mention_of_a_command_a_tool_lacks_is_found() -> None:
    assert mention_problem("python -m deploy endpoint host --approved latest") is None
    assert mention_problem("python -m training registry list|approve|reject|delete") is None
    assert mention_problem("python -m training deploy") is not None
    assert mention_problem("python -m training registry delete --registry") is not None
    assert mention_problem("python -m deploy api check-package") is not None


def test_every_json_block_is_json_and_every_contract_loads() -> None:
    contracts = 0
    for page in PAGES:
        for block in blocks(page):
            if block.language != "json":
                continue
            document = json.loads(block.body)  # a block that is not JSON fails here
            if isinstance(document, dict) and "task" in document:
                parse_contract(document, f"{page.name}:{block.line}")
                contracts += 1
    assert contracts >= 1


def test_the_readmes_links_and_pictures_are_in_the_tree() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
    assert targets
    assert [t for t in targets if not (PROJECT_DIR / t).exists()] == []


def test_the_readme_is_a_first_screen_not_a_manual() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


# --- Pictures -------------------------------------------------------------------------------


def _served_page() -> bytes:
    """The page `make run` serves, from the local stage's settings as the dev server sets them
    (no key checked, so no key field), built in this process."""
    settings = model_settings(stage_environment(PROJECT_DIR, "local"), None)
    app = create_app(Settings.from_environ(settings))
    with Client(app, stage_name="local", project_dir=str(PROJECT_DIR)) as client:
        return bytes(client.http.get("/").body)


def _card_version() -> str:
    card = json.loads((PROJECT_DIR / "chalicelib/model_cards/wdbc.json").read_text())
    return str(card["version"])


def test_the_screenshots_show_the_page_the_api_serves() -> None:
    digest, version = screenshots.page_digest(_served_page()), _card_version()
    for shot in screenshots.SHOTS:
        with Image.open(screenshots.IMAGES_DIR / shot.name) as image:
            shown = image.text  # type: ignore[attr-defined]
        assert shown == {screenshots.PAGE_KEY: digest, screenshots.MODEL_KEY: version}, (
            f"docs/images/{shot.name} shows another page or model: run `make screenshots`"
        )


def test_the_screenshot_script_draws_the_running_page(tmp_path: Path) -> None:
    if not screenshots.CHROMIUM.exists():
        pytest.skip(f"no {screenshots.CHROMIUM}: `make chromium` installs Debian's")
    result = subprocess.run(
        [sys.executable, "-m", "devserver.screenshots", "--output", str(tmp_path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for shot in screenshots.SHOTS:
        with Image.open(tmp_path / shot.name) as image:
            assert image.width == shot.width
            assert image.height >= shot.height if shot.full_page else image.height == shot.height
            assert image.text[screenshots.PAGE_KEY] == screenshots.page_digest(_served_page())  # type: ignore[attr-defined]


MODELS = sorted(path.parent.name for path in (PROJECT_DIR / "models").glob("*/contract.json"))


@pytest.mark.parametrize("model", MODELS)
def test_the_models_pictures_are_what_training_draws(model: str, tmp_path: Path) -> None:
    """Every picture training draws is committed with the model, and is what a fresh fit (which
    the models' own tests hold to the committed model) draws: compared as matplotlib compares
    its own pictures, pixel by pixel, within a tolerance."""
    from matplotlib.testing.compare import compare_images

    from training.local import train_local, write_outputs

    committed = PROJECT_DIR / "models" / model
    metrics = json.loads((committed / "metrics.json").read_text(encoding="utf-8"))
    written = write_outputs(train_local(model), tmp_path, metrics["metrics"]["repeated_nested_cv"])
    drawn = sorted(path.name for path in written if path.suffix == ".png")
    assert drawn == sorted(path.name for path in committed.glob("*.png")), "commit what it draws"
    for name in drawn:
        shutil.copy(committed / name, tmp_path / f"committed-{name}")
        difference = compare_images(str(tmp_path / f"committed-{name}"), str(tmp_path / name), 2)
        assert difference is None, f"models/{model}/{name} is not what training draws: make train"
