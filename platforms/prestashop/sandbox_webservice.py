"""The PrestaShop webservice's generic behaviour for the simulator: tables, filters, display, sort, limit, JSON and XML.

Faithful to `WebserviceRequest` and `SQLUtils::getSQLRetrieveFilter`, quirks included: `[a|b]` is OR, `[1,5]` an
interval only when both ends look numeric or like dates, a date-only bound means midnight (issue #10822), date
filters exist only with `date=1`, an empty JSON list is `[]`, and a PUT nulls every optional field it omits.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from koongo.sandbox_kit import Response, SandboxError, xml_to_dict

INTERVAL = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
DATE_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
DATE_FIELDS = ("date_add", "date_upd")


class WebserviceError(SandboxError):
    """An error the webservice reports with its own numeric code."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(status, message)
        self.code = code


@dataclass
class Resource:
    """One webservice resource: its URL name, its node name, its fields, required fields and associations."""

    name: str
    node: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    # association name → (entry node name, entry fields)
    associations: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    methods: frozenset[str] = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})


@dataclass
class Table:
    """Rows of one resource: every value a string, as PrestaShop's database hands them out; `id` an int."""

    resource: Resource
    rows: dict[int, dict] = field(default_factory=dict)
    next_id: int = 1

    def insert(self, values: dict, now: str = "") -> dict:
        row = {name: "" for name in self.resource.fields}
        row.update({name: _text(value) for name, value in values.items() if name in self.resource.fields})
        for name in DATE_FIELDS:
            if name in self.resource.fields and not row.get(name):
                row[name] = now
        row["id"] = self.next_id
        row["associations"] = {
            name: [dict(entry) for entry in values.get("associations", {}).get(name, [])] for name in self.resource.associations
        }
        self.rows[self.next_id] = row
        self.next_id += 1
        return row

    def get(self, row_id: int) -> dict | None:
        return self.rows.get(row_id)

    def where(self, **equals) -> list[dict]:
        return [row for row in self.rows.values() if all(str(row.get(k)) == str(v) for k, v in equals.items())]


def _text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    return "" if value is None else str(value)


# --- reading: filters, sort, limit, display -----------------------------------------------------------
def _comparable(value: str):
    try:
        return (0, Decimal(value))
    except InvalidOperation:
        return (1, value)


def _bound(value: str) -> str:
    """How MySQL reads a filter bound against a DATETIME column: a bare date is that day at midnight."""
    value = value.strip()
    return f"{value} 00:00:00" if DATE_ONLY.match(value) else value


def matcher(raw: str) -> Callable[[str], bool]:
    """A predicate on a field's value for one `filter[field]=...` value, as SQLUtils builds its WHERE clause."""
    found = re.match(r"^(.*)\[(.*)\](.*)$", raw)
    if not found:
        return lambda value: value.lower().rstrip() == raw.lower().rstrip()
    before, inner, after = found.groups()
    if before == "%" or after == "%":
        pattern = re.compile(
            "^" + ".*".join(map(re.escape, (before + inner + after).split("%"))) + "$", re.IGNORECASE | re.DOTALL
        )
        return lambda value: bool(pattern.match(value))
    if before == "" and after == "":
        if "|" in inner[1:]:
            options = {option.lower().rstrip() for option in inner.split("|")}
            return lambda value: value.lower().rstrip() in options
        interval = INTERVAL.match(inner)
        if interval:
            low, high = sorted((_bound(interval[1]), _bound(interval[2])))
            return lambda value: _comparable(low) <= _comparable(value) <= _comparable(high)
        return lambda value: value.lower().rstrip() == inner.lower().rstrip()
    if before == ">":
        return lambda value: _comparable(value) > _comparable(inner)
    if before == "<":
        return lambda value: _comparable(value) < _comparable(inner)
    if before == "!":
        excluded = {option.lower() for option in inner.split("|")}
        return lambda value: value.lower() not in excluded
    return lambda value: False


def query_rows(table: Table, args: list[tuple[str, str]]) -> list[dict]:
    """The rows a listing returns for its query string: filtered, sorted and limited."""
    params = dict(args)
    dates = bool(params.get("date"))
    fields = {"id", *table.resource.fields}
    rows = list(table.rows.values())
    for key, value in args:
        name = re.fullmatch(r"filter\[(\w+)\]", key)
        if not name:
            continue
        name = name[1]
        if name not in fields or (name in DATE_FIELDS and not dates):
            raise WebserviceError(
                400, 32, f'This filter does not exist. Did you mean: "id"? The full list is: "{", ".join(sorted(fields))}"'
            )
        if value == "":
            raise WebserviceError(400, 33, f'The filter "{name}" is malformed.')
        test = matcher(value)
        rows = [row for row in rows if test(str(row.get(name, "")))]
    if "sort" in params:
        for part in reversed(params["sort"].strip("[]").split(",")):
            name, _, direction = part.rpartition("_")
            if name not in fields or direction.upper() not in ("ASC", "DESC"):
                raise WebserviceError(400, 37, 'The "sort" value has to be formed as this example: "field_ASC"')
            rows.sort(key=lambda row: _comparable(str(row.get(name, ""))), reverse=direction.upper() == "DESC")
    if "limit" in params:
        parts = params["limit"].split(",")
        offset, count = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (0, int(parts[0]))
        rows = rows[offset : offset + count]
    return rows


