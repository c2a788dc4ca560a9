"""The HTTP behaviour clients depend on: ETags and 304s, rate-limit accounting, pagination links,
authentication schemes and the sandbox's own ``/_sandbox/`` routes."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from pathlib import Path

import github

from promoter.sandbox.github.sandbox import GitHubSandbox
from tests.sandbox_github.client import Api
from tests.sandbox_github.conftest import Served, Switchboard, client, push

REPO = "/repos/acme/config"


class ManualClock:
    """Time as a test sets it."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


def test_a_matching_etag_is_304_and_free(sandbox: Served, api: Callable[[str | None], Api], checkout: Path) -> None:
    bot = api("promoter-bot")
    push(checkout, "feature", {"a.yaml": "a: 1\n"})
    number = bot("POST", f"{REPO}/pulls", json={"title": "t", "head": "feature", "base": "main"}).json()["number"]
    first = bot("GET", f"{REPO}/pulls/{number}")
    tag = first.headers["ETag"]
    used = int(first.headers["X-RateLimit-Used"])

    again = bot("GET", f"{REPO}/pulls/{number}", headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["X-RateLimit-Used"] == str(used)
    assert again.headers["ETag"] == tag
    stats = sandbox.stats()
    assert (stats["conditional_hits"], stats["rate_limits"]["promoter-bot"]["used"]) == (1, used)

    bot("POST", f"{REPO}/issues/{number}/comments", json={"body": "changes the comment count"})
    changed = bot("GET", f"{REPO}/pulls/{number}", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert changed.headers["X-RateLimit-Used"] == str(used + 2)


def test_pygithub_update_uses_the_etag(sandbox: Served, bot: github.Github, checkout: Path) -> None:
    push(checkout, "feature", {"a.yaml": "a: 1\n"})
    pr = bot.get_repo("acme/config").create_pull(title="t", body="", head="feature", base="main")
    pr = bot.get_repo("acme/config").get_pull(pr.number)
    before = sandbox.stats()
    assert pr.update() is False
    after = sandbox.stats()
    assert after["conditional_hits"] == before["conditional_hits"] + 1
    assert after["counted"] == before["counted"]
    pr.create_issue_comment("x")
    assert pr.update() is True


def test_each_token_has_its_own_budget_and_the_budget_runs_out(origin: Path, switchboard: Switchboard) -> None:
    clock = ManualClock()
    with switchboard.plugged(GitHubSandbox(origin, "acme/config", rate_limit=3, clock=clock)) as sandbox:
        bob, alice = Api(sandbox.url, sandbox.token("bob"), set()), Api(sandbox.url, sandbox.token("alice"), set())
        bearer = {"Authorization": f"Bearer {sandbox.token('bob')}"}
        remaining = [bob("GET", REPO, headers=bearer).headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        refused = bob("GET", REPO)
        assert (refused.status_code, refused.headers["X-RateLimit-Remaining"]) == (403, "0")
        assert refused.json()["message"] == "API rate limit exceeded for user ID 103."
        assert alice("GET", REPO).status_code == 200
        assert bob("GET", "/rate_limit").json()["rate"]["remaining"] == 0

        clock.now += datetime.timedelta(hours=1)
        assert bob("GET", REPO).headers["X-RateLimit-Remaining"] == "2"
        reset = int(bob("GET", REPO).headers["X-RateLimit-Reset"])
        assert reset == int((clock.now + datetime.timedelta(hours=1)).timestamp())
        bob.close()
        alice.close()


def test_stats_count_routes_and_reset_restores_budgets(sandbox: Served, api: Callable[[str | None], Api]) -> None:
    bot = api("promoter-bot")
    bot("GET", REPO)
    bot("GET", f"{REPO}/pulls/7")
    api(None)("GET", "/user")
    admin = api(None)("GET", "/_sandbox/stats", spec=False).json()
    assert admin["requests"] == 3
    assert admin["by_route"] == {
        "GET /repos/{owner}/{repo}": 1,
        "GET /repos/{owner}/{repo}/pulls/{pull_number}": 1,
        "GET /user": 1,
    }
    assert admin["by_user"] == {"(anonymous)": 1, "promoter-bot": 2}
    assert api(None)("POST", "/_sandbox/reset", spec=False).status_code == 204
    assert api(None)("GET", "/_sandbox/stats", spec=False).json()["requests"] == 0
    assert bot("GET", REPO).headers["X-RateLimit-Used"] == "1"


def test_lists_page_with_link_headers(api: Callable[[str | None], Api], checkout: Path) -> None:
    bot = api("promoter-bot")
    push(checkout, "feature", {"a.yaml": "a: 1\n"})
    number = bot("POST", f"{REPO}/pulls", json={"title": "t", "head": "feature", "base": "main"}).json()["number"]
    for n in range(5):
        bot("POST", f"{REPO}/issues/{number}/comments", json={"body": f"comment {n}"})
    page = bot("GET", f"{REPO}/issues/{number}/comments", params={"per_page": "2", "page": "2"})
    assert [c["body"] for c in page.json()] == ["comment 2", "comment 3"]
    links = {
        part.split('rel="')[1].rstrip('"'): part.split(">")[0].lstrip("<") for part in page.headers["Link"].split(", ")
    }
    assert set(links) == {"next", "last", "first", "prev"}
    assert links["last"].endswith("per_page=2&page=3")
    assert [c["body"] for c in bot("GET", links["last"]).json()] == ["comment 4"]


def test_basic_auth_with_the_token_as_password_and_raw_file_download(
    sandbox: Served, api: Callable[[str | None], Api]
) -> None:
    credentials = base64.b64encode(f"x-access-token:{sandbox.token('carol')}".encode()).decode()
    anonymous = api(None)
    basic = anonymous("GET", "/user", headers={"Authorization": f"Basic {credentials}"})
    assert basic.json()["login"] == "carol"
    file = api("carol")("GET", f"{REPO}/contents/README.md").json()
    assert anonymous("GET", file["download_url"], spec=False).content == b"# config\n"
    assert anonymous("GET", f"/_sandbox/blobs/{'0' * 40}", spec=False).status_code == 404


def test_urls_follow_the_host_the_client_used(sandbox: Served) -> None:
    as_localhost = sandbox.url.replace("127.0.0.1", "localhost")
    by_name = github.Github(base_url=as_localhost, auth=github.Auth.Token(sandbox.token("bob")), retry=None)
    repo = by_name.get_repo("acme/config")
    assert repo.url == f"{as_localhost}{REPO}"
    assert client(sandbox, "bob").get_repo("acme/config").url == f"{sandbox.url}{REPO}"
