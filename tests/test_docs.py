"""The documents hold together: every relative link in README.md, docs/*.md and the model card
resolves to a file in the repository, every page of docs/ says which question it answers and is
linked from the README, and no tracked file names a training machine's home folder."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "weights" / "README.md"]
# [text](target) and ![alt](target), not inside `code`; reference-style links are not used here
LINK = re.compile(r"!?\[(?:[^\]`]|`[^`]*`)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def relative_links(text):
    """The link targets of a Markdown text that point into the repository (no URL, no #anchor only)."""
    text = CODE.sub("", text)
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_the_link_finder_reads_markdown_links():
    text = ("See [the card](weights/README.md), ![pic](docs/a.png \"title\"), [`x.md`](x.md#part), "
            "[web](https://example.org), [here](#anchor), `[not](a/link.md)` and\n```\n[nor](this.md)\n```")
    assert relative_links(text) == ["weights/README.md", "docs/a.png", "x.md#part"]


def anchors(markdown):
    """GitHub's anchors for the headings of a Markdown text: lower case, punctuation dropped, spaces to '-'."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", h.replace("`", "").lower()).replace(" ", "-") for h in headings}


def test_anchors_are_github_s():
    assert anchors("# A clean start\n## What the resolution schedule does\n### `nin.ship.card`: the card") == {
        "a-clean-start", "what-the-resolution-schedule-does", "ninshipcard-the-card"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(page):
    links = relative_links(page.read_text())
    broken = []
    for target in links:
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text()):
            broken.append(target)  # the file is there, the heading is not
    assert not broken, f"{page.relative_to(ROOT)}: links to nothing in the repository: {broken}"


def test_the_readme_links_every_page_of_docs_and_stays_a_front_page():
    readme = (ROOT / "README.md").read_text()
    linked = {(ROOT / t.split("#")[0]).resolve() for t in relative_links(readme)}
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if p.resolve() not in linked]
    assert not unlinked, f"docs pages the README does not link: {unlinked}"
    for picture in ("docs/draw_tab.png", "docs/inside_view.png"):
        assert f"]({picture})" in readme and (ROOT / picture).is_file()
    assert "real phone photos made by other people" in readme and "Quick, Draw!* doodles" in readme
    assert len(readme.splitlines()) <= 170, "the README is a front page: move detail into docs/"


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_every_docs_page_opens_with_the_question_it_answers(page):
    opening = page.read_text().split("\n\n")[1]
    assert "?" in opening, f"{page.name} should open with the question it answers"


def test_no_training_machine_path_in_the_repository():
    """`git grep` for a home folder's absolute path finds nothing (the card names parents by sha256)."""
    try:
        done = subprocess.run(["git", "grep", "-n", "-I", "-E", "/" + "(root|home)" + "/", "--", "."],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("no git")
    if done.returncode not in (0, 1):  # not a git checkout (e.g. an exported tree)
        pytest.skip(done.stderr.strip())
    assert done.returncode == 1 and not done.stdout, done.stdout[:2000]


def package_files():
    """Every module and script of nin/, as a path relative to nin/ (core/model.py, app/live_drawing.js)."""
    return sorted(str(p.relative_to(ROOT / "nin")) for p in (ROOT / "nin").rglob("*")
                  if p.suffix in (".py", ".js") and p.name != "__init__.py")


def test_the_layout_page_names_every_module_of_the_package_once():
    """docs/layout.md lists each folder, then its files by name: each file once, under its own folder."""
    layout = (ROOT / "docs" / "layout.md").read_text()
    listed, folder = [], None
    for line in layout.split("```")[1].splitlines():
        m = re.match(r"nin/(\w+)/\s", line)
        if m:
            folder = m.group(1)
        m = re.match(r"\s{4}(\w+\.(?:py|js))\s", line)
        if m and folder:
            listed.append(f"{folder}/{m.group(1)}")
    assert len(package_files()) > 30, "the package was not read"
    assert sorted(listed) == package_files(), (set(listed) ^ set(package_files()))


def test_every_command_line_tool_is_in_the_cli_page():
    """A module with main() is a tool people run: docs/cli.md shows its `python -m` line."""
    cli = (ROOT / "docs" / "cli.md").read_text()
    tools = ["nin." + f[:-3].replace("/", ".") for f in package_files()
             if f.endswith(".py") and re.search(r"^def main\(", (ROOT / "nin" / f).read_text(), re.M)]
    assert len(tools) >= 10, tools
    missing = [t for t in tools if f"python -m {t} " not in cli and f"python -m {t}\n" not in cli]
    assert not missing, missing
