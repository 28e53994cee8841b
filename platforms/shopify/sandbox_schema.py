"""Schema validation for the Shopify simulator: documents and variables checked against the trimmed Admin schema.

graphql-core does the checking (the rules every GraphQL server applies); this module loads `admin_schema.graphql`
and renders the failures in Shopify's error shape, so an unknown input field, a missing required one or a wrong
enum value is refused here as Shopify refuses it: HTTP 200, `errors` only, nothing executed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    build_schema,
    is_non_null_type,
    parse,
    print_ast,
    type_from_ast,
    validate,
)
from graphql.utilities import validate_input_value  # graphql-core 3.3 (pinned)

SCHEMA_FILE = Path(__file__).with_name("admin_schema.graphql")
# graphql-core reports a missing or unknown input field on the object that holds it; Shopify names the field.
_FIELD_PROBLEM = re.compile(r"Expected value of type '(?P<type>\w+)' (?P<kind>to include required|not to include unknown) field '(?P<field>\w+)'")


@cache
def admin_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())


def schema_errors(query: str, variables: dict | None, operation_name: str | None = None) -> list[dict]:
    """Shopify-shaped errors for a document that does not validate or variables that do not coerce; [] if both are fine."""
    schema = admin_schema()
    try:
        document = parse(query)
    except GraphQLError as error:
        return [_shaped(error.message, "PARSE_ERROR", error)]
    invalid = validate(schema, document)
    if invalid:
        return [_shaped(error.message, "GRAPHQL_VALIDATION_FAILED", error) for error in invalid]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if o.name and o.name.value == operation_name), operations[0])
    return [error for definition in operation.variable_definitions or () if (error := _variable_error(schema, definition, variables or {}))]


def _variable_error(schema: GraphQLSchema, definition, variables: dict) -> dict | None:
    """One error per variable, listing every problem in its value, as Shopify's INVALID_VARIABLE answers do."""
    name, type_ = definition.variable.name.value, type_from_ast(schema, definition.type)
    value = variables.get(name, Undefined)
    problems: list[dict] = []
    if value is Undefined or value is None:
        if is_non_null_type(type_) and definition.default_value is None:
            problems.append({"path": [], "explanation": "Expected value to not be null"})
    else:
        validate_input_value(value, type_, lambda error, path: problems.append(_problem(error, path)))
    if not problems:
        return None
    where = ", ".join(".".join(map(str, p["path"])) or "the variable" for p in problems)
    message = (
        f"Variable ${name} of type {print_ast(definition.type)} was provided invalid value for {where} "
        f"({'; '.join(p['explanation'] for p in problems)})"
    )
    error = _shaped(message, "INVALID_VARIABLE", None, definition)
    error["extensions"].update(value=None if value is Undefined else value, problems=problems)
    return error


def _problem(error: GraphQLError, path: list) -> dict:
    found = _FIELD_PROBLEM.search(error.message)
    if not found:
        return {"path": list(path), "explanation": error.message}
    field_path = [*path, found["field"]]
    if found["kind"].startswith("to include"):
        return {"path": field_path, "explanation": "Expected value to not be null"}
    return {"path": field_path, "explanation": f"Field is not defined on {found['type']}"}


def _shaped(message: str, code: str, error: GraphQLError | None, node=None) -> dict:
    """{message, locations, extensions: {code}} as Shopify answers a request it will not execute."""
    shaped: dict = {"message": message, "extensions": {"code": code}}
    locations = error.locations if error else ([node.loc.source.get_location(node.loc.start)] if node and node.loc else None)
    if locations:
        shaped["locations"] = [{"line": loc.line, "column": loc.column} for loc in locations]
    return shaped
