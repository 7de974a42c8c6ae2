"""The feature × model matrix of one run: rows, columns, cell status, and its
Markdown and self-contained HTML renderings."""

from __future__ import annotations

from html.parser import HTMLParser

from respcheck.report.features import SEED_FEATURES
from respcheck.report.matrix import NO_MODEL, CaseRef, Cell, build_matrix, render_html, render_markdown


def case(name, outcome="passed", feature="Text completions", model="ref-text-1", rules=(), message="it broke",
         flaky=False, skip_reason=None, area="responses", transcript=None):
    return {"id": name, "name": name, "area": area, "feature": feature, "model": model, "endpoint": "POST /responses",
            "outcome": outcome, "flaky": flaky, "retries": 1 if flaky else 0, "duration": 0.01,
            "failures": [{"rule": rule, "message": message, "path": "$.output", "step": ""} for rule in rules],
            "skip_reason": skip_reason, "transcript": transcript}


def run(*cases):
    return {"respcheck": "0.1.0", "profile": "reference", "target": "http://127.0.0.1:40000/v1",
            "started_at": "2026-11-28T04:00:00Z", "finished_at": "2026-11-28T04:00:03Z", "duration": 3.2,
            "counts": {}, "cases": list(cases)}


RUN = run(
    case("text.a"), case("text.b"),
    case("text.c", "failed", rules=["usage.total", "output.text"], transcript="transcripts/text.c[stream=true].txt"),
    case("stream.a", "passed", "Streaming", flaky=True), case("stream.b", "passed", "Streaming"),
    case("tools.a", "skipped", "Tool calling", "ref-tools-1", skip_reason="profile: no tools"),
    case("tools.b", "xfailed", "Tool calling", "ref-tools-1"),
    case("vision.a", "error", "Vision", "ref-vision-1", rules=["status"]),
    case("vision.b", "passed", "Vision", "ref-vision-1", flaky=True),
    case("zeta.a", "passed", "Zeta feature"), case("alpha.a", "xpassed", "Alpha feature", "ref-tools-1"),
    case("errors.auth", "passed", None, None, area="errors"),
    case("misc.x", "failed", None, "ref-text-1", area="misc", rules=["status"]),
)


def test_rows_and_columns():
    matrix = build_matrix(RUN)
    assert matrix.features == [*SEED_FEATURES, "Alpha feature", "Zeta feature", "(errors)", "(misc)"]
    assert matrix.features[:3] == ["Text completions", "Streaming", "Tool calling"]
    assert matrix.models == ["ref-text-1", "ref-tools-1", "ref-vision-1", NO_MODEL]


def test_rows_only_covered_features():
    matrix = build_matrix(RUN, include_uncovered=False)
    assert matrix.features == ["Text completions", "Streaming", "Tool calling", "Vision", "Alpha feature",
                               "Zeta feature", "(errors)", "(misc)"]


def test_cells_counts_and_status():
    matrix = build_matrix(RUN)
    text = matrix.cell("Text completions", "ref-text-1")
    assert (text.passed, text.failed, text.skipped, text.flaky, text.status) == (2, 1, 0, 0, "fail")
    stream = matrix.cell("Streaming", "ref-text-1")
    assert (stream.passed, stream.flaky, stream.status) == (1, 1, "flaky")
    tools = matrix.cell("Tool calling", "ref-tools-1")
    assert (tools.skipped, tools.status) == (2, "skip")  # skipped and xfailed
    vision = matrix.cell("Vision", "ref-vision-1")
    assert (vision.failed, vision.flaky, vision.status) == (1, 1, "fail")  # failure wins over flaky
    assert matrix.cell("Alpha feature", "ref-tools-1").status == "pass"  # xpassed counts as passed
    assert matrix.cell("(errors)", NO_MODEL).status == "pass"
    assert matrix.cell("Vision", "ref-text-1").status == "empty"
    assert matrix.cell("store", "ref-text-1").cases == []


def test_cell_status_rules():
    def cell(*buckets):
        refs = [CaseRef(name=f"c{i}", outcome="failed" if b == "failed" else "skipped" if b == "skipped"
                        else "passed", flaky=b == "flaky") for i, b in enumerate(buckets)]
        return Cell("f", "m", refs).status

    assert cell() == "empty"
    assert cell("skipped") == "skip"
    assert cell("skipped", "passed") == "pass"
    assert cell("passed", "flaky") == "flaky"
    assert cell("flaky", "failed", "passed") == "fail"


def test_failing_cases_listed_in_row_order():
    matrix = build_matrix(RUN)
    assert [c.name for c in matrix.failing] == ["text.c", "vision.a", "misc.x"]
    assert matrix.failing[0].rules == ("usage.total", "output.text")


def test_header_counts_computed_from_cases():
    counts = build_matrix(RUN).header["counts"]
    assert counts == {"passed": 5, "failed": 2, "skipped": 1, "flaky": 2, "xfailed": 1, "xpassed": 1, "error": 1}