def display_fields(table: Table, display: str | None, aliases: set[str]) -> list[str] | None:
    """The fields to show: None for ids only, or the chosen names (`full` shows all and the associations)."""
    if display is None:
        return None
    if display == "full":
        return ["id", *table.resource.fields, *sorted(aliases), "associations"]
    names = [name.strip() for name in display.strip("[]").split(",") if name.strip()]
    for name in names:
        if name != "id" and name not in table.resource.fields and name not in aliases and name != "associations":
            raise WebserviceError(
                400,
                35,
                f'Unable to display this field "{name}". However, these are available: {", ".join(table.resource.fields)}',
            )
    return names


def render(row: dict, names: list[str], computed: dict[str, str]) -> dict:
    """One object as the JSON output writes it: id a number, other values strings, empty associations left out."""
    out: dict = {}
    for name in names:
        if name == "id":
            out["id"] = row["id"]
        elif name == "associations":
            associations = {
                key: [{k: _text(v) for k, v in entry.items()} for entry in entries]
                for key, entries in row.get("associations", {}).items()
                if entries
            }
            if associations:
                out["associations"] = associations
        elif name in computed:
            out[name] = computed[name]
        else:
            out[name] = _text(row.get(name))
    return out


def price_aliases(args: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """`price[alias][param]=value` parameters as {alias: {param: value}}."""
    aliases: dict[str, dict[str, str]] = {}
    for key, value in args:
        found = re.fullmatch(r"price\[(\w+)\]\[(\w+)\]", key)
        if found:
            aliases.setdefault(found[1], {})[found[2]] = value
    return aliases


# --- writing: XML bodies ---------------------------------------------------------------------------------
def parse_body(resource: Resource, body: bytes, method: str) -> dict:
    """The object of a POST/PUT XML body as field values plus associations; refuses what the webservice refuses."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise WebserviceError(500, 127, f"XML error : {error}") from error
    node = root.find(resource.node)
    if node is None:
        raise WebserviceError(400, 86, f'The resource "{resource.node}" is missing from the XML body')
    data = xml_to_dict(node)
    data = data if isinstance(data, dict) else {}
    if method == "POST" and data.get("id"):
        raise WebserviceError(400, 91, "id is forbidden when adding a new resource")
    if method == "PUT" and not data.get("id"):
        raise WebserviceError(400, 90, "id is required when modifying a resource")
    for name in resource.required:
        if not isinstance(data.get(name), str) or data.get(name) == "":
            raise WebserviceError(400, 41, f'parameter "{name}" required')
    values = {name: data[name] if isinstance(data.get(name), str) else "" for name in resource.fields if name in data}
    if method == "PUT":  # PrestaShop sets every optional field the body leaves out to null
        values = {"id": data["id"], **{name: values.get(name, "") for name in resource.fields}}
    associations = {}
    for name, (entry, _) in resource.associations.items():
        holder = (data.get("associations") or {}).get(name) if isinstance(data.get("associations"), dict) else None
        entries = holder.get(entry, []) if isinstance(holder, dict) else []
        associations[name] = entries if isinstance(entries, list) else [entries]
    values["associations"] = associations
    return values


# --- answers ----------------------------------------------------------------------------------------------
def json_answer(data, status: int = 200, version: str = "") -> Response:
    headers = {"Content-Type": "application/json", "X-Powered-By": "PrestaShop Webservice"}
    if version:
        headers["PSWS-Version"] = version
    return Response(status, json.dumps(data).encode(), headers)


def error_answer(status: int, code: int, message: str, as_json: bool, headers: dict | None = None) -> Response:
    if as_json:
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        content_type = "application/json"
    else:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink"><errors><error>'
            f"<code><![CDATA[{code}]]></code><message><![CDATA[{message}]]></message></error></errors></prestashop>"
        ).encode()
        content_type = "text/xml;charset=utf-8"
    return Response(status, body, {"Content-Type": content_type, "X-Powered-By": "PrestaShop Webservice", **(headers or {})})


def resource_list_xml(shop_name: str, base: str, permissions: dict[str, set[str]], resources: dict[str, Resource]) -> bytes:
    """`GET /api/`: every resource the key may use, with one true/false attribute per method, under `<api shopName>`."""
    root = ET.Element("prestashop", {"xmlns:xlink": "http://www.w3.org/1999/xlink"})
    api = ET.SubElement(root, "api", {"shopName": shop_name})
    for name in sorted(resources):
        if name not in permissions:
            continue
        allowed = permissions[name]
        attributes = {"xlink:href": f"{base}{name}"}
        attributes |= {
            method.lower(): "true" if method in allowed else "false"
            for method in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
        }
        element = ET.SubElement(api, name, attributes)
        ET.SubElement(element, "description", attributes).text = f"The {name.replace('_', ' ')}"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
