"""Code shared by the functions of the v1 sample, imported the ways Azure allows."""


def greet(name: str) -> str:
    return f"Hello, {name}."
