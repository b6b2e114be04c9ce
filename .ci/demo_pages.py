#!/usr/bin/env python3
"""Uses the pages of a running Mutualis as a person would, for .ci/schemathesis.sh.

    demo_pages.py token BASE_URL EMAIL PASSWORD TOKEN_NAME
        Signs in (/connexion, with its CSRF token) and creates a personal API token on
        "Mon compte" (/compte/jetons). Prints `ID SECRET`.
    demo_pages.py campaign BASE_URL COORDINATOR_EMAIL PASSWORD MEMBER_EMAIL PASSWORD
        The coordinator opens an inventory campaign over cleaning (CPV 9091) inviting every
        member, and the member declares one need in it, every optional field filled.
        Prints the campaign's id.

Standard library only. The cookies are carried by hand: they are `Secure`, and the server is
plain HTTP on the loopback, where Python's cookie jar would not send them back.
"""

import datetime
import html
import http.client
import re
import sys
import urllib.parse
from http.cookies import SimpleCookie


def fail(message):
    sys.exit(f"demo_pages: {message}")


class Browser:
    """A signed-in browser: keeps the cookies it is given, follows no redirect."""

    def __init__(self, base_url, email, password):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            fail(f"expected an http:// base URL, got {base_url!r}")
        self.host = url.hostname
        self.port = url.port or 80
        self.cookies = {}
        page = self.page("/connexion")
        form = {"csrf": csrf_of(page), "suite": "/", "email": email, "password": password}
        # Signed in: a redirection to `suite`; refused: the form again, with its error.
        self.post("/connexion", form, f"signing {email} in")

    def request(self, method, path, form=None):
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, text
        finally:
            conn.close()

    def page(self, path):
        status, _, text = self.request("GET", path)
        if status != 200:
            fail(f"GET {path} answered {status}:\n{text[:2000]}")
        return text

    def post(self, path, form, what, wanted=303):
        """Posts a form; returns the redirection's target, or the page answered."""
        status, headers, text = self.request("POST", path, form)
        if status != wanted:
            fail(f"{what}: POST {path} answered {status}, expected {wanted}:\n{text[:2000]}")
        return headers.get("Location") if wanted == 303 else text


def csrf_of(page):
    found = re.search(r'<input type="hidden" name="csrf" value="([^"]+)"', page)
    if not found:
        fail("no CSRF token on the page")
    return html.unescape(found.group(1))


def token(base_url, email, password, name):
    browser = Browser(base_url, email, password)
    form = {"csrf": csrf_of(browser.page("/compte")), "name": name}
    page = browser.post("/compte/jetons", form, "creating a token", wanted=200)
    secret = re.search(r'<code id="nouveau-jeton">(mtl_[^<]+)</code>', page)
    # The new token's row: its revocation form names it, and its action holds its id.
    row = re.search(
        r'action="/compte/jetons/(\d+)/revoquer">\s*<input[^>]*>\s*'
        r'<button type="submit" aria-label="Révoquer le jeton ' + re.escape(html.escape(name)) + '"',
        page,
    )
    if not secret or not row:
        fail(f"the token {name!r} or its id is not on the account page")
    print(row.group(1), html.unescape(secret.group(1)))


def campaign(base_url, coordinator_email, coordinator_password, member_email, member_password):
    today = datetime.date.today()
    day = lambda offset: (today + datetime.timedelta(days=offset)).strftime("%d/%m/%Y")

    coordinator = Browser(base_url, coordinator_email, coordinator_password)
    form = {
        "csrf": csrf_of(coordinator.page("/campagnes/nouvelle")),
        "titre": "Recensement nettoyage",
        "ouverture": day(0),
        "cloture": day(30),
        "familles": "9091",
        "tous": "1",
    }
    location = coordinator.post("/campagnes/nouvelle", form, "opening a campaign")
    opened = re.fullmatch(r"/campagnes/(\d+)\?.*", location or "")
    if not opened:
        fail(f"opening a campaign led to {location!r}")
    campaign_path = f"/campagnes/{opened.group(1)}"

    member = Browser(base_url, member_email, member_password)
    form = {
        "csrf": csrf_of(member.page(campaign_path)),
        "cpv": "90911200",
        "description": "Nettoyage des écoles",
        "montant": "48 000",
        "quantite": "5200",
        "unite": "m²",
        "debut": day(180),
        "contrat": "2019-NET-01",
        "fin_contrat": day(179),
        "exigences_sociales": "Clause d'insertion : 5 % des heures",
        "exigences_environnementales": "Produits écolabellisés",
        "reserve": "insertion",
    }
    member.post(f"{campaign_path}/besoins", form, "declaring a need")
    print(opened.group(1))


COMMANDS = {"token": (token, 4), "campaign": (campaign, 5)}

if __name__ == "__main__":
    command = COMMANDS.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if command is None or len(sys.argv) != command[1] + 2:
        sys.exit(__doc__)
    command[0](*sys.argv[2:])
