"""A small GraphQL document parser: enough for the simulator to route by operation and field, and for tests to read requests.

It covers operations, variables, arguments, directives, aliases and inline fragments; not named fragments or schemas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"(?P<skip>[\s,]+|\#[^\n]*)|(?P<spread>\.\.\.)|(?P<punct>[!$():=@\[\]{}|])|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<string>"(?:[^"\\\n]|\\.)*")'
)


class GraphQLSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass(frozen=True)
class Enum:
    name: str


@dataclass
class Directive:
    name: str
    arguments: dict[str, Any]


@dataclass
class Field:
    name: str
    alias: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    directives: list[Directive] = field(default_factory=list)
    selections: list[Field] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name

    def directive(self, name: str) -> Directive | None:
        return next((d for d in self.directives if d.name == name), None)


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, str]
    selections: list[Field]

    @property
    def fields(self) -> list[str]:
        return [selection.name for selection in self.selections]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise GraphQLSyntaxError(f"unexpected character {text[position]!r} at {position}")
        position = match.end()
        if match.lastgroup != "skip":
            tokens.append((match.lastgroup, match.group()))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        if self.at >= len(self.tokens):
            return False
        token_kind, token_value = self.tokens[self.at]
        return (value is None or token_value == value) and (kind is None or token_kind == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        if not self.peek(value, kind):
            found = self.tokens[self.at][1] if self.at < len(self.tokens) else "end of document"
            raise GraphQLSyntaxError(f"expected {value or kind}, found {found!r}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def operations(self) -> list[Operation]:
        found = []
        while self.at < len(self.tokens):
            if self.peek("fragment"):
                raise GraphQLSyntaxError("named fragments are not supported by this parser")
            found.append(self.operation())
        return found

    def operation(self) -> Operation:
        if self.peek("{"):
            return Operation("query", None, {}, self.selection_set())
        kind = self.take(kind="name")
        if kind not in ("query", "mutation", "subscription"):
            raise GraphQLSyntaxError(f"unknown operation type {kind!r}")
        name = self.take(kind="name") if self.peek(kind="name") else None
        variables = self.variable_definitions() if self.peek("(") else {}
        self.directives()
        return Operation(kind, name, variables, self.selection_set())

    def variable_definitions(self) -> dict[str, str]:
        found = {}
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.take(kind="name")
            self.take(":")
            found[name] = self.type_reference()
            if self.peek("="):
                self.take("=")
                self.value()
        self.take(")")
        return found

    def type_reference(self) -> str:
        if self.peek("["):
            self.take("[")
            text = f"[{self.type_reference()}]"
            self.take("]")
        else:
            text = self.take(kind="name")
        if self.peek("!"):
            self.take("!")
            text += "!"
        return text

    def selection_set(self) -> list[Field]:
        selections: list[Field] = []
        self.take("{")
        while not self.peek("}"):
            if self.peek("...", kind="spread"):
                self.take(kind="spread")
                if self.peek("on"):
                    self.take("on")
                    self.take(kind="name")
                    self.directives()
                    selections.extend(self.selection_set())
                    continue
                raise GraphQLSyntaxError("named fragment spreads are not supported by this parser")
            selections.append(self.field())
        self.take("}")
        return selections

    def field(self) -> Field:
        name = self.take(kind="name")
        alias = None
        if self.peek(":"):
            self.take(":")
            alias, name = name, self.take(kind="name")
        arguments = self.arguments() if self.peek("(") else {}
        directives = self.directives()
        selections = self.selection_set() if self.peek("{") else []
        return Field(name, alias, arguments, directives, selections)

    def arguments(self) -> dict[str, Any]:
        found = {}
        self.take("(")
        while not self.peek(")"):
            name = self.take(kind="name")
            self.take(":")
            found[name] = self.value()
        self.take(")")
        return found

    def directives(self) -> list[Directive]:
        found = []
        while self.peek("@"):
            self.take("@")
            name = self.take(kind="name")
            found.append(Directive(name, self.arguments() if self.peek("(") else {}))
        return found

    def value(self) -> Any:
        if self.peek("$"):
            self.take("$")
            return Variable(self.take(kind="name"))
        if self.peek("["):
            self.take("[")
            items = []
            while not self.peek("]"):
                items.append(self.value())
            self.take("]")
            return items
        if self.peek("{"):
            self.take("{")
            items = {}
            while not self.peek("}"):
                key = self.take(kind="name")
                self.take(":")
                items[key] = self.value()
            self.take("}")
            return items
        if self.peek(kind="string"):
            return json.loads(self.take(kind="string"))
        if self.peek(kind="number"):
            text = self.take(kind="number")
            return float(text) if any(c in text for c in ".eE") else int(text)
        word = self.take(kind="name")
        literals = {"true": True, "false": False, "null": None}
        return literals[word] if word in literals else Enum(word)


def parse(document: str, operation_name: str | None = None) -> Operation:
    """The operation of a document (the named one when the document holds several)."""
    operations = _Parser(document).operations()
    if not operations:
        raise GraphQLSyntaxError("the document holds no operation")
    if operation_name is None:
        if len(operations) > 1:
            raise GraphQLSyntaxError("several operations and no operationName")
        return operations[0]
    for operation in operations:
        if operation.name == operation_name:
            return operation
    raise GraphQLSyntaxError(f"no operation named {operation_name!r}")


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """An argument value with variables substituted and enums as their names."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def arguments(selection: Field, variables: dict[str, Any]) -> dict[str, Any]:
    return {name: resolve(value, variables) for name, value in selection.arguments.items()}
