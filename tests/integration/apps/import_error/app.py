"""Fails to import: raises at module level."""

raise RuntimeError("import-time failure from tests/integration/apps/import_error")


def application(environ, start_response):
    return [b"unreachable"]
