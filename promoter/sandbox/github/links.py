"""The URLs every object carries, pointing at the sandbox itself.

PyGithub follows them (``pr.merge()`` PUTs to ``{pr.url}/merge``, a comment is edited at its ``url``), so
they must name this server, in the shape GitHub gives them. The base is taken from each request, so the
links work under whatever host name the client used. HTML links have no page behind them; they keep
GitHub's shape so that people reading them recognise what they point at.
"""

from __future__ import annotations

import dataclasses
import urllib.parse


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/")


@dataclasses.dataclass(frozen=True)
class Links:
    base: str
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def api(self) -> str:
        """``{base}/repos/{owner}/{name}``: most URLs start here."""
        return f"{self.base}/repos/{self.owner}/{self.name}"

    @property
    def html(self) -> str:
        return f"{self.base}/{self.owner}/{self.name}"

    def user(self, login: str) -> str:
        return f"{self.base}/users/{login}"

    def html_user(self, login: str) -> str:
        return f"{self.base}/{login}"

    def avatar(self, user_id: int) -> str:
        return f"{self.base}/_sandbox/avatars/{user_id}"

    def pull(self, number: int) -> str:
        return f"{self.api}/pulls/{number}"

    def html_pull(self, number: int) -> str:
        return f"{self.html}/pull/{number}"

    def issue(self, number: int) -> str:
        return f"{self.api}/issues/{number}"

    def html_issue(self, number: int) -> str:
        return f"{self.html}/issues/{number}"

    def comment(self, comment_id: int) -> str:
        return f"{self.api}/issues/comments/{comment_id}"

    def label(self, name: str) -> str:
        return f"{self.api}/labels/{urllib.parse.quote(name, safe='')}"

    def ref(self, ref: str) -> str:
        return f"{self.api}/git/{quote(ref)}"

    def git_commit(self, sha: str) -> str:
        return f"{self.api}/git/commits/{sha}"

    def tree(self, sha: str) -> str:
        return f"{self.api}/git/trees/{sha}"

    def blob(self, sha: str) -> str:
        return f"{self.api}/git/blobs/{sha}"

    def commit(self, sha: str) -> str:
        return f"{self.api}/commits/{sha}"

    def html_commit(self, sha: str) -> str:
        return f"{self.html}/commit/{sha}"

    def statuses(self, sha: str) -> str:
        return f"{self.api}/statuses/{sha}"

    def check_run(self, run_id: int) -> str:
        return f"{self.api}/check-runs/{run_id}"

    def branch(self, name: str) -> str:
        return f"{self.api}/branches/{quote(name)}"

    def contents(self, path: str, ref: str) -> str:
        return f"{self.api}/contents/{quote(path)}?ref={urllib.parse.quote(ref, safe='')}"

    def html_blob(self, ref: str, path: str) -> str:
        return f"{self.html}/blob/{quote(ref)}/{quote(path)}"

    def raw(self, blob_sha: str) -> str:
        """A file's bytes (GitHub's ``download_url``), served by the sandbox's admin routes."""
        return f"{self.base}/_sandbox/blobs/{blob_sha}"

    def compare(self, basehead: str) -> str:
        return f"{self.api}/compare/{quote(basehead)}"