def test_markdown():
    text = render_markdown(build_matrix(RUN))
    lines = text.splitlines()
    assert lines[0].startswith("## ")
    header = next(line for line in lines if line.startswith("| feature |"))
    assert header == "| feature | ref-text-1 | ref-tools-1 | ref-vision-1 | - |"
    row = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
           for line in lines if line.startswith("| ") and not line.startswith("| feature")}
    assert row["Text completions"] == ["❌ 1/3", "", "", ""]
    assert row["Streaming"] == ["⚠️ flaky 1/2", "", "", ""]
    assert row["Tool calling"] == ["", "⏭ skipped", "", ""]
    assert row["Alpha feature"] == ["", "✅ 1", "", ""]
    assert row["store"] == ["", "", "", ""]
    assert row["(errors)"] == ["", "", "", "✅ 1"]
    assert "⚠️ flaky" in text and "⏭ skipped" in text and "blank: no case" in text
    assert "Legend: ✅ passed" in text
    assert "13 cases: 5 passed, 2 failed, 1 skipped, 2 flaky, 1 xfailed, 1 xpassed, 1 error" in text


def test_markdown_empty_run():
    text = render_markdown(build_matrix(run()))
    assert "No cases ran." in text and "| feature" not in text


def test_markdown_escapes_names():
    text = render_markdown(build_matrix(run(case("a", feature="A|B", model="m|1"))))
    assert "A\\|B" in text and "m\\|1" in text


class Checker(HTMLParser):
    """Records open/close tags to check that table tags balance and nest."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    return checker


def test_html_is_well_formed_and_self_contained():
    page = render_html(build_matrix(RUN), "Gateway matrix")
    assert page.startswith("<!DOCTYPE html>")
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    tags = [t for t, _ in checker.tags]
    tables = [attrs.get("class") for t, attrs in checker.tags if t == "table"]
    assert tables == ["matrix", "causes"] and "style" in tags
    assert "script" not in tags and "<script" not in page.lower()
    assert not any(t in ("link", "img", "iframe") for t in tags)
    assert "http://" not in page.replace("http://127.0.0.1:40000/v1", "")  # nothing external but the target's name
    matrix = build_matrix(RUN)
    assert tags.count("tr") == 1 + len(matrix.features) + 1 + len(matrix.root_causes)


def test_html_cells_and_tooltips():
    checker = parse(render_html(build_matrix(RUN), "Gateway matrix"))
    cells = [attrs for tag, attrs in checker.tags if tag == "td" and "title" in attrs]  # the matrix's, not root causes
    matrix = build_matrix(RUN)
    assert len(cells) == len(matrix.features) * len(matrix.models)
    fail = cells[0]  # Text completions × ref-text-1
    assert fail["class"] == "fail"
    assert "text.a: passed" in fail["title"]
    assert "text.c: failed — usage.total, output.text" in fail["title"]
    classes = {attrs["class"] for attrs in cells}
    assert classes == {"fail", "flaky", "pass", "skip", "empty"}
    skip = next(attrs for attrs in cells if attrs["class"] == "skip")
    assert "tools.a: skipped — profile: no tools" in skip["title"] and "tools.b: xfailed" in skip["title"]


def test_html_failure_list_and_transcript_links():
    checker = parse(render_html(build_matrix(RUN), "Gateway matrix"))
    links = [attrs["href"] for tag, attrs in checker.tags if tag == "a"]
    assert "transcripts/text.c%5Bstream%3Dtrue%5D.txt" in links
    assert "#case-1" in links  # the failing cell links to its case in the list
    ids = [attrs.get("id") for tag, attrs in checker.tags if tag == "li" and attrs.get("id")]
    assert ids == ["case-1", "case-2", "case-3"]
    text = "".join(checker.text)
    assert "Failing cases (3)" in text and "$.output: it broke" in text


def test_html_escapes_everything():
    hostile = run(
        case("<script>alert(1)</script>", "failed", feature="<b>F</b>", model='m"><script>x</script>',
             rules=["<rule>"], message="a | b <script>alert(2)</script> & c",
             transcript="javascript:alert(3)"),
    )
    page = render_html(build_matrix(hostile), "<script>title</script>")
    assert "<script" not in page.lower()
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert "script" not in [t for t, _ in checker.tags] and "b" not in [t for t, _ in checker.tags]
    hrefs = [attrs["href"] for tag, attrs in checker.tags if tag == "a"]
    assert all(not h.lower().startswith("javascript:") for h in hrefs)
    assert "javascript%3Aalert%283%29" in hrefs
    text = "".join(checker.text)
    assert "a | b <script>alert(2)</script> & c" in text  # shown, as text


def test_html_absolute_transcript_path_becomes_relative():
    page = render_html(build_matrix(run(case("a", "failed", rules=["status"], transcript="/etc/passwd"))), "t")
    hrefs = [attrs["href"] for tag, attrs in parse(page).tags if tag == "a"]
    assert "etc/passwd" in hrefs


def test_html_empty_run():
    page = render_html(build_matrix(run()), "Empty")
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert "No cases ran." in page and "Failing cases (0)" in page and "<table" not in page
