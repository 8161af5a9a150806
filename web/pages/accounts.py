"""Account pages: sign-up, log-in, confirmation, password reset, settings, language, API keys,
organizations and invitations. Each runs a named operation; forms work without JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from backend.core.i18n import LOCALES, normalize_locale
from web import sessions
from web.forms import form_data, form_list, payload, redirect, safe_next, split_errors
from web.locale import LANG_COOKIE
from web.operations import query, run_operation
from web.render import page_context, render

REGIONS = ("eu", "us", "br", "jp")
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Lisbon",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
)


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"{request.app.route_reverse('login')}?next={quote(target)}")


# ----------------------------------------------------------------------------- sign-up


@get("/signup", name="signup")
async def signup_form(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is not None:
        return redirect("/")
    return await render(
        request,
        "accounts/signup.html",
        form={"locale": page.locale},
        errors={},
        general=[],
        regions=REGIONS,
        zones=COMMON_ZONES,
    )


@post("/signup", name="signup_post")
async def signup_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_data(request)
    result = await run_operation(
        request,
        "SignUp",
        {
            "input": {
                "email": form.get("email", ""),
                "password": form.get("password", ""),
                "displayName": form.get("display_name", ""),
                "region": form.get("region", "eu"),
                "locale": form.get("locale", "en"),
                "timeZone": form.get("time_zone", "UTC"),
            }
        },
    )
    data = payload(result, "signUp")
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        form.pop("password", None)
        return await render(
            request,
            "accounts/signup.html",
            status=422,
            form=form,
            errors=errors,
            general=general,
            regions=REGIONS,
            zones=COMMON_ZONES,
        )
    await sessions.flash(request, "success", "accounts.signup.check_email", email=data["viewer"]["email"])
    return redirect("/")


# ----------------------------------------------------------------------------- log-in / out


@get("/login", name="login")
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response[Any]:
    page = await page_context(request)
    if page.actor is not None:
        return redirect(safe_next(next))
    return await render(
        request, "accounts/login.html", form={}, errors={}, general=[], next=safe_next(next, "")
    )


@post("/login", name="login_post")
async def login_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_data(request)
    result = await run_operation(
        request, "LogIn", {"email": form.get("email", ""), "password": form.get("password", "")}
    )
    data = payload(result, "logIn")
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await render(
            request,
            "accounts/login.html",
            status=422,
            form={"email": form.get("email", "")},
            errors=errors,
            general=general,
            next=safe_next(form.get("next"), ""),
        )
    await sessions.flash(request, "success", "accounts.login.welcome", name=data["viewer"]["displayName"])
    response = redirect(safe_next(form.get("next")))
    response.delete_cookie(LANG_COOKIE)  # the account's own language setting takes over
    return response


@post("/logout", name="logout")
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    await run_operation(request, "LogOut")
    return redirect("/")


# ----------------------------------------------------------------------------- confirmation


@get("/confirm", name="confirm")
async def confirm(request: Request[Any, Any, Any], token: FromQuery[str] = "") -> Response[Any]:
    result = await run_operation(request, "ConfirmEmail", {"token": token})
    data = payload(result, "confirmEmail")
    _, general = split_errors(data["errors"])
    messages = general or [e["message"] for e in data["errors"]]
    return await render(
        request, "accounts/confirm.html", status=400 if messages else 200, ok=not messages, messages=messages
    )


@post("/confirm/resend", name="confirm_resend")
async def confirm_resend(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = payload(await run_operation(request, "ResendConfirmation"), "resendConfirmation")
    if data["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=data["errors"][0]["message"]
        )
    else:
        await sessions.flash(request, "success", "accounts.confirm.resent")
    return redirect(request.app.route_reverse("settings"))


# ----------------------------------------------------------------------------- password reset


@get("/forgot-password", name="forgot_password")
async def forgot_form(request: Request[Any, Any, Any]) -> Response[Any]:
    return await render(request, "accounts/forgot.html", sent=False, form={}, errors={})


@post("/forgot-password", name="forgot_password_post")
async def forgot_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_data(request)
    data = payload(
        await run_operation(request, "RequestPasswordReset", {"email": form.get("email", "")}),
        "requestPasswordReset",
    )
    errors, _ = split_errors(data["errors"])
    return await render(
        request,
        "accounts/forgot.html",
        status=429 if data["errors"] else 200,
        sent=not data["errors"],
        form=form,
        errors=errors,
    )


@get("/reset-password", name="reset_password")
async def reset_form(request: Request[Any, Any, Any], token: FromQuery[str] = "") -> Response[Any]:
    return await render(request, "accounts/reset.html", token=token, errors={}, general=[])


@post("/reset-password", name="reset_password_post")
async def reset_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await form_data(request)
    token = form.get("token", "")
    data = payload(
        await run_operation(request, "ResetPassword", {"token": token, "password": form.get("password", "")}),
        "resetPassword",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        if "token" in errors:
            general.append(errors.pop("token"))
        return await render(
            request, "accounts/reset.html", status=422, token=token, errors=errors, general=general
        )
    await sessions.flash(request, "success", "accounts.reset.done")
    return redirect(request.app.route_reverse("login"))


# ----------------------------------------------------------------------------- settings


async def _settings_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "SettingsPage")
    if data["viewer"] is None:
        return login_redirect(request)
    values = {"errors": {}, "general": [], "password_errors": {}, **extra}
    return await render(
        request, "accounts/settings.html", status=status, me=data["viewer"], zones=COMMON_ZONES, **values
    )


@get("/settings", name="settings")
async def settings_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _settings_page(request)


@post("/settings", name="settings_post")
async def settings_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    data = payload(
        await run_operation(
            request,
            "UpdateProfile",
            {
                "input": {
                    "displayName": form.get("display_name"),
                    "locale": form.get("locale"),
                    "timeZone": form.get("time_zone"),
                }
            },
        ),
        "updateProfile",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _settings_page(request, 422, errors=errors, general=general)
    await sessions.flash(request, "success", "accounts.settings.saved")
    return redirect(request.app.route_reverse("settings"))


@post("/settings/password", name="settings_password")
async def password_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    data = payload(
        await run_operation(
            request,
            "ChangePassword",
            {
                "currentPassword": form.get("current_password", ""),
                "newPassword": form.get("new_password", ""),
            },
        ),
        "changePassword",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _settings_page(request, 422, password_errors=errors, general=general)
    await sessions.flash(request, "success", "accounts.settings.password_changed")
    return redirect(request.app.route_reverse("settings"))


@post("/language", name="language")
async def switch_language(request: Request[Any, Any, Any]) -> Response[Any]:
    """The switcher: saved on the account when signed in, else remembered in a cookie."""
    page = await page_context(request)
    form = await form_data(request)
    locale = normalize_locale(form.get("locale"))
    target = safe_next(form.get("next"))
    response = redirect(target)
    if locale is None or locale not in LOCALES:
        return response
    if page.actor is not None:
        await run_operation(request, "UpdateProfile", {"input": {"locale": locale}})
    else:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


# ----------------------------------------------------------------------------- API keys


async def _api_keys_page(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Response[Any]:
    data = await query(request, "ApiKeysPage", {"after": request.query_params.get("after")})
    if data["viewer"] is None:
        return login_redirect(request)
    values = {"errors": {}, "general": [], "created": None, "secret": None, **extra}
    keys = [edge["node"] for edge in data["viewer"]["apiKeys"]["edges"]]
    return await render(
        request,
        "accounts/api_keys.html",
        status=status,
        me=data["viewer"],
        keys=keys,
        page_info=data["viewer"]["apiKeys"]["pageInfo"],
        block="keys",
        **values,
    )


@get("/settings/api-keys", name="api_keys")
async def api_keys_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _api_keys_page(request)


@post("/settings/api-keys", name="api_keys_post")
async def api_keys_create(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await request.form()
    scopes = [s.upper() for s in form_list(form, "scopes") if s in ("read", "write")]
    data = payload(
        await run_operation(
            request, "CreateApiKey", {"name": form.get("name", ""), "scopes": scopes or ["READ"]}
        ),
        "createApiKey",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _api_keys_page(request, 422, errors=errors, general=general)
    # The secret is rendered once, in this response, and never stored anywhere readable.
    return await _api_keys_page(request, 201, created=data["apiKey"], secret=data["secret"])


@post("/settings/api-keys/{key_id:str}/revoke", name="api_key_revoke")
async def api_key_revoke(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = payload(await run_operation(request, "RevokeApiKey", {"id": key_id}), "revokeApiKey")
    if not data["errors"]:
        await sessions.flash(request, "success", "accounts.api_keys.revoked")
    return redirect(request.app.route_reverse("api_keys"))


# ----------------------------------------------------------------------------- organizations


@get("/orgs", name="organizations")
async def organizations_page(request: Request[Any, Any, Any]) -> Response[Any]:
    data = await query(request, "OrganizationsPage", {"after": request.query_params.get("after")})
    if data["viewer"] is None:
        return login_redirect(request)
    memberships = [edge["node"] for edge in data["viewer"]["organizations"]["edges"]]
    return await render(request, "accounts/organizations.html", memberships=memberships, errors={}, form={})


@post("/orgs", name="organizations_post")
async def organizations_create(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    data = payload(
        await run_operation(request, "CreateOrganization", {"name": form.get("name", "")}),
        "createOrganization",
    )
    if data["errors"]:
        errors, _ = split_errors(data["errors"])
        listing = await query(request, "OrganizationsPage")
        memberships = [edge["node"] for edge in listing["viewer"]["organizations"]["edges"]]
        return await render(
            request,
            "accounts/organizations.html",
            status=422,
            memberships=memberships,
            errors=errors,
            form=form,
        )
    return redirect(request.app.route_reverse("organization", org_id=data["organization"]["id"]))


async def _organization_page(
    request: Request[Any, Any, Any], org_id: str, status: int = 200, **extra: Any
) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    data = await query(request, "OrganizationPage", {"id": org_id})
    org = data["organization"]
    members = [edge["node"] for edge in org["members"]["edges"]]
    values = {"errors": {}, "form": {}, **extra}
    return await render(
        request,
        "accounts/organization.html",
        status=status,
        org=org,
        members=members,
        me=data["viewer"],
        **values,
    )


@get("/orgs/{org_id:str}", name="organization")
async def organization_page(request: Request[Any, Any, Any], org_id: FromPath[str]) -> Response[Any]:
    return await _organization_page(request, org_id)


@post("/orgs/{org_id:str}/invite", name="organization_invite")
async def organization_invite(request: Request[Any, Any, Any], org_id: FromPath[str]) -> Response[Any]:
    form = await form_data(request)
    role = form.get("role", "member").upper()
    data = payload(
        await run_operation(
            request,
            "InviteMember",
            {
                "organizationId": org_id,
                "email": form.get("email", ""),
                "role": role if role in ("OWNER", "ADMIN", "MEMBER") else "MEMBER",
            },
        ),
        "inviteMember",
    )
    if data["errors"]:
        errors, general = split_errors(data["errors"])
        return await _organization_page(
            request, org_id, 422, errors={**errors, **({"general": general[0]} if general else {})}, form=form
        )
    await sessions.flash(request, "success", "accounts.orgs.invited", email=data["invitation"]["email"])
    return redirect(request.app.route_reverse("organization", org_id=org_id))


@post("/orgs/{org_id:str}/members/{user_id:str}/role", name="organization_role")
async def organization_role(
    request: Request[Any, Any, Any], org_id: FromPath[str], user_id: FromPath[str]
) -> Response[Any]:
    form = await form_data(request)
    role = form.get("role", "member").upper()
    data = payload(
        await run_operation(
            request,
            "ChangeMemberRole",
            {
                "organizationId": org_id,
                "userId": user_id,
                "role": role if role in ("OWNER", "ADMIN", "MEMBER") else "MEMBER",
            },
        ),
        "changeMemberRole",
    )
    if data["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=data["errors"][0]["message"]
        )
    else:
        await sessions.flash(request, "success", "accounts.orgs.role_changed")
    return redirect(request.app.route_reverse("organization", org_id=org_id))


@post("/orgs/{org_id:str}/members/{user_id:str}/remove", name="organization_remove")
async def organization_remove(
    request: Request[Any, Any, Any], org_id: FromPath[str], user_id: FromPath[str]
) -> Response[Any]:
    data = payload(
        await run_operation(request, "RemoveMember", {"organizationId": org_id, "userId": user_id}),
        "removeMember",
    )
    if data["errors"]:
        await sessions.flash(
            request, "error", "common.errors.generic_with", message=data["errors"][0]["message"]
        )
    else:
        await sessions.flash(request, "success", "accounts.orgs.removed")
    return redirect(request.app.route_reverse("organization", org_id=org_id))


@get("/invitations/accept", name="invitation")
async def invitation_page(request: Request[Any, Any, Any], token: FromQuery[str] = "") -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    return await render(request, "accounts/invitation.html", token=token, messages=[])


@post("/invitations/accept", name="invitation_post")
async def invitation_accept(request: Request[Any, Any, Any]) -> Response[Any]:
    page = await page_context(request)
    if page.actor is None:
        return login_redirect(request)
    form = await form_data(request)
    data = payload(
        await run_operation(request, "AcceptInvitation", {"token": form.get("token", "")}), "acceptInvitation"
    )
    if data["errors"]:
        return await render(
            request,
            "accounts/invitation.html",
            status=400,
            token=form.get("token", ""),
            messages=[e["message"] for e in data["errors"]],
        )
    await sessions.flash(request, "success", "accounts.orgs.joined", org=data["organization"]["name"])
    return redirect(request.app.route_reverse("organization", org_id=data["organization"]["id"]))


route_handlers = [
    signup_form,
    signup_submit,
    login_form,
    login_submit,
    logout,
    confirm,
    confirm_resend,
    forgot_form,
    forgot_submit,
    reset_form,
    reset_submit,
    settings_page,
    settings_submit,
    password_submit,
    switch_language,
    api_keys_page,
    api_keys_create,
    api_key_revoke,
    organizations_page,
    organizations_create,
    organization_page,
    organization_invite,
    organization_role,
    organization_remove,
    invitation_page,
    invitation_accept,
]
