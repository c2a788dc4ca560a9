"""Users as GitHub renders them: the simple form inside other objects, the private form for ``GET /user``."""

from __future__ import annotations

import datetime
from typing import Any

from promoter.sandbox.github import accounts, forge, links


def timestamp(moment: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, GitHub's only timestamp format."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def simple(urls: links.Links, login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    url = urls.user(login)
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_sandbox{user_id}",
        "avatar_url": urls.avatar(user_id),
        "gravatar_id": "",
        "url": url,
        "html_url": urls.html_user(login),
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
        "user_view_type": "public",
    }


def account(hub: forge.Forge, urls: links.Links, login: str) -> dict[str, Any]:
    """A known user, the repository's owner (an organization), or a stranger with id 0."""
    user = hub.accounts.by_login(login)
    if user is not None:
        return simple(urls, user.login, user.id, user.kind)
    if login.lower() == hub.owner.lower():
        return simple(urls, hub.owner, hub.owner_id, "Organization")
    return simple(urls, login, 0)


def maybe(hub: forge.Forge, urls: links.Links, login: str | None) -> dict[str, Any] | None:
    return None if login is None else account(hub, urls, login)


def public(hub: forge.Forge, urls: links.Links, user: accounts.User) -> dict[str, Any]:
    """``GET /users/{username}``: exactly the public-user fields (the schema allows no others)."""
    data = simple(urls, user.login, user.id, user.kind)
    del data["user_view_type"]
    created = timestamp(hub.created_at)
    data.update(
        {
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": user.email,
            "hireable": None,
            "bio": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
        }
    )
    return data


def private(hub: forge.Forge, urls: links.Links, user: accounts.User) -> dict[str, Any]:
    """``GET /user``: the caller's own profile, with the private fields."""
    data = public(hub, urls, user)
    data.update(
        {
            "user_view_type": "private",
            "twitter_username": None,
            "private_gists": 0,
            "total_private_repos": 1,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
    )
    return data


def collaborator(hub: forge.Forge, urls: links.Links, user: accounts.User) -> dict[str, Any]:
    """``GET .../collaborators/{username}/permission``."""
    data = simple(urls, user.login, user.id, user.kind)
    data.update({"permissions": user.role.flags(), "role_name": user.role.role_name})
    return {"permission": user.role.permission, "role_name": user.role.role_name, "user": data}


def association(hub: forge.Forge, login: str) -> str:
    """``author_association``: collaborators of any role are COLLABORATOR, the owner OWNER."""
    if login.lower() == hub.owner.lower():
        return "OWNER"
    return "COLLABORATOR" if hub.role(login) >= accounts.Role.READ else "NONE"
