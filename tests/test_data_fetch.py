"""``campaign data fetch`` / ``check`` against a local mirror of the shared data folder."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from campaign_pipelines import paths
from campaign_pipelines.cli import app
from campaign_pipelines.datafiles import fetch as fetch_module
from campaign_pipelines.datafiles.errors import ChecksumMismatch, DataFetchError, DownloadFailed
from campaign_pipelines.datafiles.fetch import check, fetch
from campaign_pipelines.datafiles.manifest import DataFile, Derivation, load_manifest
from campaign_pipelines.datafiles.transforms import (
    canonical_json_sha256,
    concatenate_geojson_features,
    redact_vip_sample_official,
)

ZIP = "precincts/nc/tl_2008_37005_vtd00.zip"
XSD = "vip/spec/vip_spec_v5.2.xsd"
STATES = "reference/census_state_fips_headerless.txt"
SUBSET = [ZIP, XSD, STATES]
HOUSE = "districts/nc/stale/nc_sldl_unitedstates_districts_2020.geojson"
SAMPLE_FEED = "vip/samples/sample_feed_v5.xml"


@dataclass
class Mirror:
    """A copy of the data folder served on 127.0.0.1, with ways to misbehave per file."""

    root: Path
    url: str = ""
    requests: Counter[str] = field(default_factory=Counter)
    replaced: dict[str, bytes] = field(default_factory=dict)
    cut_short: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            relative = unquote(urlsplit(self.path).path).lstrip("/")
            with mirror.lock:
                mirror.requests[relative] += 1
                cut_short = mirror.cut_short[relative] > 0
                mirror.cut_short[relative] -= 1
            body = mirror.replaced.get(relative)
            file = (mirror.root / relative).resolve()
            if body is None and file.is_file() and file.is_relative_to(mirror.root):
                body = file.read_bytes()
            if body is None:
                self.send_error(404)
                return

            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # Promise the whole body, send half, hang up: a connection dropped mid-download.
            self.wfile.write(body[: len(body) // 2] if cut_short else body)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    served = Mirror(root=paths.data_dir())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join()


def _entry(path: str) -> DataFile:
    return next(f for f in load_manifest() if f.path == path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_sample_feed() -> bytes:
    """The staged sample feed with a stand-in official (made up, not the real person)."""
    staged = (paths.data_dir() / SAMPLE_FEED).read_bytes()
    return (
        staged.replace(b"<FirstName>ALEX</FirstName>", b"<FirstName>JORDAN</FirstName>")
        .replace(b"<Email>registrar@example.org</Email>", b"<Email>jp@county.example</Email>")
        .replace(b"<Phone>4345550100</Phone>", b"<Phone>5555550199</Phone>")
    )


def _districts(count: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "type": "Feature",
                "properties": {"name": str(n)},
                "geometry": {"type": "Point", "coordinates": [-79.0 + n, 35.5]},
            },
            indent=1,
        ).encode()
        for n in range(1, count + 1)
    ]


def test_manifest_lists_every_staged_file_with_a_pinned_source() -> None:
    files = load_manifest()
    staged = {
        p.relative_to(paths.data_dir()).as_posix()
        for p in paths.data_dir().rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    pinned = re.compile(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/\S+$")

    assert len(files) == 95
    assert {f.path for f in files} == staged
    for f in files:
        sources = f.derived.sources if f.derived else (f.source,)
        assert all(pinned.match(str(url)) for url in sources), f.path


def test_manifest_records_the_renamed_and_the_derived_file() -> None:
    cpi = _entry("polling_places/nc/cpi_north_carolina_2020-11-03.csv")
    house = _entry(HOUSE)

    assert cpi.original_path == "data/north_carolina/output/North Carolina_2020-11-03.csv"
    assert cpi.source is not None and cpi.source.endswith("/North%20Carolina_2020-11-03.csv")
    assert house.derived is not None and house.canonical_sha256
    assert [url.rsplit("/", 1)[1] for url in house.derived.sources] == [
        f"{n}.geojson" for n in range(1, 121)
    ]


def test_check_passes_on_the_shared_data_folder() -> None:
    assert check(paths.data_dir()) == []


def test_fetch_downloads_a_subset_from_a_mirror(mirror: Mirror, tmp_path: Path) -> None:
    report = fetch(tmp_path, mirror=mirror.url, only=[*SUBSET, "vip/csv_5.1/templates/*"])

    assert report.already_present == []
    assert len(report.downloaded) == 3 + 28
    assert report.bytes_downloaded == sum(_entry(p).size for p in report.downloaded)
    for relative in SUBSET:
        assert _sha256(tmp_path / relative) == _entry(relative).sha256
    assert check(tmp_path, only=[*SUBSET, "vip/csv_5.1/templates/*"]) == []
    assert not list(tmp_path.rglob("*.part"))


def test_fetch_rejects_a_corrupted_file_and_leaves_nothing(mirror: Mirror, tmp_path: Path) -> None:
    good = (paths.data_dir() / XSD).read_bytes()
    bad = good.replace(b"xs:element", b"xs:elemant", 1)
    mirror.replaced[XSD] = bad

    with pytest.raises(ChecksumMismatch) as raised:
        fetch(tmp_path, mirror=mirror.url, only=[XSD], progress=False)

    message = str(raised.value)
    assert XSD in message
    assert _entry(XSD).sha256 in message
    assert hashlib.sha256(bad).hexdigest() in message
    assert not (tmp_path / XSD).exists()
    assert not list(tmp_path.rglob("*.part"))


def test_fetch_skips_files_already_correct(mirror: Mirror, tmp_path: Path) -> None:
    fetch(tmp_path, mirror=mirror.url, only=SUBSET, progress=False)
    (tmp_path / STATES).write_bytes(b"01|AL|Alabama|01779775\n")
    mirror.requests.clear()

    report = fetch(tmp_path, mirror=mirror.url, only=SUBSET, progress=False)

    assert report.downloaded == [STATES]
    assert sorted(report.already_present) == sorted([ZIP, XSD])
    assert mirror.requests == Counter({STATES: 1})


def test_fetch_retries_an_interrupted_download(mirror: Mirror, tmp_path: Path) -> None:
    mirror.cut_short[ZIP] = 1

    report = fetch(tmp_path, mirror=mirror.url, only=[ZIP], progress=False, backoff=0.01)

    assert report.downloaded == [ZIP]
    assert mirror.requests[ZIP] == 2
    assert _sha256(tmp_path / ZIP) == _entry(ZIP).sha256


def test_fetch_gives_up_after_bounded_attempts(mirror: Mirror, tmp_path: Path) -> None:
    mirror.cut_short[ZIP] = 10

    with pytest.raises(DownloadFailed, match=re.escape(f"{ZIP}: giving up on ")):
        fetch(tmp_path, mirror=mirror.url, only=[ZIP], progress=False, attempts=3, backoff=0.01)

    assert mirror.requests[ZIP] == 3
    assert not (tmp_path / ZIP).exists()


def test_fetch_does_not_retry_a_missing_file(mirror: Mirror, tmp_path: Path) -> None:
    mirror.root = tmp_path / "empty-mirror"

    with pytest.raises(DownloadFailed, match=re.escape(f"{XSD}: HTTP 404 from {mirror.url}")):
        fetch(tmp_path / "dest", mirror=mirror.url, only=[XSD], progress=False, backoff=0.01)

    assert mirror.requests[XSD] == 1


def test_fetch_refuses_a_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(DataFetchError, match="no data file in the manifest matches nope/"):
        fetch(tmp_path, only=["nope/*"], progress=False)


def test_check_reports_a_modified_file(mirror: Mirror, tmp_path: Path) -> None:
    fetch(tmp_path, mirror=mirror.url, only=SUBSET, progress=False)
    with (tmp_path / XSD).open("ab") as stream:
        stream.write(b"\n")
    (tmp_path / STATES).unlink()

    problems = check(tmp_path, only=SUBSET)

    assert len(problems) == 2
    assert problems[0].startswith(f"{STATES}: missing")
    assert problems[1].startswith(f"{XSD}: checksum mismatch")
    assert f"expected sha256 {_entry(XSD).sha256} ({_entry(XSD).size} bytes)" in problems[1]


def test_house_layer_rebuilds_byte_for_byte_from_its_120_districts() -> None:
    staged = (paths.data_dir() / HOUSE).read_bytes()
    # Cut the staged text back into what upstream publishes: one compact Feature per district.
    opening, closing = b'{"type":"FeatureCollection","features":[', b"]}"
    assert staged.startswith(opening) and staged.endswith(closing)
    features = staged[len(opening) : -len(closing)]
    separator = b',{"type":"Feature",'
    first, *rest = features.split(separator)
    parts = [first, *(separator[1:] + part for part in rest)]

    rebuilt = concatenate_geojson_features(parts)

    assert len(parts) == 120
    assert hashlib.sha256(rebuilt).hexdigest() == _entry(HOUSE).sha256


def test_sample_feed_redaction_reproduces_the_staged_copy() -> None:
    published = _published_sample_feed()

    redacted = redact_vip_sample_official(published)

    assert hashlib.sha256(published).hexdigest() != _entry(SAMPLE_FEED).sha256
    assert hashlib.sha256(redacted).hexdigest() == _entry(SAMPLE_FEED).sha256


def test_fetch_from_sources_transforms_and_builds(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = concatenate_geojson_features(_districts(3))
    mirror.replaced.update({f"upstream/{n}.geojson": p for n, p in enumerate(_districts(3), 1)})
    mirror.replaced["upstream/sample_feed_v5.xml"] = _published_sample_feed()
    derived = DataFile(
        path="districts/test/three.geojson",
        size=len(built),
        sha256=hashlib.sha256(built).hexdigest(),
        derived=Derivation(
            method="concatenate_geojson_features",
            description="three test districts",
            sources=tuple(f"{mirror.url}upstream/{n}.geojson" for n in (1, 2, 3)),
        ),
    )
    feed = dataclasses.replace(
        _entry(SAMPLE_FEED), source=f"{mirror.url}upstream/sample_feed_v5.xml"
    )
    plain = dataclasses.replace(_entry(XSD), source=f"{mirror.url}{XSD}")
    monkeypatch.setattr(fetch_module, "load_manifest", lambda: (derived, feed, plain))

    report = fetch(tmp_path, progress=False)

    assert report.downloaded == [derived.path, SAMPLE_FEED, XSD]
    assert report.verified_canonically == []
    assert (tmp_path / derived.path).read_bytes().startswith(b'{"type":"FeatureCollection"')
    assert check(tmp_path) == []
    assert mirror.requests[SAMPLE_FEED] == 0


def test_fetch_accepts_a_rebuild_matching_only_canonically(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged_form = json.dumps(json.loads(concatenate_geojson_features(_districts(2))), indent=2)
    mirror.replaced.update({f"upstream/{n}.geojson": p for n, p in enumerate(_districts(2), 1)})
    derived = DataFile(
        path="districts/test/two.geojson",
        size=len(staged_form),
        sha256=hashlib.sha256(staged_form.encode()).hexdigest(),
        canonical_sha256=canonical_json_sha256(staged_form.encode()),
        derived=Derivation(
            method="concatenate_geojson_features",
            description="two test districts, staged pretty-printed",
            sources=tuple(f"{mirror.url}upstream/{n}.geojson" for n in (1, 2)),
        ),
    )
    monkeypatch.setattr(fetch_module, "load_manifest", lambda: (derived,))

    report = fetch(tmp_path, progress=False)

    assert report.verified_canonically == [derived.path]
    assert check(tmp_path) == []


def test_cli_fetch_then_check(mirror: Mirror, tmp_path: Path) -> None:
    runner = CliRunner()

    fetched = runner.invoke(
        app, ["data", "fetch", "--dest", str(tmp_path), "--mirror", mirror.url, "--only", XSD]
    )
    checked = runner.invoke(app, ["data", "check", "--dest", str(tmp_path), "--only", "vip/*"])

    assert fetched.exit_code == 0, fetched.output
    assert "1 downloaded, 0 already present" in fetched.output
    assert checked.exit_code == 1
    assert f"{XSD}: " not in checked.output
    assert "vip/spec/vip_spec_v6.0.xsd: missing" in checked.output


def test_cli_where_names_the_folder_and_its_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATA_DIR", str(tmp_path))

    result = CliRunner().invoke(app, ["data", "where"])

    assert result.exit_code == 1  # like `data check`: scripts can tell
    assert f"{tmp_path} (CAMPAIGN_DATA_DIR)" in result.output
    assert "incomplete: 95 problem(s)" in result.output
