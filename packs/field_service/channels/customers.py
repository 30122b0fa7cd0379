"""Who a request comes from: the contact with the sender's e-mail (any case) or phone, else a
new individual customer and its contact; and the customer's site at a given address.

The e-mail channel trusts the sender (``find_or_create``); the web form does not, and only
records what it matched (see ``web_form`` and ``requesters``).

Every function takes a system session: matching must see all contacts, and nothing it finds
is ever returned to the anonymous sender.
"""

from __future__ import annotations

import re

from plinth.toolkit import Filter, ListQuery

SCAN_LIMIT = 500
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[^@\s]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")  # as the email field type
MIN_PHONE_DIGITS = 5


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def _by_email(session, email: str) -> dict | None:
    wanted = email.strip().lower()
    # ``contains`` compares lower-cased; the exact (case-insensitive) match is picked here.
    rows = session.records.list(
        "contact", ListQuery([Filter("email", "contains", wanted)], ["id"], SCAN_LIMIT)
    ).data
    return next((r for r in rows if (r.get("email") or "").lower() == wanted), None)


def _by_phone(session, phone: str) -> dict | None:
    wanted = _digits(phone)
    if len(wanted) < MIN_PHONE_DIGITS:
        return None
    exact = session.records.list(
        "contact", ListQuery([Filter("phone", "eq", phone.strip())], ["id"], 1)
    ).data
    if exact:
        return exact[0]
    # Stored numbers may be spaced or dashed differently: match on the digits.
    rows = session.records.list(
        "contact", ListQuery([Filter("phone", "contains", wanted[-4:])], ["id"], SCAN_LIMIT)
    ).data
    return next((r for r in rows if _digits(r.get("phone") or "") == wanted), None)


def find_contact(session, email: str | None, phone: str | None) -> dict | None:
    """The oldest contact with this e-mail (case-insensitive), else with this phone."""
    return (email and _by_email(session, email)) or (phone and _by_phone(session, phone)) or None


def find_or_create(
    session,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> tuple[int, int]:
    """(customer id, contact id) of the sender, creating an individual customer if new."""
    contact = find_contact(session, email, phone)
    if contact is not None:
        return contact["customer"], contact["id"]
    return create_customer(session, name, email, phone, address)


def create_customer(
    session,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    unverified: bool = False,
) -> tuple[int, int]:
    """(customer id, contact id) of a new individual customer and its primary contact;
    ``unverified`` marks one made for a web requester who has not been verified."""
    values = {"name": name, "kind": "individual", "email": email, "phone": phone}
    values.update(address=address, unverified_requester=unverified)
    customer = session.records.create("customer", values)
    contact = session.records.create(
        "contact",
        {
            "name": name,
            "customer": customer["id"],
            "email": email,
            "phone": phone,
            "primary": True,
        },
    )
    return customer["id"], contact["id"]


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).lower() == " ".join((b or "").split()).lower()


def find_site(session, customer: int, address: str | None, district: str | None) -> dict | None:
    """The customer's site at this address and district (spacing and case aside)."""
    sites = session.records.list(
        "site", ListQuery([Filter("customer", "eq", customer)], ["id"], SCAN_LIMIT)
    ).data
    for site in sites:
        if _same(site.get("address"), address) and _same(site.get("district"), district):
            return site
    return None


def site_for(
    session, customer: int, contact: int | None, address: str | None, district: str | None
) -> int | None:
    """The customer's site at this address and district, created when new; None when
    neither is given."""
    if not address and not district:
        return None
    found = find_site(session, customer, address, district)
    if found is not None:
        return found["id"]
    name = " ".join((address or district).split())[:200]
    site = session.records.create(
        "site",
        {
            "name": name,
            "customer": customer,
            "contact": contact,
            "address": address,
            "district": district,
        },
    )
    return site["id"]
